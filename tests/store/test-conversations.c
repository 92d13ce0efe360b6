/* test-conversations.c: conversations and messages: create, list order, rename, pin,
 * delete with undo, branches (edit/regenerate keep alternatives), streaming writes and
 * finish, crash marking, the GListModels and the Markdown/JSON exports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "heron-store.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-export.h"
#include "heron-search.h"
#include "heron-conversation-model.h"
#include "store-test-util.h"

typedef struct
{
  char       *dir;
  HeronStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = test_make_tmp_dir ();
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  test_rm_rf (f->dir);
  g_free (f->dir);
}

static HeronMessage *
add (Fixture *f, gint64 conv, gint64 parent, HeronRole role, const char *text)
{
  g_autoptr(GError) error = NULL;
  HeronMessage *m = heron_message_new (role, text);

  heron_message_set_conversation_id (m, conv);
  heron_message_set_parent_id (m, parent);
  g_assert_cmpint (heron_store_add_message_sync (f->store, m, NULL, &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (heron_message_get_id (m), >, 0);
  return m;
}

static void
assert_path (Fixture *f, gint64 conv, const char *const *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = heron_store_get_messages_sync (f->store, conv, NULL, &error);
  guint n = g_strv_length ((char **) expected);

  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (heron_message_get_content (msgs->pdata[i]), ==, expected[i]);
}

static void
test_crud_and_order (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) a = heron_store_create_conversation_sync (f->store, "A", NULL,
                                                                         NULL, NULL, &error);
  g_autoptr(HeronConversation) b = heron_store_create_conversation_sync (f->store, "B",
                                                                         "Be brief.", "tiny",
                                                                         NULL, &error);
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store, "C", NULL,
                                                                         NULL, NULL, &error);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(HeronConversation) got = NULL;
  g_autoptr(HeronMessage) m = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (heron_conversation_get_system_prompt (b), ==, "Be brief.");
  g_assert_cmpstr (heron_conversation_get_model (b), ==, "tiny");
  g_assert_cmpstr (heron_conversation_get_web_mode (b), ==, "auto");

  /* Activity in A moves it to the top; pinning C puts C above everything. */
  g_usleep (2000);
  m = add (f, heron_conversation_get_id (a), 0, HERON_ROLE_USER, "hello");
  list = heron_store_list_conversations_sync (f->store, NULL, &error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (heron_conversation_get_title (list->pdata[0]), ==, "A");
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (heron_store_pin_conversation_sync (f->store, heron_conversation_get_id (c),
                                                    TRUE, NULL, &error));
  g_assert_true (heron_store_rename_conversation_sync (f->store, heron_conversation_get_id (b),
                                                       "Bee", NULL, &error));
  list = heron_store_list_conversations_sync (f->store, NULL, &error);
  g_assert_cmpstr (heron_conversation_get_title (list->pdata[0]), ==, "C");
  g_assert_true (heron_conversation_get_pinned (list->pdata[0]));
  g_assert_cmpstr (heron_conversation_get_title (list->pdata[1]), ==, "A");
  g_assert_cmpstr (heron_conversation_get_title (list->pdata[2]), ==, "Bee");
  g_assert_cmpint (heron_conversation_get_section (list->pdata[0], heron_store_now_ms ()), ==,
                   HERON_SECTION_PINNED);
  g_assert_cmpint (heron_conversation_get_section (list->pdata[1], heron_store_now_ms ()), ==,
                   HERON_SECTION_TODAY);
  g_assert_cmpint (heron_conversation_get_section (list->pdata[1],
                                                   heron_store_now_ms () + 86400000LL), ==,
                   HERON_SECTION_YESTERDAY);
  g_assert_cmpint (heron_conversation_get_section (list->pdata[1],
                                                   heron_store_now_ms () + 3 * 86400000LL), ==,
                   HERON_SECTION_EARLIER);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (heron_store_set_conversation_settings_sync (f->store,
                   heron_conversation_get_id (a), "Sys", NULL, "{\"temperature\":0.2}", "off",
                   NULL, &error));
  got = heron_store_get_conversation_sync (f->store, heron_conversation_get_id (a), NULL,
                                           &error);
  g_assert_cmpstr (heron_conversation_get_system_prompt (got), ==, "Sys");
  g_assert_cmpstr (heron_conversation_get_settings_json (got), ==, "{\"temperature\":0.2}");
  g_assert_cmpstr (heron_conversation_get_web_mode (got), ==, "off");
  g_clear_object (&got);

  /* Stale ids are errors. */
  g_assert_false (heron_store_rename_conversation_sync (f->store, 9999, "x", NULL, &error));
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
}

static void
test_delete_undo (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) a = heron_store_create_conversation_sync (f->store, "A", NULL,
                                                                         NULL, NULL, &error);
  gint64 id = heron_conversation_get_id (a);
  g_autoptr(HeronMessage) m1 = add (f, id, 0, HERON_ROLE_USER, "question");
  g_autoptr(HeronMessage) m2 = add (f, id, heron_message_get_id (m1), HERON_ROLE_ASSISTANT,
                                    "answer");
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *path = g_strdup (heron_store_get_path (f->store));
  sqlite3 *raw;

  g_assert_true (heron_store_delete_conversation_sync (f->store, id, NULL, &error));
  list = heron_store_list_conversations_sync (f->store, NULL, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_null (heron_store_get_conversation_sync (f->store, id, NULL, &error));
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Undo brings back the conversation and its messages. */
  g_assert_true (heron_store_undelete_conversation_sync (f->store, id, NULL, &error));
  list = heron_store_list_conversations_sync (f->store, NULL, &error);
  g_assert_cmpuint (list->len, ==, 1);
  assert_path (f, id, (const char *[]) { "question", "answer", NULL });

  /* Delete + purge removes the messages too (ON DELETE CASCADE). */
  g_assert_true (heron_store_delete_conversation_sync (f->store, id, NULL, &error));
  g_assert_true (heron_store_purge_deleted_sync (f->store, NULL, &error));
  g_assert_no_error (error);
  heron_store_close (f->store);
  raw = test_raw_open (path);
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM messages"), ==, 0);
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM conversations"), ==, 0);
  sqlite3_close (raw);
}

/* A deletion that was never undone is purged at the next open. */
static void
test_delete_purged_on_open (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) a = heron_store_create_conversation_sync (f->store, "A", NULL,
                                                                         NULL, NULL, &error);
  g_autoptr(GPtrArray) list = NULL;

  g_assert_true (heron_store_delete_conversation_sync (f->store, heron_conversation_get_id (a),
                                                       NULL, &error));
  g_clear_object (&f->store);
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (heron_store_undelete_conversation_sync (f->store,
                                                          heron_conversation_get_id (a),
                                                          NULL, &error));
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
}

static void
test_branches (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store, "", NULL,
                                                                         NULL, NULL, &error);
  gint64 id = heron_conversation_get_id (c);
  g_autoptr(HeronMessage) u1 = add (f, id, 0, HERON_ROLE_USER, "u1");
  g_autoptr(HeronMessage) a1 = add (f, id, heron_message_get_id (u1), HERON_ROLE_ASSISTANT,
                                    "a1");
  g_autoptr(HeronMessage) u2 = add (f, id, heron_message_get_id (a1), HERON_ROLE_USER, "u2");
  g_autoptr(HeronMessage) a2 = add (f, id, heron_message_get_id (u2), HERON_ROLE_ASSISTANT,
                                    "a2");
  g_autoptr(HeronMessage) a2b = NULL, u2b = NULL, a2c = NULL;
  g_autoptr(GPtrArray) sib = NULL;
  g_autoptr(GPtrArray) path = NULL;

  assert_path (f, id, (const char *[]) { "u1", "a1", "u2", "a2", NULL });
  /* Regenerate: a sibling of a2. */
  a2b = add (f, id, heron_message_get_id (u2), HERON_ROLE_ASSISTANT, "a2b");
  assert_path (f, id, (const char *[]) { "u1", "a1", "u2", "a2b", NULL });
  /* Edit u2 and resend: a sibling of u2 with its own answer. */
  u2b = add (f, id, heron_message_get_id (a1), HERON_ROLE_USER, "u2 edited");
  assert_path (f, id, (const char *[]) { "u1", "a1", "u2 edited", NULL });
  a2c = add (f, id, heron_message_get_id (u2b), HERON_ROLE_ASSISTANT, "a2c");
  assert_path (f, id, (const char *[]) { "u1", "a1", "u2 edited", "a2c", NULL });

  /* The old branch stays as an alternative. */
  sib = heron_store_get_siblings_sync (f->store, heron_message_get_id (u2), NULL, &error);
  g_assert_cmpuint (sib->len, ==, 2);
  g_assert_cmpstr (heron_message_get_content (sib->pdata[0]), ==, "u2");
  path = heron_store_get_path_sync (f->store, heron_message_get_id (a2b), NULL, &error);
  g_assert_cmpuint (path->len, ==, 4);
  g_assert_cmpstr (heron_message_get_content (path->pdata[0]), ==, "u1");
  g_assert_cmpstr (heron_message_get_content (path->pdata[3]), ==, "a2b");

  /* Any message can be fetched, on the path or not; sources are stored as given. */
  {
    g_autoptr(HeronMessage) old_branch = heron_store_get_message_sync (f->store,
                                           heron_message_get_id (a2), NULL, &error);
    g_autoptr(HeronMessage) got = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (heron_message_get_content (old_branch), ==, "a2");
    g_assert_true (heron_store_set_message_sources_sync (f->store, heron_message_get_id (a2c),
                                                         "[{\"n\":1}]", NULL, &error));
    got = heron_store_get_message_sync (f->store, heron_message_get_id (a2c), NULL, &error);
    g_assert_cmpstr (heron_message_get_sources_json (got), ==, "[{\"n\":1}]");
    g_assert_null (heron_store_get_message_sync (f->store, 99999, NULL, &error));
    g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* Deleting a message in the middle keeps its descendants on the path. */
  g_assert_true (heron_store_delete_message_sync (f->store, heron_message_get_id (a1), NULL,
                                                  &error));
  assert_path (f, id, (const char *[]) { "u1", "u2 edited", "a2c", NULL });
}

static void
test_streaming_and_recovery (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store, "", NULL,
                                                                         NULL, NULL, &error);
  gint64 id = heron_conversation_get_id (c);
  g_autoptr(HeronMessage) u = add (f, id, 0, HERON_ROLE_USER, "Tell me about herons");
  g_autoptr(HeronMessage) a = heron_message_new (HERON_ROLE_ASSISTANT, "");
  g_autoptr(HeronMessage) b = heron_message_new (HERON_ROLE_ASSISTANT, "");
  g_autoptr(GPtrArray) msgs = NULL;
  g_autofree char *path = g_strdup (heron_store_get_path (f->store));
  g_autofree char *stats = NULL;
  sqlite3 *raw;

  heron_message_set_conversation_id (a, id);
  heron_message_set_parent_id (a, heron_message_get_id (u));
  heron_message_set_state (a, HERON_MESSAGE_STREAMING);
  heron_message_set_model (a, "tiny");
  g_assert_cmpint (heron_store_add_message_sync (f->store, a, NULL, &error), >, 0);
  g_assert_true (heron_store_update_message_sync (f->store, heron_message_get_id (a),
                                                  "Herons are", "thinking", NULL, &error));
  /* Another connection (as after a crash) sees the partial text. */
  raw = test_raw_open (path);
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM messages "
                                      "WHERE state = 'streaming' AND content = 'Herons are'"),
                   ==, 1);
  /* A streaming message is not in the index yet... */
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM messages_fts "
                                      "WHERE messages_fts MATCH 'Herons are'"), ==, 0);
  sqlite3_close (raw);
  /* ...nor found by the short-query scan ("re" only occurs in the answer). */
  {
    g_autoptr(GPtrArray) hits = heron_store_search_sync (f->store, "re", 0, NULL, &error);
    g_assert_cmpuint (hits->len, ==, 0);
  }

  g_assert_true (heron_store_finish_message_sync (f->store, heron_message_get_id (a),
                                                  "Herons are birds.", "thinking",
                                                  HERON_MESSAGE_COMPLETE, NULL,
                                                  "{\"completion_tokens\":4}", NULL, &error));
  raw = test_raw_open (path);
  /* ...and is once it is finished. */
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM messages_fts "
                                      "WHERE messages_fts MATCH 'birds'"), ==, 1);
  stats = test_raw_text (raw, "SELECT stats_json FROM messages WHERE state = 'complete' "
                              "AND role = 'assistant'");
  g_assert_cmpstr (stats, ==, "{\"completion_tokens\":4}");
  {
    g_autoptr(GPtrArray) hits = heron_store_search_sync (f->store, "re", 0, NULL, &error);
    g_assert_cmpuint (hits->len, ==, 1);
  }
  {
    g_autofree char *check = test_raw_text (raw, "PRAGMA integrity_check");
    g_assert_cmpstr (check, ==, "ok");
  }
  sqlite3_close (raw);

  /* A second answer left streaming by a "crash" is marked interrupted on the next open and
   * keeps its text. */
  heron_message_set_conversation_id (b, id);
  heron_message_set_parent_id (b, heron_message_get_id (u));
  heron_message_set_state (b, HERON_MESSAGE_STREAMING);
  heron_store_add_message_sync (f->store, b, NULL, &error);
  heron_store_update_message_sync (f->store, heron_message_get_id (b), "Partial answ", NULL,
                                   NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&f->store);
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (heron_store_get_n_recovered (f->store), ==, 1);
  msgs = heron_store_get_messages_sync (f->store, id, NULL, &error);
  g_assert_cmpuint (msgs->len, ==, 2);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[1]), ==, "Partial answ");
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_INTERRUPTED);
  raw = test_raw_open (path);
  /* Interrupted answers are searchable. */
  g_assert_cmpint (test_raw_int (raw, "SELECT count(*) FROM messages_fts "
                                      "WHERE messages_fts MATCH 'answ'"), ==, 1);
  sqlite3_close (raw);
}

static void
load_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (heron_conversation_model_load_finish (HERON_CONVERSATION_MODEL (source),
                                                       result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
reload_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (heron_conversation_list_reload_finish (HERON_CONVERSATION_LIST (source),
                                                        result, &error));
  *(gboolean *) user_data = TRUE;
}

static void
count_changes (GListModel *model, guint pos, guint removed, guint added, gpointer user_data)
{
  (*(int *) user_data)++;
}

static void
test_list_models (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store, "T", NULL,
                                                                         NULL, NULL, &error);
  gint64 id = heron_conversation_get_id (c);
  g_autoptr(HeronMessage) u = add (f, id, 0, HERON_ROLE_USER, "q");
  g_autoptr(HeronMessage) a = add (f, id, heron_message_get_id (u), HERON_ROLE_ASSISTANT, "a");
  g_autoptr(HeronConversationModel) model = heron_conversation_model_new (f->store, id);
  g_autoptr(HeronConversationList) list = heron_conversation_list_new (f->store);
  g_autoptr(HeronMessage) item = NULL;
  g_autoptr(HeronMessage) extra = heron_message_new (HERON_ROLE_USER, "more");
  gboolean done = FALSE;
  int changes = 0;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == HERON_TYPE_MESSAGE);
  g_signal_connect (model, "items-changed", G_CALLBACK (count_changes), &changes);
  heron_conversation_model_load_async (model, NULL, load_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);
  g_assert_cmpint (changes, ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpstr (heron_message_get_content (item), ==, "a");
  g_assert_cmpint (heron_conversation_model_find (model, heron_message_get_id (u)), ==, 0);
  heron_conversation_model_append (model, extra);
  g_assert_true (heron_conversation_model_peek_last (model) == extra);
  heron_conversation_model_truncate (model, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 1));

  done = FALSE;
  heron_conversation_list_reload_async (list, NULL, reload_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpint (heron_conversation_list_find (list, id), ==, 0);
}

static void
on_changed (HeronStore *store, gint64 id, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, id);
}

/* The sidebar list follows writes made anywhere (sync calls from this thread too). */
static void
test_list_follows_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) a = heron_store_create_conversation_sync (f->store, "A", NULL,
                                                                         NULL, NULL, &error);
  g_autoptr(HeronConversation) b = heron_store_create_conversation_sync (f->store, "B", NULL,
                                                                         NULL, NULL, &error);
  g_autoptr(HeronConversationList) list = heron_conversation_list_new (f->store);
  g_autoptr(HeronConversation) first = NULL, second = NULL, again = NULL;
  g_autoptr(HeronConversation) c = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean done = FALSE;
  int changes = 0;

  g_signal_connect (f->store, "conversation-changed", G_CALLBACK (on_changed), ids);
  heron_conversation_list_reload_async (list, NULL, reload_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  second = g_list_model_get_item (G_LIST_MODEL (list), 1);
  g_assert_cmpstr (heron_conversation_get_title (first), ==, "B");
  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes), &changes);

  /* A rename updates the same object, without items-changed. */
  heron_store_rename_conversation_sync (f->store, heron_conversation_get_id (a), "A2", NULL,
                                        &error);
  while (g_strcmp0 (heron_conversation_get_title (second), "A2") != 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (changes, ==, 0);
  g_assert_cmpuint (ids->len, >=, 1);
  g_assert_cmpint (g_array_index (ids, gint64, ids->len - 1), ==,
                   heron_conversation_get_id (a));

  /* Pinning A moves it to the top: same objects, new order. */
  heron_store_pin_conversation_sync (f->store, heron_conversation_get_id (a), TRUE, NULL,
                                     &error);
  while (changes == 0)
    g_main_context_iteration (NULL, TRUE);
  again = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_true (again == second);
  g_assert_true (heron_conversation_get_pinned (again));

  /* A new conversation appears; a deleted one goes. */
  c = heron_store_create_conversation_sync (f->store, "C", NULL, NULL, NULL, &error);
  while (g_list_model_get_n_items (G_LIST_MODEL (list)) != 3)
    g_main_context_iteration (NULL, TRUE);
  heron_store_delete_conversation_sync (f->store, heron_conversation_get_id (b), NULL, &error);
  while (heron_conversation_list_find (list, heron_conversation_get_id (b)) >= 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  g_signal_handlers_disconnect_by_func (f->store, on_changed, ids);
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store,
                                     "Herons & <egrets>", "You are terse.", NULL, NULL,
                                     &error);
  gint64 id = heron_conversation_get_id (c);
  g_autoptr(HeronMessage) u = add (f, id, 0, HERON_ROLE_USER, "What do herons eat?");
  g_autoptr(HeronMessage) a = heron_message_new (HERON_ROLE_ASSISTANT, "");
  g_autofree char *md = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *m1;
  JsonArray *messages;

  heron_message_set_conversation_id (a, id);
  heron_message_set_parent_id (a, heron_message_get_id (u));
  heron_message_set_state (a, HERON_MESSAGE_STREAMING);
  heron_store_add_message_sync (f->store, a, NULL, &error);
  heron_store_finish_message_sync (f->store, heron_message_get_id (a), "Fish, \"frogs\"\n- 鱼",
                                   "They hunt.\nIn water.", HERON_MESSAGE_CANCELLED, NULL,
                                   "{\"completion_tokens\":7,\"stop\":\"cancelled\"}", NULL,
                                   &error);
  g_assert_no_error (error);

  md = heron_store_export_sync (f->store, id, HERON_EXPORT_MARKDOWN, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (md, "# Herons & <egrets>\n\n"));
  g_assert_nonnull (strstr (md, "## System\n\nYou are terse.\n\n"));
  g_assert_nonnull (strstr (md, "## You\n\nWhat do herons eat?\n\n"));
  g_assert_nonnull (strstr (md, "> They hunt.\n> In water.\n"));
  g_assert_nonnull (strstr (md, "Fish, \"frogs\"\n- 鱼\n\n*(stopped)*"));
  g_assert_true (strstr (md, "## You") < strstr (md, "## Assistant"));

  json = heron_store_export_sync (f->store, id, HERON_EXPORT_JSON, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "heron-conversation");
  g_assert_cmpstr (json_object_get_string_member (root, "title"), ==, "Herons & <egrets>");
  g_assert_cmpstr (json_object_get_string_member (root, "system_prompt"), ==,
                   "You are terse.");
  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  m1 = json_array_get_object_element (messages, 1);
  g_assert_cmpstr (json_object_get_string_member (m1, "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (m1, "content"), ==, "Fish, \"frogs\"\n- 鱼");
  g_assert_cmpstr (json_object_get_string_member (m1, "reasoning"), ==, "They hunt.\nIn water.");
  g_assert_cmpstr (json_object_get_string_member (m1, "state"), ==, "cancelled");
  g_assert_cmpint (json_object_get_int_member (m1, "parent_id"), ==, heron_message_get_id (u));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (m1, "stats"),
                                               "completion_tokens"), ==, 7);
  g_assert_true (json_object_get_null_member (json_array_get_object_element (messages, 0),
                                              "parent_id"));

  g_clear_pointer (&md, g_free);
  md = heron_store_export_sync (f->store, 424242, HERON_EXPORT_MARKDOWN, NULL, &error);
  g_assert_null (md);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
}

static void
test_make_title (void)
{
  struct { const char *in; guint max; const char *out; } cases[] = {
    { "  \n  What is a heron?\nsecond line", 50, "What is a heron?" },
    { "a\t\tb   c", 50, "a b c" },
    { "one two three four five six seven eight", 20, "one two three four…" },
    { "深度学习是什么？请详细解释一下它的原理和应用场景", 10, "深度学习是什么？请…" },
    { "", 50, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = heron_conversation_make_title (cases[i].in, cases[i].max);
      g_assert_cmpstr (t, ==, cases[i].out);
      g_assert_cmpint (g_utf8_strlen (t, -1), <=, cases[i].max);
    }
}

/* Switching between alternatives: the shown branch, the place of each message among its
 * siblings, the path under a switched-to message as it was, and new messages winning. */
static void
assert_branch (Fixture *f, gint64 conv, guint pos, gint64 index, gint64 count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = heron_store_get_messages_sync (f->store, conv, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (pos, <, msgs->len);
  g_assert_cmpint (heron_message_get_branch_index (msgs->pdata[pos]), ==, index);
  g_assert_cmpint (heron_message_get_branch_count (msgs->pdata[pos]), ==, count);
}

static void
test_switch_branch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (f->store, "", NULL,
                                                                         NULL, NULL, &error);
  gint64 id = heron_conversation_get_id (c);
  g_autoptr(HeronMessage) u1 = add (f, id, 0, HERON_ROLE_USER, "u1");
  g_autoptr(HeronMessage) a1 = add (f, id, heron_message_get_id (u1), HERON_ROLE_ASSISTANT,
                                    "a1");
  g_autoptr(HeronMessage) a1b = NULL, a1c = NULL, u2 = NULL, a2 = NULL, u1b = NULL;
  g_autoptr(HeronMessage) a1d = NULL;

  g_assert_cmpint (heron_message_get_branch_count (a1), ==, 1);
  assert_branch (f, id, 1, 1, 1);
  a1b = add (f, id, heron_message_get_id (u1), HERON_ROLE_ASSISTANT, "a1b");
  /* The added message knows it is the second of two. */
  g_assert_cmpint (heron_message_get_branch_index (a1b), ==, 2);
  g_assert_cmpint (heron_message_get_branch_count (a1b), ==, 2);
  u2 = add (f, id, heron_message_get_id (a1b), HERON_ROLE_USER, "u2");
  a2 = add (f, id, heron_message_get_id (u2), HERON_ROLE_ASSISTANT, "a2");
  a1c = add (f, id, heron_message_get_id (u1), HERON_ROLE_ASSISTANT, "a1c");
  assert_path (f, id, (const char *[]) { "u1", "a1c", NULL });
  assert_branch (f, id, 0, 1, 1);
  assert_branch (f, id, 1, 3, 3);

  /* Back one: a1b with the turns that followed it. */
  g_assert_cmpint (heron_store_switch_branch_sync (f->store, heron_message_get_id (a1c), -1,
                                                   NULL, &error), ==,
                   heron_message_get_id (a1b));
  g_assert_no_error (error);
  assert_path (f, id, (const char *[]) { "u1", "a1b", "u2", "a2", NULL });
  assert_branch (f, id, 1, 2, 3);
  assert_branch (f, id, 2, 1, 1);
  /* Back again, to the first answer; then past the first is refused, nothing changes. */
  g_assert_cmpint (heron_store_switch_branch_sync (f->store, heron_message_get_id (a1b), -1,
                                                   NULL, &error), ==,
                   heron_message_get_id (a1));
  assert_path (f, id, (const char *[]) { "u1", "a1", NULL });
  assert_branch (f, id, 1, 1, 3);
  g_assert_cmpint (heron_store_switch_branch_sync (f->store, heron_message_get_id (a1), -1,
                                                   NULL, &error), ==, 0);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (heron_store_switch_branch_sync (f->store, 424242, 1, NULL, &error), ==, 0);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_path (f, id, (const char *[]) { "u1", "a1", NULL });
  /* Forward two: the newest again. */
  g_assert_cmpint (heron_store_switch_branch_sync (f->store, heron_message_get_id (a1), 2,
                                                   NULL, &error), ==,
                   heron_message_get_id (a1c));
  assert_path (f, id, (const char *[]) { "u1", "a1c", NULL });

  /* A chosen older branch loses to a message added later (regenerate while it is shown). */
  heron_store_switch_branch_sync (f->store, heron_message_get_id (a1c), -2, NULL, &error);
  assert_path (f, id, (const char *[]) { "u1", "a1", NULL });
  a1d = add (f, id, heron_message_get_id (u1), HERON_ROLE_ASSISTANT, "a1d");
  assert_path (f, id, (const char *[]) { "u1", "a1d", NULL });
  assert_branch (f, id, 1, 4, 4);

  /* Roots are alternatives too (editing the first question). */
  u1b = add (f, id, 0, HERON_ROLE_USER, "u1 edited");
  assert_path (f, id, (const char *[]) { "u1 edited", NULL });
  assert_branch (f, id, 0, 2, 2);
  heron_store_switch_branch_sync (f->store, heron_message_get_id (u1b), -1, NULL, &error);
  g_assert_no_error (error);
  assert_path (f, id, (const char *[]) { "u1", "a1d", NULL });
  assert_branch (f, id, 0, 1, 2);

  /* The choice is in the file: a new store on it shows the same path. */
  g_clear_object (&f->store);
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
  assert_path (f, id, (const char *[]) { "u1", "a1d", NULL });
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) \
  g_test_add ("/heron/store/conversations/" name, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)
  ADD ("crud-and-order", test_crud_and_order);
  ADD ("delete-undo", test_delete_undo);
  ADD ("delete-purged-on-open", test_delete_purged_on_open);
  ADD ("branches", test_branches);
  ADD ("switch-branch", test_switch_branch);
  ADD ("streaming-and-recovery", test_streaming_and_recovery);
  ADD ("list-models", test_list_models);
  ADD ("list-follows-changes", test_list_follows_changes);
  ADD ("export", test_export);
  g_test_add_func ("/heron/store/conversations/make-title", test_make_title);
  return g_test_run ();
}
