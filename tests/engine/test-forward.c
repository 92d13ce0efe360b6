/* test-forward.c: the engine's forward pass against a double-precision reference written
 * here from the architectures' definitions (plain loops over weights read with the GGUF
 * reader and the scalar dequantizers), plus batching, prefix reuse, context-full policies,
 * cancellation and concurrent contexts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "compute.h"
#include "gguf.h"
#include "make-model.h"
#include "model.h"

/* ============================================================================
 * Reference model (double precision, one token at a time)
 * ========================================================================== */

typedef struct {
  double *attn_norm, *wq, *wk, *wv, *wo, *bq, *bk, *bv, *q_norm, *k_norm;
  double *ffn_norm, *w_gate, *w_up, *w_down;
} RefLayer;

typedef struct {
  int n_embd, n_layer, n_head, n_kv, n_ff, hd, n_rot, n_vocab;
  double eps, base;
  gboolean neox;
  double *freq_factors;
  double *embd, *output, *output_norm;
  RefLayer *layers;
  /* cache: keys before rotation (the rotation is applied with the entry's current position,
   * which is what a context shift means), values */
  int n, cap;
  double **k, **v;
} RefModel;

static double *
ref_tensor (hr_gguf *g, const char *name, int64_t n_expected)
{
  const hr_gguf_tensor *t = hr_gguf_find_tensor (g, name);
  int64_t n = 1, n_cols;
  double *out;
  float *row;

  if (t == NULL)
    return NULL;
  for (uint32_t d = 0; d < t->n_dims; d++)
    n *= t->ne[d];
  g_assert_cmpint (n, ==, n_expected);
  n_cols = t->ne[0];
  out = g_new (double, n);
  row = g_new (float, n_cols);
  for (int64_t r = 0; r < n / n_cols; r++)
    {
      hr_dequantize_row_ref (t->type, (const char *) t->data
                                         + r * hr_type_row_size (t->type, n_cols), row, n_cols);
      for (int64_t c = 0; c < n_cols; c++)
        out[r * n_cols + c] = row[c];
    }
  g_free (row);
  return out;
}

static RefModel *
ref_load (const char *path, int cap)
{
  RefModel *m = g_new0 (RefModel, 1);
  hr_gguf *g;
  char err[256], key[128];
  g_autofree char *arch = NULL;

  g_assert_cmpint (hr_gguf_open (path, &g, err, sizeof err), ==, 0);
  arch = hr_gguf_get_strdup (g, "general.architecture");
#define GI(k) (g_snprintf (key, sizeof key, "%s." k, arch), hr_gguf_get_int (g, key, -1))
  m->n_embd = (int) GI ("embedding_length");
  m->n_layer = (int) GI ("block_count");
  m->n_head = (int) GI ("attention.head_count");
  m->n_kv = (int) GI ("attention.head_count_kv");
  m->n_ff = (int) GI ("feed_forward_length");
  m->hd = (int) GI ("attention.key_length");
  if (m->hd <= 0)
    m->hd = m->n_embd / m->n_head;
  m->n_rot = (int) GI ("rope.dimension_count");
#undef GI
  g_snprintf (key, sizeof key, "%s.attention.layer_norm_rms_epsilon", arch);
  m->eps = hr_gguf_get_float (g, key, 0);
  g_snprintf (key, sizeof key, "%s.rope.freq_base", arch);
  m->base = hr_gguf_get_float (g, key, 0);
  m->neox = g_strcmp0 (arch, "llama") != 0;
  m->n_vocab = (int) hr_gguf_find_tensor (g, "token_embd.weight")->ne[1];

  m->embd = ref_tensor (g, "token_embd.weight", (int64_t) m->n_vocab * m->n_embd);
  m->output = ref_tensor (g, "output.weight", (int64_t) m->n_vocab * m->n_embd);
  m->output_norm = ref_tensor (g, "output_norm.weight", m->n_embd);
  m->freq_factors = ref_tensor (g, "rope_freqs.weight", m->n_rot / 2);
  m->layers = g_new0 (RefLayer, m->n_layer);
  for (int l = 0; l < m->n_layer; l++)
    {
      RefLayer *L = &m->layers[l];
      int qd = m->n_head * m->hd, kd = m->n_kv * m->hd;
#define T(field, nm, n) \
      (g_snprintf (key, sizeof key, "blk.%d." nm, l), L->field = ref_tensor (g, key, n))
      T (attn_norm, "attn_norm.weight", m->n_embd);
      T (wq, "attn_q.weight", (int64_t) qd * m->n_embd);
      T (wk, "attn_k.weight", (int64_t) kd * m->n_embd);
      T (wv, "attn_v.weight", (int64_t) kd * m->n_embd);
      T (wo, "attn_output.weight", (int64_t) qd * m->n_embd);
      T (bq, "attn_q.bias", qd);
      T (bk, "attn_k.bias", kd);
      T (bv, "attn_v.bias", kd);
      T (q_norm, "attn_q_norm.weight", m->hd);
      T (k_norm, "attn_k_norm.weight", m->hd);
      T (ffn_norm, "ffn_norm.weight", m->n_embd);
      T (w_gate, "ffn_gate.weight", (int64_t) m->n_ff * m->n_embd);
      T (w_up, "ffn_up.weight", (int64_t) m->n_ff * m->n_embd);
      T (w_down, "ffn_down.weight", (int64_t) m->n_ff * m->n_embd);
#undef T
    }
  hr_gguf_close (g);
  m->cap = cap;
  m->k = g_new0 (double *, m->n_layer);
  m->v = g_new0 (double *, m->n_layer);
  for (int l = 0; l < m->n_layer; l++)
    {
      m->k[l] = g_new0 (double, (size_t) cap * m->n_kv * m->hd);
      m->v[l] = g_new0 (double, (size_t) cap * m->n_kv * m->hd);
    }
  return m;
}

static void
ref_free (RefModel *m)
{
  for (int l = 0; l < m->n_layer; l++)
    {
      RefLayer *L = &m->layers[l];
      double *all[] = { L->attn_norm, L->wq, L->wk, L->wv, L->wo, L->bq, L->bk, L->bv,
                        L->q_norm, L->k_norm, L->ffn_norm, L->w_gate, L->w_up, L->w_down };
      for (size_t i = 0; i < G_N_ELEMENTS (all); i++)
        g_free (all[i]);
      g_free (m->k[l]);
      g_free (m->v[l]);
    }
  g_free (m->k);
  g_free (m->v);
  g_free (m->layers);
  g_free (m->embd);
  g_free (m->output);
  g_free (m->output_norm);
  g_free (m->freq_factors);
  g_free (m);
}

/* y[r] = sum_c W[r][c] x[c], W stored row-major with n_cols columns */
static void
ref_matvec (const double *w, const double *x, int n_cols, int n_rows, double *y)
{
  for (int r = 0; r < n_rows; r++)
    {
      double s = 0;
      for (int c = 0; c < n_cols; c++)
        s += w[(size_t) r * n_cols + c] * x[c];
      y[r] = s;
    }
}

static void
ref_rmsnorm (double *out, const double *x, const double *w, int n, double eps)
{
  double ss = 0;
  for (int i = 0; i < n; i++)
    ss += x[i] * x[i];
  ss = 1.0 / sqrt (ss / n + eps);
  for (int i = 0; i < n; i++)
    out[i] = x[i] * ss * w[i];
}

/* Rotates one head vector to position pos. */
static void
ref_rope (const RefModel *m, double *x, int pos)
{
  for (int i = 0; i < m->n_rot / 2; i++)
    {
      double theta = pos * pow (m->base, -2.0 * i / m->n_rot);
      int a, b;
      double x0, x1;
      if (m->freq_factors != NULL)
        theta /= m->freq_factors[i];
      if (m->neox)
        a = i, b = i + m->n_rot / 2;
      else
        a = 2 * i, b = 2 * i + 1;
      x0 = x[a], x1 = x[b];
      x[a] = x0 * cos (theta) - x1 * sin (theta);
      x[b] = x0 * sin (theta) + x1 * cos (theta);
    }
}

/* Evaluates one token at position m->n; logits (n_vocab) out. */
static void
ref_eval (RefModel *m, int token, double *logits)
{
  int E = m->n_embd, hd = m->hd, qd = m->n_head * hd, kd = m->n_kv * hd, pos = m->n;
  double *x = g_new (double, E), *xn = g_new (double, E), *q = g_new (double, qd);
  double *k = g_new (double, kd), *v = g_new (double, kd), *att = g_new (double, qd);
  double *tmp = g_new (double, MAX (E, m->n_ff)), *g = g_new (double, m->n_ff);
  double *u = g_new (double, m->n_ff), *sc = g_new (double, pos + 1), *kr = g_new (double, hd);

  g_assert_cmpint (pos, <, m->cap);
  memcpy (x, m->embd + (size_t) token * E, E * sizeof (double));
  for (int l = 0; l < m->n_layer; l++)
    {
      RefLayer *L = &m->layers[l];
      ref_rmsnorm (xn, x, L->attn_norm, E, m->eps);
      ref_matvec (L->wq, xn, E, qd, q);
      ref_matvec (L->wk, xn, E, kd, k);
      ref_matvec (L->wv, xn, E, kd, v);
      for (int i = 0; L->bq != NULL && i < qd; i++)
        q[i] += L->bq[i];
      for (int i = 0; L->bk != NULL && i < kd; i++)
        k[i] += L->bk[i];
      for (int i = 0; L->bv != NULL && i < kd; i++)
        v[i] += L->bv[i];
      for (int h = 0; L->q_norm != NULL && h < m->n_head; h++)
        ref_rmsnorm (q + h * hd, q + h * hd, L->q_norm, hd, m->eps);
      for (int h = 0; L->k_norm != NULL && h < m->n_kv; h++)
        ref_rmsnorm (k + h * hd, k + h * hd, L->k_norm, hd, m->eps);
      memcpy (m->k[l] + (size_t) pos * kd, k, kd * sizeof (double));
      memcpy (m->v[l] + (size_t) pos * kd, v, kd * sizeof (double));
      for (int h = 0; h < m->n_head; h++)
        {
          int kvh = h / (m->n_head / m->n_kv);
          double *qh = q + h * hd, mx = -INFINITY, sum = 0;
          ref_rope (m, qh, pos);
          for (int j = 0; j <= pos; j++)
            {
              double s = 0;
              memcpy (kr, m->k[l] + (size_t) j * kd + kvh * hd, hd * sizeof (double));
              ref_rope (m, kr, j);
              for (int i = 0; i < hd; i++)
                s += qh[i] * kr[i];
              sc[j] = s / sqrt (hd);
              mx = MAX (mx, sc[j]);
            }
          for (int j = 0; j <= pos; j++)
            {
              sc[j] = exp (sc[j] - mx);
              sum += sc[j];
            }
          for (int i = 0; i < hd; i++)
            {
              double o = 0;
              for (int j = 0; j <= pos; j++)
                o += sc[j] * m->v[l][(size_t) j * kd + kvh * hd + i];
              att[h * hd + i] = o / sum;
            }
        }
      ref_matvec (L->wo, att, qd, E, tmp);
      for (int i = 0; i < E; i++)
        x[i] += tmp[i];
      ref_rmsnorm (xn, x, L->ffn_norm, E, m->eps);
      ref_matvec (L->w_gate, xn, E, m->n_ff, g);
      ref_matvec (L->w_up, xn, E, m->n_ff, u);
      for (int i = 0; i < m->n_ff; i++)
        g[i] = g[i] / (1 + exp (-g[i])) * u[i];
      ref_matvec (L->w_down, g, m->n_ff, E, tmp);
      for (int i = 0; i < E; i++)
        x[i] += tmp[i];
    }
  ref_rmsnorm (xn, x, m->output_norm, E, m->eps);
  ref_matvec (m->output != NULL ? m->output : m->embd, xn, E, m->n_vocab, logits);
  m->n++;
  g_free (x), g_free (xn), g_free (q), g_free (k), g_free (v), g_free (att);
  g_free (tmp), g_free (g), g_free (u), g_free (sc), g_free (kr);
}

/* Drops entries [n_keep, n_keep + n_discard): later entries take lower positions. */
static void
ref_shift (RefModel *m, int n_keep, int n_discard)
{
  int kd = m->n_kv * m->hd;
  for (int l = 0; l < m->n_layer; l++)
    {
      memmove (m->k[l] + (size_t) n_keep * kd, m->k[l] + (size_t) (n_keep + n_discard) * kd,
               (size_t) (m->n - n_keep - n_discard) * kd * sizeof (double));
      memmove (m->v[l] + (size_t) n_keep * kd, m->v[l] + (size_t) (n_keep + n_discard) * kd,
               (size_t) (m->n - n_keep - n_discard) * kd * sizeof (double));
    }
  m->n -= n_discard;
}

/* ============================================================================
 * Helpers
 * ========================================================================== */

typedef struct {
  char *dir;
  char *path;
} TmpModel;

static void
tmp_model_make (TmpModel *t, const HeronTestModelSpec *spec)
{
  char err[256] = "";
  GError *error = NULL;

  t->dir = g_dir_make_tmp ("heron-forward-XXXXXX", &error);
  g_assert_no_error (error);
  t->path = g_build_filename (t->dir, "model.gguf", NULL);
  if (heron_test_make_model (t->path, spec, err, sizeof err) != 0)
    g_error ("make model: %s", err);
}

static void
tmp_model_clear (TmpModel *t)
{
  g_unlink (t->path);
  g_rmdir (t->dir);
  g_free (t->path);
  g_free (t->dir);
}

static hr_model *
load (const char *path)
{
  char err[256] = "";
  hr_model *m = hr_model_load (path, NULL, err, sizeof err);
  if (m == NULL)
    g_error ("load %s: %s", path, err);
  return m;
}

static hr_context *
new_ctx (hr_model *m, int n_ctx, int n_batch, hr_type kv, gboolean all_logits)
{
  hr_context_params p;
  char err[256] = "";
  hr_context *c;

  hr_context_params_default (&p);
  p.n_ctx = n_ctx;
  p.n_batch = n_batch;
  p.kv_type = kv;
  p.all_logits = all_logits;
  p.n_threads = 2;
  c = hr_context_new (m, &p, err, sizeof err);
  if (c == NULL)
    g_error ("context: %s", err);
  return c;
}

static void
decode_ok (hr_context *c, const hr_token *t, int n)
{
  char err[256] = "";
  int rc = hr_decode (c, t, n, err, sizeof err);
  if (rc != HR_OK)
    g_error ("decode: %d %s", rc, err);
}

/* max |a - b| / (max(ref) - min(ref)), and the cosine */
static double
rel_err (const float *a, const double *ref, int n, double *cosine)
{
  double lo = INFINITY, hi = -INFINITY, e = 0, ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; i++)
    {
      lo = MIN (lo, ref[i]);
      hi = MAX (hi, ref[i]);
      e = MAX (e, fabs (a[i] - ref[i]));
      ab += a[i] * ref[i];
      aa += (double) a[i] * a[i];
      bb += ref[i] * ref[i];
    }
  if (cosine != NULL)
    *cosine = ab / sqrt (aa * bb);
  return e / (hi - lo);
}

static double
rel_err_ff (const float *a, const float *b, int n)
{
  double *d = g_new (double, n), r;
  for (int i = 0; i < n; i++)
    d[i] = b[i];
  r = rel_err (a, d, n, NULL);
  g_free (d);
  return r;
}

static void
make_tokens (hr_token *t, int n, int n_vocab, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  for (int i = 0; i < n; i++)
    t[i] = g_rand_int_range (r, 0, n_vocab);
  g_rand_free (r);
}

/* ============================================================================
 * Against the reference
 * ========================================================================== */

typedef struct {
  const char *arch;
  hr_type type;
  const char *mix;
  gboolean tied;
  gboolean freq_factors;
  int n_embd, n_ff, n_head, n_kv, head_dim;
  hr_type kv_type;
  double tol;          /* max abs error relative to the logit range */
} RefCase;

static void
test_reference (gconstpointer data)
{
  const RefCase *rc = data;
  HeronTestModelSpec spec;
  TmpModel tm;
  hr_model *m;
  hr_context *c;
  RefModel *ref;
  enum { N_PROMPT = 19, N_GEN = 4 };
  hr_token toks[N_PROMPT + N_GEN];
  double *rl, worst = 0, worst_cos = 1;
  int n_vocab;

  heron_test_model_spec_init (&spec, rc->arch);
  spec.type = rc->type;
  spec.mix = rc->mix;
  spec.tied = rc->tied;
  spec.rope_freq_factors = rc->freq_factors;
  if (rc->n_embd > 0)
    spec.n_embd = rc->n_embd;
  if (rc->n_ff > 0)
    spec.n_ff = rc->n_ff;
  if (rc->n_head > 0)
    spec.n_head = rc->n_head, spec.n_head_kv = rc->n_kv;
  spec.head_dim = rc->head_dim;
  spec.seed = 42;
  tmp_model_make (&tm, &spec);
  m = load (tm.path);
  g_assert_cmpstr (hr_model_arch (m), ==, rc->arch);
  n_vocab = hr_model_n_vocab (m);
  ref = ref_load (tm.path, 64);
  rl = g_new (double, n_vocab);
  make_tokens (toks, N_PROMPT + N_GEN, n_vocab, 7);

  /* A prompt in batches of 8 (all positions compared), then single tokens. */
  c = new_ctx (m, 64, 8, rc->kv_type, TRUE);
  decode_ok (c, toks, N_PROMPT);
  for (int i = 0; i < N_PROMPT; i++)
    {
      double cs, e;
      ref_eval (ref, toks[i], rl);
      e = rel_err (hr_context_logits_at (c, i), rl, n_vocab, &cs);
      worst = MAX (worst, e);
      worst_cos = MIN (worst_cos, cs);
    }
  g_assert_true (hr_context_logits (c) == hr_context_logits_at (c, N_PROMPT - 1));
  for (int i = N_PROMPT; i < N_PROMPT + N_GEN; i++)
    {
      double cs, e;
      decode_ok (c, toks + i, 1);
      ref_eval (ref, toks[i], rl);
      e = rel_err (hr_context_logits (c), rl, n_vocab, &cs);
      worst = MAX (worst, e);
      worst_cos = MIN (worst_cos, cs);
    }
  g_test_message ("%s %s%s: max error %.3g of the logit range, min cosine %.7f", rc->arch,
                  rc->mix ? rc->mix : hr_type_name (rc->type), rc->tied ? " tied" : "", worst,
                  worst_cos);
  g_assert_cmpfloat (worst, <, rc->tol);
  g_assert_cmpfloat (worst_cos, >, rc->tol < 1e-3 ? 0.99999 : 0.999);
  g_assert_cmpint (hr_context_n_past (c), ==, N_PROMPT + N_GEN);

  g_free (rl);
  ref_free (ref);
  hr_context_free (c);
  hr_model_free (m);
  tmp_model_clear (&tm);
}

/* ============================================================================
 * Engine properties
 * ========================================================================== */

static TmpModel shared_model;

static const char *
shared_path (void)
{
  if (shared_model.path == NULL)
    {
      HeronTestModelSpec spec;
      heron_test_model_spec_init (&spec, "llama");
      spec.rope_freq_factors = TRUE;
      spec.type = HR_TYPE_Q8_0;
      spec.embd_type = HR_TYPE_F16;
      spec.seed = 5;
      tmp_model_make (&shared_model, &spec);
    }
  return shared_model.path;
}

/* Batched prompt processing gives the logits of token-by-token processing. */
static void
test_batched (void)
{
  hr_model *m = load (shared_path ());
  int nv = hr_model_n_vocab (m);
  hr_context *a = new_ctx (m, 64, 16, HR_TYPE_F16, TRUE);
  hr_context *b = new_ctx (m, 64, 1, HR_TYPE_F16, FALSE);
  hr_token t[40];

  make_tokens (t, 40, nv, 3);
  decode_ok (a, t, 40);
  for (int i = 0; i < 40; i++)
    {
      decode_ok (b, t + i, 1);
      g_assert_cmpfloat (rel_err_ff (hr_context_logits_at (a, i), hr_context_logits (b), nv),
                         <, 1e-5);
    }
  hr_context_free (a);
  hr_context_free (b);
  hr_model_free (m);
}

/* Truncating and decoding other tokens equals a fresh evaluation of the same sequence. */
static void
test_prefix_reuse (void)
{
  hr_model *m = load (shared_path ());
  int nv = hr_model_n_vocab (m);
  hr_context *a = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_context *b = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_token t[30], u[30];
  g_autofree float *la = g_new (float, nv);

  make_tokens (t, 30, nv, 11);
  memcpy (u, t, sizeof t);
  make_tokens (u + 12, 18, nv, 12);
  u[12] = (t[12] + 1) % nv;
  decode_ok (a, t, 30);
  g_assert_cmpint (hr_context_common_prefix (a, u, 30), ==, 12);
  g_assert_cmpint (hr_context_common_prefix (a, t, 20), ==, 20);
  hr_context_truncate (a, hr_context_common_prefix (a, u, 30));
  g_assert_cmpint (hr_context_n_past (a), ==, 12);
  g_assert_null (hr_context_logits (a));
  decode_ok (a, u + 12, 18);
  memcpy (la, hr_context_logits (a), nv * sizeof (float));
  decode_ok (b, u, 30);
  g_assert_cmpfloat (rel_err_ff (la, hr_context_logits (b), nv), <, 1e-5);
  g_assert_cmpmem (hr_context_tokens (a), 30 * sizeof (hr_token), u, 30 * sizeof (hr_token));
  hr_context_free (a);
  hr_context_free (b);
  hr_model_free (m);
}

static void
test_context_full_error (void)
{
  hr_model *m = load (shared_path ());
  int nv = hr_model_n_vocab (m);
  hr_context *c = new_ctx (m, 32, 8, HR_TYPE_F16, FALSE);
  hr_token t[40];
  char err[256] = "";

  make_tokens (t, 40, nv, 13);
  decode_ok (c, t, 30);
  g_assert_cmpint (hr_decode (c, t + 30, 5, err, sizeof err), ==, HR_ERR_CONTEXT_FULL);
  g_assert_nonnull (strstr (err, "context"));
  g_assert_cmpint (hr_context_n_past (c), ==, 30);
  decode_ok (c, t + 30, 2);
  g_assert_cmpint (hr_context_n_past (c), ==, 32);
  g_assert_cmpint (hr_decode (c, t, 1, err, sizeof err), ==, HR_ERR_CONTEXT_FULL);
  /* bad tokens are refused */
  hr_context_truncate (c, 0);
  t[0] = nv;
  g_assert_cmpint (hr_decode (c, t, 1, err, sizeof err), ==, HR_ERR);
  hr_context_free (c);
  hr_model_free (m);
}

/* A context shift keeps the first n_keep tokens, drops the oldest of the rest and re-rotates
 * the remaining keys: the reference does the same by position. */
static void
test_context_shift (void)
{
  HeronTestModelSpec spec;
  TmpModel tm;
  hr_model *m;
  hr_context *c;
  hr_context_params p;
  RefModel *ref;
  char err[256] = "";
  enum { N_CTX = 24, N_KEEP = 5, N_TOK = 60 };
  hr_token t[N_TOK];
  double *rl, worst = 0;
  int nv;

  heron_test_model_spec_init (&spec, "qwen2");
  spec.seed = 9;
  tmp_model_make (&tm, &spec);
  m = load (tm.path);
  nv = hr_model_n_vocab (m);
  ref = ref_load (tm.path, N_CTX);
  rl = g_new (double, nv);
  make_tokens (t, N_TOK, nv, 17);

  hr_context_params_default (&p);
  p.n_ctx = N_CTX;
  p.n_batch = 4;
  p.kv_type = HR_TYPE_F32;
  p.on_full = HR_CTX_FULL_SHIFT;
  p.n_keep = N_KEEP;
  c = hr_context_new (m, &p, err, sizeof err);
  g_assert_nonnull (c);
  /* one batch of 10 then single tokens, through several shifts */
  decode_ok (c, t, 10);
  for (int i = 0; i < 10; i++)
    ref_eval (ref, t[i], rl);
  for (int i = 10; i < N_TOK; i++)
    {
      if (ref->n + 1 > N_CTX)
        {
          int n_discard = MAX ((ref->n - N_KEEP) / 2, ref->n + 1 - N_CTX);
          ref_shift (ref, N_KEEP, n_discard);
        }
      decode_ok (c, t + i, 1);
      ref_eval (ref, t[i], rl);
      g_assert_cmpint (hr_context_n_past (c), ==, ref->n);
      worst = MAX (worst, rel_err (hr_context_logits (c), rl, nv, NULL));
    }
  g_test_message ("shift: max error %.3g", worst);
  g_assert_cmpfloat (worst, <, 1e-4);
  /* the kept prefix is still the first tokens */
  g_assert_cmpmem (hr_context_tokens (c), N_KEEP * sizeof (hr_token), t,
                   N_KEEP * sizeof (hr_token));
  g_assert_cmpint (hr_context_tokens (c)[hr_context_n_past (c) - 1], ==, t[N_TOK - 1]);
  /* more new tokens than a context can hold even after shifting */
  g_assert_cmpint (hr_decode (c, t, N_CTX, err, sizeof err), ==, HR_ERR_CONTEXT_FULL);

  g_free (rl);
  ref_free (ref);
  hr_context_free (c);
  hr_model_free (m);
  tmp_model_clear (&tm);
}

typedef struct {
  hr_context *c;
  const hr_token *t;
  int n;
  int rc;
  gint started;
} DecodeJob;

static gpointer
decode_thread (gpointer data)
{
  DecodeJob *j = data;
  char err[256];
  j->rc = HR_OK;
  for (int i = 0; i < j->n && j->rc == HR_OK; i++)
    {
      j->rc = hr_decode (j->c, j->t + (i % 8), 1, err, sizeof err);
      if (hr_context_n_past (j->c) >= hr_context_n_ctx (j->c) - 1)
        hr_context_truncate (j->c, 0);
      g_atomic_int_set (&j->started, 1);
    }
  return NULL;
}

static void
test_cancel (void)
{
  hr_model *m = load (shared_path ());
  int nv = hr_model_n_vocab (m);
  hr_context *c = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_token t[16];
  char err[256] = "";
  DecodeJob j = { 0 };
  GThread *th;

  make_tokens (t, 16, nv, 19);
  hr_context_cancel (c);
  g_assert_cmpint (hr_decode (c, t, 16, err, sizeof err), ==, HR_ERR_CANCELLED);
  g_assert_cmpint (hr_context_n_past (c), ==, 0);
  hr_context_reset_cancel (c);
  decode_ok (c, t, 16);
  g_assert_cmpint (hr_context_n_past (c), ==, 16);

  /* From another thread while generating: the loop would run far longer than the test. */
  hr_context_truncate (c, 0);
  j.c = c;
  j.t = t;
  j.n = G_MAXINT;
  th = g_thread_new ("decode", decode_thread, &j);
  while (!g_atomic_int_get (&j.started))
    g_usleep (1000);
  hr_context_cancel (c);
  g_thread_join (th);
  g_assert_cmpint (j.rc, ==, HR_ERR_CANCELLED);
  hr_context_free (c);
  hr_model_free (m);
}

static gpointer
run_sequence (gpointer data)
{
  DecodeJob *j = data;
  char err[256];
  j->rc = hr_decode (j->c, j->t, j->n, err, sizeof err);
  for (int i = 0; i < 6 && j->rc == HR_OK; i++)
    j->rc = hr_decode (j->c, j->t + i, 1, err, sizeof err);
  return NULL;
}

/* Two contexts on one model in two threads give identical results. */
static void
test_two_contexts (void)
{
  hr_model *m = load (shared_path ());
  int nv = hr_model_n_vocab (m);
  hr_context *a = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_context *b = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_context *s = new_ctx (m, 64, 8, HR_TYPE_F16, FALSE);
  hr_token t[24];
  DecodeJob ja = { 0 }, jb = { 0 }, js = { 0 };
  GThread *ta, *tb;

  make_tokens (t, 24, nv, 23);
  ja = (DecodeJob) { a, t, 24, 0, 0 };
  jb = (DecodeJob) { b, t, 24, 0, 0 };
  js = (DecodeJob) { s, t, 24, 0, 0 };
  ta = g_thread_new ("a", run_sequence, &ja);
  tb = g_thread_new ("b", run_sequence, &jb);
  run_sequence (&js);
  g_thread_join (ta);
  g_thread_join (tb);
  g_assert_cmpint (ja.rc, ==, HR_OK);
  g_assert_cmpint (jb.rc, ==, HR_OK);
  g_assert_cmpmem (hr_context_logits (a), nv * sizeof (float), hr_context_logits (b),
                   nv * sizeof (float));
  g_assert_cmpmem (hr_context_logits (a), nv * sizeof (float), hr_context_logits (s),
                   nv * sizeof (float));
  hr_context_free (a);
  hr_context_free (b);
  hr_context_free (s);
  hr_model_free (m);
}


/* Both batched product paths (integer dots, dequantized panels + sgemm) against double
 * sums over the dequantized weights. */
static void
test_matmul_kinds (void)
{
  static const hr_type types[] = { HR_TYPE_F32, HR_TYPE_F16, HR_TYPE_Q8_0, HR_TYPE_Q4_K };
  enum { ROWS = 200, COLS = 256, TOK = 40 };
  hr_pool *pool = hr_pool_new (2);
  hr_matmul_scratch *sc = hr_matmul_scratch_new ();
  GRand *r = g_rand_new_with_seed (31);
  float *w = g_new (float, ROWS * COLS), *wd = g_new (float, ROWS * COLS);
  float *x = g_new (float, TOK * COLS), *y = g_new (float, TOK * ROWS);
  double *ref = g_new (double, TOK * ROWS);

  hr_quants_init ();
  for (int i = 0; i < ROWS * COLS; i++)
    w[i] = (float) g_rand_double_range (r, -1, 1);
  for (int i = 0; i < TOK * COLS; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);
  for (size_t k = 0; k < G_N_ELEMENTS (types); k++)
    {
      size_t rs = hr_type_row_size (types[k], COLS);
      char *q = g_malloc (rs * ROWS);
      hr_matrix m = { types[k], q, COLS, ROWS, rs };
      const hr_matrix *mp[1] = { &m };
      float *yp[1] = { y };
      double range = 0;

      for (int i = 0; i < ROWS; i++)
        {
          hr_quantize_row (types[k], w + i * COLS, q + i * rs, COLS);
          hr_dequantize_row_ref (types[k], q + i * rs, wd + i * COLS, COLS);
        }
      for (int t = 0; t < TOK; t++)
        for (int i = 0; i < ROWS; i++)
          {
            double s = 0;
            for (int j = 0; j < COLS; j++)
              s += (double) wd[i * COLS + j] * x[t * COLS + j];
            ref[t * ROWS + i] = s;
            range = MAX (range, fabs (s));
          }
      for (int kind = HR_MATMUL_DOT; kind <= HR_MATMUL_BLAS; kind++)
        {
          double e = 0;
          g_assert_true (hr_matmul (pool, sc, kind, 1, mp, x, TOK, yp));
          for (int i = 0; i < TOK * ROWS; i++)
            e = MAX (e, fabs (y[i] - ref[i]));
          g_test_message ("%s %s: max error %.3g of %.3g", hr_type_name (types[k]),
                          kind == HR_MATMUL_DOT ? "dot" : "blas", e, range);
          /* the dot path quantizes activations to 8 bits for quantized weights */
          g_assert_cmpfloat (e, <, (kind == HR_MATMUL_DOT && types[k] >= HR_TYPE_Q4_0
                                    ? 2e-2 : 1e-4) * range);
        }
      g_free (q);
    }
  g_rand_free (r);
  g_free (w), g_free (wd), g_free (x), g_free (y), g_free (ref);
  hr_matmul_scratch_free (sc);
  hr_pool_free (pool);
}

/* ============================================================================
 * Load errors
 * ========================================================================== */

static void
expect_load_error (const HeronTestModelSpec *spec, const char *needle)
{
  TmpModel tm;
  char err[256] = "";
  hr_model *m;

  tmp_model_make (&tm, spec);
  m = hr_model_load (tm.path, NULL, err, sizeof err);
  g_assert_null (m);
  g_test_message ("load error: %s", err);
  g_assert_nonnull (strstr (err, needle));
  tmp_model_clear (&tm);
}

static void
test_load_errors (void)
{
  HeronTestModelSpec spec;
  char err[256] = "";

  heron_test_model_spec_init (&spec, "gemma3");
  expect_load_error (&spec, "gemma3");
  heron_test_model_spec_init (&spec, "qwen2");
  spec.qkv_bias = FALSE;
  expect_load_error (&spec, "blk.0.attn_q.bias");
  heron_test_model_spec_init (&spec, "llama");
  spec.qk_norm = TRUE;   /* a tensor the architecture does not use */
  expect_load_error (&spec, "attn_q_norm");
  g_assert_null (hr_model_load ("/nonexistent/model.gguf", NULL, err, sizeof err));
  g_assert_cmpstr (err, !=, "");
}

static gboolean
cancel_load (float fraction, void *ud)
{
  int *calls = ud;
  (*calls)++;
  return fraction < 0.5f;
}

static void
test_load_progress (void)
{
  hr_model_params p;
  int calls = 0;
  char err[256] = "";

  hr_model_params_default (&p);
  p.progress = (bool (*) (float, void *)) cancel_load;
  p.progress_ud = &calls;
  g_assert_null (hr_model_load (shared_path (), &p, err, sizeof err));
  g_assert_nonnull (strstr (err, "cancel"));
  g_assert_cmpint (calls, >=, 2);
}

/* ============================================================================ */

static const RefCase ref_cases[] = {
  { "llama", HR_TYPE_F32, NULL, TRUE, TRUE, 0, 0, 0, 0, 0, HR_TYPE_F32, 1e-4 },
  { "llama", HR_TYPE_F32, NULL, FALSE, FALSE, 0, 0, 4, 4, 0, HR_TYPE_F32, 1e-4 },
  { "qwen2", HR_TYPE_F32, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F32, 1e-4 },
  { "qwen2", HR_TYPE_F32, NULL, FALSE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F32, 1e-4 },
  { "qwen3", HR_TYPE_F32, NULL, TRUE, FALSE, 0, 0, 4, 2, 32, HR_TYPE_F32, 1e-4 },
  /* F16 cache: keys and values rounded to half precision */
  { "qwen3", HR_TYPE_F32, NULL, FALSE, FALSE, 0, 0, 4, 2, 32, HR_TYPE_F16, 3e-3 },
  /* quantized weights against the same weights dequantized (activations are quantized to
   * 8 bits by the engine, as llama.cpp does) */
  { "llama", HR_TYPE_F16, NULL, TRUE, TRUE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-3 },
  { "qwen2", HR_TYPE_Q8_0, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-2 },
  { "llama", HR_TYPE_Q4_0, NULL, FALSE, TRUE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-2 },
  { "qwen2", HR_TYPE_Q5_1, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-2 },
  { "llama", HR_TYPE_Q4_K, "q4_k_m", TRUE, TRUE, 256, 512, 4, 2, 0, HR_TYPE_F16, 3e-2 },
  { "qwen3", HR_TYPE_Q6_K, NULL, FALSE, FALSE, 256, 256, 4, 2, 64, HR_TYPE_F16, 3e-2 },
  { "qwen2", HR_TYPE_Q3_K, NULL, TRUE, FALSE, 256, 256, 4, 2, 0, HR_TYPE_F16, 3e-2 },
  { "llama", HR_TYPE_Q2_K, NULL, TRUE, FALSE, 256, 256, 4, 2, 0, HR_TYPE_F16, 3e-2 },
  { "qwen2", HR_TYPE_Q5_K, NULL, TRUE, FALSE, 256, 256, 4, 2, 0, HR_TYPE_F16, 3e-2 },
  { "llama", HR_TYPE_BF16, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-3 },
  { "qwen2", HR_TYPE_Q4_1, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-2 },
  { "qwen2", HR_TYPE_Q5_0, NULL, TRUE, FALSE, 0, 0, 0, 0, 0, HR_TYPE_F16, 3e-2 },
};

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (ref_cases); i++)
    {
      const RefCase *c = &ref_cases[i];
      g_autofree char *p = g_strdup_printf ("/heron/engine/forward/reference/%s-%s%s%s-kv%s",
                                            c->arch, c->mix ? c->mix : hr_type_name (c->type),
                                            c->tied ? "-tied" : "",
                                            c->freq_factors ? "-ropefreqs" : "",
                                            hr_type_name (c->kv_type));
      g_test_add_data_func (p, c, test_reference);
    }
  g_test_add_func ("/heron/engine/forward/batched", test_batched);
  g_test_add_func ("/heron/engine/forward/prefix-reuse", test_prefix_reuse);
  g_test_add_func ("/heron/engine/forward/context-full-error", test_context_full_error);
  g_test_add_func ("/heron/engine/forward/context-shift", test_context_shift);
  g_test_add_func ("/heron/engine/forward/cancel", test_cancel);
  g_test_add_func ("/heron/engine/forward/two-contexts", test_two_contexts);
  g_test_add_func ("/heron/engine/forward/matmul-kinds", test_matmul_kinds);
  g_test_add_func ("/heron/engine/forward/load-errors", test_load_errors);
  g_test_add_func ("/heron/engine/forward/load-progress", test_load_progress);
  rc = g_test_run ();
  if (shared_model.path != NULL)
    tmp_model_clear (&shared_model);
  return rc;
}
