#!/bin/sh
# Every header under sim/ compiles on its own (it includes what it uses),
# with the project's warning flags, under gcc and (when installed) clang.
set -u
fail=0; n=0
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -D_POSIX_C_SOURCE=200809L -Isim $(pkg-config --cflags sdl2 SDL2_ttf SDL2_image libcjson fontconfig libpng 2>/dev/null)"
for cc in cc clang; do
    command -v "$cc" >/dev/null 2>&1 || continue
    for h in sim/*/*.h; do
        n=$((n + 1))
        # shellcheck disable=SC2086
        if ! printf '#include "%s"\n#include "%s"\n' "${h#sim/}" "${h#sim/}" |
            "$cc" $CFLAGS -fsyntax-only -x c - 2>/tmp/hdr.$$; then
            echo "FAIL ($cc): $h does not compile on its own (or twice):"; cat /tmp/hdr.$$
            fail=1
        fi
    done
done
rm -f /tmp/hdr.$$
echo "checked $n header compilations"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
