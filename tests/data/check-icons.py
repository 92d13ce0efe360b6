#!/usr/bin/env python3
# check-icons.py: the app icons are well-formed SVG of the sizes the icon theme expects,
# and the symbolic icon is single-colour (GTK recolours it).
#   check-icons.py SOURCE_ROOT          (TAP output)
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import sys
import xml.etree.ElementTree as ET

APP_ID = 'io.github.heronchat.Heron'
SVG = '{http://www.w3.org/2000/svg}'


def main():
    root = sys.argv[1]
    icons = os.path.join(root, 'data', 'icons', 'hicolor')
    cases = [
        ('scalable', os.path.join(icons, 'scalable', 'apps', APP_ID + '.svg'), '0 0 128 128'),
        ('symbolic', os.path.join(icons, 'symbolic', 'apps', APP_ID + '-symbolic.svg'), '0 0 16 16'),
    ]
    results = []
    for kind, path, viewbox in cases:
        try:
            tree = ET.parse(path)
        except (OSError, ET.ParseError) as e:
            results.append((False, '%s icon parses (%s)' % (kind, e)))
            continue
        svg = tree.getroot()
        results.append((svg.tag == SVG + 'svg' and svg.get('viewBox') == viewbox,
                        '%s icon is an SVG with viewBox "%s"' % (kind, viewbox)))
        if kind == 'symbolic':
            text = open(path, encoding='utf-8').read()
            colours = set(re.findall(r'#[0-9a-fA-F]{3,6}\b', text)) - {'#2e3436'}
            results.append((not colours and 'Gradient' not in text,
                            'symbolic icon uses only #2e3436, no gradients'))
    print('1..%d' % len(results))
    for i, (ok, what) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, what))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
