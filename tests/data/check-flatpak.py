#!/usr/bin/env python3
# check-flatpak.py: the Flatpak manifest parses, asks only for the sandbox holes Heron
# needs, pins every download by sha256, and builds every library from meson.build's
# dependency() list that the GNOME runtime does not ship.
#   check-flatpak.py SOURCE_ROOT          (TAP output)
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import os
import re
import sys

APP_ID = 'io.github.heronchat.Heron'

# pkg-config names that org.gnome.Platform (and the freedesktop runtime under it) provides.
# GLib, GTK 4, libadwaita, libsoup 3, json-glib, SQLite, libxml2, GtkSourceView 5 and
# libsecret are elements of gnome-build-meta's SDK (the source of org.gnome.Platform);
# pthreads and libm come with the C library. Poppler, md4c and OpenBLAS are not in it.
# This cannot be checked offline: re-check when bumping runtime-version.
RUNTIME_PROVIDES = {
    'threads', 'glib-2.0', 'gio-2.0', 'gobject-2.0', 'gtk4', 'libadwaita-1', 'libsoup-3.0',
    'json-glib-1.0', 'sqlite3', 'libxml-2.0', 'gtksourceview-5', 'libsecret-1',
}
# dependency() name -> manifest module that builds it.
MODULE_FOR = {
    'openblas': 'openblas',
    'cblas': 'openblas',
    'poppler-glib': 'poppler',
    'md4c': 'md4c',
}
REQUIRED_FINISH_ARGS = {
    '--share=network', '--share=ipc', '--socket=wayland', '--socket=fallback-x11',
    '--device=dri',
}

results = []


def check(ok, what, details=()):
    results.append((ok, what, list(details)))


def meson_dependencies(root):
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        text = f.read()
    text = re.sub(r'#[^\n]*', '', text)
    return sorted(set(re.findall(r"\bdependency\(\s*'([^']+)'", text)))


def main():
    root = sys.argv[1]
    path = os.path.join(root, 'flatpak', APP_ID + '.json')
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
        check(True, 'the manifest parses as JSON')
    except (OSError, ValueError) as e:
        check(False, 'the manifest parses as JSON', [str(e)])
        return report()

    check(manifest.get('id') == APP_ID or manifest.get('app-id') == APP_ID, 'app id is ' + APP_ID)
    check(manifest.get('runtime') == 'org.gnome.Platform' and manifest.get('sdk') == 'org.gnome.Sdk',
          'uses the GNOME runtime and SDK')
    check(re.fullmatch(r'\d+', str(manifest.get('runtime-version', ''))) is not None,
          'runtime-version is a stable GNOME release',
          ['runtime-version: %r' % manifest.get('runtime-version')])
    check(manifest.get('command') == 'heron', 'command is heron')

    args = manifest.get('finish-args', [])
    missing = REQUIRED_FINISH_ARGS - set(args)
    extra = set(args) - REQUIRED_FINISH_ARGS
    check(not missing, 'finish-args include network, ipc, wayland, fallback-x11 and dri',
          ['missing: ' + a for a in sorted(missing)])
    check(not extra, 'finish-args ask for nothing more (files go through portals)',
          ['not needed: ' + a for a in sorted(extra)])

    modules = manifest.get('modules', [])
    names = [m.get('name') for m in modules if isinstance(m, dict)]
    check(names and names[-1] == 'heron', 'heron is the last module')

    unpinned = []
    for m in modules:
        for s in m.get('sources', []) if isinstance(m, dict) else []:
            if s.get('type') in ('archive', 'file'):
                if not s.get('url', '').startswith('https://'):
                    unpinned.append('%s: %s is not an https URL' % (m['name'], s.get('url')))
                if not re.fullmatch(r'[0-9a-f]{64}', s.get('sha256', '')):
                    unpinned.append('%s: %s has no sha256' % (m['name'], s.get('url')))
            elif s.get('type') == 'git' and not s.get('commit'):
                unpinned.append('%s: git source without a commit' % m['name'])
    check(not unpinned, 'every download is pinned by sha256 (or a git commit)', unpinned)

    uncovered = []
    deps = meson_dependencies(root)
    for dep in deps:
        if dep in RUNTIME_PROVIDES:
            continue
        module = MODULE_FOR.get(dep)
        if module is None:
            uncovered.append("%s: unknown to this test; add a module for it to the manifest and "
                             "to MODULE_FOR, or to RUNTIME_PROVIDES if the runtime has it" % dep)
        elif module not in names:
            uncovered.append('%s: no "%s" module in the manifest' % (dep, module))
        elif names.index(module) > names.index('heron'):
            uncovered.append('%s: module "%s" comes after heron' % (dep, module))
    check(not uncovered, 'modules cover every dependency() the runtime lacks (%d dependencies)'
          % len(deps), uncovered)
    return report()


def report():
    print('1..%d' % len(results))
    for i, (ok, what, details) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, what))
        for d in details if not ok else []:
            print('# ' + d)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
