/* heron-markdown-view.h: Markdown shown as widgets (labels, code views, grids).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HERON_TYPE_MARKDOWN_VIEW (heron_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (HeronMarkdownView, heron_markdown_view, HERON, MARKDOWN_VIEW, GtkWidget)

GtkWidget *heron_markdown_view_new      (void);
/* Show TEXT; blocks equal to the shown ones keep their widgets, so calling this on every
 * frame of a streaming answer only rebuilds or updates the last block. */
void       heron_markdown_view_set_text (HeronMarkdownView *self,
                                         const char        *text);
/* Widgets (re)built by the last set_text (for tests). */
guint      heron_markdown_view_get_n_rebuilt (HeronMarkdownView *self);

G_END_DECLS
