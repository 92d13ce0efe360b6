/* test-web-cache.c: the web_cache queries on a real Heron database: miss, put, get back every
 * column, replace, refresh after a 304, prune, and the same through the store thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-web-cache.h"
#include "web-test-util.h"

typedef struct
{
  char       *dir;
  HeronStore *store;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("heron-cache-XXXXXX", NULL);
  fx->store = heron_store_open_sync (fx->dir, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  heron_store_close (fx->store);
  g_clear_object (&fx->store);
  web_test_remove_store_dir (fx->dir);
  g_free (fx->dir);
}

typedef struct
{
  const char         *key;
  HeronWebCacheEntry *entry;
  gint64              fetched_at;
  gint64              expires_at;
  gint64              before;
} Job;

static gpointer
get_job (sqlite3 *db, gpointer data, GCancellable *c, GError **error)
{
  Job *job = data;
  HeronWebCacheEntry *out = NULL;

  if (!heron_web_cache_get_db (db, job->key, &out, error))
    return NULL;
  return out != NULL ? out : GINT_TO_POINTER (1);
}

static gpointer
put_job (sqlite3 *db, gpointer data, GCancellable *c, GError **error)
{
  return heron_web_cache_put_db (db, ((Job *) data)->entry, error) ? GINT_TO_POINTER (1) : NULL;
}

static gpointer
refresh_job (sqlite3 *db, gpointer data, GCancellable *c, GError **error)
{
  Job *job = data;
  return GINT_TO_POINTER (heron_web_cache_refresh_db (db, job->key, job->fetched_at,
                                                      job->expires_at, error) ? 1 : 2);
}

static gpointer
prune_job (sqlite3 *db, gpointer data, GCancellable *c, GError **error)
{
  gint64 n = heron_web_cache_prune_db (db, ((Job *) data)->before, error);
  return n < 0 ? NULL : GINT_TO_POINTER ((int) n + 1);
}

static HeronWebCacheEntry *
get (Fixture *fx, const char *key)
{
  g_autoptr(GError) error = NULL;
  Job job = { .key = key };
  gpointer r = heron_store_run_sync (fx->store, get_job, &job, NULL, &error);

  g_assert_no_error (error);
  return r == GINT_TO_POINTER (1) ? NULL : r;
}

static void
test_roundtrip (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebCacheEntry) entry = heron_web_cache_entry_new ("page:https://example.org/",
                                                                   "page");
  g_autoptr(HeronWebCacheEntry) back = NULL;
  g_autoptr(HeronWebCacheEntry) refreshed = NULL;
  static const char body[] = "<p>caf\xc3\xa9</p>\0binary\xff";
  Job job = { 0 };

  g_assert_null (get (fx, "page:https://example.org/"));

  entry->url = g_strdup ("https://example.org/final");
  entry->status = 200;
  entry->etag = g_strdup ("\"abc\"");
  entry->content_type = g_strdup ("text/html; charset=utf-8");
  g_bytes_unref (entry->body);
  entry->body = g_bytes_new_static (body, sizeof body);   /* with the NUL and the 0xff */
  entry->fetched_at = 1700000000000;
  entry->expires_at = 1700086400000;
  job.entry = entry;
  g_assert_nonnull (heron_store_run_sync (fx->store, put_job, &job, NULL, &error));
  g_assert_no_error (error);

  back = get (fx, "page:https://example.org/");
  g_assert_nonnull (back);
  g_assert_cmpstr (back->kind, ==, "page");
  g_assert_cmpstr (back->url, ==, entry->url);
  g_assert_cmpuint (back->status, ==, 200);
  g_assert_cmpstr (back->etag, ==, "\"abc\"");
  g_assert_null (back->last_modified);
  g_assert_cmpstr (back->content_type, ==, entry->content_type);
  g_assert_true (g_bytes_equal (back->body, entry->body));
  g_assert_cmpint (back->fetched_at, ==, entry->fetched_at);
  g_assert_cmpint (back->expires_at, ==, entry->expires_at);
  g_assert_true (heron_web_cache_entry_is_fresh (back, 1700000000001));
  g_assert_false (heron_web_cache_entry_is_fresh (back, 1700086400000));

  /* A 304 moves the times, keeps the body. */
  job.key = "page:https://example.org/";
  job.fetched_at = 1800000000000;
  job.expires_at = 1800086400000;
  g_assert_true (heron_store_run_sync (fx->store, refresh_job, &job, NULL, &error) ==
                 GINT_TO_POINTER (1));
  refreshed = get (fx, "page:https://example.org/");
  g_assert_cmpint (refreshed->fetched_at, ==, job.fetched_at);
  g_assert_cmpint (refreshed->expires_at, ==, job.expires_at);
  g_assert_true (g_bytes_equal (refreshed->body, entry->body));
  job.key = "page:https://nowhere.example/";
  g_assert_true (heron_store_run_sync (fx->store, refresh_job, &job, NULL, &error) ==
                 GINT_TO_POINTER (2));
  g_assert_no_error (error);

  /* The kind is checked by the table. */
  {
    g_autoptr(HeronWebCacheEntry) bad = heron_web_cache_entry_new ("x", "image");
    Job bad_job = { .entry = bad };
    g_assert_null (heron_store_run_sync (fx->store, put_job, &bad_job, NULL, &error));
    g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_SQL);
    g_clear_error (&error);
  }

  /* Prune what expired before a time. */
  job.before = 1900000000000;
  g_assert_true (heron_store_run_sync (fx->store, prune_job, &job, NULL, &error) ==
                 GINT_TO_POINTER (2));
  g_assert_null (get (fx, "page:https://example.org/"));
}

static void
test_async (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebCacheEntry) entry = heron_web_cache_entry_new ("search:bing:5:q", "search");
  g_autoptr(HeronWebCacheEntry) back = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GAsyncResult) r4 = NULL;

  entry->status = 200;
  entry->fetched_at = 1;
  entry->expires_at = 2;
  g_bytes_unref (entry->body);
  entry->body = g_bytes_new_static ("[]", 2);
  heron_web_cache_store_async (fx->store, entry, NULL, web_test_store_result, &r1);
  /* Queued after the write, so it sees it. */
  heron_web_cache_lookup_async (fx->store, "search:bing:5:q", NULL, web_test_store_result, &r2);
  web_test_wait (&r1);
  web_test_wait (&r2);
  g_assert_true (heron_web_cache_store_finish (fx->store, r1, &error));
  back = heron_web_cache_lookup_finish (fx->store, r2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->kind, ==, "search");
  g_assert_cmpmem (g_bytes_get_data (back->body, NULL), 2, "[]", 2);

  heron_web_cache_refresh_async (fx->store, "search:bing:5:q", 10, 20, NULL,
                                 web_test_store_result, &r3);
  web_test_wait (&r3);
  g_assert_true (heron_web_cache_refresh_finish (fx->store, r3, &error));
  heron_web_cache_lookup_async (fx->store, "missing", NULL, web_test_store_result, &r4);
  web_test_wait (&r4);
  g_assert_null (heron_web_cache_lookup_finish (fx->store, r4, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/heron/web/cache/roundtrip", Fixture, NULL, fixture_setup, test_roundtrip,
              fixture_teardown);
  g_test_add ("/heron/web/cache/async", Fixture, NULL, fixture_setup, test_async,
              fixture_teardown);
  return g_test_run ();
}
