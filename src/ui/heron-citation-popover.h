/* heron-citation-popover.h: the passage of one web source as the model was given it, with
 * its title, site and fetch date, and a button that opens the page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-sources-row.h"

G_BEGIN_DECLS

#define HERON_TYPE_CITATION_POPOVER (heron_citation_popover_get_type ())
G_DECLARE_FINAL_TYPE (HeronCitationPopover, heron_citation_popover, HERON, CITATION_POPOVER,
                      GtkPopover)

GtkWidget  *heron_citation_popover_new         (void);
/* Show ITEM (copied). All its text is shown as plain text. */
void        heron_citation_popover_set_source  (HeronCitationPopover  *self,
                                                const HeronSourceItem *item);
guint       heron_citation_popover_get_number  (HeronCitationPopover  *self);
const char *heron_citation_popover_get_passage (HeronCitationPopover  *self);
const char *heron_citation_popover_get_url     (HeronCitationPopover  *self);
/* What "Open page" does: emits "open-uri" (const char *uri), whose default handler shows
 * the page with gtk_show_uri (http and https only). */
void        heron_citation_popover_open_page   (HeronCitationPopover  *self);

G_END_DECLS
