/* heron-application.c: the Heron AdwApplication: app actions, accelerators, style.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-application"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-application.h"
#include "heron-preferences.h"
#include "heron-screenshot.h"
#include "heron-window.h"

struct _HeronApplication
{
  AdwApplication  parent_instance;

  /* Owned References */
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (HeronApplication, heron_application, ADW_TYPE_APPLICATION)

static gboolean
color_scheme_from_setting (GValue   *value,
                           GVariant *variant,
                           gpointer  user_data)
{
  const char *scheme = g_variant_get_string (variant, NULL);

  /* "follow" keeps libadwaita's default, which follows the system's preference. */
  if (g_strcmp0 (scheme, "light") == 0)
    g_value_set_enum (value, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_strcmp0 (scheme, "dark") == 0)
    g_value_set_enum (value, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    g_value_set_enum (value, ADW_COLOR_SCHEME_DEFAULT);
  return TRUE;
}

static GtkWindow *
heron_application_new_window (HeronApplication *self)
{
  HeronWindow *window = heron_window_new (self);

  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static void
heron_application_activate (GApplication *app)
{
  HeronApplication *self = (HeronApplication *)app;
  GtkWindow *window;
  const char *screenshot;

  g_assert (HERON_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = heron_application_new_window (self);

  /* Test hook used by tests/ui: render the first window to a PNG once it is on screen. */
  screenshot = g_getenv ("HERON_SCREENSHOT");
  if (screenshot != NULL && *screenshot != '\0')
    heron_screenshot_schedule (GTK_WIDGET (window), screenshot,
                               g_strcmp0 (g_getenv ("HERON_QUIT_AFTER_SCREENSHOT"), "1") == 0);
}

static void
heron_application_quit_cb (GSimpleAction *action,
                           GVariant      *param,
                           gpointer       user_data)
{
  HeronApplication *self = user_data;
  GList *windows;

  g_assert (HERON_IS_APPLICATION (self));

  /* Closing each window runs its close-request handler, which saves the window state;
   * the application exits when the last window is gone. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
heron_application_new_window_cb (GSimpleAction *action,
                                 GVariant      *param,
                                 gpointer       user_data)
{
  heron_application_new_window (HERON_APPLICATION (user_data));
}

static void
heron_application_preferences_cb (GSimpleAction *action,
                                  GVariant      *param,
                                  gpointer       user_data)
{
  HeronApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  HeronPreferences *preferences;

  preferences = heron_preferences_new (self->settings);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
heron_application_about_cb (GSimpleAction *action,
                            GVariant      *param,
                            gpointer       user_data)
{
  HeronApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Heron authors", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Heron"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Heron authors"),
                         "version", PACKAGE_VERSION,
                         "website", "https://github.com/heronchat/heron",
                         "issue-url", "https://github.com/heronchat/heron/issues",
                         "comments", _("Chat with language models on your computer or on a server"),
                         "developers", developers,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         "copyright", "© 2026 The Heron authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", heron_application_quit_cb },
  { "new-window", heron_application_new_window_cb },
  { "preferences", heron_application_preferences_cb },
  { "about", heron_application_about_cb },
};

static void
heron_application_startup (GApplication *app)
{
  HeronApplication *self = (HeronApplication *)app;
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.new-window", { "<Control><Shift>n", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "win.new-chat", { "<Control>n", NULL } },
    { "win.open-model", { "<Control>o", NULL } },
    { "win.toggle-sidebar", { "F9", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "chat.search", { "<Control>f", NULL } },
    { "chat.stop", { "Escape", NULL } },
    { "chat.regenerate-last", { "<Control><Shift>r", NULL } },
  };

  g_assert (HERON_IS_APPLICATION (self));

  G_APPLICATION_CLASS (heron_application_parent_class)->startup (app);

  self->settings = g_settings_new (APP_ID);
  g_settings_bind_with_mapping (self->settings, "color-scheme",
                                adw_style_manager_get_default (), "color-scheme",
                                G_SETTINGS_BIND_GET,
                                color_scheme_from_setting, NULL, NULL, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                           accels[i].action, accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
heron_application_dispose (GObject *object)
{
  HeronApplication *self = (HeronApplication *)object;

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (heron_application_parent_class)->dispose (object);
}

static void
heron_application_class_init (HeronApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = heron_application_dispose;

  app_class->activate = heron_application_activate;
  app_class->startup = heron_application_startup;
}

static void
heron_application_init (HeronApplication *self)
{
}

HeronApplication *
heron_application_new (void)
{
  return g_object_new (HERON_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/heronchat/Heron",
                       NULL);
}

/**
 * heron_application_get_settings:
 *
 * Returns: (transfer none): the application's #GSettings
 */
GSettings *
heron_application_get_settings (HeronApplication *self)
{
  g_return_val_if_fail (HERON_IS_APPLICATION (self), NULL);

  return self->settings;
}
