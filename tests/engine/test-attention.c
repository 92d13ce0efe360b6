/* test-attention.c: the grouped attention over the KV cache (hr_attention_group) at every
 * SIMD level this CPU has, against a double-precision attention computed here from the
 * cache contents, against the per-head scalar reference, and its vectorised exp against
 * expf. Causal limits, positions that must never be read, and head sizes that are not a
 * multiple of the vector width are covered. Where the CPU has AMX, its tile kernel
 * (kvcache-amx.c) is checked the same way as the level "amx".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "kvcache.h"
#include "quants.h"

/* "amx" is the avx512 level with the AMX attention turned on (where the CPU has it). */
static const char *const levels[] = { "scalar", "avx2", "avx512", "amx" };

static gboolean
set_level (const char *l)
{
  if (strcmp (l, "amx") == 0)
    return hr_quants_set_level ("avx512") && hr_attention_set_amx (TRUE);
  hr_attention_set_amx (FALSE);
  return hr_quants_set_level (l);
}

static void
test_exp (void)
{
  enum { N = 200001 };
  float *x = g_new (float, N), *y = g_new (float, N);

  for (int i = 0; i < N; i++)
    x[i] = -87.0f + 175.0f * (float) i / (N - 1);   /* [-87, 88] */
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      double worst = 0;
      float special[4] = { -INFINITY, -1000.0f, -88.5f, 0.0f }, sy[4];

      if (!set_level (levels[l]))
        continue;
      hr_attention_exp (y, x, N);
      for (int i = 0; i < N; i++)
        {
          double ref = exp ((double) x[i]);
          double e = fabs ((double) y[i] - ref) / ref;
          if (e > worst)
            worst = e;
        }
      g_test_message ("%s exp: max relative error %.3g", levels[l], worst);
      g_assert_cmpfloat (worst, <, 1e-6);
      hr_attention_exp (sy, special, 4);
      g_assert_cmpfloat (sy[0], ==, 0.0f);
      g_assert_cmpfloat (sy[1], ==, 0.0f);
      g_assert_cmpfloat (sy[2], <, 1e-37f);
      g_assert_cmpfloat (sy[3], ==, 1.0f);
    }
  hr_quants_set_level (NULL);
  g_free (x);
  g_free (y);
}

typedef struct {
  int n_kv_head, hd_k, hd_v, group;
} shape;

static float
cache_at (const hr_kvcache *c, const void *base, size_t idx)
{
  if (c->type == HR_TYPE_F32)
    return ((const float *) base)[idx];
  return hr_fp16_to_fp32 (((const uint16_t *) base)[idx]);
}

/* softmax(scale q.K^T) V over positions [0, n) in double, from the cache contents. */
static void
attention_double (const hr_kvcache *c, int layer, int kvh, int hd_k, int hd_v,
                  const float *q, int n, double scale, double *out)
{
  double *s = g_new (double, n), max = -INFINITY, sum = 0;

  for (int j = 0; j < n; j++)
    {
      double d = 0;
      for (int i = 0; i < hd_k; i++)
        d += (double) q[i] * cache_at (c, c->k[layer], (size_t) j * c->k_dim + kvh * hd_k + i);
      s[j] = d * scale;
      max = MAX (max, s[j]);
    }
  memset (out, 0, (size_t) hd_v * sizeof (double));
  for (int j = 0; j < n; j++)
    {
      double p = exp (s[j] - max);
      sum += p;
      for (int i = 0; i < hd_v; i++)
        out[i] += p * cache_at (c, c->v[layer], (size_t) j * c->v_dim + kvh * hd_v + i);
    }
  for (int i = 0; i < hd_v; i++)
    out[i] /= sum;
  g_free (s);
}

static void
check_shape (hr_type type, const shape *sh, int n_kv0, int n_tok, GRand *rng)
{
  int n_layer = 2, layer = 1;
  int n_ctx = n_kv0 + n_tok + 70;       /* rows past the last one used are poisoned */
  int k_dim = sh->n_kv_head * sh->hd_k, v_dim = sh->n_kv_head * sh->hd_v;
  int n_head = sh->n_kv_head * sh->group;
  size_t q_stride = (size_t) n_head * sh->hd_k, out_stride = (size_t) n_head * sh->hd_v;
  hr_kvcache c;
  float *k = g_new (float, k_dim), *v = g_new (float, v_dim);
  float *q = g_new (float, (size_t) n_tok * q_stride);
  float *out = g_new (float, (size_t) n_tok * out_stride);
  float *head = g_new (float, (size_t) n_tok * out_stride), *scores = g_new (float, n_ctx);
  double *ref = g_new (double, (size_t) n_tok * out_stride);
  float *scratch = g_new (float, hr_attention_scratch_floats (sh->hd_k, sh->hd_v));
  float scale = 1.0f / sqrtf ((float) sh->hd_k);

  g_assert_true (hr_kvcache_init (&c, type, n_ctx, n_layer, k_dim, v_dim));
  for (int p = 0; p < n_ctx; p++)
    {
      gboolean poison = p >= n_kv0 + n_tok - 1;
      for (int i = 0; i < k_dim; i++)
        k[i] = poison ? NAN : (float) g_rand_double_range (rng, -2, 2);
      for (int i = 0; i < v_dim; i++)
        v[i] = poison ? NAN : (float) g_rand_double_range (rng, -1, 1);
      /* a few large keys inside the range, so a wrong causal mask shows */
      if (!poison && p >= n_kv0 && p % 3 == 0)
        for (int i = 0; i < k_dim; i++)
          k[i] *= 4;
      hr_kvcache_store (&c, layer, p, k, v);
    }
  for (size_t i = 0; i < (size_t) n_tok * q_stride; i++)
    q[i] = (float) g_rand_double_range (rng, -2, 2);

  /* the references, once for every level */
  for (int t = 0; t < n_tok; t++)
    for (int h = 0; h < n_head; h++)
      {
        const float *qh = q + t * q_stride + (size_t) h * sh->hd_k;
        size_t o = t * out_stride + (size_t) h * sh->hd_v;
        attention_double (&c, layer, h / sh->group, sh->hd_k, sh->hd_v, qh, n_kv0 + t, scale,
                          ref + o);
        hr_attention_head (&c, layer, h / sh->group, sh->hd_k, sh->hd_v, qh, n_kv0 + t, scale,
                           scores, head + o);
      }

  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      double worst = 0, worst_head = 0, head_err = 0;

      if (!set_level (levels[l]))
        continue;
      for (int kvh = 0; kvh < sh->n_kv_head; kvh++)
        {
          /* garbage in the scratch: nothing may depend on its contents */
          memset (scratch, 0xff, hr_attention_scratch_floats (sh->hd_k, sh->hd_v) * 4);
          memset (out, 0, (size_t) n_tok * out_stride * sizeof (float));
          hr_attention_group (&c, layer, kvh, sh->hd_k, sh->hd_v, sh->group, n_tok,
                              q + (size_t) kvh * sh->group * sh->hd_k, q_stride, n_kv0, scale,
                              scratch, out + (size_t) kvh * sh->group * sh->hd_v, out_stride);
          for (int t = 0; t < n_tok; t++)
            for (int g = 0; g < sh->group; g++)
              {
                int h = kvh * sh->group + g;
                size_t o = t * out_stride + (size_t) h * sh->hd_v;
                const float *oh = out + o, *hh = head + o;
                const double *rh = ref + o;
                for (int i = 0; i < sh->hd_v; i++)
                  {
                    g_assert_true (isfinite (oh[i]));
                    worst = MAX (worst, fabs (oh[i] - rh[i]));
                    worst_head = MAX (worst_head, fabs (oh[i] - hh[i]));
                    head_err = MAX (head_err, fabs (hh[i] - rh[i]));
                  }
              }
        }
      /* Values are in [-1, 1], so absolute errors are relative to the range. Scores reach
       * about 40 here (large keys, head size 128): float rounding of them gives errors of a
       * few 1e-6, as in the one-head float reference; no worse than twice its error. */
      if (g_test_verbose ())
        g_test_message ("%s %s hd %d/%d group %d n_kv0 %d n_tok %d: %.3g vs double, "
                        "%.3g vs per-head (per-head vs double %.3g)", levels[l],
                        hr_type_name (type), sh->hd_k, sh->hd_v, sh->group, n_kv0, n_tok,
                        worst, worst_head, head_err);
      if (strcmp (levels[l], "amx") == 0)
        {
          /* AMX multiplies bf16 halves: 2^-17 per product instead of float's 2^-24, so
           * errors of a few 1e-5 here (3.3e-5 seen). Still far below what storing K and V
           * in F16 (2^-11 relative) does to the same attention, and below llama.cpp's CPU
           * path, which rounds the queries to F16. */
          g_assert_cmpfloat (worst, <, 8e-5);
          g_assert_cmpfloat (worst_head, <, 8e-5);
        }
      else
        {
          g_assert_cmpfloat (worst, <, 1e-5);
          g_assert_cmpfloat (worst, <=, 2 * head_err + 1e-6);
          g_assert_cmpfloat (worst_head, <, 1e-5);
        }
    }
  hr_quants_set_level (NULL);
  hr_attention_set_amx (hr_attention_amx_available ());
  hr_kvcache_free (&c);
  g_free (k);
  g_free (v);
  g_free (q);
  g_free (out);
  g_free (head);
  g_free (scores);
  g_free (ref);
  g_free (scratch);
}

static void
test_group (gconstpointer data)
{
  hr_type type = GPOINTER_TO_INT (data);
  static const shape shapes[] = {
    { 2, 64, 64, 7 },     /* Qwen2.5-0.5B */
    { 2, 128, 128, 6 },   /* Qwen2.5-1.5B-like with a large head */
    { 3, 32, 40, 2 },     /* hd_v not a multiple of 16: the AVX2 path at every level */
    { 1, 20, 12, 5 },     /* hd_v not a multiple of 8: the scalar path */
    { 1, 16, 16, 64 },    /* a full block of heads, one token */
    { 2, 32, 16, 4 },     /* AMX with one k-step per product */
  };
  static const int cases[][2] = { /* n_kv0, n_tok */
    { 1, 1 }, { 1, 9 }, { 5, 3 }, { 63, 2 }, { 64, 1 }, { 65, 1 }, { 130, 4 }, { 200, 9 },
    { 1, 40 }, { 100, 30 }, { 300, 73 },     /* the last: up to HR_ATT_MAX_ROWS rows */
  };
  GRand *rng = g_rand_new_with_seed (4);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        int n_tok = cases[i][1];
        if (n_tok > 40 && s != 0)
          continue;         /* the largest block once, on the Qwen shape: keeps ASan quick */
        if (shapes[s].group * n_tok > HR_ATT_MAX_ROWS)
          n_tok = HR_ATT_MAX_ROWS / shapes[s].group;
        check_shape (type, &shapes[s], cases[i][0], n_tok, rng);
      }
  g_rand_free (rng);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hr_quants_init ();
  g_test_add_func ("/heron/engine/attention/exp", test_exp);
  g_test_add_data_func ("/heron/engine/attention/group-f16", GINT_TO_POINTER (HR_TYPE_F16),
                        test_group);
  g_test_add_data_func ("/heron/engine/attention/group-f32", GINT_TO_POINTER (HR_TYPE_F32),
                        test_group);
  return g_test_run ();
}
