/* heron-search-bing.c: Bing's HTML results page, worldwide (www.bing.com) and the China
 * endpoint (cn.bing.com, reachable from mainland China).
 *
 * Results are li.b_algo items in ol#b_results: h2 > a (title, link) and .b_caption p (snippet;
 * newer pages use p.b_lineclamp*). Links may go through bing.com/ck/a?...&u=a1<base64url>,
 * which is decoded. li.b_no says "no results". Anti-bot pages carry a CAPTCHA
 * (#b_captcha, a /challenge or /turing/captcha form).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-search-private.h"

static SoupMessage *
bing_build_request (const HeronSearchRequest *request)
{
  g_autofree char *base = heron_search_join_url (request->base_url, "search");
  g_autofree char *count = g_strdup_printf ("%u", request->max_results);
  g_autofree char *lang = g_strndup (request->locale, 2);
  g_autofree char *form = soup_form_encode ("q", request->query, "count", count,
                                            "setlang", lang, NULL);
  g_autofree char *url = g_strconcat (base, "?", form, NULL);

  return soup_message_new (SOUP_METHOD_GET, url);
}

/* bing.com/ck/a?...&u=a1aHR0cHM6Ly9... -> https://... */
static char *
bing_real_url (const char *href)
{
  g_autofree char *abs = heron_search_absolute_url ("https://www.bing.com/", href);
  g_autofree char *u = NULL;
  g_autofree guchar *decoded = NULL;
  g_autoptr(GString) b64 = NULL;
  gsize len = 0;

  if (abs == NULL)
    return NULL;
  if (strstr (abs, "bing.com/ck/a") == NULL ||
      (u = heron_search_url_param (abs, "u")) == NULL || !g_str_has_prefix (u, "a1"))
    return g_steal_pointer (&abs);
  b64 = g_string_new (u + 2);
  for (gsize i = 0; i < b64->len; i++)
    {
      if (b64->str[i] == '-')
        b64->str[i] = '+';
      else if (b64->str[i] == '_')
        b64->str[i] = '/';
      else if (!g_ascii_isalnum (b64->str[i]) && b64->str[i] != '+' && b64->str[i] != '/')
        return g_steal_pointer (&abs);
    }
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  decoded = g_base64_decode (b64->str, &len);
  if (decoded == NULL || len == 0 || !g_utf8_validate ((const char *) decoded, len, NULL) ||
      memchr (decoded, '\0', len) != NULL)
    return g_steal_pointer (&abs);
  {
    g_autofree char *target = g_strndup ((const char *) decoded, len);
    char *checked = heron_search_absolute_url (NULL, target);

    return checked != NULL ? checked : g_steal_pointer (&abs);
  }
}

static GPtrArray *
bing_parse (const char  *text,
            gsize        len,
            guint        max_results,
            GError     **error)
{
  g_autoptr(HeronHtml) html = heron_html_parse (text, len);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);
  guint n_links = 0;

  if (html == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Bing: the answer is empty or not HTML"));
      return NULL;
    }

  items = heron_html_find (html, NULL, "//li[" HERON_XP_CLASS ("b_algo") "]");
  if (items->len == 0 &&
      heron_html_find_one (html, NULL,
                           "//*[@id='b_captcha'] | //*[contains(@id, 'captcha')] | "
                           "//form[contains(@action, 'challenge') or contains(@action, 'captcha')"
                           " or contains(@action, 'consent')] | "
                           "//iframe[contains(@src, 'captcha') or contains(@src, 'challenge')] | "
                           "//script[contains(@src, 'turing/captcha') or "
                           "contains(@src, 'challenges.cloudflare')]") != NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                   _("Bing asked for a CAPTCHA or consent instead of showing results"));
      return NULL;
    }

  for (guint i = 0; i < items->len && results->len < max_results; i++)
    {
      xmlNodePtr item = g_ptr_array_index (items, i);
      xmlNodePtr link = heron_html_find_one (html, item, ".//h2//a[@href]");
      xmlNodePtr snippet = heron_html_find_one (html, item,
                                                ".//div[" HERON_XP_CLASS ("b_caption") "]//p | "
                                                ".//p[contains(@class, 'b_lineclamp')] | "
                                                ".//div[" HERON_XP_CLASS ("b_snippet") "]");
      xmlNodePtr date = heron_html_find_one (html, item, ".//span[" HERON_XP_CLASS ("news_dt")
                                             "]");
      xmlNodePtr site = heron_html_find_one (html, item,
                                             ".//div[" HERON_XP_CLASS ("tptt") "]");
      g_autofree char *href = heron_html_attr (link, "href");
      g_autofree char *url = NULL;
      g_autofree char *title = NULL;
      g_autofree char *snip = NULL;
      g_autofree char *when = NULL;
      g_autofree char *site_name = NULL;

      if (link == NULL)
        continue;
      n_links++;
      url = bing_real_url (href);
      title = heron_html_text (link);
      snip = heron_html_text (snippet);
      when = date != NULL ? heron_html_text (date) : NULL;
      site_name = site != NULL ? heron_html_text (site) : NULL;
      /* The date is repeated at the start of the snippet ("3 days ago · ..."): drop it. */
      if (when != NULL && g_str_has_prefix (snip, when))
        {
          const char *rest = snip + strlen (when);
          g_autofree char *trimmed = NULL;

          while (*rest == ' ' || g_str_has_prefix (rest, "·"))
            rest += *rest == ' ' ? 1 : strlen ("·");
          trimmed = g_strdup (rest);
          g_free (snip);
          snip = g_steal_pointer (&trimmed);
        }
      heron_search_results_add (results, title, url, snip, site_name, when);
    }

  if (results->len == 0 && n_links == 0)
    {
      if (heron_html_find_one (html, NULL, "//li[" HERON_XP_CLASS ("b_no") "]") != NULL)
        return g_steal_pointer (&results);
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Bing: no result items (li.b_algo with h2 a) and no “no results” notice "
                     "(li.b_no) were found; the page layout may have changed"));
      return NULL;
    }
  return g_steal_pointer (&results);
}

const HeronSearchProviderInfo heron_search_bing_info = {
  .id = "bing",
  .display_name = N_("Bing"),
  .needs_key = FALSE,
  .is_api = FALSE,
  .default_base_url = "https://www.bing.com",
  .build_request = bing_build_request,
  .parse = bing_parse,
};

const HeronSearchProviderInfo heron_search_bing_cn_info = {
  .id = "bing-cn",
  .display_name = N_("Bing (China)"),
  .needs_key = FALSE,
  .is_api = FALSE,
  .default_base_url = "https://cn.bing.com",
  .build_request = bing_build_request,
  .parse = bing_parse,
};
