/* ui-test-util.h: main-loop, widget-tree and chat helpers shared by the UI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-chat.h"

G_BEGIN_DECLS

/* Iterate the default main context until COND (DATA) is true. Some conditions change on
 * other threads (the store's) without an event here: a timer keeps the loop from sleeping
 * past them, and the test fails (instead of hanging) after 90 s. */
void ui_test_wait_until (gboolean (*cond) (gpointer),
                         gpointer   data);

/* Let pending work (layout, idles, redraws) run for half a second, without blocking. */
void ui_test_settle     (void);

/* Depth-first search below (and including) ROOT for a widget MATCH accepts; NULL if none. */
GtkWidget *ui_test_find      (GtkWidget  *root,
                              gboolean  (*match) (GtkWidget *, gconstpointer),
                              gconstpointer data);
/* The first widget of TYPE (or a subtype) below ROOT. */
GtkWidget *ui_test_find_type (GtkWidget  *root,
                              GType       type);

/* Wait until CHAT has opened its store and a message list. */
void          ui_test_wait_chat_ready (HeronChat *chat);
/* Wait until no turn runs in CHAT and its list holds N messages. */
void          ui_test_wait_chat_idle  (HeronChat *chat,
                                       guint      n);
/* Message I of CHAT's list (the list keeps it: no reference for the caller). */
HeronMessage *ui_test_chat_message_at (HeronChat *chat,
                                       guint      i);

G_END_DECLS
