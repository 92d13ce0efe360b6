/* heron-turn.c: one question -> one streamed, stored answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "heron-turn.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-models.h"
#include "heron-web-context.h"

typedef enum { KIND_ASK, KIND_EDIT, KIND_REGENERATE } Kind;

struct _HeronTurn
{
  GObject                 parent_instance;
  HeronStore             *store;
  HeronBackend           *backend;
  HeronConversationModel *model;
  gint64                  conversation_id;
  char                   *system_prompt;
  HeronSamplingParams     params;
  guint                   write_interval;
  HeronBackend           *fallback;        /* prefer-local routing (heron-models.h) */
  int                     local_n_ctx;
  char                   *route_notice;    /* why the running request went to the fallback */
  char                   *model_spec;      /* conversations.model to record, or NULL */
  char                   *web_context;     /* sources block for the next request, or NULL */
  char                   *web_sources_json;

  /* the running request */
  GTask                  *task;
  HeronMessage           *question;
  HeronMessage           *answer;
  GSource                *timer;           /* on the caller's thread-default context */
  gboolean                dirty;
  gboolean                write_in_flight;
  guint                   n_writes;
  GError                 *write_error;
};

G_DEFINE_FINAL_TYPE (HeronTurn, heron_turn, G_TYPE_OBJECT)

enum { PROP_0, PROP_CONVERSATION_ID, PROP_RUNNING, PROP_ANSWER, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_DELTA, SIGNAL_STARTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* What the preparation thread gets and gives back. */
typedef struct
{
  Kind          kind;
  char         *text;           /* the question (ask, edit) */
  gint64        target;         /* edited user message / regenerated answer */
  gint64        conversation_id;
  char         *system_prompt;  /* for a new conversation */
  char         *model_name;
  char         *model_spec;     /* stored as conversations.model (heron-models.h), or NULL */
  char         *sources_json;   /* stored with the answer (web context), or NULL */
  /* results */
  char         *conv_system_prompt;
  char         *conv_settings_json;
  GPtrArray    *history;
  HeronMessage *question;
  HeronMessage *answer;
} Prep;

static void
prep_free (gpointer data)
{
  Prep *p = data;

  g_free (p->text);
  g_free (p->system_prompt);
  g_free (p->model_name);
  g_free (p->model_spec);
  g_free (p->sources_json);
  g_free (p->conv_system_prompt);
  g_free (p->conv_settings_json);
  g_clear_pointer (&p->history, g_ptr_array_unref);
  g_clear_object (&p->question);
  g_clear_object (&p->answer);
  g_free (p);
}

HeronChatRequest *
heron_turn_build_request (const char *system_prompt, GPtrArray *history, const char *question,
                          const HeronSamplingParams *params)
{
  HeronChatRequest *req = heron_chat_request_new ();

  if (params)
    req->params = *params;
  if (system_prompt && *system_prompt)
    heron_chat_request_add_message (req, HERON_ROLE_SYSTEM, system_prompt);
  for (guint i = 0; history && i < history->len; i++)
    {
      HeronMessage *m = history->pdata[i];
      HeronRole role = heron_message_get_role (m);
      const char *content = heron_message_get_content (m);

      /* An answer that failed before saying anything carries nothing for the model. */
      if (role == HERON_ROLE_ASSISTANT && *content == '\0')
        continue;
      heron_chat_request_add_message (req, role, content);
    }
  if (question)
    heron_chat_request_add_message (req, HERON_ROLE_USER, question);
  return req;
}

/* ---- preparation (a worker thread, blocking store calls) ------------------------------ */

static gboolean
prepare_history (HeronStore *store, Prep *p, gint64 *parent, GError **error)
{
  g_autoptr(GPtrArray) path = NULL;
  HeronMessage *target;
  HeronRole want = p->kind == KIND_EDIT ? HERON_ROLE_USER : HERON_ROLE_ASSISTANT;

  if (p->kind == KIND_ASK)
    {
      p->history = heron_store_get_messages_sync (store, p->conversation_id, NULL, error);
      if (p->history == NULL)
        return FALSE;
      *parent = p->history->len
                ? heron_message_get_id (p->history->pdata[p->history->len - 1]) : 0;
      return TRUE;
    }

  path = heron_store_get_path_sync (store, p->target, NULL, error);
  if (path == NULL)
    return FALSE;
  target = path->pdata[path->len - 1];
  if (heron_message_get_role (target) != want ||
      heron_message_get_conversation_id (target) != p->conversation_id ||
      (p->kind == KIND_REGENERATE && path->len < 2))
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                   p->kind == KIND_EDIT ? _("Message %" PRId64 " is not a question "
                                            "of this conversation.")
                                        : _("Message %" PRId64 " is not an answer "
                                            "of this conversation."), p->target);
      return FALSE;
    }
  /* Edit: the history ends before the edited question. Regenerate: it ends with the
   * question that is answered again. */
  g_ptr_array_remove_index (path, path->len - 1);
  *parent = path->len ? heron_message_get_id (path->pdata[path->len - 1]) : 0;
  p->history = g_steal_pointer (&path);
  return TRUE;
}

static void
prepare_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  HeronTurn *self = source;
  HeronStore *store = self->store;
  Prep *p = data;
  g_autoptr(HeronConversation) conv = NULL;
  GError *error = NULL;
  gint64 parent = 0;

  if (p->conversation_id == 0)
    {
      g_autofree char *title = heron_conversation_make_title (p->text, HERON_TURN_TITLE_CHARS);

      conv = heron_store_create_conversation_sync (store, title, p->system_prompt,
                                                   p->model_spec ? p->model_spec
                                                                 : p->model_name,
                                                   NULL, &error);
    }
  else
    conv = heron_store_get_conversation_sync (store, p->conversation_id, NULL, &error);
  if (conv == NULL)
    goto fail;
  /* The conversation remembers the model it was last switched to. */
  if (p->model_spec && g_strcmp0 (heron_conversation_get_model (conv), p->model_spec) != 0
      && !heron_store_set_conversation_settings_sync (store, heron_conversation_get_id (conv),
                                                      NULL, p->model_spec, NULL, NULL, NULL,
                                                      &error))
    goto fail;
  p->conversation_id = heron_conversation_get_id (conv);
  p->conv_system_prompt = g_strdup (heron_conversation_get_system_prompt (conv));
  p->conv_settings_json = g_strdup (heron_conversation_get_settings_json (conv));
  if (*heron_conversation_get_title (conv) == '\0' && p->text)
    {
      g_autofree char *title = heron_conversation_make_title (p->text, HERON_TURN_TITLE_CHARS);
      heron_store_rename_conversation_sync (store, p->conversation_id, title, NULL, NULL);
    }

  if (!prepare_history (store, p, &parent, &error))
    goto fail;

  if (p->kind != KIND_REGENERATE)
    {
      p->question = heron_message_new (HERON_ROLE_USER, p->text);
      heron_message_set_conversation_id (p->question, p->conversation_id);
      heron_message_set_parent_id (p->question, parent);
      if (!heron_store_add_message_sync (store, p->question, NULL, &error))
        goto fail;
      parent = heron_message_get_id (p->question);
    }
  p->answer = heron_message_new (HERON_ROLE_ASSISTANT, "");
  heron_message_set_conversation_id (p->answer, p->conversation_id);
  heron_message_set_parent_id (p->answer, parent);
  heron_message_set_state (p->answer, HERON_MESSAGE_STREAMING);
  heron_message_set_model (p->answer, p->model_name);
  heron_message_set_sources_json (p->answer, p->sources_json);
  if (!heron_store_add_message_sync (store, p->answer, NULL, &error))
    goto fail;
  g_task_return_boolean (task, TRUE);
  return;

fail:
  g_task_return_error (task, error);
}

/* ---- streaming ------------------------------------------------------------------------- */

static void
stop_timer (HeronTurn *self)
{
  if (self->timer == NULL)
    return;
  g_source_destroy (self->timer);
  g_clear_pointer (&self->timer, g_source_unref);
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(HeronTurn) self = user_data;
  g_autoptr(GError) error = NULL;

  self->write_in_flight = FALSE;
  if (!heron_store_write_finish (HERON_STORE (source), result, &error) &&
      self->write_error == NULL)
    self->write_error = g_steal_pointer (&error);
}

static gboolean
write_tick (gpointer user_data)
{
  HeronTurn *self = user_data;

  /* One write at a time: a slow disk delays the next write instead of queueing many. */
  if (!self->dirty || self->write_in_flight)
    return G_SOURCE_CONTINUE;
  self->dirty = FALSE;
  self->write_in_flight = TRUE;
  self->n_writes++;
  heron_store_update_message_async (self->store, heron_message_get_id (self->answer),
                                    heron_message_get_content (self->answer),
                                    heron_message_get_reasoning (self->answer), NULL,
                                    write_done, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
on_delta (const char *content, const char *reasoning, gpointer user_data)
{
  HeronTurn *self = user_data;

  if (reasoning)
    heron_message_append_reasoning (self->answer, reasoning);
  if (content)
    heron_message_append_content (self->answer, content);
  self->dirty = TRUE;
  g_signal_emit (self, signals[SIGNAL_DELTA], 0, content, reasoning);
}

static void
set_running (HeronTurn *self, gboolean running)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
final_write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronTurn *self = g_task_get_source_object (task);
  GError *backend_error = g_task_get_task_data (task);
  GError *error = NULL;

  /* Idle before the caller hears of it, so that its callback may start the next request. */
  g_clear_object (&self->task);
  set_running (self, FALSE);
  if (!heron_store_write_finish (HERON_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
    }
  else if (backend_error)
    g_task_return_error (task, g_error_copy (backend_error));
  else if (heron_message_get_state (self->answer) == HERON_MESSAGE_CANCELLED)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The answer was stopped."));
  else
    g_task_return_boolean (task, TRUE);
}

static void
chat_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronTurn *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(HeronChatStats) stats = heron_backend_chat_finish (HERON_BACKEND (source), result,
                                                               &error);
  g_autofree char *stats_json = NULL;
  HeronMessageState state;

  stop_timer (self);
  if (stats)
    {
      stats_json = heron_chat_stats_to_json (stats);
      if (self->route_notice)
        {
          char *with_notice = heron_models_stats_add_notice (stats_json, self->route_notice);
          g_free (stats_json);
          stats_json = with_notice;
        }
      state = stats->stop == HERON_STOP_CANCELLED ? HERON_MESSAGE_CANCELLED
                                                  : HERON_MESSAGE_COMPLETE;
    }
  else
    {
      state = HERON_MESSAGE_ERROR;
      heron_message_set_error (self->answer, error->message);
      g_task_set_task_data (task, error, (GDestroyNotify) g_error_free);
    }
  heron_message_set_stats_json (self->answer, stats_json);
  heron_message_set_state (self->answer, state);
  /* Queued after any streaming write still in flight: the store runs jobs in order. */
  heron_store_finish_message_async (self->store, heron_message_get_id (self->answer),
                                    heron_message_get_content (self->answer),
                                    heron_message_get_reasoning (self->answer), state,
                                    heron_message_get_error (self->answer), stats_json, NULL,
                                    final_write_done, g_steal_pointer (&task));
}

static void
prepare_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HeronTurn *self = HERON_TURN (source);
  GTask *task = user_data;   /* the turn's own task, owned by self->task */
  Prep *p = g_task_get_task_data (G_TASK (result));
  g_autoptr(HeronChatRequest) request = NULL;
  HeronSamplingParams params;
  HeronBackend *backend;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (p->answer && heron_message_get_id (p->answer) > 0)
        {
          /* The answer row exists but the turn cannot run: do not leave it streaming. */
          heron_store_finish_message_async (self->store, heron_message_get_id (p->answer), "",
                                            NULL, HERON_MESSAGE_ERROR, error->message, NULL,
                                            NULL, NULL, NULL);
        }
      g_clear_object (&self->task);
      set_running (self, FALSE);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (self->conversation_id != p->conversation_id)
    {
      self->conversation_id = p->conversation_id;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
      if (self->model)
        heron_conversation_model_set_conversation_id (self->model, p->conversation_id);
    }
  g_set_object (&self->question, p->question);
  g_set_object (&self->answer, p->answer);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANSWER]);
  if (self->model &&
      heron_conversation_model_get_conversation_id (self->model) == p->conversation_id)
    {
      heron_conversation_model_truncate (self->model, p->history->len);
      if (p->question)
        heron_conversation_model_append (self->model, p->question);
      heron_conversation_model_append (self->model, p->answer);
    }
  g_signal_emit (self, signals[SIGNAL_STARTED], 0);

  /* The turn's own settings win; the conversation's stored settings fill the rest. */
  params = self->params;
  heron_sampling_params_merge_json (&params, p->conv_settings_json);
  {
    /* Web sources go with the question in the request only; the stored question stays as
     * the user wrote it. */
    g_autofree char *asked = NULL;
    g_autofree char *context = g_steal_pointer (&self->web_context);

    if (p->question)
      asked = heron_web_context_compose_question (context,
                                                  heron_message_get_content (p->question));
    g_clear_pointer (&self->web_sources_json, g_free);
    request = heron_turn_build_request (p->conv_system_prompt, p->history, asked, &params);
    /* Regenerate: the question answered again ends the history. */
    if (p->question == NULL && context != NULL && request->messages->len > 0)
      {
        HeronChatMessage *last = &g_array_index (request->messages, HeronChatMessage,
                                                 request->messages->len - 1);

        if (last->role == HERON_ROLE_USER)
          {
            char *with = heron_web_context_compose_question (context, last->content);

            g_free (last->content);
            last->content = with;
          }
      }
  }
  request->session = p->conversation_id;
  self->timer = g_timeout_source_new (self->write_interval);
  g_source_set_callback (self->timer, write_tick, self, NULL);
  g_source_attach (self->timer, g_main_context_get_thread_default ());
  backend = self->backend;
  g_clear_pointer (&self->route_notice, g_free);
  if (self->fallback)
    {
      HeronRoute route = heron_models_route (TRUE, self->local_n_ctx > 0, self->local_n_ctx,
                                             heron_models_estimate_tokens (request),
                                             heron_backend_get_name (self->fallback));
      if (route.use_remote)
        {
          backend = self->fallback;
          self->route_notice = g_steal_pointer (&route.notice);
        }
      heron_route_clear (&route);
    }
  heron_backend_chat_async (backend, request, on_delta, self,
                            g_task_get_cancellable (task), chat_done, task);
}

static void
start (HeronTurn *self, Kind kind, const char *text, gint64 target, GCancellable *cancellable,
       GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) prep_task = NULL;
  Prep *p;

  g_task_set_source_tag (task, source_tag);
  /* A stopped answer is a result the caller handles (the partial text is stored). */
  g_task_set_check_cancellable (task, FALSE);
  if (self->task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("This turn is still answering."));
      g_object_unref (task);
      return;
    }
  if (kind != KIND_REGENERATE && (text == NULL || !g_utf8_validate (text, -1, NULL)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The question is not valid UTF-8 text."));
      g_object_unref (task);
      return;
    }
  self->task = g_object_ref (task);
  self->n_writes = 0;
  self->dirty = FALSE;
  g_clear_error (&self->write_error);
  g_clear_object (&self->question);
  set_running (self, TRUE);

  p = g_new0 (Prep, 1);
  p->kind = kind;
  p->text = g_strdup (text);
  p->target = target;
  p->conversation_id = self->conversation_id;
  p->system_prompt = g_strdup (self->system_prompt);
  p->model_name = g_strdup (heron_backend_get_name (self->backend));
  p->model_spec = g_strdup (self->model_spec);
  p->sources_json = g_strdup (self->web_sources_json);
  prep_task = g_task_new (self, NULL, prepare_done, task);
  g_task_set_task_data (prep_task, p, prep_free);
  g_task_run_in_thread (prep_task, prepare_thread);
}

void
heron_turn_ask_async (HeronTurn *self, const char *question, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HERON_IS_TURN (self));
  start (self, KIND_ASK, question, 0, cancellable, callback, user_data, heron_turn_ask_async);
}

void
heron_turn_edit_async (HeronTurn *self, gint64 user_message_id, const char *text,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_return_if_fail (HERON_IS_TURN (self));
  start (self, KIND_EDIT, text, user_message_id, cancellable, callback, user_data,
         heron_turn_edit_async);
}

void
heron_turn_regenerate_async (HeronTurn *self, gint64 answer_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HERON_IS_TURN (self));
  start (self, KIND_REGENERATE, NULL, answer_id, cancellable, callback, user_data,
         heron_turn_regenerate_async);
}

gboolean
heron_turn_finish (HeronTurn *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- GObject --------------------------------------------------------------------------- */

static void
heron_turn_dispose (GObject *object)
{
  HeronTurn *self = HERON_TURN (object);

  stop_timer (self);
  G_OBJECT_CLASS (heron_turn_parent_class)->dispose (object);
}

static void
heron_turn_finalize (GObject *object)
{
  HeronTurn *self = HERON_TURN (object);

  g_clear_object (&self->store);
  g_clear_object (&self->backend);
  g_clear_object (&self->fallback);
  g_clear_pointer (&self->route_notice, g_free);
  g_clear_pointer (&self->model_spec, g_free);
  g_clear_pointer (&self->web_context, g_free);
  g_clear_pointer (&self->web_sources_json, g_free);
  g_clear_object (&self->model);
  g_clear_object (&self->question);
  g_clear_object (&self->answer);
  g_clear_error (&self->write_error);
  g_free (self->system_prompt);
  G_OBJECT_CLASS (heron_turn_parent_class)->finalize (object);
}

static void
heron_turn_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HeronTurn *self = HERON_TURN (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION_ID: g_value_set_int64 (value, self->conversation_id); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->task != NULL); break;
    case PROP_ANSWER: g_value_set_object (value, self->answer); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_turn_class_init (HeronTurnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = heron_turn_dispose;
  object_class->finalize = heron_turn_finalize;
  object_class->get_property = heron_turn_get_property;

  properties[PROP_CONVERSATION_ID] =
    g_param_spec_int64 ("conversation-id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ANSWER] =
    g_param_spec_object ("answer", NULL, NULL, HERON_TYPE_MESSAGE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* New text of the answer (either argument may be NULL), after the HeronMessage got it. */
  signals[SIGNAL_DELTA] = g_signal_new ("delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                        G_TYPE_STRING, G_TYPE_STRING);
  /* The question and the empty answer are stored (and in the model); streaming starts. */
  signals[SIGNAL_STARTED] = g_signal_new ("started", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
heron_turn_init (HeronTurn *self)
{
  heron_sampling_params_init (&self->params);
  self->write_interval = 250;
}

HeronTurn *
heron_turn_new (HeronStore *store, HeronBackend *backend)
{
  HeronTurn *self;

  g_return_val_if_fail (HERON_IS_STORE (store), NULL);
  g_return_val_if_fail (HERON_IS_BACKEND (backend), NULL);
  self = g_object_new (HERON_TYPE_TURN, NULL);
  self->store = g_object_ref (store);
  self->backend = g_object_ref (backend);
  return self;
}

void
heron_turn_set_conversation_id (HeronTurn *self, gint64 id)
{
  g_return_if_fail (HERON_IS_TURN (self));
  if (self->conversation_id == id)
    return;
  self->conversation_id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
}

gint64
heron_turn_get_conversation_id (HeronTurn *self)
{
  g_return_val_if_fail (HERON_IS_TURN (self), 0);
  return self->conversation_id;
}

void
heron_turn_set_backend (HeronTurn *self, HeronBackend *backend)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_return_if_fail (HERON_IS_BACKEND (backend));
  g_set_object (&self->backend, backend);
}

void
heron_turn_set_web_context (HeronTurn *self, const char *context, const char *sources_json)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_free (self->web_context);
  self->web_context = g_strdup (context);
  g_free (self->web_sources_json);
  self->web_sources_json = g_strdup (sources_json);
}

void
heron_turn_set_model_spec (HeronTurn *self, const char *spec)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_free (self->model_spec);
  self->model_spec = g_strdup (spec);
}

void
heron_turn_set_fallback (HeronTurn *self, HeronBackend *remote, int local_n_ctx)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_set_object (&self->fallback, remote);
  self->local_n_ctx = local_n_ctx;
}

void
heron_turn_set_model (HeronTurn *self, HeronConversationModel *model)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_set_object (&self->model, model);
}

void
heron_turn_set_system_prompt (HeronTurn *self, const char *prompt)
{
  g_return_if_fail (HERON_IS_TURN (self));
  g_free (self->system_prompt);
  self->system_prompt = g_strdup (prompt);
}

void
heron_turn_set_sampling (HeronTurn *self, const HeronSamplingParams *p)
{
  g_return_if_fail (HERON_IS_TURN (self));
  self->params = *p;
}

void
heron_turn_set_write_interval (HeronTurn *self, guint ms)
{
  g_return_if_fail (HERON_IS_TURN (self));
  self->write_interval = MAX (ms, 1);
}

HeronMessage *
heron_turn_get_question (HeronTurn *self)
{
  g_return_val_if_fail (HERON_IS_TURN (self), NULL);
  return self->question;
}

HeronMessage *
heron_turn_get_answer (HeronTurn *self)
{
  g_return_val_if_fail (HERON_IS_TURN (self), NULL);
  return self->answer;
}

gboolean
heron_turn_get_running (HeronTurn *self)
{
  g_return_val_if_fail (HERON_IS_TURN (self), FALSE);
  return self->task != NULL;
}

guint
heron_turn_get_n_writes (HeronTurn *self)
{
  g_return_val_if_fail (HERON_IS_TURN (self), 0);
  return self->n_writes;
}
