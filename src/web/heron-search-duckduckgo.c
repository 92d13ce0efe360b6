/* heron-search-duckduckgo.c: DuckDuckGo's keyless HTML endpoint (html.duckduckgo.com/html/).
 *
 * Results are div.result blocks with a.result__a (title; href is a //duckduckgo.com/l/?uddg=
 * redirect carrying the real URL) and a.result__snippet. Ads link to duckduckgo.com/y.js.
 * When DuckDuckGo suspects a bot it answers with its "anomaly" page (a challenge form).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
ddg_build_request (const HeronSearchRequest *request)
{
  g_autofree char *url = heron_search_join_url (request->base_url, "html/");
  const char *region = g_str_has_prefix (request->locale, "zh") ? "cn-zh" : "wt-wt";

  /* The same POST the page's own search form sends (takes the encoded form). */
  return soup_message_new_from_encoded_form (SOUP_METHOD_POST, url,
                                             soup_form_encode ("q", request->query, "b", "",
                                                               "kl", region, NULL));
}

static char *
ddg_real_url (const char *href)
{
  g_autofree char *abs = heron_search_absolute_url ("https://duckduckgo.com/", href);
  char *target;

  if (abs == NULL)
    return NULL;
  if (strstr (abs, "duckduckgo.com/l/") != NULL &&
      (target = heron_search_url_param (abs, "uddg")) != NULL)
    return target;
  return g_steal_pointer (&abs);
}

static GPtrArray *
ddg_parse (const char  *text,
           gsize        len,
           guint        max_results,
           GError     **error)
{
  g_autoptr(HeronHtml) html = heron_html_parse (text, len);
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);
  guint n_links = 0;

  if (html == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("DuckDuckGo: the answer is empty or not HTML"));
      return NULL;
    }
  if (heron_html_find_one (html, NULL, "//form[contains(@action, 'anomaly')] | "
                           "//*[" HERON_XP_CLASS ("anomaly-modal") "] | "
                           "//*[@id='challenge-form']") != NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                   _("DuckDuckGo showed its anti-bot check (anomaly page) instead of results"));
      return NULL;
    }

  blocks = heron_html_find (html, NULL, "//div[" HERON_XP_CLASS ("result") "]");
  for (guint i = 0; i < blocks->len && results->len < max_results; i++)
    {
      xmlNodePtr block = g_ptr_array_index (blocks, i);
      xmlNodePtr link = heron_html_find_one (html, block,
                                             ".//a[" HERON_XP_CLASS ("result__a") "]");
      xmlNodePtr snippet = heron_html_find_one (html, block,
                                                ".//*[" HERON_XP_CLASS ("result__snippet") "]");
      g_autofree char *href = heron_html_attr (link, "href");
      g_autofree char *url = NULL;
      g_autofree char *title = NULL;
      g_autofree char *snip = NULL;

      if (link == NULL)
        continue;
      n_links++;
      if (href == NULL || strstr (href, "duckduckgo.com/y.js") != NULL ||
          heron_html_find_one (html, block, "self::*[" HERON_XP_CLASS ("result--ad") "]"))
        continue;
      url = ddg_real_url (href);
      title = heron_html_text (link);
      snip = heron_html_text (snippet);
      heron_search_results_add (results, title, url, snip, NULL, NULL);
    }

  if (results->len == 0 && n_links == 0)
    {
      if (heron_html_find_one (html, NULL, "//*[" HERON_XP_CLASS ("no-results") "]") != NULL)
        return g_steal_pointer (&results);
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("DuckDuckGo: no result blocks (div.result with a.result__a) and no "
                     "“no results” notice were found; the page layout may have changed"));
      return NULL;
    }
  return g_steal_pointer (&results);
}

const HeronSearchProviderInfo heron_search_duckduckgo_info = {
  .id = "duckduckgo",
  .display_name = N_("DuckDuckGo"),
  .needs_key = FALSE,
  .is_api = FALSE,
  .default_base_url = "https://html.duckduckgo.com",
  .build_request = ddg_build_request,
  .parse = ddg_parse,
};
