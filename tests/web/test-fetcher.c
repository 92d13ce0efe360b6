/* test-fetcher.c: the page fetcher against a local server that misbehaves on purpose: a page
 * that stalls, one that never ends, a 100 MB body, a gzip bomb, invalid UTF-8, redirect loops,
 * GBK and Big5 pages, PDFs and images, 4-at-once concurrency, private-address refusal, the
 * offline state, and the cache with ETag / Last-Modified revalidation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-fetcher.h"
#include "heron-web-cache.h"
#include "heron-web-session.h"
#include "web-test-util.h"

#define CHUNK (64 * 1024)
#define HUGE_SIZE (100 * 1024 * 1024)
#define BOMB_SIZE ((gsize) 256 * 1024 * 1024)   /* 256 MiB of zeros: about 1.1 MB gzipped */

static const char zeros[CHUNK];
static const char page_html[] =
  "<!DOCTYPE html><html><head><title>A page</title></head><body><p>Hello from Heron's test "
  "server.</p></body></html>";
/* GB18030/GBK and Big5 texts are made from these at test time. */
static const char zh_text[] = "北京今天天气晴，最高气温二十五度。大语言模型的量化。";
static const char zh_hant_text[] = "臺灣的天氣預報：今天晴時多雲。";

static GBytes *gzip_bomb;   /* BOMB_SIZE zeros, gzipped once per run */

typedef struct
{
  SoupServer *server;
  char       *base;
  GHashTable *hits;          /* path -> count */
  guint       conditional;   /* requests with If-None-Match / If-Modified-Since */
  GPtrArray  *held;          /* paused /slow messages */
  gboolean    hold;
  guint       in_flight;     /* /slow requests not finished */
  guint       max_in_flight;
  GPtrArray  *stalled;
  char       *accept_encoding;
} Fixture;

static char *
url (Fixture    *fx,
     const char *path)
{
  return g_strconcat (fx->base, path, NULL);
}

static GBytes *
make_compressed (GZlibCompressorFormat  format,
                 const void            *data,
                 gsize                  len,
                 gsize                  repeat)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (format, 1);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  char buf[CHUNK];
  gsize left = repeat;

  for (;;)
    {
      gsize read = 0, written = 0;
      GConverterResult r;
      g_autoptr(GError) error = NULL;
      gboolean last = left == 0;

      r = g_converter_convert (G_CONVERTER (z), last ? NULL : data, last ? 0 : len, buf,
                               sizeof buf, last ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                               &read, &written, &error);
      g_assert_no_error (error);
      g_byte_array_append (out, (const guint8 *) buf, written);
      if (r == G_CONVERTER_FINISHED)
        break;
      if (!last && read == len)
        left--;
      else if (!last)
        g_assert_cmpuint (read, ==, 0);   /* output full: go round again */
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

typedef struct
{
  gsize sent;
  gsize total;   /* 0: never ends */
} Stream;

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  Stream *st = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (st->total != 0 && st->sent >= st->total)
    {
      soup_message_body_complete (body);
      return;
    }
  soup_message_body_append (body, SOUP_MEMORY_STATIC, zeros, CHUNK);
  st->sent += CHUNK;
}

/* A body generated chunk by chunk as the client reads it: nothing big is ever allocated. */
static void
serve_stream (SoupServerMessage *msg,
              gsize              total)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  Stream *st = g_new0 (Stream, 1);

  st->total = total;
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (headers, "text/html", NULL);
  if (total > 0)
    soup_message_headers_set_content_length (headers, total);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (body, FALSE);
  g_object_set_data_full (G_OBJECT (msg), "stream", st, g_free);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), st);
  on_wrote_chunk (msg, st);
}

static void
serve (SoupServerMessage *msg,
       guint              status,
       const char        *content_type,
       const void        *data,
       gsize              len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, data, len);
}

static void
serve_converted (SoupServerMessage *msg,
                 const char        *content_type,
                 const char        *utf8,
                 const char        *charset)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *bytes = g_convert (utf8, -1, charset, "UTF-8", NULL, &len, &error);

  g_assert_no_error (error);
  serve (msg, 200, content_type, bytes, len);
}

static void
on_slow_finished (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Fixture *fx = user_data;

  fx->in_flight--;
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *fx = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (fx->hits, path));

  g_hash_table_replace (fx->hits, g_strdup (path), GUINT_TO_POINTER (n + 1));
  g_assert_cmpstr (soup_message_headers_get_one (req, "User-Agent"), ==, heron_web_user_agent ());
  if (soup_message_headers_get_one (req, "If-None-Match") != NULL ||
      soup_message_headers_get_one (req, "If-Modified-Since") != NULL)
    fx->conditional++;

  if (g_str_equal (path, "/page") || g_str_has_prefix (path, "/page-"))
    {
      g_free (fx->accept_encoding);
      fx->accept_encoding = g_strdup (soup_message_headers_get_one (req, "Accept-Encoding"));
      serve (msg, 200, "text/html; charset=utf-8", page_html, strlen (page_html));
    }
  else if (g_str_equal (path, "/stall"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (fx->stalled, g_object_ref (msg));
    }
  else if (g_str_equal (path, "/endless"))
    serve_stream (msg, 0);
  else if (g_str_equal (path, "/huge"))
    serve_stream (msg, HUGE_SIZE);
  else if (g_str_equal (path, "/invalid-utf8"))
    {
      static const char bad[] = "<p>caf\xe9 \xff\xfe ok \xe4\xb8</p>";
      serve (msg, 200, "text/html; charset=utf-8", bad, sizeof bad - 1);
    }
  else if (g_str_equal (path, "/gzip-bomb") || g_str_equal (path, "/gzip-page") ||
           g_str_equal (path, "/deflate-page"))
    {
      g_autoptr(GBytes) small = NULL;
      GBytes *data = gzip_bomb;
      gboolean deflate = g_str_equal (path, "/deflate-page");

      if (!g_str_equal (path, "/gzip-bomb"))
        data = small = make_compressed (deflate ? G_ZLIB_COMPRESSOR_FORMAT_ZLIB :
                                        G_ZLIB_COMPRESSOR_FORMAT_GZIP,
                                        page_html, strlen (page_html), 1);
      soup_message_headers_replace (resp, "Content-Encoding", deflate ? "deflate" : "gzip");
      serve (msg, 200, "text/html; charset=utf-8", g_bytes_get_data (data, NULL),
             g_bytes_get_size (data));
    }
  else if (g_str_equal (path, "/loop-a") || g_str_equal (path, "/loop-b"))
    {
      soup_server_message_set_redirect (msg, 302, g_str_equal (path, "/loop-a") ? "/loop-b" :
                                                  "/loop-a");
    }
  else if (g_str_has_prefix (path, "/hop/"))
    {
      g_autofree char *next = g_strdup_printf ("/hop/%d", atoi (path + 5) + 1);
      soup_server_message_set_redirect (msg, 301, next);
    }
  else if (g_str_equal (path, "/moved"))
    soup_server_message_set_redirect (msg, 301, "/page-moved");
  else if (g_str_equal (path, "/gbk-noheader"))
    {
      g_autofree char *html = g_strdup_printf ("<html><body><p>%s</p></body></html>", zh_text);
      serve_converted (msg, "text/html", html, "GBK");
    }
  else if (g_str_equal (path, "/gbk-meta"))
    {
      g_autofree char *html = g_strdup_printf ("<html><head><meta http-equiv=\"Content-Type\" "
                                               "content=\"text/html; charset=gb2312\"></head>"
                                               "<body><p>%s</p></body></html>", zh_text);
      serve_converted (msg, "text/html", html, "GBK");
    }
  else if (g_str_equal (path, "/big5"))
    {
      g_autofree char *html = g_strdup_printf ("<html><body><p>%s</p></body></html>",
                                               zh_hant_text);
      serve_converted (msg, "text/html; charset=big5", html, "BIG5");
    }
  else if (g_str_equal (path, "/doc.pdf"))
    {
      static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
      serve (msg, 200, "application/pdf", pdf, sizeof pdf - 1);
    }
  else if (g_str_equal (path, "/image.png"))
    serve (msg, 200, "image/png", "\x89PNG\r\n\x1a\n", 8);
  else if (g_str_equal (path, "/missing"))
    serve (msg, 404, "text/html", "gone", 4);
  else if (g_str_equal (path, "/slow"))
    {
      fx->in_flight++;
      fx->max_in_flight = MAX (fx->max_in_flight, fx->in_flight);
      g_signal_connect (msg, "finished", G_CALLBACK (on_slow_finished), fx);
      serve (msg, 200, "text/plain; charset=utf-8", "slow", 4);
      if (fx->hold)
        {
          soup_server_message_pause (msg);
          g_ptr_array_add (fx->held, g_object_ref (msg));
        }
    }
  else if (g_str_equal (path, "/etag"))
    {
      if (g_strcmp0 (soup_message_headers_get_one (req, "If-None-Match"), "\"v1\"") == 0)
        soup_server_message_set_status (msg, 304, NULL);
      else
        serve (msg, 200, "text/html; charset=utf-8", page_html, strlen (page_html));
      soup_message_headers_replace (resp, "ETag", "\"v1\"");
    }
  else if (g_str_equal (path, "/lastmod"))
    {
      const char *date = "Wed, 21 Oct 2015 07:28:00 GMT";
      if (g_strcmp0 (soup_message_headers_get_one (req, "If-Modified-Since"), date) == 0)
        soup_server_message_set_status (msg, 304, NULL);
      else
        serve (msg, 200, "text/plain; charset=utf-8", zh_text, strlen (zh_text));
      soup_message_headers_replace (resp, "Last-Modified", date);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->held = g_ptr_array_new_with_free_func (g_object_unref);
  fx->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  fx->server = web_test_server_new (handle, fx, &fx->base);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  for (guint i = 0; i < fx->stalled->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fx->stalled, i));
  g_clear_pointer (&fx->stalled, g_ptr_array_unref);
  g_clear_pointer (&fx->held, g_ptr_array_unref);
  soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  g_clear_pointer (&fx->hits, g_hash_table_unref);
  g_free (fx->base);
  g_free (fx->accept_encoding);
}

static guint
hits (Fixture    *fx,
      const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fx->hits, path));
}

static HeronFetcher *
new_fetcher (void)
{
  /* A session of its own per test, so the offline test cannot leak into others. */
  g_autoptr(HeronWebSession) session = heron_web_session_new ();
  HeronFetcher *fetcher = heron_fetcher_new (session);

  heron_fetcher_set_allow_private (fetcher, TRUE);
  return fetcher;
}

static HeronFetchResult *
fetch (HeronFetcher     *fetcher,
       const char       *address,
       HeronFetchFlags   flags,
       GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  heron_fetcher_fetch_async (fetcher, address, flags, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  return heron_fetcher_fetch_finish (fetcher, result, error);
}

static void
expect_fetch_error (HeronFetcher *fetcher,
                    const char   *address,
                    int           code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) result = fetch (fetcher, address, HERON_FETCH_FLAGS_NONE, &error);

  g_assert_null (result);
  g_assert_error (error, HERON_WEB_ERROR, code);
  g_test_message ("%s: %s", address, error->message);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void
test_page (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/page");
  g_autofree char *moved = url (fx, "/moved");
  g_autofree char *gz = url (fx, "/gzip-page");
  g_autofree char *deflate = url (fx, "/deflate-page");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = fetch (fetcher, address, 0, &error);
  g_autoptr(HeronFetchResult) m = NULL;
  g_autoptr(HeronFetchResult) z = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (r->kind, ==, HERON_FETCH_KIND_HTML);
  g_assert_cmpstr (r->content_type, ==, "text/html");
  g_assert_cmpstr (r->charset, ==, "UTF-8");
  g_assert_cmpstr (r->text, ==, page_html);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_false (r->from_cache);
  /* libsoup's content decoder is on. (Debian's libsoup 3.2 links libbrotlidec but offers
   * "br" only over https, so plain-http test servers never see it.) */
  g_test_message ("Accept-Encoding: %s", fx->accept_encoding);
  g_assert_nonnull (strstr (fx->accept_encoding, "gzip"));
  g_assert_nonnull (strstr (fx->accept_encoding, "deflate"));

  m = fetch (fetcher, moved, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_redirects, ==, 1);
  g_assert_true (g_str_has_suffix (m->final_url, "/page-moved"));
  g_assert_cmpstr (m->text, ==, page_html);

  z = fetch (fetcher, gz, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (z->text, ==, page_html);
  g_clear_pointer (&z, heron_fetch_result_free);
  z = fetch (fetcher, deflate, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (z->text, ==, page_html);
}

static void
test_stall (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/stall");

  heron_fetcher_set_timeout (fetcher, 400);
  expect_fetch_error (fetcher, address, HERON_WEB_ERROR_TIMEOUT);
}

static void
test_endless (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/endless");

  expect_fetch_error (fetcher, address, HERON_WEB_ERROR_TOO_LARGE);
}

static void
test_huge (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/huge");
  gint64 start = g_get_monotonic_time ();

  expect_fetch_error (fetcher, address, HERON_WEB_ERROR_TOO_LARGE);
  g_test_message ("100 MB body refused after %.0f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
}

static void
test_gzip_bomb (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/gzip-bomb");
  gint64 start = g_get_monotonic_time ();

  g_test_message ("gzip bomb: %zu bytes on the wire, %zu decoded", g_bytes_get_size (gzip_bomb),
                  BOMB_SIZE);
  /* The cap counts decoded bytes: the compressed body is far below it. */
  g_assert_cmpuint (g_bytes_get_size (gzip_bomb), <, HERON_WEB_DEFAULT_MAX_BYTES);
  expect_fetch_error (fetcher, address, HERON_WEB_ERROR_TOO_LARGE);
  g_test_message ("gzip bomb refused after %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
}

static void
test_invalid_utf8 (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *address = url (fx, "/invalid-utf8");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = fetch (fetcher, address, 0, &error);

  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (r->text, -1, NULL));
  g_assert_cmpstr (r->text, ==, "<p>caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok "
                   "\xef\xbf\xbd\xef\xbf\xbd</p>");
}

static void
test_redirects (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *loop = url (fx, "/loop-a");
  g_autofree char *hops = url (fx, "/hop/0");

  expect_fetch_error (fetcher, loop, HERON_WEB_ERROR_REDIRECT_LOOP);
  expect_fetch_error (fetcher, hops, HERON_WEB_ERROR_TOO_MANY_REDIRECTS);
  /* 1 request + 5 redirects followed, the 6th refused. */
  g_assert_cmpuint (hits (fx, "/hop/5"), ==, 1);
  g_assert_cmpuint (hits (fx, "/hop/6"), ==, 0);
}

static void
test_charsets (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  const struct { const char *path; const char *text; const char *charset; } cases[] = {
    { "/gbk-noheader", zh_text, "GB18030" },
    { "/gbk-meta", zh_text, "GB18030" },
    { "/big5", zh_hant_text, "BIG5-HKSCS" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *address = url (fx, cases[i].path);
      g_autoptr(GError) error = NULL;
      g_autoptr(HeronFetchResult) r = fetch (fetcher, address, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (r->charset, ==, cases[i].charset);
      g_assert_nonnull (strstr (r->text, cases[i].text));
    }
}

static void
test_types (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *pdf = url (fx, "/doc.pdf");
  g_autofree char *png = url (fx, "/image.png");
  g_autofree char *missing = url (fx, "/missing");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = fetch (fetcher, pdf, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (r->kind, ==, HERON_FETCH_KIND_PDF);
  g_assert_null (r->text);
  g_assert_nonnull (r->skip_reason);
  g_assert_cmpmem (g_bytes_get_data (r->body, NULL), 5, "%PDF-", 5);

  expect_fetch_error (fetcher, png, HERON_WEB_ERROR_UNSUPPORTED_TYPE);
  expect_fetch_error (fetcher, missing, HERON_WEB_ERROR_HTTP);
  expect_fetch_error (fetcher, "ftp://example.org/file", HERON_WEB_ERROR_UNSUPPORTED_SCHEME);
  expect_fetch_error (fetcher, "file:///etc/passwd", HERON_WEB_ERROR_UNSUPPORTED_SCHEME);
  expect_fetch_error (fetcher, "not a url", HERON_WEB_ERROR_INVALID_URL);
}

typedef struct
{
  guint  done;
  guint  ok;
} Counter;

static void
on_counted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Counter *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = heron_fetcher_fetch_finish (HERON_FETCHER (source), result,
                                                              &error);
  c->done++;
  if (r != NULL && g_str_equal (r->text, "slow"))
    c->ok++;
}

static void
test_concurrency (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  Counter counter = { 0 };

  fx->hold = TRUE;
  for (guint i = 0; i < 8; i++)
    {
      /* Distinct URLs (same path) so nothing could be merged. */
      g_autofree char *address = g_strdup_printf ("%s/slow?n=%u", fx->base, i);
      heron_fetcher_fetch_async (fetcher, address, HERON_FETCH_FLAGS_NONE, NULL, on_counted,
                                 &counter);
    }
  g_assert_cmpuint (heron_fetcher_get_n_active (fetcher), ==, 4);
  g_assert_cmpuint (heron_fetcher_get_n_queued (fetcher), ==, 4);
  while (fx->held->len < 4)
    g_main_context_iteration (NULL, TRUE);
  /* Give a fifth request every chance to arrive: it must not. */
  web_test_spin (200);
  g_assert_cmpuint (fx->held->len, ==, 4);
  g_assert_cmpuint (heron_fetcher_get_n_queued (fetcher), ==, 4);

  fx->hold = FALSE;
  for (guint i = 0; i < fx->held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fx->held, i));
  while (counter.done < 8)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counter.ok, ==, 8);
  g_assert_cmpuint (fx->max_in_flight, <=, 4);
  g_assert_cmpuint (heron_fetcher_get_n_active (fetcher), ==, 0);
}

typedef struct
{
  const char *path;
  int         code;   /* -1: success */
  GError     *error;
  HeronFetchResult *result;
  gboolean    done;
} BatchItem;

static void
on_batch (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  BatchItem *item = user_data;

  item->result = heron_fetcher_fetch_finish (HERON_FETCHER (source), result, &item->error);
  item->done = TRUE;
}

static void
test_batch (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  BatchItem items[] = {
    { "/stall", HERON_WEB_ERROR_TIMEOUT }, { "/page-1", -1 },
    { "/endless", HERON_WEB_ERROR_TOO_LARGE }, { "/huge", HERON_WEB_ERROR_TOO_LARGE },
    { "/gzip-bomb", HERON_WEB_ERROR_TOO_LARGE }, { "/gbk-noheader", -1 },
    { "/loop-a", HERON_WEB_ERROR_REDIRECT_LOOP }, { "/invalid-utf8", -1 }, { "/page-2", -1 },
  };
  gboolean all;

  heron_fetcher_set_timeout (fetcher, 1500);
  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autofree char *address = url (fx, items[i].path);
      heron_fetcher_fetch_async (fetcher, address, 0, NULL, on_batch, &items[i]);
    }
  do
    {
      g_main_context_iteration (NULL, TRUE);
      all = TRUE;
      for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
        all = all && items[i].done;
    }
  while (!all);

  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    {
      if (items[i].code < 0)
        {
          g_assert_no_error (items[i].error);
          g_assert_nonnull (items[i].result->text);
        }
      else
        g_assert_error (items[i].error, HERON_WEB_ERROR, items[i].code);
      g_clear_error (&items[i].error);
      g_clear_pointer (&items[i].result, heron_fetch_result_free);
    }
}

static void
test_private (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSession) session = heron_web_session_new ();
  g_autoptr(HeronFetcher) strict = heron_fetcher_new (session);
  g_autofree char *address = url (fx, "/page");
  g_autofree char *by_name = g_strdup_printf ("http://localhost:%s/page",
                                              strrchr (fx->base, ':') + 1);
  g_autofree char *mapped = g_strdup_printf ("http://[::ffff:127.0.0.1]:%s/page",
                                             strrchr (fx->base, ':') + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = NULL;
  const char *private[] = { "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                            "100.64.0.1", "127.0.0.1", "0.0.0.0", "::1", "fe80::1", "fd12::1",
                            "::ffff:10.0.0.1", "64:ff9b::a00:1", "224.0.0.1" };
  const char *public[] = { "8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8" };

  for (gsize i = 0; i < G_N_ELEMENTS (private); i++)
    {
      g_autoptr(GInetAddress) a = g_inet_address_new_from_string (private[i]);
      g_assert_true (heron_web_address_is_private (a));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (public); i++)
    {
      g_autoptr(GInetAddress) a = g_inet_address_new_from_string (public[i]);
      g_assert_false (heron_web_address_is_private (a));
    }

  /* From search results: refused, and the server never sees the request. */
  r = fetch (strict, address, HERON_FETCH_FLAGS_FROM_SEARCH, &error);
  g_assert_null (r);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSAFE_ADDRESS);
  g_clear_error (&error);
  r = fetch (strict, by_name, HERON_FETCH_FLAGS_FROM_SEARCH, &error);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSAFE_ADDRESS);
  g_clear_error (&error);
  r = fetch (strict, mapped, HERON_FETCH_FLAGS_FROM_SEARCH, &error);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSAFE_ADDRESS);
  g_clear_error (&error);
  g_assert_cmpuint (hits (fx, "/page"), ==, 0);

  /* A name that is not obviously local but resolves to 127.0.0.1 (here: this machine's host
   * name, when /etc/hosts says so) is caught on the connected socket. */
  {
    g_autoptr(GList) addresses = g_resolver_lookup_by_name (g_resolver_get_default (),
                                                            g_get_host_name (), NULL, NULL);
    gboolean all_local = addresses != NULL;

    for (GList *l = addresses; l != NULL; l = l->next)
      {
        g_autofree char *text = g_inet_address_to_string (l->data);
        all_local = all_local && g_str_equal (text, "127.0.0.1");
      }
    g_list_free_full (g_steal_pointer (&addresses), g_object_unref);
    if (all_local)
      {
        g_autofree char *named = g_strdup_printf ("http://%s:%s/page", g_get_host_name (),
                                                  strrchr (fx->base, ':') + 1);
        r = fetch (strict, named, HERON_FETCH_FLAGS_FROM_SEARCH, &error);
        g_assert_null (r);
        g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSAFE_ADDRESS);
        g_assert_nonnull (strstr (error->message, "127.0.0.1"));
        g_clear_error (&error);
        g_assert_cmpuint (hits (fx, "/page"), ==, 0);
      }
    else
      g_test_message ("host name %s does not resolve to 127.0.0.1 only: peer check not run",
                      g_get_host_name ());
  }

  /* Typed by the user: allowed. */
  r = fetch (strict, address, HERON_FETCH_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->text, ==, page_html);
}

static void
test_offline (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSession) session = heron_web_session_new ();
  g_autoptr(HeronFetcher) fetcher = heron_fetcher_new (session);
  g_autofree char *local = url (fx, "/page");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronFetchResult) r = NULL;

  heron_web_session_set_offline (session, TRUE);
  /* TEST-NET-1 documentation address: never contacted. */
  r = fetch (fetcher, "http://192.0.2.1/page", 0, &error);
  g_assert_null (r);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_OFFLINE);
  g_clear_error (&error);
  r = fetch (fetcher, local, 0, &error);
  g_assert_no_error (error);
  heron_web_session_set_offline (session, FALSE);
}

static void
test_cache (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("heron-fetch-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  g_autoptr(HeronFetcher) fetcher = new_fetcher ();
  g_autofree char *etag = url (fx, "/etag");
  g_autofree char *lastmod = url (fx, "/lastmod");
  const char *paths[] = { etag, lastmod };

  g_assert_no_error (error);
  heron_fetcher_set_store (fetcher, store);

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      const char *path = strrchr (paths[i], '/');
      g_autoptr(HeronFetchResult) first = NULL;
      g_autoptr(HeronFetchResult) cached = NULL;
      g_autoptr(HeronFetchResult) revalidated = NULL;
      guint conditional = fx->conditional;

      heron_fetcher_set_page_ttl (fetcher, 24 * 3600 * 1000);
      first = fetch (fetcher, paths[i], 0, &error);
      g_assert_no_error (error);
      g_assert_false (first->from_cache);
      cached = fetch (fetcher, paths[i], 0, &error);
      g_assert_no_error (error);
      g_assert_true (cached->from_cache);
      g_assert_cmpstr (cached->text, ==, first->text);
      g_assert_cmpuint (hits (fx, path), ==, 1);

      /* Make the stored copy stale: the next fetch asks "changed since?" and gets 304. */
      {
        g_autofree char *key = g_strconcat ("page:", paths[i], NULL);
        g_autoptr(HeronWebCacheEntry) entry = heron_web_cache_entry_new (key, "page");
        g_autoptr(GAsyncResult) res = NULL;

        entry->url = g_strdup (paths[i]);
        entry->status = 200;
        entry->etag = i == 0 ? g_strdup ("\"v1\"") : NULL;
        entry->last_modified = i == 1 ? g_strdup ("Wed, 21 Oct 2015 07:28:00 GMT") : NULL;
        entry->content_type = g_strdup (i == 0 ? "text/html; charset=utf-8" :
                                        "text/plain; charset=utf-8");
        g_bytes_unref (entry->body);
        entry->body = g_bytes_ref (first->body);
        entry->fetched_at = 1;
        entry->expires_at = 2;
        heron_web_cache_store_async (store, entry, NULL, web_test_store_result, &res);
        web_test_wait (&res);
        g_assert_true (heron_web_cache_store_finish (store, res, &error));
        g_assert_no_error (error);
      }
      revalidated = fetch (fetcher, paths[i], 0, &error);
      g_assert_no_error (error);
      g_assert_true (revalidated->revalidated);
      g_assert_false (revalidated->from_cache);
      g_assert_cmpstr (revalidated->text, ==, first->text);
      g_assert_cmpuint (fx->conditional, ==, conditional + 1);
      g_assert_cmpuint (hits (fx, path), ==, 2);

      /* The 304 pushed the expiry forward: served from the cache again. */
      {
        g_autoptr(HeronFetchResult) again = fetch (fetcher, paths[i], 0, &error);
        g_assert_no_error (error);
        g_assert_true (again->from_cache);
        g_assert_cmpuint (hits (fx, path), ==, 2);
      }
      /* NO_CACHE always asks the server. */
      {
        g_autoptr(HeronFetchResult) fresh = fetch (fetcher, paths[i], HERON_FETCH_FLAGS_NO_CACHE,
                                                   &error);
        g_assert_no_error (error);
        g_assert_false (fresh->from_cache);
        g_assert_cmpuint (hits (fx, path), ==, 3);
      }
    }
  heron_store_close (store);
  g_clear_object (&store);
  web_test_remove_store_dir (dir);
}

int
main (int argc, char **argv)
{
  gint64 start;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  start = g_get_monotonic_time ();
  gzip_bomb = make_compressed (G_ZLIB_COMPRESSOR_FORMAT_GZIP, zeros, CHUNK, BOMB_SIZE / CHUNK);
  g_test_message ("gzip bomb generated in %.0f ms", (g_get_monotonic_time () - start) / 1000.0);

#define ADD(path, func) \
  g_test_add ("/heron/web/fetcher/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("page", test_page);
  ADD ("stall", test_stall);
  ADD ("endless", test_endless);
  ADD ("huge", test_huge);
  ADD ("gzip-bomb", test_gzip_bomb);
  ADD ("invalid-utf8", test_invalid_utf8);
  ADD ("redirects", test_redirects);
  ADD ("charsets", test_charsets);
  ADD ("types", test_types);
  ADD ("concurrency", test_concurrency);
  ADD ("batch", test_batch);
  ADD ("private", test_private);
  ADD ("offline", test_offline);
  ADD ("cache", test_cache);
#undef ADD
  {
    int status = g_test_run ();
    g_bytes_unref (gzip_bomb);
    return status;
  }
}
