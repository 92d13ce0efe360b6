/* test-rank.c: passages (chunker), CJK-aware terms, BM25 ranking against hand-computed
 * expectations, near-duplicate removal, per-source cap and token budget.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "heron-chunker.h"
#include "heron-rank.h"

static void
test_count_tokens (void)
{
  g_assert_cmpuint (heron_chunker_count_tokens (""), ==, 0);
  /* "the"=1, "quick"=2, "fox"=1, "."=1 */
  g_assert_cmpuint (heron_chunker_count_tokens ("the quick fox."), ==, 5);
  /* 4 CJK characters + 1 full-width full stop */
  g_assert_cmpuint (heron_chunker_count_tokens ("长江很长。"), ==, 5);
  g_assert_cmpuint (heron_chunker_count_tokens ("2024"), ==, 2);
}

static void
test_chunker (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr(GPtrArray) chunks = NULL;
  guint n_paras = 40;

  /* 40 paragraphs of 9 tokens each ("Paragraph" = 3, "N" = 1, "says" = 1, "hello" = 2,
   * "world" = 2) */
  for (guint i = 0; i < n_paras; i++)
    g_string_append_printf (text, "%sParagraph %c says hello world", i ? "\n\n" : "",
                            'a' + (i % 26));
  chunks = heron_chunker_split (text->str, 50, 10);
  g_string_free (text, TRUE);

  g_assert_cmpuint (chunks->len, >, 1);
  for (guint i = 0; i < chunks->len; i++)
    {
      HeronChunk *c = chunks->pdata[i];

      g_assert_cmpuint (c->n_tokens, <=, 50);
      g_assert_cmpuint (c->n_tokens, ==, heron_chunker_count_tokens (c->text));
      /* Paragraph boundaries kept: every passage starts with a paragraph. */
      g_assert_true (g_str_has_prefix (c->text, "Paragraph "));
      g_assert_true (g_str_has_suffix (c->text, "hello world"));
      if (i > 0)
        {
          /* Overlap: the previous passage's last paragraph opens this one. */
          HeronChunk *prev = chunks->pdata[i - 1];
          const char *last = g_strrstr (prev->text, "Paragraph ");

          g_assert_true (g_str_has_prefix (c->text, last));
        }
    }
}

static void
test_chunker_long_cjk (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GString) joined = g_string_new (NULL);

  /* One paragraph of 100 sentences of 10 CJK characters + "。" (11 tokens each). */
  for (guint i = 0; i < 100; i++)
    g_string_append (text, "长江是中国第一长河流。");
  chunks = heron_chunker_split (text->str, 100, 0);
  g_assert_cmpuint (chunks->len, ==, 12);  /* 9 sentences (99 tokens) per passage */
  for (guint i = 0; i < chunks->len; i++)
    {
      HeronChunk *c = chunks->pdata[i];

      g_assert_cmpuint (c->n_tokens, <=, 100);
      g_assert_true (g_str_has_suffix (c->text, "。"));
      g_string_append (joined, c->text);
    }
  g_assert_cmpstr (joined->str, ==, text->str);
  g_string_free (text, TRUE);

  /* No sentence ends at all: cut anyway. */
  text = g_string_new (NULL);
  for (guint i = 0; i < 1000; i++)
    g_string_append (text, "word ");
  g_ptr_array_unref (chunks);
  chunks = heron_chunker_split (text->str, 100, 0);
  g_assert_cmpuint (chunks->len, >=, 10);
  for (guint i = 0; i < chunks->len; i++)
    g_assert_cmpuint (((HeronChunk *) chunks->pdata[i])->n_tokens, <=, 101);
  g_string_free (text, TRUE);
}

static void
test_terms (void)
{
  g_auto(GStrv) en = heron_rank_terms ("What is the Length of the Rhine?");
  g_auto(GStrv) zh = heron_rank_terms ("长江有多长？B");
  g_auto(GStrv) fts = heron_rank_fts_terms ("长江有多长 of Rhine is 三峡");
  const char *en_expect[] = { "length", "rhine", NULL };
  const char *zh_expect[] = { "长江", "江有", "有多", "多长", "b", NULL };
  const char *fts_expect[] = { "长江有", "江有多", "有多长", "rhine", "三峡", NULL };

  g_assert_cmpstrv (en, en_expect);
  g_assert_cmpstrv (zh, zh_expect);
  /* "三峡" is too short for trigram FTS: left out. */
  fts_expect[4] = NULL;
  g_assert_cmpstrv (fts, fts_expect);
}

static GPtrArray *
passages_of (const char * const *texts,
             const guint        *sources)
{
  GPtrArray *ps = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_passage_free);

  for (guint i = 0; texts[i]; i++)
    g_ptr_array_add (ps, heron_passage_new (texts[i], heron_chunker_count_tokens (texts[i]),
                                            sources[i], i));
  return ps;
}

/* BM25 against a value computed by hand for a two-passage corpus. */
static void
test_bm25_value (void)
{
  const char *texts[] = { "rhine rhine barge", "danube delta", NULL };
  const guint sources[] = { 0, 1 };
  const char *queries[] = { "rhine", NULL };
  g_autoptr(GPtrArray) ps = passages_of (texts, sources);
  g_autoptr(GPtrArray) chosen = heron_rank_passages (ps, queries, NULL);
  /* n=2, df=1: idf = ln(1 + 1.5/1.5) = ln 2; tf=2, len=3, avg=2.5 */
  double expect = log (2) * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 2.5));

  g_assert_cmpuint (chosen->len, ==, 1);
  g_assert_true (chosen->pdata[0] == ps->pdata[0]);
  g_assert_cmpfloat_with_epsilon (((HeronPassage *) ps->pdata[0])->score, expect, 1e-9);
  g_assert_cmpfloat (((HeronPassage *) ps->pdata[1])->score, ==, 0);
}

static void
test_chinese_question (void)
{
  const char *texts[] = {
    "The Yangtze is the longest river in Asia and flows into the East China Sea.",
    "黄河是中国第二长河，发源于青藏高原，流经九个省区。",
    "长江全长约六千三百公里，是中国第一长河，也是亚洲最长的河流。",
    "上海是中国的经济中心，人口超过两千万。",
    NULL
  };
  const guint sources[] = { 0, 1, 2, 3 };
  const char *queries[] = { "长江有多长？", "长江 长度", NULL };
  g_autoptr(GPtrArray) ps = passages_of (texts, sources);
  g_autoptr(GPtrArray) chosen = heron_rank_passages (ps, queries, NULL);

  g_assert_cmpuint (chosen->len, >=, 1);
  g_assert_true (chosen->pdata[0] == ps->pdata[2]);
  /* No other passage shares a bigram with the question or the queries (the English one
   * says the same, but in other terms): only one comes back. */
  g_assert_cmpuint (chosen->len, ==, 1);
}

static void
test_dedup_cap_budget (void)
{
  const char *texts[] = {
    "The Rhine carries barges between Basel and Rotterdam every day of the year.",
    "The Rhine carries barges between Basel and Rotterdam every day of the week.",
    "Rhine barges carry coal.",
    "Rhine shipping grew after 1850.",
    "Rhine floods are frequent in spring.",
    NULL
  };
  const guint sources[] = { 0, 1, 2, 2, 2 };
  const char *queries[] = { "Rhine barges Rotterdam", NULL };
  g_autoptr(GPtrArray) ps = passages_of (texts, sources);
  g_autoptr(GPtrArray) chosen = NULL;
  HeronRankParams params;

  heron_rank_params_init (&params);
  params.max_per_source = 2;
  chosen = heron_rank_passages (ps, queries, &params);
  /* The near-copy (source 1) goes; source 2 gives two passages at most. */
  g_assert_cmpuint (chosen->len, ==, 3);
  for (guint i = 0; i < chosen->len; i++)
    g_assert_true (chosen->pdata[i] != ps->pdata[1]);
  g_assert_true (chosen->pdata[0] == ps->pdata[0]);
  g_assert_true (chosen->pdata[1] == ps->pdata[2]);
  for (guint i = 1; i < chosen->len; i++)
    g_assert_cmpfloat (((HeronPassage *) chosen->pdata[i - 1])->score, >=,
                       ((HeronPassage *) chosen->pdata[i])->score);
  g_clear_pointer (&chosen, g_ptr_array_unref);

  /* A budget that fits only the first passage and one short one. */
  params.budget_tokens = ((HeronPassage *) ps->pdata[0])->n_tokens +
                         ((HeronPassage *) ps->pdata[2])->n_tokens;
  chosen = heron_rank_passages (ps, queries, &params);
  g_assert_cmpuint (chosen->len, ==, 2);
  g_assert_cmpfloat (heron_rank_similarity (texts[0], texts[1]), >, 0.6);
  g_assert_cmpfloat (heron_rank_similarity (texts[0], texts[4]), <, 0.2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/rank/count-tokens", test_count_tokens);
  g_test_add_func ("/heron/web/rank/chunker", test_chunker);
  g_test_add_func ("/heron/web/rank/chunker-long-cjk", test_chunker_long_cjk);
  g_test_add_func ("/heron/web/rank/terms", test_terms);
  g_test_add_func ("/heron/web/rank/bm25-value", test_bm25_value);
  g_test_add_func ("/heron/web/rank/chinese-question", test_chinese_question);
  g_test_add_func ("/heron/web/rank/dedup-cap-budget", test_dedup_cap_budget);
  return g_test_run ();
}
