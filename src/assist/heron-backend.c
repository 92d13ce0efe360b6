/* heron-backend.c: the HeronBackend interface and its request/stats structs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "heron-backend.h"

G_DEFINE_QUARK (heron-assist-error-quark, heron_assist_error)
G_DEFINE_INTERFACE (HeronBackend, heron_backend, G_TYPE_OBJECT)

static void
heron_backend_default_init (HeronBackendInterface *iface)
{
}

void
heron_sampling_params_init (HeronSamplingParams *params)
{
  params->temperature = -1;
  params->top_k = -1;
  params->top_p = -1;
  params->min_p = -1;
  params->repeat_penalty = -1;
  params->seed = G_MAXUINT64;
  params->max_tokens = 0;
  params->enable_thinking = TRUE;
}

static void
clear_chat_message (gpointer data)
{
  HeronChatMessage *m = data;

  g_free (m->content);
}

HeronChatRequest *
heron_chat_request_new (void)
{
  HeronChatRequest *r = g_new0 (HeronChatRequest, 1);

  r->messages = g_array_new (FALSE, TRUE, sizeof (HeronChatMessage));
  g_array_set_clear_func (r->messages, clear_chat_message);
  heron_sampling_params_init (&r->params);
  return r;
}

void
heron_chat_request_free (HeronChatRequest *request)
{
  if (request == NULL)
    return;
  g_array_unref (request->messages);
  g_free (request);
}

void
heron_chat_request_add_message (HeronChatRequest *request, HeronRole role, const char *content)
{
  HeronChatMessage m = { role, g_strdup (content ? content : "") };

  g_array_append_val (request->messages, m);
}

void
heron_chat_stats_free (HeronChatStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->model);
  g_free (stats);
}

char *
heron_chat_stats_to_json (const HeronChatStats *s)
{
  static const char *const stops[] = { "end", "length", "cancelled" };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, s->model ? s->model : "");
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, s->prompt_tokens);
  json_builder_set_member_name (b, "cached_tokens");
  json_builder_add_int_value (b, s->cached_tokens);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, s->completion_tokens);
  json_builder_set_member_name (b, "ttft_ms");
  json_builder_add_double_value (b, s->time_to_first_token_ms);
  json_builder_set_member_name (b, "prompt_ms");
  json_builder_add_double_value (b, s->prompt_ms);
  json_builder_set_member_name (b, "gen_ms");
  json_builder_add_double_value (b, s->generation_ms);
  json_builder_set_member_name (b, "tokens_per_second");
  json_builder_add_double_value (b, s->tokens_per_second);
  json_builder_set_member_name (b, "stop");
  json_builder_add_string_value (b, stops[CLAMP (s->stop, 0, 2)]);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

const char *
heron_backend_get_name (HeronBackend *self)
{
  g_return_val_if_fail (HERON_IS_BACKEND (self), NULL);
  return HERON_BACKEND_GET_IFACE (self)->get_name (self);
}

void
heron_backend_chat_async (HeronBackend *self, const HeronChatRequest *request,
                          HeronDeltaFunc delta_func, gpointer delta_data,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_return_if_fail (HERON_IS_BACKEND (self));
  g_return_if_fail (request != NULL);
  HERON_BACKEND_GET_IFACE (self)->chat_async (self, request, delta_func, delta_data,
                                              cancellable, callback, user_data);
}

HeronChatStats *
heron_backend_chat_finish (HeronBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (HERON_IS_BACKEND (self), NULL);
  return HERON_BACKEND_GET_IFACE (self)->chat_finish (self, result, error);
}

static JsonObject *
parse_object (JsonParser *parser, const char *json)
{
  JsonNode *root;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

static gboolean
get_number (JsonObject *o, const char *key, double *out)
{
  JsonNode *n = json_object_get_member (o, key);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      (json_node_get_value_type (n) != G_TYPE_DOUBLE &&
       json_node_get_value_type (n) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

void
heron_sampling_params_merge_json (HeronSamplingParams *p, const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_object (parser, json);
  JsonNode *n;
  double v;

  if (o == NULL)
    return;
  if (p->temperature < 0 && get_number (o, "temperature", &v) && v >= 0)
    p->temperature = v;
  if (p->top_k < 0 && get_number (o, "top_k", &v) && v >= 0 && v < G_MAXINT)
    p->top_k = v;
  if (p->top_p < 0 && get_number (o, "top_p", &v) && v >= 0)
    p->top_p = v;
  if (p->min_p < 0 && get_number (o, "min_p", &v) && v >= 0)
    p->min_p = v;
  if (p->repeat_penalty < 0 && get_number (o, "repeat_penalty", &v) && v >= 0)
    p->repeat_penalty = v;
  if (p->seed == G_MAXUINT64 && get_number (o, "seed", &v) && v >= 0 && v < 9.0e15)
    p->seed = (guint64) v;
  if (p->max_tokens <= 0 && get_number (o, "max_tokens", &v) && v > 0 && v < G_MAXINT)
    p->max_tokens = v;
  n = json_object_get_member (o, "enable_thinking");
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    p->enable_thinking = json_node_get_boolean (n);
}

HeronChatStats *
heron_chat_stats_new_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_object (parser, json);
  HeronChatStats *s;
  const char *stop;
  double v;

  if (o == NULL)
    return NULL;
  s = g_new0 (HeronChatStats, 1);
  s->model = g_strdup (json_object_get_string_member_with_default (o, "model", ""));
  if (get_number (o, "prompt_tokens", &v))
    s->prompt_tokens = v;
  if (get_number (o, "cached_tokens", &v))
    s->cached_tokens = v;
  if (get_number (o, "completion_tokens", &v))
    s->completion_tokens = v;
  get_number (o, "ttft_ms", &s->time_to_first_token_ms);
  get_number (o, "prompt_ms", &s->prompt_ms);
  get_number (o, "gen_ms", &s->generation_ms);
  get_number (o, "tokens_per_second", &s->tokens_per_second);
  stop = json_object_get_string_member_with_default (o, "stop", "end");
  s->stop = g_strcmp0 (stop, "length") == 0 ? HERON_STOP_LENGTH
            : g_strcmp0 (stop, "cancelled") == 0 ? HERON_STOP_CANCELLED : HERON_STOP_END;
  return s;
}

char *
heron_chat_stats_format (const HeronChatStats *s)
{
  GString *line = g_string_new (s->model && *s->model ? s->model : "");

  if (s->time_to_first_token_ms > 0)
    {
      if (line->len)
        g_string_append (line, " · ");
      /* Translators: time to the first token of an answer, in seconds. */
      g_string_append_printf (line, _("%.1f s to first token"),
                              s->time_to_first_token_ms / 1000.0);
    }
  if (s->tokens_per_second > 0)
    {
      if (line->len)
        g_string_append (line, " · ");
      g_string_append_printf (line, _("%.1f tokens/s"), s->tokens_per_second);
    }
  return g_string_free (line, FALSE);
}
