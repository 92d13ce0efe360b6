/* heron-conversation-model.c: the GListModels of messages and of conversations.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "heron-conversation-model.h"
#include "heron-conversations.h"
#include "heron-messages.h"

/* ---- messages -------------------------------------------------------------------------- */

struct _HeronConversationModel
{
  GObject     parent_instance;
  HeronStore *store;
  gint64      conversation_id;
  GPtrArray  *items;
  guint       n_appends;   /* so that a load can tell a turn added messages meanwhile */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HeronConversationModel, heron_conversation_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      list_model_iface_init))

enum { PROP_0, PROP_CONVERSATION_ID, N_PROPS };
static GParamSpec *properties[N_PROPS];

static GType
model_get_item_type (GListModel *list)
{
  return HERON_TYPE_MESSAGE;
}

static guint
model_get_n_items (GListModel *list)
{
  return HERON_CONVERSATION_MODEL (list)->items->len;
}

static gpointer
model_get_item (GListModel *list, guint position)
{
  HeronConversationModel *self = HERON_CONVERSATION_MODEL (list);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = model_get_item_type;
  iface->get_n_items = model_get_n_items;
  iface->get_item = model_get_item;
}

static void
heron_conversation_model_finalize (GObject *object)
{
  HeronConversationModel *self = HERON_CONVERSATION_MODEL (object);

  g_clear_object (&self->store);
  g_ptr_array_unref (self->items);
  G_OBJECT_CLASS (heron_conversation_model_parent_class)->finalize (object);
}

static void
heron_conversation_model_get_property (GObject *object, guint prop_id, GValue *value,
                                       GParamSpec *pspec)
{
  HeronConversationModel *self = HERON_CONVERSATION_MODEL (object);

  if (prop_id == PROP_CONVERSATION_ID)
    g_value_set_int64 (value, self->conversation_id);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
heron_conversation_model_set_property (GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
  HeronConversationModel *self = HERON_CONVERSATION_MODEL (object);

  if (prop_id == PROP_CONVERSATION_ID)
    heron_conversation_model_set_conversation_id (self, g_value_get_int64 (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
heron_conversation_model_class_init (HeronConversationModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = heron_conversation_model_finalize;
  object_class->get_property = heron_conversation_model_get_property;
  object_class->set_property = heron_conversation_model_set_property;
  properties[PROP_CONVERSATION_ID] =
    g_param_spec_int64 ("conversation-id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
heron_conversation_model_init (HeronConversationModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

HeronConversationModel *
heron_conversation_model_new (HeronStore *store, gint64 conversation_id)
{
  HeronConversationModel *self;

  g_return_val_if_fail (HERON_IS_STORE (store), NULL);
  self = g_object_new (HERON_TYPE_CONVERSATION_MODEL, "conversation-id", conversation_id,
                       NULL);
  self->store = g_object_ref (store);
  return self;
}

HeronStore *
heron_conversation_model_get_store (HeronConversationModel *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION_MODEL (self), NULL);
  return self->store;
}

gint64
heron_conversation_model_get_conversation_id (HeronConversationModel *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION_MODEL (self), 0);
  return self->conversation_id;
}

void
heron_conversation_model_set_conversation_id (HeronConversationModel *self, gint64 id)
{
  g_return_if_fail (HERON_IS_CONVERSATION_MODEL (self));
  if (self->conversation_id == id)
    return;
  self->conversation_id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
}

static void
replace_items (GPtrArray *items, GListModel *model, GPtrArray *new_items)
{
  guint removed = items->len;

  g_ptr_array_set_size (items, 0);
  for (guint i = 0; i < new_items->len; i++)
    g_ptr_array_add (items, g_object_ref (new_items->pdata[i]));
  g_list_model_items_changed (model, 0, removed, items->len);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronConversationModel *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) messages = heron_store_get_messages_finish (HERON_STORE (source),
                                                                   result, &error);
  if (messages == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* A turn appended meanwhile: its live messages (an answer that streams into its object)
   * must stay; what was read is older than what is shown. Truncating alone (placeholders
   * taken away) does not make the read stale. */
  if (GPOINTER_TO_UINT (g_task_get_task_data (task)) != self->n_appends)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "the conversation changed while it was read");
      return;
    }
  replace_items (self->items, G_LIST_MODEL (self), messages);
  g_task_return_boolean (task, TRUE);
}

void
heron_conversation_model_load_async (HeronConversationModel *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (HERON_IS_CONVERSATION_MODEL (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_conversation_model_load_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (self->n_appends), NULL);
  heron_store_get_messages_async (self->store, self->conversation_id, cancellable, load_done,
                                  task);
}

gboolean
heron_conversation_model_load_finish (HeronConversationModel *self, GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
heron_conversation_model_append (HeronConversationModel *self, HeronMessage *message)
{
  g_return_if_fail (HERON_IS_CONVERSATION_MODEL (self));
  g_return_if_fail (HERON_IS_MESSAGE (message));
  g_ptr_array_add (self->items, g_object_ref (message));
  self->n_appends++;
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
}

void
heron_conversation_model_truncate (HeronConversationModel *self, guint n_keep)
{
  guint removed;

  g_return_if_fail (HERON_IS_CONVERSATION_MODEL (self));
  if (n_keep >= self->items->len)
    return;
  removed = self->items->len - n_keep;
  g_ptr_array_set_size (self->items, n_keep);
  g_list_model_items_changed (G_LIST_MODEL (self), n_keep, removed, 0);
}

int
heron_conversation_model_find (HeronConversationModel *self, gint64 id)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION_MODEL (self), -1);
  for (guint i = 0; i < self->items->len; i++)
    if (heron_message_get_id (self->items->pdata[i]) == id)
      return i;
  return -1;
}

HeronMessage *
heron_conversation_model_peek_last (HeronConversationModel *self)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION_MODEL (self), NULL);
  return self->items->len ? self->items->pdata[self->items->len - 1] : NULL;
}

/* ---- conversations --------------------------------------------------------------------- */

struct _HeronConversationList
{
  GObject     parent_instance;
  HeronStore *store;
  GPtrArray  *items;
  gulong      changed_id;
  gboolean    reloading;      /* a reload is in flight */
  gboolean    reload_again;   /* a change came while it was */
};

static void conv_list_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HeronConversationList, heron_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, conv_list_iface_init))

static GType
conv_get_item_type (GListModel *list)
{
  return HERON_TYPE_CONVERSATION;
}

static guint
conv_get_n_items (GListModel *list)
{
  return HERON_CONVERSATION_LIST (list)->items->len;
}

static gpointer
conv_get_item (GListModel *list, guint position)
{
  HeronConversationList *self = HERON_CONVERSATION_LIST (list);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
conv_list_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = conv_get_item_type;
  iface->get_n_items = conv_get_n_items;
  iface->get_item = conv_get_item;
}

static void
heron_conversation_list_finalize (GObject *object)
{
  HeronConversationList *self = HERON_CONVERSATION_LIST (object);

  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_object (&self->store);
  g_ptr_array_unref (self->items);
  G_OBJECT_CLASS (heron_conversation_list_parent_class)->finalize (object);
}

static void
heron_conversation_list_class_init (HeronConversationListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_conversation_list_finalize;
}

static void
heron_conversation_list_init (HeronConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

static void follow_reload_done (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_conversation_changed (HeronStore *store, gint64 id, gpointer user_data)
{
  HeronConversationList *self = user_data;

  if (self->reloading)
    {
      self->reload_again = TRUE;
      return;
    }
  self->reloading = TRUE;
  heron_conversation_list_reload_async (self, NULL, follow_reload_done, NULL);
}

static void
follow_reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HeronConversationList *self = HERON_CONVERSATION_LIST (source);

  heron_conversation_list_reload_finish (self, result, NULL);
  self->reloading = FALSE;
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      on_conversation_changed (self->store, 0, self);
    }
}

HeronConversationList *
heron_conversation_list_new (HeronStore *store)
{
  HeronConversationList *self;

  g_return_val_if_fail (HERON_IS_STORE (store), NULL);
  self = g_object_new (HERON_TYPE_CONVERSATION_LIST, NULL);
  self->store = g_object_ref (store);
  self->changed_id = g_signal_connect (store, "conversation-changed",
                                       G_CALLBACK (on_conversation_changed), self);
  return self;
}

/* Keep the objects of conversations already listed (rows bound to them update through
 * notify), and signal items-changed only when the order or the membership changed. */
static void
merge_items (HeronConversationList *self, GPtrArray *fresh)
{
  g_autoptr(GHashTable) known = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       NULL);
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean same = fresh->len == self->items->len;
  guint old_len = self->items->len;

  for (guint i = 0; i < self->items->len; i++)
    {
      gint64 id = heron_conversation_get_id (self->items->pdata[i]);
      g_hash_table_insert (known, g_memdup2 (&id, sizeof id), self->items->pdata[i]);
    }
  for (guint i = 0; i < fresh->len; i++)
    {
      HeronConversation *f = fresh->pdata[i];
      gint64 id = heron_conversation_get_id (f);
      HeronConversation *c = g_hash_table_lookup (known, &id);

      if (c)
        {
          heron_conversation_set_title (c, heron_conversation_get_title (f));
          heron_conversation_set_created_at (c, heron_conversation_get_created_at (f));
          heron_conversation_set_updated_at (c, heron_conversation_get_updated_at (f));
          heron_conversation_set_pinned (c, heron_conversation_get_pinned (f));
          heron_conversation_set_model (c, heron_conversation_get_model (f));
          heron_conversation_set_system_prompt (c, heron_conversation_get_system_prompt (f));
          heron_conversation_set_settings_json (c, heron_conversation_get_settings_json (f));
          heron_conversation_set_web_mode (c, heron_conversation_get_web_mode (f));
        }
      else
        c = f;
      g_ptr_array_add (items, g_object_ref (c));
      if (same && self->items->pdata[i] != (gpointer) c)
        same = FALSE;
    }
  g_ptr_array_unref (self->items);
  self->items = items;
  if (!same)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, items->len);
}

static void
reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronConversationList *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) list = heron_store_list_conversations_finish (HERON_STORE (source),
                                                                     result, &error);
  if (list == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  merge_items (self, list);
  g_task_return_boolean (task, TRUE);
}

void
heron_conversation_list_reload_async (HeronConversationList *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (HERON_IS_CONVERSATION_LIST (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_conversation_list_reload_async);
  heron_store_list_conversations_async (self->store, cancellable, reload_done, task);
}

gboolean
heron_conversation_list_reload_finish (HeronConversationList *self, GAsyncResult *result,
                                       GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

int
heron_conversation_list_find (HeronConversationList *self, gint64 id)
{
  g_return_val_if_fail (HERON_IS_CONVERSATION_LIST (self), -1);
  for (guint i = 0; i < self->items->len; i++)
    if (heron_conversation_get_id (self->items->pdata[i]) == id)
      return i;
  return -1;
}
