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
GtkWidget    *heron_model_picker_new            (GtkWindow *window, HeronChat *chat,
                                                 GSettings *settings);
/* Load the GGUF at PATH in a dialog with the load's progress and Cancel; once loaded it
 * becomes CHAT's model (NAME NULL: from the file name). */
void          heron_model_picker_load_local     (GtkWindow *window, HeronChat *chat,
                                                 const char *path, const char *name);
/* A backend for a "remote:ENDPOINT/MODEL" spec (the custom server's address from SETTINGS);
 * the spec rides along as the object's "heron-model-spec" data. */
HeronBackend *heron_model_picker_remote_backend (GSettings *settings, const char *spec,
                                                 GError **error);
/* A .gguf dropped on the window: ask whether to use it where it is or copy it into Heron's
 * models folder, add it to the library, then load it. */
void          heron_model_picker_add_file       (GtkWindow *window, HeronChat *chat,
                                                 const char *path);

G_END_DECLS
