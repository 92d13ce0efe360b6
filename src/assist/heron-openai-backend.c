/* heron-openai-backend.c: streaming chat with OpenAI-compatible servers over libsoup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-assist"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "heron-openai-backend.h"
#include "heron-sse.h"
#include "heron-web-secrets.h"

#define READ_CHUNK      16384
#define MAX_ERROR_BODY  (64 * 1024)

static const HeronOpenaiPreset presets[] = {
  { "deepseek", N_("DeepSeek"), "https://api.deepseek.com", TRUE },
  { "openai", N_("OpenAI"), "https://api.openai.com/v1", TRUE },
  { "ollama", N_("Ollama"), "http://localhost:11434/v1", FALSE },
  { "llamacpp", N_("llama.cpp server"), "http://localhost:8080/v1", FALSE },
  { "vllm", N_("vLLM"), "http://localhost:8000/v1", FALSE },
  { "custom", N_("Custom server"), NULL, FALSE },
  { NULL, NULL, NULL, FALSE },
};

const HeronOpenaiPreset *
heron_openai_presets (void)
{
  return presets;
}

const HeronOpenaiPreset *
heron_openai_preset_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);
  for (const HeronOpenaiPreset *p = presets; p->id; p++)
    if (strcmp (p->id, id) == 0)
      return p;
  return NULL;
}

char *
heron_openai_secret_service (const char *endpoint_id)
{
  g_return_val_if_fail (endpoint_id != NULL, NULL);
  return g_strconcat ("openai:", endpoint_id, NULL);
}

struct _HeronOpenaiBackend
{
  GObject      parent_instance;
  char        *endpoint_id;     /* owned; NULL: no key */
  char        *base_url;        /* owned, without trailing '/' */
  char        *model;
  SoupSession *session;
  guint        idle_timeout_ms;
  guint        max_retries;
  guint        backoff_ms;
  guint        max_retry_after_ms;
  guint        n_skipped;
  guint        n_requests;
};

static void backend_iface_init (HeronBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HeronOpenaiBackend, heron_openai_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HERON_TYPE_BACKEND, backend_iface_init))

static void
heron_openai_backend_finalize (GObject *object)
{
  HeronOpenaiBackend *self = HERON_OPENAI_BACKEND (object);

  g_free (self->endpoint_id);
  g_free (self->base_url);
  g_free (self->model);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (heron_openai_backend_parent_class)->finalize (object);
}

static void
heron_openai_backend_class_init (HeronOpenaiBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_openai_backend_finalize;
}

static void
heron_openai_backend_init (HeronOpenaiBackend *self)
{
  self->idle_timeout_ms = 30000;
  self->max_retries = 3;
  self->backoff_ms = 1000;
  self->max_retry_after_ms = 60000;
  self->session = soup_session_new_with_options ("user-agent", "Heron/" PACKAGE_VERSION,
                                                 "timeout", 0, "idle-timeout", 60, NULL);
}

HeronOpenaiBackend *
heron_openai_backend_new (const char *endpoint_id,
                          const char *base_url,
                          const char *model)
{
  HeronOpenaiBackend *self;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);
  self = g_object_new (HERON_TYPE_OPENAI_BACKEND, NULL);
  self->endpoint_id = g_strdup (endpoint_id);
  self->base_url = g_strdup (base_url);
  len = strlen (self->base_url);
  while (len > 0 && self->base_url[len - 1] == '/')
    self->base_url[--len] = '\0';
  self->model = g_strdup (model);
  return self;
}

const char *
heron_openai_backend_get_model (HeronOpenaiBackend *self)
{
  g_return_val_if_fail (HERON_IS_OPENAI_BACKEND (self), NULL);
  return self->model;
}

const char *
heron_openai_backend_get_base_url (HeronOpenaiBackend *self)
{
  g_return_val_if_fail (HERON_IS_OPENAI_BACKEND (self), NULL);
  return self->base_url;
}

void
heron_openai_backend_set_timeouts (HeronOpenaiBackend *self,
                                   guint               idle_timeout_ms,
                                   guint               max_retries,
                                   guint               backoff_ms,
                                   guint               max_retry_after_ms)
{
  g_return_if_fail (HERON_IS_OPENAI_BACKEND (self));
  self->idle_timeout_ms = MAX (idle_timeout_ms, 1);
  self->max_retries = max_retries;
  self->backoff_ms = backoff_ms;
  self->max_retry_after_ms = max_retry_after_ms;
}

guint
heron_openai_backend_get_n_skipped (HeronOpenaiBackend *self)
{
  g_return_val_if_fail (HERON_IS_OPENAI_BACKEND (self), 0);
  return self->n_skipped;
}

guint
heron_openai_backend_get_n_requests (HeronOpenaiBackend *self)
{
  g_return_val_if_fail (HERON_IS_OPENAI_BACKEND (self), 0);
  return self->n_requests;
}

/* ---- one request with its retries ------------------------------------------------------ */

typedef enum { KIND_CHAT, KIND_MODELS } RequestKind;

typedef struct
{
  HeronOpenaiBackend *self;
  GTask              *task;            /* owned until returned */
  RequestKind         kind;
  GBytes             *body;            /* JSON to POST (chat) */
  char               *key;             /* API key, memory only */
  HeronDeltaFunc      delta_func;
  gpointer            delta_data;
  GCancellable       *caller;          /* borrowed from the task */
  GCancellable       *attempt;         /* cancelled by the caller, a timeout or completion */
  gulong              caller_handler;
  GSource            *timer;           /* idle timeout, or the wait before a retry */
  GSource            *cancel_source;   /* the caller's cancellable while waiting */
  SoupMessage        *msg;
  GInputStream       *stream;
  HeronSseParser     *parser;
  GByteArray         *raw;             /* error body / models JSON */
  guint               attempts;
  guint               n_rate_limited;
  gboolean            timed_out;
  gboolean            got_bytes;       /* answer bytes arrived: no more retries */
  gboolean            done;            /* [DONE] */
  gboolean            finished;        /* a finish_reason arrived */
  GError             *stream_error;    /* set by an event */
  HeronChatStats     *stats;
  gint64              start_us;
  gint64              first_us;
  guint               n_deltas;
} Request;

static void start_attempt (Request *r);
static void read_next (Request *r);
static void models_parsed (Request *r);

static void
request_stop_io (Request *r)
{
  if (r->timer)
    {
      g_source_destroy (r->timer);
      g_clear_pointer (&r->timer, g_source_unref);
    }
  if (r->cancel_source)
    {
      g_source_destroy (r->cancel_source);
      g_clear_pointer (&r->cancel_source, g_source_unref);
    }
  if (r->caller_handler)
    {
      g_cancellable_disconnect (r->caller, r->caller_handler);
      r->caller_handler = 0;
    }
  g_clear_object (&r->stream);
  g_clear_object (&r->msg);
  g_clear_object (&r->attempt);
  g_clear_pointer (&r->parser, heron_sse_parser_free);
  g_clear_pointer (&r->raw, g_byte_array_unref);
}

static void
request_free (Request *r)
{
  request_stop_io (r);
  g_clear_object (&r->task);
  g_clear_pointer (&r->body, g_bytes_unref);
  if (r->key)
    {
      memset (r->key, 0, strlen (r->key));
      g_free (r->key);
    }
  g_clear_error (&r->stream_error);
  g_clear_pointer (&r->stats, heron_chat_stats_free);
  g_object_unref (r->self);
  g_free (r);
}

static void
finish_stats (Request *r, HeronStopReason stop)
{
  HeronChatStats *s = r->stats;
  gint64 now = g_get_monotonic_time ();

  s->stop = stop;
  if (s->model == NULL)
    s->model = g_strdup (r->self->model);
  if (r->first_us)
    {
      s->time_to_first_token_ms = (r->first_us - r->start_us) / 1000.0;
      s->prompt_ms = s->time_to_first_token_ms;
      s->generation_ms = (now - r->first_us) / 1000.0;
    }
  if (s->completion_tokens == 0)
    s->completion_tokens = r->n_deltas;   /* no usage chunk: deltas are about tokens */
  if (s->generation_ms > 0 && s->completion_tokens > 1)
    s->tokens_per_second = (s->completion_tokens - 1) / (s->generation_ms / 1000.0);
}

static void
request_return_error (Request *r, GError *error)
{
  GTask *task = g_steal_pointer (&r->task);

  request_stop_io (r);
  g_task_return_error (task, error);
  g_object_unref (task);
  request_free (r);
}

static void
request_return_stats (Request *r, HeronStopReason stop)
{
  GTask *task = g_steal_pointer (&r->task);

  request_stop_io (r);
  finish_stats (r, stop);
  g_task_return_pointer (task, g_steal_pointer (&r->stats), (GDestroyNotify) heron_chat_stats_free);
  g_object_unref (task);
  request_free (r);
}

static void
request_return_models (Request *r, char **models)
{
  GTask *task = g_steal_pointer (&r->task);

  request_stop_io (r);
  g_task_return_pointer (task, models, (GDestroyNotify) g_strfreev);
  g_object_unref (task);
  request_free (r);
}

static gboolean
caller_cancelled (Request *r)
{
  return r->caller != NULL && g_cancellable_is_cancelled (r->caller);
}

static void
return_cancelled (Request *r)
{
  if (r->kind == KIND_CHAT)
    request_return_stats (r, HERON_STOP_CANCELLED);
  else
    request_return_error (r, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("Cancelled")));
}

/* Timers ---------------------------------------------------------------------------------- */

static gboolean
on_idle_timeout (gpointer data)
{
  Request *r = data;

  r->timed_out = TRUE;
  g_clear_pointer (&r->timer, g_source_unref);
  g_cancellable_cancel (r->attempt);
  return G_SOURCE_REMOVE;
}

static void
arm_idle_timer (Request *r)
{
  if (r->timer)
    {
      g_source_destroy (r->timer);
      g_source_unref (r->timer);
    }
  r->timer = g_timeout_source_new (r->self->idle_timeout_ms);
  g_source_set_callback (r->timer, on_idle_timeout, r, NULL);
  g_source_attach (r->timer, g_main_context_get_thread_default ());
}

static gboolean
on_wait_over (gpointer data)
{
  Request *r = data;

  g_clear_pointer (&r->timer, g_source_unref);
  if (r->cancel_source)
    {
      g_source_destroy (r->cancel_source);
      g_clear_pointer (&r->cancel_source, g_source_unref);
    }
  if (caller_cancelled (r))
    return_cancelled (r);
  else
    start_attempt (r);
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_cancelled (GCancellable *c, gpointer data)
{
  Request *r = data;

  (void) c;
  g_clear_pointer (&r->cancel_source, g_source_unref);
  if (r->timer)
    {
      g_source_destroy (r->timer);
      g_clear_pointer (&r->timer, g_source_unref);
    }
  return_cancelled (r);
  return G_SOURCE_REMOVE;
}

/* Wait DELAY_MS (interruptible by the caller), then send again. */
static void
retry_after (Request *r, guint delay_ms)
{
  request_stop_io (r);
  r->timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (r->timer, on_wait_over, r, NULL);
  g_source_attach (r->timer, g_main_context_get_thread_default ());
  if (r->caller)
    {
      r->cancel_source = g_cancellable_source_new (r->caller);
      g_source_set_callback (r->cancel_source, G_SOURCE_FUNC (on_wait_cancelled), r, NULL);
      g_source_attach (r->cancel_source, g_main_context_get_thread_default ());
    }
}

/* Failure before any answer byte: retry with exponential backoff while attempts remain. */
static void
transient_failure (Request *r, GError *error)
{
  if (r->attempts <= r->self->max_retries)
    {
      guint delay = r->self->backoff_ms << MIN (r->attempts - 1, 10u);

      g_debug ("%s: retrying in %u ms (attempt %u): %s", r->self->base_url, delay,
               r->attempts, error->message);
      g_error_free (error);
      retry_after (r, delay);
      return;
    }
  request_return_error (r, error);
}

/* Messages -------------------------------------------------------------------------------- */

/* The "message" of an OpenAI-style error body, or NULL. */
static char *
error_body_message (GByteArray *raw)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;

  if (raw == NULL || raw->len == 0)
    return NULL;
  if (!json_parser_load_from_data (parser, (const char *) raw->data, raw->len, NULL))
    {
      /* Plain text: keep one short line of it. */
      g_autofree char *text = g_strndup ((const char *) raw->data, MIN (raw->len, 200));
      char *nl = strpbrk (text, "\r\n");

      if (nl)
        *nl = '\0';
      return g_utf8_make_valid (text, -1);
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  obj = json_node_get_object (root);
  if (json_object_has_member (obj, "error"))
    {
      JsonNode *e = json_object_get_member (obj, "error");

      if (JSON_NODE_HOLDS_OBJECT (e))
        obj = json_node_get_object (e);
      else if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (e));
    }
  if (json_object_has_member (obj, "message")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "message")))
    return g_strdup (json_object_get_string_member (obj, "message"));
  return NULL;
}

/* Retry-After as seconds or an HTTP date, in ms (0 when absent or unreadable). */
static guint64
retry_after_ms (SoupMessage *msg)
{
  const char *v = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                "Retry-After");
  char *end = NULL;
  guint64 secs;

  if (v == NULL)
    return 0;
  secs = g_ascii_strtoull (v, &end, 10);
  if (end != v && *end == '\0')
    return secs * 1000;
  {
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (v);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    GTimeSpan diff;

    if (when == NULL)
      return 0;
    diff = g_date_time_difference (when, now);
    return diff > 0 ? (guint64) diff / 1000 : 0;
  }
}

static void
handle_http_error (Request *r)
{
  HeronOpenaiBackend *self = r->self;
  guint status = soup_message_get_status (r->msg);
  g_autofree char *detail = error_body_message (r->raw);
  g_autofree char *suffix = detail ? g_strdup_printf (" (%s)", detail) : g_strdup ("");

  if (status == 401 || status == 403)
    {
      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
        /* Translators: %s: server address; %u: HTTP status; last %s: the server's words. */
        _("%s refused the API key (HTTP %u)%s. Check the key in Preferences → Models."),
        self->base_url, status, suffix));
      return;
    }
  if (status == 404)
    {
      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
        _("The model “%s” was not found on %s%s. Pick one from the server's model list."),
        self->model, self->base_url, suffix));
      return;
    }
  if (status == 429)
    {
      guint64 wait = retry_after_ms (r->msg);

      if (r->n_rate_limited == 0 && wait <= self->max_retry_after_ms)
        {
          r->n_rate_limited++;
          g_debug ("%s: rate limited, retrying in %" G_GUINT64_FORMAT " ms", self->base_url,
                   wait);
          retry_after (r, wait ? (guint) wait : self->backoff_ms);
          return;
        }
      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
        _("%s is limiting requests (HTTP 429)%s. Wait a little and try again."),
        self->base_url, suffix));
      return;
    }
  if (status >= 500)
    {
      transient_failure (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
        _("%s failed (HTTP %u)%s. Try again later."), self->base_url, status, suffix));
      return;
    }
  request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
    _("%s answered HTTP %u%s."), self->base_url, status, suffix));
}

/* Streaming chat ------------------------------------------------------------------------- */

static const char *
object_get_string (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

static JsonObject *
object_get_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gint64
object_get_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n && JSON_NODE_HOLDS_VALUE (n))
    {
      GType t = json_node_get_value_type (n);
      if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
        return json_node_get_int (n);
    }
  return fallback;
}

static void
read_usage (Request *r, JsonObject *usage)
{
  JsonObject *details = object_get_object (usage, "prompt_tokens_details");

  r->stats->prompt_tokens = (int) object_get_int (usage, "prompt_tokens", 0);
  r->stats->completion_tokens = (int) object_get_int (usage, "completion_tokens", 0);
  /* OpenAI: prompt_tokens_details.cached_tokens; DeepSeek: prompt_cache_hit_tokens. */
  r->stats->cached_tokens = (int) object_get_int (details, "cached_tokens",
                                                  object_get_int (usage,
                                                                  "prompt_cache_hit_tokens", 0));
}

static void
on_event (const char *event, const char *data, const char *id, gpointer user_data)
{
  Request *r = user_data;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root, *err, *usage;
  JsonNode *choices;

  (void) event;
  (void) id;
  if (r->done || r->stream_error)
    return;
  if (strcmp (data, "[DONE]") == 0)
    {
      r->done = TRUE;
      return;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      r->self->n_skipped++;
      g_message ("%s: skipping a stream event that is not a JSON object", r->self->base_url);
      return;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  err = object_get_object (root, "error");
  if (err != NULL || object_get_string (root, "error"))
    {
      const char *m = err ? object_get_string (err, "message") : object_get_string (root, "error");

      r->stream_error = g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
                                     _("%s stopped the answer with an error: %s"),
                                     r->self->base_url, m ? m : _("no details given"));
      return;
    }
  if (r->stats->model == NULL && object_get_string (root, "model"))
    r->stats->model = g_strdup (object_get_string (root, "model"));

  usage = object_get_object (root, "usage");
  if (usage)
    read_usage (r, usage);

  choices = json_object_get_member (root, "choices");
  if (choices && JSON_NODE_HOLDS_ARRAY (choices)
      && json_array_get_length (json_node_get_array (choices)) > 0)
    {
      JsonNode *c0 = json_array_get_element (json_node_get_array (choices), 0);
      JsonObject *choice = JSON_NODE_HOLDS_OBJECT (c0) ? json_node_get_object (c0) : NULL;
      JsonObject *delta = object_get_object (choice, "delta");
      const char *content = object_get_string (delta, "content");
      const char *reasoning = object_get_string (delta, "reasoning_content");
      const char *finish = object_get_string (choice, "finish_reason");

      if (content && *content == '\0')
        content = NULL;
      if (reasoning && *reasoning == '\0')
        reasoning = NULL;
      if (content || reasoning)
        {
          if (r->first_us == 0)
            r->first_us = g_get_monotonic_time ();
          r->n_deltas++;
          if (r->delta_func)
            r->delta_func (content, reasoning, r->delta_data);
        }
      /* The usage chunk may follow the finish_reason chunk: keep reading until [DONE] or
       * the end of the stream, but the answer is complete from here on. */
      if (finish)
        {
          r->stats->stop = strcmp (finish, "length") == 0 ? HERON_STOP_LENGTH : HERON_STOP_END;
          r->finished = TRUE;
        }
    }
}

static void
stream_ended (Request *r, GError *read_error)
{
  HeronOpenaiBackend *self = r->self;

  if (r->stream_error)
    {
      g_clear_error (&read_error);
      request_return_error (r, g_steal_pointer (&r->stream_error));
      return;
    }
  if (r->done || r->finished)
    {
      g_clear_error (&read_error);
      request_return_stats (r, r->stats->stop);
      return;
    }
  if (read_error && !r->timed_out)
    {
      g_autoptr(GError) e = read_error;

      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
        _("The connection to %s broke during the answer (%s). The answer is incomplete; "
          "what arrived is kept."), self->base_url, e->message));
      return;
    }
  g_clear_error (&read_error);
  if (r->timed_out)
    request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
      _("%s stopped sending for %u s during the answer. The answer is incomplete; what "
        "arrived is kept."), self->base_url, (self->idle_timeout_ms + 999) / 1000));
  else
    request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
      _("%s ended the answer early. The answer is incomplete; what arrived is kept."),
      self->base_url));
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);
  gsize len = 0;
  const char *data;

  if (caller_cancelled (r))
    {
      return_cancelled (r);
      return;
    }
  if (bytes == NULL)
    {
      /* Nothing of the answer arrived yet: the request can safely be sent again. */
      if (!r->got_bytes)
        {
          if (r->timed_out)
            {
              g_clear_error (&error);
              error = g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                                   _("%s did not answer within %u s."), r->self->base_url,
                                   (r->self->idle_timeout_ms + 999) / 1000);
            }
          transient_failure (r, g_steal_pointer (&error));
        }
      else if (r->parser)
        stream_ended (r, g_steal_pointer (&error));
      else
        request_return_error (r, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      if (r->parser)
        {
          if (heron_sse_parser_end (r->parser))
            g_debug ("%s: stream ended inside an event", r->self->base_url);
          stream_ended (r, NULL);
        }
      else if (r->msg && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (r->msg)))
        {
          models_parsed (r);
        }
      else
        handle_http_error (r);
      return;
    }

  arm_idle_timer (r);
  if (r->parser)
    {
      r->got_bytes = TRUE;
      if (!heron_sse_parser_feed (r->parser, data, len))
        {
          request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
            _("%s sent a line longer than %d MiB; the answer is incomplete."),
            r->self->base_url, HERON_SSE_MAX_LINE / (1024 * 1024)));
          return;
        }
      if (r->stream_error || r->done)
        {
          stream_ended (r, NULL);
          return;
        }
    }
  else
    {
      if (r->raw->len + len > MAX_ERROR_BODY * (r->kind == KIND_MODELS ? 64 : 1))
        len = 0;   /* enough of it: the rest is not needed for a message */
      g_byte_array_append (r->raw, (const guint8 *) data, len);
    }
  read_next (r);
}

static void
read_next (Request *r)
{
  g_input_stream_read_bytes_async (r->stream, READ_CHUNK, G_PRIORITY_DEFAULT, r->attempt,
                                   on_read, r);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *r = user_data;
  g_autoptr(GError) error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (caller_cancelled (r))
    {
      g_clear_object (&stream);
      return_cancelled (r);
      return;
    }
  if (stream == NULL)
    {
      if (r->timed_out)
        {
          g_clear_error (&error);
          error = g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                               _("%s did not answer within %u s."), r->self->base_url,
                               (r->self->idle_timeout_ms + 999) / 1000);
        }
      else
        {
          g_autoptr(GError) e = g_steal_pointer (&error);
          error = g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                               _("Could not reach %s: %s"), r->self->base_url, e->message);
        }
      transient_failure (r, g_steal_pointer (&error));
      return;
    }
  r->stream = stream;
  r->timed_out = FALSE;
  arm_idle_timer (r);
  status = soup_message_get_status (r->msg);
  if (r->kind == KIND_CHAT && status == SOUP_STATUS_OK)
    r->parser = heron_sse_parser_new (on_event, r);
  else
    r->raw = g_byte_array_new ();
  read_next (r);
}

static void
on_caller_cancelled (GCancellable *caller, gpointer data)
{
  (void) caller;
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
start_attempt (Request *r)
{
  HeronOpenaiBackend *self = r->self;
  g_autofree char *uri = g_strconcat (self->base_url,
                                      r->kind == KIND_CHAT ? "/chat/completions" : "/models",
                                      NULL);
  SoupMessageHeaders *h;

  r->attempts++;
  self->n_requests++;
  r->timed_out = FALSE;
  r->msg = soup_message_new (r->kind == KIND_CHAT ? SOUP_METHOD_POST : SOUP_METHOD_GET, uri);
  if (r->msg == NULL)
    {
      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                                            _("“%s” is not a valid server address."),
                                            self->base_url));
      return;
    }
  h = soup_message_get_request_headers (r->msg);
  if (r->key && *r->key)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", r->key, NULL);
      soup_message_headers_replace (h, "Authorization", auth);
    }
  if (r->kind == KIND_CHAT)
    {
      soup_message_headers_replace (h, "Accept", "text/event-stream");
      soup_message_set_request_body_from_bytes (r->msg, "application/json", r->body);
    }
  r->attempt = g_cancellable_new ();
  if (r->caller)
    r->caller_handler = g_cancellable_connect (r->caller, G_CALLBACK (on_caller_cancelled),
                                               g_object_ref (r->attempt), g_object_unref);
  arm_idle_timer (r);
  soup_session_send_async (self->session, r->msg, G_PRIORITY_DEFAULT, r->attempt, on_sent, r);
}

static void
on_key (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *r = user_data;
  g_autoptr(GError) error = NULL;

  (void) source;
  r->key = heron_web_secrets_lookup_finish (result, &error);
  if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* No keyring: send without a key; a server that needs one says 401, which we explain. */
    g_debug ("keyring lookup failed: %s", error->message);
  if (caller_cancelled (r))
    {
      return_cancelled (r);
      return;
    }
  r->start_us = g_get_monotonic_time ();
  start_attempt (r);
}

static Request *
request_new (HeronOpenaiBackend *self, RequestKind kind, GCancellable *cancellable,
             GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  Request *r = g_new0 (Request, 1);

  r->self = g_object_ref (self);
  r->kind = kind;
  r->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (r->task, tag);
  g_task_set_check_cancellable (r->task, FALSE);
  r->caller = cancellable;
  r->stats = g_new0 (HeronChatStats, 1);
  return r;
}

static void
request_start (Request *r)
{
  if (r->self->endpoint_id)
    {
      g_autofree char *service = heron_openai_secret_service (r->self->endpoint_id);
      heron_web_secrets_lookup_async (service, r->caller, on_key, r);
    }
  else
    {
      r->start_us = g_get_monotonic_time ();
      start_attempt (r);
    }
}

static GBytes *
build_chat_body (HeronOpenaiBackend *self, const HeronChatRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const HeronSamplingParams *p = &req->params;
  gsize len;
  char *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, self->model);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "stream_options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "include_usage");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  if (p->temperature >= 0)
    {
      json_builder_set_member_name (b, "temperature");
      json_builder_add_double_value (b, p->temperature);
    }
  if (p->top_p >= 0)
    {
      json_builder_set_member_name (b, "top_p");
      json_builder_add_double_value (b, p->top_p);
    }
  if (p->max_tokens > 0)
    {
      json_builder_set_member_name (b, "max_tokens");
      json_builder_add_int_value (b, p->max_tokens);
    }
  if (p->seed != G_MAXUINT64)
    {
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, (gint64) (p->seed & G_MAXINT64));
    }
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < req->messages->len; i++)
    {
      const HeronChatMessage *m = &g_array_index (req->messages, HeronChatMessage, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, heron_role_to_string (m->role));
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, m->content ? m->content : "");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_bytes_new_take (text, len);
}

static void
openai_chat_async (HeronBackend *backend, const HeronChatRequest *request,
                   HeronDeltaFunc delta_func, gpointer delta_data, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  HeronOpenaiBackend *self = HERON_OPENAI_BACKEND (backend);
  Request *r = request_new (self, KIND_CHAT, cancellable, callback, user_data,
                            openai_chat_async);

  r->body = build_chat_body (self, request);
  r->delta_func = delta_func;
  r->delta_data = delta_data;
  r->stats->stop = HERON_STOP_END;
  request_start (r);
}

static HeronChatStats *
openai_chat_finish (HeronBackend *backend, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
openai_get_name (HeronBackend *backend)
{
  return HERON_OPENAI_BACKEND (backend)->model;
}

static void
backend_iface_init (HeronBackendInterface *iface)
{
  iface->get_name = openai_get_name;
  iface->chat_async = openai_chat_async;
  iface->chat_finish = openai_chat_finish;
}

/* Model list ----------------------------------------------------------------------------- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
models_parsed (Request *r)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  JsonNode *root, *data;

  if (!json_parser_load_from_data (parser, (const char *) r->raw->data, r->raw->len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser))
      || !(data = json_object_get_member (json_node_get_object (root), "data"))
      || !JSON_NODE_HOLDS_ARRAY (data))
    {
      request_return_error (r, g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
        _("%s did not send a model list (is this an OpenAI-compatible address?)."),
        r->self->base_url));
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (data)); i++)
    {
      JsonNode *e = json_array_get_element (json_node_get_array (data), i);
      const char *id = JSON_NODE_HOLDS_OBJECT (e)
                       ? object_get_string (json_node_get_object (e), "id") : NULL;
      if (id && *id)
        g_ptr_array_add (ids, g_strdup (id));
    }
  g_ptr_array_sort (ids, compare_strings);
  g_ptr_array_add (ids, NULL);
  request_return_models (r, (char **) g_ptr_array_steal (ids, NULL));
}

void
heron_openai_backend_list_models_async (HeronOpenaiBackend  *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  Request *r;

  g_return_if_fail (HERON_IS_OPENAI_BACKEND (self));
  r = request_new (self, KIND_MODELS, cancellable, callback, user_data,
                   heron_openai_backend_list_models_async);
  request_start (r);
}

char **
heron_openai_backend_list_models_finish (HeronOpenaiBackend  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
