/* heron-rank.c: BM25 over CJK-aware terms, de-duplication and budget (see heron-rank.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <math.h>
#include <string.h>

#include "heron-rank.h"

#define BM25_K1 1.2
#define BM25_B  0.75

HeronPassage *
heron_passage_new (const char *text,
                   guint       n_tokens,
                   guint       source,
                   guint       ord)
{
  HeronPassage *p = g_new0 (HeronPassage, 1);

  p->text = g_strdup (text);
  p->n_tokens = n_tokens;
  p->source = source;
  p->ord = ord;
  return p;
}

void
heron_passage_free (HeronPassage *passage)
{
  if (passage == NULL)
    return;
  g_free (passage->text);
  g_free (passage);
}

void
heron_rank_params_init (HeronRankParams *params)
{
  params->budget_tokens = 1500;
  params->max_per_source = 3;
  params->max_passages = 8;
  params->duplicate_jaccard = 0.6;
  params->min_score = 0;
}

static gboolean
is_cjk (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

/* English stop words and question words: they match everything and say nothing. Chinese
 * function characters are left in: bigrams containing them are rare enough in BM25. */
static const char * const stop_words[] = {
  "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from",
  "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those",
  "what", "which", "who", "whom", "when", "where", "why", "how", "do", "does", "did", "as",
  "i", "you", "he", "she", "we", "they", "me", "my", "your", "our", "their", "his", "her",
  "can", "could", "would", "should", "will", "shall", "may", "might", "must", "has", "have",
  "had", "not", "no", "so", "if", "then", "than", "there", "here", "about", "into", "over",
  "please", "tell", "search", "find", "latest", "today", "now", "current", "s", "t", NULL
};

static gboolean
is_stop_word (const char *w)
{
  static GHashTable *set;

  if (g_once_init_enter (&set))
    {
      GHashTable *s = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; stop_words[i]; i++)
        g_hash_table_add (s, (gpointer) stop_words[i]);
      g_once_init_leave (&set, s);
    }
  return g_hash_table_contains (set, w);
}

/* Calls EMIT for each Latin word (lowercased, stop words dropped unless KEEP_STOP) and each
 * run of CJK characters. */
typedef void (*TermFunc) (const char *word, gboolean cjk, gsize n_chars, gpointer data);

static void
scan_words (const char *text,
            TermFunc    emit,
            gpointer    data)
{
  const char *p = text;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return;
  while (*p)
    {
      gunichar c = g_utf8_get_char (p);
      const char *start = p;
      gsize n = 0;

      if (is_cjk (c))
        {
          while (*p && is_cjk (g_utf8_get_char (p)))
            {
              p = g_utf8_next_char (p);
              n++;
            }
          {
            g_autofree char *run = g_strndup (start, p - start);
            emit (run, TRUE, n, data);
          }
        }
      else if (g_unichar_isalnum (c))
        {
          while (*p)
            {
              gunichar d = g_utf8_get_char (p);

              if (!(g_unichar_isalnum (d) && !is_cjk (d)))
                break;
              p = g_utf8_next_char (p);
              n++;
            }
          {
            g_autofree char *w = g_utf8_strdown (start, p - start);

            if (!is_stop_word (w))
              emit (w, FALSE, n, data);
          }
        }
      else
        p = g_utf8_next_char (p);
    }
}

static void
emit_terms (const char *word,
            gboolean    cjk,
            gsize       n_chars,
            gpointer    data)
{
  GPtrArray *out = data;

  if (!cjk || n_chars == 1)
    {
      g_ptr_array_add (out, g_strdup (word));
      return;
    }
  for (const char *p = word; *p; p = g_utf8_next_char (p))
    {
      const char *q = g_utf8_next_char (p);

      if (*q == '\0')
        break;
      g_ptr_array_add (out, g_strndup (p, g_utf8_next_char (q) - p));
    }
}

char **
heron_rank_terms (const char *text)
{
  GPtrArray *out = g_ptr_array_new ();

  scan_words (text, emit_terms, out);
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static void
emit_fts (const char *word,
          gboolean    cjk,
          gsize       n_chars,
          gpointer    data)
{
  GPtrArray *out = data;

  if (!cjk)
    {
      if (n_chars >= 3)
        g_ptr_array_add (out, g_strdup (word));
      return;
    }
  if (n_chars <= 3)
    {
      /* Trigram FTS cannot match 1-2 characters: those are left to the BM25 pass. */
      if (n_chars == 3)
        g_ptr_array_add (out, g_strdup (word));
      return;
    }
  for (const char *p = word; *p; p = g_utf8_next_char (p))
    {
      const char *q = g_utf8_next_char (p), *r;

      if (*q == '\0' || *(r = g_utf8_next_char (q)) == '\0')
        break;
      g_ptr_array_add (out, g_strndup (p, g_utf8_next_char (r) - p));
    }
}

char **
heron_rank_fts_terms (const char *text)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new ();

  scan_words (text, emit_fts, all);
  for (guint i = 0; i < all->len; i++)
    if (g_hash_table_add (seen, all->pdata[i]))
      g_ptr_array_add (out, g_strdup (all->pdata[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static GHashTable *
term_set (const char *text)
{
  g_auto(GStrv) terms = heron_rank_terms (text);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; terms[i]; i++)
    g_hash_table_add (set, g_strdup (terms[i]));
  return set;
}

static double
jaccard (GHashTable *a,
         GHashTable *b)
{
  GHashTableIter it;
  gpointer key;
  guint inter = 0, uni;

  if (g_hash_table_size (a) == 0 && g_hash_table_size (b) == 0)
    return 1;
  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (g_hash_table_contains (b, key))
      inter++;
  uni = g_hash_table_size (a) + g_hash_table_size (b) - inter;
  return uni ? (double) inter / uni : 0;
}

double
heron_rank_similarity (const char *a,
                       const char *b)
{
  g_autoptr(GHashTable) sa = term_set (a);
  g_autoptr(GHashTable) sb = term_set (b);

  return jaccard (sa, sb);
}

typedef struct
{
  GHashTable *tf;   /* term -> count */
  guint       len;  /* number of terms */
  GHashTable *set;  /* for de-duplication */
} Doc;

static gint
by_score (gconstpointer a,
          gconstpointer b)
{
  const HeronPassage *pa = *(HeronPassage * const *) a;
  const HeronPassage *pb = *(HeronPassage * const *) b;

  if (pa->score != pb->score)
    return pa->score < pb->score ? 1 : -1;
  if (pa->source != pb->source)
    return pa->source < pb->source ? -1 : 1;
  return pa->ord < pb->ord ? -1 : pa->ord > pb->ord ? 1 : 0;
}

GPtrArray *
heron_rank_passages (GPtrArray             *passages,
                     const char * const    *queries,
                     const HeronRankParams *params)
{
  HeronRankParams defaults;
  g_autoptr(GHashTable) qterms = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) df = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) qterm_store = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) per_source = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree Doc *docs = NULL;
  GPtrArray *chosen = g_ptr_array_new ();
  guint n = passages ? passages->len : 0, used = 0;
  double avg = 0;

  if (params == NULL)
    {
      heron_rank_params_init (&defaults);
      params = &defaults;
    }
  /* Query terms: the union over the question and the queries, each counted once. */
  for (guint q = 0; queries && queries[q]; q++)
    {
      char **terms = heron_rank_terms (queries[q]);

      g_ptr_array_add (qterm_store, terms);
      for (guint i = 0; terms[i]; i++)
        g_hash_table_add (qterms, terms[i]);
    }
  if (n == 0)
    return chosen;

  docs = g_new0 (Doc, n);
  for (guint i = 0; i < n; i++)
    {
      HeronPassage *p = passages->pdata[i];
      g_auto(GStrv) terms = heron_rank_terms (p->text);

      docs[i].tf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      docs[i].set = term_set (p->text);
      for (guint t = 0; terms[t]; t++)
        {
          gpointer old = g_hash_table_lookup (docs[i].tf, terms[t]);

          gpointer qkey;

          /* Document frequency, keyed by the query's own copy of the term. */
          if (old == NULL && g_hash_table_lookup_extended (qterms, terms[t], &qkey, NULL))
            g_hash_table_insert (df, qkey, GUINT_TO_POINTER (
                                 GPOINTER_TO_UINT (g_hash_table_lookup (df, qkey)) + 1));
          g_hash_table_insert (docs[i].tf, g_strdup (terms[t]), GUINT_TO_POINTER (
                               GPOINTER_TO_UINT (old) + 1));
          docs[i].len++;
        }
      avg += docs[i].len;
    }
  avg = avg / n;

  for (guint i = 0; i < n; i++)
    {
      HeronPassage *p = passages->pdata[i];
      GHashTableIter it;
      gpointer term;
      double s = 0;

      g_hash_table_iter_init (&it, qterms);
      while (g_hash_table_iter_next (&it, &term, NULL))
        {
          double tf = GPOINTER_TO_UINT (g_hash_table_lookup (docs[i].tf, term));
          double d = GPOINTER_TO_UINT (g_hash_table_lookup (df, term));
          double idf;

          if (tf == 0)
            continue;
          idf = log (1 + (n - d + 0.5) / (d + 0.5));
          s += idf * tf * (BM25_K1 + 1) /
               (tf + BM25_K1 * (1 - BM25_B + BM25_B * docs[i].len / MAX (avg, 1)));
        }
      p->score = s;
      g_ptr_array_add (order, p);
    }
  g_ptr_array_sort (order, by_score);

  for (guint k = 0; k < order->len; k++)
    {
      HeronPassage *p = order->pdata[k];
      guint i, taken;
      gboolean dup = FALSE;

      if (p->score <= params->min_score)
        break;
      if (params->max_passages && chosen->len >= params->max_passages)
        break;
      taken = GPOINTER_TO_UINT (g_hash_table_lookup (per_source, GUINT_TO_POINTER (p->source)));
      if (params->max_per_source && taken >= params->max_per_source)
        continue;
      if (params->budget_tokens && used + p->n_tokens > params->budget_tokens)
        continue;
      for (i = 0; i < n && passages->pdata[i] != p; i++)
        ;
      for (guint c = 0; c < chosen->len && !dup; c++)
        {
          guint j;

          for (j = 0; j < n && passages->pdata[j] != chosen->pdata[c]; j++)
            ;
          dup = jaccard (docs[i].set, docs[j].set) >= params->duplicate_jaccard;
        }
      if (dup)
        continue;
      g_ptr_array_add (chosen, p);
      used += p->n_tokens;
      g_hash_table_insert (per_source, GUINT_TO_POINTER (p->source),
                           GUINT_TO_POINTER (taken + 1));
    }

  for (guint i = 0; i < n; i++)
    {
      g_hash_table_unref (docs[i].tf);
      g_hash_table_unref (docs[i].set);
    }
  return chosen;
}
