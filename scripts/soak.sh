#!/bin/sh
# soak.sh -- long random-fault campaign: SOAK_RUNS random scenarios
# from seed SOAK_FIRST on (defaults 3000 and 301, past the 300 seeds that
# 'make test' runs), each run headless under ASan+UBSan and checked by
# tests/hardening/test_random_faults (mq_check invariants, no dangling
# connection or event, same seed -> same trace hash). Every failing seed is
# printed with the command that replays it.
#   make soak SOAK_RUNS=10000
set -u
BUILD=${1:-build}
RUNS=${SOAK_RUNS:-3000}
FIRST=${SOAK_FIRST:-301}
bin="$BUILD/san/tests/hardening/test_random_faults"
make --no-print-directory "$bin" || exit 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "soak: $RUNS seeds from $FIRST"
start=$(date +%s)
"$bin" "$FIRST" "$RUNS"
rc=$?
echo "soak: $(( $(date +%s) - start )) s, exit $rc"
exit $rc
