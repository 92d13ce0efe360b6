/* test-citations.c: the citation check on answers written for the purpose: supported and
 * unsupported claims (English and Chinese), numbers pointing to no source, grouped markers,
 * markers after the full stop, offsets of spans, and the JSON form.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-citations.h"

static const char *sources[] = {
  "The Danube flows through ten countries and drains a fifth of Europe.",
  "The Rhine carries more freight than any other European river.",
  "长江全长约六千三百公里，是中国第一长河。",
};

static const HeronCitation *
cit (const HeronCitationCheck *c,
     guint                     i)
{
  g_assert_cmpuint (i, <, c->citations->len);
  return &g_array_index (c->citations, HeronCitation, i);
}

static char *
span (const char *text,
      gsize       start,
      gsize       end)
{
  return g_strndup (text + start, end - start);
}

static void
test_supported_and_unverified (void)
{
  const char *answer =
    "The Danube flows through ten countries [1]. The Rhine carries the most freight [2]. "
    "The Danube is famous for its chocolate factories and penguins [1].";
  g_autoptr(HeronCitationCheck) c = heron_citations_check (answer, sources, 3,
                                                           HERON_CITATION_DEFAULT_THRESHOLD);
  g_autofree char *claim0 = NULL, *claim2 = NULL, *marker1 = NULL;

  g_assert_cmpstr (c->text, ==, answer);
  g_assert_cmpuint (c->citations->len, ==, 3);
  g_assert_cmpuint (c->n_supported, ==, 2);
  g_assert_cmpuint (c->n_unverified, ==, 1);
  g_assert_cmpuint (c->n_removed, ==, 0);
  g_assert_cmpint (cit (c, 0)->status, ==, HERON_CITATION_SUPPORTED);
  g_assert_cmpint (cit (c, 1)->status, ==, HERON_CITATION_SUPPORTED);
  g_assert_cmpint (cit (c, 2)->status, ==, HERON_CITATION_UNVERIFIED);
  claim0 = span (c->text, cit (c, 0)->claim_start, cit (c, 0)->claim_end);
  g_assert_cmpstr (claim0, ==, "The Danube flows through ten countries");
  /* danube, flows, ten, countries: all four in source 1 */
  g_assert_cmpfloat (cit (c, 0)->support, ==, 1.0);
  marker1 = span (c->text, cit (c, 1)->marker_start, cit (c, 1)->marker_end);
  g_assert_cmpstr (marker1, ==, "[2]");
  claim2 = span (c->text, cit (c, 2)->claim_start, cit (c, 2)->claim_end);
  g_assert_cmpstr (claim2, ==, " The Danube is famous for its chocolate factories and penguins");
  /* danube, famous, chocolate, factories, penguins: 1 of 5 */
  g_assert_cmpfloat_with_epsilon (cit (c, 2)->support, 0.2, 1e-9);
}

static void
test_removed (void)
{
  const char *answer = "The Rhine carries freight [2][7]. Nothing is known [9]. Zero [0], ok.";
  g_autoptr(HeronCitationCheck) c = heron_citations_check (answer, sources, 3, 0.4);

  g_assert_cmpstr (c->text, ==, "The Rhine carries freight [2]. Nothing is known. Zero, ok.");
  g_assert_cmpuint (c->n_removed, ==, 3);
  g_assert_cmpuint (c->n_supported, ==, 1);
  g_assert_cmpuint (cit (c, 1)->number, ==, 7);
  g_assert_cmpint (cit (c, 1)->status, ==, HERON_CITATION_REMOVED);
  g_assert_cmpuint (cit (c, 1)->marker_start, ==, cit (c, 1)->marker_end);
  g_assert_cmpuint (cit (c, 2)->marker_start, ==, strlen ("The Rhine carries freight [2]. "
                                                          "Nothing is known"));
}

static void
test_grouped_and_after_stop (void)
{
  const char *answer = "Both rivers carry freight through Europe [1, 2]. "
                       "The Danube drains a fifth of Europe. [1]";
  g_autoptr(HeronCitationCheck) c = heron_citations_check (answer, sources, 3, 0.4);
  g_autofree char *claim = NULL;

  g_assert_cmpstr (c->text, ==, "Both rivers carry freight through Europe [1][2]. "
                                "The Danube drains a fifth of Europe. [1]");
  g_assert_cmpuint (c->citations->len, ==, 3);
  g_assert_cmpuint (cit (c, 0)->number, ==, 1);
  g_assert_cmpuint (cit (c, 1)->number, ==, 2);
  /* A marker after the full stop belongs to the sentence before it. */
  claim = span (c->text, cit (c, 2)->claim_start, cit (c, 2)->claim_end);
  g_assert_cmpstr (claim, ==, " The Danube drains a fifth of Europe.");
  g_assert_cmpint (cit (c, 2)->status, ==, HERON_CITATION_SUPPORTED);
}

static void
test_chinese (void)
{
  const char *answer = "长江全长约六千三百公里[3]。长江里生活着大量的企鹅和北极熊[3]。";
  g_autoptr(HeronCitationCheck) c = heron_citations_check (answer, sources, 3, 0.4);

  g_assert_cmpuint (c->citations->len, ==, 2);
  g_assert_cmpint (cit (c, 0)->status, ==, HERON_CITATION_SUPPORTED);
  g_assert_cmpfloat (cit (c, 0)->support, ==, 1.0);
  g_assert_cmpint (cit (c, 1)->status, ==, HERON_CITATION_UNVERIFIED);
}

static void
test_not_markers (void)
{
  const char *answer = "Arrays use a[i] and [x] and [12345] and [1 and [], [3";
  g_autoptr(HeronCitationCheck) c = heron_citations_check (answer, sources, 3, 0.4);

  g_assert_cmpstr (c->text, ==, answer);
  g_assert_cmpuint (c->citations->len, ==, 0);
  g_clear_pointer (&c, heron_citation_check_free);
  c = heron_citations_check ("", NULL, 0, 0.4);
  g_assert_cmpstr (c->text, ==, "");
  g_clear_pointer (&c, heron_citation_check_free);
  c = heron_citations_check ("All wrong [1].", NULL, 0, 0.4);
  g_assert_cmpstr (c->text, ==, "All wrong.");
  g_assert_cmpuint (c->n_removed, ==, 1);
}

static void
test_json (void)
{
  g_autoptr(HeronCitationCheck) c = heron_citations_check ("The Rhine carries freight [2] [5].",
                                                           sources, 3, 0.4);
  g_autoptr(JsonNode) node = heron_citation_check_to_json (c);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *s = NULL;

  json_generator_set_root (gen, node);
  s = json_generator_to_data (gen, NULL);
  g_assert_cmpstr (s, ==,
                   "{\"supported\":1,\"unverified\":0,\"removed\":1,\"citations\":["
                   "{\"number\":2,\"status\":\"supported\",\"support\":1.0,\"marker\":[26,29],"
                   "\"claim\":[0,25]},"
                   "{\"number\":5,\"status\":\"removed\",\"support\":0.0,\"marker\":[29,29],"
                   "\"claim\":[0,25]}]}");
  g_assert_cmpstr (c->text, ==, "The Rhine carries freight [2].");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/citations/supported-and-unverified",
                   test_supported_and_unverified);
  g_test_add_func ("/heron/web/citations/removed", test_removed);
  g_test_add_func ("/heron/web/citations/grouped-and-after-stop", test_grouped_and_after_stop);
  g_test_add_func ("/heron/web/citations/chinese", test_chinese);
  g_test_add_func ("/heron/web/citations/not-markers", test_not_markers);
  g_test_add_func ("/heron/web/citations/json", test_json);
  return g_test_run ();
}
