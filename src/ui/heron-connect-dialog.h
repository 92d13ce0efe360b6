/* heron-connect-dialog.h: "Connect to a Server…": pick an OpenAI-compatible server and one of
 * its models, and make it the window's model.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-chat.h"

G_BEGIN_DECLS

#define HERON_TYPE_CONNECT_DIALOG (heron_connect_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HeronConnectDialog, heron_connect_dialog, HERON, CONNECT_DIALOG, AdwWindow)

GtkWidget *heron_connect_dialog_new (GtkWindow *parent, HeronChat *chat, GSettings *settings);

G_END_DECLS
