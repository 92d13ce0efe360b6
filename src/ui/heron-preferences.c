/* heron-preferences.c: the Preferences window, bound to GSettings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-models-page.h"
#include "heron-preferences.h"
#include "heron-preferences-web.h"

struct _HeronPreferences
{
  AdwPreferencesWindow  parent_instance;

  /* Template Widgets */
  AdwComboRow          *style_row;
  AdwEntryRow          *system_prompt_row;
  GtkSwitch            *model_titles_switch;

  /* Owned References */
  GSettings            *settings;
};

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Same order as the rows of style_row in heron-preferences.ui. */
static const char *const color_schemes[] = { "follow", "light", "dark", NULL };

G_DEFINE_FINAL_TYPE (HeronPreferences, heron_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
choice_from_setting (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  const char *const *values = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_strcmp0 (s, values[i]) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
choice_to_setting (const GValue       *value,
                   const GVariantType *expected_type,
                   gpointer            user_data)
{
  const char *const *values = user_data;
  guint i = g_value_get_uint (value);

  return i < g_strv_length ((char **) values) ? g_variant_new_string (values[i]) : NULL;
}

void
heron_preferences_bind_choice (GSettings          *settings,
                               const char         *key,
                               gpointer            row,
                               const char * const *values)
{
  g_settings_bind_with_mapping (settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_from_setting, choice_to_setting, (gpointer) values,
                                NULL);
}

static void
heron_preferences_constructed (GObject *object)
{
  HeronPreferences *self = (HeronPreferences *)object;

  G_OBJECT_CLASS (heron_preferences_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  heron_preferences_bind_choice (self->settings, "color-scheme", self->style_row,
                                 color_schemes);
  g_settings_bind (self->settings, "system-prompt",
                   self->system_prompt_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "model-titles",
                   self->model_titles_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (heron_models_page_new (self->settings)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (heron_preferences_web_new (self->settings)));
}

static void
heron_preferences_dispose (GObject *object)
{
  HeronPreferences *self = (HeronPreferences *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), HERON_TYPE_PREFERENCES);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (heron_preferences_parent_class)->dispose (object);
}

static void
heron_preferences_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  HeronPreferences *self = HERON_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_preferences_class_init (HeronPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = heron_preferences_constructed;
  object_class->dispose = heron_preferences_dispose;
  object_class->set_property = heron_preferences_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
      "/io/github/heronchat/Heron/ui/heron-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, HeronPreferences, style_row);
  gtk_widget_class_bind_template_child (widget_class, HeronPreferences, system_prompt_row);
  gtk_widget_class_bind_template_child (widget_class, HeronPreferences, model_titles_switch);
}

static void
heron_preferences_init (HeronPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

HeronPreferences *
heron_preferences_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (HERON_TYPE_PREFERENCES,
                       "settings", settings,
                       NULL);
}
