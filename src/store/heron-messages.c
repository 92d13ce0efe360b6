/* heron-messages.c: queries on the messages table (run on the store thread).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "heron-messages.h"

typedef struct
{
  gint64             id;               /* message or conversation id */
  gint64             conversation_id;
  gint64             parent_id;
  HeronRole          role;
  char              *content;
  char              *reasoning;
  HeronMessageState  state;
  char              *error;
  char              *model;
  char              *stats_json;
  char              *sources_json;
  gint64             created_at;       /* set by the add job */
  int                delta;            /* switch_branch: places to move among siblings */
} MsgArgs;

static void
msg_args_free (gpointer data)
{
  MsgArgs *a = data;

  g_free (a->content);
  g_free (a->reasoning);
  g_free (a->error);
  g_free (a->model);
  g_free (a->stats_json);
  g_free (a->sources_json);
  g_free (a);
}

static MsgArgs *
msg_args_new (gint64 id)
{
  MsgArgs *a = g_new0 (MsgArgs, 1);

  a->id = id;
  return a;
}

static void
bind_text (sqlite3_stmt *stmt, int i, const char *s)
{
  if (s)
    sqlite3_bind_text (stmt, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, i);
}

HeronMessage *
heron_message_new_from_stmt (sqlite3_stmt *stmt)
{
  HeronRole role = HERON_ROLE_USER;
  HeronMessageState state = HERON_MESSAGE_COMPLETE;
  HeronMessage *m;

  heron_role_from_string ((const char *) sqlite3_column_text (stmt, 3), &role);
  heron_message_state_from_string ((const char *) sqlite3_column_text (stmt, 6), &state);
  m = heron_message_new (role, (const char *) sqlite3_column_text (stmt, 4));
  heron_message_set_id (m, sqlite3_column_int64 (stmt, 0));
  heron_message_set_conversation_id (m, sqlite3_column_int64 (stmt, 1));
  heron_message_set_parent_id (m, sqlite3_column_int64 (stmt, 2));
  heron_message_set_reasoning (m, (const char *) sqlite3_column_text (stmt, 5));
  heron_message_set_state (m, state);
  heron_message_set_error (m, (const char *) sqlite3_column_text (stmt, 7));
  heron_message_set_model (m, (const char *) sqlite3_column_text (stmt, 8));
  heron_message_set_stats_json (m, (const char *) sqlite3_column_text (stmt, 9));
  heron_message_set_sources_json (m, (const char *) sqlite3_column_text (stmt, 10));
  heron_message_set_created_at (m, sqlite3_column_int64 (stmt, 11));
  heron_message_set_updated_at (m, sqlite3_column_int64 (stmt, 12));
  return m;
}

/* The active path: from the chosen root, the chosen child each time, where the chosen one
 * among siblings has the highest branch_seq (SEQ[i], then the highest id). All rows of the
 * conversation are read once and linked in memory (2,000 messages take about a ms). Each
 * message of the path learns its place among its alternatives. */
static GPtrArray *
active_path (GPtrArray *all, const gint64 *seq)
{
  g_autoptr(GHashTable) index_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gint64 *ids = g_new (gint64, all->len + 1);
  g_autofree int *chosen = g_new (int, all->len + 1);   /* per slot; [0]: the roots */
  g_autofree guint *n_children = g_new0 (guint, all->len + 1);
  g_autofree guint *ordinal = g_new0 (guint, all->len + 1);
  g_autofree int *slot_of = g_new0 (int, all->len + 1);
  GPtrArray *path = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i <= all->len; i++)
    chosen[i] = -1;
  /* Rows come by increasing id, so on equal seq the last one seen is the newest. A parent
   * that is not in this conversation makes the row a root. */
  for (guint i = 0; i < all->len; i++)
    {
      gint64 pid = heron_message_get_parent_id (all->pdata[i]);
      gpointer pi = NULL;
      int slot = 0;

      ids[i] = heron_message_get_id (all->pdata[i]);
      g_hash_table_insert (index_of, &ids[i], GINT_TO_POINTER (i + 1));
      if (pid != 0 && (pi = g_hash_table_lookup (index_of, &pid)) != NULL)
        slot = GPOINTER_TO_INT (pi);
      slot_of[i] = slot;
      ordinal[i] = ++n_children[slot];
      if (chosen[slot] < 0 || seq[i] >= seq[chosen[slot]])
        chosen[slot] = i;
    }
  for (int cur = chosen[0]; cur >= 0; cur = chosen[cur + 1])
    {
      heron_message_set_branch_index (all->pdata[cur], ordinal[cur]);
      heron_message_set_branch_count (all->pdata[cur], n_children[slot_of[cur]]);
      g_ptr_array_add (path, g_object_ref (all->pdata[cur]));
    }
  return path;
}

static GPtrArray *
select_messages (sqlite3 *db, const char *sql, gint64 arg, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db, sql, error);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, arg);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (all, heron_message_new_from_stmt (stmt));
  if (rc != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "read messages");
      return NULL;
    }
  return g_steal_pointer (&all);
}

static gpointer
get_messages_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "SELECT " HERON_MESSAGE_COLUMNS ", branch_seq FROM messages WHERE conversation_id = ? "
      "ORDER BY id", error);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) seq = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 s = sqlite3_column_int64 (stmt, 13);

      g_ptr_array_add (all, heron_message_new_from_stmt (stmt));
      g_array_append_val (seq, s);
    }
  if (rc != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "read messages");
      return NULL;
    }
  return active_path (all, (const gint64 *) seq->data);
}

static gpointer
get_path_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(GPtrArray) path = select_messages (db,
      "WITH RECURSIVE up(id, depth) AS (SELECT ?1, 0 UNION ALL "
      "  SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id "
      "  WHERE m.parent_id IS NOT NULL AND up.depth < 1000000) "
      "SELECT " HERON_MESSAGE_COLUMNS " FROM messages JOIN up USING (id) "
      "ORDER BY up.depth DESC", a->id, error);

  if (path && path->len == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static gpointer
get_siblings_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;

  return select_messages (db,
      "SELECT " HERON_MESSAGE_COLUMNS " FROM messages AS m WHERE EXISTS ("
      "  SELECT 1 FROM messages AS me WHERE me.id = ?1 "
      "  AND me.conversation_id = m.conversation_id AND me.parent_id IS m.parent_id) "
      "ORDER BY id", a->id, error);
}

static gboolean
touch_conversation (sqlite3 *db, gint64 conversation_id, gint64 now, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "UPDATE conversations SET updated_at = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return heron_store_set_sql_error (error, db, "update conversation time");
  return TRUE;
}

/* Make message ID the shown one among its siblings (one more than their highest
 * branch_seq). Returns how many siblings it has (itself included), 0 on error. */
static gint64
choose_branch (sqlite3 *db, gint64 id, GError **error)
{
  g_autoptr(sqlite3_stmt) seq = heron_store_prepare (db,
      "UPDATE messages SET branch_seq = 1 + (SELECT coalesce(max(s.branch_seq), 0) "
      "  FROM messages AS s JOIN messages AS me ON me.id = ?1 "
      "  WHERE s.conversation_id = me.conversation_id AND s.parent_id IS me.parent_id "
      "  AND s.id != ?1) WHERE id = ?1", error);
  g_autoptr(sqlite3_stmt) count = NULL;

  if (seq == NULL)
    return 0;
  sqlite3_bind_int64 (seq, 1, id);
  if (sqlite3_step (seq) != SQLITE_DONE)
    return heron_store_set_sql_error (error, db, "choose branch");
  count = heron_store_prepare (db,
      "SELECT count(*) FROM messages AS s JOIN messages AS me ON me.id = ?1 "
      "WHERE s.conversation_id = me.conversation_id AND s.parent_id IS me.parent_id", error);
  if (count == NULL)
    return 0;
  sqlite3_bind_int64 (count, 1, id);
  if (sqlite3_step (count) != SQLITE_ROW)
    return heron_store_set_sql_error (error, db, "count branches");
  return sqlite3_column_int64 (count, 0);
}

/* The alternative DELTA places from message ID (in creation order) becomes the shown one.
 * Returns its id (a heap gint64). */
static gpointer
switch_branch_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(GPtrArray) siblings = get_siblings_job (db, data, cancellable, error);
  gint64 *chosen;
  gint64 target;
  int pos = -1;

  if (siblings == NULL)
    return NULL;
  for (guint i = 0; i < siblings->len; i++)
    if (heron_message_get_id (siblings->pdata[i]) == a->id)
      pos = i;
  if (pos < 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      return NULL;
    }
  if (pos + a->delta < 0 || pos + a->delta >= (int) siblings->len)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("Message %" PRId64 " has no such alternative."), a->id);
      return NULL;
    }
  target = heron_message_get_id (siblings->pdata[pos + a->delta]);
  if (!heron_store_begin (db, error))
    return NULL;
  if (choose_branch (db, target, error) == 0 || !heron_store_commit (db, error))
    {
      heron_store_rollback (db);
      return NULL;
    }
  chosen = g_new (gint64, 1);
  *chosen = target;
  return chosen;
}

static gpointer
add_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 *id;

  if (!heron_store_begin (db, error))
    return NULL;
  stmt = heron_store_prepare (db,
      "INSERT INTO messages (conversation_id, parent_id, role, content, reasoning, state, "
      "error, model, stats_json, sources_json, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  a->created_at = heron_store_now_ms ();
  sqlite3_bind_int64 (stmt, 1, a->conversation_id);
  if (a->parent_id > 0)
    sqlite3_bind_int64 (stmt, 2, a->parent_id);
  bind_text (stmt, 3, heron_role_to_string (a->role));
  bind_text (stmt, 4, a->content ? a->content : "");
  bind_text (stmt, 5, a->reasoning);
  bind_text (stmt, 6, heron_message_state_to_string (a->state));
  bind_text (stmt, 7, a->error);
  bind_text (stmt, 8, a->model);
  bind_text (stmt, 9, a->stats_json);
  bind_text (stmt, 10, a->sources_json);
  sqlite3_bind_int64 (stmt, 11, a->created_at);
  sqlite3_bind_int64 (stmt, 12, a->created_at);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "add message");
      goto fail;
    }
  id = g_new (gint64, 3);
  id[0] = sqlite3_last_insert_rowid (db);
  id[1] = a->created_at;
  id[2] = choose_branch (db, id[0], error);
  if (id[2] == 0 || !touch_conversation (db, a->conversation_id, a->created_at, error) ||
      !heron_store_commit (db, error))
    {
      g_free (id);
      goto fail;
    }
  return id;

fail:
  heron_store_rollback (db);
  return NULL;
}

static gpointer
update_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "UPDATE messages SET content = ?2, reasoning = ?3, updated_at = ?4 WHERE id = ?1",
      error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  bind_text (stmt, 2, a->content ? a->content : "");
  bind_text (stmt, 3, a->reasoning);
  sqlite3_bind_int64 (stmt, 4, heron_store_now_ms ());
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return GINT_TO_POINTER (heron_store_set_sql_error (error, db, "update message"));
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

static gpointer
finish_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 now = heron_store_now_ms ();
  gint64 conversation_id;

  if (!heron_store_begin (db, error))
    return NULL;
  stmt = heron_store_prepare (db,
      "UPDATE messages SET content = ?2, reasoning = ?3, state = ?4, error = ?5, "
      "stats_json = coalesce(?6, stats_json), updated_at = ?7 WHERE id = ?1 "
      "RETURNING conversation_id", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, a->id);
  bind_text (stmt, 2, a->content ? a->content : "");
  bind_text (stmt, 3, a->reasoning);
  bind_text (stmt, 4, heron_message_state_to_string (a->state));
  bind_text (stmt, 5, a->error);
  bind_text (stmt, 6, a->stats_json);
  sqlite3_bind_int64 (stmt, 7, now);
  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      conversation_id = sqlite3_column_int64 (stmt, 0);
      break;
    case SQLITE_DONE:
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      goto fail;
    default:
      heron_store_set_sql_error (error, db, "finish message");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!touch_conversation (db, conversation_id, now, error) || !heron_store_commit (db, error))
    goto fail;
  return GINT_TO_POINTER (TRUE);

fail:
  heron_store_rollback (db);
  return NULL;
}

static gpointer
delete_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) lift = NULL;
  g_autoptr(sqlite3_stmt) del = NULL;

  if (!heron_store_begin (db, error))
    return NULL;
  lift = heron_store_prepare (db, "UPDATE messages SET parent_id = "
                                  "(SELECT parent_id FROM messages WHERE id = ?1) "
                                  "WHERE parent_id = ?1", error);
  del = lift ? heron_store_prepare (db, "DELETE FROM messages WHERE id = ?1", error) : NULL;
  if (del == NULL)
    goto fail;
  sqlite3_bind_int64 (lift, 1, a->id);
  sqlite3_bind_int64 (del, 1, a->id);
  if (sqlite3_step (lift) != SQLITE_DONE || sqlite3_step (del) != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "delete message");
      goto fail;
    }
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      goto fail;
    }
  if (!heron_store_commit (db, error))
    goto fail;
  return GINT_TO_POINTER (TRUE);

fail:
  heron_store_rollback (db);
  return NULL;
}

static gpointer
sources_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "UPDATE messages SET sources_json = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  bind_text (stmt, 2, a->sources_json);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return GINT_TO_POINTER (heron_store_set_sql_error (error, db, "message sources"));
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

static gpointer
get_message_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  MsgArgs *a = data;
  g_autoptr(GPtrArray) rows = select_messages (db,
      "SELECT " HERON_MESSAGE_COLUMNS " FROM messages WHERE id = ?", a->id, error);

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no message %" PRId64 "."), a->id);
      return NULL;
    }
  return g_object_ref (rows->pdata[0]);
}

/* ---- public wrappers ------------------------------------------------------------------ */

static gpointer
run_sync (HeronStore *store, HeronStoreJobFunc func, MsgArgs *a, GCancellable *cancellable,
          GError **error)
{
  gpointer result = heron_store_run_sync (store, func, a, cancellable, error);

  msg_args_free (a);
  return result;
}

void
heron_store_get_messages_async (HeronStore *store, gint64 conversation_id,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  heron_store_run_async (store, get_messages_job, msg_args_new (conversation_id),
                         msg_args_free, (GDestroyNotify) g_ptr_array_unref, cancellable,
                         callback, user_data);
}

GPtrArray *
heron_store_get_messages_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  return heron_store_run_finish (store, result, error);
}

GPtrArray *
heron_store_get_messages_sync (HeronStore *store, gint64 conversation_id,
                               GCancellable *cancellable, GError **error)
{
  return run_sync (store, get_messages_job, msg_args_new (conversation_id), cancellable,
                   error);
}

GPtrArray *
heron_store_get_path_sync (HeronStore *store, gint64 message_id, GCancellable *cancellable,
                           GError **error)
{
  return run_sync (store, get_path_job, msg_args_new (message_id), cancellable, error);
}

GPtrArray *
heron_store_get_siblings_sync (HeronStore *store, gint64 message_id,
                               GCancellable *cancellable, GError **error)
{
  return run_sync (store, get_siblings_job, msg_args_new (message_id), cancellable, error);
}

static MsgArgs *
args_from_message (HeronMessage *m)
{
  MsgArgs *a = msg_args_new (0);

  a->conversation_id = heron_message_get_conversation_id (m);
  a->parent_id = heron_message_get_parent_id (m);
  a->role = heron_message_get_role (m);
  a->content = g_strdup (heron_message_get_content (m));
  a->reasoning = g_strdup (heron_message_get_reasoning (m));
  a->state = heron_message_get_state (m);
  a->error = g_strdup (heron_message_get_error (m));
  a->model = g_strdup (heron_message_get_model (m));
  a->stats_json = g_strdup (heron_message_get_stats_json (m));
  a->sources_json = g_strdup (heron_message_get_sources_json (m));
  return a;
}

static void
add_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronMessage *m = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree gint64 *id = heron_store_run_finish (HERON_STORE (source), result, &error);

  if (id == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  heron_message_set_id (m, id[0]);
  heron_message_set_created_at (m, id[1]);
  heron_message_set_updated_at (m, id[1]);
  heron_message_set_branch_index (m, id[2]);
  heron_message_set_branch_count (m, id[2]);
  g_task_return_int (task, id[0]);
}

void
heron_store_add_message_async (HeronStore *store, HeronMessage *message,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_source_tag (task, heron_store_add_message_async);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  heron_store_run_async (store, add_job, args_from_message (message), msg_args_free, g_free,
                         cancellable, add_done, task);
}

gint64
heron_store_add_message_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  gint64 id;

  g_return_val_if_fail (g_task_is_valid (result, store), 0);
  id = g_task_propagate_int (G_TASK (result), error);
  return id < 0 ? 0 : id;
}

gint64
heron_store_add_message_sync (HeronStore *store, HeronMessage *message,
                              GCancellable *cancellable, GError **error)
{
  g_autofree gint64 *id = run_sync (store, add_job, args_from_message (message), cancellable,
                                    error);
  if (id == NULL)
    return 0;
  heron_message_set_id (message, id[0]);
  heron_message_set_created_at (message, id[1]);
  heron_message_set_updated_at (message, id[1]);
  heron_message_set_branch_index (message, id[2]);
  heron_message_set_branch_count (message, id[2]);
  return id[0];
}

static MsgArgs *
switch_args (gint64 id, int delta)
{
  MsgArgs *a = msg_args_new (id);

  a->delta = delta;
  return a;
}

void
heron_store_switch_branch_async (HeronStore *store, gint64 message_id, int delta,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  heron_store_run_async (store, switch_branch_job, switch_args (message_id, delta),
                         msg_args_free, g_free, cancellable, callback, user_data);
}

gint64
heron_store_switch_branch_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  g_autofree gint64 *id = heron_store_run_finish (store, result, error);

  return id != NULL ? *id : 0;
}

gint64
heron_store_switch_branch_sync (HeronStore *store, gint64 message_id, int delta,
                                GCancellable *cancellable, GError **error)
{
  g_autofree gint64 *id = run_sync (store, switch_branch_job, switch_args (message_id, delta),
                                    cancellable, error);

  return id != NULL ? *id : 0;
}

static MsgArgs *
text_args (gint64 id, const char *content, const char *reasoning)
{
  MsgArgs *a = msg_args_new (id);

  a->content = g_strdup (content);
  a->reasoning = g_strdup (reasoning);
  return a;
}

void
heron_store_update_message_async (HeronStore *store, gint64 id, const char *content,
                                  const char *reasoning, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  heron_store_run_async (store, update_job, text_args (id, content, reasoning), msg_args_free,
                         NULL, cancellable, callback, user_data);
}

gboolean
heron_store_update_message_sync (HeronStore *store, gint64 id, const char *content,
                                 const char *reasoning, GCancellable *cancellable,
                                 GError **error)
{
  return run_sync (store, update_job, text_args (id, content, reasoning), cancellable,
                   error) != NULL;
}

static MsgArgs *
finish_args (gint64 id, const char *content, const char *reasoning, HeronMessageState state,
             const char *error_text, const char *stats_json)
{
  MsgArgs *a = text_args (id, content, reasoning);

  a->state = state;
  a->error = g_strdup (error_text);
  a->stats_json = g_strdup (stats_json);
  return a;
}

void
heron_store_finish_message_async (HeronStore *store, gint64 id, const char *content,
                                  const char *reasoning, HeronMessageState state,
                                  const char *error_text, const char *stats_json,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  heron_store_run_async (store, finish_job,
                         finish_args (id, content, reasoning, state, error_text, stats_json),
                         msg_args_free, NULL, cancellable, callback, user_data);
}

gboolean
heron_store_finish_message_sync (HeronStore *store, gint64 id, const char *content,
                                 const char *reasoning, HeronMessageState state,
                                 const char *error_text, const char *stats_json,
                                 GCancellable *cancellable, GError **error)
{
  return run_sync (store, finish_job,
                   finish_args (id, content, reasoning, state, error_text, stats_json),
                   cancellable, error) != NULL;
}

void
heron_store_delete_message_async (HeronStore *store, gint64 id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  heron_store_run_async (store, delete_job, msg_args_new (id), msg_args_free, NULL,
                         cancellable, callback, user_data);
}

gboolean
heron_store_delete_message_sync (HeronStore *store, gint64 id, GCancellable *cancellable,
                                 GError **error)
{
  return run_sync (store, delete_job, msg_args_new (id), cancellable, error) != NULL;
}

static MsgArgs *
sources_args (gint64 id, const char *sources_json)
{
  MsgArgs *a = msg_args_new (id);

  a->sources_json = g_strdup (sources_json);
  return a;
}

void
heron_store_set_message_sources_async (HeronStore *store, gint64 id, const char *sources_json,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  heron_store_run_async (store, sources_job, sources_args (id, sources_json), msg_args_free,
                         NULL, cancellable, callback, user_data);
}

gboolean
heron_store_set_message_sources_sync (HeronStore *store, gint64 id, const char *sources_json,
                                      GCancellable *cancellable, GError **error)
{
  return run_sync (store, sources_job, sources_args (id, sources_json), cancellable,
                   error) != NULL;
}

void
heron_store_get_message_async (HeronStore *store, gint64 id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  heron_store_run_async (store, get_message_job, msg_args_new (id), msg_args_free,
                         g_object_unref, cancellable, callback, user_data);
}

HeronMessage *
heron_store_get_message_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  return heron_store_run_finish (store, result, error);
}

HeronMessage *
heron_store_get_message_sync (HeronStore *store, gint64 id, GCancellable *cancellable,
                              GError **error)
{
  return run_sync (store, get_message_job, msg_args_new (id), cancellable, error);
}
