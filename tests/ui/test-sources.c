/* test-sources.c: an answer's web sources in the chat: chips under the answer (labels,
 * tooltips, keyboard), [n] links to the passage the model was given, numbers the check
 * removed, unverified sentences, web text shown literally, the row following sources_json
 * while an answer streams. The answer and its sources_json are made by the real pipeline
 * step (heron_web_turn_finish_answer_*: citation check, clean text); the expectations come
 * from heron_citations_check run here on the same input.
 *
 * Screenshots go to <builddir>/tests/ui/screenshots/LANGUAGE-sources-*.png (wide, narrow,
 * dark, popover); the sources-zh_CN test runs it with LANGUAGE=zh_CN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "heron-build-tree.h"
#include "heron-citation-popover.h"
#include "heron-citations.h"
#include "heron-markdown-view.h"
#include "heron-message-row.h"
#include "heron-screenshot.h"
#include "heron-sources-row.h"
#include "heron-web-turn.h"
#include "ui-test-util.h"

/* 2026-03-04 12:00 UTC, in ms. */
#define FETCHED_MS G_GINT64_CONSTANT (1772625600000)

static const char *raw_answer =
  "The Yangtze is the longest river in Asia [1]. It flows through Shanghai [2]. "
  "The moon is made of green cheese [2]. Giraffes live in Antarctica [7].\n\n"
  "Tags like <b>x</b> stay literal [3].";

typedef struct
{
  const char *url, *title, *site, *text;
  gboolean    from_knowledge;
} SourceFixture;

static const SourceFixture fixture[] = {
  { "https://rivers.example.org/yangtze", "Yangtze River facts", "Rivers of Asia",
    "The Yangtze is the longest river in Asia and flows into the East China Sea.", FALSE },
  { "https://www.travel.example.com/shanghai", "Shanghai guide", NULL,
    "The river passes Wuhan and Shanghai before it flows into the sea.", FALSE },
  { "https://markup.example.net/page", "<b>&amp; Co</b>", "<i>site</i>",
    "<b>&amp; markup-looking text</b>: tags like <b>x</b> stay literal.", TRUE },
};

static HeronWebContextResult *
make_result_from (const SourceFixture *fx,
                  guint                n)
{
  HeronWebContextResult *r = g_new0 (HeronWebContextResult, 1);

  r->searched = TRUE;
  r->reason = g_strdup ("Searched the web: the question asks for facts.");
  r->provider_id = g_strdup ("duckduckgo");
  r->provider_name = g_strdup ("DuckDuckGo");
  r->notes = g_ptr_array_new_with_free_func (g_free);
  r->passages = g_ptr_array_new ();
  r->sources = g_ptr_array_new ();
  for (guint i = 0; i < n; i++)
    {
      /* Freed by hand in free_result: the struct's own free function is the web layer's. */
      HeronWebSource *s = g_new0 (HeronWebSource, 1);

      s->number = i + 1;
      s->url = g_strdup (fx[i].url);
      s->title = g_strdup (fx[i].title);
      s->site = g_strdup (fx[i].site);
      s->text = g_strdup (fx[i].text);
      s->fetched_at = FETCHED_MS + i * 86400000;
      s->from_knowledge = fx[i].from_knowledge;
      g_ptr_array_add (r->sources, s);
    }
  return r;
}

static HeronWebContextResult *
make_result (void)
{
  return make_result_from (fixture, G_N_ELEMENTS (fixture));
}

static void
free_result (HeronWebContextResult *r)
{
  for (guint i = 0; i < r->sources->len; i++)
    {
      HeronWebSource *s = r->sources->pdata[i];

      g_free (s->url);
      g_free (s->title);
      g_free (s->site);
      g_free (s->text);
      g_free (s);
    }
  g_ptr_array_set_size (r->sources, 0);
  heron_web_context_result_free (r);
}

static void
got_result (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (res);
}

/* The answer as the app stores it after the web step: checked, cleaned, sources_json. */
static HeronMessage *
checked_answer (HeronWebContextResult *r,
                const char            *raw)
{
  HeronMessage *m = heron_message_new (HERON_ROLE_ASSISTANT, raw);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronCitationCheck) check = NULL;

  heron_message_set_state (m, HERON_MESSAGE_COMPLETE);
  heron_web_turn_finish_answer_async (NULL, m, r, HERON_WEB_MODE_ON, NULL, got_result, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  check = heron_web_turn_finish_answer_finish (res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (check);
  return m;
}

/* The same check, independently. */
static HeronCitationCheck *
expected_check (void)
{
  const char *texts[G_N_ELEMENTS (fixture)];

  for (guint i = 0; i < G_N_ELEMENTS (fixture); i++)
    texts[i] = fixture[i].text;
  return heron_citations_check (raw_answer, texts, G_N_ELEMENTS (fixture),
                                HERON_CITATION_DEFAULT_THRESHOLD);
}

static void
collect_labels (GtkWidget *root,
                GPtrArray *out)
{
  if (GTK_IS_LABEL (root))
    g_ptr_array_add (out, root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    collect_labels (c, out);
}

/* The links of a label's markup: "href=text" strings, in order. */
typedef struct
{
  GPtrArray *links;
  char      *href;
  GString   *text;
} LinkScan;

static void
scan_start (GMarkupParseContext *context,
            const char          *name,
            const char         **names,
            const char         **values,
            gpointer             user_data,
            GError             **error)
{
  LinkScan *scan = user_data;

  if (!g_str_equal (name, "a"))
    return;
  for (guint i = 0; names[i]; i++)
    if (g_str_equal (names[i], "href"))
      scan->href = g_strdup (values[i]);
  scan->text = g_string_new (NULL);
}

static void
scan_text (GMarkupParseContext *context,
           const char          *text,
           gsize                len,
           gpointer             user_data,
           GError             **error)
{
  LinkScan *scan = user_data;

  if (scan->text != NULL)
    g_string_append_len (scan->text, text, len);
}

static void
scan_end (GMarkupParseContext *context,
          const char          *name,
          gpointer             user_data,
          GError             **error)
{
  LinkScan *scan = user_data;

  if (!g_str_equal (name, "a") || scan->text == NULL)
    return;
  g_ptr_array_add (scan->links, g_strdup_printf ("%s=%s", scan->href, scan->text->str));
  g_clear_pointer (&scan->href, g_free);
  g_string_free (g_steal_pointer (&scan->text), TRUE);
}

/* "href=text" of every link in VIEW's labels, joined by spaces. */
static char *
links_of (GtkWidget *view)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
  GMarkupParser parser = { scan_start, scan_end, scan_text, NULL, NULL };

  collect_labels (view, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      g_autofree char *doc = g_strconcat ("<r>", gtk_label_get_label (labels->pdata[i]), "</r>",
                                          NULL);
      LinkScan scan = { links, NULL, NULL };
      g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &scan, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_true (g_markup_parse_context_parse (ctx, doc, -1, &error));
      g_assert_no_error (error);
    }
  g_ptr_array_add (links, NULL);
  return g_strjoinv (" ", (char **) links->pdata);
}

static GtkWidget *
label_containing (GtkWidget  *root,
                  const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_labels (root, labels);
  for (guint i = 0; i < labels->len; i++)
    if (strstr (gtk_label_get_text (labels->pdata[i]), text) != NULL)
      return labels->pdata[i];
  return NULL;
}

/* The text under the error underline (unverified marks) of LABEL, joined by "|". */
static char *
marked_text (GtkLabel *label)
{
  PangoAttrList *attrs = pango_layout_get_attributes (gtk_label_get_layout (label));
  const char *text = pango_layout_get_text (gtk_label_get_layout (label));
  GString *out = g_string_new (NULL);
  GSList *list = attrs != NULL ? pango_attr_list_get_attributes (attrs) : NULL;

  for (GSList *l = list; l != NULL; l = l->next)
    {
      PangoAttribute *a = l->data;

      if (a->klass->type == PANGO_ATTR_UNDERLINE
          && ((PangoAttrInt *) a)->value == PANGO_UNDERLINE_ERROR)
        {
          if (out->len > 0)
            g_string_append_c (out, '|');
          g_string_append_len (out, text + a->start_index, a->end_index - a->start_index);
        }
    }
  g_slist_free_full (list, (GDestroyNotify) pango_attribute_destroy);
  return g_string_free (out, FALSE);
}

/* Where byte INDEX of LABEL's text is drawn, in LABEL's coordinates. */
static void
point_of (GtkLabel *label,
          int       index,
          double   *x,
          double   *y)
{
  PangoRectangle pos;
  int ox, oy;

  gtk_label_get_layout_offsets (label, &ox, &oy);
  pango_layout_index_to_pos (gtk_label_get_layout (label), index, &pos);
  *x = ox + (pos.x + pos.width / 2.0) / PANGO_SCALE;
  *y = oy + (pos.y + pos.height / 2.0) / PANGO_SCALE;
}

static void
wait_until_allocated (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* A bound, not a timing assertion: a window maps in well under a second. */
  while ((gtk_widget_get_width (widget) == 0 || !gtk_widget_get_mapped (widget))
         && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_mapped (widget));
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  (*(int *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* Two frames drawn: what the widget shows is up to date. */
static void
wait_frames (GtkWidget *widget)
{
  int frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, tick_cb, &frames, NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_widget_queue_draw (widget);
  while (frames < 3 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  gtk_widget_remove_tick_callback (widget, id);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  const char *lang = g_getenv ("LANGUAGE");
  g_autofree char *file = g_strdup_printf ("%s-sources-%s.png",
                                           lang != NULL && *lang ? lang : "C", name);
  g_autofree char *path = g_build_filename (HERON_TEST_SCREENSHOT_DIR, file, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (HERON_TEST_SCREENSHOT_DIR, 0755);
  /* A focused selectable label shows all of its text selected. */
  if (GTK_IS_WINDOW (widget))
    gtk_window_set_focus (GTK_WINDOW (widget), NULL);
  wait_frames (widget);
  if (!heron_screenshot_save (widget, path, &error))
    g_test_message ("screenshot %s: %s", path, error->message);
}

typedef struct
{
  HeronWebContextResult *result;
  HeronMessage          *answer;
  HeronCitationCheck    *check;
  GtkWidget             *window;
  GtkWidget             *row;
  GtkWidget             *markdown;
  HeronSourcesRow       *sources;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();

  f->result = make_result ();
  f->answer = checked_answer (f->result, raw_answer);
  f->check = expected_check ();
  f->row = heron_message_row_new ();
  gtk_widget_set_margin_start (f->row, 12);
  gtk_widget_set_margin_end (f->row, 12);
  gtk_widget_set_margin_top (f->row, 12);
  gtk_widget_set_margin_bottom (f->row, 12);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), f->row);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 760, 420);
  gtk_window_set_child (GTK_WINDOW (f->window), scroller);
  heron_message_row_set_message (HERON_MESSAGE_ROW (f->row), f->answer);
  gtk_window_present (GTK_WINDOW (f->window));
  wait_until_allocated (f->row);
  f->markdown = ui_test_find_type (f->row, HERON_TYPE_MARKDOWN_VIEW);
  f->sources = HERON_SOURCES_ROW (ui_test_find_type (f->row, HERON_TYPE_SOURCES_ROW));
  g_assert_nonnull (f->markdown);
  g_assert_nonnull (f->sources);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->answer);
  heron_citation_check_free (f->check);
  free_result (f->result);
}

static GtkWidget *
chip_label_with_class (GtkWidget  *chip,
                       const char *css_class)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_labels (chip, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_has_css_class (labels->pdata[i], css_class))
      return labels->pdata[i];
  return NULL;
}

/* One chip per source: number, site (the URL's host when the page names none), title,
 * tooltip with the URL and the fetch date, "saved page" for pages read earlier. */
static void
test_chips (Fixture       *f,
            gconstpointer  data)
{
  const char *sites[] = { "Rivers of Asia", "travel.example.com", "<i>site</i>" };

  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->sources)));
  g_assert_cmpuint (heron_source_list_get_n_items (heron_sources_row_get_sources (f->sources)),
                    ==, G_N_ELEMENTS (fixture));
  for (guint i = 0; i < G_N_ELEMENTS (fixture); i++)
    {
      GtkWidget *chip = heron_sources_row_get_chip (f->sources, i + 1);
      g_autofree char *number = g_strdup_printf ("%u", i + 1);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local ((FETCHED_MS + i * 86400000)
                                                                   / 1000);
      g_autofree char *date = g_date_time_format (when, "%Y-%m-%d");
      g_autofree char *fetched = g_strdup_printf (fixture[i].from_knowledge
                                                  ? _("Saved page, fetched %s")
                                                  : _("Fetched %s"), date);
      g_autofree char *tooltip = g_strdup_printf ("%s\n%s", fixture[i].url, fetched);
      GtkWidget *title = chip_label_with_class (chip, "source-chip-title");

      g_assert_nonnull (chip);
      g_assert_true (gtk_widget_get_focusable (chip));
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (chip_label_with_class (
                         chip, "source-chip-number"))), ==, number);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (chip_label_with_class (
                         chip, "source-chip-site"))), ==, sites[i]);
      /* Web text is never markup: the title reads as the page wrote it. */
      g_assert_false (gtk_label_get_use_markup (GTK_LABEL (title)));
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (title)), ==, fixture[i].title);
      g_assert_cmpstr (gtk_widget_get_tooltip_text (chip), ==, tooltip);
    }
  g_assert_null (heron_sources_row_get_chip (f->sources, 4));
  screenshot (f->window, "wide");
}

/* Kept [n] are links to heron-cite:n; the check removed [7], so it is neither a link nor in
 * the text; the links sit exactly at the check's markers. */
static void
test_links (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *links = links_of (f->markdown);
  GString *expected = g_string_new (NULL);
  g_autofree char *want = NULL;

  g_assert_cmpstr (heron_message_get_content (f->answer), ==, f->check->text);
  g_assert_null (strstr (heron_message_get_content (f->answer), "[7]"));
  g_assert_cmpuint (f->check->n_removed, ==, 1);
  for (guint i = 0; i < f->check->citations->len; i++)
    {
      HeronCitation *c = &g_array_index (f->check->citations, HeronCitation, i);

      if (c->status == HERON_CITATION_REMOVED)
        continue;
      g_string_append_printf (expected, "%sheron-cite:%u=%.*s", expected->len ? " " : "",
                              c->number, (int) (c->marker_end - c->marker_start),
                              f->check->text + c->marker_start);
    }
  want = g_string_free (expected, FALSE);
  g_assert_cmpstr (links, ==, want);
  g_assert_cmpstr (links, ==,
                   "heron-cite:1=[1] heron-cite:2=[2] heron-cite:2=[2] heron-cite:3=[3]");
}

/* A click on [2] (activate-link) opens the popover with source 2's passage, exactly; a
 * chip does the same for its source; "Open page" hands its URL to the desktop. */
static void
on_open_uri (HeronCitationPopover *popover,
             const char           *uri,
             char                **out)
{
  g_free (*out);
  *out = g_strdup (uri);
  g_signal_stop_emission_by_name (popover, "open-uri");
}

static void
test_popover (Fixture       *f,
              gconstpointer  data)
{
  GtkWidget *label = label_containing (f->markdown, "Shanghai");
  GtkWidget *popover;
  gboolean handled = FALSE;
  g_autofree char *opened = NULL;

  g_assert_nonnull (label);
  g_assert_null (heron_sources_row_get_popover (f->sources));
  g_signal_emit_by_name (label, "activate-link", "heron-cite:2", &handled);
  g_assert_true (handled);
  popover = heron_sources_row_get_popover (f->sources);
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_visible (popover));
  g_assert_cmpuint (heron_citation_popover_get_number (HERON_CITATION_POPOVER (popover)), ==, 2);
  g_assert_cmpstr (heron_citation_popover_get_passage (HERON_CITATION_POPOVER (popover)), ==,
                   fixture[1].text);
  /* What is on screen is the passage, as plain text. */
  g_assert_nonnull (label_containing (popover, fixture[1].text));
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (label_containing (popover,
                                                                         fixture[1].text))));
  g_assert_nonnull (label_containing (popover, fixture[1].title));
  g_assert_nonnull (label_containing (popover, "travel.example.com"));
  {
    /* The arrow points at the first [2] of the label (no click position: keyboard). */
    const char *text = gtk_label_get_text (GTK_LABEL (label));
    GdkRectangle area;
    double x, y, rx, ry;

    g_assert_true (gtk_popover_get_pointing_to (GTK_POPOVER (popover), &area));
    point_of (GTK_LABEL (label), strstr (text, "[2]") - text + 1, &x, &y);
    g_assert_true (gtk_widget_translate_coordinates (label, GTK_WIDGET (f->sources), x, y,
                                                     &rx, &ry));
    g_assert_cmpint (area.x, <=, (int) rx);
    g_assert_cmpint (area.x + area.width, >=, (int) rx);
    g_assert_cmpint (area.y, <=, (int) ry);
    g_assert_cmpint (area.y + area.height, >=, (int) ry);
    g_assert_cmpint (area.y, <, 0);
  }
  wait_until_allocated (popover);
  screenshot (popover, "popover");
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* A number that is not a source opens nothing. */
  g_signal_emit_by_name (label, "activate-link", "heron-cite:7", &handled);
  g_assert_true (handled);
  g_assert_false (gtk_widget_get_visible (popover));

  /* The chip of source 3 (markup-looking web text, a saved page). */
  g_signal_emit_by_name (gtk_widget_get_parent (heron_sources_row_get_chip (f->sources, 3)),
                         "child-activated", heron_sources_row_get_chip (f->sources, 3));
  g_assert_true (gtk_widget_get_visible (popover));
  g_assert_cmpstr (heron_citation_popover_get_passage (HERON_CITATION_POPOVER (popover)), ==,
                   fixture[2].text);
  g_assert_nonnull (label_containing (popover, "<b>&amp; markup-looking text</b>"));
  g_assert_nonnull (label_containing (popover, "[3] <b>&amp; Co</b>"));
  g_assert_nonnull (label_containing (popover, "<i>site</i>"));

  g_signal_connect (popover, "open-uri", G_CALLBACK (on_open_uri), &opened);
  heron_citation_popover_open_page (HERON_CITATION_POPOVER (popover));
  g_assert_cmpstr (opened, ==, fixture[2].url);
  g_assert_false (gtk_widget_get_visible (popover));
}

/* The unverified claim (the check's claim range) carries the mark and its tooltip; a
 * supported sentence does not. The answer's own "<b>x</b>" is shown as written. */
static void
test_unverified (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *label = label_containing (f->markdown, "moon");
  g_autofree char *marked = NULL;
  g_autofree char *claim = NULL;
  HeronMarkdownView *view = HERON_MARKDOWN_VIEW (f->markdown);
  const char *text;
  double x, y;
  guint n_unverified = 0;

  for (guint i = 0; i < f->check->citations->len; i++)
    {
      HeronCitation *c = &g_array_index (f->check->citations, HeronCitation, i);

      if (c->status != HERON_CITATION_UNVERIFIED)
        continue;
      n_unverified++;
      claim = g_strstrip (g_strndup (f->check->text + c->claim_start,
                                     c->claim_end - c->claim_start));
    }
  g_assert_cmpuint (n_unverified, ==, 1);
  g_assert_cmpstr (claim, ==, "The moon is made of green cheese");

  marked = marked_text (GTK_LABEL (label));
  g_strstrip (marked);
  g_assert_cmpstr (marked, ==, claim);

  text = gtk_label_get_text (GTK_LABEL (label));
  point_of (GTK_LABEL (label), strstr (text, "cheese") - text, &x, &y);
  g_assert_nonnull (heron_markdown_view_get_mark_tooltip (view, GTK_LABEL (label), x, y));
  point_of (GTK_LABEL (label), strstr (text, "Yangtze") - text, &x, &y);
  g_assert_null (heron_markdown_view_get_mark_tooltip (view, GTK_LABEL (label), x, y));
  g_assert_true (gtk_widget_get_has_tooltip (label));

  label = label_containing (f->markdown, "Tags like");
  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, "Tags like <b>x</b> stay literal [3].");
  marked = (g_free (marked), marked_text (GTK_LABEL (label)));
  g_assert_cmpstr (marked, ==, "");
}

/* Tab reaches the chips, arrows move between them, activation opens the passage. */
static void
test_keyboard (Fixture       *f,
               gconstpointer  data)
{
  GtkWidget *flow = gtk_widget_get_parent (heron_sources_row_get_chip (f->sources, 1));
  GtkWidget *focus = NULL;

  for (int i = 0; i < 40; i++)
    {
      if (!gtk_widget_child_focus (f->window, GTK_DIR_TAB_FORWARD))
        continue;
      focus = gtk_root_get_focus (GTK_ROOT (f->window));
      if (focus != NULL && gtk_widget_get_parent (focus) == flow)
        break;
    }
  g_assert_true (focus == heron_sources_row_get_chip (f->sources, 1));
  g_assert_true (gtk_widget_child_focus (flow, GTK_DIR_RIGHT));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window))
                 == heron_sources_row_get_chip (f->sources, 2));
  g_assert_true (gtk_widget_activate (gtk_root_get_focus (GTK_ROOT (f->window))));
  g_assert_true (gtk_widget_get_visible (heron_sources_row_get_popover (f->sources)));
  g_assert_cmpuint (heron_citation_popover_get_number (HERON_CITATION_POPOVER (
                      heron_sources_row_get_popover (f->sources))), ==, 2);
}

/* A narrow window wraps the chips on several lines; a dark one keeps them readable. */
static void
test_narrow_dark (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *c1 = heron_sources_row_get_chip (f->sources, 1);
  GtkWidget *c3 = heron_sources_row_get_chip (f->sources, 3);
  graphene_rect_t b1, b3;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 640);
  while (gtk_widget_get_width (f->window) > 360 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_compute_bounds (c1, GTK_WIDGET (f->sources), &b1));
  g_assert_true (gtk_widget_compute_bounds (c3, GTK_WIDGET (f->sources), &b3));
  g_assert_cmpfloat (b3.origin.y, >, b1.origin.y);
  g_assert_cmpfloat (b3.origin.x + b3.size.width, <=, gtk_widget_get_width (f->window));
  screenshot (f->window, "narrow");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 760, 420);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (gtk_widget_get_width (f->window) < 760 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  screenshot (f->window, "dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);
}

/* While the answer streams: no sources yet, so [1] is plain; sources_json set (notify, no
 * check yet): chips appear and [n] of a known source become links, [7] stays plain. */
static void
test_streaming (void)
{
  g_autoptr(HeronWebContextResult) r = make_result ();
  g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_ASSISTANT,
                                                  "Long river [1]. Not a source [7]");
  g_autofree char *json = heron_web_turn_sources_json (r, HERON_WEB_MODE_ON, NULL);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = heron_message_row_new ();
  HeronSourcesRow *sources;
  GtkWidget *view;
  g_autofree char *links = NULL;
  gint64 deadline;

  heron_message_set_state (m, HERON_MESSAGE_STREAMING);
  gtk_window_set_child (GTK_WINDOW (window), row);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), m);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_allocated (row);
  sources = HERON_SOURCES_ROW (ui_test_find_type (row, HERON_TYPE_SOURCES_ROW));
  view = ui_test_find_type (row, HERON_TYPE_MARKDOWN_VIEW);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (sources)));
  links = links_of (view);
  g_assert_cmpstr (links, ==, "");
  g_assert_nonnull (label_containing (view, "Long river [1]. Not a source [7]"));

  heron_message_set_sources_json (m, json);
  heron_message_set_content (m, "Long river [1]. Not a source [7]. More [2]");
  /* The row redraws on its next frame (notify), without being asked. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!gtk_widget_get_visible (GTK_WIDGET (sources)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (sources)));
  g_assert_nonnull (heron_sources_row_get_chip (sources, 3));
  g_clear_pointer (&links, g_free);
  links = links_of (view);
  g_assert_cmpstr (links, ==, "heron-cite:1=[1] heron-cite:2=[2]");
  g_assert_nonnull (label_containing (view, "Not a source [7]."));
  gtk_window_destroy (GTK_WINDOW (window));
  free_result (g_steal_pointer (&r));
}

/* A Chinese answer: markers after full-width punctuation, the mark on CJK text (offsets in
 * bytes of multi-byte characters), chips of Chinese pages. */
static const SourceFixture zh_fixture[] = {
  { "https://zh.example.org/changjiang", "长江：亚洲第一长河", "地理百科",
    "长江是亚洲最长的河流，全长约六千三百公里，最后注入东海。", FALSE },
  { "https://news.example.cn/shanghai", "上海城市概况", NULL,
    "长江流经武汉和上海，在上海附近入海。", TRUE },
};

static void
test_chinese (void)
{
  const char *raw = "长江是亚洲最长的河流[1]。它流经上海[2]。月亮是用奶酪做的[2]。";
  const char *texts[] = { zh_fixture[0].text, zh_fixture[1].text };
  HeronWebContextResult *r = make_result_from (zh_fixture, G_N_ELEMENTS (zh_fixture));
  g_autoptr(HeronMessage) m = checked_answer (r, raw);
  g_autoptr(HeronCitationCheck) check = heron_citations_check (raw, texts, 2,
                                                              HERON_CITATION_DEFAULT_THRESHOLD);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = heron_message_row_new ();
  GtkWidget *view, *label;
  g_autofree char *links = NULL;
  g_autofree char *marked = NULL;
  g_autofree char *claim = NULL;

  for (guint i = 0; i < check->citations->len; i++)
    {
      HeronCitation *c = &g_array_index (check->citations, HeronCitation, i);

      if (c->status == HERON_CITATION_UNVERIFIED)
        claim = g_strndup (check->text + c->claim_start, c->claim_end - c->claim_start);
    }
  g_assert_cmpstr (claim, ==, "月亮是用奶酪做的");
  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 12);
  gtk_widget_set_margin_bottom (row, 12);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 300);
  gtk_window_set_child (GTK_WINDOW (window), row);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), m);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_allocated (row);
  view = ui_test_find_type (row, HERON_TYPE_MARKDOWN_VIEW);
  links = links_of (view);
  g_assert_cmpstr (links, ==, "heron-cite:1=[1] heron-cite:2=[2] heron-cite:2=[2]");
  label = label_containing (view, "月亮");
  marked = marked_text (GTK_LABEL (label));
  g_assert_cmpstr (marked, ==, claim);
  screenshot (window, "chinese");
  gtk_window_destroy (GTK_WINDOW (window));
  free_result (r);
}

/* Straight from a check's verdict: a checked answer whose markers were all removed links
 * nothing, even a "[1]" left in the text; "[n]" in code is never a link. */
static void
test_checked_markers (void)
{
  const char *texts[] = { "Code in Python uses brackets for lists." };
  const char *raw = "Lists look like `[1]` in Python [1]. Nothing here [9].";
  g_autoptr(HeronCitationCheck) check = heron_citations_check (raw, texts, 1,
                                                              HERON_CITATION_DEFAULT_THRESHOLD);
  g_autoptr(GArray) markers = g_array_new (FALSE, FALSE, sizeof (HeronMdRange));
  GtkWidget *view = g_object_ref_sink (heron_markdown_view_new ());
  HeronMdCitations c = { .n_sources = 1, .checked = TRUE };
  g_autofree char *links = NULL;

  for (guint i = 0; i < check->citations->len; i++)
    {
      HeronCitation *hc = &g_array_index (check->citations, HeronCitation, i);
      HeronMdRange r = { hc->marker_start, hc->marker_end };

      if (hc->status != HERON_CITATION_REMOVED)
        g_array_append_val (markers, r);
    }
  /* The check sees the code span's [1] as a marker too. */
  g_assert_cmpuint (markers->len, ==, 2);
  c.markers = (const HeronMdRange *) markers->data;
  c.n_markers = markers->len;
  heron_markdown_view_set_citations (HERON_MARKDOWN_VIEW (view), &c);
  heron_markdown_view_set_text (HERON_MARKDOWN_VIEW (view), check->text);
  links = links_of (view);
  g_assert_cmpstr (links, ==, "heron-cite:1=[1]");

  c.markers = NULL;
  c.n_markers = 0;
  heron_markdown_view_set_citations (HERON_MARKDOWN_VIEW (view), &c);
  heron_markdown_view_set_text (HERON_MARKDOWN_VIEW (view), check->text);
  g_free (links);
  links = links_of (view);
  g_assert_cmpstr (links, ==, "");
  g_assert_nonnull (label_containing (view, "in Python [1]."));
  g_object_unref (view);
}

/* Whatever the database holds, reading it back never trusts it. */
static void
test_bad_json (void)
{
  const char *bad[] = {
    NULL, "", "nope", "[]", "{}", "{\"sources\": 3}", "{\"sources\": [1, \"x\", null]}",
    "{\"sources\": [{\"number\": 0, \"url\": \"https://a\"}]}",
    "{\"sources\": [{\"number\": 1}]}",
  };
  g_autoptr(HeronSourceList) ok = NULL;
  HeronMdCitations c;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (heron_source_list_new_from_json (bad[i]));
  ok = heron_source_list_new_from_json (
    "{\"sources\": [{\"number\": 2, \"url\": \"https://a.example/x\", \"title\": 5},"
    " {\"number\": 2, \"url\": \"https://dup\"}],"
    " \"check\": {\"citations\": [{\"number\": 2, \"status\": \"unverified\","
    " \"marker\": [9, 3], \"claim\": [0, 4]}, {\"status\": \"supported\"}, 7]}}");
  g_assert_nonnull (ok);
  g_assert_cmpuint (heron_source_list_get_n_items (ok), ==, 1);
  g_assert_null (heron_source_list_get_item (ok, 0)->title);
  g_assert_true (heron_source_list_is_checked (ok));
  heron_source_list_get_md_citations (ok, &c);
  g_assert_cmpuint (c.n_sources, ==, 2);
  g_assert_cmpuint (c.n_markers, ==, 0);
  g_assert_cmpuint (c.n_unverified, ==, 0);
  {
    g_autofree char *site = heron_source_item_dup_site (heron_source_list_get_item (ok, 0));

    g_assert_cmpstr (site, ==, "a.example");
  }
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    heron_build_tree_setup_locale (NULL);
    /* The app's style sheet, as AdwApplication would load it. */
    gtk_css_provider_load_from_resource (css, "/io/github/heronchat/Heron/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  g_test_add ("/heron/ui/sources/chips", Fixture, NULL, fixture_setup, test_chips,
              fixture_teardown);
  g_test_add ("/heron/ui/sources/links", Fixture, NULL, fixture_setup, test_links,
              fixture_teardown);
  g_test_add ("/heron/ui/sources/popover", Fixture, NULL, fixture_setup, test_popover,
              fixture_teardown);
  g_test_add ("/heron/ui/sources/unverified", Fixture, NULL, fixture_setup, test_unverified,
              fixture_teardown);
  g_test_add ("/heron/ui/sources/keyboard", Fixture, NULL, fixture_setup, test_keyboard,
              fixture_teardown);
  g_test_add ("/heron/ui/sources/narrow-dark", Fixture, NULL, fixture_setup, test_narrow_dark,
              fixture_teardown);
  g_test_add_func ("/heron/ui/sources/streaming", test_streaming);
  g_test_add_func ("/heron/ui/sources/chinese", test_chinese);
  g_test_add_func ("/heron/ui/sources/checked-markers", test_checked_markers);
  g_test_add_func ("/heron/ui/sources/bad-json", test_bad_json);
  return g_test_run ();
}
