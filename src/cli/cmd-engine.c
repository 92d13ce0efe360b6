/* cmd-engine.c: heron-cli subcommands that drive the local inference engine directly:
 * info, tokenize, generate, logits, perplexity and bench.
 *
 * Exit status: 0 ok, 1 failure (unreadable or corrupt model, engine error), 2 usage error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-cli"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <glib/gi18n.h>

#include "engine/chat-template.h"
#include "engine/gguf.h"
#include "engine/model-info.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/think.h"
#include "engine/tokenizer.h"
#include "heron-cli.h"
#include "heron-models.h"

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers                                                                           */

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The model argument must name a readable regular file; says why not. */
static gboolean
check_model_path (const char *cmd, const char *path)
{
  FILE *f;

  if (path == NULL)
    {
      heron_cli_error (cmd, _("no model given; use -m MODEL.gguf"));
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      heron_cli_error (cmd, _("“%s” is a folder, not a model file"), path);
      return FALSE;
    }
  f = fopen (path, "rb");
  if (f == NULL)
    {
      heron_cli_error (cmd, _("cannot open model “%s”: %s"), path, g_strerror (errno));
      return FALSE;
    }
  fclose (f);
  return TRUE;
}

static hr_model *
load_model (const char *cmd, const char *path, int n_threads, double *load_s)
{
  hr_model_params mp;
  char err[HR_ERR_LEN] = "";
  double t0 = now_s ();
  hr_model *m;

  if (!check_model_path (cmd, path))
    return NULL;
  hr_model_params_default (&mp);
  mp.n_threads = n_threads;
  m = hr_model_load (path, &mp, err, sizeof err);
  if (m == NULL)
    heron_cli_error (cmd, _("cannot load model “%s”: %s"), path, err);
  if (load_s)
    *load_s = now_s () - t0;
  return m;
}

/* n_batch 0: the engine's default. */
static hr_context *
new_context_batch (const char *cmd, hr_model *m, int32_t n_ctx, int32_t n_batch, int n_threads,
                   gboolean all_logits)
{
  hr_context_params cp;
  char err[HR_ERR_LEN] = "";
  hr_context *c;

  hr_context_params_default (&cp);
  cp.n_ctx = n_ctx;
  cp.n_batch = n_batch;
  cp.n_threads = n_threads;
  cp.all_logits = all_logits;
  c = hr_context_new (m, &cp, err, sizeof err);
  if (c == NULL)
    heron_cli_error (cmd, _("cannot create a context: %s"), err);
  return c;
}

static hr_context *
new_context (const char *cmd, hr_model *m, int32_t n_ctx, int n_threads, gboolean all_logits)
{
  return new_context_batch (cmd, m, n_ctx, 0, n_threads, all_logits);
}

/* Tokenize with a buffer that grows to what the text needs. NULL on error. */
static hr_token *
tokenize_all (const hr_vocab *v, const char *text, size_t len, gboolean add_special,
              gboolean parse_special, int32_t *n_out)
{
  int32_t cap = (int32_t) MIN ((size_t) G_MAXINT32 / 2, len + 16);
  hr_token *ids = g_new (hr_token, cap);
  int32_t n = hr_tokenize (v, text, len, add_special, parse_special, ids, cap);

  if (n > cap)
    {
      g_free (ids);
      cap = n;
      ids = g_new (hr_token, cap);
      n = hr_tokenize (v, text, len, add_special, parse_special, ids, cap);
    }
  if (n < 0 || n > cap)
    {
      g_free (ids);
      return NULL;
    }
  *n_out = n;
  return ids;
}

static char *
piece_of (const hr_vocab *v, hr_token t)
{
  char buf[256];
  int32_t n = hr_token_to_piece (v, t, TRUE, buf, sizeof buf);

  if (n < 0)
    return g_strdup ("");
  if (n >= (int32_t) sizeof buf)
    {
      char *big = g_malloc (n + 1);

      hr_token_to_piece (v, t, TRUE, big, n + 1);
      big[n] = '\0';
      return big;
    }
  buf[n] = '\0';
  return g_strdup (buf);
}

/* Quote a piece for a terminal: C escapes for control bytes and quotes, invalid UTF-8 as
 * \xNN. Model text is never interpreted. */
static char *
quote_piece (const char *s)
{
  GString *q = g_string_new ("\"");

  while (*s)
    {
      gunichar c = g_utf8_get_char_validated (s, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (q, "\\x%02x", (guchar) *s);
          s++;
          continue;
        }
      if (c == '\n')
        g_string_append (q, "\\n");
      else if (c == '\t')
        g_string_append (q, "\\t");
      else if (c == '\r')
        g_string_append (q, "\\r");
      else if (c == '"' || c == '\\')
        g_string_append_printf (q, "\\%c", (char) c);
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (q, "\\x%02x", c);
      else
        g_string_append_len (q, s, g_utf8_next_char (s) - s);
      s = g_utf8_next_char (s);
    }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

/* heron_cli_parse prints --help before GOption has set the program name: set it first, so
 * the usage line reads "heron-cli SUBCOMMAND". */
static gboolean
parse_args (GOptionContext *octx, int *argc, char ***argv, int *status)
{
  g_set_prgname ((*argv)[0]);
  return heron_cli_parse (octx, argc, argv, status);
}

static gboolean
no_extra_args (const char *cmd, int argc, char **argv, int first)
{
  if (argc > first)
    {
      heron_cli_error (cmd, _("unexpected argument “%s”"), argv[first]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_threads (const char *cmd, int threads)
{
  if (threads < 0 || threads > 1024)
    {
      heron_cli_error (cmd, _("--threads must be between 0 (automatic) and 1024"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_ctx (const char *cmd, int n_ctx)
{
  if (n_ctx < 0 || n_ctx > (1 << 24))
    {
      heron_cli_error (cmd, _("--ctx-size must be between 0 (model default) and 16777216"));
      return FALSE;
    }
  return TRUE;
}

static char *
read_text_file (const char *cmd, const char *path, gsize *len)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  if (!g_file_get_contents (path, &text, len, &error))
    {
      heron_cli_error (cmd, "%s", error->message);
      return NULL;
    }
  return text;
}

/* ---------------------------------------------------------------------------------------- */
/* info                                                                                     */

static char *
format_bytes (uint64_t b)
{
  return g_format_size_full (b, G_FORMAT_SIZE_IEC_UNITS);
}

int
heron_cmd_info (HeronCliContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) octx = g_option_context_new (_("MODEL.gguf"));
  char err[HR_ERR_LEN] = "";
  hr_model_info info;
  int status = 0;
  g_autofree char *size = NULL, *weights = NULL, *mem = NULL;
  hr_chat_family family;

  g_option_context_set_summary (octx, _("Show a model's metadata without loading its weights."));
  if (!parse_args (octx, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      heron_cli_error ("info", _("no model given; run “heron-cli info MODEL.gguf”"));
      return 2;
    }
  if (!no_extra_args ("info", argc, argv, 2))
    return 2;
  if (!check_model_path ("info", argv[1]))
    return 1;
  if (hr_model_info_read (argv[1], &info, err, sizeof err) != 0)
    {
      heron_cli_error ("info", _("cannot read “%s”: %s"), argv[1], err);
      return 1;
    }

  family = hr_chat_detect (info.chat_template);
  size = format_bytes (info.file_size);
  weights = format_bytes (info.weight_bytes);
  mem = format_bytes (hr_model_info_estimate_memory (&info, 0));
  g_print ("file:            %s\n", argv[1]);
  g_print ("name:            %s\n", info.name ? info.name : "");
  g_print ("architecture:    %s\n", info.architecture ? info.architecture : "(none)");
  g_print ("supported:       %s\n", info.supported ? "yes" : "no");
  g_print ("parameters:      %" G_GUINT64_FORMAT " (%.2f B)\n", info.n_params,
           info.n_params / 1e9);
  g_print ("context length:  %" G_GINT64_FORMAT "\n", info.context_length);
  g_print ("embedding:       %" G_GINT64_FORMAT "\n", info.embedding_length);
  g_print ("layers:          %" G_GINT64_FORMAT "\n", info.n_layers);
  g_print ("heads:           %" G_GINT64_FORMAT "\n", info.n_heads);
  g_print ("kv heads:        %" G_GINT64_FORMAT "\n", info.n_kv_heads);
  g_print ("vocabulary:      %" G_GINT64_FORMAT "\n", info.vocab_size);
  g_print ("file type:       %s\n", info.file_type_name ? info.file_type_name : "(unknown)");
  g_print ("quantization:    %s\n", info.quant_mix);
  g_print ("tensors:         %" G_GUINT64_FORMAT "\n", info.n_tensors);
  g_print ("file size:       %" G_GUINT64_FORMAT " bytes (%s)\n", info.file_size, size);
  g_print ("weights:         %" G_GUINT64_FORMAT " bytes (%s)\n", info.weight_bytes, weights);
  g_print ("chat template:   %s%s\n", hr_chat_family_name (family),
           info.chat_template == NULL ? " (no template in the file: fallback)"
           : hr_chat_detect_known (info.chat_template) ? "" : " (unknown template: fallback)");
  g_print ("memory estimate: %" G_GUINT64_FORMAT " bytes (%s, context %" G_GINT64_FORMAT ")\n",
           hr_model_info_estimate_memory (&info, 0), mem,
           info.context_length > 0 ? MIN (info.context_length, 8192) : 8192);
  if (!info.supported)
    g_printerr (_("heron-cli info: architecture “%s” is not supported by Heron's engine\n"),
                info.architecture ? info.architecture : "");
  hr_model_info_clear (&info);
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* tokenize                                                                                 */

int
heron_cmd_tokenize (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *model = NULL, *file = NULL, *text = NULL;
  gboolean special = FALSE, bos = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("Model or vocabulary GGUF file"),
      N_("MODEL") },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, N_("Read the text from a file"),
      N_("FILE") },
    { "special", 0, 0, G_OPTION_ARG_NONE, &special,
      N_("Parse special tokens written in the text (e.g. <|im_start|>)"), NULL },
    { "bos", 0, 0, G_OPTION_ARG_NONE, &bos,
      N_("Add BOS/EOS as the vocabulary says"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (_("[TEXT]"));
  char err[HR_ERR_LEN] = "";
  hr_gguf *g = NULL;
  hr_vocab *v;
  hr_token *ids;
  int32_t n;
  gsize len;
  int status = 0;
  GString *out;

  g_option_context_set_summary (octx, _("Print the token ids of a text, separated by spaces. "
                                        "Only the vocabulary is loaded."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!parse_args (octx, &argc, &argv, &status))
    return status;
  if (model == NULL)
    {
      heron_cli_error ("tokenize", _("no model given; use -m MODEL.gguf"));
      return 2;
    }
  if ((file != NULL) == (argc >= 2))
    {
      heron_cli_error ("tokenize", _("give either a TEXT argument or -f FILE"));
      return 2;
    }
  if (!no_extra_args ("tokenize", argc, argv, file ? 1 : 2))
    return 2;
  if (!check_model_path ("tokenize", model))
    return 1;
  if (file != NULL)
    {
      text = read_text_file ("tokenize", file, &len);
      if (text == NULL)
        return 1;
    }
  else
    {
      text = g_strdup (argv[1]);
      len = strlen (text);
    }

  if (hr_gguf_open (model, &g, err, sizeof err) != 0)
    {
      heron_cli_error ("tokenize", _("cannot read “%s”: %s"), model, err);
      return 1;
    }
  v = hr_vocab_load (g, err, sizeof err);
  if (v == NULL)
    {
      heron_cli_error ("tokenize", _("cannot load the vocabulary of “%s”: %s"), model, err);
      hr_gguf_close (g);
      return 1;
    }
  ids = tokenize_all (v, text, len, bos, special, &n);
  if (ids == NULL)
    {
      heron_cli_error ("tokenize", _("the text could not be tokenized"));
      status = 1;
    }
  else
    {
      out = g_string_new (NULL);
      for (int32_t i = 0; i < n; i++)
        g_string_append_printf (out, i ? " %d" : "%d", ids[i]);
      g_print ("%s\n", out->str);
      g_string_free (out, TRUE);
    }
  g_free (ids);
  hr_vocab_free (v);
  hr_gguf_close (g);
  return status;
}

/* ---------------------------------------------------------------------------------------- */
/* generate                                                                                 */

static hr_context *volatile running_ctx;
static volatile sig_atomic_t interrupted;

static void
on_sigint (int sig)
{
  hr_context *c = running_ctx;

  interrupted = 1;
  if (c != NULL)
    hr_context_cancel (c);
}

typedef struct {
  gboolean in_reasoning;
} think_out;

static void
on_think_piece (hr_think_kind kind, const char *text, size_t len, void *ud)
{
  think_out *o = ud;

  if (kind == HR_THINK_REASONING)
    {
      if (!o->in_reasoning)
        fputs ("[thinking] ", stderr);
      o->in_reasoning = TRUE;
      fwrite (text, 1, len, stderr);
      fflush (stderr);
    }
  else
    {
      if (o->in_reasoning)
        fputs ("\n[/thinking]\n", stderr);
      o->in_reasoning = FALSE;
      fwrite (text, 1, len, stdout);
      fflush (stdout);
    }
}

typedef struct {
  char   *model, *prompt, *system, *file;
  int     n_predict, top_k, threads, n_ctx, last_n;
  double  temp, top_p, min_p, repeat_penalty, freq_penalty, presence_penalty;
  char   *seed_str;
  guint64 seed;        /* HR_SEED_RANDOM when not given or -1 */
  gboolean chat, no_think_split, ignore_eos;
} gen_opts;

static gboolean
check_gen_opts (gen_opts *o)
{
  const char *cmd = "generate";

  if (o->model == NULL)
    return heron_cli_error (cmd, _("no model given; use -m MODEL.gguf")), FALSE;
  if ((o->prompt == NULL) == (o->file == NULL))
    return heron_cli_error (cmd, _("give the prompt with -p PROMPT or -f FILE")), FALSE;
  if (o->n_predict < -1)
    return heron_cli_error (cmd, _("-n must be -1 (until the end) or a count")), FALSE;
  if (!(o->temp >= 0 && o->temp <= 100))
    return heron_cli_error (cmd, _("--temp must be between 0 and 100")), FALSE;
  if (o->top_k < 0)
    return heron_cli_error (cmd, _("--top-k must be 0 (off) or more")), FALSE;
  if (!(o->top_p >= 0 && o->top_p <= 1) || !(o->min_p >= 0 && o->min_p <= 1))
    return heron_cli_error (cmd, _("--top-p and --min-p must be between 0 and 1")), FALSE;
  if (!(o->repeat_penalty > 0 && o->repeat_penalty <= 100))
    return heron_cli_error (cmd, _("--repeat-penalty must be above 0 (1 is off)")), FALSE;
  if (!isfinite (o->freq_penalty) || !isfinite (o->presence_penalty))
    return heron_cli_error (cmd, _("penalties must be finite numbers")), FALSE;
  if (o->last_n < 0)
    return heron_cli_error (cmd, _("--repeat-last-n must be 0 (off) or more")), FALSE;
  if (o->seed_str != NULL && strcmp (o->seed_str, "-1") != 0
      && (!g_ascii_string_to_unsigned (o->seed_str, 10, 0, G_MAXUINT64 - 1, NULL, NULL)))
    return heron_cli_error (cmd, _("--seed must be -1 (random) or a number from 0 to %"
                                   PRIu64), (uint64_t) (G_MAXUINT64 - 1)), FALSE;
  if (o->system != NULL && !o->chat)
    return heron_cli_error (cmd, _("--system needs --chat")), FALSE;
  o->seed = HR_SEED_RANDOM;
  if (o->seed_str != NULL && strcmp (o->seed_str, "-1") != 0)
    o->seed = g_ascii_strtoull (o->seed_str, NULL, 10);
  return check_threads (cmd, o->threads) && check_ctx (cmd, o->n_ctx);
}

static hr_token *
generate_prompt_tokens (const gen_opts *o, const hr_model *m, const char *prompt,
                        hr_chat_family family, int32_t *n)
{
  const hr_vocab *v = hr_model_vocab (m);

  if (o->chat)
    {
      hr_chat_msg msgs[2];
      size_t n_msgs = 0;
      char *text;
      hr_token *ids;
      int32_t need;

      if (o->system != NULL)
        msgs[n_msgs++] = (hr_chat_msg) { "system", o->system };
      msgs[n_msgs++] = (hr_chat_msg) { "user", prompt };
      text = hr_chat_format (family, msgs, n_msgs, TRUE);
      if (text == NULL)
        return NULL;
      {
        hr_token probe[1];

        need = hr_chat_tokenize (v, family, text, probe, 1);
      }
      ids = need >= 0 ? g_new (hr_token, MAX (need, 1)) : NULL;
      if (ids != NULL)
        *n = hr_chat_tokenize (v, family, text, ids, need);
      free (text);
      return ids;
    }
  return tokenize_all (v, prompt, strlen (prompt), TRUE, TRUE, n);
}

static hr_sampler *
new_sampler (const gen_opts *o, int32_t n_vocab)
{
  hr_sampler_params sp;

  hr_sampler_params_default (&sp);
  sp.temp = (float) o->temp;
  sp.top_k = o->top_k;
  sp.top_p = (float) o->top_p;
  sp.min_p = (float) o->min_p;
  sp.penalty_last_n = o->last_n;
  sp.repeat_penalty = (float) o->repeat_penalty;
  sp.frequency_penalty = (float) o->freq_penalty;
  sp.presence_penalty = (float) o->presence_penalty;
  sp.seed = o->seed;
  return hr_sampler_new (&sp, n_vocab);
}

/* Generated text goes to stdout, through the reasoning splitter when there is one. */
static void
emit_text (hr_think *think, const char *text, int32_t len)
{
  if (len <= 0)
    return;
  if (think != NULL)
    hr_think_feed (think, text, (size_t) len);
  else
    {
      fwrite (text, 1, (size_t) len, stdout);
      fflush (stdout);
    }
}

static int
run_generate (const gen_opts *o, const char *prompt)
{
  const char *cmd = "generate";
  hr_sampler *smp = NULL;
  hr_model *m;
  hr_context *c = NULL;
  hr_detok *dt = NULL;
  hr_think *think = NULL;
  think_out tout = { FALSE };
  hr_token *ids = NULL;
  int32_t n_prompt = 0, n_gen = 0;
  double t_load, t0, t_prompt = 0, t_gen = 0;
  char err[HR_ERR_LEN] = "", piece[512];
  hr_chat_family family = HR_CHAT_CHATML;
  struct sigaction sa = { 0 }, old_sa;
  int status = 0, rc;

  m = load_model (cmd, o->model, o->threads, &t_load);
  if (m == NULL)
    return 1;
  if (o->chat)
    family = hr_chat_detect (hr_model_chat_template (m));
  ids = generate_prompt_tokens (o, m, prompt, family, &n_prompt);
  if (ids == NULL || n_prompt <= 0)
    {
      heron_cli_error (cmd, _("the prompt could not be tokenized (or is empty)"));
      status = 1;
      goto out;
    }
  c = new_context (cmd, m, o->n_ctx, o->threads, FALSE);
  if (c == NULL)
    {
      status = 1;
      goto out;
    }
  if (n_prompt >= hr_context_n_ctx (c))
    {
      heron_cli_error (cmd, _("the prompt has %d tokens, more than the context of %d; use a "
                              "larger -c"), n_prompt, hr_context_n_ctx (c));
      status = 1;
      goto out;
    }

  smp = new_sampler (o, hr_model_n_vocab (m));
  dt = hr_detok_new (hr_model_vocab (m), FALSE);
  if (o->chat && !o->no_think_split)
    think = hr_think_new (hr_chat_starts_in_think (family), on_think_piece, &tout);
  if (smp == NULL || dt == NULL || (o->chat && !o->no_think_split && think == NULL))
    {
      heron_cli_error (cmd, _("out of memory"));
      status = 1;
      goto out;
    }
  for (int32_t i = 0; i < n_prompt; i++)
    hr_sampler_accept (smp, ids[i]);

  running_ctx = c;
  interrupted = 0;
  sa.sa_handler = on_sigint;
  /* A second Ctrl+C kills the process the usual way. */
  sa.sa_flags = SA_RESETHAND;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);

  t0 = now_s ();
  rc = hr_decode (c, ids, n_prompt, err, sizeof err);
  t_prompt = now_s () - t0;
  t0 = now_s ();
  while (rc == HR_OK && !interrupted && (o->n_predict < 0 || n_gen < o->n_predict))
    {
      hr_token t = hr_sampler_sample (smp, hr_context_logits (c));
      int32_t len;

      if (!o->ignore_eos && (o->chat ? hr_chat_is_eog (hr_model_vocab (m), family, t)
                                     : hr_vocab_is_eog (hr_model_vocab (m), t)))
        break;
      hr_sampler_accept (smp, t);
      n_gen++;
      len = hr_detok_push (dt, t, piece, sizeof piece);
      emit_text (think, piece, len);
      if (o->n_predict >= 0 && n_gen >= o->n_predict)
        break;
      if (hr_context_n_past (c) >= hr_context_n_ctx (c))
        {
          g_printerr ("\n");
          heron_cli_error (cmd, _("the context of %d tokens is full; stopping (use a larger -c)"),
                           hr_context_n_ctx (c));
          break;
        }
      rc = hr_decode (c, &t, 1, err, sizeof err);
    }
  t_gen = now_s () - t0;
  emit_text (think, piece, hr_detok_flush (dt, piece, sizeof piece));
  if (think)
    {
      hr_think_finish (think);
      if (tout.in_reasoning)
        fputs ("\n[/thinking]\n", stderr);
    }
  g_print ("\n");
  fflush (stdout);
  sigaction (SIGINT, &old_sa, NULL);
  running_ctx = NULL;

  if (interrupted || rc == HR_ERR_CANCELLED)
    {
      heron_cli_error (cmd, _("interrupted"));
      status = 130;
    }
  else if (rc == HR_ERR_CONTEXT_FULL)
    {
      heron_cli_error (cmd, _("the context of %d tokens is full (use a larger -c): %s"),
                       hr_context_n_ctx (c), err);
      status = 1;
    }
  else if (rc != HR_OK)
    {
      heron_cli_error (cmd, "%s", err);
      status = 1;
    }
  g_printerr ("\nload: %.2f s | prompt: %d tokens, %.2f s, %.2f tok/s | generation: %d tokens, "
              "%.2f s, %.2f tok/s | seed %" G_GUINT64_FORMAT "\n",
              t_load, n_prompt, t_prompt, t_prompt > 0 ? n_prompt / t_prompt : 0.0, n_gen, t_gen,
              t_gen > 0 ? n_gen / t_gen : 0.0, (guint64) hr_sampler_seed (smp));

out:
  hr_think_free (think);
  hr_detok_free (dt);
  hr_sampler_free (smp);
  g_free (ids);
  hr_context_free (c);
  hr_model_free (m);
  return status;
}

int
heron_cmd_generate (HeronCliContext *ctx, int argc, char **argv)
{
  gen_opts o = { .n_predict = 128, .top_k = 40, .threads = 0, .n_ctx = 0, .last_n = 64,
                 .temp = 0.8, .top_p = 0.95, .min_p = 0.05, .repeat_penalty = 1.0,
                 .seed = HR_SEED_RANDOM };
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, N_("Model GGUF file"), N_("MODEL") },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &o.prompt, N_("Prompt text"), N_("PROMPT") },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &o.file, N_("Read the prompt from a file"),
      N_("FILE") },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &o.n_predict,
      N_("Tokens to generate (default 128, -1: until end of generation)"), N_("N") },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &o.temp, N_("Temperature (default 0.8, 0: greedy)"),
      N_("T") },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &o.top_k, N_("Top-k (default 40, 0: off)"), N_("K") },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &o.top_p, N_("Top-p (default 0.95, 1: off)"),
      N_("P") },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &o.min_p, N_("Min-p (default 0.05, 0: off)"),
      N_("P") },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &o.repeat_penalty,
      N_("Repetition penalty (default 1: off)"), N_("R") },
    { "repeat-last-n", 0, 0, G_OPTION_ARG_INT, &o.last_n,
      N_("Tokens the penalties look back on (default 64)"), N_("N") },
    { "frequency-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &o.freq_penalty,
      N_("Frequency penalty (default 0: off)"), N_("F") },
    { "presence-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &o.presence_penalty,
      N_("Presence penalty (default 0: off)"), N_("F") },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &o.seed_str, N_("Random seed (default -1: random)"),
      N_("S") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &o.threads,
      N_("Threads (default 0: physical cores)"), N_("N") },
    { "ctx-size", 'c', 0, G_OPTION_ARG_INT, &o.n_ctx,
      N_("Context size (default 0: min(model, 8192))"), N_("N") },
    { "chat", 0, 0, G_OPTION_ARG_NONE, &o.chat,
      N_("Format the prompt with the model's chat template; reasoning goes to stderr"), NULL },
    { "system", 0, 0, G_OPTION_ARG_STRING, &o.system, N_("System prompt (with --chat)"),
      N_("TEXT") },
    { "raw-think", 0, 0, G_OPTION_ARG_NONE, &o.no_think_split,
      N_("With --chat, print <think> blocks as they are instead of on stderr"), NULL },
    { "ignore-eos", 0, 0, G_OPTION_ARG_NONE, &o.ignore_eos,
      N_("Do not stop at end-of-generation tokens"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (NULL);
  g_autofree char *file_text = NULL;
  int status = 0;

  g_option_context_set_summary (octx, _("Generate text from a prompt, streamed to stdout; "
                                        "speed figures go to stderr. Ctrl+C stops."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!parse_args (octx, &argc, &argv, &status))
    goto out;
  status = 2;
  if (!no_extra_args ("generate", argc, argv, 1) || !check_gen_opts (&o))
    goto out;
  status = 1;
  if (o.model != NULL && !g_file_test (o.model, G_FILE_TEST_EXISTS))
    {
      /* A library name or spec (heron-models.h): generate runs the file it names. */
      g_autoptr(GError) error = NULL;
      char *path = heron_model_spec_resolve_path (o.model, ctx->data_dir, &error);
      if (path == NULL)
        {
          heron_cli_error ("generate", "%s", error->message);
          goto out;
        }
      g_free (o.model);
      o.model = path;
    }
  if (!check_model_path ("generate", o.model))
    goto out;
  if (o.file != NULL && (file_text = read_text_file ("generate", o.file, NULL)) == NULL)
    goto out;
  status = run_generate (&o, o.prompt ? o.prompt : file_text);

out:
  g_free (o.model);
  g_free (o.prompt);
  g_free (o.system);
  g_free (o.file);
  g_free (o.seed_str);
  return status;
}

/* ---------------------------------------------------------------------------------------- */
/* logits                                                                                   */

static hr_token *
parse_token_list (const char *s, int32_t n_vocab, int32_t *n)
{
  g_auto(GStrv) parts = g_strsplit_set (s, " ,\t\n", -1);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (hr_token));

  for (int i = 0; parts[i] != NULL; i++)
    {
      gint64 v;
      char *end;

      if (parts[i][0] == '\0')
        continue;
      errno = 0;
      v = g_ascii_strtoll (parts[i], &end, 10);
      if (errno != 0 || *end != '\0' || v < 0 || v >= n_vocab)
        {
          heron_cli_error ("logits", _("“%s” is not a token id of this model (0 to %d)"),
                           parts[i], n_vocab - 1);
          g_array_free (ids, TRUE);
          return NULL;
        }
      g_array_append_val (ids, (hr_token) { (hr_token) v });
    }
  *n = ids->len;
  return (hr_token *) g_array_free (ids, FALSE);
}

static gboolean
write_logits (const char *path, const float *logits, int32_t n, GError **error)
{
  g_autofree guint8 *bytes = g_malloc ((gsize) n * 4);

  for (int32_t i = 0; i < n; i++)
    {
      guint32 u;

      memcpy (&u, &logits[i], 4);
      u = GUINT32_TO_LE (u);
      memcpy (bytes + (gsize) i * 4, &u, 4);
    }
  return g_file_set_contents (path, (const char *) bytes, (gssize) n * 4, error);
}

int
heron_cmd_logits (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *model = NULL, *prompt = NULL, *tokens = NULL, *output = NULL;
  int threads = 0, n_ctx = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("Model GGUF file"), N_("MODEL") },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt,
      N_("Prompt text (BOS added as the vocabulary says, special tokens parsed)"),
      N_("PROMPT") },
    { "tokens", 0, 0, G_OPTION_ARG_STRING, &tokens, N_("Token ids, separated by spaces"),
      N_("\"ID ...\"") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Where to write the logits (little-endian float32)"), N_("FILE") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default 0: physical cores)"),
      N_("N") },
    { "ctx-size", 'c', 0, G_OPTION_ARG_INT, &n_ctx,
      N_("Context size (default 0: min(model, 8192))"), N_("N") },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  hr_model *m = NULL;
  hr_context *c = NULL;
  hr_token *ids = NULL;
  int32_t n = 0, n_vocab;
  char err[HR_ERR_LEN] = "";
  int status = 0;
  const float *logits;
  int top[5];

  g_option_context_set_summary (octx, _("Evaluate a prompt and write the logits of its last "
                                        "position; print the 5 highest."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!parse_args (octx, &argc, &argv, &status))
    return status;
  if (model == NULL || output == NULL || (prompt == NULL) == (tokens == NULL))
    {
      heron_cli_error ("logits", _("needs -m MODEL, -o FILE and either -p PROMPT or "
                                   "--tokens \"ID ...\""));
      return 2;
    }
  if (!no_extra_args ("logits", argc, argv, 1) || !check_threads ("logits", threads)
      || !check_ctx ("logits", n_ctx))
    return 2;

  m = load_model ("logits", model, threads, NULL);
  if (m == NULL)
    return 1;
  n_vocab = hr_model_n_vocab (m);
  status = 1;
  if (tokens != NULL)
    ids = parse_token_list (tokens, n_vocab, &n);
  else
    {
      ids = tokenize_all (hr_model_vocab (m), prompt, strlen (prompt), TRUE, TRUE, &n);
      if (ids == NULL)
        heron_cli_error ("logits", _("the prompt could not be tokenized"));
    }
  if (ids == NULL)
    goto out;
  if (n == 0)
    {
      heron_cli_error ("logits", _("no tokens to evaluate"));
      goto out;
    }
  c = new_context ("logits", m, n_ctx, threads, FALSE);
  if (c == NULL)
    goto out;
  if (hr_decode (c, ids, n, err, sizeof err) != HR_OK)
    {
      heron_cli_error ("logits", "%s", err);
      goto out;
    }
  logits = hr_context_logits (c);
  if (!write_logits (output, logits, n_vocab, &error))
    {
      heron_cli_error ("logits", "%s", error->message);
      goto out;
    }

  /* Top 5, highest first; ties by lower id. */
  for (int k = 0; k < 5; k++)
    {
      top[k] = -1;
      for (int32_t i = 0; i < n_vocab; i++)
        {
          gboolean taken = FALSE;

          for (int j = 0; j < k; j++)
            taken |= top[j] == i;
          if (!taken && (top[k] < 0 || logits[i] > logits[top[k]]))
            top[k] = i;
        }
    }
  g_print ("tokens: %d, vocabulary: %d, written: %s\n", n, n_vocab, output);
  for (int k = 0; k < 5 && top[k] >= 0; k++)
    {
      g_autofree char *p = piece_of (hr_model_vocab (m), top[k]);
      g_autofree char *q = quote_piece (p);

      g_print ("%d %.6f %s\n", top[k], logits[top[k]], q);
    }
  status = 0;

out:
  g_free (ids);
  hr_context_free (c);
  hr_model_free (m);
  return status;
}

/* ---------------------------------------------------------------------------------------- */
/* perplexity                                                                               */

/* -log softmax(logits)[target], in double. */
static double
nll_of (const float *logits, int32_t n_vocab, hr_token target)
{
  double mx = logits[0], sum = 0;

  for (int32_t i = 1; i < n_vocab; i++)
    mx = MAX (mx, logits[i]);
  for (int32_t i = 0; i < n_vocab; i++)
    sum += exp (logits[i] - mx);
  return -(logits[target] - mx - log (sum));
}

int
heron_cmd_perplexity (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *model = NULL, *file = NULL, *text = NULL;
  int threads = 0, n_ctx = 512, max_chunks = -1;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("Model GGUF file"), N_("MODEL") },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, N_("Text file to score"), N_("FILE") },
    { "ctx-size", 'c', 0, G_OPTION_ARG_INT, &n_ctx, N_("Tokens per chunk (default 512)"),
      N_("N") },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &max_chunks, N_("Score at most N chunks"), N_("N") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default 0: physical cores)"),
      N_("N") },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (NULL);
  hr_model *m = NULL;
  hr_context *c = NULL;
  hr_token *ids = NULL;
  int32_t n = 0, n_vocab, n_chunks, first;
  gsize len;
  char err[HR_ERR_LEN] = "";
  int status = 0, count = 0;
  double nll = 0, nll2 = 0, t0, ppl, sd;
  hr_token bos;
  gboolean add_bos;

  g_option_context_set_summary (octx, _("Perplexity of a model on a text, as llama-perplexity "
                                        "computes it: chunks of N tokens, the second half of "
                                        "each chunk scored."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!parse_args (octx, &argc, &argv, &status))
    return status;
  if (model == NULL || file == NULL)
    {
      heron_cli_error ("perplexity", _("needs -m MODEL and -f FILE"));
      return 2;
    }
  if (!no_extra_args ("perplexity", argc, argv, 1) || !check_threads ("perplexity", threads))
    return 2;
  if (n_ctx < 8 || n_ctx > (1 << 20))
    {
      heron_cli_error ("perplexity", _("-c must be between 8 and 1048576"));
      return 2;
    }
  if (!check_model_path ("perplexity", model) || (text = read_text_file ("perplexity", file,
                                                                         &len)) == NULL)
    return 1;
  m = load_model ("perplexity", model, threads, NULL);
  if (m == NULL)
    return 1;
  status = 1;
  ids = tokenize_all (hr_model_vocab (m), text, len, TRUE, FALSE, &n);
  if (ids == NULL)
    {
      heron_cli_error ("perplexity", _("the text could not be tokenized"));
      goto out;
    }
  if (n < 2 * n_ctx)
    {
      heron_cli_error ("perplexity", _("the text has %d tokens; at least %d (2 × -c) are needed"),
                       n, 2 * n_ctx);
      goto out;
    }
  c = new_context ("perplexity", m, n_ctx, threads, TRUE);
  if (c == NULL)
    goto out;
  n_vocab = hr_model_n_vocab (m);
  n_chunks = n / n_ctx;
  if (max_chunks > 0)
    n_chunks = MIN (n_chunks, max_chunks);
  first = n_ctx / 2;
  bos = hr_vocab_bos (hr_model_vocab (m));
  add_bos = hr_vocab_add_bos (hr_model_vocab (m)) && bos >= 0;

  g_printerr ("perplexity: %d tokens, %d chunks of %d\n", n, n_chunks, n_ctx);
  t0 = now_s ();
  for (int32_t ch = 0; ch < n_chunks; ch++)
    {
      hr_token *chunk = ids + (gsize) ch * n_ctx;
      hr_token saved = chunk[0];

      /* Every chunk starts like a fresh text. */
      if (add_bos)
        chunk[0] = bos;
      hr_context_truncate (c, 0);
      if (hr_decode (c, chunk, n_ctx, err, sizeof err) != HR_OK)
        {
          chunk[0] = saved;
          heron_cli_error ("perplexity", "%s", err);
          goto out;
        }
      chunk[0] = saved;
      for (int32_t j = first; j < n_ctx - 1; j++)
        {
          const float *l = hr_context_logits_at (c, j);
          double v;

          if (l == NULL)
            {
              heron_cli_error ("perplexity", _("the engine kept no logits for position %d"), j);
              goto out;
            }
          v = nll_of (l, n_vocab, chunk[j + 1]);
          nll += v;
          nll2 += v * v;
          count++;
        }
      g_print ("[%d]%.4f%s", ch + 1, exp (nll / count), ch + 1 < n_chunks ? "," : "\n");
      fflush (stdout);
    }
  nll /= count;
  nll2 = nll2 / count - nll * nll;
  ppl = exp (nll);
  sd = nll2 > 0 && count > 1 ? sqrt (nll2 / (count - 1)) * ppl : 0;
  g_print ("Final estimate: PPL = %.4f +/- %.5f\n", ppl, sd);
  g_printerr ("perplexity: %d tokens scored in %.2f s\n", count, now_s () - t0);
  status = isfinite (ppl) ? 0 : 1;

out:
  g_free (ids);
  hr_context_free (c);
  hr_model_free (m);
  return status;
}

/* ---------------------------------------------------------------------------------------- */
/* bench                                                                                    */

/* Peak resident set size in bytes: VmHWM, else getrusage. */
static guint64
peak_rss_bytes (void)
{
  g_autofree char *status = NULL;
  struct rusage ru;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    {
      const char *p = strstr (status, "VmHWM:");

      if (p != NULL)
        return g_ascii_strtoull (p + 6, NULL, 10) * 1024;
    }
  if (getrusage (RUSAGE_SELF, &ru) == 0)
    return (guint64) ru.ru_maxrss * 1024;
  return 0;
}

static void
mean_sd (const double *x, int n, double *mean, double *sd)
{
  double s = 0, s2 = 0;

  for (int i = 0; i < n; i++)
    s += x[i];
  *mean = n ? s / n : 0;
  for (int i = 0; i < n; i++)
    s2 += (x[i] - *mean) * (x[i] - *mean);
  *sd = n > 1 ? sqrt (s2 / (n - 1)) : 0;
}

/* As llama-bench: random tokens (BOS first when the vocabulary adds it). */
static void
random_tokens (hr_rng *r, const hr_vocab *v, int32_t n_vocab, hr_token *out, int32_t n,
               gboolean first)
{
  for (int32_t i = 0; i < n; i++)
    out[i] = (hr_token) (hr_rng_next (r) % (uint64_t) n_vocab);
  if (first && n > 0 && hr_vocab_add_bos (v) && hr_vocab_bos (v) >= 0)
    out[0] = hr_vocab_bos (v);
}

/* pp: n_prompt tokens in one hr_decode from an empty cache. tg: n_gen single-token decodes
 * from an empty cache. Returns tokens/s, or a negative value on error. */
static double
bench_pp (hr_context *c, hr_rng *r, const hr_vocab *v, int32_t n_vocab, int32_t n_prompt,
          char *err, size_t errlen)
{
  g_autofree hr_token *t = g_new (hr_token, n_prompt);
  double t0;

  random_tokens (r, v, n_vocab, t, n_prompt, TRUE);
  hr_context_truncate (c, 0);
  t0 = now_s ();
  if (hr_decode (c, t, n_prompt, err, errlen) != HR_OK)
    return -1;
  return n_prompt / (now_s () - t0);
}

static double
bench_tg (hr_context *c, hr_rng *r, const hr_vocab *v, int32_t n_vocab, int32_t n_gen,
          char *err, size_t errlen)
{
  hr_token t;
  double t0;

  random_tokens (r, v, n_vocab, &t, 1, TRUE);
  hr_context_truncate (c, 0);
  t0 = now_s ();
  for (int32_t i = 0; i < n_gen; i++)
    {
      if (hr_decode (c, &t, 1, err, errlen) != HR_OK)
        return -1;
      random_tokens (r, v, n_vocab, &t, 1, FALSE);
    }
  return n_gen / (now_s () - t0);
}

/* What a user waits for before the first word: mmap load (t0 is taken before it), a context,
 * a short chat prompt formatted with the model's template and tokenized, its prefill and
 * one sampled token. Returns the prompt's token count, or -1 on error. */
static int32_t
first_token (hr_model *m, hr_context *c, char *err, size_t errlen)
{
  hr_chat_family family = hr_chat_detect (hr_model_chat_template (m));
  hr_chat_msg msg = { "user", "Hello! Can you help me plan a short trip to the mountains?" };
  g_autofree hr_token *ids = NULL;
  hr_sampler_params sp;
  hr_sampler *smp;
  char *text = hr_chat_format (family, &msg, 1, TRUE);
  int32_t need, n;
  hr_token probe[1];

  if (text == NULL)
    {
      g_strlcpy (err, "cannot format the chat prompt", errlen);
      return -1;
    }
  need = hr_chat_tokenize (hr_model_vocab (m), family, text, probe, 1);
  ids = g_new (hr_token, MAX (need, 1));
  n = need > 0 ? hr_chat_tokenize (hr_model_vocab (m), family, text, ids, need) : 0;
  free (text);
  if (n <= 0 || n >= hr_context_n_ctx (c))
    {
      g_strlcpy (err, n <= 0 ? "cannot tokenize the chat prompt"
                 : "the chat prompt does not fit in the context", errlen);
      return -1;
    }
  hr_context_truncate (c, 0);
  if (hr_decode (c, ids, n, err, errlen) != HR_OK)
    return -1;
  hr_sampler_params_default (&sp);
  smp = hr_sampler_new (&sp, hr_model_n_vocab (m));
  if (smp == NULL)
    {
      g_strlcpy (err, "out of memory", errlen);
      return -1;
    }
  (void) hr_sampler_sample (smp, hr_context_logits (c));
  hr_sampler_free (smp);
  return n;
}

static void
json_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const char *p = str; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (s, "\\%c", *p);
      else if ((guchar) *p < 0x20)
        g_string_append_printf (s, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
json_series (GString *s, const char *name, int32_t n_tokens, const double *x, int n)
{
  double mean, sd;

  mean_sd (x, n, &mean, &sd);
  g_string_append_printf (s, "  \"%s\": { \"n_tokens\": %d, \"avg_ts\": %.4f, "
                          "\"stddev_ts\": %.4f, \"samples_ts\": [", name, n_tokens, mean, sd);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s%.4f", i ? ", " : " ", x[i]);
  g_string_append (s, n ? " ] }" : "] }");
}

int
heron_cmd_bench (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *model = NULL;
  int n_prompt = 128, n_gen = 64, reps = 3, threads = 0, n_batch = 0;
  gboolean json = FALSE, no_warmup = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("Model GGUF file"), N_("MODEL") },
    { "n-prompt", 'p', 0, G_OPTION_ARG_INT, &n_prompt,
      N_("Prompt tokens per pp run (default 128, 0: skip)"), N_("N") },
    { "n-gen", 'n', 0, G_OPTION_ARG_INT, &n_gen,
      N_("Generated tokens per tg run (default 64, 0: skip)"), N_("N") },
    { "repetitions", 'r', 0, G_OPTION_ARG_INT, &reps, N_("Repetitions (default 3)"), N_("N") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default 0: physical cores)"),
      N_("N") },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &n_batch,
      N_("Prompt tokens per pass through the weights (default 0: the engine's, 128; larger "
         "batches use more memory, and OpenBLAS for F16 weights from 256)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the results as JSON"), NULL },
    { "no-warmup", 0, 0, G_OPTION_ARG_NONE, &no_warmup, N_("Skip the warm-up runs"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (NULL);
  g_autofree double *pp = NULL, *tg = NULL;
  hr_model *m = NULL;
  hr_context *c = NULL;
  const hr_vocab *v;
  char err[HR_ERR_LEN] = "";
  double t_load, t_start, t_first, mean, sd;
  int32_t n_vocab, n_first;
  int status = 0;
  hr_rng rng;
  hr_model_info info;
  gboolean have_info;

  g_option_context_set_summary (octx, _("Measure prompt processing (pp) and generation (tg) "
                                        "speed as llama-bench does, and peak memory."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!parse_args (octx, &argc, &argv, &status))
    return status;
  if (model == NULL)
    {
      heron_cli_error ("bench", _("no model given; use -m MODEL.gguf"));
      return 2;
    }
  if (!no_extra_args ("bench", argc, argv, 1) || !check_threads ("bench", threads))
    return 2;
  if (n_prompt < 0 || n_gen < 0 || n_prompt + n_gen == 0 || n_prompt > (1 << 20)
      || n_gen > (1 << 20) || reps < 1 || reps > 1000)
    {
      heron_cli_error ("bench", _("-p and -n must be 0 or more (not both 0), -r between 1 "
                                  "and 1000"));
      return 2;
    }
  if (n_batch < 0 || n_batch > (1 << 16))
    {
      heron_cli_error ("bench", _("-b must be between 0 and 65536"));
      return 2;
    }
  /* The metadata read buffers up to 16 MiB of the file: before the weights are resident,
   * so it is not counted in the peak RSS as if the engine held it. */
  have_info = hr_model_info_read (model, &info, err, sizeof err) == 0;
  t_start = now_s ();
  m = load_model ("bench", model, threads, &t_load);
  if (m == NULL)
    return 1;
  status = 1;
  /* Room for the larger run, as llama-bench sizes its context n_prompt + n_gen. */
  c = new_context_batch ("bench", m, MAX (n_prompt + n_gen, 256), n_batch, threads, FALSE);
  if (c == NULL)
    goto out;
  if ((n_first = first_token (m, c, err, sizeof err)) < 0)
    {
      heron_cli_error ("bench", "%s", err);
      goto out;
    }
  t_first = now_s () - t_start;
  v = hr_model_vocab (m);
  n_vocab = hr_model_n_vocab (m);
  hr_rng_seed (&rng, 1234);
  pp = g_new0 (double, reps);
  tg = g_new0 (double, reps);

  if (!no_warmup)
    {
      if ((n_prompt > 0 && bench_pp (c, &rng, v, n_vocab, n_prompt, err, sizeof err) < 0)
          || (n_gen > 0 && bench_tg (c, &rng, v, n_vocab, 1, err, sizeof err) < 0))
        {
          heron_cli_error ("bench", "%s", err);
          goto out;
        }
    }
  for (int i = 0; i < reps && n_prompt > 0; i++)
    if ((pp[i] = bench_pp (c, &rng, v, n_vocab, n_prompt, err, sizeof err)) < 0)
      {
        heron_cli_error ("bench", "%s", err);
        goto out;
      }
  for (int i = 0; i < reps && n_gen > 0; i++)
    if ((tg[i] = bench_tg (c, &rng, v, n_vocab, n_gen, err, sizeof err)) < 0)
      {
        heron_cli_error ("bench", "%s", err);
        goto out;
      }

  if (json)
    {
      GString *s = g_string_new ("{\n  \"model\": ");

      json_string (s, model);
      g_string_append (s, ",\n  \"arch\": ");
      json_string (s, hr_model_arch (m));
      g_string_append (s, ",\n  \"type\": ");
      json_string (s, have_info && info.file_type_name ? info.file_type_name : "");
      g_string_append_printf (s, ",\n  \"model_size\": %" G_GUINT64_FORMAT ",\n"
                              "  \"model_n_params\": %" G_GUINT64_FORMAT ",\n"
                              "  \"n_threads\": %d,\n  \"n_batch\": %d,\n"
                              "  \"repetitions\": %d,\n"
                              "  \"load_s\": %.4f,\n  \"load_first_token_s\": %.4f,\n"
                              "  \"first_prompt_tokens\": %d,\n",
                              have_info ? info.file_size : 0, have_info ? info.n_params : 0,
                              threads, hr_context_n_batch (c), reps, t_load, t_first, n_first);
      json_series (s, "pp", n_prompt, pp, n_prompt > 0 ? reps : 0);
      g_string_append (s, ",\n");
      json_series (s, "tg", n_gen, tg, n_gen > 0 ? reps : 0);
      g_string_append_printf (s, ",\n  \"peak_rss\": %" G_GUINT64_FORMAT "\n}\n",
                              peak_rss_bytes ());
      g_print ("%s", s->str);
      g_string_free (s, TRUE);
    }
  else
    {
      g_print ("model: %s (%s, %s)\nthreads: %d%s, repetitions: %d, load: %.2f s\n", model,
               hr_model_arch (m), have_info && info.file_type_name ? info.file_type_name : "?",
               threads, threads == 0 ? " (automatic)" : "", reps, t_load);
      g_print ("load+first token: %.0f ms (load, a %d-token chat prompt, one sampled token)\n",
               t_first * 1e3, n_first);
      if (n_prompt > 0)
        {
          mean_sd (pp, reps, &mean, &sd);
          g_print ("pp%-6d %10.2f ± %.2f tokens/s\n", n_prompt, mean, sd);
        }
      if (n_gen > 0)
        {
          mean_sd (tg, reps, &mean, &sd);
          g_print ("tg%-6d %10.2f ± %.2f tokens/s\n", n_gen, mean, sd);
        }
      g_print ("peak RSS: %.1f MiB\n", peak_rss_bytes () / (1024.0 * 1024.0));
    }
  if (have_info)
    hr_model_info_clear (&info);
  status = 0;

out:
  hr_context_free (c);
  hr_model_free (m);
  return status;
}
