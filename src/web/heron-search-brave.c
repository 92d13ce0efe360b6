/* heron-search-brave.c: Brave Search API (api.search.brave.com/res/v1/web/search), with the
 * key in the X-Subscription-Token header.
 *
 * The answer is {"type": "search", "web": {"results": [{title, url, description, age?,
 * page_age?, profile: {name}, meta_url: {hostname}}]}}; "web" is absent when nothing was
 * found. Descriptions carry <strong> highlights, which are stripped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
brave_build_request (const HeronSearchRequest *request)
{
  g_autofree char *base = heron_search_join_url (request->base_url, "res/v1/web/search");
  g_autofree char *count = g_strdup_printf ("%u", MIN (request->max_results, 20));
  g_autofree char *form = soup_form_encode ("q", request->query, "count", count, NULL);
  g_autofree char *url = g_strconcat (base, "?", form, NULL);
  SoupMessage *msg = soup_message_new (SOUP_METHOD_GET, url);

  if (msg == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Subscription-Token",
                                request->api_key);
  return msg;
}

static GPtrArray *
brave_parse (const char  *text,
             gsize        len,
             guint        max_results,
             GError     **error)
{
  static const HeronJsonResultFields fields = {
    .title = "title", .url = "url", .snippet = { "description" }, .site = "profile.name",
    .date = { "page_age", "age" },
  };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;
  JsonObject *web;

  root = heron_json_parse_object ("Brave Search", text, len, &parser, error);
  if (root == NULL)
    return NULL;
  if (heron_json_string (root, "type") == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Brave Search: the answer has no “type” member; the format may have "
                     "changed"));
      return NULL;
    }
  web = heron_json_object (root, "web");
  if (web == NULL) /* nothing found */
    return g_ptr_array_new_with_free_func ((GDestroyNotify) heron_search_result_free);
  return heron_json_collect_results ("Brave Search", heron_json_array (web, "results"),
                                     "web.results", &fields, max_results, error);
}

const HeronSearchProviderInfo heron_search_brave_info = {
  .id = "brave",
  .display_name = N_("Brave Search"),
  .needs_key = TRUE,
  .is_api = TRUE,
  .default_base_url = "https://api.search.brave.com",
  .build_request = brave_build_request,
  .parse = brave_parse,
};
