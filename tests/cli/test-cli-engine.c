/* test-cli-engine.c: runs the built heron-cli (info, tokenize, generate, logits,
 * perplexity, bench) on small random-weight models made by heron-make-model, and checks its
 * output against the engine library called directly from this test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gguf.h"
#include "model-info.h"
#include "model.h"
#include "tokenizer.h"

static char *tmpdir;
static char *model_path;        /* tiny llama, byte vocabulary */
static char *chat_model_path;   /* tiny qwen2 with the Qwen vocabulary, or NULL */

typedef struct {
  int status;
  char *out;
  char *err;
} run_result;

static void
run_result_clear (run_result *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Run a program with NULL-terminated arguments; returns its exit status. */
static run_result
run_argv (const char *const *args)
{
  g_autoptr(GError) error = NULL;
  run_result r = { 0 };
  int wait_status;

  if (!g_spawn_sync (NULL, (char **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
                     &wait_status, &error))
    g_error ("cannot run %s: %s", args[0], error->message);
  if (WIFEXITED (wait_status))
    r.status = WEXITSTATUS (wait_status);
  else
    r.status = 1000 + WTERMSIG (wait_status);
  return r;
}

#define CLI(...) run_argv ((const char *const[]) { HERON_CLI, __VA_ARGS__, NULL })

static void
make_model (const char *path, const char *const *extra)
{
  const char *args[32] = { HERON_MAKE_MODEL, "-o", path };
  int n = 3;
  run_result r;

  for (int i = 0; extra && extra[i]; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  r = run_argv (args);
  if (r.status != 0)
    g_error ("heron-make-model failed: %s", r.err);
  run_result_clear (&r);
}

/* Value of a "key: value" line of heron-cli info. */
static char *
info_field (const char *out, const char *key)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autofree char *prefix = g_strdup_printf ("%s:", key);

  for (int i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strstrip (g_strdup (lines[i] + strlen (prefix)));
  g_error ("no field “%s” in:\n%s", key, out);
  return NULL;
}

/* ---- dispatcher, help, usage errors ---- */

static void
test_dispatch (void)
{
  run_result r = CLI ("--version");

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, PACKAGE_VERSION));
  run_result_clear (&r);

  r = CLI ("no-such-command");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "no-such-command"));
  run_result_clear (&r);

  r = run_argv ((const char *const[]) { HERON_CLI, NULL });
  g_assert_cmpint (r.status, ==, 2);
  run_result_clear (&r);
}

static void
test_help (void)
{
  static const char *const cmds[] = { "info", "tokenize", "generate", "logits", "perplexity",
                                      "bench" };

  for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
    {
      run_result r = CLI (cmds[i], "--help");

      g_assert_cmpint (r.status, ==, 0);
      g_assert_nonnull (strstr (r.out, cmds[i]));
      run_result_clear (&r);

      r = CLI (cmds[i], "--no-such-option");
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.err, !=, "");
      run_result_clear (&r);
    }
}

static void
test_usage_errors (void)
{
  const char *const *cases[] = {
    (const char *const[]) { "tokenize", "hello", NULL },                       /* no -m */
    (const char *const[]) { "generate", "-p", "x", NULL },                     /* no -m */
    (const char *const[]) { "generate", "-m", "M", NULL },                     /* no -p */
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "--temp", "abc", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "--temp", "-1", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "--top-p", "2", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "-n", "-7", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "-t", "-3", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "--system", "s", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "--seed", "x1", NULL },
    (const char *const[]) { "generate", "-m", "M", "-p", "x", "extra", NULL },
    (const char *const[]) { "logits", "-m", "M", "-p", "x", NULL },            /* no -o */
    (const char *const[]) { "logits", "-m", "M", "-o", "f", NULL },            /* no input */
    (const char *const[]) { "perplexity", "-m", "M", NULL },
    (const char *const[]) { "perplexity", "-m", "M", "-f", "F", "-c", "2", NULL },
    (const char *const[]) { "bench", "-m", "M", "-r", "0", NULL },
    (const char *const[]) { "bench", "-m", "M", "-p", "0", "-n", "0", NULL },
    (const char *const[]) { "bench", "-m", "M", "-b", "-1", NULL },
    (const char *const[]) { "bench", NULL },
    (const char *const[]) { "info", NULL },
    (const char *const[]) { "info", "a", "b", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[16] = { HERON_CLI };
      int n = 1;
      run_result r;

      for (int j = 0; cases[i][j]; j++)
        args[n++] = g_str_equal (cases[i][j], "M") ? model_path : cases[i][j];
      args[n] = NULL;
      r = run_argv (args);
      if (r.status != 2)
        g_error ("case %u (%s %s): status %d, stderr %s", i, args[1], args[2], r.status, r.err);
      g_assert_cmpstr (r.err, !=, "");
      run_result_clear (&r);
    }
}

static void
test_bad_files (void)
{
  g_autofree char *trunc = g_build_filename (tmpdir, "truncated.gguf", NULL);
  g_autofree char *junk = g_build_filename (tmpdir, "junk.gguf", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "missing.gguf", NULL);
  g_autofree char *data = NULL;
  gsize len;
  const char *files[] = { trunc, junk, missing, tmpdir };

  g_assert_true (g_file_get_contents (model_path, &data, &len, NULL));
  g_assert_true (g_file_set_contents (trunc, data, len / 2, NULL));
  g_assert_true (g_file_set_contents (junk, "GGUF\x03\0\0\0garbage garbage garbage", 28, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *out = g_build_filename (tmpdir, "l.bin", NULL);
      run_result r[] = {
        CLI ("info", files[i]),
        CLI ("tokenize", "-m", files[i], "x"),
        CLI ("generate", "-m", files[i], "-p", "x", "-n", "1", "-t", "1"),
        CLI ("logits", "-m", files[i], "-p", "x", "-o", out, "-t", "1"),
        CLI ("bench", "-m", files[i], "-p", "4", "-n", "1", "-r", "1", "-t", "1"),
      };

      for (guint j = 0; j < G_N_ELEMENTS (r); j++)
        {
          if (r[j].status != 1)
            g_error ("file %s, case %u: status %d (%s)", files[i], j, r[j].status, r[j].err);
          g_assert_nonnull (strstr (r[j].err, "heron-cli"));
          /* Status 1 must come from a refusal, not from a sanitizer report. */
          g_assert_null (strstr (r[j].err, "Sanitizer"));
          run_result_clear (&r[j]);
        }
    }

  /* Unreadable text file. */
  {
    run_result r = CLI ("tokenize", "-m", model_path, "-f", missing);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "missing.gguf"));
    run_result_clear (&r);
  }
}

/* ---- info ---- */

static void
test_info (void)
{
  run_result r = CLI ("info", model_path);
  hr_model_info info;
  char err[HR_ERR_LEN];
  g_autofree char *arch = NULL, *layers = NULL, *heads = NULL, *kv = NULL, *params = NULL;
  g_autofree char *ctx = NULL, *size = NULL, *sup = NULL, *tmpl = NULL, *quant = NULL;
  g_autofree char *want = NULL;

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpint (hr_model_info_read (model_path, &info, err, sizeof err), ==, 0);
  arch = info_field (r.out, "architecture");
  layers = info_field (r.out, "layers");
  heads = info_field (r.out, "heads");
  kv = info_field (r.out, "kv heads");
  params = info_field (r.out, "parameters");
  ctx = info_field (r.out, "context length");
  size = info_field (r.out, "file size");
  sup = info_field (r.out, "supported");
  tmpl = info_field (r.out, "chat template");
  quant = info_field (r.out, "quantization");
  g_assert_cmpstr (arch, ==, "llama");
  g_assert_cmpstr (arch, ==, info.architecture);
  g_assert_cmpint (g_ascii_strtoll (layers, NULL, 10), ==, 2);
  g_assert_cmpint (g_ascii_strtoll (heads, NULL, 10), ==, 4);
  g_assert_cmpint (g_ascii_strtoll (kv, NULL, 10), ==, 2);
  g_assert_cmpint (g_ascii_strtoull (params, NULL, 10), ==, info.n_params);
  g_assert_cmpint (g_ascii_strtoll (ctx, NULL, 10), ==, info.context_length);
  g_assert_cmpstr (sup, ==, "yes");
  g_assert_true (g_str_has_prefix (tmpl, "chatml"));
  g_assert_cmpstr (quant, ==, info.quant_mix);
  want = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", info.file_size);
  g_assert_true (g_str_has_prefix (size, want));
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (model_path, &st), ==, 0);
    g_assert_cmpuint (info.file_size, ==, (guint64) st.st_size);
  }
  g_assert_nonnull (strstr (r.out, "memory estimate:"));
  hr_model_info_clear (&info);
  run_result_clear (&r);

  if (chat_model_path != NULL)
    {
      g_autofree char *t = NULL;

      r = CLI ("info", chat_model_path);
      g_assert_cmpint (r.status, ==, 0);
      t = info_field (r.out, "chat template");
      /* ggml-vocab-qwen2.gguf carries Qwen3's template. */
      g_assert_cmpstr (t, ==, "qwen3");
      run_result_clear (&r);
    }
}

/* ---- tokenize ---- */

static char *
library_ids (const char *path, const char *text, gboolean bos, gboolean special)
{
  hr_gguf *g = NULL;
  char err[HR_ERR_LEN];
  hr_vocab *v;
  hr_token ids[512];
  int32_t n;
  GString *s = g_string_new (NULL);

  g_assert_cmpint (hr_gguf_open (path, &g, err, sizeof err), ==, 0);
  v = hr_vocab_load (g, err, sizeof err);
  g_assert_nonnull (v);
  n = hr_tokenize (v, text, strlen (text), bos, special, ids, G_N_ELEMENTS (ids));
  g_assert_cmpint (n, >=, 0);
  g_assert_cmpint (n, <=, (int32_t) G_N_ELEMENTS (ids));
  for (int32_t i = 0; i < n; i++)
    g_string_append_printf (s, i ? " %d" : "%d", ids[i]);
  g_string_append_c (s, '\n');
  hr_vocab_free (v);
  hr_gguf_close (g);
  return g_string_free (s, FALSE);
}

static void
check_tokenize (const char *path, const char *text)
{
  for (int flags = 0; flags < 4; flags++)
    {
      gboolean bos = flags & 1, special = flags & 2;
      const char *args[8] = { HERON_CLI, "tokenize", "-m", path };
      int n = 4;
      g_autofree char *want = library_ids (path, text, bos, special);
      run_result r;

      if (bos)
        args[n++] = "--bos";
      if (special)
        args[n++] = "--special";
      args[n++] = text;
      args[n] = NULL;
      r = run_argv (args);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.out, ==, want);
      run_result_clear (&r);
    }
}

static void
test_tokenize (void)
{
  g_autofree char *file = g_build_filename (tmpdir, "text.txt", NULL);
  const char *text = "Hello, world! Grüße, 你好 <|im_start|>user\n";
  g_autofree char *want = library_ids (model_path, text, FALSE, FALSE);
  run_result r;

  check_tokenize (model_path, text);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  r = CLI ("tokenize", "-m", model_path, "-f", file);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, want);
  run_result_clear (&r);

  if (chat_model_path != NULL)
    {
      g_autofree char *ids = library_ids (chat_model_path, text, FALSE, TRUE);

      check_tokenize (chat_model_path, text);
      /* With --special the marker is one token. */
      g_assert_nonnull (strstr (ids, "151644"));
    }
}

/* ---- logits and generate against the library ---- */

typedef struct {
  hr_model *m;
  hr_context *c;
} lib_model;

static lib_model
lib_load (const char *path)
{
  hr_model_params mp;
  hr_context_params cp;
  char err[HR_ERR_LEN];
  lib_model l;

  hr_model_params_default (&mp);
  mp.n_threads = 1;
  l.m = hr_model_load (path, &mp, err, sizeof err);
  if (l.m == NULL)
    g_error ("%s", err);
  hr_context_params_default (&cp);
  cp.n_threads = 1;
  l.c = hr_context_new (l.m, &cp, err, sizeof err);
  g_assert_nonnull (l.c);
  return l;
}

static void
lib_free (lib_model *l)
{
  hr_context_free (l->c);
  hr_model_free (l->m);
}

static int
argmax (const float *x, int n)
{
  int best = 0;

  for (int i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

static void
test_logits (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "logits.bin", NULL);
  run_result r = CLI ("logits", "-m", model_path, "--tokens", "72 101 108 108 111", "-o", out,
                      "-t", "1");
  g_autofree float *file = NULL;
  gsize len;
  lib_model l;
  const hr_token toks[] = { 72, 101, 108, 108, 111 };
  char err[HR_ERR_LEN];
  const float *ref;
  int n_vocab;
  g_auto(GStrv) lines = NULL;
  gboolean used[4096] = { FALSE };

  g_assert_cmpint (r.status, ==, 0);
  l = lib_load (model_path);
  n_vocab = hr_model_n_vocab (l.m);
  g_assert_true (g_file_get_contents (out, (char **) &file, &len, NULL));
  g_assert_cmpuint (len, ==, 4 * (gsize) n_vocab);

  /* Same numbers as the library on the same tokens (the file is little-endian; so is x86). */
  g_assert_cmpint (hr_decode (l.c, toks, G_N_ELEMENTS (toks), err, sizeof err), ==, HR_OK);
  ref = hr_context_logits (l.c);
  for (int i = 0; i < n_vocab; i++)
    g_assert_cmpfloat_with_epsilon (file[i], ref[i], 1e-5 * (1 + fabsf (ref[i])));

  /* The five printed lines are the five highest logits of the file, in order. */
  lines = g_strsplit (r.out, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "tokens: 5"));
  g_assert_cmpint (n_vocab, <=, (int) G_N_ELEMENTS (used));
  for (int k = 0; k < 5; k++)
    {
      int best = -1, id;
      double printed;
      char *end;

      for (int i = 0; i < n_vocab; i++)
        if (!used[i] && (best < 0 || file[i] > file[best]))
          best = i;
      used[best] = TRUE;
      g_assert_nonnull (lines[k + 1]);
      id = (int) g_ascii_strtoll (lines[k + 1], &end, 10);
      printed = g_ascii_strtod (end, NULL);
      g_assert_cmpint (id, ==, best);
      g_assert_cmpfloat_with_epsilon (printed, file[best], 1e-5);
    }

  /* Token ids outside the vocabulary are refused. */
  run_result_clear (&r);
  r = CLI ("logits", "-m", model_path, "--tokens", "1 99999", "-o", out, "-t", "1");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "99999"));
  run_result_clear (&r);
  lib_free (&l);
}

static void
test_generate_greedy (void)
{
  /* --temp 0 must follow the argmax of the logits, token after token. */
  run_result r = CLI ("generate", "-m", model_path, "-p", "Hello", "-n", "12", "--temp", "0",
                      "--ignore-eos", "-t", "1");
  lib_model l = lib_load (model_path);
  const hr_vocab *v = hr_model_vocab (l.m);
  hr_detok *d = hr_detok_new (v, FALSE);
  hr_token toks[64];
  int32_t n = hr_tokenize (v, "Hello", 5, TRUE, TRUE, toks, G_N_ELEMENTS (toks));
  char err[HR_ERR_LEN], piece[256];
  GString *want = g_string_new (NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpint (hr_decode (l.c, toks, n, err, sizeof err), ==, HR_OK);
  for (int i = 0; i < 12; i++)
    {
      hr_token t = argmax (hr_context_logits (l.c), hr_model_n_vocab (l.m));
      int32_t len = hr_detok_push (d, t, piece, sizeof piece);

      g_string_append_len (want, piece, len);
      if (i < 11)
        g_assert_cmpint (hr_decode (l.c, &t, 1, err, sizeof err), ==, HR_OK);
    }
  g_string_append_len (want, piece, hr_detok_flush (d, piece, sizeof piece));
  g_string_append_c (want, '\n');
  g_assert_cmpstr (r.out, ==, want->str);
  g_assert_nonnull (strstr (r.err, "tok/s"));

  /* The prompt read from a file gives the same text. */
  {
    g_autofree char *file = g_build_filename (tmpdir, "prompt.txt", NULL);
    run_result rf;

    g_assert_true (g_file_set_contents (file, "Hello", -1, NULL));
    rf = CLI ("generate", "-m", model_path, "-f", file, "-n", "12", "--temp", "0",
              "--ignore-eos", "-t", "1");
    g_assert_cmpint (rf.status, ==, 0);
    g_assert_cmpstr (rf.out, ==, want->str);
    run_result_clear (&rf);
  }

  g_string_free (want, TRUE);
  hr_detok_free (d);
  lib_free (&l);
  run_result_clear (&r);
}

static void
test_generate_seed (void)
{
  run_result a = CLI ("generate", "-m", model_path, "-p", "Once", "-n", "24", "--temp", "1.5",
                      "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "42",
                      "--ignore-eos", "-t", "1");
  run_result b = CLI ("generate", "-m", model_path, "-p", "Once", "-n", "24", "--temp", "1.5",
                      "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "42",
                      "--ignore-eos", "-t", "1");

  g_assert_cmpint (a.status, ==, 0);
  g_assert_cmpint (b.status, ==, 0);
  g_assert_cmpstr (a.out, ==, b.out);
  g_assert_nonnull (strstr (a.err, "seed 42"));
  run_result_clear (&a);
  run_result_clear (&b);

  /* The seed drawn for a random run is reported so the run can be repeated. */
  a = CLI ("generate", "-m", model_path, "-p", "Once", "-n", "8", "--temp", "1",
           "--ignore-eos", "-t", "1");
  g_assert_cmpint (a.status, ==, 0);
  {
    const char *s = strstr (a.err, "seed ");
    g_autofree char *seed = NULL;

    g_assert_nonnull (s);
    seed = g_strndup (s + 5, strcspn (s + 5, " \n"));
    b = CLI ("generate", "-m", model_path, "-p", "Once", "-n", "8", "--temp", "1",
             "--seed", seed, "--ignore-eos", "-t", "1");
    g_assert_cmpint (b.status, ==, 0);
    g_assert_cmpstr (a.out, ==, b.out);
    run_result_clear (&b);
  }
  run_result_clear (&a);
}

static void
test_generate_chat (void)
{
  run_result r;

  if (chat_model_path == NULL)
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      return;
    }
  r = CLI ("generate", "-m", chat_model_path, "--chat", "--system", "Be brief.", "-p", "Hi",
           "-n", "6", "--temp", "0", "-t", "1", "-c", "128");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "prompt: "));
  /* Qwen3 template: system + user + assistant header = 2 + 3 + 3 ... more than the bare
   * prompt's one token. */
  g_assert_null (strstr (r.err, "prompt: 1 tokens"));
  run_result_clear (&r);
}

/* ---- perplexity, bench ---- */

static void
test_perplexity (void)
{
  g_autofree char *file = g_build_filename (tmpdir, "ppl.txt", NULL);
  GString *text = g_string_new (NULL);
  run_result r;
  const char *p;
  double ppl, err;
  char *end;

  for (int i = 0; i < 12; i++)
    g_string_append (text, "The quick brown fox jumps over the lazy dog. ");
  g_assert_true (g_file_set_contents (file, text->str, -1, NULL));
  r = CLI ("perplexity", "-m", model_path, "-f", file, "-c", "64", "-t", "1");
  g_assert_cmpint (r.status, ==, 0);
  p = strstr (r.out, "Final estimate: PPL = ");
  g_assert_nonnull (p);
  ppl = g_ascii_strtod (p + strlen ("Final estimate: PPL = "), &end);
  g_assert_true (g_str_has_prefix (end, " +/- "));
  err = g_ascii_strtod (end + 5, NULL);
  g_assert_true (isfinite (ppl));
  /* A random model over 259 tokens: PPL above 1 and far from infinite. */
  g_assert_cmpfloat (ppl, >, 1.0);
  g_assert_cmpfloat (ppl, <, 1e6);
  g_assert_true (isfinite (err) && err >= 0);
  run_result_clear (&r);

  /* The same figure from the library: chunks of 64 tokens (BOS first when the vocabulary
   * adds one), each scored on its second half, as llama-perplexity does. */
  {
    lib_model l;
    hr_context_params cp;
    char e[HR_ERR_LEN];
    hr_token toks[4096];
    int32_t n;
    double nll = 0;
    int count = 0;
    const hr_vocab *v;

    l = lib_load (model_path);
    v = hr_model_vocab (l.m);
    hr_context_free (l.c);
    hr_context_params_default (&cp);
    cp.n_threads = 1;
    cp.n_ctx = 64;
    cp.all_logits = TRUE;
    l.c = hr_context_new (l.m, &cp, e, sizeof e);
    g_assert_nonnull (l.c);
    n = hr_tokenize (v, text->str, text->len, TRUE, FALSE, toks, G_N_ELEMENTS (toks));
    g_assert_cmpint (n, >=, 128);
    g_assert_cmpint (n, <=, (int32_t) G_N_ELEMENTS (toks));
    for (int32_t ch = 0; ch < n / 64; ch++)
      {
        hr_token chunk[64];

        memcpy (chunk, toks + ch * 64, sizeof chunk);
        if (hr_vocab_add_bos (v) && hr_vocab_bos (v) >= 0)
          chunk[0] = hr_vocab_bos (v);
        hr_context_truncate (l.c, 0);
        g_assert_cmpint (hr_decode (l.c, chunk, 64, e, sizeof e), ==, HR_OK);
        for (int j = 32; j < 63; j++)
          {
            const float *lg = hr_context_logits_at (l.c, j);
            double mx = -INFINITY, sum = 0;

            g_assert_nonnull (lg);
            for (int t = 0; t < hr_model_n_vocab (l.m); t++)
              mx = MAX (mx, lg[t]);
            for (int t = 0; t < hr_model_n_vocab (l.m); t++)
              sum += exp (lg[t] - mx);
            nll += -(lg[chunk[j + 1]] - mx - log (sum));
            count++;
          }
      }
    g_assert_cmpfloat_with_epsilon (ppl, exp (nll / count), 1e-3 * ppl);
    lib_free (&l);
  }

  /* Too short a text for two chunks: a clear failure. */
  r = CLI ("perplexity", "-m", model_path, "-f", file, "-c", "4096", "-t", "1");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "tokens"));
  run_result_clear (&r);
  g_string_free (text, TRUE);
}

static void
test_bench_json (void)
{
  run_result r = CLI ("bench", "-m", model_path, "-p", "16", "-n", "4", "-r", "2", "-t", "1",
                      "--json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  const char *series[] = { "pp", "tg" };

  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, r.out, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, model_path);
  g_assert_cmpstr (json_object_get_string_member (o, "arch"), ==, "llama");
  g_assert_cmpint (json_object_get_int_member (o, "repetitions"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "n_batch"), ==, 128);    /* the default */
  g_assert_cmpint (json_object_get_int_member (o, "peak_rss"), >, 0);
  g_assert_cmpint (json_object_get_int_member (o, "model_size"), >, 0);
  /* Load and first token, timed as one figure: it includes the load. */
  g_assert_cmpfloat (json_object_get_double_member (o, "load_s"), >=, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "load_first_token_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "load_first_token_s"), >=,
                     json_object_get_double_member (o, "load_s"));
  for (guint i = 0; i < G_N_ELEMENTS (series); i++)
    {
      JsonObject *s = json_object_get_object_member (o, series[i]);
      JsonArray *samples = json_object_get_array_member (s, "samples_ts");
      double mean = 0;

      g_assert_cmpint (json_object_get_int_member (s, "n_tokens"), ==, i == 0 ? 16 : 4);
      g_assert_cmpuint (json_array_get_length (samples), ==, 2);
      for (guint j = 0; j < 2; j++)
        {
          g_assert_cmpfloat (json_array_get_double_element (samples, j), >, 0);
          mean += json_array_get_double_element (samples, j) / 2;
        }
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (s, "avg_ts"), mean,
                                      1e-3 * mean + 1e-3);
      g_assert_cmpfloat (json_object_get_double_member (s, "stddev_ts"), >=, 0);
    }
  run_result_clear (&r);

  /* -b: a 16-token prompt in batches of 5 (4 passes) still runs and reports */
  r = CLI ("bench", "-m", model_path, "-p", "16", "-n", "0", "-r", "1", "-t", "1", "-b", "5",
           "--json");
  g_assert_cmpint (r.status, ==, 0);
  {
    g_autoptr(JsonParser) p2 = json_parser_new ();
    g_assert_true (json_parser_load_from_data (p2, r.out, -1, NULL));
    o = json_node_get_object (json_parser_get_root (p2));
    g_assert_cmpint (json_object_get_int_member (o, "n_batch"), ==, 5);
    g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (o, "pp"),
                                                      "avg_ts"), >, 0);
  }
  run_result_clear (&r);

  /* Human-readable form. */
  r = CLI ("bench", "-m", model_path, "-p", "8", "-n", "2", "-r", "1", "-t", "1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "pp8"));
  g_assert_nonnull (strstr (r.out, "tg2"));
  g_assert_nonnull (strstr (r.out, "peak RSS"));
  g_assert_nonnull (strstr (r.out, "load+first token: "));
  run_result_clear (&r);
}

int
main (int argc, char **argv)
{
  const char *shared = g_getenv ("HERON_SHARED_DIR");
  g_autofree char *vocab = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("heron-cli-engine-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  model_path = g_build_filename (tmpdir, "tiny-llama.gguf", NULL);
  make_model (model_path, (const char *const[]) { "-a", "llama", "--seed", "7", NULL });
  if (shared != NULL)
    vocab = g_build_filename (shared, "testdata", "vocab", "ggml-vocab-qwen2.gguf", NULL);
  if (vocab != NULL && g_file_test (vocab, G_FILE_TEST_EXISTS))
    {
      chat_model_path = g_build_filename (tmpdir, "tiny-qwen2.gguf", NULL);
      make_model (chat_model_path, (const char *const[]) { "-a", "qwen2", "--vocab", vocab,
                                                           NULL });
    }

  g_test_add_func ("/heron/cli/engine/dispatch", test_dispatch);
  g_test_add_func ("/heron/cli/engine/help", test_help);
  g_test_add_func ("/heron/cli/engine/usage-errors", test_usage_errors);
  g_test_add_func ("/heron/cli/engine/bad-files", test_bad_files);
  g_test_add_func ("/heron/cli/engine/info", test_info);
  g_test_add_func ("/heron/cli/engine/tokenize", test_tokenize);
  g_test_add_func ("/heron/cli/engine/logits", test_logits);
  g_test_add_func ("/heron/cli/engine/generate-greedy", test_generate_greedy);
  g_test_add_func ("/heron/cli/engine/generate-seed", test_generate_seed);
  g_test_add_func ("/heron/cli/engine/generate-chat", test_generate_chat);
  g_test_add_func ("/heron/cli/engine/perplexity", test_perplexity);
  g_test_add_func ("/heron/cli/engine/bench-json", test_bench_json);
  status = g_test_run ();

  {
    GDir *d = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_unlink (p);
      }
    if (d)
      g_dir_close (d);
    g_rmdir (tmpdir);
  }
  g_free (model_path);
  g_free (chat_model_path);
  g_free (tmpdir);
  return status;
}
