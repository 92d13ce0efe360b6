/* fuzz-markdown.c: heron_markdown_parse on arbitrary bytes. Every markup string it makes
 * must be well-formed markup using only the tags the chat view allows, so no model text
 * can ever be read as Pango markup.
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
  static const char *allowed[] = { "root", "i", "b", "tt", "s", "u", "a", NULL };

  g_assert (g_strv_contains (allowed, name));
  if (g_str_equal (name, "a"))
    g_assert (attribute_names[0] != NULL && g_str_equal (attribute_names[0], "href")
              && attribute_names[1] == NULL);
  else
    g_assert (attribute_names[0] == NULL);
}

static void
check_markup (const char *markup)
{
  GMarkupParser parser = { .start_element = start_element };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *doc = g_strconcat ("<root>", markup, "</root>", NULL);
  g_autoptr(GError) error = NULL;

  g_assert (g_utf8_validate (markup, -1, NULL));
  context = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  if (!g_markup_parse_context_parse (context, doc, -1, &error)
      || !g_markup_parse_context_end_parse (context, &error))
    {
      /* abort(), not g_error(): libFuzzer catches SIGABRT, not the SIGTRAP of g_error. */
      g_printerr ("bad markup %s: %s\n", markup, error->message);
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) blocks = heron_markdown_parse ((const char *) data, size);
  g_autoptr(GPtrArray) again = NULL;

  for (guint i = 0; i < blocks->len; i++)
    {
      HeronMdBlock *b = g_ptr_array_index (blocks, i);

      g_assert (b->text != NULL);
      g_assert (g_utf8_validate (b->text, -1, NULL));
      if (b->kind != HERON_MD_CODE)
        check_markup (b->text);
      if (b->marker != NULL)
        g_assert (b->kind == HERON_MD_LIST_ITEM);
      if (b->rows != NULL)
        for (guint r = 0; r < b->rows->len; r++)
          {
            GPtrArray *row = g_ptr_array_index (b->rows, r);

            for (guint c = 0; c < row->len; c++)
              check_markup (g_ptr_array_index (row, c));
          }
      g_assert (heron_md_block_equal (b, b));
    }

  /* Deterministic: the incremental view relies on equal text giving equal blocks. */
  again = heron_markdown_parse ((const char *) data, size);
  g_assert_cmpuint (again->len, ==, blocks->len);
  for (guint i = 0; i < blocks->len; i++)
    g_assert (heron_md_block_equal (g_ptr_array_index (blocks, i), g_ptr_array_index (again, i)));
  return 0;
}
