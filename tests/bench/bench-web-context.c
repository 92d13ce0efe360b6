/* bench-web-context.c: time from question to ready context (search, fetch 5 pages,
 * extract, chunk, store, rank, format) against a local search engine and page server on
 * 127.0.0.1, with realistic pages (about 30 KiB of markup each). Prints the median and the
 * worst of several runs. Target: under 1.5 s for 5 pages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-web-context.h"
#include "web-test-util.h"

#define N_PAGES 5
#define N_RUNS  10

static char *base;
static char *pages[N_PAGES];

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  if (g_str_has_prefix (path, "/searx/"))
    {
      GString *json = g_string_new ("{\"query\": \"q\", \"results\": [");
      g_autofree char *body = NULL;

      for (guint i = 0; i < N_PAGES; i++)
        g_string_append_printf (json, "%s{\"url\": \"%s/page/%u\", \"title\": \"Page %u\", "
                                "\"content\": \"x\"}", i ? ", " : "", base, i + 1, i + 1);
      g_string_append (json, "]}");
      body = g_string_free (json, FALSE);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                        strlen (body));
    }
  else if (g_str_has_prefix (path, "/page/"))
    {
      guint i = atoi (path + strlen ("/page/"));

      if (i < 1 || i > N_PAGES)
        {
          soup_server_message_set_status (msg, 404, NULL);
          return;
        }
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        pages[i - 1], strlen (pages[i - 1]));
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static char *
make_page (guint n)
{
  GString *s = g_string_new ("<html><head><title>River facts</title></head><body><nav>");

  for (guint i = 0; i < 60; i++)
    g_string_append_printf (s, "<a href=\"/s%u\">Section %u</a> ", i, i);
  g_string_append (s, "</nav><div class=\"content\"><article>");
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (s, "<p>Paragraph %u of page %u: the Danube, the Rhine and the "
                            "Elbe carry barges, grain and coal across Europe, and their "
                            "basins hold millions of people, farms, cities and wetlands; "
                            "their lengths are 2850, 1230 and 1094 kilometres.</p>", i, n);
  g_string_append (s, "</article></div><footer>");
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (s, "<a href=\"/f%u\">Footer link %u</a> ", i, i);
  g_string_append (s, "</footer></body></html>");
  return g_string_free (s, FALSE);
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *dir = g_dir_make_tmp ("heron-bench-web-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = NULL;
  double times[N_RUNS];

  for (guint i = 0; i < N_PAGES; i++)
    pages[i] = make_page (i + 1);
  server = web_test_server_new (handle, NULL, &base);
  store = heron_store_open_sync (dir, NULL, &error);
  g_assert_no_error (error);

  for (guint run = 0; run < N_RUNS; run++)
    {
      const char *ids[] = { "searxng", NULL };
      g_autoptr(HeronWebSearch) chain = heron_web_search_new_for_ids (ids, NULL);
      g_autoptr(HeronFetcher) fetcher = heron_fetcher_new (NULL);
      g_autoptr(HeronWebContext) ctx = NULL;
      g_autoptr(HeronWebContextResult) r = NULL;
      g_autoptr(GAsyncResult) res = NULL;
      g_autofree char *searx = g_strconcat (base, "/searx/", NULL);
      g_autofree char *q = g_strdup_printf ("How long is the Danube? (run %u)", run);
      gint64 t0;

      heron_search_provider_set_base_url (heron_web_search_get_provider (chain, "searxng"),
                                          searx);
      heron_fetcher_set_allow_private (fetcher, TRUE);
      ctx = heron_web_context_new (store, chain, fetcher);
      t0 = g_get_monotonic_time ();
      heron_web_context_build_async (ctx, q, HERON_WEB_MODE_ON, NULL, web_test_store_result,
                                     &res);
      web_test_wait (&res);
      r = heron_web_context_build_finish (ctx, res, &error);
      g_assert_no_error (error);
      times[run] = (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_cmpuint (r->sources->len, >, 0);
    }
  qsort (times, N_RUNS, sizeof *times, cmp_double);
  g_print ("web context, %u pages of %zu KiB from 127.0.0.1: median %.1f ms, worst %.1f ms "
           "(target < 1500 ms)\n", N_PAGES, strlen (pages[0]) / 1024, times[N_RUNS / 2],
           times[N_RUNS - 1]);

  heron_store_close (store);
  web_test_remove_store_dir (dir);
  for (guint i = 0; i < N_PAGES; i++)
    g_free (pages[i]);
  g_free (base);
  return 0;
}
