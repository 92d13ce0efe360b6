/* test-title.c: titles written by the model (heron-title.c): cleaning what a model writes,
 * the request (conversation, then the instruction in the question's language), and the
 * generation against the scripted backend and a real store: stored when the conversation
 * still has its question's title, kept when the user renamed it, when the model wrote
 * nothing usable, or when it was cancelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-scripted-backend.h"
#include "heron-title.h"
#include "heron-turn.h"
#include "../store/store-test-util.h"

static void
check_clean (const char *raw, const char *question, const char *expected)
{
  g_autofree char *got = heron_title_clean (raw, question);

  if (g_strcmp0 (got, expected) != 0)
    g_error ("clean (\"%s\"): got \"%s\", expected \"%s\"", raw, got ? got : "(null)",
             expected ? expected : "(null)");
}

static void
test_clean (void)
{
  const char *en = "Where do grey herons spend the winter?";
  const char *zh = "苍鹭冬天在哪里过冬？";

  check_clean ("Grey Herons in Winter", en, "Grey Herons in Winter");
  check_clean ("<think>The user asks about herons.</think>\n\"Grey Herons in Winter.\"", en,
               "Grey Herons in Winter");
  check_clean ("Title: **Grey Heron Winter Range**", en, "Grey Heron Winter Range");
  check_clean ("# Winter Homes of Herons\nA longer explanation follows.", en,
               "Winter Homes of Herons");
  check_clean ("\n\n  “Where Herons Winter”!  \n", en, "Where Herons Winter");
  check_clean ("  Herons   and\tthe   cold  ", en, "Herons and the cold");
  check_clean ("Herons\x7f and\x0c egrets", en, "Herons and egrets");
  check_clean ("<thi`nk>hidden`</think>Shown", en, "Shown");
  check_clean ("the model reasoned here</think>Heron Migration?", en, "Heron Migration");
  check_clean ("'Heron facts'...", en, "Heron facts");
  check_clean ("A heron is a *bird*.", en, "A heron is a bird");
  check_clean ("The `grep` **Command**", en, "The grep Command");
  check_clean ("C++ Templates", "How do C++ templates work?", "C++ Templates");
  /* Nothing usable: the question's title stays. */
  check_clean ("", en, NULL);
  check_clean ("<think>still thinking when the tokens ran out", en, NULL);
  check_clean ("\"\"...\n**", en, NULL);
  check_clean (NULL, en, NULL);
  /* Chinese questions get Chinese titles. */
  check_clean ("“苍鹭的越冬地”。", zh, "苍鹭的越冬地");
  check_clean ("标题：苍鹭过冬", zh, "苍鹭过冬");
  check_clean ("《苍鹭在哪里过冬》", zh, "苍鹭在哪里过冬");
  check_clean ("Where Herons Winter", zh, NULL);
  /* A title in Chinese for an English question is the model's choice; kept. */
  check_clean ("苍鹭", en, "苍鹭");

  /* Too long: cut at a word, "…" at the end, at most HERON_TITLE_MAX_CHARS characters. */
  {
    g_autofree char *t = heron_title_clean ("A very long title that goes on and on about "
                                            "herons and egrets and storks and cranes and "
                                            "every other wading bird", en);

    g_assert_nonnull (t);
    g_assert_true (g_str_has_suffix (t, "…"));
    g_assert_cmpint (g_utf8_strlen (t, -1), <=, HERON_TITLE_MAX_CHARS);
    g_assert_true (g_str_has_prefix (t, "A very long title that goes on and on about herons"));
    g_assert_false (g_str_has_suffix (t, " …"));
  }
  /* Bytes that are not UTF-8 make no title (what was meant cannot be known). */
  check_clean ("Heron \xff\xfe Notes", en, NULL);
  /* The script is checked on what is kept: Chinese only after the cut is not enough. */
  {
    g_autoptr(GString) raw = g_string_new ("");

    for (guint i = 0; i < 70; i++)
      g_string_append (raw, "x ");
    g_string_append (raw, "苍鹭");
    check_clean (raw->str, zh, NULL);
  }
  g_assert_true (heron_title_has_cjk ("ja: さぎ"));
  g_assert_true (heron_title_has_cjk ("한국어"));
  g_assert_false (heron_title_has_cjk ("Ærø café"));
}

static HeronMessage *
msg (HeronRole role, const char *text)
{
  return heron_message_new (role, text);
}

static void
test_request (void)
{
  g_autoptr(GPtrArray) history = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(HeronChatRequest) req = NULL;
  g_autoptr(HeronChatRequest) zh_req = NULL;
  HeronChatMessage *m;

  g_ptr_array_add (history, msg (HERON_ROLE_USER, "What is a heron?"));
  g_ptr_array_add (history, msg (HERON_ROLE_ASSISTANT, "A wading bird."));
  req = heron_title_build_request ("Be brief.", history, 7);
  g_assert_cmpuint (req->messages->len, ==, 4);
  m = &g_array_index (req->messages, HeronChatMessage, 0);
  g_assert_cmpint (m->role, ==, HERON_ROLE_SYSTEM);
  g_assert_cmpstr (m->content, ==, "Be brief.");
  m = &g_array_index (req->messages, HeronChatMessage, 1);
  g_assert_cmpint (m->role, ==, HERON_ROLE_USER);
  g_assert_cmpstr (m->content, ==, "What is a heron?");
  m = &g_array_index (req->messages, HeronChatMessage, 2);
  g_assert_cmpint (m->role, ==, HERON_ROLE_ASSISTANT);
  m = &g_array_index (req->messages, HeronChatMessage, 3);
  g_assert_cmpint (m->role, ==, HERON_ROLE_USER);
  g_assert_cmpstr (m->content, ==, heron_title_instruction ("What is a heron?"));
  g_assert_nonnull (strstr (m->content, "3 to 6 words"));
  g_assert_cmpfloat (req->params.temperature, ==, 0);
  g_assert_cmpint (req->params.max_tokens, ==, HERON_TITLE_MAX_TOKENS);
  g_assert_false (req->params.enable_thinking);
  g_assert_cmpint (req->session, ==, 7);

  /* A Chinese question: the instruction is Chinese; no system prompt: none sent. */
  g_ptr_array_set_size (history, 0);
  g_ptr_array_add (history, msg (HERON_ROLE_USER, "什么是苍鹭？"));
  g_ptr_array_add (history, msg (HERON_ROLE_ASSISTANT, "一种涉禽。"));
  zh_req = heron_title_build_request (NULL, history, 0);
  g_assert_cmpuint (zh_req->messages->len, ==, 3);
  m = &g_array_index (zh_req->messages, HeronChatMessage, 2);
  g_assert_true (heron_title_has_cjk (m->content));
}

/* ---- generation against a store -------------------------------------------------------- */

typedef struct
{
  char         *dir;
  HeronStore   *store;
  gint64        conversation_id;
  GPtrArray    *history;
  GMainLoop    *loop;
  char         *title;
  GError       *error;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  const char *question = data != NULL ? data : "Where do grey herons spend the winter?";
  g_autoptr(GError) error = NULL;
  g_autofree char *qtitle = heron_conversation_make_title (question, HERON_TURN_TITLE_CHARS);
  g_autoptr(HeronConversation) c = NULL;
  HeronMessage *q, *a;

  f->dir = test_make_tmp_dir ();
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  c = heron_store_create_conversation_sync (f->store, qtitle, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->conversation_id = heron_conversation_get_id (c);
  f->history = g_ptr_array_new_with_free_func (g_object_unref);
  q = msg (HERON_ROLE_USER, question);
  heron_message_set_conversation_id (q, f->conversation_id);
  heron_store_add_message_sync (f->store, q, NULL, &error);
  a = msg (HERON_ROLE_ASSISTANT, "Around the Mediterranean and in Africa.");
  heron_message_set_conversation_id (a, f->conversation_id);
  heron_message_set_parent_id (a, heron_message_get_id (q));
  heron_store_add_message_sync (f->store, a, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->history, q);
  g_ptr_array_add (f->history, a);
  f->loop = g_main_loop_new (NULL, FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->history, g_ptr_array_unref);
  g_clear_object (&f->store);
  g_clear_pointer (&f->loop, g_main_loop_unref);
  g_clear_pointer (&f->title, g_free);
  g_clear_error (&f->error);
  test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
generated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  f->title = heron_title_generate_finish (result, &f->error);
  g_main_loop_quit (f->loop);
}

static void
generate (Fixture *f, HeronScriptedBackend *backend, GCancellable *cancellable)
{
  heron_title_generate_async (HERON_BACKEND (backend), f->store, f->conversation_id,
                              "Be brief.", f->history, cancellable, generated_cb, f);
  g_main_loop_run (f->loop);
}

static char *
stored_title (Fixture *f)
{
  g_autoptr(HeronConversation) c = heron_store_get_conversation_sync (f->store,
                                                                      f->conversation_id,
                                                                      NULL, NULL);
  return g_strdup (heron_conversation_get_title (c));
}

static void
test_generate_stored (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronScriptedBackend) backend = heron_scripted_backend_new (
    "<think>A title about herons.</think>\"Where Herons Winter.\"", 1, 3);
  g_autofree char *title = NULL;
  const HeronChatRequest *req;

  generate (f, backend, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->title, ==, "Where Herons Winter");
  title = stored_title (f);
  g_assert_cmpstr (title, ==, "Where Herons Winter");
  /* The backend saw the conversation, then the instruction, with the title's limits. */
  req = heron_scripted_backend_get_last_request (backend);
  g_assert_cmpuint (req->messages->len, ==, 4);
  g_assert_cmpint (req->params.max_tokens, ==, HERON_TITLE_MAX_TOKENS);
  g_assert_cmpint (req->session, ==, f->conversation_id);
}

static void
test_generate_chinese (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronScriptedBackend) english = heron_scripted_backend_new ("Herons in Winter", 1,
                                                                        4);
  g_autoptr(HeronScriptedBackend) chinese = heron_scripted_backend_new ("苍鹭的越冬地。", 1, 2);
  g_autofree char *kept = NULL, *title = NULL;

  /* An English title for a Chinese question is refused; the question's title stays. */
  generate (f, english, NULL);
  g_assert_error (f->error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED);
  g_clear_error (&f->error);
  kept = stored_title (f);
  g_assert_cmpstr (kept, ==, "苍鹭冬天在哪里过冬？");
  generate (f, chinese, NULL);
  g_assert_no_error (f->error);
  title = stored_title (f);
  g_assert_cmpstr (title, ==, "苍鹭的越冬地");
}

static void
test_generate_renamed (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronScriptedBackend) backend = heron_scripted_backend_new ("Heron Winters", 1, 4);
  g_autofree char *title = NULL;

  g_assert_true (heron_store_rename_conversation_sync (f->store, f->conversation_id,
                                                       "My herons", NULL, NULL));
  generate (f, backend, NULL);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_null (f->title);
  title = stored_title (f);
  g_assert_cmpstr (title, ==, "My herons");
}

static void
test_generate_unusable_or_failed (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronScriptedBackend) empty = heron_scripted_backend_new ("<think>hmm", 1, 4);
  g_autoptr(HeronScriptedBackend) failing = heron_scripted_backend_new ("Heron Winters", 1, 2);
  g_autofree char *a = NULL, *b = NULL;

  generate (f, empty, NULL);
  g_assert_error (f->error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED);
  g_clear_error (&f->error);
  a = stored_title (f);
  g_assert_cmpstr (a, ==, "Where do grey herons spend the winter?");

  heron_scripted_backend_set_fail_after (failing, 2, "the server went away");
  generate (f, failing, NULL);
  g_assert_nonnull (f->error);
  g_assert_null (f->title);
  b = stored_title (f);
  g_assert_cmpstr (b, ==, "Where do grey herons spend the winter?");
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_generate_cancelled (Fixture *f, gconstpointer data)
{
  /* A second per character: still streaming whenever the cancel comes. */
  g_autoptr(HeronScriptedBackend) slow = heron_scripted_backend_new ("Where Herons Winter",
                                                                     1000, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *title = NULL;

  g_timeout_add (30, cancel_cb, cancellable);
  generate (f, slow, cancellable);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  title = stored_title (f);
  g_assert_cmpstr (title, ==, "Where do grey herons spend the winter?");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/assist/title/clean", test_clean);
  g_test_add_func ("/heron/assist/title/request", test_request);
#define ADD(name, func, question) \
  g_test_add ("/heron/assist/title/" name, Fixture, question, setup, func, teardown)
  ADD ("generate-stored", test_generate_stored, NULL);
  ADD ("generate-chinese", test_generate_chinese, "苍鹭冬天在哪里过冬？");
  ADD ("generate-renamed", test_generate_renamed, NULL);
  ADD ("generate-unusable-or-failed", test_generate_unusable_or_failed, NULL);
  ADD ("generate-cancelled", test_generate_cancelled, NULL);
  return g_test_run ();
}
