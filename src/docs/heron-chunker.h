/* heron-chunker.h: cut a text into passages of about N tokens on paragraph boundaries, with
 * an overlap, for retrieval (web pages and documents alike).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *text;
  guint n_tokens;   /* heron_chunker_count_tokens (text) */
} HeronChunk;

void heron_chunk_free (HeronChunk *chunk);

#define HERON_CHUNK_DEFAULT_TOKENS  250
#define HERON_CHUNK_DEFAULT_OVERLAP 40

/* An estimate of a model's token count without a vocabulary: a Latin word is one token per
 * four letters (at least one), a digit run one per three digits, a CJK character one token,
 * other punctuation one each. Close enough for budgets; exact counts need the model. */
guint heron_chunker_count_tokens (const char *text);

/* Paragraphs ("\n\n"-separated) are packed into passages of at most TARGET tokens; the next
 * passage starts with the previous passage's last paragraphs worth up to OVERLAP tokens. A
 * paragraph longer than TARGET is cut at sentence ends (. ! ? 。 ！ ？), and a sentence longer
 * than TARGET at white space or between CJK characters. Returns HeronChunk*, in order. */
GPtrArray *heron_chunker_split (const char *text,
                                guint       target,
                                guint       overlap);

G_END_DECLS
