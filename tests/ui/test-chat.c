/* test-chat.c: HeronChat, the chat logic of a window, through its "chat." actions and the
 * chat view's ::send-requested, on a real store in a temporary data dir and the scripted
 * backend: ask, edit and resend, regenerate, delete a message, pin, delete a conversation
 * and undo, a failed send that keeps its text, search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "ui-test-util.h"
#include "heron-application.h"
#include "heron-chat.h"
#include "heron-composer.h"
#include "heron-conversations.h"
#include "heron-message-row.h"
#include "heron-messages.h"
#include "heron-scripted-backend.h"
#include "heron-search.h"
#include "heron-window.h"

static HeronWindow *window;
static HeronChat *chat;

/* the chat's message I (the list keeps it) */
static HeronMessage *
message_at (guint i)
{
  return ui_test_chat_message_at (chat, i);
}

static void
activate (const char *name, gint64 id)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), name, "x", id));
}

static void
send (const char *text)
{
  g_signal_emit_by_name (heron_window_get_chat_view (window), "send-requested", text);
}

static gboolean
message_gone (gpointer data)
{
  return !heron_chat_get_running (chat)
         && heron_conversation_model_find (heron_chat_get_messages (chat),
                                           GPOINTER_TO_SIZE (data)) < 0;
}

static gboolean
conversation_pinned (gpointer data)
{
  g_autoptr(HeronConversation) c = heron_store_get_conversation_sync (
    heron_chat_get_store (chat), GPOINTER_TO_SIZE (data), NULL, NULL);

  return c != NULL && heron_conversation_get_pinned (c);
}

static gboolean
n_conversations_is (gpointer data)
{
  GListModel *list = heron_sidebar_get_model (heron_window_get_sidebar (window));

  return g_list_model_get_n_items (list) == GPOINTER_TO_UINT (data);
}

static void
test_chat_flow (void)
{
  HeronComposer *composer = HERON_COMPOSER (heron_chat_view_get_composer (
    heron_window_get_chat_view (window)));
  gint64 conversation_id, user_id, answer_id;
  g_autofree char *kept = NULL;

  ui_test_wait_chat_ready (chat);

  /* Ask. */
  send ("What is a heron?");
  ui_test_wait_chat_idle (chat, 2);
  g_assert_cmpstr (heron_message_get_content (message_at (0)), ==, "What is a heron?");
  g_assert_cmpstr (heron_message_get_content (message_at (1)), ==, "A heron is a *bird*.");
  g_assert_cmpint (heron_message_get_state (message_at (1)), ==, HERON_MESSAGE_COMPLETE);
  conversation_id = heron_message_get_conversation_id (message_at (0));
  g_assert_cmpint (conversation_id, >, 0);
  ui_test_wait_until (n_conversations_is, GUINT_TO_POINTER (1));

  /* Edit the question and resend: the later turn is replaced. */
  user_id = heron_message_get_id (message_at (0));
  activate ("chat.edit-message", user_id);
  {
    g_autofree char *text = heron_composer_get_text (composer);

    g_assert_cmpstr (text, ==, "What is a heron?");
  }
  heron_composer_set_text (composer, "");
  send ("What is an egret?");
  ui_test_wait_chat_idle (chat, 2);
  g_assert_cmpstr (heron_message_get_content (message_at (0)), ==, "What is an egret?");
  g_assert_cmpint (heron_message_get_id (message_at (0)), !=, user_id);

  /* Regenerate: a new answer to the same question. */
  answer_id = heron_message_get_id (message_at (1));
  activate ("chat.regenerate", answer_id);
  ui_test_wait_chat_idle (chat, 2);
  g_assert_cmpint (heron_message_get_id (message_at (1)), !=, answer_id);
  g_assert_cmpstr (heron_message_get_content (message_at (1)), ==, "A heron is a *bird*.");

  /* Search finds the answer through the store's FTS. */
  {
    g_autoptr(GPtrArray) hits = heron_store_search_sync (heron_chat_get_store (chat), "bird",
                                                         10, NULL, NULL);
    g_assert_nonnull (hits);
    g_assert_cmpuint (hits->len, >=, 1);
  }

  /* Delete the answer (an earlier alternative answer may take its place). */
  answer_id = heron_message_get_id (message_at (1));
  activate ("chat.delete-message", answer_id);
  ui_test_wait_until (message_gone, GSIZE_TO_POINTER (answer_id));

  /* Pin, delete with undo. */
  activate ("chat.pin-conversation", conversation_id);
  ui_test_wait_until (conversation_pinned, GSIZE_TO_POINTER (conversation_id));
  activate ("chat.delete-conversation", conversation_id);
  ui_test_wait_until (n_conversations_is, GUINT_TO_POINTER (0));
  activate ("chat.undo-delete", conversation_id);
  ui_test_wait_until (n_conversations_is, GUINT_TO_POINTER (1));

  /* A failed send keeps the question in the composer. */
  {
    g_autoptr(HeronScriptedBackend) failing = heron_scripted_backend_new ("never said", 1, 2);

    heron_scripted_backend_set_fail_after (failing, 1, "the server went away");
    heron_chat_set_backend (chat, HERON_BACKEND (failing));
    heron_chat_new_conversation (chat);
    ui_test_wait_chat_idle (chat, 0);
    send ("Will this fail?");
    ui_test_wait_chat_idle (chat, 2);
    kept = heron_composer_get_text (composer);
    g_assert_cmpstr (kept, ==, "Will this fail?");
    g_assert_cmpint (heron_message_get_state (message_at (1)), ==, HERON_MESSAGE_ERROR);
  }
}

/* ---- alternatives ------------------------------------------------------------------- */

/* The row on screen that shows message ID, or NULL. */
static GtkWidget *
find_row (GtkWidget *widget, gint64 id)
{
  if (HERON_IS_MESSAGE_ROW (widget))
    {
      HeronMessage *m = heron_message_row_get_message (HERON_MESSAGE_ROW (widget));

      return m != NULL && heron_message_get_id (m) == id && gtk_widget_get_mapped (widget)
             ? widget : NULL;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_row (c, id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A visible descendant: a label with TEXT (BUTTON_TARGET NULL), or the button of
 * chat.show-branch whose target is (id, delta). */
static GtkWidget *
find_in (GtkWidget *widget, const char *text, GVariant *button_target)
{
  if (!gtk_widget_get_visible (widget))
    return NULL;
  if (text != NULL && GTK_IS_LABEL (widget)
      && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return widget;
  if (button_target != NULL && GTK_IS_BUTTON (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)),
                    "chat.show-branch") == 0
      && g_variant_equal (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget)),
                          button_target))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_in (c, text, button_target);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  gint64      id;
  const char *label;
} RowLabel;

static gboolean
row_shows (gpointer data)
{
  RowLabel *r = data;
  GtkWidget *row = find_row (GTK_WIDGET (window), r->id);

  return row != NULL && find_in (row, r->label, NULL) != NULL;
}

static gboolean
answer_is (gpointer data)
{
  HeronConversationModel *m = heron_chat_get_messages (chat);

  return !heron_chat_get_running (chat) && g_list_model_get_n_items (G_LIST_MODEL (m)) >= 2
         && heron_message_get_id (message_at (1)) == (gint64) GPOINTER_TO_SIZE (data);
}

/* Regenerate twice, then "‹" on the answer shows the previous one ("2/3"), and the next
 * question continues that branch; editing the question gives the question its own "2/2". */
static void
test_chat_branches (void)
{
  g_autoptr(GVariant) prev_target = NULL;
  gint64 first, second, third, question;
  GtkWidget *row, *button;
  RowLabel want;

  ui_test_wait_chat_ready (chat);
  {
    g_autoptr(HeronScriptedBackend) backend = heron_scripted_backend_new ("An answer.", 1, 4);

    heron_chat_set_backend (chat, HERON_BACKEND (backend));
  }
  heron_chat_new_conversation (chat);
  ui_test_wait_chat_idle (chat, 0);
  send ("Which bird?");
  ui_test_wait_chat_idle (chat, 2);
  first = heron_message_get_id (message_at (1));
  question = heron_message_get_id (message_at (0));
  g_assert_cmpint (heron_message_get_branch_count (message_at (1)), ==, 1);

  activate ("chat.regenerate", first);
  ui_test_wait_chat_idle (chat, 2);
  second = heron_message_get_id (message_at (1));
  activate ("chat.regenerate", second);
  ui_test_wait_chat_idle (chat, 2);
  third = heron_message_get_id (message_at (1));
  g_assert_cmpint (third, !=, second);
  g_assert_cmpint (heron_message_get_branch_index (message_at (1)), ==, 3);
  g_assert_cmpint (heron_message_get_branch_count (message_at (1)), ==, 3);

  /* The row of the answer shows "3/3"; its "previous" button goes to the second answer. */
  want = (RowLabel) { third, "3/3" };
  ui_test_wait_until (row_shows, &want);
  row = find_row (GTK_WIDGET (window), third);
  prev_target = g_variant_ref_sink (g_variant_new ("(xi)", third, -1));
  button = find_in (row, NULL, prev_target);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_until (answer_is, GSIZE_TO_POINTER (second));
  g_assert_cmpint (heron_message_get_branch_index (message_at (1)), ==, 2);
  want = (RowLabel) { second, "2/3" };
  ui_test_wait_until (row_shows, &want);

  /* The next question continues the shown branch: its parent is the second answer. */
  send ("And its colour?");
  ui_test_wait_chat_idle (chat, 4);
  g_assert_cmpint (heron_message_get_id (message_at (1)), ==, second);
  g_assert_cmpint (heron_message_get_parent_id (message_at (2)), ==, second);
  {
    g_autoptr(GPtrArray) path = heron_store_get_path_sync (heron_chat_get_store (chat),
                                                           heron_message_get_id (message_at (3)),
                                                           NULL, NULL);
    g_assert_cmpuint (path->len, ==, 4);
    g_assert_cmpint (heron_message_get_id (path->pdata[1]), ==, second);
  }

  /* Edit the first question: it gets "2/2", and "‹" brings back the whole old branch. */
  activate ("chat.edit-message", question);
  send ("Which fish?");
  ui_test_wait_chat_idle (chat, 2);
  g_assert_cmpstr (heron_message_get_content (message_at (0)), ==, "Which fish?");
  want = (RowLabel) { heron_message_get_id (message_at (0)), "2/2" };
  ui_test_wait_until (row_shows, &want);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "chat.show-branch", "(xi)",
                                             heron_message_get_id (message_at (0)), -1));
  ui_test_wait_chat_idle (chat, 4);
  g_assert_cmpint (heron_message_get_id (message_at (0)), ==, question);
  g_assert_cmpint (heron_message_get_id (message_at (1)), ==, second);
}

/* ---- titles by the model -------------------------------------------------------------- */

typedef struct
{
  gint64      id;
  const char *title;
} TitleIs;

static gboolean
stored_title_is (gpointer data)
{
  TitleIs *t = data;
  g_autoptr(HeronConversation) c = heron_store_get_conversation_sync (
    heron_chat_get_store (chat), t->id, NULL, NULL);

  return !heron_chat_get_running (chat) && c != NULL
         && g_strcmp0 (heron_conversation_get_title (c), t->title) == 0;
}

/* The sidebar row of conversation ID shows TITLE (the list object follows the store). */
static gboolean
listed_title_is (gpointer data)
{
  TitleIs *t = data;
  GListModel *list = heron_sidebar_get_model (heron_window_get_sidebar (window));

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(HeronConversation) c = g_list_model_get_item (list, i);

      if (heron_conversation_get_id (c) == t->id)
        return g_strcmp0 (heron_conversation_get_title (c), t->title) == 0;
    }
  return FALSE;
}

static gboolean
spin_for (gpointer data)
{
  gint64 *end = data;

  return g_get_monotonic_time () >= *end;
}

/* With model-titles on, the first answer is followed by a title request and the cleaned
 * title replaces the question's; with it off, the question's title stays. */
static void
test_chat_model_title (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(HeronScriptedBackend) backend = heron_scripted_backend_new ("**Grey Herons.**", 1,
                                                                        4);
  TitleIs want;
  gint64 end;

  ui_test_wait_chat_ready (chat);
  heron_chat_set_backend (chat, HERON_BACKEND (backend));
  g_settings_set_boolean (settings, "model-titles", TRUE);
  heron_chat_new_conversation (chat);
  ui_test_wait_chat_idle (chat, 0);
  send ("Which herons live in Europe?");
  ui_test_wait_chat_idle (chat, 2);
  want = (TitleIs) { heron_message_get_conversation_id (message_at (0)), "Grey Herons" };
  ui_test_wait_until (stored_title_is, &want);
  ui_test_wait_until (listed_title_is, &want);

  /* Off: nothing is asked, the question's title stays (checked after a while). */
  g_settings_set_boolean (settings, "model-titles", FALSE);
  heron_chat_new_conversation (chat);
  ui_test_wait_chat_idle (chat, 0);
  send ("Which storks live in Europe?");
  ui_test_wait_chat_idle (chat, 2);
  end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  ui_test_wait_until (spin_for, &end);
  want = (TitleIs) { heron_message_get_conversation_id (message_at (0)),
                     "Which storks live in Europe?" };
  g_assert_true (stored_title_is (&want));
  g_settings_set_boolean (settings, "model-titles", TRUE);
}

int
main (int argc, char *argv[])
{
  g_autoptr(HeronApplication) app = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("heron-test-chat-XXXXXX", NULL);
  g_autofree char *answer = g_build_filename (tmp, "answer.md", NULL);
  g_autofree char *spec = g_strdup_printf ("scripted:%s:1:4", answer);
  int ret;

  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_file_set_contents (answer, "A heron is a *bird*.", -1, NULL);
  g_setenv ("HERON_TEST_BACKEND", spec, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  app = heron_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = heron_window_new (app);
  chat = heron_window_get_chat (window);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/heron/ui/chat/flow", test_chat_flow);
  g_test_add_func ("/heron/ui/chat/branches", test_chat_branches);
  g_test_add_func ("/heron/ui/chat/model-title", test_chat_model_title);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));
  return ret;
}
