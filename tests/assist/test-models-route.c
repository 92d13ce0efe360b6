/* test-models-route.c: a turn switches model mid-conversation (the next request uses the new
 * backend with the whole history) and, with "prefer local", goes to the remote model only when
 * the local one cannot take the prompt, saying so in the answer's stats.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-conversations.h"
#include "heron-models.h"
#include "heron-scripted-backend.h"
#include "heron-turn.h"

typedef struct
{
  char                 *dir;
  HeronStore           *store;
  HeronScriptedBackend *local;
  HeronScriptedBackend *remote;
  HeronTurn            *turn;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  (void) data;
  f->dir = g_dir_make_tmp ("heron-route-XXXXXX", NULL);
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  f->local = heron_scripted_backend_new ("from local", 0, 4);
  f->remote = heron_scripted_backend_new ("from remote", 0, 4);
  f->turn = heron_turn_new (f->store, HERON_BACKEND (f->local));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *n;

  (void) data;
  g_clear_object (&f->turn);
  g_clear_object (&f->local);
  g_clear_object (&f->remote);
  heron_store_close (f->store);
  g_clear_object (&f->store);
  while (d && (n = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, n, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (heron_turn_finish (HERON_TURN (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static void
ask (Fixture *f, const char *question)
{
  gboolean done = FALSE;

  heron_turn_ask_async (f->turn, question, NULL, on_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static const char *
answer_text (Fixture *f)
{
  return heron_message_get_content (heron_turn_get_answer (f->turn));
}

static const char *
stats (Fixture *f)
{
  return heron_message_get_stats_json (heron_turn_get_answer (f->turn));
}

static void
test_switch (Fixture *f, gconstpointer data)
{
  const HeronChatRequest *req;
  const HeronChatMessage *m;

  g_autoptr(HeronConversation) conv = NULL;
  g_autoptr(GError) error = NULL;

  (void) data;
  heron_turn_set_model_spec (f->turn, "local:/models/a.gguf");
  ask (f, "first question");
  g_assert_cmpstr (answer_text (f), ==, "from local");
  conv = heron_store_get_conversation_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                            NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (heron_conversation_get_model (conv), ==, "local:/models/a.gguf");
  g_clear_object (&conv);

  heron_turn_set_backend (f->turn, HERON_BACKEND (f->remote));
  heron_turn_set_model_spec (f->turn, "remote:deepseek/deepseek-chat");
  ask (f, "second question");
  g_assert_cmpstr (answer_text (f), ==, "from remote");
  conv = heron_store_get_conversation_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                            NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (heron_conversation_get_model (conv), ==, "remote:deepseek/deepseek-chat");
  /* The new model got the whole conversation, the first answer included. */
  req = heron_scripted_backend_get_last_request (f->remote);
  g_assert_nonnull (req);
  g_assert_cmpuint (req->messages->len, >=, 3);
  m = &g_array_index (req->messages, HeronChatMessage, req->messages->len - 2);
  g_assert_cmpstr (m->content, ==, "from local");
}

static void
test_prefer_local (Fixture *f, gconstpointer data)
{
  g_autofree char *long_q = g_strnfill (400, 'x');

  (void) data;
  heron_turn_set_fallback (f->turn, HERON_BACKEND (f->remote), 4096);
  ask (f, "short");
  g_assert_cmpstr (answer_text (f), ==, "from local");
  g_assert_null (strstr (stats (f), "notice"));

  /* Longer than the local context: the remote model answers and the stats say why. */
  heron_turn_set_fallback (f->turn, HERON_BACKEND (f->remote), 64);
  ask (f, long_q);
  g_assert_cmpstr (answer_text (f), ==, "from remote");
  g_assert_nonnull (strstr (stats (f), "\"notice\""));
  g_assert_nonnull (strstr (stats (f), "longer than the local model's context (64 tokens)"));

  /* No local model loaded. */
  heron_turn_set_fallback (f->turn, HERON_BACKEND (f->remote), 0);
  ask (f, "short again");
  g_assert_cmpstr (answer_text (f), ==, "from remote");
  g_assert_nonnull (strstr (stats (f), "no local model is loaded"));

  /* Routing off: the turn's own backend. */
  heron_turn_set_fallback (f->turn, NULL, 0);
  ask (f, "and again");
  g_assert_cmpstr (answer_text (f), ==, "from local");
}

static void
test_estimate (void)
{
  g_autoptr(HeronChatRequest) r = heron_chat_request_new ();
  g_autofree char *text = g_strnfill (400, 'a');
  g_autofree char *json = heron_models_stats_add_notice ("{\"model\":\"m\"}", "why");

  heron_chat_request_add_message (r, HERON_ROLE_USER, text);
  /* 400 bytes / 4 + template allowance. */
  g_assert_cmpint (heron_models_estimate_tokens (r), ==, (400 + 16 + 3) / 4);
  g_assert_cmpstr (json, ==, "{\"model\":\"m\",\"notice\":\"why\"}");
  g_assert_null (heron_models_stats_add_notice (NULL, "why"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/heron/assist/models-route/switch", Fixture, NULL, setup, test_switch, teardown);
  g_test_add ("/heron/assist/models-route/prefer-local", Fixture, NULL, setup,
              test_prefer_local, teardown);
  g_test_add_func ("/heron/assist/models-route/estimate", test_estimate);
  return g_test_run ();
}
