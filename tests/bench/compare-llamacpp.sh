#!/bin/sh
# compare-llamacpp.sh: prompt (pp) and generation (tg) speed of Heron against llama.cpp on the
# same GGUF files, same thread count, runs alternating between the two programs so that
# machine noise (other load, turbo, page cache) hits both alike. Prints tokens/s of each and
# the ratio Heron / llama.cpp per model.
#
#   tests/bench/compare-llamacpp.sh LLAMA_BENCH_PATH MODEL.gguf...
#
# Environment: HERON_CLI (default: build/src/cli/heron-cli of dev.sh, else in PATH), THREADS (2),
# P (prompt tokens, 128), N (generated tokens, 64), R (repetitions per run, 3),
# ROUNDS (alternating rounds per model, 2).
#
# Both programs measure the same thing (see llama-bench.cpp test_prompt / test_gen and
# heron-cli bench): pp = P random tokens in one batch from an empty cache, tg = N tokens
# decoded one at a time from an empty cache, after one warm-up run; figures are the mean of
# per-repetition tokens/s.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 LLAMA_BENCH_PATH MODEL.gguf..." >&2
  exit 2
fi
LLAMA_BENCH=$1
shift
if [ ! -x "$LLAMA_BENCH" ]; then
  echo "$0: $LLAMA_BENCH is not an executable llama-bench" >&2
  exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${HERON_CLI:-}" ]; then
  for c in "$HERE/../../build/src/cli/heron-cli"; do
    if [ -x "$c" ]; then HERON_CLI=$c; break; fi
  done
fi
HERON_CLI=${HERON_CLI:-heron-cli}
command -v "$HERON_CLI" >/dev/null 2>&1 || [ -x "$HERON_CLI" ] || {
  echo "$0: heron-cli not found; set HERON_CLI" >&2
  exit 2
}
command -v python3 >/dev/null 2>&1 || { echo "$0: python3 is needed to read JSON" >&2; exit 2; }

THREADS=${THREADS:-2}
P=${P:-128}
N=${N:-64}
R=${R:-3}
ROUNDS=${ROUNDS:-2}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), threads $THREADS"
echo "heron-cli: $HERON_CLI"
echo "llama-bench: $LLAMA_BENCH"
printf '%-40s %10s %10s %7s %10s %10s %7s %9s\n' model "pp$P llama" "pp$P heron" ratio \
  "tg$N llama" "tg$N heron" ratio "heron RSS"

for MODEL in "$@"; do
  if [ ! -r "$MODEL" ]; then
    echo "$0: cannot read $MODEL" >&2
    exit 1
  fi
  i=1
  while [ "$i" -le "$ROUNDS" ]; do
    "$LLAMA_BENCH" -m "$MODEL" -p "$P" -n "$N" -r "$R" -t "$THREADS" -o json \
      > "$TMP/llama-$i.json" 2> "$TMP/llama-$i.err" || {
        echo "$0: llama-bench failed on $MODEL:" >&2; cat "$TMP/llama-$i.err" >&2; exit 1; }
    "$HERON_CLI" bench -m "$MODEL" -p "$P" -n "$N" -r "$R" -t "$THREADS" --json \
      > "$TMP/heron-$i.json" 2> "$TMP/heron-$i.err" || {
        echo "$0: heron-cli bench failed on $MODEL:" >&2; cat "$TMP/heron-$i.err" >&2; exit 1; }
    i=$((i + 1))
  done
  python3 - "$TMP" "$ROUNDS" "$MODEL" <<'EOF'
import json, os, sys
tmp, rounds, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lp, lt, hp, ht, rss = [], [], [], [], 0
for i in range(1, rounds + 1):
    for t in json.load(open(os.path.join(tmp, "llama-%d.json" % i))):
        if t["n_prompt"] > 0 and t["n_gen"] == 0:
            lp.append(t["avg_ts"])
        elif t["n_gen"] > 0 and t["n_prompt"] == 0:
            lt.append(t["avg_ts"])
    h = json.load(open(os.path.join(tmp, "heron-%d.json" % i)))
    hp.append(h["pp"]["avg_ts"])
    ht.append(h["tg"]["avg_ts"])
    rss = max(rss, h["peak_rss"])
mean = lambda x: sum(x) / len(x) if x else float("nan")
lpm, ltm, hpm, htm = mean(lp), mean(lt), mean(hp), mean(ht)
name = os.path.basename(model)
print("%-40s %10.2f %10.2f %7.2f %10.2f %10.2f %7.2f %6.0f MiB"
      % (name[-40:], lpm, hpm, hpm / lpm, ltm, htm, htm / ltm, rss / 1048576))
EOF
done
