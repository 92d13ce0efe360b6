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

/* Scalar reference: attention of one query head over positions [0, n_kv) of one KV head:
 * out[0..hd_v) = softmax(scale * q.K^T) V. Only one row of scores exists at a time
 * (scores: n_kv floats of scratch). */
void hr_attention_head (const hr_kvcache *c, int32_t layer, int32_t kv_head, int32_t hd_k,
                        int32_t hd_v, const float *q, int32_t n_kv, float scale,
                        float *scores, float *out);

/* At most this many query rows (heads x tokens) per hr_attention_group call. */
#define HR_ATT_MAX_ROWS 512

/* Floats of scratch one hr_attention_group call needs (per thread). */
size_t hr_attention_scratch_floats (int32_t hd_k, int32_t hd_v);

/* Attention of the n_group query heads sharing KV head kv_head, for n_tok consecutive
 * tokens, in one pass over the cache (each K/V row is read once for all of them):
 * row (t, g) has its query at q + t * q_stride + g * hd_k, attends positions
 * [0, n_kv0 + t) (causal: n_kv0 >= 1 is the first token's count) and writes hd_v floats at
 * out + t * out_stride + g * hd_v. n_group * n_tok <= HR_ATT_MAX_ROWS. Online softmax over
 * panels of positions: no more than one panel of scores per row exists. Uses the SIMD
 * level hr_quants picked (hr_quants_set_level("scalar") selects the scalar reference). */
void hr_attention_group (const hr_kvcache *c, int32_t layer, int32_t kv_head, int32_t hd_k,
                         int32_t hd_v, int32_t n_group, int32_t n_tok, const float *q,
                         size_t q_stride, int32_t n_kv0, float scale, float *scratch,
                         float *out, size_t out_stride);

/* Intel AMX tiles for hr_attention_group (F16 cache, hd_k a multiple of 32, hd_v of 16, at
 * the avx512 level): whether this CPU and kernel offer them, and a switch for tests and
 * benchmarks (false when asked to turn them on and they are not there). On by default when
 * available, unless HERON_AMX=0. */
bool hr_attention_amx_available (void);
bool hr_attention_set_amx (bool on);

/* y[i] = exp(x[i]) by the kernel the attention uses at the current SIMD level (for tests):
 * within a few 1e-7 relative of expf for x in [-87, 88]; 0 below about -87.3. */
void hr_attention_exp (float *y, const float *x, int n);

/* Context shift: drop positions [n_keep, n_keep + n_discard), move [n_keep + n_discard,
 * n_past) down by n_discard, and let rerope() rotate each moved key row (k_dim floats) back
 * by n_discard positions. False (nothing changed) when out of memory. */
bool hr_kvcache_shift (hr_kvcache *c, int32_t n_keep, int32_t n_discard, int32_t n_past,
                       void (*rerope) (float *k_row, int32_t delta, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
