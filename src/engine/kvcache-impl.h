/* kvcache-impl.h: what kvcache.c and kvcache-amx.c share: the arguments of one grouped
 * attention call, the panel and chunk sizes, the AVX-512 target. Not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define ATT_PANEL 64
#define ATT_CHUNK 64

typedef struct {
  const void *K, *V;           /* row 0 of this KV head (F16 or F32) */
  size_t k_stride, v_stride;   /* elements between positions */
  bool f16;
  int hd_k, hd_v, n_group, n_tok, n_kv0;
  const float *q;
  size_t q_stride;
  float scale;
  float *out;
  size_t out_stride;
} att_args;

#ifdef HAVE_X86
#define AVX512_TARGET "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"
#endif

/* kvcache-amx.c: the same attention on AMX tiles (F16 cache, hd_k % 32 == 0,
 * hd_v % 16 == 0). */
bool   hr_attention_amx_usable (void);
size_t hr_attention_amx_scratch_bytes (int hd_k, int hd_v);
void   hr_attention_amx (const att_args *a, void *ws);
