#!/bin/sh
# golden.sh -- rewrite tests/golden/<lesson>.txt from the current build, for
# review with `git diff tests/golden`. Usage: sh scripts/golden.sh
# A lesson whose run fails keeps its old golden file, and the script fails.
set -eu
make --no-print-directory mailsim >/dev/null
mkdir -p tests/golden
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
bad=0
for f in scenarios/[0-9][0-9]-*.json; do
    name=$(basename "$f" .json)
    if ./mailsim --transcript "$f" >"$tmp"; then
        cp "$tmp" "tests/golden/$name.txt"
        echo "wrote tests/golden/$name.txt"
    else
        echo "mailsim --transcript $f exited $?: tests/golden/$name.txt left as it was" >&2
        bad=1
    fi
done
exit $bad
