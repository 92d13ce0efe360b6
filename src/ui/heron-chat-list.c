/* heron-chat-list.c: the sidebar's conversations and search results.
 *
 * GTK 4.8 list views have no section headers, so the conversations are a GtkListBox bound
 * to the store's model with a header function that puts "Pinned", "Today", "Yesterday" or
 * "Earlier" above the first row of each section. A user has tens to hundreds of
 * conversations, which a list box handles without virtualisation.
 *
 * Signals: ::conversation-activated (id), ::hit-activated (conversation id, message id).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-chat-list"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat-list.h"
#include "heron-conversation.h"
#include "heron-markdown.h"
#include "heron-search.h"
#include "heron-store.h"

struct _HeronChatList
{
  GtkWidget   parent_instance;

  GtkWidget  *stack;
  GtkWidget  *list_box;
  GtkWidget  *hits_box;
  GListModel *model;
  guint       n_hits;
  gint64      selected_id;
};

enum {
  CONVERSATION_ACTIVATED,
  HIT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HeronChatList, heron_chat_list, GTK_TYPE_WIDGET)

static const char *
section_title (HeronSection section)
{
  switch (section)
    {
    case HERON_SECTION_PINNED: return _("Pinned");
    case HERON_SECTION_TODAY: return _("Today");
    case HERON_SECTION_YESTERDAY: return _("Yesterday");
    case HERON_SECTION_EARLIER:
    default: return _("Earlier");
    }
}

static HeronConversation *
row_conversation (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "heron-conversation");
}

static void
header_func (GtkListBoxRow *row,
             GtkListBoxRow *before,
             gpointer       user_data)
{
  gint64 now = g_get_real_time () / 1000;
  HeronSection section = heron_conversation_get_section (row_conversation (row), now);
  GtkWidget *header;

  if (before != NULL
      && heron_conversation_get_section (row_conversation (before), now) == section)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  header = gtk_label_new (section_title (section));
  gtk_label_set_xalign (GTK_LABEL (header), 0.0f);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_add_css_class (header, "dim-label");
  gtk_widget_add_css_class (header, "chat-list-header");
  gtk_list_box_row_set_header (row, header);
}

static GMenuModel *
row_menu (HeronConversation *conversation)
{
  GMenu *menu = g_menu_new ();
  gint64 id = heron_conversation_get_id (conversation);
  g_autoptr(GMenuItem) rename = g_menu_item_new (_("_Rename…"), NULL);
  g_autoptr(GMenuItem) pin = g_menu_item_new (heron_conversation_get_pinned (conversation)
                                              ? _("_Unpin") : _("_Pin"), NULL);
  g_autoptr(GMenuItem) del = g_menu_item_new (_("_Delete"), NULL);

  g_menu_item_set_action_and_target_value (rename, "chat.rename-conversation",
                                           g_variant_new_int64 (id));
  g_menu_item_set_action_and_target_value (pin, "chat.pin-conversation",
                                           g_variant_new_int64 (id));
  g_menu_item_set_action_and_target_value (del, "chat.delete-conversation",
                                           g_variant_new_int64 (id));
  g_menu_append_item (menu, rename);
  g_menu_append_item (menu, pin);
  g_menu_append_item (menu, del);
  return G_MENU_MODEL (menu);
}

static gboolean
title_transform (GBinding     *binding,
                 const GValue *from,
                 GValue       *to,
                 gpointer      user_data)
{
  const char *title = g_value_get_string (from);

  g_value_set_string (to, title != NULL && *title != '\0' ? title : _("Untitled Chat"));
  return TRUE;
}

static void
update_menu (GtkMenuButton     *button,
             GParamSpec        *pspec,
             HeronConversation *conversation)
{
  g_autoptr(GMenuModel) menu = row_menu (conversation);

  gtk_menu_button_set_menu_model (button, menu);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HeronChatList *self = user_data;
  HeronConversation *conversation = item;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *pin = gtk_image_new_from_icon_name ("view-pin-symbolic");
  GtkWidget *menu_button = gtk_menu_button_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  /* Rows follow renames and pins: the list keeps the objects and updates them. */
  g_object_bind_property_full (conversation, "title", label, "label", G_BINDING_SYNC_CREATE,
                               title_transform, NULL, NULL, NULL);
  gtk_box_append (GTK_BOX (box), label);
  gtk_widget_add_css_class (pin, "dim-label");
  g_object_bind_property (conversation, "pinned", pin, "visible", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), pin);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  update_menu (GTK_MENU_BUTTON (menu_button), NULL, conversation);
  g_signal_connect_object (conversation, "notify::pinned", G_CALLBACK (update_menu),
                           menu_button, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify", G_CALLBACK (gtk_list_box_invalidate_headers),
                           self->list_box, G_CONNECT_SWAPPED);
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_widget_set_tooltip_text (menu_button, _("Conversation Menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Conversation Menu"), -1);
  gtk_box_append (GTK_BOX (box), menu_button);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "heron-conversation", g_object_ref (conversation),
                          g_object_unref);
  return row;
}

static void
row_activated_cb (HeronChatList *self,
                  GtkListBoxRow *row,
                  GtkListBox    *box)
{
  self->selected_id = heron_conversation_get_id (row_conversation (row));
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, self->selected_id);
}

static void
hit_activated_cb (HeronChatList *self,
                  GtkListBoxRow *row,
                  GtkListBox    *box)
{
  gint64 conversation_id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "heron-conv"));
  gint64 message_id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "heron-msg"));

  g_signal_emit (self, signals[HIT_ACTIVATED], 0, conversation_id, message_id);
}

static void
items_changed_cb (HeronChatList *self)
{
  heron_chat_list_select (self, self->selected_id);
}

void
heron_chat_list_set_model (HeronChatList *self,
                           GListModel    *model)
{
  g_return_if_fail (HERON_IS_CHAT_LIST (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, items_changed_cb, self);
  if (!g_set_object (&self->model, model))
    return;
  gtk_list_box_bind_model (GTK_LIST_BOX (self->list_box), model,
                           model != NULL ? create_row : NULL, self, NULL);
  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (items_changed_cb), self,
                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

void
heron_chat_list_select (HeronChatList *self,
                        gint64         conversation_id)
{
  GtkListBoxRow *row;

  g_return_if_fail (HERON_IS_CHAT_LIST (self));

  self->selected_id = conversation_id;
  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list_box), i)); i++)
    if (heron_conversation_get_id (row_conversation (row)) == conversation_id)
      {
        gtk_list_box_select_row (GTK_LIST_BOX (self->list_box), row);
        return;
      }
  gtk_list_box_unselect_all (GTK_LIST_BOX (self->list_box));
}

char *
heron_chat_list_snippet_markup (const char *snippet,
                                gsize       match_start,
                                gsize       match_length)
{
  GString *out = g_string_new (NULL);
  gsize len = strlen (snippet);

  if (match_start > len)
    match_start = len;
  if (match_length > len - match_start)
    match_length = len - match_start;
  heron_markdown_escape_append (out, snippet, match_start);
  if (match_length > 0)
    {
      g_string_append (out, "<b>");
      heron_markdown_escape_append (out, snippet + match_start, match_length);
      g_string_append (out, "</b>");
    }
  heron_markdown_escape_append (out, snippet + match_start + match_length, -1);
  return g_string_free (out, FALSE);
}

void
heron_chat_list_show_hits (HeronChatList *self,
                           GPtrArray     *hits)
{
  GtkWidget *child;

  g_return_if_fail (HERON_IS_CHAT_LIST (self));

  while ((child = gtk_widget_get_first_child (self->hits_box)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->hits_box), child);
  self->n_hits = hits != NULL ? hits->len : 0;
  if (hits == NULL)
    {
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "list");
      return;
    }

  for (guint i = 0; i < hits->len; i++)
    {
      HeronSearchHit *hit = g_ptr_array_index (hits, i);
      g_autofree char *snippet_text = g_utf8_make_valid (hit->snippet, -1);
      g_autofree char *markup = NULL;
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title = gtk_label_new (hit->conversation_title != NULL
                                        && *hit->conversation_title != '\0'
                                        ? hit->conversation_title : _("Untitled Chat"));
      GtkWidget *snippet = gtk_label_new (NULL);

      /* make_valid may have changed byte offsets only when the snippet was invalid. */
      markup = heron_chat_list_snippet_markup (snippet_text,
                                               strlen (snippet_text) == strlen (hit->snippet)
                                               ? hit->match_start : 0,
                                               strlen (snippet_text) == strlen (hit->snippet)
                                               ? hit->match_length : 0);
      gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
      gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (title, "heading");
      gtk_label_set_markup (GTK_LABEL (snippet), markup);
      gtk_label_set_xalign (GTK_LABEL (snippet), 0.0f);
      gtk_label_set_wrap (GTK_LABEL (snippet), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (snippet), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (snippet), 3);
      gtk_label_set_ellipsize (GTK_LABEL (snippet), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (snippet, "dim-label");
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), snippet);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data (G_OBJECT (row), "heron-conv", GSIZE_TO_POINTER (hit->conversation_id));
      g_object_set_data (G_OBJECT (row), "heron-msg", GSIZE_TO_POINTER (hit->message_id));
      gtk_list_box_append (GTK_LIST_BOX (self->hits_box), row);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), hits->len > 0 ? "hits" : "none");
}

/* Enter in the search field opens the best hit. */
gboolean
heron_chat_list_activate_first_hit (HeronChatList *self)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (HERON_IS_CHAT_LIST (self), FALSE);

  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->hits_box), 0);
  if (row == NULL || self->n_hits == 0)
    return FALSE;
  hit_activated_cb (self, row, GTK_LIST_BOX (self->hits_box));
  return TRUE;
}

guint
heron_chat_list_get_n_hits (HeronChatList *self)
{
  g_return_val_if_fail (HERON_IS_CHAT_LIST (self), 0);

  return self->n_hits;
}

static void
heron_chat_list_dispose (GObject *object)
{
  HeronChatList *self = (HeronChatList *)object;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, items_changed_cb, self);
  g_clear_pointer (&self->stack, gtk_widget_unparent);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (heron_chat_list_parent_class)->dispose (object);
}

static void
heron_chat_list_class_init (HeronChatListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_chat_list_dispose;

  signals[CONVERSATION_ACTIVATED] =
    g_signal_new ("conversation-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[HIT_ACTIVATED] =
    g_signal_new ("hit-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronchatlist");
}

static GtkWidget *
scrolled (GtkWidget *child)
{
  GtkWidget *sw = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (sw), child);
  gtk_widget_set_vexpand (sw, TRUE);
  return sw;
}

static void
heron_chat_list_init (HeronChatList *self)
{
  GtkWidget *none;

  self->stack = gtk_stack_new ();
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));

  self->list_box = gtk_list_box_new ();
  gtk_widget_add_css_class (self->list_box, "navigation-sidebar");
  gtk_list_box_set_header_func (GTK_LIST_BOX (self->list_box), header_func, NULL, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Conversations"), -1);
  g_signal_connect_swapped (self->list_box, "row-activated", G_CALLBACK (row_activated_cb),
                            self);
  gtk_stack_add_named (GTK_STACK (self->stack), scrolled (self->list_box), "list");

  self->hits_box = gtk_list_box_new ();
  gtk_widget_add_css_class (self->hits_box, "navigation-sidebar");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->hits_box), GTK_SELECTION_NONE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->hits_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Search Results"), -1);
  g_signal_connect_swapped (self->hits_box, "row-activated", G_CALLBACK (hit_activated_cb),
                            self);
  gtk_stack_add_named (GTK_STACK (self->stack), scrolled (self->hits_box), "hits");

  none = gtk_label_new (_("No messages found"));
  gtk_widget_add_css_class (none, "dim-label");
  gtk_stack_add_named (GTK_STACK (self->stack), none, "none");
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "list");
}

GtkWidget *
heron_chat_list_new (void)
{
  return g_object_new (HERON_TYPE_CHAT_LIST, NULL);
}
