/* heron-sources-row.c: the web sources under an answer, as chips that wrap (GtkFlowBox).
 *
 * The sources come back from messages.sources_json, which a database could hold in any
 * shape: every member is type-checked, and the Markdown renderer checks offsets against
 * the answer itself. All web text is set as plain text; tooltips use set_tooltip_text.
 * The row owns the passage popover, so both a chip and a [n] of the answer open the same
 * one, and presents it from size_allocate so it follows the row when the chat scrolls.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-sources-row"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "heron-citation-popover.h"
#include "heron-sources-row.h"

/* ---- the stored sources -------------------------------------------------------------- */

struct _HeronSourceList
{
  grefcount  ref;
  GPtrArray *items;               /* HeronSourceItem* */
  gboolean   checked;
  GArray    *markers;             /* HeronMdRange: the kept "[n]" */
  GArray    *unverified;          /* HeronMdRange: claims the check could not support */
  GArray    *unverified_markers;  /* HeronMdRange: the "[n]" of those claims */
};

static void
source_item_free (HeronSourceItem *item)
{
  g_free (item->url);
  g_free (item->title);
  g_free (item->site);
  g_free (item->text);
  g_free (item);
}

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gint64
member_int (JsonObject *o,
            const char *name,
            gint64      fallback)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (n);
}

static gboolean
member_range (JsonObject   *o,
              const char   *name,
              HeronMdRange *range)
{
  JsonNode *n = json_object_get_member (o, name);
  JsonArray *a;
  JsonNode *s, *e;

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return FALSE;
  a = json_node_get_array (n);
  if (json_array_get_length (a) != 2)
    return FALSE;
  s = json_array_get_element (a, 0);
  e = json_array_get_element (a, 1);
  if (!JSON_NODE_HOLDS_VALUE (s) || json_node_get_value_type (s) != G_TYPE_INT64
      || !JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64
      || json_node_get_int (s) < 0 || json_node_get_int (e) < json_node_get_int (s))
    return FALSE;
  range->start = (gsize) json_node_get_int (s);
  range->end = (gsize) json_node_get_int (e);
  return TRUE;
}

static void
read_item (HeronSourceList *list,
           JsonNode        *node)
{
  JsonObject *o;
  HeronSourceItem *item;
  gint64 number;
  JsonNode *k;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;
  o = json_node_get_object (node);
  number = member_int (o, "number", 0);
  if (number < 1 || number > 9999 || member_string (o, "url") == NULL
      || heron_source_list_lookup (list, (guint) number) != NULL)
    return;
  item = g_new0 (HeronSourceItem, 1);
  item->number = (guint) number;
  item->url = g_strdup (member_string (o, "url"));
  item->title = g_strdup (member_string (o, "title"));
  item->site = g_strdup (member_string (o, "site"));
  item->text = g_strdup (member_string (o, "text"));
  item->fetched_at = MAX (0, member_int (o, "fetched_at", 0));
  k = json_object_get_member (o, "from_knowledge");
  item->from_knowledge = k != NULL && JSON_NODE_HOLDS_VALUE (k)
                         && json_node_get_value_type (k) == G_TYPE_BOOLEAN
                         && json_node_get_boolean (k);
  g_ptr_array_add (list->items, item);
}

static void
read_check (HeronSourceList *list,
            JsonNode        *node)
{
  JsonNode *citations;
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  list->checked = TRUE;
  citations = json_object_get_member (json_node_get_object (node), "citations");
  if (citations == NULL || !JSON_NODE_HOLDS_ARRAY (citations))
    return;
  a = json_node_get_array (citations);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *c = json_array_get_element (a, i);
      JsonObject *o;
      const char *status;
      HeronMdRange marker, claim;

      if (!JSON_NODE_HOLDS_OBJECT (c))
        continue;
      o = json_node_get_object (c);
      status = member_string (o, "status");
      /* A removed number is not in the text (its marker range is empty). */
      if (status == NULL || g_str_equal (status, "removed")
          || !member_range (o, "marker", &marker) || marker.end == marker.start)
        continue;
      g_array_append_val (list->markers, marker);
      if (g_str_equal (status, "unverified"))
        {
          g_array_append_val (list->unverified_markers, marker);
          if (member_range (o, "claim", &claim) && claim.end > claim.start)
            g_array_append_val (list->unverified, claim);
        }
    }
}

HeronSourceList *
heron_source_list_new_from_json (const char *sources_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HeronSourceList) list = NULL;
  JsonNode *root, *sources;
  JsonArray *a;

  if (sources_json == NULL || *sources_json == '\0'
      || !json_parser_load_from_data (parser, sources_json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  /* heron-cli stored a bare array before the object form. */
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    sources = root;
  else if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    sources = json_object_get_member (json_node_get_object (root), "sources");
  else
    return NULL;
  if (sources == NULL || !JSON_NODE_HOLDS_ARRAY (sources))
    return NULL;

  list = g_new0 (HeronSourceList, 1);
  g_ref_count_init (&list->ref);
  list->items = g_ptr_array_new_with_free_func ((GDestroyNotify) source_item_free);
  list->markers = g_array_new (FALSE, FALSE, sizeof (HeronMdRange));
  list->unverified = g_array_new (FALSE, FALSE, sizeof (HeronMdRange));
  list->unverified_markers = g_array_new (FALSE, FALSE, sizeof (HeronMdRange));
  a = json_node_get_array (sources);
  for (guint i = 0; i < json_array_get_length (a); i++)
    read_item (list, json_array_get_element (a, i));
  if (list->items->len == 0)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (root))
    read_check (list, json_object_get_member (json_node_get_object (root), "check"));
  return g_steal_pointer (&list);
}

HeronSourceList *
heron_source_list_ref (HeronSourceList *list)
{
  g_return_val_if_fail (list != NULL, NULL);

  g_ref_count_inc (&list->ref);
  return list;
}

void
heron_source_list_unref (HeronSourceList *list)
{
  if (list == NULL || !g_ref_count_dec (&list->ref))
    return;
  g_ptr_array_unref (list->items);
  g_array_unref (list->markers);
  g_array_unref (list->unverified);
  g_array_unref (list->unverified_markers);
  g_free (list);
}

guint
heron_source_list_get_n_items (HeronSourceList *list)
{
  g_return_val_if_fail (list != NULL, 0);

  return list->items->len;
}

const HeronSourceItem *
heron_source_list_get_item (HeronSourceList *list,
                            guint            index)
{
  g_return_val_if_fail (list != NULL, NULL);
  g_return_val_if_fail (index < list->items->len, NULL);

  return list->items->pdata[index];
}

const HeronSourceItem *
heron_source_list_lookup (HeronSourceList *list,
                          guint            number)
{
  g_return_val_if_fail (list != NULL, NULL);

  for (guint i = 0; i < list->items->len; i++)
    if (((HeronSourceItem *) list->items->pdata[i])->number == number)
      return list->items->pdata[i];
  return NULL;
}

gboolean
heron_source_list_is_checked (HeronSourceList *list)
{
  g_return_val_if_fail (list != NULL, FALSE);

  return list->checked;
}

void
heron_source_list_get_md_citations (HeronSourceList  *list,
                                    HeronMdCitations *c)
{
  guint max = 0;

  g_return_if_fail (list != NULL && c != NULL);

  for (guint i = 0; i < list->items->len; i++)
    max = MAX (max, ((HeronSourceItem *) list->items->pdata[i])->number);
  *c = (HeronMdCitations) {
    .n_sources = max,
    .checked = list->checked,
    .markers = (const HeronMdRange *) list->markers->data,
    .n_markers = list->markers->len,
    .unverified = (const HeronMdRange *) list->unverified->data,
    .n_unverified = list->unverified->len,
    .unverified_markers = (const HeronMdRange *) list->unverified_markers->data,
    .n_unverified_markers = list->unverified_markers->len,
    .unverified_title = _("Unverified: the cited page does not clearly support this sentence."),
  };
}

char *
heron_source_format_date (gint64 fetched_at_ms)
{
  g_autoptr(GDateTime) when = NULL;

  if (fetched_at_ms <= 0)
    return NULL;
  when = g_date_time_new_from_unix_local (fetched_at_ms / 1000);
  return when != NULL ? g_date_time_format (when, "%Y-%m-%d") : NULL;
}

char *
heron_source_item_dup_site (const HeronSourceItem *item)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (item->site != NULL && *item->site != '\0')
    return g_strdup (item->site);
  uri = g_uri_parse (item->url, G_URI_FLAGS_NONE, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host != NULL && *host != '\0')
    return g_strdup (g_str_has_prefix (host, "www.") ? host + 4 : host);
  return g_strdup (item->url);
}

/* ---- the row --------------------------------------------------------------------------- */

struct _HeronSourcesRow
{
  GtkWidget        parent_instance;

  GtkWidget       *flow;
  GtkWidget       *popover;       /* HeronCitationPopover, or NULL */
  GtkWidget       *anchor;        /* what the popover points at (weak) */
  GdkRectangle     anchor_area;   /* in ANCHOR's coordinates */
  HeronSourceList *list;
};

G_DEFINE_FINAL_TYPE (HeronSourcesRow, heron_sources_row, GTK_TYPE_WIDGET)

static GtkWidget *
chip_label (const char *text,
            const char *css_class)
{
  return g_object_new (GTK_TYPE_LABEL,
                       "label", text,
                       "use-markup", FALSE,
                       "single-line-mode", TRUE,
                       "ellipsize", PANGO_ELLIPSIZE_END,
                       "css-classes", (const char *[]) { css_class, NULL },
                       NULL);
}

static GtkWidget *
build_chip (const HeronSourceItem *item)
{
  GtkWidget *child = gtk_flow_box_child_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *number = g_strdup_printf ("%u", item->number);
  g_autofree char *site = heron_source_item_dup_site (item);
  g_autofree char *date = heron_source_format_date (item->fetched_at);
  g_autofree char *when = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *accessible = NULL;
  const char *title = item->title != NULL && *item->title != '\0' ? item->title : NULL;
  GtkWidget *site_label = chip_label (site, "source-chip-site");

  gtk_box_append (GTK_BOX (box), chip_label (number, "source-chip-number"));
  gtk_label_set_max_width_chars (GTK_LABEL (site_label), 18);
  gtk_box_append (GTK_BOX (box), site_label);
  if (title != NULL)
    {
      GtkWidget *title_label = chip_label (title, "source-chip-title");

      gtk_label_set_max_width_chars (GTK_LABEL (title_label), 22);
      gtk_box_append (GTK_BOX (box), title_label);
    }
  gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (child), box);
  gtk_widget_add_css_class (child, "source-chip");
  gtk_widget_set_halign (child, GTK_ALIGN_START);

  if (date != NULL)
    when = item->from_knowledge ? g_strdup_printf (_("Saved page, fetched %s"), date)
                                : g_strdup_printf (_("Fetched %s"), date);
  else if (item->from_knowledge)
    when = g_strdup (_("Saved page"));
  tooltip = when != NULL ? g_strdup_printf ("%s\n%s", item->url, when) : g_strdup (item->url);
  gtk_widget_set_tooltip_text (child, tooltip);
  /* TRANSLATORS: a web source under an answer: its number, title, then site. */
  accessible = g_strdup_printf (_("Source %u: %s, %s"), item->number,
                                title != NULL ? title : item->url, site);
  gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_object_set_data (G_OBJECT (child), "heron-source-number", GUINT_TO_POINTER (item->number));
  return child;
}

GtkWidget *
heron_sources_row_get_chip (HeronSourcesRow *self,
                            guint            number)
{
  g_return_val_if_fail (HERON_IS_SOURCES_ROW (self), NULL);

  for (GtkWidget *c = gtk_widget_get_first_child (self->flow); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (c), "heron-source-number")) == number)
      return c;
  return NULL;
}

static void
popover_closed_cb (HeronSourcesRow *self)
{
  g_clear_weak_pointer (&self->anchor);
}

static void
present_popover (HeronSourcesRow *self)
{
  double x = 0, y = 0;
  GdkRectangle area;

  if (self->popover == NULL || self->anchor == NULL)
    return;
  /* The area in this row's coordinates (it may lie above the row: a [n] of the answer). */
  if (!gtk_widget_translate_coordinates (self->anchor, GTK_WIDGET (self),
                                         self->anchor_area.x, self->anchor_area.y, &x, &y))
    x = y = 0;
  area = (GdkRectangle) { (int) x, (int) y, self->anchor_area.width, self->anchor_area.height };
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover), &area);
}

gboolean
heron_sources_row_show_source (HeronSourcesRow    *self,
                               guint               number,
                               GtkWidget          *anchor,
                               const GdkRectangle *area)
{
  const HeronSourceItem *item;

  g_return_val_if_fail (HERON_IS_SOURCES_ROW (self), FALSE);

  item = self->list != NULL ? heron_source_list_lookup (self->list, number) : NULL;
  if (item == NULL)
    return FALSE;
  if (anchor == NULL)
    {
      anchor = heron_sources_row_get_chip (self, number);
      area = NULL;
    }
  if (anchor == NULL)
    return FALSE;
  if (self->popover == NULL)
    {
      self->popover = heron_citation_popover_new ();
      gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
      g_signal_connect_swapped (self->popover, "closed", G_CALLBACK (popover_closed_cb), self);
    }
  heron_citation_popover_set_source (HERON_CITATION_POPOVER (self->popover), item);
  g_set_weak_pointer (&self->anchor, anchor);
  self->anchor_area = area != NULL ? *area
                      : (GdkRectangle) { 0, 0, gtk_widget_get_width (anchor),
                                         gtk_widget_get_height (anchor) };
  present_popover (self);
  gtk_popover_popup (GTK_POPOVER (self->popover));
  return TRUE;
}

GtkWidget *
heron_sources_row_get_popover (HeronSourcesRow *self)
{
  g_return_val_if_fail (HERON_IS_SOURCES_ROW (self), NULL);

  return self->popover;
}

static void
child_activated_cb (HeronSourcesRow *self,
                    GtkFlowBoxChild *child)
{
  guint number = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (child), "heron-source-number"));

  heron_sources_row_show_source (self, number, GTK_WIDGET (child), NULL);
}

void
heron_sources_row_set_sources (HeronSourcesRow *self,
                               HeronSourceList *list)
{
  GtkWidget *child;

  g_return_if_fail (HERON_IS_SOURCES_ROW (self));

  if (self->list == list)
    return;
  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  g_clear_pointer (&self->list, heron_source_list_unref);
  while ((child = gtk_widget_get_first_child (self->flow)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (self->flow), child);
  if (list != NULL)
    {
      self->list = heron_source_list_ref (list);
      for (guint i = 0; i < heron_source_list_get_n_items (list); i++)
        gtk_flow_box_append (GTK_FLOW_BOX (self->flow),
                             build_chip (heron_source_list_get_item (list, i)));
    }
  gtk_widget_set_visible (GTK_WIDGET (self), list != NULL);
}

HeronSourceList *
heron_sources_row_get_sources (HeronSourcesRow *self)
{
  g_return_val_if_fail (HERON_IS_SOURCES_ROW (self), NULL);

  return self->list;
}

/* GtkFlowBox lines its children up in columns and spreads spare width over the columns,
 * which leaves gaps after narrow chips. So the box gets the width of the widest column
 * layout that fits in AVAILABLE (all chips on one line when they fit), no more. */
static int
fitting_width (HeronSourcesRow *self,
               int              available)
{
  int spacing = (int) gtk_flow_box_get_column_spacing (GTK_FLOW_BOX (self->flow));
  g_autoptr(GArray) widths = g_array_new (FALSE, FALSE, sizeof (int));
  int narrowest = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (self->flow); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      int nat = 0;

      if (!gtk_widget_should_layout (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
      g_array_append_val (widths, nat);
    }
  for (guint columns = widths->len; columns >= 1; columns--)
    {
      int width = (int) (columns - 1) * spacing;

      for (guint col = 0; col < columns; col++)
        {
          int widest = 0;

          for (guint i = col; i < widths->len; i += columns)
            widest = MAX (widest, g_array_index (widths, int, i));
          width += widest;
        }
      narrowest = width;
      if (available < 0 || width <= available)
        return width;
    }
  return narrowest;
}

static void
heron_sources_row_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  HeronSourcesRow *self = HERON_SOURCES_ROW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (self->flow, orientation, for_size, minimum, natural,
                          minimum_baseline, natural_baseline);
      *natural = MAX (*minimum, fitting_width (self, -1));
      return;
    }
  if (for_size >= 0)
    {
      int min = 0;

      gtk_widget_measure (self->flow, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      for_size = MAX (min, MIN (for_size, fitting_width (self, for_size)));
    }
  gtk_widget_measure (self->flow, orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
}

static void
heron_sources_row_size_allocate (GtkWidget *widget,
                                 int        width,
                                 int        height,
                                 int        baseline)
{
  HeronSourcesRow *self = HERON_SOURCES_ROW (widget);
  int min = 0;

  gtk_widget_measure (self->flow, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  gtk_widget_allocate (self->flow, MAX (min, MIN (width, fitting_width (self, width))), height,
                       baseline, NULL);
  if (self->popover != NULL && gtk_widget_get_visible (self->popover))
    {
      present_popover (self);
      gtk_popover_present (GTK_POPOVER (self->popover));
    }
}

static GtkSizeRequestMode
heron_sources_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
heron_sources_row_dispose (GObject *object)
{
  HeronSourcesRow *self = (HeronSourcesRow *)object;

  g_clear_weak_pointer (&self->anchor);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  g_clear_pointer (&self->flow, gtk_widget_unparent);
  g_clear_pointer (&self->list, heron_source_list_unref);

  G_OBJECT_CLASS (heron_sources_row_parent_class)->dispose (object);
}

static void
heron_sources_row_class_init (HeronSourcesRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_sources_row_dispose;
  widget_class->measure = heron_sources_row_measure;
  widget_class->size_allocate = heron_sources_row_size_allocate;
  widget_class->get_request_mode = heron_sources_row_get_request_mode;

  gtk_widget_class_set_css_name (widget_class, "heronsources");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
heron_sources_row_init (HeronSourcesRow *self)
{
  self->flow = g_object_new (GTK_TYPE_FLOW_BOX,
                             "selection-mode", GTK_SELECTION_NONE,
                             "activate-on-single-click", TRUE,
                             "homogeneous", FALSE,
                             "min-children-per-line", 1,
                             "max-children-per-line", 20,
                             "column-spacing", 6,
                             "row-spacing", 6,
                             "valign", GTK_ALIGN_START,
                             NULL);
  gtk_widget_add_css_class (self->flow, "sources");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->flow), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sources"), -1);
  g_signal_connect_swapped (self->flow, "child-activated", G_CALLBACK (child_activated_cb),
                            self);
  gtk_widget_set_parent (self->flow, GTK_WIDGET (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sources"), -1);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
heron_sources_row_new (void)
{
  return g_object_new (HERON_TYPE_SOURCES_ROW, NULL);
}
