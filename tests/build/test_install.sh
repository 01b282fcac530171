#!/bin/sh
# make install honours PREFIX and DESTDIR: the program and the lessons land
# under DESTDIR/PREFIX, the installed program runs, and uninstall removes them.
set -eu
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
make --no-print-directory -s install PREFIX=/opt/ms DESTDIR="$tmp" >/dev/null
[ -x "$tmp/opt/ms/bin/mailsim" ] || { echo "no $tmp/opt/ms/bin/mailsim"; exit 1; }
n=$(ls "$tmp/opt/ms/share/mailsim/scenarios/"*.json | wc -l)
[ "$n" -eq "$(ls scenarios/*.json | wc -l)" ] || { echo "installed $n lessons"; exit 1; }
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf DejaVuSansMono.ttf LICENSE.dejavu; do
    [ -f "$tmp/opt/ms/share/mailsim/assets/fonts/$f" ] || { echo "no assets/fonts/$f installed"; exit 1; }
done
"$tmp/opt/ms/bin/mailsim" --version | grep -q '^mailsim [0-9]'
"$tmp/opt/ms/bin/mailsim" --transcript "$tmp/opt/ms/share/mailsim/scenarios/01-alice-to-bob.json" |
    grep -q 'C: EHLO'
make --no-print-directory -s uninstall PREFIX=/opt/ms DESTDIR="$tmp" >/dev/null
[ ! -e "$tmp/opt/ms/bin/mailsim" ] || { echo "uninstall left the program"; exit 1; }
echo ok
