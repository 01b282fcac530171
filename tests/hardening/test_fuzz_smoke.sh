#!/bin/sh
# test_fuzz_smoke.sh -- run every libFuzzer target briefly from its seed
# corpus, so 'make test' catches a crash that the corpus replay alone would
# not find. By default each target makes FUZZ_SMOKE_RUNS (2000) mutations
# from the fixed seed 1, so the test gives the same verdict on every run and
# machine (make test must be deterministic; open-ended exploration is
# 'make fuzz'). FUZZ_SMOKE_SECONDS=N instead fuzzes N seconds with a random
# seed. New inputs go to a scratch directory, never into tests/fuzz/corpus.
#
# A missing clang or libFuzzer fails the test, naming the command that
# installs them (make deps-test). Run from the repository root.
set -u
BUILD=${MAILSIM_BUILD:-build}
SECS=${FUZZ_SMOKE_SECONDS:-}
RUNS=${FUZZ_SMOKE_RUNS:-2000}
if [ -n "$SECS" ]; then
    budget="-max_total_time=$SECS"
else
    budget="-seed=1 -runs=$RUNS -max_total_time=120"
fi
CLANG=${FUZZ_CC:-clang}

missing() {
    echo "FAIL: $1 (make deps-test installs clang and libclang-rt-14-dev)"
    exit 1
}

command -v "$CLANG" >/dev/null 2>&1 || missing "$CLANG not found"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    >"$probe/p.c"
"$CLANG" -fsanitize=fuzzer -o "$probe/p" "$probe/p.c" >/dev/null 2>&1 || missing "$CLANG has no libFuzzer (-fsanitize=fuzzer)"

targets=""
for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    targets="$targets $BUILD/fuzz/${src%.c}"
done
[ -n "$targets" ] || { echo "FAIL: no fuzz targets found"; exit 1; }
# One make call, so the library is compiled once for all targets.
make --no-print-directory BUILD="$BUILD" FUZZ_CC="$CLANG" $targets || { echo "FAIL: fuzz build"; exit 1; }

rc=0
for bin in $targets; do
    name=$(basename "$bin")
    short=${name#fuzz_}
    work="$BUILD/fuzz-smoke/$short"
    rm -rf "$work"; mkdir -p "$work"
    dict=""
    for d in "tests/fuzz/$short.dict" "tests/fuzz/$name.dict"; do
        [ -f "$d" ] && dict="-dict=$d"
    done
    log="$BUILD/fuzz-smoke/$name.log"
    # shellcheck disable=SC2086
    if "$bin" $budget -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz-smoke/$name-" $dict "$work" "tests/fuzz/corpus/$short" >"$log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        echo "ok   $name ${execs:-?} runs"
    else
        echo "FAIL $name (log: $log)"
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
        rc=1
    fi
done
exit $rc
