/* heron-chat-view.c: the chat page: header bar, messages and composer.
 *
 * Until the assist layer drives real turns, a sent message is only shown in the list
 * (the class handler of ::send-requested); the chat code connects to ::send-requested
 * and replaces that list with the conversation's own GListModel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat-view.h"
#include "heron-composer.h"

struct _HeronChatView
{
  GtkWidget       parent_instance;

  /* Template Widgets */
  AdwHeaderBar   *header_bar;
  GtkStack       *stack;
  GtkListBox     *message_list;
  HeronComposer  *composer;

  /* Owned References */
  GListStore     *messages;
};

enum {
  SEND_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HeronChatView, heron_chat_view, GTK_TYPE_WIDGET)

static GtkWidget *
heron_chat_view_create_row (gpointer item,
                            gpointer user_data)
{
  GtkWidget *label;

  /* Plain text on purpose: message text is never read as Pango markup. */
  label = g_object_new (GTK_TYPE_LABEL,
                        "label", gtk_string_object_get_string (GTK_STRING_OBJECT (item)),
                        "use-markup", FALSE,
                        "wrap", TRUE,
                        "wrap-mode", PANGO_WRAP_WORD_CHAR,
                        "selectable", TRUE,
                        "xalign", 0.0f,
                        "halign", GTK_ALIGN_END,
                        "css-classes", (const char *[]) { "user-message", NULL },
                        NULL);
  return g_object_new (GTK_TYPE_LIST_BOX_ROW,
                       "child", label,
                       "activatable", FALSE,
                       "focusable", FALSE,
                       NULL);
}

static void
heron_chat_view_update (HeronChatView *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->messages)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "messages");
}

static void
heron_chat_view_real_send_requested (HeronChatView *self,
                                     const char    *text)
{
  g_autoptr(GtkStringObject) item = gtk_string_object_new (text);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  g_debug ("send-requested: %ld characters, %u lines",
           g_utf8_strlen (text, -1), g_strv_length (lines));

  g_list_store_append (self->messages, item);
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
  g_clear_object (&self->messages);

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
   * Emitted when the user sends a message. The default handler shows the text in the
   * message list; the chat code connects here to run a turn.
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
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, message_list);
  gtk_widget_class_bind_template_child (widget_class, HeronChatView, composer);
  gtk_widget_class_bind_template_callback (widget_class, heron_chat_view_composer_send_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronchatview");

  g_type_ensure (HERON_TYPE_COMPOSER);
}

static void
heron_chat_view_init (HeronChatView *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  self->messages = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  gtk_list_box_bind_model (self->message_list, G_LIST_MODEL (self->messages),
                           heron_chat_view_create_row, NULL, NULL);
  g_signal_connect_object (self->messages, "items-changed",
                           G_CALLBACK (heron_chat_view_update), self, G_CONNECT_SWAPPED);
  heron_chat_view_update (self);
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
 * heron_chat_view_get_messages:
 *
 * Returns: (transfer none): the shown messages, a #GListModel of #GtkStringObject
 */
GListModel *
heron_chat_view_get_messages (HeronChatView *self)
{
  g_return_val_if_fail (HERON_IS_CHAT_VIEW (self), NULL);

  return G_LIST_MODEL (self->messages);
}

void
heron_chat_view_clear (HeronChatView *self)
{
  g_return_if_fail (HERON_IS_CHAT_VIEW (self));

  g_list_store_remove_all (self->messages);
  heron_composer_set_text (self->composer, "");
}
