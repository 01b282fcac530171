#!/bin/sh
# embed-text.sh FILE -- print FILE as the lines of one C string literal, for
# #include inside a brace initializer: `static const char t[] = {
# #include "x.inc" };` holds FILE's bytes exactly (plus the terminating NUL).
# Backslashes, double quotes and question marks (trigraphs) are escaped; every
# line gets back its "\n". A file that does not end in a newline is refused:
# the literal would gain one. Used by the Makefile for the built-in lesson
# (sim/scenario/default.c holds scenarios/01-alice-to-bob.json).
set -eu
f=$1
[ -s "$f" ] || { echo "embed-text.sh: $f is missing or empty" >&2; exit 1; }
[ "$(tail -c 1 "$f" | wc -l)" -eq 1 ] ||
    { echo "embed-text.sh: $f does not end in a newline" >&2; exit 1; }
if LC_ALL=C grep -q "$(printf '\r')" "$f"; then
    echo "embed-text.sh: $f has a carriage return" >&2; exit 1
fi
echo "/* Generated from $f by scripts/embed-text.sh; edit that file instead. */"
LC_ALL=C sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$/\\n"/' "$f"
