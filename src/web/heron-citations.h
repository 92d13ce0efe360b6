/* heron-citations.h: check the [n] markers of an answer against the sources given to the
 * model. A pure function: no I/O, no state.
 *
 * Every [n] (also [n, m] and [n][m]) is looked at. A number that names no source is removed
 * from the text. For the others, the claim (the sentence the marker closes, or ends) is
 * compared with the cited source's passages: the share of the claim's content terms (Latin
 * words without stop words, CJK character bigrams) found in them. Below the threshold the
 * citation is "unverified".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  HERON_CITATION_SUPPORTED,
  HERON_CITATION_UNVERIFIED,
  HERON_CITATION_REMOVED,     /* pointed to no source; its marker is not in the clean text */
} HeronCitationStatus;

typedef struct
{
  guint               number;
  HeronCitationStatus status;
  double              support;       /* 0..1, share of the claim's terms found in the source */
  /* Byte offsets in the clean text: the marker [n] (empty span when REMOVED: where it was)
   * and the claim it supports. */
  gsize               marker_start, marker_end;
  gsize               claim_start, claim_end;
} HeronCitation;

typedef struct
{
  char   *text;        /* the answer with markers of unknown sources removed */
  GArray *citations;   /* HeronCitation, in text order */
  guint   n_supported, n_unverified, n_removed;
} HeronCitationCheck;

void heron_citation_check_free (HeronCitationCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronCitationCheck, heron_citation_check_free)

#define HERON_CITATION_DEFAULT_THRESHOLD 0.4

/* SOURCES[i] is the text given to the model as source [i + 1] (N_SOURCES of them). */
HeronCitationCheck *heron_citations_check (const char         *answer,
                                           const char * const *sources,
                                           guint               n_sources,
                                           double              threshold);

/* {"supported": n, "unverified": n, "removed": n, "citations": [{number, status, support,
 * marker: [start, end], claim: [start, end]}]} (offsets in bytes of the clean text). */
JsonNode *heron_citation_check_to_json (const HeronCitationCheck *check);

const char *heron_citation_status_to_string (HeronCitationStatus status);

G_END_DECLS
