/* heron-chat.c: what makes a window chat.
 *
 * One HeronChat per window. It opens the store (a database that cannot be opened or
 * migrated gets a dialog with its path and is left untouched), runs HeronTurns for the
 * composer (the turn streams off the main thread; rows redraw once per frame), keeps the
 * sidebar's conversations and search results, and implements the "chat." actions that
 * the message rows, the sidebar and the menus use.
 *
 * The model: HERON_TEST_BACKEND (tests), else HERON_MODEL (a GGUF path), else the model the
 * user opens with "Open a Model File…"; one backend is shared by every window.
 * "Connect to a Server…" is win.connect-server in heron-window.c, for the OpenAI backend.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-chat"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat.h"
#include "heron-chat-list.h"
#include "heron-composer.h"
#include "heron-conversations.h"
#include "heron-export.h"
#include "heron-local-backend.h"
#include "heron-message-list.h"
#include "heron-messages.h"
#include "heron-model-picker.h"
#include "heron-scripted-backend.h"
#include "heron-search.h"
#include "heron-title.h"
#include "heron-turn.h"
#include "heron-web-turn.h"
#include "heron-window.h"

struct _HeronChat
{
  GObject                 parent_instance;

  HeronWindow            *window;      /* not owned: the window owns us */
  GSimpleActionGroup     *actions;
  GCancellable           *cancellable; /* everything of this window */
  GSettings              *settings;

  HeronStore             *store;
  HeronBackend           *backend;
  HeronTurn              *turn;
  HeronConversationList  *conversations;
  HeronConversationModel *messages;

  GCancellable           *turn_cancellable;
  GCancellable           *search_cancellable;
  char                   *pending_text;   /* the question being answered */
  gint64                  editing_id;     /* user message being edited, or 0 */
  gint64                  jump_to;        /* message to show once loaded, or 0 */
  gboolean                loading;        /* the local model is still loading */
  gboolean                backend_is_fallback; /* the server model of "prefer local" */
  GCancellable           *title_cancellable; /* the model writing a title, or NULL */
  gboolean                saw_delta;

  /* the web step (heron-web-turn.h) */
  HeronWebTurn           *web;              /* created with the store */
  HeronWebContextResult  *web_result;       /* of the running turn, until it is done */
  HeronWebMode            web_mode_used;
  HeronMessage           *web_placeholder;  /* pending answer while the step runs */
  HeronConversationModel *web_model;        /* the model that shows the placeholders */
  guint                   web_history_len;  /* its length before them */
  gint64                  web_editing_id;
  gint64                  web_regenerate_id; /* answer asked again, or 0 */
  char                   *web_question;     /* the question the step searches for */
  gboolean                web_running;
  gboolean                web_mode_syncing;
};

G_DEFINE_FINAL_TYPE (HeronChat, heron_chat, G_TYPE_OBJECT)

static HeronBackend *shared_backend;

static void web_mode_sync (HeronChat *self);

static HeronChatView *
chat_view (HeronChat *self)
{
  return heron_window_get_chat_view (self->window);
}

static HeronComposer *
composer (HeronChat *self)
{
  return HERON_COMPOSER (heron_chat_view_get_composer (chat_view (self)));
}

static HeronMessageList *
message_list (HeronChat *self)
{
  return heron_chat_view_get_message_list (chat_view (self));
}

static HeronChatList *
chat_list (HeronChat *self)
{
  return heron_sidebar_get_chat_list (heron_window_get_sidebar (self->window));
}

static void
toast (HeronChat  *self,
       const char *title)
{
  heron_window_add_toast (self->window, adw_toast_new (title));
}

static void
show_error (HeronChat  *self,
            const char *heading,
            const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self->window), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_action_enabled (HeronChat  *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static HeronConversation *
find_conversation (HeronChat *self,
                   gint64     id)
{
  int pos;

  if (self->conversations == NULL || id == 0)
    return NULL;
  pos = heron_conversation_list_find (self->conversations, id);
  if (pos < 0)
    return NULL;
  /* The list holds a reference; callers use it at once. */
  {
    g_autoptr(HeronConversation) c = g_list_model_get_item (G_LIST_MODEL (self->conversations),
                                                            pos);
    return c;
  }
}

static HeronMessage *
find_message (HeronChat *self,
              gint64     id)
{
  int pos;

  if (self->messages == NULL)
    return NULL;
  pos = heron_conversation_model_find (self->messages, id);
  if (pos < 0)
    return NULL;
  {
    g_autoptr(HeronMessage) m = g_list_model_get_item (G_LIST_MODEL (self->messages), pos);
    return m;
  }
}

static gint64
current_id (HeronChat *self)
{
  return self->messages != NULL
         ? heron_conversation_model_get_conversation_id (self->messages) : 0;
}

static void
update_title (HeronChat *self)
{
  HeronConversation *c = find_conversation (self, current_id (self));
  const char *title = c != NULL ? heron_conversation_get_title (c) : NULL;

  heron_chat_view_set_title (chat_view (self),
                             title != NULL && *title != '\0' ? title : _("New Chat"));
  heron_chat_list_select (chat_list (self), current_id (self));
}

static void
update_state (HeronChat *self)
{
  gboolean running = heron_chat_get_running (self);
  gboolean have_conversation = current_id (self) != 0;

  heron_chat_view_set_page (chat_view (self), self->backend != NULL ? "messages" : "empty");
  if (self->backend != NULL)
    {
      g_autofree char *loading = g_strdup_printf (_("Loading %s…"),
                                                  heron_backend_get_name (self->backend));

      /* The model in use, under the title; its load shows there too. */
      heron_chat_view_set_subtitle (chat_view (self),
                                    self->loading ? loading
                                    : heron_backend_get_name (self->backend));
    }
  else
    heron_chat_view_set_subtitle (chat_view (self), NULL);
  heron_composer_set_busy (composer (self), running);
  set_action_enabled (self, "stop", running);
  set_action_enabled (self, "regenerate", !running && self->backend != NULL);
  set_action_enabled (self, "regenerate-last", !running && self->backend != NULL);
  set_action_enabled (self, "edit-message", !running && self->backend != NULL);
  set_action_enabled (self, "delete-message", !running);
  set_action_enabled (self, "show-branch", !running);
  set_action_enabled (self, "export-markdown", have_conversation);
  set_action_enabled (self, "export-json", have_conversation);
  set_action_enabled (self, "copy-conversation", have_conversation);
}

/* ---- model per conversation ---------------------------------------------------------- */

/* "local:PATH" for a local model, the spec a remote backend was made from, else NULL. */
static char *
backend_spec (HeronBackend *backend)
{
  if (HERON_IS_LOCAL_BACKEND (backend))
    return g_strconcat ("local:", heron_local_backend_get_path (HERON_LOCAL_BACKEND (backend)),
                        NULL);
  if (backend != NULL)
    return g_strdup (g_object_get_data (G_OBJECT (backend), "heron-model-spec"));
  return NULL;
}

/* Before each turn: the model it records on the conversation, and with "prefer local" the
 * remote model that takes prompts the local one cannot (or any while it is not loaded). */
static void
apply_model_routing (HeronChat *self)
{
  g_autofree char *spec = backend_spec (self->backend);
  g_autoptr(HeronBackend) remote = NULL;
  int n_ctx = 0;

  heron_turn_set_model_spec (self->turn, spec);
  if (self->backend_is_fallback)
    {
      /* No local model at all: every turn goes to the server, and says why. */
      remote = g_object_ref (self->backend);
    }
  else if (HERON_IS_LOCAL_BACKEND (self->backend)
           && g_settings_get_boolean (self->settings, "prefer-local"))
    {
      g_autofree char *remote_spec = g_settings_get_string (self->settings, "remote-model");

      if (g_str_has_prefix (remote_spec, "remote:"))
        remote = heron_model_picker_remote_backend (self->settings, remote_spec, NULL);
      n_ctx = heron_local_backend_get_n_ctx (HERON_LOCAL_BACKEND (self->backend));
    }
  heron_turn_set_fallback (self->turn, remote, n_ctx);
}

static void
model_recorded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!heron_store_write_finish (HERON_STORE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("recording the conversation's model: %s", error->message);
      return;
    }
  if (self->conversations != NULL)
    heron_conversation_list_reload_async (self->conversations, NULL, NULL, NULL);
}

/* A model chosen for the open conversation is remembered by it. */
static void
record_conversation_model (HeronChat *self)
{
  HeronConversation *c = find_conversation (self, current_id (self));
  g_autofree char *spec = backend_spec (self->backend);

  if (self->store == NULL || c == NULL || spec == NULL || self->backend_is_fallback
      || g_strcmp0 (heron_conversation_get_model (c), spec) == 0)
    return;
  heron_store_set_conversation_settings_async (self->store, current_id (self), NULL, spec, NULL,
                                               NULL, self->cancellable, model_recorded_cb,
                                               g_object_ref (self));
}

/* Opening a conversation switches to the model it remembers (loading it if needed). Values
 * that are not specs (names stored before specs existed) are left alone. */
static void
follow_conversation_model (HeronChat *self)
{
  HeronConversation *c = find_conversation (self, current_id (self));
  const char *want = c != NULL ? heron_conversation_get_model (c) : NULL;
  g_autofree char *have = backend_spec (self->backend);

  if (want == NULL || g_strcmp0 (want, have) == 0 || self->window == NULL)
    return;
  g_debug ("conversation model: %s (in use: %s)", want, have);
  if (g_str_has_prefix (want, "local:"))
    {
      const char *path = want + strlen ("local:");

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        heron_model_picker_load_local (GTK_WINDOW (self->window), self, path, NULL);
      else
        {
          g_autofree char *text = g_strdup_printf (_("This chat's model %s is gone; the "
                                                     "current model answers instead."), path);
          toast (self, text);
        }
    }
  else if (g_str_has_prefix (want, "remote:"))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HeronBackend) backend = heron_model_picker_remote_backend (self->settings, want,
                                                                           &error);

      if (backend != NULL)
        heron_chat_set_backend (self, backend);
      else
        toast (self, error->message);
    }
}

/* ---- conversations ------------------------------------------------------------------- */

static void
set_messages (HeronChat              *self,
              HeronConversationModel *messages)
{
  g_set_object (&self->messages, messages);
  heron_message_list_set_model (message_list (self), G_LIST_MODEL (messages));
  web_mode_sync (self);
  if (self->turn != NULL)
    {
      heron_turn_set_model (self->turn, messages);
      heron_turn_set_conversation_id (self->turn,
                                      heron_conversation_model_get_conversation_id (messages));
    }
  update_title (self);
  update_state (self);
}

void
heron_chat_new_conversation (HeronChat *self)
{
  g_autoptr(HeronConversationModel) messages = NULL;

  g_return_if_fail (HERON_IS_CHAT (self));

  if (self->store == NULL)
    return;
  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
  self->editing_id = 0;
  messages = heron_conversation_model_new (self->store, 0);
  set_messages (self, messages);
  heron_chat_view_clear (chat_view (self));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  HeronConversationModel *messages = HERON_CONVERSATION_MODEL (source);
  g_autoptr(GError) error = NULL;

  if (!heron_conversation_model_load_finish (messages, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (self->window == NULL)
    return;
  set_messages (self, messages);
  follow_conversation_model (self);
  if (self->jump_to != 0)
    {
      int pos = heron_conversation_model_find (messages, self->jump_to);

      self->jump_to = 0;
      g_debug ("jump to message at %d", pos);
      if (pos >= 0)
        heron_message_list_scroll_to_item (message_list (self), pos);
    }
}

void
heron_chat_open_conversation (HeronChat *self,
                              gint64     conversation_id,
                              gint64     message_id)
{
  g_autoptr(HeronConversationModel) messages = NULL;

  g_return_if_fail (HERON_IS_CHAT (self));

  if (self->store == NULL)
    return;
  if (conversation_id == current_id (self) && message_id == 0)
    return;
  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
  self->editing_id = 0;
  self->jump_to = message_id;
  messages = heron_conversation_model_new (self->store, conversation_id);
  heron_conversation_model_load_async (messages, self->cancellable, loaded_cb,
                                       g_object_ref (self));
}

static void
conversation_activated_cb (HeronChat     *self,
                           gint64         id,
                           HeronChatList *list)
{
  heron_chat_open_conversation (self, id, 0);
  if (adw_flap_get_folded (ADW_FLAP (gtk_widget_get_ancestor (GTK_WIDGET (list),
                                                              ADW_TYPE_FLAP))))
    heron_window_set_sidebar_visible (self->window, FALSE);
}

static void
hit_activated_cb (HeronChat     *self,
                  gint64         conversation_id,
                  gint64         message_id,
                  HeronChatList *list)
{
  heron_chat_open_conversation (self, conversation_id, message_id);
}

/* ---- web step (heron-web-turn.h): runs before the turn, on the web worker thread -------- */

static void turn_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static HeronWebModeButton *
web_mode_button (HeronChat *self)
{
  return heron_composer_get_web_mode_button (composer (self));
}

static gboolean
web_is_setting (const char *key)
{
  return g_str_has_prefix (key, "web-") || g_str_has_prefix (key, "search-")
         || g_str_equal (key, "searxng-url");
}

static void
web_apply_settings (HeronChat *self)
{
  int n_ctx = HERON_IS_LOCAL_BACKEND (self->backend)
              ? heron_local_backend_get_n_ctx (HERON_LOCAL_BACKEND (self->backend)) : 0;

  if (self->web != NULL)
    heron_web_turn_apply_settings (self->web, self->settings, n_ctx);
}

static void
web_settings_changed_cb (HeronChat  *self,
                         const char *key)
{
  if (key == NULL || web_is_setting (key))
    web_apply_settings (self);
}

static void
web_progress_cb (HeronChat  *self,
                 const char *message)
{
  g_debug ("web progress: %s", message);
  if (self->web_placeholder != NULL)
    heron_web_turn_set_message_status (self->web_placeholder, message);
}

static HeronWebTurn *
web_turn (HeronChat *self)
{
  if (self->web != NULL || self->store == NULL)
    return self->web;
  self->web = heron_web_turn_new (self->store);
  g_signal_connect_object (self->web, "progress", G_CALLBACK (web_progress_cb), self,
                           G_CONNECT_SWAPPED);
  web_apply_settings (self);
  /* Test hook, like HERON_TEST_BACKEND: search results may point to 127.0.0.1. */
  heron_web_turn_set_allow_private (self->web,
                                    g_getenv ("HERON_TEST_WEB_ALLOW_PRIVATE") != NULL);
  return self->web;
}

/* The composer shows the open conversation's web mode; a new one starts from the default. */
static void
web_mode_sync (HeronChat *self)
{
  HeronConversation *c = find_conversation (self, current_id (self));
  const char *mode = c != NULL ? heron_conversation_get_web_mode (c) : NULL;
  g_autofree char *fallback = g_settings_get_string (self->settings, "default-web-mode");

  self->web_mode_syncing = TRUE;
  heron_web_mode_button_set_mode (web_mode_button (self),
                                  mode != NULL && *mode != '\0' ? mode : fallback);
  self->web_mode_syncing = FALSE;
}

static void
web_mode_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!heron_store_write_finish (HERON_STORE (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("storing the web mode: %s", error->message);
}

/* The conversation remembers the mode the composer shows (a new one once it exists). */
static void
web_mode_store (HeronChat *self)
{
  HeronConversation *c = find_conversation (self, current_id (self));
  const char *mode = heron_web_mode_button_get_mode (web_mode_button (self));

  if (self->store == NULL || current_id (self) == 0
      || (c != NULL && g_strcmp0 (heron_conversation_get_web_mode (c), mode) == 0))
    return;
  if (c != NULL)
    heron_conversation_set_web_mode (c, mode);
  heron_store_set_conversation_settings_async (self->store, current_id (self), NULL, NULL,
                                               NULL, mode, self->cancellable,
                                               web_mode_stored_cb, NULL);
}

static void
web_mode_changed_cb (HeronChat *self)
{
  if (!self->web_mode_syncing)
    web_mode_store (self);
}

static void
web_run_turn (HeronChat  *self,
              const char *text,
              gint64      editing_id,
              gint64      regenerate_id)
{
  if (regenerate_id != 0)
    heron_turn_regenerate_async (self->turn, regenerate_id, self->turn_cancellable,
                                 turn_done_cb, g_object_ref (self));
  else if (editing_id != 0)
    heron_turn_edit_async (self->turn, editing_id, text, self->turn_cancellable,
                           turn_done_cb, g_object_ref (self));
  else
    heron_turn_ask_async (self->turn, text, self->turn_cancellable, turn_done_cb,
                          g_object_ref (self));
}

static void
web_clear_placeholder (HeronChat *self,
                       gboolean   remove)
{
  if (remove && self->web_model != NULL
      && g_list_model_get_n_items (G_LIST_MODEL (self->web_model)) > self->web_history_len)
    heron_conversation_model_truncate (self->web_model, self->web_history_len);
  g_clear_object (&self->web_placeholder);
  g_clear_object (&self->web_model);
}

static void
web_prepared_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  HeronWebContextResult *r = heron_web_turn_prepare_finish (HERON_WEB_TURN (source), result,
                                                            &error);
  g_autofree char *status = NULL;

  self->web_running = FALSE;
  if (r == NULL || self->window == NULL || self->turn == NULL
      || g_cancellable_is_cancelled (self->turn_cancellable))
    {
      g_autofree char *text = g_steal_pointer (&self->pending_text);

      g_clear_pointer (&r, heron_web_context_result_free);
      g_debug ("web step stopped");
      /* A stopped regenerate shows the answer it was to replace again. */
      if (self->web_regenerate_id != 0 && self->web_model != NULL
          && self->web_model == self->messages && self->window != NULL)
        heron_conversation_model_load_async (self->web_model, self->cancellable, loaded_cb,
                                             g_object_ref (self));
      web_clear_placeholder (self, TRUE);
      g_clear_object (&self->turn_cancellable);
      if (self->window == NULL)
        return;
      /* Nothing was stored: the question goes back into the composer. */
      if (text != NULL)
        {
          g_autofree char *composer_text = heron_composer_get_text (composer (self));

          if (*composer_text == '\0')
            heron_composer_set_text (composer (self), text);
        }
      update_state (self);
      return;
    }
  g_clear_pointer (&self->web_result, heron_web_context_result_free);
  self->web_result = r;
  status = heron_web_turn_describe (r);
  g_debug ("web step done: %u sources%s, %s", r->sources->len, r->offline ? ", offline" : "",
           status != NULL ? status : "no status");
  heron_web_turn_apply (self->turn, r, self->web_mode_used);
  /* The turn replaces the placeholders with the stored question and answer. */
  if (self->web_placeholder != NULL)
    heron_web_turn_set_message_status (self->web_placeholder, status);
  web_clear_placeholder (self, FALSE);
  web_run_turn (self, self->web_question, self->web_editing_id, self->web_regenerate_id);
}

/* Instead of starting the turn at once: with web search on, show the question and a pending
 * answer that carries the progress, build the context off the main thread, then ask (a new
 * question, an edited one (EDITING_ID), or the question of the answer REGENERATE_ID again). */
static void
web_step_start (HeronChat  *self,
                const char *text,
                gint64      editing_id,
                gint64      regenerate_id)
{
  HeronWebMode mode = HERON_WEB_MODE_OFF;
  g_autoptr(HeronMessage) question = NULL;
  int pos;

  g_clear_pointer (&self->web_result, heron_web_context_result_free);
  heron_web_mode_from_string (heron_web_mode_button_get_mode (web_mode_button (self)), &mode);
  pos = regenerate_id != 0 && self->messages != NULL
        ? heron_conversation_model_find (self->messages, regenerate_id) : -1;
  if (regenerate_id != 0 && pos >= 1)
    {
      g_autoptr(HeronMessage) asked = g_list_model_get_item (G_LIST_MODEL (self->messages),
                                                             pos - 1);

      text = heron_message_get_role (asked) == HERON_ROLE_USER
             ? heron_message_get_content (asked) : NULL;
    }
  if (mode == HERON_WEB_MODE_OFF || self->messages == NULL || web_turn (self) == NULL
      || text == NULL)
    {
      heron_turn_set_web_context (self->turn, NULL, NULL);
      web_run_turn (self, text, editing_id, regenerate_id);
      return;
    }
  g_free (self->web_question);
  self->web_question = g_strdup (text);
  self->web_regenerate_id = regenerate_id;
  /* Test hook: no network (GNetworkMonitor cannot be faked); read at every question. */
  heron_web_turn_set_offline (self->web, g_getenv ("HERON_TEST_WEB_OFFLINE") != NULL);
  /* The sources' share of the context of the model that answers now. */
  heron_web_turn_set_budget (self->web,
                             HERON_IS_LOCAL_BACKEND (self->backend)
                             ? heron_local_backend_get_n_ctx (HERON_LOCAL_BACKEND (self->backend))
                             : 0,
                             g_settings_get_double (self->settings, "web-context-share"));
  self->web_mode_used = mode;
  self->web_editing_id = editing_id;
  g_set_object (&self->web_model, self->messages);
  if (editing_id != 0)
    pos = heron_conversation_model_find (self->messages, editing_id);
  if (pos >= 0)
    heron_conversation_model_truncate (self->messages, pos);
  self->web_history_len = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  self->web_placeholder = heron_message_new (HERON_ROLE_ASSISTANT, "");
  heron_message_set_state (self->web_placeholder, HERON_MESSAGE_STREAMING);
  heron_web_turn_set_message_status (self->web_placeholder, _("Deciding whether to search…"));
  if (regenerate_id == 0)
    {
      question = heron_message_new (HERON_ROLE_USER, text);
      heron_conversation_model_append (self->messages, question);
    }
  heron_conversation_model_append (self->messages, self->web_placeholder);
  self->web_running = TRUE;
  heron_web_turn_prepare_async (self->web, text, mode, self->turn_cancellable, web_prepared_cb,
                                g_object_ref (self));
}

/* The turn stored the question and the answer: the answer has the web step's sources_json. */
static void
web_turn_started (HeronChat *self)
{
  web_mode_store (self);
}

static void
web_finished_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HeronCitationCheck) check = NULL;
  g_autoptr(GError) error = NULL;

  check = heron_web_turn_finish_answer_finish (result, &error);
  if (check != NULL)
    g_debug ("citation check: %u supported, %u unverified, %u removed", check->n_supported,
             check->n_unverified, check->n_removed);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("storing the sources: %s", error->message);
}

/* After the answer (also a stopped one): check its citations and store them with it. */
static void
web_turn_done (HeronChat *self)
{
  HeronMessage *answer = self->turn != NULL ? heron_turn_get_answer (self->turn) : NULL;
  g_autoptr(HeronWebContextResult) r = g_steal_pointer (&self->web_result);

  if (r == NULL || answer == NULL || self->store == NULL)
    return;
  heron_web_turn_finish_answer_async (self->store, answer, r, self->web_mode_used, NULL,
                                      web_finished_cb, NULL);
}

/* ---- turns ----------------------------------------------------------------------------- */

/* ---- titles by the model (heron-title.h) ---------------------------------------------- */

static void
cancel_title (HeronChat *self)
{
  if (self->title_cancellable != NULL)
    g_cancellable_cancel (self->title_cancellable);
  g_clear_object (&self->title_cancellable);
}

static void
title_shown_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;

  heron_conversation_list_reload_finish (HERON_CONVERSATION_LIST (source), result, NULL);
  if (self->window != NULL)
    update_title (self);
}

static void
title_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = heron_title_generate_finish (result, &error);

  /* Whatever went wrong, the question's title stays: nothing to tell the user. */
  g_debug ("model title: %s", title != NULL ? title : error->message);
  if (title == NULL || self->window == NULL || self->conversations == NULL)
    return;
  heron_conversation_list_reload_async (self->conversations, self->cancellable,
                                        title_shown_cb, g_object_ref (self));
}

/* After the first answer of a conversation that still has its question's title, when the
 * user allows it (model-titles), a short request asks the model for a title. */
static void
maybe_title_by_model (HeronChat *self)
{
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *question_title = NULL;
  HeronConversation *c;
  gint64 id = current_id (self);

  if (self->messages == NULL || self->backend == NULL || id == 0
      || g_list_model_get_n_items (G_LIST_MODEL (self->messages)) != 2
      || !g_settings_get_boolean (self->settings, "model-titles"))
    return;
  history = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (history, g_list_model_get_item (G_LIST_MODEL (self->messages), i));
  c = find_conversation (self, id);
  if (c == NULL || heron_message_get_role (history->pdata[0]) != HERON_ROLE_USER
      || heron_message_get_state (history->pdata[1]) != HERON_MESSAGE_COMPLETE)
    return;
  question_title = heron_conversation_make_title (heron_message_get_content (history->pdata[0]),
                                                  HERON_TURN_TITLE_CHARS);
  if (g_strcmp0 (heron_conversation_get_title (c), question_title) != 0)
    return;
  cancel_title (self);
  self->title_cancellable = g_cancellable_new ();
  heron_title_generate_async (self->backend, self->store, id,
                              heron_conversation_get_system_prompt (c), history,
                              self->title_cancellable, title_done_cb, g_object_ref (self));
}

static void
turn_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_steal_pointer (&self->pending_text);

  g_clear_object (&self->turn_cancellable);
  web_turn_done (self);
  if (!heron_turn_finish (HERON_TURN (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->window != NULL)
    {
      g_autofree char *composer_text = heron_composer_get_text (composer (self));

      /* Nothing the user typed is lost: a failed question goes back into the composer. */
      if (text != NULL && *composer_text == '\0')
        heron_composer_set_text (composer (self), text);
      toast (self, error->message);
    }
  g_debug ("turn finished: %s",
           error == NULL ? "complete"
           : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "stopped"
           : error->message);
  if (self->window == NULL)
    return;
  if (error == NULL)
    maybe_title_by_model (self);
  update_title (self);
  update_state (self);
  /* The finished answer grows its buttons and stats line: keep them in view. */
  if (heron_message_list_get_following (message_list (self)))
    heron_message_list_scroll_to_bottom (message_list (self));
}

static void
turn_conversation_cb (HeronChat *self)
{
  if (self->conversations != NULL)
    heron_conversation_list_reload_async (self->conversations, NULL, NULL, NULL);
}

static void
turn_started_cb (HeronChat *self)
{
  g_debug ("turn started");
  self->saw_delta = FALSE;
  web_turn_started (self);
}

static void
turn_delta_cb (HeronChat *self)
{
  /* Once per answer, for the UI test: the first tokens reached the main loop. */
  if (!self->saw_delta)
    g_debug ("first tokens arrived");
  self->saw_delta = TRUE;
}

static gboolean
start_turn (HeronChat *self)
{
  if (self->backend == NULL || self->turn == NULL)
    {
      toast (self, _("Open a model file or connect to a server first"));
      return FALSE;
    }
  if (heron_chat_get_running (self))
    return FALSE;
  g_set_object (&self->turn_cancellable, g_cancellable_new ());
  /* The next question goes first (a local model would queue it behind the title). */
  cancel_title (self);
  apply_model_routing (self);
  {
    g_autofree char *prompt = g_settings_get_string (self->settings, "system-prompt");

    heron_turn_set_system_prompt (self->turn, *prompt != '\0' ? prompt : NULL);
  }
  heron_message_list_scroll_to_bottom (message_list (self));
  return TRUE;
}

static void
send_requested_cb (HeronChat     *self,
                   const char    *text,
                   HeronChatView *view)
{
  if (!start_turn (self))
    {
      heron_composer_set_text (composer (self), text);
      return;
    }
  g_free (self->pending_text);
  self->pending_text = g_strdup (text);
  web_step_start (self, text, self->editing_id, 0);
  self->editing_id = 0;
  update_state (self);
}

/* ---- actions --------------------------------------------------------------------------- */

static void
stop_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  HeronChat *self = user_data;

  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
}

static void
copy_message_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  HeronChat *self = user_data;
  HeronMessage *m = find_message (self, g_variant_get_int64 (param));

  if (m == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self->window)),
                          heron_message_get_content (m));
  toast (self, _("Copied"));
}

static void
edit_message_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  HeronChat *self = user_data;
  HeronMessage *m = find_message (self, g_variant_get_int64 (param));

  if (m == NULL || heron_message_get_role (m) != HERON_ROLE_USER)
    return;
  self->editing_id = heron_message_get_id (m);
  heron_composer_set_text (composer (self), heron_message_get_content (m));
  gtk_widget_grab_focus (GTK_WIDGET (composer (self)));
  toast (self, _("Sending replaces this message and the answers after it"));
}

static void
regenerate_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  HeronChat *self = user_data;
  HeronMessage *m = find_message (self, g_variant_get_int64 (param));

  if (m == NULL || heron_message_get_role (m) != HERON_ROLE_ASSISTANT || !start_turn (self))
    return;
  web_step_start (self, NULL, 0, heron_message_get_id (m));
  update_state (self);
}

/* Ctrl+Shift+R: a new answer to the last question. */
static void
regenerate_last_action (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  HeronChat *self = user_data;
  HeronMessage *last = self->messages != NULL
                       ? heron_conversation_model_peek_last (self->messages) : NULL;

  if (last == NULL || heron_message_get_role (last) != HERON_ROLE_ASSISTANT)
    return;
  g_action_activate (g_action_map_lookup_action (G_ACTION_MAP (self->actions), "regenerate"),
                     g_variant_new_int64 (heron_message_get_id (last)));
}

static void
reload_messages (HeronChat *self)
{
  /* A running turn streams into its own message objects: reading the stored rows now would
   * replace them with a copy that no longer grows. Nothing a turn can run alongside
   * (rename, pin, settings) changes the messages. */
  if (heron_chat_get_running (self))
    return;
  if (self->messages != NULL && current_id (self) != 0)
    heron_conversation_model_load_async (self->messages, self->cancellable, loaded_cb,
                                         g_object_ref (self));
}

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!heron_store_write_finish (HERON_STORE (source), result, &error))
    {
      if (self->window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (self->window == NULL)
    return;
  reload_messages (self);
  if (self->conversations != NULL)
    heron_conversation_list_reload_async (self->conversations, NULL, NULL, NULL);
}

/* ---- alternatives: "‹ 2/3 ›" on a message switches the shown branch ---------------- */

static void
branch_switched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 shown = heron_store_switch_branch_finish (HERON_STORE (source), result, &error);

  if (shown == 0)
    {
      if (self->window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (self->window == NULL)
    return;
  /* Keep the switched message in view; the next turn follows the new path. */
  self->jump_to = shown;
  reload_messages (self);
}

static void
show_branch_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  HeronChat *self = user_data;
  gint64 id;
  gint32 delta;

  g_variant_get (param, "(xi)", &id, &delta);
  if (heron_chat_get_running (self))
    return;
  heron_store_switch_branch_async (self->store, id, delta, self->cancellable,
                                   branch_switched_cb, g_object_ref (self));
}

static void
delete_message_action (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  HeronChat *self = user_data;

  heron_store_delete_message_async (self->store, g_variant_get_int64 (param), self->cancellable,
                                    write_done_cb, g_object_ref (self));
}

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    HeronChat        *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "heron-id"));
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "rename") != 0 || *title == '\0')
    return;
  cancel_title (self);
  heron_store_rename_conversation_async (self->store, id, title, self->cancellable,
                                         write_done_cb, g_object_ref (self));
}

static void
rename_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  HeronChat *self = user_data;
  gint64 id = g_variant_get_int64 (param);
  HeronConversation *c = find_conversation (self, id);
  GtkWidget *dialog, *entry;

  if (c == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self->window), _("Rename Conversation"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), heron_conversation_get_title (c));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Title"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "heron-id", GSIZE_TO_POINTER (id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pin_action (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  HeronChat *self = user_data;
  gint64 id = g_variant_get_int64 (param);
  HeronConversation *c = find_conversation (self, id);

  if (c == NULL)
    return;
  heron_store_pin_conversation_async (self->store, id, !heron_conversation_get_pinned (c),
                                      self->cancellable, write_done_cb, g_object_ref (self));
}

static void
delete_conversation_action (GSimpleAction *action,
                            GVariant      *param,
                            gpointer       user_data)
{
  HeronChat *self = user_data;
  gint64 id = g_variant_get_int64 (param);
  AdwToast *undo;

  heron_store_delete_conversation_async (self->store, id, self->cancellable, write_done_cb,
                                         g_object_ref (self));
  if (id == current_id (self))
    heron_chat_new_conversation (self);
  undo = adw_toast_new (_("Conversation deleted"));
  adw_toast_set_button_label (undo, _("_Undo"));
  adw_toast_set_action_name (undo, "chat.undo-delete");
  adw_toast_set_action_target_value (undo, g_variant_new_int64 (id));
  heron_window_add_toast (self->window, undo);
}

static void
undo_delete_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  HeronChat *self = user_data;

  heron_store_undelete_conversation_async (self->store, g_variant_get_int64 (param),
                                           self->cancellable, write_done_cb,
                                           g_object_ref (self));
}

static void
search_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  HeronChat *self = user_data;
  GtkSearchEntry *entry = heron_sidebar_get_search_entry (heron_window_get_sidebar (self->window));

  heron_window_set_sidebar_visible (self->window, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (entry));
}

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = heron_store_search_finish (HERON_STORE (source), result, &error);

  if (hits == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->window != NULL)
        toast (self, error->message);
      return;
    }
  if (self->window == NULL)
    return;
  g_debug ("search: %u hits", hits->len);
  heron_chat_list_show_hits (chat_list (self), hits);
}

static void
search_changed_cb (HeronChat      *self,
                   GtkSearchEntry *entry)
{
  g_autofree char *query = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (self->search_cancellable != NULL)
    g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (*query == '\0' || self->store == NULL)
    {
      heron_chat_list_show_hits (chat_list (self), NULL);
      return;
    }
  self->search_cancellable = g_cancellable_new ();
  heron_store_search_async (self->store, query, 50, self->search_cancellable, search_done_cb,
                            g_object_ref (self));
}

static void
search_activate_cb (HeronChat      *self,
                    GtkSearchEntry *entry)
{
  heron_chat_list_activate_first_hit (chat_list (self));
}

static void
stop_search_cb (HeronChat      *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (composer (self)));
}

/* ---- export ---------------------------------------------------------------------------- */

typedef struct
{
  HeronChat *self;
  GFile     *file;     /* NULL: to the clipboard */
} ExportData;

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (self->window != NULL)
        show_error (self, _("Cannot Save the Conversation"), error->message);
      return;
    }
  if (self->window != NULL)
    toast (self, _("Conversation exported"));
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ExportData *data = user_data;
  g_autoptr(HeronChat) self = data->self;
  g_autoptr(GFile) file = data->file;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = heron_store_export_finish (HERON_STORE (source), result, &error);

  g_free (data);
  if (self->window == NULL)
    return;
  if (text == NULL)
    {
      toast (self, error->message);
      return;
    }
  if (file == NULL)
    {
      gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self->window)), text);
      toast (self, _("Conversation copied"));
      return;
    }
  {
    gsize len = strlen (text);
    g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), len);

    g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                         G_FILE_CREATE_REPLACE_DESTINATION, self->cancellable,
                                         saved_cb, g_object_ref (self));
  }
}

static void
export_to (HeronChat         *self,
           GFile             *file,
           HeronExportFormat  format)
{
  ExportData *data = g_new0 (ExportData, 1);

  data->self = g_object_ref (self);
  data->file = file != NULL ? g_object_ref (file) : NULL;
  heron_store_export_async (self->store, current_id (self), format, self->cancellable,
                            exported_cb, data);
}

/* The code behind Export…, for a FILE chosen elsewhere (GtkFileChooserNative cannot be
 * driven under Xvfb, so the tests call this with a path). */
void
heron_chat_export_to_file (HeronChat *self,
                           GFile     *file,
                           gboolean   json)
{
  g_return_if_fail (HERON_IS_CHAT (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->store == NULL || current_id (self) == 0)
    return;
  export_to (self, file, json ? HERON_EXPORT_JSON : HERON_EXPORT_MARKDOWN);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     HeronChat       *self)
{
  HeronExportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser),
                                                                 "heron-format"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      export_to (self, file, format);
    }
  g_object_unref (chooser);
}

static void
export_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  HeronChat *self = user_data;
  gboolean json = g_str_equal (g_action_get_name (G_ACTION (action)), "export-json");
  HeronConversation *c = find_conversation (self, current_id (self));
  g_autofree char *name = NULL;
  GtkFileChooserNative *chooser;

  if (c == NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Export Conversation"), GTK_WINDOW (self->window),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                         _("_Cancel"));
  name = g_strdup_printf ("%s.%s", heron_conversation_get_title (c), json ? "json" : "md");
  g_strdelimit (name, "/\\", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data (G_OBJECT (chooser), "heron-format",
                     GINT_TO_POINTER (json ? HERON_EXPORT_JSON : HERON_EXPORT_MARKDOWN));
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
copy_conversation_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  HeronChat *self = user_data;

  if (current_id (self) != 0)
    export_to (self, NULL, HERON_EXPORT_MARKDOWN);
}

/* ---- conversation settings ------------------------------------------------------------- */

static void
settings_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      HeronChat        *self)
{
  GtkTextView *prompt_view = g_object_get_data (G_OBJECT (dialog), "heron-prompt");
  GtkSpinButton *temperature = g_object_get_data (G_OBJECT (dialog), "heron-temperature");
  GtkSpinButton *max_tokens = g_object_get_data (G_OBJECT (dialog), "heron-max-tokens");
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (prompt_view);
  GtkTextIter start, end;
  g_autofree char *prompt = NULL;
  g_autofree char *json = NULL;
  HeronSamplingParams params;

  if (g_strcmp0 (response, "save") != 0)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  prompt = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  {
    char temp[G_ASCII_DTOSTR_BUF_SIZE];

    /* g_ascii_dtostr: JSON wants a dot whatever the locale. */
    json = g_strdup_printf ("{\"temperature\": %s, \"max_tokens\": %d}",
                            g_ascii_dtostr (temp, sizeof temp,
                                            gtk_spin_button_get_value (temperature)),
                            gtk_spin_button_get_value_as_int (max_tokens));
  }
  if (current_id (self) != 0)
    heron_store_set_conversation_settings_async (self->store, current_id (self), prompt, NULL,
                                                 json, NULL, self->cancellable, write_done_cb,
                                                 g_object_ref (self));
  /* A conversation the next turn creates gets them from the turn. */
  heron_sampling_params_init (&params);
  heron_sampling_params_merge_json (&params, json);
  if (self->turn != NULL)
    heron_turn_set_sampling (self->turn, &params);
  if (*prompt != '\0')
    g_settings_set_string (self->settings, "system-prompt", prompt);
}

static GtkWidget *
labelled (const char *text,
          GtkWidget  *widget)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), widget);
  return box;
}

static void
conversation_settings_action (GSimpleAction *action,
                              GVariant      *param,
                              gpointer       user_data)
{
  HeronChat *self = user_data;
  HeronConversation *c = find_conversation (self, current_id (self));
  HeronSamplingParams params;
  GtkWidget *dialog, *box, *prompt, *frame, *temperature, *max_tokens;
  g_autofree char *default_prompt = g_settings_get_string (self->settings, "system-prompt");
  const char *system_prompt = c != NULL ? heron_conversation_get_system_prompt (c) : NULL;

  heron_sampling_params_init (&params);
  heron_sampling_params_merge_json (&params,
                                    c != NULL ? heron_conversation_get_settings_json (c) : NULL);

  dialog = adw_message_dialog_new (GTK_WINDOW (self->window), _("Conversation Settings"),
                                   _("These settings apply to this conversation. The system "
                                     "prompt also becomes the default for new ones."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  prompt = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (prompt), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (prompt), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (prompt), 6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (prompt)),
                            system_prompt != NULL ? system_prompt : default_prompt, -1);
  gtk_widget_set_size_request (prompt, 320, 100);
  frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), prompt);
  gtk_box_append (GTK_BOX (box), labelled (_("_System Prompt"), frame));
  temperature = gtk_spin_button_new_with_range (0.0, 2.0, 0.05);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (temperature), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (temperature),
                             params.temperature >= 0 ? params.temperature : 0.7);
  gtk_box_append (GTK_BOX (box), labelled (_("_Temperature"), temperature));
  max_tokens = gtk_spin_button_new_with_range (0, 32768, 64);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (max_tokens), MAX (params.max_tokens, 0));
  gtk_box_append (GTK_BOX (box), labelled (_("_Longest Answer (tokens, 0: no limit)"),
                                           max_tokens));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "heron-prompt", prompt);
  g_object_set_data (G_OBJECT (dialog), "heron-temperature", temperature);
  g_object_set_data (G_OBJECT (dialog), "heron-max-tokens", max_tokens);
  g_signal_connect_object (dialog, "response", G_CALLBACK (settings_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- model ----------------------------------------------------------------------------- */

static void
model_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;

  self->loading = FALSE;
  if (self->window != NULL)
    update_state (self);
  if (!heron_local_backend_load_finish (HERON_LOCAL_BACKEND (source), result, &error))
    {
      if (self->window == NULL)
        return;
      if ((gpointer) shared_backend == source)
        g_clear_object (&shared_backend);
      if (self->backend == (gpointer) source)
        heron_chat_set_backend (self, NULL);
      show_error (self, _("Cannot Load the Model"), error->message);
      return;
    }
  if (self->window != NULL)
    toast (self, _("Model loaded"));
}

static void
load_model (HeronChat  *self,
            const char *path)
{
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (path, 0, 0);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = g_strdup_printf (_("Loading %s…"), base);

  /* Requests made while it loads wait for it on the backend's thread. */
  self->loading = TRUE;
  heron_chat_set_backend (self, HERON_BACKEND (backend));
  toast (self, title);
  heron_local_backend_load_async (backend, self->cancellable, model_loaded_cb,
                                  g_object_ref (self));
}

static void
model_chooser_response_cb (GtkNativeDialog *chooser,
                           int              response,
                           HeronChat       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        load_model (self, path);
    }
  g_object_unref (chooser);
}

void
heron_chat_open_model (HeronChat *self)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  g_return_if_fail (HERON_IS_CHAT (self));

  chooser = gtk_file_chooser_native_new (_("Open a Model File"), GTK_WINDOW (self->window),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                         _("_Cancel"));
  gtk_file_filter_set_name (filter, _("GGUF Models"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect_object (chooser, "response", G_CALLBACK (model_chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void set_backend (HeronChat    *self,
                         HeronBackend *backend,
                         gboolean      is_fallback);

/* ---- prefer local without a local model ------------------------------------------------ */

/* With "prefer local" and a server model chosen in Preferences, a window without any model
 * still answers, through that server, each answer saying why. A model the user picks
 * replaces it; turning the setting off takes it away again. */
static void
follow_prefer_local (HeronChat *self)
{
  g_autofree char *spec = g_settings_get_string (self->settings, "remote-model");
  g_autofree char *have = NULL;
  g_autoptr(HeronBackend) remote = NULL;
  g_autoptr(GError) error = NULL;
  gboolean wanted = g_settings_get_boolean (self->settings, "prefer-local")
                    && g_str_has_prefix (spec, "remote:");

  if (self->store == NULL || (self->backend != NULL && !self->backend_is_fallback))
    return;
  if (!wanted)
    {
      if (self->backend_is_fallback)
        set_backend (self, NULL, FALSE);
      return;
    }
  have = backend_spec (self->backend);
  if (g_strcmp0 (have, spec) == 0)
    return;
  remote = heron_model_picker_remote_backend (self->settings, spec, &error);
  if (remote == NULL)
    {
      g_debug ("prefer local: no server model: %s", error->message);
      if (self->backend_is_fallback)
        set_backend (self, NULL, FALSE);
      return;
    }
  g_debug ("prefer local: no local model, %s answers", spec);
  set_backend (self, remote, TRUE);
}

static void
prefer_local_settings_cb (HeronChat  *self,
                          const char *key)
{
  if (key == NULL || g_str_equal (key, "prefer-local") || g_str_equal (key, "remote-model"))
    follow_prefer_local (self);
}

void
heron_chat_set_backend (HeronChat    *self,
                        HeronBackend *backend)
{
  g_return_if_fail (HERON_IS_CHAT (self));

  set_backend (self, backend, FALSE);
  if (backend == NULL)
    follow_prefer_local (self);
}

static void
set_backend (HeronChat    *self,
             HeronBackend *backend,
             gboolean      is_fallback)
{
  self->backend_is_fallback = backend != NULL && is_fallback;
  if (backend != NULL && !is_fallback)
    g_set_object (&shared_backend, backend);
  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
  g_set_object (&self->backend, backend);
  g_clear_object (&self->turn);
  if (self->store != NULL && backend != NULL)
    {
      self->turn = heron_turn_new (self->store, backend);
      g_signal_connect_object (self->turn, "notify::conversation-id",
                               G_CALLBACK (turn_conversation_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->turn, "started", G_CALLBACK (turn_started_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->turn, "delta", G_CALLBACK (turn_delta_cb), self,
                               G_CONNECT_SWAPPED);
      if (self->messages != NULL)
        {
          heron_turn_set_model (self->turn, self->messages);
          heron_turn_set_conversation_id (self->turn, current_id (self));
        }
    }
  record_conversation_model (self);
  update_state (self);
}

/* ---- store ----------------------------------------------------------------------------- */

static void
store_opened_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HeronChat) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_finish (result, &error);
  HeronBackend *backend;

  if (self->window == NULL)
    return;
  if (store == NULL)
    {
      g_autofree char *dir = heron_store_default_data_dir ();
      g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
      g_autofree char *body = g_strdup_printf (
        _("Heron could not open its chat history at\n%s\n\n%s\n\nChats cannot be saved "
          "until Heron is started again with a history it can open."), path, error->message);

      g_debug ("store error: %s", error->message);
      show_error (self, _("Cannot Open the Chat History"), body);
      return;
    }
  self->store = g_steal_pointer (&store);
  self->conversations = heron_conversation_list_new (self->store);
  g_signal_connect_object (self->conversations, "items-changed", G_CALLBACK (update_title),
                           self, G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  heron_sidebar_set_model (heron_window_get_sidebar (self->window),
                           G_LIST_MODEL (self->conversations));
  heron_conversation_list_reload_async (self->conversations, NULL, NULL, NULL);

  backend = self->backend;
  self->backend = NULL;
  heron_chat_set_backend (self, backend);
  g_clear_object (&backend);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (prefer_local_settings_cb),
                           self, G_CONNECT_SWAPPED);
  heron_chat_new_conversation (self);
  g_debug ("store open: %s", heron_store_get_path (self->store));
}

static const GActionEntry chat_actions[] = {
  { "stop", stop_action },
  { "copy-message", copy_message_action, "x" },
  { "edit-message", edit_message_action, "x" },
  { "regenerate", regenerate_action, "x" },
  { "regenerate-last", regenerate_last_action },
  { "delete-message", delete_message_action, "x" },
  { "show-branch", show_branch_action, "(xi)" },
  { "rename-conversation", rename_action, "x" },
  { "pin-conversation", pin_action, "x" },
  { "delete-conversation", delete_conversation_action, "x" },
  { "undo-delete", undo_delete_action, "x" },
  { "search", search_action },
  { "export-markdown", export_action },
  { "export-json", export_action },
  { "copy-conversation", copy_conversation_action },
  { "conversation-settings", conversation_settings_action },
};

static void
window_gone_cb (gpointer  data,
                GObject  *where)
{
  HeronChat *self = data;

  self->window = NULL;
  g_cancellable_cancel (self->cancellable);
  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
}

static void
heron_chat_dispose (GObject *object)
{
  HeronChat *self = (HeronChat *)object;

  if (self->window != NULL)
    {
      g_object_weak_unref (G_OBJECT (self->window), window_gone_cb, self);
      self->window = NULL;
    }
  g_cancellable_cancel (self->cancellable);
  if (self->turn_cancellable != NULL)
    g_cancellable_cancel (self->turn_cancellable);
  if (self->search_cancellable != NULL)
    g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->turn_cancellable);
  g_clear_object (&self->search_cancellable);
  cancel_title (self);
  g_clear_object (&self->turn);
  g_clear_object (&self->messages);
  g_clear_object (&self->conversations);
  g_clear_object (&self->backend);
  g_clear_object (&self->store);
  g_clear_object (&self->actions);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_text, g_free);
  g_clear_pointer (&self->web_result, heron_web_context_result_free);
  g_clear_pointer (&self->web_question, g_free);
  g_clear_object (&self->web_placeholder);
  g_clear_object (&self->web_model);
  g_clear_object (&self->web);

  G_OBJECT_CLASS (heron_chat_parent_class)->dispose (object);
}

static void
heron_chat_finalize (GObject *object)
{
  HeronChat *self = (HeronChat *)object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (heron_chat_parent_class)->finalize (object);
}

static void
heron_chat_class_init (HeronChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = heron_chat_dispose;
  object_class->finalize = heron_chat_finalize;
}

static void
heron_chat_init (HeronChat *self)
{
  self->cancellable = g_cancellable_new ();
  self->actions = g_simple_action_group_new ();
  self->settings = g_settings_new (APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), chat_actions,
                                   G_N_ELEMENTS (chat_actions), self);
}

static HeronBackend *
initial_backend (HeronChat *self)
{
  g_autoptr(GError) error = NULL;
  HeronBackend *backend;
  const char *model = g_getenv ("HERON_MODEL");

  if (shared_backend != NULL)
    return g_object_ref (shared_backend);
  backend = heron_test_backend_new_from_env (&error);
  if (error != NULL)
    g_warning ("HERON_TEST_BACKEND: %s", error->message);
  if (backend != NULL)
    {
      g_set_object (&shared_backend, backend);
      return backend;
    }
  if (model != NULL && *model != '\0')
    {
      HeronLocalBackend *local = heron_local_backend_new (model, 0, 0);

      g_set_object (&shared_backend, HERON_BACKEND (local));
      self->loading = TRUE;
      heron_local_backend_load_async (local, self->cancellable, model_loaded_cb,
                                      g_object_ref (self));
      return HERON_BACKEND (local);
    }
  return NULL;
}

HeronChat *
heron_chat_new (GtkWidget *window)
{
  HeronChat *self;
  GtkSearchEntry *entry;
  g_autofree char *data_dir = NULL;

  g_return_val_if_fail (HERON_IS_WINDOW (window), NULL);

  self = g_object_new (HERON_TYPE_CHAT, NULL);
  self->window = HERON_WINDOW (window);
  g_object_weak_ref (G_OBJECT (window), window_gone_cb, self);
  gtk_widget_insert_action_group (window, "chat", G_ACTION_GROUP (self->actions));

  g_signal_connect_object (web_mode_button (self), "notify::mode",
                           G_CALLBACK (web_mode_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (web_settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (chat_view (self), "send-requested", G_CALLBACK (send_requested_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (chat_list (self), "conversation-activated",
                           G_CALLBACK (conversation_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (chat_list (self), "hit-activated", G_CALLBACK (hit_activated_cb),
                           self, G_CONNECT_SWAPPED);
  entry = heron_sidebar_get_search_entry (heron_window_get_sidebar (self->window));
  g_signal_connect_object (entry, "search-changed", G_CALLBACK (search_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "stop-search", G_CALLBACK (stop_search_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (entry, "activate", G_CALLBACK (search_activate_cb), self,
                           G_CONNECT_SWAPPED);

  /* Kept until the store is open; the turn needs both. */
  self->backend = initial_backend (self);
  update_state (self);

  data_dir = heron_store_default_data_dir ();
  heron_store_open_async (data_dir, self->cancellable, store_opened_cb, g_object_ref (self));
  return self;
}

HeronStore *
heron_chat_get_store (HeronChat *self)
{
  g_return_val_if_fail (HERON_IS_CHAT (self), NULL);

  return self->store;
}

HeronConversationModel *
heron_chat_get_messages (HeronChat *self)
{
  g_return_val_if_fail (HERON_IS_CHAT (self), NULL);

  return self->messages;
}

/**
 * heron_chat_get_backend:
 *
 * Returns: (transfer none) (nullable): the model that answers in this window
 */
HeronBackend *
heron_chat_get_backend (HeronChat *self)
{
  g_return_val_if_fail (HERON_IS_CHAT (self), NULL);

  return self->backend;
}

gboolean
heron_chat_get_running (HeronChat *self)
{
  g_return_val_if_fail (HERON_IS_CHAT (self), FALSE);

  return (self->turn != NULL && heron_turn_get_running (self->turn)) || self->web_running;
}
