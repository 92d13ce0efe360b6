#!/bin/sh
# compare-logits.sh: Heron's logits against llama.cpp's on the same GGUF files.
#
#   tests/bench/compare-logits.sh LLAMA_DUMPER [LLAMA_QUANTIZE]
#
# LLAMA_DUMPER is a program linked against llama.cpp that runs "DUMPER MODEL TOKENS OUT" and
# writes the last position's logits of the whitespace-separated token ids in TOKENS as
# float32 (see tests/bench/README.md for the 40-line one used here; flash attention off).
# LLAMA_QUANTIZE (llama.cpp's llama-quantize) adds its Q4_K_M, Q5_K_M, Q6_K and Q4_0 files.
#
# Models: random weights from tests/engine/heron-make-model with the real vocabularies of
# ../shared/testdata/vocab, shapes of Qwen2.5-0.5B and Llama-3.2-1B. Prompt: 600 random
# token ids (long prompts are what reveal RoPE mistakes). Prints the cosine similarity of
# the two logit vectors, the top-1 token of each, and the largest difference.
#
# Environment: HERON_BUILD (default ../build-model), HERON_SHARED_DIR (default ../shared),
# WORK (default /tmp/heron-compare-logits), SHAPES (default "qwen2.5-0.5b llama-3.2-1b").
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

dumper=${1:?usage: compare-logits.sh LLAMA_DUMPER [LLAMA_QUANTIZE]}
quantize=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${HERON_BUILD:-$src/../build-model}
shared=${HERON_SHARED_DIR:-$src/../shared}
work=${WORK:-/tmp/heron-compare-logits}
shapes=${SHAPES:-"qwen2.5-0.5b llama-3.2-1b"}
mkdir -p "$work"

python3 -c 'import random; random.seed(1); print(" ".join(str(random.randrange(0, 128000)) for _ in range(600)))' \
  > "$work/tokens.txt"

compare () {
  python3 - "$1" "$2" <<'EOF'
import math, struct, sys
def load(p):
    b = open(p, "rb").read()
    return struct.unpack("<%df" % (len(b) // 4), b)
a, b = load(sys.argv[1]), load(sys.argv[2])
n = min(len(a), len(b))
dot = sum(x * y for x, y in zip(a, b))
cos = dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
ta = max(range(n), key=a.__getitem__)
tb = max(range(n), key=b.__getitem__)
diff = max(abs(x - y) for x, y in zip(a, b))
print("cos %.7f  top1 llama.cpp %d heron %d %s  max|diff| %.4f  range %.2f"
      % (cos, ta, tb, "same" if ta == tb else "DIFFERENT", diff, max(a) - min(a)))
EOF
}

for shape in $shapes; do
  case $shape in
    qwen2*) vocab=$shared/testdata/vocab/ggml-vocab-qwen2.gguf ;;
    llama*) vocab=$shared/testdata/vocab/ggml-vocab-llama-bpe.gguf ;;
    qwen3*) vocab=$shared/testdata/vocab/ggml-vocab-qwen2.gguf ;;
  esac
  files=""
  for t in f16 q8_0; do
    f=$work/$shape-$t.gguf
    [ -f "$f" ] || "$build/tests/engine/heron-make-model" -s "$shape" -t $t --vocab "$vocab" -o "$f"
    files="$files $f"
  done
  if [ -n "$quantize" ]; then
    for q in Q4_K_M Q5_K_M Q6_K Q4_0; do
      f=$work/$shape-$q.gguf
      [ -f "$f" ] || "$quantize" "$work/$shape-f16.gguf" "$f" $q 2 > "$f.log" 2>&1
      files="$files $f"
    done
  fi
  for f in $files; do
    "$dumper" "$f" "$work/tokens.txt" "$work/llama.f32" > /dev/null 2>&1
    "$build/tests/bench/bench-forward" -m "$f" --tokens "$work/tokens.txt" \
      --dump "$work/heron.f32" > /dev/null 2>&1
    printf '%-28s ' "$(basename "$f")"
    compare "$work/llama.f32" "$work/heron.f32"
  done
done
