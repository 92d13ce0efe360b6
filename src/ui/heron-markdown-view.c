/* heron-markdown-view.c: Markdown shown as widgets.
 *
 * Each block of heron_markdown_parse() becomes one child: a wrapping GtkLabel with the
 * generated (escaped) markup, a GtkSourceView for code, a GtkGrid for tables. While an
 * answer streams, set_text() keeps the children whose blocks did not change and updates
 * the last one in place when it is still the same kind of block, so the cost per frame
 * does not grow with the length of the answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-markdown-view"

#include "config.h"

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
};

G_DEFINE_FINAL_TYPE (HeronMarkdownView, heron_markdown_view, GTK_TYPE_WIDGET)

static gboolean
activate_link_cb (GtkLabel   *label,
                  const char *uri,
                  gpointer    user_data)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (label));

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

  /* The markup comes from heron_markdown_parse, which escapes every piece of text. */
  gtk_label_set_markup (GTK_LABEL (label), markup);
  g_signal_connect (label, "activate-link", G_CALLBACK (activate_link_cb), NULL);
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
      gtk_label_set_markup (GTK_LABEL (widget), new->text);
      return TRUE;
    case HERON_MD_LIST_ITEM:
      gtk_label_set_markup (g_object_get_data (G_OBJECT (widget), "heron-label"), new->text);
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

  blocks = heron_markdown_parse (text != NULL ? text : "", -1);
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
