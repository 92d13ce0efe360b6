/* heron-sidebar.c: the conversation list beside the chat.
 *
 * The list shows any GListModel whose items have a "title" string property; the store
 * layer's conversation model plugs in through heron_sidebar_set_model(). Until then the
 * model is empty and the sidebar says so.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-chat-list.h"
#include "heron-sidebar.h"

struct _HeronSidebar
{
  GtkWidget           parent_instance;

  /* Template Widgets */
  AdwHeaderBar       *header_bar;
  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  HeronChatList      *chat_list;

  /* Owned References */
  GListModel         *model;
};

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HeronSidebar, heron_sidebar, GTK_TYPE_WIDGET)

static void
heron_sidebar_update (HeronSidebar *self)
{
  gboolean empty = g_list_model_get_n_items (self->model) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
  /* Nothing to search in an empty list. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_entry), !empty);
}

static void
heron_sidebar_dispose (GObject *object)
{
  HeronSidebar *self = (HeronSidebar *)object;
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), HERON_TYPE_SIDEBAR);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (heron_sidebar_parent_class)->dispose (object);
}

static void
heron_sidebar_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HeronSidebar *self = HERON_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_sidebar_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  HeronSidebar *self = HERON_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      heron_sidebar_set_model (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_sidebar_class_init (HeronSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_sidebar_dispose;
  object_class->get_property = heron_sidebar_get_property;
  object_class->set_property = heron_sidebar_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/heronchat/Heron/ui/heron-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, HeronSidebar, header_bar);
  gtk_widget_class_bind_template_child (widget_class, HeronSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HeronSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, HeronSidebar, chat_list);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronsidebar");

  g_type_ensure (HERON_TYPE_CHAT_LIST);
}

static void
heron_sidebar_init (HeronSidebar *self)
{
  g_autoptr(GListStore) empty = NULL;
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  empty = g_list_store_new (G_TYPE_OBJECT);
  heron_sidebar_set_model (self, G_LIST_MODEL (empty));
}

GtkWidget *
heron_sidebar_new (void)
{
  return g_object_new (HERON_TYPE_SIDEBAR, NULL);
}

/**
 * heron_sidebar_get_header_bar:
 *
 * Returns: (transfer none): the sidebar's header bar
 */
AdwHeaderBar *
heron_sidebar_get_header_bar (HeronSidebar *self)
{
  g_return_val_if_fail (HERON_IS_SIDEBAR (self), NULL);

  return self->header_bar;
}

/**
 * heron_sidebar_get_model:
 *
 * Returns: (transfer none): the conversations shown
 */
GListModel *
heron_sidebar_get_model (HeronSidebar *self)
{
  g_return_val_if_fail (HERON_IS_SIDEBAR (self), NULL);

  return self->model;
}

void
heron_sidebar_set_model (HeronSidebar *self,
                         GListModel   *model)
{
  g_return_if_fail (HERON_IS_SIDEBAR (self));
  g_return_if_fail (G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, heron_sidebar_update, self);
  g_set_object (&self->model, model);
  g_signal_connect_object (model, "items-changed",
                           G_CALLBACK (heron_sidebar_update), self, G_CONNECT_SWAPPED);
  heron_chat_list_set_model (self->chat_list, model);
  heron_sidebar_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

/**
 * heron_sidebar_get_search_entry:
 *
 * Returns: (transfer none): the search field above the conversations
 */
GtkSearchEntry *
heron_sidebar_get_search_entry (HeronSidebar *self)
{
  g_return_val_if_fail (HERON_IS_SIDEBAR (self), NULL);

  return self->search_entry;
}

/**
 * heron_sidebar_get_chat_list:
 *
 * Returns: (transfer none): the list of conversations and search results
 */
HeronChatList *
heron_sidebar_get_chat_list (HeronSidebar *self)
{
  g_return_val_if_fail (HERON_IS_SIDEBAR (self), NULL);

  return self->chat_list;
}
