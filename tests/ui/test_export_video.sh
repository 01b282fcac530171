#!/bin/sh
# test_export_video.sh -- --export-video writes .mp4, .webm and .gif files
# that ffprobe decodes to the right number of frames at the right size; a
# step range exports only those steps; without ffmpeg on PATH the error says
# what to install and no file is left behind.
# A missing ffmpeg or ffprobe fails the test with the command that installs it.
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}"
export SDL_VIDEODRIVER=dummy

for tool in ffmpeg ffprobe; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool is not installed (make deps-test installs ffmpeg)"; exit 1
    fi
done

fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
lesson=scenarios/01-alice-to-bob.json

# 1. Each container: 12 steps (3-14) at 640x360 decode to 12 frames of 640x360.
for ext in mp4 webm gif; do
    out="$tmp/lesson.$ext"
    "$BIN" --export-video "$out" --steps 3-14 --size 640x360 --video-rate 4 "$lesson" \
        >"$tmp/out" 2>"$tmp/err" || fail "$ext: mailsim exited $?: $(cat "$tmp/err")"
    grep -q "wrote 12 frames to $out" "$tmp/err" || fail "$ext: no 'wrote 12 frames': $(cat "$tmp/err")"
    [ -s "$out" ] || fail "$ext: $out is empty"
    info=$(ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$out") ||
        fail "$ext: ffprobe cannot read $out"
    [ "$info" = "640,360,12" ] || fail "$ext: expected 640,360,12 (width,height,frames), got $info"
    echo "ok $ext: $info"
done

# 2. A whole lesson: one frame per step (steps 0..N, so N+1 frames).
"$BIN" --export-video "$tmp/all.mp4" --size 640x360 --video-rate 25 "$lesson" \
    >/dev/null 2>"$tmp/err" || fail "whole lesson: mailsim exited $?: $(cat "$tmp/err")"
want=$(sed -n 's/.*wrote \([0-9]*\) frames.*/\1/p' "$tmp/err")
got=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$tmp/all.mp4")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "whole lesson: $want frames written, $got decoded"
echo "ok whole lesson: $got frames"

# 3. No ffmpeg on PATH: a clear error, exit status 1, no file.
PATH="$tmp/empty" "$BIN" --export-video "$tmp/none.mp4" --steps 0-1 --size 640x360 "$lesson" \
    >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "without ffmpeg: exit $rc, expected 1"
grep -q "needs the ffmpeg program" "$tmp/err" || fail "without ffmpeg: unclear error: $(cat "$tmp/err")"
[ ! -e "$tmp/none.mp4" ] || fail "without ffmpeg: a file was left behind"

# 4. A bad range and a bad name are usage errors naming the option.
"$BIN" --export-video "$tmp/x.mp4" --steps 5-2 "$lesson" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--steps" "$tmp/err" || fail "bad --steps not refused: $(cat "$tmp/err")"
"$BIN" --export-video "$tmp/x.avi" --steps 0-1 "$lesson" >/dev/null 2>"$tmp/err"
grep -q ".mp4, .webm or .gif" "$tmp/err" || fail "bad extension not explained: $(cat "$tmp/err")"
echo "PASS"
