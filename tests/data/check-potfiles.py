#!/usr/bin/env python3
# check-potfiles.py: every source file with translatable strings must be listed in
# po/POTFILES.in, and every listed file must exist.
#   check-potfiles.py SOURCE_ROOT            check (TAP output, exit 1 on failure)
#   check-potfiles.py SOURCE_ROOT --list     print the files that need translating
#   check-potfiles.py SOURCE_ROOT --macros   check that no G_*_FORMAT macro sits inside _()
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import sys

# _("..."), N_("..."), C_("ctx", "..."), NC_(...), but not some_func_(...) identifiers.
C_MARKER = re.compile(r'(?<![A-Za-z0-9_])(?:N_|C_|NC_|_)\s*\(')
UI_MARKER = re.compile(r'translatable\s*=\s*"(?:yes|true)"')
# _("... %" G_GINT64_FORMAT "...") cannot be translated: xgettext stops at the macro, so the
# catalogue's msgid never equals the string looked up at run time.
GLIB_FORMAT_IN_MSGID = re.compile(
    r'(?<![A-Za-z0-9_])(?:N_|C_|NC_|_)\s*\(\s*(?:"(?:[^"\\\n]|\\.)*"[\s,]*)+G_G?U?INT\w*_FORMAT')
SCANNED_DIRS = ('src', 'data')
C_SUFFIXES = ('.c', '.h')
XML_SUFFIXES = ('.ui', '.xml', '.xml.in')
# Files that are translated as a whole, whatever they contain.
WHOLE_FILE_SUFFIXES = ('.desktop.in', '.metainfo.xml.in')


def strip_c_comments(text):
    # Keeps the line breaks, so line numbers still match the file.
    return re.sub(r'/\*.*?\*/|//[^\n]*', lambda m: '\n' * m.group(0).count('\n'), text,
                  flags=re.S)


def needs_translation(path):
    name = os.path.basename(path)
    if name.endswith(WHOLE_FILE_SUFFIXES):
        return True
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except UnicodeDecodeError:
        return False
    if name.endswith('.gschema.xml'):
        return 'gettext-domain' in text
    if name.endswith(C_SUFFIXES):
        return C_MARKER.search(strip_c_comments(text)) is not None
    if name.endswith(XML_SUFFIXES):
        return UI_MARKER.search(text) is not None
    return False


def scan(root):
    found = []
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if needs_translation(path):
                    found.append(os.path.relpath(path, root))
    return sorted(found)


def read_potfiles(root):
    listed = []
    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                listed.append(line)
    return listed


def check_macros(root, needed):
    untranslatable = []
    for p in needed:
        if p.endswith(C_SUFFIXES):
            with open(os.path.join(root, p), encoding='utf-8') as f:
                text = strip_c_comments(f.read())
            for m in GLIB_FORMAT_IN_MSGID.finditer(text):
                line = text.count('\n', 0, m.start()) + 1
                untranslatable.append(f'{p}:{line}')
    print('1..1')
    if untranslatable:
        print('not ok 1 - translatable strings use G_*_FORMAT macros (they are never translated)')
        print('# use PRId64/PRIu64 from <inttypes.h> (xgettext and gettext handle <PRId64>),')
        print('# or format the number into a string first and pass it with %s:')
        for where in untranslatable:
            print(f'#   {where}')
        return 1
    print('ok 1 - no G_*_FORMAT macro inside a translatable string')
    return 0


def main():
    root = sys.argv[1]
    needed = scan(root)
    if '--list' in sys.argv[2:]:
        print('\n'.join(needed))
        return 0
    if '--macros' in sys.argv[2:]:
        return check_macros(root, needed)

    listed = read_potfiles(root)
    missing = [p for p in needed if p not in listed]
    absent = [p for p in listed if not os.path.exists(os.path.join(root, p))]
    ok = True
    print('1..3')
    if missing:
        ok = False
        print('not ok 1 - files with translatable strings missing from po/POTFILES.in')
        for p in missing:
            print(f'# add to po/POTFILES.in: {p}')
    else:
        print(f'ok 1 - all {len(needed)} files with translatable strings are in po/POTFILES.in')
    if absent:
        ok = False
        print('not ok 2 - po/POTFILES.in lists files that do not exist')
        for p in absent:
            print(f'# no such file: {p}')
    else:
        print('ok 2 - every file in po/POTFILES.in exists')
    if listed != sorted(listed):
        ok = False
        print('not ok 3 - po/POTFILES.in is not sorted')
    else:
        print('ok 3 - po/POTFILES.in is sorted')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
