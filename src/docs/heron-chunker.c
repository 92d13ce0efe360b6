/* heron-chunker.c: passages of about N tokens for retrieval (see heron-chunker.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-chunker.h"

void
heron_chunk_free (HeronChunk *chunk)
{
  if (chunk == NULL)
    return;
  g_free (chunk->text);
  g_free (chunk);
}

static gboolean
is_cjk (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

guint
heron_chunker_count_tokens (const char *text)
{
  guint n = 0, letters = 0, digits = 0;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return text ? (guint) (strlen (text) / 4 + 1) : 0;
  for (const char *p = text;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean letter = c != 0 && g_unichar_isalpha (c) && !is_cjk (c);
      gboolean digit = c != 0 && g_unichar_isdigit (c);

      if (!letter && letters > 0)
        {
          n += (letters + 3) / 4;
          letters = 0;
        }
      if (!digit && digits > 0)
        {
          n += (digits + 2) / 3;
          digits = 0;
        }
      if (c == 0)
        break;
      if (letter)
        letters++;
      else if (digit)
        digits++;
      else if (is_cjk (c))
        n++;
      else if (!g_unichar_isspace (c))
        n++;
    }
  return n;
}

static gboolean
is_sentence_end (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F;
}

/* Split a too-long piece at white space or between CJK characters, roughly every TARGET
 * tokens. */
static void
split_hard (const char *text,
            guint       target,
            GPtrArray  *out)
{
  const char *start = text, *p = text, *last_cut = NULL;

  while (*p)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (g_unichar_isspace (c) || is_cjk (c))
        last_cut = g_unichar_isspace (c) ? p : next;
      if (last_cut != NULL && last_cut > start)
        {
          g_autofree char *piece = g_strndup (start, next - start);

          if (heron_chunker_count_tokens (piece) >= target)
            {
              g_ptr_array_add (out, g_strstrip (g_strndup (start, last_cut - start)));
              start = last_cut;
              while (*start == ' ' || *start == '\n' || *start == '\t')
                start++;
              last_cut = NULL;
            }
        }
      p = next;
    }
  if (*start)
    g_ptr_array_add (out, g_strstrip (g_strdup (start)));
}

/* A paragraph as pieces of at most TARGET tokens (sentences packed together). */
static void
split_paragraph (const char *para,
                 guint       target,
                 GPtrArray  *out)
{
  g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  const char *start = para;

  if (heron_chunker_count_tokens (para) <= target)
    {
      g_ptr_array_add (out, g_strdup (para));
      g_string_free (cur, TRUE);
      return;
    }
  for (const char *p = para; *p; p = g_utf8_next_char (p))
    if (is_sentence_end (g_utf8_get_char (p)))
      {
        const char *end = g_utf8_next_char (p);

        g_ptr_array_add (sentences, g_strndup (start, end - start));
        start = end;
      }
  if (*start)
    g_ptr_array_add (sentences, g_strdup (start));

  for (guint i = 0; i < sentences->len; i++)
    {
      const char *s = sentences->pdata[i];
      guint ns = heron_chunker_count_tokens (s);

      if (cur->len > 0 && heron_chunker_count_tokens (cur->str) + ns > target)
        {
          g_ptr_array_add (out, g_strstrip (g_strdup (cur->str)));
          g_string_truncate (cur, 0);
        }
      if (ns > target)
        split_hard (s, target, out);
      else
        g_string_append (cur, s);
    }
  if (cur->len > 0)
    {
      g_autofree char *rest = g_strstrip (g_string_free (cur, FALSE));

      if (*rest)
        g_ptr_array_add (out, g_steal_pointer (&rest));
    }
  else
    g_string_free (cur, TRUE);
}

static HeronChunk *
chunk_new (GPtrArray *pieces,
           guint      from,
           guint      to)
{
  GString *s = g_string_new (NULL);
  HeronChunk *chunk = g_new0 (HeronChunk, 1);

  for (guint i = from; i < to; i++)
    {
      if (s->len > 0)
        g_string_append (s, "\n\n");
      g_string_append (s, pieces->pdata[i]);
    }
  chunk->text = g_string_free (s, FALSE);
  chunk->n_tokens = heron_chunker_count_tokens (chunk->text);
  return chunk;
}

GPtrArray *
heron_chunker_split (const char *text,
                     guint       target,
                     guint       overlap)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_chunk_free);
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) paras = NULL;
  g_autofree guint *tokens = NULL;
  guint from = 0;

  if (text == NULL)
    return chunks;
  target = MAX (target, 16);
  overlap = MIN (overlap, target / 2);
  paras = g_strsplit (text, "\n\n", -1);
  for (guint i = 0; paras[i] != NULL; i++)
    {
      g_strstrip (paras[i]);
      if (*paras[i])
        split_paragraph (paras[i], target, pieces);
    }
  if (pieces->len == 0)
    return chunks;
  tokens = g_new (guint, pieces->len);
  for (guint i = 0; i < pieces->len; i++)
    tokens[i] = heron_chunker_count_tokens (pieces->pdata[i]);

  while (from < pieces->len)
    {
      guint to = from, sum = 0, back, osum;

      while (to < pieces->len && (to == from || sum + tokens[to] <= target))
        sum += tokens[to++];
      g_ptr_array_add (chunks, chunk_new (pieces, from, to));
      if (to >= pieces->len)
        break;
      /* Overlap: carry the last pieces (within OVERLAP tokens) into the next passage, but
       * always move forward. */
      back = to;
      osum = 0;
      while (back > from + 1 && osum + tokens[back - 1] <= overlap)
        osum += tokens[--back];
      from = back;
    }
  return chunks;
}
