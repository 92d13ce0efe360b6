/* heron-message-row.c: one message of the chat.
 *
 * Rows are recycled by the list view: set_message() rebinds a row to another message.
 * While an answer streams, notify::content arrives for every delta; the row only marks
 * itself dirty and renders once per frame from a tick callback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-message-row"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-backend.h"
#include "heron-markdown-view.h"
#include "heron-models.h"
#include "heron-message-row.h"
#include "heron-sources-row.h"
#include "heron-web-turn.h"

struct _HeronMessageRow
{
  GtkWidget     parent_instance;

  GtkWidget    *user_label;
  GtkWidget    *web_label;         /* web step: progress, why it searched, failures */
  GtkWidget    *think_expander;
  GtkWidget    *think_label;
  GtkWidget    *markdown;
  GtkWidget    *sources_row;       /* web sources under the answer (heron-sources-row.h) */
  char         *sources_json;      /* what sources_row and the [n] links show */
  char         *web_text;          /* web_label's text from it (when no step runs) */
  GtkWidget    *status_label;
  GtkWidget    *stats_label;
  GtkWidget    *actions;
  GtkWidget    *copy_button;
  GtkWidget    *edit_button;
  GtkWidget    *regenerate_button;
  GtkWidget    *delete_button;
  GtkWidget    *branch_box;        /* "‹ 2/3 ›" between alternatives */
  GtkWidget    *branch_prev;
  GtkWidget    *branch_label;
  GtkWidget    *branch_next;

  HeronMessage *message;
  guint         tick_id;
  gboolean      user_toggled_think;
  gboolean      rendering;
};

G_DEFINE_FINAL_TYPE (HeronMessageRow, heron_message_row, GTK_TYPE_WIDGET)

static void update_branch_nav (HeronMessageRow *self);
static void update_sources (HeronMessageRow *self);

/* Reasoning timing lives on the message, so a recycled row still knows it. */
#define THINK_START "heron-think-start"
#define THINK_SECONDS "heron-think-seconds"

static void
track_thinking (HeronMessage *message)
{
  const char *reasoning = heron_message_get_reasoning (message);
  const char *content = heron_message_get_content (message);
  gint64 start = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (message), THINK_START));

  if (heron_message_get_state (message) != HERON_MESSAGE_STREAMING
      || reasoning == NULL || *reasoning == '\0')
    return;
  if (start == 0)
    {
      start = g_get_monotonic_time () / G_USEC_PER_SEC + 1;
      g_object_set_data (G_OBJECT (message), THINK_START, GSIZE_TO_POINTER (start));
    }
  if (content != NULL && *content != '\0'
      && g_object_get_data (G_OBJECT (message), THINK_SECONDS) == NULL)
    {
      gint64 secs = g_get_monotonic_time () / G_USEC_PER_SEC + 1 - start;

      g_object_set_data (G_OBJECT (message), THINK_SECONDS, GSIZE_TO_POINTER (MAX (secs, 1)));
    }
}

static char *
think_title (HeronMessage *message)
{
  gsize secs = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (message), THINK_SECONDS));
  const char *content = heron_message_get_content (message);

  if (heron_message_get_state (message) == HERON_MESSAGE_STREAMING
      && (content == NULL || *content == '\0'))
    return g_strdup (_("Thinking…"));
  if (secs > 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Thought for %u second",
                                         "Thought for %u seconds", secs),
                            (guint) secs);
  return g_strdup (_("Thoughts"));
}

/* The web step of the answer (heron-web-turn.h): its live progress while it runs, then why
 * it searched, who answered and what failed, from the stored sources_json. */
static void
update_web_label (HeronMessageRow *self)
{
  const char *live = heron_web_turn_get_message_status (self->message);
  const char *text = live == NULL ? self->web_text : NULL;

  gtk_label_set_text (GTK_LABEL (self->web_label), live != NULL ? live : text ? text : "");
  gtk_widget_set_visible (self->web_label, live != NULL || (text != NULL && *text != '\0'));
}

static void
render (HeronMessageRow *self)
{
  HeronMessage *m = self->message;
  gboolean user, streaming;
  const char *reasoning, *content;
  HeronMessageState state;

  if (m == NULL)
    return;

  user = heron_message_get_role (m) == HERON_ROLE_USER;
  state = heron_message_get_state (m);
  streaming = state == HERON_MESSAGE_STREAMING;
  content = heron_message_get_content (m);
  reasoning = heron_message_get_reasoning (m);

  gtk_widget_set_visible (self->user_label, user);
  gtk_widget_set_visible (self->markdown, !user);
  gtk_widget_set_visible (self->edit_button, user && !streaming);
  gtk_widget_set_visible (self->regenerate_button, !user && !streaming);
  gtk_widget_set_visible (self->actions, !streaming);
  gtk_widget_set_halign (self->actions, user ? GTK_ALIGN_END : GTK_ALIGN_START);
  update_branch_nav (self);
  update_sources (self);

  if (user)
    {
      /* Plain text: what the user typed is shown as typed. */
      gtk_label_set_text (GTK_LABEL (self->user_label), content);
      gtk_widget_set_visible (self->think_expander, FALSE);
      gtk_widget_set_visible (self->web_label, FALSE);
      gtk_widget_set_visible (self->status_label, FALSE);
      gtk_widget_set_visible (self->stats_label, FALSE);
      return;
    }

  update_web_label (self);
  track_thinking (m);
  gtk_widget_set_visible (self->think_expander, reasoning != NULL && *reasoning != '\0');
  if (reasoning != NULL && *reasoning != '\0')
    {
      g_autofree char *title = think_title (m);
      gboolean answering = content != NULL && *content != '\0';

      gtk_expander_set_label (GTK_EXPANDER (self->think_expander), title);
      gtk_label_set_text (GTK_LABEL (self->think_label), reasoning);
      /* Open while only the reasoning streams, closed once the answer starts, unless the
       * user chose otherwise. */
      if (!self->user_toggled_think)
        {
          self->rendering = TRUE;
          gtk_expander_set_expanded (GTK_EXPANDER (self->think_expander),
                                     streaming && !answering);
          self->rendering = FALSE;
        }
    }

  heron_markdown_view_set_text (HERON_MARKDOWN_VIEW (self->markdown), content);

  switch (state)
    {
    case HERON_MESSAGE_CANCELLED:
      gtk_label_set_text (GTK_LABEL (self->status_label), _("Stopped"));
      break;
    case HERON_MESSAGE_INTERRUPTED:
      gtk_label_set_text (GTK_LABEL (self->status_label),
                          _("Interrupted: Heron was closed while this answer was written"));
      break;
    case HERON_MESSAGE_ERROR:
      {
        g_autofree char *text = g_strdup_printf (_("Error: %s"),
                                                 heron_message_get_error (m) != NULL
                                                 ? heron_message_get_error (m)
                                                 : _("the answer failed"));

        gtk_label_set_text (GTK_LABEL (self->status_label), text);
      }
      break;
    case HERON_MESSAGE_COMPLETE:
    case HERON_MESSAGE_STREAMING:
    default:
      gtk_label_set_text (GTK_LABEL (self->status_label), "");
      break;
    }
  gtk_widget_set_visible (self->status_label,
                          *gtk_label_get_text (GTK_LABEL (self->status_label)) != '\0');
  if (state == HERON_MESSAGE_ERROR)
    gtk_widget_add_css_class (self->status_label, "error");
  else
    gtk_widget_remove_css_class (self->status_label, "error");

  {
    g_autoptr(HeronChatStats) stats = heron_chat_stats_new_from_json (
      heron_message_get_stats_json (m));
    g_autofree char *line = stats != NULL ? heron_chat_stats_format (stats) : NULL;
    g_autofree char *notice = heron_models_stats_get_notice (heron_message_get_stats_json (m));

    /* Why another model answered ("prefer local"), under the stats. */
    if (line != NULL && notice != NULL)
      {
        char *both = g_strconcat (line, "\n", notice, NULL);

        g_free (line);
        line = both;
      }
    gtk_label_set_text (GTK_LABEL (self->stats_label), line != NULL ? line : "");
    gtk_widget_set_visible (self->stats_label, line != NULL && !streaming);
  }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  HeronMessageRow *self = HERON_MESSAGE_ROW (widget);

  self->tick_id = 0;
  render (self);
  return G_SOURCE_REMOVE;
}

static void
message_notify_cb (HeronMessageRow *self)
{
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

void
heron_message_row_flush (HeronMessageRow *self)
{
  g_return_if_fail (HERON_IS_MESSAGE_ROW (self));

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  render (self);
}

static void
think_toggled_cb (HeronMessageRow *self)
{
  /* Changes made by render() are not the user's. */
  if (!self->rendering)
    self->user_toggled_think = TRUE;
}

void
heron_message_row_set_message (HeronMessageRow *self,
                               HeronMessage    *message)
{
  g_return_if_fail (HERON_IS_MESSAGE_ROW (self));

  if (self->message == message)
    return;
  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, message_notify_cb, self);
  g_set_object (&self->message, message);
  self->user_toggled_think = FALSE;
  if (message == NULL)
    return;

  g_signal_connect_swapped (message, "notify", G_CALLBACK (message_notify_cb), self);
  {
    GVariant *target = g_variant_new_int64 (heron_message_get_id (message));

    g_variant_ref_sink (target);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->copy_button), target);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->edit_button), target);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->regenerate_button), target);
    gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->delete_button), target);
    g_variant_unref (target);
  }
  heron_message_row_flush (self);
}

HeronMessage *
heron_message_row_get_message (HeronMessageRow *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

static GtkWidget *
icon_button (const char *icon,
             const char *action,
             const char *tooltip)
{
  GtkWidget *button = g_object_new (GTK_TYPE_BUTTON,
                                    "icon-name", icon,
                                    "action-name", action,
                                    /* A target of the action's type until a message is set. */
                                    "action-target", g_variant_new_int64 (0),
                                    "tooltip-text", tooltip,
                                    NULL);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  return button;
}

/* ---- alternatives (edit and regenerate keep the old branch) ------------------------- */

static GtkWidget *
branch_button (const char *icon,
               const char *tooltip)
{
  GtkWidget *button = g_object_new (GTK_TYPE_BUTTON,
                                    "icon-name", icon,
                                    "action-name", "chat.show-branch",
                                    "action-target", g_variant_new ("(xi)", (gint64) 0, 0),
                                    "tooltip-text", tooltip,
                                    NULL);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  return button;
}

static void
build_branch_nav (HeronMessageRow *self)
{
  self->branch_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->branch_box, "branch-nav");
  self->branch_prev = branch_button ("go-previous-symbolic", _("Previous Alternative"));
  self->branch_next = branch_button ("go-next-symbolic", _("Next Alternative"));
  self->branch_label = g_object_new (GTK_TYPE_LABEL,
                                     "css-classes", (const char *[]) { "dim-label", "caption",
                                                                       "numeric", NULL },
                                     NULL);
  gtk_box_append (GTK_BOX (self->branch_box), self->branch_prev);
  gtk_box_append (GTK_BOX (self->branch_box), self->branch_label);
  gtk_box_append (GTK_BOX (self->branch_box), self->branch_next);
  gtk_widget_set_visible (self->branch_box, FALSE);
  gtk_box_prepend (GTK_BOX (self->actions), self->branch_box);
}

/* Shown on a message that has alternatives: which one this is, and buttons to the
 * neighbours (chat.show-branch (id, ±1)). */
static void
update_branch_nav (HeronMessageRow *self)
{
  gint64 index = heron_message_get_branch_index (self->message);
  gint64 count = heron_message_get_branch_count (self->message);
  gint64 id = heron_message_get_id (self->message);
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  gtk_widget_set_visible (self->branch_box, count > 1 && index >= 1);
  if (count <= 1 || index < 1)
    return;
  text = g_strdup_printf ("%d/%d", (int) index, (int) count);
  gtk_label_set_text (GTK_LABEL (self->branch_label), text);
  description = g_strdup_printf (_("Alternative %d of %d"), (int) index, (int) count);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->branch_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->branch_prev), "(xi)", id, -1);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->branch_next), "(xi)", id, 1);
  gtk_widget_set_sensitive (self->branch_prev, index > 1);
  gtk_widget_set_sensitive (self->branch_next, index < count);
}

/* ---- web sources: chips under the answer, [n] links, unverified marks ---------------- */

/* Parsed again only when sources_json changes (set once the sources are known, and again
 * with the citation check when the answer is complete), not on every streamed frame; the
 * web label's description with it. */
static void
update_sources (HeronMessageRow *self)
{
  const char *json = heron_message_get_role (self->message) == HERON_ROLE_USER
                     ? NULL : heron_message_get_sources_json (self->message);
  g_autoptr(HeronSourceList) list = NULL;
  HeronMdCitations citations;

  if (g_strcmp0 (json, self->sources_json) == 0)
    return;
  g_free (self->sources_json);
  self->sources_json = g_strdup (json);
  g_free (self->web_text);
  self->web_text = heron_web_turn_describe_json (json);
  list = heron_source_list_new_from_json (json);
  heron_sources_row_set_sources (HERON_SOURCES_ROW (self->sources_row), list);
  if (list != NULL)
    heron_source_list_get_md_citations (list, &citations);
  heron_markdown_view_set_citations (HERON_MARKDOWN_VIEW (self->markdown),
                                     list != NULL ? &citations : NULL);
}

static void
citation_activated_cb (HeronMessageRow *self,
                       guint            number,
                       GtkLabel        *label,
                       GdkRectangle    *area)
{
  heron_sources_row_show_source (HERON_SOURCES_ROW (self->sources_row), number,
                                 GTK_WIDGET (label), area);
}

static void
build_sources (HeronMessageRow *self)
{
  self->sources_row = heron_sources_row_new ();
  gtk_widget_insert_after (self->sources_row, GTK_WIDGET (self), self->markdown);
  g_signal_connect_swapped (self->markdown, "citation-activated",
                            G_CALLBACK (citation_activated_cb), self);
}

static void
heron_message_row_dispose (GObject *object)
{
  HeronMessageRow *self = (HeronMessageRow *)object;
  GtkWidget *child;

  g_clear_pointer (&self->sources_json, g_free);
  g_clear_pointer (&self->web_text, g_free);

  heron_message_row_set_message (self, NULL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (heron_message_row_parent_class)->dispose (object);
}

static void
heron_message_row_class_init (HeronMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_message_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronmessagerow");
}

static void
heron_message_row_init (HeronMessageRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (widget);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 4);

  self->user_label = g_object_new (GTK_TYPE_LABEL,
                                   "use-markup", FALSE,
                                   "wrap", TRUE,
                                   "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                   "selectable", TRUE,
                                   "xalign", 0.0f,
                                   "halign", GTK_ALIGN_END,
                                   "focus-on-click", FALSE,
                                   "css-classes", (const char *[]) { "user-message", NULL },
                                   NULL);
  gtk_widget_set_parent (self->user_label, widget);

  self->web_label = g_object_new (GTK_TYPE_LABEL, "use-markup", FALSE, "xalign", 0.0f,
                                  "wrap", TRUE, "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                  /* Not selectable: it would take the first focus and
                                   * show itself selected. */
                                  "selectable", FALSE,
                                  "visible", FALSE,
                                  "css-classes", (const char *[]) { "dim-label", "caption",
                                                                    "web-status", NULL },
                                  NULL);
  gtk_widget_set_parent (self->web_label, widget);

  self->think_label = g_object_new (GTK_TYPE_LABEL,
                                    "use-markup", FALSE,
                                    "wrap", TRUE,
                                    "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                    "selectable", TRUE,
                                    "xalign", 0.0f,
                                    "focus-on-click", FALSE,
                                    "css-classes", (const char *[]) { "dim-label", "think-text",
                                                                      NULL },
                                    NULL);
  self->think_expander = gtk_expander_new ("");
  gtk_expander_set_child (GTK_EXPANDER (self->think_expander), self->think_label);
  gtk_widget_add_css_class (self->think_expander, "think");
  g_signal_connect_swapped (self->think_expander, "notify::expanded",
                            G_CALLBACK (think_toggled_cb), self);
  gtk_widget_set_parent (self->think_expander, widget);

  self->markdown = heron_markdown_view_new ();
  gtk_widget_add_css_class (self->markdown, "assistant-message");
  gtk_widget_set_parent (self->markdown, widget);
  build_sources (self);

  self->status_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "wrap", TRUE,
                                     "css-classes", (const char *[]) { "dim-label", NULL },
                                     NULL);
  gtk_widget_set_parent (self->status_label, widget);

  self->stats_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "wrap", TRUE,
                                    "css-classes", (const char *[]) { "dim-label", "caption",
                                                                      NULL },
                                    NULL);
  gtk_widget_set_parent (self->stats_label, widget);

  self->actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->actions, "message-actions");
  self->copy_button = icon_button ("edit-copy-symbolic", "chat.copy-message", _("Copy"));
  self->edit_button = icon_button ("document-edit-symbolic", "chat.edit-message",
                                   _("Edit and Resend"));
  self->regenerate_button = icon_button ("view-refresh-symbolic", "chat.regenerate",
                                         _("Regenerate"));
  self->delete_button = icon_button ("user-trash-symbolic", "chat.delete-message",
                                     _("Delete Message"));
  gtk_box_append (GTK_BOX (self->actions), self->copy_button);
  gtk_box_append (GTK_BOX (self->actions), self->edit_button);
  gtk_box_append (GTK_BOX (self->actions), self->regenerate_button);
  gtk_box_append (GTK_BOX (self->actions), self->delete_button);
  build_branch_nav (self);
  gtk_widget_set_parent (self->actions, widget);
}

GtkWidget *
heron_message_row_new (void)
{
  return g_object_new (HERON_TYPE_MESSAGE_ROW, NULL);
}
