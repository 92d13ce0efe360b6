#!/bin/sh
# run-bench.sh: extraction benchmark. Runs bench-extract over the pages set up by setup.sh,
# Mozilla Readability over the same pages when node and its modules are there
# (tests/bench/extract/node_modules, or READABILITY_MODULES=<dir>/node_modules), and prints
# precision / recall / F1 for both. Exits 77 (skip) when the pages are not set up.
# Chinese pages (data-zh, see setup.sh) are scored separately when present.
# Usage: run-bench.sh BENCH_EXTRACT_BINARY [DATA_DIR]
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
data=${2:-${HERON_EXTRACT_BENCH_DATA:-$here/data}}
if [ ! -f "$data/ground-truth.json" ]; then
  echo "extraction benchmark data not set up: run tests/bench/extract/setup.sh <checkout>"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
modules=${READABILITY_MODULES:-$here/node_modules}
zh=${HERON_EXTRACT_BENCH_DATA_ZH:-$here/data-zh}
for set in "$data" "$zh"; do
  [ -f "$set/ground-truth.json" ] || continue
  echo "== $(basename "$set")"
  "$bin" "$set" "$tmp/heron.json"
  preds="heron=$tmp/heron.json"
  if command -v node >/dev/null && [ -d "$modules/@mozilla/readability" ]; then
    READABILITY_MODULES=$modules node "$here/readability.mjs" "$set" "$tmp/readability.json"
    preds="$preds readability=$tmp/readability.json"
  else
    echo "readability.js: not run (needs node and npm install @mozilla/readability jsdom)"
  fi
  python3 "$here/score.py" "$set/ground-truth.json" $preds
done
