/* heron-screenshot.c: render a widget to a PNG file.
 *
 * The UI tests set HERON_SCREENSHOT=<path> so the app renders its own window once it is
 * mapped and laid out; this does not depend on a compositor or on what the X server shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-screenshot"

#include "config.h"

#include "heron-screenshot.h"

/* Frames to wait after mapping: the first frame lays the window out, the next ones
 * let size-dependent widgets (the flap folding, labels wrapping) settle. */
#define FRAMES_BEFORE_SCREENSHOT 3
/* About five seconds at 60 frames per second. */
#define MAX_FRAMES_BEFORE_GIVING_UP 300

typedef struct
{
  char     *path;
  gboolean  quit_after;
  guint     frames;
} Schedule;

static void
schedule_free (gpointer data)
{
  Schedule *schedule = data;

  g_free (schedule->path);
  g_free (schedule);
}

gboolean
heron_screenshot_save (GtkWidget   *widget,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GtkNative *native;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  native = gtk_widget_get_native (widget);
  if (width <= 0 || height <= 0 || native == NULL || gtk_native_get_renderer (native) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "The widget is not on screen yet");
      return FALSE;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The widget drew nothing");
      return FALSE;
    }

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (native), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not write %s", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
heron_screenshot_tick_cb (GtkWidget     *widget,
                          GdkFrameClock *clock,
                          gpointer       user_data)
{
  Schedule *schedule = user_data;
  g_autoptr(GError) error = NULL;
  GtkApplication *app;

  /* Keep frames coming until the window has settled. */
  if (++schedule->frames < FRAMES_BEFORE_SCREENSHOT)
    {
      gtk_widget_queue_draw (widget);
      return G_SOURCE_CONTINUE;
    }

  if (!heron_screenshot_save (widget, schedule->path, &error))
    {
      /* On a loaded machine the window may not have painted yet: try on later frames. */
      if (schedule->frames < MAX_FRAMES_BEFORE_GIVING_UP)
        {
          gtk_widget_queue_draw (widget);
          return G_SOURCE_CONTINUE;
        }
      g_printerr ("heron: screenshot failed: %s\n", error->message);
    }
  else
    g_debug ("Saved screenshot to %s", schedule->path);

  app = gtk_window_get_application (GTK_WINDOW (gtk_widget_get_root (widget)));
  if (schedule->quit_after && app != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
heron_screenshot_map_cb (GtkWidget *widget,
                         gpointer   user_data)
{
  Schedule *schedule = user_data;

  g_signal_handlers_disconnect_by_func (widget, heron_screenshot_map_cb, user_data);
  gtk_widget_add_tick_callback (widget, heron_screenshot_tick_cb, schedule, schedule_free);
}

/* Saves a PNG of @widget a few frames after it is mapped, then quits the application
 * if @quit_after is set. */
void
heron_screenshot_schedule (GtkWidget  *widget,
                           const char *path,
                           gboolean    quit_after)
{
  Schedule *schedule;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (path != NULL);

  schedule = g_new0 (Schedule, 1);
  schedule->path = g_strdup (path);
  schedule->quit_after = quit_after;

  if (gtk_widget_get_mapped (widget))
    gtk_widget_add_tick_callback (widget, heron_screenshot_tick_cb, schedule, schedule_free);
  else
    g_signal_connect (widget, "map", G_CALLBACK (heron_screenshot_map_cb), schedule);
}
