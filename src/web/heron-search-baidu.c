/* heron-search-baidu.c: Baidu's HTML results page (www.baidu.com/s?wd=).
 *
 * Results are div.c-container blocks (div.result for web pages) under #content_left:
 * h3 a (title; href is a baidu.com/link?url= redirect that resolves when fetched; the
 * container's mu attribute, when present, is the real URL and is preferred) and the abstract
 * in .c-abstract or span.content-right_* (class names carry a build hash). div.nors is "no
 * results". Baidu's anti-bot check is the 百度安全验证 page at wappass.baidu.com (a redirect
 * there, or a page titled 百度安全验证).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
baidu_build_request (const HeronSearchRequest *request)
{
  g_autofree char *base = heron_search_join_url (request->base_url, "s");
  g_autofree char *count = g_strdup_printf ("%u", request->max_results);
  g_autofree char *form = soup_form_encode ("wd", request->query, "rn", count, "ie", "utf-8",
                                            NULL);
  g_autofree char *url = g_strconcat (base, "?", form, NULL);

  return soup_message_new (SOUP_METHOD_GET, url);
}

static GPtrArray *
baidu_parse (const char  *text,
             gsize        len,
             guint        max_results,
             GError     **error)
{
  g_autoptr(HeronHtml) html = heron_html_parse (text, len);
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);
  xmlNodePtr title_node;
  guint n_links = 0;

  if (html == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Baidu: the answer is empty or not HTML"));
      return NULL;
    }

  title_node = heron_html_find_one (html, NULL, "//title");
  if (title_node != NULL)
    {
      g_autofree char *title = heron_html_text (title_node);
      if (strstr (title, "安全验证") != NULL)
        {
          g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                       _("Baidu showed its security check (百度安全验证) instead of results"));
          return NULL;
        }
    }
  if (heron_html_find_one (html, NULL, "//*[@id='content_left']") == NULL &&
      heron_html_find_one (html, NULL,
                           "//a[contains(@href, 'wappass.baidu.com')] | "
                           "//script[contains(., 'wappass.baidu.com') or "
                           "contains(@src, 'wappass.baidu.com')] | "
                           "//meta[@http-equiv and contains(@content, 'wappass')]") != NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                   _("Baidu redirected to its security check (wappass.baidu.com)"));
      return NULL;
    }

  blocks = heron_html_find (html, NULL,
                            /* Outermost blocks only: a result nests a c-container in a
                             * c-container. */
                            "//div[(" HERON_XP_CLASS ("c-container") " or "
                            HERON_XP_CLASS ("result") ") and not(ancestor::div["
                            HERON_XP_CLASS ("c-container") " or " HERON_XP_CLASS ("result")
                            "])]");
  for (guint i = 0; i < blocks->len && results->len < max_results; i++)
    {
      xmlNodePtr block = g_ptr_array_index (blocks, i);
      xmlNodePtr link = heron_html_find_one (html, block, ".//h3//a[@href]");
      xmlNodePtr snippet = heron_html_find_one (html, block,
                                                ".//*[" HERON_XP_CLASS ("c-abstract") "] | "
                                                ".//*[contains(@class, 'content-right')] | "
                                                ".//*[contains(@class, 'c-span-last')]//*["
                                                "contains(@class, 'c-color-text')]");
      xmlNodePtr date = heron_html_find_one (html, block,
                                             ".//span[" HERON_XP_CLASS ("c-color-gray2") "] | "
                                             ".//span[contains(@class, 'newTimeFactor')]");
      xmlNodePtr site = heron_html_find_one (html, block,
                                             ".//*[contains(@class, 'c-color-gray') and "
                                             "not(contains(@class, 'c-color-gray2'))]");
      g_autofree char *href = heron_html_attr (link, "href");
      g_autofree char *mu = heron_html_attr (block, "mu");
      g_autofree char *title = NULL;
      g_autofree char *snip = NULL;
      g_autofree char *when = NULL;
      g_autofree char *site_name = NULL;
      g_autofree char *mu_abs = NULL;

      if (link == NULL)
        continue;
      n_links++;
      title = heron_html_text (link);
      snip = heron_html_text (snippet);
      when = date != NULL ? heron_html_text (date) : NULL;
      site_name = site != NULL ? heron_html_text (site) : NULL;
      mu_abs = heron_search_absolute_url (NULL, mu);
      /* mu is the real address (nothing to resolve); otherwise keep Baidu's redirect link,
       * which the fetcher follows like any redirect. Baidu's own cards (mu on baidu.com)
       * keep the link too. */
      {
        g_autofree char *href_abs = heron_search_absolute_url ("https://www.baidu.com/", href);
        heron_search_results_add (results, title, mu_abs != NULL ? mu_abs : href_abs, snip,
                                  site_name, when);
      }
    }

  if (results->len == 0 && n_links == 0)
    {
      if (heron_html_find_one (html, NULL, "//div[" HERON_XP_CLASS ("nors") "]") != NULL ||
          strstr (text, "抱歉没有找到") != NULL)
        return g_steal_pointer (&results);
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Baidu: no result blocks (div.c-container with h3 a) and no “no results” "
                     "notice (div.nors) were found; the page layout may have changed"));
      return NULL;
    }
  return g_steal_pointer (&results);
}

const HeronSearchProviderInfo heron_search_baidu_info = {
  .id = "baidu",
  .display_name = N_("Baidu"),
  .needs_key = FALSE,
  .is_api = FALSE,
  .default_base_url = "https://www.baidu.com",
  .build_request = baidu_build_request,
  .parse = baidu_parse,
};
