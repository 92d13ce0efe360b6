/* test-download.c: HeronDownload against a SoupServer on 127.0.0.1 in its own thread: full
 * download, dropped connections (resumed), pause + resume from the sidecar (app restart),
 * a server that ignores Range, a wrong checksum, 404, unknown checksum, no disk space.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "heron-download.h"

#define DATA_SIZE (3 * 1024 * 1024 + 123)
#define DROP_EVERY (700 * 1024)

static guint8     *data;
static char       *data_sha;
static char       *base;
static GMutex      lock;
static GPtrArray  *seen_ranges;     /* "path|Range|If-Range" of every request */

/* ---- server ----------------------------------------------------------------------------- */

typedef struct
{
  GIOStream *io;
  char      *head;
  gsize      from, len;
  gboolean   stall;               /* wait for the client to go away instead of closing */
} Raw;

/* Send a response by hand on a stolen connection: headers promising more than is sent. */
static gpointer
raw_thread (gpointer p)
{
  Raw *r = p;
  GOutputStream *out = g_io_stream_get_output_stream (r->io);
  char buf[256];

  g_output_stream_write_all (out, r->head, strlen (r->head), NULL, NULL, NULL);
  g_output_stream_write_all (out, data + r->from, r->len, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  if (r->stall)
    while (g_input_stream_read (g_io_stream_get_input_stream (r->io), buf, sizeof buf, NULL,
                                NULL) > 0)
      ;
  g_io_stream_close (r->io, NULL, NULL);
  g_object_unref (r->io);
  g_free (r->head);
  g_free (r);
  return NULL;
}

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer user_data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *range = soup_message_headers_get_one (req, "Range");
  const char *if_range = soup_message_headers_get_one (req, "If-Range");
  gsize from = 0;
  gboolean ranged;

  (void) server; (void) query; (void) user_data;
  g_mutex_lock (&lock);
  g_ptr_array_add (seen_ranges, g_strdup_printf ("%s|%s|%s", path, range ? range : "",
                                                 if_range ? if_range : ""));
  g_mutex_unlock (&lock);

  if (g_str_has_prefix (path, "/missing"))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  if (range && g_str_has_prefix (range, "bytes="))
    from = g_ascii_strtoull (range + 6, NULL, 10);
  ranged = range && !g_str_has_prefix (path, "/norange")
           && (if_range == NULL || strcmp (if_range, "\"v1\"") == 0) && from < DATA_SIZE;
  if (!ranged)
    from = 0;

  if (g_str_has_prefix (path, "/drop") || (g_str_has_prefix (path, "/stall") && from == 0))
    {
      Raw *r = g_new0 (Raw, 1);
      gsize rest = DATA_SIZE - from;

      r->from = from;
      r->stall = g_str_has_prefix (path, "/stall");
      r->len = MIN (rest, r->stall ? DATA_SIZE / 2 : DROP_EVERY);
      if (ranged)
        r->head = g_strdup_printf ("HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\n"
                                   "Content-Range: bytes %zu-%d/%d\r\nContent-Length: %zu\r\n"
                                   "Connection: close\r\n\r\n", from, DATA_SIZE - 1, DATA_SIZE,
                                   rest);
      else
        r->head = g_strdup_printf ("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: %d\r\n"
                                   "Connection: close\r\n\r\n", DATA_SIZE);
      r->io = soup_server_message_steal_connection (msg);
      g_thread_unref (g_thread_new ("raw", raw_thread, r));
      return;
    }

  soup_message_headers_replace (resp, "ETag", "\"v1\"");
  /* SoupServer would answer a Range itself from a complete 200 body: this path must not. */
  if (g_str_has_prefix (path, "/norange"))
    soup_message_headers_remove (req, "Range");
  if (ranged && from > 0)
    {
      soup_server_message_set_status (msg, 206, NULL);
      soup_message_headers_set_content_range (resp, from, DATA_SIZE - 1, DATA_SIZE);
    }
  else
    soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                    (const char *) data + from, DATA_SIZE - from);
}

static GMainLoop *server_loop;

static gpointer
server_thread (gpointer p)
{
  GMainContext *ctx = g_main_context_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (ctx);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handler, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_mutex_lock (&lock);
  base = g_uri_to_string (uris->data);
  g_mutex_unlock (&lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  server_loop = g_main_loop_new (ctx, FALSE);
  g_main_loop_run (server_loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (ctx);
  g_main_loop_unref (server_loop);
  g_main_context_unref (ctx);
  return NULL;
}

/* ---- helpers ---------------------------------------------------------------------------- */

typedef struct
{
  gboolean      done;
  gboolean      ok;
  GError       *error;
  guint         n_progress;
  guint64       cancel_after;    /* cancel once this many bytes arrived (0: never) */
  GCancellable *cancel;
} Run;

static void
on_progress (HeronDownload *dl, gpointer p)
{
  Run *r = p;

  r->n_progress++;
  g_assert_cmpuint (heron_download_get_received (dl), <=, DATA_SIZE);
  if (r->cancel_after && heron_download_get_received (dl) >= r->cancel_after)
    g_cancellable_cancel (r->cancel);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer p)
{
  Run *r = p;

  r->ok = heron_download_run_finish (HERON_DOWNLOAD (source), result, &r->error);
  r->done = TRUE;
}

static void
run (HeronDownload *dl, Run *r)
{
  gulong id = g_signal_connect (dl, "progress", G_CALLBACK (on_progress), r);

  heron_download_run_async (dl, r->cancel, on_done, r);
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
  /* Progress emissions queued by the worker. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_signal_handler_disconnect (dl, id);
}

static char *tmpdir;

static char *
url_for (const char *path)
{
  return g_strdup_printf ("%s%s", base, path + 1);   /* base ends with '/' */
}

static void
assert_final (const char *dest)
{
  g_autofree char *contents = NULL;
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *side = g_strconcat (dest, ".part.json", NULL);
  gsize len = 0;

  g_assert_true (g_file_get_contents (dest, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, DATA_SIZE);
  g_assert_true (memcmp (contents, data, DATA_SIZE) == 0);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (side, G_FILE_TEST_EXISTS));
  g_unlink (dest);
}

static guint
count_requests (const char *prefix)
{
  guint n = 0;

  g_mutex_lock (&lock);
  for (guint i = 0; i < seen_ranges->len; i++)
    if (g_str_has_prefix (seen_ranges->pdata[i], prefix))
      n++;
  g_mutex_unlock (&lock);
  return n;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void
test_full (void)
{
  g_autofree char *url = url_for ("/file/a.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "a.gguf", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  Run r = { 0 };

  run (dl, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (heron_download_get_verified (dl));
  g_assert_cmpuint (heron_download_get_received (dl), ==, DATA_SIZE);
  g_assert_cmpuint (heron_download_get_total (dl), ==, DATA_SIZE);
  g_assert_cmpuint (r.n_progress, >=, 1);
  assert_final (dest);
}

static void
test_drop (void)
{
  g_autofree char *url = url_for ("/drop/b.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "b.gguf", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  Run r = { 0 };

  heron_download_set_retries (dl, 20, 1);
  run (dl, &r);
  g_assert_no_error (r.error);
  g_assert_true (heron_download_get_verified (dl));
  /* 3 MiB in pieces of 700 KiB: five requests, each after the first asking for a range. */
  g_assert_cmpuint (heron_download_get_attempts (dl), ==, (DATA_SIZE + DROP_EVERY - 1) / DROP_EVERY);
  g_assert_cmpuint (count_requests ("/drop/b.gguf|bytes="), ==,
                    heron_download_get_attempts (dl) - 1);
  assert_final (dest);
}

static void
test_drop_gives_up (void)
{
  g_autofree char *url = url_for ("/drop/c.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "c.gguf", NULL);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  Run r = { 0 };

  heron_download_set_retries (dl, 1, 1);
  run (dl, &r);
  g_assert_false (r.ok);
  g_assert_nonnull (r.error);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  /* What arrived stays for the next run, which finishes it. */
  g_assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  g_clear_error (&r.error);
  memset (&r, 0, sizeof r);
  heron_download_set_retries (dl, 20, 1);
  run (dl, &r);
  g_assert_no_error (r.error);
  assert_final (dest);
}

static void
test_pause_resume_restart (void)
{
  g_autofree char *url = url_for ("/stall/d.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "d.gguf", NULL);
  g_autofree char *side = g_strconcat (dest, ".part.json", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  g_autoptr(HeronDownload) again = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  Run r = { 0 };

  r.cancel = g_cancellable_new ();
  r.cancel_after = 1;
  run (dl, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  g_clear_object (&r.cancel);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (side, G_FILE_TEST_EXISTS));
  g_clear_object (&dl);

  /* "Restart": find it from the sidecar and resume. */
  pending = heron_download_list_pending (tmpdir);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (heron_download_get_dest (pending->pdata[0]), ==, dest);
  again = heron_download_new_from_sidecar (side, &error);
  g_assert_no_error (error);
  memset (&r, 0, sizeof r);
  run (again, &r);
  g_assert_no_error (r.error);
  g_assert_true (heron_download_get_verified (again));
  g_assert_cmpuint (heron_download_get_attempts (again), ==, 1);
  /* The second request asked for the rest, with the ETag as If-Range. */
  g_assert_cmpuint (count_requests ("/stall/d.gguf|bytes="), ==, 1);
  g_assert_cmpuint (count_requests ("/stall/d.gguf|bytes=0-"), ==, 0);
  g_mutex_lock (&lock);
  g_assert_true (g_str_has_suffix (seen_ranges->pdata[seen_ranges->len - 1], "-|\"v1\""));
  g_mutex_unlock (&lock);
  assert_final (dest);
}

static void
test_no_range (void)
{
  g_autofree char *url = url_for ("/norange/e.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "e.gguf", NULL);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *side = g_strconcat (dest, ".part.json", NULL);
  g_autofree char *json = g_strdup_printf ("{\"url\":\"%s\",\"size\":%d,\"sha256\":\"%s\","
                                           "\"etag\":\"\\\"v1\\\"\"}", url, DATA_SIZE, data_sha);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  Run r = { 0 };

  /* A previous part with garbage: the server ignores Range, so it must be replaced. */
  g_assert_true (g_file_set_contents (part, "garbage that is not the file", -1, NULL));
  g_assert_true (g_file_set_contents (side, json, -1, NULL));
  run (dl, &r);
  g_assert_no_error (r.error);
  g_assert_cmpuint (count_requests ("/norange/e.gguf|bytes=28-|\"v1\""), ==, 1);
  assert_final (dest);
}

static void
test_wrong_checksum (void)
{
  g_autofree char *url = url_for ("/file/f.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "f.gguf", NULL);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *side = g_strconcat (dest, ".part.json", NULL);
  g_autoptr(HeronDownload) dl = NULL;
  g_autofree char *wrong = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "other", -1);
  Run r = { 0 };

  dl = heron_download_new (url, dest, DATA_SIZE, wrong);
  run (dl, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (r.error->message, data_sha));
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (side, G_FILE_TEST_EXISTS));
  g_clear_error (&r.error);
}

static void
test_not_found (void)
{
  g_autofree char *url = url_for ("/missing/g.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "g.gguf", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, DATA_SIZE, data_sha);
  Run r = { 0 };

  run (dl, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (r.error->message, "404"));
  g_assert_cmpuint (heron_download_get_attempts (dl), ==, 1);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_clear_error (&r.error);
}

static void
test_unknown_checksum (void)
{
  g_autofree char *url = url_for ("/file/h.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "h.gguf", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, 0, NULL);
  Run r = { 0 };

  run (dl, &r);
  g_assert_no_error (r.error);
  g_assert_false (heron_download_get_verified (dl));
  g_assert_cmpuint (heron_download_get_total (dl), ==, DATA_SIZE);
  assert_final (dest);
}

static void
test_no_space (void)
{
  g_autofree char *url = url_for ("/file/i.gguf");
  g_autofree char *dest = g_build_filename (tmpdir, "i.gguf", NULL);
  g_autoptr(HeronDownload) dl = heron_download_new (url, dest, G_MAXUINT64 / 4, NULL);
  Run r = { 0 };

  run (dl, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (count_requests ("/file/i.gguf"), ==, 0);
  g_clear_error (&r.error);
}

static void
test_catalog (void)
{
  const char *want[] = { "qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct", "qwen2.5-3b-instruct",
                         "qwen2.5-7b-instruct", "deepseek-r1-distill-qwen-1.5b",
                         "deepseek-r1-distill-qwen-7b", "llama-3.2-1b-instruct",
                         "llama-3.2-3b-instruct" };
  g_autofree char *dir = g_build_filename (tmpdir, "models", NULL);
  g_autoptr(HeronDownload) dl = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const HeronCatalogEntry *e = heron_download_catalog_lookup (want[i]);

      g_assert_nonnull (e);
      g_assert_true (g_str_has_prefix (e->url, "https://huggingface.co/"));
      g_assert_true (g_str_has_suffix (e->url, e->file));
      g_assert_nonnull (strstr (e->file, "Q4_K_M") ? e->file : strstr (e->file, "q4_k_m"));
      g_assert_cmpuint (e->approx_size, >, 100000000);
      if (e->sha256)
        {
          /* A known checksum belongs to one upload: the URL must name its commit. */
          const char *rev = strstr (e->url, "/resolve/") + strlen ("/resolve/");
          g_assert_cmpuint (strlen (e->sha256), ==, 64);
          g_assert_cmpuint (strspn (e->sha256, "0123456789abcdef"), ==, 64);
          g_assert_cmpuint (strspn (rev, "0123456789abcdef"), ==, 40);
        }
    }
  g_assert_null (heron_download_catalog_lookup ("nope"));
  dl = heron_download_new_for_entry (heron_download_catalog_lookup ("llama-3.2-1b-instruct"),
                                     dir, "http://127.0.0.1:1/");
  g_assert_true (g_str_has_prefix (heron_download_get_url (dl),
                                   "http://127.0.0.1:1/bartowski/Llama-3.2-1B-Instruct-GGUF/"));
  g_assert_true (g_str_has_suffix (heron_download_get_dest (dl),
                                   "/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf"));
}

int
main (int argc, char **argv)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  GThread *thread;
  int ret;

  g_test_init (&argc, &argv, NULL);
  data = g_malloc (DATA_SIZE);
  for (gsize i = 0; i < DATA_SIZE; i++)
    data[i] = g_rand_int (rand) & 0xff;
  data_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, DATA_SIZE);
  seen_ranges = g_ptr_array_new_with_free_func (g_free);
  tmpdir = g_dir_make_tmp ("heron-download-XXXXXX", NULL);
  thread = g_thread_new ("server", server_thread, NULL);
  for (;;)
    {
      gboolean ready;
      g_mutex_lock (&lock);
      ready = base != NULL;
      g_mutex_unlock (&lock);
      if (ready)
        break;
      g_usleep (1000);
    }

  g_test_add_func ("/heron/assist/download/catalog", test_catalog);
  g_test_add_func ("/heron/assist/download/full", test_full);
  g_test_add_func ("/heron/assist/download/drop", test_drop);
  g_test_add_func ("/heron/assist/download/drop-gives-up", test_drop_gives_up);
  g_test_add_func ("/heron/assist/download/pause-resume-restart", test_pause_resume_restart);
  g_test_add_func ("/heron/assist/download/no-range", test_no_range);
  g_test_add_func ("/heron/assist/download/wrong-checksum", test_wrong_checksum);
  g_test_add_func ("/heron/assist/download/not-found", test_not_found);
  g_test_add_func ("/heron/assist/download/unknown-checksum", test_unknown_checksum);
  g_test_add_func ("/heron/assist/download/no-space", test_no_space);
  ret = g_test_run ();

  g_main_loop_quit (server_loop);
  g_thread_join (thread);
  g_free (data);
  g_free (data_sha);
  g_free (base);
  g_ptr_array_unref (seen_ranges);
  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (tmpdir, n, NULL);
        g_unlink (p);
      }
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return ret;
}
