/* test-web-preferences.c: Preferences → Web reads and writes the real GSettings keys (web
 * mode of new conversations, provider order and on/off, SearXNG address, page limits, caches,
 * context share) and keeps API keys in the keyring (libsecret's file backend here), never in
 * GSettings. A screenshot per language goes to <builddir>/tests/ui/screenshots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "heron-build-tree.h"
#include "heron-preferences.h"
#include "heron-preferences-web.h"
#include "heron-screenshot.h"
#include "heron-web-search.h"
#include "heron-web-secrets.h"

typedef struct
{
  GSettings           *settings;
  GtkWidget           *window;
  HeronPreferencesWeb *page;
} Fixture;

static const char *keys[] = {
  "default-web-mode", "search-providers", "searxng-url", "search-base-urls",
  "web-page-timeout-ms", "web-page-max-bytes", "web-max-parallel", "web-cache-page-ttl",
  "web-cache-search-ttl", "web-context-share",
};

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->settings = g_settings_new (APP_ID);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (f->settings, keys[i]);
  f->window = adw_preferences_window_new ();
  f->page = HERON_PREFERENCES_WEB (heron_preferences_web_new (f->settings));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (f->window), ADW_PREFERENCES_PAGE (f->page));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 640, 900);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->settings);
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  guint id = g_timeout_add (20, tick, NULL);

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static char *
providers_string (GSettings *settings)
{
  g_auto(GStrv) ids = g_settings_get_strv (settings, "search-providers");

  return g_strjoinv (",", ids);
}

static void
test_providers (Fixture *f, gconstpointer data)
{
  g_auto(GStrv) defaults = heron_web_search_default_ids (NULL);
  g_autofree char *list = NULL, *expect = NULL, *joined = NULL;
  GtkWidget *sw;

  /* Empty setting: the locale's order is shown switched on, the others off. */
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (
    _heron_preferences_web_get_provider_switch (f->page, defaults[0]))));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (
    _heron_preferences_web_get_provider_switch (f->page, "tavily"))));
  g_assert_false (gtk_widget_get_sensitive (_heron_preferences_web_get_provider_up (
    f->page, defaults[0])));
  for (const char * const *id = (const char * const []) { "duckduckgo", "bing", "bing-cn",
                                                          "baidu", "searxng", "brave",
                                                          "tavily", "bocha", NULL };
       *id != NULL; id++)
    g_assert_nonnull (_heron_preferences_web_get_provider_row (f->page, *id));

  /* Switching SearXNG on writes the whole chain in the order shown. */
  sw = _heron_preferences_web_get_provider_switch (f->page, "searxng");
  gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
  list = providers_string (f->settings);
  joined = g_strjoinv (",", defaults);
  expect = g_strjoin (",", joined, "searxng", NULL);
  g_assert_cmpstr (list, ==, expect);

  /* Moving Brave up twice turns it on and puts it before SearXNG and the last default. */
  g_settings_set_strv (f->settings, "search-providers",
                       (const char *[]) { "bing", "searxng", NULL });
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (
    _heron_preferences_web_get_provider_switch (f->page, "searxng"))));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (
    _heron_preferences_web_get_provider_switch (f->page, "duckduckgo"))));
  g_signal_emit_by_name (_heron_preferences_web_get_provider_up (f->page, "brave"), "clicked");
  g_clear_pointer (&list, g_free);
  list = providers_string (f->settings);
  g_assert_true (g_str_has_prefix (list, "bing,searxng,"));
  g_assert_nonnull (strstr (list, "brave"));
  /* Brave sat behind the disabled ones; each step up passes one. */
  while (!g_str_equal (list, "bing,brave,searxng"))
    {
      GtkWidget *up = _heron_preferences_web_get_provider_up (f->page, "brave");

      g_assert_true (gtk_widget_get_sensitive (up));
      g_signal_emit_by_name (up, "clicked");
      g_clear_pointer (&list, g_free);
      list = providers_string (f->settings);
      g_assert_true (g_str_has_prefix (list, "bing,"));
    }
  g_assert_cmpstr (list, ==, "bing,brave,searxng");

  /* Switching one off drops it; the reset goes back to the language default. */
  gtk_switch_set_active (GTK_SWITCH (_heron_preferences_web_get_provider_switch (f->page,
                                                                               "bing")), FALSE);
  g_clear_pointer (&list, g_free);
  list = providers_string (f->settings);
  g_assert_cmpstr (list, ==, "brave,searxng");
  g_settings_reset (f->settings, "search-providers");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (
    _heron_preferences_web_get_provider_switch (f->page, "brave"))));
}

static void
test_values (Fixture *f, gconstpointer data)
{
  GtkWidget *spin;
  GtkWidget *entry;
  GtkWidget *mode;
  g_autofree char *url = NULL, *set_mode = NULL;

  /* Seconds on screen, milliseconds in the setting; both ways. */
  spin = _heron_preferences_web_get_widget (f->page, "web-page-timeout-ms");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 8);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 12);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "web-page-timeout-ms"), ==, 12000);
  g_settings_set_uint (f->settings, "web-page-timeout-ms", 3000);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 3);

  spin = _heron_preferences_web_get_widget (f->page, "web-page-max-bytes");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 5);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 2);
  g_assert_cmpuint (g_settings_get_uint64 (f->settings, "web-page-max-bytes"), ==,
                    2 * 1024 * 1024);

  spin = _heron_preferences_web_get_widget (f->page, "web-max-parallel");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 2);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "web-max-parallel"), ==, 2);

  spin = _heron_preferences_web_get_widget (f->page, "web-cache-page-ttl");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 24);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 48);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "web-cache-page-ttl"), ==, 48 * 3600);

  spin = _heron_preferences_web_get_widget (f->page, "web-cache-search-ttl");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 60);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 10);
  g_assert_cmpuint (g_settings_get_uint (f->settings, "web-cache-search-ttl"), ==, 600);

  spin = _heron_preferences_web_get_widget (f->page, "web-context-share");
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)), ==, 40);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 25);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (f->settings, "web-context-share"),
                                  0.25, 1e-9);

  entry = _heron_preferences_web_get_widget (f->page, "searxng-url");
  gtk_editable_set_text (GTK_EDITABLE (entry), "https://searx.example.org");
  url = g_settings_get_string (f->settings, "searxng-url");
  g_assert_cmpstr (url, ==, "https://searx.example.org");

  mode = _heron_preferences_web_get_widget (f->page, "default-web-mode");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (mode)), ==, 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (mode), 2);
  set_mode = g_settings_get_string (f->settings, "default-web-mode");
  g_assert_cmpstr (set_mode, ==, "on");
}

static gboolean
mark_visible (GtkWidget *row)
{
  GtkWidget *mark = g_object_get_data (G_OBJECT (row), "heron-mark");

  return gtk_widget_get_visible (mark);
}

static void
test_keys (Fixture *f, gconstpointer data)
{
  GtkWidget *row = _heron_preferences_web_get_widget (f->page, "key:tavily");
  const char *secret = "tvly-test-0123456789";
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end;

  g_assert_nonnull (row);
  spin_for (100);
  g_assert_false (mark_visible (row));
  gtk_editable_set_text (GTK_EDITABLE (row), secret);
  g_signal_emit_by_name (row, "apply");
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!mark_visible (row))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      spin_for (20);
    }
  /* In the keyring, gone from the entry, and in no setting. */
  stored = heron_web_secrets_lookup_sync ("tavily", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, secret);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");
  {
    g_autoptr(GSettingsSchema) schema = NULL;
    g_auto(GStrv) names = NULL;

    g_object_get (f->settings, "settings-schema", &schema, NULL);
    names = g_settings_schema_list_keys (schema);
    for (guint i = 0; names[i] != NULL; i++)
      {
        g_autoptr(GVariant) v = g_settings_get_value (f->settings, names[i]);
        g_autofree char *text = g_variant_print (v, FALSE);

        g_assert_null (strstr (text, secret));
      }
  }
  {
    const char *lang = g_getenv ("LANGUAGE");
    g_autofree char *file = g_strdup_printf ("%s-web-preferences.png", lang ? lang : "C");
    g_autofree char *path = g_build_filename (HERON_TEST_SCREENSHOT_DIR, file, NULL);

    g_mkdir_with_parents (HERON_TEST_SCREENSHOT_DIR, 0755);
    spin_for (300);
    if (!heron_screenshot_save (f->window, path, &error))
      g_test_message ("screenshot %s: %s", path, error->message);
  }
  /* An empty key clears it. */
  g_signal_emit_by_name (row, "apply");
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (mark_visible (row))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      spin_for (20);
    }
  g_clear_pointer (&stored, g_free);
  stored = heron_web_secrets_lookup_sync ("tavily", NULL, &error);
  g_assert_null (stored);
}

static gboolean
has_web_page (GtkWidget *widget)
{
  if (HERON_IS_PREFERENCES_WEB (widget))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (has_web_page (c))
      return TRUE;
  return FALSE;
}

static void
test_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HeronPreferences *prefs = heron_preferences_new (settings);

  /* The app's Preferences window has the Web page. */
  g_assert_true (has_web_page (GTK_WIDGET (prefs)));
  gtk_window_destroy (GTK_WINDOW (prefs));
}

int
main (int argc, char *argv[])
{
  g_autofree char *tmp = g_dir_make_tmp ("heron-test-web-prefs-XXXXXX", NULL);
  g_autofree char *keyring = g_build_filename (tmp, "k.keyring", NULL);

  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("HOME", tmp, TRUE);
  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  if (g_getenv ("LANGUAGE") == NULL)
    g_setenv ("LANGUAGE", "C", TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  heron_build_tree_setup_locale (NULL);
  g_test_add ("/heron/ui/web-preferences/providers", Fixture, NULL, fixture_set_up,
              test_providers, fixture_tear_down);
  g_test_add ("/heron/ui/web-preferences/values", Fixture, NULL, fixture_set_up, test_values,
              fixture_tear_down);
  g_test_add ("/heron/ui/web-preferences/keys", Fixture, NULL, fixture_set_up, test_keys,
              fixture_tear_down);
  g_test_add_func ("/heron/ui/web-preferences/window", test_window);
  return g_test_run ();
}
