/* test-local-backend.c: HeronTurn with the real engine on a tiny random-weight model
 * written by the test (tests/engine/make-model.c): the stored answer equals a greedy
 * generation done directly with the engine; the next turn of the conversation reuses the
 * cached prefix and still equals a fresh evaluation; cancel stops early; a bad model path
 * is a clear error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-turn.h"
#include "heron-local-backend.h"
#include "heron-messages.h"
#include "chat-template.h"
#include "model.h"
#include "make-model.h"
#include "../store/store-test-util.h"

#define N_PREDICT 24

static char *dir;
static char *model_path;

/* Greedy generation straight from the engine: the reference. */
static char *
reference_answer (const hr_chat_msg *msgs, size_t n_msgs, int *n_generated)
{
  char err[256] = "";
  hr_model_params mp;
  hr_context_params cp;
  hr_model *m;
  hr_context *c;
  const hr_vocab *v;
  hr_chat_family fam;
  char *text;
  hr_token toks[4096];
  int32_t n;
  GString *out = g_string_new ("");
  hr_detok *d;
  char piece[256];

  hr_model_params_default (&mp);
  mp.n_threads = 1;
  m = hr_model_load (model_path, &mp, err, sizeof err);
  g_assert_nonnull (m);
  hr_context_params_default (&cp);
  cp.n_ctx = 1024;
  cp.n_threads = 1;
  c = hr_context_new (m, &cp, err, sizeof err);
  g_assert_nonnull (c);
  v = hr_model_vocab (m);
  fam = hr_chat_detect (hr_model_chat_template (m));
  text = hr_chat_format (fam, msgs, n_msgs, true);
  n = hr_chat_tokenize (v, fam, text, toks, G_N_ELEMENTS (toks));
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, <, (int) G_N_ELEMENTS (toks));
  free (text);
  g_assert_cmpint (hr_decode (c, toks, n, err, sizeof err), ==, HR_OK);
  d = hr_detok_new (v, false);
  *n_generated = 0;
  for (int i = 0; i < N_PREDICT; i++)
    {
      const float *logits = hr_context_logits (c);
      hr_token best = 0;

      for (int32_t t = 1; t < hr_model_n_vocab (m); t++)
        if (logits[t] > logits[best])
          best = t;
      if (hr_chat_is_eog (v, fam, best))
        break;
      (*n_generated)++;
      n = hr_detok_push (d, best, piece, sizeof piece);
      g_string_append_len (out, piece, n);
      if (i + 1 < N_PREDICT)
        g_assert_cmpint (hr_decode (c, &best, 1, err, sizeof err), ==, HR_OK);
    }
  n = hr_detok_flush (d, piece, sizeof piece);
  g_string_append_len (out, piece, n);
  hr_detok_free (d);
  hr_context_free (c);
  hr_model_free (m);
  return g_string_free (out, FALSE);
}

typedef struct
{
  gboolean      done;
  gboolean      ok;
  GError       *error;
  GCancellable *cancel_on_delta;
  GCancellable *cancel_on_start;
  guint         n_deltas;
} Wait;

static void
turn_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->ok = heron_turn_finish (HERON_TURN (source), result, &w->error);
  w->done = TRUE;
}

static void
on_delta (HeronTurn *turn, const char *content, const char *reasoning, gpointer user_data)
{
  Wait *w = user_data;

  w->n_deltas++;
  if (w->cancel_on_delta)
    g_cancellable_cancel (w->cancel_on_delta);
}

static void
on_started (HeronTurn *turn, gpointer user_data)
{
  Wait *w = user_data;

  if (w->cancel_on_start)
    g_cancellable_cancel (w->cancel_on_start);
}

static void
run (HeronTurn *turn, const char *question, Wait *w)
{
  gulong id = g_signal_connect (turn, "delta", G_CALLBACK (on_delta), w);
  gulong id2 = g_signal_connect (turn, "started", G_CALLBACK (on_started), w);

  heron_turn_ask_async (turn, question,
                        w->cancel_on_delta ? w->cancel_on_delta : w->cancel_on_start,
                        turn_done, w);
  while (!w->done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (turn, id);
  g_signal_handler_disconnect (turn, id2);
}

static int
stats_int (HeronMessage *m, const char *key)
{
  g_autofree char *pattern = g_strdup_printf ("\"%s\":", key);
  const char *at = strstr (heron_message_get_stats_json (m), pattern);

  g_assert_nonnull (at);
  return atoi (at + strlen (pattern));
}

static HeronTurn *
new_turn (HeronStore *store, HeronLocalBackend *backend)
{
  HeronTurn *turn = heron_turn_new (store, HERON_BACKEND (backend));
  HeronSamplingParams p;

  heron_sampling_params_init (&p);
  p.temperature = 0;
  p.max_tokens = N_PREDICT;
  p.seed = 7;
  heron_turn_set_sampling (turn, &p);
  return turn;
}

static void
test_matches_engine_and_reuses_prefix (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (dir, "data1", NULL);
  g_autoptr(HeronStore) store = heron_store_open_sync (data, NULL, &error);
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (model_path, 1024, 1);
  g_autoptr(HeronTurn) turn = new_turn (store, backend);
  g_autofree char *ref1 = NULL, *ref2 = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  Wait w1 = { 0 }, w2 = { 0 };
  HeronMessage *a1, *a2;
  int n_ref1 = 0, n_ref2 = 0;

  g_assert_no_error (error);
  g_assert_true (heron_local_backend_load_sync (backend, NULL, &error));
  g_assert_no_error (error);

  run (turn, "Hello, heron!", &w1);
  g_assert_no_error (w1.error);
  a1 = heron_turn_get_answer (turn);
  ref1 = reference_answer ((hr_chat_msg[]) { { "user", "Hello, heron!" } }, 1, &n_ref1);
  g_assert_cmpstr (heron_message_get_content (a1), ==, ref1);
  g_assert_cmpint (stats_int (a1, "completion_tokens"), ==, n_ref1);
  g_assert_cmpint (stats_int (a1, "cached_tokens"), ==, 0);
  g_assert_cmpstr (heron_message_get_model (a1), ==, "tiny");
  g_assert_cmpint (heron_message_get_state (a1), ==, HERON_MESSAGE_COMPLETE);

  /* The second turn starts with the first one's tokens: they come from the cache, and the
   * answer is still what a fresh evaluation of the whole prompt gives. */
  run (turn, "Tell me more.", &w2);
  g_assert_no_error (w2.error);
  a2 = heron_turn_get_answer (turn);
  ref2 = reference_answer ((hr_chat_msg[]) { { "user", "Hello, heron!" },
                                             { "assistant", ref1 },
                                             { "user", "Tell me more." } }, 3, &n_ref2);
  g_assert_cmpstr (heron_message_get_content (a2), ==, ref2);
  g_assert_cmpint (stats_int (a2, "cached_tokens"), >, 0);
  g_assert_cmpint (stats_int (a2, "cached_tokens"), <, stats_int (a2, "prompt_tokens"));

  msgs = heron_store_get_messages_sync (store, heron_turn_get_conversation_id (turn), NULL,
                                        &error);
  g_assert_cmpuint (msgs->len, ==, 4);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[3]), ==, ref2);
  heron_store_close (store);
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (dir, "data2", NULL);
  g_autoptr(HeronStore) store = heron_store_open_sync (data, NULL, &error);
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (model_path, 1024, 1);
  g_autoptr(HeronTurn) turn = new_turn (store, backend);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) msgs = NULL;
  Wait w = { 0 };
  HeronSamplingParams p;

  /* Cancelled once the messages are stored, before the engine saw the request: the
   * prompt evaluation stops at once (a mid-stream stop is tested with the scripted backend
   * and by the crash test; with a tiny model it would race the generation). */
  heron_sampling_params_init (&p);
  p.temperature = 1.0;
  p.seed = 3;
  p.max_tokens = 400;
  heron_turn_set_sampling (turn, &p);
  w.cancel_on_start = cancellable;
  run (turn, "Count forever", &w);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  msgs = heron_store_get_messages_sync (store, heron_turn_get_conversation_id (turn), NULL,
                                        &error);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_CANCELLED);
  g_assert_cmpint (stats_int (msgs->pdata[1], "completion_tokens"), ==, 0);
  g_assert_cmpuint (w.n_deltas, ==, 0);
  g_assert_nonnull (strstr (heron_message_get_stats_json (msgs->pdata[1]),
                            "\"stop\":\"cancelled\""));
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==,
                   heron_message_get_content (heron_turn_get_answer (turn)));
  g_clear_error (&w.error);
  heron_store_close (store);
}

/* A conversation longer than the context still gets an answer (its oldest turns are left
 * out); a single question longer than the context is a clear error, stored as such. */
static void
test_context_overflow (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (dir, "data3", NULL);
  g_autoptr(HeronStore) store = heron_store_open_sync (data, NULL, &error);
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (model_path, 256, 1);
  g_autoptr(HeronTurn) turn = new_turn (store, backend);
  g_autoptr(GString) long_text = g_string_new ("");
  g_autoptr(GPtrArray) msgs = NULL;
  Wait w[4] = { { 0 } };

  for (int i = 0; i < 12; i++)
    g_string_append (long_text, "herons egrets ");     /* ~170 byte tokens */
  for (int i = 0; i < 3; i++)
    {
      run (turn, long_text->str, &w[i]);
      g_assert_no_error (w[i].error);
      g_assert_cmpint (heron_message_get_state (heron_turn_get_answer (turn)), ==,
                       HERON_MESSAGE_COMPLETE);
    }
  for (int i = 0; i < 3; i++)
    g_string_append (long_text, long_text->str);
  run (turn, long_text->str, &w[3]);
  g_assert_error (w[3].error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_TOO_LONG);
  g_clear_error (&w[3].error);
  msgs = heron_store_get_messages_sync (store, heron_turn_get_conversation_id (turn), NULL,
                                        &error);
  g_assert_cmpuint (msgs->len, ==, 8);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[7]), ==, HERON_MESSAGE_ERROR);
  g_assert_nonnull (strstr (heron_message_get_error (msgs->pdata[7]), "256"));
  heron_store_close (store);
}

static void
test_bad_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = g_build_filename (dir, "not-a-model.gguf", NULL);
  g_autoptr(HeronLocalBackend) backend = NULL;

  g_assert_true (g_file_set_contents (bad, "GGUF but not really", -1, NULL));
  backend = heron_local_backend_new (bad, 0, 1);
  g_assert_false (heron_local_backend_load_sync (backend, NULL, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL);
  g_assert_nonnull (strstr (error->message, bad));
}

int
main (int argc, char **argv)
{
  HeronTestModelSpec spec;
  char err[256] = "";
  int status;

  g_test_init (&argc, &argv, NULL);
  dir = test_make_tmp_dir ();
  model_path = g_build_filename (dir, "tiny.gguf", NULL);
  heron_test_model_spec_init (&spec, "llama");
  spec.n_ctx_train = 1024;
  if (heron_test_make_model (model_path, &spec, err, sizeof err) != 0)
    g_error ("make model: %s", err);

  g_test_add_func ("/heron/assist/local-backend/matches-engine-and-reuses-prefix",
                   test_matches_engine_and_reuses_prefix);
  g_test_add_func ("/heron/assist/local-backend/cancel", test_cancel);
  g_test_add_func ("/heron/assist/local-backend/context-overflow", test_context_overflow);
  g_test_add_func ("/heron/assist/local-backend/bad-model", test_bad_model);
  status = g_test_run ();
  test_rm_rf (dir);
  g_free (dir);
  g_free (model_path);
  return status;
}
