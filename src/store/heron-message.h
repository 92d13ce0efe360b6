/* heron-message.h: one message of a conversation as a GObject the chat view binds to.
 * Its properties change (with notify) while an answer streams. Main-thread object: the
 * store creates them on its thread and hands them over, never shares them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  HERON_ROLE_SYSTEM,
  HERON_ROLE_USER,
  HERON_ROLE_ASSISTANT,
} HeronRole;

typedef enum
{
  HERON_MESSAGE_COMPLETE,
  HERON_MESSAGE_STREAMING,
  HERON_MESSAGE_INTERRUPTED,   /* the process died while it streamed */
  HERON_MESSAGE_ERROR,
  HERON_MESSAGE_CANCELLED,     /* stopped by the user; the partial text is kept */
} HeronMessageState;

GType heron_role_get_type (void);
GType heron_message_state_get_type (void);
#define HERON_TYPE_ROLE (heron_role_get_type ())
#define HERON_TYPE_MESSAGE_STATE (heron_message_state_get_type ())

/* The strings stored in the database ("user", "streaming", ...). */
const char        *heron_role_to_string          (HeronRole role);
gboolean           heron_role_from_string        (const char *s, HeronRole *role);
const char        *heron_message_state_to_string (HeronMessageState state);
gboolean           heron_message_state_from_string (const char *s, HeronMessageState *state);

#define HERON_TYPE_MESSAGE (heron_message_get_type ())
G_DECLARE_FINAL_TYPE (HeronMessage, heron_message, HERON, MESSAGE, GObject)

HeronMessage      *heron_message_new (HeronRole role, const char *content);

gint64             heron_message_get_id              (HeronMessage *self);
void               heron_message_set_id              (HeronMessage *self, gint64 id);
gint64             heron_message_get_conversation_id (HeronMessage *self);
void               heron_message_set_conversation_id (HeronMessage *self, gint64 id);
/* 0 when the message starts the conversation. */
gint64             heron_message_get_parent_id       (HeronMessage *self);
void               heron_message_set_parent_id       (HeronMessage *self, gint64 id);
HeronRole          heron_message_get_role            (HeronMessage *self);
const char        *heron_message_get_content         (HeronMessage *self);
void               heron_message_set_content         (HeronMessage *self, const char *content);
void               heron_message_append_content      (HeronMessage *self, const char *delta);
/* NULL when the model did not reason. */
const char        *heron_message_get_reasoning       (HeronMessage *self);
void               heron_message_set_reasoning       (HeronMessage *self, const char *reasoning);
void               heron_message_append_reasoning    (HeronMessage *self, const char *delta);
HeronMessageState  heron_message_get_state           (HeronMessage *self);
void               heron_message_set_state           (HeronMessage *self, HeronMessageState state);
const char        *heron_message_get_error           (HeronMessage *self);
void               heron_message_set_error           (HeronMessage *self, const char *error);
const char        *heron_message_get_model           (HeronMessage *self);
void               heron_message_set_model           (HeronMessage *self, const char *model);
/* JSON object: {"model", "prompt_tokens", "cached_tokens", "completion_tokens",
 * "ttft_ms", "prompt_ms", "gen_ms", "tokens_per_second", "stop"}; NULL until known. */
const char        *heron_message_get_stats_json      (HeronMessage *self);
void               heron_message_set_stats_json      (HeronMessage *self, const char *json);
const char        *heron_message_get_sources_json    (HeronMessage *self);
void               heron_message_set_sources_json    (HeronMessage *self, const char *json);
gint64             heron_message_get_created_at      (HeronMessage *self);
void               heron_message_set_created_at      (HeronMessage *self, gint64 ms);
gint64             heron_message_get_updated_at      (HeronMessage *self);
void               heron_message_set_updated_at      (HeronMessage *self, gint64 ms);
/* Alternatives (branches): the message is number BRANCH_INDEX (from 1, oldest first) of
 * BRANCH_COUNT messages with the same parent. Set by the store on the active path and on
 * added messages; 0 when unknown. */
gint64             heron_message_get_branch_index    (HeronMessage *self);
void               heron_message_set_branch_index    (HeronMessage *self, gint64 index);
gint64             heron_message_get_branch_count    (HeronMessage *self);
void               heron_message_set_branch_count    (HeronMessage *self, gint64 count);

G_END_DECLS
