/* heron-web-mode-button.h: the composer's web search selector (Off / Auto / Always).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HERON_TYPE_WEB_MODE_BUTTON (heron_web_mode_button_get_type ())

G_DECLARE_FINAL_TYPE (HeronWebModeButton, heron_web_mode_button, HERON, WEB_MODE_BUTTON,
                      GtkWidget)

GtkWidget  *heron_web_mode_button_new      (void);
/* "off", "auto" or "on" (notify::mode when the user or a caller changes it). */
const char *heron_web_mode_button_get_mode (HeronWebModeButton *self);
/* Anything but "off", "auto", "on" (or "always") is ignored. */
void        heron_web_mode_button_set_mode (HeronWebModeButton *self,
                                            const char         *mode);
/* The menu button inside (tests). */
GtkWidget  *_heron_web_mode_button_get_menu_button (HeronWebModeButton *self);

G_END_DECLS
