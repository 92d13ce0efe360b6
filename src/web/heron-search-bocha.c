/* heron-search-bocha.c: Bocha (博查) web search API (POST api.bochaai.com/v1/web-search,
 * Authorization: Bearer key, JSON body {query, count, summary, freshness}).
 *
 * The answer follows the Bing Search API shape inside an envelope: {"code": 200, "msg",
 * "data": {"webPages": {"value": [{name, url, snippet, summary?, siteName, datePublished}]}}}.
 * Errors keep the envelope with another code (401 bad key, 403 out of balance, 429 rate
 * limit), usually with the same HTTP status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
bocha_build_request (const HeronSearchRequest *request)
{
  g_autofree char *url = heron_search_join_url (request->base_url, "v1/web-search");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "query");
  json_builder_add_string_value (builder, request->query);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, MIN (request->max_results, 50));
  json_builder_set_member_name (builder, "summary");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "freshness");
  json_builder_add_string_value (builder, "noLimit");
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  return heron_search_json_post (url, request->api_key, body);
}

static GPtrArray *
bocha_parse (const char  *text,
             gsize        len,
             guint        max_results,
             GError     **error)
{
  /* The summary is the longer, cleaner text when asked for; the snippet otherwise. */
  static const HeronJsonResultFields fields = {
    .title = "name", .url = "url", .snippet = { "summary", "snippet" }, .site = "siteName",
    .date = { "datePublished" },
  };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;
  JsonObject *data;
  JsonObject *pages;
  JsonNode *code_node;

  root = heron_json_parse_object ("Bocha", text, len, &parser, error);
  if (root == NULL)
    return NULL;
  code_node = json_object_get_member (root, "code");
  if (code_node != NULL && JSON_NODE_HOLDS_VALUE (code_node) &&
      json_node_get_value_type (code_node) == G_TYPE_INT64 && json_node_get_int (code_node) != 200)
    {
      gint64 code = json_node_get_int (code_node);
      const char *msg = heron_json_string (root, "msg");

      g_set_error (error, HERON_SEARCH_ERROR,
                   code == 429 ? HERON_SEARCH_ERROR_RATE_LIMITED : HERON_SEARCH_ERROR_HTTP,
                   _("Bocha answered with error %" PRId64 " (%s)"), code,
                   msg != NULL ? msg : "");
      return NULL;
    }
  data = heron_json_object (root, "data");
  if (data == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Bocha: the answer has no “data” object"));
      return NULL;
    }
  pages = heron_json_object (data, "webPages");
  if (pages == NULL) /* nothing found */
    return g_ptr_array_new_with_free_func ((GDestroyNotify) heron_search_result_free);
  return heron_json_collect_results ("Bocha", heron_json_array (pages, "value"),
                                     "data.webPages.value", &fields, max_results, error);
}

const HeronSearchProviderInfo heron_search_bocha_info = {
  .id = "bocha",
  .display_name = N_("Bocha"),
  .needs_key = TRUE,
  .is_api = TRUE,
  .default_base_url = "https://api.bochaai.com",
  .build_request = bocha_build_request,
  .parse = bocha_parse,
};
