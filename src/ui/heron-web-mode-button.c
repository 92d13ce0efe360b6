/* heron-web-mode-button.c: the composer's web search selector.
 *
 * A globe menu button with three radio items bound to the stateful action "web.mode" (s):
 * Off, Auto (search when the question needs it) and Always. The icon is dimmed when off,
 * and the tooltip and accessible label say the current mode.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web-mode-button"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-web-mode-button.h"

struct _HeronWebModeButton
{
  GtkWidget           parent_instance;

  GtkWidget          *menu_button;
  GSimpleActionGroup *actions;
  char               *mode;
};

G_DEFINE_FINAL_TYPE (HeronWebModeButton, heron_web_mode_button, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_MODE, N_PROPS };
static GParamSpec *properties[N_PROPS];

static const char *
canonical (const char *mode)
{
  if (g_strcmp0 (mode, "off") == 0)
    return "off";
  if (g_strcmp0 (mode, "auto") == 0)
    return "auto";
  if (g_strcmp0 (mode, "on") == 0 || g_strcmp0 (mode, "always") == 0)
    return "on";
  return NULL;
}

static void
update (HeronWebModeButton *self)
{
  const char *tooltip;

  if (g_str_equal (self->mode, "off"))
    tooltip = _("Web Search: Off");
  else if (g_str_equal (self->mode, "on"))
    tooltip = _("Web Search: Always");
  else
    tooltip = _("Web Search: Auto (when the question needs it)");
  gtk_widget_set_tooltip_text (self->menu_button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  if (g_str_equal (self->mode, "off"))
    gtk_widget_add_css_class (self->menu_button, "dim-label");
  else
    gtk_widget_remove_css_class (self->menu_button, "dim-label");
  if (g_str_equal (self->mode, "on"))
    gtk_widget_add_css_class (self->menu_button, "accent");
  else
    gtk_widget_remove_css_class (self->menu_button, "accent");
}

void
heron_web_mode_button_set_mode (HeronWebModeButton *self,
                                const char         *mode)
{
  GAction *action;

  g_return_if_fail (HERON_IS_WEB_MODE_BUTTON (self));

  mode = canonical (mode);
  if (mode == NULL || g_strcmp0 (self->mode, mode) == 0)
    return;
  g_free (self->mode);
  self->mode = g_strdup (mode);
  action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), "mode");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (mode));
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

const char *
heron_web_mode_button_get_mode (HeronWebModeButton *self)
{
  g_return_val_if_fail (HERON_IS_WEB_MODE_BUTTON (self), "off");

  return self->mode;
}

GtkWidget *
_heron_web_mode_button_get_menu_button (HeronWebModeButton *self)
{
  g_return_val_if_fail (HERON_IS_WEB_MODE_BUTTON (self), NULL);

  return self->menu_button;
}

static void
change_mode (GSimpleAction *action,
             GVariant      *value,
             gpointer       user_data)
{
  heron_web_mode_button_set_mode (HERON_WEB_MODE_BUTTON (user_data),
                                  g_variant_get_string (value, NULL));
}

static void
heron_web_mode_button_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  HeronWebModeButton *self = HERON_WEB_MODE_BUTTON (object);

  switch (prop_id)
    {
    case PROP_MODE:
      g_value_set_string (value, self->mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_web_mode_button_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  HeronWebModeButton *self = HERON_WEB_MODE_BUTTON (object);

  switch (prop_id)
    {
    case PROP_MODE:
      heron_web_mode_button_set_mode (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_web_mode_button_dispose (GObject *object)
{
  HeronWebModeButton *self = HERON_WEB_MODE_BUTTON (object);

  g_clear_pointer (&self->menu_button, gtk_widget_unparent);
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (heron_web_mode_button_parent_class)->dispose (object);
}

static void
heron_web_mode_button_finalize (GObject *object)
{
  HeronWebModeButton *self = HERON_WEB_MODE_BUTTON (object);

  g_free (self->mode);

  G_OBJECT_CLASS (heron_web_mode_button_parent_class)->finalize (object);
}

static void
heron_web_mode_button_class_init (HeronWebModeButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = heron_web_mode_button_get_property;
  object_class->set_property = heron_web_mode_button_set_property;
  object_class->dispose = heron_web_mode_button_dispose;
  object_class->finalize = heron_web_mode_button_finalize;

  properties[PROP_MODE] =
    g_param_spec_string ("mode", NULL, NULL, "auto",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
heron_web_mode_button_init (HeronWebModeButton *self)
{
  const GActionEntry entries[] = {
    { "mode", NULL, "s", "'auto'", change_mode },
  };
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  g_autoptr(GMenuItem) off = g_menu_item_new (_("_Off"), NULL);
  g_autoptr(GMenuItem) automatic = g_menu_item_new (_("_Auto: When the Question Needs It"),
                                                    NULL);
  g_autoptr(GMenuItem) always = g_menu_item_new (_("A_lways"), NULL);

  self->mode = g_strdup ("auto");
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries,
                                   G_N_ELEMENTS (entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "web", G_ACTION_GROUP (self->actions));

  g_menu_item_set_action_and_target (off, "web.mode", "s", "off");
  g_menu_item_set_action_and_target (automatic, "web.mode", "s", "auto");
  g_menu_item_set_action_and_target (always, "web.mode", "s", "on");
  g_menu_append_item (section, off);
  g_menu_append_item (section, automatic);
  g_menu_append_item (section, always);
  g_menu_append_section (menu, _("Web Search"), G_MENU_MODEL (section));

  self->menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->menu_button), "web-browser-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_has_frame (GTK_MENU_BUTTON (self->menu_button), FALSE);
  gtk_widget_add_css_class (self->menu_button, "circular");
  gtk_widget_set_parent (self->menu_button, GTK_WIDGET (self));
  update (self);
}

GtkWidget *
heron_web_mode_button_new (void)
{
  return g_object_new (HERON_TYPE_WEB_MODE_BUTTON, NULL);
}
