/* heron-chat.h: what makes a window chat: the store, the backend, turns, the sidebar's
 * conversations and search, and the "chat." actions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-backend.h"
#include "heron-conversation-model.h"
#include "heron-store.h"

G_BEGIN_DECLS

#define HERON_TYPE_CHAT (heron_chat_get_type ())

G_DECLARE_FINAL_TYPE (HeronChat, heron_chat, HERON, CHAT, GObject)

/* WINDOW is a HeronWindow; the chat installs its actions on it as "chat.". */
HeronChat              *heron_chat_new                (GtkWidget  *window);
void                    heron_chat_new_conversation   (HeronChat  *self);
void                    heron_chat_open_conversation  (HeronChat  *self,
                                                       gint64      conversation_id,
                                                       gint64      message_id);
void                    heron_chat_open_model         (HeronChat  *self);
/* Use BACKEND for this window and for windows opened later. */
void                    heron_chat_set_backend        (HeronChat    *self,
                                                       HeronBackend *backend);
HeronStore             *heron_chat_get_store          (HeronChat  *self);
HeronConversationModel *heron_chat_get_messages       (HeronChat  *self);
gboolean                heron_chat_get_running        (HeronChat  *self);
HeronBackend           *heron_chat_get_backend        (HeronChat  *self);
/* Export the open conversation to FILE as JSON or Markdown (what Export… does once a file
 * is chosen); a toast tells when it is written. */
void                    heron_chat_export_to_file     (HeronChat  *self,
                                                       GFile      *file,
                                                       gboolean    json);

G_END_DECLS
