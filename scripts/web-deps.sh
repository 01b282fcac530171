#!/bin/sh
# Build the libraries the browser build links -- SDL2, FreeType, HarfBuzz,
# SDL2_ttf and cJSON -- from their Debian source packages with Debian's emcc,
# into a cache that 'make clean' and 'git clean' leave alone:
#
#   $MAILSIM_WEB_CACHE (default ~/.cache/mailsim-web)/emcc-<emcc version>/
#       <source package>-<Debian version>[-<how>]/{include,lib}   one per library
#       emcache/                                          emcc's own cache
#
# A library is rebuilt only when Debian's version of it (or emcc's) changes.
# Nothing is downloaded except by 'apt-get source' from apt's deb-src entries
# ('make deps-web' adds them); Emscripten's network "ports" are never used.
#
#   sh scripts/web-deps.sh          build what is missing, print the cache dir
#   sh scripts/web-deps.sh --dir    print the cache dir only
#
# Prints "KEY=VALUE" lines on stdout for the Makefile (WEB_DEPS=...,
# EM_CACHE=...); progress and compiler output go to stderr and to
# <cache>/<package>-<version>.log.
set -eu

log() { echo "web-deps: $*" >&2; }
die() { log "$*"; exit 1; }

command -v emcc >/dev/null 2>&1 || die "emcc not found; run 'make deps-web'"
emver=$(emcc --version 2>/dev/null | sed -n '1s/.*) \([0-9][0-9.]*\).*/\1/p')
[ -n "$emver" ] || emver=unknown
base=${MAILSIM_WEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailsim-web}
root=$base/emcc-$emver
mkdir -p "$root"
root=$(cd "$root" && pwd)

# emcc's cache: Debian ships it prebuilt and read-only; emcc needs a writable
# copy (it takes a lock file there and may add a library variant).
export EM_CACHE="$root/emcache"
if [ ! -f "$EM_CACHE/.copied" ]; then
    log "copying emcc's system-library cache to $EM_CACHE"
    rm -rf "$EM_CACHE"
    cp -r /usr/share/emscripten/cache "$EM_CACHE"
    touch "$EM_CACHE/.copied"
fi
export EM_FROZEN_CACHE=0
# Debian's emcc runs its JS tools with node; acorn and friends live in
# /usr/share/nodejs, which a node not from Debian does not search.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"

if [ "${1:-}" = --dir ]; then
    echo "EM_CACHE=$EM_CACHE"
    exit 0
fi

# One builder at a time per cache (two 'make web' in parallel would collide).
exec 9>"$root/.lock"
flock 9

jobs=${WEB_JOBS:-2}

# The Debian version 'apt-get source' would fetch for a source package.
src_version() {
    v=$(apt-get source --only-source --print-uris "$1" 2>/dev/null |
        awk -v p="$1_" '$2 ~ /\.dsc$/ && index($2, p) == 1 {
            v = substr($2, length(p) + 1); sub(/\.dsc$/, "", v); print v; exit }')
    [ -n "$v" ] || die "no source package '$1' (is there a deb-src entry? run 'make deps-web')"
    echo "$v"
}

# fetch PKG VERSION: unpack the Debian source (patches applied) into $work/src
fetch() {
    rm -rf "$work"
    mkdir -p "$work"
    (cd "$work" && apt-get source --only-source "$1=$2" >"$work.fetch.log" 2>&1) ||
        { cat "$work.fetch.log" >&2; die "apt-get source $1=$2 failed"; }
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
    [ -d "$src" ] || die "apt-get source $1 unpacked nothing"
}

cmake_build() { # prefix, cmake args...
    pfx=$1; shift
    mkdir -p "$src/build-web"
    (cd "$src/build-web" &&
        emcmake cmake .. -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$pfx" \
            -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF "$@" &&
        emmake make -j"$jobs" &&
        emmake make install)
}

build_libsdl2() {
    cmake_build "$1" -DSDL_SHARED=OFF -DSDL_STATIC=ON -DSDL_TEST=OFF \
        -DSDL_AUDIO=OFF -DSDL_JOYSTICK=OFF -DSDL_HAPTIC=OFF -DSDL_HIDAPI=OFF \
        -DSDL_SENSOR=OFF -DSDL_POWER=OFF -DSDL_LOCALE=OFF
}

build_freetype() {
    cmake_build "$1" -DFT_DISABLE_HARFBUZZ=ON -DFT_DISABLE_PNG=ON \
        -DFT_DISABLE_BZIP2=ON -DFT_DISABLE_ZLIB=ON -DFT_DISABLE_BROTLI=ON
}

# HarfBuzz shapes SDL2_ttf's text in Debian's native build, so it does here
# too: kerning then places every glyph where the native window places it.
# Its single-file build (src/harfbuzz.cc) with FreeType is all SDL2_ttf uses.
build_harfbuzz() {
    mkdir -p "$1/include/harfbuzz" "$1/lib"
    em++ -O2 -std=c++11 -fno-exceptions -fno-rtti -fno-threadsafe-statics -DHAVE_FREETYPE=1 \
        -I"$dir_freetype/include/freetype2" -c "$src/src/harfbuzz.cc" -o "$src/harfbuzz.o"
    emar rcs "$1/lib/libharfbuzz.a" "$src/harfbuzz.o"
    cp "$src"/src/hb.h "$src"/src/hb-*.h "$1/include/harfbuzz/"
}

build_libsdl2_ttf() {
    cmake_build "$1" -DSDL2TTF_SAMPLES=OFF -DSDL2TTF_VENDORED=OFF \
        -DSDL2TTF_HARFBUZZ=ON \
        -DCMAKE_PREFIX_PATH="$dir_libsdl2;$dir_freetype;$dir_harfbuzz" \
        -DCMAKE_FIND_ROOT_PATH="$dir_libsdl2;$dir_freetype;$dir_harfbuzz" \
        -DSDL2_DIR="$dir_libsdl2/lib/cmake/SDL2"
}

build_cjson() { # one file: no need for its CMake
    mkdir -p "$1/include/cjson" "$1/lib"
    emcc -O2 -c "$src/cJSON.c" -o "$src/cJSON.o"
    emar rcs "$1/lib/libcjson.a" "$src/cJSON.o"
    cp "$src/cJSON.h" "$1/include/cjson/"
}

# Package, and how it is built when that changes what it is (part of the key).
for spec in libsdl2 freetype harfbuzz libsdl2-ttf:hb cjson; do
    pkg=${spec%%:*}
    how=${spec#"$pkg"}
    how=${how#:}
    ver=$(src_version "$pkg")
    dir="$root/$pkg-$ver${how:+-$how}"
    var=$(echo "$pkg" | tr - _)
    eval "dir_$var=\$dir"
    if [ -f "$dir/.built" ]; then
        continue
    fi
    work="$root/work-$pkg"
    logf="$dir.log"
    log "building $pkg $ver with emcc $emver (log: $logf)"
    t0=$(date +%s)
    fetch "$pkg" "$ver"
    # Installed in place (CMake configs name their prefix); '.built' marks
    # a finished one, so an interrupted build is redone from scratch.
    rm -rf "$dir"
    if ! "build_$var" "$dir" >"$logf" 2>&1; then
        tail -30 "$logf" >&2
        die "building $pkg $ver failed; see $logf"
    fi
    touch "$dir/.built"
    rm -rf "$work" "$work.fetch.log"
    log "built $pkg $ver in $(($(date +%s) - t0)) s"
done

echo "EM_CACHE=$EM_CACHE"
echo "WEB_DEPS=$dir_libsdl2 $dir_freetype $dir_harfbuzz $dir_libsdl2_ttf $dir_cjson"
