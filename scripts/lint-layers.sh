#!/bin/sh
# Each folder under sim/ may include only the layers below it (docs/architecture.md).
set -u
rc=0
allowed() {
    case $1 in
        core)     echo "core" ;;
        format)   echo "core format" ;;
        store)    echo "core format store" ;;
        proto)    echo "core format store proto" ;;
        net)      echo "core net" ;;
        trace)    echo "core format trace" ;;
        scenario) echo "core scenario format" ;;
        mail)     echo "core format store proto net trace scenario mail" ;;
        ui)       echo "core format trace scenario ui" ;;
        bridge)   echo "core format store proto net trace scenario mail bridge" ;;
        *)        echo "" ;;
    esac
}
for dir in sim/*/; do
    layer=$(basename "$dir")
    ok=$(allowed "$layer")
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
