/* test-chat-dialogs.c: the chat's dialogs driven as a user would, checked against what the
 * store then holds: Rename (saved, cancelled, blank), Conversation Settings (system prompt,
 * temperature, longest answer: stored, and used by the next turn), and the code behind
 * Export… (JSON and Markdown written to a path, since GtkFileChooserNative cannot be driven
 * under Xvfb) and Copy Conversation, compared with the conversation's messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ui-test-util.h"
#include "heron-application.h"
#include "heron-chat.h"
#include "heron-conversations.h"
#include "heron-scripted-backend.h"
#include "heron-window.h"

static HeronWindow *window;
static HeronChat *chat;

/* the chat's message I (the list keeps it) */
static HeronMessage *
message_at (guint i)
{
  return ui_test_chat_message_at (chat, i);
}

static HeronScriptedBackend *backend;
static char *tmp;

static void
send (const char *text)
{
  g_signal_emit_by_name (heron_window_get_chat_view (window), "send-requested", text);
}

static gint64
conversation_id (void)
{
  return heron_conversation_model_get_conversation_id (heron_chat_get_messages (chat));
}

static HeronConversation *
stored (void)
{
  g_autoptr(GError) error = NULL;
  HeronConversation *c = heron_store_get_conversation_sync (heron_chat_get_store (chat),
                                                            conversation_id (), NULL, &error);

  g_assert_no_error (error);
  return c;
}

/* One conversation with a question and its answer, once for all the cases. */
static void
ensure_conversation (void)
{
  ui_test_wait_chat_ready (chat);
  if (conversation_id () != 0)
    return;
  send ("What is a heron?");
  ui_test_wait_chat_idle (chat, 2);
}

/* The message dialog the action just presented. */
static gboolean
dialog_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (w))
        {
          *(AdwMessageDialog **) data = ADW_MESSAGE_DIALOG (w);
          return TRUE;
        }
    }
  return FALSE;
}

static AdwMessageDialog *
open_dialog (const char *action, GVariant *param)
{
  AdwMessageDialog *dialog = NULL;

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), action, param));
  ui_test_wait_until (dialog_shown, &dialog);
  return dialog;
}

/* Descendants of WIDGET of TYPE, in order. */
static void
collect (GtkWidget *widget, GType type, GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect (c, type, out);
}

static GtkWidget *
find_one (GtkWidget *widget, GType type, guint nth)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  collect (widget, type, all);
  g_assert_cmpuint (all->len, >, nth);
  return all->pdata[nth];
}

static void
close_dialog (AdwMessageDialog *dialog, const char *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
stored_title_is (gpointer data)
{
  g_autoptr(HeronConversation) c = stored ();

  return g_strcmp0 (heron_conversation_get_title (c), data) == 0;
}

static void
test_rename (void)
{
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  g_autoptr(HeronConversation) before = NULL;
  g_autoptr(HeronConversation) after = NULL;

  ensure_conversation ();
  before = stored ();

  /* Cancel: nothing changes, whatever was typed. */
  dialog = open_dialog ("chat.rename-conversation", g_variant_new_int64 (conversation_id ()));
  entry = adw_message_dialog_get_extra_child (dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==,
                   heron_conversation_get_title (before));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Not this one");
  close_dialog (dialog, "cancel");

  /* A blank title is not saved. */
  dialog = open_dialog ("chat.rename-conversation", g_variant_new_int64 (conversation_id ()));
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "   ");
  close_dialog (dialog, "rename");
  /* The store runs jobs in order: a rename queued above would be seen by this read. */
  after = stored ();
  g_assert_cmpstr (heron_conversation_get_title (after), ==,
                   heron_conversation_get_title (before));

  /* Rename: stored without the surrounding spaces. */
  dialog = open_dialog ("chat.rename-conversation", g_variant_new_int64 (conversation_id ()));
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)),
                         "  Herons, renamed 鹭  ");
  close_dialog (dialog, "rename");
  ui_test_wait_until (stored_title_is, "Herons, renamed 鹭");
}

static gboolean
stored_prompt_is (gpointer data)
{
  g_autoptr(HeronConversation) c = stored ();

  return g_strcmp0 (heron_conversation_get_system_prompt (c), data) == 0;
}

static void
test_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(HeronConversation) c = NULL;
  g_autofree char *default_prompt = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *box;
  GtkTextBuffer *buffer;
  HeronSamplingParams params;
  const HeronChatRequest *req;
  const HeronChatMessage *first;

  ensure_conversation ();
  dialog = open_dialog ("chat.conversation-settings", NULL);
  box = adw_message_dialog_get_extra_child (dialog);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_one (box, GTK_TYPE_TEXT_VIEW, 0)));
  gtk_text_buffer_set_text (buffer, "Answer in French.\n", -1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (find_one (box, GTK_TYPE_SPIN_BUTTON, 0)), 0.25);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (find_one (box, GTK_TYPE_SPIN_BUTTON, 1)), 128);
  close_dialog (dialog, "save");
  ui_test_wait_until (stored_prompt_is, "Answer in French.");

  /* Stored with the conversation. */
  c = stored ();
  heron_sampling_params_init (&params);
  heron_sampling_params_merge_json (&params, heron_conversation_get_settings_json (c));
  g_assert_cmpfloat_with_epsilon (params.temperature, 0.25, 1e-6);
  g_assert_cmpint (params.max_tokens, ==, 128);
  /* The prompt becomes the default of new conversations. */
  default_prompt = g_settings_get_string (settings, "system-prompt");
  g_assert_cmpstr (default_prompt, ==, "Answer in French.");

  /* The next turn of this conversation uses them. */
  send ("And an egret?");
  ui_test_wait_chat_idle (chat, 4);
  req = heron_scripted_backend_get_last_request (backend);
  g_assert_nonnull (req);
  g_assert_cmpfloat_with_epsilon (req->params.temperature, 0.25, 1e-6);
  g_assert_cmpint (req->params.max_tokens, ==, 128);
  first = &g_array_index (req->messages, HeronChatMessage, 0);
  g_assert_cmpint (first->role, ==, HERON_ROLE_SYSTEM);
  g_assert_cmpstr (first->content, ==, "Answer in French.");

  /* Reopened, the dialog shows what is stored; Cancel keeps it. */
  dialog = open_dialog ("chat.conversation-settings", NULL);
  box = adw_message_dialog_get_extra_child (dialog);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (
                                    GTK_SPIN_BUTTON (find_one (box, GTK_TYPE_SPIN_BUTTON, 0))),
                                  0.25, 1e-6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (
                              find_one (box, GTK_TYPE_TEXT_VIEW, 0))), "Not saved", -1);
  close_dialog (dialog, "cancel");
  g_assert_true (stored_prompt_is ("Answer in French."));
}

static gboolean
file_written (gpointer data)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (data, &text, NULL, NULL) && *text != '\0';
}

/* The JSON export holds the conversation's title and every message of the shown path,
 * as the chat's model has them. */
static void
check_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = stored ();
  GListModel *model = G_LIST_MODEL (heron_chat_get_messages (chat));
  JsonObject *root;
  JsonArray *messages;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "heron-conversation");
  g_assert_cmpint (json_object_get_int_member (root, "id"), ==, conversation_id ());
  g_assert_cmpstr (json_object_get_string_member (root, "title"), ==,
                   heron_conversation_get_title (c));
  g_assert_cmpstr (json_object_get_string_member (root, "system_prompt"), ==,
                   heron_conversation_get_system_prompt (c));
  messages = json_object_get_array_member (root, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      g_assert_cmpint (json_object_get_int_member (m, "id"), ==,
                       heron_message_get_id (message_at (i)));
      g_assert_cmpstr (json_object_get_string_member (m, "role"), ==,
                       i % 2 == 0 ? "user" : "assistant");
      g_assert_cmpstr (json_object_get_string_member (m, "content"), ==,
                       heron_message_get_content (message_at (i)));
    }
}

/* The text the app put on the clipboard, read from its local content provider: reading
 * through the display instead converts via the locale's charset (ASCII in tests). */
static gboolean
clipboard_has_local_text (gpointer data)
{
  GdkContentProvider *content = gdk_clipboard_get_content (data);
  g_auto(GValue) value = G_VALUE_INIT;

  if (content == NULL)
    return FALSE;
  g_value_init (&value, G_TYPE_STRING);
  return gdk_content_provider_get_value (content, &value, NULL)
         && g_value_get_string (&value) != NULL;
}

static char *
clipboard_local_text (GdkClipboard *clipboard)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_assert_true (gdk_content_provider_get_value (gdk_clipboard_get_content (clipboard),
                                                 &value, NULL));
  return g_value_dup_string (&value);
}

static void
test_export (void)
{
  g_autofree char *json_path = g_build_filename (tmp, "export.json", NULL);
  g_autofree char *md_path = g_build_filename (tmp, "export.md", NULL);
  g_autoptr(GFile) json_file = g_file_new_for_path (json_path);
  g_autoptr(GFile) md_file = g_file_new_for_path (md_path);
  g_autoptr(HeronConversation) c = NULL;
  g_autofree char *md = NULL;
  g_autofree char *copied = NULL;
  GdkClipboard *clipboard;
  GListModel *model;
  const char *at;

  ensure_conversation ();
  c = stored ();
  model = G_LIST_MODEL (heron_chat_get_messages (chat));
  heron_chat_export_to_file (chat, json_file, TRUE);
  ui_test_wait_until (file_written, json_path);
  check_json (json_path);

  /* Markdown: the title, then every message in order. */
  heron_chat_export_to_file (chat, md_file, FALSE);
  ui_test_wait_until (file_written, md_path);
  g_assert_true (g_file_get_contents (md_path, &md, NULL, NULL));
  g_assert_true (g_utf8_validate (md, -1, NULL));
  g_assert_nonnull (strstr (md, heron_conversation_get_title (c)));
  at = md;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      const char *found = strstr (at, heron_message_get_content (message_at (i)));

      g_assert_nonnull (found);
      at = found + 1;
    }

  /* Copy Conversation puts the same Markdown on the clipboard (the export runs first on the
   * store's thread). */
  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (window));
  gdk_clipboard_set_content (clipboard, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "chat.copy-conversation",
                                             NULL));
  ui_test_wait_until (clipboard_has_local_text, clipboard);
  copied = clipboard_local_text (clipboard);
  g_assert_cmpstr (copied, ==, md);
}

int
main (int argc, char *argv[])
{
  g_autoptr(HeronApplication) app = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *spec = NULL;
  int ret;

  tmp = g_dir_make_tmp ("heron-test-chat-dialogs-XXXXXX", NULL);
  answer = g_build_filename (tmp, "answer.md", NULL);
  spec = g_strdup_printf ("scripted:%s:1:4", answer);
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
  /* A backend the test keeps, to see the requests it gets. */
  backend = heron_scripted_backend_new ("A heron is a *bird*.", 1, 4);
  heron_chat_set_backend (chat, HERON_BACKEND (backend));
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    /* The model's titles would race the rename checks. */
    g_settings_set_boolean (settings, "model-titles", FALSE);
  }

  g_test_add_func ("/heron/ui/chat-dialogs/rename", test_rename);
  g_test_add_func ("/heron/ui/chat-dialogs/settings", test_settings);
  g_test_add_func ("/heron/ui/chat-dialogs/export", test_export);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));
  g_object_unref (backend);
  return ret;
}
