#!/bin/sh
# The headless run: help, version, exit codes, the default world's timeline
# (handshake, data, close), and byte-identical output for the same seed.
set -eu
BIN="${MAILSIM_BUILD:-build}/san/mailsim"
[ -x "$BIN" ] || { echo "missing $BIN"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$BIN" --help >"$tmp/help"
grep -q '^exit status: 0 success' "$tmp/help"
"$BIN" --version | grep -q '^mailsim [0-9]'
rc=0; "$BIN" --no-such-flag 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || { echo "bad flag: exit $rc, want 2"; exit 1; }
grep -q 'unknown argument "--no-such-flag"' "$tmp/err"
rc=0; "$BIN" --seed x --headless 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "bad seed: exit $rc, want 2"; exit 1; }

"$BIN" --headless >"$tmp/a"
"$BIN" --headless --seed 1 >"$tmp/b"
cmp "$tmp/a" "$tmp/b"
"$BIN" --headless --seed 2 >"$tmp/c"
if cmp -s "$tmp/a" "$tmp/c"; then echo "seed 2 gave the same run as seed 1"; exit 1; fi

head -n 2 "$tmp/a" | tail -n 1 | grep -q '^00:00:00.000  alice-pc -> mail.example.org  TCP SYN 49152 -> 25 seq=[0-9]* win=65535 len=0 mss=1460$'
grep -q '  mail.example.org -> alice-pc  TCP SYN,ACK 25 -> 49152 ' "$tmp/a"
grep -q 'TCP PSH,ACK 49152 -> 25 .* len=80$' "$tmp/a"
[ "$(grep -c 'TCP FIN,ACK .*[0-9]$' "$tmp/a")" -eq 2 ]
grep -q 'TIME-WAIT -> CLOSED' "$tmp/a"
echo ok
