/* test-composer.c: Enter, Shift+Enter and input-method handling of the message composer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>

#include "heron-composer-private.h"

typedef struct
{
  GtkWidget     *window;
  HeronComposer *composer;
  GPtrArray     *sent;
} Fixture;

static void
on_send (HeronComposer *composer,
         const char    *text,
         Fixture       *fixture)
{
  g_ptr_array_add (fixture->sent, g_strdup (text));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->window = gtk_window_new ();
  fixture->composer = HERON_COMPOSER (heron_composer_new ());
  fixture->sent = g_ptr_array_new_with_free_func (g_free);
  gtk_window_set_child (GTK_WINDOW (fixture->window), GTK_WIDGET (fixture->composer));
  g_signal_connect (fixture->composer, "send", G_CALLBACK (on_send), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_ptr_array_unref (fixture->sent);
}

static char *
buffer_text (Fixture *fixture)
{
  GtkTextView *text_view = _heron_composer_get_text_view (fixture->composer);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
test_enter_sends (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *left = NULL;

  heron_composer_set_text (fixture->composer, "  Hello\nHeron \n");
  g_assert_true (_heron_composer_handle_enter (fixture->composer, 0));

  g_assert_cmpuint (fixture->sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->sent, 0), ==, "Hello\nHeron");
  left = buffer_text (fixture);
  g_assert_cmpstr (left, ==, "");
}

static void
test_shift_enter_is_newline (Fixture       *fixture,
                             gconstpointer  data)
{
  heron_composer_set_text (fixture->composer, "first line");

  /* FALSE: the key goes on to the text view, which inserts the new line. */
  g_assert_false (_heron_composer_handle_enter (fixture->composer, GDK_SHIFT_MASK));
  g_assert_cmpuint (fixture->sent->len, ==, 0);
}

static void
test_empty_is_not_sent (Fixture       *fixture,
                        gconstpointer  data)
{
  GtkWidget *widget = GTK_WIDGET (fixture->composer);

  heron_composer_set_text (fixture->composer, " \n\t ");
  g_assert_true (_heron_composer_handle_enter (fixture->composer, 0));
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  /* The send button's action sends only real text. */
  gtk_widget_activate_action (widget, "composer.send", NULL);
  g_assert_cmpuint (fixture->sent->len, ==, 0);
  heron_composer_set_text (fixture->composer, "x");
  g_assert_true (gtk_widget_activate_action (widget, "composer.send", NULL));
  g_assert_cmpuint (fixture->sent->len, ==, 1);
}

static void
test_preedit_blocks_enter (Fixture       *fixture,
                           gconstpointer  data)
{
  GtkTextView *text_view = _heron_composer_get_text_view (fixture->composer);

  heron_composer_set_text (fixture->composer, "你好");

  /* A pinyin input method is showing "ni" as a candidate: Enter confirms it. */
  g_signal_emit_by_name (text_view, "preedit-changed", "ni");
  g_assert_false (_heron_composer_handle_enter (fixture->composer, 0));
  g_assert_cmpuint (fixture->sent->len, ==, 0);

  /* The candidate is committed; the next Enter sends. */
  g_signal_emit_by_name (text_view, "preedit-changed", "");
  g_assert_true (_heron_composer_handle_enter (fixture->composer, 0));
  g_assert_cmpuint (fixture->sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->sent, 0), ==, "你好");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/heron/ui/composer/enter-sends", Fixture, NULL,
              fixture_set_up, test_enter_sends, fixture_tear_down);
  g_test_add ("/heron/ui/composer/shift-enter-is-newline", Fixture, NULL,
              fixture_set_up, test_shift_enter_is_newline, fixture_tear_down);
  g_test_add ("/heron/ui/composer/empty-is-not-sent", Fixture, NULL,
              fixture_set_up, test_empty_is_not_sent, fixture_tear_down);
  g_test_add ("/heron/ui/composer/preedit-blocks-enter", Fixture, NULL,
              fixture_set_up, test_preedit_blocks_enter, fixture_tear_down);

  return g_test_run ();
}
