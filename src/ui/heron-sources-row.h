/* heron-sources-row.h: the web sources of an answer (messages.sources_json, see
 * heron-web-turn.h): what was stored, read back, and shown as a row of chips under the
 * answer; a chip (or a [n] of the answer) opens the passage the model was given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-markdown.h"

G_BEGIN_DECLS

typedef struct
{
  guint    number;
  char    *url;
  char    *title;           /* may be NULL */
  char    *site;            /* may be NULL */
  gint64   fetched_at;      /* unix ms; 0: unknown */
  gboolean from_knowledge;  /* a page saved earlier, not read for this question */
  char    *text;            /* the passages given to the model */
} HeronSourceItem;

typedef struct _HeronSourceList HeronSourceList;

/* The sources of SOURCES_JSON and its citation check, or NULL when it has no sources (or
 * is not what heron-web-turn stores). Bad members are skipped, never trusted: offsets
 * are checked against the answer when they are used. */
HeronSourceList       *heron_source_list_new_from_json (const char      *sources_json);
HeronSourceList       *heron_source_list_ref           (HeronSourceList *list);
void                   heron_source_list_unref         (HeronSourceList *list);
guint                  heron_source_list_get_n_items   (HeronSourceList *list);
const HeronSourceItem *heron_source_list_get_item      (HeronSourceList *list,
                                                        guint            index);
/* The source numbered NUMBER, or NULL. */
const HeronSourceItem *heron_source_list_lookup        (HeronSourceList *list,
                                                        guint            number);
/* Whether the answer's citations were checked (a "check" member). */
gboolean               heron_source_list_is_checked    (HeronSourceList *list);
/* What the Markdown view needs to link [n] and mark unverified sentences; the pointers
 * stay valid as long as LIST. */
void                   heron_source_list_get_md_citations (HeronSourceList  *list,
                                                           HeronMdCitations *citations);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronSourceList, heron_source_list_unref)

/* "2026-11-23" in local time, or NULL for 0. */
char *heron_source_format_date (gint64 fetched_at_ms);
/* The site to show: SITE, else the URL's host, else the URL. */
char *heron_source_item_dup_site (const HeronSourceItem *item);

#define HERON_TYPE_SOURCES_ROW (heron_sources_row_get_type ())
G_DECLARE_FINAL_TYPE (HeronSourcesRow, heron_sources_row, HERON, SOURCES_ROW, GtkWidget)

GtkWidget       *heron_sources_row_new         (void);
/* Show LIST's chips (NULL: none, the row hides itself). The same list again (or an equal
 * one) keeps the chips. */
void             heron_sources_row_set_sources (HeronSourcesRow *self,
                                                HeronSourceList *list);
HeronSourceList *heron_sources_row_get_sources (HeronSourcesRow *self);
/* Open the passage of source NUMBER, pointing at AREA of ANCHOR (a widget in the same
 * window; NULL: the chip of that source). FALSE when there is no such source. */
gboolean         heron_sources_row_show_source (HeronSourcesRow    *self,
                                                guint               number,
                                                GtkWidget          *anchor,
                                                const GdkRectangle *area);
/* The popover of show_source (NULL before the first one; tests). */
GtkWidget       *heron_sources_row_get_popover (HeronSourcesRow *self);
/* The chip of source NUMBER (tests). */
GtkWidget       *heron_sources_row_get_chip    (HeronSourcesRow *self,
                                                guint            number);

G_END_DECLS
