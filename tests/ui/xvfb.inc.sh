# xvfb.inc.sh -- what the window tests share, sourced (not a test itself):
# the mailsim binary to drive ($BIN), fail(), a $tmp folder removed at exit
# together with the Xvfb ($XPID) and mailsim ($MPID) they started, and
# xvfb_start, which starts a virtual 1920x1080 display. A missing Xvfb or
# xdotool fails the test with the command that installs it.
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}"

for tool in Xvfb xdotool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool is not installed (make deps-test installs it)"; exit 1
    fi
done

fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
XPID=""; MPID=""
cleanup() {
    [ -n "$MPID" ] && kill "$MPID" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Xvfb picks a free display itself (-displayfd), so parallel runs of the
# tests, or another X server, never collide on a display number. Exports
# DISPLAY once xdotool can reach the server.
xvfb_start() {
    Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
    XPID=$!
    i=0
    until [ -s "$tmp/display" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "Xvfb did not report a display: $(cat "$tmp/xvfb.log")"
        sleep 0.1
    done
    DISPLAY=":$(head -n 1 "$tmp/display")"
    export DISPLAY
    i=0
    until xdotool getmouselocation >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "Xvfb did not start: $(cat "$tmp/xvfb.log")"
        sleep 0.1
    done
}
