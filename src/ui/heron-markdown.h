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

/* TEXT escaped for Pango markup; control characters other than tab and newline become
 * U+FFFD (GMarkup rejects some of them even as character references). */
void       heron_markdown_escape_append (GString    *out,
                                         const char *text,
                                         gssize      len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronMdBlock, heron_md_block_free)

G_END_DECLS
