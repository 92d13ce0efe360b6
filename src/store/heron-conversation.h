/* heron-conversation.h: one conversation (a row of the conversations table) as a GObject
 * for the sidebar. Main-thread object.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where the sidebar shows a conversation. */
typedef enum
{
  HERON_SECTION_PINNED,
  HERON_SECTION_TODAY,
  HERON_SECTION_YESTERDAY,
  HERON_SECTION_EARLIER,
} HeronSection;

#define HERON_TYPE_CONVERSATION (heron_conversation_get_type ())
G_DECLARE_FINAL_TYPE (HeronConversation, heron_conversation, HERON, CONVERSATION, GObject)

HeronConversation *heron_conversation_new (gint64 id, const char *title);

gint64       heron_conversation_get_id            (HeronConversation *self);
const char  *heron_conversation_get_title         (HeronConversation *self);
void         heron_conversation_set_title         (HeronConversation *self, const char *title);
gint64       heron_conversation_get_created_at    (HeronConversation *self);
void         heron_conversation_set_created_at    (HeronConversation *self, gint64 ms);
gint64       heron_conversation_get_updated_at    (HeronConversation *self);
void         heron_conversation_set_updated_at    (HeronConversation *self, gint64 ms);
gboolean     heron_conversation_get_pinned        (HeronConversation *self);
void         heron_conversation_set_pinned        (HeronConversation *self, gboolean pinned);
const char  *heron_conversation_get_model         (HeronConversation *self);
void         heron_conversation_set_model         (HeronConversation *self, const char *model);
const char  *heron_conversation_get_system_prompt (HeronConversation *self);
void         heron_conversation_set_system_prompt (HeronConversation *self, const char *prompt);
const char  *heron_conversation_get_settings_json (HeronConversation *self);
void         heron_conversation_set_settings_json (HeronConversation *self, const char *json);
const char  *heron_conversation_get_web_mode      (HeronConversation *self);
void         heron_conversation_set_web_mode      (HeronConversation *self, const char *mode);

/* Section by updated_at in local time relative to NOW_MS (pinned ones: PINNED). */
HeronSection heron_conversation_get_section       (HeronConversation *self, gint64 now_ms);

/* A title from a first question: its first non-empty line, whitespace collapsed, cut at a
 * word boundary to at most MAX_CHARS characters with "…". */
char        *heron_conversation_make_title        (const char *question, guint max_chars);

G_END_DECLS
