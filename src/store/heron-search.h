/* heron-search.h: full-text search over every message of every conversation (FTS5
 * trigram index, with a scan for terms shorter than 3 characters, e.g. 1-2 Chinese
 * characters, which a trigram index cannot look up).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  conversation_id;
  gint64  message_id;
  char   *conversation_title;
  gint64  created_at;            /* of the message */
  /* Plain text around the first match (not markup: escape it before display). The match
   * is snippet[match_start .. match_start + match_length) in bytes; match_length is 0
   * when the match is in text the snippet could not show. */
  char   *snippet;
  gsize   match_start;
  gsize   match_length;
  gboolean in_reasoning;         /* the match is in the message's reasoning */
} HeronSearchHit;

void heron_search_hit_free (HeronSearchHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronSearchHit, heron_search_hit_free)

/* Messages containing every whitespace-separated term of QUERY (case-insensitive for
 * ASCII), newest first, at most LIMIT (0: 100). Deleted conversations are left out.
 * Returns a GPtrArray of HeronSearchHit. An empty query gives an empty array. */
void       heron_store_search_async  (HeronStore *store, const char *query, guint limit,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *heron_store_search_finish (HeronStore *store, GAsyncResult *result,
                                      GError **error);
GPtrArray *heron_store_search_sync   (HeronStore *store, const char *query, guint limit,
                                      GCancellable *cancellable, GError **error);

/* Cut a snippet of TEXT around the first occurrence of TERM (ASCII case-insensitive):
 * up to BEFORE characters before and AFTER after, with "…" where text was cut. Fills the
 * hit's snippet and match fields. Exposed for tests. */
void heron_search_make_snippet (const char *text, const char *term, guint before,
                                guint after, HeronSearchHit *hit);

G_END_DECLS
