/* heron-message-row.h: one message of the chat: a user's bubble, or an answer with its
 * reasoning, Markdown text, stats line and buttons.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "heron-message.h"

G_BEGIN_DECLS

#define HERON_TYPE_MESSAGE_ROW (heron_message_row_get_type ())

G_DECLARE_FINAL_TYPE (HeronMessageRow, heron_message_row, HERON, MESSAGE_ROW, GtkWidget)

GtkWidget    *heron_message_row_new         (void);
HeronMessage *heron_message_row_get_message (HeronMessageRow *self);
/* Show MESSAGE (NULL: nothing) and follow its changes, redrawn at most once a frame. */
void          heron_message_row_set_message (HeronMessageRow *self,
                                             HeronMessage    *message);
/* Render pending changes now (tests, benchmarks). */
void          heron_message_row_flush       (HeronMessageRow *self);

G_END_DECLS
