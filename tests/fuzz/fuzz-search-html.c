/* fuzz-search-html.c: the HTML result-page parsers of DuckDuckGo, Bing and Baidu on arbitrary
 * bytes. The first byte picks the parser, the rest is the page (as UTF-8 text, which is what
 * the providers hand their parsers after charset decoding).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "heron-charset.h"
#include "heron-search-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const HeronSearchProviderInfo *infos[] = {
    &heron_search_duckduckgo_info, &heron_search_bing_info, &heron_search_baidu_info,
  };
  const HeronSearchProviderInfo *info;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  if (size < 1)
    return 0;
  info = infos[data[0] % G_N_ELEMENTS (infos)];
  text = heron_charset_decode ((const char *) data + 1, size - 1, "text/html; charset=utf-8",
                               NULL, NULL);
  results = info->parse (text, strlen (text), 50, &error);
  /* Either results or an error from the search domain, never both, never neither. */
  g_assert ((results == NULL) != (error == NULL));
  g_assert (results != NULL || error->domain == HERON_SEARCH_ERROR);
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      HeronSearchResult *r = g_ptr_array_index (results, i);
      g_assert (g_utf8_validate (r->title, -1, NULL) && *r->title != '\0');
      g_assert (g_str_has_prefix (r->url, "http://") || g_str_has_prefix (r->url, "https://"));
      g_assert (g_utf8_validate (r->snippet, -1, NULL));
    }
  return 0;
}
