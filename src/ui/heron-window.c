/* heron-window.c: the main window: a sidebar of conversations beside the chat page.
 *
 * An AdwFlap holds the sidebar; it folds on narrow windows (phones, tiled halves), where
 * the sidebar slides over the chat instead of sitting beside it. A .gguf file dropped on
 * the window is added to the model library and loaded (heron-model-picker.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-window"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat.h"
#include "heron-connect-dialog.h"
#include "heron-model-picker.h"
#include "heron-window.h"

struct _HeronWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template Widgets */
  AdwToastOverlay      *toast_overlay;
  AdwFlap              *flap;
  HeronSidebar         *sidebar;
  HeronChatView        *chat_view;

  /* Owned References */
  GSettings            *settings;
  HeronChat            *chat;
};

enum {
  PROP_0,
  PROP_SIDEBAR_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HeronWindow, heron_window, ADW_TYPE_APPLICATION_WINDOW)

static void
heron_window_open_model_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  heron_chat_open_model (HERON_WINDOW (widget)->chat);
}

static void
heron_window_connect_server_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *param)
{
  HeronWindow *self = HERON_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (heron_connect_dialog_new (GTK_WINDOW (self), self->chat,
                                                            self->settings)));
}

static void
heron_window_new_chat_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  HeronWindow *self = HERON_WINDOW (widget);

  heron_chat_new_conversation (self->chat);
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->chat_view));
}

/* Files dropped on the window: the first .gguf becomes a model of the library; other files
 * are for a later feature (documents), and are declined with a word. */
static gboolean
heron_window_drop_cb (GtkDropTarget *target,
                      const GValue  *value,
                      double         x,
                      double         y,
                      HeronWindow   *self)
{
  g_autoptr(GSList) files = NULL;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);

      if (path != NULL && g_str_has_suffix (path, ".gguf"))
        {
          heron_model_picker_add_file (GTK_WINDOW (self), self->chat, path);
          return TRUE;
        }
    }
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Only .gguf model files can be dropped here "
                                                "for now")));
  return FALSE;
}

/* The chat header bar shows the window buttons that the sidebar's header bar does not:
 * the close button always, the left ones only when the sidebar is not beside it. */
static void
heron_window_update_header_bars (HeronWindow *self)
{
  gboolean beside = adw_flap_get_reveal_flap (self->flap) && !adw_flap_get_folded (self->flap);

  adw_header_bar_set_show_start_title_buttons (heron_chat_view_get_header_bar (self->chat_view),
                                               !beside);
  adw_header_bar_set_show_start_title_buttons (heron_sidebar_get_header_bar (self->sidebar),
                                               beside);
}

static void
heron_window_flap_notify_cb (HeronWindow *self,
                             GParamSpec  *pspec,
                             AdwFlap     *flap)
{
  heron_window_update_header_bars (self);
  if (g_strcmp0 (pspec->name, "reveal-flap") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIDEBAR_VISIBLE]);
}

static void
heron_window_restore_state (HeronWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
heron_window_save_state (HeronWindow *self)
{
  int width, height;
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  /* The default size tracks the size the user gave the window, not the maximized one. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 300));
      g_settings_set_int (self->settings, "window-height", MAX (height, 300));
    }
  g_settings_apply (self->settings);
}

/* The size the user gives the window is saved when it closes; the debug line lets the UI
 * test know a resize reached the window before it quits. */
static void
default_size_changed_cb (HeronWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_debug ("window size: %dx%d", width, height);
}

static gboolean
heron_window_close_request (GtkWindow *window)
{
  HeronWindow *self = (HeronWindow *)window;

  g_assert (HERON_IS_WINDOW (self));

  heron_window_save_state (self);

  return GTK_WINDOW_CLASS (heron_window_parent_class)->close_request (window);
}

static void
heron_window_constructed (GObject *object)
{
  HeronWindow *self = (HeronWindow *)object;

  G_OBJECT_CLASS (heron_window_parent_class)->constructed (object);

  self->settings = g_settings_new (APP_ID);
  heron_window_restore_state (self);
  g_signal_connect (self, "notify::default-width", G_CALLBACK (default_size_changed_cb), NULL);
  g_signal_connect (self, "notify::default-height", G_CALLBACK (default_size_changed_cb), NULL);
  adw_header_bar_pack_end (heron_chat_view_get_header_bar (self->chat_view),
                           heron_model_picker_new (GTK_WINDOW (self), self->chat, self->settings));
}

static void
heron_window_dispose (GObject *object)
{
  HeronWindow *self = (HeronWindow *)object;

  g_clear_object (&self->chat);
  gtk_widget_dispose_template (GTK_WIDGET (self), HERON_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (heron_window_parent_class)->dispose (object);
}

static void
heron_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  HeronWindow *self = HERON_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SIDEBAR_VISIBLE:
      g_value_set_boolean (value, heron_window_get_sidebar_visible (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  HeronWindow *self = HERON_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SIDEBAR_VISIBLE:
      heron_window_set_sidebar_visible (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_window_class_init (HeronWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = heron_window_constructed;
  object_class->dispose = heron_window_dispose;
  object_class->get_property = heron_window_get_property;
  object_class->set_property = heron_window_set_property;

  window_class->close_request = heron_window_close_request;

  properties[PROP_SIDEBAR_VISIBLE] =
    g_param_spec_boolean ("sidebar-visible", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/heronchat/Heron/ui/heron-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HeronWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HeronWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, HeronWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, HeronWindow, chat_view);

  /* Accelerators for these are set in heron-application.c so menus can show them. */
  gtk_widget_class_install_property_action (widget_class, "win.toggle-sidebar", "sidebar-visible");
  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL,
                                   heron_window_new_chat_action);
  gtk_widget_class_install_action (widget_class, "win.open-model", NULL,
                                   heron_window_open_model_action);
  gtk_widget_class_install_action (widget_class, "win.connect-server", NULL,
                                   heron_window_connect_server_action);

  g_type_ensure (HERON_TYPE_CHAT_VIEW);
  g_type_ensure (HERON_TYPE_SIDEBAR);
}

static void
heron_window_init (HeronWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->flap, "notify::folded",
                           G_CALLBACK (heron_window_flap_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flap, "notify::reveal-flap",
                           G_CALLBACK (heron_window_flap_notify_cb), self, G_CONNECT_SWAPPED);
  heron_window_update_header_bars (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->chat_view));

  {
    GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

    g_signal_connect_object (drop, "drop", G_CALLBACK (heron_window_drop_cb), self, 0);
    gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  }

  /* The store, the model, turns and the "chat." actions (heron-chat.c). */
  self->chat = heron_chat_new (GTK_WIDGET (self));
}

HeronWindow *
heron_window_new (HeronApplication *application)
{
  g_return_val_if_fail (HERON_IS_APPLICATION (application), NULL);

  return g_object_new (HERON_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * heron_window_get_chat_view:
 *
 * Returns: (transfer none): the chat page
 */
HeronChatView *
heron_window_get_chat_view (HeronWindow *self)
{
  g_return_val_if_fail (HERON_IS_WINDOW (self), NULL);

  return self->chat_view;
}

/**
 * heron_window_get_sidebar:
 *
 * Returns: (transfer none): the conversation sidebar
 */
HeronSidebar *
heron_window_get_sidebar (HeronWindow *self)
{
  g_return_val_if_fail (HERON_IS_WINDOW (self), NULL);

  return self->sidebar;
}

/**
 * heron_window_get_chat:
 *
 * Returns: (transfer none): the window's chat (store, model, turns, "chat." actions)
 */
HeronChat *
heron_window_get_chat (HeronWindow *self)
{
  g_return_val_if_fail (HERON_IS_WINDOW (self), NULL);

  return self->chat;
}

void
heron_window_add_toast (HeronWindow *self,
                        AdwToast    *toast)
{
  g_return_if_fail (HERON_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

gboolean
heron_window_get_sidebar_visible (HeronWindow *self)
{
  g_return_val_if_fail (HERON_IS_WINDOW (self), FALSE);

  /* The toggle button asks for the action state while the template is still being built. */
  if (self->flap == NULL)
    return TRUE;
  return adw_flap_get_reveal_flap (self->flap);
}

void
heron_window_set_sidebar_visible (HeronWindow *self,
                                  gboolean     visible)
{
  g_return_if_fail (HERON_IS_WINDOW (self));

  /* AdwFlap notifies reveal-flap, which notifies sidebar-visible in turn. */
  adw_flap_set_reveal_flap (self->flap, visible);
}
