#!/usr/bin/env bash
# smoke.sh: run the real heron under Xvfb.
#   smoke.sh MODE HERON BUILD_ROOT OUT_DIR
# MODE wide    1280×800 window: screenshot, clean quit, window size restored from GSettings
#      narrow  400 px wide window: screenshot (the sidebar folds away)
#      dark    color-scheme 'dark' stored in GSettings: the screenshot is dark
#      input   real keyboard input with xdotool: type in the composer, Shift+Enter, Enter
#              sends; Ctrl+, opens Preferences; resize; Ctrl+Q saves the window size
#      zh_CN   LANGUAGE=zh_CN: screenshot; Preferences opens with its Chinese title
# Exits 77 (skip) when xvfb-run, xdotool, ImageMagick or gapplication is missing.
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
mode=$1 heron=$2 build=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${HERON_SMOKE_INNER:-}" ]; then
  screen=1280x800
  [ "$mode" = narrow ] && screen=400x800
  for tool in xdotool import convert gapplication python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "1..0 # SKIP $tool is not installed"; exit 77; }
  done
  mkdir -p "$out"
  HERON_SMOKE_INNER=1 exec "$here/run-in-xvfb.sh" --screen "$screen" -- "$0" "$@"
fi

export GSETTINGS_SCHEMA_DIR="$build/data" HERON_LOCALEDIR="$build/po"
export GSETTINGS_BACKEND=keyfile G_MESSAGES_DEBUG='heron-chat-view heron-window'
# Criticals always abort; warnings too, as in every other test.
export G_DEBUG=fatal-warnings,fatal-criticals
keyfile="$XDG_CONFIG_HOME/glib-2.0/settings/keyfile"
log="$out/heron-$mode.log"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
finish() {
  echo "1..$n"
  [ $failed -eq 0 ] || { echo "# log ($log):"; sed 's/^/#   /' "$log" | tail -40; }
  exit $failed
}

set_window_size() {  # width height [extra keyfile line]
  mkdir -p "$(dirname "$keyfile")"
  printf '[io/github/heronchat/Heron]\nwindow-width=%s\nwindow-height=%s\n%s\n' "$1" "$2" "${3:-}" \
    > "$keyfile"
}

brightness() {  # png -> mean grey level, 0 (black) to 100 (white)
  convert "$1" -colorspace Gray -format '%[fx:int(100*mean)]' info: 2>/dev/null
}

size_near() {  # png width height: the window widget is the stored size minus the CSD
  local size w h
  size=$(png_size "$1") || return 1
  w=${size%x*} h=${size#*x}
  [ "$w" -le "$2" ] && [ "$w" -ge $(($2 - 20)) ] && [ "$h" -le "$3" ] && [ "$h" -ge $(($3 - 20)) ]
}

png_size() {  # prints "WxH" of a PNG
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1" 2>/dev/null
}

wait_for_window() {  # name-regex -> prints the window id
  timeout 60 xdotool search --sync --onlyvisible --name "$1" 2>/dev/null | head -n 1
}

close_window() {  # id: Escape closes Heron's dialogs; wait until the window is gone
  timeout 10 xdotool windowfocus --sync "$1" 2>/dev/null
  xdotool key Escape
  for _ in $(seq 1 100); do
    xdotool search --onlyvisible --name '.' 2>/dev/null | grep -qx "$1" || return 0
    sleep 0.1
  done
  return 1
}

wait_for_log() {  # pattern
  for _ in $(seq 1 200); do
    grep -q "$1" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

screenshot_run() {  # png width height [keyfile line] -> runs heron until the screenshot is saved
  local png=$1
  rm -f "$png"
  set_window_size "$2" "$3" "${4:-}"
  HERON_SCREENSHOT="$png" HERON_QUIT_AFTER_SCREENSHOT=1 timeout 120 "$heron" > "$log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] && ok "heron exits with 0 after the screenshot" || not_ok "heron exits with 0 (got $rc)"
  if [ -s "$png" ]; then ok "screenshot saved: $png ($(png_size "$png"))"; else not_ok "screenshot saved: $png"; fi
}

case "$mode" in
  wide)
    screenshot_run "$out/window.png" 1280 800
    size_near "$out/window.png" 1280 800 && ok "the window got the size stored in GSettings" \
      || not_ok "the window got the size stored in GSettings (png is $(png_size "$out/window.png"))"
    level=$(brightness "$out/window.png")
    [ "${level:-0}" -ge 60 ] && ok "the default style is light here (brightness $level)" \
      || not_ok "the default style is light here (brightness $level)"
    ;;

  dark)
    screenshot_run "$out/dark.png" 1280 800 "color-scheme='dark'"
    level=$(brightness "$out/dark.png")
    [ -n "$level" ] && [ "$level" -le 40 ] && ok "the stored dark style is applied (brightness $level)" \
      || not_ok "the stored dark style is applied (brightness $level)"
    ;;

  narrow)
    screenshot_run "$out/narrow.png" 400 760
    size_near "$out/narrow.png" 400 760 && ok "the window is 400 px wide" \
      || not_ok "the window is 400 px wide (png is $(png_size "$out/narrow.png"))"
    ;;

  input|zh_CN)
    if [ "$mode" = zh_CN ]; then
      export LANG=C.UTF-8 LANGUAGE=zh_CN
      prefs_title='^首选项$'
    else
      export LANG=C.UTF-8 LANGUAGE=en
      prefs_title='^Preferences$'
    fi
    set_window_size 900 600
    rm -f "$out/$mode-window.png"
    HERON_SCREENSHOT="$out/$mode-window.png" timeout 120 "$heron" > "$log" 2>&1 &
    pid=$!
    wid=$(wait_for_window '^Heron$')
    if [ -z "$wid" ]; then
      not_ok "the main window is mapped"
      kill "$pid" 2>/dev/null
      finish
    fi
    ok "the main window is mapped"
    timeout 10 xdotool windowfocus --sync "$wid" 2>/dev/null

    if [ "$mode" = input ]; then
      # The composer has the focus when the window opens.
      xdotool type --delay 15 "Hello Heron"
      xdotool key shift+Return
      xdotool type --delay 15 "second line"
      xdotool key Return
      wait_for_log "send-requested: 23 characters, 2 lines" \
        && ok "typed text with Shift+Enter arrives as one 2-line message on Enter" \
        || not_ok "typed text with Shift+Enter arrives as one 2-line message on Enter"
      # Only for people looking at it: let the page transition finish first.
      sleep 1
      import -window root "$out/input-sent.png" 2>/dev/null
    fi

    if [ "$mode" = input ]; then
      # Single instance: a second heron hands over to the first one and exits.
      timeout 60 "$heron" >> "$log" 2>&1
      rc=$?
      count=$(xdotool search --onlyvisible --name '^Heron$' 2>/dev/null | wc -l)
      [ $rc -eq 0 ] && [ "$count" -eq 1 ] && ok "a second heron exits 0 and opens no second window" \
        || not_ok "a second heron exits 0 and opens no second window (exit $rc, $count windows)"

      gapplication action io.github.heronchat.Heron about
      about=$(wait_for_window '^About')
      [ -n "$about" ] && ok "app.about opens the About window" || not_ok "app.about opens the About window"
      if [ -n "$about" ]; then
        close_window "$about" && ok "Escape closes the About window" \
          || not_ok "Escape closes the About window"
      fi
      timeout 10 xdotool windowfocus --sync "$wid" 2>/dev/null
    fi

    xdotool key ctrl+comma
    prefs=$(wait_for_window "$prefs_title")
    [ -n "$prefs" ] && ok "Ctrl+, opens the Preferences window ($prefs_title)" \
      || not_ok "Ctrl+, opens the Preferences window ($prefs_title)"
    sleep 0.5
    import -window root "$out/$mode-preferences.png" 2>/dev/null
    if [ -n "$prefs" ]; then
      close_window "$prefs" && ok "Escape closes the Preferences window" \
        || not_ok "Escape closes the Preferences window"
    fi

    if [ "$mode" = input ]; then
      timeout 10 xdotool windowsize --sync "$wid" 1000 700 2>/dev/null
      # The X server has the new size; wait until the window has it too (a busy machine
      # can deliver the configure event after Ctrl+Q otherwise).
      for _ in $(seq 1 100); do
        grep -q 'window size: 1000x700' "$log" && break
        sleep 0.1
      done
    fi
    timeout 10 xdotool windowfocus --sync "$wid" 2>/dev/null
    xdotool key ctrl+q
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill "$pid"
    wait "$pid"
    rc=$?
    [ $rc -eq 0 ] && ok "Ctrl+Q quits with exit code 0" || not_ok "Ctrl+Q quits with exit code 0 (got $rc)"
    [ -s "$out/$mode-window.png" ] && ok "screenshot saved: $out/$mode-window.png" \
      || not_ok "screenshot saved: $out/$mode-window.png"
    if [ "$mode" = input ]; then
      grep -q '^window-width=1000$' "$keyfile" && grep -q '^window-height=700$' "$keyfile" \
        && ok "the new window size is saved in GSettings" \
        || { not_ok "the new window size is saved in GSettings"; sed 's/^/# /' "$keyfile"; }
    fi
    ;;

  *)
    echo "smoke.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
finish
