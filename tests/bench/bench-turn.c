/* bench-turn.c: the main loop while a turn streams at 50 tokens/s into a 2,000-message
 * conversation (scripted backend, HeronConversationModel loaded, writes to the store every
 * 250 ms): a 4 ms ticker on the main loop measures the longest stall and the 99th
 * percentile interval. The UI adds its own rendering on top of this. Prints figures.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "heron-turn.h"
#include "heron-scripted-backend.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "../store/store-test-util.h"

#define N_MESSAGES 2000

static GArray *intervals;
static gint64 last_tick;

static gboolean
tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  double ms = (now - last_tick) / 1000.0;

  g_array_append_val (intervals, ms);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (heron_turn_finish (HERON_TURN (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (heron_conversation_model_load_finish (HERON_CONVERSATION_MODEL (source),
                                                       result, NULL));
  *(gboolean *) user_data = TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  g_autoptr(HeronConversation) conv = NULL;
  g_autoptr(HeronConversationModel) model = NULL;
  g_autoptr(HeronScriptedBackend) backend = NULL;
  g_autoptr(HeronTurn) turn = NULL;
  g_autoptr(GString) answer = g_string_new ("");
  gint64 parent = 0, t0;
  gboolean done = FALSE, loaded = FALSE;
  guint ticker;
  double load_ms, max, p99;

  g_assert_no_error (error);
  conv = heron_store_create_conversation_sync (store, "Bench", NULL, NULL, NULL, &error);
  for (int i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr(HeronMessage) m = heron_message_new (i % 2 ? HERON_ROLE_ASSISTANT
                                                           : HERON_ROLE_USER,
                                                     "Some earlier text of the conversation, "
                                                     "苍鹭 and herons, repeated for length.");
      heron_message_set_conversation_id (m, heron_conversation_get_id (conv));
      heron_message_set_parent_id (m, parent);
      parent = heron_store_add_message_sync (store, m, NULL, &error);
    }
  /* 300 tokens of ~4 characters at 50 tokens/s: 6 s. */
  for (int i = 0; i < 300; i++)
    g_string_append (answer, i % 7 ? "tok " : "鹭鸟 ");
  backend = heron_scripted_backend_new (answer->str, 20, 4);

  intervals = g_array_new (FALSE, FALSE, sizeof (double));
  model = heron_conversation_model_new (store, heron_conversation_get_id (conv));
  t0 = g_get_monotonic_time ();
  last_tick = t0;
  ticker = g_timeout_add (4, tick, NULL);
  heron_conversation_model_load_async (model, NULL, loaded_cb, &loaded);
  while (!loaded)
    g_main_context_iteration (NULL, TRUE);
  load_ms = (g_get_monotonic_time () - t0) / 1000.0;

  turn = heron_turn_new (store, HERON_BACKEND (backend));
  heron_turn_set_conversation_id (turn, heron_conversation_get_id (conv));
  heron_turn_set_model (turn, model);
  g_array_set_size (intervals, 0);
  last_tick = g_get_monotonic_time ();
  heron_turn_ask_async (turn, "Go on", NULL, done_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (ticker);

  g_array_sort (intervals, cmp_double);
  max = g_array_index (intervals, double, intervals->len - 1);
  p99 = g_array_index (intervals, double, (guint) (intervals->len * 0.99));
  printf ("load %d messages into the model (async): %.1f ms\n", N_MESSAGES + 0, load_ms);
  printf ("streaming 300 tokens at 50 tokens/s with store writes every 250 ms: "
          "%u ticks of 4 ms, p99 interval %.2f ms, longest %.2f ms, %u store writes\n",
          intervals->len, p99, max, heron_turn_get_n_writes (turn));
  g_array_unref (intervals);
  g_clear_object (&turn);
  heron_store_close (store);
  test_rm_rf (dir);
  return 0;
}
