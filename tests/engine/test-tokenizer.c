/* test-tokenizer.c: tokenizer conformance against llama.cpp's ids for every vocabulary in
 * $HERON_SHARED_DIR/testdata/vocab (.inp/.out pairs), extra golden cases produced with
 * llama.cpp's llama-tokenize, hermetic tests on tiny SPM and BPE vocabularies written with the
 * GGUF writer (merges, byte fallback, special tokens, add_bos, streaming detokenization), and
 * text -> tokens -> text round trips of random UTF-8 on the real vocabularies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gguf.h"
#include "tiny-vocab.h"
#include "tokenizer-llama-golden.h"
#include "tokenizer.h"
#include "unicode.h"

static const char *const vocab_names[] = {
  "llama-spm", "phi-3", "baichuan", "qwen2", "llama-bpe", "deepseek-llm", "deepseek-coder",
  "gpt-2",
};

/* ---------------------------------------------------------------------------------------- */
/* Helpers */

typedef struct {
  void *buf;          /* owned GGUF bytes for in-memory files */
  hr_gguf *g;
  hr_vocab *v;
} loaded;

static void
loaded_clear (loaded *l)
{
  hr_vocab_free (l->v);
  hr_gguf_close (l->g);
  g_free (l->buf);
  memset (l, 0, sizeof *l);
}

static char *
shared_vocab_path (const char *name, const char *suffix)
{
  const char *dir = g_getenv ("HERON_SHARED_DIR");
  g_autofree char *file = NULL;

  if (!dir || !*dir)
    return NULL;
  file = g_strdup_printf ("ggml-vocab-%s.gguf%s", name, suffix);
  return g_build_filename (dir, "testdata", "vocab", file, NULL);
}

static gboolean
load_shared (const char *name, loaded *l)
{
  g_autofree char *path = shared_vocab_path (name, "");
  char err[HR_ERR_LEN];

  memset (l, 0, sizeof *l);
  if (!path || !g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  if (hr_gguf_open (path, &l->g, err, sizeof err) != 0)
    g_error ("%s: %s", path, err);
  l->v = hr_vocab_load (l->g, err, sizeof err);
  if (!l->v)
    g_error ("%s: %s", path, err);
  return TRUE;
}

static void
load_writer (hr_gguf_writer *w, loaded *l)
{
  char err[HR_ERR_LEN];
  size_t size = 0;

  memset (l, 0, sizeof *l);
  g_assert_cmpint (hr_gguf_writer_write_memory (w, &l->buf, &size, err, sizeof err), ==, 0);
  g_assert_cmpint (hr_gguf_open_memory (l->buf, size, &l->g, err, sizeof err), ==, 0);
  l->v = hr_vocab_load (l->g, err, sizeof err);
  if (!l->v)
    g_error ("vocab load: %s", err);
}

/* Tokenize into a GArray of hr_token. */
static GArray *
tokenize (const hr_vocab *v, const char *text, gssize len, gboolean add_special,
          gboolean parse_special)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (hr_token));
  size_t n = len < 0 ? strlen (text) : (size_t) len;
  int32_t k = hr_tokenize (v, text, n, add_special, parse_special, NULL, 0);

  g_assert_cmpint (k, >=, 0);
  g_array_set_size (a, (guint) k);
  if (k > 0)
    g_assert_cmpint (hr_tokenize (v, text, n, add_special, parse_special,
                                  (hr_token *) a->data, k), ==, k);
  return a;
}

static char *
ids_to_string (GArray *a)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < a->len; i++)
    g_string_append_printf (s, " %d", g_array_index (a, hr_token, i));
  return g_string_free (s, FALSE);
}

static char *
detokenize (const hr_vocab *v, GArray *a, gboolean render_special)
{
  int32_t n = hr_detokenize (v, (hr_token *) a->data, (int32_t) a->len, render_special,
                             NULL, 0);
  char *buf;

  g_assert_cmpint (n, >=, 0);
  buf = g_malloc (n + 1);
  g_assert_cmpint (hr_detokenize (v, (hr_token *) a->data, (int32_t) a->len, render_special,
                                  buf, n), ==, n);
  buf[n] = '\0';
  return buf;
}

static void
assert_ids (const hr_vocab *v, const char *text, gboolean add_special,
            gboolean parse_special, const char *expected)
{
  g_autoptr (GArray) a = tokenize (v, text, -1, add_special, parse_special);
  g_autofree char *got = ids_to_string (a);

  if (g_strcmp0 (got, expected) != 0)
    g_error ("'%s' (add_special %d, parse_special %d): got '%s', expected '%s'", text,
             add_special, parse_special, got, expected);
}

/* ---------------------------------------------------------------------------------------- */
/* Conformance with the shared .inp/.out files */

static void
test_conformance (gconstpointer data)
{
  const char *name = data;
  g_autofree char *inp_path = shared_vocab_path (name, ".inp");
  g_autofree char *out_path = shared_vocab_path (name, ".out");
  g_autofree char *inp = NULL, *out = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *tests = g_ptr_array_new_with_free_func (g_free);
  const char *sep = "\n__ggml_vocab_test__\n";
  size_t inp_len = 0;
  const char *p, *end;
  loaded l;
  int ok = 0, bad = 0;
  gint64 t0, t1;

  if (!load_shared (name, &l))
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      g_ptr_array_unref (tests);
      return;
    }
  g_assert_true (g_file_get_contents (inp_path, &inp, &inp_len, NULL));
  g_assert_true (g_file_get_contents (out_path, &out, NULL, NULL));
  for (p = inp, end = inp + inp_len; p < end;)
    {
      const char *s = g_strstr_len (p, end - p, sep);
      if (!s)
        break;
      g_ptr_array_add (tests, g_strndup (p, s - p));
      p = s + strlen (sep);
    }
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, tests->len);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < tests->len; i++)
    {
      const char *text = g_ptr_array_index (tests, i);
      g_autoptr (GArray) a = tokenize (l.v, text, -1, FALSE, FALSE);
      g_autofree char *got = ids_to_string (a);
      g_autofree char *want = g_strdup (lines[i]);
      g_strchomp (want);
      if (g_strcmp0 (got, want) == 0)
        ok++;
      else
        {
          bad++;
          g_test_message ("%s #%u mismatch for '%s':\n  got  '%s'\n  want '%s'", name, i,
                          g_strescape (text, NULL), got, want);
        }
    }
  t1 = g_get_monotonic_time ();
  g_test_message ("%-15s %2d/%u strings match, %d tokens in vocab, pre '%s', %.2f ms", name,
                  ok, tests->len, hr_vocab_n_tokens (l.v), hr_vocab_pre_name (l.v),
                  (t1 - t0) / 1000.0);
  g_ptr_array_free (tests, TRUE);
  loaded_clear (&l);
  g_assert_cmpint (bad, ==, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Tiny SentencePiece vocabulary, written with the GGUF writer */

enum {
  SPM_UNK, SPM_BOS, SPM_EOS, SPM_CTL, SPM_UD, SPM_BYTE0,
  SPM_SPACE = SPM_BYTE0 + 256, SPM_A, SPM_B, SPM_C, SPM_AB, SPM_BC, SPM_ABC, SPM_SP_A,
  SPM_SP_AB, SPM_HELLO_PARTS, SPM_N
};

static void
make_tiny_spm (loaded *l, gboolean add_space_prefix)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  char *texts[SPM_N];
  float scores[SPM_N];
  int32_t types[SPM_N];

  for (int i = 0; i < SPM_N; i++)
    {
      scores[i] = 0.0f;
      types[i] = 1;
    }
  texts[SPM_UNK] = g_strdup ("<unk>");
  types[SPM_UNK] = 2;
  texts[SPM_BOS] = g_strdup ("<s>");
  types[SPM_BOS] = 3;
  texts[SPM_EOS] = g_strdup ("</s>");
  types[SPM_EOS] = 3;
  texts[SPM_CTL] = g_strdup ("<|ctl|>");
  types[SPM_CTL] = 3;
  texts[SPM_UD] = g_strdup ("<ud>");
  types[SPM_UD] = 4;
  for (int b = 0; b < 256; b++)
    {
      texts[SPM_BYTE0 + b] = g_strdup_printf ("<0x%02X>", b);
      types[SPM_BYTE0 + b] = 6;
    }
  /* Scores decide the merge order: "bc" (-1) beats "ab" (-2); "abc" exists as a token. */
  texts[SPM_SPACE] = g_strdup ("\xe2\x96\x81");
  scores[SPM_SPACE] = -5;
  texts[SPM_A] = g_strdup ("a");
  scores[SPM_A] = -6;
  texts[SPM_B] = g_strdup ("b");
  scores[SPM_B] = -6;
  texts[SPM_C] = g_strdup ("c");
  scores[SPM_C] = -6;
  texts[SPM_AB] = g_strdup ("ab");
  scores[SPM_AB] = -2;
  texts[SPM_BC] = g_strdup ("bc");
  scores[SPM_BC] = -1;
  texts[SPM_ABC] = g_strdup ("abc");
  scores[SPM_ABC] = -3;
  texts[SPM_SP_A] = g_strdup ("\xe2\x96\x81" "a");
  scores[SPM_SP_A] = -4;
  texts[SPM_SP_AB] = g_strdup ("\xe2\x96\x81" "ab");
  scores[SPM_SP_AB] = -0.5f;
  texts[SPM_HELLO_PARTS] = g_strdup ("\xe2\x96\x81\xe2\x96\x81");
  scores[SPM_HELLO_PARTS] = -7;

  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", "llama");
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) texts, SPM_N);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.scores", HR_GGUF_FLOAT32, scores, SPM_N);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.token_type", HR_GGUF_INT32, types, SPM_N);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.bos_token_id", SPM_BOS);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.eos_token_id", SPM_EOS);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.unknown_token_id", SPM_UNK);
  if (!add_space_prefix)
    hr_gguf_writer_add_bool (w, "tokenizer.ggml.add_space_prefix", false);
  load_writer (w, l);
  hr_gguf_writer_free (w);
  for (int i = 0; i < SPM_N; i++)
    g_free (texts[i]);
}

#define ASSERT_IDS(v, text, add, parse, ...)                                  \
  G_STMT_START {                                                               \
    int _e[] = { __VA_ARGS__ };                                                \
    GString *_s = g_string_new (NULL);                                         \
    for (gsize _i = 0; _i < G_N_ELEMENTS (_e); _i++)                           \
      g_string_append_printf (_s, " %d", _e[_i]);                              \
    assert_ids (v, text, add, parse, _s->str);                                 \
    g_string_free (_s, TRUE);                                                  \
  } G_STMT_END

static void
test_spm_merges (void)
{
  loaded l;

  make_tiny_spm (&l, TRUE);
  g_assert_cmpint (hr_vocab_kind_of (l.v), ==, HR_VOCAB_SPM);
  /* "▁abc": bc (-1) first, then a+bc (-3); "▁abc" is no token. */
  ASSERT_IDS (l.v, "abc", FALSE, FALSE, SPM_SPACE, SPM_ABC);
  /* "▁ab": ab (-2) before ▁a (-4), then ▁+ab = ▁ab (-0.5). */
  ASSERT_IDS (l.v, "ab", FALSE, FALSE, SPM_SP_AB);
  /* Without the space prefix: bc (-1) before ab (-2), then a+bc = abc. */
  loaded_clear (&l);
  make_tiny_spm (&l, FALSE);
  ASSERT_IDS (l.v, "abc", FALSE, FALSE, SPM_ABC);
  ASSERT_IDS (l.v, "cab", FALSE, FALSE, SPM_C, SPM_AB);
  ASSERT_IDS (l.v, "a a", FALSE, FALSE, SPM_A, SPM_SP_A);
  ASSERT_IDS (l.v, "", TRUE, FALSE, SPM_BOS);
  loaded_clear (&l);
}

static void
test_spm_byte_fallback (void)
{
  loaded l;
  make_tiny_spm (&l, TRUE);
  /* "中" = E4 B8 AD has no token: three byte tokens after the prefix space. */
  ASSERT_IDS (l.v, "中", FALSE, FALSE, SPM_SPACE, SPM_BYTE0 + 0xE4, SPM_BYTE0 + 0xB8,
              SPM_BYTE0 + 0xAD);
  ASSERT_IDS (l.v, "a\n", FALSE, FALSE, SPM_SP_A, SPM_BYTE0 + 0x0A);
  /* add_bos defaults to true for SPM; add_eos to false. */
  g_assert_true (hr_vocab_add_bos (l.v));
  g_assert_false (hr_vocab_add_eos (l.v));
  ASSERT_IDS (l.v, "ab", TRUE, FALSE, SPM_BOS, SPM_SP_AB);
  g_assert_true (hr_vocab_is_eog (l.v, SPM_EOS));
  g_assert_false (hr_vocab_is_eog (l.v, SPM_BOS));
  loaded_clear (&l);
}

static void
test_spm_special (void)
{
  loaded l;
  g_autoptr (GArray) off = NULL;

  make_tiny_spm (&l, TRUE);
  /* Control token only with parse_special; as in llama.cpp the text after a special token
   * gets the prefix space again. */
  ASSERT_IDS (l.v, "<|ctl|>ab", FALSE, TRUE, SPM_CTL, SPM_SP_AB);
  off = tokenize (l.v, "<|ctl|>ab", -1, FALSE, FALSE);
  for (guint i = 0; i < off->len; i++)
    g_assert_cmpint (g_array_index (off, hr_token, i), !=, SPM_CTL);
  /* User-defined tokens are matched in both modes. */
  ASSERT_IDS (l.v, "a<ud>a", FALSE, FALSE, SPM_SP_A, SPM_UD, SPM_SP_A);
  ASSERT_IDS (l.v, "a<ud>a", FALSE, TRUE, SPM_SP_A, SPM_UD, SPM_SP_A);
  /* <unk> is parsed only with parse_special too. */
  ASSERT_IDS (l.v, "<unk>", FALSE, TRUE, SPM_UNK);
  loaded_clear (&l);
}

static void
test_spm_pieces (void)
{
  loaded l;
  char buf[64];

  make_tiny_spm (&l, TRUE);
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_SP_AB, FALSE, buf, sizeof buf), ==, 3);
  g_assert_cmpmem (buf, 3, " ab", 3);
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_BYTE0 + 0x41, FALSE, buf, sizeof buf), ==, 1);
  g_assert_cmpint (buf[0], ==, 'A');
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_BOS, FALSE, buf, sizeof buf), ==, 0);
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_BOS, TRUE, buf, sizeof buf), ==, 3);
  g_assert_cmpmem (buf, 3, "<s>", 3);
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_UD, FALSE, buf, sizeof buf), ==, 4);
  /* Too small: the size is returned, nothing written. */
  buf[0] = 'x';
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_SP_AB, FALSE, buf, 2), ==, 3);
  g_assert_cmpint (buf[0], ==, 'x');
  g_assert_cmpint (hr_token_to_piece (l.v, SPM_N, FALSE, buf, sizeof buf), ==, -1);
  loaded_clear (&l);
}

static void
test_detok_stream (void)
{
  loaded l;
  hr_detok *d;
  char out[64];
  const hr_token zh[] = { SPM_BYTE0 + 0xE4, SPM_BYTE0 + 0xB8, SPM_BYTE0 + 0xAD };

  make_tiny_spm (&l, TRUE);
  d = hr_detok_new (l.v, FALSE);
  g_assert_cmpint (hr_detok_push (d, SPM_SP_A, out, sizeof out), ==, 2);
  g_assert_cmpstr (out, ==, " a");
  /* 中 split over three byte tokens: nothing until the last one. */
  g_assert_cmpint (hr_detok_push (d, zh[0], out, sizeof out), ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpint (hr_detok_push (d, zh[1], out, sizeof out), ==, 0);
  g_assert_cmpuint (hr_detok_pending (d), ==, 2);
  g_assert_cmpint (hr_detok_push (d, zh[2], out, sizeof out), ==, 3);
  g_assert_cmpstr (out, ==, "中");
  /* An incomplete character becomes U+FFFD on flush. */
  g_assert_cmpint (hr_detok_push (d, zh[0], out, sizeof out), ==, 0);
  g_assert_cmpint (hr_detok_push (d, zh[1], out, sizeof out), ==, 0);
  g_assert_cmpint (hr_detok_flush (d, out, sizeof out), ==, 3);
  g_assert_cmpstr (out, ==, "\xef\xbf\xbd");
  /* A byte that cannot start a character is replaced at once; the next text follows. */
  g_assert_cmpint (hr_detok_push (d, SPM_BYTE0 + 0xFF, out, sizeof out), ==, 3);
  g_assert_cmpstr (out, ==, "\xef\xbf\xbd");
  /* A broken sequence: E4 then 'A' gives U+FFFD then "A". */
  g_assert_cmpint (hr_detok_push (d, zh[0], out, sizeof out), ==, 0);
  g_assert_cmpint (hr_detok_push (d, SPM_BYTE0 + 'A', out, sizeof out), ==, 4);
  g_assert_cmpstr (out, ==, "\xef\xbf\xbd" "A");
  /* Small output buffers keep the rest pending. */
  g_assert_cmpint (hr_detok_push (d, SPM_SP_AB, out, 2), ==, 1);
  g_assert_cmpstr (out, ==, " ");
  g_assert_cmpint (hr_detok_flush (d, out, sizeof out), ==, 2);
  g_assert_cmpstr (out, ==, "ab");
  g_assert_cmpint (hr_detok_flush (d, out, sizeof out), ==, 0);
  hr_detok_free (d);
  loaded_clear (&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Tiny byte-level BPE vocabulary (tiny-vocab.c) against a straightforward reference BPE */

static void
make_tiny_bpe (loaded *l, int *n_vocab)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();

  heron_test_add_tiny_bpe_vocab (w, n_vocab);
  load_writer (w, l);
  hr_gguf_writer_free (w);
}

/* Reference: for each pre-tokenized word, byte-level symbols; merge the adjacent pair of
 * lowest rank (leftmost on ties) until none is left; map the symbols to ids. */
static GArray *
reference_bpe (const hr_gguf *g, const hr_vocab *v, const char *text)
{
  int64_t kv = hr_gguf_find_key (g, "tokenizer.ggml.merges");
  uint64_t nm = 0;
  g_autoptr (GHashTable) ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (hr_token));
  size_t len = strlen (text), ncp = 0, *lens = NULL, start = 0;
  g_autofree uint32_t *cps = g_new (uint32_t, len + 1);
  int64_t nw;

  hr_gguf_arr_type (g, kv, &nm);
  for (uint64_t i = 0; i < nm; i++)
    {
      hr_str m = hr_gguf_arr_str (g, kv, i);
      char *k = g_strndup (m.ptr, m.len);
      if (!g_hash_table_contains (ranks, k))
        g_hash_table_insert (ranks, k, GINT_TO_POINTER ((int) i + 1));
      else
        g_free (k);
    }
  for (size_t i = 0; i < len;)
    {
      size_t adv;
      cps[ncp++] = hr_utf8_decode_lenient (text + i, len - i, &adv);
      i += adv;
    }
  nw = hr_pretok_split (HR_PRETOK_QWEN2, cps, ncp, &lens);
  for (int64_t w = 0; w < nw; w++)
    {
      GPtrArray *sym = g_ptr_array_new_with_free_func (g_free);
      for (size_t i = start; i < start + lens[w]; i++)
        {
          char u[4], b[5];
          int k = hr_utf8_encode (cps[i], u);
          for (int j = 0; j < k; j++)
            {
              int m = hr_utf8_encode (hr_byte_to_cp ((uint8_t) u[j]), b);
              g_ptr_array_add (sym, g_strndup (b, m));
            }
        }
      start += lens[w];
      for (;;)
        {
          int best = 0;
          guint at = 0;
          for (guint i = 0; i + 1 < sym->len; i++)
            {
              g_autofree char *k = g_strconcat (sym->pdata[i], " ", sym->pdata[i + 1], NULL);
              int r = GPOINTER_TO_INT (g_hash_table_lookup (ranks, k));
              if (r && (!best || r < best))
                {
                  best = r;
                  at = i;
                }
            }
          if (!best)
            break;
          {
            char *merged = g_strconcat (sym->pdata[at], sym->pdata[at + 1], NULL);
            g_ptr_array_remove_index (sym, at + 1);
            g_free (sym->pdata[at]);
            sym->pdata[at] = merged;
          }
        }
      for (guint i = 0; i < sym->len; i++)
        {
          hr_token t = hr_vocab_find (v, sym->pdata[i]);
          g_assert_cmpint (t, >=, 0);
          g_array_append_val (out, t);
        }
      g_ptr_array_unref (sym);
    }
  free (lens);
  return out;
}

static const char *const sample_texts[] = {
  "Hello world", " the quick brown fox", "你好，世界！", "It's 12345 o'clock",
  "assistant: Think step by step.\n\nThe answer is 42.", "  leading and trailing  ",
  "emoji 😀 and 中文 mixed", "tabs\tand\r\nnewlines\n\n\n", "龙",
};

static void
test_bpe_tiny_merges (void)
{
  loaded l;
  int n_vocab = 0;

  make_tiny_bpe (&l, &n_vocab);
  g_assert_cmpint (hr_vocab_n_tokens (l.v), ==, n_vocab);
  g_assert_cmpint (n_vocab, >, 256 + 100);
  g_assert_cmpint (hr_vocab_kind_of (l.v), ==, HR_VOCAB_BPE);
  g_assert_cmpstr (hr_vocab_pre_name (l.v), ==, "qwen2");
  for (gsize i = 0; i < G_N_ELEMENTS (sample_texts); i++)
    {
      g_autoptr (GArray) got = tokenize (l.v, sample_texts[i], -1, FALSE, FALSE);
      g_autoptr (GArray) want = reference_bpe (l.g, l.v, sample_texts[i]);
      g_autofree char *gs = ids_to_string (got);
      g_autofree char *ws = ids_to_string (want);
      g_autofree char *back = detokenize (l.v, got, FALSE);
      g_assert_cmpstr (gs, ==, ws);
      g_assert_cmpstr (back, ==, sample_texts[i]);
    }
  /* A frequent word of the training text is one token. */
  {
    g_autoptr (GArray) a = tokenize (l.v, " the", -1, FALSE, FALSE);
    g_assert_cmpuint (a->len, ==, 1);
    g_assert_cmpstr (hr_vocab_token_text (l.v, g_array_index (a, hr_token, 0)), ==,
                     "\xc4\xa0the");
  }
  loaded_clear (&l);
}

static void
test_bpe_tiny_special (void)
{
  loaded l;
  int n = 0;
  hr_token eot_, ims, ime, think, think_end;

  make_tiny_bpe (&l, &n);
  eot_ = n - 5;
  ims = n - 4;
  ime = n - 3;
  think = n - 2;
  think_end = n - 1;
  g_assert_cmpint (hr_vocab_find (l.v, "<|im_start|>"), ==, ims);
  g_assert_cmpint (hr_vocab_token_attr (l.v, ims), ==, HR_TOKEN_CONTROL);
  g_assert_cmpint (hr_vocab_token_attr (l.v, think), ==, HR_TOKEN_USER_DEFINED);
  g_assert_cmpint (hr_vocab_bos (l.v), ==, eot_);
  g_assert_cmpint (hr_vocab_eos (l.v), ==, ime);
  g_assert_cmpint (hr_vocab_eot (l.v), ==, ime);
  g_assert_false (hr_vocab_add_bos (l.v));
  g_assert_true (hr_vocab_is_eog (l.v, ime));
  g_assert_true (hr_vocab_is_eog (l.v, eot_));
  g_assert_false (hr_vocab_is_eog (l.v, ims));
  g_assert_false (hr_vocab_is_eog (l.v, think));

  {
    g_autoptr (GArray) a = tokenize (l.v, "<|im_start|>user\nHi<|im_end|>", -1, TRUE, TRUE);
    g_assert_cmpint (g_array_index (a, hr_token, 0), ==, ims);
    g_assert_cmpint (g_array_index (a, hr_token, a->len - 1), ==, ime);
    g_autofree char *plain = detokenize (l.v, a, FALSE);
    g_autofree char *all = detokenize (l.v, a, TRUE);
    g_assert_cmpstr (plain, ==, "user\nHi");
    g_assert_cmpstr (all, ==, "<|im_start|>user\nHi<|im_end|>");
  }
  {
    /* Without parse_special the control text is ordinary text; <think> still matches. */
    g_autoptr (GArray) a = tokenize (l.v, "<|im_start|><think>x</think>", -1, FALSE, FALSE);
    gboolean has_think = FALSE, has_end = FALSE;
    g_autofree char *back = detokenize (l.v, a, FALSE);
    for (guint i = 0; i < a->len; i++)
      {
        hr_token t = g_array_index (a, hr_token, i);
        g_assert_cmpint (t, !=, ims);
        has_think |= t == think;
        has_end |= t == think_end;
      }
    g_assert_true (has_think && has_end);
    g_assert_cmpstr (back, ==, "<|im_start|><think>x</think>");
  }
  loaded_clear (&l);
}

static void
test_bpe_tiny_detok_chinese (void)
{
  loaded l;
  hr_detok *d;
  char out[64];
  GString *acc = g_string_new (NULL);
  g_autoptr (GArray) a = NULL;

  make_tiny_bpe (&l, NULL);
  /* 龙 is not in the training text: three byte tokens. */
  a = tokenize (l.v, "龙", -1, FALSE, FALSE);
  g_assert_cmpuint (a->len, ==, 3);
  d = hr_detok_new (l.v, FALSE);
  for (guint i = 0; i < a->len; i++)
    {
      int32_t k = hr_detok_push (d, g_array_index (a, hr_token, i), out, sizeof out);
      g_assert_cmpint (k, ==, i + 1 < a->len ? 0 : 3);
      g_string_append (acc, out);
    }
  g_assert_cmpint (hr_detok_flush (d, out, sizeof out), ==, 0);
  g_assert_cmpstr (acc->str, ==, "龙");
  hr_detok_free (d);
  g_string_free (acc, TRUE);
  loaded_clear (&l);
}

static void
expect_refused (const char *model, const char *pre, const char *needle)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  const char *toks[] = { "a", "b", "ab" };
  const char *merges[] = { "a b" };
  char err[HR_ERR_LEN];
  void *buf = NULL;
  size_t size = 0;
  hr_gguf *g = NULL;

  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", model);
  if (pre)
    hr_gguf_writer_add_str (w, "tokenizer.ggml.pre", pre);
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", toks, 3);
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.merges", merges, 1);
  g_assert_cmpint (hr_gguf_writer_write_memory (w, &buf, &size, err, sizeof err), ==, 0);
  g_assert_cmpint (hr_gguf_open_memory (buf, size, &g, err, sizeof err), ==, 0);
  g_assert_null (hr_vocab_load (g, err, sizeof err));
  g_test_message ("refused: %s", err);
  g_assert_nonnull (strstr (err, needle));
  hr_gguf_close (g);
  g_free (buf);
  hr_gguf_writer_free (w);
}

static void
test_refuse_unknown (void)
{
  expect_refused ("gpt2", "no-such-pretokenizer", "no-such-pretokenizer");
  expect_refused ("t5-unigram-x", NULL, "t5-unigram-x");
}

static void
test_unicode_tables (void)
{
  static const struct { uint32_t cp; hr_uclass cls; gboolean space; } cases[] = {
    { 'a', HR_UCLASS_LETTER, FALSE }, { '7', HR_UCLASS_NUMBER, FALSE },
    { ' ', HR_UCLASS_SEPARATOR, TRUE }, { '\n', HR_UCLASS_CONTROL, TRUE },
    { '$', HR_UCLASS_SYMBOL, FALSE }, { '!', HR_UCLASS_PUNCT, FALSE },
    { 0x4E2D, HR_UCLASS_LETTER, FALSE }, { 0x3000, HR_UCLASS_SEPARATOR, TRUE },
    { 0x0301, HR_UCLASS_MARK, FALSE }, { 0x00B2, HR_UCLASS_NUMBER, FALSE },
    { 0x1F600, HR_UCLASS_SYMBOL, FALSE }, { 0x0085, HR_UCLASS_CONTROL, TRUE },
    { 0x31350, HR_UCLASS_LETTER, FALSE }, /* CJK Ext. H, Unicode 15.0 */
    { 0x0378, HR_UCLASS_UNDEFINED, FALSE }, { 0x10FFFF, HR_UCLASS_UNDEFINED, FALSE },
  };
  /* GPT-2's bytes_to_unicode, written out for a few bytes. */
  static const uint32_t b2u[][2] = {
    { 0x00, 0x100 }, { 0x20, 0x120 }, { 0x21, 0x21 }, { 0x7E, 0x7E }, { 0x7F, 0x121 },
    { 0xA0, 0x142 }, { 0xA1, 0xA1 }, { 0xAD, 0x143 }, { 0xFF, 0xFF },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpint (hr_unicode_class (cases[i].cp), ==, cases[i].cls);
      g_assert_cmpint (hr_unicode_is_space (cases[i].cp), ==, cases[i].space);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (b2u); i++)
    {
      g_assert_cmpuint (hr_byte_to_cp ((uint8_t) b2u[i][0]), ==, b2u[i][1]);
      g_assert_cmpint (hr_cp_to_byte (b2u[i][1]), ==, (int) b2u[i][0]);
    }
  for (int b = 0; b < 256; b++)
    g_assert_cmpint (hr_cp_to_byte (hr_byte_to_cp ((uint8_t) b)), ==, b);
  /* The checker agrees with GLib on random byte strings. */
  {
    GRand *r = g_rand_new_with_seed (7);
    for (int i = 0; i < 20000; i++)
      {
        char s[6];
        int n = g_rand_int_range (r, 1, 6);
        for (int j = 0; j < n; j++)
          s[j] = (char) (j == 0 ? g_rand_int_range (r, 0x70, 0x100) : g_rand_int_range (r, 0x70, 0xC0));
        g_assert_cmpint (hr_utf8_valid (s, (size_t) n), ==, g_utf8_validate_len (s, n, NULL));
      }
    g_rand_free (r);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Extra golden cases made with llama.cpp's llama-tokenize (see tokenizer-llama-golden.h) */

static void
test_llama_golden (gconstpointer data)
{
  const char *name = data;
  loaded l;
  int ok = 0, bad = 0;

  if (!load_shared (name, &l))
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (golden_cases); i++)
    {
      const golden_case *c = &golden_cases[i];
      const char *text = golden_strings[c->string];
      g_autoptr (GArray) a = NULL;
      g_autofree char *got = NULL;
      if (strcmp (c->vocab, name) != 0)
        continue;
      a = tokenize (l.v, text, -1, FALSE, c->parse_special);
      got = ids_to_string (a);
      if (g_strcmp0 (got, c->ids) == 0)
        ok++;
      else
        {
          bad++;
          g_test_message ("%s string %d parse_special %d:\n  got  '%s'\n  want '%s'", name,
                          c->string, c->parse_special, got, c->ids);
        }
    }
  g_test_message ("%-15s %d/%d llama-tokenize cases match", name, ok, ok + bad);
  loaded_clear (&l);
  g_assert_cmpint (bad, ==, 0);
  g_assert_cmpint (ok, >, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Round trips of random text on the real vocabularies */

static void
append_random_piece (GString *s, GRand *r)
{
  static const char *const words[] = {
    "the", "The", "hello", "world", "don't", "it's", "I'M", "naïve", "Ελληνικά", "русский",
    "Tiếng", "ภาษาไทย", "日本語", "한국어", "中文", "你好", "世界", "人工智能", "😀", "👍🏽",
    "👨‍👩‍👧", "🇫🇷", "12345", "3.14", "x", "<", "</", "|>", "<|", "{", "}", "()", "=>",
  };
  static const char *const spaces[] = {
    " ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", " \n ", "\xe3\x80\x80", "\xc2\xa0", ""
  };
  int kind = g_rand_int_range (r, 0, 10);

  if (kind < 6)
    g_string_append (s, words[g_rand_int_range (r, 0, G_N_ELEMENTS (words))]);
  else if (kind < 9)
    g_string_append (s, spaces[g_rand_int_range (r, 0, G_N_ELEMENTS (spaces))]);
  else
    {
      /* Any valid code point (no surrogates, no NUL). */
      gunichar c;
      do
        c = (gunichar) (g_rand_boolean (r) ? g_rand_int_range (r, 1, 0x3000)
                                           : g_rand_int_range (r, 1, 0x110000));
      while (c >= 0xd800 && c <= 0xdfff);
      g_string_append_unichar (s, c);
    }
}

static void
test_round_trip (gconstpointer data)
{
  const char *name = data;
  loaded l;
  GRand *r;
  gboolean spm;

  if (!load_shared (name, &l))
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      return;
    }
  spm = hr_vocab_kind_of (l.v) == HR_VOCAB_SPM;
  if (spm && hr_vocab_find (l.v, "<0x41>") < 0)
    {
      g_test_skip ("no byte fallback: unknown characters cannot round-trip");
      loaded_clear (&l);
      return;
    }
  r = g_rand_new_with_seed (20261123);
  for (int iter = 0; iter < 200; iter++)
    {
      GString *s = g_string_new (NULL);
      int n = g_rand_int_range (r, 1, 40);
      g_autoptr (GArray) a = NULL;
      g_autofree char *back = NULL;
      const char *cmp;
      for (int i = 0; i < n; i++)
        append_random_piece (s, r);
      a = tokenize (l.v, s->str, (gssize) s->len, FALSE, FALSE);
      back = detokenize (l.v, a, FALSE);
      cmp = back;
      /* The SPM space prefix comes back as a leading space. */
      if (spm && hr_vocab_add_space_prefix (l.v) && s->len > 0)
        {
          g_assert_cmpint (back[0], ==, ' ');
          cmp = back + 1;
        }
      if (strcmp (cmp, s->str) != 0)
        g_error ("%s: round trip of '%s' gave '%s'", name, s->str, cmp);
      /* Streaming gives the same text. */
      {
        hr_detok *d = hr_detok_new (l.v, FALSE);
        GString *acc = g_string_new (NULL);
        char out[256];
        for (guint i = 0; i < a->len; i++)
          {
            hr_detok_push (d, g_array_index (a, hr_token, i), out, sizeof out);
            g_assert_true (g_utf8_validate (out, -1, NULL));
            g_string_append (acc, out);
          }
        while (hr_detok_flush (d, out, sizeof out) > 0)
          g_string_append (acc, out);
        g_assert_cmpstr (acc->str, ==, back);
        hr_detok_free (d);
        g_string_free (acc, TRUE);
      }
      g_string_free (s, TRUE);
    }
  g_rand_free (r);
  loaded_clear (&l);
}

/* A long input without spaces: merging stays fast and the text comes back. */
static void
test_long_input (void)
{
  loaded l;
  GString *s = g_string_new (NULL);
  g_autoptr (GArray) a = NULL;
  g_autofree char *back = NULL;

  make_tiny_bpe (&l, NULL);
  while (s->len < 100000)
    g_string_append (s, (s->len / 7) % 3 ? "abcdefghijklmnopqrstuvwxyz" : "你好世界人工智能");
  a = tokenize (l.v, s->str, (gssize) s->len, FALSE, FALSE);
  back = detokenize (l.v, a, FALSE);
  g_assert_cmpstr (back, ==, s->str);
  g_string_free (s, TRUE);
  loaded_clear (&l);
}

/* ---------------------------------------------------------------------------------------- */
/* Special ids and end-of-generation sets, as llama.cpp (16cc3c60) prints them when it loads
 * each vocabulary ("printing all EOG tokens", print_info's BOS/EOS/EOT). */

static const struct {
  const char *name;
  hr_token bos, eos, eot;
  gboolean add_bos;
  hr_token eog[6];   /* ascending, -1 terminated */
} special_ids[] = {
  { "llama-spm", 1, 2, -1, TRUE, { 2, -1 } },
  { "phi-3", 1, 32000, 32007, TRUE, { 32000, 32007, -1 } },
  { "baichuan", 1, 2, -1, TRUE, { 2, -1 } },
  { "qwen2", 151643, 151645, 151645, FALSE, { 151643, 151645, 151662, 151663, 151664, -1 } },
  { "llama-bpe", 128000, 128009, 128009, TRUE, { 128001, 128009, -1 } },
  { "deepseek-llm", 100000, 100001, 100001, TRUE, { 100001, -1 } },
  { "deepseek-coder", 32013, 32014, 32014, TRUE, { 32014, -1 } },
  { "gpt-2", 50256, 50256, 50256, FALSE, { 50256, -1 } },
};

static void
test_special_ids (gconstpointer data)
{
  const char *name = data;
  loaded l;

  if (!load_shared (name, &l))
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (special_ids); i++)
    {
      int k = 0;
      if (strcmp (special_ids[i].name, name) != 0)
        continue;
      g_assert_cmpint (hr_vocab_bos (l.v), ==, special_ids[i].bos);
      g_assert_cmpint (hr_vocab_eos (l.v), ==, special_ids[i].eos);
      g_assert_cmpint (hr_vocab_eot (l.v), ==, special_ids[i].eot);
      g_assert_cmpint (hr_vocab_add_bos (l.v), ==, special_ids[i].add_bos);
      g_assert_false (hr_vocab_add_eos (l.v));
      for (hr_token t = 0; t < hr_vocab_n_tokens (l.v); t++)
        if (hr_vocab_is_eog (l.v, t))
          g_assert_cmpint (t, ==, special_ids[i].eog[k++]);
      g_assert_cmpint (special_ids[i].eog[k], ==, -1);
      g_assert_false (hr_vocab_is_eog (l.v, -1));
      {
        /* add_special puts BOS first only when the vocabulary asks for it. */
        g_autoptr (GArray) a = tokenize (l.v, "Hi", -1, TRUE, FALSE);
        g_autoptr (GArray) b = tokenize (l.v, "Hi", -1, FALSE, FALSE);
        g_assert_cmpuint (a->len, ==, b->len + (special_ids[i].add_bos ? 1 : 0));
        if (special_ids[i].add_bos)
          g_assert_cmpint (g_array_index (a, hr_token, 0), ==, special_ids[i].bos);
      }
      g_assert_false (hr_vocab_is_eog (l.v, hr_vocab_n_tokens (l.v)));
    }
  loaded_clear (&l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/heron/engine/tokenizer/unicode-tables", test_unicode_tables);
  g_test_add_func ("/heron/engine/tokenizer/spm/merges", test_spm_merges);
  g_test_add_func ("/heron/engine/tokenizer/spm/byte-fallback", test_spm_byte_fallback);
  g_test_add_func ("/heron/engine/tokenizer/spm/special", test_spm_special);
  g_test_add_func ("/heron/engine/tokenizer/spm/pieces", test_spm_pieces);
  g_test_add_func ("/heron/engine/tokenizer/detok-stream", test_detok_stream);
  g_test_add_func ("/heron/engine/tokenizer/bpe/tiny-merges", test_bpe_tiny_merges);
  g_test_add_func ("/heron/engine/tokenizer/bpe/tiny-special", test_bpe_tiny_special);
  g_test_add_func ("/heron/engine/tokenizer/bpe/tiny-detok-chinese",
                   test_bpe_tiny_detok_chinese);
  g_test_add_func ("/heron/engine/tokenizer/refuse-unknown", test_refuse_unknown);
  g_test_add_func ("/heron/engine/tokenizer/bpe/long-input", test_long_input);

  for (gsize i = 0; i < G_N_ELEMENTS (vocab_names); i++)
    {
      g_autofree char *path = g_strdup_printf ("/heron/engine/tokenizer/conformance/%s",
                                               vocab_names[i]);
      g_autofree char *path2 = g_strdup_printf ("/heron/engine/tokenizer/llama-golden/%s",
                                                vocab_names[i]);
      g_autofree char *path3 = g_strdup_printf ("/heron/engine/tokenizer/round-trip/%s",
                                                vocab_names[i]);
      g_test_add_data_func (path, vocab_names[i], test_conformance);
      g_test_add_data_func (path2, vocab_names[i], test_llama_golden);
      g_autofree char *path4 = g_strdup_printf ("/heron/engine/tokenizer/special-ids/%s",
                                                vocab_names[i]);
      g_test_add_data_func (path3, vocab_names[i], test_round_trip);
      g_test_add_data_func (path4, vocab_names[i], test_special_ids);
    }
  return g_test_run ();
}
