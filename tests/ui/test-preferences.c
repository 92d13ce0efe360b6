/* test-preferences.c: the Preferences window reads and writes the real GSettings keys.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "heron-preferences.h"

typedef struct
{
  GSettings        *settings;
  HeronPreferences *preferences;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->settings = g_settings_new (APP_ID);
  g_settings_reset (fixture->settings, "color-scheme");
  g_settings_reset (fixture->settings, "system-prompt");
  g_settings_reset (fixture->settings, "model-titles");
  fixture->preferences = heron_preferences_new (fixture->settings);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->preferences));
  g_clear_object (&fixture->settings);
}

static GObject *
child (Fixture    *fixture,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (fixture->preferences),
                                                   HERON_TYPE_PREFERENCES, name);

  g_assert_nonnull (object);
  return object;
}

static void
test_style (Fixture       *fixture,
            gconstpointer  data)
{
  AdwComboRow *row = ADW_COMBO_ROW (child (fixture, "style_row"));
  g_autofree char *scheme = NULL;

  /* The default follows the system. */
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);

  g_settings_set_string (fixture->settings, "color-scheme", "dark");
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 2);

  adw_combo_row_set_selected (row, 1);
  scheme = g_settings_get_string (fixture->settings, "color-scheme");
  g_assert_cmpstr (scheme, ==, "light");
}

static void
test_system_prompt (Fixture       *fixture,
                    gconstpointer  data)
{
  GtkEditable *row = GTK_EDITABLE (child (fixture, "system_prompt_row"));
  g_autofree char *prompt = NULL;

  g_assert_cmpstr (gtk_editable_get_text (row), ==, "");

  gtk_editable_set_text (row, "你是一个乐于助人的助手。");
  prompt = g_settings_get_string (fixture->settings, "system-prompt");
  g_assert_cmpstr (prompt, ==, "你是一个乐于助人的助手。");

  g_settings_set_string (fixture->settings, "system-prompt", "Answer briefly.");
  g_assert_cmpstr (gtk_editable_get_text (row), ==, "Answer briefly.");
}

static void
test_model_titles (Fixture       *fixture,
                   gconstpointer  data)
{
  GtkSwitch *toggle = GTK_SWITCH (child (fixture, "model_titles_switch"));

  /* On by default; the switch and the key follow each other. */
  g_assert_true (gtk_switch_get_active (toggle));
  gtk_switch_set_active (toggle, FALSE);
  g_assert_false (g_settings_get_boolean (fixture->settings, "model-titles"));
  g_settings_set_boolean (fixture->settings, "model-titles", TRUE);
  g_assert_true (gtk_switch_get_active (toggle));
}

int
main (int   argc,
      char *argv[])
{
  /* The schema compiled in the build tree; settings live in memory only. */
  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/heron/ui/preferences/style", Fixture, NULL,
              fixture_set_up, test_style, fixture_tear_down);
  g_test_add ("/heron/ui/preferences/system-prompt", Fixture, NULL,
              fixture_set_up, test_system_prompt, fixture_tear_down);
  g_test_add ("/heron/ui/preferences/model-titles", Fixture, NULL,
              fixture_set_up, test_model_titles, fixture_tear_down);

  return g_test_run ();
}
