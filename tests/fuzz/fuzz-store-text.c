/* fuzz-store-text.c: the store's and the turn's handling of text typed by users or read
 * back from the database: search queries (run against a small database), snippets,
 * titles, settings and stats JSON. Input: the bytes up to the first NUL are the query/text, the rest the term/JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "heron-backend.h"
#include "heron-conversation.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-search.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static HeronStore *store;
static char *store_dir;

static void
cleanup (void)
{
  const char *names[] = { "heron.db", "heron.db-wal", "heron.db-shm" };

  g_clear_object (&store);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (store_dir, names[i], NULL);
      g_remove (path);
    }
  g_rmdir (store_dir);
  g_free (store_dir);
}

static void
ensure_store (void)
{
  const char *corpus[] = { "深度学习是机器学习的一个分支", "The grey heron hunts fish",
                           "天", "\"quotes\" AND OR NOT NEAR(a b) *" };
  g_autoptr(HeronConversation) conv = NULL;

  if (store)
    return;
  store_dir = g_dir_make_tmp ("heron-fuzz-XXXXXX", NULL);
  g_assert (store_dir);
  store = heron_store_open_sync (store_dir, NULL, NULL);
  g_assert (store);
  atexit (cleanup);
  conv = heron_store_create_conversation_sync (store, "fuzz", NULL, NULL, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    {
      g_autoptr(HeronMessage) m = heron_message_new (HERON_ROLE_USER, corpus[i]);
      heron_message_set_conversation_id (m, heron_conversation_get_id (conv));
      heron_store_add_message_sync (store, m, NULL, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *nul = memchr (data, '\0', size);
  size_t first_len = nul ? (size_t) (nul - (const char *) data) : size;
  g_autofree char *first = g_strndup ((const char *) data, first_len);
  g_autofree char *second = nul ? g_strndup (nul + 1, size - (nul + 1 - (const char *) data))
                                : g_strdup ("");
  g_autofree char *title = heron_conversation_make_title (first, 50);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronChatStats) stats = NULL;
  HeronSamplingParams params;

  g_assert (g_utf8_validate (title, -1, NULL));

  if (g_utf8_validate (first, -1, NULL) && g_utf8_validate (second, -1, NULL))
    {
      HeronSearchHit hit = { 0 };

      heron_search_make_snippet (first, second, 30, 90, &hit);
      g_assert (g_utf8_validate (hit.snippet, -1, NULL));
      g_assert (hit.match_start + hit.match_length <= strlen (hit.snippet));
      g_free (hit.snippet);
    }

  ensure_store ();
  hits = heron_store_search_sync (store, first, 10, NULL, &error);
  /* Any query is either answered or refused with an error; never a crash. */
  g_assert ((hits == NULL) == (error != NULL));
  for (guint i = 0; hits && i < hits->len; i++)
    {
      HeronSearchHit *h = hits->pdata[i];
      g_assert (h->match_start + h->match_length <= strlen (h->snippet));
    }

  heron_sampling_params_init (&params);
  heron_sampling_params_merge_json (&params, second);
  stats = heron_chat_stats_new_from_json (second);
  if (stats)
    {
      g_autofree char *line = heron_chat_stats_format (stats);
      g_autofree char *json = heron_chat_stats_to_json (stats);
      g_assert (line && json);
    }
  return 0;
}
