#!/bin/sh
# Run each libFuzzer target for SECONDS, starting from its seed corpus.
# Crashes are written to tests/fuzz/crashes/ and must be kept as regression
# inputs in the target's corpus once fixed.
set -u
BUILD=$1; SECONDS_EACH=$2; shift 2
mkdir -p tests/fuzz/crashes
rc=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus="tests/fuzz/corpus/${name#fuzz_}"
    work="$BUILD/fuzz-work/${name#fuzz_}"
    mkdir -p "$corpus" "$work"
    dict=""
    [ -f "tests/fuzz/${name#fuzz_}.dict" ] && dict="-dict=tests/fuzz/${name#fuzz_}.dict"
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    echo "fuzz: $name for ${SECONDS_EACH}s"
    "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix=tests/fuzz/crashes/"$name"- $dict "$work" "$corpus" \
        >"$BUILD/fuzz-work/$name.log" 2>&1 || { echo "fuzz: $name FAILED (see $BUILD/fuzz-work/$name.log)"; rc=1; }
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$BUILD/fuzz-work/$name.log" | sed "s/^/fuzz: $name /"
done
exit $rc
