/* test-openai.c: HeronOpenaiBackend against a mock OpenAI-compatible server on 127.0.0.1.
 *
 * The mock is a raw threaded socket service (not SoupServer) so it can split the stream at
 * any byte, stall, and drop the connection mid-body. The client's model name picks what it
 * does. Keys go through libsecret's file backend (no D-Bus).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "heron-openai-backend.h"
#include "heron-web-secrets.h"

/* ---- mock server ------------------------------------------------------------------------ */

static GMutex       mock_lock;
static GHashTable  *mock_counts;      /* model -> requests seen */
static char        *mock_last_auth;
static char        *mock_last_body;

static const char stream_answer[] =
  ": keep-alive\n\n"
  "data: {\"id\":\"c1\",\"model\":\"mock-model\",\"choices\":[{\"index\":0,\"delta\":"
  "{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Let me \"}}]}\n\n"
  "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think.\"}}]}\n\n"
  "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello, \"}}]}\n\n"
  "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"wörld 🌍\"},"
  "\"finish_reason\":\"stop\"}]}\n\n"
  "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4,"
  "\"prompt_tokens_details\":{\"cached_tokens\":8}}}\n\n"
  "data: [DONE]\n\n";

static const char first_delta[] =
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial \"}}]}\n\n"
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}\n\n";

static void
put (GOutputStream *out, const char *s, gssize len)
{
  g_output_stream_write_all (out, s, len < 0 ? strlen (s) : (gsize) len, NULL, NULL, NULL);
}

static void
put_status (GOutputStream *out, int status, const char *extra, const char *body)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                                           status, strlen (body), extra ? extra : "");
  put (out, head, -1);
  put (out, body, -1);
}

static void
put_sse_head (GOutputStream *out)
{
  put (out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
       -1);
}

/* Block until the client goes away (a stalled server). */
static void
wait_for_close (GInputStream *in)
{
  char buf[256];

  while (g_input_stream_read (in, buf, sizeof buf, NULL, NULL) > 0)
    ;
}

static gboolean
on_run (GThreadedSocketService *service, GSocketConnection *conn, GObject *source,
        gpointer user_data)
{
  GInputStream *raw_in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (raw_in);
  g_autofree char *request_line = NULL, *auth = NULL, *body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *model = "";
  gsize content_length = 0;
  guint n;

  (void) service; (void) source; (void) user_data;
  g_socket_set_option (g_socket_connection_get_socket (conn), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  request_line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (request_line == NULL)
    return TRUE;
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      if (line == NULL || *line == '\0')
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        content_length = g_ascii_strtoull (line + 15, NULL, 10);
      else if (g_ascii_strncasecmp (line, "Authorization:", 14) == 0)
        auth = g_strstrip (g_strdup (line + 14));
    }
  body = g_malloc0 (content_length + 1);
  g_input_stream_read_all (G_INPUT_STREAM (in), body, content_length, NULL, NULL, NULL);

  if (g_str_has_prefix (request_line, "GET /v1/models"))
    {
      put_status (out, 200, NULL, "{\"object\":\"list\",\"data\":[{\"id\":\"zeta\"},"
                                  "{\"id\":\"alpha\",\"object\":\"model\"},{\"nope\":1}]}");
      return TRUE;
    }
  if (json_parser_load_from_data (parser, body, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    model = json_object_get_string_member_with_default (
      json_node_get_object (json_parser_get_root (parser)), "model", "");

  g_mutex_lock (&mock_lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (mock_counts, model)) + 1;
  g_hash_table_insert (mock_counts, g_strdup (model), GUINT_TO_POINTER (n));
  g_free (mock_last_auth);
  mock_last_auth = g_strdup (auth);
  g_free (mock_last_body);
  mock_last_body = g_strdup (body);
  g_mutex_unlock (&mock_lock);

  if (strcmp (model, "ok") == 0)
    {
      put_sse_head (out);
      put (out, stream_answer, -1);
    }
  else if (strcmp (model, "bytewise") == 0)
    {
      put_sse_head (out);
      for (const char *p = stream_answer; *p; p++)
        {
          put (out, p, 1);
          g_usleep (50);
        }
    }
  else if (strcmp (model, "noisy") == 0)
    {
      put_sse_head (out);
      put (out, ": ping\r\n\r\n\r\n\r\ndata: {not json\r\n\r\n", -1);
      put (out, "data: {\"choices\":[{\"delta\":{\"content\":\"A\"}}]}\r\n\r\n:\r\n\r\n", -1);
      put (out, "data: [1,2]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"B\"},"
                "\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n", -1);
    }
  else if (strcmp (model, "stall") == 0)
    {
      put_sse_head (out);
      put (out, first_delta, -1);
      wait_for_close (G_INPUT_STREAM (in));
    }
  else if (strcmp (model, "reset") == 0)
    {
      put (out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Content-Length: 100000\r\n\r\n", -1);
      put (out, first_delta, -1);
      g_usleep (20000);
    }
  else if (strcmp (model, "nodone") == 0)
    {
      put_sse_head (out);
      put (out, first_delta, -1);
    }
  else if (strcmp (model, "errevent") == 0)
    {
      put_sse_head (out);
      put (out, first_delta, -1);
      put (out, "data: {\"error\":{\"message\":\"the server is overloaded\"}}\n\n", -1);
    }
  else if (strcmp (model, "e401") == 0)
    put_status (out, 401, NULL, "{\"error\":{\"message\":\"Authentication Fails\"}}");
  else if (strcmp (model, "e404") == 0)
    put_status (out, 404, NULL, "{\"error\":{\"message\":\"no such model\"}}");
  else if (strcmp (model, "e429") == 0 && n == 1)
    put_status (out, 429, "Retry-After: 1\r\n", "{\"error\":\"slow down\"}");
  else if (strcmp (model, "e429") == 0)
    {
      put_sse_head (out);
      put (out, stream_answer, -1);
    }
  else if (strcmp (model, "e429x") == 0)
    put_status (out, 429, "Retry-After: 0\r\n", "{\"error\":\"slow down\"}");
  else if (strcmp (model, "e500") == 0)
    put_status (out, 500, NULL, "internal trouble\nsecond line");
  else if (strcmp (model, "flaky") == 0 && n <= 2)
    put_status (out, 503, NULL, "{}");
  else if (strcmp (model, "flaky") == 0)
    {
      put_sse_head (out);
      put (out, stream_answer, -1);
    }
  else if (strcmp (model, "slowstart") == 0 && n == 1)
    wait_for_close (G_INPUT_STREAM (in));
  else if (strcmp (model, "slowstart") == 0)
    {
      put_sse_head (out);
      put (out, stream_answer, -1);
    }
  else
    put_status (out, 400, NULL, "{\"error\":{\"message\":\"unknown mock\"}}");
  g_output_stream_flush (out, NULL, NULL);
  return TRUE;
}

static char *
start_mock (GSocketService **service_out)
{
  GSocketService *service = g_threaded_socket_service_new (16);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), addr, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (on_run), NULL);
  g_socket_service_start (service);
  *service_out = service;
  return g_strdup_printf ("http://127.0.0.1:%u/v1/",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static guint
mock_count (const char *model)
{
  guint n;

  g_mutex_lock (&mock_lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (mock_counts, model));
  g_mutex_unlock (&mock_lock);
  return n;
}

/* ---- client helpers --------------------------------------------------------------------- */

typedef struct
{
  GString        *content;
  GString        *reasoning;
  HeronChatStats *stats;
  GError         *error;
  gboolean        done;
  guint           deltas_after_done;
} Chat;

static char *base_url;

static void
on_delta (const char *content, const char *reasoning, gpointer data)
{
  Chat *c = data;

  if (c->done)
    c->deltas_after_done++;
  if (content)
    g_string_append (c->content, content);
  if (reasoning)
    g_string_append (c->reasoning, reasoning);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Chat *c = data;

  c->stats = heron_backend_chat_finish (HERON_BACKEND (source), result, &c->error);
  c->done = TRUE;
}

static void
chat_clear (Chat *c)
{
  g_string_free (c->content, TRUE);
  g_string_free (c->reasoning, TRUE);
  heron_chat_stats_free (c->stats);
  g_clear_error (&c->error);
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static HeronOpenaiBackend *
backend_for (const char *model, const char *endpoint)
{
  HeronOpenaiBackend *b = heron_openai_backend_new (endpoint, base_url, model);

  /* Short waits so the suite stays fast; correctness never depends on them. */
  heron_openai_backend_set_timeouts (b, 300, 2, 10, 5000);
  return b;
}

static void
run_chat (HeronOpenaiBackend *b, Chat *c, GCancellable *cancel)
{
  g_autoptr(HeronChatRequest) req = heron_chat_request_new ();

  c->content = g_string_new (NULL);
  c->reasoning = g_string_new (NULL);
  heron_chat_request_add_message (req, HERON_ROLE_SYSTEM, "Be brief.");
  heron_chat_request_add_message (req, HERON_ROLE_USER, "Hi \"there\"");
  req->params.max_tokens = 64;
  heron_backend_chat_async (HERON_BACKEND (b), req, on_delta, c, cancel, on_done, c);
  while (!c->done)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void
check_full_answer (Chat *c)
{
  g_assert_no_error (c->error);
  g_assert_nonnull (c->stats);
  g_assert_cmpstr (c->content->str, ==, "Hello, wörld 🌍");
  g_assert_cmpstr (c->reasoning->str, ==, "Let me think.");
  g_assert_cmpint (c->stats->stop, ==, HERON_STOP_END);
  g_assert_cmpint (c->stats->prompt_tokens, ==, 12);
  g_assert_cmpint (c->stats->completion_tokens, ==, 4);
  g_assert_cmpint (c->stats->cached_tokens, ==, 8);
  g_assert_cmpstr (c->stats->model, ==, "mock-model");
  g_assert_cmpuint (c->deltas_after_done, ==, 0);
}

static void
test_stream (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("ok", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body;
  JsonArray *msgs;
  Chat c = { 0 };

  run_chat (b, &c, NULL);
  check_full_answer (&c);
  g_assert_cmpstr (heron_backend_get_name (HERON_BACKEND (b)), ==, "ok");

  g_mutex_lock (&mock_lock);
  g_assert_null (mock_last_auth);
  g_assert_true (json_parser_load_from_data (parser, mock_last_body, -1, NULL));
  g_mutex_unlock (&mock_lock);
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  g_assert_true (json_object_get_boolean_member (
    json_object_get_object_member (body, "stream_options"), "include_usage"));
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, 64);
  msgs = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (msgs), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (msgs, 0),
                                                  "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (msgs, 1),
                                                  "content"), ==, "Hi \"there\"");
  chat_clear (&c);
}

static void
test_bytewise (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("bytewise", NULL);
  Chat c = { 0 };

  run_chat (b, &c, NULL);
  check_full_answer (&c);
  chat_clear (&c);
}

static void
test_noisy (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("noisy", NULL);
  Chat c = { 0 };

  run_chat (b, &c, NULL);
  g_assert_no_error (c.error);
  g_assert_cmpstr (c.content->str, ==, "AB");
  g_assert_cmpint (c.stats->stop, ==, HERON_STOP_LENGTH);
  /* "{not json" and "[1,2]" (JSON, but not an object) were skipped. */
  g_assert_cmpuint (heron_openai_backend_get_n_skipped (b), ==, 2);
  g_assert_cmpstr (c.stats->model, ==, "noisy");
  chat_clear (&c);
}

static void
check_partial (const char *model, const char *words)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for (model, NULL);
  Chat c = { 0 };

  run_chat (b, &c, NULL);
  g_assert_error (c.error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION);
  g_assert_nonnull (strstr (c.error->message, words));
  g_assert_cmpstr (c.content->str, ==, "Partial answer");
  /* Nothing is retried once answer bytes arrived. */
  g_assert_cmpuint (heron_openai_backend_get_n_requests (b), ==, 1);
  chat_clear (&c);
}

static void
test_stall (void)
{
  check_partial ("stall", "stopped sending");
}

static void
test_reset (void)
{
  check_partial ("reset", "broke");
}

static void
test_no_done (void)
{
  check_partial ("nodone", "ended the answer early");
}

static void
test_error_event (void)
{
  check_partial ("errevent", "the server is overloaded");
}

static void
check_error (const char *model, int code, const char *w1, const char *w2, guint n_requests)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for (model, NULL);
  Chat c = { 0 };

  run_chat (b, &c, NULL);
  g_assert_error (c.error, HERON_ASSIST_ERROR, code);
  g_test_message ("%s: %s", model, c.error->message);
  g_assert_nonnull (strstr (c.error->message, w1));
  if (w2)
    g_assert_nonnull (strstr (c.error->message, w2));
  g_assert_cmpstr (c.content->str, ==, "");
  g_assert_cmpuint (heron_openai_backend_get_n_requests (b), ==, n_requests);
  chat_clear (&c);
}

static void
test_http_errors (void)
{
  check_error ("e401", HERON_ASSIST_ERROR_FAILED, "Check the key", "Authentication Fails", 1);
  check_error ("e404", HERON_ASSIST_ERROR_NO_MODEL, "“e404”", "not found", 1);
  /* Retry-After: 0 -> one retry, then a visible give-up. */
  check_error ("e429x", HERON_ASSIST_ERROR_FAILED, "429", "slow down", 2);
  /* 5xx: first try + 2 retries, then the status and the first line of the body. */
  check_error ("e500", HERON_ASSIST_ERROR_FAILED, "HTTP 500", "internal trouble", 3);
}

static void
test_retries (void)
{
  const char *models[] = { "flaky", "slowstart", "e429" };
  const guint expect[] = { 3, 2, 2 };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr(HeronOpenaiBackend) b = backend_for (models[i], NULL);
      Chat c = { 0 };

      run_chat (b, &c, NULL);
      check_full_answer (&c);
      g_assert_cmpuint (heron_openai_backend_get_n_requests (b), ==, expect[i]);
      g_assert_cmpuint (mock_count (models[i]), ==, expect[i]);
      chat_clear (&c);
    }
}

static void
test_cancel (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("stall", NULL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  Chat c = { 0 };

  heron_openai_backend_set_timeouts (b, 60000, 0, 10, 10);
  g_timeout_add (100, cancel_later, cancel);
  run_chat (b, &c, cancel);
  g_assert_no_error (c.error);
  g_assert_cmpint (c.stats->stop, ==, HERON_STOP_CANCELLED);
  chat_clear (&c);
}

static void
test_key (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("ok", "mock");
  g_autoptr(GError) error = NULL;
  g_autofree char *service = heron_openai_secret_service ("mock");
  Chat c = { 0 };

  g_assert_cmpstr (service, ==, "openai:mock");
  g_assert_true (heron_web_secrets_store_sync (service, "sk-test-123", NULL, &error));
  g_assert_no_error (error);
  run_chat (b, &c, NULL);
  check_full_answer (&c);
  g_mutex_lock (&mock_lock);
  g_assert_cmpstr (mock_last_auth, ==, "Bearer sk-test-123");
  g_mutex_unlock (&mock_lock);
  chat_clear (&c);
}

static void
on_models (GObject *source, GAsyncResult *result, gpointer data)
{
  GError *error = NULL;
  char **models = heron_openai_backend_list_models_finish (HERON_OPENAI_BACKEND (source),
                                                           result, &error);
  g_assert_no_error (error);
  *(char ***) data = models;
}

static void
test_models (void)
{
  g_autoptr(HeronOpenaiBackend) b = backend_for ("x", NULL);
  g_auto(GStrv) models = NULL;

  heron_openai_backend_list_models_async (b, NULL, on_models, &models);
  while (models == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_strv_length (models), ==, 2);
  g_assert_cmpstr (models[0], ==, "alpha");
  g_assert_cmpstr (models[1], ==, "zeta");
}

static void
test_unreachable (void)
{
  g_autoptr(HeronOpenaiBackend) b = NULL;
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *url = NULL;
  Chat c = { 0 };

  /* A port that was bound and released: nothing listens there. */
  g_assert_true (g_socket_bind (s, addr, TRUE, NULL));
  local = g_socket_get_local_address (s, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  g_socket_close (s, NULL);
  b = heron_openai_backend_new (NULL, url, "m");
  heron_openai_backend_set_timeouts (b, 300, 1, 10, 10);
  run_chat (b, &c, NULL);
  g_assert_error (c.error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED);
  g_assert_nonnull (strstr (c.error->message, "Could not reach"));
  g_assert_cmpuint (heron_openai_backend_get_n_requests (b), ==, 2);
  chat_clear (&c);
}

static void
test_presets (void)
{
  const HeronOpenaiPreset *p = heron_openai_preset_lookup ("deepseek");

  g_assert_cmpstr (p->base_url, ==, "https://api.deepseek.com");
  g_assert_true (p->needs_key);
  g_assert_cmpstr (heron_openai_preset_lookup ("ollama")->base_url, ==,
                   "http://localhost:11434/v1");
  g_assert_cmpstr (heron_openai_preset_lookup ("llamacpp")->base_url, ==,
                   "http://localhost:8080/v1");
  g_assert_cmpstr (heron_openai_preset_lookup ("vllm")->base_url, ==, "http://localhost:8000/v1");
  g_assert_cmpstr (heron_openai_preset_lookup ("openai")->base_url, ==,
                   "https://api.openai.com/v1");
  g_assert_null (heron_openai_preset_lookup ("nope"));
}

int
main (int argc, char **argv)
{
  g_autofree char *tmp = g_dir_make_tmp ("heron-openai-XXXXXX", NULL);
  g_autofree char *keyring = g_build_filename (tmp, "k.keyring", NULL);
  g_autoptr(GSocketService) service = NULL;
  int ret;

  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  g_test_init (&argc, &argv, NULL);
  mock_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  base_url = start_mock (&service);

  g_test_add_func ("/heron/assist/openai/presets", test_presets);
  g_test_add_func ("/heron/assist/openai/stream", test_stream);
  g_test_add_func ("/heron/assist/openai/bytewise", test_bytewise);
  g_test_add_func ("/heron/assist/openai/noisy", test_noisy);
  g_test_add_func ("/heron/assist/openai/stall", test_stall);
  g_test_add_func ("/heron/assist/openai/reset", test_reset);
  g_test_add_func ("/heron/assist/openai/no-done", test_no_done);
  g_test_add_func ("/heron/assist/openai/error-event", test_error_event);
  g_test_add_func ("/heron/assist/openai/http-errors", test_http_errors);
  g_test_add_func ("/heron/assist/openai/retries", test_retries);
  g_test_add_func ("/heron/assist/openai/cancel", test_cancel);
  g_test_add_func ("/heron/assist/openai/key", test_key);
  g_test_add_func ("/heron/assist/openai/models", test_models);
  g_test_add_func ("/heron/assist/openai/unreachable", test_unreachable);
  ret = g_test_run ();

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_free (base_url);
  g_free (mock_last_auth);
  g_free (mock_last_body);
  g_hash_table_unref (mock_counts);
  unlink (keyring);
  g_rmdir (tmp);
  return ret;
}
