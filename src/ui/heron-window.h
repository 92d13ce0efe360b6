/* heron-window.h: the main window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-application.h"
#include "heron-chat.h"
#include "heron-chat-view.h"
#include "heron-sidebar.h"

G_BEGIN_DECLS

#define HERON_TYPE_WINDOW (heron_window_get_type ())

G_DECLARE_FINAL_TYPE (HeronWindow, heron_window, HERON, WINDOW, AdwApplicationWindow)

HeronWindow   *heron_window_new                (HeronApplication *application);
HeronChatView *heron_window_get_chat_view      (HeronWindow      *self);
HeronSidebar  *heron_window_get_sidebar        (HeronWindow      *self);
HeronChat     *heron_window_get_chat           (HeronWindow      *self);
void           heron_window_add_toast          (HeronWindow      *self,
                                                AdwToast         *toast);
gboolean       heron_window_get_sidebar_visible (HeronWindow     *self);
void           heron_window_set_sidebar_visible (HeronWindow     *self,
                                                 gboolean         visible);

G_END_DECLS
