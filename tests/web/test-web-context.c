/* test-web-context.c: the web pipeline against a local search engine and page server on
 * 127.0.0.1: the first provider (Bing) answers with a CAPTCHA page and is skipped, SearXNG
 * answers, five pages are fetched, extracted, chunked and stored, the context holds the
 * right passages in rank order with numbered sources; then the same question offline is
 * answered from the knowledge tables. Also the auto-mode decision and the question cleaning.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-knowledge.h"
#include "heron-rank.h"
#include "heron-web-context.h"
#include "web-test-util.h"

/* Page i+1. Question: "How long is the Danube?" -> terms long, danube. Page 3 has both,
 * page 1 has "danube" twice, page 2 "long" once; pages 4 and 5 have neither. */
static const char *page_bodies[] = {
  "<p>The Danube passes Vienna and Budapest; the Danube delta is a reserve of birds.</p>",
  "<p>A long barge carries coal from Basel to Rotterdam on the Rhine, every week.</p>",
  "<p>The Danube is about 2850 kilometres long, from the Black Forest to the Black Sea.</p>",
  "<p>Bread needs flour, water, salt and yeast, and a warm place to rise for hours.</p>",
  "<p>Chess openings are studied by players for decades, with books and engines.</p>",
};

typedef struct
{
  SoupServer *server;
  char       *base;
  GHashTable *hits;      /* path -> count */
  char       *data_dir;
  HeronStore *store;
  GPtrArray  *progress;
} Fixture;

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *fx = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (fx->hits, path));

  g_hash_table_insert (fx->hits, g_strdup (path), GUINT_TO_POINTER (n + 1));
  if (g_str_has_prefix (path, "/bing/"))
    {
      g_autoptr(GBytes) captcha = web_test_fixture ("bing-captcha.html");

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (captcha, NULL),
                                        g_bytes_get_size (captcha));
      return;
    }
  if (g_str_has_prefix (path, "/searx/"))
    {
      GString *json = g_string_new ("{\"query\": \"q\", \"results\": [");
      g_autofree char *body = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (page_bodies); i++)
        g_string_append_printf (json, "%s{\"url\": \"%s/page/%u\", \"title\": \"Page %u\", "
                                "\"content\": \"snippet\"}", i ? ", " : "", fx->base, i + 1,
                                i + 1);
      g_string_append (json, "]}");
      body = g_string_free (json, FALSE);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                        strlen (body));
      return;
    }
  if (g_str_has_prefix (path, "/page/"))
    {
      guint i = atoi (path + strlen ("/page/"));
      g_autofree char *html = NULL;

      if (i < 1 || i > G_N_ELEMENTS (page_bodies))
        {
          soup_server_message_set_status (msg, 404, NULL);
          return;
        }
      html = g_strdup_printf ("<html><head><title>Page %u</title>"
                              "<meta property=\"og:site_name\" content=\"Site %u\"></head>"
                              "<body><nav><a href=\"/\">Home</a></nav><article>%s</article>"
                              "</body></html>", i, i, page_bodies[i - 1]);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        html, strlen (html));
      return;
    }
  soup_server_message_set_status (msg, 404, NULL);
}

static void
fixture_setup (Fixture      *fx,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->server = web_test_server_new (handle, fx, &fx->base);
  fx->data_dir = g_dir_make_tmp ("heron-web-context-XXXXXX", &error);
  g_assert_no_error (error);
  fx->store = heron_store_open_sync (fx->data_dir, NULL, &error);
  g_assert_no_error (error);
  fx->progress = g_ptr_array_new_with_free_func (g_free);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture      *fx,
                  gconstpointer data)
{
  heron_store_close (fx->store);
  g_clear_object (&fx->store);
  remove_tree (fx->data_dir);
  g_free (fx->data_dir);
  soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  g_free (fx->base);
  g_hash_table_unref (fx->hits);
  g_ptr_array_unref (fx->progress);
}

static void
on_progress (const char *message,
             gpointer    user_data)
{
  Fixture *fx = user_data;

  g_ptr_array_add (fx->progress, g_strdup (message));
}

static HeronWebContext *
make_context (Fixture *fx)
{
  const char *ids[] = { "bing", "searxng", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebSearch) chain = heron_web_search_new_for_ids (ids, &error);
  g_autoptr(HeronFetcher) fetcher = heron_fetcher_new (NULL);
  g_autofree char *bing = g_strconcat (fx->base, "/bing/", NULL);
  g_autofree char *searx = g_strconcat (fx->base, "/searx/", NULL);
  HeronWebContext *ctx;

  g_assert_no_error (error);
  heron_search_provider_set_base_url (heron_web_search_get_provider (chain, "bing"), bing);
  heron_search_provider_set_base_url (heron_web_search_get_provider (chain, "searxng"), searx);
  heron_fetcher_set_allow_private (fetcher, TRUE);
  heron_fetcher_set_store (fetcher, fx->store);
  ctx = heron_web_context_new (fx->store, chain, fetcher);
  heron_web_context_set_progress (ctx, on_progress, fx);
  return ctx;
}

static HeronWebContextResult *
build (HeronWebContext *ctx,
       const char      *question,
       HeronWebMode     mode)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  HeronWebContextResult *r;

  heron_web_context_build_async (ctx, question, mode, NULL, web_test_store_result, &res);
  web_test_wait (&res);
  r = heron_web_context_build_finish (ctx, res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static guint
hits (Fixture    *fx,
      const char *prefix)
{
  GHashTableIter it;
  gpointer key, value;
  guint n = 0;

  g_hash_table_iter_init (&it, fx->hits);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (g_str_has_prefix (key, prefix))
      n += GPOINTER_TO_UINT (value);
  return n;
}

static void
test_pipeline (Fixture      *fx,
               gconstpointer data)
{
  g_autoptr(HeronWebContext) ctx = make_context (fx);
  g_autoptr(HeronWebContextResult) r = NULL;
  g_autoptr(HeronWebContextResult) off = NULL;
  g_autofree char *u1 = g_strconcat (fx->base, "/page/1", NULL);
  g_autofree char *u2 = g_strconcat (fx->base, "/page/2", NULL);
  g_autofree char *u3 = g_strconcat (fx->base, "/page/3", NULL);
  const char *p1, *p2, *p3;
  gboolean bing_noted = FALSE;

  r = build (ctx, "<think>search for chess openings</think>How long is the Danube?",
             HERON_WEB_MODE_ON);
  g_assert_true (r->searched);
  g_assert_false (r->offline);
  g_assert_cmpstr (r->provider_id, ==, "searxng");
  /* Reasoning text never reaches the query. */
  g_assert_cmpstr (r->query, ==, "How long is the Danube?");
  for (guint i = 0; i < r->notes->len; i++)
    if (strstr (r->notes->pdata[i], "Bing") != NULL)
      bing_noted = TRUE;
  g_assert_true (bing_noted);

  /* Bing asked once, SearXNG once, every page once; nothing else was contacted (the
   * server is the only host any URL named). */
  g_assert_cmpuint (hits (fx, "/bing/"), ==, 1);
  g_assert_cmpuint (hits (fx, "/searx/"), ==, 1);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("/page/%u", i);
      g_assert_cmpuint (hits (fx, path), ==, 1);
    }

  /* Sources numbered in rank order: page 3, page 1, page 2; 4 and 5 do not match. */
  g_assert_cmpuint (r->sources->len, ==, 3);
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[0])->url, ==, u3);
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[1])->url, ==, u1);
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[2])->url, ==, u2);
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[0])->title, ==, "Page 3");
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[0])->site, ==, "Site 3");
  g_assert_cmpuint (((HeronWebSource *) r->sources->pdata[0])->number, ==, 1);

  /* The context: fenced, numbered, passages in that order, untrusted-data instruction. */
  g_assert_nonnull (r->context);
  g_assert_nonnull (strstr (r->context, "untrusted data"));
  g_assert_nonnull (strstr (r->context, "[1] Page 3"));
  p3 = strstr (r->context, "about 2850 kilometres long");
  p1 = strstr (r->context, "passes Vienna");
  p2 = strstr (r->context, "long barge");
  g_assert_true (p3 != NULL && p1 != NULL && p2 != NULL);
  g_assert_true (p3 < p1 && p1 < p2);
  g_assert_null (strstr (r->context, "flour"));
  g_assert_null (strstr (r->context, "Home"));

  /* Progress: searching, then reading. */
  g_assert_cmpuint (fx->progress->len, >=, 2);
  g_assert_true (g_str_has_prefix (fx->progress->pdata[0], "Searching "));
  g_assert_cmpstr (fx->progress->pdata[1], ==, "Reading 1 of 5 pages…");

  /* Offline: no request at all, the stored passages answer, cited with their fetch date. */
  g_hash_table_remove_all (fx->hits);
  heron_web_context_set_offline (ctx, TRUE);
  off = build (ctx, "How long is the Danube river?", HERON_WEB_MODE_AUTO);
  g_assert_true (off->offline);
  g_assert_false (off->searched);
  g_assert_cmpuint (g_hash_table_size (fx->hits), ==, 0);
  g_assert_cmpuint (off->sources->len, >=, 1);
  g_assert_cmpstr (((HeronWebSource *) off->sources->pdata[0])->url, ==, u3);
  g_assert_true (((HeronWebSource *) off->sources->pdata[0])->from_knowledge);
  g_assert_cmpint (((HeronWebSource *) off->sources->pdata[0])->fetched_at, >, 0);
  g_assert_nonnull (strstr (off->context, "Fetched: "));
  g_assert_nonnull (strstr (off->reason, "Offline"));

  /* Online again, auto mode: the pages read earlier answer this one (no search)... */
  heron_web_context_set_offline (ctx, FALSE);
  {
    g_autoptr(HeronWebContextResult) kb = build (ctx, "Is the Danube long?",
                                                 HERON_WEB_MODE_AUTO);

    g_assert_false (kb->searched);
    g_assert_cmpuint (g_hash_table_size (fx->hits), ==, 0);
    g_assert_cmpstr (kb->reason, ==, "Answered from pages read earlier");
    g_assert_cmpstr (((HeronWebSource *) kb->sources->pdata[0])->url, ==, u3);
  }
  /* ...but not this one: nothing read earlier covers it, so it searches. */
  {
    g_autoptr(HeronWebContextResult) miss = build (ctx, "Which herons nest in Norway?",
                                                   HERON_WEB_MODE_AUTO);

    g_assert_true (miss->searched);
    g_assert_cmpstr (miss->reason, ==,
                     "Searched because pages read earlier do not answer this");
    g_assert_cmpuint (hits (fx, "/searx/"), ==, 1);
  }
}

static void
test_off (Fixture      *fx,
          gconstpointer data)
{
  g_autoptr(HeronWebContext) ctx = make_context (fx);
  g_autoptr(HeronWebContextResult) r = build (ctx, "What is new today?", HERON_WEB_MODE_OFF);

  g_assert_false (r->searched);
  g_assert_null (r->context);
  g_assert_cmpuint (g_hash_table_size (fx->hits), ==, 0);
}

static HeronKnowledgePage *
page_new (const char *url,
          const char *text)
{
  HeronKnowledgePage *p = g_new0 (HeronKnowledgePage, 1);

  p->url = g_strdup (url);
  p->title = g_strdup (url);
  p->fetched_at = 1700000000000;
  p->n_chunks = 1;
  p->chunk_texts = g_new0 (char *, 2);
  p->chunk_texts[0] = g_strdup (text);
  p->chunk_tokens = g_new0 (guint, 1);
  p->chunk_tokens[0] = 10;
  return p;
}

/* A Chinese question finds the Chinese passage through the trigram index; saving the same
 * page again keeps one source and its chunks. */
static void
test_knowledge_cjk (Fixture      *fx,
                    gconstpointer data)
{
  const char *pages[][2] = {
    { "https://a.example/en", "The Yangtze is the longest river in Asia." },
    { "https://b.example/zh", "长江全长约六千三百公里，是中国第一长河。" },
    { "https://c.example/zh", "黄河发源于青藏高原，流经九个省区。" },
  };
  g_auto(GStrv) terms = heron_rank_fts_terms ("长江全长多少公里？");
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        g_autoptr(GAsyncResult) res = NULL;
        g_autoptr(GPtrArray) chunks = NULL;

        heron_knowledge_save_page_async (fx->store, page_new (pages[i][0], pages[i][1]), NULL,
                                         web_test_store_result, &res);
        web_test_wait (&res);
        chunks = heron_knowledge_save_page_finish (fx->store, res, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (chunks->len, ==, 1);
        g_assert_cmpstr (((HeronKnowledgeChunk *) chunks->pdata[0])->text, ==, pages[i][1]);
      }
  {
    g_autoptr(GAsyncResult) res = NULL;

    heron_knowledge_search_async (fx->store, (const char * const *) terms, 10, NULL,
                                  web_test_store_result, &res);
    web_test_wait (&res);
    found = heron_knowledge_search_finish (fx->store, res, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((HeronKnowledgeChunk *) found->pdata[0])->url, ==, "https://b.example/zh");
  g_assert_cmpint (((HeronKnowledgeChunk *) found->pdata[0])->fetched_at, ==, 1700000000000);
}

static void
test_wants_search (void)
{
  const struct { const char *q; gboolean want; } cases[] = {
    { "What is the latest version of GTK?", TRUE },
    { "今天北京天气怎么样", TRUE },
    { "帮我查一下长江的长度", TRUE },
    { "请联网回答", TRUE },
    { "Please search for heron species", TRUE },
    { "Summarise https://example.org/a.html for me", TRUE },
    { "What do you know about herons?", FALSE },
    { "长江有多长？", FALSE },
    { "<think>latest news today</think>Explain recursion.", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *reason = NULL;
      g_autofree char *url = NULL;
      gboolean want = heron_web_context_wants_search (cases[i].q, &reason, &url);

      if (want != cases[i].want)
        g_error ("%s: expected %d", cases[i].q, cases[i].want);
      g_assert_true (want == (reason != NULL));
    }
  {
    g_autofree char *url = NULL;

    g_assert_true (heron_web_context_wants_search ("Read https://example.org/a.html, please",
                                                   NULL, &url));
    g_assert_cmpstr (url, ==, "https://example.org/a.html");
  }
  {
    g_autofree char *c = heron_web_context_clean_question (" <think>a</think> Q <think>b");

    g_assert_cmpstr (c, ==, "Q");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/heron/web/web-context/pipeline", Fixture, NULL, fixture_setup, test_pipeline,
              fixture_teardown);
  g_test_add ("/heron/web/web-context/off", Fixture, NULL, fixture_setup, test_off,
              fixture_teardown);
  g_test_add ("/heron/web/web-context/knowledge-cjk", Fixture, NULL, fixture_setup,
              test_knowledge_cjk, fixture_teardown);
  g_test_add_func ("/heron/web/web-context/wants-search", test_wants_search);
  return g_test_run ();
}
