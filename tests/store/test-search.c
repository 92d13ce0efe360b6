/* test-search.c: message search with the FTS5 trigram index and the short-term scan:
 * Chinese queries of 1, 2, 3+ characters, English words, mixed, case, snippets with match
 * offsets, newest first, deleted conversations left out, FTS syntax in the query.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-store.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-search.h"
#include "store-test-util.h"

static char *dir;
static HeronStore *store;
static gint64 conv_a, conv_b;

static const char *const corpus_a[] = {
  "深度学习是机器学习的一个分支。",
  "Herons are long-legged freshwater and coastal birds.",
  "今天天气很好，我们去公园吧。",
  "The grey heron (Ardea cinerea) 是一种常见的鹭。",
};
static const char *const corpus_b[] = {
  "A question about \"quotes\" AND operators OR NOT.",
  "天",
  "Deep learning with PyTorch: 深度网络",
};

/* Reference: which corpus messages contain every term, by a plain substring scan
 * (ASCII case folded), independent of SQLite. */
static guint
reference_count (const char *query)
{
  g_auto(GStrv) terms = g_strsplit_set (query, " ", -1);
  guint n = 0;

  for (guint k = 0; k < 2; k++)
    {
      const char *const *corpus = k == 0 ? corpus_a : corpus_b;
      guint len = k == 0 ? G_N_ELEMENTS (corpus_a) : G_N_ELEMENTS (corpus_b);

      for (guint i = 0; i < len; i++)
        {
          g_autofree char *hay = g_ascii_strdown (corpus[i], -1);
          gboolean all = TRUE;

          for (guint t = 0; terms[t]; t++)
            {
              g_autofree char *needle = g_ascii_strdown (terms[t], -1);
              if (*needle && strstr (hay, needle) == NULL)
                all = FALSE;
            }
          n += all;
        }
    }
  return n;
}

static GPtrArray *
search (const char *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *hits = heron_store_search_sync (store, query, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

static void
check_snippet (HeronSearchHit *hit, const char *term)
{
  g_autofree char *got = g_strndup (hit->snippet + hit->match_start, hit->match_length);

  g_assert_true (g_utf8_validate (hit->snippet, -1, NULL));
  g_assert_cmpint (g_ascii_strcasecmp (got, term), ==, 0);
}

static void
test_queries (void)
{
  const char *queries[] = {
    "天",              /* 1 character: scan */
    "深度",            /* 2 characters: scan */
    "学习是",          /* 3 characters: trigram */
    "机器学习的一个",   /* longer */
    "heron",           /* English */
    "HERONS",          /* case */
    "grey 鹭",         /* mixed: long ASCII term + 1 CJK character */
    "Deep 深度网络",    /* mixed, both indexed */
    "天气 公园",        /* two short CJK terms */
    "nothing-like-this",
    "\"quotes\"",      /* FTS syntax must not leak */
    "AND",
    "OR NOT",
    "a",
  };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(GPtrArray) hits = search (queries[i]);
      g_auto(GStrv) terms = g_strsplit (queries[i], " ", -1);
      const char *longest = terms[0];

      for (guint t = 1; terms[t]; t++)
        if (strlen (terms[t]) > strlen (longest))
          longest = terms[t];
      if (hits->len != reference_count (queries[i]))
        g_error ("query %s: %u hits, reference %u", queries[i], hits->len,
                 reference_count (queries[i]));
      for (guint h = 0; h < hits->len; h++)
        {
          HeronSearchHit *hit = hits->pdata[h];
          check_snippet (hit, longest);
          g_assert_true (hit->conversation_id == conv_a || hit->conversation_id == conv_b);
          if (h > 0)
            g_assert_cmpint (((HeronSearchHit *) hits->pdata[h - 1])->message_id, >,
                             hit->message_id);
        }
    }
}

static void
test_newest_first_and_titles (void)
{
  g_autoptr(GPtrArray) hits = search ("深度");

  g_assert_cmpuint (hits->len, ==, 2);
  /* corpus_b was added after corpus_a. */
  g_assert_cmpint (((HeronSearchHit *) hits->pdata[0])->conversation_id, ==, conv_b);
  g_assert_cmpstr (((HeronSearchHit *) hits->pdata[0])->conversation_title, ==, "B");
  g_assert_cmpint (((HeronSearchHit *) hits->pdata[1])->conversation_id, ==, conv_a);
}

static void
test_empty (void)
{
  g_autoptr(GPtrArray) a = search ("");
  g_autoptr(GPtrArray) b = search ("   ");

  g_assert_cmpuint (a->len, ==, 0);
  g_assert_cmpuint (b->len, ==, 0);
}

static void
test_reasoning_match (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_ASSISTANT, "Final answer.");
  g_autoptr(GPtrArray) hits = NULL;

  heron_message_set_conversation_id (m, conv_b);
  heron_message_set_reasoning (m, "Let me consider the egret first.");
  heron_store_add_message_sync (store, m, NULL, &error);
  g_assert_no_error (error);
  hits = search ("egret");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (((HeronSearchHit *) hits->pdata[0])->in_reasoning);
  check_snippet (hits->pdata[0], "egret");
  heron_store_delete_message_sync (store, heron_message_get_id (m), NULL, &error);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search ("egret");
  g_assert_cmpuint (hits->len, ==, 0);
}

static void
test_deleted_hidden (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;

  heron_store_delete_conversation_sync (store, conv_b, NULL, &error);
  hits = search ("天");
  g_assert_cmpuint (hits->len, ==, 1);   /* only corpus_a[2] */
  g_clear_pointer (&hits, g_ptr_array_unref);
  heron_store_undelete_conversation_sync (store, conv_b, NULL, &error);
  hits = search ("天");
  g_assert_cmpuint (hits->len, ==, 2);
}

static void
test_snippet_window (void)
{
  HeronSearchHit hit = { 0 };
  g_autoptr(GString) long_text = g_string_new ("");

  for (int i = 0; i < 100; i++)
    g_string_append (long_text, "鹭鸟");
  g_string_append (long_text, "NEEDLE\nafter");
  for (int i = 0; i < 100; i++)
    g_string_append (long_text, "天空");
  heron_search_make_snippet (long_text->str, "needle", 5, 10, &hit);
  g_assert_true (g_str_has_prefix (hit.snippet, "…"));
  g_assert_true (g_str_has_suffix (hit.snippet, "…"));
  g_assert_cmpint (strncmp (hit.snippet + hit.match_start, "NEEDLE", 6), ==, 0);
  g_assert_null (strchr (hit.snippet, '\n'));
  g_assert_cmpint (g_utf8_strlen (hit.snippet, -1), ==, 1 + 5 + 6 + 10 + 1);
  g_free (hit.snippet);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) a = NULL, b = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  dir = test_make_tmp_dir ();
  store = heron_store_open_sync (dir, NULL, &error);
  g_assert_no_error (error);
  a = heron_store_create_conversation_sync (store, "A", NULL, NULL, NULL, &error);
  b = heron_store_create_conversation_sync (store, "B", NULL, NULL, NULL, &error);
  conv_a = heron_conversation_get_id (a);
  conv_b = heron_conversation_get_id (b);
  for (guint k = 0; k < 2; k++)
    for (guint i = 0; i < (k ? G_N_ELEMENTS (corpus_b) : G_N_ELEMENTS (corpus_a)); i++)
      {
        g_autoptr(HeronMessage) m = heron_message_new (i % 2 ? HERON_ROLE_ASSISTANT
                                                             : HERON_ROLE_USER,
                                                       k ? corpus_b[i] : corpus_a[i]);
        heron_message_set_conversation_id (m, k ? conv_b : conv_a);
        heron_store_add_message_sync (store, m, NULL, &error);
        g_assert_no_error (error);
        g_usleep (1000);   /* distinct created_at, so newest-first is well defined */
      }

  g_test_add_func ("/heron/store/search/queries", test_queries);
  g_test_add_func ("/heron/store/search/newest-first", test_newest_first_and_titles);
  g_test_add_func ("/heron/store/search/empty", test_empty);
  g_test_add_func ("/heron/store/search/reasoning", test_reasoning_match);
  g_test_add_func ("/heron/store/search/deleted-hidden", test_deleted_hidden);
  g_test_add_func ("/heron/store/search/snippet-window", test_snippet_window);
  status = g_test_run ();
  g_object_unref (store);
  test_rm_rf (dir);
  g_free (dir);
  return status;
}
