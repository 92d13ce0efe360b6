/* heron-chat-view.c: the chat page: header bar, messages and composer.
 *
 * The chat code (heron-chat.c) connects to ::send-requested to run a turn and gives the
 * message list the conversation's own GListModel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat-view.h"
#include "heron-composer.h"
#include "heron-message-list.h"

struct _HeronChatView
{
  GtkWidget       parent_instance;

  /* Template Widgets */
  AdwHeaderBar   *header_bar;
  GtkStack       *stack;
  AdwWindowTitle *window_title;
  HeronMessageList *message_list;
  HeronComposer  *composer;
};

enum {
  SEND_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HeronChatView, heron_chat_view, GTK_TYPE_WIDGET)

static void
heron_chat_view_real_send_requested (HeronChatView *self,
                                     const char    *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  g_debug ("send-requested: %ld characters, %u lines",
           g_utf8_strlen (text, -1), g_strv_length (lines));
}

static void
heron_chat_view_composer_send_cb (HeronChatView *self,
                                  const char    *text,
                                  HeronComposer *composer)
{
  g_assert (HERON_IS_CHAT_VIEW (self));

  g_signal_emit (self, signals[SEND_REQUESTED], 0, text);
}

static gboolean
heron_chat_view_grab_focus (GtkWidget *widget)
{
  HeronChatView *self = (HeronChatView *)widget;

  return gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
heron_chat_view_dispose (GObject *object)
{
  HeronChatView *self = (HeronChatView *)object;
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), HERON_TYPE_CHAT_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (heron_chat_view_parent_class)->dispose (object);
}

static void
heron_chat_view_class_init (HeronChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_chat_view_dispose;

  widget_class->grab_focus = heron_chat_view_grab_focus;

  /**
   * HeronChatView::send-requested:
   * @self: a #HeronChatView
   * @text: the message the user sent
   *
   * Emitted when the user sends a message; the chat code connects here to run a turn.
   */
  signals[SEND_REQUESTED] =
    g_signal_new_class_handler ("send-requested",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (heron_chat_view_real_send_requested),
                                NULL, NULL,
                                NULL,
                                G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/heronchat/Heron/ui/heron-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, header_bar);
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, window_title);
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, message_list);
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, composer);
  gtk_widget_class_bind_template_callback (widget_class, heron_chat_view_composer_send_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronchatview");

  g_type_ensure (HERON_TYPE_COMPOSER);
  g_type_ensure (HERON_TYPE_MESSAGE_LIST);
}

static void
heron_chat_view_init (HeronChatView *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

GtkWidget *
heron_chat_view_new (void)
{
  return g_object_new (HERON_TYPE_CHAT_VIEW, NULL);
}

/**
 * heron_chat_view_get_header_bar:
 *
 * Returns: (transfer none): the chat page's header bar
 */
AdwHeaderBar *
heron_chat_view_get_header_bar (HeronChatView *self)
{
  g_return_val_if_fail (HERON_IS_CHAT_VIEW (self), NULL);

  return self->header_bar;
}

/**
 * heron_chat_view_get_composer:
 *
 * Returns: (transfer none): the #HeronComposer
 */
GtkWidget *
heron_chat_view_get_composer (HeronChatView *self)
{
  g_return_val_if_fail (HERON_IS_CHAT_VIEW (self), NULL);

  return GTK_WIDGET (self->composer);
}

/**
 * heron_chat_view_get_message_list:
 *
 * Returns: (transfer none): the list of the conversation's messages
 */
HeronMessageList *
heron_chat_view_get_message_list (HeronChatView *self)
{
  g_return_val_if_fail (HERON_IS_CHAT_VIEW (self), NULL);

  return self->message_list;
}

/* "empty" (no model yet) or "messages". */
void
heron_chat_view_set_page (HeronChatView *self,
                          const char    *name)
{
  g_return_if_fail (HERON_IS_CHAT_VIEW (self));

  gtk_stack_set_visible_child_name (self->stack, name);
}

void
heron_chat_view_set_title (HeronChatView *self,
                           const char    *title)
{
  g_return_if_fail (HERON_IS_CHAT_VIEW (self));

  adw_window_title_set_title (self->window_title, title);
}

void
heron_chat_view_set_subtitle (HeronChatView *self,
                              const char    *subtitle)
{
  g_return_if_fail (HERON_IS_CHAT_VIEW (self));

  adw_window_title_set_subtitle (self->window_title, subtitle);
}

void
heron_chat_view_clear (HeronChatView *self)
{
  g_return_if_fail (HERON_IS_CHAT_VIEW (self));

  heron_composer_set_text (self->composer, "");
}
