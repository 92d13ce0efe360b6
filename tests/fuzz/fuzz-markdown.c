/* fuzz-markdown.c: heron_markdown_parse on arbitrary bytes, and heron_markdown_parse_cited
 * with citation ranges taken from the first bytes (as a damaged sources_json could give
 * them: anywhere, inside characters, overlapping). Every markup string it makes must be
 * well-formed markup using only the tags the chat view allows, so no model text can ever be
 * read as Pango markup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heron-markdown.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
start_element (GMarkupParseContext *context,
               const char          *name,
               const char         **attribute_names,
               const char         **attribute_values,
               gpointer             user_data,
               GError             **error)
{
  static const char *allowed[] = { "root", "i", "b", "tt", "s", "u", "a", "span", NULL };
  gboolean cited = GPOINTER_TO_INT (user_data);

  g_assert (g_strv_contains (allowed, name));
  if (g_str_equal (name, "a"))
    {
      g_assert (attribute_names[0] != NULL && g_str_equal (attribute_names[0], "href"));
      /* Only citation links carry a title, the caller's text. */
      if (attribute_names[1] != NULL)
        g_assert (cited && g_str_equal (attribute_names[1], "title")
                  && g_str_equal (attribute_values[1], "<t&\"i'>")
                  && g_str_has_prefix (attribute_values[0], HERON_MD_CITE_SCHEME ":")
                  && attribute_names[2] == NULL);
    }
  else if (g_str_equal (name, "span"))
    /* Only the unverified mark, only with citations. */
    g_assert (cited && attribute_names[0] != NULL
              && g_str_equal (attribute_names[0], "underline")
              && g_str_equal (attribute_values[0], "error")
              && attribute_names[1] != NULL
              && g_str_equal (attribute_names[1], "underline_color")
              && attribute_names[2] == NULL);
  else
    g_assert (attribute_names[0] == NULL);
}

static void
check_markup (const char *markup,
              gboolean    cited)
{
  GMarkupParser parser = { .start_element = start_element };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *doc = g_strconcat ("<root>", markup, "</root>", NULL);
  g_autoptr(GError) error = NULL;

  g_assert (g_utf8_validate (markup, -1, NULL));
  context = g_markup_parse_context_new (&parser, 0, GINT_TO_POINTER (cited), NULL);
  if (!g_markup_parse_context_parse (context, doc, -1, &error)
      || !g_markup_parse_context_end_parse (context, &error))
    {
      /* abort(), not g_error(): libFuzzer catches SIGABRT, not the SIGTRAP of g_error. */
      g_printerr ("bad markup %s: %s\n", markup, error->message);
      abort ();
    }
}

static void
check_blocks (GPtrArray *blocks,
              gboolean   cited)
{
  for (guint i = 0; i < blocks->len; i++)
    {
      HeronMdBlock *b = g_ptr_array_index (blocks, i);

      g_assert (b->text != NULL);
      g_assert (g_utf8_validate (b->text, -1, NULL));
      if (b->kind != HERON_MD_CODE)
        check_markup (b->text, cited);
      if (b->marker != NULL)
        g_assert (b->kind == HERON_MD_LIST_ITEM);
      if (b->rows != NULL)
        for (guint r = 0; r < b->rows->len; r++)
          {
            GPtrArray *row = g_ptr_array_index (b->rows, r);

            for (guint c = 0; c < row->len; c++)
              check_markup (g_ptr_array_index (row, c), cited);
          }
      g_assert (heron_md_block_equal (b, b));
    }
}

/* Up to 4 ranges of each kind from the first bytes: offsets near the text's start, where
 * short inputs have their characters. */
static void
cited_parse (const uint8_t *data,
             size_t         size)
{
  HeronMdRange ranges[3][4];
  guint n[3] = { 0, 0, 0 };
  HeronMdCitations c = { 0 };
  g_autoptr(GPtrArray) blocks = NULL;
  size_t p = 1;

  if (size < 1)
    return;
  for (guint k = 0; k < 3; k++)
    for (guint i = 0; i < (guint) (data[0] >> (2 * k) & 3) && p + 1 < size; i++, p += 2)
      {
        ranges[k][n[k]].start = data[p];
        ranges[k][n[k]].end = (gsize) data[p] + data[p + 1] % 64;
        n[k]++;
      }
  c.n_sources = data[0] >> 6;
  c.checked = data[0] & 1;
  c.markers = ranges[0];
  c.n_markers = n[0];
  c.unverified = ranges[1];
  c.n_unverified = n[1];
  c.unverified_markers = ranges[2];
  c.n_unverified_markers = n[2];
  c.unverified_title = "<t&\"i'>";
  blocks = heron_markdown_parse_cited ((const char *) data + p, size - p, &c);
  check_blocks (blocks, TRUE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) blocks = heron_markdown_parse ((const char *) data, size);
  g_autoptr(GPtrArray) again = NULL;

  check_blocks (blocks, FALSE);
  cited_parse (data, size);

  /* Deterministic: the incremental view relies on equal text giving equal blocks. */
  again = heron_markdown_parse ((const char *) data, size);
  g_assert_cmpuint (again->len, ==, blocks->len);
  for (guint i = 0; i < blocks->len; i++)
    g_assert (heron_md_block_equal (g_ptr_array_index (blocks, i), g_ptr_array_index (again, i)));
  return 0;
}
