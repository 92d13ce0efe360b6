/* heron-markdown.h: Markdown (as a model writes it) -> a flat list of blocks whose text is
 * Pango markup built from escaped text. Pure GLib + md4c, no GTK, so it can be fuzzed;
 * heron-markdown-view.c turns the blocks into widgets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HERON_MD_PARAGRAPH,
  HERON_MD_HEADING,
  HERON_MD_LIST_ITEM,   /* a paragraph inside a list; MARKER set on the item's first one */
  HERON_MD_CODE,        /* TEXT is the raw code (not markup), LANG the fence's first word */
  HERON_MD_TABLE,
  HERON_MD_RULE,
} HeronMdKind;

typedef struct
{
  HeronMdKind  kind;
  guint        level;          /* heading: 1-6 */
  guint        quote_depth;    /* block quotes around the block */
  guint        list_depth;     /* lists around the block */
  char        *marker;         /* list item: "•", "3.", "☐", "☑"; NULL otherwise */
  char        *text;           /* Pango markup; raw text for code */
  char        *lang;           /* code: NULL when the fence has no info string */
  guint        n_columns;      /* table */
  guint        n_header_rows;  /* table */
  GPtrArray   *rows;           /* table: GPtrArray of GPtrArray of markup strings */
} HeronMdBlock;

void       heron_md_block_free  (HeronMdBlock *block);
gboolean   heron_md_block_equal (const HeronMdBlock *a,
                                 const HeronMdBlock *b);

/* Parse LEN bytes of TEXT (-1: NUL-terminated; invalid UTF-8 is replaced). Returns a
 * GPtrArray of HeronMdBlock, in order; never NULL. */
GPtrArray *heron_markdown_parse (const char *text,
                                 gssize      len);

/* Citation markers of an answer with web sources. Offsets are bytes of the text given to
 * heron_markdown_parse_cited (the answer's clean text, as the citation check reports them).
 *
 * A marker "[n]" in prose (not in code, not inside a link) with 1 <= n <= N_SOURCES becomes
 * <a href="heron-cite:n">[n]</a> when the answer is not CHECKED yet (sources known, answer
 * still streaming), or when one of MARKERS is exactly that "[n]" (the check's verdict:
 * numbers it removed are not in the text, and nothing else is linked). Prose bytes inside an
 * UNVERIFIED range are wrapped in <span underline="error" underline_color="...">, the only
 * use of that underline, so views can find the ranges in their layout again; markers of an
 * unverified citation get UNVERIFIED_TITLE as their link's title (tooltip). */
typedef struct
{
  gsize start, end;
} HeronMdRange;

typedef struct
{
  guint               n_sources;
  gboolean            checked;
  const HeronMdRange *markers;
  guint               n_markers;
  const HeronMdRange *unverified;
  guint               n_unverified;
  const HeronMdRange *unverified_markers;  /* the MARKERS whose claim is unverified */
  guint               n_unverified_markers;
  const char         *unverified_title;    /* plain text; escaped here */
} HeronMdCitations;

#define HERON_MD_CITE_SCHEME "heron-cite"
#define HERON_MD_UNVERIFIED_COLOR "#9a9996"

/* CITATIONS NULL (or without sources): the same as heron_markdown_parse. */
GPtrArray *heron_markdown_parse_cited (const char             *text,
                                       gssize                  len,
                                       const HeronMdCitations *citations);
/* The number N of "heron-cite:N", or 0 for any other URI. */
guint      heron_markdown_cite_number (const char *uri);

/* TEXT escaped for Pango markup; control characters other than tab and newline become
 * U+FFFD (GMarkup rejects some of them even as character references). */
void       heron_markdown_escape_append (GString    *out,
                                         const char *text,
                                         gssize      len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronMdBlock, heron_md_block_free)

G_END_DECLS
