/* heron-conversations.c: queries on the conversations table (run on the store thread).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "heron-conversations.h"

typedef struct
{
  gint64    id;
  char     *title;
  char     *system_prompt;
  char     *model;
  char     *settings_json;
  char     *web_mode;
  gboolean  flag;
} ConvArgs;

static ConvArgs *
conv_args_new (gint64 id, const char *title, const char *system_prompt, const char *model)
{
  ConvArgs *a = g_new0 (ConvArgs, 1);

  a->id = id;
  a->title = g_strdup (title);
  a->system_prompt = g_strdup (system_prompt);
  a->model = g_strdup (model);
  return a;
}

static void
conv_args_free (gpointer data)
{
  ConvArgs *a = data;

  g_free (a->title);
  g_free (a->system_prompt);
  g_free (a->model);
  g_free (a->settings_json);
  g_free (a->web_mode);
  g_free (a);
}

static void
bind_text (sqlite3_stmt *stmt, int i, const char *s)
{
  if (s)
    sqlite3_bind_text (stmt, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, i);
}

#define CONV_COLUMNS \
  "id, title, created_at, updated_at, pinned, model, system_prompt, settings_json, web_mode"

static HeronConversation *
conversation_from_stmt (sqlite3_stmt *stmt)
{
  HeronConversation *c = heron_conversation_new (sqlite3_column_int64 (stmt, 0),
                                                 (const char *) sqlite3_column_text (stmt, 1));

  heron_conversation_set_created_at (c, sqlite3_column_int64 (stmt, 2));
  heron_conversation_set_updated_at (c, sqlite3_column_int64 (stmt, 3));
  heron_conversation_set_pinned (c, sqlite3_column_int (stmt, 4));
  heron_conversation_set_model (c, (const char *) sqlite3_column_text (stmt, 5));
  heron_conversation_set_system_prompt (c, (const char *) sqlite3_column_text (stmt, 6));
  heron_conversation_set_settings_json (c, (const char *) sqlite3_column_text (stmt, 7));
  heron_conversation_set_web_mode (c, (const char *) sqlite3_column_text (stmt, 8));
  return c;
}

static gpointer
get_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  ConvArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ? AND deleted_at IS NULL", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return conversation_from_stmt (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                 _("There is no conversation %" PRId64 "."), a->id);
  else
    heron_store_set_sql_error (error, db, "get conversation");
  return NULL;
}

static gpointer
create_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  ConvArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "INSERT INTO conversations (title, created_at, updated_at, model, system_prompt) "
      "VALUES (?, ?, ?, ?, ?)", error);
  gint64 now = heron_store_now_ms ();

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, a->title ? a->title : "");
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, now);
  bind_text (stmt, 4, a->model);
  bind_text (stmt, 5, a->system_prompt);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "create conversation");
      return NULL;
    }
  a->id = sqlite3_last_insert_rowid (db);
  return get_job (db, a, cancellable, error);
}

static gpointer
list_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "SELECT " CONV_COLUMNS " FROM conversations WHERE deleted_at IS NULL "
      "ORDER BY pinned DESC, updated_at DESC, id DESC", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, conversation_from_stmt (stmt));
  if (rc != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "list conversations");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Run one UPDATE/DELETE with A's id bound as ?1 and an optional text/int as ?2; a missing
 * row is an error so that the UI notices stale ids. */
static gpointer
update_one (sqlite3 *db, const char *sql, ConvArgs *a, gboolean bind_flag, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db, sql, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  if (bind_flag)
    sqlite3_bind_int (stmt, 2, a->flag);
  else if (sqlite3_bind_parameter_count (stmt) >= 2)
    bind_text (stmt, 2, a->title ? a->title : "");
  if (sqlite3_bind_parameter_count (stmt) >= 3)
    sqlite3_bind_int64 (stmt, 3, heron_store_now_ms ());
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "update conversation");
      return NULL;
    }
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no conversation %" PRId64 "."), a->id);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

static gpointer
rename_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  return update_one (db, "UPDATE conversations SET title = ?2 WHERE id = ?1 "
                         "AND deleted_at IS NULL", data, FALSE, error);
}

static gpointer
pin_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  return update_one (db, "UPDATE conversations SET pinned = ?2 WHERE id = ?1 "
                         "AND deleted_at IS NULL", data, TRUE, error);
}

static gpointer
delete_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  return update_one (db, "UPDATE conversations SET deleted_at = ?3 WHERE id = ?1 "
                         "AND deleted_at IS NULL AND ?2 IS NOT NULL", data, FALSE, error);
}

static gpointer
undelete_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  return update_one (db, "UPDATE conversations SET deleted_at = NULL WHERE id = ?1 "
                         "AND deleted_at IS NOT NULL", data, FALSE, error);
}

static gpointer
purge_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  if (!heron_store_exec (db, "DELETE FROM conversations WHERE deleted_at IS NOT NULL", error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static gpointer
settings_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  ConvArgs *a = data;
  g_autoptr(sqlite3_stmt) stmt = heron_store_prepare (db,
      "UPDATE conversations SET system_prompt = coalesce(?2, system_prompt), "
      "model = coalesce(?3, model), settings_json = coalesce(?4, settings_json), "
      "web_mode = coalesce(?5, web_mode) WHERE id = ?1 AND deleted_at IS NULL", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, a->id);
  bind_text (stmt, 2, a->system_prompt);
  bind_text (stmt, 3, a->model);
  bind_text (stmt, 4, a->settings_json);
  bind_text (stmt, 5, a->web_mode);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return GINT_TO_POINTER (heron_store_set_sql_error (error, db, "conversation settings"));
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, HERON_STORE_ERROR, HERON_STORE_ERROR_NOT_FOUND,
                   _("There is no conversation %" PRId64 "."), a->id);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

gboolean
heron_store_write_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  return heron_store_run_finish (store, result, error) != NULL;
}

/* async + sync wrappers */

static void
run_async (HeronStore *store, HeronStoreJobFunc func, ConvArgs *a, GDestroyNotify result_free,
           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  heron_store_run_async (store, func, a, conv_args_free, result_free, cancellable, callback,
                         user_data);
}

static gpointer
run_sync (HeronStore *store, HeronStoreJobFunc func, ConvArgs *a, GCancellable *cancellable,
          GError **error)
{
  gpointer result = heron_store_run_sync (store, func, a, cancellable, error);

  conv_args_free (a);
  return result;
}

void
heron_store_create_conversation_async (HeronStore *store, const char *title,
                                       const char *system_prompt, const char *model,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  run_async (store, create_job, conv_args_new (0, title, system_prompt, model), g_object_unref,
             cancellable, callback, user_data);
}

HeronConversation *
heron_store_create_conversation_finish (HeronStore *store, GAsyncResult *result,
                                        GError **error)
{
  return heron_store_run_finish (store, result, error);
}

HeronConversation *
heron_store_create_conversation_sync (HeronStore *store, const char *title,
                                      const char *system_prompt, const char *model,
                                      GCancellable *cancellable, GError **error)
{
  return run_sync (store, create_job, conv_args_new (0, title, system_prompt, model),
                   cancellable, error);
}

void
heron_store_get_conversation_async (HeronStore *store, gint64 id, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, get_job, conv_args_new (id, NULL, NULL, NULL), g_object_unref,
             cancellable, callback, user_data);
}

HeronConversation *
heron_store_get_conversation_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  return heron_store_run_finish (store, result, error);
}

HeronConversation *
heron_store_get_conversation_sync (HeronStore *store, gint64 id, GCancellable *cancellable,
                                   GError **error)
{
  return run_sync (store, get_job, conv_args_new (id, NULL, NULL, NULL), cancellable, error);
}

void
heron_store_list_conversations_async (HeronStore *store, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, list_job, conv_args_new (0, NULL, NULL, NULL),
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
heron_store_list_conversations_finish (HeronStore *store, GAsyncResult *result,
                                       GError **error)
{
  return heron_store_run_finish (store, result, error);
}

GPtrArray *
heron_store_list_conversations_sync (HeronStore *store, GCancellable *cancellable,
                                     GError **error)
{
  return run_sync (store, list_job, conv_args_new (0, NULL, NULL, NULL), cancellable, error);
}

void
heron_store_rename_conversation_async (HeronStore *store, gint64 id, const char *title,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, rename_job, conv_args_new (id, title, NULL, NULL), NULL, cancellable,
             callback, user_data);
}

gboolean
heron_store_rename_conversation_sync (HeronStore *store, gint64 id, const char *title,
                                      GCancellable *cancellable, GError **error)
{
  return run_sync (store, rename_job, conv_args_new (id, title, NULL, NULL), cancellable,
                   error) != NULL;
}

static ConvArgs *
flag_args (gint64 id, gboolean flag)
{
  ConvArgs *a = conv_args_new (id, NULL, NULL, NULL);

  a->flag = !!flag;
  return a;
}

void
heron_store_pin_conversation_async (HeronStore *store, gint64 id, gboolean pinned,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  run_async (store, pin_job, flag_args (id, pinned), NULL, cancellable, callback, user_data);
}

gboolean
heron_store_pin_conversation_sync (HeronStore *store, gint64 id, gboolean pinned,
                                   GCancellable *cancellable, GError **error)
{
  return run_sync (store, pin_job, flag_args (id, pinned), cancellable, error) != NULL;
}

static ConvArgs *
settings_args (gint64 id, const char *system_prompt, const char *model,
               const char *settings_json, const char *web_mode)
{
  ConvArgs *a = conv_args_new (id, NULL, system_prompt, model);

  a->settings_json = g_strdup (settings_json);
  a->web_mode = g_strdup (web_mode);
  return a;
}

void
heron_store_set_conversation_settings_async (HeronStore *store, gint64 id,
                                             const char *system_prompt, const char *model,
                                             const char *settings_json, const char *web_mode,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, settings_job,
             settings_args (id, system_prompt, model, settings_json, web_mode), NULL,
             cancellable, callback, user_data);
}

gboolean
heron_store_set_conversation_settings_sync (HeronStore *store, gint64 id,
                                            const char *system_prompt, const char *model,
                                            const char *settings_json, const char *web_mode,
                                            GCancellable *cancellable, GError **error)
{
  return run_sync (store, settings_job,
                   settings_args (id, system_prompt, model, settings_json, web_mode),
                   cancellable, error) != NULL;
}

void
heron_store_delete_conversation_async (HeronStore *store, gint64 id,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, delete_job, conv_args_new (id, "", NULL, NULL), NULL, cancellable,
             callback, user_data);
}

gboolean
heron_store_delete_conversation_sync (HeronStore *store, gint64 id, GCancellable *cancellable,
                                      GError **error)
{
  return run_sync (store, delete_job, conv_args_new (id, "", NULL, NULL), cancellable,
                   error) != NULL;
}

void
heron_store_undelete_conversation_async (HeronStore *store, gint64 id,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, undelete_job, conv_args_new (id, NULL, NULL, NULL), NULL, cancellable,
             callback, user_data);
}

gboolean
heron_store_undelete_conversation_sync (HeronStore *store, gint64 id,
                                        GCancellable *cancellable, GError **error)
{
  return run_sync (store, undelete_job, conv_args_new (id, NULL, NULL, NULL), cancellable,
                   error) != NULL;
}

void
heron_store_purge_deleted_async (HeronStore *store, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  run_async (store, purge_job, conv_args_new (0, NULL, NULL, NULL), NULL, cancellable,
             callback, user_data);
}

gboolean
heron_store_purge_deleted_sync (HeronStore *store, GCancellable *cancellable, GError **error)
{
  return run_sync (store, purge_job, conv_args_new (0, NULL, NULL, NULL), cancellable,
                   error) != NULL;
}
