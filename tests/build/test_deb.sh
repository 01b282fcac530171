#!/bin/sh
# make deb: a Debian package holding the program, the lessons, the man pages
# (compressed), the desktop entry, the icons and the completion, with the
# fonts as links into fonts-dejavu-core; it depends on the runtime libraries
# dpkg-shlibdeps found; lintian reports no error; installed with
# 'dpkg --root' into an empty folder, the program there lists and runs the
# lessons, and 'dpkg --root -r' removes every file again. (The full check,
# 'apt-get install ./mailsim_*.deb' in a fresh Debian 12 chroot, is slow and
# is described in docs/install.md.)
set -u
BUILD=${MAILSIM_BUILD:-build}
fail() { echo "FAIL: $*"; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps lintian; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "$tool is not installed (make deps-test installs it)"
    fi
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
make --no-print-directory -s deb BUILD="$BUILD" >"$tmp/out" 2>&1 || fail "make deb: $(cat "$tmp/out")"
deb=$(ls "$BUILD"/mailsim_"$(cat VERSION)"_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || fail "make deb wrote no $BUILD/mailsim_$(cat VERSION)_*.deb: $(cat "$tmp/out")"

dpkg-deb -c "$deb" | awk '{print $6 $7 $8}' | sed 's|^\./||' >"$tmp/files"
for f in usr/bin/mailsim usr/share/mailsim/scenarios/01-alice-to-bob.json \
    usr/share/man/man1/mailsim.1.gz usr/share/man/man5/mailsim-scenario.5.gz \
    usr/share/applications/mailsim.desktop usr/share/bash-completion/completions/mailsim \
    usr/share/icons/hicolor/scalable/apps/mailsim.svg usr/share/icons/hicolor/48x48/apps/mailsim.png \
    usr/share/doc/mailsim/copyright usr/share/doc/mailsim/changelog.gz \
    "usr/share/mailsim/assets/fonts/DejaVuSans.ttf->../../../fonts/truetype/dejavu/DejaVuSans.ttf"; do
    grep -qxF "$f" "$tmp/files" || fail "the package has no $f"
done
n=$(grep -c '^usr/share/mailsim/scenarios/.*\.json$' "$tmp/files")
[ "$n" -eq "$(ls scenarios/*.json | wc -l)" ] || fail "the package holds $n lessons"
dep=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libsdl2-2.0-0 libsdl2-ttf-2.0-0 libdeflate0 libcjson1 libfontconfig1 libssl3 \
    fonts-dejavu-core; do
    echo "$dep" | grep -q "\\b$lib\\b" || fail "Depends has no $lib: $dep"
done
echo "ok: $deb holds the program, $n lessons, man pages, desktop entry, icons, completion; Depends: $dep"

lintian --no-tag-display-limit "$deb" >"$tmp/lintian" 2>&1
grep '^E:' "$tmp/lintian" && fail "lintian reports errors"
echo "ok: lintian reports no error ($(grep -c '^[WIN]:' "$tmp/lintian") warnings or notes)"

# Installed by dpkg into an empty root, run from there.
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$tmp/run" "$tmp/empty"
: >"$r/var/lib/dpkg/status"
dpkg --root="$r" --force-depends --force-not-root -i "$deb" >"$tmp/dpkg" 2>&1 ||
    fail "dpkg --root -i: $(cat "$tmp/dpkg")"
(cd "$tmp/run" && env -u MAILSIM_PATH XDG_DATA_HOME="$tmp/empty" XDG_DATA_DIRS="$tmp/empty" \
    "$r/usr/bin/mailsim" --list) >"$tmp/list" || fail "the packaged mailsim --list failed"
[ "$(grep -c '^  [0-9][0-9] ' "$tmp/list")" -eq "$n" ] || fail "--list: $(cat "$tmp/list")"
(cd "$tmp/run" && env -u MAILSIM_PATH XDG_DATA_HOME="$tmp/empty" XDG_DATA_DIRS="$tmp/empty" \
    "$r/usr/bin/mailsim" --transcript 01) | grep -q 'C: EHLO' || fail "the packaged --transcript 01"
dpkg --root="$r" --force-not-root -r mailsim >"$tmp/dpkg" 2>&1 || fail "dpkg -r: $(cat "$tmp/dpkg")"
left=$(find "$r" -path "$r/var" -prune -o \( -type f -o -type l \) -print)
[ -z "$left" ] || fail "dpkg -r left: $left"
echo "ok: dpkg --root installs it, the program lists and runs the lessons, dpkg -r removes it"
