#!/bin/sh
# The layer rules of docs/architecture.md hold (no folder under sim/ includes
# a layer it may not use, no engine uses sockets or the machine's clock), and
# cppcheck finds nothing, as 'make lint' checks.
set -u
sh scripts/lint-layers.sh || exit 1
# The rule is the page's table: a row that forbids what a folder includes
# fails the check (trace's JSON Lines export uses format's base64).
doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
sed 's/^\(| `sim\/trace\/` |.*| \)core, format, trace |$/\1core, trace |/' docs/architecture.md >"$doc"
out=$(LINT_LAYERS_DOC="$doc" sh scripts/lint-layers.sh 2>&1) && {
    echo "FAIL: lint passed with trace forbidden to include format/"; exit 1; }
case $out in
*"sim/trace includes format/"*) ;;
*) echo "FAIL: lint did not name the forbidden include: $out"; exit 1 ;;
esac
if ! command -v cppcheck >/dev/null 2>&1; then
    echo "FAIL: cppcheck is not installed (make deps-test installs it)"; exit 1
fi
cppcheck --quiet --enable=warning,portability --error-exitcode=1 --inline-suppr \
    -D__GNUC__ -Isim sim/
