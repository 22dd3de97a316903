#!/bin/sh
# Installs the Debian packages Storehook needs beyond python3 and make:
# venv support, the shared libraries Qt loads even offscreen, and a Secret
# Service keyring (gnome-keyring in a D-Bus session) for the keyring tests.
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -eu

missing=""
python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
for lib in libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libglib-2.0.so.0 \
           libdbus-1.so.3 libGL.so.1 libxkbcommon-x11.so.0; do
    ldconfig -p 2>/dev/null | grep -q "$lib" || missing="$missing $lib"
done
command -v gnome-keyring-daemon >/dev/null || missing="$missing gnome-keyring"
command -v dbus-run-session >/dev/null || missing="$missing dbus"

[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null; then
    echo "Storehook needs:$missing (install them with your package manager)" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
        echo "Storehook needs:$missing; run 'make system-deps' as root." >&2
        exit 0
    fi
else
    SUDO=""
fi

echo "Installing system packages for:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    python3-venv libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 \
    libglib2.0-0 libdbus-1-3 fonts-dejavu-core \
    dbus dbus-x11 gnome-keyring libsecret-tools >/dev/null
