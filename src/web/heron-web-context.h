/* heron-web-context.h: question -> web (or knowledge-base) context with numbered sources.
 *
 * Decide whether to search (web mode off / auto / on; auto searches on recency words in
 * English and Chinese, an explicit "search"/"搜索"/"查一下"/"联网", a URL in the question,
 * named current events, or no good knowledge-base hit), search through the fallback chain,
 * fetch the results (the fetcher keeps at most 4 in flight), extract, chunk, store the
 * passages in the knowledge tables, rank them against the question and the query, and
 * format the best as a fenced block of numbered sources for the prompt. Offline (or when
 * every provider fails), the knowledge base answers, its pages cited with their fetch date.
 * Reasoning text (<think>...</think>) never goes into a query.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "heron-fetcher.h"
#include "heron-store.h"
#include "heron-web-search.h"

G_BEGIN_DECLS

typedef enum
{
  HERON_WEB_MODE_OFF,
  HERON_WEB_MODE_AUTO,
  HERON_WEB_MODE_ON,
} HeronWebMode;

/* "off", "auto", "on" (also "always"); FALSE for anything else. */
gboolean heron_web_mode_from_string (const char   *s,
                                     HeronWebMode *mode);

typedef struct
{
  guint    number;          /* [n] */
  char    *url;
  char    *title;
  char    *site;
  gint64   fetched_at;      /* unix ms */
  gboolean from_knowledge;  /* read earlier, not in this question */
  char    *text;            /* the passages given to the model, in rank order */
} HeronWebSource;

typedef struct
{
  gboolean   searched;      /* a search (or direct fetch) was made */
  gboolean   offline;
  char      *reason;        /* why it searched or not (translated), for the message */
  char      *query;         /* the query sent, or NULL */
  char      *provider_id;   /* who answered, or NULL */
  char      *provider_name;
  GPtrArray *notes;         /* char*: failures shown inline (provider blocked, page failed) */
  GPtrArray *sources;       /* HeronWebSource*, numbered 1..n */
  GPtrArray *passages;      /* HeronPassage*, the chosen ones in rank order */
  char      *context;       /* the block for the prompt, or NULL without sources */
  gint64     elapsed_us;
} HeronWebContextResult;

void heron_web_context_result_free (HeronWebContextResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronWebContextResult, heron_web_context_result_free)

/* The source texts as the citation checker wants them (index n-1 = source [n]). */
char     **heron_web_context_result_source_texts (HeronWebContextResult *result);
/* [{number, url, title, site, fetched_at, from_knowledge, text}] for messages.sources_json. */
JsonNode  *heron_web_context_result_sources_to_json (HeronWebContextResult *result);

/* The question without reasoning blocks and surrounding space. */
char    *heron_web_context_clean_question (const char *question);
/* Whether auto mode searches for QUESTION without looking at the knowledge base; *REASON
 * (may be NULL) says why (translated). The first URL of the question goes to *URL. */
gboolean heron_web_context_wants_search   (const char  *question,
                                           char       **reason,
                                           char       **url);

/* The user message a model gets: CONTEXT (may be NULL: QUESTION alone), then QUESTION. */
char    *heron_web_context_compose_question (const char *context,
                                             const char *question);

typedef void (*HeronWebProgressFunc) (const char *message,
                                      gpointer    user_data);

#define HERON_TYPE_WEB_CONTEXT (heron_web_context_get_type ())
G_DECLARE_FINAL_TYPE (HeronWebContext, heron_web_context, HERON, WEB_CONTEXT, GObject)

/* STORE: the knowledge tables (may be NULL: nothing stored, no offline answers). SEARCH and
 * FETCHER: NULL for the default chain and a fetcher on the default session. */
HeronWebContext *heron_web_context_new (HeronStore     *store,
                                        HeronWebSearch *search,
                                        HeronFetcher   *fetcher);

void heron_web_context_set_budget_tokens (HeronWebContext *self,
                                          guint            tokens);   /* default 1500 */
void heron_web_context_set_max_pages     (HeronWebContext *self,
                                          guint            n);        /* default 5 */
void heron_web_context_set_progress      (HeronWebContext      *self,
                                          HeronWebProgressFunc  func,
                                          gpointer              user_data);
/* Treat the network as gone (tests; the app passes GNetworkMonitor's view through the
 * session instead). */
void heron_web_context_set_offline       (HeronWebContext *self,
                                          gboolean         offline);

/* Never fails for network reasons (those become notes and a knowledge-base answer); fails
 * only when cancelled. MODE off returns an empty result at once. */
void                   heron_web_context_build_async  (HeronWebContext     *self,
                                                       const char          *question,
                                                       HeronWebMode         mode,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
HeronWebContextResult *heron_web_context_build_finish (HeronWebContext     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
