#!/usr/bin/env bash
# Heron's one-command set-up on Debian 12.
#   ./dev.sh run    install build dependencies, build, launch the app
#   ./dev.sh test   install build dependencies, build, run every test (plain and ASan/UBSan)
#   ./dev.sh deps   only install the packages
# Build folders: build/ (plain) and build-asan/ (sanitizers).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential pkg-config meson ninja-build gettext python3
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libgtk-4-bin libadwaita-1-dev libsoup-3.0-dev
  libjson-glib-dev libsqlite3-dev libopenblas-dev libxml2-dev libpoppler-glib-dev
  libmd4c-dev libgtksourceview-5-dev libsecret-1-dev
  appstream desktop-file-utils
  glib-networking  # https for the web features (libsoup only recommends it)
)
TEST_PACKAGES=(
  xvfb xauth xdotool imagemagick dbus fonts-wqy-microhei sqlite3 gnome-keyring openssl
  clang libclang-rt-14-dev
)

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "dev.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "dev.sh: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
}

setup_build() {  # dir [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

summary() {  # one "N passed, N failed" line per build, from meson's log
  python3 - "$1/meson-logs/testlog.json" "$1" <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    counts[r] = counts.get(r, 0) + 1
ok = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
bad = sum(v for k, v in counts.items() if k not in ("OK", "EXPECTEDFAIL", "SKIP"))
print(f"{sys.argv[2]}: {ok} passed, {bad} failed, {counts.get('SKIP', 0)} skipped")
PY
}

cmd=${1:-}
case "$cmd" in
  deps)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    ;;
  run)
    install_packages "${PACKAGES[@]}"
    setup_build build
    # Run from the build tree: schemas and translations come from there.
    export GSETTINGS_SCHEMA_DIR="$PWD/build/data"
    exec ./build/src/ui/heron "${@:2}"
    ;;
  test)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    status=0
    setup_build build
    meson test -C build --print-errorlogs --num-processes 2 --timeout-multiplier 2 || status=1
    summary build
    if [ "${HERON_SKIP_ASAN:-0}" != 1 ]; then
      setup_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0 \
        meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 6 \
        --no-suite slow || status=1
      summary build-asan
    fi
    exit $status
    ;;
  *)
    echo "usage: ./dev.sh run | test | deps" >&2
    exit 2
    ;;
esac
