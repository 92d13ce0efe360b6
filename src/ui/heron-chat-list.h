/* heron-chat-list.h: the sidebar's list of conversations (with Pinned / Today / Yesterday /
 * Earlier headers) and the list of search results that replaces it while searching.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HERON_TYPE_CHAT_LIST (heron_chat_list_get_type ())

G_DECLARE_FINAL_TYPE (HeronChatList, heron_chat_list, HERON, CHAT_LIST, GtkWidget)

GtkWidget *heron_chat_list_new         (void);
/* A GListModel of HeronConversation, pinned first then newest first. */
void       heron_chat_list_set_model   (HeronChatList *self,
                                        GListModel    *model);
void       heron_chat_list_select      (HeronChatList *self,
                                        gint64         conversation_id);
/* HITS: HeronSearchHit (borrowed while shown; the list copies what it needs). NULL: leave
 * search and show the conversations again. */
void       heron_chat_list_show_hits   (HeronChatList *self,
                                        GPtrArray     *hits);
guint      heron_chat_list_get_n_hits  (HeronChatList *self);
gboolean   heron_chat_list_activate_first_hit (HeronChatList *self);
/* Markup for a search snippet with the match in bold; every piece of text is escaped. */
char      *heron_chat_list_snippet_markup (const char *snippet,
                                           gsize       match_start,
                                           gsize       match_length);

G_END_DECLS
