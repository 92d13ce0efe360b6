/* heron-citation-popover.c: the passage behind a source chip or a [n] of an answer.
 *
 * Everything here comes from the web: it is set as plain text (never markup), and only
 * http and https addresses are handed to the desktop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-citation-popover"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-citation-popover.h"

struct _HeronCitationPopover
{
  GtkPopover  parent_instance;

  GtkWidget  *title_label;
  GtkWidget  *meta_label;
  GtkWidget  *passage_label;
  GtkWidget  *open_button;

  guint       number;
  char       *url;
  char       *passage;
};

G_DEFINE_FINAL_TYPE (HeronCitationPopover, heron_citation_popover, GTK_TYPE_POPOVER)

enum {
  SIGNAL_OPEN_URI,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
is_web_uri (const char *uri)
{
  g_autofree char *scheme = uri != NULL ? g_uri_parse_scheme (uri) : NULL;

  return scheme != NULL && (g_ascii_strcasecmp (scheme, "http") == 0
                            || g_ascii_strcasecmp (scheme, "https") == 0);
}

static void
real_open_uri (HeronCitationPopover *self,
               const char           *uri)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!is_web_uri (uri))
    return;
  /* The popover's own root is its surface; the window is the parent's. */
  if (gtk_widget_get_parent (GTK_WIDGET (self)) != NULL)
    root = gtk_widget_get_root (gtk_widget_get_parent (GTK_WIDGET (self)));
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
}

void
heron_citation_popover_open_page (HeronCitationPopover *self)
{
  g_return_if_fail (HERON_IS_CITATION_POPOVER (self));

  if (self->url == NULL)
    return;
  g_signal_emit (self, signals[SIGNAL_OPEN_URI], 0, self->url);
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
open_clicked_cb (HeronCitationPopover *self)
{
  heron_citation_popover_open_page (self);
}

void
heron_citation_popover_set_source (HeronCitationPopover  *self,
                                   const HeronSourceItem *item)
{
  g_autofree char *site = NULL;
  g_autofree char *date = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *fetched = NULL;
  g_autofree char *title = NULL;

  g_return_if_fail (HERON_IS_CITATION_POPOVER (self));
  g_return_if_fail (item != NULL);

  self->number = item->number;
  g_free (self->url);
  self->url = g_strdup (item->url);
  g_free (self->passage);
  self->passage = g_strdup (item->text != NULL ? item->text : "");

  site = heron_source_item_dup_site (item);
  date = heron_source_format_date (item->fetched_at);
  if (date != NULL)
    fetched = item->from_knowledge ? g_strdup_printf (_("saved page, fetched %s"), date)
                                   : g_strdup_printf (_("fetched %s"), date);
  else if (item->from_knowledge)
    fetched = g_strdup (_("saved page"));
  meta = fetched != NULL ? g_strdup_printf ("%s · %s", site, fetched) : g_strdup (site);
  title = g_strdup_printf ("[%u] %s", item->number,
                           item->title != NULL && *item->title != '\0' ? item->title
                                                                       : item->url);

  gtk_label_set_text (GTK_LABEL (self->title_label), title);
  gtk_label_set_text (GTK_LABEL (self->meta_label), meta);
  gtk_widget_set_tooltip_text (self->meta_label, item->url);
  gtk_label_set_text (GTK_LABEL (self->passage_label), self->passage);
  gtk_widget_set_sensitive (self->open_button, is_web_uri (self->url));
  gtk_widget_set_tooltip_text (self->open_button, self->url);
}

guint
heron_citation_popover_get_number (HeronCitationPopover *self)
{
  g_return_val_if_fail (HERON_IS_CITATION_POPOVER (self), 0);

  return self->number;
}

const char *
heron_citation_popover_get_passage (HeronCitationPopover *self)
{
  g_return_val_if_fail (HERON_IS_CITATION_POPOVER (self), NULL);

  return self->passage;
}

const char *
heron_citation_popover_get_url (HeronCitationPopover *self)
{
  g_return_val_if_fail (HERON_IS_CITATION_POPOVER (self), NULL);

  return self->url;
}

static void
heron_citation_popover_map (GtkWidget *widget)
{
  HeronCitationPopover *self = HERON_CITATION_POPOVER (widget);

  GTK_WIDGET_CLASS (heron_citation_popover_parent_class)->map (widget);
  /* Not the passage: a focused selectable label selects all of its text. */
  if (gtk_widget_get_sensitive (self->open_button))
    gtk_widget_grab_focus (self->open_button);
}

static void
heron_citation_popover_finalize (GObject *object)
{
  HeronCitationPopover *self = (HeronCitationPopover *)object;

  g_free (self->url);
  g_free (self->passage);

  G_OBJECT_CLASS (heron_citation_popover_parent_class)->finalize (object);
}

static void
heron_citation_popover_class_init (HeronCitationPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = heron_citation_popover_finalize;
  widget_class->map = heron_citation_popover_map;

  signals[SIGNAL_OPEN_URI] =
    g_signal_new_class_handler ("open-uri", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (real_open_uri), NULL, NULL, NULL,
                                G_TYPE_NONE, 1, G_TYPE_STRING);
}

static GtkWidget *
plain_label (const char *first_class,
             gboolean    selectable)
{
  return g_object_new (GTK_TYPE_LABEL,
                       "use-markup", FALSE,
                       "wrap", TRUE,
                       "wrap-mode", PANGO_WRAP_WORD_CHAR,
                       "xalign", 0.0f,
                       "selectable", selectable,
                       "focus-on-click", FALSE,
                       "max-width-chars", 50,
                       "width-chars", 30,
                       "css-classes", (const char *[]) { first_class, NULL },
                       NULL);
}

static void
heron_citation_popover_init (HeronCitationPopover *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_widget_add_css_class (GTK_WIDGET (self), "citation-popover");
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  self->title_label = plain_label ("heading", FALSE);
  self->meta_label = plain_label ("dim-label", FALSE);
  gtk_widget_add_css_class (self->meta_label, "caption");
  self->passage_label = plain_label ("citation-passage", TRUE);
  gtk_label_set_yalign (GTK_LABEL (self->passage_label), 0.0f);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 260);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->passage_label);
  gtk_widget_add_css_class (scroller, "citation-passage-frame");

  self->open_button = gtk_button_new_with_mnemonic (_("_Open Page"));
  gtk_widget_set_halign (self->open_button, GTK_ALIGN_END);
  gtk_widget_add_css_class (self->open_button, "pill");
  gtk_widget_add_css_class (self->open_button, "suggested-action");
  g_signal_connect_swapped (self->open_button, "clicked", G_CALLBACK (open_clicked_cb), self);

  gtk_box_append (GTK_BOX (box), self->title_label);
  gtk_box_append (GTK_BOX (box), self->meta_label);
  gtk_box_append (GTK_BOX (box), scroller);
  gtk_box_append (GTK_BOX (box), self->open_button);
  gtk_popover_set_child (GTK_POPOVER (self), box);
  gtk_popover_set_position (GTK_POPOVER (self), GTK_POS_BOTTOM);
}

GtkWidget *
heron_citation_popover_new (void)
{
  return g_object_new (HERON_TYPE_CITATION_POPOVER, NULL);
}
