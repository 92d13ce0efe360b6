/* test-turn.c: HeronTurn with the scripted backend: stored question and answer, reasoning
 * split, the request sent (system prompt + active path), throttled streaming writes seen
 * by another connection, cancel and error keeping the partial text, follow-ups,
 * regenerate and edit (branches and the chat view's model).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-turn.h"
#include "heron-scripted-backend.h"
#include "heron-conversations.h"
#include "heron-conversation.h"
#include "heron-messages.h"
#include "../store/store-test-util.h"

typedef struct
{
  char                 *dir;
  HeronStore           *store;
  HeronScriptedBackend *backend;
  HeronTurn            *turn;
  GString              *streamed;
  GString              *streamed_reasoning;
  gboolean              done;
  gboolean              ok;
  GError               *error;
  /* streaming-write probe */
  sqlite3              *probe;
  guint                 n_deltas;
  guint                 cancel_after;     /* bytes of answer, then cancel */
  GCancellable         *cancellable;
  guint                 n_probe_checks;
} Fixture;

static const char script[] =
  "<think>The user asks about herons. 鹭.</think>Herons are long-legged wading birds; "
  "苍鹭 (grey heron) lives near water.";
static const char answer_text[] =
  "Herons are long-legged wading birds; 苍鹭 (grey heron) lives near water.";
static const char reasoning_text[] = "The user asks about herons. 鹭.";

static void
on_delta (HeronTurn *turn, const char *content, const char *reasoning, gpointer user_data)
{
  Fixture *f = user_data;
  HeronMessage *answer = heron_turn_get_answer (turn);

  if (content)
    g_string_append (f->streamed, content);
  if (reasoning)
    g_string_append (f->streamed_reasoning, reasoning);
  /* The message object already has the text the signal reports. */
  g_assert_cmpstr (heron_message_get_content (answer), ==, f->streamed->str);
  g_assert_cmpint (heron_message_get_state (answer), ==, HERON_MESSAGE_STREAMING);

  if (f->probe)
    {
      /* Whatever another connection sees while streaming is a prefix of what was shown. */
      g_autofree char *sql = g_strdup_printf ("SELECT content FROM messages WHERE id = %"
                                              G_GINT64_FORMAT, heron_message_get_id (answer));
      g_autofree char *stored = test_raw_text (f->probe, sql);
      g_assert_true (g_str_has_prefix (f->streamed->str, stored));
      f->n_probe_checks++;
    }
  f->n_deltas++;
  if (f->cancel_after && f->streamed->len >= f->cancel_after)
    g_cancellable_cancel (f->cancellable);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = test_make_tmp_dir ();
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  f->backend = heron_scripted_backend_new (script, 1, 4);
  f->turn = heron_turn_new (f->store, HERON_BACKEND (f->backend));
  f->streamed = g_string_new ("");
  f->streamed_reasoning = g_string_new ("");
  f->cancellable = g_cancellable_new ();
  g_signal_connect (f->turn, "delta", G_CALLBACK (on_delta), f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->turn);
  g_clear_object (&f->backend);
  g_clear_object (&f->store);
  g_clear_object (&f->cancellable);
  if (f->probe)
    sqlite3_close (f->probe);
  g_string_free (f->streamed, TRUE);
  g_string_free (f->streamed_reasoning, TRUE);
  g_clear_error (&f->error);
  test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
turn_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  f->ok = heron_turn_finish (HERON_TURN (source), result, &f->error);
  f->done = TRUE;
}

static void
wait_turn (Fixture *f)
{
  while (!f->done)
    g_main_context_iteration (NULL, TRUE);
  f->done = FALSE;
}

static void
reset_stream (Fixture *f)
{
  g_string_truncate (f->streamed, 0);
  g_string_truncate (f->streamed_reasoning, 0);
  g_clear_error (&f->error);
  f->n_deltas = 0;
}

static void
test_ask_new (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  g_autoptr(HeronConversation) conv = NULL;
  const HeronChatRequest *req;
  HeronMessage *answer;

  heron_turn_set_system_prompt (f->turn, "You know birds.");
  reset_stream (f);
  heron_turn_ask_async (f->turn, "  What is a heron?\nAnswer briefly.", NULL, turn_done, f);
  g_assert_true (heron_turn_get_running (f->turn));
  wait_turn (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_false (heron_turn_get_running (f->turn));
  g_assert_cmpint (heron_turn_get_conversation_id (f->turn), >, 0);
  g_assert_cmpstr (f->streamed->str, ==, answer_text);
  g_assert_cmpstr (f->streamed_reasoning->str, ==, reasoning_text);

  answer = heron_turn_get_answer (f->turn);
  g_assert_cmpint (heron_message_get_state (answer), ==, HERON_MESSAGE_COMPLETE);
  g_assert_cmpstr (heron_message_get_model (answer), ==, "scripted");
  g_assert_nonnull (strstr (heron_message_get_stats_json (answer), "\"stop\":\"end\""));

  conv = heron_store_get_conversation_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                            NULL, &error);
  g_assert_cmpstr (heron_conversation_get_title (conv), ==, "What is a heron?");
  g_assert_cmpstr (heron_conversation_get_system_prompt (conv), ==, "You know birds.");
  msgs = heron_store_get_messages_sync (f->store, heron_conversation_get_id (conv), NULL,
                                        &error);
  g_assert_cmpuint (msgs->len, ==, 2);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[0]), ==,
                   "  What is a heron?\nAnswer briefly.");
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==, answer_text);
  g_assert_cmpstr (heron_message_get_reasoning (msgs->pdata[1]), ==, reasoning_text);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_COMPLETE);
  g_assert_cmpstr (heron_message_get_stats_json (msgs->pdata[1]), ==,
                   heron_message_get_stats_json (answer));

  req = heron_scripted_backend_get_last_request (f->backend);
  g_assert_cmpuint (req->messages->len, ==, 2);
  g_assert_cmpint (g_array_index (req->messages, HeronChatMessage, 0).role, ==,
                   HERON_ROLE_SYSTEM);
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 0).content, ==,
                   "You know birds.");
  g_assert_cmpint (req->session, ==, heron_conversation_get_id (conv));

  /* A follow-up sends the whole active path. */
  reset_stream (f);
  heron_turn_ask_async (f->turn, "And egrets?", NULL, turn_done, f);
  wait_turn (f);
  g_assert_true (f->ok);
  req = heron_scripted_backend_get_last_request (f->backend);
  g_assert_cmpuint (req->messages->len, ==, 4);
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 2).content, ==,
                   answer_text);
  g_assert_cmpint (g_array_index (req->messages, HeronChatMessage, 2).role, ==,
                   HERON_ROLE_ASSISTANT);
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 3).content, ==,
                   "And egrets?");
}

/* Long stream, short write interval: several streaming writes, each a prefix of what was
 * shown, never more writes than intervals elapsed (+1), and the final text complete. */
static void
test_throttled_writes (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) text = g_string_new ("");
  g_autoptr(HeronScriptedBackend) slow = NULL;
  g_autoptr(HeronTurn) turn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  const guint interval = 40;
  gint64 start, elapsed_ms;

  for (int i = 0; i < 60; i++)
    g_string_append_printf (text, "w%d 鹭 ", i);
  slow = heron_scripted_backend_new (text->str, 10, 3);     /* >= 60 * 10 ms */
  turn = heron_turn_new (f->store, HERON_BACKEND (slow));
  heron_turn_set_write_interval (turn, interval);
  g_signal_connect (turn, "delta", G_CALLBACK (on_delta), f);
  heron_turn_ask_async (turn, "Stream please", NULL, turn_done, f);
  /* Open the probe once the database has the conversation. */
  f->probe = test_raw_open (heron_store_get_path (f->store));
  start = g_get_monotonic_time ();
  wait_turn (f);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_true (f->ok);
  g_assert_cmpuint (f->n_probe_checks, >, 0);
  g_test_message ("%u writes in %" G_GINT64_FORMAT " ms, %u deltas",
                  heron_turn_get_n_writes (turn), elapsed_ms, f->n_deltas);
  /* The stream lasts at least 60 ticks of 10 ms: more than one write interval. */
  g_assert_cmpuint (heron_turn_get_n_writes (turn), >=, 1);
  g_assert_cmpuint (heron_turn_get_n_writes (turn), <=, elapsed_ms / interval + 1);
  g_assert_cmpuint (heron_turn_get_n_writes (turn), <, f->n_deltas);
  msgs = heron_store_get_messages_sync (f->store, heron_turn_get_conversation_id (turn), NULL,
                                        &error);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==, text->str);
}

static void
test_cancel_keeps_partial (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = NULL;

  f->cancel_after = 12;
  reset_stream (f);
  heron_turn_ask_async (f->turn, "Tell me", f->cancellable, turn_done, f);
  wait_turn (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->streamed->len, >, 0);
  g_assert_true (g_str_has_prefix (answer_text, f->streamed->str));
  g_assert_cmpuint (f->streamed->len, <, strlen (answer_text));
  msgs = heron_store_get_messages_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                        NULL, &error);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_CANCELLED);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==, f->streamed->str);
  g_assert_nonnull (strstr (heron_message_get_stats_json (msgs->pdata[1]), "cancelled"));
}

static void
test_error_keeps_partial (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = NULL;

  heron_scripted_backend_set_fail_after (f->backend, 20, "connection lost");
  reset_stream (f);
  heron_turn_ask_async (f->turn, "Tell me", NULL, turn_done, f);
  wait_turn (f);
  g_assert_false (f->ok);
  g_assert_error (f->error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION);
  msgs = heron_store_get_messages_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                        NULL, &error);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_ERROR);
  g_assert_cmpstr (heron_message_get_error (msgs->pdata[1]), ==, "connection lost");
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==, f->streamed->str);
  g_assert_cmpuint (f->streamed->len, >, 0);
}

static void
model_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (heron_conversation_model_load_finish (HERON_CONVERSATION_MODEL (source),
                                                       result, NULL));
  *(gboolean *) user_data = TRUE;
}

static const char *
item_text (HeronConversationModel *model, guint i)
{
  g_autoptr(HeronMessage) m = g_list_model_get_item (G_LIST_MODEL (model), i);

  return heron_message_get_content (m);
}

static void
test_regenerate_and_edit (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversationModel) model = heron_conversation_model_new (f->store, 0);
  g_autoptr(HeronConversationModel) reloaded = NULL;
  g_autoptr(GPtrArray) sib = NULL;
  gint64 first_answer, second_question;
  const HeronChatRequest *req;
  gboolean loaded = FALSE;

  heron_turn_set_model (f->turn, model);
  reset_stream (f);
  heron_turn_ask_async (f->turn, "Q1", NULL, turn_done, f);
  wait_turn (f);
  first_answer = heron_message_get_id (heron_turn_get_answer (f->turn));
  g_assert_cmpint (heron_conversation_model_get_conversation_id (model), ==,
                   heron_turn_get_conversation_id (f->turn));
  reset_stream (f);
  heron_turn_ask_async (f->turn, "Q2", NULL, turn_done, f);
  wait_turn (f);
  second_question = heron_message_get_id (heron_turn_get_question (f->turn));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);

  /* Regenerate the second answer: same question, a new sibling answer. */
  reset_stream (f);
  heron_turn_regenerate_async (f->turn, heron_message_get_id (heron_turn_get_answer (f->turn)),
                               NULL, turn_done, f);
  wait_turn (f);
  g_assert_no_error (f->error);
  g_assert_null (heron_turn_get_question (f->turn));
  req = heron_scripted_backend_get_last_request (f->backend);
  g_assert_cmpuint (req->messages->len, ==, 3);     /* Q1, A1, Q2 */
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 2).content, ==, "Q2");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  sib = heron_store_get_siblings_sync (f->store,
                                       heron_message_get_id (heron_turn_get_answer (f->turn)),
                                       NULL, &error);
  g_assert_cmpuint (sib->len, ==, 2);

  /* Edit the second question: the later turns are replaced. */
  reset_stream (f);
  heron_turn_edit_async (f->turn, second_question, "Q2 edited", NULL, turn_done, f);
  wait_turn (f);
  g_assert_no_error (f->error);
  req = heron_scripted_backend_get_last_request (f->backend);
  g_assert_cmpuint (req->messages->len, ==, 3);
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 2).content, ==,
                   "Q2 edited");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_cmpstr (item_text (model, 2), ==, "Q2 edited");

  /* The stored active path is what the model shows. */
  reloaded = heron_conversation_model_new (f->store, heron_turn_get_conversation_id (f->turn));
  heron_conversation_model_load_async (reloaded, NULL, model_loaded, &loaded);
  while (!loaded)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reloaded)), ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (item_text (reloaded, i), ==, item_text (model, i));

  /* Wrong targets are errors, not crashes. */
  reset_stream (f);
  heron_turn_edit_async (f->turn, first_answer, "x", NULL, turn_done, f);
  wait_turn (f);
  g_assert_error (f->error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED);
  g_clear_error (&f->error);
  reset_stream (f);
  heron_turn_regenerate_async (f->turn, 987654, NULL, turn_done, f);
  wait_turn (f);
  g_assert_error (f->error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
}

static void
test_busy_and_invalid (Fixture *f, gconstpointer data)
{
  reset_stream (f);
  heron_turn_ask_async (f->turn, "first", NULL, turn_done, f);
  {
    Fixture g = { 0 };
    reset_stream (f);
  heron_turn_ask_async (f->turn, "second", NULL, turn_done, &g);
    while (!g.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_error (g.error, G_IO_ERROR, G_IO_ERROR_PENDING);
    g_clear_error (&g.error);
  }
  wait_turn (f);
  g_assert_true (f->ok);
  reset_stream (f);
  heron_turn_ask_async (f->turn, "\xff\xfe bad", NULL, turn_done, f);
  wait_turn (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
chained_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (heron_turn_finish (HERON_TURN (source), result, NULL));
  g_assert_false (heron_turn_get_running (HERON_TURN (source)));
  /* The next question straight from the callback. */
  reset_stream (f);
  heron_turn_ask_async (HERON_TURN (source), "second", NULL, turn_done, f);
}

static void
test_chain_in_callback (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = NULL;

  heron_turn_ask_async (f->turn, "first", NULL, chained_done, f);
  wait_turn (f);
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  msgs = heron_store_get_messages_sync (f->store, heron_turn_get_conversation_id (f->turn),
                                        NULL, &error);
  g_assert_cmpuint (msgs->len, ==, 4);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[2]), ==, "second");
}

static void
test_build_request (void)
{
  g_autoptr(GPtrArray) history = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(HeronChatRequest) req = NULL;
  HeronMessage *failed = heron_message_new (HERON_ROLE_ASSISTANT, "");

  g_ptr_array_add (history, heron_message_new (HERON_ROLE_USER, "a"));
  heron_message_set_state (failed, HERON_MESSAGE_ERROR);
  g_ptr_array_add (history, failed);
  g_ptr_array_add (history, heron_message_new (HERON_ROLE_USER, "b"));
  req = heron_turn_build_request ("", history, "c", NULL);
  g_assert_cmpuint (req->messages->len, ==, 3);    /* no empty system, no empty answer */
  g_assert_cmpstr (g_array_index (req->messages, HeronChatMessage, 2).content, ==, "c");
}

static void
test_conversation_settings (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) conv = heron_store_create_conversation_sync (f->store, "S",
                                                                            NULL, NULL, NULL,
                                                                            &error);
  const HeronChatRequest *req;
  HeronSamplingParams p;

  g_assert_true (heron_store_set_conversation_settings_sync (f->store,
                   heron_conversation_get_id (conv), NULL, NULL,
                   "{\"temperature\": 0.25, \"top_k\": 7, \"seed\": 99, \"max_tokens\": 5,"
                   " \"enable_thinking\": false, \"unknown\": [1]}", NULL, NULL, &error));
  heron_turn_set_conversation_id (f->turn, heron_conversation_get_id (conv));
  /* What the turn is told explicitly wins over the stored settings. */
  heron_sampling_params_init (&p);
  p.top_k = 3;
  heron_turn_set_sampling (f->turn, &p);
  reset_stream (f);
  heron_turn_ask_async (f->turn, "q", NULL, turn_done, f);
  wait_turn (f);
  g_assert_true (f->ok);
  req = heron_scripted_backend_get_last_request (f->backend);
  g_assert_cmpfloat_with_epsilon (req->params.temperature, 0.25, 1e-6);
  g_assert_cmpint (req->params.top_k, ==, 3);
  g_assert_cmpuint (req->params.seed, ==, 99);
  g_assert_cmpint (req->params.max_tokens, ==, 5);
  g_assert_false (req->params.enable_thinking);
  g_assert_cmpfloat (req->params.top_p, <, 0);
}

static void
test_stats_json (void)
{
  HeronChatStats s = { (char *) "tiny", 30, 12, 40, 512.0, 3.0, 1000.0, 40.0,
                       HERON_STOP_CANCELLED };
  g_autofree char *json = heron_chat_stats_to_json (&s);
  g_autoptr(HeronChatStats) back = heron_chat_stats_new_from_json (json);
  g_autofree char *line = heron_chat_stats_format (back);

  g_assert_nonnull (back);
  g_assert_cmpstr (back->model, ==, "tiny");
  g_assert_cmpint (back->prompt_tokens, ==, 30);
  g_assert_cmpint (back->cached_tokens, ==, 12);
  g_assert_cmpint (back->completion_tokens, ==, 40);
  g_assert_cmpfloat_with_epsilon (back->tokens_per_second, 40.0, 1e-9);
  g_assert_cmpint (back->stop, ==, HERON_STOP_CANCELLED);
  g_assert_cmpstr (line, ==, "tiny · 0.5 s to first token · 40.0 tokens/s");
  g_assert_null (heron_chat_stats_new_from_json ("[1, 2"));
  g_assert_null (heron_chat_stats_new_from_json (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) \
  g_test_add ("/heron/assist/turn/" name, Fixture, NULL, setup, func, teardown)
  ADD ("ask-new", test_ask_new);
  ADD ("throttled-writes", test_throttled_writes);
  ADD ("cancel-keeps-partial", test_cancel_keeps_partial);
  ADD ("error-keeps-partial", test_error_keeps_partial);
  ADD ("regenerate-and-edit", test_regenerate_and_edit);
  ADD ("busy-and-invalid", test_busy_and_invalid);
  ADD ("conversation-settings", test_conversation_settings);
  ADD ("chain-in-callback", test_chain_in_callback);
  g_test_add_func ("/heron/assist/turn/stats-json", test_stats_json);
  g_test_add_func ("/heron/assist/turn/build-request", test_build_request);
  return g_test_run ();
}
