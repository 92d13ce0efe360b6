/* heron-export.h: a conversation (its active path) as Markdown or JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"

G_BEGIN_DECLS

typedef enum
{
  HERON_EXPORT_MARKDOWN,
  HERON_EXPORT_JSON,
} HeronExportFormat;

/* The text of the export (UTF-8). JSON: {"format": "heron-conversation", "version": 1,
 * "id", "title", "created_at", "updated_at", "model", "system_prompt", "messages": [{"id",
 * "parent_id", "role", "content", "reasoning", "state", "error", "model", "stats",
 * "created_at"}]} (stats is the stored stats object). */
void  heron_store_export_async  (HeronStore *store, gint64 conversation_id,
                                 HeronExportFormat format, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
char *heron_store_export_finish (HeronStore *store, GAsyncResult *result, GError **error);
char *heron_store_export_sync   (HeronStore *store, gint64 conversation_id,
                                 HeronExportFormat format, GCancellable *cancellable,
                                 GError **error);

G_END_DECLS
