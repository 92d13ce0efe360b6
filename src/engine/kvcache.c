/* kvcache.c: key/value cache storage, one-row-at-a-time attention, and the context shift.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kvcache.h"
#include "kvcache-impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ============================================================================
 * Kernels: the grouped attention of kvcache-simd.h, once per instruction set
 * ========================================================================== */

/* ---- scalar: the reference (same blocking, expf, no vectors) ---- */
#define ATT_NAME(x) x##_ref
#define ATT_TARGET
#define VL 1
#define RVB 1
#define RB 1
#define DVC 1
#define VF float
#define VZERO() 0.0f
#define VSET1(x) (x)
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VMUL(a, b) ((a) * (b))
#define VSUB(a, b) ((a) - (b))
#define VADD(a, b) ((a) + (b))
#define VMAX(a, b) ((a) > (b) ? (a) : (b))
#define VEXP(x) expf (x)
#define VMASK_NINF(s, pos, lim) ((pos) >= (lim) ? -INFINITY : (s))
#define CVT_F16(dst, src, n) cvt_f16_ref (dst, src, n)

static void
cvt_f16_ref (float *dst, const uint16_t *src, int n)
{
  for (int i = 0; i < n; i++)
    dst[i] = hr_fp16_to_fp32 (src[i]);
}

#include "kvcache-simd.h"

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

__attribute__ ((target ("avx2,fma,f16c"))) static void
cvt_f16_avx2 (float *dst, const uint16_t *src, int n)
{
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (src + i))));
  for (; i < n; i++)
    dst[i] = _cvtsh_ss (src[i]);
}

#define ATT_NAME(x) x##_avx2
#define ATT_TARGET __attribute__ ((target ("avx2,fma,f16c")))
#define VL 8
#define RVB 2
#define RB 2
#define DVC 4
#define VF __m256
#define VZERO() _mm256_setzero_ps ()
#define VSET1(x) _mm256_set1_ps (x)
#define VLOAD(p) _mm256_loadu_ps (p)
#define VSTORE(p, v) _mm256_storeu_ps (p, v)
#define VFMA(a, b, c) _mm256_fmadd_ps (a, b, c)
#define VMUL(a, b) _mm256_mul_ps (a, b)
#define VSUB(a, b) _mm256_sub_ps (a, b)
#define VADD(a, b) _mm256_add_ps (a, b)
#define VMAX(a, b) _mm256_max_ps (a, b)
#define VEXP(x) exp_avx2 (x)
#define VMASK_NINF(s, pos, lim) \
  _mm256_blendv_ps (s, _mm256_set1_ps (-INFINITY), _mm256_cmp_ps (pos, lim, _CMP_GE_OQ))
#define CVT_F16(dst, src, n) cvt_f16_avx2 (dst, src, n)

#include "kvcache-simd.h"

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

__attribute__ ((target (AVX512_TARGET))) static void
cvt_f16_avx512 (float *dst, const uint16_t *src, int n)
{
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (dst + i,
                      _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) (src + i))));
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (src + i))));
  for (; i < n; i++)
    dst[i] = _cvtsh_ss (src[i]);
}

#define ATT_NAME(x) x##_avx512
#define ATT_TARGET __attribute__ ((target (AVX512_TARGET)))
#define VL 16
#define RVB 4
#define RB 4
#define DVC 4
#define VF __m512
#define VZERO() _mm512_setzero_ps ()
#define VSET1(x) _mm512_set1_ps (x)
#define VLOAD(p) _mm512_loadu_ps (p)
#define VSTORE(p, v) _mm512_storeu_ps (p, v)
#define VFMA(a, b, c) _mm512_fmadd_ps (a, b, c)
#define VMUL(a, b) _mm512_mul_ps (a, b)
#define VSUB(a, b) _mm512_sub_ps (a, b)
#define VADD(a, b) _mm512_add_ps (a, b)
#define VMAX(a, b) _mm512_max_ps (a, b)
#define VEXP(x) exp_avx512 (x)
#define VMASK_NINF(s, pos, lim) \
  _mm512_mask_blend_ps (_mm512_cmp_ps_mask (pos, lim, _CMP_GE_OQ), s, \
                        _mm512_set1_ps (-INFINITY))
#define CVT_F16(dst, src, n) cvt_f16_avx512 (dst, src, n)

#include "kvcache-simd.h"

__attribute__ ((target ("avx2,fma,f16c"))) static void
exp_many_avx2 (float *y, const float *x, int n)
{
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, exp_avx2 (_mm256_loadu_ps (x + i)));
  for (; i < n; i++)
    {
      float t[8] = { x[i] };
      _mm256_storeu_ps (t, exp_avx2 (_mm256_loadu_ps (t)));
      y[i] = t[0];
    }
}

__attribute__ ((target (AVX512_TARGET))) static void
exp_many_avx512 (float *y, const float *x, int n)
{
  int i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (y + i, exp_avx512 (_mm512_loadu_ps (x + i)));
  for (; i < n; i++)
    {
      float t[16] = { x[i] };
      _mm512_storeu_ps (t, exp_avx512 (_mm512_loadu_ps (t)));
      y[i] = t[0];
    }
}
#endif /* HAVE_X86 */

void
hr_attention_exp (float *y, const float *x, int n)
{
#ifdef HAVE_X86
  int level = hr_quants_level ();
  if (level == 2)
    {
      exp_many_avx512 (y, x, n);
      return;
    }
  if (level == 1)
    {
      exp_many_avx2 (y, x, n);
      return;
    }
#endif
  for (int i = 0; i < n; i++)
    y[i] = expf (x[i]);
}

/* ============================================================================
 * Storage
 * ========================================================================== */

bool
hr_kvcache_init (hr_kvcache *c, hr_type type, int32_t n_ctx, int32_t n_layer, int32_t k_dim,
                 int32_t v_dim)
{
  memset (c, 0, sizeof *c);
  c->type = type == HR_TYPE_F32 ? HR_TYPE_F32 : HR_TYPE_F16;
  c->elt = c->type == HR_TYPE_F32 ? 4 : 2;
  c->n_ctx = n_ctx;
  c->n_layer = n_layer;
  c->k_dim = k_dim;
  c->v_dim = v_dim;
  c->k = calloc ((size_t) n_layer, sizeof (void *));
  c->v = calloc ((size_t) n_layer, sizeof (void *));
  if (c->k == NULL || c->v == NULL)
    {
      hr_kvcache_free (c);
      return false;
    }
  for (int32_t l = 0; l < n_layer; l++)
    {
      /* calloc: pages are touched only as the context fills up. */
      c->k[l] = calloc ((size_t) n_ctx * (size_t) k_dim, c->elt);
      c->v[l] = calloc ((size_t) n_ctx * (size_t) v_dim, c->elt);
      if (c->k[l] == NULL || c->v[l] == NULL)
        {
          hr_kvcache_free (c);
          return false;
        }
    }
  return true;
}

void
hr_kvcache_free (hr_kvcache *c)
{
  for (int32_t l = 0; l < c->n_layer; l++)
    {
      if (c->k != NULL)
        free (c->k[l]);
      if (c->v != NULL)
        free (c->v[l]);
    }
  free (c->k);
  free (c->v);
  memset (c, 0, sizeof *c);
}

size_t
hr_kvcache_bytes (const hr_kvcache *c)
{
  return (size_t) c->n_layer * (size_t) c->n_ctx * (size_t) (c->k_dim + c->v_dim) * c->elt;
}

static void
put_row (void *dst, const float *src, int32_t n, hr_type type)
{
  if (type == HR_TYPE_F32)
    memcpy (dst, src, (size_t) n * sizeof (float));
  else
    {
      uint16_t *d = dst;
      for (int32_t i = 0; i < n; i++)
        d[i] = hr_fp32_to_fp16 (src[i]);
    }
}

static void
get_row (float *dst, const void *src, int32_t n, hr_type type)
{
  if (type == HR_TYPE_F32)
    memcpy (dst, src, (size_t) n * sizeof (float));
  else
    {
      const uint16_t *s = src;
      for (int32_t i = 0; i < n; i++)
        dst[i] = hr_fp16_to_fp32 (s[i]);
    }
}

void
hr_kvcache_store (hr_kvcache *c, int32_t layer, int32_t pos, const float *k, const float *v)
{
  put_row ((char *) c->k[layer] + (size_t) pos * c->k_dim * c->elt, k, c->k_dim, c->type);
  put_row ((char *) c->v[layer] + (size_t) pos * c->v_dim * c->elt, v, c->v_dim, c->type);
}

/* ============================================================================
 * Attention
 * ========================================================================== */

void
hr_attention_head (const hr_kvcache *c, int32_t layer, int32_t kv_head, int32_t hd_k,
                   int32_t hd_v, const float *q, int32_t n_kv, float scale, float *scores,
                   float *out)
{
  float max = -INFINITY, sum = 0;

  memset (out, 0, (size_t) hd_v * sizeof (float));
  if (c->type == HR_TYPE_F32)
    {
      const float *K = (const float *) c->k[layer] + (size_t) kv_head * hd_k;
      const float *V = (const float *) c->v[layer] + (size_t) kv_head * hd_v;
      for (int32_t j = 0; j < n_kv; j++)
        {
          const float *kj = K + (size_t) j * c->k_dim;
          float s = 0;
          for (int32_t i = 0; i < hd_k; i++)
            s += q[i] * kj[i];
          scores[j] = s * scale;
          if (scores[j] > max)
            max = scores[j];
        }
      for (int32_t j = 0; j < n_kv; j++)
        {
          float p = expf (scores[j] - max);
          const float *vj = V + (size_t) j * c->v_dim;
          sum += p;
          for (int32_t i = 0; i < hd_v; i++)
            out[i] += p * vj[i];
        }
    }
  else
    {
      const uint16_t *K = (const uint16_t *) c->k[layer] + (size_t) kv_head * hd_k;
      const uint16_t *V = (const uint16_t *) c->v[layer] + (size_t) kv_head * hd_v;
      for (int32_t j = 0; j < n_kv; j++)
        {
          const uint16_t *kj = K + (size_t) j * c->k_dim;
          float s = 0;
          for (int32_t i = 0; i < hd_k; i++)
            s += q[i] * hr_fp16_to_fp32 (kj[i]);
          scores[j] = s * scale;
          if (scores[j] > max)
            max = scores[j];
        }
      for (int32_t j = 0; j < n_kv; j++)
        {
          float p = expf (scores[j] - max);
          sum += p;
          const uint16_t *vj = V + (size_t) j * c->v_dim;
          for (int32_t i = 0; i < hd_v; i++)
            out[i] += p * hr_fp16_to_fp32 (vj[i]);
        }
    }
  for (int32_t i = 0; i < hd_v; i++)
    out[i] /= sum;
}

size_t
hr_attention_scratch_floats (int32_t hd_k, int32_t hd_v)
{
  size_t RP = (HR_ATT_MAX_ROWS + ATT_CHUNK - 1) / ATT_CHUNK * ATT_CHUNK;
  size_t vec = (size_t) hd_k * RP + (size_t) ATT_PANEL * (hd_k + hd_v)
               + (size_t) ATT_PANEL * ATT_CHUNK + 4 * RP + RP * (size_t) hd_v;
  size_t amx = (hr_attention_amx_scratch_bytes (hd_k, hd_v) + sizeof (float) - 1)
               / sizeof (float);
  return vec > amx ? vec : amx;
}

void
hr_attention_group (const hr_kvcache *c, int32_t layer, int32_t kv_head, int32_t hd_k,
                    int32_t hd_v, int32_t n_group, int32_t n_tok, const float *q,
                    size_t q_stride, int32_t n_kv0, float scale, float *scratch, float *out,
                    size_t out_stride)
{
  att_args a = {
    .K = (const char *) c->k[layer] + (size_t) kv_head * hd_k * c->elt,
    .V = (const char *) c->v[layer] + (size_t) kv_head * hd_v * c->elt,
    .k_stride = (size_t) c->k_dim,
    .v_stride = (size_t) c->v_dim,
    .f16 = c->type == HR_TYPE_F16,
    .hd_k = hd_k, .hd_v = hd_v, .n_group = n_group, .n_tok = n_tok, .n_kv0 = n_kv0,
    .q = q, .q_stride = q_stride, .scale = scale, .out = out, .out_stride = out_stride,
  };

#ifdef HAVE_X86
  int level = hr_quants_level ();
  /* AMX for blocks of queries (prompts, the next turn of a chat); a single token's few rows
   * stay on AVX-512, where generation measured 2% faster (tg32 at depth 1,000). */
  if (level == 2 && a.f16 && hd_k % 32 == 0 && hd_v % 16 == 0 && n_group * n_tok >= 32
      && hr_attention_amx_usable ())
    {
      hr_attention_amx (&a, scratch);
      return;
    }
  if (level == 2 && hd_v % 16 == 0)
    {
      attention_avx512 (&a, scratch);
      return;
    }
  if (level >= 1 && hd_v % 8 == 0)
    {
      attention_avx2 (&a, scratch);
      return;
    }
#endif
  attention_ref (&a, scratch);
}

/* ============================================================================
 * Context shift
 * ========================================================================== */

bool
hr_kvcache_shift (hr_kvcache *c, int32_t n_keep, int32_t n_discard, int32_t n_past,
                  void (*rerope) (float *k_row, int32_t delta, void *ud), void *ud)
{
  int32_t n_move = n_past - n_keep - n_discard;
  float *row = malloc ((size_t) c->k_dim * sizeof (float));

  if (row == NULL)
    return false;

  for (int32_t l = 0; l < c->n_layer; l++)
    {
      char *K = c->k[l], *V = c->v[l];
      size_t krow = (size_t) c->k_dim * c->elt, vrow = (size_t) c->v_dim * c->elt;

      memmove (K + (size_t) n_keep * krow, K + (size_t) (n_keep + n_discard) * krow,
               (size_t) n_move * krow);
      memmove (V + (size_t) n_keep * vrow, V + (size_t) (n_keep + n_discard) * vrow,
               (size_t) n_move * vrow);
      for (int32_t p = n_keep; p < n_keep + n_move; p++)
        {
          get_row (row, K + (size_t) p * krow, c->k_dim, c->type);
          rerope (row, -n_discard, ud);
          put_row (K + (size_t) p * krow, row, c->k_dim, c->type);
        }
    }
  free (row);
  return true;
}
