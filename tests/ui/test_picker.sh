#!/bin/sh
# test_picker.sh -- the lesson picker in a real window under Xvfb, driven by
# xdotool:
#   - mailsim --pick opens on the picker; Down, Down, Enter opens lesson 03
#     in place (the title names it, the step is 0);
#   - O, End, Enter, a typed path to a broken file, Enter: the current lesson
#     stays at its step and the window says where the file is wrong;
#   - a typed lesson name opens that lesson; a click on a row opens its lesson;
#   - R then reloads the lesson the picker opened; Q quits with status 0
#     (and, in the ASan build, without leaks).
# Then the picker is rendered at 1920x1080 and 1280x720 (--menu lessons) and
# the PNGs are kept in $BUILD/test-logs for a look.
# A missing Xvfb or xdotool fails the test with the command that installs it.
set -u
. tests/ui/xvfb.inc.sh

# Rendered frames of the picker (no display needed).
mkdir -p "$BUILD/test-logs"
for size in 1920x1080 1280x720; do
    out="$BUILD/test-logs/picker-$size.png"
    "$BIN" --render-step 3 --menu lessons --size "$size" --out "$out" ||
        fail "--menu lessons --size $size did not render"
    head -c 8 "$out" | od -An -c | grep -q 'P   N   G' || fail "$out is not a PNG"
done
echo "ok: the picker rendered at 1920x1080 and 1280x720 ($BUILD/test-logs/picker-*.png)"

xvfb_start

title() { xdotool getwindowname "$wid"; }
wait_title() { # a pattern (grep -E), up to 10 s
    i=0
    until title | grep -Eq "$1"; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "title is '$(title)', expected /$1/"
        sleep 0.1
    done
}
wait_err() { # a pattern in mailsim's stderr (grep), up to 10 s; else fail with $2
    i=0
    until grep -q "$1" "$tmp/mailsim.err"; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "$2: $(cat "$tmp/mailsim.err")"
        sleep 0.1
    done
}
# Start mailsim with "$@"; a refused first connection to a fresh Xvfb is
# retried (as in test_window.sh).
open_window() {
    tries=0
    while :; do
        tries=$((tries + 1))
        SDL_VIDEODRIVER=x11 "$BIN" "$@" >"$tmp/mailsim.out" 2>"$tmp/mailsim.err" &
        MPID=$!
        wid=""
        i=0
        while [ -z "$wid" ] && kill -0 "$MPID" 2>/dev/null; do
            wid=$(xdotool search --pid "$MPID" --classname '^mailsim$' 2>/dev/null | head -n 1)
            i=$((i + 1)); [ $i -gt 200 ] && fail "no window for mailsim $*: $(cat "$tmp/mailsim.err")"
            [ -z "$wid" ] && sleep 0.1
        done
        [ -n "$wid" ] && break
        grep -q "no display" "$tmp/mailsim.err" && [ $tries -lt 3 ] ||
            fail "mailsim $* ended without a window: $(cat "$tmp/mailsim.err")"
        echo "note: SDL could not open the display; retrying"
        sleep 1
    done
    xdotool windowfocus --sync "$wid" 2>/dev/null || xdotool windowfocus "$wid"
}

cp scenarios/01-alice-to-bob.json "$tmp/mine.json"
printf '{\n  "title": "half written",\n  "hosts": [\n' >"$tmp/broken.json"
cp "$tmp/broken.json" "$tmp/broken.orig"

open_window --pick
wait_title 'choose a lesson .* Alice writes to Bob .* step 0/[0-9]+$'
xdotool key Down Down Return
wait_err "opened ./scenarios/03-server-down-two-hours.json" "Down Down Enter opened nothing"
wait_title "Bob's server is down for two hours .* step 0/[0-9]+\$"
echo "ok: --pick, Down, Down, Enter opened lesson 03 in place: $(title)"

xdotool key Right Right
wait_title "down for two hours .* step 2/[0-9]+\$"
xdotool key o
wait_title 'choose a lesson'
xdotool key End Return
xdotool type --delay 20 "$tmp/broken.json"
xdotool key Return
wait_err "cannot open it, the current lesson stays: $tmp/broken.json:[0-9]*:[0-9]*: " \
    "opening a broken file did not say where it is wrong"
wait_title "down for two hours .* step 2/[0-9]+\$"
kill -0 "$MPID" 2>/dev/null || fail "mailsim died on a broken file"
cmp -s "$tmp/broken.json" "$tmp/broken.orig" || fail "the broken file was rewritten"
echo "ok: a broken file keeps the current lesson at its step and says where it is wrong"

xdotool key o
wait_title 'choose a lesson'
xdotool key End Return
xdotool type --delay 20 "pop3-download-and-keep"
xdotool key Return
wait_title "download and keep .* step 0/[0-9]+\$"
echo "ok: a lesson's name typed into the picker opens it: $(title)"

xdotool key o
wait_title 'choose a lesson'
xdotool key End Return
xdotool type --delay 20 "$tmp/mine.json"
xdotool key Return
wait_err "opened $tmp/mine.json" "a typed file name opened nothing"
wait_title "Alice writes to Bob .* step 0/[0-9]+\$"
xdotool key Right
wait_title "step 1/[0-9]+\$"
cp scenarios/02-three-messages.json "$tmp/mine.json"
xdotool key r
wait_err "reloaded $tmp/mine.json" "R did not reload the file the picker opened"
wait_title "Three messages, one connection .* step 1/[0-9]+\$"
echo "ok: a typed path opens in place, and R reloads that file"

# The mouse: the window is 1920 wide and about 1040 high (Xvfb has no
# panels); rows are about 73 px high from y = 94, so y = 205 is in row 2.
xdotool key o
wait_title 'choose a lesson'
xdotool mousemove --window "$wid" 900 205 click 1
wait_title "Three messages, one connection .* step 0/[0-9]+\$"
wait_err "opened ./scenarios/02-three-messages.json" "a click on row 2 opened nothing"
xdotool key o
wait_title 'choose a lesson'
xdotool key Escape
i=0
while title | grep -q 'choose a lesson'; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "Esc did not close the picker"
    sleep 0.1
done
xdotool key Right
wait_title "step 1/[0-9]+\$"
echo "ok: a click on a row opens its lesson; Esc closes the picker and the keys are the window's again"

xdotool key q
i=0
while kill -0 "$MPID" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "Q did not quit"
    sleep 0.1
done
wait "$MPID"
rc=$?
MPID=""
[ $rc -eq 0 ] || fail "mailsim exited $rc: $(cat "$tmp/mailsim.err")"
echo "ok: Q quit with status 0"
