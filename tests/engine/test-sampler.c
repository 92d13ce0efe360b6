/* test-sampler.c: the sampler's steps checked against the math they implement, computed
 * here independently in double precision with full sorts, and its draws checked
 * statistically (chi-square) with a fixed seed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

#define BIG_VOCAB 151936

static hr_sampler_params
plain_params (void)
{
  hr_sampler_params p;

  hr_sampler_params_default (&p);
  p.temp = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  return p;
}

/* Gaussian-ish logits from a GRand with a fixed seed (scale like a real model's). */
static float *
random_logits (int n, guint32 seed, double scale)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *l = g_new (float, n);

  for (int i = 0; i < n; i++)
    {
      double s = 0;
      for (int j = 0; j < 4; j++)
        s += g_rand_double (r) - 0.5;
      l[i] = (float) (s * scale);
    }
  g_rand_free (r);
  return l;
}

typedef struct
{
  int id;
  double logit;
} ref_item;

static int
ref_cmp (const void *a, const void *b)
{
  const ref_item *x = a, *y = b;

  if (x->logit != y->logit)
    return x->logit > y->logit ? -1 : 1;
  return x->id - y->id;
}

/* Reference: all tokens sorted by logit, with their softmax probabilities in double. */
static ref_item *
ref_sorted (const float *l, int n, double *probs_out)
{
  ref_item *r = g_new (ref_item, n);
  double mx = -INFINITY, sum = 0;

  for (int i = 0; i < n; i++)
    {
      r[i].id = i;
      r[i].logit = l[i];
      mx = MAX (mx, l[i]);
    }
  qsort (r, n, sizeof *r, ref_cmp);
  for (int i = 0; i < n; i++)
    sum += exp (r[i].logit - mx);
  if (probs_out)
    for (int i = 0; i < n; i++)
      probs_out[i] = exp (r[i].logit - mx) / sum;
  return r;
}

static void
test_rng_known_answer (void)
{
  /* First outputs of xoshiro256** seeded by splitmix64, computed by an independent Python
   * implementation of both published algorithms. They pin the stream on every machine. */
  static const guint64 seed0[] = { 0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                   0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL };
  static const guint64 seed42[] = { 0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
                                    0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL };
  hr_rng r;
  double mean = 0;

  hr_rng_seed (&r, 0);
  for (int i = 0; i < 4; i++)
    g_assert_cmphex (hr_rng_next (&r), ==, seed0[i]);
  hr_rng_seed (&r, 42);
  for (int i = 0; i < 4; i++)
    g_assert_cmphex (hr_rng_next (&r), ==, seed42[i]);

  for (int i = 0; i < 100000; i++)
    {
      double u = hr_rng_uniform (&r);
      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      mean += u;
    }
  mean /= 100000;
  /* sd of the mean of 1e5 uniforms is 0.0009. */
  g_assert_cmpfloat (fabs (mean - 0.5), <, 0.005);
}

static void
test_greedy (void)
{
  float l[] = { 0.5f, 2.0f, -1.0f, 3.5f, 3.5f, 1.0f };
  hr_sampler_params p = plain_params ();
  hr_sampler *s;
  float *big = random_logits (BIG_VOCAB, 7, 10.0);
  int best = 0;

  p.temp = 0.0f;
  s = hr_sampler_new (&p, G_N_ELEMENTS (l));
  /* Ties go to the lowest id, as a left-to-right argmax does. */
  for (int i = 0; i < 20; i++)
    g_assert_cmpint (hr_sampler_sample (s, l), ==, 3);
  hr_sampler_free (s);

  /* Negative temperature is greedy too, whatever the other settings. */
  p.temp = -1.0f;
  p.top_k = 3;
  p.top_p = 0.5f;
  p.min_p = 0.2f;
  s = hr_sampler_new (&p, BIG_VOCAB);
  for (int i = 1; i < BIG_VOCAB; i++)
    if (big[i] > big[best])
      best = i;
  g_assert_cmpint (hr_sampler_sample (s, big), ==, best);
  hr_sampler_free (s);
  g_free (big);
}

static void
test_top_k (void)
{
  float *l = random_logits (BIG_VOCAB, 11, 8.0);
  ref_item *ref = ref_sorted (l, BIG_VOCAB, NULL);
  static const int ks[] = { 1, 2, 40, 1000, BIG_VOCAB, BIG_VOCAB + 5 };

  for (guint t = 0; t < G_N_ELEMENTS (ks); t++)
    {
      hr_sampler_params p = plain_params ();
      hr_sampler *s;
      const hr_candidates *c;
      int k = MIN (ks[t], BIG_VOCAB);

      p.top_k = ks[t];
      s = hr_sampler_new (&p, BIG_VOCAB);
      c = hr_sampler_apply (s, l);
      g_assert_cmpuint (c->size, ==, (gsize) k);
      /* Exactly the k best, in descending order. */
      for (int i = 0; i < k; i++)
        g_assert_cmpint (c->data[i].id, ==, ref[i].id);
      hr_sampler_free (s);
    }
  g_free (ref);
  g_free (l);
}

static void
check_top_p (const float *l, int n, float top_p, int top_k)
{
  double *probs = g_new (double, n);
  ref_item *ref;
  hr_sampler_params p = plain_params ();
  hr_sampler *s;
  const hr_candidates *c;
  double cum = 0, mx = -INFINITY, sum = 0;
  int m = top_k > 0 ? MIN (top_k, n) : n;
  gsize expect = m;

  ref = ref_sorted (l, n, NULL);
  /* top-p sees the distribution left by top-k, renormalized. */
  for (int i = 0; i < m; i++)
    mx = MAX (mx, ref[i].logit);
  for (int i = 0; i < m; i++)
    sum += exp (ref[i].logit - mx);
  for (int i = 0; i < m; i++)
    probs[i] = exp (ref[i].logit - mx) / sum;
  for (int i = 0; i < m; i++)
    {
      cum += probs[i];
      if (cum >= top_p)
        {
          expect = i + 1;
          break;
        }
    }
  /* Smallest prefix: the one before it has less than p. */
  if (expect > 1)
    g_assert_cmpfloat (cum - probs[expect - 1], <, top_p);

  p.top_p = top_p;
  p.top_k = top_k;
  s = hr_sampler_new (&p, n);
  c = hr_sampler_apply (s, l);
  g_assert_cmpuint (c->size, ==, expect);
  /* The same set (a wide nucleus is not sorted beyond its head); sorted when it says so. */
  {
    GHashTable *got = g_hash_table_new (NULL, NULL);

    for (gsize i = 0; i < expect; i++)
      g_hash_table_add (got, GINT_TO_POINTER (c->data[i].id));
    g_assert_cmpuint (g_hash_table_size (got), ==, expect);
    for (gsize i = 0; i < expect; i++)
      g_assert_true (g_hash_table_contains (got, GINT_TO_POINTER (ref[i].id)));
    g_hash_table_unref (got);
  }
  if (c->sorted)
    for (gsize i = 0; i < expect; i++)
      g_assert_cmpint (c->data[i].id, ==, ref[i].id);
  hr_sampler_free (s);
  g_free (ref);
  g_free (probs);
}

static void
test_top_p (void)
{
  /* Hand-computed case: probs 0.5, 0.25, 0.125, 0.125 (logits log2-spaced). */
  float l4[] = { logf (0.125f), logf (0.5f), logf (0.125f), logf (0.25f) };
  hr_sampler_params p = plain_params ();
  hr_sampler *s;
  const hr_candidates *c;
  float *small, *flat, *peaked;

  p.top_p = 0.7f;
  s = hr_sampler_new (&p, 4);
  c = hr_sampler_apply (s, l4);
  g_assert_cmpuint (c->size, ==, 2);
  g_assert_cmpint (c->data[0].id, ==, 1);
  g_assert_cmpint (c->data[1].id, ==, 3);
  /* Renormalized over the kept two: 2/3, 1/3. */
  g_assert_cmpfloat_with_epsilon (c->data[0].p, 2.0 / 3.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (c->data[1].p, 1.0 / 3.0, 1e-6);
  hr_sampler_free (s);

  small = random_logits (500, 3, 6.0);
  for (float tp = 0.05f; tp < 1.0f; tp += 0.1f)
    check_top_p (small, 500, tp, 0);
  check_top_p (small, 500, 0.9f, 20);
  g_free (small);

  /* A flat distribution over a big vocabulary: the nucleus is far larger than the first
   * sorted head, so the whole list must be sorted. */
  flat = random_logits (BIG_VOCAB, 5, 0.5);
  check_top_p (flat, BIG_VOCAB, 0.95f, 0);
  check_top_p (flat, BIG_VOCAB, 0.001f, 0);
  g_free (flat);

  peaked = random_logits (BIG_VOCAB, 6, 12.0);
  check_top_p (peaked, BIG_VOCAB, 0.9f, 0);
  check_top_p (peaked, BIG_VOCAB, 0.9f, 40);
  g_free (peaked);
}

static void
test_min_p (void)
{
  float *l = random_logits (BIG_VOCAB, 21, 10.0);
  static const float mps[] = { 0.01f, 0.05f, 0.3f, 1.0f };

  for (guint t = 0; t < G_N_ELEMENTS (mps); t++)
    {
      double *probs = g_new (double, BIG_VOCAB);
      ref_item *ref = ref_sorted (l, BIG_VOCAB, probs);
      hr_sampler_params p = plain_params ();
      hr_sampler *s;
      const hr_candidates *c;
      gsize expect = 0;
      GHashTable *got = g_hash_table_new (NULL, NULL);

      for (int i = 0; i < BIG_VOCAB; i++)
        if (probs[i] >= mps[t] * probs[0] * (1 - 1e-6))
          expect++;
      p.min_p = mps[t];
      s = hr_sampler_new (&p, BIG_VOCAB);
      c = hr_sampler_apply (s, l);
      g_assert_cmpuint (c->size, ==, expect);
      for (gsize i = 0; i < c->size; i++)
        g_hash_table_add (got, GINT_TO_POINTER (c->data[i].id));
      for (gsize i = 0; i < expect; i++)
        g_assert_true (g_hash_table_contains (got, GINT_TO_POINTER (ref[i].id)));
      g_hash_table_unref (got);
      hr_sampler_free (s);
      g_free (ref);
      g_free (probs);
    }

  /* min_keep wins over the threshold. */
  {
    float l3[] = { 10.0f, 0.0f, -1.0f, -2.0f };
    hr_sampler_params p = plain_params ();
    hr_sampler *s;
    const hr_candidates *c;

    p.min_p = 0.5f;
    p.min_keep = 3;
    s = hr_sampler_new (&p, 4);
    c = hr_sampler_apply (s, l3);
    g_assert_cmpuint (c->size, ==, 3);
    g_assert_cmpint (c->data[0].id, ==, 0);
    g_assert_cmpint (c->data[1].id, ==, 1);
    g_assert_cmpint (c->data[2].id, ==, 2);
    hr_sampler_free (s);
  }
  g_free (l);
}

static void
test_temperature (void)
{
  float l[] = { 1.0f, 2.0f, 0.0f, -3.0f, 2.5f };
  static const float temps[] = { 0.3f, 1.0f, 2.0f };

  for (guint t = 0; t < G_N_ELEMENTS (temps); t++)
    {
      hr_sampler_params p = plain_params ();
      hr_sampler *s;
      const hr_candidates *c;
      double sum = 0;

      p.temp = temps[t];
      s = hr_sampler_new (&p, G_N_ELEMENTS (l));
      c = hr_sampler_apply (s, l);
      g_assert_cmpuint (c->size, ==, G_N_ELEMENTS (l));
      for (guint i = 0; i < G_N_ELEMENTS (l); i++)
        sum += exp (l[i] / temps[t]);
      for (gsize i = 0; i < c->size; i++)
        g_assert_cmpfloat_with_epsilon (c->data[i].p, exp (l[c->data[i].id] / temps[t]) / sum,
                                        1e-6);
      hr_sampler_free (s);
    }
}

static void
test_penalties (void)
{
  float l[10] = { 2.0f, -2.0f, 1.0f, 0.5f, -0.5f, 3.0f, 0.0f, 1.5f, -1.0f, 4.0f };
  hr_sampler_params p = plain_params ();
  hr_sampler *s;
  const hr_candidates *c;
  /* Window of 4: accepted 5 0 1 1 9 -> the window holds 0 1 1 9 (5 has left it). */
  static const hr_token accepted[] = { 5, 0, 1, 1, 9 };
  int count[10] = { 0 };
  float expect[10];

  p.penalty_last_n = 4;
  p.repeat_penalty = 1.5f;
  p.frequency_penalty = 0.25f;
  p.presence_penalty = 0.125f;
  s = hr_sampler_new (&p, 10);
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    hr_sampler_accept (s, accepted[i]);
  count[0] = 1;
  count[1] = 2;
  count[9] = 1;
  for (int i = 0; i < 10; i++)
    {
      double v = l[i];
      if (count[i] > 0)
        {
          v = v > 0 ? v / 1.5 : v * 1.5;
          v -= count[i] * 0.25 + 0.125;
        }
      expect[i] = (float) v;
    }
  /* No step reorders: candidates are still in id order. */
  c = hr_sampler_apply (s, l);
  g_assert_cmpuint (c->size, ==, 10);
  for (int i = 0; i < 10; i++)
    {
      g_assert_cmpint (c->data[i].id, ==, i);
      g_assert_cmpfloat_with_epsilon (c->data[i].logit, expect[i], 1e-6);
    }
  /* Applying again does not accumulate: the caller's logits are not modified. */
  c = hr_sampler_apply (s, l);
  for (int i = 0; i < 10; i++)
    g_assert_cmpfloat_with_epsilon (c->data[i].logit, expect[i], 1e-6);
  g_assert_cmpfloat (l[9], ==, 4.0f);

  /* Greedy honours penalties: 9 (4.0 -> 4/1.5 - 0.375 = 2.29) loses to 5 (3.0). */
  hr_sampler_free (s);
  p.temp = 0.0f;
  p.repeat_penalty = 1.5f;
  s = hr_sampler_new (&p, 10);
  g_assert_cmpint (hr_sampler_sample (s, l), ==, 9);
  hr_sampler_accept (s, 9);
  g_assert_cmpint (hr_sampler_sample (s, l), ==, 5);
  /* reset forgets the window. */
  hr_sampler_reset (s);
  g_assert_cmpint (hr_sampler_sample (s, l), ==, 9);
  hr_sampler_free (s);

  /* last_n = 0 turns penalties off. */
  p.penalty_last_n = 0;
  s = hr_sampler_new (&p, 10);
  hr_sampler_accept (s, 9);
  g_assert_cmpint (hr_sampler_sample (s, l), ==, 9);
  hr_sampler_free (s);
}

/* Draw many tokens and compare frequencies with the expected distribution. */
static double
chi_square (hr_sampler *s, const float *l, int n, const double *expect_p, int draws)
{
  int *hits = g_new0 (int, n);
  double chi = 0;

  for (int i = 0; i < draws; i++)
    {
      hr_token t = hr_sampler_sample (s, l);
      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (t, <, n);
      hits[t]++;
    }
  for (int i = 0; i < n; i++)
    {
      if (expect_p[i] == 0)
        {
          g_assert_cmpint (hits[i], ==, 0);   /* filtered tokens are never drawn */
          continue;
        }
      chi += (hits[i] - draws * expect_p[i]) * (hits[i] - draws * expect_p[i])
             / (draws * expect_p[i]);
    }
  g_free (hits);
  return chi;
}

static void
test_distribution (void)
{
  float l[8] = { 1.2f, 0.3f, 2.0f, -0.7f, 1.9f, 0.0f, -2.5f, 0.8f };
  hr_sampler_params p = plain_params ();
  hr_sampler *s;
  double ep[8] = { 0 }, sum = 0, chi;
  /* Kept by top-k 5 (temperature comes after the filters): 2, 4, 0, 7, 1. */
  static const int kept[] = { 2, 4, 0, 7, 1 };

  p.temp = 0.7f;
  p.top_k = 5;
  p.seed = 20261123;
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    sum += exp (l[kept[i]] / 0.7);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    ep[kept[i]] = exp (l[kept[i]] / 0.7) / sum;
  s = hr_sampler_new (&p, 8);
  chi = chi_square (s, l, 8, ep, 50000);
  /* 4 degrees of freedom: P(chi2 > 18.47) = 0.001. */
  g_assert_cmpfloat (chi, <, 18.47);
  hr_sampler_free (s);

  /* Full chain: top-p 0.8 at temperature 1 keeps 2, 4, 0 (mass 0.33+0.30+0.15 = 0.77 <
   * 0.8, so also 7: 0.10), min-p 0.35 then drops 7 (0.099 < 0.35 * 0.33). */
  {
    double pr[8], mx = 2.0, tot = 0, c = 0;
    int order[8] = { 2, 4, 0, 7, 1, 5, 3, 6 };
    int n_top_p = 0;
    double ep2[8] = { 0 }, s2 = 0;

    for (int i = 0; i < 8; i++)
      tot += exp (l[i] - mx);
    for (int i = 0; i < 8; i++)
      pr[i] = exp (l[i] - mx) / tot;
    for (int i = 0; i < 8; i++)
      {
        c += pr[order[i]];
        n_top_p++;
        if (c >= 0.8)
          break;
      }
    g_assert_cmpint (n_top_p, ==, 4);
    for (int i = 0; i < n_top_p; i++)
      if (pr[order[i]] >= 0.35 * pr[order[0]])
        {
          ep2[order[i]] = exp (l[order[i]] / 1.3);
          s2 += ep2[order[i]];
        }
    g_assert_cmpfloat (ep2[7], ==, 0.0);
    for (int i = 0; i < 8; i++)
      ep2[i] /= s2;

    p = plain_params ();
    p.top_p = 0.8f;
    p.min_p = 0.35f;
    p.temp = 1.3f;
    p.seed = 99;
    s = hr_sampler_new (&p, 8);
    chi = chi_square (s, l, 8, ep2, 50000);
    /* 2 degrees of freedom: P(chi2 > 13.82) = 0.001. */
    g_assert_cmpfloat (chi, <, 13.82);
    hr_sampler_free (s);
  }
}

static void
test_reproducible (void)
{
  float *l = random_logits (BIG_VOCAB, 31, 6.0);
  hr_sampler_params p;
  hr_sampler *a, *b, *c;
  hr_token ta[64], tb[64];
  gboolean differ = FALSE;

  hr_sampler_params_default (&p);
  p.seed = 777;
  p.repeat_penalty = 1.1f;
  a = hr_sampler_new (&p, BIG_VOCAB);
  b = hr_sampler_new (&p, BIG_VOCAB);
  p.seed = 778;
  c = hr_sampler_new (&p, BIG_VOCAB);
  for (int i = 0; i < 64; i++)
    {
      /* Vary the logits by the previous token, as a model would. */
      hr_token tc;

      ta[i] = hr_sampler_sample (a, l);
      tb[i] = hr_sampler_sample (b, l);
      tc = hr_sampler_sample (c, l);
      g_assert_cmpint (ta[i], ==, tb[i]);
      differ |= tc != ta[i];
      hr_sampler_accept (a, ta[i]);
      hr_sampler_accept (b, tb[i]);
      hr_sampler_accept (c, tc);
      l[ta[i]] -= 0.5f;
    }
  g_assert_true (differ);
  g_assert_cmpuint (hr_sampler_seed (a), ==, 777);
  hr_sampler_free (a);
  hr_sampler_free (b);
  hr_sampler_free (c);
  g_free (l);

  /* A random seed is drawn and reported. */
  hr_sampler_params_default (&p);
  a = hr_sampler_new (&p, 10);
  g_assert_cmpuint (hr_sampler_seed (a), !=, HR_SEED_RANDOM);
  hr_sampler_free (a);
}

static void
test_bad_input (void)
{
  hr_sampler_params p = plain_params ();
  float l[4] = { NAN, -INFINITY, 1.0f, NAN };
  float all_inf[3] = { -INFINITY, -INFINITY, -INFINITY };
  hr_sampler *s;

  g_assert_null (hr_sampler_new (&p, 0));
  g_assert_null (hr_sampler_new (NULL, 10));
  p.penalty_last_n = -1;
  g_assert_null (hr_sampler_new (&p, 10));
  p = plain_params ();
  p.temp = NAN;
  g_assert_null (hr_sampler_new (&p, 10));

  p = plain_params ();
  p.top_p = 0.9f;
  s = hr_sampler_new (&p, 4);
  /* NaN logits are never drawn. */
  for (int i = 0; i < 100; i++)
    g_assert_cmpint (hr_sampler_sample (s, l), ==, 2);
  hr_sampler_free (s);

  /* Same through the top-k selection. */
  p.top_k = 2;
  s = hr_sampler_new (&p, 4);
  for (int i = 0; i < 100; i++)
    g_assert_cmpint (hr_sampler_sample (s, l), ==, 2);
  hr_sampler_free (s);

  s = hr_sampler_new (&p, 3);
  for (int i = 0; i < 10; i++)
    {
      hr_token t = hr_sampler_sample (s, all_inf);
      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (t, <, 3);
    }
  hr_sampler_accept (s, -5);   /* out of range: ignored */
  hr_sampler_accept (s, 3);
  hr_sampler_free (s);
}

static void
test_select_many_ties (void)
{
  /* Equal logits must not degrade the selection, and ties resolve to the lowest ids. */
  float *l = g_new0 (float, BIG_VOCAB);
  hr_candidates c;
  hr_token_data *d = g_new (hr_token_data, BIG_VOCAB);

  for (int i = 0; i < BIG_VOCAB; i++)
    d[i] = (hr_token_data) { .id = BIG_VOCAB - 1 - i, .logit = 0.0f };
  c = (hr_candidates) { d, BIG_VOCAB, false };
  hr_candidates_top_k (&c, 50);
  g_assert_cmpuint (c.size, ==, 50);
  for (int i = 0; i < 50; i++)
    g_assert_cmpint (c.data[i].id, ==, i);
  g_free (d);
  g_free (l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/engine/sampler/rng-known-answer", test_rng_known_answer);
  g_test_add_func ("/heron/engine/sampler/greedy", test_greedy);
  g_test_add_func ("/heron/engine/sampler/top-k", test_top_k);
  g_test_add_func ("/heron/engine/sampler/top-p", test_top_p);
  g_test_add_func ("/heron/engine/sampler/min-p", test_min_p);
  g_test_add_func ("/heron/engine/sampler/temperature", test_temperature);
  g_test_add_func ("/heron/engine/sampler/penalties", test_penalties);
  g_test_add_func ("/heron/engine/sampler/distribution", test_distribution);
  g_test_add_func ("/heron/engine/sampler/reproducible", test_reproducible);
  g_test_add_func ("/heron/engine/sampler/bad-input", test_bad_input);
  g_test_add_func ("/heron/engine/sampler/select-many-ties", test_select_many_ties);
  return g_test_run ();
}
