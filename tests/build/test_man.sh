#!/bin/sh
# The man pages: mailsim(1) and mailsim-scenario(5) render without a warning
# (mandoc -T lint, groff -ww); every option that 'mailsim --help' and
# 'mailsim --serve --help' print is in mailsim(1), and every option in
# mailsim(1) is in the help; every key and action of docs/scenario-format.md
# is in mailsim-scenario(5).
set -u
BUILD=${MAILSIM_BUILD:-build}
BIN=$BUILD/san/mailsim
[ -x "$BIN" ] || BIN=./mailsim
[ -x "$BIN" ] || { echo "FAIL: no mailsim binary (run make first)"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
for tool in mandoc groff; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is not installed (make deps-test installs it)"
    fi
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for page in man/mailsim.1 man/mailsim-scenario.5; do
    mandoc -T lint -W style "$page" >"$tmp/lint" 2>&1
    [ -s "$tmp/lint" ] && fail "mandoc -T lint $page: $(cat "$tmp/lint")"
    groff -ww -man -z "$page" >"$tmp/lint" 2>&1
    [ -s "$tmp/lint" ] && fail "groff -ww $page: $(cat "$tmp/lint")"
done
echo "ok: both pages render without a warning (mandoc -T lint, groff -ww)"

# Options: --word in the help texts against \-\-word in the page.
{ "$BIN" --help; "$BIN" --serve --help; } | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/help"
[ "$(wc -l <"$tmp/help")" -gt 30 ] || fail "the help lists only $(wc -l <"$tmp/help") options"
sed 's/\\-/-/g' man/mailsim.1 | grep -v '^\.\\"' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/man"
missing=$(comm -23 "$tmp/help" "$tmp/man")
[ -z "$missing" ] && echo "ok: every option of --help is in mailsim(1)" ||
    fail "in --help but not in mailsim(1):" $missing
extra=$(comm -13 "$tmp/help" "$tmp/man")
[ -z "$extra" ] && echo "ok: every option of mailsim(1) is in --help" ||
    fail "in mailsim(1) but not in --help:" $extra

# The exit codes of --help are the page's.
for code in 0 1 2 3 4; do
    grep -q "^\.B $code\$" man/mailsim.1 || fail "mailsim(1) has no exit status $code"
done

# Scenario keys: the first column of every table, and every action heading,
# in docs/scenario-format.md (up to "## Saving").
sed -n '/^## Top level/,/^## Saving/p' docs/scenario-format.md >"$tmp/doc"
{
    grep '^| `' "$tmp/doc" | cut -d'|' -f2 | grep -o '`[^`]*`' | tr -d '`'
    grep '^### ' "$tmp/doc" | sed 's/^### //' | tr ',' '\n' | tr -d ' '
} | grep -E '^[$a-z_0-9]+$' | sort -u >"$tmp/keys"
[ "$(wc -l <"$tmp/keys")" -gt 60 ] || fail "found only $(wc -l <"$tmp/keys") keys in the format doc"
sed 's/\\-/-/g; s/\\f[BIRP]//g' man/mailsim-scenario.5 | tr -c '$a-z_0-9\n' ' ' | tr ' ' '\n' |
    sort -u >"$tmp/words"
missing=$(comm -23 "$tmp/keys" "$tmp/words")
[ -z "$missing" ] || fail "in docs/scenario-format.md but not in mailsim-scenario(5):" $missing
echo "ok: all $(wc -l <"$tmp/keys") keys and actions of docs/scenario-format.md are in mailsim-scenario(5)"
