/* test-cli-ask-web.c: `heron-cli ask --web on` end to end against a local search engine and
 * page server on 127.0.0.1: Bing shows its CAPTCHA and is skipped, SearXNG answers, the five
 * pages are read once each, the prompt (HERON_DUMP_PROMPT) holds the matching passages in
 * rank order inside the fenced sources, the sources are printed; once with a tiny generated
 * model (the real engine path) and once with a scripted answer whose citations are checked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "web-test-util.h"

static const char *page_bodies[] = {
  "<p>The Danube passes Vienna and Budapest; the Danube delta is a reserve of birds.</p>",
  "<p>A long barge carries coal from Basel to Rotterdam on the Rhine, every week.</p>",
  "<p>The Danube is about 2850 kilometres long, from the Black Forest to the Black Sea.</p>",
  "<p>Bread needs flour, water, salt and yeast, and a warm place to rise for hours.</p>",
  "<p>Chess openings are studied by players for decades, with books and engines.</p>",
};

static char *base;
static GHashTable *hits;   /* path -> count */

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (hits, path));

  g_hash_table_insert (hits, g_strdup (path), GUINT_TO_POINTER (n + 1));
  if (g_str_has_prefix (path, "/bing/"))
    {
      g_autoptr(GBytes) captcha = web_test_fixture ("bing-captcha.html");

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (captcha, NULL),
                                        g_bytes_get_size (captcha));
    }
  else if (!web_test_serve_search_pages (msg, path, base, page_bodies,
                                         G_N_ELEMENTS (page_bodies)))
    soup_server_message_set_status (msg, 404, NULL);
}

static int
run (const char * const  *args,
     const char          *dump,
     const char          *scripted,
     char               **out,
     char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  g_subprocess_launcher_setenv (launcher, "HERON_DUMP_PROMPT", dump, TRUE);
  if (scripted != NULL)
    g_subprocess_launcher_setenv (launcher, "HERON_TEST_BACKEND", scripted, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "HERON_TEST_BACKEND");
  proc = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  g_subprocess_communicate_utf8_finish (proc, result, out, err, &error);
  g_assert_no_error (error);
  g_test_message ("stdout: %s\nstderr: %s", *out, *err);
  return g_subprocess_get_exit_status (proc);
}

static void
check_prompt_and_hits (const char *dump)
{
  g_autofree char *prompt = NULL;
  const char *p1, *p2, *p3, *fence_end;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (dump, &prompt, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (prompt, "untrusted data"));
  p3 = strstr (prompt, "about 2850 kilometres long");
  p1 = strstr (prompt, "passes Vienna");
  p2 = strstr (prompt, "long barge");
  fence_end = strstr (prompt, "</sources>");
  g_assert_true (p3 && p1 && p2 && fence_end);
  g_assert_true (p3 < p1 && p1 < p2 && p2 < fence_end);
  g_assert_null (strstr (prompt, "flour"));
  g_assert_true (g_str_has_suffix (prompt, "</sources>\n\nQuestion: How long is the Danube?"));

  /* Bing once (blocked), SearXNG once, each page once: the only requests made, all of them
   * to 127.0.0.1 (no other host appears in any URL the CLI was given or found). */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/bing/search")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/searx/search")), ==, 1);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *path = g_strdup_printf ("/page/%u", i);
      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, path)), ==, 1);
    }
  g_assert_cmpuint (g_hash_table_size (hits), ==, 7);
}

static void
test_ask_web (void)
{
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *dir = g_dir_make_tmp ("heron-ask-web-XXXXXX", NULL);
  g_autofree char *model = g_build_filename (dir, "tiny.gguf", NULL);
  g_autofree char *dump = g_build_filename (dir, "prompt.txt", NULL);
  g_autofree char *answer = g_build_filename (dir, "answer.txt", NULL);
  g_autofree char *scripted = g_strconcat ("scripted:", answer, ":0:8", NULL);
  g_autofree char *bing = NULL, *searx = NULL, *data = g_build_filename (dir, "data", NULL);
  g_autofree char *out = NULL, *err = NULL, *expect = NULL;
  const char *make[] = { HERON_MAKE_MODEL_PATH, "-o", model, "--n-ctx", "4096", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) mk = NULL;

  hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server = web_test_server_new (handle, NULL, &base);
  bing = g_strdup_printf ("bing=%s/bing/", base);
  searx = g_strdup_printf ("searxng=%s/searx/", base);

  mk = g_subprocess_newv (make, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (mk, NULL, &error);
  g_assert_no_error (error);

  {
    const char *args[] = { HERON_CLI_PATH, "--data-dir", data, "ask", "--web", "on",
                           "--provider", "bing,searxng", "--base-url", bing, "--base-url", searx,
                           "--allow-private-sources", "-m", model, "--ctx-size", "4096",
                           "-n", "4", "--temp", "0", "How long is the Danube?", NULL };

    g_assert_cmpint (run (args, dump, NULL, &out, &err), ==, 0);
    check_prompt_and_hits (dump);
    g_assert_nonnull (strstr (err, "Searching Bing"));
    g_assert_nonnull (strstr (err, "answered by SearXNG"));
    g_assert_nonnull (strstr (err, "Reading 1 of 5 pages"));
    expect = g_strdup_printf ("Sources:\n[1] Page 3 — %s/page/3 (", base);
    g_assert_nonnull (strstr (out, expect));
    g_clear_pointer (&expect, g_free);
    expect = g_strdup_printf ("[2] Page 1 — %s/page/1 (", base);
    g_assert_nonnull (strstr (out, expect));
    g_assert_nonnull (strstr (out, "Citation check: "));
  }

  /* A scripted answer: one supported citation, one unsupported, one to no source. The pages
   * come from the fetch cache now, so only the search is asked again. */
  g_hash_table_remove_all (hits);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_file_set_contents (answer, "The Danube is about 2850 kilometres long [1]. "
                               "It is made of chocolate and penguins [2]. See [9].", -1, &error);
  g_assert_no_error (error);
  {
    const char *args[] = { HERON_CLI_PATH, "--data-dir", data, "ask", "--web", "on",
                           "--provider", "bing,searxng", "--base-url", bing, "--base-url", searx,
                           "--allow-private-sources", "How long is the Danube?", NULL };

    g_assert_cmpint (run (args, dump, scripted, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "Citation check: 1 supported, 1 unverified, 1 removed\n"));
    g_assert_nonnull (strstr (out, "  [2] unverified: It is made of chocolate and penguins"));
    g_assert_nonnull (strstr (out, "  [9] removed (no such source): See\n"));
  }

  soup_server_disconnect (server);
  g_hash_table_unref (hits);
  g_free (base);
  web_test_remove_store_dir (data);
  g_unlink (model);
  g_unlink (dump);
  g_unlink (answer);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/cli-ask-web/ask", test_ask_web);
  return g_test_run ();
}
