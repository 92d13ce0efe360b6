/* heron-web-cache.h: the web_cache table: fetched pages and search answers with their expiry
 * and HTTP validators (ETag, Last-Modified) for revalidation.
 *
 * The *_db functions are job code: they run on the store thread with its connection (or on
 * any connection in tests). The _async functions queue them on a HeronStore.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"

G_BEGIN_DECLS

#define HERON_WEB_CACHE_PAGE_TTL_MS   (24 * 60 * 60 * 1000LL)
#define HERON_WEB_CACHE_SEARCH_TTL_MS (60 * 60 * 1000LL)

typedef struct
{
  char   *key;            /* "page:<url>" or "search:<provider>:<n>:<query>" by convention */
  char   *kind;           /* "page" or "search" */
  char   *url;            /* may be NULL */
  guint   status;         /* HTTP status of the stored answer */
  char   *etag;           /* may be NULL */
  char   *last_modified;  /* may be NULL */
  char   *content_type;   /* may be NULL */
  GBytes *body;           /* never NULL (may be empty) */
  gint64  fetched_at;     /* unix ms */
  gint64  expires_at;     /* unix ms */
} HeronWebCacheEntry;

HeronWebCacheEntry *heron_web_cache_entry_new  (const char *key,
                                                const char *kind);
HeronWebCacheEntry *heron_web_cache_entry_copy (const HeronWebCacheEntry *entry);
void                heron_web_cache_entry_free (HeronWebCacheEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronWebCacheEntry, heron_web_cache_entry_free)

/* TRUE when NOW_MS is before the entry's expiry. */
gboolean heron_web_cache_entry_is_fresh (const HeronWebCacheEntry *entry,
                                         gint64                    now_ms);

/* Job code. get: *OUT is NULL when there is no row (expired rows are returned: the caller
 * may revalidate them). */
gboolean heron_web_cache_get_db     (sqlite3                   *db,
                                     const char                *key,
                                     HeronWebCacheEntry       **out,
                                     GError                   **error);
/* Insert or replace. */
gboolean heron_web_cache_put_db     (sqlite3                   *db,
                                     const HeronWebCacheEntry  *entry,
                                     GError                   **error);
/* After a 304: keep the body, move fetched_at/expires_at. FALSE without error: no such row. */
gboolean heron_web_cache_refresh_db (sqlite3                   *db,
                                     const char                *key,
                                     gint64                     fetched_at,
                                     gint64                     expires_at,
                                     GError                   **error);
/* Delete rows that expired before BEFORE_MS; returns the number deleted or -1 with ERROR. */
gint64   heron_web_cache_prune_db   (sqlite3                   *db,
                                     gint64                     before_ms,
                                     GError                   **error);

/* On the store thread. lookup_finish returns NULL without error on a miss. */
void                heron_web_cache_lookup_async   (HeronStore          *store,
                                                    const char          *key,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
HeronWebCacheEntry *heron_web_cache_lookup_finish  (HeronStore          *store,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* ENTRY is copied. */
void                heron_web_cache_store_async    (HeronStore                *store,
                                                    const HeronWebCacheEntry  *entry,
                                                    GCancellable              *cancellable,
                                                    GAsyncReadyCallback        callback,
                                                    gpointer                   user_data);
gboolean            heron_web_cache_store_finish   (HeronStore          *store,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void                heron_web_cache_refresh_async  (HeronStore          *store,
                                                    const char          *key,
                                                    gint64               fetched_at,
                                                    gint64               expires_at,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean            heron_web_cache_refresh_finish (HeronStore          *store,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
