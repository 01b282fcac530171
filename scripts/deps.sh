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
libcjson-dev libfontconfig-dev fontconfig fonts-dejavu-core libdeflate-dev libssl-dev libzstd-dev
libjemalloc-dev"
TEST_PKGS="libcmocka-dev libpng-dev clang libclang-rt-14-dev xvfb xauth xdotool python3
python3-jsonschema curl tshark cppcheck valgrind mandoc groff-base desktop-file-utils
dpkg-dev lintian ffmpeg clang-format"

want="$RUN_PKGS"
[ "${1:-run}" = test ] && want="$RUN_PKGS $TEST_PKGS"

. "$(dirname "$0")/apt-lib.sh"
# shellcheck disable=SC2086
apt_missing $want
[ -z "$missing" ] && exit 0

echo "mailsim: installing missing Debian packages:$missing"
apt_sudo "apt-get install$missing"
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
