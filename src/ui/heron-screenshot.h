/* heron-screenshot.h: render a widget to a PNG file (test hook).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

gboolean heron_screenshot_save     (GtkWidget   *widget,
                                    const char  *path,
                                    GError     **error);
void     heron_screenshot_schedule (GtkWidget   *widget,
                                    const char  *path,
                                    gboolean     quit_after);

G_END_DECLS
