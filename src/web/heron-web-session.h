/* heron-web-session.h: the one HTTP client of the web layer (shared SoupSession, honest
 * User-Agent, offline state) and the bounded request every search and fetch goes through:
 * a whole-request deadline, a cap on the decoded body enforced while reading, redirects
 * followed by hand (capped, loops detected) and, for URLs that came from search results,
 * loopback/private/link-local addresses refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define HERON_WEB_ERROR (heron_web_error_quark ())
GQuark heron_web_error_quark (void);

/* Transport-level failures of one request (fetcher errors use this domain too). */
typedef enum
{
  HERON_WEB_ERROR_OFFLINE,            /* no network (monitor, or an earlier connection failed) */
  HERON_WEB_ERROR_NETWORK,            /* connection refused, reset, DNS failure, TLS error */
  HERON_WEB_ERROR_TIMEOUT,            /* the deadline passed before the body was complete */
  HERON_WEB_ERROR_TOO_LARGE,          /* decoded body exceeded the cap */
  HERON_WEB_ERROR_TOO_MANY_REDIRECTS, /* more redirects than allowed */
  HERON_WEB_ERROR_REDIRECT_LOOP,      /* a redirect came back to a URL already visited */
  HERON_WEB_ERROR_UNSAFE_ADDRESS,     /* loopback/private/link-local address refused */
  HERON_WEB_ERROR_UNSUPPORTED_SCHEME, /* not http or https */
  HERON_WEB_ERROR_INVALID_URL,        /* not a URL */
  HERON_WEB_ERROR_HTTP,               /* the server answered with an error status */
  HERON_WEB_ERROR_UNSUPPORTED_TYPE,   /* a content type Heron cannot read */
} HeronWebError;

#define HERON_WEB_DEFAULT_TIMEOUT_MS    8000
#define HERON_WEB_DEFAULT_MAX_BYTES     (5 * 1024 * 1024)
#define HERON_WEB_DEFAULT_MAX_REDIRECTS 5

typedef struct
{
  guint    timeout_ms;     /* whole request, headers and body; 0: HERON_WEB_DEFAULT_TIMEOUT_MS */
  gsize    max_bytes;      /* decoded body; 0: HERON_WEB_DEFAULT_MAX_BYTES */
  int      max_redirects;  /* < 0: HERON_WEB_DEFAULT_MAX_REDIRECTS; 0: do not follow */
  gboolean refuse_private; /* refuse loopback/private/link-local addresses (search results) */
} HeronWebLimits;

/* What came back. A non-2xx status is not an error here: callers decide. */
typedef struct
{
  guint               status;
  char               *reason;        /* status line reason, may be NULL */
  char               *final_url;     /* after redirects */
  SoupMessageHeaders *headers;       /* response headers of the final response */
  GBytes             *body;          /* decoded (gzip/deflate/br) body, never NULL */
  guint               n_redirects;
} HeronWebResponse;

void heron_web_response_free (HeronWebResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronWebResponse, heron_web_response_free)

#define HERON_TYPE_WEB_SESSION (heron_web_session_get_type ())
G_DECLARE_FINAL_TYPE (HeronWebSession, heron_web_session, HERON, WEB_SESSION, GObject)

/* The process-wide session (created on first use; call from the main thread first). */
HeronWebSession *heron_web_session_get_default (void);
HeronWebSession *heron_web_session_new         (void);

SoupSession *heron_web_session_get_soup_session (HeronWebSession *self);
/* "Heron/<version> (+https://github.com/heronchat/heron)" */
const char  *heron_web_user_agent (void);

/* TRUE when the system reports no network, or when a connection failed in a way that means
 * there is none (unreachable network, no DNS) since the network last changed. Requests to
 * loopback hosts are never considered offline. */
gboolean heron_web_session_is_offline  (HeronWebSession *self);
/* Force the state (tests; also "the first connection failed" from outside). */
void     heron_web_session_set_offline (HeronWebSession *self,
                                        gboolean         offline);
/* Shortcut on the default session, for the pipeline. */
gboolean heron_web_is_offline (void);

/* Send MSG (a GET or POST built by the caller; the session adds the User-Agent) within
 * LIMITS (NULL: defaults). Redirects are followed with GET requests that keep the Accept and
 * Accept-Language headers. */
void              heron_web_session_send_async  (HeronWebSession      *self,
                                                 SoupMessage          *msg,
                                                 const HeronWebLimits *limits,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
HeronWebResponse *heron_web_session_send_finish (HeronWebSession      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Helpers shared by the web layer. */
/* TRUE when ADDRESS is loopback, private (RFC 1918, fc00::/7, 100.64/10), link-local,
 * unspecified or multicast. */
gboolean heron_web_address_is_private (GInetAddress *address);
/* TRUE when URI's host is "localhost" or a loopback literal. */
gboolean heron_web_uri_is_loopback (GUri *uri);
/* Parse URL and check it is absolute http(s); HERON_WEB_ERROR_INVALID_URL or
 * _UNSUPPORTED_SCHEME otherwise. */
GUri    *heron_web_parse_http_url (const char *url,
                                   GError    **error);

G_END_DECLS
