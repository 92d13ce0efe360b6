/* heron-web-search.h: the ordered fallback chain of search providers.
 *
 * The first provider that answers wins. A provider that fails because it is blocked, rate
 * limited, times out, cannot be reached or is not set up (no key, no instance) is skipped for
 * the rest of this object's life (one session), so a blocked engine costs one request, not
 * one per question. Answers are cached (kind 'search', 1 hour by default) when a store is set.
 * The response says which provider answered and which were skipped and why.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "heron-search-provider.h"
#include "heron-store.h"

G_BEGIN_DECLS

typedef struct
{
  char    *provider_id;
  char    *provider_name;  /* translated display name */
  int      code;           /* HeronSearchError */
  char    *message;        /* why */
  gboolean earlier;        /* skipped because it failed earlier in this session */
} HeronWebSearchSkip;

typedef struct
{
  char      *query;
  char      *provider_id;    /* who answered */
  char      *provider_name;
  GPtrArray *results;        /* HeronSearchResult */
  GPtrArray *skipped;        /* HeronWebSearchSkip, in chain order */
  gboolean   from_cache;
  gint64     fetched_at;     /* unix ms of the answer (earlier when from the cache) */
} HeronWebSearchResponse;

void heron_web_search_response_free (HeronWebSearchResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronWebSearchResponse, heron_web_search_response_free)

#define HERON_TYPE_WEB_SEARCH (heron_web_search_get_type ())
G_DECLARE_FINAL_TYPE (HeronWebSearch, heron_web_search, HERON, WEB_SEARCH, GObject)

/* The default provider ids for LOCALE (NULL: the environment's): zh_CN/zh_SG/zh_Hans: bing-cn,
 * baidu, duckduckgo; anything else: duckduckgo, bing. NULL-terminated, free with g_strfreev. */
char          **heron_web_search_default_ids (const char *locale);

/* An empty chain; add providers in order. */
HeronWebSearch *heron_web_search_new (void);
/* A chain of providers by id ("duckduckgo,bing" as a strv). Unknown ids fail. */
HeronWebSearch *heron_web_search_new_for_ids (const char * const  *ids,
                                              GError             **error);

void                 heron_web_search_add_provider (HeronWebSearch      *self,
                                                    HeronSearchProvider *provider);
/* The provider with ID in the chain, or NULL (to set its base URL or key). */
HeronSearchProvider *heron_web_search_get_provider (HeronWebSearch      *self,
                                                    const char          *id);
GPtrArray           *heron_web_search_get_providers (HeronWebSearch     *self);

/* Use SESSION for every provider of the chain (tests, a session marked offline). */
void heron_web_search_set_session   (HeronWebSearch  *self,
                                     HeronWebSession *session);
/* Cache answers in STORE's web_cache (NULL: no cache). TTL 0: the default (1 hour). */
void heron_web_search_set_store     (HeronWebSearch *self,
                                     HeronStore     *store);
void heron_web_search_set_cache_ttl (HeronWebSearch *self,
                                     gint64          ttl_ms);
/* Forget the providers skipped so far (e.g. after the network changed). */
void heron_web_search_reset_skipped (HeronWebSearch *self);
gboolean heron_web_search_is_skipped (HeronWebSearch *self,
                                      const char     *id);

/* On failure of every provider: HERON_SEARCH_ERROR_OFFLINE when there is no network,
 * otherwise _NO_PROVIDER with each provider's reason in the message. */
void                    heron_web_search_search_async  (HeronWebSearch       *self,
                                                        const char           *query,
                                                        guint                 max_results,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
HeronWebSearchResponse *heron_web_search_search_finish (HeronWebSearch       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* Results <-> JSON array of {title, url, snippet, site?, date?} (cache format, --json). */
JsonNode  *heron_search_results_to_json   (GPtrArray  *results);
GPtrArray *heron_search_results_from_json (JsonNode   *node,
                                           GError    **error);

G_END_DECLS
