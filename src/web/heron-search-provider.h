/* heron-search-provider.h: one web search engine behind one small interface.
 *
 * A provider is a HeronSearchProvider object made from a static descriptor
 * (HeronSearchProviderInfo: id, name, whether it needs a key, how to build the request and
 * how to parse the answer). The HTTP part, error mapping (blocked, rate limited, ...) and
 * limits are shared; a provider file only knows its engine's URL and markup, so its parser is
 * a pure function that tests and fuzzers call directly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "heron-web-session.h"

G_BEGIN_DECLS

#define HERON_SEARCH_ERROR (heron_search_error_quark ())
GQuark heron_search_error_quark (void);

typedef enum
{
  HERON_SEARCH_ERROR_BLOCKED,        /* CAPTCHA, consent wall, 403 or anti-bot page */
  HERON_SEARCH_ERROR_RATE_LIMITED,   /* 429 (the message gives Retry-After when sent) */
  HERON_SEARCH_ERROR_PARSE_FAILED,   /* the answer is not in the expected format */
  HERON_SEARCH_ERROR_NETWORK,        /* connection, DNS, TLS, redirect trouble */
  HERON_SEARCH_ERROR_TIMEOUT,        /* no complete answer in time */
  HERON_SEARCH_ERROR_NO_KEY,         /* the provider needs an API key and has none */
  HERON_SEARCH_ERROR_HTTP,           /* other HTTP error status (also: key rejected) */
  HERON_SEARCH_ERROR_OFFLINE,        /* no network: nothing was tried */
  HERON_SEARCH_ERROR_NOT_CONFIGURED, /* e.g. SearXNG without an instance URL */
  HERON_SEARCH_ERROR_NO_PROVIDER,    /* unknown provider id, or every provider failed */
} HeronSearchError;

/* One result. All strings UTF-8, no markup; SITE and DATE may be NULL. */
typedef struct
{
  char *title;
  char *url;      /* the page (or the engine's redirect link, e.g. baidu.com/link?url=) */
  char *snippet;
  char *site;     /* site name, or the host name when the engine gives none */
  char *date;     /* as the engine gives it (ISO 8601 for APIs, free text for HTML) */
} HeronSearchResult;

#define HERON_TYPE_SEARCH_RESULT (heron_search_result_get_type ())
GType              heron_search_result_get_type (void) G_GNUC_CONST;
HeronSearchResult *heron_search_result_new  (const char *title,
                                             const char *url,
                                             const char *snippet,
                                             const char *site,
                                             const char *date);
HeronSearchResult *heron_search_result_copy (const HeronSearchResult *result);
void               heron_search_result_free (HeronSearchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronSearchResult, heron_search_result_free)

typedef struct _HeronSearchProviderInfo HeronSearchProviderInfo;

/* Everything a provider needs to build its request. */
typedef struct
{
  const char *base_url;    /* never NULL (the override or the default) */
  const char *query;
  guint       max_results;
  const char *api_key;     /* NULL for keyless providers */
  const char *locale;      /* e.g. "zh_CN", "en_US"; never NULL */
} HeronSearchRequest;

struct _HeronSearchProviderInfo
{
  const char *id;                /* "duckduckgo", "bing", "bing-cn", "baidu", "searxng", ... */
  const char *display_name;      /* N_() */
  gboolean    needs_key;
  gboolean    is_api;            /* JSON API: 401/403 mean a key or config problem, not a block */
  const char *default_base_url;  /* NULL when the user must give one (SearXNG) */

  /* A new request (GET or POST with body). */
  SoupMessage *(*build_request) (const HeronSearchRequest *request);
  /* Parse a 2xx answer (UTF-8 text of LEN bytes). Returns an array of HeronSearchResult
   * (empty when the engine says "no results"), or NULL with HERON_SEARCH_ERROR_BLOCKED (an
   * anti-bot page) or _PARSE_FAILED (saying which provider and what was missing). */
  GPtrArray   *(*parse)         (const char *text,
                                 gsize       len,
                                 guint       max_results,
                                 GError    **error);
};

/* All built-in providers, NULL-terminated, in a stable order. */
const HeronSearchProviderInfo * const *heron_search_provider_infos (void);
const HeronSearchProviderInfo         *heron_search_provider_info_lookup (const char *id);

#define HERON_TYPE_SEARCH_PROVIDER (heron_search_provider_get_type ())
G_DECLARE_FINAL_TYPE (HeronSearchProvider, heron_search_provider, HERON, SEARCH_PROVIDER, GObject)

/* NULL with HERON_SEARCH_ERROR_NO_PROVIDER for an unknown id. */
HeronSearchProvider *heron_search_provider_new          (const char   *id,
                                                         GError      **error);
HeronSearchProvider *heron_search_provider_new_for_info (const HeronSearchProviderInfo *info);

const HeronSearchProviderInfo *heron_search_provider_get_info (HeronSearchProvider *self);
const char *heron_search_provider_get_id           (HeronSearchProvider *self);
const char *heron_search_provider_get_display_name (HeronSearchProvider *self); /* translated */
gboolean    heron_search_provider_get_needs_key    (HeronSearchProvider *self);

/* Point the provider at another server (tests, mirrors, the SearXNG instance). NULL restores
 * the default. The path of the engine (e.g. "/html/") is appended to this. */
void        heron_search_provider_set_base_url (HeronSearchProvider *self,
                                                const char          *base_url);
const char *heron_search_provider_get_base_url (HeronSearchProvider *self);
/* The key is kept in memory only and never logged. */
void        heron_search_provider_set_api_key  (HeronSearchProvider *self,
                                                const char          *api_key);
gboolean    heron_search_provider_has_api_key  (HeronSearchProvider *self);
/* "zh_CN", "en_US"... (default: from the environment). */
void        heron_search_provider_set_locale   (HeronSearchProvider *self,
                                                const char          *locale);
void        heron_search_provider_set_session  (HeronSearchProvider *self,
                                                HeronWebSession     *session);
void        heron_search_provider_set_timeout  (HeronSearchProvider *self,
                                                guint                timeout_ms);

/* Results as a GPtrArray of HeronSearchResult (at most MAX_RESULTS; 0 means 10). */
void        heron_search_provider_search_async  (HeronSearchProvider  *self,
                                                 const char           *query,
                                                 guint                 max_results,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GPtrArray  *heron_search_provider_search_finish (HeronSearchProvider  *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Map a response to an error when it is not a result page (status, redirect to a CAPTCHA,
 * Retry-After). Exposed for tests. Returns TRUE and sets ERROR when it is an error. */
gboolean    heron_search_provider_check_response (const HeronSearchProviderInfo *info,
                                                  guint                          status,
                                                  SoupMessageHeaders            *headers,
                                                  GError                       **error);

/* The user's locale as "ll_CC" (LANGUAGE/LC_ALL/LC_MESSAGES/LANG), "en_US" when unknown. */
char       *heron_search_default_locale (void);

G_END_DECLS
