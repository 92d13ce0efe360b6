/* heron-citations.c: the citation check (see heron-citations.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include "heron-citations.h"
#include "heron-rank.h"

void
heron_citation_check_free (HeronCitationCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->text);
  g_clear_pointer (&check->citations, g_array_unref);
  g_free (check);
}

const char *
heron_citation_status_to_string (HeronCitationStatus status)
{
  switch (status)
    {
    case HERON_CITATION_SUPPORTED:  return "supported";
    case HERON_CITATION_UNVERIFIED: return "unverified";
    case HERON_CITATION_REMOVED:    return "removed";
    default:                        return "unknown";
    }
}

typedef struct
{
  gsize start, end;      /* the whole group in the original, e.g. "[1, 2]" or "[1][2]" */
  GArray *numbers;       /* guint */
} Group;

/* Parses "[n]" or "[n, m, ...]" at P; returns the end or NULL. */
static const char *
parse_marker (const char *p,
              GArray     *numbers)
{
  const char *q = p + 1;

  if (*p != '[')
    return NULL;
  for (;;)
    {
      guint64 v = 0;
      int digits = 0;

      while (*q == ' ')
        q++;
      while (g_ascii_isdigit (*q) && digits < 4)
        {
          v = v * 10 + (*q - '0');
          q++;
          digits++;
        }
      if (digits == 0 || g_ascii_isdigit (*q))
        return NULL;
      g_array_append_val (numbers, (guint) { (guint) v });
      while (*q == ' ')
        q++;
      if (*q == ']')
        return q + 1;
      if (*q != ',')
        return NULL;
      q++;
    }
}

static gboolean
is_sentence_end (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == '\n' || c == 0x3002 || c == 0xFF01 ||
         c == 0xFF1F || c == 0xFF1B || c == ';';
}

/* Content terms of the claim found among SOURCE's terms. */
static double
support_of (const char *claim,
            GHashTable *source_terms)
{
  g_auto(GStrv) terms = heron_rank_terms (claim);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint total = 0, found = 0;

  for (guint i = 0; terms[i]; i++)
    {
      /* Numbers count like words: a figure the source does not give is a warning sign. */
      if (!g_hash_table_add (seen, terms[i]))
        continue;
      total++;
      if (g_hash_table_contains (source_terms, terms[i]))
        found++;
    }
  return total ? (double) found / total : 1.0;
}

HeronCitationCheck *
heron_citations_check (const char         *answer,
                       const char * const *sources,
                       guint               n_sources,
                       double              threshold)
{
  HeronCitationCheck *check = g_new0 (HeronCitationCheck, 1);
  g_autoptr(GPtrArray) source_terms = g_ptr_array_new_with_free_func (
    (GDestroyNotify) g_hash_table_unref);
  GString *clean = g_string_new (NULL);
  gsize claim_start = 0;       /* in CLEAN: where the current sentence began */
  gsize last_claim_start = 0, last_claim_end = 0;
  gsize text_end = 0;          /* in CLEAN: after the last character of prose (not a marker) */
  const char *p;

  check->citations = g_array_new (FALSE, TRUE, sizeof (HeronCitation));
  if (answer == NULL || !g_utf8_validate (answer, -1, NULL))
    {
      check->text = g_string_free (clean, FALSE);
      return check;
    }
  for (guint i = 0; i < n_sources; i++)
    {
      g_auto(GStrv) terms = heron_rank_terms (sources ? sources[i] : NULL);
      GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      for (guint t = 0; terms[t]; t++)
        g_hash_table_add (set, g_strdup (terms[t]));
      g_ptr_array_add (source_terms, set);
    }

  p = answer;
  while (*p)
    {
      g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));
      const char *end = parse_marker (p, numbers);

      if (end != NULL)
        {
          gsize cs, ce;
          gboolean any_kept = FALSE;
          gsize group_start;

          /* The claim is the sentence the marker ends, or the one just ended when the
           * marker follows its full stop ("... river. [1]"). */
          ce = MAX (text_end, claim_start);
          cs = claim_start;
          if (ce <= cs)
            {
              cs = last_claim_start;
              ce = last_claim_end;
            }
          group_start = clean->len;
          for (guint k = 0; k < numbers->len; k++)
            {
              guint n = g_array_index (numbers, guint, k);
              HeronCitation c = { 0 };

              c.number = n;
              c.claim_start = cs;
              c.claim_end = ce;
              if (n == 0 || n > n_sources)
                {
                  c.status = HERON_CITATION_REMOVED;
                  c.marker_start = c.marker_end = clean->len;
                  check->n_removed++;
                }
              else
                {
                  g_autofree char *claim = g_strndup (clean->str + cs, ce - cs);

                  c.marker_start = clean->len;
                  g_string_append_printf (clean, "[%u]", n);
                  c.marker_end = clean->len;
                  c.support = support_of (claim, source_terms->pdata[n - 1]);
                  c.status = c.support >= threshold ? HERON_CITATION_SUPPORTED
                                                    : HERON_CITATION_UNVERIFIED;
                  if (c.status == HERON_CITATION_SUPPORTED)
                    check->n_supported++;
                  else
                    check->n_unverified++;
                  any_kept = TRUE;
                }
              g_array_append_val (check->citations, c);
            }
          /* Drop the space before a marker that disappears entirely. */
          if (!any_kept && group_start > 0 && clean->str[group_start - 1] == ' ' &&
              (*end == ' ' || *end == '.' || *end == ',' || *end == '\0' || *end == '\n'))
            {
              g_string_truncate (clean, group_start - 1);
              text_end = MIN (text_end, clean->len);
              /* Earlier removed markers may have pointed at the dropped space too. */
              for (guint k = 0; k < check->citations->len; k++)
                {
                  HeronCitation *c = &g_array_index (check->citations, HeronCitation, k);

                  c->marker_start = MIN (c->marker_start, clean->len);
                  c->marker_end = MIN (c->marker_end, clean->len);
                  c->claim_start = MIN (c->claim_start, clean->len);
                  c->claim_end = MIN (c->claim_end, clean->len);
                }
              claim_start = MIN (claim_start, clean->len);
              last_claim_start = MIN (last_claim_start, clean->len);
              last_claim_end = MIN (last_claim_end, clean->len);
            }
          p = end;
          continue;
        }
      {
        gunichar c = g_utf8_get_char (p);
        const char *next = g_utf8_next_char (p);

        g_string_append_len (clean, p, next - p);
        p = next;
        if (!g_unichar_isspace (c))
          text_end = clean->len;
        if (is_sentence_end (c))
          {
            gboolean decimal = c == '.' && g_ascii_isdigit (*p) && clean->len >= 2 &&
                               g_ascii_isdigit (clean->str[clean->len - 2]);

            if (!decimal)
              {
                last_claim_start = claim_start;
                last_claim_end = clean->len;
                claim_start = clean->len;
              }
          }
      }
    }
  check->text = g_string_free (clean, FALSE);
  return check;
}

JsonNode *
heron_citation_check_to_json (const HeronCitationCheck *check)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "supported");
  json_builder_add_int_value (b, check->n_supported);
  json_builder_set_member_name (b, "unverified");
  json_builder_add_int_value (b, check->n_unverified);
  json_builder_set_member_name (b, "removed");
  json_builder_add_int_value (b, check->n_removed);
  json_builder_set_member_name (b, "citations");
  json_builder_begin_array (b);
  for (guint i = 0; i < check->citations->len; i++)
    {
      const HeronCitation *c = &g_array_index (check->citations, HeronCitation, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "number");
      json_builder_add_int_value (b, c->number);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, heron_citation_status_to_string (c->status));
      json_builder_set_member_name (b, "support");
      json_builder_add_double_value (b, c->support);
      json_builder_set_member_name (b, "marker");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, c->marker_start);
      json_builder_add_int_value (b, c->marker_end);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "claim");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, c->claim_start);
      json_builder_add_int_value (b, c->claim_end);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
