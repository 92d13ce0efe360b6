/* test-fetcher-tls.c: the fetcher over https against a local SoupServer with a certificate
 * made for the run: Brotli-encoded pages (libsoup offers "br" only over https) are decoded,
 * the decoded-size cap holds for them too, and an untrusted certificate is a clear error.
 *
 * The Brotli bodies are written here by hand as "uncompressed meta-blocks" (RFC 7932, 9.2),
 * so the decoder under test (libsoup's, over libbrotlidec) is checked against an encoder
 * that shares no code with it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-fetcher.h"
#include "heron-web-session.h"
#include "web-test-util.h"

static const char page_html[] =
  "<html><head><title>Brotli</title></head><body><p>Compressed with Brotli, "
  "压缩后的网页。</p></body></html>";

typedef struct
{
  char       *dir;
  char       *cert_path;
  SoupServer *server;
  char       *base;
  char       *accept_encoding;
} Fixture;

/* Brotli stream of DATA made of uncompressed meta-blocks of at most BLOCK bytes. Bits are
 * packed from the least significant end. Header of the first block: WBITS=16 ("0"), ISLAST=0,
 * MNIBBLES=4 ("00"), MLEN-1 in 16 bits, ISUNCOMPRESSED=1, then zero bits up to the byte
 * boundary; later blocks have no WBITS bit. The stream ends with ISLAST=1, ISLASTEMPTY=1. */
static GBytes *
brotli_stored (const char *data,
               gsize       len,
               gsize       block)
{
  GByteArray *out = g_byte_array_new ();
  gboolean first = TRUE;

  g_assert_cmpuint (block, >=, 1);
  g_assert_cmpuint (block, <=, 65536);
  while (len > 0)
    {
      gsize n = MIN (len, block);
      guint32 bits = 0;
      guint at = 0;
      guint8 header[3];

      if (first)
        at++;                                    /* WBITS = 16 */
      at++;                                      /* ISLAST = 0 */
      at += 2;                                   /* MNIBBLES: 4 */
      bits |= (guint32) (n - 1) << at;
      at += 16;
      bits |= 1u << at;                          /* ISUNCOMPRESSED */
      at++;
      g_assert_cmpuint (at, <=, 24);
      for (guint i = 0; i < 3; i++)
        header[i] = (bits >> (8 * i)) & 0xff;
      g_byte_array_append (out, header, 3);
      g_byte_array_append (out, (const guint8 *) data, n);
      data += n;
      len -= n;
      first = FALSE;
    }
  {
    /* An empty stream still needs its WBITS bit before the last, empty meta-block. */
    guint8 last = first ? 0x06 : 0x03;
    g_byte_array_append (out, &last, 1);
  }
  return g_byte_array_free_to_bytes (out);
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
  g_autoptr(GBytes) body = NULL;

  g_free (fx->accept_encoding);
  fx->accept_encoding = g_strdup (soup_message_headers_get_one (req, "Accept-Encoding"));
  if (g_str_equal (path, "/br-page"))
    body = brotli_stored (page_html, strlen (page_html), 7);   /* many small blocks */
  else if (g_str_equal (path, "/br-large"))
    {
      /* 6 MiB decoded: over the 5 MiB default cap, however it was compressed. */
      gsize n = 6 * 1024 * 1024;
      g_autofree char *text = g_malloc (n);

      memset (text, 'a', n);
      body = brotli_stored (text, n, 65536);
    }
  else if (g_str_equal (path, "/plain"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        page_html, strlen (page_html));
      return;
    }
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (resp, "Content-Encoding", "br");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* A self-signed certificate for 127.0.0.1 made with openssl; FALSE (test skipped) without
 * openssl. */
static gboolean
make_certificate (Fixture *fx)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *key = g_build_filename (fx->dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = {
    openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", key, "-out", fx->cert_path, NULL,
  };

  if (openssl == NULL)
    return FALSE;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL |
                G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autofree char *key = NULL;
  GSList *uris;

  fx->dir = g_dir_make_tmp ("heron-tls-XXXXXX", &error);
  g_assert_no_error (error);
  fx->cert_path = g_build_filename (fx->dir, "cert.pem", NULL);
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()) || !make_certificate (fx))
    return;
  key = g_build_filename (fx->dir, "key.pem", NULL);
  cert = g_tls_certificate_new_from_files (fx->cert_path, key, &error);
  g_assert_no_error (error);
  fx->server = soup_server_new ("tls-certificate", cert, NULL);
  soup_server_add_handler (fx->server, NULL, handle, fx, NULL);
  soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY |
                            SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fx->server);
  fx->base = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *key = g_build_filename (fx->dir, "key.pem", NULL);

  if (fx->server != NULL)
    soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  g_remove (key);
  g_remove (fx->cert_path);
  g_rmdir (fx->dir);
  g_free (fx->cert_path);
  g_free (fx->dir);
  g_free (fx->base);
  g_free (fx->accept_encoding);
}

/* A fetcher whose session trusts this run's certificate, and nothing else, when TRUSTED. */
static HeronFetcher *
new_fetcher (Fixture  *fx,
             gboolean  trusted)
{
  g_autoptr(HeronWebSession) session = heron_web_session_new ();
  HeronFetcher *fetcher = heron_fetcher_new (session);

  if (trusted)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) db = g_tls_file_database_new (fx->cert_path, &error);

      g_assert_no_error (error);
      g_object_set (heron_web_session_get_soup_session (session), "tls-database", db, NULL);
    }
  heron_fetcher_set_allow_private (fetcher, TRUE);
  return fetcher;
}

static HeronFetchResult *
fetch (HeronFetcher  *fetcher,
       const char    *address,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  heron_fetcher_fetch_async (fetcher, address, HERON_FETCH_FLAGS_NONE, NULL,
                             web_test_store_result, &result);
  web_test_wait (&result);
  return heron_fetcher_fetch_finish (fetcher, result, error);
}

/* Fetch PATH from the test server, the certificate trusted or not; NULL with *SKIPPED set
 * when the machine cannot run https tests. */
static HeronFetchResult *
fetch_path (Fixture     *fx,
            gboolean     trusted,
            const char  *path,
            gboolean    *skipped,
            GError     **error)
{
  g_autoptr(HeronFetcher) fetcher = NULL;
  g_autofree char *address = NULL;

  *skipped = fx->server == NULL;
  if (*skipped)
    {
      g_test_skip ("no TLS backend or no openssl to make a certificate");
      return NULL;
    }
  fetcher = new_fetcher (fx, trusted);
  address = g_strconcat (fx->base, path, NULL);
  return fetch (fetcher, address, error);
}

static void
test_encoder (Fixture *fx, gconstpointer data)
{
  g_autoptr(GBytes) empty = brotli_stored ("", 0, 10);
  g_autoptr(GBytes) one = brotli_stored ("A", 1, 10);
  const guint8 *b;

  /* Bytes worked out by hand from RFC 7932 for "A": header bits 0,0,00, MLEN-1=0, 1. */
  b = g_bytes_get_data (one, NULL);
  g_assert_cmpuint (g_bytes_get_size (one), ==, 5);
  g_assert_cmpuint (b[0], ==, 0x00);
  g_assert_cmpuint (b[1], ==, 0x00);
  g_assert_cmpuint (b[2], ==, 0x10);
  g_assert_cmpuint (b[3], ==, 'A');
  g_assert_cmpuint (b[4], ==, 0x03);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 1);
}

static void
test_brotli_page (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean skipped;
  g_autoptr(HeronFetchResult) r = fetch_path (fx, TRUE, "/br-page", &skipped, &error);

  if (skipped)
    return;
  g_assert_no_error (error);
  g_test_message ("Accept-Encoding over https: %s", fx->accept_encoding);
  g_assert_nonnull (strstr (fx->accept_encoding, "br"));
  g_assert_cmpint (r->kind, ==, HERON_FETCH_KIND_HTML);
  g_assert_cmpstr (r->text, ==, page_html);
}

static void
test_brotli_cap (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean skipped;
  g_autoptr(HeronFetchResult) r = fetch_path (fx, TRUE, "/br-large", &skipped, &error);

  if (skipped)
    return;
  g_assert_null (r);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
}

static void
test_untrusted (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gboolean skipped;
  g_autoptr(HeronFetchResult) r = fetch_path (fx, FALSE, "/plain", &skipped, &error);

  if (skipped)
    return;
  g_assert_null (r);
  g_assert_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_NETWORK);
  g_test_message ("%s", error->message);
  /* The message names the page, so the user knows which source failed. */
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

int
main (int argc, char **argv)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/heron/web/fetcher-tls/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)
  ADD ("brotli-encoder", test_encoder);
  ADD ("brotli-page", test_brotli_page);
  ADD ("brotli-cap", test_brotli_cap);
  ADD ("untrusted-certificate", test_untrusted);
#undef ADD
  return g_test_run ();
}
