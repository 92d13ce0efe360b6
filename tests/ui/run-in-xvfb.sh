#!/usr/bin/env bash
# run-in-xvfb.sh: run a command in a private X server and D-Bus session with a throw-away
# HOME, as the UI tests need (see PITFALLS.md, "UI tests under Xvfb").
#   run-in-xvfb.sh [--screen WxH] -- command [args...]
# Exits 77 (skip) when xvfb-run or dbus-run-session is missing.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u

screen=1280x800
if [ "${1:-}" = "--screen" ]; then
  screen=$2
  shift 2
fi
[ "${1:-}" = "--" ] && shift

for tool in xvfb-run xauth dbus-run-session; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/heron-ui-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
chmod 700 "$tmp/runtime"

export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
       XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
export GDK_BACKEND=x11 GSK_RENDERER=cairo GDK_DEBUG=gl-disable GTK_A11Y=none
export NO_AT_BRIDGE=1
# libsecret's file backend: without it the first keyring lookup (Preferences → Web asks
# whether API keys are saved) activates gnome-keyring-daemon on this D-Bus session, which
# outlives the test holding its output open, so meson waits for it until the timeout.
export SECRET_BACKEND="${SECRET_BACKEND:-file}" \
       SECRET_FILE_TEST_PATH="${SECRET_FILE_TEST_PATH:-$tmp/data/test.keyring}" \
       SECRET_FILE_TEST_PASSWORD="${SECRET_FILE_TEST_PASSWORD:-test}"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

dbus-run-session -- xvfb-run -a -s "-screen 0 ${screen}x24 -nolisten tcp" "$@"
