#!/bin/sh
# test_golden.sh -- every shipped lesson (scenarios/[0-9][0-9]-*.json) runs
# headless, its textbook transcript equals tests/golden/<name>.txt byte for
# byte, and the nothing-is-lost invariant holds (exit status 0).
# Rewrite the golden files for review with: sh scripts/golden.sh
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
fail=0
for f in scenarios/[0-9][0-9]-*.json; do
    name=$(basename "$f" .json)
    golden=tests/golden/$name.txt
    out=$(mktemp)
    if ! "$BIN" --transcript "$f" >"$out" 2>&1; then
        echo "FAIL $name: mailsim exited with status $? (invariant or load error)"
        tail -n 5 "$out"
        fail=1
    fi
    if [ ! -f "$golden" ]; then
        echo "FAIL $name: no golden file $golden (run sh scripts/golden.sh)"
        fail=1
    elif ! diff -u "$golden" "$out" >/dev/null; then
        echo "FAIL $name: transcript differs from $golden:"
        diff -u "$golden" "$out" | head -n 40
        fail=1
    else
        echo "ok   $name"
    fi
    rm -f "$out"
done
exit $fail
