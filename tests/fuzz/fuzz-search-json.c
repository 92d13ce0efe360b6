/* fuzz-search-json.c: the JSON answer parsers of SearXNG, Brave Search, Tavily and Bocha on
 * arbitrary bytes. The first byte picks the parser, the rest is the answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "heron-search-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const HeronSearchProviderInfo *infos[] = {
    &heron_search_searxng_info, &heron_search_brave_info, &heron_search_tavily_info,
    &heron_search_bocha_info,
  };
  const HeronSearchProviderInfo *info;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  if (size < 1)
    return 0;
  info = infos[data[0] % G_N_ELEMENTS (infos)];
  /* The providers give the parsers valid UTF-8; json-glib also copes with the rest. */
  results = info->parse ((const char *) data + 1, size - 1, 50, &error);
  g_assert ((results == NULL) != (error == NULL));
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      HeronSearchResult *r = g_ptr_array_index (results, i);
      g_assert (g_utf8_validate (r->title, -1, NULL) && *r->title != '\0');
      g_assert (g_str_has_prefix (r->url, "http://") || g_str_has_prefix (r->url, "https://"));
      g_assert (g_utf8_validate (r->snippet, -1, NULL));
    }
  return 0;
}
