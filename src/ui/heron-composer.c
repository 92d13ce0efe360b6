/* heron-composer.c: the message entry at the bottom of a chat.
 *
 * A multi-line GtkTextView and a send button. Enter sends, Shift+Enter inserts a new
 * line. The "send" signal carries the text; the composer clears itself afterwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-composer-private.h"
#include "heron-web-mode-button.h"

struct _HeronComposer
{
  GtkWidget    parent_instance;

  /* Template Widgets */
  GtkTextView *text_view;
  GtkLabel    *placeholder;
  GtkButton   *send_button;
  GtkWidget   *web_mode_button;  /* owned by the template's box */

  /* TRUE while an input method shows uncommitted text (pinyin, compose sequences) */
  guint        preedit_active : 1;
  /* TRUE while an answer is generated: the send button is a Stop button (chat.stop). */
  guint        busy : 1;
};

enum {
  SEND,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HeronComposer, heron_composer, GTK_TYPE_WIDGET)

static gboolean
heron_composer_has_text (HeronComposer *self)
{
  g_autofree char *text = heron_composer_get_text (self);

  return text[0] != '\0';
}

static void
heron_composer_update (HeronComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  gboolean empty = gtk_text_buffer_get_char_count (buffer) == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), empty && !self->preedit_active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 heron_composer_has_text (self));
}

static void
heron_composer_send_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  HeronComposer *self = (HeronComposer *)widget;
  g_autofree char *text = NULL;

  g_assert (HERON_IS_COMPOSER (self));

  text = heron_composer_get_text (self);
  if (text[0] == '\0')
    return;

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", 0);
  g_signal_emit (self, signals[SEND], 0, text);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

/* Decides what Enter does once the input method has declined the key.
 * Returns TRUE when the key was used (sent, or swallowed on an empty composer). */
gboolean
_heron_composer_handle_enter (HeronComposer   *self,
                              GdkModifierType  state)
{
  g_return_val_if_fail (HERON_IS_COMPOSER (self), FALSE);

  /* An input method is still composing: Enter belongs to it, never to us. */
  if (self->preedit_active)
    return FALSE;

  /* Shift+Enter: let the text view insert a new line. */
  if ((state & GDK_SHIFT_MASK) != 0)
    return FALSE;
  /* One answer at a time: Enter keeps the text until the current answer ends. */
  if (self->busy)
    return TRUE;

  if (heron_composer_has_text (self))
    gtk_widget_activate_action (GTK_WIDGET (self), "composer.send", NULL);
  return TRUE;
}

/* This controller runs in the CAPTURE phase, i.e. before the text view's own key handling,
 * which is where the text view would pass the key to its input method. When a Chinese
 * pinyin (or any) input method shows a candidate, Enter confirms that candidate: it must
 * reach the input method, and it must not send. So the key is offered to the input method
 * first (gtk_text_view_im_context_filter_keypress); if the input method takes it we stop
 * here. The preedit state tracked from ::preedit-changed is a second guard for input methods
 * that report the key as unhandled while they still show uncommitted text. */
static gboolean
heron_composer_key_pressed_cb (HeronComposer         *self,
                               guint                  keyval,
                               guint                  keycode,
                               GdkModifierType        state,
                               GtkEventControllerKey *controller)
{
  GdkEvent *event;

  g_assert (HERON_IS_COMPOSER (self));

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
  if (event != NULL && gtk_text_view_im_context_filter_keypress (self->text_view, event))
    return GDK_EVENT_STOP;

  return _heron_composer_handle_enter (self, state) ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;
}

static void
heron_composer_preedit_changed_cb (HeronComposer *self,
                                   const char    *preedit,
                                   GtkTextView   *text_view)
{
  g_assert (HERON_IS_COMPOSER (self));

  self->preedit_active = preedit != NULL && preedit[0] != '\0';
  heron_composer_update (self);
}

static gboolean
heron_composer_grab_focus (GtkWidget *widget)
{
  HeronComposer *self = (HeronComposer *)widget;

  return gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
heron_composer_dispose (GObject *object)
{
  HeronComposer *self = (HeronComposer *)object;
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), HERON_TYPE_COMPOSER);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (heron_composer_parent_class)->dispose (object);
}

static void
heron_composer_class_init (HeronComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_composer_dispose;

  widget_class->grab_focus = heron_composer_grab_focus;

  /**
   * HeronComposer::send:
   * @self: a #HeronComposer
   * @text: the message, without leading or trailing white space
   *
   * Emitted when the user sends a message (Enter or the send button).
   */
  signals[SEND] = g_signal_new ("send",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                0,
                                NULL, NULL,
                                NULL,
                                G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL,
                                   heron_composer_send_action);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/heronchat/Heron/ui/heron-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, HeronComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, HeronComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, HeronComposer, send_button);
  gtk_widget_class_bind_template_callback (widget_class, heron_composer_key_pressed_cb);
  gtk_widget_class_bind_template_callback (widget_class, heron_composer_preedit_changed_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heroncomposer");
}

/* ---- web search mode (the chat stores it per conversation) ---- */

static void
heron_composer_add_web_mode_button (HeronComposer *self)
{
  GtkWidget *box = gtk_widget_get_parent (GTK_WIDGET (self->send_button));

  self->web_mode_button = heron_web_mode_button_new ();
  gtk_widget_set_valign (self->web_mode_button, GTK_ALIGN_END);
  gtk_widget_set_margin_bottom (self->web_mode_button, 3);
  gtk_widget_set_margin_start (self->web_mode_button, 3);
  gtk_box_prepend (GTK_BOX (box), self->web_mode_button);
}

HeronWebModeButton *
heron_composer_get_web_mode_button (HeronComposer *self)
{
  g_return_val_if_fail (HERON_IS_COMPOSER (self), NULL);

  return HERON_WEB_MODE_BUTTON (self->web_mode_button);
}

static void
heron_composer_init (HeronComposer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  heron_composer_add_web_mode_button (self);

  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (heron_composer_update), self, G_CONNECT_SWAPPED);
  heron_composer_update (self);
}

GtkWidget *
heron_composer_new (void)
{
  return g_object_new (HERON_TYPE_COMPOSER, NULL);
}

/**
 * heron_composer_get_text:
 *
 * Returns: (transfer full): the text, without leading or trailing white space
 */
char *
heron_composer_get_text (HeronComposer *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  char *text;

  g_return_val_if_fail (HERON_IS_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  return g_strstrip (text);
}

void
heron_composer_set_text (HeronComposer *self,
                         const char    *text)
{
  g_return_if_fail (HERON_IS_COMPOSER (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

GtkTextView *
_heron_composer_get_text_view (HeronComposer *self)
{
  g_return_val_if_fail (HERON_IS_COMPOSER (self), NULL);

  return self->text_view;
}

/* While BUSY the send button stops the answer being generated instead of sending. */
void
heron_composer_set_busy (HeronComposer *self,
                         gboolean       busy)
{
  g_return_if_fail (HERON_IS_COMPOSER (self));

  self->busy = !!busy;
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->send_button),
                                  busy ? "chat.stop" : "composer.send");
  gtk_button_set_icon_name (self->send_button,
                            busy ? "media-playback-stop-symbolic" : "go-up-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button),
                               busy ? _("Stop (Escape)") : _("Send Message (Enter)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->send_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  busy ? _("Stop") : _("Send Message"), -1);
  if (busy)
    gtk_widget_remove_css_class (GTK_WIDGET (self->send_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->send_button), "suggested-action");
}
