#!/bin/sh
# make install honours PREFIX and DESTDIR: the program, the lessons, the
# fonts, the man pages, the desktop entry, the icon and the bash completion
# land under DESTDIR/PREFIX; the installed program, run with only the
# installed files (an empty current folder, no MAILSIM_PATH, empty XDG data
# folders, a fontconfig that knows no fonts), lists the lessons, opens one by
# number and by name, and draws the lesson picker; the completion offers
# options and lesson names; uninstall removes every file again.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
make --no-print-directory -s install PREFIX=/opt/ms DESTDIR="$tmp" >/dev/null
p=$tmp/opt/ms
[ -x "$p/bin/mailsim" ] || fail "no $p/bin/mailsim"
n=$(ls "$p/share/mailsim/scenarios/"*.json | wc -l)
[ "$n" -eq "$(ls scenarios/*.json | wc -l)" ] || fail "installed $n lessons"
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf DejaVuSansMono.ttf LICENSE.dejavu; do
    [ -f "$p/share/mailsim/assets/fonts/$f" ] || fail "no assets/fonts/$f installed"
done
for f in man/man1/mailsim.1 man/man5/mailsim-scenario.5 applications/mailsim.desktop \
    bash-completion/completions/mailsim icons/hicolor/scalable/apps/mailsim.svg; do
    [ -f "$p/share/$f" ] || fail "no share/$f installed"
done
for s in 16 22 24 32 48 64 128 256; do
    f=$p/share/icons/hicolor/${s}x$s/apps/mailsim.png
    [ -f "$f" ] || fail "no ${s}x$s icon installed"
    # The PNG's own header says its size (IHDR width and height, bytes 17..24).
    wh=$(od -An -tu1 -j16 -N8 "$f" | awk '{print $3*256+$4 "x" $7*256+$8}')
    [ "$wh" = "${s}x$s" ] || fail "the ${s}x$s icon is $wh"
done
grep -q '/opt/ms/share/mailsim/scenarios' "$p/share/man/man1/mailsim.1" ||
    fail "the installed man page does not name the installed lessons' folder"
echo "ok: make install put the program, lessons, fonts, man pages, desktop entry, icons, completion under DESTDIR/PREFIX"

command -v desktop-file-validate >/dev/null 2>&1 ||
    fail "desktop-file-validate is not installed (make deps-test installs it)"
desktop-file-validate "$p/share/applications/mailsim.desktop" || fail "desktop-file-validate"
grep -q '^Exec=mailsim --pick' "$p/share/applications/mailsim.desktop" ||
    fail "the desktop entry does not open the lesson picker"
echo "ok: desktop-file-validate accepts the desktop entry, which opens the picker"

# Only the installed files: nothing of the source tree, the user or the system.
run=$tmp/run; mkdir -p "$run" "$tmp/empty"
printf '<?xml version="1.0"?>\n<fontconfig></fontconfig>\n' >"$tmp/fonts.conf"
inst() {
    (cd "$run" && env -u MAILSIM_PATH -u MAILSIM_ASSETS -u MAILSIM_FONT HOME="$tmp/empty" \
        XDG_DATA_HOME="$tmp/empty" XDG_DATA_DIRS="$tmp/empty" FONTCONFIG_FILE="$tmp/fonts.conf" \
        "$p/bin/mailsim" "$@")
}
inst --version | grep -q '^mailsim [0-9]' || fail "--version"
inst --list >"$tmp/list" || fail "--list failed"
grep -q "^$(cd "$p" && pwd -P)/share/mailsim/scenarios (installed):\$" "$tmp/list" ||
    fail "--list does not show the installed folder: $(head -n 3 "$tmp/list")"
[ "$(grep -c '^  [0-9][0-9] ' "$tmp/list")" -eq "$n" ] || fail "--list shows not $n lessons: $(cat "$tmp/list")"
grep -q '^  03  server-down-two-hours  *Bob.s server is down for two hours$' "$tmp/list" ||
    fail "--list has no line for lesson 03: $(cat "$tmp/list")"
inst --transcript 01 | grep -q 'C: EHLO' || fail "--transcript 01"
inst --transcript server-down | grep -q '^mailsim: 03 ' || fail "--transcript server-down"
inst --list-names | grep -qx '05-photo-attachment' || fail "--list-names"
if inst --transcript 99 2>"$tmp/err"; then fail "--transcript 99 succeeded"; else rc=$?; fi
[ "$rc" -eq 3 ] || fail "--transcript 99 exited $rc, not 3"
grep -q '^99: no such file or lesson; the lessons are: 01-alice-to-bob, ' "$tmp/err" ||
    fail "an unknown lesson does not list the lessons: $(cat "$tmp/err")"
inst --render-step 3 --menu lessons --size 1280x720 --out "$tmp/pick.png" 2>"$tmp/err" ||
    fail "the installed program cannot draw (fonts?): $(cat "$tmp/err")"
echo "ok: the installed program alone lists the lessons, opens 01 and server-down, refuses 99 with the list, draws the picker"

# The completion: options from --help, lesson names and numbers.
complete_words() { # the words completed for the command line "$@"
    bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mailsim mailsim
        printf "%s\n" "${COMPREPLY[@]}"' "$p/share/bash-completion/completions/mailsim" "$@"
}
export PATH="$p/bin:$PATH"
(cd "$run" && complete_words mailsim --the) | grep -qx -- '--theme' || fail "completion of --the"
(cd "$run" && complete_words mailsim --theme l) | grep -qx light || fail "completion of --theme l"
(cd "$run" && complete_words mailsim 03) | grep -qx 03-server-down-two-hours ||
    fail "completion of 03"
(cd "$run" && complete_words mailsim --transcript server-d) | grep -qx server-down-two-hours ||
    fail "completion of server-d"
echo "ok: bash completion offers options, their values and lesson names"

make --no-print-directory -s uninstall PREFIX=/opt/ms DESTDIR="$tmp" >/dev/null
left=$(find "$tmp/opt" -type f)
[ -z "$left" ] || fail "uninstall left: $left"
echo "ok: make uninstall removed every file"
