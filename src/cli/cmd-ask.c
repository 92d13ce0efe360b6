/* cmd-ask.c: heron-cli ask: one turn of a conversation, the same pipeline and database as
 * the app (src/assist/heron-turn.c), streamed to the terminal.
 *
 * Output: the answer on stdout as it streams; reasoning (<think>) on stderr between
 * "[thinking]" and "[/thinking]" lines; then "conversation: ID" on stderr (the id to pass
 * to --conversation for a follow-up). Exit status: 0 answered, 1 failed (the database,
 * the model, generation; the partial answer is stored), 2 usage error, 130 stopped with
 * Ctrl+C (the partial answer is stored as cancelled).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>

#include "cmd-ask-web.h"
#include "heron-cli.h"
#include "heron-store.h"
#include "heron-local-backend.h"
#include "heron-models.h"
#include "heron-scripted-backend.h"
#include "heron-title.h"
#include "heron-turn.h"

typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  gboolean      in_reasoning;
  gboolean      any_content;
  gboolean      ends_with_newline;
  gboolean      ok;
  gboolean      interrupted;
  GError       *error;
} AskState;

static void
on_delta (HeronTurn *turn, const char *content, const char *reasoning, gpointer user_data)
{
  AskState *st = user_data;

  if (reasoning)
    {
      if (!st->in_reasoning)
        fputs ("[thinking]\n", stderr);
      st->in_reasoning = TRUE;
      fputs (reasoning, stderr);
      fflush (stderr);
    }
  if (content)
    {
      if (st->in_reasoning)
        fputs ("\n[/thinking]\n", stderr);
      st->in_reasoning = FALSE;
      fputs (content, stdout);
      fflush (stdout);
      st->any_content = TRUE;
      st->ends_with_newline = g_str_has_suffix (content, "\n");
    }
}

static void
ask_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AskState *st = user_data;

  st->ok = heron_turn_finish (HERON_TURN (source), result, &st->error);
  g_main_loop_quit (st->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  AskState *st = user_data;

  st->interrupted = TRUE;
  g_cancellable_cancel (st->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AskState *st = user_data;

  st->ok = heron_local_backend_load_finish (HERON_LOCAL_BACKEND (source), result, &st->error);
  g_main_loop_quit (st->loop);
}

/* Loading runs on the main loop, so that Ctrl+C stops a long load too. */
static HeronBackend *
make_backend (const char *data_dir, const char *model, int n_ctx, int threads, AskState *st,
              char **spec_out, GError **error)
{
  g_autoptr(HeronLocalBackend) local = NULL;
  g_autoptr(HeronModelSpec) spec = NULL;
  GError *local_error = NULL;
  HeronBackend *test_backend = heron_test_backend_new_from_env (&local_error);

  if (test_backend || local_error)
    {
      if (local_error)
        g_propagate_error (error, local_error);
      return test_backend;
    }
  if (model == NULL)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("no model given; use --model MODEL.gguf"));
      return NULL;
    }
  /* A path, a library name or remote:SERVER/MODEL (heron-models.h). */
  spec = heron_model_spec_resolve (model, data_dir, NULL, error);
  if (spec == NULL)
    return NULL;
  *spec_out = g_strdup (spec->spec);
  if (spec->kind == HERON_MODEL_SPEC_REMOTE)
    return heron_model_spec_create_backend (spec, g_getenv ("HERON_REMOTE_BASE_URL"), error);
  local = heron_local_backend_new (spec->path, n_ctx, threads);
  heron_local_backend_load_async (local, st->cancellable, load_done, st);
  g_main_loop_run (st->loop);
  if (!st->ok)
    {
      g_propagate_error (error, g_steal_pointer (&st->error));
      return NULL;
    }
  st->ok = FALSE;
  return HERON_BACKEND (g_steal_pointer (&local));
}

/* --title-by-model: after the first answer of a new conversation, the model titles it
 * (heron-title.h), as the app does when its model-titles setting is on. */
typedef struct
{
  GMainLoop *loop;
  char      *title;
  GError    *error;
} TitleWait;

static void
title_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TitleWait *w = user_data;

  w->title = heron_title_generate_finish (result, &w->error);
  g_main_loop_quit (w->loop);
}

static void
title_by_model (HeronBackend *backend, HeronStore *store, HeronTurn *turn, const char *system,
                AskState *st)
{
  g_autoptr(GPtrArray) history = g_ptr_array_new ();
  TitleWait w = { st->loop, NULL, NULL };

  if (heron_turn_get_question (turn) == NULL || heron_turn_get_answer (turn) == NULL)
    return;
  g_ptr_array_add (history, heron_turn_get_question (turn));
  g_ptr_array_add (history, heron_turn_get_answer (turn));
  heron_title_generate_async (backend, store, heron_turn_get_conversation_id (turn), system,
                              history, st->cancellable, title_done, &w);
  g_main_loop_run (st->loop);
  /* A title that could not be made is not a failure: the question's title stays. */
  if (w.title != NULL)
    g_printerr ("title: %s\n", w.title);
  else
    g_debug ("no model title: %s", w.error->message);
  g_free (w.title);
  g_clear_error (&w.error);
}

int
heron_cmd_ask (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *model = NULL, *system = NULL, *model_spec = NULL;
  gint64 conversation = 0;
  double temp = -1;
  gint64 seed = -1;
  int n_predict = 0, n_ctx = 0, threads = 0;
  g_autofree char *web_mode = NULL, *providers = NULL;
  g_auto(GStrv) base_urls = NULL;
  gboolean allow_private = FALSE, model_title = FALSE;
  HeronAskWeb *web = NULL;
  GOptionEntry entries[] = {
    { "web", 0, 0, G_OPTION_ARG_STRING, &web_mode,
      N_("Web search: off (default), auto or on"), "off|auto|on" },
    { "provider", 'p', 0, G_OPTION_ARG_STRING, &providers,
      N_("Search providers to try in order, comma-separated (default: by locale)"), "P[,P2…]" },
    { "base-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &base_urls,
      N_("Send PROVIDER's requests to URL instead (repeatable)"), "PROVIDER=URL" },
    { "allow-private-sources", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &allow_private,
      N_("Let search results point to local addresses (tests)"), NULL },
    { "conversation", 'c', 0, G_OPTION_ARG_INT64, &conversation,
      N_("Continue the conversation with this id"), N_("ID") },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("Model: a GGUF file, a library name or remote:SERVER/MODEL"), N_("MODEL") },
    { "system", 's', 0, G_OPTION_ARG_STRING, &system,
      N_("System prompt of a new conversation"), N_("TEXT") },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, N_("Temperature (0: greedy)"), N_("T") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default: random)"), N_("S") },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict,
      N_("Most tokens to generate (default: until the model stops)"), N_("N") },
    { "ctx-size", 0, 0, G_OPTION_ARG_INT, &n_ctx, N_("Context size in tokens"), N_("N") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default: physical cores)"),
      N_("N") },
    { "title-by-model", 0, 0, G_OPTION_ARG_NONE, &model_title,
      N_("Let the model title a new conversation after its first answer (printed on stderr "
         "as “title: TITLE”; the question stays the title when it cannot)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (_("QUESTION"));
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(HeronBackend) backend = NULL;
  g_autoptr(HeronTurn) turn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *question = NULL;
  HeronSamplingParams params;
  AskState st = { 0 };
  guint sigint_id;
  int status = 0;

  g_option_context_set_summary (octx, _("Ask a question and stream the answer; the "
                                        "conversation is stored like the app's. The "
                                        "conversation id is printed on stderr as "
                                        "“conversation: ID”.\n\nExit status: 0 answered, "
                                        "1 failed, 2 usage error, 130 stopped with Ctrl+C "
                                        "(a partial answer is kept)."));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!heron_cli_parse (octx, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      heron_cli_error ("ask", _("no question given"));
      return 2;
    }
  question = g_strjoinv (" ", argv + 1);
  if (!g_utf8_validate (question, -1, NULL) || *g_strstrip (question) == '\0')
    {
      heron_cli_error ("ask", _("the question must be non-empty UTF-8 text"));
      return 2;
    }
  if (conversation < 0 || n_predict < 0)
    {
      heron_cli_error ("ask", _("--conversation and -n take positive numbers"));
      return 2;
    }

  st.cancellable = g_cancellable_new ();
  st.loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &st);

  store = heron_store_open_sync (ctx->data_dir, NULL, &error);
  if (store == NULL)
    {
      heron_cli_error ("ask", "%s", error->message);
      status = 1;
      goto out;
    }
  web = heron_ask_web_new (store, web_mode, providers, (const char * const *) base_urls,
                           allow_private, &error);
  if (web == NULL)
    {
      heron_cli_error ("ask", "%s", error->message);
      status = 2;
      goto out;
    }
  heron_ask_web_set_n_ctx (web, n_ctx);
  backend = make_backend (ctx->data_dir, model, n_ctx, threads, &st, &model_spec, &error);
  if (backend == NULL)
    {
      heron_cli_error ("ask", "%s", error->message);
      status = g_error_matches (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL) ? 2
               : st.interrupted ? 130 : 1;
      goto out;
    }

  heron_sampling_params_init (&params);
  if (temp >= 0)
    params.temperature = temp;
  if (seed >= 0)
    params.seed = seed;
  params.max_tokens = n_predict;

  turn = heron_turn_new (store, backend);
  heron_turn_set_model_spec (turn, model_spec);
  heron_turn_set_conversation_id (turn, conversation);
  heron_turn_set_system_prompt (turn, system);
  heron_turn_set_sampling (turn, &params);
  g_signal_connect (turn, "delta", G_CALLBACK (on_delta), &st);
  if (!heron_ask_web_prepare (web, turn, question, st.cancellable))
    {
      status = 130;
      goto out;
    }
  heron_turn_ask_async (turn, question, st.cancellable, ask_done, &st);
  g_main_loop_run (st.loop);

  if (st.in_reasoning)
    fputs ("\n[/thinking]\n", stderr);
  if (st.any_content && !st.ends_with_newline)
    fputs ("\n", stdout);
  if (st.ok)
    heron_ask_web_report (web, store, turn);
  fflush (stdout);
  if (st.ok && model_title && conversation == 0)
    title_by_model (backend, store, turn, system, &st);
  if (heron_turn_get_conversation_id (turn) > 0)
    g_printerr ("conversation: %" G_GINT64_FORMAT "\n", heron_turn_get_conversation_id (turn));
  if (st.ok)
    status = 0;
  else if (g_error_matches (st.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    status = 130;
  else
    {
      heron_cli_error ("ask", "%s", st.error->message);
      status = 1;
    }

out:
  heron_ask_web_free (web);
  g_source_remove (sigint_id);
  if (store)
    heron_store_close (store);
  g_clear_error (&st.error);
  g_main_loop_unref (st.loop);
  g_object_unref (st.cancellable);
  return status;
}
