#!/bin/sh
# format-check.sh -- every C file of sim/, tests/ and web/ is as .clang-format
# says (clang-format 14, the version Debian 12 ships; other versions break
# lines differently). Lists each file that differs with its count of changed
# lines and exits 1; 'make format' rewrites them. Changes nothing.
#   sh scripts/format-check.sh [FILE...]   (default: every C file)
set -u
if ! command -v clang-format >/dev/null 2>&1; then
    echo "FAIL: clang-format is not installed (make deps-test installs it: apt-get install clang-format)"
    exit 1
fi
version=$(clang-format --version)
case "$version" in
*" version 14."*) ;;
*)
    echo "FAIL: .clang-format is written for clang-format 14 (Debian 12's); this is: $version"
    exit 1
    ;;
esac
[ $# -gt 0 ] || set -- $(sh "$(dirname "$0")/format-files.sh")
bad=0
lines=0
for f in "$@"; do
    n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^<')
    if [ "$n" -gt 0 ]; then
        echo "$f: $n line(s) not as .clang-format says"
        bad=$((bad + 1))
        lines=$((lines + n))
    fi
done
if [ "$bad" -gt 0 ]; then
    echo "FAIL: $bad of $# file(s), $lines line(s), differ from .clang-format (make format fixes them)"
    exit 1
fi
echo "ok: all $# C files are as .clang-format says"
