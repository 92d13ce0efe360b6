/* heron-messages.h: queries on the messages table.
 *
 * Branches: messages form a tree through parent_id. The conversation shown is the active
 * path: from the chosen root, repeatedly the chosen child, where the chosen one among
 * siblings is the last added or switched to (heron_store_switch_branch_*). Editing a user
 * message and resending adds a sibling of it (same parent), and regenerating adds a
 * sibling of the answer: the new branch becomes the active path, the old one stays as an
 * alternative (heron_store_get_siblings_*, or switch back to it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"
#include "heron-message.h"

G_BEGIN_DECLS

/* The messages of the active path of a conversation, oldest first: a GPtrArray of
 * HeronMessage. */
void       heron_store_get_messages_async  (HeronStore *store, gint64 conversation_id,
                                            GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *heron_store_get_messages_finish (HeronStore *store, GAsyncResult *result,
                                            GError **error);
GPtrArray *heron_store_get_messages_sync   (HeronStore *store, gint64 conversation_id,
                                            GCancellable *cancellable, GError **error);

/* The path from the root down to MESSAGE_ID (included), oldest first. */
GPtrArray *heron_store_get_path_sync       (HeronStore *store, gint64 message_id,
                                            GCancellable *cancellable, GError **error);

/* Siblings of a message (same parent and conversation), including it, oldest first. */
GPtrArray *heron_store_get_siblings_sync   (HeronStore *store, gint64 message_id,
                                            GCancellable *cancellable, GError **error);

/* Show another alternative: the sibling DELTA places from MESSAGE_ID (-1: the previous,
 * 1: the next, in creation order) becomes the shown one, with the branch under it as it
 * was last shown. Finish returns the id of the sibling now shown, or 0 with ERROR
 * (HERON_STORE_ERROR_NOT_FOUND when there is no such message or alternative). */
void     heron_store_switch_branch_async  (HeronStore *store, gint64 message_id, int delta,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gint64   heron_store_switch_branch_finish (HeronStore *store, GAsyncResult *result,
                                           GError **error);
gint64   heron_store_switch_branch_sync   (HeronStore *store, gint64 message_id, int delta,
                                           GCancellable *cancellable, GError **error);

/* Insert MESSAGE (its conversation-id, parent-id, role, content, reasoning, state, model,
 * error, stats/sources JSON) and bump the conversation's updated_at. Finish returns the new
 * id (> 0) or 0 with ERROR; the caller sets it (and the times) on the object: the object
 * stays on the caller's thread, the job works on a copy. */
void     heron_store_add_message_async  (HeronStore *store, HeronMessage *message,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gint64   heron_store_add_message_finish (HeronStore *store, GAsyncResult *result,
                                         GError **error);
/* Sets id, created-at and updated-at on MESSAGE. */
gint64   heron_store_add_message_sync   (HeronStore *store, HeronMessage *message,
                                         GCancellable *cancellable, GError **error);

/* Write the text of a message while it streams (REASONING may be NULL). */
void     heron_store_update_message_async (HeronStore *store, gint64 id, const char *content,
                                           const char *reasoning, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean heron_store_update_message_sync  (HeronStore *store, gint64 id, const char *content,
                                           const char *reasoning, GCancellable *cancellable,
                                           GError **error);

/* The final write of an answer: text, state, error (NULL unless state is error), stats
 * JSON; bumps the conversation's updated_at. */
void     heron_store_finish_message_async (HeronStore *store, gint64 id, const char *content,
                                           const char *reasoning, HeronMessageState state,
                                           const char *error_text, const char *stats_json,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean heron_store_finish_message_sync  (HeronStore *store, gint64 id, const char *content,
                                           const char *reasoning, HeronMessageState state,
                                           const char *error_text, const char *stats_json,
                                           GCancellable *cancellable, GError **error);

/* The sources (web pages, documents) an answer cites, as JSON chosen by the caller
 * (the web layer); NULL clears them. */
void     heron_store_set_message_sources_async (HeronStore *store, gint64 id,
                                                const char *sources_json,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
gboolean heron_store_set_message_sources_sync  (HeronStore *store, gint64 id,
                                                const char *sources_json,
                                                GCancellable *cancellable, GError **error);

/* One message by id (any branch), e.g. to open a search hit that is not on the active
 * path; HERON_STORE_ERROR_NOT_FOUND when there is none. */
void          heron_store_get_message_async  (HeronStore *store, gint64 id,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer user_data);
HeronMessage *heron_store_get_message_finish (HeronStore *store, GAsyncResult *result,
                                              GError **error);
HeronMessage *heron_store_get_message_sync   (HeronStore *store, gint64 id,
                                              GCancellable *cancellable, GError **error);

/* Delete one message; its children move up to its parent, so the rest of the branch stays
 * reachable. */
void     heron_store_delete_message_async (HeronStore *store, gint64 id,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean heron_store_delete_message_sync  (HeronStore *store, gint64 id,
                                           GCancellable *cancellable, GError **error);

/* Write finishes use heron_store_write_finish() (heron-conversations.h). */

/* For job code in src/store: a HeronMessage from the current row of a statement that
 * selected HERON_MESSAGE_COLUMNS. */
#define HERON_MESSAGE_COLUMNS \
  "id, conversation_id, parent_id, role, content, reasoning, state, error, model, " \
  "stats_json, sources_json, created_at, updated_at"
HeronMessage *heron_message_new_from_stmt (sqlite3_stmt *stmt);

G_END_DECLS
