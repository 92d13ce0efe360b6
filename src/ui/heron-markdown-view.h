/* heron-markdown-view.h: Markdown shown as widgets (labels, code views, grids).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-markdown.h"

G_BEGIN_DECLS

#define HERON_TYPE_MARKDOWN_VIEW (heron_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (HeronMarkdownView, heron_markdown_view, HERON, MARKDOWN_VIEW, GtkWidget)

GtkWidget *heron_markdown_view_new      (void);
/* Show TEXT; blocks equal to the shown ones keep their widgets, so calling this on every
 * frame of a streaming answer only rebuilds or updates the last block. */
void       heron_markdown_view_set_text (HeronMarkdownView *self,
                                         const char        *text);
/* Citation links and unverified marks for the next set_text (NULL: none); copied. A
 * "[n]" link emits "citation-activated" (guint n, GtkLabel *label, GdkRectangle *area: the
 * marker in LABEL's coordinates) instead of opening anything. */
void       heron_markdown_view_set_citations (HeronMarkdownView      *self,
                                              const HeronMdCitations *citations);
/* The tooltip LABEL (a label of this view) shows at X, Y for an unverified sentence, or
 * NULL (also used by the label's query-tooltip). */
const char *heron_markdown_view_get_mark_tooltip (HeronMarkdownView *self,
                                                  GtkLabel          *label,
                                                  double             x,
                                                  double             y);
/* Widgets (re)built by the last set_text (for tests). */
guint      heron_markdown_view_get_n_rebuilt (HeronMarkdownView *self);

G_END_DECLS
