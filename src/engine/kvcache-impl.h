/* kvcache-impl.h: what kvcache.c and kvcache-amx.c share: the arguments of one grouped
 * attention call, the panel and chunk sizes, and the vectorised exp. Not a public header.
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
/* exp by Cody-Waite reduction to r in [-ln2/2, ln2/2] and a degree-7 Taylor polynomial
 * (truncation error 5e-9 there); results below e^-87.3 are 0, inputs above 88 are clamped
 * (attention only passes x <= 0). */
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693145751953125f
#define EXP_LN2_LO 1.42860682030941723212e-6f
#define EXP_C7 (1.0f / 5040)
#define EXP_C6 (1.0f / 720)
#define EXP_C5 (1.0f / 120)
#define EXP_C4 (1.0f / 24)
#define EXP_C3 (1.0f / 6)
#define EXP_C2 0.5f
#define EXP_LO -87.3f
#define EXP_HI 88.0f

__attribute__ ((target ("avx2,fma,f16c"))) static inline __m256
exp_avx2 (__m256 x)
{
  __m256 tiny = _mm256_cmp_ps (x, _mm256_set1_ps (EXP_LO), _CMP_LT_OQ);
  x = _mm256_min_ps (x, _mm256_set1_ps (EXP_HI));
  __m256 n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (EXP_LOG2E)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps (n, _mm256_set1_ps (EXP_LN2_HI), x);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (EXP_LN2_LO), r);
  __m256 p = _mm256_set1_ps (EXP_C7);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (EXP_C6));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (EXP_C5));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (EXP_C4));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (EXP_C3));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (EXP_C2));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  __m256i e = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n),
                                                   _mm256_set1_epi32 (127)), 23);
  return _mm256_andnot_ps (tiny, _mm256_mul_ps (p, _mm256_castsi256_ps (e)));
}

#define AVX512_TARGET "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"

/* The same polynomial; vscalefps applies 2^n exactly (underflow included), the mask gives
 * exact zeros below e^-87.3 (masked scores are -inf) and avoids slow denormals. */
__attribute__ ((target (AVX512_TARGET))) static inline __m512
exp_avx512 (__m512 x)
{
  __mmask16 ok = _mm512_cmp_ps_mask (x, _mm512_set1_ps (EXP_LO), _CMP_GE_OQ);
  x = _mm512_min_ps (x, _mm512_set1_ps (EXP_HI));
  __m512 n = _mm512_roundscale_ps (_mm512_mul_ps (x, _mm512_set1_ps (EXP_LOG2E)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps (n, _mm512_set1_ps (EXP_LN2_HI), x);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (EXP_LN2_LO), r);
  __m512 p = _mm512_set1_ps (EXP_C7);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (EXP_C6));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (EXP_C5));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (EXP_C4));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (EXP_C3));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (EXP_C2));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.0f));
  return _mm512_maskz_scalef_ps (ok, p, n);
}

#endif /* HAVE_X86 */

/* kvcache-amx.c: the same attention on AMX tiles (F16 cache, hd_k % 32 == 0,
 * hd_v % 16 == 0). */
bool   hr_attention_amx_usable (void);
size_t hr_attention_amx_scratch_bytes (int hd_k, int hd_v);
void   hr_attention_amx (const att_args *a, void *ws);
