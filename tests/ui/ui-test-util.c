/* ui-test-util.c: main-loop, widget-tree and chat helpers shared by the UI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ui-test-util.h"

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
ui_test_wait_until (gboolean (*cond) (gpointer),
                    gpointer   data)
{
  gint64 end = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  guint wake = g_timeout_add (20, wake_cb, NULL);

  while (!cond (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
}

void
ui_test_settle (void)
{
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

GtkWidget *
ui_test_find (GtkWidget    *root,
              gboolean    (*match) (GtkWidget *, gconstpointer),
              gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = ui_test_find (c, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_type (GtkWidget *w, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (w, GPOINTER_TO_SIZE (type));
}

GtkWidget *
ui_test_find_type (GtkWidget *root,
                   GType      type)
{
  return ui_test_find (root, is_type, GSIZE_TO_POINTER (type));
}

static gboolean
chat_ready (gpointer chat)
{
  return heron_chat_get_store (chat) != NULL && heron_chat_get_messages (chat) != NULL;
}

void
ui_test_wait_chat_ready (HeronChat *chat)
{
  ui_test_wait_until (chat_ready, chat);
}

typedef struct
{
  HeronChat *chat;
  guint      n;
} IdleWait;

static gboolean
chat_idle_with_n (gpointer data)
{
  IdleWait *w = data;
  HeronConversationModel *m = heron_chat_get_messages (w->chat);

  return !heron_chat_get_running (w->chat) && m != NULL
         && g_list_model_get_n_items (G_LIST_MODEL (m)) == w->n;
}

void
ui_test_wait_chat_idle (HeronChat *chat,
                        guint      n)
{
  IdleWait w = { chat, n };

  ui_test_wait_until (chat_idle_with_n, &w);
}

HeronMessage *
ui_test_chat_message_at (HeronChat *chat,
                         guint      i)
{
  g_autoptr(HeronMessage) m = g_list_model_get_item (G_LIST_MODEL (heron_chat_get_messages (chat)),
                                                     i);
  return m;   /* the model keeps it */
}
