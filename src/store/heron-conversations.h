/* heron-conversations.h: queries on the conversations table. Every call has an _async form
 * (for the UI; the callback runs on the caller's main context) and a _sync form (CLI,
 * tests, other threads; never the UI thread). All run on the store thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"
#include "heron-conversation.h"

G_BEGIN_DECLS

/* Finish of every call below that only writes: TRUE or FALSE with ERROR. */
gboolean           heron_store_write_finish (HeronStore *store, GAsyncResult *result,
                                             GError **error);

/* New empty conversation; SYSTEM_PROMPT and MODEL may be NULL. */
void               heron_store_create_conversation_async  (HeronStore *store,
                                                           const char *title,
                                                           const char *system_prompt,
                                                           const char *model,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);
HeronConversation *heron_store_create_conversation_finish (HeronStore *store,
                                                           GAsyncResult *result,
                                                           GError **error);
HeronConversation *heron_store_create_conversation_sync   (HeronStore *store,
                                                           const char *title,
                                                           const char *system_prompt,
                                                           const char *model,
                                                           GCancellable *cancellable,
                                                           GError **error);

/* One conversation; HERON_STORE_ERROR_NOT_FOUND when it does not exist or is deleted. */
void               heron_store_get_conversation_async  (HeronStore *store, gint64 id,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
HeronConversation *heron_store_get_conversation_finish (HeronStore *store,
                                                        GAsyncResult *result, GError **error);
HeronConversation *heron_store_get_conversation_sync   (HeronStore *store, gint64 id,
                                                        GCancellable *cancellable,
                                                        GError **error);

/* Conversations not deleted: pinned first, then newest updated_at first.
 * Returns a GPtrArray of HeronConversation (free with g_ptr_array_unref). */
void       heron_store_list_conversations_async  (HeronStore *store,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
GPtrArray *heron_store_list_conversations_finish (HeronStore *store, GAsyncResult *result,
                                                  GError **error);
GPtrArray *heron_store_list_conversations_sync   (HeronStore *store,
                                                  GCancellable *cancellable, GError **error);

/* Writes; finish with heron_store_write_finish(). Renaming and pinning do not change
 * updated_at (the sidebar order follows activity). */
void     heron_store_rename_conversation_async (HeronStore *store, gint64 id, const char *title,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
gboolean heron_store_rename_conversation_sync  (HeronStore *store, gint64 id, const char *title,
                                                GCancellable *cancellable, GError **error);
void     heron_store_pin_conversation_async    (HeronStore *store, gint64 id, gboolean pinned,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
gboolean heron_store_pin_conversation_sync     (HeronStore *store, gint64 id, gboolean pinned,
                                                GCancellable *cancellable, GError **error);
/* System prompt, model, settings JSON (sampling) and web mode; NULL leaves a field as is. */
void     heron_store_set_conversation_settings_async (HeronStore *store, gint64 id,
                                                      const char *system_prompt,
                                                      const char *model,
                                                      const char *settings_json,
                                                      const char *web_mode,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean heron_store_set_conversation_settings_sync  (HeronStore *store, gint64 id,
                                                      const char *system_prompt,
                                                      const char *model,
                                                      const char *settings_json,
                                                      const char *web_mode,
                                                      GCancellable *cancellable,
                                                      GError **error);

/* Delete with undo: delete marks the conversation (it disappears from lists and search),
 * undelete clears the mark, purge removes the marked ones for good (with their messages).
 * The marks left when a process ends are purged at the next open. */
void     heron_store_delete_conversation_async   (HeronStore *store, gint64 id,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean heron_store_delete_conversation_sync    (HeronStore *store, gint64 id,
                                                  GCancellable *cancellable, GError **error);
void     heron_store_undelete_conversation_async (HeronStore *store, gint64 id,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean heron_store_undelete_conversation_sync  (HeronStore *store, gint64 id,
                                                  GCancellable *cancellable, GError **error);
void     heron_store_purge_deleted_async         (HeronStore *store,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean heron_store_purge_deleted_sync          (HeronStore *store,
                                                  GCancellable *cancellable, GError **error);

G_END_DECLS
