#!/usr/bin/env python3
# score.py: score article-body predictions against ground truth the way
# scrapinghub/article-extraction-benchmark defines it (its evaluate.py): text is split into
# \w+ tokens (Unicode, case kept), each text becomes a multiset of 4-token shingles, each
# page gets TP/FP/FN normalised to sum 1, precision and recall are the means over pages
# (pages where they are undefined left out), F1 is their harmonic mean.
# Written for Heron from that definition; prints one line per predictions file.
#
# Usage: score.py GROUND_TRUTH.json NAME=PRED.json...
#
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import re
import sys
from collections import Counter

WORD = re.compile(r'\w+', re.UNICODE)


def shingles(text, n=4):
    toks = WORD.findall(text or '')
    grams = [tuple(toks[i:i + n]) for i in range(0, max(1, len(toks) - n + 1))]
    return Counter(g for g in grams if g)


def page_counts(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = fp = fn = 0
    for k in set(t) | set(p):
        tp += min(t[k], p[k])
        fp += max(0, p[k] - t[k])
        fn += max(0, t[k] - p[k])
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def precision(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def recall(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def score(gt, pred, keys):
    counts = [page_counts(gt[k].get('articleBody', ''), pred.get(k, {}).get('articleBody', ''))
              for k in keys]
    ps = [precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [recall(*c) for c in counts if c[0] + c[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def is_cjk_page(text):
    cjk = sum(1 for ch in text if '\u4e00' <= ch <= '\u9fff')
    return cjk > len(text) * 0.2


def main():
    gt = json.load(open(sys.argv[1], encoding='utf8'))
    groups = {'all': list(gt)}
    zh = [k for k in gt if is_cjk_page(gt[k].get('articleBody', ''))]
    other = [k for k in gt if k not in set(zh)]
    if zh and other:
        groups['zh'] = zh
        groups['other'] = other
    for arg in sys.argv[2:]:
        name, path = arg.split('=', 1)
        pred = json.load(open(path, encoding='utf8'))
        for g, keys in groups.items():
            p, r, f = score(gt, pred, keys)
            print(f'{name:<12} {g:<4} pages {len(keys):>4}  precision {p:.3f}  recall {r:.3f}  '
                  f'F1 {f:.3f}')


if __name__ == '__main__':
    main()
