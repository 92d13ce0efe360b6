#!/bin/sh
# compare.sh LLAMA_CPP_DIR BUILD_DIR VOCAB_DIR: differential check of Heron's tokenizer against
# llama.cpp's (libllama from LLAMA_CPP_DIR/build-cpu) on random strings, every vocabulary,
# parse_special off and on, and every pre-tokenizer on one vocabulary. Prints the number of
# differing lines per case.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -e
LLAMA=$1 BUILD=$2 VOCAB=$3
HERE=$(dirname "$0")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -I"$HERE/../../../src/engine" "$HERE/heron-tok.c" "$BUILD/src/engine/libheron-engine.a" \
  -lopenblas -lm -lpthread -o "$TMP/heron-tok"
cc -O2 -I"$LLAMA/include" -I"$LLAMA/ggml/include" "$HERE/llama-tok.c" -L"$LLAMA/build-cpu/bin" \
  -lllama -Wl,-rpath,"$LLAMA/build-cpu/bin" -o "$TMP/llama-tok"
cc -O2 -I"$HERE/../../../src/engine" "$HERE/set-pre.c" "$BUILD/src/engine/libheron-engine.a" \
  -lopenblas -lm -lpthread -o "$TMP/set-pre"
for seed in 1 2 3 4 5; do python3 "$HERE/gen-random.py" $seed 300 > "$TMP/r$seed.inp"; done
for n in llama-spm phi-3 baichuan qwen2 llama-bpe deepseek-llm deepseek-coder gpt-2; do
  for ps in 0 1; do
    bad=0 tot=0
    for seed in 1 2 3 4 5; do
      "$TMP/heron-tok" "$VOCAB/ggml-vocab-$n.gguf" "$TMP/r$seed.inp" $ps > "$TMP/a"
      "$TMP/llama-tok" "$VOCAB/ggml-vocab-$n.gguf" "$TMP/r$seed.inp" $ps > "$TMP/b"
      bad=$((bad + $(diff "$TMP/a" "$TMP/b" | grep -c '^<' || true)))
      tot=$((tot + $(wc -l < "$TMP/a")))
    done
    echo "$n parse_special=$ps: $bad of $tot strings differ"
  done
done
# Every pre-tokenizer on the GPT-2 vocabulary (llama.cpp runs most of them through std::regex).
for pre in default starcoder deepseek-llm deepseek-coder qwen2 gpt-2 llama-bpe; do
  "$TMP/set-pre" "$VOCAB/ggml-vocab-gpt-2.gguf" "$TMP/v.gguf" $pre
  bad=0 tot=0
  for seed in 1 2 3 4 5; do
    "$TMP/heron-tok" "$TMP/v.gguf" "$TMP/r$seed.inp" 0 > "$TMP/a"
    "$TMP/llama-tok" "$TMP/v.gguf" "$TMP/r$seed.inp" 0 > "$TMP/b"
    bad=$((bad + $(diff "$TMP/a" "$TMP/b" | grep -c '^<' || true)))
    tot=$((tot + $(wc -l < "$TMP/a")))
  done
  echo "gpt-2 vocabulary with pre $pre: $bad of $tot strings differ"
done
