#!/bin/sh
# A bare `mailsim` runs lesson 01 itself: its trace (every record, --headless),
# its JSON Lines export and its transcript equal those of
# `mailsim scenarios/01-alice-to-bob.json`, byte for byte. The build compiles
# the file into the program (scripts/embed-text.sh), so the two cannot differ.
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
LESSON=scenarios/01-alice-to-bob.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" --headless >"$tmp/bare.txt" 2>"$tmp/err" || fail "mailsim --headless: $(cat "$tmp/err")"
"$BIN" --headless "$LESSON" >"$tmp/file.txt" 2>"$tmp/err" ||
    fail "mailsim --headless $LESSON: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/bare.txt")" -gt 100 ] || fail "the bare trace has only $(wc -l <"$tmp/bare.txt") records"
cmp "$tmp/bare.txt" "$tmp/file.txt" >/dev/null ||
    fail "the bare trace differs from $LESSON's: $(diff "$tmp/bare.txt" "$tmp/file.txt" | head -n 4)"
echo "ok: a bare run's trace is $LESSON's ($(wc -l <"$tmp/bare.txt") lines)"

"$BIN" --export-jsonl "$tmp/bare.jsonl" 2>"$tmp/err" || fail "--export-jsonl: $(cat "$tmp/err")"
"$BIN" --export-jsonl "$tmp/file.jsonl" "$LESSON" 2>"$tmp/err" ||
    fail "--export-jsonl $LESSON: $(cat "$tmp/err")"
cmp "$tmp/bare.jsonl" "$tmp/file.jsonl" >/dev/null || fail "the bare JSON Lines export differs"
echo "ok: the JSON Lines exports are the same"

"$BIN" --transcript >"$tmp/bare.tr" 2>"$tmp/err" || fail "--transcript: $(cat "$tmp/err")"
cmp "$tmp/bare.tr" "tests/golden/01-alice-to-bob.txt" >/dev/null ||
    fail "the bare transcript is not tests/golden/01-alice-to-bob.txt"
echo "ok: the bare transcript is lesson 01's golden transcript"
