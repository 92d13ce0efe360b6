#!/usr/bin/env python3
# check-icon-buttons.py: every button that shows only an icon has a tooltip and an
# accessible label, both translatable (screen readers and mouse users need words).
#   check-icon-buttons.py DIR_OR_UI_FILE...     (TAP output; folders: every *.ui inside)
# SPDX-License-Identifier: GPL-3.0-or-later
import glob
import os
import sys
import xml.etree.ElementTree as ET

BUTTONS = {'GtkButton', 'GtkToggleButton', 'GtkMenuButton', 'AdwSplitButton'}


def props(obj):
    return {p.get('name'): p for p in obj.findall('property')}


def main():
    results = []
    paths = []
    for arg in sys.argv[1:]:
        paths += sorted(glob.glob(os.path.join(arg, '**', '*.ui'), recursive=True)) \
            if os.path.isdir(arg) else [arg]
    for path in paths:
        for obj in ET.parse(path).iter('object'):
            if obj.get('class') not in BUTTONS:
                continue
            p = props(obj)
            if 'icon-name' not in p or 'label' in p:
                continue
            name = '%s: %s %s' % (os.path.basename(path), obj.get('class'),
                                  obj.get('id') or p['icon-name'].text)
            tooltip = p.get('tooltip-text')
            results.append((tooltip is not None and tooltip.get('translatable') == 'yes',
                            name + ' has a translatable tooltip'))
            a11y = obj.find('accessibility')
            label = None
            if a11y is not None:
                label = next((q for q in a11y.findall('property') if q.get('name') == 'label'), None)
            results.append((label is not None and label.get('translatable') == 'yes',
                            name + ' has a translatable accessible label'))
    print('1..%d' % len(results))
    for i, (ok, what) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, what))
    return 0 if results and all(ok for ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
