/* heron-search-searxng.c: a SearXNG instance's JSON API (/search?format=json).
 *
 * The answer has "results": [{url, title, content, engine, publishedDate?}, ...] plus
 * "unresponsive_engines". An instance that does not enable the JSON format answers 403.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
searxng_build_request (const HeronSearchRequest *request)
{
  g_autofree char *base = heron_search_join_url (request->base_url, "search");
  g_autofree char *lang = g_strndup (request->locale, 2);
  g_autofree char *form = soup_form_encode ("q", request->query, "format", "json",
                                            "language", lang, "safesearch", "1", NULL);
  g_autofree char *url = g_strconcat (base, "?", form, NULL);

  return soup_message_new (SOUP_METHOD_GET, url);
}

static GPtrArray *
searxng_parse (const char  *text,
               gsize        len,
               guint        max_results,
               GError     **error)
{
  static const HeronJsonResultFields fields = {
    .title = "title", .url = "url", .snippet = { "content" }, .date = { "publishedDate" },
  };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;

  root = heron_json_parse_object ("SearXNG", text, len, &parser, error);
  if (root == NULL)
    return NULL;
  return heron_json_collect_results ("SearXNG", heron_json_array (root, "results"), "results",
                                     &fields, max_results, error);
}

const HeronSearchProviderInfo heron_search_searxng_info = {
  .id = "searxng",
  .display_name = N_("SearXNG"),
  .needs_key = FALSE,
  .is_api = TRUE,
  .default_base_url = NULL,
  .build_request = searxng_build_request,
  .parse = searxng_parse,
};
