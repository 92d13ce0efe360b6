/* test-markdown.c: heron_markdown_parse, the Markdown -> blocks step of the chat view.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-markdown.h"

#define BLOCK(a, i) ((HeronMdBlock *) g_ptr_array_index ((a), (i)))

static void
test_blocks (void)
{
  g_autoptr(GPtrArray) b = heron_markdown_parse (
    "# Title *x*\n\nSome **bold** and `a<b` and [link](https://e.org/?a=1&b=2).\n\n"
    "- one\n- two\n  1. nested\n\n> quoted\n\n```python\nif a < b:\n    pass\n```\n\n"
    "| h1 | h2 |\n|----|----|\n| c & d | e |\n\n---\n", -1);

  g_assert_cmpuint (b->len, ==, 9);
  g_assert_cmpint (BLOCK (b, 0)->kind, ==, HERON_MD_HEADING);
  g_assert_cmpuint (BLOCK (b, 0)->level, ==, 1);
  g_assert_cmpstr (BLOCK (b, 0)->text, ==, "Title <i>x</i>");
  g_assert_cmpint (BLOCK (b, 1)->kind, ==, HERON_MD_PARAGRAPH);
  g_assert_cmpstr (BLOCK (b, 1)->text, ==,
                   "Some <b>bold</b> and <tt>a&lt;b</tt> and "
                   "<a href=\"https://e.org/?a=1&amp;b=2\">link</a>.");
  g_assert_cmpint (BLOCK (b, 2)->kind, ==, HERON_MD_LIST_ITEM);
  g_assert_cmpstr (BLOCK (b, 2)->marker, ==, "•");
  g_assert_cmpstr (BLOCK (b, 2)->text, ==, "one");
  g_assert_cmpuint (BLOCK (b, 2)->list_depth, ==, 1);
  g_assert_cmpstr (BLOCK (b, 3)->text, ==, "two");
  g_assert_cmpstr (BLOCK (b, 4)->marker, ==, "1.");
  g_assert_cmpuint (BLOCK (b, 4)->list_depth, ==, 2);
  g_assert_cmpstr (BLOCK (b, 5)->text, ==, "quoted");
  g_assert_cmpuint (BLOCK (b, 5)->quote_depth, ==, 1);
  g_assert_cmpint (BLOCK (b, 6)->kind, ==, HERON_MD_CODE);
  g_assert_cmpstr (BLOCK (b, 6)->lang, ==, "python");
  g_assert_cmpstr (BLOCK (b, 6)->text, ==, "if a < b:\n    pass");
  g_assert_cmpint (BLOCK (b, 7)->kind, ==, HERON_MD_TABLE);
  g_assert_cmpuint (BLOCK (b, 7)->n_columns, ==, 2);
  g_assert_cmpuint (BLOCK (b, 7)->n_header_rows, ==, 1);
  g_assert_cmpuint (BLOCK (b, 7)->rows->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index ((GPtrArray *) g_ptr_array_index (BLOCK (b, 7)->rows, 1), 0),
                   ==, "c &amp; d");
  g_assert_cmpint (BLOCK (b, 8)->kind, ==, HERON_MD_RULE);
}

/* Model text is never markup: tags and entities come out as visible text. */
static void
test_escaping (void)
{
  g_autoptr(GPtrArray) b = heron_markdown_parse ("<span foreground=\"red\">x</span> &lt; \x01", -1);

  g_assert_cmpuint (b->len, ==, 1);
  g_assert_cmpstr (BLOCK (b, 0)->text, ==,
                   "&lt;span foreground=&quot;red&quot;&gt;x&lt;/span&gt; &lt; \xef\xbf\xbd");
}

/* LaTeX stays readable as written. */
static void
test_latex (void)
{
  g_autoptr(GPtrArray) b = heron_markdown_parse ("Area: $\\pi r^2$", -1);

  g_assert_cmpstr (BLOCK (b, 0)->text, ==, "Area: $\\pi r^2$");
}

/* While an answer streams, only the last block changes: earlier blocks compare equal. */
static void
test_streaming_prefix (void)
{
  const char *full = "Intro.\n\n```c\nint x;\n```\n\nAfter *this* text.";
  g_autoptr(GPtrArray) final = heron_markdown_parse (full, -1);
  gsize len = strlen (full);

  for (gsize n = 1; n <= len; n++)
    {
      g_autoptr(GPtrArray) part = heron_markdown_parse (full, n);

      /* Every complete block before the last one equals the final block. */
      for (guint i = 0; i + 1 < part->len; i++)
        if (i + 1 < final->len && BLOCK (part, i)->kind != HERON_MD_CODE)
          g_assert_true (heron_md_block_equal (BLOCK (part, i), BLOCK (final, i)));
    }
  g_assert_cmpuint (final->len, ==, 3);
}

static void
test_unterminated_and_invalid (void)
{
  g_autoptr(GPtrArray) a = heron_markdown_parse ("```\nopen fence", -1);
  g_autoptr(GPtrArray) b = heron_markdown_parse ("\xff*\xc3*", -1);
  g_autoptr(GPtrArray) c = heron_markdown_parse ("", -1);

  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpint (BLOCK (a, 0)->kind, ==, HERON_MD_CODE);
  g_assert_cmpstr (BLOCK (a, 0)->text, ==, "open fence");
  g_assert_cmpuint (b->len, ==, 1);
  g_assert_true (g_utf8_validate (BLOCK (b, 0)->text, -1, NULL));
  g_assert_cmpuint (c->len, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/ui/markdown/blocks", test_blocks);
  g_test_add_func ("/heron/ui/markdown/escaping", test_escaping);
  g_test_add_func ("/heron/ui/markdown/latex", test_latex);
  g_test_add_func ("/heron/ui/markdown/streaming-prefix", test_streaming_prefix);
  g_test_add_func ("/heron/ui/markdown/unterminated-and-invalid", test_unterminated_and_invalid);
  return g_test_run ();
}
