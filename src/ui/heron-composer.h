/* heron-composer.h: the message entry at the bottom of a chat.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-web-mode-button.h"

G_BEGIN_DECLS

#define HERON_TYPE_COMPOSER (heron_composer_get_type ())

G_DECLARE_FINAL_TYPE (HeronComposer, heron_composer, HERON, COMPOSER, GtkWidget)

GtkWidget *heron_composer_new      (void);
char      *heron_composer_get_text (HeronComposer *self);
void       heron_composer_set_text (HeronComposer *self,
                                    const char    *text);
void       heron_composer_set_busy (HeronComposer *self,
                                    gboolean       busy);
/* The web search selector at the start of the composer (Off / Auto / Always). */
HeronWebModeButton *heron_composer_get_web_mode_button (HeronComposer *self);

G_END_DECLS
