/* fuzz-tokenizer.c: libFuzzer harness for the tokenizers and the vocabulary loader.
 *
 * Inputs that start with "GGUF" are opened as a vocabulary file and, when it loads, a few
 * fixed strings are tokenized with it. Other inputs are text: the first byte picks one of the
 * vocabularies built at startup (the tiny BPE vocabulary under every pre-tokenizer, and a
 * small SPM vocabulary with and without the space prefix), the rest is tokenized with
 * parse_special on and off and detokenized, in one go and streaming. Checks: ids in range,
 * streamed text is valid UTF-8, and valid UTF-8 text comes back unchanged where the
 * vocabulary can represent every byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "tiny-vocab.h"
#include "tokenizer.h"
#include "unicode.h"

#define CHECK(cond) \
  do { if (!(cond)) { fprintf (stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
                      abort (); } } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const bpe_pres[] = {
  "qwen2", "llama-bpe", "gpt-2", "deepseek-llm", "deepseek-coder", "default", "starcoder",
};
#define N_BPE (sizeof bpe_pres / sizeof bpe_pres[0])
#define N_VOCABS (N_BPE + 2)

typedef struct {
  void *buf;
  hr_gguf *g;
  hr_vocab *v;
} fuzz_vocab;

static fuzz_vocab vocabs[N_VOCABS];

static void
open_vocab (hr_gguf_writer *w, fuzz_vocab *fv)
{
  char err[HR_ERR_LEN];
  size_t size = 0;

  CHECK (hr_gguf_writer_write_memory (w, &fv->buf, &size, err, sizeof err) == 0);
  CHECK (hr_gguf_open_memory (fv->buf, size, &fv->g, err, sizeof err) == 0);
  fv->v = hr_vocab_load (fv->g, err, sizeof err);
  if (!fv->v)
    {
      fprintf (stderr, "vocab: %s\n", err);
      abort ();
    }
}

/* Byte tokens, a few merges with scores, and special tokens of each kind. */
static void
add_small_spm (hr_gguf_writer *w, bool prefix)
{
  static const char *const extra[] = {
    "<unk>", "<s>", "</s>", "<|ctl|>", "<ud>", "\xe2\x96\x81", "a", "b", "ab", "\xe2\x96\x81" "a",
    "\xe2\x96\x81" "ab", "\xe4\xbd\xa0", "\xe4\xbd\xa0\xe5\xa5\xbd", "\xe2\x96\x81\xe2\x96\x81",
  };
  static const int32_t extra_types[] = { 2, 3, 3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  enum { N_EXTRA = sizeof extra / sizeof extra[0], N = N_EXTRA + 256 };
  char *texts[N];
  float scores[N];
  int32_t types[N];

  for (int i = 0; i < N_EXTRA; i++)
    {
      texts[i] = strdup (extra[i]);
      types[i] = extra_types[i];
      scores[i] = -(float) (i % 5);
    }
  for (int b = 0; b < 256; b++)
    {
      texts[N_EXTRA + b] = malloc (8);
      snprintf (texts[N_EXTRA + b], 8, "<0x%02X>", b);
      types[N_EXTRA + b] = 6;
      scores[N_EXTRA + b] = 0;
    }
  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", "llama");
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) texts, N);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.scores", HR_GGUF_FLOAT32, scores, N);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.token_type", HR_GGUF_INT32, types, N);
  hr_gguf_writer_add_bool (w, "tokenizer.ggml.add_space_prefix", prefix);
  for (int i = 0; i < N; i++)
    free (texts[i]);
}

static void
init_vocabs (void)
{
  for (size_t i = 0; i < N_VOCABS; i++)
    {
      hr_gguf_writer *w = hr_gguf_writer_new ();
      if (i < N_BPE)
        {
          heron_test_add_tiny_bpe_vocab (w, NULL);
          hr_gguf_writer_add_str (w, "tokenizer.ggml.pre", bpe_pres[i]);
        }
      else
        add_small_spm (w, i == N_BPE);
      open_vocab (w, &vocabs[i]);
      hr_gguf_writer_free (w);
    }
}

static hr_token *
tokenize_all (const hr_vocab *v, const char *text, size_t len, bool add, bool parse,
              int32_t *n_out)
{
  int32_t n = hr_tokenize (v, text, len, add, parse, NULL, 0);
  hr_token *t;

  CHECK (n >= 0);
  t = malloc ((size_t) (n ? n : 1) * sizeof *t);
  CHECK (t);
  CHECK (hr_tokenize (v, text, len, add, parse, t, n) == n);
  for (int32_t i = 0; i < n; i++)
    CHECK (t[i] >= 0 && t[i] < hr_vocab_n_tokens (v));
  *n_out = n;
  return t;
}

static char *
detok_all (const hr_vocab *v, const hr_token *t, int32_t n, bool special, int32_t *len)
{
  int32_t k = hr_detokenize (v, t, n, special, NULL, 0);
  char *s;

  CHECK (k >= 0);
  s = malloc ((size_t) k + 1);
  CHECK (hr_detokenize (v, t, n, special, s, k) == k);
  s[k] = '\0';
  *len = k;
  return s;
}

static void
check_stream (const hr_vocab *v, const hr_token *t, int32_t n, bool special)
{
  hr_detok *d = hr_detok_new (v, special);
  char out[16];

  CHECK (d);
  for (int32_t i = 0; i < n; i++)
    {
      int32_t k = hr_detok_push (d, t[i], out, sizeof out);
      CHECK (k >= 0 && k < (int32_t) sizeof out && hr_utf8_valid (out, (size_t) k));
    }
  for (int guard = 0; guard < 1 << 20; guard++)
    {
      int32_t k = hr_detok_flush (d, out, sizeof out);
      CHECK (hr_utf8_valid (out, (size_t) k));
      if (k == 0)
        break;
    }
  CHECK (hr_detok_pending (d) == 0);
  hr_detok_free (d);
}

static void
fuzz_text (const hr_vocab *v, const char *text, size_t len)
{
  bool valid = hr_utf8_valid (text, len) && memchr (text, '\0', len) == NULL;
  bool spm = hr_vocab_kind_of (v) == HR_VOCAB_SPM;

  for (int mode = 0; mode < 2; mode++)
    {
      bool parse = mode == 1;
      int32_t n, k;
      hr_token *t = tokenize_all (v, text, len, parse, parse, &n);
      char *back = detok_all (v, t, n, parse, &k);
      bool has_special = false;

      for (int32_t i = 0; i < n; i++)
        has_special |= hr_vocab_token_attr (v, t[i]) != HR_TOKEN_NORMAL
                       && hr_vocab_token_attr (v, t[i]) != HR_TOKEN_BYTE;
      /* SPM puts a space before the text and after every special token, and reads U+2581 in
       * the text as a space, so compare only texts without either there. */
      if (valid && !parse
          && !(spm && (has_special || memmem (text, len, "\xe2\x96\x81", 3))))
        {
          const char *cmp = back;
          size_t clen = (size_t) k;
          if (spm && hr_vocab_add_space_prefix (v) && len > 0)
            {
              CHECK (clen > 0 && back[0] == ' ');
              cmp++;
              clen--;
            }
          CHECK (clen == len && memcmp (cmp, text, len) == 0);
        }
      check_stream (v, t, n, parse);
      free (back);
      free (t);
    }
}

static void
fuzz_gguf (const uint8_t *data, size_t size)
{
  static const char *const samples[] = {
    "Hello world, it's 2024!", "你好，世界 😀", "<|im_start|>user\n<think>x</think>",
    "  \n\t\r\n  ", "\xff\xfe\xe4\xb8",
  };
  hr_gguf *g = NULL;
  hr_vocab *v;
  char err[HR_ERR_LEN];

  if (hr_gguf_open_memory (data, size, &g, err, sizeof err) != 0)
    return;
  v = hr_vocab_load (g, err, sizeof err);
  if (v)
    {
      char piece[64];
      for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        {
          int32_t n;
          hr_token *t = tokenize_all (v, samples[i], strlen (samples[i]), true, i & 1, &n);
          check_stream (v, t, n, true);
          free (t);
        }
      for (hr_token t = 0; t < hr_vocab_n_tokens (v) && t < 4096; t++)
        CHECK (hr_token_to_piece (v, t, true, piece, sizeof piece) >= 0);
      (void) hr_vocab_is_eog (v, hr_vocab_eos (v));
      hr_vocab_free (v);
    }
  else
    CHECK (err[0] != '\0');
  hr_gguf_close (g);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int ready;
  char *text;

  if (!ready)
    {
      init_vocabs ();
      ready = 1;
    }
  if (size >= 4 && memcmp (data, "GGUF", 4) == 0)
    {
      fuzz_gguf (data, size);
      return 0;
    }
  if (size == 0)
    return 0;
  /* A private copy, so that reads past the end are caught. */
  text = malloc (size - 1 ? size - 1 : 1);
  memcpy (text, data + 1, size - 1);
  fuzz_text (vocabs[data[0] % N_VOCABS].v, text, size - 1);
  free (text);
  return 0;
}
