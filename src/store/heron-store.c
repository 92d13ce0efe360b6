/* heron-store.c: open and migrate heron.db, and the thread that owns the connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "heron-store.h"
#include "heron-store-private.h"

G_DEFINE_QUARK (heron-store-error-quark, heron_store_error)

/* ---- migrations ----------------------------------------------------------------------
 * Migration N takes a database at version N-1 to version N. Each runs in one transaction
 * together with its PRAGMA user_version, so a failed step leaves the file as it was. Never
 * edit a migration that has shipped: add a new one. */

static const char migration_1[] =
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  pinned INTEGER NOT NULL DEFAULT 0,"
  "  model TEXT,"
  "  system_prompt TEXT,"
  "  settings_json TEXT,"
  "  web_mode TEXT NOT NULL DEFAULT 'auto',"
  "  deleted_at INTEGER);"
  "CREATE INDEX conversations_by_update ON conversations(pinned DESC, updated_at DESC);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  "  parent_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
  "  role TEXT NOT NULL CHECK(role IN ('system','user','assistant')),"
  "  content TEXT NOT NULL DEFAULT '',"
  "  reasoning TEXT,"
  "  state TEXT NOT NULL DEFAULT 'complete'"
  "    CHECK(state IN ('complete','streaming','interrupted','error','cancelled')),"
  "  error TEXT,"
  "  model TEXT,"
  "  stats_json TEXT,"
  "  sources_json TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE INDEX messages_by_conversation ON messages(conversation_id, id);"
  "CREATE INDEX messages_by_parent ON messages(parent_id);"
  "CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';";

/* Messages are indexed once they stop streaming: re-indexing a growing answer at every
 * throttled write would only churn the index. The triggers therefore skip rows whose state
 * is 'streaming', on both sides, so the external-content 'delete' always gets exactly the
 * values that were indexed. */
static const char migration_2[] =
  "CREATE VIRTUAL TABLE messages_fts USING fts5("
  "  content, reasoning, content='messages', content_rowid='id', tokenize='trigram');"
  "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages WHEN new.state != 'streaming' BEGIN"
  "  INSERT INTO messages_fts(rowid, content, reasoning)"
  "    VALUES (new.id, new.content, new.reasoning);"
  "END;"
  "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages WHEN old.state != 'streaming' BEGIN"
  "  INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)"
  "    VALUES ('delete', old.id, old.content, old.reasoning);"
  "END;"
  "CREATE TRIGGER messages_fts_au AFTER UPDATE OF content, reasoning, state ON messages BEGIN"
  "  INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)"
  "    SELECT 'delete', old.id, old.content, old.reasoning WHERE old.state != 'streaming';"
  "  INSERT INTO messages_fts(rowid, content, reasoning)"
  "    SELECT new.id, new.content, new.reasoning WHERE new.state != 'streaming';"
  "END;"
  "INSERT INTO messages_fts(rowid, content, reasoning)"
  "  SELECT id, content, reasoning FROM messages WHERE state != 'streaming';"
  "CREATE TABLE sources ("
  "  id INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK(kind IN ('web','document')),"
  "  url TEXT,"
  "  title TEXT,"
  "  site TEXT,"
  "  fetched_at INTEGER,"
  "  published_at INTEGER,"
  "  content_hash TEXT,"
  "  UNIQUE(kind, url));"
  "CREATE TABLE chunks ("
  "  id INTEGER PRIMARY KEY,"
  "  source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
  "  ord INTEGER NOT NULL,"
  "  text TEXT NOT NULL,"
  "  n_tokens INTEGER);"
  "CREATE INDEX chunks_by_source ON chunks(source_id, ord);"
  "CREATE VIRTUAL TABLE chunks_fts USING fts5("
  "  text, content='chunks', content_rowid='id', tokenize='trigram');"
  "CREATE TRIGGER chunks_fts_ai AFTER INSERT ON chunks BEGIN"
  "  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);"
  "END;"
  "CREATE TRIGGER chunks_fts_ad AFTER DELETE ON chunks BEGIN"
  "  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);"
  "END;"
  "CREATE TRIGGER chunks_fts_au AFTER UPDATE OF text ON chunks BEGIN"
  "  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);"
  "  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);"
  "END;"
  "CREATE TABLE web_cache ("
  "  key TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK(kind IN ('page','search')),"
  "  url TEXT,"
  "  status INTEGER,"
  "  etag TEXT,"
  "  last_modified TEXT,"
  "  content_type TEXT,"
  "  body BLOB,"
  "  fetched_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL);"
  "CREATE INDEX web_cache_by_expiry ON web_cache(expires_at);";

/* Which alternative (edit, regenerate) is shown: among messages with the same parent, the
 * one with the highest branch_seq (then the newest). New messages and chosen ones get one
 * more than their siblings' highest, so older databases (all 0) keep "the newest". */
static const char migration_3[] =
  "ALTER TABLE messages ADD COLUMN branch_seq INTEGER NOT NULL DEFAULT 0;";

static const char *const migrations[] = { NULL, migration_1, migration_2, migration_3 };
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HERON_STORE_SCHEMA_VERSION + 1);

/* ---- helpers --------------------------------------------------------------------------- */

gint64
heron_store_now_ms (void)
{
  return g_get_real_time () / 1000;
}

gboolean
heron_store_set_sql_error (GError **error, sqlite3 *db, const char *what)
{
  int code = db ? sqlite3_errcode (db) : SQLITE_ERROR;
  int primary = code & 0xff;
  HeronStoreError e = HERON_STORE_ERROR_SQL;

  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    e = HERON_STORE_ERROR_CORRUPT;
  else if (primary == SQLITE_READONLY)
    e = HERON_STORE_ERROR_READ_ONLY;
  g_set_error (error, HERON_STORE_ERROR, e, "%s: %s", what,
               db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

gboolean
heron_store_exec (sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      heron_store_set_sql_error (error, db, "SQL");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
heron_store_prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      heron_store_set_sql_error (error, db, "prepare");
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

gboolean
heron_store_begin (sqlite3 *db, GError **error)
{
  return heron_store_exec (db, "BEGIN IMMEDIATE", error);
}

gboolean
heron_store_commit (sqlite3 *db, GError **error)
{
  return heron_store_exec (db, "COMMIT", error);
}

void
heron_store_rollback (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

int
heron_store_get_user_version (sqlite3 *db, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db, "PRAGMA user_version", error);

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      heron_store_set_sql_error (error, db, "user_version");
      return -1;
    }
  return sqlite3_column_int (stmt, 0);
}

gboolean
heron_store_migrate (sqlite3 *db, int target, GError **error)
{
  int version = heron_store_get_user_version (db, error);

  if (version < 0)
    return FALSE;
  g_return_val_if_fail (target <= HERON_STORE_SCHEMA_VERSION, FALSE);

  for (int v = version + 1; v <= target; v++)
    {
      g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version = %d", v);
      g_autoptr(GError) local = NULL;

      if (!heron_store_begin (db, &local) ||
          !heron_store_exec (db, migrations[v], &local) ||
          !heron_store_exec (db, pragma, &local) ||
          !heron_store_commit (db, &local))
        {
          heron_store_rollback (db);
          g_set_error (error, HERON_STORE_ERROR,
                       local->code == HERON_STORE_ERROR_SQL ? HERON_STORE_ERROR_MIGRATE
                                                            : local->code,
                       "migration to version %d: %s", v, local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- the store thread ------------------------------------------------------------------ */

typedef struct
{
  HeronStoreJobFunc  func;
  gpointer           data;
  GDestroyNotify     data_destroy;
  GDestroyNotify     result_destroy;
  GCancellable      *cancellable;
  GTask             *task;          /* async jobs */
  gboolean           quit;          /* the last job: close the connection */
  /* synchronous jobs: the caller waits on cond */
  GMutex            *mutex;
  GCond             *cond;
  gboolean           done;
  gpointer           result;
  GError            *error;
} Job;

/* What the thread and the GObject share; the GObject may be finalized on the store thread
 * (the last GTask reference can drop there), so the thread never points at the GObject. */
typedef struct
{
  gint          ref_count;
  GAsyncQueue  *queue;
  GThread      *thread;
  GMutex        lock;        /* guards closed */
  gboolean      closed;
  sqlite3      *db;          /* only touched on the store thread */
  char         *data_dir;
  char         *path;
  guint         n_recovered;
  /* conversation-changed: ids collected by the update hook on the store thread, emitted
   * on the context that opened the store. */
  GMainContext *owner_context;
  GWeakRef      object;
  GArray       *changed;      /* gint64, guarded by lock */
  gboolean      changed_idle;
} Core;

struct _HeronStore
{
  GObject  parent_instance;
  Core    *core;
};

G_DEFINE_FINAL_TYPE (HeronStore, heron_store, G_TYPE_OBJECT)

static Core *
core_ref (Core *core)
{
  g_atomic_int_inc (&core->ref_count);
  return core;
}

static void
core_unref (Core *core)
{
  if (!g_atomic_int_dec_and_test (&core->ref_count))
    return;
  g_assert (core->db == NULL);
  g_async_queue_unref (core->queue);
  g_mutex_clear (&core->lock);
  g_free (core->data_dir);
  g_free (core->path);
  g_array_unref (core->changed);
  g_weak_ref_clear (&core->object);
  g_main_context_unref (core->owner_context);
  g_free (core);
}

enum { SIGNAL_CONVERSATION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
emit_changed (gpointer data)
{
  Core *core = data;
  g_autoptr(HeronStore) self = g_weak_ref_get (&core->object);
  g_autoptr(GArray) ids = NULL;

  g_mutex_lock (&core->lock);
  ids = core->changed;
  core->changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  core->changed_idle = FALSE;
  g_mutex_unlock (&core->lock);

  for (guint i = 0; self && i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      gboolean seen = FALSE;

      for (guint j = 0; j < i && !seen; j++)
        seen = g_array_index (ids, gint64, j) == id;
      if (!seen)
        g_signal_emit (self, signals[SIGNAL_CONVERSATION_CHANGED], 0, id);
    }
  return G_SOURCE_REMOVE;
}

static void
core_unref_cb (gpointer data)
{
  core_unref (data);
}

/* Store thread: after a job, hand the changed ids to the owner's main context. */
static void
flush_changed (Core *core)
{
  g_mutex_lock (&core->lock);
  if (core->changed->len > 0 && !core->changed_idle)
    {
      GSource *idle = g_idle_source_new ();

      core->changed_idle = TRUE;
      g_source_set_callback (idle, emit_changed, core_ref (core), core_unref_cb);
      g_source_attach (idle, core->owner_context);
      g_source_unref (idle);
    }
  g_mutex_unlock (&core->lock);
}

/* Every row change of the connection; the conversations row of a conversation is touched
 * by every change that matters to a list of conversations (messages bump updated_at). */
static void
update_hook (void *data, int op, const char *db_name, const char *table, sqlite3_int64 rowid)
{
  Core *core = data;
  gint64 id = rowid;

  if (g_strcmp0 (table, "conversations") != 0)
    return;
  g_mutex_lock (&core->lock);
  g_array_append_val (core->changed, id);
  g_mutex_unlock (&core->lock);
}

static void
job_free_data (Job *job)
{
  if (job->data_destroy && job->data)
    job->data_destroy (job->data);
  job->data = NULL;
}

static void
job_run (Core *core, Job *job)
{
  GError *error = NULL;
  gpointer result = NULL;

  if (!g_cancellable_set_error_if_cancelled (job->cancellable, &error))
    {
      if (core->db == NULL && job->func != heron_store_open_job)
        g_set_error (&error, HERON_STORE_ERROR, HERON_STORE_ERROR_CLOSED,
                     _("The database %s is closed."), core->path);
      else
        result = job->func (core->db, job->data, job->cancellable, &error);
      flush_changed (core);
    }

  if (job->task)
    {
      if (error)
        g_task_return_error (job->task, error);
      else
        g_task_return_pointer (job->task, result, job->result_destroy);
      job_free_data (job);
      g_clear_object (&job->task);
      g_clear_object (&job->cancellable);
      g_free (job);
    }
  else
    {
      g_mutex_lock (job->mutex);
      job->result = result;
      job->error = error;
      job->done = TRUE;
      g_cond_signal (job->cond);
      g_mutex_unlock (job->mutex);
    }
}

static void
job_fail_closed (Core *core, Job *job)
{
  GError *error = g_error_new (HERON_STORE_ERROR, HERON_STORE_ERROR_CLOSED,
                               _("The database %s is closed."), core->path);
  if (job->task)
    {
      g_task_return_error (job->task, error);
      job_free_data (job);
      g_clear_object (&job->task);
      g_clear_object (&job->cancellable);
      g_free (job);
    }
  else
    {
      g_mutex_lock (job->mutex);
      job->error = error;
      job->done = TRUE;
      g_cond_signal (job->cond);
      g_mutex_unlock (job->mutex);
    }
}

static gpointer
store_thread (gpointer user_data)
{
  Core *core = user_data;

  for (;;)
    {
      Job *job = g_async_queue_pop (core->queue);

      if (job->quit)
        {
          g_free (job);
          break;
        }
      job_run (core, job);
    }

  if (core->db)
    {
      /* A clean close checkpoints the WAL into the main file. */
      sqlite3_close_v2 (core->db);
      core->db = NULL;
    }
  core_unref (core);
  return NULL;
}

static void
queue_job (Core *core, Job *job)
{
  g_mutex_lock (&core->lock);
  if (core->closed)
    {
      g_mutex_unlock (&core->lock);
      job_fail_closed (core, job);
      return;
    }
  g_async_queue_push (core->queue, job);
  g_mutex_unlock (&core->lock);
}

void
heron_store_run_async (HeronStore          *self,
                       HeronStoreJobFunc    func,
                       gpointer             data,
                       GDestroyNotify       data_destroy,
                       GDestroyNotify       result_destroy,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  Job *job;

  g_return_if_fail (HERON_IS_STORE (self));
  g_return_if_fail (func != NULL);

  job = g_new0 (Job, 1);
  job->func = func;
  job->data = data;
  job->data_destroy = data_destroy;
  job->result_destroy = result_destroy;
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, heron_store_run_async);
  queue_job (self->core, job);
}

gpointer
heron_store_run_finish (HeronStore    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
run_sync_core (Core              *core,
               HeronStoreJobFunc  func,
               gpointer           data,
               GCancellable      *cancellable,
               GError           **error)
{
  GMutex mutex;
  GCond cond;
  Job job = { 0 };

  if (g_thread_self () == core->thread)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      return func (core->db, data, cancellable, error);
    }

  g_mutex_init (&mutex);
  g_cond_init (&cond);
  job.func = func;
  job.data = data;
  job.cancellable = cancellable;
  job.mutex = &mutex;
  job.cond = &cond;

  queue_job (core, &job);
  g_mutex_lock (&mutex);
  while (!job.done)
    g_cond_wait (&cond, &mutex);
  g_mutex_unlock (&mutex);
  g_mutex_clear (&mutex);
  g_cond_clear (&cond);

  if (job.error)
    g_propagate_error (error, job.error);
  return job.result;
}

gpointer
heron_store_run_sync (HeronStore         *self,
                      HeronStoreJobFunc   func,
                      gpointer            data,
                      GCancellable       *cancellable,
                      GError            **error)
{
  g_return_val_if_fail (HERON_IS_STORE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  return run_sync_core (self->core, func, data, cancellable, error);
}

gboolean
heron_store_is_store_thread (HeronStore *self)
{
  g_return_val_if_fail (HERON_IS_STORE (self), FALSE);
  return g_thread_self () == self->core->thread;
}

/* ---- open ----------------------------------------------------------------------------- */

static void
set_open_error (GError **error, int code, const char *path, const char *why)
{
  const char *what_to_do;

  switch (code)
    {
    case HERON_STORE_ERROR_CORRUPT:
      what_to_do = _("Heron did not change the file. Move it elsewhere (or restore a backup) "
                     "to start with an empty history; keep it if you want to try to recover it "
                     "with the sqlite3 tool (“.recover”).");
      break;
    case HERON_STORE_ERROR_TOO_NEW:
      what_to_do = _("It was written by a newer version of Heron. Heron did not change it. "
                     "Update Heron, or move the file elsewhere to start with an empty history.");
      break;
    case HERON_STORE_ERROR_READ_ONLY:
      what_to_do = _("Heron needs to write to the file and its folder. Check their permissions "
                     "and the free disk space.");
      break;
    case HERON_STORE_ERROR_MIGRATE:
      what_to_do = _("Heron could not update it to the current format and left it unchanged. "
                     "Check the free disk space and try again, or move the file elsewhere.");
      break;
    default:
      what_to_do = _("Check that the folder exists and is writable.");
      break;
    }
  g_set_error (error, HERON_STORE_ERROR, code, _("Could not open the database %s: %s. %s"),
               path, why, what_to_do);
}

static gboolean
open_connection (Core *core, GError **error)
{
  g_autoptr(GError) local = NULL;
  sqlite3 *db = NULL;
  int version, rc;

  if (g_mkdir_with_parents (core->data_dir, 0700) != 0)
    {
      int saved = errno;
      set_open_error (error, saved == EACCES || saved == EROFS ? HERON_STORE_ERROR_READ_ONLY
                                                               : HERON_STORE_ERROR_OPEN,
                      core->path, g_strerror (saved));
      return FALSE;
    }

  rc = sqlite3_open_v2 (core->path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      int code = (rc & 0xff) == SQLITE_CANTOPEN && g_file_test (core->path, G_FILE_TEST_EXISTS)
                 ? HERON_STORE_ERROR_READ_ONLY : HERON_STORE_ERROR_OPEN;
      if (access (core->data_dir, W_OK) != 0)
        code = HERON_STORE_ERROR_READ_ONLY;
      set_open_error (error, code, core->path, db ? sqlite3_errmsg (db) : g_strerror (ENOMEM));
      sqlite3_close_v2 (db);
      return FALSE;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, 5000);

  /* Read before anything writes: a file that is not ours, or is newer, stays untouched
   * (switching to WAL would already rewrite its header). */
  version = heron_store_get_user_version (db, &local);
  if (version >= 0)
    {
      g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
                                       "SELECT count(*) FROM sqlite_schema", &local);
      if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
        {
          if (local == NULL)
            heron_store_set_sql_error (&local, db, "schema");
          version = -1;
        }
    }
  if (version < 0)
    {
      set_open_error (error, local->code == HERON_STORE_ERROR_SQL ? HERON_STORE_ERROR_CORRUPT
                                                                   : local->code,
                      core->path, local->message);
      sqlite3_close_v2 (db);
      return FALSE;
    }
  if (version > HERON_STORE_SCHEMA_VERSION)
    {
      g_autofree char *why = g_strdup_printf (_("its format version is %d, this Heron knows "
                                                "up to %d"), version,
                                              HERON_STORE_SCHEMA_VERSION);
      set_open_error (error, HERON_STORE_ERROR_TOO_NEW, core->path, why);
      sqlite3_close_v2 (db);
      return FALSE;
    }
  if (sqlite3_db_readonly (db, "main") == 1)
    {
      set_open_error (error, HERON_STORE_ERROR_READ_ONLY, core->path, _("it is read-only"));
      sqlite3_close_v2 (db);
      return FALSE;
    }

  /* synchronous=NORMAL is safe against kill -9 with WAL: a commit has written its frames
   * to the WAL file (in the OS page cache) before COMMIT returns, and a process crash does
   * not lose the page cache, so every committed transaction survives; only a power loss
   * or OS crash can drop the last transactions, and never corrupts the database. */
  if (!heron_store_exec (db, "PRAGMA journal_mode = WAL", &local) ||
      !heron_store_exec (db, "PRAGMA synchronous = NORMAL", &local) ||
      !heron_store_exec (db, "PRAGMA foreign_keys = ON", &local))
    {
      set_open_error (error, local->code == HERON_STORE_ERROR_SQL ? HERON_STORE_ERROR_OPEN
                                                                   : local->code,
                      core->path, local->message);
      sqlite3_close_v2 (db);
      return FALSE;
    }

  if (!heron_store_migrate (db, HERON_STORE_SCHEMA_VERSION, &local))
    {
      set_open_error (error, local->code == HERON_STORE_ERROR_MIGRATE
                             ? HERON_STORE_ERROR_MIGRATE : local->code,
                      core->path, local->message);
      sqlite3_close_v2 (db);
      return FALSE;
    }

  /* An answer that was streaming when the previous process died keeps its text. Undo of a
   * deletion only lasts for the session that deleted: purge what is still marked. */
  if (!heron_store_exec (db, "UPDATE messages SET state = 'interrupted' "
                             "WHERE state = 'streaming'", &local))
    {
      set_open_error (error, local->code, core->path, local->message);
      sqlite3_close_v2 (db);
      return FALSE;
    }
  core->n_recovered = sqlite3_changes (db);
  if (!heron_store_exec (db, "DELETE FROM conversations WHERE deleted_at IS NOT NULL", &local))
    {
      set_open_error (error, local->code, core->path, local->message);
      sqlite3_close_v2 (db);
      return FALSE;
    }

  core->db = db;
  sqlite3_update_hook (db, update_hook, core);
  return TRUE;
}

gpointer
heron_store_open_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  Core *core = data;

  g_assert (g_thread_self () == core->thread);
  if (!open_connection (core, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static HeronStore *
store_new (const char *data_dir)
{
  HeronStore *self = g_object_new (HERON_TYPE_STORE, NULL);
  Core *core = g_new0 (Core, 1);

  core->ref_count = 1;
  core->queue = g_async_queue_new ();
  g_mutex_init (&core->lock);
  core->data_dir = g_strdup (data_dir);
  core->path = g_build_filename (data_dir, "heron.db", NULL);
  core->owner_context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&core->object, self);
  core->changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  core->thread = g_thread_new ("heron-store", store_thread, core_ref (core));
  self->core = core;
  return self;
}

static void
open_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronStore *self = HERON_STORE (source);
  GError *error = NULL;

  if (!heron_store_run_finish (self, result, &error))
    {
      heron_store_close (self);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

void
heron_store_open_async (const char          *data_dir,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(HeronStore) self = NULL;
  GTask *task;

  g_return_if_fail (data_dir != NULL);
  self = store_new (data_dir);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_store_open_async);
  heron_store_run_async (self, heron_store_open_job, self->core, NULL, NULL, cancellable,
                         open_cb, task);
}

HeronStore *
heron_store_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

HeronStore *
heron_store_open_sync (const char *data_dir, GCancellable *cancellable, GError **error)
{
  g_autoptr(HeronStore) self = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  self = store_new (data_dir);
  if (!heron_store_run_sync (self, heron_store_open_job, self->core, cancellable, error))
    {
      heron_store_close (self);
      return NULL;
    }
  return g_steal_pointer (&self);
}

char *
heron_store_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "heron", NULL);
}

const char *
heron_store_get_path (HeronStore *self)
{
  g_return_val_if_fail (HERON_IS_STORE (self), NULL);
  return self->core->path;
}

guint
heron_store_get_n_recovered (HeronStore *self)
{
  g_return_val_if_fail (HERON_IS_STORE (self), 0);
  return self->core->n_recovered;
}

void
heron_store_close (HeronStore *self)
{
  Core *core;
  Job *quit;
  GThread *thread;

  g_return_if_fail (HERON_IS_STORE (self));
  core = self->core;

  g_mutex_lock (&core->lock);
  if (core->closed)
    {
      g_mutex_unlock (&core->lock);
      return;
    }
  core->closed = TRUE;
  quit = g_new0 (Job, 1);
  quit->quit = TRUE;
  g_async_queue_push (core->queue, quit);
  thread = core->thread;
  g_mutex_unlock (&core->lock);

  /* On the store thread itself (the last reference dropped inside a job's completion),
   * the loop ends after the current job; joining would wait for ourselves. */
  if (g_thread_self () != thread)
    g_thread_join (thread);
  else
    g_thread_unref (thread);
}

static void
heron_store_finalize (GObject *object)
{
  HeronStore *self = HERON_STORE (object);

  heron_store_close (self);
  core_unref (self->core);
  G_OBJECT_CLASS (heron_store_parent_class)->finalize (object);
}

static void
heron_store_class_init (HeronStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_store_finalize;

  /* A write changed conversation ID (created, renamed, pinned, deleted or restored, new
   * settings, a message added or an answer finished). Emitted on the thread-default main
   * context of the code that opened the store, after the change is committed; not while an
   * answer streams. Several changes may come as one emission. */
  signals[SIGNAL_CONVERSATION_CHANGED] =
    g_signal_new ("conversation-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
heron_store_init (HeronStore *self)
{
}
