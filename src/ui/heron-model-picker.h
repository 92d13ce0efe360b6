/* heron-model-picker.h: the header-bar model picker: library models and the connected remote
 * model; choosing one switches the window's model (the next turn uses it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-chat.h"

G_BEGIN_DECLS

/* A GtkMenuButton; CHAT and SETTINGS must outlive it (the window owns all three). */
GtkWidget *heron_model_picker_new (GtkWindow *window, HeronChat *chat, GSettings *settings);

G_END_DECLS
