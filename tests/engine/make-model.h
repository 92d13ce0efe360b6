/* make-model.h: writes random-weight GGUF models of the engine's architectures (llama, qwen2,
 * qwen3) for tests and benchmarks, with the GGUF writer and the engine's quantizers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quants.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *arch;          /* "llama", "qwen2", "qwen3" */
  int n_embd;
  int n_layer;
  int n_head;
  int n_head_kv;
  int n_ff;
  int n_ctx_train;
  int head_dim;              /* 0: n_embd / n_head */
  int n_vocab;               /* rows of token_embd with the tiny vocab (0: its size);
                              * with vocab_path always the vocabulary's size */
  hr_type type;              /* 2-D weight matrices */
  const char *mix;           /* NULL, or "q4_k_m": llama.cpp's Q4_K_M choice per tensor */
  hr_type embd_type;         /* token_embd; HR_TYPE_COUNT: same as type */
  hr_type output_type;       /* output.weight (untied); HR_TYPE_COUNT: same as type */
  bool tied;                 /* no output.weight: token_embd is reused */
  bool rope_freq_factors;    /* write rope_freqs.weight (Llama 3 style factors) */
  bool qkv_bias;             /* write blk.N.attn_{q,k,v}.bias (qwen2 needs them) */
  bool qk_norm;              /* write blk.N.attn_{q,k}_norm.weight (qwen3 needs them) */
  float rope_freq_base;
  float rms_eps;
  uint64_t seed;
  const char *vocab_path;    /* copy tokenizer.* keys from this GGUF; NULL: tiny vocab */
  const char *name;          /* general.name; NULL: "heron-test" */
} HeronTestModelSpec;

/* Defaults: a tiny model of the given architecture (n_embd 64, 2 layers, 4 heads, 2 KV
 * heads, F32 weights, tied, seed 1, the architecture's biases / norms). */
void heron_test_model_spec_init (HeronTestModelSpec *spec, const char *arch);

/* Sets arch and dimensions of a known shape: "tiny", "qwen2.5-0.5b", "qwen2.5-1.5b",
 * "llama-3.2-1b", "qwen3-0.6b". Returns false for an unknown name. */
bool heron_test_model_spec_shape (HeronTestModelSpec *spec, const char *shape);

/* The type a tensor gets (mix, per-tensor overrides, and llama.cpp's fallbacks when a row
 * length is not a multiple of the block size). n_cols is the row length. */
hr_type heron_test_model_tensor_type (const HeronTestModelSpec *spec, const char *name,
                                      int64_t n_cols, int layer);

/* Writes the model. Returns 0, or -1 with a message in err. */
int heron_test_make_model (const char *path, const HeronTestModelSpec *spec, char *err,
                           size_t errlen);

#ifdef __cplusplus
}
#endif
