/* heron-scripted-backend.c: a backend that streams a fixed text with timeouts on the
 * caller's main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "heron-scripted-backend.h"
#include "think.h"

struct _HeronScriptedBackend
{
  GObject           parent_instance;
  char             *text;
  guint             interval_ms;
  guint             chars_per_delta;
  guint             fail_after;          /* 0: never */
  char             *fail_message;
  HeronChatRequest *last_request;
};

static void backend_iface_init (HeronBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HeronScriptedBackend, heron_scripted_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HERON_TYPE_BACKEND, backend_iface_init))

typedef struct
{
  HeronScriptedBackend *self;
  const char           *pos;          /* into self->text */
  guint                 n_deltas;
  HeronDeltaFunc        delta_func;
  gpointer              delta_data;
  hr_think             *think;
  GString              *content;      /* what the splitter emitted for this tick */
  GString              *reasoning;
  GSource              *timeout;
  gint64                start_us;
  gint64                first_us;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  if (run->timeout)
    {
      g_source_destroy (run->timeout);
      g_source_unref (run->timeout);
    }
  hr_think_free (run->think);
  g_string_free (run->content, TRUE);
  g_string_free (run->reasoning, TRUE);
  g_object_unref (run->self);
  g_free (run);
}

static void
think_emit (hr_think_kind kind, const char *text, size_t len, void *ud)
{
  Run *run = ud;

  g_string_append_len (kind == HR_THINK_REASONING ? run->reasoning : run->content, text, len);
}

static void
deliver (Run *run)
{
  if (run->content->len == 0 && run->reasoning->len == 0)
    return;
  if (run->first_us == 0)
    run->first_us = g_get_monotonic_time ();
  if (run->delta_func)
    run->delta_func (run->content->len ? run->content->str : NULL,
                     run->reasoning->len ? run->reasoning->str : NULL, run->delta_data);
  g_string_truncate (run->content, 0);
  g_string_truncate (run->reasoning, 0);
}

static void
complete (GTask *task, HeronStopReason stop)
{
  Run *run = g_task_get_task_data (task);
  HeronChatStats *stats = g_new0 (HeronChatStats, 1);
  gint64 now = g_get_monotonic_time ();

  hr_think_finish (run->think);
  deliver (run);
  stats->model = g_strdup ("scripted");
  stats->completion_tokens = run->n_deltas;
  stats->prompt_tokens = 0;
  stats->time_to_first_token_ms = run->first_us ? (run->first_us - run->start_us) / 1000.0 : 0;
  stats->generation_ms = (now - run->start_us) / 1000.0;
  stats->tokens_per_second = stats->generation_ms > 0
                             ? run->n_deltas * 1000.0 / stats->generation_ms : 0;
  stats->stop = stop;
  g_task_return_pointer (task, stats, (GDestroyNotify) heron_chat_stats_free);
}

static gboolean
tick (gpointer user_data)
{
  GTask *task = user_data;
  Run *run = g_task_get_task_data (task);
  const char *end = run->pos;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      complete (task, HERON_STOP_CANCELLED);
      return G_SOURCE_REMOVE;
    }
  if (run->self->fail_after && run->n_deltas >= run->self->fail_after)
    {
      deliver (run);
      g_task_return_new_error (task, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION, "%s",
                               run->self->fail_message);
      return G_SOURCE_REMOVE;
    }
  if (*run->pos == '\0')
    {
      complete (task, HERON_STOP_END);
      return G_SOURCE_REMOVE;
    }
  for (guint i = 0; i < run->self->chars_per_delta && *end; i++)
    end = g_utf8_next_char (end);
  hr_think_feed (run->think, run->pos, end - run->pos);
  run->pos = end;
  run->n_deltas++;
  deliver (run);
  return G_SOURCE_CONTINUE;
}

static void
scripted_chat_async (HeronBackend *backend, const HeronChatRequest *request,
                     HeronDeltaFunc delta_func, gpointer delta_data, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  HeronScriptedBackend *self = HERON_SCRIPTED_BACKEND (backend);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Run *run = g_new0 (Run, 1);

  /* Cancellation is a normal end with stats, not an error. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_source_tag (task, scripted_chat_async);
  heron_chat_request_free (self->last_request);
  self->last_request = heron_chat_request_new ();
  self->last_request->params = request->params;
  self->last_request->session = request->session;
  for (guint i = 0; i < request->messages->len; i++)
    {
      HeronChatMessage *m = &g_array_index (request->messages, HeronChatMessage, i);
      heron_chat_request_add_message (self->last_request, m->role, m->content);
    }

  run->self = g_object_ref (self);
  run->pos = self->text;
  run->delta_func = delta_func;
  run->delta_data = delta_data;
  run->content = g_string_new ("");
  run->reasoning = g_string_new ("");
  run->think = hr_think_new (false, think_emit, run);
  run->start_us = g_get_monotonic_time ();
  g_task_set_task_data (task, run, run_free);

  run->timeout = g_timeout_source_new (self->interval_ms);
  g_source_set_callback (run->timeout, tick, task, g_object_unref);
  g_source_attach (run->timeout, g_main_context_get_thread_default ());
}

static HeronChatStats *
scripted_chat_finish (HeronBackend *backend, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
scripted_get_name (HeronBackend *backend)
{
  return "scripted";
}

static void
backend_iface_init (HeronBackendInterface *iface)
{
  iface->get_name = scripted_get_name;
  iface->chat_async = scripted_chat_async;
  iface->chat_finish = scripted_chat_finish;
}

static void
heron_scripted_backend_finalize (GObject *object)
{
  HeronScriptedBackend *self = HERON_SCRIPTED_BACKEND (object);

  g_free (self->text);
  g_free (self->fail_message);
  heron_chat_request_free (self->last_request);
  G_OBJECT_CLASS (heron_scripted_backend_parent_class)->finalize (object);
}

static void
heron_scripted_backend_class_init (HeronScriptedBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_scripted_backend_finalize;
}

static void
heron_scripted_backend_init (HeronScriptedBackend *self)
{
}

HeronScriptedBackend *
heron_scripted_backend_new (const char *text, guint interval_ms, guint chars_per_delta)
{
  HeronScriptedBackend *self = g_object_new (HERON_TYPE_SCRIPTED_BACKEND, NULL);

  self->text = g_strdup (text && g_utf8_validate (text, -1, NULL) ? text : "");
  self->interval_ms = interval_ms;
  self->chars_per_delta = MAX (chars_per_delta, 1);
  return self;
}

HeronScriptedBackend *
heron_scripted_backend_new_from_spec (const char *spec, GError **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *text = NULL;
  guint64 interval = 20, chars = 1;
  guint n;

  if (spec == NULL || !g_str_has_prefix (spec, "scripted:"))
    goto bad;
  parts = g_strsplit (spec + strlen ("scripted:"), ":", 3);
  n = g_strv_length (parts);
  if (n < 1 || *parts[0] == '\0' ||
      (n > 1 && !g_ascii_string_to_unsigned (parts[1], 10, 0, 60000, &interval, NULL)) ||
      (n > 2 && !g_ascii_string_to_unsigned (parts[2], 10, 1, 100000, &chars, NULL)))
    goto bad;
  if (!g_file_get_contents (parts[0], &text, NULL, error))
    return NULL;
  return heron_scripted_backend_new (text, interval, chars);

bad:
  g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
               _("Invalid test backend “%s”: expected scripted:FILE[:INTERVAL_MS[:CHARS]]"),
               spec ? spec : "");
  return NULL;
}

void
heron_scripted_backend_set_fail_after (HeronScriptedBackend *self, guint n_deltas,
                                       const char *error_message)
{
  g_return_if_fail (HERON_IS_SCRIPTED_BACKEND (self));
  self->fail_after = n_deltas;
  g_free (self->fail_message);
  self->fail_message = g_strdup (error_message);
}

const HeronChatRequest *
heron_scripted_backend_get_last_request (HeronScriptedBackend *self)
{
  g_return_val_if_fail (HERON_IS_SCRIPTED_BACKEND (self), NULL);
  return self->last_request;
}

HeronBackend *
heron_test_backend_new_from_env (GError **error)
{
  const char *spec = g_getenv ("HERON_TEST_BACKEND");

  if (spec == NULL || *spec == '\0')
    return NULL;
  return HERON_BACKEND (heron_scripted_backend_new_from_spec (spec, error));
}
