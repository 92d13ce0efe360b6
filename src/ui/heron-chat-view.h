/* heron-chat-view.h: the chat page: header bar, messages and composer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "heron-message-list.h"

G_BEGIN_DECLS

#define HERON_TYPE_CHAT_VIEW (heron_chat_view_get_type ())

G_DECLARE_FINAL_TYPE (HeronChatView, heron_chat_view, HERON, CHAT_VIEW, GtkWidget)

GtkWidget    *heron_chat_view_new            (void);
AdwHeaderBar *heron_chat_view_get_header_bar (HeronChatView *self);
GtkWidget    *heron_chat_view_get_composer   (HeronChatView *self);
HeronMessageList *heron_chat_view_get_message_list (HeronChatView *self);
void          heron_chat_view_set_page       (HeronChatView *self,
                                              const char    *name);
void          heron_chat_view_set_title      (HeronChatView *self,
                                              const char    *title);
void          heron_chat_view_set_subtitle   (HeronChatView *self,
                                              const char    *subtitle);
void          heron_chat_view_clear          (HeronChatView *self);

G_END_DECLS
