/* heron-markdown-view.c: Markdown shown as widgets.
 *
 * Each block of heron_markdown_parse() becomes one child: a wrapping GtkLabel with the
 * generated (escaped) markup, a GtkSourceView for code, a GtkGrid for tables. While an
 * answer streams, set_text() keeps the children whose blocks did not change and updates
 * the last one in place when it is still the same kind of block, so the cost per frame
 * does not grow with the length of the answer.
 *
 * With citations (an answer with web sources), "[n]" links emit citation-activated with
 * where the marker is drawn, and labels with unverified sentences answer query-tooltip over
 * them: the marks are found again in the label's layout (the error underline).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-markdown-view"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <adwaita.h>
#include <gtksourceview/gtksource.h>

#include "heron-markdown.h"
#include "heron-markdown-view.h"

struct _HeronMarkdownView
{
  GtkWidget  parent_instance;

  GPtrArray *blocks;    /* HeronMdBlock shown, one per child, in order */
  guint      n_rebuilt;

  /* Citations (a deep copy of what set_citations got); has_citations FALSE: none. */
  gboolean          has_citations;
  HeronMdCitations  citations;
  GArray           *markers, *unverified, *unverified_markers;  /* HeronMdRange */
  char             *unverified_title;
};

G_DEFINE_FINAL_TYPE (HeronMarkdownView, heron_markdown_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_CITATION_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- citation links and unverified marks ------------------------------------------- */

/* The on-screen box of the LEN bytes at INDEX of LABEL's text, in LABEL's coordinates. */
static void
text_area (GtkLabel     *label,
           int           index,
           int           len,
           GdkRectangle *area)
{
  PangoLayout *layout = gtk_label_get_layout (label);
  PangoRectangle a, b;
  int ox, oy;

  gtk_label_get_layout_offsets (label, &ox, &oy);
  pango_layout_index_to_pos (layout, index, &a);
  pango_layout_index_to_pos (layout, MAX (index, index + len - 1), &b);
  pango_extents_to_pixels (&a, NULL);
  pango_extents_to_pixels (&b, NULL);
  /* A marker broken over two lines points at its start. */
  if (b.y != a.y)
    b = a;
  area->x = ox + MIN (a.x, b.x);
  area->y = oy + a.y;
  area->width = MAX (1, MAX (a.x + a.width, b.x + b.width) - MIN (a.x, b.x));
  area->height = MAX (1, a.height);
}

/* Where "[N]" is in LABEL's text: the occurrence under the last click when there is one,
 * else the first. */
static void
marker_area (GtkLabel     *label,
             guint         number,
             GdkRectangle *area)
{
  g_autofree char *needle = g_strdup_printf ("[%u]", number);
  const char *text = gtk_label_get_text (label);
  const char *hit = strstr (text, needle);
  int *press = g_object_get_data (G_OBJECT (label), "heron-press-index");

  for (const char *p = hit; press != NULL && p != NULL; p = strstr (p + 1, needle))
    if (*press >= p - text && *press < p - text + (int) strlen (needle))
      {
        hit = p;
        break;
      }
  if (hit == NULL)
    {
      *area = (GdkRectangle) { 0, 0, gtk_widget_get_width (GTK_WIDGET (label)),
                               gtk_widget_get_height (GTK_WIDGET (label)) };
      return;
    }
  text_area (label, (int) (hit - text), (int) strlen (needle), area);
}

static int
index_at (GtkLabel *label,
          double    x,
          double    y)
{
  PangoLayout *layout = gtk_label_get_layout (label);
  int ox, oy, index = -1, trailing;

  gtk_label_get_layout_offsets (label, &ox, &oy);
  if (!pango_layout_xy_to_index (layout, (int) ((x - ox) * PANGO_SCALE),
                                 (int) ((y - oy) * PANGO_SCALE), &index, &trailing))
    return -1;
  return index;
}

static void
label_pressed_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  GtkLabel        *label)
{
  int *index = g_new (int, 1);

  *index = index_at (label, x, y);
  g_object_set_data_full (G_OBJECT (label), "heron-press-index", index, g_free);
}

const char *
heron_markdown_view_get_mark_tooltip (HeronMarkdownView *self,
                                      GtkLabel          *label,
                                      double             x,
                                      double             y)
{
  PangoAttrList *attrs;
  int index;
  const char *tooltip = NULL;
  GSList *list;

  g_return_val_if_fail (HERON_IS_MARKDOWN_VIEW (self), NULL);
  g_return_val_if_fail (GTK_IS_LABEL (label), NULL);

  attrs = pango_layout_get_attributes (gtk_label_get_layout (label));
  index = index_at (label, x, y);
  if (attrs == NULL || index < 0)
    return NULL;
  /* heron_markdown_parse_cited uses the error underline for unverified claims only. */
  list = pango_attr_list_get_attributes (attrs);
  for (GSList *l = list; l != NULL; l = l->next)
    {
      PangoAttribute *a = l->data;

      if (a->klass->type == PANGO_ATTR_UNDERLINE
          && ((PangoAttrInt *) a)->value == PANGO_UNDERLINE_ERROR
          && a->start_index <= (guint) index && (guint) index < a->end_index)
        tooltip = _("Unverified: the cited page does not clearly support this sentence.");
    }
  g_slist_free_full (list, (GDestroyNotify) pango_attribute_destroy);
  return tooltip;
}

static gboolean
query_tooltip_cb (GtkLabel   *label,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  GtkWidget *view = gtk_widget_get_ancestor (GTK_WIDGET (label), HERON_TYPE_MARKDOWN_VIEW);
  const char *text;

  if (view == NULL || keyboard)
    return FALSE;
  text = heron_markdown_view_get_mark_tooltip (HERON_MARKDOWN_VIEW (view), label, x, y);
  if (text == NULL)
    return FALSE;   /* the label's own tooltips (link titles) */
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* Markup from heron_markdown_parse*, which escapes every piece of text. */
static void
set_label_markup (GtkLabel   *label,
                  const char *markup)
{
  gtk_label_set_markup (label, markup);
  gtk_widget_set_has_tooltip (GTK_WIDGET (label),
                              strstr (markup, "underline=\"error\"") != NULL
                              || strstr (markup, " title=\"") != NULL);
}

static void
free_citations (HeronMarkdownView *self)
{
  self->has_citations = FALSE;
  g_clear_pointer (&self->markers, g_array_unref);
  g_clear_pointer (&self->unverified, g_array_unref);
  g_clear_pointer (&self->unverified_markers, g_array_unref);
  g_clear_pointer (&self->unverified_title, g_free);
  memset (&self->citations, 0, sizeof self->citations);
}

static GArray *
copy_ranges (const HeronMdRange *ranges,
             guint               n)
{
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (HeronMdRange), n);

  if (n > 0)
    g_array_append_vals (a, ranges, n);
  return a;
}

void
heron_markdown_view_set_citations (HeronMarkdownView      *self,
                                   const HeronMdCitations *c)
{
  g_return_if_fail (HERON_IS_MARKDOWN_VIEW (self));

  free_citations (self);
  if (c == NULL)
    return;
  self->has_citations = TRUE;
  self->citations.n_sources = c->n_sources;
  self->citations.checked = c->checked;
  self->markers = copy_ranges (c->markers, c->n_markers);
  self->citations.markers = (const HeronMdRange *) self->markers->data;
  self->citations.n_markers = self->markers->len;
  self->unverified = copy_ranges (c->unverified, c->n_unverified);
  self->citations.unverified = (const HeronMdRange *) self->unverified->data;
  self->citations.n_unverified = self->unverified->len;
  self->unverified_markers = copy_ranges (c->unverified_markers, c->n_unverified_markers);
  self->citations.unverified_markers = (const HeronMdRange *) self->unverified_markers->data;
  self->citations.n_unverified_markers = self->unverified_markers->len;
  self->unverified_title = g_strdup (c->unverified_title);
  self->citations.unverified_title = self->unverified_title;
}

static gboolean
activate_link_cb (GtkLabel   *label,
                  const char *uri,
                  gpointer    user_data)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (label));
  guint number = heron_markdown_cite_number (uri);

  if (number > 0)
    {
      GtkWidget *view = gtk_widget_get_ancestor (GTK_WIDGET (label), HERON_TYPE_MARKDOWN_VIEW);
      GdkRectangle area;

      marker_area (label, number, &area);
      if (view != NULL)
        g_signal_emit (view, signals[SIGNAL_CITATION_ACTIVATED], 0, number, label, &area);
      return TRUE;
    }
  /* Only web and mail links leave the app; anything else a model writes is ignored. */
  if (scheme != NULL
      && (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0
          || g_ascii_strcasecmp (scheme, "mailto") == 0))
    gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
  return TRUE;
}

static GtkWidget *
markup_label (const char *markup)
{
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL,
                                   "wrap", TRUE,
                                   "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                   "xalign", 0.0f,
                                   "selectable", TRUE,
                                   "hexpand", TRUE,
                                   NULL);

  GtkGesture *press = gtk_gesture_click_new ();

  set_label_markup (GTK_LABEL (label), markup);
  g_signal_connect (label, "activate-link", G_CALLBACK (activate_link_cb), NULL);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  /* Which of several equal markers was clicked, for the popover's arrow. */
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect (press, "pressed", G_CALLBACK (label_pressed_cb), label);
  gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (press));
  /* A focused selectable label selects all of its text; keep the focus elsewhere. */
  gtk_widget_set_focus_on_click (label, FALSE);
  return label;
}

static void
copy_code_cb (GtkButton     *button,
              GtkSourceView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
  gtk_button_set_icon_name (button, "object-select-symbolic");
}

static GtkSourceLanguage *
guess_language (const char *lang)
{
  GtkSourceLanguageManager *lm = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *language;
  g_autofree char *id = NULL;
  g_autofree char *file = NULL;

  if (lang == NULL || *lang == '\0')
    return NULL;
  id = g_ascii_strdown (lang, -1);
  language = gtk_source_language_manager_get_language (lm, id);
  if (language == NULL)
    {
      /* "py", "rs", "js"… are file extensions more often than language ids. */
      file = g_strconcat ("file.", id, NULL);
      language = gtk_source_language_manager_guess_language (lm, file, NULL);
    }
  return language;
}

static void
update_scheme (GtkSourceBuffer *buffer)
{
  GtkSourceStyleSchemeManager *sm = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());

  gtk_source_buffer_set_style_scheme (buffer,
      gtk_source_style_scheme_manager_get_scheme (sm, dark ? "Adwaita-dark" : "Adwaita"));
}

static GtkWidget *
code_block (const HeronMdBlock *block)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *lang = gtk_label_new (block->lang != NULL ? block->lang : "");
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkSourceBuffer *buffer = gtk_source_buffer_new (NULL);
  GtkWidget *view = gtk_source_view_new_with_buffer (buffer);
  GtkSourceLanguage *language = guess_language (block->lang);

  gtk_widget_add_css_class (box, "md-code");
  gtk_widget_add_css_class (header, "md-code-header");
  gtk_widget_add_css_class (lang, "dim-label");
  gtk_widget_add_css_class (lang, "caption");
  gtk_widget_set_hexpand (lang, TRUE);
  gtk_label_set_xalign (GTK_LABEL (lang), 0.0f);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy Code"), -1);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_code_cb), view);
  gtk_box_append (GTK_BOX (header), lang);
  gtk_box_append (GTK_BOX (header), copy);

  if (language != NULL)
    gtk_source_buffer_set_language (buffer, language);
  gtk_source_buffer_set_highlight_syntax (buffer, TRUE);
  update_scheme (buffer);
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), block->text, -1);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 8);
  gtk_widget_set_focus_on_click (view, FALSE);
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), view);
  g_object_set_data (G_OBJECT (box), "heron-code-buffer", buffer);
  g_object_unref (buffer);
  return box;
}

static GtkWidget *
table_block (const HeronMdBlock *block)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_widget_add_css_class (grid, "md-table");
  for (guint r = 0; r < block->rows->len; r++)
    {
      GPtrArray *row = g_ptr_array_index (block->rows, r);

      for (guint c = 0; c < row->len; c++)
        {
          GtkWidget *label = markup_label (g_ptr_array_index (row, c));

          gtk_widget_set_hexpand (label, FALSE);
          if (r < block->n_header_rows)
            gtk_widget_add_css_class (label, "heading");
          gtk_grid_attach (GTK_GRID (grid), label, c, r, 1, 1);
        }
    }
  return grid;
}

static GtkWidget *
text_block (const HeronMdBlock *block)
{
  GtkWidget *label = markup_label (block->text);

  if (block->kind == HERON_MD_HEADING)
    {
      static const char *classes[] = { "title-2", "title-3", "title-4", "heading" };

      gtk_widget_add_css_class (label, classes[MIN (block->level, 4) - 1]);
    }
  if (block->kind != HERON_MD_LIST_ITEM)
    return label;

  {
    GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *marker = gtk_label_new (block->marker != NULL ? block->marker : "");

    gtk_label_set_xalign (GTK_LABEL (marker), 1.0f);
    gtk_label_set_yalign (GTK_LABEL (marker), 0.0f);
    gtk_label_set_width_chars (GTK_LABEL (marker), 2);
    gtk_box_append (GTK_BOX (box), marker);
    gtk_box_append (GTK_BOX (box), label);
    g_object_set_data (G_OBJECT (box), "heron-label", label);
    return box;
  }
}

static GtkWidget *
build_block (const HeronMdBlock *block)
{
  GtkWidget *widget;

  switch (block->kind)
    {
    case HERON_MD_CODE:
      widget = code_block (block);
      break;
    case HERON_MD_TABLE:
      widget = table_block (block);
      break;
    case HERON_MD_RULE:
      widget = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      break;
    case HERON_MD_PARAGRAPH:
    case HERON_MD_HEADING:
    case HERON_MD_LIST_ITEM:
    default:
      widget = text_block (block);
      break;
    }

  gtk_widget_set_margin_start (widget, 20 * block->list_depth + 14 * block->quote_depth);
  if (block->quote_depth > 0)
    gtk_widget_add_css_class (widget, "md-quote");
  return widget;
}

/* Update WIDGET (built for OLD) to show NEW in place, when only the text differs. */
static gboolean
update_block (GtkWidget          *widget,
              const HeronMdBlock *old,
              const HeronMdBlock *new)
{
  if (old->kind != new->kind || old->level != new->level
      || old->quote_depth != new->quote_depth || old->list_depth != new->list_depth
      || g_strcmp0 (old->marker, new->marker) != 0 || g_strcmp0 (old->lang, new->lang) != 0)
    return FALSE;

  switch (new->kind)
    {
    case HERON_MD_CODE:
      gtk_text_buffer_set_text (g_object_get_data (G_OBJECT (widget), "heron-code-buffer"),
                                new->text, -1);
      return TRUE;
    case HERON_MD_PARAGRAPH:
    case HERON_MD_HEADING:
      set_label_markup (GTK_LABEL (widget), new->text);
      return TRUE;
    case HERON_MD_LIST_ITEM:
      set_label_markup (g_object_get_data (G_OBJECT (widget), "heron-label"), new->text);
      return TRUE;
    case HERON_MD_TABLE:
    case HERON_MD_RULE:
    default:
      return FALSE;
    }
}

void
heron_markdown_view_set_text (HeronMarkdownView *self,
                              const char        *text)
{
  g_autoptr(GPtrArray) blocks = NULL;
  GtkWidget *child;
  guint same = 0;

  g_return_if_fail (HERON_IS_MARKDOWN_VIEW (self));

  blocks = heron_markdown_parse_cited (text != NULL ? text : "", -1,
                                       self->has_citations ? &self->citations : NULL);
  while (same < blocks->len && same < self->blocks->len
         && heron_md_block_equal (g_ptr_array_index (blocks, same),
                                  g_ptr_array_index (self->blocks, same)))
    same++;

  self->n_rebuilt = 0;
  child = gtk_widget_get_first_child (GTK_WIDGET (self));
  for (guint i = 0; i < same && child != NULL; i++)
    child = gtk_widget_get_next_sibling (child);

  /* The first changed block is usually the one that is still streaming. */
  if (child != NULL && same < blocks->len
      && update_block (child, g_ptr_array_index (self->blocks, same),
                       g_ptr_array_index (blocks, same)))
    {
      child = gtk_widget_get_next_sibling (child);
      same++;
    }

  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_widget_unparent (child);
      child = next;
    }
  for (guint i = same; i < blocks->len; i++)
    {
      gtk_widget_set_parent (build_block (g_ptr_array_index (blocks, i)), GTK_WIDGET (self));
      self->n_rebuilt++;
    }

  g_ptr_array_unref (self->blocks);
  self->blocks = g_steal_pointer (&blocks);
}

guint
heron_markdown_view_get_n_rebuilt (HeronMarkdownView *self)
{
  g_return_val_if_fail (HERON_IS_MARKDOWN_VIEW (self), 0);

  return self->n_rebuilt;
}

static void
heron_markdown_view_dispose (GObject *object)
{
  HeronMarkdownView *self = (HeronMarkdownView *)object;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->blocks, g_ptr_array_unref);
  free_citations (self);

  G_OBJECT_CLASS (heron_markdown_view_parent_class)->dispose (object);
}

static void
heron_markdown_view_class_init (HeronMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_markdown_view_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronmarkdown");

  signals[SIGNAL_CITATION_ACTIVATED] =
    g_signal_new ("citation-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, GTK_TYPE_LABEL,
                  GDK_TYPE_RECTANGLE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
heron_markdown_view_init (HeronMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 8);
  self->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_md_block_free);
}

GtkWidget *
heron_markdown_view_new (void)
{
  return g_object_new (HERON_TYPE_MARKDOWN_VIEW, NULL);
}
