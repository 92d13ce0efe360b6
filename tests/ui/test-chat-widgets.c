/* test-chat-widgets.c: the chat's widgets without the app: Markdown view re-rendering while
 * an answer streams, message rows (reasoning expander, plain user text, stats line, the
 * "‹ 2/3 ›" between alternatives),
 * search snippets (escaped, match in bold) and the conversation list's section headers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "heron-chat-list.h"
#include "heron-conversation.h"
#include "heron-markdown-view.h"
#include "heron-message-row.h"
#include "ui-test-util.h"

static guint
n_children (GtkWidget *w)
{
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}

/* Streaming an answer character by character rebuilds at most one block per update, and
 * the blocks already complete keep their widgets. */
static void
test_markdown_incremental (void)
{
  const char *answer = "First paragraph.\n\n- a\n- b\n\n```python\nx = 1\n```\n\nLast *words*.";
  GtkWidget *view = g_object_ref_sink (heron_markdown_view_new ());
  GtkWidget *first = NULL;
  gsize len = strlen (answer);

  for (gsize n = 1; n <= len; n++)
    {
      g_autofree char *part = g_strndup (answer, n);

      heron_markdown_view_set_text (HERON_MARKDOWN_VIEW (view), part);
      g_assert_cmpuint (heron_markdown_view_get_n_rebuilt (HERON_MARKDOWN_VIEW (view)), <=, 2);
      if (n > 20 && first == NULL)
        first = gtk_widget_get_first_child (view);
      if (first != NULL)
        g_assert_true (gtk_widget_get_first_child (view) == first);
    }
  /* paragraph, 2 list items, code, paragraph */
  g_assert_cmpuint (n_children (view), ==, 5);

  /* Same text again: nothing rebuilt. */
  heron_markdown_view_set_text (HERON_MARKDOWN_VIEW (view), answer);
  g_assert_cmpuint (heron_markdown_view_get_n_rebuilt (HERON_MARKDOWN_VIEW (view)), ==, 0);
  g_object_unref (view);
}

static gboolean
is_label_with_text (GtkWidget *w, gconstpointer text)
{
  return GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), text) == 0;
}

static GtkWidget *
find_label_with_text (GtkWidget  *root,
                      const char *text)
{
  return ui_test_find (root, is_label_with_text, text);
}


/* User text is shown as typed, never as markup. */
static void
test_row_user_text (void)
{
  GtkWidget *row = g_object_ref_sink (heron_message_row_new ());
  g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_USER, "<b>not bold</b> & *not em*");
  GtkWidget *label;

  heron_message_set_id (m, 7);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), m);
  label = find_label_with_text (row, "<b>not bold</b> & *not em*");
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_visible (label));
  g_assert_false (gtk_label_get_use_markup (GTK_LABEL (label)));
  g_object_unref (row);
}

/* The chat.show-branch button of ROW with target (id, DELTA), or NULL. */
static GtkWidget *
find_branch_button (GtkWidget *widget, gint64 id, int delta)
{
  g_autoptr(GVariant) want = g_variant_ref_sink (g_variant_new ("(xi)", id, delta));

  if (GTK_IS_BUTTON (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)),
                    "chat.show-branch") == 0
      && g_variant_equal (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget)),
                          want))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_branch_button (c, id, delta);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
shown (GtkWidget *widget, GtkWidget *top)
{
  for (GtkWidget *w = widget; w != NULL && w != top; w = gtk_widget_get_parent (w))
    if (!gtk_widget_get_visible (w))
      return FALSE;
  return widget != NULL;
}

/* "‹ 2/3 ›": shown only with alternatives, the ends disabled, targets the message's id;
 * it follows the message when the store tells it more (a new alternative). */
static void
test_row_branches (void)
{
  GtkWidget *row = g_object_ref_sink (heron_message_row_new ());
  g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_ASSISTANT, "An answer.");
  g_autoptr(HeronMessage) q = heron_message_new (HERON_ROLE_USER, "A question");
  GtkWidget *prev, *next;

  heron_message_set_id (m, 41);
  heron_message_set_branch_index (m, 1);
  heron_message_set_branch_count (m, 1);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), m);
  g_assert_false (shown (find_branch_button (row, 41, -1), row));
  g_assert_null (find_label_with_text (row, "1/1"));

  heron_message_set_branch_count (m, 3);
  heron_message_set_branch_index (m, 2);
  heron_message_row_flush (HERON_MESSAGE_ROW (row));
  prev = find_branch_button (row, 41, -1);
  next = find_branch_button (row, 41, 1);
  g_assert_true (shown (prev, row) && shown (next, row));
  g_assert_true (shown (find_label_with_text (row, "2/3"), row));
  g_assert_true (gtk_widget_get_sensitive (prev) && gtk_widget_get_sensitive (next));

  heron_message_set_branch_index (m, 3);
  heron_message_row_flush (HERON_MESSAGE_ROW (row));
  g_assert_true (shown (find_label_with_text (row, "3/3"), row));
  g_assert_true (gtk_widget_get_sensitive (prev));
  g_assert_false (gtk_widget_get_sensitive (next));

  /* Recycled for a user message with two alternatives, the first shown. */
  heron_message_set_id (q, 40);
  heron_message_set_branch_index (q, 1);
  heron_message_set_branch_count (q, 2);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), q);
  prev = find_branch_button (row, 40, -1);
  g_assert_nonnull (prev);
  g_assert_null (find_branch_button (row, 41, -1));
  g_assert_true (shown (find_label_with_text (row, "1/2"), row));
  g_assert_false (gtk_widget_get_sensitive (prev));
  g_assert_true (gtk_widget_get_sensitive (find_branch_button (row, 40, 1)));
  g_object_unref (row);
}

/* Reasoning: open while only it streams, closed once the answer starts. */
static void
test_row_reasoning (void)
{
  GtkWidget *row = g_object_ref_sink (heron_message_row_new ());
  g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_ASSISTANT, "");
  GtkWidget *expander;

  heron_message_set_id (m, 8);
  heron_message_set_state (m, HERON_MESSAGE_STREAMING);
  heron_message_row_set_message (HERON_MESSAGE_ROW (row), m);
  expander = ui_test_find_type (row, GTK_TYPE_EXPANDER);
  g_assert_nonnull (expander);
  g_assert_false (gtk_widget_get_visible (expander));

  heron_message_append_reasoning (m, "Let me think <about> it.");
  heron_message_row_flush (HERON_MESSAGE_ROW (row));
  g_assert_true (gtk_widget_get_visible (expander));
  g_assert_true (gtk_expander_get_expanded (GTK_EXPANDER (expander)));
  g_assert_nonnull (find_label_with_text (row, "Let me think <about> it."));

  heron_message_append_content (m, "The answer.");
  heron_message_row_flush (HERON_MESSAGE_ROW (row));
  g_assert_false (gtk_expander_get_expanded (GTK_EXPANDER (expander)));
  g_assert_nonnull (find_label_with_text (row, "The answer."));

  heron_message_set_stats_json (m, "{\"model\": \"tiny\", \"completion_tokens\": 10, "
                                   "\"ttft_ms\": 400, \"tokens_per_second\": 31.2, "
                                   "\"stop\": \"end\"}");
  heron_message_set_state (m, HERON_MESSAGE_COMPLETE);
  heron_message_row_flush (HERON_MESSAGE_ROW (row));
  {
    GtkWidget *stats = NULL;

    for (GtkWidget *c = gtk_widget_get_first_child (row); c; c = gtk_widget_get_next_sibling (c))
      if (GTK_IS_LABEL (c) && strstr (gtk_label_get_text (GTK_LABEL (c)), "tiny") != NULL)
        stats = c;
    g_assert_nonnull (stats);
    g_assert_true (gtk_widget_get_visible (stats));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (stats)), "31.2"));
  }
  g_object_unref (row);
}

/* Snippets: every piece escaped, the match (by byte offsets) in bold. */
static void
test_snippet_markup (void)
{
  g_autofree char *a = heron_chat_list_snippet_markup ("x <i>&</i> 深度学习 y", 11, 12);
  g_autofree char *b = heron_chat_list_snippet_markup ("abc", 10, 5);

  g_assert_cmpstr (a, ==, "x &lt;i&gt;&amp;&lt;/i&gt; <b>深度学习</b> y");
  g_assert_cmpstr (b, ==, "abc");
}

/* Headers: Pinned / Today / Yesterday / Earlier above the first row of each section. */
static void
test_sections (void)
{
  g_autoptr(GListStore) store = g_list_store_new (HERON_TYPE_CONVERSATION);
  GtkWidget *list = g_object_ref_sink (heron_chat_list_new ());
  GtkWidget *window = gtk_window_new ();
  gint64 now = g_get_real_time () / 1000;
  struct { const char *title; gboolean pinned; gint64 age_ms; } rows[] = {
    { "pinned", TRUE, 3 * 86400000LL },
    { "now", FALSE, 0 },
    { "also now", FALSE, 1000 },
    { "old", FALSE, 30 * 86400000LL },
  };
  GtkWidget *box;
  guint n_headers = 0;

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(HeronConversation) c = heron_conversation_new (i + 1, rows[i].title);

      heron_conversation_set_pinned (c, rows[i].pinned);
      heron_conversation_set_updated_at (c, now - rows[i].age_ms);
      g_list_store_append (store, c);
    }
  heron_chat_list_set_model (HERON_CHAT_LIST (list), G_LIST_MODEL (store));
  gtk_window_set_child (GTK_WINDOW (window), list);
  gtk_window_present (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));

  box = ui_test_find_type (list, GTK_TYPE_LIST_BOX);
  for (int i = 0; i < 4; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (box), i);
      GtkWidget *header = gtk_list_box_row_get_header (row);

      if (i == 2)
        g_assert_null (header);   /* same section as the row above */
      else
        {
          g_assert_nonnull (header);
          n_headers++;
        }
      g_assert_nonnull (find_label_with_text (GTK_WIDGET (row), rows[i].title));
    }
  g_assert_cmpuint (n_headers, ==, 3);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_list_box_row_get_header (
    gtk_list_box_get_row_at_index (GTK_LIST_BOX (box), 0)))), ==, "Pinned");

  /* A rename shows at once (the store's list updates the objects it keeps). */
  {
    g_autoptr(HeronConversation) c = g_list_model_get_item (G_LIST_MODEL (store), 3);

    heron_conversation_set_title (c, "renamed");
    g_assert_nonnull (find_label_with_text (box, "renamed"));
  }
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (list);
}

int
main (int argc, char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/heron/ui/chat-widgets/markdown-incremental", test_markdown_incremental);
  g_test_add_func ("/heron/ui/chat-widgets/row-user-text", test_row_user_text);
  g_test_add_func ("/heron/ui/chat-widgets/row-reasoning", test_row_reasoning);
  g_test_add_func ("/heron/ui/chat-widgets/row-branches", test_row_branches);
  g_test_add_func ("/heron/ui/chat-widgets/snippet-markup", test_snippet_markup);
  g_test_add_func ("/heron/ui/chat-widgets/sections", test_sections);
  return g_test_run ();
}
