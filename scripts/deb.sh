#!/bin/sh
# Build a Debian package of mailsim with the usual tools (dpkg-shlibdeps for
# the runtime libraries, dpkg-deb to pack), without a debian/ source folder:
#   sh scripts/deb.sh BUILD VERSION     -> BUILD/mailsim_VERSION_ARCH.deb
# The tree is 'make install PREFIX=/usr' into a staging folder, then made the
# Debian way: the binary stripped, man pages and changelog compressed, a
# copyright file, and the DejaVu fonts as links into fonts-dejavu-core (the
# very files assets/fonts holds) instead of a second copy.
set -eu
BUILD=${1:-build}
VERSION=${2:-$(cat VERSION)}
umask 022
for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "mailsim: make deb needs $tool (apt-get install dpkg-dev)" >&2; exit 1; }
done
ARCH=$(dpkg --print-architecture)
stage=$BUILD/deb
root=$stage/root
rm -rf "$stage"
mkdir -p "$root"
root=$(cd "$root" && pwd)
make --no-print-directory -s install PREFIX=/usr DESTDIR="$root" BUILD="$BUILD" >/dev/null

# The fonts: links into fonts-dejavu-core, byte for byte the same files.
fonts=$root/usr/share/mailsim/assets/fonts
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf DejaVuSansMono.ttf; do
    cmp -s "assets/fonts/$f" "/usr/share/fonts/truetype/dejavu/$f" ||
        echo "mailsim: note: assets/fonts/$f differs from fonts-dejavu-core's" >&2
    rm -f "$fonts/$f"
    ln -s "../../../fonts/truetype/dejavu/$f" "$fonts/$f"
done
rm -f "$fonts/LICENSE.dejavu"

strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/mailsim"
gzip -9n "$root/usr/share/man/man1/mailsim.1" "$root/usr/share/man/man5/mailsim-scenario.5"

doc=$root/usr/share/doc/mailsim
mkdir -p "$doc"
cat >"$doc/copyright" <<'COPY'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: mailsim
Comment: The DejaVu fonts mailsim draws with come from fonts-dejavu-core.

Files: *
Copyright: 2026 the mailsim authors
License: mailsim
 mailsim is distributed by its authors for teaching; no separate licence
 text has been published with it yet.
COPY
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'mailsim (%s) unstable; urgency=low\n\n  * Package of mailsim %s.\n\n -- mailsim <mailsim@example.org>  %s\n' \
    "$VERSION" "$VERSION" "$date" | gzip -9n >"$doc/changelog.gz"

# Runtime libraries, from the binary's own needs.
shl=$stage/shlibs
mkdir -p "$shl/debian"
printf 'Source: mailsim\n\nPackage: mailsim\nArchitecture: any\n' >"$shl/debian/control"
bin=$root/usr/bin/mailsim
deps=$(cd "$shl" && dpkg-shlibdeps -O -e"$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "mailsim: dpkg-shlibdeps found no libraries" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: mailsim
Version: $VERSION
Architecture: $ARCH
Maintainer: mailsim <mailsim@example.org>
Installed-Size: $size
Depends: $deps, fonts-dejavu-core
Suggests: ffmpeg
Section: education
Priority: optional
Description: educational simulator of Internet e-mail
 mailsim shows Internet e-mail as it happens, for lectures and for students
 at home: user agents, mail servers with their queues and mailboxes, DNS and
 routers, joined by simulated TCP links, speak real SMTP, POP3, IMAP and HTTP.
 A window animates messages, queues, retries and bounces, and steps through
 every handshake forward and back; the lessons come with it (mailsim --list).
CONTROL
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
    xargs md5sum) >"$root/DEBIAN/md5sums"
out=$BUILD/mailsim_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "mailsim: wrote $out"
