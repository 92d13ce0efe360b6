/* heron-store.h: the Heron database (one SQLite file, heron.db, in the data dir): open,
 * migrate, and a job queue on the one thread that owns the connection.
 *
 * Every query runs on the store thread. Code elsewhere in src/store/ (conversations,
 * messages, knowledge, web cache) hands that thread a HeronStoreJobFunc with
 * heron_store_run_async() and gets the result back on the caller's thread-default main
 * context, or blocks with heron_store_run_sync() (CLI, tests; never on the UI thread).
 * Jobs run one at a time in the order they were queued, so a write queued before a read is
 * seen by that read.
 *
 * Tables (created by the migrations in heron-store.c; columns are stable, new ones may be
 * added at the end):
 *   conversations(id, title, created_at, updated_at, pinned, model, system_prompt,
 *                 settings_json, web_mode, deleted_at)
 *   messages(id, conversation_id, parent_id, role, content, reasoning, state, error, model,
 *            stats_json, sources_json, created_at, updated_at)
 *   messages_fts   FTS5 trigram, external content on messages(content, reasoning)
 *   sources(id, kind 'web'|'document', url, title, site, fetched_at, published_at,
 *           content_hash, UNIQUE(kind, url))
 *   chunks(id, source_id -> sources ON DELETE CASCADE, ord, text, n_tokens)
 *   chunks_fts     FTS5 trigram, external content on chunks(text), kept by triggers
 *   web_cache(key PRIMARY KEY, kind 'page'|'search', url, status, etag, last_modified,
 *             content_type, body BLOB, fetched_at, expires_at)
 * Times are unix milliseconds (heron_store_now_ms()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define HERON_STORE_ERROR (heron_store_error_quark ())
GQuark heron_store_error_quark (void);

typedef enum
{
  HERON_STORE_ERROR_OPEN,        /* the file or its folder cannot be created or opened */
  HERON_STORE_ERROR_CORRUPT,     /* not a database, or damaged */
  HERON_STORE_ERROR_TOO_NEW,     /* written by a newer Heron: schema version unknown here */
  HERON_STORE_ERROR_READ_ONLY,   /* the file or folder is not writable */
  HERON_STORE_ERROR_MIGRATE,     /* a migration failed (the database is left as it was) */
  HERON_STORE_ERROR_SQL,         /* a query failed */
  HERON_STORE_ERROR_NOT_FOUND,   /* no row with that id */
  HERON_STORE_ERROR_CLOSED,      /* heron_store_close() was called */
} HeronStoreError;

/* The schema version this build creates and migrates to (PRAGMA user_version). */
#define HERON_STORE_SCHEMA_VERSION 3

#define HERON_TYPE_STORE (heron_store_get_type ())
G_DECLARE_FINAL_TYPE (HeronStore, heron_store, HERON, STORE, GObject)

/* $XDG_DATA_HOME/heron (newly allocated). */
char       *heron_store_default_data_dir (void);

/* Open (creating the folder and file when missing) DATA_DIR/heron.db and migrate it to
 * HERON_STORE_SCHEMA_VERSION. A file that cannot be opened or migrated is never modified,
 * overwritten or deleted; the error names the path and what the user can do.
 * On open, messages left in state 'streaming' (a crash mid-answer) become 'interrupted'. */
void        heron_store_open_async  (const char          *data_dir,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
HeronStore *heron_store_open_finish (GAsyncResult        *result,
                                     GError             **error);
HeronStore *heron_store_open_sync   (const char          *data_dir,
                                     GCancellable        *cancellable,
                                     GError             **error);

/* Signal "conversation-changed" (gint64 id): a write changed that conversation (created,
 * renamed, pinned, deleted or restored, settings, a message added or an answer finished).
 * Emitted on the thread-default main context of the code that opened the store; not while
 * an answer streams. HeronConversationList follows it by itself.
 *
 * Opening marks 'streaming' messages 'interrupted'. If another process (the app while
 * heron-cli runs) is streaming an answer at that moment, that answer is marked too; its
 * final write sets its real state. */

/* Full path of heron.db. */
const char *heron_store_get_path      (HeronStore *self);
/* Number of messages found in state 'streaming' at open and marked 'interrupted'. */
guint       heron_store_get_n_recovered (HeronStore *self);

/* Run the jobs already queued, then close the connection and stop the thread. Later jobs
 * fail with HERON_STORE_ERROR_CLOSED. Called by finalize; call it yourself to close early
 * (e.g. before a process exits, so the WAL is checkpointed). Safe to call twice. */
void        heron_store_close         (HeronStore *self);

/* A job, run on the store thread with the connection. Return the result, or NULL with
 * *error set on failure. NULL without an error is a valid result too (e.g. "no such row"
 * when the caller wants that), so a job that has nothing to return conventionally returns
 * GINT_TO_POINTER (TRUE). CANCELLABLE is the caller's (may be NULL); long jobs may check it.
 * A job must not call heron_store_run_sync() of its own store (it is already on the thread:
 * call the query code directly). */
typedef gpointer (*HeronStoreJobFunc) (sqlite3       *db,
                                       gpointer       data,
                                       GCancellable  *cancellable,
                                       GError       **error);

/* Queue FUNC (DATA is freed with DATA_DESTROY after the job ran, on the store thread or, if
 * the job never runs, wherever the store is closed). The callback runs on the thread-default
 * main context of the caller. RESULT_DESTROY frees a result nobody took (may be NULL).
 * If CANCELLABLE is cancelled before the job starts, the job is skipped and finish reports
 * G_IO_ERROR_CANCELLED; once started, a job runs to its end (its writes are committed) but
 * finish still reports the cancellation, as GTask does. */
void        heron_store_run_async  (HeronStore          *self,
                                    HeronStoreJobFunc    func,
                                    gpointer             data,
                                    GDestroyNotify       data_destroy,
                                    GDestroyNotify       result_destroy,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
/* The job's result (owned by the caller now), or NULL with ERROR set. Check ERROR, not
 * NULL, when the job may legitimately return NULL. */
gpointer    heron_store_run_finish (HeronStore          *self,
                                    GAsyncResult        *result,
                                    GError             **error);

/* Queue FUNC and block the calling thread until it ran; returns its result. DATA is not
 * freed. Called on the store thread itself (from inside a job) it runs FUNC directly. */
gpointer    heron_store_run_sync   (HeronStore          *self,
                                    HeronStoreJobFunc    func,
                                    gpointer             data,
                                    GCancellable        *cancellable,
                                    GError             **error);

/* TRUE on the thread that owns the connection (for assertions in job code). */
gboolean    heron_store_is_store_thread (HeronStore *self);

/* Helpers for job functions. */
gint64      heron_store_now_ms (void);
/* Set ERROR to HERON_STORE_ERROR_SQL (or _CORRUPT/_READ_ONLY by the SQLite code) with
 * "WHAT: sqlite message". Always returns FALSE. */
gboolean    heron_store_set_sql_error (GError **error, sqlite3 *db, const char *what);
/* sqlite3_exec without results; FALSE with ERROR on failure. */
gboolean    heron_store_exec  (sqlite3 *db, const char *sql, GError **error);
/* sqlite3_prepare_v2; NULL with ERROR on failure. Finalize with sqlite3_finalize or use
 * g_autoptr(sqlite3_stmt). */
sqlite3_stmt *heron_store_prepare (sqlite3 *db, const char *sql, GError **error);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback never fails: errors are ignored). */
gboolean    heron_store_begin    (sqlite3 *db, GError **error);
gboolean    heron_store_commit   (sqlite3 *db, GError **error);
void        heron_store_rollback (sqlite3 *db);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
