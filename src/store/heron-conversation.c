/* heron-conversation.c: HeronConversation, one row of the conversations table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-conversation.h"

struct _HeronConversation
{
  GObject   parent_instance;
  gint64    id;
  char     *title;
  gint64    created_at;
  gint64    updated_at;
  gboolean  pinned;
  char     *model;
  char     *system_prompt;
  char     *settings_json;
  char     *web_mode;
};

G_DEFINE_FINAL_TYPE (HeronConversation, heron_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_PINNED,
  PROP_MODEL,
  PROP_SYSTEM_PROMPT,
  PROP_SETTINGS_JSON,
  PROP_WEB_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
heron_conversation_finalize (GObject *object)
{
  HeronConversation *self = HERON_CONVERSATION (object);

  g_free (self->title);
  g_free (self->model);
  g_free (self->system_prompt);
  g_free (self->settings_json);
  g_free (self->web_mode);
  G_OBJECT_CLASS (heron_conversation_parent_class)->finalize (object);
}

static void
heron_conversation_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  HeronConversation *self = HERON_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_CREATED_AT: g_value_set_int64 (value, self->created_at); break;
    case PROP_UPDATED_AT: g_value_set_int64 (value, self->updated_at); break;
    case PROP_PINNED: g_value_set_boolean (value, self->pinned); break;
    case PROP_MODEL: g_value_set_string (value, self->model); break;
    case PROP_SYSTEM_PROMPT: g_value_set_string (value, self->system_prompt); break;
    case PROP_SETTINGS_JSON: g_value_set_string (value, self->settings_json); break;
    case PROP_WEB_MODE: g_value_set_string (value, self->web_mode); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_conversation_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HeronConversation *self = HERON_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ID: self->id = g_value_get_int64 (value); break;
    case PROP_TITLE: heron_conversation_set_title (self, g_value_get_string (value)); break;
    case PROP_CREATED_AT:
      heron_conversation_set_created_at (self, g_value_get_int64 (value));
      break;
    case PROP_UPDATED_AT:
      heron_conversation_set_updated_at (self, g_value_get_int64 (value));
      break;
    case PROP_PINNED: heron_conversation_set_pinned (self, g_value_get_boolean (value)); break;
    case PROP_MODEL: heron_conversation_set_model (self, g_value_get_string (value)); break;
    case PROP_SYSTEM_PROMPT:
      heron_conversation_set_system_prompt (self, g_value_get_string (value));
      break;
    case PROP_SETTINGS_JSON:
      heron_conversation_set_settings_json (self, g_value_get_string (value));
      break;
    case PROP_WEB_MODE: heron_conversation_set_web_mode (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_conversation_class_init (HeronConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = heron_conversation_finalize;
  object_class->get_property = heron_conversation_get_property;
  object_class->set_property = heron_conversation_set_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                            G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, "", rw);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL,
                                                    0, G_MAXINT64, 0, rw);
  properties[PROP_UPDATED_AT] = g_param_spec_int64 ("updated-at", NULL, NULL,
                                                    0, G_MAXINT64, 0, rw);
  properties[PROP_PINNED] = g_param_spec_boolean ("pinned", NULL, NULL, FALSE, rw);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, rw);
  properties[PROP_SYSTEM_PROMPT] = g_param_spec_string ("system-prompt", NULL, NULL, NULL, rw);
  properties[PROP_SETTINGS_JSON] = g_param_spec_string ("settings-json", NULL, NULL, NULL, rw);
  properties[PROP_WEB_MODE] = g_param_spec_string ("web-mode", NULL, NULL, "auto", rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
heron_conversation_init (HeronConversation *self)
{
  self->title = g_strdup ("");
  self->web_mode = g_strdup ("auto");
}

HeronConversation *
heron_conversation_new (gint64 id, const char *title)
{
  return g_object_new (HERON_TYPE_CONVERSATION, "id", id, "title", title ? title : "", NULL);
}

gint64
heron_conversation_get_id (HeronConversation *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION (self), 0);
  return self->id;
}

#define INT64_ACCESSORS(field, PROP)                                            \
  gint64 heron_conversation_get_##field (HeronConversation *self)              \
  {                                                                             \
    g_return_val_if_fail (HERON_IS_CONVERSATION (self), 0);                     \
    return self->field;                                                         \
  }                                                                             \
  void heron_conversation_set_##field (HeronConversation *self, gint64 v)      \
  {                                                                             \
    g_return_if_fail (HERON_IS_CONVERSATION (self));                            \
    if (self->field == v)                                                       \
      return;                                                                   \
    self->field = v;                                                            \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);               \
  }

#define STRING_ACCESSORS(field, PROP)                                           \
  const char *heron_conversation_get_##field (HeronConversation *self)         \
  {                                                                             \
    g_return_val_if_fail (HERON_IS_CONVERSATION (self), NULL);                  \
    return self->field;                                                         \
  }                                                                             \
  void heron_conversation_set_##field (HeronConversation *self, const char *v) \
  {                                                                             \
    g_return_if_fail (HERON_IS_CONVERSATION (self));                            \
    if (g_strcmp0 (self->field, v) == 0)                                        \
      return;                                                                   \
    g_free (self->field);                                                       \
    self->field = g_strdup (v);                                                 \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);               \
  }

INT64_ACCESSORS (created_at, PROP_CREATED_AT)
INT64_ACCESSORS (updated_at, PROP_UPDATED_AT)
STRING_ACCESSORS (model, PROP_MODEL)
STRING_ACCESSORS (system_prompt, PROP_SYSTEM_PROMPT)
STRING_ACCESSORS (settings_json, PROP_SETTINGS_JSON)

const char *
heron_conversation_get_title (HeronConversation *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION (self), NULL);
  return self->title;
}

void
heron_conversation_set_title (HeronConversation *self, const char *title)
{
  g_return_if_fail (HERON_IS_CONVERSATION (self));
  if (title == NULL)
    title = "";
  if (g_str_equal (self->title, title))
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
heron_conversation_get_web_mode (HeronConversation *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION (self), NULL);
  return self->web_mode;
}

void
heron_conversation_set_web_mode (HeronConversation *self, const char *mode)
{
  g_return_if_fail (HERON_IS_CONVERSATION (self));
  if (mode == NULL)
    mode = "auto";
  if (g_str_equal (self->web_mode, mode))
    return;
  g_free (self->web_mode);
  self->web_mode = g_strdup (mode);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WEB_MODE]);
}

gboolean
heron_conversation_get_pinned (HeronConversation *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION (self), FALSE);
  return self->pinned;
}

void
heron_conversation_set_pinned (HeronConversation *self, gboolean pinned)
{
  g_return_if_fail (HERON_IS_CONVERSATION (self));
  pinned = !!pinned;
  if (self->pinned == pinned)
    return;
  self->pinned = pinned;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

HeronSection
heron_conversation_get_section (HeronConversation *self, gint64 now_ms)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) midnight = NULL;
  gint64 midnight_ms;

  g_return_val_if_fail (HERON_IS_CONVERSATION (self), HERON_SECTION_EARLIER);
  if (self->pinned)
    return HERON_SECTION_PINNED;

  now = g_date_time_new_from_unix_local (now_ms / 1000);
  midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  midnight_ms = g_date_time_to_unix (midnight) * 1000;
  if (self->updated_at >= midnight_ms)
    return HERON_SECTION_TODAY;
  when = g_date_time_add_days (midnight, -1);
  if (self->updated_at >= g_date_time_to_unix (when) * 1000)
    return HERON_SECTION_YESTERDAY;
  return HERON_SECTION_EARLIER;
}

char *
heron_conversation_make_title (const char *question, guint max_chars)
{
  g_autoptr(GString) title = g_string_new ("");
  g_auto(GStrv) lines = NULL;
  const char *line = "";
  gboolean space = FALSE;

  if (question == NULL || !g_utf8_validate (question, -1, NULL))
    return g_strdup ("");
  lines = g_strsplit (question, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*g_strstrip (lines[i]))
      {
        line = lines[i];
        break;
      }

  for (const char *p = line; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          space = TRUE;
          continue;
        }
      if (space && title->len)
        g_string_append_c (title, ' ');
      space = FALSE;
      g_string_append_unichar (title, c);
    }

  if (g_utf8_strlen (title->str, -1) > (glong) max_chars && max_chars > 1)
    {
      char *cut = g_utf8_offset_to_pointer (title->str, max_chars - 1);
      char *space_at;

      *cut = '\0';
      /* Cut at the last word boundary when there is one in the second half; CJK text has
       * no spaces and is cut at the character. */
      space_at = strrchr (title->str, ' ');
      if (space_at && g_utf8_strlen (title->str, space_at - title->str) > (glong) max_chars / 2)
        *space_at = '\0';
      g_string_set_size (title, strlen (title->str));
      g_string_append (title, "…");
    }
  return g_string_free (g_steal_pointer (&title), FALSE);
}
