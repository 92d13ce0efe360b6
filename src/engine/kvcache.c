/* kvcache.c: key/value cache storage, one-row-at-a-time attention, and the context shift.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kvcache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* ============================================================================
 * F16 helpers: q.k with an F16 key and out += p * v with an F16 value, F32 everywhere else
 * (the query is not rounded to F16).
 * ========================================================================== */

static float
dot_f16_ref (const uint16_t *k, const float *q, int n)
{
  float s = 0;
  for (int i = 0; i < n; i++)
    s += hr_fp16_to_fp32 (k[i]) * q[i];
  return s;
}

static void
axpy_f16_ref (float *out, float a, const uint16_t *v, int n)
{
  for (int i = 0; i < n; i++)
    out[i] += a * hr_fp16_to_fp32 (v[i]);
}

#ifdef HAVE_X86
__attribute__ ((target ("avx2,fma,f16c"))) static float
dot_f16_avx2 (const uint16_t *k, const float *q, int n)
{
  __m256 acc = _mm256_setzero_ps ();
  int i = 0;
  for (; i + 8 <= n; i += 8)
    {
      __m256 kv = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (k + i)));
      acc = _mm256_fmadd_ps (kv, _mm256_loadu_ps (q + i), acc);
    }
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (acc), _mm256_extractf128_ps (acc, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  float r = _mm_cvtss_f32 (s);
  for (; i < n; i++)
    r += _cvtsh_ss (k[i]) * q[i];
  return r;
}

__attribute__ ((target ("avx2,fma,f16c"))) static void
axpy_f16_avx2 (float *out, float a, const uint16_t *v, int n)
{
  __m256 av = _mm256_set1_ps (a);
  int i = 0;
  for (; i + 8 <= n; i += 8)
    {
      __m256 vv = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (v + i)));
      _mm256_storeu_ps (out + i, _mm256_fmadd_ps (av, vv, _mm256_loadu_ps (out + i)));
    }
  for (; i < n; i++)
    out[i] += a * _cvtsh_ss (v[i]);
}
#endif

static float (*dot_f16) (const uint16_t *, const float *, int) = dot_f16_ref;
static void (*axpy_f16) (float *, float, const uint16_t *, int) = axpy_f16_ref;

static void
pick_kernels (void)
{
#ifdef HAVE_X86
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
      && __builtin_cpu_supports ("f16c"))
    {
      dot_f16 = dot_f16_avx2;
      axpy_f16 = axpy_f16_avx2;
    }
#endif
}

/* ============================================================================
 * Storage
 * ========================================================================== */

bool
hr_kvcache_init (hr_kvcache *c, hr_type type, int32_t n_ctx, int32_t n_layer, int32_t k_dim,
                 int32_t v_dim)
{
  static int picked;

  if (!picked)
    {
      pick_kernels ();
      picked = 1;
    }
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
          scores[j] = dot_f16 (K + (size_t) j * c->k_dim, q, hd_k) * scale;
          if (scores[j] > max)
            max = scores[j];
        }
      for (int32_t j = 0; j < n_kv; j++)
        {
          float p = expf (scores[j] - max);
          sum += p;
          axpy_f16 (out, p, V + (size_t) j * c->v_dim, hd_v);
        }
    }
  for (int32_t i = 0; i < hd_v; i++)
    out[i] /= sum;
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
