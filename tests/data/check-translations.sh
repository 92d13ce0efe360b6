#!/usr/bin/env bash
# check-translations.sh: every language in po/LINGUAS translates every string of the current
# sources, without fuzzy entries.
#   check-translations.sh SOURCE_ROOT BUILD_ROOT
# The template is made afresh from po/POTFILES.in (not the committed heron.pot), so a string
# that someone adds later fails this test until it is translated (run po/update-po.sh, then
# translate the empty entries).
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
src=$1
build=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/heron-po-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

if ! (cd "$src" && xgettext --from-code=UTF-8 --add-comments=Translators \
        --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
        --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
        --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
        --files-from=po/POTFILES.in --output="$tmp/heron.pot" 2> "$tmp/xgettext.log"); then
  cat "$tmp/xgettext.log"
  echo "1..1"
  echo "not ok 1 - xgettext could not read the files in po/POTFILES.in"
  exit 1
fi
strings=$(grep -c '^msgid ' "$tmp/heron.pot")

while read -r lang; do
  case "$lang" in ''|'#'*) continue ;; esac
  po="$src/po/$lang.po"
  if ! msgfmt --check -o /dev/null "$po" 2> "$tmp/msgfmt.log"; then
    sed 's/^/# /' "$tmp/msgfmt.log"
    not_ok "$lang.po passes msgfmt --check"
    continue
  fi
  ok "$lang.po passes msgfmt --check"

  # No fuzzy matching: a changed string must be translated again, not guessed.
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/heron.pot"
  untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  # Each msgattrib output that is not empty starts with the header entry.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -ne 0 ]; then
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid' | sed 's/^/# /' | head -60
    not_ok "$lang.po translates all $((strings - 1)) strings ($untranslated untranslated; run po/update-po.sh)"
  else
    ok "$lang.po translates all $((strings - 1)) strings"
  fi
  if [ "$fuzzy" -ne 0 ]; then
    msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep '^msgid' | sed 's/^/# /' | head -20
    not_ok "$lang.po has no fuzzy entries ($fuzzy fuzzy)"
  else
    ok "$lang.po has no fuzzy entries"
  fi

  mo="$build/po/$lang/LC_MESSAGES/heron.mo"
  if [ -f "$mo" ]; then
    ok "$lang: heron.mo is built in the build tree"
  else
    not_ok "$lang: heron.mo is built in the build tree ($mo)"
  fi
  # Merge the desktop and metainfo files here, as the build does (meson does not re-merge
  # them when only a .po file changed, so the build tree's copies may be stale).
  msgfmt --desktop -l "$lang" --template="$src/data/io.github.heronchat.Heron.desktop.in" \
    -o "$tmp/heron.desktop" "$po"
  if grep -q "^Comment\[$lang\]=" "$tmp/heron.desktop" && grep -q "^Keywords\[$lang\]=" "$tmp/heron.desktop"; then
    ok "$lang: the desktop file is translated"
  else
    not_ok "$lang: the desktop file is translated"
  fi
  msgfmt --xml -l "$lang" --template="$src/data/io.github.heronchat.Heron.metainfo.xml.in" \
    -o "$tmp/heron.metainfo.xml" "$po"
  if grep -q "<summary xml:lang=\"$lang\">" "$tmp/heron.metainfo.xml" && \
     grep -q "<p xml:lang=\"$lang\">" "$tmp/heron.metainfo.xml"; then
    ok "$lang: the metainfo file is translated"
  else
    not_ok "$lang: the metainfo file is translated"
  fi
done < "$src/po/LINGUAS"

echo "1..$n"
exit $fail
