#!/bin/sh
# The layer rules of docs/architecture.md hold (no folder under sim/ includes
# a layer it may not use, no engine uses sockets or the machine's clock), and
# cppcheck finds nothing, as 'make lint' checks.
set -u
sh scripts/lint-layers.sh || exit 1
if ! command -v cppcheck >/dev/null 2>&1; then
    echo "FAIL: cppcheck is not installed (make deps-test installs it)"; exit 1
fi
cppcheck --quiet --enable=warning,portability --error-exitcode=1 --inline-suppr \
    -D__GNUC__ -Isim sim/
