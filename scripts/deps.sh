#!/bin/sh
# Install the Debian packages mailsim needs, only those that are missing.
#   sh scripts/deps.sh run    what building and running mailsim needs
#   sh scripts/deps.sh test   that, plus what 'make test' uses
# The browser build and its test have their own: scripts/deps-web.sh
# (make deps-web; 'make test' runs it under CI).
# Runs 'apt-get update' once, before the first install, and uses sudo when
# not root. Prints a clear message and fails where apt-get is not available.
set -eu

RUN_PKGS="build-essential pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev
libcjson-dev libfontconfig-dev fontconfig fonts-dejavu-core libpng-dev libssl-dev libzstd-dev"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev xvfb xauth xdotool python3
python3-jsonschema curl tshark cppcheck valgrind mandoc groff-base desktop-file-utils
dpkg-dev lintian ffmpeg"

want="$RUN_PKGS"
[ "${1:-run}" = test ] && want="$RUN_PKGS $TEST_PKGS"

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "mailsim: installing missing Debian packages:$missing"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "mailsim: apt-get is not available on this system." >&2
    echo "mailsim: install these packages (or your system's equivalents) by hand:$missing" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "mailsim: not root and sudo is not installed; run as root: apt-get install$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
