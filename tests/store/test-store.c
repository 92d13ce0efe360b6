/* test-store.c: opening heron.db: migrations from every earlier version, databases that
 * must not be touched, crash recovery marking and the store thread's job queue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <unistd.h>

#include "heron-store.h"
#include "heron-store-private.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-search.h"
#include "store-test-util.h"

/* What a version-1 database looked like, written out independently of heron-store.c. */
static const char schema_v1[] =
  "CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',"
  " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
  " pinned INTEGER NOT NULL DEFAULT 0, model TEXT, system_prompt TEXT, settings_json TEXT,"
  " web_mode TEXT NOT NULL DEFAULT 'auto', deleted_at INTEGER);"
  "CREATE TABLE messages (id INTEGER PRIMARY KEY,"
  " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  " parent_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
  " role TEXT NOT NULL CHECK(role IN ('system','user','assistant')),"
  " content TEXT NOT NULL DEFAULT '', reasoning TEXT,"
  " state TEXT NOT NULL DEFAULT 'complete'"
  "  CHECK(state IN ('complete','streaming','interrupted','error','cancelled')),"
  " error TEXT, model TEXT, stats_json TEXT, sources_json TEXT,"
  " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
  "PRAGMA user_version = 1;";

static void
write_v1_fixture (const char *path)
{
  sqlite3 *db = test_raw_open (path);

  test_raw_exec (db, schema_v1);
  test_raw_exec (db,
    "INSERT INTO conversations VALUES (1, 'Old chat', 1000, 2000, 0, NULL, NULL, NULL,"
    " 'auto', NULL);"
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, state, created_at,"
    " updated_at) VALUES (1, 1, NULL, 'user', 'What is a heron?', 'complete', 1000, 1000),"
    " (2, 1, 1, 'assistant', 'A heron is a long-legged wading bird.', 'complete', 1500, 1500),"
    " (3, 1, 2, 'user', '深度学习是什么', 'complete', 1600, 1600),"
    " (4, 1, 3, 'assistant', 'It was streaming when', 'streaming', 1700, 1700);");
  sqlite3_close (db);
}

static void
check_current_schema (const char *path)
{
  sqlite3 *db = test_raw_open (path);
  const char *tables[] = { "conversations", "messages", "messages_fts", "sources", "chunks",
                           "chunks_fts", "web_cache" };
  g_autofree char *mode = test_raw_text (db, "PRAGMA journal_mode");

  g_assert_cmpint (test_raw_int (db, "PRAGMA user_version"), ==, HERON_STORE_SCHEMA_VERSION);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_schema "
                                              "WHERE name = '%s'", tables[i]);
      g_assert_cmpint (test_raw_int (db, sql), ==, 1);
    }
  g_assert_cmpstr (mode, ==, "wal");
  g_autofree char *check = test_raw_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  sqlite3_close (db);
}

static void
test_create_new (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *data_dir = g_build_filename (dir, "nested", "heron", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (data_dir, NULL, &error);
  g_autofree char *path = g_build_filename (data_dir, "heron.db", NULL);

  g_assert_no_error (error);
  g_assert_cmpstr (heron_store_get_path (store), ==, path);
  g_assert_cmpuint (heron_store_get_n_recovered (store), ==, 0);
  heron_store_close (store);
  check_current_schema (path);
  test_rm_rf (dir);
}

/* Every earlier version (0 = empty file, 1 = frozen fixture, and each version made by the
 * migrations themselves) migrates to the current one with its data kept. */
static void
test_migrate_from_every_version (void)
{
  for (int from = 0; from < HERON_STORE_SCHEMA_VERSION; from++)
    for (int how = 0; how < 2; how++)
      {
        g_autofree char *dir = test_make_tmp_dir ();
        g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(HeronStore) store = NULL;
        g_autoptr(GPtrArray) messages = NULL;
        g_autoptr(GPtrArray) hits = NULL;
        sqlite3 *db;

        if (how == 0 && from == 1)
          write_v1_fixture (path);
        else
          {
            db = test_raw_open (path);
            g_assert_true (heron_store_migrate (db, from, &error));
            g_assert_no_error (error);
            g_assert_cmpint (test_raw_int (db, "PRAGMA user_version"), ==, from);
            if (from >= 1)
              test_raw_exec (db,
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES (1, 'Old chat', 1000, 2000);"
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, state,"
                " created_at, updated_at) VALUES"
                " (1, 1, NULL, 'user', 'What is a heron?', 'complete', 1000, 1000),"
                " (2, 1, 1, 'assistant', 'A heron is a long-legged wading bird.',"
                "  'complete', 1500, 1500),"
                " (3, 1, 2, 'user', '深度学习是什么', 'complete', 1600, 1600),"
                " (4, 1, 3, 'assistant', 'It was streaming when', 'streaming', 1700, 1700);");
            sqlite3_close (db);
          }

        store = heron_store_open_sync (dir, NULL, &error);
        g_assert_no_error (error);
        if (from == 0)
          {
            heron_store_close (store);
            check_current_schema (path);
            test_rm_rf (dir);
            continue;
          }
        g_assert_cmpuint (heron_store_get_n_recovered (store), ==, 1);
        messages = heron_store_get_messages_sync (store, 1, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (messages->len, ==, 4);
        g_assert_cmpstr (heron_message_get_content (messages->pdata[1]), ==,
                         "A heron is a long-legged wading bird.");
        g_assert_cmpint (heron_message_get_state (messages->pdata[3]), ==,
                         HERON_MESSAGE_INTERRUPTED);
        /* Rows from before the FTS index existed are found through it. */
        hits = heron_store_search_sync (store, "wading", 0, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (hits->len, ==, 1);
        g_clear_pointer (&hits, g_ptr_array_unref);
        hits = heron_store_search_sync (store, "学习是", 0, NULL, &error);
        g_assert_cmpuint (hits->len, ==, 1);
        heron_store_close (store);
        check_current_schema (path);
        test_rm_rf (dir);
      }
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

/* Open must fail with CODE, name the path, and leave every byte as it was (and make no
 * journal or WAL next to it). */
static void
expect_untouched (const char *dir, const char *path, int code)
{
  g_autoptr(GBytes) before = read_bytes (path);
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  g_assert_null (store);
  g_assert_error (error, HERON_STORE_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
  after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  /* SQLite may create an empty WAL next to a WAL-mode file it reads; it must hold
   * nothing that a later open would replay into the file. */
  if (g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GBytes) wal_bytes = read_bytes (wal);
      g_assert_cmpuint (g_bytes_get_size (wal_bytes), ==, 0);
    }
}

static void
test_not_a_database (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
  g_autoptr(GString) junk = g_string_new ("");

  for (int i = 0; i < 8192; i++)
    g_string_append_c (junk, (char) (i * 7919 % 251));
  g_assert_true (g_file_set_contents (path, junk->str, junk->len, NULL));
  expect_untouched (dir, path, HERON_STORE_ERROR_CORRUPT);

  /* Text that is not a database. */
  g_assert_true (g_file_set_contents (path, "hello, I am not a database\n", -1, NULL));
  expect_untouched (dir, path, HERON_STORE_ERROR_CORRUPT);
  test_rm_rf (dir);
}

static void
test_corrupt_database (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree guint8 *data = NULL;
  gsize len;

  g_assert_no_error (error);
  heron_store_close (store);
  /* Keep the header, smash the schema page. */
  bytes = read_bytes (path);
  data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &len);
  g_assert_cmpuint (len, >, 4096);
  memset (data + 100, 0xA5, 2000);
  g_assert_true (g_file_set_contents (path, (char *) data, len, NULL));
  expect_untouched (dir, path, HERON_STORE_ERROR_CORRUPT);
  test_rm_rf (dir);
}

static void
test_newer_version (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
  sqlite3 *db = test_raw_open (path);
  g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version = %d",
                                             HERON_STORE_SCHEMA_VERSION + 1);

  /* A rollback-journal database, as a newer Heron might leave it: switching it to WAL
   * would already change its header. */
  test_raw_exec (db, "CREATE TABLE future (x); INSERT INTO future VALUES (42);");
  test_raw_exec (db, pragma);
  sqlite3_close (db);
  expect_untouched (dir, path, HERON_STORE_ERROR_TOO_NEW);
  test_rm_rf (dir);
}

static void
test_read_only (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *sub = g_build_filename (dir, "ro", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = NULL;

  if (geteuid () == 0)
    {
      g_test_skip ("root ignores file permissions");
      test_rm_rf (dir);
      return;
    }
  g_assert_cmpint (g_mkdir (sub, 0500), ==, 0);
  store = heron_store_open_sync (sub, NULL, &error);
  g_assert_null (store);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, sub));
  g_chmod (sub, 0700);
  test_rm_rf (dir);
}

/* A path whose parent is a regular file cannot be created. */
static void
test_cannot_create (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *file = g_build_filename (dir, "file", NULL);
  g_autofree char *sub = g_build_filename (file, "heron", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  store = heron_store_open_sync (sub, NULL, &error);
  g_assert_null (store);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, sub));
  test_rm_rf (dir);
}

/* ---- job queue ------------------------------------------------------------------------ */

typedef struct
{
  GThread *thread;
  sqlite3 *db;
  int      order;
} JobProbe;

static gpointer
probe_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  JobProbe *p = data;

  p->thread = g_thread_self ();
  p->db = db;
  return GINT_TO_POINTER (TRUE);
}

static GPtrArray *order_log;

static gpointer
order_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  g_ptr_array_add (order_log, data);
  g_usleep (GPOINTER_TO_INT (data) % 3 * 1000);
  return g_strdup_printf ("r%d", GPOINTER_TO_INT (data));
}

static gpointer
fail_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_SQL, "planned failure");
  return NULL;
}

typedef struct
{
  GMainLoop *loop;
  int        pending;
  GPtrArray *results;
  GThread   *callback_thread;
} AsyncState;

static void
order_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncState *st = user_data;
  g_autoptr(GError) error = NULL;
  char *r = heron_store_run_finish (HERON_STORE (source), result, &error);

  if (r)
    g_ptr_array_add (st->results, r);
  else
    g_ptr_array_add (st->results, g_strdup (error->message));
  st->callback_thread = g_thread_self ();
  if (--st->pending == 0)
    g_main_loop_quit (st->loop);
}

static void
test_job_queue (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  JobProbe a = { 0 }, b = { 0 };
  AsyncState st = { 0 };
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();

  g_assert_no_error (error);
  g_assert_false (heron_store_is_store_thread (store));
  heron_store_run_sync (store, probe_job, &a, NULL, &error);
  heron_store_run_sync (store, probe_job, &b, NULL, &error);
  g_assert_no_error (error);
  /* One thread, not this one, owns the one connection. */
  g_assert_true (a.thread == b.thread);
  g_assert_true (a.thread != g_thread_self ());
  g_assert_true (a.db == b.db && a.db != NULL);

  /* FIFO order, callbacks on this thread's main context. */
  order_log = g_ptr_array_new ();
  st.loop = g_main_loop_new (NULL, FALSE);
  st.results = g_ptr_array_new_with_free_func (g_free);
  g_cancellable_cancel (cancelled);
  for (int i = 1; i <= 20; i++)
    {
      st.pending++;
      heron_store_run_async (store, order_job, GINT_TO_POINTER (i), NULL, g_free,
                             i == 7 ? cancelled : NULL, order_done, &st);
    }
  st.pending++;
  heron_store_run_async (store, fail_job, NULL, NULL, NULL, NULL, order_done, &st);
  g_main_loop_run (st.loop);
  g_assert_true (st.callback_thread == g_thread_self ());
  g_assert_cmpuint (order_log->len, ==, 19);   /* job 7 was cancelled before it ran */
  for (guint i = 0; i < order_log->len; i++)
    g_assert_cmpint (GPOINTER_TO_INT (order_log->pdata[i]), ==, i + 1 + (i >= 6));
  g_assert_cmpuint (st.results->len, ==, 21);
  g_assert_cmpstr (st.results->pdata[20], ==, "planned failure");

  /* After close, jobs fail cleanly. */
  heron_store_close (store);
  g_assert_null (heron_store_run_sync (store, probe_job, &a, NULL, &error));
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_CLOSED);

  g_ptr_array_unref (order_log);
  g_ptr_array_unref (st.results);
  g_main_loop_unref (st.loop);
  test_rm_rf (dir);
}

static void
open_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HeronStore **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = heron_store_open_finish (result, &error);
  g_assert_no_error (error);
}

static void
open_fail_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;

  g_assert_null (heron_store_open_finish (result, out));
}

static void
test_open_async (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "heron.db", NULL);
  HeronStore *store = NULL;
  GError *error = NULL;

  heron_store_open_async (dir, NULL, open_done, &store);
  while (store == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (store);

  g_assert_true (g_file_set_contents (path, "garbage garbage garbage", -1, NULL));
  heron_store_open_async (dir, NULL, open_fail_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_CORRUPT);
  g_error_free (error);
  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/store/store/create-new", test_create_new);
  g_test_add_func ("/heron/store/store/migrate-from-every-version",
                   test_migrate_from_every_version);
  g_test_add_func ("/heron/store/store/not-a-database", test_not_a_database);
  g_test_add_func ("/heron/store/store/corrupt-database", test_corrupt_database);
  g_test_add_func ("/heron/store/store/newer-version", test_newer_version);
  g_test_add_func ("/heron/store/store/read-only", test_read_only);
  g_test_add_func ("/heron/store/store/cannot-create", test_cannot_create);
  g_test_add_func ("/heron/store/store/job-queue", test_job_queue);
  g_test_add_func ("/heron/store/store/open-async", test_open_async);
  return g_test_run ();
}
