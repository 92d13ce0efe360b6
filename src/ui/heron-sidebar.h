/* heron-sidebar.h: the conversation list beside the chat.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-chat-list.h"

G_BEGIN_DECLS

#define HERON_TYPE_SIDEBAR (heron_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (HeronSidebar, heron_sidebar, HERON, SIDEBAR, GtkWidget)

GtkWidget    *heron_sidebar_new            (void);
AdwHeaderBar *heron_sidebar_get_header_bar (HeronSidebar *self);
GListModel   *heron_sidebar_get_model      (HeronSidebar *self);
void          heron_sidebar_set_model      (HeronSidebar *self,
                                            GListModel   *model);
GtkSearchEntry *heron_sidebar_get_search_entry (HeronSidebar *self);
HeronChatList  *heron_sidebar_get_chat_list    (HeronSidebar *self);

G_END_DECLS
