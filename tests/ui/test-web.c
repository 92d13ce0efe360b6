/* test-web.c: the app's web step end to end, under Xvfb, against a local search engine and
 * page server on 127.0.0.1 and the scripted backend: web mode Always from the composer's
 * selector, live progress on the pending answer, Bing's CAPTCHA skipped and SearXNG
 * answering (the fallback is reported), the prompt holding the passages, the answer stored
 * with sources_json (the expected URLs, the citation check, an unknown [n] removed); then
 * offline with the search server down: the answer comes at once from the pages read before,
 * cited, and says it is offline; then Stop during the web step gives the question back.
 * Edit and resend runs the web step too.
 * Screenshots go to <builddir>/tests/ui/screenshots/LANGUAGE-web-*.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "ui-test-util.h"
#include "heron-application.h"
#include "heron-build-tree.h"
#include "heron-chat.h"
#include "heron-composer.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-scripted-backend.h"
#include "heron-screenshot.h"
#include "heron-web-mode-button.h"
#include "heron-web-turn.h"
#include "heron-window.h"
#include "web-test-util.h"

static const char *page_bodies[] = {
  "<p>The Danube passes Vienna and Budapest; the Danube delta is a reserve of birds.</p>",
  "<p>A long barge carries coal from Basel to Rotterdam on the Rhine, every week.</p>",
  "<p>The Danube is about 2850 kilometres long, from the Black Forest to the Black Sea.</p>",
};

static HeronWindow *window;
static HeronChat *chat;

/* the chat's message I (the list keeps it) */
static HeronMessage *
message_at (guint i)
{
  return ui_test_chat_message_at (chat, i);
}

static SoupServer *server;
static char *base;
static GHashTable *hits;       /* path -> count */
static GPtrArray *statuses;    /* distinct live statuses seen, in order */
static guint stall_search;     /* > 0: the search engine never answers (Stop test) */
static HeronScriptedBackend *scripted;   /* the chat's backend */

static void
handle (SoupServer        *srv,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (hits, path));

  g_hash_table_insert (hits, g_strdup (path), GUINT_TO_POINTER (n + 1));
  if (g_str_has_prefix (path, "/bing/"))
    {
      g_autofree char *file = g_test_build_filename (G_TEST_DIST, "web", "fixtures",
                                                     "bing-captcha.html", NULL);
      g_autofree char *captcha = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (file, &captcha, &len, NULL));
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                        captcha, len);
    }
  else if (g_str_has_prefix (path, "/searx/") && stall_search > 0)
    {
      /* Never answered: the client gives up when it is cancelled. */
      soup_server_message_pause (msg);
    }
  else if (!web_test_serve_search_pages (msg, path, base, page_bodies,
                                         G_N_ELEMENTS (page_bodies)))
    soup_server_message_set_status (msg, 404, NULL);
}

static void
screenshot (const char *name)
{
  const char *lang = g_getenv ("LANGUAGE");
  g_autofree char *file = g_strdup_printf ("%s-web-%s.png", lang ? lang : "C", name);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (HERON_TEST_SCREENSHOT_DIR, 0755);
  path = g_build_filename (HERON_TEST_SCREENSHOT_DIR, file, NULL);
  ui_test_settle ();
  if (!heron_screenshot_save (GTK_WIDGET (window), path, &error))
    g_test_message ("screenshot %s: %s", path, error->message);
}

static gboolean
sources_stored (gpointer data)
{
  HeronMessage *answer = data;

  return heron_message_get_sources_json (answer) != NULL
         && strstr (heron_message_get_sources_json (answer), "\"check\"") != NULL;
}

static void
status_cb (HeronMessage *message)
{
  const char *status = heron_web_turn_get_message_status (message);

  if (status != NULL && (statuses->len == 0
                         || g_strcmp0 (g_ptr_array_index (statuses, statuses->len - 1),
                                       status) != 0))
    g_ptr_array_add (statuses, g_strdup (status));
}

/* Every answer that appears is watched for its live status. */
static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(HeronMessage) m = g_list_model_get_item (model, i);

      if (heron_message_get_role (m) == HERON_ROLE_ASSISTANT)
        g_signal_connect (m, "notify::sources-json", G_CALLBACK (status_cb), NULL);
    }
}

static void
send (const char *text)
{
  g_signal_connect (heron_chat_get_messages (chat), "items-changed",
                    G_CALLBACK (items_changed_cb), NULL);
  g_signal_emit_by_name (heron_window_get_chat_view (window), "send-requested", text);
}

static gboolean
seen_status (const char *text)
{
  for (guint i = 0; i < statuses->len; i++)
    if (strstr (statuses->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

static HeronWebModeButton *
mode_button (void)
{
  HeronComposer *composer = HERON_COMPOSER (heron_chat_view_get_composer (
    heron_window_get_chat_view (window)));

  return heron_composer_get_web_mode_button (composer);
}

static JsonObject *
parse_object (JsonParser *parser, const char *json)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (json);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static char *
source_url (JsonObject *o, guint i)
{
  JsonArray *sources = json_object_get_array_member (o, "sources");

  g_assert_cmpuint (json_array_get_length (sources), >, i);
  return g_strdup (json_object_get_string_member (json_array_get_object_element (sources, i),
                                                  "url"));
}

static void
test_always (void)
{
  HeronScriptedBackend *backend;
  const HeronChatRequest *request;
  const char *asked;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *expect = NULL, *url = NULL, *described = NULL;
  g_autofree char *searching = NULL, *answered = NULL, *reading = NULL;
  JsonObject *o, *check;
  HeronMessage *answer;
  GtkWidget *menu_button;

  ui_test_wait_chat_ready (chat);
  backend = heron_scripted_backend_new ("The Danube is about 2850 kilometres long [1]. "
                                        "See [9].", 5, 8);
  heron_chat_set_backend (chat, HERON_BACKEND (backend));
  scripted = backend;

  /* New conversations start from the default (off); the selector's action sets Always. */
  g_assert_cmpstr (heron_web_mode_button_get_mode (mode_button ()), ==, "off");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (mode_button ()), "web.mode", "s",
                                             "on"));
  g_assert_cmpstr (heron_web_mode_button_get_mode (mode_button ()), ==, "on");
  menu_button = _heron_web_mode_button_get_menu_button (mode_button ());
  g_assert_cmpstr (gtk_widget_get_tooltip_text (menu_button), ==, _("Web Search: Always"));

  send ("How long is the Danube?");
  ui_test_wait_chat_idle (chat, 2);
  answer = message_at (1);
  g_assert_cmpint (heron_message_get_state (answer), ==, HERON_MESSAGE_COMPLETE);
  ui_test_wait_until (sources_stored, answer);
  screenshot ("always");

  /* Live progress was shown on the pending answer, in order. */
  searching = g_strdup_printf (_("Searching %s…"), _("Bing"));
  g_assert_true (seen_status (searching));
  reading = g_strdup_printf (_("Reading %u of %u pages…"), 1, 3);
  g_assert_true (seen_status (reading));

  /* The model was given the passages, best first, fenced as data. */
  request = heron_scripted_backend_get_last_request (backend);
  g_assert_nonnull (request);
  asked = g_array_index (request->messages, HeronChatMessage, request->messages->len - 1).content;
  g_assert_nonnull (strstr (asked, "about 2850 kilometres long"));
  g_assert_nonnull (strstr (asked, "</sources>"));
  g_assert_true (strstr (asked, "about 2850 kilometres long") < strstr (asked, "passes Vienna"));

  /* The stored answer: sources with the pages' URLs, SearXNG answered, Bing was skipped,
   * the check found one supported citation and removed [9]. */
  o = parse_object (parser, heron_message_get_sources_json (answer));
  g_assert_cmpstr (json_object_get_string_member (o, "provider"), ==, "searxng");
  g_assert_false (json_object_get_boolean_member (o, "offline"));
  url = source_url (o, 0);
  expect = g_strdup_printf ("%s/page/3", base);
  g_assert_cmpstr (url, ==, expect);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "notes")), >=, 1);
  g_assert_nonnull (strstr (json_array_get_string_element (
    json_object_get_array_member (o, "notes"), 0), _("Bing")));
  check = json_object_get_object_member (o, "check");
  g_assert_cmpint (json_object_get_int_member (check, "supported"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (check, "removed"), ==, 1);
  g_assert_null (strstr (heron_message_get_content (answer), "[9]"));
  g_assert_nonnull (strstr (heron_message_get_content (answer), "[1]"));

  /* What the row says: why it searched and who answered. */
  described = heron_web_turn_describe_json (heron_message_get_sources_json (answer));
  answered = g_strdup_printf (_("Answered by %s"), "SearXNG");
  g_assert_nonnull (strstr (described, _("Searched because web search is always on")));
  g_assert_nonnull (strstr (described, answered));

  /* In the database too, and the conversation keeps its web mode. */
  stored = heron_store_get_messages_sync (heron_chat_get_store (chat),
                                          heron_message_get_conversation_id (answer), NULL,
                                          NULL);
  g_assert_nonnull (stored);
  g_assert_cmpuint (stored->len, ==, 2);
  g_assert_cmpstr (heron_message_get_sources_json (stored->pdata[1]), ==,
                   heron_message_get_sources_json (answer));
  g_assert_null (strstr (heron_message_get_content (stored->pdata[1]), "[9]"));
  {
    g_autoptr(HeronConversation) c = heron_store_get_conversation_sync (
      heron_chat_get_store (chat), heron_message_get_conversation_id (answer), NULL, NULL);

    g_assert_cmpstr (heron_conversation_get_web_mode (c), ==, "on");
  }
  /* Nothing but our server: Bing once, SearXNG once, each page once. */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/bing/search")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/searx/search")), ==, 1);
  g_object_unref (backend);
}

/* Edit and resend with web search on: the placeholders replace the edited turn, and the new
 * answer gets its own sources. */
static void
test_edit (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gint64 user_id = heron_message_get_id (message_at (0));
  HeronMessage *answer;
  JsonObject *o;

  g_assert_cmpstr (heron_web_mode_button_get_mode (mode_button ()), ==, "on");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "chat.edit-message", "x",
                                             user_id));
  send ("Which cities does the Danube pass?");
  ui_test_wait_chat_idle (chat, 2);
  answer = message_at (1);
  ui_test_wait_until (sources_stored, answer);
  g_assert_cmpstr (heron_message_get_content (message_at (0)), ==,
                   "Which cities does the Danube pass?");
  g_assert_cmpint (heron_message_get_id (message_at (0)), !=, user_id);
  o = parse_object (parser, heron_message_get_sources_json (answer));
  g_assert_cmpstr (json_object_get_string_member (o, "provider"), ==, "searxng");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "sources")), >=, 1);
  /* Bing was blocked once: not asked again in this session. */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/bing/search")), ==, 1);

  /* Regenerate searches again for the same question; the new answer has its sources. */
  {
    gint64 old_id = heron_message_get_id (answer);
    guint searches = GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/searx/search"));

    g_ptr_array_set_size (statuses, 0);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "chat.regenerate", "x",
                                               old_id));
    g_signal_connect (heron_chat_get_messages (chat), "items-changed",
                      G_CALLBACK (items_changed_cb), NULL);
    ui_test_wait_chat_idle (chat, 2);
    answer = message_at (1);
    g_assert_cmpint (heron_message_get_id (answer), !=, old_id);
    ui_test_wait_until (sources_stored, answer);
    g_assert_true (statuses->len > 0);
    /* The same query: the search came from the cache (1 hour), the pages were read again
     * or from the page cache; either way the answer cites them. */
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/searx/search")), <=,
                      searches + 1);
    g_clear_object (&parser);
    parser = json_parser_new ();
    o = parse_object (parser, heron_message_get_sources_json (answer));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "sources")),
                      >=, 1);
    /* The model got the sources with the question it answered again. */
    {
      const HeronChatRequest *request = heron_scripted_backend_get_last_request (scripted);
      const char *asked = g_array_index (request->messages, HeronChatMessage,
                                         request->messages->len - 1).content;

      g_assert_nonnull (strstr (asked, "</sources>"));
      g_assert_true (g_str_has_suffix (asked, "Which cities does the Danube pass?"));
    }
  }
}

static void
test_offline (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url = NULL, *expect = NULL, *described = NULL;
  JsonObject *o;
  HeronMessage *answer;

  heron_chat_new_conversation (chat);
  ui_test_wait_chat_idle (chat, 0);
  /* A new conversation starts from the default again. */
  g_assert_cmpstr (heron_web_mode_button_get_mode (mode_button ()), ==, "off");
  heron_web_mode_button_set_mode (mode_button (), "on");
  g_hash_table_remove_all (hits);
  g_ptr_array_set_size (statuses, 0);
  soup_server_disconnect (server);
  g_setenv ("HERON_TEST_WEB_OFFLINE", "1", TRUE);

  send ("How long is the Danube river?");
  ui_test_wait_chat_idle (chat, 2);
  answer = message_at (1);
  ui_test_wait_until (sources_stored, answer);
  screenshot ("offline");

  o = parse_object (parser, heron_message_get_sources_json (answer));
  g_assert_true (json_object_get_boolean_member (o, "offline"));
  /* The page read in the first conversation is still cited. */
  url = source_url (o, 0);
  expect = g_strdup_printf ("%s/page/3", base);
  g_assert_cmpstr (url, ==, expect);
  g_assert_true (json_object_get_boolean_member (
    json_array_get_object_element (json_object_get_array_member (o, "sources"), 0),
    "from_knowledge"));
  described = heron_web_turn_describe_json (heron_message_get_sources_json (answer));
  g_assert_nonnull (strstr (described, _("Offline: answering from pages read earlier")));
  g_assert_cmpuint (g_hash_table_size (hits), ==, 0);
  g_unsetenv ("HERON_TEST_WEB_OFFLINE");
}

static gboolean
searching_stalled (gpointer data)
{
  HeronConversationModel *m = heron_chat_get_messages (chat);

  return m != NULL && g_list_model_get_n_items (G_LIST_MODEL (m)) == 2
         && GPOINTER_TO_UINT (g_hash_table_lookup (hits, "/searx/search")) >= 1;
}

static void
test_stop (void)
{
  GError *error = NULL;
  HeronComposer *composer = HERON_COMPOSER (heron_chat_view_get_composer (
    heron_window_get_chat_view (window)));
  g_autofree char *text = NULL;

  /* A server that takes the search and never answers; Stop must end the web step. */
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  {
    GSList *uris = soup_server_get_uris (server);
    g_autofree char *new_base = g_uri_to_string (uris->data);
    g_auto(GStrv) urls = NULL;
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_autofree char *searx = NULL;

    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    if (g_str_has_suffix (new_base, "/"))
      new_base[strlen (new_base) - 1] = '\0';
    searx = g_strdup_printf ("searxng=%s/searx/", new_base);
    g_settings_set_strv (settings, "search-providers", (const char *[]) { "searxng", NULL });
    g_settings_set_strv (settings, "search-base-urls", (const char *[]) { searx, NULL });
  }
  stall_search = 1;
  heron_chat_new_conversation (chat);
  ui_test_wait_chat_idle (chat, 0);
  heron_web_mode_button_set_mode (mode_button (), "on");
  g_ptr_array_set_size (statuses, 0);
  send ("What is new about herons today?");
  /* The question and the pending answer show while the search hangs; Stop ends it. */
  ui_test_wait_until (searching_stalled, NULL);
  g_assert_true (heron_chat_get_running (chat));
  screenshot ("searching");
  g_test_message ("stopping the web step");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "chat.stop", NULL));
  g_test_message ("stop activated, running %d", heron_chat_get_running (chat));
  ui_test_wait_chat_idle (chat, 0);
  text = heron_composer_get_text (composer);
  g_assert_cmpstr (text, ==, "What is new about herons today?");
  /* Nothing was stored for the stopped question. */
  {
    g_autoptr(GPtrArray) list = heron_store_list_conversations_sync (heron_chat_get_store (chat),
                                                                     NULL, NULL);

    g_assert_nonnull (list);
    g_assert_cmpuint (list->len, ==, 2);
  }
}

int
main (int argc, char *argv[])
{
  g_autoptr(HeronApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("heron-test-web-XXXXXX", NULL);
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *bing = NULL, *searx = NULL;
  GSList *uris;
  int ret;

  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("XDG_DATA_HOME", tmp, TRUE);
  g_setenv ("HOME", tmp, TRUE);
  g_setenv ("HERON_TEST_WEB_ALLOW_PRIVATE", "1", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("HERON_TEST_WEB_OFFLINE");
  if (g_getenv ("LANGUAGE") == NULL)
    g_setenv ("LANGUAGE", "C", TRUE);

  gtk_test_init (&argc, &argv, NULL);
  heron_build_tree_setup_locale (NULL);
  hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  statuses = g_ptr_array_new_with_free_func (g_free);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';

  settings = g_settings_new (APP_ID);
  bing = g_strdup_printf ("bing=%s/bing/", base);
  searx = g_strdup_printf ("searxng=%s/searx/", base);
  g_settings_set_strv (settings, "search-providers",
                       (const char *[]) { "bing", "searxng", NULL });
  g_settings_set_strv (settings, "search-base-urls", (const char *[]) { bing, searx, NULL });
  /* The last request the backend sees must be the answer's, not a title's. */
  g_settings_set_boolean (settings, "model-titles", FALSE);

  app = heron_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = heron_window_new (app);
  chat = heron_window_get_chat (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/heron/ui/web/always", test_always);
  g_test_add_func ("/heron/ui/web/edit", test_edit);
  g_test_add_func ("/heron/ui/web/offline", test_offline);
  g_test_add_func ("/heron/ui/web/stop", test_stop);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));
  g_clear_object (&server);
  g_hash_table_unref (hits);
  g_ptr_array_unref (statuses);
  g_free (base);
  return ret;
}
