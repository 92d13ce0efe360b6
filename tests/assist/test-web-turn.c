/* test-web-turn.c: HeronWebTurn, the web step heron-cli and the app share, against a local
 * search engine and page server on 127.0.0.1: progress arrives on the caller's thread, the
 * fallback skips a blocked engine, a turn gets the context and its answer is checked and
 * stored with sources_json; offline answers from pages read earlier; a search that never
 * answers is stopped by the caller's cancellable; bad configuration is refused clearly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-scripted-backend.h"
#include "heron-web-turn.h"
#include "web-test-util.h"

static const char *page_bodies[] = {
  "<p>The Danube passes Vienna and Budapest; the Danube delta is a reserve of birds.</p>",
  "<p>A long barge carries coal from Basel to Rotterdam on the Rhine, every week.</p>",
  "<p>The Danube is about 2850 kilometres long, from the Black Forest to the Black Sea.</p>",
};

typedef struct
{
  SoupServer *server;
  char       *base;
  GHashTable *hits;
  gboolean    stall;
  GPtrArray  *paused;      /* SoupServerMessage held while stalling */
  char       *dir;
  HeronStore *store;
} Fixture;

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *f = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (f->hits, path));

  g_hash_table_insert (f->hits, g_strdup (path), GUINT_TO_POINTER (n + 1));
  if (g_str_has_prefix (path, "/bing/"))
    {
      /* A CAPTCHA wall (the shared fixture page), here with 429: the provider sees it is
       * blocked. */
      g_autoptr(GBytes) captcha = web_test_fixture ("bing-captcha.html");

      soup_server_message_set_status (msg, 429, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (captcha, NULL),
                                        g_bytes_get_size (captcha));
    }
  else if (g_str_has_prefix (path, "/searx/") && f->stall)
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (f->paused, g_object_ref (msg));
    }
  else if (!web_test_serve_search_pages (msg, path, f->base, page_bodies,
                                         G_N_ELEMENTS (page_bodies)))
    soup_server_message_set_status (msg, 404, NULL);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->paused = g_ptr_array_new_with_free_func (g_object_unref);
  f->server = web_test_server_new (handle, f, &f->base);
  f->dir = g_dir_make_tmp ("heron-web-turn-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = heron_store_open_sync (f->dir, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->paused->len; i++)
    soup_server_message_unpause (f->paused->pdata[i]);
  g_ptr_array_unref (f->paused);
  heron_store_close (f->store);
  g_clear_object (&f->store);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_hash_table_unref (f->hits);
  g_free (f->base);
  web_test_remove_store_dir (f->dir);
  g_free (f->dir);
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_for (GAsyncResult **result)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint id = g_timeout_add (50, tick, NULL);

  while (*result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (id);
}

typedef struct
{
  GPtrArray *lines;
  GThread   *thread;
} Progress;

static void
on_progress (HeronWebTurn *web, const char *message, gpointer user_data)
{
  Progress *p = user_data;

  /* Delivered on the thread that asked, not on the worker. */
  g_assert_true (g_thread_self () == p->thread);
  g_ptr_array_add (p->lines, g_strdup (message));
}

static HeronWebTurn *
make_web (Fixture *f, const char *providers)
{
  HeronWebTurn *web = heron_web_turn_new (f->store);
  g_auto(GStrv) ids = g_strsplit (providers, ",", -1);
  g_autofree char *bing = g_strdup_printf ("bing=%s/bing/", f->base);
  g_autofree char *searx = g_strdup_printf ("searxng=%s/searx/", f->base);
  const char *urls[] = { bing, searx, NULL };
  const char *one[] = { searx, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (heron_web_turn_set_providers (web, (const char * const *) ids, &error));
  g_assert_no_error (error);
  g_assert_true (heron_web_turn_set_base_urls (web, strstr (providers, "bing") ? urls : one,
                                               &error));
  g_assert_no_error (error);
  heron_web_turn_set_allow_private (web, TRUE);
  return web;
}

static HeronWebContextResult *
prepare (HeronWebTurn *web, const char *question, HeronWebMode mode, GCancellable *cancel,
         GError **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  heron_web_turn_prepare_async (web, question, mode, cancel, web_test_store_result, &res);
  wait_for (&res);
  return heron_web_turn_prepare_finish (web, res, error);
}

static void
test_always (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = make_web (f, "bing,searxng");
  g_autoptr(HeronWebContextResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Progress p = { lines, g_thread_self () };
  g_autofree char *described = NULL, *url = NULL;

  g_signal_connect (web, "progress", G_CALLBACK (on_progress), &p);
  r = prepare (web, "How long is the Danube?", HERON_WEB_MODE_ON, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_true (r->searched);
  g_assert_false (r->offline);
  g_assert_cmpstr (r->provider_id, ==, "searxng");
  g_assert_cmpuint (r->sources->len, ==, 3);
  url = g_strdup_printf ("%s/page/3", f->base);
  g_assert_cmpstr (((HeronWebSource *) r->sources->pdata[0])->url, ==, url);
  g_assert_nonnull (strstr (r->context, "about 2850 kilometres long"));
  /* A figure, not a check: question to ready context on the worker, local servers. */
  g_test_message ("context ready in %.1f ms (%u sources)", r->elapsed_us / 1000.0,
                  r->sources->len);

  /* Progress in order: the blocked engine first, then SearXNG, then the pages. */
  g_assert_cmpuint (lines->len, >=, 3);
  g_assert_cmpstr (lines->pdata[0], ==, "Searching Bing…");
  g_assert_cmpstr (lines->pdata[lines->len - 1], ==, "Reading 3 of 3 pages…");

  /* Why, who, and the fallback. */
  described = heron_web_turn_describe (r);
  g_assert_nonnull (strstr (described, "Searched because web search is always on"));
  g_assert_nonnull (strstr (described, "Answered by SearXNG"));
  g_assert_nonnull (strstr (described, "Bing skipped"));
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (f->hits, "/bing/search")), ==, 1);

  /* The next question of the same session does not ask the blocked engine again. */
  g_clear_pointer (&r, heron_web_context_result_free);
  r = prepare (web, "Which cities does the Danube pass?", HERON_WEB_MODE_ON, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (f->hits, "/bing/search")), ==, 1);
  g_assert_cmpstr (r->provider_id, ==, "searxng");
}

static void
test_turn (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = make_web (f, "searxng");
  g_autoptr(HeronWebContextResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronScriptedBackend) backend =
    heron_scripted_backend_new ("The Danube is about 2850 kilometres long [1]. It is made of "
                                "chocolate and penguins [2]. See [9].", 0, 16);
  g_autoptr(HeronTurn) turn = heron_turn_new (f->store, HERON_BACKEND (backend));
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GAsyncResult) fin = NULL;
  g_autoptr(HeronCitationCheck) check = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const HeronChatRequest *request;
  const char *asked;
  JsonObject *o;
  HeronMessage *answer;

  r = prepare (web, "How long is the Danube?", HERON_WEB_MODE_ON, NULL, &error);
  g_assert_no_error (error);
  heron_web_turn_apply (turn, r, HERON_WEB_MODE_ON);
  heron_turn_ask_async (turn, "How long is the Danube?", NULL, web_test_store_result, &res);
  wait_for (&res);
  g_assert_true (heron_turn_finish (turn, res, &error));
  g_assert_no_error (error);

  /* The request carried the sources before the question; the stored question did not. */
  request = heron_scripted_backend_get_last_request (backend);
  asked = g_array_index (request->messages, HeronChatMessage, request->messages->len - 1).content;
  g_assert_nonnull (strstr (asked, "about 2850 kilometres long"));
  g_assert_true (g_str_has_suffix (asked, "How long is the Danube?"));
  g_assert_cmpstr (heron_message_get_content (heron_turn_get_question (turn)), ==,
                   "How long is the Danube?");

  answer = heron_turn_get_answer (turn);
  heron_web_turn_finish_answer_async (f->store, answer, r, HERON_WEB_MODE_ON, NULL,
                                      web_test_store_result, &fin);
  wait_for (&fin);
  check = heron_web_turn_finish_answer_finish (fin, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (check->n_supported, ==, 1);
  g_assert_cmpuint (check->n_unverified, ==, 1);
  g_assert_cmpuint (check->n_removed, ==, 1);
  g_assert_null (strstr (heron_message_get_content (answer), "[9]"));

  /* Stored: the clean text and sources_json with the check (old readers' members kept). */
  stored = heron_store_get_messages_sync (f->store, heron_turn_get_conversation_id (turn), NULL,
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (heron_message_get_content (stored->pdata[1]), ==,
                   heron_message_get_content (answer));
  json_parser_load_from_data (parser, heron_message_get_sources_json (stored->pdata[1]), -1,
                              &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "provider"), ==, "searxng");
  g_assert_cmpstr (json_object_get_string_member (o, "mode"), ==, "on");
  g_assert_true (json_object_has_member (o, "reason"));
  g_assert_false (json_object_get_boolean_member (o, "offline"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "sources")), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "check"),
                                               "removed"), ==, 1);

  /* Regenerate: the sources go with the question that ends the history. */
  {
    g_autoptr(GAsyncResult) again = NULL;

    heron_web_turn_apply (turn, r, HERON_WEB_MODE_ON);
    heron_turn_regenerate_async (turn, heron_message_get_id (answer), NULL,
                                 web_test_store_result, &again);
    wait_for (&again);
    g_assert_true (heron_turn_finish (turn, again, &error));
    request = heron_scripted_backend_get_last_request (backend);
    asked = g_array_index (request->messages, HeronChatMessage,
                           request->messages->len - 1).content;
    g_assert_nonnull (strstr (asked, "</sources>"));
    g_assert_true (g_str_has_suffix (asked, "How long is the Danube?"));
    g_assert_cmpstr (heron_message_get_sources_json (heron_turn_get_answer (turn)), !=, NULL);
  }
}

static void
test_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = make_web (f, "searxng");
  g_autoptr(HeronWebContextResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *described = NULL;

  /* Read the pages once, then lose the network: no request, pages read earlier cited. */
  r = prepare (web, "How long is the Danube?", HERON_WEB_MODE_ON, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&r, heron_web_context_result_free);
  g_hash_table_remove_all (f->hits);
  heron_web_turn_set_offline (web, TRUE);
  r = prepare (web, "How long is the Danube river?", HERON_WEB_MODE_ON, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (r->offline);
  g_assert_cmpuint (g_hash_table_size (f->hits), ==, 0);
  g_assert_cmpuint (r->sources->len, >=, 1);
  g_assert_true (((HeronWebSource *) r->sources->pdata[0])->from_knowledge);
  described = heron_web_turn_describe (r);
  g_assert_nonnull (strstr (described, "Offline"));
}

/* Auto mode: a question about today searches and says why; a question the pages read
 * earlier answer is answered from them without a request. */
static void
test_auto (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = make_web (f, "searxng");
  g_autoptr(HeronWebContextResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *described = NULL;

  r = prepare (web, "What is the latest news about the Danube today?", HERON_WEB_MODE_AUTO,
               NULL, &error);
  g_assert_no_error (error);
  g_assert_true (r->searched);
  g_assert_nonnull (strstr (r->reason, "recent facts"));
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (f->hits, "/searx/search")), ==, 1);
  g_clear_pointer (&r, heron_web_context_result_free);

  r = prepare (web, "How long is the Danube, from the Black Forest to the Black Sea?",
               HERON_WEB_MODE_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (r->searched);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (f->hits, "/searx/search")), ==, 1);
  g_assert_cmpuint (r->sources->len, >=, 1);
  described = heron_web_turn_describe (r);
  g_assert_nonnull (strstr (described, "Answered from pages read earlier"));
  /* Off: nothing at all. */
  g_clear_pointer (&r, heron_web_context_result_free);
  r = prepare (web, "What is the latest news today?", HERON_WEB_MODE_OFF, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (r->searched);
  g_assert_null (heron_web_turn_describe (r));
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = make_web (f, "searxng");
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  HeronWebContextResult *r;

  f->stall = TRUE;
  heron_web_turn_prepare_async (web, "What is new today?", HERON_WEB_MODE_ON, cancel,
                                web_test_store_result, &res);
  while (g_hash_table_lookup (f->hits, "/searx/search") == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_idle_add (cancel_later, cancel);
  wait_for (&res);
  r = heron_web_turn_prepare_finish (web, res, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_config (Fixture *f, gconstpointer data)
{
  g_autoptr(HeronWebTurn) web = heron_web_turn_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "duckduckgo", "altavista", NULL };
  const char *ok[] = { " bing ", "searxng", NULL };
  const char *urls[] = { "baidu=http://127.0.0.1:1/", NULL };

  g_assert_false (heron_web_turn_set_providers (web, bad, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "altavista"));
  g_clear_error (&error);
  g_assert_true (heron_web_turn_set_providers (web, ok, &error));
  g_assert_false (heron_web_turn_set_base_urls (web, urls, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  /* Describing nothing, or garbage, gives nothing. */
  g_assert_null (heron_web_turn_describe_json (NULL));
  g_assert_null (heron_web_turn_describe_json ("[1, 2"));
  g_assert_null (heron_web_turn_describe_json ("[]"));
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/heron/assist/web-turn/always", Fixture, NULL, fixture_set_up, test_always,
              fixture_tear_down);
  g_test_add ("/heron/assist/web-turn/turn", Fixture, NULL, fixture_set_up, test_turn,
              fixture_tear_down);
  g_test_add ("/heron/assist/web-turn/auto", Fixture, NULL, fixture_set_up, test_auto,
              fixture_tear_down);
  g_test_add ("/heron/assist/web-turn/offline", Fixture, NULL, fixture_set_up, test_offline,
              fixture_tear_down);
  g_test_add ("/heron/assist/web-turn/cancel", Fixture, NULL, fixture_set_up, test_cancel,
              fixture_tear_down);
  g_test_add ("/heron/assist/web-turn/config", Fixture, NULL, fixture_set_up, test_config,
              fixture_tear_down);
  return g_test_run ();
}
