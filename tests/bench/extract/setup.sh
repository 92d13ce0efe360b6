#!/bin/sh
# setup.sh: copy the pages and ground truth of scrapinghub/article-extraction-benchmark
# (MIT licence) from a checkout of it into tests/bench/extract/data (not committed: 7 MB).
# Usage: tests/bench/extract/setup.sh /path/to/article-extraction-benchmark
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
src=${1:?usage: setup.sh /path/to/article-extraction-benchmark}
here=$(cd "$(dirname "$0")" && pwd)
for f in ground-truth.json LICENSE html; do
  [ -e "$src/$f" ] || { echo "setup.sh: $src/$f is missing" >&2; exit 1; }
done
mkdir -p "$here/data"
cp -r "$src/html" "$src/ground-truth.json" "$src/LICENSE" "$here/data/"
echo "copied $(ls "$here/data/html" | wc -l) pages into $here/data"
