/* heron-search.c: message search. Terms of 3+ characters go through the FTS5 trigram
 * index; shorter ones (a trigram index cannot match them, and LIKE on the FTS table returns
 * nothing for short non-ASCII patterns: PITFALLS.md) are checked with instr() on the
 * content table, ANDed with the indexed terms. An answer still streaming is not searched
 * (it is indexed when it ends; after a crash, when it is marked interrupted).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-search.h"

void
heron_search_hit_free (HeronSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->conversation_title);
  g_free (hit->snippet);
  g_free (hit);
}

/* Byte offset of NEEDLE in HAYSTACK, ignoring ASCII case (both UTF-8), or -1. */
static gssize
find_ascii_nocase (const char *haystack, const char *needle)
{
  g_autofree char *h = g_ascii_strdown (haystack, -1);
  g_autofree char *n = g_ascii_strdown (needle, -1);
  const char *at = strstr (h, n);

  return at ? at - h : -1;
}

void
heron_search_make_snippet (const char *text, const char *term, guint before, guint after,
                           HeronSearchHit *hit)
{
  gssize at = term && *term ? find_ascii_nocase (text, term) : -1;
  GString *s = g_string_new ("");
  const char *start, *end;
  gsize term_len = at >= 0 ? strlen (term) : 0;

  if (at < 0)
    at = 0;
  start = text + at;
  for (guint i = 0; i < before && start > text; i++)
    start = g_utf8_prev_char (start);
  end = text + at + term_len;
  for (guint i = 0; i < after && *end; i++)
    end = g_utf8_next_char (end);

  if (start > text)
    g_string_append (s, "…");
  hit->match_start = s->len + (text + at - start);
  hit->match_length = term_len;
  g_string_append_len (s, start, end - start);
  if (*end)
    g_string_append (s, "…");
  /* Newlines would break a one-line result row. */
  for (gsize i = 0; i < s->len; i++)
    if (s->str[i] == '\n' || s->str[i] == '\r' || s->str[i] == '\t')
      s->str[i] = ' ';
  g_free (hit->snippet);
  hit->snippet = g_string_free (s, FALSE);
}

typedef struct
{
  char  *query;
  guint  limit;
} SearchArgs;

static void
search_args_free (gpointer data)
{
  SearchArgs *a = data;

  g_free (a->query);
  g_free (a);
}

static gpointer
search_job (sqlite3 *db, gpointer data, GCancellable *cancellable, GError **error)
{
  SearchArgs *a = data;
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                               heron_search_hit_free);
  g_auto(GStrv) terms = NULL;
  g_autoptr(GString) match = g_string_new ("");
  g_autoptr(GString) sql = g_string_new ("");
  g_autoptr(GPtrArray) short_terms = g_ptr_array_new ();
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *longest = NULL;
  int rc, param = 1;

  if (a->query == NULL || !g_utf8_validate (a->query, -1, NULL))
    return g_steal_pointer (&hits);
  terms = g_strsplit_set (a->query, " \t\r\n", -1);
  for (guint i = 0; terms[i]; i++)
    {
      if (*terms[i] == '\0')
        continue;
      if (longest == NULL || strlen (terms[i]) > strlen (longest))
        longest = terms[i];
      if (g_utf8_strlen (terms[i], -1) >= 3)
        {
          /* Each term is one FTS5 string: quotes doubled, so no query syntax leaks in. */
          g_autofree char *quoted = NULL;
          g_auto(GStrv) parts = g_strsplit (terms[i], "\"", -1);

          quoted = g_strjoinv ("\"\"", parts);
          g_string_append_printf (match, "%s\"%s\"", match->len ? " AND " : "", quoted);
        }
      else
        g_ptr_array_add (short_terms, terms[i]);
    }
  if (longest == NULL)
    return g_steal_pointer (&hits);

  g_string_append (sql, "SELECT m.id, m.conversation_id, c.title, m.created_at, m.content, "
                        "m.reasoning FROM messages m "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE c.deleted_at IS NULL AND m.state != 'streaming'");
  if (match->len)
    g_string_append (sql, " AND m.id IN (SELECT rowid FROM messages_fts "
                          "WHERE messages_fts MATCH ?1)");
  for (guint i = 0; i < short_terms->len; i++)
    g_string_append_printf (sql, " AND (instr(lower(m.content), lower(?%d)) > 0 OR "
                                 "instr(lower(coalesce(m.reasoning, '')), lower(?%d)) > 0)",
                            i + 2, i + 2);
  g_string_append_printf (sql, " ORDER BY m.created_at DESC, m.id DESC LIMIT %u",
                          a->limit ? a->limit : 100);

  stmt = heron_store_prepare (db, sql->str, error);
  if (stmt == NULL)
    return NULL;
  if (match->len)
    sqlite3_bind_text (stmt, param, match->str, -1, SQLITE_TRANSIENT);
  for (guint i = 0; i < short_terms->len; i++)
    sqlite3_bind_text (stmt, i + 2, short_terms->pdata[i], -1, SQLITE_TRANSIENT);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HeronSearchHit *hit = g_new0 (HeronSearchHit, 1);
      const char *content = (const char *) sqlite3_column_text (stmt, 4);
      const char *reasoning = (const char *) sqlite3_column_text (stmt, 5);

      hit->message_id = sqlite3_column_int64 (stmt, 0);
      hit->conversation_id = sqlite3_column_int64 (stmt, 1);
      hit->conversation_title = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      hit->created_at = sqlite3_column_int64 (stmt, 3);
      if (find_ascii_nocase (content ? content : "", longest) < 0 && reasoning &&
          find_ascii_nocase (reasoning, longest) >= 0)
        {
          hit->in_reasoning = TRUE;
          heron_search_make_snippet (reasoning, longest, 30, 90, hit);
        }
      else
        heron_search_make_snippet (content ? content : "", longest, 30, 90, hit);
      g_ptr_array_add (hits, hit);
    }
  if (rc != SQLITE_DONE)
    return GINT_TO_POINTER (heron_store_set_sql_error (error, db, "search"));
  return g_steal_pointer (&hits);
}

void
heron_store_search_async (HeronStore *store, const char *query, guint limit,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  SearchArgs *a = g_new0 (SearchArgs, 1);

  a->query = g_strdup (query);
  a->limit = limit;
  heron_store_run_async (store, search_job, a, search_args_free,
                         (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
heron_store_search_finish (HeronStore *store, GAsyncResult *result, GError **error)
{
  return heron_store_run_finish (store, result, error);
}

GPtrArray *
heron_store_search_sync (HeronStore *store, const char *query, guint limit,
                         GCancellable *cancellable, GError **error)
{
  SearchArgs a = { (char *) query, limit };

  return heron_store_run_sync (store, search_job, &a, cancellable, error);
}
