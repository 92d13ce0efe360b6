/* test-cli-models.c: heron-cli models (list, add, download with --base-url against a
 * SoupServer on 127.0.0.1 in its own thread, a refused checksum, remove), --model forms of
 * generate, and ask with remote:SERVER/MODEL against the same server's SSE endpoint.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "make-model.h"

static const char *heron_cli;
static char *tmp, *home, *data_dir, *model_path;
static char *base;
static GBytes *model_bytes;
static GMutex lock;
static GMainLoop *server_loop;

static const char sse[] =
  "data: {\"choices\":[{\"delta\":{\"content\":\"Remote \"}}]}\n\n"
  ": keep-alive\n\n"
  "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}\n\n"
  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
  "data: [DONE]\n\n";

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer user_data)
{
  (void) server; (void) query; (void) user_data;
  if (g_str_has_suffix (path, ".gguf"))
    {
      gsize len;
      const char *d = g_bytes_get_data (model_bytes, &len);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        d, len);
    }
  else if (strcmp (path, "/v1/chat/completions") == 0)
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/event-stream", SOUP_MEMORY_STATIC, sse,
                                        strlen (sse));
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static gpointer
server_thread (gpointer p)
{
  GMainContext *ctx = g_main_context_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  (void) p;
  g_main_context_push_thread_default (ctx);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handler, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  server_loop = g_main_loop_new (ctx, FALSE);
  g_mutex_lock (&lock);
  base = g_uri_to_string (uris->data);
  g_mutex_unlock (&lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (server_loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (ctx);
  g_main_loop_unref (server_loop);
  g_main_context_unref (ctx);
  return NULL;
}

static int
run (char **out, char **err, const char *first, ...)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = g_strdup_printf ("%sv1", base);
  va_list ap;

  g_subprocess_launcher_setenv (l, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (l, "HERON_REMOTE_BASE_URL", remote, TRUE);
  g_subprocess_launcher_unsetenv (l, "HERON_TEST_BACKEND");
  g_ptr_array_add (argv, (char *) heron_cli);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, data_dir);
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (l, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  g_test_message ("stdout: %s\nstderr: %s", *out, *err);
  return g_subprocess_get_exit_status (p);
}

static void
test_library (void)
{
  g_autofree char *o = NULL, *e = NULL;
  g_autofree char *bad = g_build_filename (tmp, "bad.gguf", NULL);

  g_assert_cmpint (run (&o, &e, "models", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (o, "No models found"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_cmpint (run (&o, &e, "models", "add", model_path, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "Added tiny"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_true (g_file_set_contents (bad, "not a model", -1, NULL));
  g_assert_cmpint (run (&o, &e, "models", "add", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (e, "not a model Heron can read"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_cmpint (run (&o, &e, "models", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (o, "tiny"));
  g_assert_nonnull (strstr (o, "added"));
  g_assert_nonnull (strstr (o, "qwen2"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  /* --model by library name and the remote form refused by generate. */
  g_assert_cmpint (run (&o, &e, "generate", "-m", "tiny", "-p", "hi", "-n", "2", "--seed", "1",
                        NULL), ==, 0);
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);
  g_assert_cmpint (run (&o, &e, "generate", "-m", "remote:ollama/x", "-p", "hi", NULL), ==, 1);
  g_assert_nonnull (strstr (e, "remote model"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_cmpint (run (&o, &e, "models", "remove", "tiny", NULL), ==, 0);
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);
  g_assert_cmpint (run (&o, &e, "models", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (o, "No models found"));
}

static void
test_download (void)
{
  g_autofree char *o = NULL, *e = NULL;
  g_autofree char *dest = g_build_filename (data_dir, "models", "qwen2.5-0.5b-instruct-q4_k_m.gguf",
                                            NULL);
  g_autofree char *refused = g_build_filename (data_dir, "models",
                                               "Llama-3.2-1B-Instruct-Q4_K_M.gguf", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_cmpint (run (&o, &e, "models", "download", "qwen2.5-0.5b-instruct", "--base-url", base,
                        NULL), ==, 0);
  g_assert_nonnull (strstr (e, "Downloading"));
  g_assert_nonnull (strstr (o, "no known checksum"));
  g_assert_true (g_file_get_contents (dest, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, g_bytes_get_size (model_bytes));
  g_assert_true (memcmp (contents, g_bytes_get_data (model_bytes, NULL), len) == 0);
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_cmpint (run (&o, &e, "models", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (o, "qwen2.5-0.5b-instruct-q4_k_m"));
  g_assert_nonnull (strstr (o, "heron"));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  /* A catalog entry with a known SHA-256: our test file does not match it. */
  g_assert_cmpint (run (&o, &e, "models", "download", "llama-3.2-1b-instruct", "--base-url", base,
                        NULL), ==, 1);
  g_assert_nonnull (strstr (e, "damaged"));
  g_assert_false (g_file_test (refused, G_FILE_TEST_EXISTS));
  g_clear_pointer (&o, g_free); g_clear_pointer (&e, g_free);

  g_assert_cmpint (run (&o, &e, "models", "download", "no-such-model", NULL), ==, 2);
}

static void
test_ask_remote (void)
{
  g_autofree char *o = NULL, *e = NULL;

  g_autofree char *db_path = g_build_filename (data_dir, "heron.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  g_assert_cmpint (run (&o, &e, "ask", "-m", "remote:ollama/tiny", "Say hello", NULL), ==, 0);
  g_assert_nonnull (strstr (o, "Remote hello"));
  /* The conversation remembers the model spec. */
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT model FROM conversations", -1, &st, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "remote:ollama/tiny");
  sqlite3_finalize (st);
  sqlite3_close (db);
}

int
main (int argc, char **argv)
{
  HeronTestModelSpec spec;
  char err[256];
  GThread *thread;
  gchar *contents;
  gsize len;
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    return 77;
  heron_cli = argv[1];
  tmp = g_dir_make_tmp ("heron-cli-models-XXXXXX", NULL);
  home = g_build_filename (tmp, "home", NULL);
  data_dir = g_build_filename (tmp, "data", NULL);
  g_mkdir (home, 0700);
  model_path = g_build_filename (tmp, "tiny.gguf", NULL);
  heron_test_model_spec_init (&spec, "qwen2");
  g_assert_cmpint (heron_test_make_model (model_path, &spec, err, sizeof err), ==, 0);
  g_assert_true (g_file_get_contents (model_path, &contents, &len, NULL));
  model_bytes = g_bytes_new_take (contents, len);
  thread = g_thread_new ("server", server_thread, NULL);
  for (gboolean ready = FALSE; !ready; g_usleep (1000))
    {
      g_mutex_lock (&lock);
      ready = base != NULL;
      g_mutex_unlock (&lock);
    }

  g_test_add_func ("/heron/assist/cli-models/library", test_library);
  g_test_add_func ("/heron/assist/cli-models/download", test_download);
  g_test_add_func ("/heron/assist/cli-models/ask-remote", test_ask_remote);
  ret = g_test_run ();

  g_main_loop_quit (server_loop);
  g_thread_join (thread);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmp);
  }
  g_bytes_unref (model_bytes);
  g_free (base);
  g_free (tmp);
  g_free (home);
  g_free (data_dir);
  g_free (model_path);
  return ret;
}
