/* heron-knowledge.c: pages and passages in the knowledge tables (see heron-knowledge.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-knowledge.h"

void
heron_knowledge_chunk_free (HeronKnowledgeChunk *chunk)
{
  if (chunk == NULL)
    return;
  g_free (chunk->text);
  g_free (chunk->url);
  g_free (chunk->title);
  g_free (chunk->site);
  g_free (chunk);
}

void
heron_knowledge_page_free (HeronKnowledgePage *page)
{
  if (page == NULL)
    return;
  g_free (page->url);
  g_free (page->title);
  g_free (page->site);
  g_free (page->published);
  g_strfreev (page->chunk_texts);
  g_free (page->chunk_tokens);
  g_free (page);
}

static gint64
parse_published (const char *s)
{
  g_autoptr(GDateTime) dt = NULL;

  if (s == NULL)
    return 0;
  dt = g_date_time_new_from_iso8601 (s, NULL);
  if (dt == NULL && strlen (s) == 10)
    {
      g_autofree char *full = g_strconcat (s, "T00:00:00Z", NULL);

      dt = g_date_time_new_from_iso8601 (full, NULL);
    }
  return dt ? g_date_time_to_unix (dt) * 1000 : 0;
}

static char *
page_hash (HeronKnowledgePage *page)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < page->n_chunks; i++)
    {
      g_checksum_update (sum, (const guchar *) page->chunk_texts[i], -1);
      g_checksum_update (sum, (const guchar *) "\n\f", 2);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static GPtrArray *
load_chunks (sqlite3      *db,
             gint64        source_id,
             GError      **error)
{
  g_autoptr(sqlite3_stmt) st = heron_store_prepare (db,
    "SELECT c.id, c.ord, c.text, c.n_tokens, s.url, s.title, s.site, s.fetched_at "
    "FROM chunks c JOIN sources s ON s.id = c.source_id WHERE c.source_id = ? ORDER BY c.ord",
    error);
  GPtrArray *out;
  int rc;

  if (st == NULL)
    return NULL;
  sqlite3_bind_int64 (st, 1, source_id);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_knowledge_chunk_free);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      HeronKnowledgeChunk *c = g_new0 (HeronKnowledgeChunk, 1);

      c->chunk_id = sqlite3_column_int64 (st, 0);
      c->source_id = source_id;
      c->ord = sqlite3_column_int (st, 1);
      c->text = g_strdup ((const char *) sqlite3_column_text (st, 2));
      c->n_tokens = sqlite3_column_int (st, 3);
      c->url = g_strdup ((const char *) sqlite3_column_text (st, 4));
      c->title = g_strdup ((const char *) sqlite3_column_text (st, 5));
      c->site = g_strdup ((const char *) sqlite3_column_text (st, 6));
      c->fetched_at = sqlite3_column_int64 (st, 7);
      g_ptr_array_add (out, c);
    }
  if (rc != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "load chunks");
      g_ptr_array_unref (out);
      return NULL;
    }
  return out;
}

static gpointer
save_page_job (sqlite3      *db,
               gpointer      data,
               GCancellable *cancellable,
               GError      **error)
{
  HeronKnowledgePage *page = data;
  g_autofree char *hash = page_hash (page);
  g_autoptr(sqlite3_stmt) find = NULL;
  gint64 source_id = 0;
  gboolean same = FALSE;
  GPtrArray *result;

  if (!heron_store_begin (db, error))
    return NULL;
  find = heron_store_prepare (db, "SELECT id, content_hash FROM sources "
                                  "WHERE kind = 'web' AND url = ?", error);
  if (find == NULL)
    goto fail;
  sqlite3_bind_text (find, 1, page->url, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (find) == SQLITE_ROW)
    {
      source_id = sqlite3_column_int64 (find, 0);
      same = g_strcmp0 ((const char *) sqlite3_column_text (find, 1), hash) == 0;
    }

  if (source_id == 0)
    {
      g_autoptr(sqlite3_stmt) ins = heron_store_prepare (db,
        "INSERT INTO sources (kind, url, title, site, fetched_at, published_at, content_hash) "
        "VALUES ('web', ?, ?, ?, ?, ?, ?)", error);

      if (ins == NULL)
        goto fail;
      sqlite3_bind_text (ins, 1, page->url, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (ins, 2, page->title, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (ins, 3, page->site, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (ins, 4, page->fetched_at);
      sqlite3_bind_int64 (ins, 5, parse_published (page->published));
      sqlite3_bind_text (ins, 6, hash, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (ins) != SQLITE_DONE)
        {
          heron_store_set_sql_error (error, db, "insert source");
          goto fail;
        }
      source_id = sqlite3_last_insert_rowid (db);
    }
  else
    {
      g_autoptr(sqlite3_stmt) up = heron_store_prepare (db,
        "UPDATE sources SET title = ?, site = ?, fetched_at = ?, published_at = ?, "
        "content_hash = ? WHERE id = ?", error);

      if (up == NULL)
        goto fail;
      sqlite3_bind_text (up, 1, page->title, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (up, 2, page->site, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (up, 3, page->fetched_at);
      sqlite3_bind_int64 (up, 4, parse_published (page->published));
      sqlite3_bind_text (up, 5, hash, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (up, 6, source_id);
      if (sqlite3_step (up) != SQLITE_DONE)
        {
          heron_store_set_sql_error (error, db, "update source");
          goto fail;
        }
    }

  if (!same)
    {
      g_autoptr(sqlite3_stmt) del = heron_store_prepare (db,
        "DELETE FROM chunks WHERE source_id = ?", error);
      g_autoptr(sqlite3_stmt) ins = heron_store_prepare (db,
        "INSERT INTO chunks (source_id, ord, text, n_tokens) VALUES (?, ?, ?, ?)", error);

      if (del == NULL || ins == NULL)
        goto fail;
      sqlite3_bind_int64 (del, 1, source_id);
      if (sqlite3_step (del) != SQLITE_DONE)
        {
          heron_store_set_sql_error (error, db, "delete chunks");
          goto fail;
        }
      for (guint i = 0; i < page->n_chunks; i++)
        {
          sqlite3_reset (ins);
          sqlite3_bind_int64 (ins, 1, source_id);
          sqlite3_bind_int (ins, 2, i);
          sqlite3_bind_text (ins, 3, page->chunk_texts[i], -1, SQLITE_TRANSIENT);
          sqlite3_bind_int (ins, 4, page->chunk_tokens ? page->chunk_tokens[i] : 0);
          if (sqlite3_step (ins) != SQLITE_DONE)
            {
              heron_store_set_sql_error (error, db, "insert chunk");
              goto fail;
            }
        }
    }
  if (!heron_store_commit (db, error))
    goto fail;
  result = load_chunks (db, source_id, error);
  return result;

fail:
  heron_store_rollback (db);
  return NULL;
}

void
heron_knowledge_save_page_async (HeronStore          *store,
                                 HeronKnowledgePage  *page,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  heron_store_run_async (store, save_page_job, page, (GDestroyNotify) heron_knowledge_page_free,
                         (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
heron_knowledge_save_page_finish (HeronStore   *store,
                                  GAsyncResult *result,
                                  GError      **error)
{
  return heron_store_run_finish (store, result, error);
}

char *
heron_knowledge_fts_query (const char * const *terms)
{
  GString *q = g_string_new (NULL);

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      if (g_utf8_strlen (terms[i], -1) < 3)
        continue;
      if (q->len > 0)
        g_string_append (q, " OR ");
      g_string_append_c (q, '"');
      for (const char *p = terms[i]; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (q, '"');
          g_string_append_c (q, *p);
        }
      g_string_append_c (q, '"');
    }
  if (q->len == 0)
    {
      g_string_free (q, TRUE);
      return NULL;
    }
  return g_string_free (q, FALSE);
}

typedef struct
{
  char *query;
  guint limit;
} SearchData;

static void
search_data_free (SearchData *d)
{
  g_free (d->query);
  g_free (d);
}

static gpointer
search_job (sqlite3      *db,
            gpointer      data,
            GCancellable *cancellable,
            GError      **error)
{
  SearchData *d = data;
  g_autoptr(sqlite3_stmt) st = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_knowledge_chunk_free);
  int rc;

  if (d->query == NULL)
    return out;
  st = heron_store_prepare (db,
    "SELECT c.id, c.source_id, c.ord, c.text, c.n_tokens, s.url, s.title, s.site, "
    "s.fetched_at, bm25(chunks_fts) AS r "
    "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
    "JOIN sources s ON s.id = c.source_id "
    "WHERE chunks_fts MATCH ? ORDER BY r LIMIT ?", error);
  if (st == NULL)
    {
      g_ptr_array_unref (out);
      return NULL;
    }
  sqlite3_bind_text (st, 1, d->query, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (st, 2, d->limit);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      HeronKnowledgeChunk *c = g_new0 (HeronKnowledgeChunk, 1);

      c->chunk_id = sqlite3_column_int64 (st, 0);
      c->source_id = sqlite3_column_int64 (st, 1);
      c->ord = sqlite3_column_int (st, 2);
      c->text = g_strdup ((const char *) sqlite3_column_text (st, 3));
      c->n_tokens = sqlite3_column_int (st, 4);
      c->url = g_strdup ((const char *) sqlite3_column_text (st, 5));
      c->title = g_strdup ((const char *) sqlite3_column_text (st, 6));
      c->site = g_strdup ((const char *) sqlite3_column_text (st, 7));
      c->fetched_at = sqlite3_column_int64 (st, 8);
      c->fts_rank = sqlite3_column_double (st, 9);
      g_ptr_array_add (out, c);
    }
  if (rc != SQLITE_DONE)
    {
      heron_store_set_sql_error (error, db, "search knowledge");
      g_ptr_array_unref (out);
      return NULL;
    }
  return out;
}

void
heron_knowledge_search_async (HeronStore          *store,
                              const char * const  *terms,
                              guint                limit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  SearchData *d = g_new0 (SearchData, 1);

  d->query = heron_knowledge_fts_query (terms);
  d->limit = limit ? limit : 50;
  heron_store_run_async (store, search_job, d, (GDestroyNotify) search_data_free,
                         (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
heron_knowledge_search_finish (HeronStore   *store,
                               GAsyncResult *result,
                               GError      **error)
{
  return heron_store_run_finish (store, result, error);
}
