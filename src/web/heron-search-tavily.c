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
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", request->api_key, NULL);
  char *body;
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);

  if (msg == NULL)
    return NULL;
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
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  body = json_generator_to_data (generator, NULL);
  soup_message_set_request_body_from_bytes (msg, "application/json",
                                            g_bytes_new_take (body, strlen (body)));
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  memset (auth, 0, strlen (auth));
  return msg;
}

static GPtrArray *
tavily_parse (const char  *text,
              gsize        len,
              guint        max_results,
              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);
  JsonObject *root;
  JsonArray *list;

  root = heron_json_parse_object ("Tavily", text, len, &parser, error);
  if (root == NULL)
    return NULL;
  list = heron_json_array (root, "results");
  if (list == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Tavily: the answer has no “results” list"));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (list) && results->len < max_results; i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      heron_search_results_add (results, heron_json_string (item, "title"),
                                heron_json_string (item, "url"),
                                heron_json_string (item, "content"), NULL,
                                heron_json_string (item, "published_date"));
    }
  return g_steal_pointer (&results);
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
