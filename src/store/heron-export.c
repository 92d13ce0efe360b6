/* heron-export.c: Markdown and JSON exports of a conversation, built on the store thread
 * from the same queries the chat view uses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "heron-export.h"
#include "heron-conversations.h"
#include "heron-messages.h"

static const char *
role_heading (HeronRole role)
{
  switch (role)
    {
    case HERON_ROLE_SYSTEM: return _("System");
    case HERON_ROLE_USER: return _("You");
    case HERON_ROLE_ASSISTANT: default: return _("Assistant");
    }
}

static char *
to_markdown (HeronConversation *conv, GPtrArray *messages)
{
  GString *s = g_string_new ("");
  const char *title = heron_conversation_get_title (conv);
  const char *system = heron_conversation_get_system_prompt (conv);

  g_string_append_printf (s, "# %s\n\n", *title ? title : _("Untitled conversation"));
  if (system && *system)
    g_string_append_printf (s, "## %s\n\n%s\n\n", role_heading (HERON_ROLE_SYSTEM), system);
  for (guint i = 0; i < messages->len; i++)
    {
      HeronMessage *m = messages->pdata[i];
      const char *reasoning = heron_message_get_reasoning (m);
      HeronMessageState state = heron_message_get_state (m);

      g_string_append_printf (s, "## %s\n\n", role_heading (heron_message_get_role (m)));
      if (reasoning && *reasoning)
        {
          g_auto(GStrv) lines = g_strsplit (reasoning, "\n", -1);

          /* A quote block keeps the reasoning apart without any HTML. */
          g_string_append_printf (s, "> **%s**\n>\n", _("Reasoning"));
          for (guint j = 0; lines[j]; j++)
            g_string_append_printf (s, ">%s%s\n", *lines[j] ? " " : "", lines[j]);
          g_string_append (s, "\n");
        }
      g_string_append (s, heron_message_get_content (m));
      g_string_append (s, "\n\n");
      if (state == HERON_MESSAGE_CANCELLED)
        g_string_append_printf (s, "*%s*\n\n", _("(stopped)"));
      else if (state == HERON_MESSAGE_INTERRUPTED)
        g_string_append_printf (s, "*%s*\n\n", _("(interrupted)"));
      else if (state == HERON_MESSAGE_ERROR)
        g_string_append_printf (s, "*%s: %s*\n\n", _("Error"),
                                heron_message_get_error (m) ? heron_message_get_error (m) : "");
    }
  return g_string_free (s, FALSE);
}

static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

static void
add_stats (JsonBuilder *b, const char *stats_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (b, "stats");
  if (stats_json && json_parser_load_from_data (parser, stats_json, -1, NULL) &&
      json_parser_get_root (parser))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (b);
}

static char *
to_json (HeronConversation *conv, GPtrArray *messages)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  add_string (b, "format", "heron-conversation");
  add_int (b, "version", 1);
  add_int (b, "id", heron_conversation_get_id (conv));
  add_string (b, "title", heron_conversation_get_title (conv));
  add_int (b, "created_at", heron_conversation_get_created_at (conv));
  add_int (b, "updated_at", heron_conversation_get_updated_at (conv));
  add_string (b, "model", heron_conversation_get_model (conv));
  add_string (b, "system_prompt", heron_conversation_get_system_prompt (conv));
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < messages->len; i++)
    {
      HeronMessage *m = messages->pdata[i];

      json_builder_begin_object (b);
      add_int (b, "id", heron_message_get_id (m));
      json_builder_set_member_name (b, "parent_id");
      if (heron_message_get_parent_id (m))
        json_builder_add_int_value (b, heron_message_get_parent_id (m));
      else
        json_builder_add_null_value (b);
      add_string (b, "role", heron_role_to_string (heron_message_get_role (m)));
      add_string (b, "content", heron_message_get_content (m));
      add_string (b, "reasoning", heron_message_get_reasoning (m));
      add_string (b, "state", heron_message_state_to_string (heron_message_get_state (m)));
      add_string (b, "error", heron_message_get_error (m));
      add_string (b, "model", heron_message_get_model (m));
      add_stats (b, heron_message_get_stats_json (m));
      add_int (b, "created_at", heron_message_get_created_at (m));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static char *
build (HeronConversation *conv, GPtrArray *messages, HeronExportFormat format)
{
  return format == HERON_EXPORT_JSON ? to_json (conv, messages) : to_markdown (conv, messages);
}

typedef struct
{
  HeronExportFormat  format;
  HeronConversation *conv;
} ExportState;

static void
export_state_free (gpointer data)
{
  ExportState *st = data;

  g_clear_object (&st->conv);
  g_free (st);
}

static void
messages_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportState *st = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) messages = heron_store_get_messages_finish (HERON_STORE (source),
                                                                   result, &error);
  if (messages == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, build (st->conv, messages, st->format), g_free);
}

static void
conversation_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportState *st = g_task_get_task_data (task);
  GError *error = NULL;

  st->conv = heron_store_get_conversation_finish (HERON_STORE (source), result, &error);
  if (st->conv == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  heron_store_get_messages_async (HERON_STORE (source), heron_conversation_get_id (st->conv),
                                  g_task_get_cancellable (task), messages_done,
                                  g_object_ref (task));
}

void
heron_store_export_async (HeronStore *store, gint64 conversation_id, HeronExportFormat format,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);
  ExportState *st = g_new0 (ExportState, 1);

  st->format = format;
  g_task_set_source_tag (task, heron_store_export_async);
  g_task_set_task_data (task, st, export_state_free);
  heron_store_get_conversation_async (store, conversation_id, cancellable, conversation_done,
                                      task);
}

char *
heron_store_export_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
heron_store_export_sync (HeronStore *store, gint64 conversation_id, HeronExportFormat format,
                         GCancellable *cancellable, GError **error)
{
  g_autoptr(HeronConversation) conv = heron_store_get_conversation_sync (store, conversation_id,
                                                                         cancellable, error);
  g_autoptr(GPtrArray) messages = NULL;

  if (conv == NULL)
    return NULL;
  messages = heron_store_get_messages_sync (store, conversation_id, cancellable, error);
  if (messages == NULL)
    return NULL;
  return build (conv, messages, format);
}
