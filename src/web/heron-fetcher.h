/* heron-fetcher.h: read web pages for the answer pipeline.
 *
 * One shared HeronWebSession; at most 4 pages in flight (more wait in a queue); each page
 * within a deadline (8 s) and a decoded-size cap (5 MiB) enforced while reading; redirects
 * capped and loops detected; text converted to UTF-8 from the header's or the page's charset
 * (GBK/GB18030, Big5, ...) or a guess; PDFs flagged and handed back as bytes; only http(s);
 * URLs from search results never reach loopback/private/link-local addresses. Pages are
 * cached in the store's web_cache (1 day) and revalidated with ETag / Last-Modified.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-store.h"
#include "heron-web-session.h"

G_BEGIN_DECLS

typedef enum
{
  HERON_FETCH_FLAGS_NONE        = 0,
  /* The URL came from search results (or a page): refuse private addresses. */
  HERON_FETCH_FLAGS_FROM_SEARCH = 1 << 0,
  /* Neither read nor write the cache. */
  HERON_FETCH_FLAGS_NO_CACHE    = 1 << 1,
} HeronFetchFlags;

typedef enum
{
  HERON_FETCH_KIND_HTML,
  HERON_FETCH_KIND_TEXT,
  HERON_FETCH_KIND_PDF,
} HeronFetchKind;

typedef struct
{
  char          *url;           /* as asked */
  char          *final_url;     /* after redirects */
  guint          status;
  char          *content_type;  /* MIME type without parameters, e.g. "text/html" */
  HeronFetchKind kind;
  char          *charset;       /* iconv name used for TEXT/HTML, NULL for PDF */
  char          *text;          /* valid UTF-8 for HTML/TEXT, NULL for PDF */
  GBytes        *body;          /* the bytes as received (decoded from gzip/br) */
  gint64         fetched_at;    /* unix ms when the content was last confirmed */
  gboolean       from_cache;    /* served from web_cache without a request */
  gboolean       revalidated;   /* the server answered 304 to a conditional request */
  guint          n_redirects;
  char          *skip_reason;   /* non-NULL: the page cannot be used, and why (e.g. PDF without
                                 * a documents parser); BODY is still there */
} HeronFetchResult;

void heron_fetch_result_free (HeronFetchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronFetchResult, heron_fetch_result_free)

#define HERON_TYPE_FETCHER (heron_fetcher_get_type ())
G_DECLARE_FINAL_TYPE (HeronFetcher, heron_fetcher, HERON, FETCHER, GObject)

/* SESSION NULL: the default session. */
HeronFetcher *heron_fetcher_new (HeronWebSession *session);

void  heron_fetcher_set_store         (HeronFetcher *self,
                                       HeronStore   *store);
void  heron_fetcher_set_max_parallel  (HeronFetcher *self,
                                       guint         n);       /* default 4 */
void  heron_fetcher_set_timeout       (HeronFetcher *self,
                                       guint         timeout_ms); /* default 8000 */
void  heron_fetcher_set_max_bytes     (HeronFetcher *self,
                                       gsize         max_bytes); /* default 5 MiB */
void  heron_fetcher_set_max_redirects (HeronFetcher *self,
                                       guint         n);       /* default 5 */
void  heron_fetcher_set_page_ttl      (HeronFetcher *self,
                                       gint64        ttl_ms);  /* default 1 day */
/* Let FROM_SEARCH URLs reach private addresses (tests with servers on 127.0.0.1). */
void  heron_fetcher_set_allow_private (HeronFetcher *self,
                                       gboolean      allow);
/* Whether PDFs can be used (the documents parser is linked in); otherwise PDF results carry a
 * skip_reason. Default FALSE. */
void  heron_fetcher_set_pdf_supported (HeronFetcher *self,
                                       gboolean      supported);
guint heron_fetcher_get_n_active      (HeronFetcher *self);
guint heron_fetcher_get_n_queued      (HeronFetcher *self);

/* Errors: HERON_WEB_ERROR (OFFLINE, NETWORK, TIMEOUT, TOO_LARGE, TOO_MANY_REDIRECTS,
 * REDIRECT_LOOP, UNSAFE_ADDRESS, UNSUPPORTED_SCHEME, INVALID_URL, HTTP, UNSUPPORTED_TYPE),
 * G_IO_ERROR_CANCELLED. Each message names the page and the reason. */
void              heron_fetcher_fetch_async  (HeronFetcher         *self,
                                              const char           *url,
                                              HeronFetchFlags       flags,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
HeronFetchResult *heron_fetcher_fetch_finish (HeronFetcher         *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* "text/html; charset=x" -> kind, for callers that have bytes from elsewhere (and tests).
 * FALSE with HERON_WEB_ERROR_UNSUPPORTED_TYPE for images, archives and other binaries. */
gboolean heron_fetch_classify (const char      *content_type,
                               GBytes          *body,
                               HeronFetchKind  *kind,
                               char           **mime_out,
                               GError         **error);

G_END_DECLS
