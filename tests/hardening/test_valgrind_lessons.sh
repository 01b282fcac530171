#!/bin/sh
# test_valgrind_lessons.sh -- every shipped scenario (scenarios/*.json) runs
# headless under valgrind (memcheck) with no error and no definite or
# indirect leak (the sanitizer half is tests/mail/test_golden.sh, which runs
# the ASan+UBSan build). Uses the release ./mailsim that 'make test' builds.
set -u
if ! command -v valgrind >/dev/null 2>&1; then
    echo "FAIL: valgrind is not installed (make deps-test installs it)"; exit 1
fi
[ -x ./mailsim ] || { echo "FAIL: ./mailsim not built (run make)"; exit 1; }
rc=0; n=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for f in scenarios/*.json; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        ./mailsim --headless "$f" >/dev/null 2>"$log"
    st=$?
    # 0 ok; 1 would be an invariant violation (mailsim's own exit status)
    if [ "$st" -ne 0 ] || [ -s "$log" ]; then
        echo "FAIL $f (exit $st)"; head -n 20 "$log"; rc=1
    else
        echo "ok   $f"
    fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no shipped scenarios found"; exit 1; }
exit $rc
