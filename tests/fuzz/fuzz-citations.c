/* fuzz-citations.c: the citation check on arbitrary answers. Input: up to three source
 * texts separated by NUL bytes, then the answer after the last NUL (or all of it). Checks
 * the invariants: the clean text is valid UTF-8, every span lies inside it, counts add up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "heron-citations.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *copy = g_malloc (size + 1);
  const char *sources[3] = { NULL, NULL, NULL };
  const char *answer = copy;
  guint n = 0;
  HeronCitationCheck *check;
  gsize len;

  memcpy (copy, data, size);
  copy[size] = '\0';
  for (const char *p = copy; p < copy + size && n < 3;)
    {
      const char *nul = memchr (p, '\0', copy + size - p);

      if (nul == NULL)
        break;
      sources[n++] = p;
      p = nul + 1;
      answer = p;
    }
  check = heron_citations_check (answer, sources, n, 0.4);
  len = strlen (check->text);
  g_assert (g_utf8_validate (check->text, -1, NULL));
  g_assert (check->n_supported + check->n_unverified + check->n_removed ==
            check->citations->len);
  for (guint i = 0; i < check->citations->len; i++)
    {
      HeronCitation *c = &g_array_index (check->citations, HeronCitation, i);

      g_assert (c->marker_start <= c->marker_end && c->marker_end <= len);
      g_assert (c->claim_start <= c->claim_end && c->claim_end <= len);
      g_assert (c->support >= 0 && c->support <= 1);
    }
  heron_citation_check_free (check);
  return 0;
}
