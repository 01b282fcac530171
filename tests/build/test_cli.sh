#!/bin/sh
# The command line: the exit status of each class of run is the one that
# 'mailsim --help' and mailsim(1) give (0 success, 2 bad command line, 3 bad
# scenario or lesson, 4 an output that cannot be written), and every bad value
# is refused with a message that names the option and the value.
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
export SDL_VIDEODRIVER=dummy
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE ARGS...: mailsim ARGS exits with CODE.
expect() {
    want=$1; shift
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    [ "$got" -eq "$want" ] || fail "mailsim $*: exit $got, want $want: $(head -c 300 "$tmp/err")"
}
# refused WORD... -- ARGS...: exit 2, and stderr holds every WORD.
refused() {
    words=""
    while [ "$1" != "--" ]; do words="$words
$1"; shift; done
    shift
    expect 2 "$@"
    echo "$words" | while IFS= read -r w; do
        [ -z "$w" ] && continue
        grep -qF -- "$w" "$tmp/err" || { echo "FAIL: mailsim $*: the error does not name $w: $(cat "$tmp/err")"; exit 1; }
    done || fails=$((fails + 1))
}

L=scenarios/01-alice-to-bob.json

# The usage text and the page give the same codes.
"$BIN" --help >"$tmp/help"
for code in 0 1 2 3 4; do
    grep -q "[ ,]$code [a-z]" "$tmp/help" || fail "--help does not explain exit status $code"
done

# 0: what works.
expect 0 --help
expect 0 -h
expect 0 --serve --help
expect 0 --version
expect 0 --list-names
expect 0 --check "$L"
expect 0 --headless --seed 7 "$L"
expect 0 --transcript --seed=7 "$L"
expect 0 "$L" --text --seed 0
expect 0 --net-demo --seed 18446744073709551615

# --seed is read once, for every kind of run, and refused the same way.
for bad in x -1 +1 1x " 1" 0x10 18446744073709551616; do
    refused -- --seed "$bad" --headless "$L"
    grep -qF -- "--seed: \"$bad\"" "$tmp/err" || fail "--seed $bad: $(cat "$tmp/err")"
    refused "--seed" "$bad" -- "$L" --text --seed "$bad"
    refused "--seed" "$bad" -- --serve --seed "$bad" "$L"
    refused "--seed" "$bad" -- --net-demo --seed "$bad"
done
refused "--seed" "needs a value" -- --headless --seed
refused "--seed" '""' -- --headless --seed=
# The same seed gives the same run; another seed, another run.
"$BIN" --headless --seed 5 "$L" >"$tmp/a"
"$BIN" --headless --seed 5 "$L" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "--seed 5 twice gave two runs"

# 2: the command line itself.
refused 'unknown argument "--no-such-flag"' -- --no-such-flag
refused 'unknown argument "-x"' -- -x
refused '--text' 'takes no value' '"yes"' -- --text=yes "$L"
refused 'one scenario file at a time' "$L" 'two.json' -- --headless "$L" two.json
refused '--port-base' 'needs --serve' -- --port-base 2600 "$L"
refused '--size' 'does not go with' -- --headless --size 640x360 "$L"
refused '--pcap' 'does not go with' -- --serve --pcap "$tmp/x.pcap" "$L"
refused '--check takes only scenario files' '--seed' -- --check --seed 3 "$L"
refused '--check needs at least one' -- --check
refused '--tls-cert and --tls-key' -- --serve --tls-cert a.pem "$L"
refused '--render-step needs --out' -- --render-step 3 "$L"
# Values out of range, each error naming the option and the value.
refused '--size' '"10x10"' -- --size 10x10 --render-step 1 --out "$tmp/f.png" "$L"
refused '--theme' '"purple"' -- --theme purple --text "$L"
refused '--zoom' '"9"' -- --zoom 9 --text "$L"
refused '--render-step' '"x"' -- --render-step x --out "$tmp/f.png" "$L"
refused '--step' '"-3"' -- --step -3 --text "$L"
refused '--png-level' '"13"' -- --png-level 13 --text "$L"
refused '--steps' '"5-2"' -- --steps 5-2 --text "$L"
refused '--video-rate' '"0"' -- --video-rate 0 --text "$L"
refused '--focus' '"nowhere"' -- --focus nowhere --text "$L"
refused '--menu' '"nothing"' -- --menu nothing --text "$L"
refused '--quiz-answer' '"0"' -- --quiz --quiz-answer 0 --text "$L"
refused '--inspect' '"0"' -- --inspect 0 --text "$L"
refused '--port-base' '"70000"' -- --serve --port-base 70000 "$L"
refused '--port-step' '"0"' -- --serve --port-step 0 "$L"
refused '--max-conns' '"0"' -- --serve --max-conns 0 "$L"
refused '--max-conns-per-addr' '"x"' -- --serve --max-conns-per-addr x "$L"
refused '--idle-timeout' '"5 mins"' -- --serve --idle-timeout "5 mins" "$L"
refused '--line-timeout' '"0s"' -- --serve --line-timeout 0s "$L"
refused '--listen' '"localhost"' -- --serve --listen localhost "$L"
refused '--listen' '"" is not a literal IP address' -- --serve --listen "" "$L"
refused '--pcap' '""' -- --pcap= "$L"
refused '--import-eml' '""' -- --transcript --import-eml "" "$L"
refused '--export-jsonl' 'would overwrite the scenario file' -- --export-jsonl "$L" "$L"

# 3: a scenario or lesson that cannot be loaded, in every kind of run.
expect 3 --headless "$tmp/missing.json"
expect 3 --transcript no-such-lesson
expect 3 --check "$tmp/missing.json"
expect 3 --text "$tmp/missing.json"
expect 3 --serve "$tmp/missing.json"
expect 3 --transcript --import-eml "$tmp/missing.eml" "$L"

# 4: an output that cannot be written.
expect 4 --pcap "$tmp/no/such/dir/x.pcap" "$L"
expect 4 --render-step 2 --out "$tmp/no/such/dir/f.png" --size 640x360 "$L"
expect 4 --text --save-scenario "$tmp/no/such/dir/s.json" "$L"
expect 4 --render-step 2 --out "$tmp/f.png" --size 640x360 --layout-json "$tmp/no/dir/l.json" "$L"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok: exit statuses 0, 2, 3, 4 and every bad value named"
