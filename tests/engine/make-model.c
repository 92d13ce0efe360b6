/* make-model.c: random-weight GGUF models for tests and benchmarks (see make-model.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "make-model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"

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
heron_test_model_spec_init (HeronTestModelSpec *s, const char *arch)
{
  memset (s, 0, sizeof *s);
  s->arch = arch;
  s->n_embd = 64;
  s->n_layer = 2;
  s->n_head = 4;
  s->n_head_kv = 2;
  s->n_ff = 128;
  s->n_ctx_train = 256;
  s->type = HR_TYPE_F32;
  s->embd_type = HR_TYPE_COUNT;
  s->output_type = HR_TYPE_COUNT;
  s->tied = true;
  s->qkv_bias = strcmp (arch, "qwen2") == 0;
  s->qk_norm = strcmp (arch, "qwen3") == 0;
  s->rope_freq_base = 10000.0f;
  s->rms_eps = 1e-5f;
  s->seed = 1;
}

bool
heron_test_model_spec_shape (HeronTestModelSpec *s, const char *shape)
{
  HeronTestModelSpec keep = *s;

  if (strcmp (shape, "tiny") == 0)
    {
      heron_test_model_spec_init (s, keep.arch != NULL ? keep.arch : "llama");
    }
  else if (strcmp (shape, "qwen2.5-0.5b") == 0)
    {
      heron_test_model_spec_init (s, "qwen2");
      s->n_embd = 896, s->n_layer = 24, s->n_head = 14, s->n_head_kv = 2, s->n_ff = 4864;
      s->n_ctx_train = 32768, s->n_vocab = 151936;
      s->rope_freq_base = 1000000.0f, s->rms_eps = 1e-6f;
    }
  else if (strcmp (shape, "qwen2.5-1.5b") == 0)
    {
      heron_test_model_spec_init (s, "qwen2");
      s->n_embd = 1536, s->n_layer = 28, s->n_head = 12, s->n_head_kv = 2, s->n_ff = 8960;
      s->n_ctx_train = 32768, s->n_vocab = 151936;
      s->rope_freq_base = 1000000.0f, s->rms_eps = 1e-6f;
    }
  else if (strcmp (shape, "llama-3.2-1b") == 0)
    {
      heron_test_model_spec_init (s, "llama");
      s->n_embd = 2048, s->n_layer = 16, s->n_head = 32, s->n_head_kv = 8, s->n_ff = 8192;
      s->n_ctx_train = 131072, s->n_vocab = 128256, s->head_dim = 64;
      s->rope_freq_base = 500000.0f, s->rms_eps = 1e-5f, s->rope_freq_factors = true;
    }
  else if (strcmp (shape, "qwen3-0.6b") == 0)
    {
      heron_test_model_spec_init (s, "qwen3");
      s->n_embd = 1024, s->n_layer = 28, s->n_head = 16, s->n_head_kv = 8, s->n_ff = 3072;
      s->n_ctx_train = 40960, s->n_vocab = 151936, s->head_dim = 128;
      s->rope_freq_base = 1000000.0f, s->rms_eps = 1e-6f;
    }
  else
    return false;
  /* What is not a matter of shape stays as the caller set it. */
  s->type = keep.type;
  s->mix = keep.mix;
  s->embd_type = keep.embd_type;
  s->output_type = keep.output_type;
  s->seed = keep.seed;
  s->vocab_path = keep.vocab_path;
  s->name = keep.name;
  return true;
}

/* ============================================================================
 * Types per tensor
 * ========================================================================== */

/* What llama.cpp's quantizer uses when a row does not split into 256-element super-blocks. */
static hr_type
fallback_type (hr_type t, int64_t n_cols)
{
  const hr_type_traits *tr = hr_type_get_traits (t);

  if (tr != NULL && tr->block_size > 0 && n_cols % tr->block_size == 0)
    return t;
  switch (t)
    {
    case HR_TYPE_Q2_K:
    case HR_TYPE_Q3_K:
      t = HR_TYPE_Q4_0;
      break;
    case HR_TYPE_Q4_K:
      t = HR_TYPE_Q5_0;
      break;
    case HR_TYPE_Q5_K:
      t = HR_TYPE_Q5_1;
      break;
    case HR_TYPE_Q6_K:
      t = HR_TYPE_Q8_0;
      break;
    default:
      return HR_TYPE_F16;
    }
  return n_cols % 32 == 0 ? t : HR_TYPE_F16;
}

static bool
use_more_bits (int layer, int n_layer)
{
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

hr_type
heron_test_model_tensor_type (const HeronTestModelSpec *s, const char *name, int64_t n_cols,
                              int layer)
{
  hr_type t = s->type;
  bool is_embd = strcmp (name, "token_embd.weight") == 0;
  bool is_out = strcmp (name, "output.weight") == 0;

  if (s->mix != NULL && strcmp (s->mix, "q4_k_m") == 0)
    {
      t = HR_TYPE_Q4_K;
      if (is_out || (is_embd && s->tied))
        t = HR_TYPE_Q6_K;
      else if ((strstr (name, "attn_v.weight") != NULL || strstr (name, "ffn_down.weight") != NULL)
               && use_more_bits (layer, s->n_layer))
        t = HR_TYPE_Q6_K;
    }
  else
    {
      if (is_embd && s->embd_type != HR_TYPE_COUNT)
        t = s->embd_type;
      if (is_out && s->output_type != HR_TYPE_COUNT)
        t = s->output_type;
    }
  return fallback_type (t, n_cols);
}

/* ============================================================================
 * Random numbers
 * ========================================================================== */

static uint64_t
next_u64 (uint64_t *st)
{
  /* splitmix64: any seed, including 0, gives a good stream. */
  uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static float
next_sym (uint64_t *st)
{
  return (float) ((double) (next_u64 (st) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* ============================================================================
 * Vocabulary
 * ========================================================================== */

/* A byte-level BPE vocabulary with no merges: the 256 byte symbols of GPT-2's byte encoding
 * and three control tokens. */
static int
add_byte_vocab (hr_gguf_writer *w)
{
  enum { N = 256 + 3 };
  char *texts[N];
  int32_t types[N];
  int n = 0, extra = 0;

  for (int b = 0; b < 256; b++)
    {
      unsigned cp;
      char *t = malloc (4);
      if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))
        cp = (unsigned) b;
      else
        cp = 256u + (unsigned) extra++;
      if (cp < 0x80)
        t[0] = (char) cp, t[1] = 0;
      else
        t[0] = (char) (0xC0 | (cp >> 6)), t[1] = (char) (0x80 | (cp & 0x3F)), t[2] = 0;
      texts[n] = t;
      types[n++] = 1;
    }
  texts[n] = strdup ("<|endoftext|>"), types[n++] = 3;
  texts[n] = strdup ("<|im_start|>"), types[n++] = 3;
  texts[n] = strdup ("<|im_end|>"), types[n++] = 3;
  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", "gpt2");
  hr_gguf_writer_add_str (w, "tokenizer.ggml.pre", "qwen2");
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) texts,
                              (uint64_t) n);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.token_type", HR_GGUF_INT32, types, (uint64_t) n);
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.merges", NULL, 0);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.bos_token_id", 256);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.eos_token_id", 258);
  hr_gguf_writer_add_bool (w, "tokenizer.ggml.add_bos_token", false);
  hr_gguf_writer_add_str (w, "tokenizer.chat_template",
                          "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                          "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}");
  for (int i = 0; i < n; i++)
    free (texts[i]);
  return n;
}

static bool
only_tokenizer_keys (const char *key, void *ud)
{
  (void) ud;
  return strncmp (key, "tokenizer.", 10) != 0;
}

/* ============================================================================
 * Tensors
 * ========================================================================== */

typedef struct {
  const HeronTestModelSpec *s;
  hr_gguf_writer *w;
  uint64_t rng;
  char *err;
  size_t errlen;
  bool failed;
} maker;

/* Adds a 2-D tensor of n_rows x n_cols uniform values of the given standard deviation. */
static void
add_matrix (maker *mk, const char *name, int64_t n_cols, int64_t n_rows, float std, int layer)
{
  hr_type t = heron_test_model_tensor_type (mk->s, name, n_cols, layer);
  size_t row_size = hr_type_row_size (t, n_cols);
  float *row = malloc ((size_t) n_cols * sizeof (float));
  char *data = malloc (row_size * (size_t) n_rows);
  float a = std * sqrtf (3.0f);
  int64_t ne[2] = { n_cols, n_rows };

  if (mk->failed)
    goto out;
  if (row == NULL || data == NULL || row_size == 0)
    {
      set_err (mk->err, mk->errlen, "cannot make tensor '%s' (type %s, %lld x %lld)", name,
               hr_type_name (t), (long long) n_rows, (long long) n_cols);
      mk->failed = true;
      goto out;
    }
  for (int64_t r = 0; r < n_rows; r++)
    {
      for (int64_t c = 0; c < n_cols; c++)
        row[c] = a * next_sym (&mk->rng);
      hr_quantize_row (t, row, data + (size_t) r * row_size, n_cols);
    }
  hr_gguf_writer_add_tensor (mk->w, name, t, 2, ne, data, row_size * (size_t) n_rows);
out:
  free (row);
  free (data);
}

/* A 1-D F32 tensor: center + spread * uniform(-1, 1). */
static void
add_vector (maker *mk, const char *name, int64_t n, float center, float spread)
{
  float *v = malloc ((size_t) n * sizeof (float));
  int64_t ne[1] = { n };

  if (v == NULL)
    {
      mk->failed = true;
      return;
    }
  for (int64_t i = 0; i < n; i++)
    v[i] = center + spread * next_sym (&mk->rng);
  hr_gguf_writer_add_tensor (mk->w, name, HR_TYPE_F32, 1, ne, v, (size_t) n * sizeof (float));
  free (v);
}

/* Llama 3's frequency factors (as its converter computes them), scaled to the model's
 * training context so that tiny models get all three regimes. */
static void
add_rope_freqs (maker *mk, int n_rot)
{
  const HeronTestModelSpec *s = mk->s;
  double factor = 32.0, low = 1.0, high = 4.0;
  double orig = s->n_ctx_train < 8192 ? s->n_ctx_train : 8192;
  double low_wl = orig / low, high_wl = orig / high;
  float *ff = malloc ((size_t) (n_rot / 2) * sizeof (float));
  int64_t ne[1] = { n_rot / 2 };

  for (int i = 0; i < n_rot / 2; i++)
    {
      double freq = pow (s->rope_freq_base, -2.0 * i / n_rot);
      double wl = 2 * M_PI / freq;
      if (wl < high_wl)
        ff[i] = 1.0f;
      else if (wl > low_wl)
        ff[i] = (float) factor;
      else
        {
          double smooth = (orig / wl - low) / (high - low);
          ff[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
        }
    }
  hr_gguf_writer_add_tensor (mk->w, "rope_freqs.weight", HR_TYPE_F32, 1, ne, ff,
                             (size_t) (n_rot / 2) * sizeof (float));
  free (ff);
}

int
heron_test_make_model (const char *path, const HeronTestModelSpec *s, char *err, size_t errlen)
{
  hr_gguf_writer *w;
  maker mk = { .s = s, .rng = s->seed, .err = err, .errlen = errlen };
  char key[128], name[128];
  int n_vocab_tok, n_vocab, hd = s->head_dim > 0 ? s->head_dim : s->n_embd / s->n_head;
  int rc;
  const char *a = s->arch;

  hr_quants_init ();
  if (a == NULL || s->n_embd <= 0 || s->n_layer <= 0 || s->n_head <= 0 || s->n_head_kv <= 0
      || s->n_ff <= 0 || hd <= 0)
    {
      set_err (err, errlen, "bad model spec");
      return -1;
    }
  w = hr_gguf_writer_new ();
  mk.w = w;
  hr_gguf_writer_add_str (w, "general.architecture", a);
  hr_gguf_writer_add_str (w, "general.name", s->name != NULL ? s->name : "heron-test");
  hr_gguf_writer_add_u32 (w, "general.alignment", 32);
#define KEY(k) (snprintf (key, sizeof key, "%s." k, a), key)
  hr_gguf_writer_add_u32 (w, KEY ("context_length"), (uint32_t) s->n_ctx_train);
  hr_gguf_writer_add_u32 (w, KEY ("embedding_length"), (uint32_t) s->n_embd);
  hr_gguf_writer_add_u32 (w, KEY ("block_count"), (uint32_t) s->n_layer);
  hr_gguf_writer_add_u32 (w, KEY ("feed_forward_length"), (uint32_t) s->n_ff);
  hr_gguf_writer_add_u32 (w, KEY ("attention.head_count"), (uint32_t) s->n_head);
  hr_gguf_writer_add_u32 (w, KEY ("attention.head_count_kv"), (uint32_t) s->n_head_kv);
  hr_gguf_writer_add_f32 (w, KEY ("rope.freq_base"), s->rope_freq_base);
  hr_gguf_writer_add_f32 (w, KEY ("attention.layer_norm_rms_epsilon"), s->rms_eps);
  hr_gguf_writer_add_u32 (w, KEY ("rope.dimension_count"), (uint32_t) hd);
  if (hd != s->n_embd / s->n_head)
    {
      hr_gguf_writer_add_u32 (w, KEY ("attention.key_length"), (uint32_t) hd);
      hr_gguf_writer_add_u32 (w, KEY ("attention.value_length"), (uint32_t) hd);
    }
#undef KEY

  if (s->vocab_path != NULL)
    {
      hr_gguf *v;
      char verr[HR_ERR_LEN];
      uint64_t n = 0;
      if (hr_gguf_open (s->vocab_path, &v, verr, sizeof verr) != 0)
        {
          set_err (err, errlen, "vocabulary %s: %s", s->vocab_path, verr);
          hr_gguf_writer_free (w);
          return -1;
        }
      hr_gguf_writer_copy_kv (w, v, only_tokenizer_keys, NULL);
      hr_gguf_arr_type (v, hr_gguf_find_key (v, "tokenizer.ggml.tokens"), &n);
      n_vocab_tok = (int) n;
      hr_gguf_close (v);
      if (n_vocab_tok <= 0)
        {
          set_err (err, errlen, "vocabulary %s has no tokenizer.ggml.tokens", s->vocab_path);
          hr_gguf_writer_free (w);
          return -1;
        }
    }
  else
    n_vocab_tok = add_byte_vocab (w);
  /* llama.cpp requires the embedding rows to match a real vocabulary exactly. */
  n_vocab = s->vocab_path == NULL && s->n_vocab > n_vocab_tok ? s->n_vocab : n_vocab_tok;

  /* Scales keep activations near unit variance through every layer, so attention is not
   * uniform and the logits are not flat. */
  add_matrix (&mk, "token_embd.weight", s->n_embd, n_vocab, 0.25f, 0);
  add_vector (&mk, "output_norm.weight", s->n_embd, 1.0f, 0.1f);
  if (!s->tied)
    add_matrix (&mk, "output.weight", s->n_embd, n_vocab, 0.25f, 0);
  if (s->rope_freq_factors)
    add_rope_freqs (&mk, hd);
  for (int l = 0; l < s->n_layer && !mk.failed; l++)
    {
      float sd_e = 1.0f / sqrtf ((float) s->n_embd);
#define NAME(k) (snprintf (name, sizeof name, "blk.%d." k, l), name)
      add_vector (&mk, NAME ("attn_norm.weight"), s->n_embd, 1.0f, 0.1f);
      add_matrix (&mk, NAME ("attn_q.weight"), s->n_embd, (int64_t) s->n_head * hd, sd_e, l);
      add_matrix (&mk, NAME ("attn_k.weight"), s->n_embd, (int64_t) s->n_head_kv * hd, sd_e, l);
      add_matrix (&mk, NAME ("attn_v.weight"), s->n_embd, (int64_t) s->n_head_kv * hd, sd_e, l);
      add_matrix (&mk, NAME ("attn_output.weight"), (int64_t) s->n_head * hd, s->n_embd,
                  1.0f / sqrtf ((float) (s->n_head * hd)), l);
      if (s->qkv_bias)
        {
          add_vector (&mk, NAME ("attn_q.bias"), (int64_t) s->n_head * hd, 0.0f, 0.2f);
          add_vector (&mk, NAME ("attn_k.bias"), (int64_t) s->n_head_kv * hd, 0.0f, 0.2f);
          add_vector (&mk, NAME ("attn_v.bias"), (int64_t) s->n_head_kv * hd, 0.0f, 0.2f);
        }
      if (s->qk_norm)
        {
          add_vector (&mk, NAME ("attn_q_norm.weight"), hd, 1.0f, 0.2f);
          add_vector (&mk, NAME ("attn_k_norm.weight"), hd, 1.0f, 0.2f);
        }
      add_vector (&mk, NAME ("ffn_norm.weight"), s->n_embd, 1.0f, 0.1f);
      add_matrix (&mk, NAME ("ffn_gate.weight"), s->n_embd, s->n_ff, sd_e, l);
      add_matrix (&mk, NAME ("ffn_up.weight"), s->n_embd, s->n_ff, sd_e, l);
      add_matrix (&mk, NAME ("ffn_down.weight"), s->n_ff, s->n_embd,
                  1.0f / sqrtf ((float) s->n_ff), l);
#undef NAME
    }
  if (mk.failed)
    {
      if (err != NULL && errlen > 0 && err[0] == 0)
        set_err (err, errlen, "out of memory");
      hr_gguf_writer_free (w);
      return -1;
    }
  rc = hr_gguf_writer_write (w, path, err, errlen);
  hr_gguf_writer_free (w);
  return rc == 0 ? 0 : -1;
}
