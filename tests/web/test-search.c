/* test-search.c: every search provider against a local server that answers in the provider's
 * real format (results in English and Chinese, no results, HTTP errors, 429, CAPTCHA and
 * anti-bot pages, changed markup), and the fallback chain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "heron-search-provider.h"
#include "heron-web-search.h"
#include "heron-web-session.h"
#include "web-test-util.h"

/* ---- the fake engines ---------------------------------------------------------------- */

typedef struct
{
  const char *prefix;       /* first path segment */
  const char *fixture;      /* file in fixtures/, or NULL */
  guint       status;
  const char *content_type;
  const char *header;       /* "Name: value" or NULL */
} Scenario;

static const Scenario scenarios[] = {
  { "ddg-en", "ddg-results-en.html", 200, "text/html; charset=UTF-8", NULL },
  { "ddg-zh", "ddg-results-zh.html", 200, "text/html; charset=UTF-8", NULL },
  { "ddg-none", "ddg-no-results.html", 200, "text/html; charset=UTF-8", NULL },
  { "ddg-anomaly", "ddg-anomaly.html", 202, "text/html; charset=UTF-8", NULL },
  { "ddg-changed", "ddg-changed.html", 200, "text/html; charset=UTF-8", NULL },
  { "ddg-429", NULL, 429, "text/plain", "Retry-After: 120" },
  { "ddg-503", NULL, 503, "text/plain", NULL },
  { "brave-429", NULL, 429, "application/json", "X-RateLimit-Reset: 1, 1419704" },
  { "ddg-403", NULL, 403, "text/html", NULL },
  { "bing-en", "bing-results-en.html", 200, "text/html; charset=utf-8", NULL },
  { "bing-zh", "bing-results-zh.html", 200, "text/html; charset=utf-8", NULL },
  { "bing-none", "bing-no-results.html", 200, "text/html; charset=utf-8", NULL },
  { "bing-captcha", "bing-captcha.html", 200, "text/html; charset=utf-8", NULL },
  { "bing-changed", "bing-changed.html", 200, "text/html; charset=utf-8", NULL },
  { "baidu-zh", "baidu-results-zh.html", 200, "text/html;charset=utf-8", NULL },
  { "baidu-none", "baidu-no-results.html", 200, "text/html;charset=utf-8", NULL },
  { "baidu-verify", "baidu-verify.html", 200, "text/html;charset=utf-8", NULL },
  { "baidu-wappass", NULL, 302, "text/html",
    "Location: https://wappass.baidu.com/static/captcha/tuxing.html?&logid=1&ak=c27bbc89" },
  { "baidu-changed", "baidu-changed.html", 200, "text/html;charset=utf-8", NULL },
  { "searx", "searxng-results.json", 200, "application/json", NULL },
  { "searx-empty", "searxng-empty.json", 200, "application/json", NULL },
  { "searx-403", NULL, 403, "text/html", NULL },
  { "brave", "brave-results.json", 200, "application/json", NULL },
  { "brave-empty", "brave-empty.json", 200, "application/json", NULL },
  { "brave-changed", "brave-changed.json", 200, "application/json", NULL },
  { "tavily", "tavily-results.json", 200, "application/json", NULL },
  { "bocha", "bocha-results.json", 200, "application/json", NULL },
  { "bocha-error", "bocha-error.json", 200, "application/json", NULL },
};

typedef struct
{
  SoupServer *server;
  char       *base;
  GHashTable *hits;         /* prefix -> count */
  char       *last_method;
  char       *last_query;   /* query string or form body */
  char       *last_auth;    /* X-Subscription-Token or Authorization */
  GPtrArray  *stalled;      /* paused SoupServerMessage refs */
} Fixture;

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *fx = user_data;
  g_auto(GStrv) parts = g_strsplit (path + 1, "/", 2);
  const char *prefix = parts[0] != NULL ? parts[0] : "";
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *auth;
  const Scenario *sc = NULL;
  guint hits = GPOINTER_TO_UINT (g_hash_table_lookup (fx->hits, prefix));

  g_hash_table_replace (fx->hits, g_strdup (prefix), GUINT_TO_POINTER (hits + 1));
  g_free (fx->last_method);
  fx->last_method = g_strdup (soup_server_message_get_method (msg));
  g_free (fx->last_query);
  fx->last_query = body->length > 0 ? g_strndup (body->data, body->length) :
                   g_strdup (g_uri_get_query (soup_server_message_get_uri (msg)));
  auth = soup_message_headers_get_one (req, "X-Subscription-Token");
  if (auth == NULL)
    auth = soup_message_headers_get_one (req, "Authorization");
  g_free (fx->last_auth);
  fx->last_auth = g_strdup (auth);
  g_assert_cmpstr (soup_message_headers_get_one (req, "User-Agent"), ==, heron_web_user_agent ());

  if (g_str_equal (prefix, "slow"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (fx->stalled, g_object_ref (msg));
      return;
    }
  /* Keyed APIs check the key as the real ones do. */
  if ((g_str_has_prefix (prefix, "brave") && g_strcmp0 (auth, "test-key") != 0) ||
      ((g_str_equal (prefix, "tavily") || g_str_equal (prefix, "bocha")) &&
       g_strcmp0 (auth, "Bearer test-key") != 0))
    {
      g_autoptr(GBytes) err = web_test_fixture ("tavily-error-401.json");
      soup_server_message_set_status (msg, 401, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (err, NULL), g_bytes_get_size (err));
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (scenarios); i++)
    if (g_str_equal (scenarios[i].prefix, prefix))
      sc = &scenarios[i];
  if (sc == NULL)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, sc->status, NULL);
  if (sc->header != NULL)
    {
      g_auto(GStrv) kv = g_strsplit (sc->header, ": ", 2);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), kv[0], kv[1]);
    }
  if (sc->fixture != NULL)
    {
      g_autoptr(GBytes) data = web_test_fixture (sc->fixture);
      soup_server_message_set_response (msg, sc->content_type, SOUP_MEMORY_COPY,
                                        g_bytes_get_data (data, NULL), g_bytes_get_size (data));
    }
  else
    soup_server_message_set_response (msg, sc->content_type, SOUP_MEMORY_STATIC, "error", 5);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  fx->server = web_test_server_new (handle, fx, &fx->base);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  for (guint i = 0; i < fx->stalled->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fx->stalled, i));
  g_clear_pointer (&fx->stalled, g_ptr_array_unref);
  soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  g_clear_pointer (&fx->hits, g_hash_table_unref);
  g_free (fx->base);
  g_free (fx->last_method);
  g_free (fx->last_query);
  g_free (fx->last_auth);
}

static guint
hits (Fixture    *fx,
      const char *prefix)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fx->hits, prefix));
}

static HeronSearchProvider *
provider_at (Fixture    *fx,
             const char *id,
             const char *prefix)
{
  g_autoptr(GError) error = NULL;
  HeronSearchProvider *p = heron_search_provider_new (id, &error);
  g_autofree char *base = g_strdup_printf ("%s/%s", fx->base, prefix);

  g_assert_no_error (error);
  heron_search_provider_set_base_url (p, base);
  heron_search_provider_set_locale (p, "en_US");
  return p;
}

static GPtrArray *
run_search (HeronSearchProvider  *p,
            const char           *query,
            GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  heron_search_provider_search_async (p, query, 10, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  return heron_search_provider_search_finish (p, result, error);
}

static HeronSearchResult *
nth (GPtrArray *results,
     guint      i)
{
  g_assert_cmpuint (i, <, results->len);
  return g_ptr_array_index (results, i);
}

static void
expect_error (Fixture    *fx,
              const char *id,
              const char *prefix,
              int         code,
              const char *in_message)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, id, prefix);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  if (heron_search_provider_get_needs_key (p))
    heron_search_provider_set_api_key (p, "test-key");
  results = run_search (p, "query", &error);
  g_assert_null (results);
  g_assert_error (error, HERON_SEARCH_ERROR, code);
  if (in_message != NULL && strstr (error->message, in_message) == NULL)
    g_error ("“%s” not in “%s”", in_message, error->message);
  g_test_message ("%s/%s: %s", id, prefix, error->message);
}

static void
expect_empty (Fixture    *fx,
              const char *id,
              const char *prefix)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, id, prefix);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  if (heron_search_provider_get_needs_key (p))
    heron_search_provider_set_api_key (p, "test-key");
  results = run_search (p, "zxqvjkwplmnbq", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 0);
}

/* ---- DuckDuckGo ---------------------------------------------------------------------- */

static void
test_ddg_results (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "duckduckgo", "ddg-en");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "gnome text editor", &error);
  g_autoptr(GHashTable) form = NULL;

  g_assert_no_error (error);
  /* The ad (duckduckgo.com/y.js) is dropped. */
  g_assert_cmpuint (r->len, ==, 3);
  g_assert_cmpstr (nth (r, 0)->title, ==, "Text Editor – Apps for GNOME");
  g_assert_cmpstr (nth (r, 0)->url, ==, "https://apps.gnome.org/TextEditor/");
  g_assert_cmpstr (nth (r, 0)->site, ==, "apps.gnome.org");
  g_assert_true (g_str_has_prefix (nth (r, 0)->snippet,
                                   "Text Editor is a simple text editor that"));
  g_assert_cmpstr (nth (r, 1)->url, ==, "https://gitlab.gnome.org/GNOME/gnome-text-editor");
  g_assert_nonnull (strstr (nth (r, 1)->snippet, "GNOME & its source"));
  g_assert_cmpstr (nth (r, 2)->url, ==, "https://en.wikipedia.org/wiki/GNOME_Text_Editor?a=1&b=2");
  g_assert_null (nth (r, 2)->date);

  g_assert_cmpstr (fx->last_method, ==, "POST");
  form = soup_form_decode (fx->last_query);
  g_assert_cmpstr (g_hash_table_lookup (form, "q"), ==, "gnome text editor");
}

static void
test_ddg_results_zh (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "duckduckgo", "ddg-zh");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "北京 天气", &error);
  g_autofree char *unescaped = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpstr (nth (r, 0)->title, ==, "北京天气预报_北京天气预报一周_中国天气网");
  g_assert_cmpstr (nth (r, 0)->url, ==, "https://www.weather.com.cn/weather/101010100.shtml");
  g_assert_cmpstr (nth (r, 0)->site, ==, "weather.com.cn");
  g_assert_nonnull (strstr (nth (r, 0)->snippet, "便捷查询北京今日天气"));
  unescaped = g_uri_unescape_string (nth (r, 1)->url, NULL);
  g_assert_cmpstr (unescaped, ==, "https://zh.wikipedia.org/wiki/北京市");
}

static void
test_ddg_errors (Fixture *fx, gconstpointer data)
{
  expect_empty (fx, "duckduckgo", "ddg-none");
  expect_error (fx, "duckduckgo", "ddg-anomaly", HERON_SEARCH_ERROR_BLOCKED, "DuckDuckGo");
  expect_error (fx, "duckduckgo", "ddg-changed", HERON_SEARCH_ERROR_PARSE_FAILED,
                "DuckDuckGo: no result blocks");
  expect_error (fx, "duckduckgo", "ddg-429", HERON_SEARCH_ERROR_RATE_LIMITED, "retry after 120 s");
  expect_error (fx, "duckduckgo", "ddg-503", HERON_SEARCH_ERROR_HTTP, "503");
  expect_error (fx, "duckduckgo", "ddg-403", HERON_SEARCH_ERROR_BLOCKED, "403");
}

/* ---- Bing ---------------------------------------------------------------------------- */

static void
test_bing_results (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "bing", "bing-en");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "libsoup content decoder", &error);
  g_autoptr(GHashTable) form = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 3);
  /* The bing.com/ck/a redirect is decoded from its base64url "u" parameter. */
  g_assert_cmpstr (nth (r, 0)->url, ==,
                   "https://libsoup.gnome.org/libsoup-3.0/class.ContentDecoder.html");
  g_assert_cmpstr (nth (r, 0)->title, ==, "Soup.ContentDecoder - libsoup 3.0");
  g_assert_cmpstr (nth (r, 0)->site, ==, "GNOME");
  g_assert_nonnull (strstr (nth (r, 0)->snippet, "\"gzip\", \"deflate\", and \"br\""));
  g_assert_cmpstr (nth (r, 1)->date, ==, "Mar 4, 2024");
  g_assert_true (g_str_has_prefix (nth (r, 1)->snippet, "libsoup is an HTTP client/server"));
  g_assert_cmpstr (nth (r, 2)->site, ==, "docs.gtk.org");

  g_assert_cmpstr (fx->last_method, ==, "GET");
  form = soup_form_decode (fx->last_query);
  g_assert_cmpstr (g_hash_table_lookup (form, "q"), ==, "libsoup content decoder");
  g_assert_cmpstr (g_hash_table_lookup (form, "count"), ==, "10");
}

static void
test_bing_results_zh (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "bing-cn", "bing-zh");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "今年 诺贝尔 文学奖", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpstr (nth (r, 0)->title, ==, "诺贝尔文学奖揭晓：获奖者及其作品一览_澎湃新闻");
  g_assert_cmpstr (nth (r, 0)->site, ==, "澎湃新闻");
  g_assert_cmpstr (nth (r, 0)->date, ==, "2024年10月10日");
  g_assert_true (g_str_has_prefix (nth (r, 0)->snippet, "瑞典文学院宣布"));
  g_assert_cmpstr (heron_search_provider_info_lookup ("bing-cn")->default_base_url, ==,
                   "https://cn.bing.com");
}

static void
test_bing_errors (Fixture *fx, gconstpointer data)
{
  expect_empty (fx, "bing", "bing-none");
  expect_error (fx, "bing", "bing-captcha", HERON_SEARCH_ERROR_BLOCKED, "CAPTCHA");
  expect_error (fx, "bing", "bing-changed", HERON_SEARCH_ERROR_PARSE_FAILED, "li.b_algo");
}

/* ---- Baidu --------------------------------------------------------------------------- */

static void
test_baidu_results (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "baidu", "baidu-zh");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "大语言模型 量化", &error);
  g_autoptr(GHashTable) form = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 3);
  /* The mu attribute is the real address; without it the baidu.com/link redirect is kept. */
  g_assert_cmpstr (nth (r, 0)->url, ==, "https://baike.baidu.com/item/%E9%87%8F%E5%8C%96");
  g_assert_cmpstr (nth (r, 0)->title, ==, "模型量化_百度百科");
  g_assert_true (g_str_has_prefix (nth (r, 0)->snippet, "模型量化是指"));
  g_assert_cmpstr (nth (r, 1)->url, ==, "https://zhuanlan.zhihu.com/p/627436535");
  g_assert_cmpstr (nth (r, 1)->title, ==, "大模型量化技术原理：GPTQ、AWQ 与 GGUF - 知乎");
  g_assert_cmpstr (nth (r, 1)->site, ==, "知乎");
  g_assert_cmpstr (nth (r, 1)->date, ==, "2023年5月8日");
  g_assert_true (g_str_has_prefix (nth (r, 1)->snippet, "本文介绍大语言模型常用的量化方法"));
  g_assert_true (g_str_has_prefix (nth (r, 2)->url, "http://www.baidu.com/link?url="));
  g_assert_nonnull (strstr (nth (r, 2)->snippet, "k-quants"));

  form = soup_form_decode (fx->last_query);
  g_assert_cmpstr (g_hash_table_lookup (form, "wd"), ==, "大语言模型 量化");
}

static void
test_baidu_errors (Fixture *fx, gconstpointer data)
{
  expect_empty (fx, "baidu", "baidu-none");
  expect_error (fx, "baidu", "baidu-verify", HERON_SEARCH_ERROR_BLOCKED, "百度安全验证");
  /* The redirect to wappass.baidu.com is recognised, not followed (nothing leaves 127.0.0.1). */
  expect_error (fx, "baidu", "baidu-wappass", HERON_SEARCH_ERROR_BLOCKED, "wappass.baidu.com");
  expect_error (fx, "baidu", "baidu-changed", HERON_SEARCH_ERROR_PARSE_FAILED, "div.c-container");
}

/* ---- SearXNG and keyed APIs ---------------------------------------------------------- */

static void
test_searxng (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "searxng", "searx");
  g_autoptr(HeronSearchProvider) unset = heron_search_provider_new ("searxng", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = run_search (p, "heron bird", &error);
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GPtrArray) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);   /* the ftp: result is dropped */
  g_assert_cmpstr (nth (r, 0)->url, ==, "https://en.wikipedia.org/wiki/Heron");
  g_assert_null (nth (r, 0)->date);
  g_assert_cmpstr (nth (r, 1)->date, ==, "2023-11-02T00:00:00");
  form = soup_form_decode (fx->last_query);
  g_assert_cmpstr (g_hash_table_lookup (form, "format"), ==, "json");

  expect_empty (fx, "searxng", "searx-empty");
  expect_error (fx, "searxng", "searx-403", HERON_SEARCH_ERROR_HTTP, "format");

  none = run_search (unset, "x", &error);
  g_assert_null (none);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NOT_CONFIGURED);
}

static void
test_keyed_without_key (Fixture *fx, gconstpointer data)
{
  const char *ids[] = { "brave", "tavily", "bocha" };

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(HeronSearchProvider) p = provider_at (fx, ids[i], ids[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) r = NULL;

      g_assert_true (heron_search_provider_get_needs_key (p));
      r = run_search (p, "x", &error);
      g_assert_null (r);
      g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_KEY);
      g_assert_cmpuint (hits (fx, ids[i]), ==, 0);   /* nothing was sent */

      /* A wrong key is sent and rejected by the server. */
      g_clear_error (&error);
      heron_search_provider_set_api_key (p, "wrong");
      r = run_search (p, "x", &error);
      g_assert_null (r);
      g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_HTTP);
      g_assert_nonnull (strstr (error->message, "401"));
      g_assert_null (strstr (error->message, "wrong"));   /* keys never appear in messages */
    }
}

static void
test_brave (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "brave", "brave");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = NULL;

  heron_search_provider_set_api_key (p, "test-key");
  r = run_search (p, "rust async runtime", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpstr (nth (r, 0)->snippet, ==,
                   "Tokio is an asynchronous runtime for the Rust programming language.");
  g_assert_cmpstr (nth (r, 0)->site, ==, "Tokio");
  g_assert_cmpstr (nth (r, 0)->date, ==, "2024-05-01T10:12:33");
  g_assert_cmpstr (nth (r, 1)->snippet, ==, "Async version of the Rust standard library & more.");
  g_assert_cmpstr (fx->last_auth, ==, "test-key");

  expect_empty (fx, "brave", "brave-empty");
  expect_error (fx, "brave", "brave-429", HERON_SEARCH_ERROR_RATE_LIMITED, "retry after 1 s");
  expect_error (fx, "brave", "brave-changed", HERON_SEARCH_ERROR_PARSE_FAILED, "Brave Search");
}

static void
test_tavily (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "tavily", "tavily");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body;

  heron_search_provider_set_api_key (p, "test-key");
  r = run_search (p, "Who is Leo Messi?", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpstr (nth (r, 0)->url, ==, "https://en.wikipedia.org/wiki/Lionel_Messi");
  g_assert_cmpstr (nth (r, 1)->date, ==, "Tue, 04 Jun 2024 12:00:00 GMT");
  g_assert_cmpstr (fx->last_method, ==, "POST");
  g_assert_true (json_parser_load_from_data (parser, fx->last_query, -1, NULL));
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "api_key"), ==, "test-key");
  g_assert_cmpstr (json_object_get_string_member (body, "query"), ==, "Who is Leo Messi?");
}

static void
test_bocha (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "bocha", "bocha");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = NULL;

  heron_search_provider_set_api_key (p, "test-key");
  r = run_search (p, "天空为什么是蓝色的", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpstr (nth (r, 0)->title, ==, "天空为什么是蓝色的？瑞利散射的科学解释");
  /* The summary (asked for) wins over the shorter snippet. */
  g_assert_true (g_str_has_suffix (nth (r, 0)->snippet, "因此我们看到的天空呈蓝色。"));
  g_assert_cmpstr (nth (r, 0)->site, ==, "中国科普网");
  g_assert_cmpstr (nth (r, 0)->date, ==, "2024-07-22T00:00:00+08:00");
  g_assert_true (g_str_has_prefix (nth (r, 1)->snippet, "Sunlight reaches"));
  g_assert_null (nth (r, 1)->date);
  g_assert_cmpstr (fx->last_auth, ==, "Bearer test-key");
  g_assert_nonnull (strstr (fx->last_query, "\"query\":\"天空为什么是蓝色的\""));

  expect_error (fx, "bocha", "bocha-error", HERON_SEARCH_ERROR_HTTP, "enough money");
}

static void
test_timeout (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronSearchProvider) p = provider_at (fx, "duckduckgo", "slow");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = NULL;

  heron_search_provider_set_timeout (p, 300);
  r = run_search (p, "x", &error);
  g_assert_null (r);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_TIMEOUT);
}

/* ---- the chain ----------------------------------------------------------------------- */

static HeronWebSearchResponse *
run_chain (HeronWebSearch  *chain,
           const char      *query,
           GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  heron_web_search_search_async (chain, query, 5, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  return heron_web_search_search_finish (chain, result, error);
}

static void
test_chain_fallback (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSearch) chain = heron_web_search_new ();
  g_autoptr(HeronSearchProvider) ddg = provider_at (fx, "duckduckgo", "ddg-anomaly");
  g_autoptr(HeronSearchProvider) bing = provider_at (fx, "bing", "bing-en");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebSearchResponse) first = NULL;
  g_autoptr(HeronWebSearchResponse) second = NULL;
  HeronWebSearchSkip *skip;

  heron_web_search_add_provider (chain, ddg);
  heron_web_search_add_provider (chain, bing);

  first = run_chain (chain, "libsoup", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first->provider_id, ==, "bing");
  g_assert_cmpuint (first->results->len, ==, 3);
  g_assert_cmpuint (first->skipped->len, ==, 1);
  skip = g_ptr_array_index (first->skipped, 0);
  g_assert_cmpstr (skip->provider_id, ==, "duckduckgo");
  g_assert_cmpint (skip->code, ==, HERON_SEARCH_ERROR_BLOCKED);
  g_assert_false (skip->earlier);
  g_assert_true (heron_web_search_is_skipped (chain, "duckduckgo"));

  /* The blocked provider is not asked again in this session. */
  second = run_chain (chain, "libsoup again", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second->provider_id, ==, "bing");
  skip = g_ptr_array_index (second->skipped, 0);
  g_assert_true (skip->earlier);
  g_assert_cmpuint (hits (fx, "ddg-anomaly"), ==, 1);
  g_assert_cmpuint (hits (fx, "bing-en"), ==, 2);

  heron_web_search_reset_skipped (chain);
  g_assert_false (heron_web_search_is_skipped (chain, "duckduckgo"));
}

static void
test_chain_parse_failure_moves_on (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSearch) chain = heron_web_search_new ();
  g_autoptr(HeronSearchProvider) ddg = provider_at (fx, "duckduckgo", "ddg-changed");
  g_autoptr(HeronSearchProvider) baidu = provider_at (fx, "baidu", "baidu-zh");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebSearchResponse) response = NULL;

  heron_web_search_add_provider (chain, ddg);
  heron_web_search_add_provider (chain, baidu);
  response = run_chain (chain, "量化", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->provider_id, ==, "baidu");
  g_assert_cmpint (((HeronWebSearchSkip *) g_ptr_array_index (response->skipped, 0))->code, ==,
                   HERON_SEARCH_ERROR_PARSE_FAILED);
  /* A parse failure may be a one-off page: not remembered. */
  g_assert_false (heron_web_search_is_skipped (chain, "duckduckgo"));
}

static void
test_chain_all_fail (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSearch) chain = heron_web_search_new ();
  g_autoptr(HeronSearchProvider) ddg = provider_at (fx, "duckduckgo", "ddg-429");
  g_autoptr(HeronSearchProvider) bing = provider_at (fx, "bing", "bing-captcha");
  g_autoptr(HeronSearchProvider) brave = provider_at (fx, "brave", "brave");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebSearchResponse) response = NULL;

  heron_web_search_add_provider (chain, ddg);
  heron_web_search_add_provider (chain, bing);
  heron_web_search_add_provider (chain, brave);
  response = run_chain (chain, "x", &error);
  g_assert_null (response);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER);
  g_assert_nonnull (strstr (error->message, "DuckDuckGo"));
  g_assert_nonnull (strstr (error->message, "Bing"));
  g_assert_nonnull (strstr (error->message, "API key"));
}

static void
test_chain_offline (Fixture *fx, gconstpointer data)
{
  g_autoptr(HeronWebSession) session = heron_web_session_new ();
  g_autoptr(HeronWebSearch) chain = heron_web_search_new ();
  g_autoptr(HeronSearchProvider) remote = heron_search_provider_new ("duckduckgo", NULL);
  g_autoptr(HeronSearchProvider) local = provider_at (fx, "searxng", "searx");
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronWebSearchResponse) response = NULL;
  gint64 start;

  heron_web_session_set_offline (session, TRUE);
  g_assert_true (heron_web_session_is_offline (session));
  /* A documentation address (TEST-NET-1): must never be contacted anyway. */
  heron_search_provider_set_base_url (remote, "http://192.0.2.1");
  heron_web_search_add_provider (chain, remote);
  heron_web_search_add_provider (chain, local);
  heron_web_search_set_session (chain, session);
  g_ptr_array_remove_index (heron_web_search_get_providers (chain), 1);

  start = g_get_monotonic_time ();
  response = run_chain (chain, "x", &error);
  g_assert_null (response);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_OFFLINE);
  g_test_message ("offline answer after %" G_GINT64_FORMAT " µs: %s",
                  g_get_monotonic_time () - start, error->message);

  /* A SearXNG on this machine still answers while offline. */
  g_clear_error (&error);
  heron_web_search_reset_skipped (chain);
  heron_web_search_add_provider (chain, local);
  response = run_chain (chain, "heron", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response->provider_id, ==, "searxng");
  g_assert_cmpint (((HeronWebSearchSkip *) g_ptr_array_index (response->skipped, 0))->code, ==,
                   HERON_SEARCH_ERROR_OFFLINE);
}

static void
test_chain_cache (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("heron-web-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = heron_store_open_sync (dir, NULL, &error);
  g_autoptr(HeronWebSearch) chain = heron_web_search_new ();
  g_autoptr(HeronSearchProvider) bing = provider_at (fx, "bing", "bing-zh");
  g_autoptr(HeronWebSearchResponse) first = NULL;
  g_autoptr(HeronWebSearchResponse) second = NULL;

  g_assert_no_error (error);
  heron_web_search_add_provider (chain, bing);
  heron_web_search_set_store (chain, store);
  first = run_chain (chain, "诺贝尔", &error);
  g_assert_no_error (error);
  g_assert_false (first->from_cache);
  second = run_chain (chain, "诺贝尔", &error);
  g_assert_no_error (error);
  g_assert_true (second->from_cache);
  g_assert_cmpuint (hits (fx, "bing-zh"), ==, 1);
  g_assert_cmpuint (second->results->len, ==, first->results->len);
  for (guint i = 0; i < first->results->len; i++)
    {
      HeronSearchResult *a = g_ptr_array_index (first->results, i);
      HeronSearchResult *b = g_ptr_array_index (second->results, i);
      g_assert_cmpstr (a->title, ==, b->title);
      g_assert_cmpstr (a->url, ==, b->url);
      g_assert_cmpstr (a->snippet, ==, b->snippet);
      g_assert_cmpstr (a->site, ==, b->site);
      g_assert_cmpstr (a->date, ==, b->date);
    }
  heron_store_close (store);
  g_clear_object (&store);
  {
    g_autofree char *db = g_build_filename (dir, "heron.db", NULL);
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);
    g_unlink (db), g_unlink (wal), g_unlink (shm);
    g_rmdir (dir);
  }
}

static void
test_defaults (void)
{
  g_auto(GStrv) zh = heron_web_search_default_ids ("zh_CN");
  g_auto(GStrv) en = heron_web_search_default_ids ("en_US");
  g_auto(GStrv) de = heron_web_search_default_ids ("de_DE");
  const char *zh_expected[] = { "bing-cn", "baidu", "duckduckgo", NULL };
  const char *en_expected[] = { "duckduckgo", "bing", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronSearchProvider) none = heron_search_provider_new ("altavista", &error);
  const char *ids[] = { "duckduckgo", "nope", NULL };
  g_autoptr(HeronWebSearch) chain = NULL;

  g_assert_cmpstrv (zh, zh_expected);
  g_assert_cmpstrv (en, en_expected);
  g_assert_cmpstrv (de, en_expected);
  g_assert_null (none);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER);
  g_clear_error (&error);
  chain = heron_web_search_new_for_ids (ids, &error);
  g_assert_null (chain);
  g_assert_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER);

  /* Retry-After as an HTTP date is turned into seconds too. */
  {
    g_autoptr(SoupMessageHeaders) headers =
      soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 600);
    g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);
    g_autoptr(GError) e = NULL;
    const char *at;
    int seconds = -1;

    soup_message_headers_replace (headers, "Retry-After", date);
    g_assert_true (heron_search_provider_check_response (
      heron_search_provider_info_lookup ("bing"), 429, headers, &e));
    g_assert_error (e, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_RATE_LIMITED);
    at = strstr (e->message, "retry after ");
    g_assert_nonnull (at);
    g_assert_cmpint (sscanf (at, "retry after %d s", &seconds), ==, 1);
    g_assert_cmpint (seconds, >=, 590);
    g_assert_cmpint (seconds, <=, 600);
  }
  for (const HeronSearchProviderInfo * const *i = heron_search_provider_infos (); *i; i++)
    {
      /* Every parser survives empty and garbage input with an error, never a crash. */
      g_autoptr(GError) e1 = NULL;
      g_autoptr(GError) e2 = NULL;
      g_autoptr(GPtrArray) r1 = (*i)->parse ("", 0, 10, &e1);
      g_autoptr(GPtrArray) r2 = (*i)->parse ("<<<{{{\xff\xfe", 8, 10, &e2);

      g_assert_null (r1);
      g_assert_error (e1, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED);
      g_assert_null (r2);
      g_assert_error (e2, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED);
    }
}

int
main (int argc, char **argv)
{
  /* glib-networking's GNOME proxy resolver needs GSettings schemas (absent with the memory
   * backend in CI) and must not route test traffic anywhere: the servers are local. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/heron/web/search/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("duckduckgo/results-en", test_ddg_results);
  ADD ("duckduckgo/results-zh", test_ddg_results_zh);
  ADD ("duckduckgo/errors", test_ddg_errors);
  ADD ("bing/results-en", test_bing_results);
  ADD ("bing/results-zh", test_bing_results_zh);
  ADD ("bing/errors", test_bing_errors);
  ADD ("baidu/results-zh", test_baidu_results);
  ADD ("baidu/errors", test_baidu_errors);
  ADD ("searxng", test_searxng);
  ADD ("keyed/no-key", test_keyed_without_key);
  ADD ("brave", test_brave);
  ADD ("tavily", test_tavily);
  ADD ("bocha", test_bocha);
  ADD ("timeout", test_timeout);
  ADD ("chain/fallback", test_chain_fallback);
  ADD ("chain/parse-failure", test_chain_parse_failure_moves_on);
  ADD ("chain/all-fail", test_chain_all_fail);
  ADD ("chain/offline", test_chain_offline);
  ADD ("chain/cache", test_chain_cache);
#undef ADD
  g_test_add_func ("/heron/web/search/defaults", test_defaults);
  return g_test_run ();
}
