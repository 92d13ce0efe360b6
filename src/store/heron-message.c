/* heron-message.c: HeronMessage, a message with notify on every change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "heron-message.h"

static const GEnumValue role_values[] = {
  { HERON_ROLE_SYSTEM, "HERON_ROLE_SYSTEM", "system" },
  { HERON_ROLE_USER, "HERON_ROLE_USER", "user" },
  { HERON_ROLE_ASSISTANT, "HERON_ROLE_ASSISTANT", "assistant" },
  { 0, NULL, NULL },
};

static const GEnumValue state_values[] = {
  { HERON_MESSAGE_COMPLETE, "HERON_MESSAGE_COMPLETE", "complete" },
  { HERON_MESSAGE_STREAMING, "HERON_MESSAGE_STREAMING", "streaming" },
  { HERON_MESSAGE_INTERRUPTED, "HERON_MESSAGE_INTERRUPTED", "interrupted" },
  { HERON_MESSAGE_ERROR, "HERON_MESSAGE_ERROR", "error" },
  { HERON_MESSAGE_CANCELLED, "HERON_MESSAGE_CANCELLED", "cancelled" },
  { 0, NULL, NULL },
};

GType
heron_role_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("HeronRole", role_values));
  return type;
}

GType
heron_message_state_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("HeronMessageState", state_values));
  return type;
}

static gboolean
from_nick (const GEnumValue *values, const char *s, int *out)
{
  for (const GEnumValue *v = values; s && v->value_nick; v++)
    if (g_str_equal (v->value_nick, s))
      {
        *out = v->value;
        return TRUE;
      }
  return FALSE;
}

const char *
heron_role_to_string (HeronRole role)
{
  g_return_val_if_fail (role <= HERON_ROLE_ASSISTANT, "user");
  return role_values[role].value_nick;
}

gboolean
heron_role_from_string (const char *s, HeronRole *role)
{
  int v;

  if (!from_nick (role_values, s, &v))
    return FALSE;
  *role = v;
  return TRUE;
}

const char *
heron_message_state_to_string (HeronMessageState state)
{
  g_return_val_if_fail (state <= HERON_MESSAGE_CANCELLED, "complete");
  return state_values[state].value_nick;
}

gboolean
heron_message_state_from_string (const char *s, HeronMessageState *state)
{
  int v;

  if (!from_nick (state_values, s, &v))
    return FALSE;
  *state = v;
  return TRUE;
}

struct _HeronMessage
{
  GObject            parent_instance;
  gint64             id;
  gint64             conversation_id;
  gint64             parent_id;
  HeronRole          role;
  GString           *content;
  GString           *reasoning;    /* NULL: none */
  HeronMessageState  state;
  char              *error;
  char              *model;
  char              *stats_json;
  char              *sources_json;
  gint64             created_at;
  gint64             updated_at;
  gint64             branch_index;
  gint64             branch_count;
};

G_DEFINE_FINAL_TYPE (HeronMessage, heron_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CONVERSATION_ID,
  PROP_PARENT_ID,
  PROP_ROLE,
  PROP_CONTENT,
  PROP_REASONING,
  PROP_STATE,
  PROP_ERROR,
  PROP_MODEL,
  PROP_STATS_JSON,
  PROP_SOURCES_JSON,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_BRANCH_INDEX,
  PROP_BRANCH_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
heron_message_finalize (GObject *object)
{
  HeronMessage *self = HERON_MESSAGE (object);

  g_string_free (self->content, TRUE);
  if (self->reasoning)
    g_string_free (self->reasoning, TRUE);
  g_free (self->error);
  g_free (self->model);
  g_free (self->stats_json);
  g_free (self->sources_json);
  G_OBJECT_CLASS (heron_message_parent_class)->finalize (object);
}

static void
heron_message_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HeronMessage *self = HERON_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_CONVERSATION_ID: g_value_set_int64 (value, self->conversation_id); break;
    case PROP_PARENT_ID: g_value_set_int64 (value, self->parent_id); break;
    case PROP_ROLE: g_value_set_enum (value, self->role); break;
    case PROP_CONTENT: g_value_set_string (value, self->content->str); break;
    case PROP_REASONING: g_value_set_string (value, heron_message_get_reasoning (self)); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    case PROP_MODEL: g_value_set_string (value, self->model); break;
    case PROP_STATS_JSON: g_value_set_string (value, self->stats_json); break;
    case PROP_SOURCES_JSON: g_value_set_string (value, self->sources_json); break;
    case PROP_CREATED_AT: g_value_set_int64 (value, self->created_at); break;
    case PROP_UPDATED_AT: g_value_set_int64 (value, self->updated_at); break;
    case PROP_BRANCH_INDEX: g_value_set_int64 (value, self->branch_index); break;
    case PROP_BRANCH_COUNT: g_value_set_int64 (value, self->branch_count); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_message_set_property (GObject *object, guint prop_id, const GValue *value,
                            GParamSpec *pspec)
{
  HeronMessage *self = HERON_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID: heron_message_set_id (self, g_value_get_int64 (value)); break;
    case PROP_CONVERSATION_ID:
      heron_message_set_conversation_id (self, g_value_get_int64 (value));
      break;
    case PROP_PARENT_ID: heron_message_set_parent_id (self, g_value_get_int64 (value)); break;
    case PROP_ROLE: self->role = g_value_get_enum (value); break;
    case PROP_CONTENT: heron_message_set_content (self, g_value_get_string (value)); break;
    case PROP_REASONING: heron_message_set_reasoning (self, g_value_get_string (value)); break;
    case PROP_STATE: heron_message_set_state (self, g_value_get_enum (value)); break;
    case PROP_ERROR: heron_message_set_error (self, g_value_get_string (value)); break;
    case PROP_MODEL: heron_message_set_model (self, g_value_get_string (value)); break;
    case PROP_STATS_JSON: heron_message_set_stats_json (self, g_value_get_string (value)); break;
    case PROP_SOURCES_JSON:
      heron_message_set_sources_json (self, g_value_get_string (value));
      break;
    case PROP_CREATED_AT: heron_message_set_created_at (self, g_value_get_int64 (value)); break;
    case PROP_UPDATED_AT: heron_message_set_updated_at (self, g_value_get_int64 (value)); break;
    case PROP_BRANCH_INDEX:
      heron_message_set_branch_index (self, g_value_get_int64 (value));
      break;
    case PROP_BRANCH_COUNT:
      heron_message_set_branch_count (self, g_value_get_int64 (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_message_class_init (HeronMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = heron_message_finalize;
  object_class->get_property = heron_message_get_property;
  object_class->set_property = heron_message_set_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_CONVERSATION_ID] = g_param_spec_int64 ("conversation-id", NULL, NULL,
                                                         0, G_MAXINT64, 0, rw);
  properties[PROP_PARENT_ID] = g_param_spec_int64 ("parent-id", NULL, NULL,
                                                   0, G_MAXINT64, 0, rw);
  properties[PROP_ROLE] = g_param_spec_enum ("role", NULL, NULL, HERON_TYPE_ROLE,
                                             HERON_ROLE_USER,
                                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                             G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTENT] = g_param_spec_string ("content", NULL, NULL, "", rw);
  properties[PROP_REASONING] = g_param_spec_string ("reasoning", NULL, NULL, NULL, rw);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, HERON_TYPE_MESSAGE_STATE,
                                              HERON_MESSAGE_COMPLETE, rw);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, rw);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, rw);
  properties[PROP_STATS_JSON] = g_param_spec_string ("stats-json", NULL, NULL, NULL, rw);
  properties[PROP_SOURCES_JSON] = g_param_spec_string ("sources-json", NULL, NULL, NULL, rw);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL,
                                                    0, G_MAXINT64, 0, rw);
  properties[PROP_UPDATED_AT] = g_param_spec_int64 ("updated-at", NULL, NULL,
                                                    0, G_MAXINT64, 0, rw);
  properties[PROP_BRANCH_INDEX] = g_param_spec_int64 ("branch-index", NULL, NULL,
                                                      0, G_MAXINT64, 0, rw);
  properties[PROP_BRANCH_COUNT] = g_param_spec_int64 ("branch-count", NULL, NULL,
                                                      0, G_MAXINT64, 0, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
heron_message_init (HeronMessage *self)
{
  self->content = g_string_new ("");
}

HeronMessage *
heron_message_new (HeronRole role, const char *content)
{
  return g_object_new (HERON_TYPE_MESSAGE, "role", role, "content", content ? content : "",
                       NULL);
}

#define INT64_ACCESSORS(field, PROP)                                      \
  gint64 heron_message_get_##field (HeronMessage *self)                  \
  {                                                                       \
    g_return_val_if_fail (HERON_IS_MESSAGE (self), 0);                    \
    return self->field;                                                   \
  }                                                                       \
  void heron_message_set_##field (HeronMessage *self, gint64 v)          \
  {                                                                       \
    g_return_if_fail (HERON_IS_MESSAGE (self));                           \
    if (self->field == v)                                                 \
      return;                                                             \
    self->field = v;                                                      \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);         \
  }

#define STRING_ACCESSORS(field, PROP)                                     \
  const char *heron_message_get_##field (HeronMessage *self)             \
  {                                                                       \
    g_return_val_if_fail (HERON_IS_MESSAGE (self), NULL);                 \
    return self->field;                                                   \
  }                                                                       \
  void heron_message_set_##field (HeronMessage *self, const char *v)     \
  {                                                                       \
    g_return_if_fail (HERON_IS_MESSAGE (self));                           \
    if (g_strcmp0 (self->field, v) == 0)                                  \
      return;                                                             \
    g_free (self->field);                                                 \
    self->field = g_strdup (v);                                           \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);         \
  }

INT64_ACCESSORS (id, PROP_ID)
INT64_ACCESSORS (conversation_id, PROP_CONVERSATION_ID)
INT64_ACCESSORS (parent_id, PROP_PARENT_ID)
INT64_ACCESSORS (created_at, PROP_CREATED_AT)
INT64_ACCESSORS (updated_at, PROP_UPDATED_AT)
INT64_ACCESSORS (branch_index, PROP_BRANCH_INDEX)
INT64_ACCESSORS (branch_count, PROP_BRANCH_COUNT)
STRING_ACCESSORS (error, PROP_ERROR)
STRING_ACCESSORS (model, PROP_MODEL)
STRING_ACCESSORS (stats_json, PROP_STATS_JSON)
STRING_ACCESSORS (sources_json, PROP_SOURCES_JSON)

HeronRole
heron_message_get_role (HeronMessage *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE (self), HERON_ROLE_USER);
  return self->role;
}

const char *
heron_message_get_content (HeronMessage *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE (self), NULL);
  return self->content->str;
}

void
heron_message_set_content (HeronMessage *self, const char *content)
{
  g_return_if_fail (HERON_IS_MESSAGE (self));
  if (content == NULL)
    content = "";
  if (g_str_equal (self->content->str, content))
    return;
  g_string_assign (self->content, content);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
}

void
heron_message_append_content (HeronMessage *self, const char *delta)
{
  g_return_if_fail (HERON_IS_MESSAGE (self));
  if (delta == NULL || *delta == '\0')
    return;
  g_string_append (self->content, delta);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
}

const char *
heron_message_get_reasoning (HeronMessage *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE (self), NULL);
  return self->reasoning ? self->reasoning->str : NULL;
}

void
heron_message_set_reasoning (HeronMessage *self, const char *reasoning)
{
  g_return_if_fail (HERON_IS_MESSAGE (self));
  if (g_strcmp0 (heron_message_get_reasoning (self), reasoning) == 0)
    return;
  if (reasoning == NULL)
    {
      g_string_free (self->reasoning, TRUE);
      self->reasoning = NULL;
    }
  else if (self->reasoning == NULL)
    self->reasoning = g_string_new (reasoning);
  else
    g_string_assign (self->reasoning, reasoning);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASONING]);
}

void
heron_message_append_reasoning (HeronMessage *self, const char *delta)
{
  g_return_if_fail (HERON_IS_MESSAGE (self));
  if (delta == NULL || *delta == '\0')
    return;
  if (self->reasoning == NULL)
    self->reasoning = g_string_new (delta);
  else
    g_string_append (self->reasoning, delta);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASONING]);
}

HeronMessageState
heron_message_get_state (HeronMessage *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE (self), HERON_MESSAGE_COMPLETE);
  return self->state;
}

void
heron_message_set_state (HeronMessage *self, HeronMessageState state)
{
  g_return_if_fail (HERON_IS_MESSAGE (self));
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}
