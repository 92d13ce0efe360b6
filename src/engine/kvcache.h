/* kvcache.h: per-context key/value cache (F16 or F32) and the attention over it.
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
  hr_type type;        /* HR_TYPE_F16 or HR_TYPE_F32 */
  int32_t n_ctx;       /* positions */
  int32_t n_layer;
  int32_t k_dim;       /* n_head_kv * head_dim_k: one key row */
  int32_t v_dim;       /* n_head_kv * head_dim_v */
  size_t elt;          /* bytes per element */
  void **k;            /* [n_layer] -> [n_ctx][k_dim] */
  void **v;            /* [n_layer] -> [n_ctx][v_dim] */
} hr_kvcache;

/* Returns false on allocation failure (the cache is then freed). */
bool   hr_kvcache_init (hr_kvcache *c, hr_type type, int32_t n_ctx, int32_t n_layer,
                        int32_t k_dim, int32_t v_dim);
void   hr_kvcache_free (hr_kvcache *c);
size_t hr_kvcache_bytes (const hr_kvcache *c);

/* Store one position's key and value rows (F32 in, converted to the cache type). */
void hr_kvcache_store (hr_kvcache *c, int32_t layer, int32_t pos, const float *k,
                       const float *v);

/* Attention of one query head over positions [0, n_kv) of one KV head:
 * out[0..hd_v) = softmax(scale * q.K^T) V. Only one row of scores exists at a time
 * (scores: n_kv floats of scratch). */
void hr_attention_head (const hr_kvcache *c, int32_t layer, int32_t kv_head, int32_t hd_k,
                        int32_t hd_v, const float *q, int32_t n_kv, float scale,
                        float *scores, float *out);

/* Context shift: drop positions [n_keep, n_keep + n_discard), move [n_keep + n_discard,
 * n_past) down by n_discard, and let rerope() rotate each moved key row (k_dim floats) back
 * by n_discard positions. False (nothing changed) when out of memory. */
bool hr_kvcache_shift (hr_kvcache *c, int32_t n_keep, int32_t n_discard, int32_t n_past,
                       void (*rerope) (float *k_row, int32_t delta, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
