/* cmd-ask-web.h: the web part of heron-cli ask (--web, --provider, --base-url): the flags go
 * to a HeronWebTurn (the code the app runs, src/assist/heron-web-turn.c), which builds the
 * web context before the turn; this prints its progress, the sources and the citation check.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"
#include "heron-turn.h"

G_BEGIN_DECLS

typedef struct _HeronAskWeb HeronAskWeb;

/* MODE "off", "auto" or "on" (NULL: off). PROVIDERS: comma-separated ids or NULL (by
 * locale). BASE_URLS: "id=url" entries or NULL. ALLOW_PRIVATE: let search results point to
 * private addresses (tests on 127.0.0.1). NULL with ERROR on bad arguments. */
HeronAskWeb *heron_ask_web_new     (HeronStore          *store,
                                    const char          *mode,
                                    const char          *providers,
                                    const char * const  *base_urls,
                                    gboolean             allow_private,
                                    GError             **error);
void         heron_ask_web_free    (HeronAskWeb         *web);
/* The model's context size: the sources get HERON_ASK_WEB_CONTEXT_SHARE of it (0: the web
 * context's default budget). */
#define HERON_ASK_WEB_CONTEXT_SHARE 0.4
void         heron_ask_web_set_n_ctx (HeronAskWeb       *web,
                                      int                n_ctx);
/* Build the context for QUESTION (progress and notes on stderr; the composed question goes
 * to the file named by $HERON_DUMP_PROMPT when set) and hand it to TURN. FALSE only when
 * cancelled. */
gboolean     heron_ask_web_prepare (HeronAskWeb         *web,
                                    HeronTurn           *turn,
                                    const char          *question,
                                    GCancellable        *cancellable);
/* After the answer: print the sources and the citation check on stdout, store both with
 * the answer. */
void         heron_ask_web_report  (HeronAskWeb         *web,
                                    HeronStore          *store,
                                    HeronTurn           *turn);

G_END_DECLS
