#!/bin/sh
# golden.sh -- rewrite tests/golden/<lesson>.txt from the current build, for
# review with `git diff tests/golden`. Usage: sh scripts/golden.sh
set -eu
make --no-print-directory mailsim >/dev/null
mkdir -p tests/golden
for f in scenarios/[0-9][0-9]-*.json; do
    name=$(basename "$f" .json)
    if ./mailsim --transcript "$f" >"tests/golden/$name.txt"; then
        echo "wrote tests/golden/$name.txt"
    else
        echo "wrote tests/golden/$name.txt (mailsim exited $?: check it)"
    fi
done
