/* heron-search-tavily.c: Tavily search API (POST api.tavily.com/search, JSON body with
 * api_key; the key also goes in an Authorization: Bearer header, which newer API versions
 * expect).
 *
 * The answer is {"query", "results": [{title, url, content, score, published_date?}],
 * "response_time"}; errors come as {"detail": {"error": "..."}} with 401, 429 or 432/433
 * (plan limits).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
tavily_build_request (const HeronSearchRequest *request)
{
  g_autofree char *url = heron_search_join_url (request->base_url, "search");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "api_key");
  json_builder_add_string_value (builder, request->api_key);
  json_builder_set_member_name (builder, "query");
  json_builder_add_string_value (builder, request->query);
  json_builder_set_member_name (builder, "max_results");
  json_builder_add_int_value (builder, MIN (request->max_results, 20));
  json_builder_set_member_name (builder, "search_depth");
  json_builder_add_string_value (builder, "basic");
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  return heron_search_json_post (url, request->api_key, body);
}

static GPtrArray *
tavily_parse (const char  *text,
              gsize        len,
              guint        max_results,
              GError     **error)
{
  static const HeronJsonResultFields fields = {
    .title = "title", .url = "url", .snippet = { "content" }, .date = { "published_date" },
  };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;

  root = heron_json_parse_object ("Tavily", text, len, &parser, error);
  if (root == NULL)
    return NULL;
  return heron_json_collect_results ("Tavily", heron_json_array (root, "results"), "results",
                                     &fields, max_results, error);
}

const HeronSearchProviderInfo heron_search_tavily_info = {
  .id = "tavily",
  .display_name = N_("Tavily"),
  .needs_key = TRUE,
  .is_api = TRUE,
  .default_base_url = "https://api.tavily.com",
  .build_request = tavily_build_request,
  .parse = tavily_parse,
};
