#!/bin/sh
# Code, comments and docs name features and RFCs, never the tracker's issue
# numbers ("issue 9", "task 14"): a reader of the source has no tracker.
# References to other projects' trackers (cJSON's "issue #696") are not ours
# and carry a '#'. Checks that the pattern catches a planted line, too.
set -u
pat='[Ii]ssues? [0-9]+|[Tt]asks? [0-9]+'
where="sim tests scripts web man docs README.md Makefile .ci"
hits=$(grep -rInE "$pat" $where --exclude-dir=img --exclude=test_no_history.sh 2>/dev/null)
if [ -n "$hits" ]; then
    echo "FAIL: issue history named in the tree (name the feature or the RFC instead):"
    echo "$hits"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '/* issue 9: the quiz */\n' >"$tmp/planted.c"
grep -qE "$pat" "$tmp/planted.c" || { echo "FAIL: the pattern misses a planted 'issue 9'"; exit 1; }
echo "ok: no issue numbers in $where"
