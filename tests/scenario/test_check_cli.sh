#!/bin/sh
# test_check_cli.sh -- `mailsim --check` validates lesson files the way an
# author uses it, and every mode that reads a scenario exits with status 3
# (the usage text's "unreadable or invalid scenario file") on a bad one.
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bad=tests/scenarios/bad/no-recipients.json

# Every shipped lesson and each of its variants loads.
"$BIN" --check scenarios/*.json >"$tmp/out" 2>"$tmp/err" || fail "--check refuses a shipped lesson: $(cat "$tmp/err")"
n=$(grep -c ': ok (' "$tmp/out")
[ "$n" -eq "$(ls scenarios/*.json | wc -l)" ] || fail "--check printed $n ok lines"

# A bad file: the error as file:line:col, exit 3; a good file beside it still says ok.
"$BIN" --check scenarios/01-alice-to-bob.json "$bad" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "--check of a bad file exited $rc, not 3"
grep -q "^$bad:19:5: timeline\[0\]: a message needs at least one recipient" "$tmp/err" ||
    fail "--check did not name the place: $(cat "$tmp/err")"
grep -q '^scenarios/01-alice-to-bob.json: ok' "$tmp/out" || fail "--check stopped at the bad file"

# No file at all is a usage error.
"$BIN" --check >/dev/null 2>&1
[ $? -eq 2 ] || fail "--check with no file did not exit 2"

# Each mode that reads a scenario exits 3 on a bad one.
for mode in "--transcript" "--headless" "--text" "--render-step 1 --out $tmp/f.png" "--check"; do
    # shellcheck disable=SC2086
    "$BIN" $mode "$bad" >/dev/null 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 3 ] || fail "mailsim $mode BAD exited $rc, not 3: $(cat "$tmp/err")"
done
[ ! -e "$tmp/f.png" ] || fail "--render-step wrote a frame for a bad scenario"
echo ok
