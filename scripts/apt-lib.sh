# apt-lib.sh -- what scripts/deps.sh and scripts/deps-web.sh share; sourced,
# not run. POSIX sh, for 'set -eu' callers.
#   apt_missing PKG...   set $missing to the packages dpkg does not have installed
#   apt_sudo ROOT_CMD    check that apt-get exists and set $SUDO ("" as root,
#                        "sudo" otherwise); without apt-get, name $missing to
#                        install by hand; without root or sudo, say to run
#                        ROOT_CMD as root; both exit 1

apt_missing() {
    missing=""
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing="$missing $p"
        fi
    done
}

apt_sudo() {
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
            echo "mailsim: not root and sudo is not installed; run as root: $1" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
}
