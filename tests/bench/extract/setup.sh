#!/bin/sh
# setup.sh: copy the pages and ground truth of scrapinghub/article-extraction-benchmark
# (MIT licence) from a checkout of it into tests/bench/extract/data, and optionally those of
# immortal-autumn/Chinese-Web-Content-Extraction-Dataset (MIT licence: original/*.html with
# cleaned/*.txt as ground truth) into tests/bench/extract/data-zh in the same layout
# (html/<key>.html.gz, ground-truth.json). Neither is committed (7 MB).
# Usage: tests/bench/extract/setup.sh /path/to/article-extraction-benchmark [/path/to/chinese]
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
src=${1:?usage: setup.sh /path/to/article-extraction-benchmark [/path/to/chinese-dataset]}
here=$(cd "$(dirname "$0")" && pwd)
for f in ground-truth.json LICENSE html; do
  [ -e "$src/$f" ] || { echo "setup.sh: $src/$f is missing" >&2; exit 1; }
done
mkdir -p "$here/data"
cp -r "$src/html" "$src/ground-truth.json" "$src/LICENSE" "$here/data/"
echo "copied $(ls "$here/data/html" | wc -l) pages into $here/data"

if [ $# -ge 2 ]; then
  zh=$2
  for f in LICENSE original cleaned; do
    [ -e "$zh/$f" ] || { echo "setup.sh: $zh/$f is missing" >&2; exit 1; }
  done
  mkdir -p "$here/data-zh/html"
  cp "$zh/LICENSE" "$here/data-zh/"
  python3 - "$zh" "$here/data-zh" <<'PY'
import gzip, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
gt = {}
for name in sorted(os.listdir(os.path.join(src, 'original'))):
    key, ext = os.path.splitext(name)
    txt = os.path.join(src, 'cleaned', key + '.txt')
    if ext != '.html' or not os.path.exists(txt):
        continue
    with open(os.path.join(src, 'original', name), 'rb') as f:
        raw = f.read()
    with gzip.open(os.path.join(dst, 'html', key + '.html.gz'), 'wb') as f:
        f.write(raw)
    with open(txt, encoding='utf-8', errors='replace') as f:
        gt[key] = {'articleBody': f.read()}
with open(os.path.join(dst, 'ground-truth.json'), 'w', encoding='utf-8') as f:
    json.dump(gt, f, ensure_ascii=False)
print(f'converted {len(gt)} Chinese pages into {dst}')
PY
fi
