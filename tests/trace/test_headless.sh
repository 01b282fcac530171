#!/bin/sh
# The headless runs: help, version, exit codes; the network demo's timeline
# (handshake, data, close); the built-in lesson; byte-identical output for
# the same seed.
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

"$BIN" --net-demo >"$tmp/a"
"$BIN" --net-demo --seed 1 >"$tmp/b"
cmp "$tmp/a" "$tmp/b"
"$BIN" --net-demo --seed 2 >"$tmp/c"
if cmp -s "$tmp/a" "$tmp/c"; then echo "seed 2 gave the same run as seed 1"; exit 1; fi

head -n 2 "$tmp/a" | tail -n 1 | grep -q '^00:00:00.000  alice-pc -> mail.example.org  TCP SYN 49152 -> 25 seq=[0-9]* win=65535 len=0 mss=1460$'
grep -q '  mail.example.org -> alice-pc  TCP SYN,ACK 25 -> 49152 ' "$tmp/a"
grep -q 'TCP PSH,ACK 49152 -> 25 .* len=80$' "$tmp/a"
[ "$(grep -c 'TCP FIN,ACK .*[0-9]$' "$tmp/a")" -eq 2 ]
grep -q 'TIME-WAIT -> CLOSED' "$tmp/a"

# With no file, --headless runs the built-in lesson: Alice writes to Bob.
"$BIN" --headless >"$tmp/l1"
"$BIN" --headless >"$tmp/l2"
cmp "$tmp/l1" "$tmp/l2"
head -n 1 "$tmp/l1" | grep -q '^mailsim: '
grep -q 'SMTP C: EHLO ' "$tmp/l1"
grep -q 'SMTP C: RCPT TO:<bob@example.net>' "$tmp/l1"
grep -q '^invariant: every message delivered, queued or bounced exactly once$' "$tmp/l1"
rc=0; "$BIN" --pcap "$tmp/x.pcap" --headless "$tmp/missing.json" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 3 ] || { echo "missing scenario: exit $rc, want 3"; exit 1; }
rc=0; "$BIN" --pcap "$tmp/no/such/dir/x.pcap" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 4 ] || { echo "unwritable export: exit $rc, want 4"; exit 1; }
grep -q 'cannot write' "$tmp/err"
cp scenarios/01-alice-to-bob.json "$tmp/s.json"
rc=0; "$BIN" --export-jsonl "$tmp/s.json" "$tmp/s.json" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || { echo "export over the scenario: exit $rc, want 2"; exit 1; }
cmp "$tmp/s.json" scenarios/01-alice-to-bob.json
echo ok
