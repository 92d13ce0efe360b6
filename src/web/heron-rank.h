/* heron-rank.h: rank passages against a question and its search queries.
 *
 * Terms are CJK-aware: Latin words are lowercased and stop words dropped; runs of CJK
 * characters give their character bigrams (a lone character gives itself), so a Chinese
 * question finds Chinese passages without a word segmenter. Passages are scored with BM25
 * over these terms, near-duplicates are dropped (Jaccard similarity of their term sets),
 * each source contributes a few passages at most, and the best fill a token budget.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char  *text;
  guint  n_tokens;
  guint  source;     /* the caller's index of the page/document it came from */
  guint  ord;        /* position within the source */
  gint64 chunk_id;   /* row in the knowledge tables, or 0 */
  double score;      /* set by heron_rank_passages */
} HeronPassage;

HeronPassage *heron_passage_new  (const char *text,
                                  guint       n_tokens,
                                  guint       source,
                                  guint       ord);
void          heron_passage_free (HeronPassage *passage);

typedef struct
{
  guint  budget_tokens;       /* total tokens of the passages kept; 0: no limit */
  guint  max_per_source;      /* 0: no limit */
  guint  max_passages;        /* 0: no limit */
  double duplicate_jaccard;   /* drop a passage this similar to a kept one (0.6) */
  double min_score;           /* keep passages scoring above this (0: any match) */
} HeronRankParams;

void heron_rank_params_init (HeronRankParams *params);

/* The terms of TEXT, in order, duplicates kept (NULL-terminated). */
char **heron_rank_terms (const char *text);

/* Terms for SQLite's trigram FTS: Latin words of 3+ letters and CJK character trigrams (or
 * the whole run when it is shorter), deduplicated. */
char **heron_rank_fts_terms (const char *text);

/* Jaccard similarity of the term sets of A and B. */
double heron_rank_similarity (const char *a,
                              const char *b);

/* Score PASSAGES (HeronPassage*, not consumed) against QUERIES (the question first, then the
 * search queries; NULL-terminated), and return the chosen ones (new references to the same
 * structs, owned by PASSAGES) best first. */
GPtrArray *heron_rank_passages (GPtrArray             *passages,
                                const char * const    *queries,
                                const HeronRankParams *params);

G_END_DECLS
