#!/bin/sh
# Runs the suite. The keyring tests need a real Secret Service: when
# gnome-keyring is installed they run inside a private D-Bus session with an
# unlocked throwaway keyring; elsewhere they are skipped, and say so.
set -eu
python="$1"
shift

export QT_QPA_PLATFORM=offscreen
if command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null; then
    exec dbus-run-session -- sh -c '
        export HOME="$(mktemp -d)"
        printf "storehook-test\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        export STOREHOOK_TEST_SECRET_SERVICE=1
        exec "$0" -m pytest "$@"
    ' "$python" "$@"
fi
exec "$python" -m pytest "$@"
