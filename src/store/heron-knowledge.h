/* heron-knowledge.h: the knowledge tables (sources, chunks, chunks_fts): pages read for
 * answers (and, later, documents) cut into passages, kept for later questions and for
 * answering offline. All queries run on the store thread (heron_store_run_async).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 chunk_id;
  gint64 source_id;
  guint  ord;
  char  *text;
  guint  n_tokens;
  char  *url;
  char  *title;
  char  *site;
  gint64 fetched_at;   /* unix ms */
  double fts_rank;     /* SQLite's bm25() (lower is better); 0 when not from a search */
} HeronKnowledgeChunk;

void heron_knowledge_chunk_free (HeronKnowledgeChunk *chunk);

/* A page to keep: CHUNK_TEXTS and CHUNK_TOKENS in order (N_CHUNKS of them). The source row
 * (kind 'web', URL) is created or updated; when the text changed (content hash), its chunks
 * are replaced. PUBLISHED (may be NULL) is an ISO 8601 date. */
typedef struct
{
  char   *url;
  char   *title;
  char   *site;
  char   *published;
  gint64  fetched_at;
  GStrv   chunk_texts;
  guint  *chunk_tokens;
  guint   n_chunks;
} HeronKnowledgePage;

void heron_knowledge_page_free (HeronKnowledgePage *page);

/* Returns the chunks as stored (HeronKnowledgeChunk*, with their ids), in page order. */
void       heron_knowledge_save_page_async  (HeronStore          *store,
                                             HeronKnowledgePage  *page,  /* taken */
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray *heron_knowledge_save_page_finish (HeronStore          *store,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Chunks matching any of TERMS (each 3+ characters: the FTS index is trigram), best
 * first by bm25, at most LIMIT. */
void       heron_knowledge_search_async  (HeronStore          *store,
                                          const char * const  *terms,
                                          guint                limit,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray *heron_knowledge_search_finish (HeronStore          *store,
                                          GAsyncResult        *result,
                                          GError             **error);

/* The FTS5 query for TERMS: each term quoted, joined with OR; NULL when TERMS is empty. */
char *heron_knowledge_fts_query (const char * const *terms);

G_END_DECLS
