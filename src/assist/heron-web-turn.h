/* heron-web-turn.h: the web step of a turn, shared by heron-cli and the app.
 *
 * Before the turn: decide whether to search (web mode off / auto / always, with the reason),
 * search through the provider chain, read the pages and build the numbered context
 * (heron-web-context.h), reporting progress as it goes; offline (GNetworkMonitor, a forced
 * state, or the first connection that fails for lack of network) it answers from pages read
 * earlier at once and says so. All of this runs on a worker thread with its own main
 * context: the caller's main loop only sees progress strings and the result. After the
 * answer: check its citations against the passages the model was given and store the
 * sources with the check next to the answer (messages.sources_json).
 *
 * sources_json (backward compatible with what heron-cli stored before): an object
 *   {"reason": s, "provider": s|null, "offline": b, "sources": [{number, url, title, site,
 *    fetched_at, from_knowledge, text}], "check": {...heron_citation_check_to_json...}}
 * extended with "provider_name": s|null, "mode": "auto"|"on", "searched": b and
 * "notes": [s] (failures shown inline); readers that do not know them ignore them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-citations.h"
#include "heron-store.h"
#include "heron-turn.h"
#include "heron-web-context.h"

G_BEGIN_DECLS

/* The share of the model's context the sources get by default. */
#define HERON_WEB_TURN_DEFAULT_SHARE 0.4
/* Tokens for the sources when the model's context size is unknown. */
#define HERON_WEB_TURN_DEFAULT_BUDGET 1500

#define HERON_TYPE_WEB_TURN (heron_web_turn_get_type ())
G_DECLARE_FINAL_TYPE (HeronWebTurn, heron_web_turn, HERON, WEB_TURN, GObject)

/* STORE: knowledge tables and caches (may be NULL). Call from the thread whose
 * thread-default main context gets the progress and the results. */
HeronWebTurn *heron_web_turn_new (HeronStore *store);

/* Configuration; each change applies from the next prepare on (the chain is built again,
 * so providers skipped earlier get another chance). */
/* Provider ids in order (NULL or empty: the default order for the locale). Unknown ids
 * fail with G_OPTION_ERROR_BAD_VALUE. */
gboolean heron_web_turn_set_providers      (HeronWebTurn        *self,
                                            const char * const  *ids,
                                            GError             **error);
/* "id=url" entries: send that provider's requests to URL (tests, mirrors). An id that is not
 * in the chain fails with G_OPTION_ERROR_BAD_VALUE. Set the providers first. */
gboolean heron_web_turn_set_base_urls      (HeronWebTurn        *self,
                                            const char * const  *entries,
                                            GError             **error);
/* The SearXNG instance (NULL or "": none, unless a base URL names one). */
void     heron_web_turn_set_searxng_url    (HeronWebTurn        *self,
                                            const char          *url);
/* Look up API keys of the providers that need one in the keyring (default FALSE). */
void     heron_web_turn_set_use_keyring    (HeronWebTurn        *self,
                                            gboolean             use);
/* 0 keeps the fetcher's default for each. */
void     heron_web_turn_set_fetch_limits   (HeronWebTurn        *self,
                                            guint                timeout_ms,
                                            guint64              max_bytes,
                                            guint                max_parallel);
/* Seconds; 0 keeps the default (pages 1 day, searches 1 hour). */
void     heron_web_turn_set_cache_ttls     (HeronWebTurn        *self,
                                            guint                page_ttl_s,
                                            guint                search_ttl_s);
/* The sources get SHARE (0.05..0.9) of N_CTX tokens; N_CTX 0: the context's default budget. */
void     heron_web_turn_set_budget         (HeronWebTurn        *self,
                                            int                  n_ctx,
                                            double               share);
/* Let search results point to private addresses (tests on 127.0.0.1). */
void     heron_web_turn_set_allow_private  (HeronWebTurn        *self,
                                            gboolean             allow);
/* Treat the network as gone (tests; the worker also follows GNetworkMonitor). */
void     heron_web_turn_set_offline        (HeronWebTurn        *self,
                                            gboolean             offline);
/* Read every web key of the app's GSettings (search-providers, searxng-url,
 * search-base-urls, web-page-timeout-ms, web-page-max-bytes, web-max-parallel,
 * web-cache-page-ttl, web-cache-search-ttl, web-context-share) and use the keyring.
 * Invalid values are ignored with a warning. N_CTX as for set_budget. */
void     heron_web_turn_apply_settings     (HeronWebTurn        *self,
                                            GSettings           *settings,
                                            int                  n_ctx);

/* Build the context for QUESTION in MODE. Progress strings arrive as the "progress" signal
 * on the caller's context. Never fails for network reasons (they become notes, and the
 * answer goes on without sources or from pages read earlier); fails only when cancelled. */
void                   heron_web_turn_prepare_async  (HeronWebTurn         *self,
                                                      const char           *question,
                                                      HeronWebMode          mode,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
HeronWebContextResult *heron_web_turn_prepare_finish (HeronWebTurn         *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* Hand RESULT's context to TURN for its next request, with the sources_json stored with the
 * answer when there is anything to say (sources, a search, offline, failures). RESULT NULL:
 * none. */
void                heron_web_turn_apply          (HeronTurn             *turn,
                                                   HeronWebContextResult *result,
                                                   HeronWebMode           mode);
/* One line per fact for the answer's status: why it searched or not, who answered, that it is
 * offline, each failure, and that the answer goes on without sources. Translated; NULL when
 * web search was off. */
char               *heron_web_turn_describe       (HeronWebContextResult *result);
/* The same lines from a stored sources_json (NULL when it is NULL or not an object). */
char               *heron_web_turn_describe_json  (const char            *sources_json);
/* Check ANSWER's citations against RESULT's sources (NULL without sources). */
HeronCitationCheck *heron_web_turn_check          (HeronWebContextResult *result,
                                                   const char            *answer);
/* The JSON stored with the answer (see the top of this file); CHECK may be NULL. */
char               *heron_web_turn_sources_json   (HeronWebContextResult *result,
                                                   HeronWebMode           mode,
                                                   const HeronCitationCheck *check);

/* After the answer: check its citations, remove markers that name no source (ANSWER's
 * content becomes the clean text), set ANSWER's sources_json with the check, and store both
 * (STORE may be NULL; ANSWER without an id is not stored). Finish gives the check, or NULL
 * with G_IO_ERROR_NOT_FOUND when there were no sources (nothing to check), or a store
 * error. */
void                heron_web_turn_finish_answer_async  (HeronStore            *store,
                                                         HeronMessage          *answer,
                                                         HeronWebContextResult *result,
                                                         HeronWebMode           mode,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
HeronCitationCheck *heron_web_turn_finish_answer_finish (GAsyncResult          *result,
                                                         GError               **error);

/* A live status line on a message that is not stored (the web step's progress on the pending
 * answer); NULL clears it. Views show it above the answer and redraw on notify. */
#define HERON_WEB_TURN_STATUS_KEY "heron-web-status"
void                heron_web_turn_set_message_status (HeronMessage *message,
                                                       const char   *status);
const char         *heron_web_turn_get_message_status (HeronMessage *message);

G_END_DECLS
