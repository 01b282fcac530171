#!/bin/sh
# Run the README's commands on a fresh Debian 12 system: a debootstrap chroot
# holding only build-essential, git and ca-certificates, with a clone of this
# repository's HEAD. Catches an install step that a developer's machine hides.
#
#   sudo sh scripts/fresh-debian.sh DIR            # 'CI=1 make test' (with make web), then 'make run'
#   sudo sh scripts/fresh-debian.sh DIR web        # any make targets instead
#
# DIR is created (and reused when it already holds a system). Needs root,
# debootstrap and access to deb.debian.org. /proc, /sys and /dev are mounted
# inside DIR while the commands run and unmounted after, also on failure.
# Exit status: that of the first make command that fails, else 0.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh scripts/fresh-debian.sh DIR [make-target...]" >&2
    exit 2
fi
root=$1
shift
if [ "$(id -u)" -ne 0 ]; then
    echo "fresh-debian: needs root (debootstrap and chroot)" >&2
    exit 2
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "fresh-debian: debootstrap is not installed (apt-get install debootstrap)" >&2
    exit 2
fi
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
mirror=${MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$root/usr/bin/apt-get" ]; then
    echo "fresh-debian: debootstrap bookworm into $root"
    debootstrap --variant=minbase --include=build-essential,git,ca-certificates \
        bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
        echo "fresh-debian: debootstrap failed; see $root.debootstrap.log" >&2
        exit 1
    }
    # What a Debian 12 installation lists: the release, its updates, security.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

mounted=""
cleanup() {
    for m in $mounted; do umount "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
mount -t proc proc "$root/proc" && mounted="proc $mounted"
mount -t sysfs sys "$root/sys" && mounted="sys $mounted"
mount --bind /dev "$root/dev" && mounted="dev $mounted"
mount --bind /dev/pts "$root/dev/pts" && mounted="dev/pts $mounted"

rm -rf "$root/root/mailsim"
git clone -q "$repo" "$root/root/mailsim"
echo "fresh-debian: testing $(git -C "$repo" rev-parse --short HEAD) in $root"

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive "$@"
}

if [ $# -eq 0 ]; then
    start=$(date +%s)
    in_root CI=1 sh -c 'cd /root/mailsim && make test'
    echo "fresh-debian: CI=1 make test passed in $(($(date +%s) - start)) s"
    # No display in the chroot: make run must say so and print the dialogue.
    in_root sh -c 'cd /root/mailsim && make run' >"$root.run.log" 2>&1
    grep -q 'no display' "$root.run.log" && grep -q '^.*S: 220 ' "$root.run.log" || {
        echo "fresh-debian: make run printed no dialogue; see $root.run.log" >&2
        exit 1
    }
    echo "fresh-debian: make run printed the lesson's dialogue ($root.run.log)"
else
    in_root sh -c "cd /root/mailsim && make $*"
fi
