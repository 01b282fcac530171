#!/bin/sh
# Run every test program built under ASan+UBSan, then the scripted tests
# (tests/*/*.sh and tests/*/*.py). Prints one closing line:
#   tests: N passed, M failed, K skipped
# A test that exits 77 (the Automake convention) was skipped: it is counted
# and listed as skipped, never as passed. A tool that 'make deps-test'
# installs is never a reason to skip: its absence fails the test.
set -u
BUILD=${1:-build}
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export SDL_VIDEODRIVER="${SDL_VIDEODRIVER:-dummy}"
export MAILSIM_BUILD="$BUILD"
pass=0; fail=0; skip=0; failed=""; skipped=""
log_dir="$BUILD/test-logs"; mkdir -p "$log_dir"

run_one() { # name, command...
    name=$1; shift
    log="$log_dir/$(echo "$name" | tr '/' '_').log"
    "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1)); echo "PASS $name"
    elif [ "$rc" -eq 77 ]; then
        skip=$((skip + 1)); skipped="$skipped $name"
        echo "SKIP $name: $(grep -m1 'SKIP' "$log" || tail -n 1 "$log")"
    else
        fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (log: $log)"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
}

for t in $(find "$BUILD/san/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
    run_one "${t#"$BUILD"/san/}" "$t"
done
for t in $(find "$BUILD/san/tests/fuzz" -type f -name '*_replay' 2>/dev/null | sort); do
    base=$(basename "$t" _replay)
    run_one "fuzz-replay/$base" "$t" "tests/fuzz/corpus/${base#fuzz_}"
done
for t in $(find tests -name 'test_*.sh' -o -name 'test_*.py' | sort); do
    case "$t" in
        *.sh) run_one "$t" sh "$t" ;;
        *.py) run_one "$t" python3 "$t" ;;
    esac
done
[ -n "$skipped" ] && echo "skipped:$skipped"
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
