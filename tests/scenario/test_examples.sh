#!/bin/sh
# test_examples.sh -- the example lessons of docs/authoring.md load, run with
# nothing lost, and show what each was written to show.
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ex=docs/examples
n=0
for f in $ex/*.json; do
    "$BIN" --check "$f" >/dev/null || fail "$f does not load"
    "$BIN" --transcript "$f" >"$tmp/t" 2>&1 || fail "$f: the run failed its checks: $(tail -n 3 "$tmp/t")"
    n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n examples in $ex"

# Three domains, one down: Bob's copy at once, Carol's after retries.
"$BIN" --transcript $ex/three-domains-one-down.json >"$tmp/t"
grep -q 'message 1 for bob@example.net delivered' "$tmp/t" || fail "Bob's copy was not delivered"
grep -q 'message 1 for carol@example.com deferred' "$tmp/t" || fail "Carol's copy was never deferred"
grep -q '2 delivered, 0 still queued, 0 bounced' "$tmp/t" || fail "Carol's copy was not delivered in the end"

# Five recipients, one unknown: 550 for Frank only, four deliveries, a bounce to Alice.
"$BIN" --transcript $ex/five-recipients-one-unknown.json >"$tmp/t"
[ "$(grep -c 'S: 550' "$tmp/t")" -eq 1 ] || fail "expected exactly one 550"
grep -B1 'S: 550' "$tmp/t" | grep -q 'RCPT TO:<frank@example.net>' || fail "the 550 does not answer Frank's RCPT"
grep -q '5 delivered, 0 still queued, 1 bounced' "$tmp/t" || fail "not four deliveries and a bounce to Alice"

# The impatient variant: every 10 minutes, the bounce after an hour; the
# default still waits 30 minutes between tries.
"$BIN" --transcript --variant impatient $ex/retry-variant.json >"$tmp/t"
head -n 1 "$tmp/t" | grep -q 'variant "impatient"' || fail "the transcript header does not name the variant"
grep -q 'next try at 00:10:' "$tmp/t" || fail "the variant does not retry after 10 minutes"
grep -q 'gave up after 1h' "$tmp/t" || fail "the variant does not give up after an hour"
grep -q 'This time Alice' "$tmp/t" || fail "the variant's narration did not replace the main one"
"$BIN" --transcript $ex/retry-variant.json >"$tmp/t"
grep -q 'next try at 00:30:' "$tmp/t" || fail "the default does not retry after 30 minutes"
# One mailbox, two devices: the phone idles (IMAP IDLE); the delivery and
# the laptop's MOVE reach it at once, and it ends each IDLE with DONE.
"$BIN" --transcript $ex/phone-and-laptop.json >"$tmp/t"
grep -q 'C: a4 IDLE' "$tmp/t" || fail "the phone does not idle"
# Each IDLE ends with DONE as soon as the update arrives (seconds), not
# when its 10 minutes run out.
dones=$(grep 'C: DONE' "$tmp/t" | cut -c1-8 | tr '\n' ' ')
[ "$dones" = "00:00:06 00:01:20 " ] || fail "the IDLEs did not end at the delivery and the move: DONE at $dones"
grep -q 'C: a5 MOVE 1 Lectures' "$tmp/t" || fail "the laptop does not move the message"
[ "$(grep -c 'S: \* 1 EXPUNGE' "$tmp/t")" -eq 2 ] || fail "the idling phone is not told of the move"
grep -q 'C: a7 NOOP' "$tmp/t" || fail "the phone's NOOP is missing"
if grep -q 'C: a8 LOGOUT' "$tmp/t"; then fail "the phone logged out though it stays logged in"; fi
# POP3 that stays connected: NOOP answered +OK, the second after the 5-minute
# wait, no QUIT; the server's autologout closes the session 10 minutes after
# the last command, and the next session finds the marked message again.
"$BIN" --transcript $ex/pop3-stays-connected.json >"$tmp/t"
[ "$(grep -c 'C: NOOP' "$tmp/t")" -eq 2 ] || fail "the laptop does not send NOOP twice"
noops=$(grep 'C: NOOP' "$tmp/t" | cut -c1-8 | tr '\n' ' ')
[ "$noops" = "00:01:00 00:06:00 " ] || fail "the NOOPs are not 5 minutes apart: $noops"
grep -q "^00:16:00.* sent nothing for 10 minutes, so the server's autologout" "$tmp/t" ||
    fail "the server does not close the silent session 10 minutes after the last NOOP"
awk '/^--- connection /{on = /\(POP3\)/ && !/connection 4:/} on' "$tmp/t" >"$tmp/first"
grep -q 'C: DELE 1' "$tmp/first" || fail "the first POP3 session does not mark the message"
if grep -q 'C: QUIT' "$tmp/first"; then fail "the first POP3 session sent QUIT though it stays connected"; fi
[ "$(grep -c "S: +OK bob's maildrop has 1 messages" "$tmp/t")" -eq 2 ] ||
    fail "the second session does not find the message the first one marked"
echo ok
