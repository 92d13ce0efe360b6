/* heron-web-cache.c: queries on the web_cache table (job code + store-thread wrappers).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-store"

#include "config.h"

#include <string.h>

#include "heron-web-cache.h"

HeronWebCacheEntry *
heron_web_cache_entry_new (const char *key,
                           const char *kind)
{
  HeronWebCacheEntry *entry = g_new0 (HeronWebCacheEntry, 1);

  entry->key = g_strdup (key);
  entry->kind = g_strdup (kind);
  entry->body = g_bytes_new (NULL, 0);
  return entry;
}

HeronWebCacheEntry *
heron_web_cache_entry_copy (const HeronWebCacheEntry *entry)
{
  HeronWebCacheEntry *copy = heron_web_cache_entry_new (entry->key, entry->kind);

  copy->url = g_strdup (entry->url);
  copy->status = entry->status;
  copy->etag = g_strdup (entry->etag);
  copy->last_modified = g_strdup (entry->last_modified);
  copy->content_type = g_strdup (entry->content_type);
  g_bytes_unref (copy->body);
  copy->body = entry->body != NULL ? g_bytes_ref (entry->body) : g_bytes_new (NULL, 0);
  copy->fetched_at = entry->fetched_at;
  copy->expires_at = entry->expires_at;
  return copy;
}

void
heron_web_cache_entry_free (HeronWebCacheEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->key);
  g_free (entry->kind);
  g_free (entry->url);
  g_free (entry->etag);
  g_free (entry->last_modified);
  g_free (entry->content_type);
  g_clear_pointer (&entry->body, g_bytes_unref);
  g_free (entry);
}

gboolean
heron_web_cache_entry_is_fresh (const HeronWebCacheEntry *entry,
                                gint64                    now_ms)
{
  return entry != NULL && now_ms < entry->expires_at;
}

static char *
column_text (sqlite3_stmt *stmt,
             int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

gboolean
heron_web_cache_get_db (sqlite3             *db,
                        const char          *key,
                        HeronWebCacheEntry **out,
                        GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  HeronWebCacheEntry *entry;
  int rc;

  g_return_val_if_fail (key != NULL && out != NULL, FALSE);
  *out = NULL;
  stmt = heron_store_prepare (db,
                              "SELECT kind, url, status, etag, last_modified, content_type, body,"
                              " fetched_at, expires_at FROM web_cache WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return heron_store_set_sql_error (error, db, "web cache lookup");

  entry = heron_web_cache_entry_new (key, (const char *) sqlite3_column_text (stmt, 0));
  entry->url = column_text (stmt, 1);
  entry->status = (guint) sqlite3_column_int (stmt, 2);
  entry->etag = column_text (stmt, 3);
  entry->last_modified = column_text (stmt, 4);
  entry->content_type = column_text (stmt, 5);
  g_bytes_unref (entry->body);
  entry->body = g_bytes_new (sqlite3_column_blob (stmt, 6), sqlite3_column_bytes (stmt, 6));
  entry->fetched_at = sqlite3_column_int64 (stmt, 7);
  entry->expires_at = sqlite3_column_int64 (stmt, 8);
  *out = entry;
  return TRUE;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           col,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, col);
}

gboolean
heron_web_cache_put_db (sqlite3                   *db,
                        const HeronWebCacheEntry  *entry,
                        GError                   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gsize size = 0;
  gconstpointer data;

  g_return_val_if_fail (entry != NULL && entry->key != NULL && entry->kind != NULL, FALSE);
  stmt = heron_store_prepare (db,
                              "INSERT OR REPLACE INTO web_cache (key, kind, url, status, etag,"
                              " last_modified, content_type, body, fetched_at, expires_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", error);
  if (stmt == NULL)
    return FALSE;
  data = entry->body != NULL ? g_bytes_get_data (entry->body, &size) : NULL;
  sqlite3_bind_text (stmt, 1, entry->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, entry->kind, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 3, entry->url);
  sqlite3_bind_int (stmt, 4, (int) entry->status);
  bind_text_or_null (stmt, 5, entry->etag);
  bind_text_or_null (stmt, 6, entry->last_modified);
  bind_text_or_null (stmt, 7, entry->content_type);
  sqlite3_bind_blob64 (stmt, 8, data != NULL ? data : "", size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 9, entry->fetched_at);
  sqlite3_bind_int64 (stmt, 10, entry->expires_at);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return heron_store_set_sql_error (error, db, "web cache store");
  return TRUE;
}

gboolean
heron_web_cache_refresh_db (sqlite3     *db,
                            const char  *key,
                            gint64       fetched_at,
                            gint64       expires_at,
                            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = heron_store_prepare (db, "UPDATE web_cache SET fetched_at = ?2, expires_at = ?3"
                              " WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, fetched_at);
  sqlite3_bind_int64 (stmt, 3, expires_at);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return heron_store_set_sql_error (error, db, "web cache refresh");
  return sqlite3_changes (db) > 0;
}

gint64
heron_web_cache_prune_db (sqlite3  *db,
                          gint64    before_ms,
                          GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = heron_store_prepare (db, "DELETE FROM web_cache WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, before_ms);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "web cache prune");
      return -1;
    }
  return sqlite3_changes (db);
}

/* ---- store-thread wrappers ----------------------------------------------------------- */

static gpointer
lookup_job (sqlite3       *db,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  HeronWebCacheEntry *entry = NULL;

  if (!heron_web_cache_get_db (db, data, &entry, error))
    return NULL;
  return entry;
}

void
heron_web_cache_lookup_async (HeronStore          *store,
                              const char          *key,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (HERON_IS_STORE (store));
  g_return_if_fail (key != NULL);
  heron_store_run_async (store, lookup_job, g_strdup (key), g_free,
                         (GDestroyNotify) heron_web_cache_entry_free, cancellable, callback,
                         user_data);
}

HeronWebCacheEntry *
heron_web_cache_lookup_finish (HeronStore    *store,
                               GAsyncResult  *result,
                               GError       **error)
{
  return heron_store_run_finish (store, result, error);
}

static gpointer
store_job (sqlite3       *db,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  return heron_web_cache_put_db (db, data, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
heron_web_cache_store_async (HeronStore                *store,
                             const HeronWebCacheEntry  *entry,
                             GCancellable              *cancellable,
                             GAsyncReadyCallback        callback,
                             gpointer                   user_data)
{
  g_return_if_fail (HERON_IS_STORE (store));
  g_return_if_fail (entry != NULL);
  heron_store_run_async (store, store_job, heron_web_cache_entry_copy (entry),
                         (GDestroyNotify) heron_web_cache_entry_free, NULL, cancellable,
                         callback, user_data);
}

gboolean
heron_web_cache_store_finish (HeronStore    *store,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_autoptr(GError) local = NULL;

  heron_store_run_finish (store, result, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char   *key;
  gint64  fetched_at;
  gint64  expires_at;
} RefreshData;

static void
refresh_data_free (RefreshData *data)
{
  g_free (data->key);
  g_free (data);
}

static gpointer
refresh_job (sqlite3       *db,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  RefreshData *data = user_data;
  g_autoptr(GError) local = NULL;
  gboolean found = heron_web_cache_refresh_db (db, data->key, data->fetched_at,
                                               data->expires_at, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return GINT_TO_POINTER (found ? 1 : 2);
}

void
heron_web_cache_refresh_async (HeronStore          *store,
                               const char          *key,
                               gint64               fetched_at,
                               gint64               expires_at,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  RefreshData *data;

  g_return_if_fail (HERON_IS_STORE (store));
  data = g_new0 (RefreshData, 1);
  data->key = g_strdup (key);
  data->fetched_at = fetched_at;
  data->expires_at = expires_at;
  heron_store_run_async (store, refresh_job, data, (GDestroyNotify) refresh_data_free, NULL,
                         cancellable, callback, user_data);
}

gboolean
heron_web_cache_refresh_finish (HeronStore    *store,
                                GAsyncResult  *result,
                                GError       **error)
{
  return GPOINTER_TO_INT (heron_store_run_finish (store, result, error)) == 1;
}
