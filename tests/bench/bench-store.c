/* bench-store.c: store throughput: inserting a 2,000-message conversation, opening the
 * database and the conversation, streaming writes, and search times (FTS trigram and the
 * short-query scan). Prints figures; asserts nothing about speed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "heron-store.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-search.h"
#include "../store/store-test-util.h"

#define N_MESSAGES 2000

static double
ms_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1000.0;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
time_search (HeronStore *store, const char *query)
{
  double t[21];
  guint hits = 0;

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GPtrArray) r = heron_store_search_sync (store, query, 50, NULL, &error);

      g_assert_no_error (error);
      t[i] = ms_since (t0);
      hits = r->len;
    }
  qsort (t, G_N_ELEMENTS (t), sizeof (double), cmp_double);
  printf ("search %-14s %3u hits (limit 50)  median %7.2f ms  max %7.2f ms\n", query, hits,
          t[G_N_ELEMENTS (t) / 2], t[G_N_ELEMENTS (t) - 1]);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(HeronConversation) conv = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  g_autoptr(GString) text = g_string_new ("");
  g_autoptr(HeronMessage) stream = NULL;
  gint64 parent = 0, t0;
  double ms;

  store = heron_store_open_sync (dir, NULL, &error);
  g_assert_no_error (error);
  conv = heron_store_create_conversation_sync (store, "Bench", NULL, NULL, NULL, &error);

  t0 = g_get_monotonic_time ();
  for (int i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr(HeronMessage) m = NULL;

      g_string_printf (text, "Message %d about herons and egrets. ", i);
      for (int k = 0; k < (i % 2 ? 12 : 2); k++)
        g_string_append (text, "深度学习是机器学习的一个分支，苍鹭生活在水边。 The grey heron "
                               "hunts fish in shallow water; word");
      g_string_append_printf (text, "%d", i);
      m = heron_message_new (i % 2 ? HERON_ROLE_ASSISTANT : HERON_ROLE_USER, text->str);
      heron_message_set_conversation_id (m, heron_conversation_get_id (conv));
      heron_message_set_parent_id (m, parent);
      parent = heron_store_add_message_sync (store, m, NULL, &error);
      g_assert_no_error (error);
    }
  ms = ms_since (t0);
  printf ("insert %d messages (one transaction each): %.0f ms, %.0f messages/s\n",
          N_MESSAGES, ms, N_MESSAGES * 1000.0 / ms);

  heron_store_close (store);
  g_clear_object (&store);
  t0 = g_get_monotonic_time ();
  store = heron_store_open_sync (dir, NULL, &error);
  g_assert_no_error (error);
  printf ("open heron.db (%d messages): %.2f ms\n", N_MESSAGES, ms_since (t0));

  t0 = g_get_monotonic_time ();
  msgs = heron_store_get_messages_sync (store, heron_conversation_get_id (conv), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, N_MESSAGES);
  printf ("load the conversation's active path (%u messages): %.2f ms\n", msgs->len,
          ms_since (t0));

  /* A streaming answer written every interval as it grows to ~8 KB. */
  stream = heron_message_new (HERON_ROLE_ASSISTANT, "");
  heron_message_set_conversation_id (stream, heron_conversation_get_id (conv));
  heron_message_set_parent_id (stream, parent);
  heron_message_set_state (stream, HERON_MESSAGE_STREAMING);
  heron_store_add_message_sync (store, stream, NULL, &error);
  g_string_truncate (text, 0);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < 200; i++)
    {
      g_string_append (text, "streamed words 流式 ");
      heron_store_update_message_sync (store, heron_message_get_id (stream), text->str, NULL,
                                       NULL, &error);
    }
  printf ("streaming write of a growing answer: %.3f ms per write\n", ms_since (t0) / 200);
  t0 = g_get_monotonic_time ();
  heron_store_finish_message_sync (store, heron_message_get_id (stream), text->str, NULL,
                                   HERON_MESSAGE_COMPLETE, NULL, "{}", NULL, &error);
  printf ("final write (indexes the answer): %.3f ms\n", ms_since (t0));

  time_search (store, "egrets");
  time_search (store, "word1999");
  time_search (store, "苍鹭生活");
  time_search (store, "深度");
  time_search (store, "鹭");
  time_search (store, "heron 水");
  time_search (store, "nothere");

  heron_store_close (store);
  test_rm_rf (dir);
  return 0;
}
