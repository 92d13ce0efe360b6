/* model.c: architectures (table-driven), model loading over the GGUF mapping, contexts and
 * the forward pass (RMSNorm, RoPE, grouped-query attention, SwiGLU).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "compute.h"
#include "gguf.h"
#include "kvcache.h"

/* ============================================================================
 * Architectures
 * ========================================================================== */

typedef enum { ROPE_NORM, ROPE_NEOX } rope_style;
typedef enum { T_ABSENT, T_OPTIONAL, T_REQUIRED } presence;

/* Everything that differs between the supported architectures. Hyperparameters are read from
 * "<name>.<key>" keys (the same key names for every architecture here). Adding an
 * architecture of the same family is one line. */
typedef struct {
  const char *name;
  rope_style rope;
  presence qkv_bias;     /* blk.N.attn_{q,k,v}.bias */
  presence qk_norm;      /* blk.N.attn_{q,k}_norm.weight: RMS norm per head before RoPE */
  presence rope_freqs;   /* rope_freqs.weight: Llama 3 per-dimension frequency factors */
} arch_info;

static const arch_info ARCHS[] = {
  { "llama", ROPE_NORM, T_OPTIONAL, T_ABSENT, T_OPTIONAL },
  { "qwen2", ROPE_NEOX, T_REQUIRED, T_ABSENT, T_ABSENT },
  { "qwen3", ROPE_NEOX, T_ABSENT, T_REQUIRED, T_ABSENT },
};

/* ============================================================================
 * Model
 * ========================================================================== */

typedef struct {
  const float *attn_norm;                 /* [n_embd] */
  hr_matrix wq, wk, wv, wo;               /* [n_embd] -> [n_head * hd_k] ... */
  const float *bq, *bk, *bv;              /* biases or NULL */
  const float *q_norm, *k_norm;           /* [hd_k] or NULL */
  const float *ffn_norm;                  /* [n_embd] */
  hr_matrix w_gate, w_up, w_down;         /* [n_embd] -> [n_ff] -> [n_embd] */
} layer_weights;

struct hr_model {
  hr_gguf *gguf;
  const arch_info *arch;
  hr_vocab *vocab;
  char *chat_template;
  int n_threads;

  int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, hd_k, hd_v, n_rot, n_ctx_train;
  float rms_eps;
  float *inv_freq;                         /* [n_rot / 2]: freq_scale * base^(-2i/n_rot) / ff_i */

  hr_matrix tok_embd, output;
  const float *output_norm;
  layer_weights *layers;

  float **vectors;                         /* owned F32 copies of 1-D tensors */
  int n_vectors;
  uint64_t weights_size;
  void *anon;                              /* weights copied to huge pages, or NULL */
  size_t anon_size;
};

static void
set_err (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL || errlen == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
}

void
hr_model_params_default (hr_model_params *p)
{
  memset (p, 0, sizeof *p);
}

typedef struct {
  hr_model *m;
  const hr_gguf *g;
  char *err;
  size_t errlen;
  int64_t n_used;
  const hr_model_params *p;
  int64_t n_tensors_done;
} loader;

static const char *
type_name (hr_type t)
{
  const char *n = hr_type_name (t);
  return n != NULL ? n : "unknown";
}

/* Finds a tensor and checks its shape and type; NULL with a message when it is wrong or
 * missing and required. */
static const hr_gguf_tensor *
get_tensor (loader *ld, const char *name, bool required, int64_t ne0, int64_t ne1)
{
  const hr_gguf_tensor *t = hr_gguf_find_tensor (ld->g, name);
  int n_dims = ne1 > 0 ? 2 : 1;
  const hr_type_traits *tr;

  if (t == NULL)
    {
      if (required)
        set_err (ld->err, ld->errlen, "model file lacks tensor '%s' needed by architecture '%s'",
                 name, ld->m->arch->name);
      return NULL;
    }
  ld->n_used++;
  tr = hr_type_get_traits (t->type);
  if (tr == NULL || !tr->supported || tr->block_size == 0)
    {
      set_err (ld->err, ld->errlen, "tensor '%s' has type %s (%d), which this engine cannot run",
               name, type_name (t->type), (int) t->type);
      return NULL;
    }
  for (uint32_t d = (uint32_t) n_dims; d < t->n_dims; d++)
    if (t->ne[d] != 1)
      {
        set_err (ld->err, ld->errlen, "tensor '%s' has %u dimensions, expected %d", name,
                 t->n_dims, n_dims);
        return NULL;
      }
  if (t->ne[0] != ne0 || (n_dims == 2 && (t->n_dims < 2 || t->ne[1] != ne1))
      || (n_dims == 1 && t->n_dims > 1 && t->ne[1] != 1))
    {
      set_err (ld->err, ld->errlen,
               "tensor '%s' has shape [%lld, %lld], expected [%lld, %lld]", name,
               (long long) t->ne[0], (long long) (t->n_dims > 1 ? t->ne[1] : 1),
               (long long) ne0, (long long) (ne1 > 0 ? ne1 : 1));
      return NULL;
    }
  ld->m->weights_size += t->nbytes;
  return t;
}

static bool
get_matrix (loader *ld, hr_matrix *out, bool required, int64_t n_cols, int64_t n_rows,
            const char *fmt, ...)
{
  char name[128];
  va_list ap;
  const hr_gguf_tensor *t;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  memset (out, 0, sizeof *out);
  t = get_tensor (ld, name, required, n_cols, n_rows);
  if (t == NULL)
    return !required && hr_gguf_find_tensor (ld->g, name) == NULL;
  out->type = t->type;
  out->data = t->data;
  out->n_cols = n_cols;
  out->n_rows = n_rows;
  out->row_size = hr_type_row_size (t->type, n_cols);
  if (out->row_size == 0 || out->row_size * (size_t) n_rows > t->nbytes)
    {
      set_err (ld->err, ld->errlen, "tensor '%s': rows of %lld elements do not fit type %s",
               name, (long long) n_cols, type_name (t->type));
      return false;
    }
  return true;
}

/* 1-D tensors (norms, biases, frequency factors) are small: keep F32 copies of them so any
 * stored type works. */
static bool
get_vector (loader *ld, const float **out, presence pr, int64_t n, const char *fmt, ...)
{
  char name[128];
  va_list ap;
  const hr_gguf_tensor *t;
  float *v, **nv;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  *out = NULL;
  if (pr == T_ABSENT)
    return true;
  t = get_tensor (ld, name, pr == T_REQUIRED, n, 0);
  if (t == NULL)
    return pr == T_OPTIONAL && hr_gguf_find_tensor (ld->g, name) == NULL;
  if (hr_type_row_size (t->type, n) == 0 || hr_type_row_size (t->type, n) > t->nbytes)
    {
      set_err (ld->err, ld->errlen, "tensor '%s': %lld elements do not fit type %s", name,
               (long long) n, type_name (t->type));
      return false;
    }
  v = malloc ((size_t) n * sizeof (float));
  nv = realloc (ld->m->vectors, (size_t) (ld->m->n_vectors + 1) * sizeof (float *));
  if (v == NULL || nv == NULL)
    {
      free (v);
      if (nv != NULL)
        ld->m->vectors = nv;
      set_err (ld->err, ld->errlen, "out of memory loading '%s'", name);
      return false;
    }
  ld->m->vectors = nv;
  nv[ld->m->n_vectors++] = v;
  hr_dequantize_row (t->type, t->data, v, n);
  *out = v;
  return true;
}

static bool
progress (loader *ld, float f)
{
  if (ld->p == NULL || ld->p->progress == NULL)
    return true;
  if (!ld->p->progress (f, ld->p->progress_ud))
    {
      set_err (ld->err, ld->errlen, "model load cancelled");
      return false;
    }
  return true;
}

/* Reads "<arch>.<key>" as an integer; a per-layer array or a bad value is an error. */
static bool
get_hparam (loader *ld, const char *key, bool required, int64_t def, int64_t lo, int64_t hi,
            int32_t *out)
{
  char full[160];
  int64_t kv, v;
  hr_gguf_type t;

  snprintf (full, sizeof full, "%s.%s", ld->m->arch->name, key);
  kv = hr_gguf_find_key (ld->g, full);
  if (kv < 0)
    {
      if (required)
        {
          set_err (ld->err, ld->errlen, "model file lacks the key '%s'", full);
          return false;
        }
      *out = (int32_t) def;
      return true;
    }
  t = hr_gguf_kv_type (ld->g, kv);
  if (t == HR_GGUF_ARRAY || t == HR_GGUF_STRING)
    {
      set_err (ld->err, ld->errlen, "key '%s' is not a number (per-layer values are not "
               "supported)", full);
      return false;
    }
  v = hr_gguf_get_int (ld->g, full, INT64_MIN);
  if (v < lo || v > hi)
    {
      set_err (ld->err, ld->errlen, "key '%s' = %lld is out of range [%lld, %lld]", full,
               (long long) v, (long long) lo, (long long) hi);
      return false;
    }
  *out = (int32_t) v;
  return true;
}

static double
get_fparam (loader *ld, const char *key, double def)
{
  char full[160];
  snprintf (full, sizeof full, "%s.%s", ld->m->arch->name, key);
  return hr_gguf_get_float (ld->g, full, def);
}

static bool
load_hparams (loader *ld)
{
  hr_model *m = ld->m;
  char key[160];
  int32_t expert_count;
  double base, scale = 1.0;
  char *scaling;

  if (!get_hparam (ld, "embedding_length", true, 0, 1, 1 << 20, &m->n_embd)
      || !get_hparam (ld, "block_count", true, 0, 1, 4096, &m->n_layer)
      || !get_hparam (ld, "feed_forward_length", true, 0, 1, 1 << 22, &m->n_ff)
      || !get_hparam (ld, "attention.head_count", true, 0, 1, 1 << 16, &m->n_head)
      || !get_hparam (ld, "attention.head_count_kv", false, m->n_head, 1, m->n_head,
                      &m->n_head_kv)
      || !get_hparam (ld, "context_length", false, 2048, 1, 1 << 24, &m->n_ctx_train)
      || !get_hparam (ld, "expert_count", false, 0, 0, 0, &expert_count))
    return false;
  if (m->n_head % m->n_head_kv != 0)
    {
      set_err (ld->err, ld->errlen, "head_count %d is not a multiple of head_count_kv %d",
               m->n_head, m->n_head_kv);
      return false;
    }
  if (!get_hparam (ld, "attention.key_length", false, m->n_embd / m->n_head, 1, 1 << 16,
                   &m->hd_k)
      || !get_hparam (ld, "attention.value_length", false, m->n_embd / m->n_head, 1, 1 << 16,
                      &m->hd_v)
      || !get_hparam (ld, "rope.dimension_count", false, m->hd_k, 2, m->hd_k, &m->n_rot))
    return false;
  if (m->n_rot % 2 != 0)
    {
      set_err (ld->err, ld->errlen, "rope dimension count %d is odd", m->n_rot);
      return false;
    }
  m->rms_eps = (float) get_fparam (ld, "attention.layer_norm_rms_epsilon", 1e-5);
  if (!(m->rms_eps > 0 && m->rms_eps < 1))
    {
      set_err (ld->err, ld->errlen, "bad RMS norm epsilon %g", (double) m->rms_eps);
      return false;
    }
  base = get_fparam (ld, "rope.freq_base", 10000.0);
  if (!(base > 1))
    {
      set_err (ld->err, ld->errlen, "bad rope frequency base %g", base);
      return false;
    }
  snprintf (key, sizeof key, "%s.rope.scaling.type", m->arch->name);
  scaling = hr_gguf_get_strdup (ld->g, key);
  if (scaling != NULL && strcmp (scaling, "none") != 0 && strcmp (scaling, "linear") != 0)
    {
      set_err (ld->err, ld->errlen, "rope scaling '%s' is not supported (only none, linear)",
               scaling);
      free (scaling);
      return false;
    }
  if (scaling != NULL && strcmp (scaling, "linear") == 0)
    {
      double factor = get_fparam (ld, "rope.scaling.factor", 1.0);
      if (factor > 0)
        scale = 1.0 / factor;
    }
  else if (scaling == NULL)
    {
      /* Older files state the scale directly. */
      double factor = get_fparam (ld, "rope.scale_linear", 1.0);
      if (factor > 0)
        scale = 1.0 / factor;
    }
  free (scaling);
  m->inv_freq = malloc ((size_t) (m->n_rot / 2) * sizeof (float));
  if (m->inv_freq == NULL)
    {
      set_err (ld->err, ld->errlen, "out of memory");
      return false;
    }
  for (int i = 0; i < m->n_rot / 2; i++)
    m->inv_freq[i] = (float) (scale * pow (base, -2.0 * i / m->n_rot));
  return true;
}

static bool
load_tensors (loader *ld)
{
  hr_model *m = ld->m;
  const arch_info *a = m->arch;
  const hr_gguf_tensor *te;
  const float *ff;
  int64_t q_dim, k_dim, v_dim;

  te = hr_gguf_find_tensor (ld->g, "token_embd.weight");
  if (te == NULL)
    {
      set_err (ld->err, ld->errlen, "model file lacks tensor 'token_embd.weight'");
      return false;
    }
  m->n_vocab = te->n_dims >= 2 ? (int32_t) te->ne[1] : 0;
  if (m->n_vocab <= 0 || te->ne[1] > INT32_MAX)
    {
      set_err (ld->err, ld->errlen, "tensor 'token_embd.weight' has a bad shape");
      return false;
    }
  q_dim = (int64_t) m->n_head * m->hd_k;
  k_dim = (int64_t) m->n_head_kv * m->hd_k;
  v_dim = (int64_t) m->n_head_kv * m->hd_v;

  if (!get_matrix (ld, &m->tok_embd, true, m->n_embd, m->n_vocab, "token_embd.weight")
      || !get_vector (ld, &m->output_norm, T_REQUIRED, m->n_embd, "output_norm.weight")
      || !get_matrix (ld, &m->output, false, m->n_embd, m->n_vocab, "output.weight")
      || !get_vector (ld, &ff, a->rope_freqs, m->n_rot / 2, "rope_freqs.weight"))
    return false;
  if (m->output.data == NULL)
    m->output = m->tok_embd;   /* tied embeddings */
  if (ff != NULL)
    for (int i = 0; i < m->n_rot / 2; i++)
      {
        if (!(ff[i] > 0))
          {
            set_err (ld->err, ld->errlen, "rope_freqs.weight[%d] = %g is not positive", i,
                     (double) ff[i]);
            return false;
          }
        m->inv_freq[i] /= ff[i];
      }

  m->layers = calloc ((size_t) m->n_layer, sizeof (layer_weights));
  if (m->layers == NULL)
    {
      set_err (ld->err, ld->errlen, "out of memory");
      return false;
    }
  for (int l = 0; l < m->n_layer; l++)
    {
      layer_weights *L = &m->layers[l];
      presence bias = a->qkv_bias;

      /* An optional bias comes with all three or none. */
      if (bias == T_OPTIONAL)
        {
          char name[64];
          snprintf (name, sizeof name, "blk.%d.attn_q.bias", l);
          bias = hr_gguf_find_tensor (ld->g, name) != NULL ? T_REQUIRED : T_ABSENT;
        }
      if (!get_vector (ld, &L->attn_norm, T_REQUIRED, m->n_embd, "blk.%d.attn_norm.weight", l)
          || !get_matrix (ld, &L->wq, true, m->n_embd, q_dim, "blk.%d.attn_q.weight", l)
          || !get_matrix (ld, &L->wk, true, m->n_embd, k_dim, "blk.%d.attn_k.weight", l)
          || !get_matrix (ld, &L->wv, true, m->n_embd, v_dim, "blk.%d.attn_v.weight", l)
          || !get_matrix (ld, &L->wo, true, (int64_t) m->n_head * m->hd_v, m->n_embd,
                          "blk.%d.attn_output.weight", l)
          || !get_vector (ld, &L->bq, bias, q_dim, "blk.%d.attn_q.bias", l)
          || !get_vector (ld, &L->bk, bias, k_dim, "blk.%d.attn_k.bias", l)
          || !get_vector (ld, &L->bv, bias, v_dim, "blk.%d.attn_v.bias", l)
          || !get_vector (ld, &L->q_norm, a->qk_norm, m->hd_k, "blk.%d.attn_q_norm.weight", l)
          || !get_vector (ld, &L->k_norm, a->qk_norm, m->hd_k, "blk.%d.attn_k_norm.weight", l)
          || !get_vector (ld, &L->ffn_norm, T_REQUIRED, m->n_embd, "blk.%d.ffn_norm.weight", l)
          || !get_matrix (ld, &L->w_gate, true, m->n_embd, m->n_ff, "blk.%d.ffn_gate.weight", l)
          || !get_matrix (ld, &L->w_up, true, m->n_embd, m->n_ff, "blk.%d.ffn_up.weight", l)
          || !get_matrix (ld, &L->w_down, true, m->n_ff, m->n_embd, "blk.%d.ffn_down.weight",
                          l))
        return false;
      if (!progress (ld, 0.1f + 0.8f * (float) (l + 1) / (float) m->n_layer))
        return false;
    }
  /* A tensor this engine does not use (an output bias, a sliding-window layer, experts...)
   * means the file needs computations that would be silently skipped. */
  if (ld->n_used != hr_gguf_n_tensors (ld->g))
    {
      for (int64_t i = 0; i < hr_gguf_n_tensors (ld->g); i++)
        {
          const hr_gguf_tensor *t = hr_gguf_tensor_at (ld->g, i);
          char name[128];
          bool known = false;
          snprintf (name, sizeof name, "%.*s", (int) (t->name.len < 127 ? t->name.len : 127),
                    t->name.ptr);
          /* Re-derive usage by name: cheap and only on this error path. */
          known = strcmp (name, "token_embd.weight") == 0
                  || strcmp (name, "output_norm.weight") == 0
                  || strcmp (name, "output.weight") == 0
                  || (strcmp (name, "rope_freqs.weight") == 0 && a->rope_freqs != T_ABSENT);
          if (!known && strncmp (name, "blk.", 4) == 0)
            {
              static const char *const suffixes[] = {
                "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
                "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
                "ffn_down.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias",
                "attn_q_norm.weight", "attn_k_norm.weight",
              };
              const char *dot = strchr (name + 4, '.');
              for (size_t s = 0; dot != NULL && s < sizeof suffixes / sizeof *suffixes; s++)
                if (strcmp (dot + 1, suffixes[s]) == 0)
                  known = (s < 9) || (s < 12 && a->qkv_bias != T_ABSENT)
                          || (s >= 12 && a->qk_norm != T_ABSENT);
            }
          if (!known)
            {
              set_err (ld->err, ld->errlen, "tensor '%s' is not used by architecture '%s' "
                       "as this engine implements it: refusing to run the model without it",
                       name, a->name);
              return false;
            }
        }
      set_err (ld->err, ld->errlen, "model file has %lld tensors, %lld expected for %d layers",
               (long long) hr_gguf_n_tensors (ld->g), (long long) ld->n_used, m->n_layer);
      return false;
    }
  return true;
}

/* Optional: copy the weights into anonymous memory backed by transparent huge pages, which
 * streams faster than 4 KiB page-cache pages on some machines (HERON_HUGEPAGES=1). */
static void
maybe_copy_to_hugepages (hr_model *m)
{
  const char *e = getenv ("HERON_HUGEPAGES");
  const char *base = hr_gguf_base (m->gguf);
  uint64_t off = hr_gguf_data_offset (m->gguf);
  size_t size = hr_gguf_file_size (m->gguf) - off;
  size_t hp = 2u << 20, asize = (size + hp - 1) / hp * hp;
  char *anon;
  ptrdiff_t delta;
  bool tied = m->output.data == m->tok_embd.data;

  if (e == NULL || e[0] != '1' || size == 0)
    return;
  anon = mmap (NULL, asize + hp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED)
    return;
  {
    /* Align the start to 2 MiB so every page can be huge. */
    char *aligned = (char *) (((uintptr_t) anon + hp - 1) & ~(uintptr_t) (hp - 1));
#ifdef MADV_HUGEPAGE
    madvise (aligned, asize, MADV_HUGEPAGE);
#endif
    /* Copy in chunks and drop each chunk of the file's pages from this process once
     * copied, so that the peak resident size stays near one copy (the 1-D tensors were
     * copied at load, and every matrix will point into the copy). */
    for (size_t done = 0; done < size;)
      {
        size_t n = size - done < (64u << 20) ? size - done : (64u << 20);
        uintptr_t pg = 4096, s0 = ((uintptr_t) base + off + done + pg - 1) & ~(pg - 1);
        uintptr_t s1 = ((uintptr_t) base + off + done + n) & ~(pg - 1);
        memcpy (aligned + done, base + off + done, n);
        if (s1 > s0)
          madvise ((void *) s0, s1 - s0, MADV_DONTNEED);
        done += n;
      }
    m->anon = anon;
    m->anon_size = asize + hp;
    delta = aligned - (base + off);
  }
#define MOVE(mat) if ((mat).data != NULL) (mat).data = (const char *) (mat).data + delta
  MOVE (m->tok_embd);
  if (tied)
    m->output.data = m->tok_embd.data;
  else
    MOVE (m->output);
  for (int l = 0; l < m->n_layer; l++)
    {
      layer_weights *L = &m->layers[l];
      MOVE (L->wq); MOVE (L->wk); MOVE (L->wv); MOVE (L->wo);
      MOVE (L->w_gate); MOVE (L->w_up); MOVE (L->w_down);
    }
#undef MOVE
}

hr_model *
hr_model_load (const char *path, const hr_model_params *p, char *err, size_t errlen)
{
  hr_model *m = calloc (1, sizeof *m);
  loader ld = { .m = m, .err = err, .errlen = errlen, .p = p };
  char gerr[HR_ERR_LEN];
  char *arch = NULL;

  if (m == NULL)
    {
      set_err (err, errlen, "out of memory");
      return NULL;
    }
  hr_quants_init ();
  m->n_threads = p != NULL && p->n_threads > 0 ? p->n_threads : hr_physical_cores ();
  if (!progress (&ld, 0.0f))
    goto fail;
  if (hr_gguf_open (path, &m->gguf, gerr, sizeof gerr) != 0)
    {
      set_err (err, errlen, "%s", gerr);
      goto fail;
    }
  ld.g = m->gguf;
  arch = hr_gguf_get_strdup (m->gguf, "general.architecture");
  if (arch == NULL)
    {
      set_err (err, errlen, "model file has no 'general.architecture' key");
      goto fail;
    }
  for (size_t i = 0; i < sizeof ARCHS / sizeof *ARCHS; i++)
    if (strcmp (ARCHS[i].name, arch) == 0)
      m->arch = &ARCHS[i];
  if (m->arch == NULL)
    {
      set_err (err, errlen, "unsupported model architecture '%s' (supported: llama, qwen2, "
               "qwen3)", arch);
      goto fail;
    }
  free (arch);
  arch = NULL;
  if (!load_hparams (&ld) || !load_tensors (&ld))
    goto fail;
  m->vocab = hr_vocab_load (m->gguf, gerr, sizeof gerr);
  if (m->vocab == NULL)
    {
      set_err (err, errlen, "vocabulary: %s", gerr);
      goto fail;
    }
  if (hr_vocab_n_tokens (m->vocab) > m->n_vocab)
    {
      set_err (err, errlen, "vocabulary has %d tokens but the embedding only %d rows",
               hr_vocab_n_tokens (m->vocab), m->n_vocab);
      goto fail;
    }
  m->chat_template = hr_gguf_get_strdup (m->gguf, "tokenizer.chat_template");
  maybe_copy_to_hugepages (m);
  if (m->anon == NULL)
    {
      /* Read ahead: the first forward pass touches every page of the weights. */
      const char *base = hr_gguf_base (m->gguf);
      uintptr_t start = (uintptr_t) base + hr_gguf_data_offset (m->gguf);
      uintptr_t pg = 4096;
      start &= ~(pg - 1);
      madvise ((void *) start, (uintptr_t) base + hr_gguf_file_size (m->gguf) - start,
               MADV_WILLNEED);
    }
  if (!progress (&ld, 1.0f))
    goto fail;
  return m;

fail:
  free (arch);
  hr_model_free (m);
  return NULL;
}

void
hr_model_free (hr_model *m)
{
  if (m == NULL)
    return;
  if (m->anon != NULL)
    munmap (m->anon, m->anon_size);
  for (int i = 0; i < m->n_vectors; i++)
    free (m->vectors[i]);
  free (m->vectors);
  free (m->layers);
  free (m->inv_freq);
  free (m->chat_template);
  if (m->vocab != NULL)
    hr_vocab_free (m->vocab);
  if (m->gguf != NULL)
    hr_gguf_close (m->gguf);
  free (m);
}

const hr_vocab *hr_model_vocab (const hr_model *m) { return m->vocab; }
const char *hr_model_arch (const hr_model *m) { return m->arch->name; }
int32_t hr_model_n_ctx_train (const hr_model *m) { return m->n_ctx_train; }
int32_t hr_model_n_vocab (const hr_model *m) { return m->n_vocab; }
int32_t hr_model_n_embd (const hr_model *m) { return m->n_embd; }
int32_t hr_model_n_layer (const hr_model *m) { return m->n_layer; }
const char *hr_model_chat_template (const hr_model *m) { return m->chat_template; }
uint64_t hr_model_weights_size (const hr_model *m) { return m->weights_size; }

/* ============================================================================
 * Context
 * ========================================================================== */

struct hr_context {
  hr_model *m;
  hr_context_params p;
  hr_pool *pool;
  hr_matmul_scratch *scratch;
  hr_kvcache kv;
  hr_token *tokens;       /* [n_ctx] */
  int32_t n_past;
  atomic_bool cancel;

  /* run state for one batch of up to n_batch tokens */
  float *x;               /* [B][n_embd] residual stream */
  float *xn;              /* [B][max(n_embd, n_ff)] normed input / FFN hidden */
  float *q, *k, *v;       /* [B][n_head*hd_k], [B][n_kv*hd_k], [B][n_kv*hd_v] */
  float *att;             /* [B][n_head*hd_v] */
  float *tmp;             /* [B][n_embd] */
  float *gate, *up;       /* [B][n_ff] */
  float *rope_cs;         /* [B][n_rot/2][2] cos, sin */
  float *att_scratch;     /* [n_threads][att_scratch_floats] */
  size_t att_scratch_floats;
  float *logits;          /* [n_vocab], or [n_logits_cap][n_vocab] with all_logits */
  size_t logits_cap;      /* rows */
  int32_t n_logits;       /* rows valid from the last decode */
  bool logits_valid;
};

void
hr_context_params_default (hr_context_params *p)
{
  memset (p, 0, sizeof *p);
  p->kv_type = HR_TYPE_F16;
  p->on_full = HR_CTX_FULL_ERROR;
}

hr_context *
hr_context_new (hr_model *m, const hr_context_params *pp, char *err, size_t errlen)
{
  hr_context *c = calloc (1, sizeof *c);
  hr_context_params p;
  size_t B, q_dim, k_dim, v_dim;
  int nth;

  if (pp != NULL)
    p = *pp;
  else
    hr_context_params_default (&p);
  if (c == NULL)
    goto oom;
  c->m = m;
  if (p.n_ctx <= 0)
    p.n_ctx = m->n_ctx_train < 8192 ? m->n_ctx_train : 8192;
  if (p.n_batch <= 0)
    p.n_batch = 128;
  if (p.n_batch > p.n_ctx)
    p.n_batch = p.n_ctx;
  if (p.kv_type != HR_TYPE_F32)
    p.kv_type = HR_TYPE_F16;
  if (p.n_keep < 0)
    p.n_keep = 0;
  if (p.n_keep > p.n_ctx / 2)
    {
      set_err (err, errlen, "n_keep %d must be at most half the context (%d)", p.n_keep,
               p.n_ctx);
      hr_context_free (c);
      return NULL;
    }
  c->p = p;
  atomic_init (&c->cancel, false);
  c->pool = hr_pool_new (p.n_threads > 0 ? p.n_threads : m->n_threads);
  c->scratch = hr_matmul_scratch_new ();
  if (c->pool == NULL || c->scratch == NULL)
    goto oom;
  nth = hr_pool_n_threads (c->pool);
  if (!hr_kvcache_init (&c->kv, p.kv_type, p.n_ctx, m->n_layer, m->n_head_kv * m->hd_k,
                        m->n_head_kv * m->hd_v))
    {
      set_err (err, errlen, "out of memory for a KV cache of %d positions", p.n_ctx);
      hr_context_free (c);
      return NULL;
    }
  B = (size_t) p.n_batch;
  q_dim = (size_t) m->n_head * m->hd_k;
  k_dim = (size_t) m->n_head_kv * m->hd_k;
  v_dim = (size_t) m->n_head_kv * m->hd_v;
  c->tokens = calloc ((size_t) p.n_ctx, sizeof (hr_token));
  c->x = malloc (B * m->n_embd * sizeof (float));
  c->xn = malloc (B * m->n_embd * sizeof (float));
  c->q = malloc (B * q_dim * sizeof (float));
  c->k = malloc (B * k_dim * sizeof (float));
  c->v = malloc (B * v_dim * sizeof (float));
  c->att = malloc (B * m->n_head * m->hd_v * sizeof (float));
  c->tmp = malloc (B * m->n_embd * sizeof (float));
  c->gate = malloc (B * m->n_ff * sizeof (float));
  c->up = malloc (B * m->n_ff * sizeof (float));
  c->rope_cs = malloc (B * (size_t) m->n_rot * sizeof (float));
  c->att_scratch_floats = hr_attention_scratch_floats (m->hd_k, m->hd_v);
  c->att_scratch = malloc ((size_t) nth * c->att_scratch_floats * sizeof (float));
  c->logits = malloc ((size_t) m->n_vocab * sizeof (float));
  c->logits_cap = 1;
  if (!c->tokens || !c->x || !c->xn || !c->q || !c->k || !c->v || !c->att || !c->tmp
      || !c->gate || !c->up || !c->rope_cs || !c->att_scratch || !c->logits)
    goto oom;
  return c;

oom:
  set_err (err, errlen, "out of memory creating a context of %d positions", p.n_ctx);
  hr_context_free (c);
  return NULL;
}

void
hr_context_free (hr_context *c)
{
  if (c == NULL)
    return;
  hr_pool_free (c->pool);
  hr_matmul_scratch_free (c->scratch);
  hr_kvcache_free (&c->kv);
  free (c->tokens);
  free (c->x);
  free (c->xn);
  free (c->q);
  free (c->k);
  free (c->v);
  free (c->att);
  free (c->tmp);
  free (c->gate);
  free (c->up);
  free (c->rope_cs);
  free (c->att_scratch);
  free (c->logits);
  free (c);
}

const hr_model *hr_context_model (const hr_context *c) { return c->m; }
int32_t hr_context_n_ctx (const hr_context *c) { return c->p.n_ctx; }
int32_t hr_context_n_batch (const hr_context *c) { return c->p.n_batch; }
int32_t hr_context_n_past (const hr_context *c) { return c->n_past; }
const hr_token *hr_context_tokens (const hr_context *c) { return c->tokens; }

const float *
hr_context_logits (const hr_context *c)
{
  if (!c->logits_valid || c->n_logits <= 0)
    return NULL;
  return c->logits + (size_t) (c->n_logits - 1) * c->m->n_vocab;
}

const float *
hr_context_logits_at (const hr_context *c, int32_t i)
{
  if (!c->logits_valid || !c->p.all_logits || i < 0 || i >= c->n_logits)
    return NULL;
  return c->logits + (size_t) i * c->m->n_vocab;
}

void
hr_context_truncate (hr_context *c, int32_t n_past)
{
  if (n_past < 0)
    n_past = 0;
  if (n_past < c->n_past)
    {
      c->n_past = n_past;
      c->logits_valid = false;
    }
}

int32_t
hr_context_common_prefix (const hr_context *c, const hr_token *tokens, int32_t n)
{
  int32_t i = 0;
  while (i < n && i < c->n_past && c->tokens[i] == tokens[i])
    i++;
  return i;
}

void
hr_context_cancel (hr_context *c)
{
  atomic_store (&c->cancel, true);
}

void
hr_context_reset_cancel (hr_context *c)
{
  atomic_store (&c->cancel, false);
}

/* ============================================================================
 * Forward pass
 * ========================================================================== */

static void
rmsnorm (float *out, const float *x, const float *w, int64_t n, float eps)
{
  double ss = 0;
  float s;
  for (int64_t i = 0; i < n; i++)
    ss += (double) x[i] * x[i];
  s = (float) (1.0 / sqrt (ss / (double) n + eps));
  for (int64_t i = 0; i < n; i++)
    out[i] = x[i] * s * w[i];
}

/* cs: n_rot/2 pairs (cos, sin) for one position. */
static void
rope_head (float *x, const float *cs, int n_rot, rope_style style)
{
  int half = n_rot / 2;
  for (int i = 0; i < half; i++)
    {
      int a = style == ROPE_NEOX ? i : 2 * i;
      int b = style == ROPE_NEOX ? i + half : 2 * i + 1;
      float c = cs[2 * i], s = cs[2 * i + 1];
      float x0 = x[a], x1 = x[b];
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
}

static void
rope_table (const hr_model *m, float pos, float *cs)
{
  for (int i = 0; i < m->n_rot / 2; i++)
    {
      float theta = pos * m->inv_freq[i];
      cs[2 * i] = cosf (theta);
      cs[2 * i + 1] = sinf (theta);
    }
}

static void
rerope_row (float *k_row, int32_t delta, void *ud)
{
  const hr_model *m = ud;
  float cs[1024];

  /* Keep the table on the stack for common sizes. */
  float *t = m->n_rot <= 1024 ? cs : malloc ((size_t) m->n_rot * sizeof (float));
  if (t == NULL)
    return;
  rope_table (m, (float) delta, t);
  for (int h = 0; h < m->n_head_kv; h++)
    rope_head (k_row + (size_t) h * m->hd_k, t, m->n_rot, m->arch->rope);
  if (t != cs)
    free (t);
}

typedef struct {
  hr_context *c;
  int layer;
  int32_t n_tok;
  int32_t pos0;
  int32_t heads;          /* query heads per item (a GQA group, or a part of a large one) */
  int32_t tok_blk;        /* tokens per item */
  int64_t n_items;
  atomic_int_fast64_t next;
} attn_job;

/* Items are (token block, KV head, head chunk), handed out from the last token block down:
 * with the causal mask later blocks cost more, and taking the big ones first balances the
 * threads. */
static void
attention_job (void *arg, int ith, int nth)
{
  attn_job *j = arg;
  hr_context *c = j->c;
  const hr_model *m = c->m;
  int32_t group = m->n_head / m->n_head_kv;
  int32_t n_chunks = (group + j->heads - 1) / j->heads;
  int32_t n_blocks = (j->n_tok + j->tok_blk - 1) / j->tok_blk;
  float scale = 1.0f / sqrtf ((float) m->hd_k);
  float *scratch = c->att_scratch + (size_t) ith * c->att_scratch_floats;
  size_t q_dim = (size_t) m->n_head * m->hd_k, a_dim = (size_t) m->n_head * m->hd_v;
  int64_t i;

  (void) nth;
  while ((i = atomic_fetch_add_explicit (&j->next, 1, memory_order_relaxed)) < j->n_items)
    {
      int64_t per_block = (int64_t) m->n_head_kv * n_chunks;
      int32_t b = n_blocks - 1 - (int32_t) (i / per_block);
      int32_t kvh = (int32_t) (i % per_block / n_chunks);
      int32_t h0 = kvh * group + (int32_t) (i % n_chunks) * j->heads;
      int32_t nh = kvh * group + group - h0 < j->heads ? kvh * group + group - h0 : j->heads;
      int32_t t0 = b * j->tok_blk;
      int32_t nt = j->n_tok - t0 < j->tok_blk ? j->n_tok - t0 : j->tok_blk;

      hr_attention_group (&c->kv, j->layer, kvh, m->hd_k, m->hd_v, nh, nt,
                          c->q + (size_t) t0 * q_dim + (size_t) h0 * m->hd_k, q_dim,
                          j->pos0 + t0 + 1, scale, scratch,
                          c->att + (size_t) t0 * a_dim + (size_t) h0 * m->hd_v, a_dim);
    }
}

static void
run_attention (hr_context *c, int l, int32_t T, int32_t pos0)
{
  const hr_model *m = c->m;
  int32_t group = m->n_head / m->n_head_kv;
  int32_t heads = group < HR_ATT_MAX_ROWS ? group : HR_ATT_MAX_ROWS;
  int32_t n_chunks = (group + heads - 1) / heads;
  int32_t max_blk = HR_ATT_MAX_ROWS / heads;
  int nth = hr_pool_n_threads (c->pool);
  int64_t per_block = (int64_t) m->n_head_kv * n_chunks;
  int64_t n_blocks = (T + max_blk - 1) / max_blk;
  attn_job j = { .c = c, .layer = l, .n_tok = T, .pos0 = pos0, .heads = heads };

  /* As few token blocks as keep every thread busy: each block reads and converts the K/V
   * rows once for all its tokens. */
  if (n_blocks * per_block < nth)
    n_blocks = (nth + per_block - 1) / per_block;
  if (n_blocks > T)
    n_blocks = T;
  j.tok_blk = (int32_t) ((T + n_blocks - 1) / n_blocks);
  j.n_items = (int64_t) ((T + j.tok_blk - 1) / j.tok_blk) * per_block;
  atomic_init (&j.next, 0);
  if (j.n_items == 1)
    attention_job (&j, 0, 1);
  else
    hr_pool_run (c->pool, attention_job, &j);
}

static bool
matmul (hr_context *c, int n, const hr_matrix *const *w, const float *x, int32_t n_tok,
        float *const *y)
{
  return hr_matmul (c->pool, c->scratch, HR_MATMUL_AUTO, n, w, x, n_tok, y);
}

/* Per-token steps between the products, split by tokens across the pool. */
typedef enum { STEP_ATTN_NORM, STEP_QKV, STEP_ATTN_OUT, STEP_FFN_ACT, STEP_FFN_OUT } step_kind;

typedef struct {
  hr_context *c;
  int layer;
  step_kind step;
  int32_t n_tok;
  int32_t pos0;
} step_job;

static void
token_step (hr_context *c, int l, step_kind step, int32_t t, int32_t pos0)
{
  const hr_model *m = c->m;
  const layer_weights *L = &m->layers[l];
  size_t E = (size_t) m->n_embd, q_dim = (size_t) m->n_head * m->hd_k;
  size_t k_dim = (size_t) m->n_head_kv * m->hd_k, v_dim = (size_t) m->n_head_kv * m->hd_v;
  size_t F = (size_t) m->n_ff;
  float *x = c->x + t * E, *xn = c->xn + t * E, *tmp = c->tmp + t * E;

  switch (step)
    {
    case STEP_ATTN_NORM:
      rmsnorm (xn, x, L->attn_norm, (int64_t) E, m->rms_eps);
      break;
    case STEP_QKV:
      {
        float *q = c->q + t * q_dim, *k = c->k + t * k_dim, *v = c->v + t * v_dim;
        const float *cs = c->rope_cs + (size_t) t * m->n_rot;
        if (L->bq != NULL)
          for (size_t i = 0; i < q_dim; i++)
            q[i] += L->bq[i];
        if (L->bk != NULL)
          for (size_t i = 0; i < k_dim; i++)
            k[i] += L->bk[i];
        if (L->bv != NULL)
          for (size_t i = 0; i < v_dim; i++)
            v[i] += L->bv[i];
        for (int h = 0; h < m->n_head; h++)
          {
            float *qh = q + (size_t) h * m->hd_k;
            if (L->q_norm != NULL)
              rmsnorm (qh, qh, L->q_norm, m->hd_k, m->rms_eps);
            rope_head (qh, cs, m->n_rot, m->arch->rope);
          }
        for (int h = 0; h < m->n_head_kv; h++)
          {
            float *kh = k + (size_t) h * m->hd_k;
            if (L->k_norm != NULL)
              rmsnorm (kh, kh, L->k_norm, m->hd_k, m->rms_eps);
            rope_head (kh, cs, m->n_rot, m->arch->rope);
          }
        hr_kvcache_store (&c->kv, l, pos0 + t, k, v);
      }
      break;
    case STEP_ATTN_OUT:
      for (size_t i = 0; i < E; i++)
        x[i] += tmp[i];
      rmsnorm (xn, x, L->ffn_norm, (int64_t) E, m->rms_eps);
      break;
    case STEP_FFN_ACT:
      {
        /* in place: the down product reads the gate buffer */
        float *g = c->gate + t * F;
        const float *u = c->up + t * F;
        for (size_t i = 0; i < F; i++)
          g[i] = g[i] / (1.0f + expf (-g[i])) * u[i];
      }
      break;
    case STEP_FFN_OUT:
      for (size_t i = 0; i < E; i++)
        x[i] += tmp[i];
      break;
    }
}

static void
step_job_fn (void *arg, int ith, int nth)
{
  step_job *j = arg;
  int64_t lo, hi;

  hr_split_range (j->n_tok, ith, nth, &lo, &hi);
  for (int64_t t = lo; t < hi; t++)
    token_step (j->c, j->layer, j->step, (int32_t) t, j->pos0);
}

static void
run_step (hr_context *c, int l, step_kind step, int32_t T, int32_t pos0)
{
  step_job j = { c, l, step, T, pos0 };

  if (T == 1)
    token_step (c, l, step, 0, pos0);
  else
    hr_pool_run (c->pool, step_job_fn, &j);
}

static int
forward_layer (hr_context *c, int l, int32_t T, int32_t pos0)
{
  const layer_weights *L = &c->m->layers[l];

  run_step (c, l, STEP_ATTN_NORM, T, pos0);
  {
    const hr_matrix *w[3] = { &L->wq, &L->wk, &L->wv };
    float *y[3] = { c->q, c->k, c->v };
    if (!matmul (c, 3, w, c->xn, T, y))
      return HR_ERR;
  }
  run_step (c, l, STEP_QKV, T, pos0);
  run_attention (c, l, T, pos0);
  {
    const hr_matrix *w[1] = { &L->wo };
    float *y[1] = { c->tmp };
    if (!matmul (c, 1, w, c->att, T, y))
      return HR_ERR;
  }
  run_step (c, l, STEP_ATTN_OUT, T, pos0);
  {
    const hr_matrix *w[2] = { &L->w_gate, &L->w_up };
    float *y[2] = { c->gate, c->up };
    if (!matmul (c, 2, w, c->xn, T, y))
      return HR_ERR;
  }
  run_step (c, l, STEP_FFN_ACT, T, pos0);
  {
    const hr_matrix *w[1] = { &L->w_down };
    float *y[1] = { c->tmp };
    if (!matmul (c, 1, w, c->gate, T, y))
      return HR_ERR;
  }
  run_step (c, l, STEP_FFN_OUT, T, pos0);
  return HR_OK;
}

/* Runs T tokens at positions n_past.. through the model; writes logits of the last token
 * (or of every token when all_rows) to out. */
static int
forward_batch (hr_context *c, const hr_token *toks, int32_t T, bool all_rows, bool want,
               float *out, char *err, size_t errlen)
{
  const hr_model *m = c->m;
  size_t E = (size_t) m->n_embd;
  int32_t pos0 = c->n_past;

  for (int32_t t = 0; t < T; t++)
    {
      hr_dequantize_row (m->tok_embd.type,
                         (const char *) m->tok_embd.data + (size_t) toks[t] * m->tok_embd.row_size,
                         c->x + t * E, (int64_t) E);
      rope_table (m, (float) (pos0 + t), c->rope_cs + (size_t) t * m->n_rot);
    }
  for (int l = 0; l < m->n_layer; l++)
    {
      if (atomic_load_explicit (&c->cancel, memory_order_relaxed))
        {
          set_err (err, errlen, "cancelled");
          return HR_ERR_CANCELLED;
        }
      if (forward_layer (c, l, T, pos0) != HR_OK)
        {
          set_err (err, errlen, "out of memory in the forward pass");
          return HR_ERR;
        }
    }
  if (want)
    {
      int32_t first = all_rows ? 0 : T - 1;
      int32_t n = T - first;
      const hr_matrix *w[1] = { &m->output };
      float *y[1] = { out };
      for (int32_t t = first; t < T; t++)
        rmsnorm (c->xn + (t - first) * E, c->x + t * E, m->output_norm, (int64_t) E,
                 m->rms_eps);
      if (!matmul (c, 1, w, c->xn, n, y))
        {
          set_err (err, errlen, "out of memory in the forward pass");
          return HR_ERR;
        }
    }
  return HR_OK;
}

static int
shift_context (hr_context *c, int32_t n_new, char *err, size_t errlen)
{
  int32_t n_keep = c->p.n_keep < c->n_past ? c->p.n_keep : c->n_past;
  int32_t n_left = c->n_past - n_keep;
  int32_t n_discard = n_left / 2;
  int32_t need = c->n_past + n_new - c->p.n_ctx;

  if (need > n_discard)
    n_discard = need;
  if (n_discard > n_left)
    {
      set_err (err, errlen, "context full: %d new tokens do not fit in a context of %d "
               "positions that keeps %d", n_new, c->p.n_ctx, n_keep);
      return HR_ERR_CONTEXT_FULL;
    }
  if (!hr_kvcache_shift (&c->kv, n_keep, n_discard, c->n_past, rerope_row, c->m))
    {
      set_err (err, errlen, "out of memory shifting the context");
      return HR_ERR;
    }
  memmove (c->tokens + n_keep, c->tokens + n_keep + n_discard,
           (size_t) (c->n_past - n_keep - n_discard) * sizeof (hr_token));
  c->n_past -= n_discard;
  return HR_OK;
}

int
hr_decode (hr_context *c, const hr_token *tokens, int32_t n, char *err, size_t errlen)
{
  const hr_model *m = c->m;
  int32_t B = c->p.n_batch;

  if (n < 0 || (n > 0 && tokens == NULL))
    {
      set_err (err, errlen, "bad token count %d", n);
      return HR_ERR;
    }
  for (int32_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= m->n_vocab)
      {
        set_err (err, errlen, "token %d at index %d is outside the vocabulary (0..%d)",
                 tokens[i], i, m->n_vocab - 1);
        return HR_ERR;
      }
  if (n == 0)
    return HR_OK;
  if (c->n_past + n > c->p.n_ctx)
    {
      if (c->p.on_full == HR_CTX_FULL_ERROR)
        {
          set_err (err, errlen, "context full: %d tokens cached + %d new exceed the context "
                   "size %d", c->n_past, n, c->p.n_ctx);
          return HR_ERR_CONTEXT_FULL;
        }
      if (n > c->p.n_ctx - c->p.n_keep)
        {
          set_err (err, errlen, "context full: %d new tokens do not fit in a context of %d "
                   "positions that keeps %d", n, c->p.n_ctx, c->p.n_keep);
          return HR_ERR_CONTEXT_FULL;
        }
    }
  if (c->p.all_logits && c->logits_cap < (size_t) n)
    {
      float *nl = realloc (c->logits, (size_t) n * m->n_vocab * sizeof (float));
      if (nl == NULL)
        {
          set_err (err, errlen, "out of memory for %d rows of logits", n);
          return HR_ERR;
        }
      c->logits = nl;
      c->logits_cap = (size_t) n;
    }
  c->logits_valid = false;
  c->n_logits = 0;
  for (int32_t i = 0; i < n; i += B)
    {
      int32_t T = n - i < B ? n - i : B;
      bool last = i + T == n;
      float *out = c->p.all_logits ? c->logits + (size_t) i * m->n_vocab : c->logits;
      int rc;

      if (atomic_load (&c->cancel))
        {
          set_err (err, errlen, "cancelled");
          return HR_ERR_CANCELLED;
        }
      if (c->n_past + T > c->p.n_ctx && (rc = shift_context (c, T, err, errlen)) != HR_OK)
        return rc;
      rc = forward_batch (c, tokens + i, T, c->p.all_logits, c->p.all_logits || last, out,
                          err, errlen);
      if (rc != HR_OK)
        return rc;
      memcpy (c->tokens + c->n_past, tokens + i, (size_t) T * sizeof (hr_token));
      c->n_past += T;
    }
  c->n_logits = c->p.all_logits ? n : 1;
  c->logits_valid = true;
  return HR_OK;
}
