/* heron-message-list.h: the scrolling list of a conversation's messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HERON_TYPE_MESSAGE_LIST (heron_message_list_get_type ())

G_DECLARE_FINAL_TYPE (HeronMessageList, heron_message_list, HERON, MESSAGE_LIST, GtkWidget)

GtkWidget     *heron_message_list_new           (void);
/* A GListModel of HeronMessage (NULL: empty). */
void           heron_message_list_set_model     (HeronMessageList *self,
                                                 GListModel       *model);
/* TRUE while the view follows new text (the user is at the bottom). */
gboolean       heron_message_list_get_following (HeronMessageList *self);
void           heron_message_list_set_following (HeronMessageList *self,
                                                 gboolean          following);
void           heron_message_list_scroll_to_bottom (HeronMessageList *self);
void           heron_message_list_scroll_to_item   (HeronMessageList *self,
                                                    guint             position);
GtkAdjustment *heron_message_list_get_vadjustment  (HeronMessageList *self);

G_END_DECLS
