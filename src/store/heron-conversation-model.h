/* heron-conversation-model.h: GListModels for the UI.
 *
 * HeronConversationModel: the messages (HeronMessage) of one conversation's active path,
 * the model a chat view binds to. A HeronTurn appends to it and updates the last message
 * while it streams (notify on the HeronMessage, items-changed only for new rows).
 *
 * HeronConversationList: the conversations (HeronConversation) for the sidebar, pinned
 * first then newest first (use heron_conversation_get_section for section headers). Load
 * it once with heron_conversation_list_reload_async; afterwards it follows the store's
 * "conversation-changed" signal by itself. Conversations keep their objects across
 * reloads (their properties change with notify); items-changed comes only when the order
 * or the membership changed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-store.h"
#include "heron-message.h"
#include "heron-conversation.h"

G_BEGIN_DECLS

#define HERON_TYPE_CONVERSATION_MODEL (heron_conversation_model_get_type ())
G_DECLARE_FINAL_TYPE (HeronConversationModel, heron_conversation_model, HERON,
                      CONVERSATION_MODEL, GObject)

/* CONVERSATION_ID 0: a new conversation, created by the first turn. */
HeronConversationModel *heron_conversation_model_new (HeronStore *store, gint64 conversation_id);
HeronStore   *heron_conversation_model_get_store           (HeronConversationModel *self);
gint64        heron_conversation_model_get_conversation_id (HeronConversationModel *self);
void          heron_conversation_model_set_conversation_id (HeronConversationModel *self,
                                                            gint64 id);
/* Replace the items with the stored active path. When a message was appended while it
 * read (a turn started), nothing is replaced and it fails with G_IO_ERROR_CANCELLED: the
 * turn's live messages stay. */
void          heron_conversation_model_load_async  (HeronConversationModel *self,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
gboolean      heron_conversation_model_load_finish (HeronConversationModel *self,
                                                    GAsyncResult *result, GError **error);
void          heron_conversation_model_append      (HeronConversationModel *self,
                                                    HeronMessage *message);
/* Keep the first N_KEEP items (edit and regenerate replace the later turns). */
void          heron_conversation_model_truncate    (HeronConversationModel *self,
                                                    guint n_keep);
/* Position of the message with that id, or -1. */
int           heron_conversation_model_find        (HeronConversationModel *self, gint64 id);
/* The last item, or NULL (not a new reference). */
HeronMessage *heron_conversation_model_peek_last   (HeronConversationModel *self);

#define HERON_TYPE_CONVERSATION_LIST (heron_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (HeronConversationList, heron_conversation_list, HERON,
                      CONVERSATION_LIST, GObject)

HeronConversationList *heron_conversation_list_new (HeronStore *store);
void      heron_conversation_list_reload_async  (HeronConversationList *self,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data);
gboolean  heron_conversation_list_reload_finish (HeronConversationList *self,
                                                 GAsyncResult *result, GError **error);
/* Position of the conversation with that id, or -1. */
int       heron_conversation_list_find          (HeronConversationList *self, gint64 id);

G_END_DECLS
