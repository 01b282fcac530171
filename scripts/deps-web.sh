#!/bin/sh
# Install what the browser build ('make web') and its test need, only what is
# missing, and make Debian's source packages reachable:
#   - emscripten (emcc), cmake and dpkg-dev (apt-get source) for the build;
#   - chromium, chromium-driver, python3-selenium and python3-pil for the
#     browser test and the web benchmark;
#   - a deb-src entry for every Debian suite apt already uses, when apt knows
#     no deb-src entry at all (written to /etc/apt/sources.list.d/mailsim-src.*).
# Runs 'apt-get update' only when it added a deb-src entry or installs
# something. Uses sudo when not root.
#   sh scripts/deps-web.sh          install what is missing
#   sh scripts/deps-web.sh --check  exit 0 when all is there, 1 (and name
#                                   what is missing) otherwise; changes nothing
set -eu

WEB_PKGS="emscripten cmake dpkg-dev xz-utils chromium chromium-driver
python3-selenium python3-pil python3"

. "$(dirname "$0")/apt-lib.sh"
# shellcheck disable=SC2086
apt_missing $WEB_PKGS

# deb-src entries: one-line style (sources.list) or deb822 (*.sources).
have_src() {
    grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
    grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources && return 0
    return 1
}

if [ "${1:-}" = --check ]; then
    ok=0
    [ -n "$missing" ] && { echo "missing Debian packages:$missing"; ok=1; }
    have_src || { echo "no deb-src entry in apt's sources"; ok=1; }
    exit $ok
fi

apt_sudo "make deps-web"

update=0
if ! have_src; then
    tmp=$(mktemp)
    # Copy every Debian 'deb' entry as 'deb-src' (same URIs, suites,
    # components and keys), so 'apt-get source' finds the versions apt installs.
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ {
                 sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, "");
                 print }' "$f" >>"$tmp"
    done
    if [ -s "$tmp" ]; then
        echo "mailsim: adding deb-src entries: /etc/apt/sources.list.d/mailsim-src.sources"
        $SUDO cp "$tmp" /etc/apt/sources.list.d/mailsim-src.sources
        $SUDO chmod 644 /etc/apt/sources.list.d/mailsim-src.sources
    fi
    : >"$tmp"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]\(.*debian.*\)$/deb-src \1/p' "$f" >>"$tmp"
    done
    if [ -s "$tmp" ]; then
        echo "mailsim: adding deb-src entries: /etc/apt/sources.list.d/mailsim-src.list"
        $SUDO cp "$tmp" /etc/apt/sources.list.d/mailsim-src.list
        $SUDO chmod 644 /etc/apt/sources.list.d/mailsim-src.list
    fi
    rm -f "$tmp"
    if ! have_src; then
        echo "mailsim: found no Debian 'deb' entry to copy as deb-src; add one by hand" >&2
        exit 1
    fi
    update=1
fi

if [ $update = 1 ] || [ -n "$missing" ]; then
    $SUDO apt-get update -q
fi
if [ -n "$missing" ]; then
    echo "mailsim: installing missing Debian packages:$missing"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing
fi
