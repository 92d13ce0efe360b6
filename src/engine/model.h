/* model.h: the public engine API: load a GGUF model, create contexts (KV cache + run state)
 * and run the forward pass.
 *
 * Thread-safety: one hr_decode at a time per context; several contexts may share one loaded
 * model concurrently (the weights are read-only). hr_context_cancel may be called from any
 * thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quants.h"
#include "tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_model hr_model;
typedef struct hr_context hr_context;

typedef struct {
  int n_threads;                                 /* 0: number of physical cores */
  bool (*progress) (float fraction, void *ud);   /* return false to cancel the load */
  void *progress_ud;
} hr_model_params;

void hr_model_params_default (hr_model_params *p);

/* Load a model (weights stay in the file mapping). p may be NULL for defaults.
 * Returns NULL on error with a message in err (an unsupported architecture is named). */
hr_model *hr_model_load (const char *path, const hr_model_params *p, char *err, size_t errlen);
void      hr_model_free (hr_model *m);

const hr_vocab *hr_model_vocab (const hr_model *m);
const char     *hr_model_arch (const hr_model *m);          /* "llama", "qwen2", "qwen3" */
int32_t         hr_model_n_ctx_train (const hr_model *m);
int32_t         hr_model_n_vocab (const hr_model *m);
int32_t         hr_model_n_embd (const hr_model *m);
int32_t         hr_model_n_layer (const hr_model *m);
const char     *hr_model_chat_template (const hr_model *m);  /* NULL when absent */
/* Bytes of weights (sum of tensor sizes) and of the file. */
uint64_t        hr_model_weights_size (const hr_model *m);

typedef enum {
  HR_CTX_FULL_ERROR,   /* hr_decode returns HR_ERR_CONTEXT_FULL */
  HR_CTX_FULL_SHIFT,   /* drop the oldest tokens after n_keep and re-rotate the rest */
} hr_ctx_full_policy;

typedef struct {
  int32_t n_ctx;                 /* 0: min(n_ctx_train, 8192) */
  int32_t n_batch;               /* 0: 128; tokens per pass through the weights */
  hr_type kv_type;               /* HR_TYPE_F16 (default) or HR_TYPE_F32 */
  hr_ctx_full_policy on_full;
  int32_t n_keep;                /* tokens kept at the start on a shift (system prompt) */
  int n_threads;                 /* 0: the model's thread count */
  bool all_logits;               /* keep the logits of every position of the last decode */
} hr_context_params;

void hr_context_params_default (hr_context_params *p);

/* p may be NULL for defaults. Returns NULL on error with a message in err. */
hr_context *hr_context_new (hr_model *m, const hr_context_params *p, char *err, size_t errlen);
void        hr_context_free (hr_context *c);

const hr_model *hr_context_model (const hr_context *c);
int32_t         hr_context_n_ctx (const hr_context *c);
int32_t         hr_context_n_batch (const hr_context *c);
int32_t         hr_context_n_past (const hr_context *c);
/* The n_past tokens currently in the KV cache. */
const hr_token *hr_context_tokens (const hr_context *c);

enum {
  HR_OK = 0,
  HR_ERR = -1,
  HR_ERR_CONTEXT_FULL = -2,
  HR_ERR_CANCELLED = -3,
};

/* Evaluate n tokens appended at n_past (batched internally by n_batch). On HR_ERR_CANCELLED
 * the tokens evaluated before the cancellation stay in the cache (n_past tells how many);
 * the logits are then undefined. */
int hr_decode (hr_context *c, const hr_token *tokens, int32_t n, char *err, size_t errlen);

/* Logits (n_vocab floats) of the last evaluated position. */
const float *hr_context_logits (const hr_context *c);
/* Logits of the i-th token of the last hr_decode call (needs all_logits; NULL otherwise or
 * when i is out of range). */
const float *hr_context_logits_at (const hr_context *c, int32_t i);

/* Drop everything in the cache after the first n_past tokens (prefix reuse, regenerate). */
void    hr_context_truncate (hr_context *c, int32_t n_past);
/* How many leading tokens of tokens[0..n) are already in the cache. */
int32_t hr_context_common_prefix (const hr_context *c, const hr_token *tokens, int32_t n);

/* Thread-safe: the running hr_decode returns HR_ERR_CANCELLED within one token/batch. The
 * flag stays set until hr_context_reset_cancel. */
void hr_context_cancel (hr_context *c);
void hr_context_reset_cancel (hr_context *c);

#ifdef __cplusplus
}
#endif
