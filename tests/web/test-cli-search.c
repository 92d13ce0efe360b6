/* test-cli-search.c: `heron-cli search` end to end against a local DuckDuckGo that shows its
 * anti-bot page and a local Bing that answers: the chain moves on, the output says who
 * answered and who was skipped, and a second run is served from the cache in --data-dir.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "web-test-util.h"

static guint n_bing;

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  g_autoptr(GBytes) body = NULL;

  if (g_str_has_prefix (path, "/ddg/"))
    body = web_test_fixture ("ddg-anomaly.html");
  else if (g_str_has_prefix (path, "/bing/"))
    {
      n_bing++;
      body = web_test_fixture ("bing-results-en.html");
    }
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static int
run_cli (const char * const  *args,
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
  proc = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);
  /* Async, so this thread's main context keeps serving the CLI's requests. */
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  g_subprocess_communicate_utf8_finish (proc, result, out, err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", *err);
  return g_subprocess_get_exit_status (proc);
}

static void
test_cli_search (void)
{
  g_autofree char *base = NULL;
  g_autoptr(SoupServer) server = web_test_server_new (handle, NULL, &base);
  g_autofree char *dir = g_dir_make_tmp ("heron-cli-XXXXXX", NULL);
  g_autofree char *ddg = g_strdup_printf ("duckduckgo=%s/ddg", base);
  g_autofree char *bing = g_strdup_printf ("bing=%s/bing", base);
  const char *json_args[] = { HERON_CLI_PATH, "--data-dir", dir, "search", "--provider",
                              "duckduckgo,bing", "--base-url", ddg, "--base-url", bing, "--json",
                              "libsoup", "decoder", NULL };
  const char *text_args[] = { HERON_CLI_PATH, "--data-dir", dir, "search", "-p",
                              "duckduckgo,bing", "--base-url", ddg, "--base-url", bing,
                              "--no-cache", "--max", "2", "libsoup decoder", NULL };
  const char *bad_args[] = { HERON_CLI_PATH, "search", "--provider", "altavista", "x", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *results;
  JsonObject *skip;

  g_assert_cmpint (run_cli (json_args, &out, &err), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "query"), ==, "libsoup decoder");
  g_assert_cmpstr (json_object_get_string_member (root, "provider"), ==, "bing");
  g_assert_false (json_object_get_boolean_member (root, "from_cache"));
  skip = json_array_get_object_element (json_object_get_array_member (root, "skipped"), 0);
  g_assert_cmpstr (json_object_get_string_member (skip, "provider"), ==, "duckduckgo");
  g_assert_cmpstr (json_object_get_string_member (skip, "reason"), ==, "blocked");
  results = json_object_get_array_member (root, "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 0),
                                                  "url"), ==,
                   "https://libsoup.gnome.org/libsoup-3.0/class.ContentDecoder.html");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Same query again: from the cache in --data-dir, Bing is not asked. */
  g_assert_cmpint (run_cli (json_args, &out, &err), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (root, "from_cache"));
  g_assert_cmpuint (n_bing, ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (text_args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out,
                            " 1. Soup.ContentDecoder - libsoup 3.0\n"
                            "    https://libsoup.gnome.org/libsoup-3.0/class.ContentDecoder.html\n"));
  g_assert_nonnull (strstr (out, " 2. GNOME / libsoup"));
  g_assert_null (strstr (out, " 3. "));
  g_assert_nonnull (strstr (err, "answered by Bing"));
  g_assert_nonnull (strstr (err, "skipped (blocked): DuckDuckGo"));
  g_assert_cmpuint (n_bing, ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (bad_args, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "altavista"));

  web_test_remove_store_dir (dir);
  soup_server_disconnect (server);
}

int
main (int argc, char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/cli/search", test_cli_search);
  return g_test_run ();
}
