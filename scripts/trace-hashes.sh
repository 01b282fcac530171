#!/bin/sh
# trace-hashes.sh -- print a hash of every lesson's whole trace (every
# variant, the file's seed and seeds 1-3; generated scenarios too), from the
# release objects of this tree. Compare the output before and after a change
# meant only for speed:  sh scripts/trace-hashes.sh > before.txt
set -eu
make --no-print-directory mailsim >/dev/null
PKGS="sdl2 SDL2_ttf SDL2_image libcjson fontconfig libdeflate openssl libzstd"
out=${BUILD:-build}/rel/trace_hashes
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Isim scripts/trace_hashes.c \
    $(ls "${BUILD:-build}"/rel/sim/*/*.o) $(pkg-config --cflags --libs $PKGS) -lm -o "$out"
"$out" scenarios/*.json tests/scenarios/good/*.json
