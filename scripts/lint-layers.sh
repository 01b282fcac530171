#!/bin/sh
# Each folder under sim/ may include only the folders its row of the table in
# docs/architecture.md lists ("may include", the last column): the page is
# the rule, this script only reads it.
set -u
rc=0
doc=${LINT_LAYERS_DOC:-docs/architecture.md}
allowed() {
    sed -n "s/^| \`sim\/$1\/\` |.*| \([a-z, ]*\) |\$/\1/p" "$doc" | tr -d ','
}
for dir in sim/*/; do
    layer=$(basename "$dir")
    ok=$(allowed "$layer")
    if [ -z "$ok" ]; then
        echo "lint: sim/$layer has no row in $doc (folder | owns | may include)"; rc=1; continue
    fi
    for inc in $(grep -ho '#include "[a-z]*/' "$dir"*.c "$dir"*.h 2>/dev/null | sed 's/#include "//; s|/||' | sort -u); do
        case " $ok " in
            *" $inc "*) ;;
            *) echo "lint: sim/$layer includes $inc/, which its layer may not use"; rc=1 ;;
        esac
    done
done
grep -lE 'sys/socket\.h|(^|[^a-zA-Z0-9_])time\(|clock_gettime|gettimeofday' \
    sim/core/*.c sim/format/*.c sim/store/*.c sim/proto/*.c sim/net/*.c 2>/dev/null | while read -r f; do
    echo "lint: $f uses sockets or the machine's clock"; exit 1; done || rc=1
exit $rc
