/* test-sse.c: the incremental SSE parser, fed whole, at every split point, byte by byte, with
 * every line ending, comments, keep-alives, BOM, ids, unfinished events and long lines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-sse.h"

/* Events rendered as "event|data|id\n" (id "-" when none): an independent record. */
static void
collect (const char *event, const char *data, const char *id, gpointer user_data)
{
  g_string_append_printf (user_data, "%s|%s|%s\n", event, data, id ? id : "-");
}

static char *
parse_chunks (const char *text, gsize len, const gsize *cuts, guint n_cuts)
{
  GString *out = g_string_new (NULL);
  g_autoptr(HeronSseParser) p = heron_sse_parser_new (collect, out);
  gsize pos = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;
      g_assert_true (heron_sse_parser_feed (p, text + pos, end - pos));
      pos = end;
    }
  heron_sse_parser_end (p);
  return g_string_free (out, FALSE);
}

/* A recorded DeepSeek-style stream (reasoning, content, usage, [DONE]) with a comment. */
static const char recorded[] =
  ": keep-alive\n\n"
  "data: {\"id\":\"1\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":"
  "{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"想\"}}]}\n\n"
  "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello, \"}}]}\n\n"
  "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"world 🌍\"},"
  "\"finish_reason\":\"stop\"}]}\n\n"
  "data: {\"id\":\"1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n"
  "data: [DONE]\n\n";

static void
test_whole (void)
{
  g_autofree char *out = parse_chunks (recorded, strlen (recorded), NULL, 0);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  g_assert_cmpuint (g_strv_length (lines), ==, 6);   /* 5 events + trailing "" */
  g_assert_true (g_str_has_prefix (lines[0], "message|{\"id\":\"1\",\"model\""));
  g_assert_cmpstr (lines[4], ==, "message|[DONE]|-");
}

static void
test_every_split (void)
{
  gsize len = strlen (recorded);
  g_autofree char *whole = parse_chunks (recorded, len, NULL, 0);

  /* One cut anywhere, then two cuts at every pair a few bytes apart. */
  for (gsize i = 0; i <= len; i++)
    {
      g_autofree char *out = parse_chunks (recorded, len, &i, 1);
      g_assert_cmpstr (out, ==, whole);
    }
  for (gsize i = 0; i <= len; i++)
    for (gsize d = 1; d < 4 && i + d <= len; d++)
      {
        gsize cuts[2] = { i, i + d };
        g_autofree char *out = parse_chunks (recorded, len, cuts, 2);
        g_assert_cmpstr (out, ==, whole);
      }
  {
    g_autofree gsize *cuts = g_new (gsize, len);
    g_autofree char *out = NULL;

    for (gsize i = 0; i < len; i++)
      cuts[i] = i;
    out = parse_chunks (recorded, len, cuts, (guint) len);
    g_assert_cmpstr (out, ==, whole);
  }
}

static void
test_line_endings (void)
{
  const char *lf = "event: a\ndata: x\ndata: y\nid: 7\n\ndata:z\n\n";
  const char *crlf = "event: a\r\ndata: x\r\ndata: y\r\nid: 7\r\n\r\ndata:z\r\n\r\n";
  const char *cr = "event: a\rdata: x\rdata: y\rid: 7\r\rdata:z\r\r";
  const char *expect = "a|x\ny|7\nmessage|z|7\n";

  for (guint k = 0; k < 3; k++)
    {
      const char *s = k == 0 ? lf : k == 1 ? crlf : cr;
      gsize len = strlen (s);

      for (gsize i = 0; i <= len; i++)
        {
          g_autofree char *out = parse_chunks (s, len, &i, 1);
          g_assert_cmpstr (out, ==, expect);
        }
    }
}

static void
test_fields (void)
{
  /* BOM once at the start; comments and blank keep-alives make no event; "data" without a
   * colon is an empty data line; unknown fields and retry are ignored; only one space after
   * the colon is stripped. */
  const char *s = "\xEF\xBB\xBF" ": hello\n\n\n\ndata\n\nretry: 10\nfoo: bar\ndata:  two\n\n"
                  "data: [DONE]\n\n";
  g_autofree char *out = parse_chunks (s, strlen (s), NULL, 0);
  g_autoptr(HeronSseParser) p = heron_sse_parser_new (NULL, NULL);

  g_assert_cmpstr (out, ==, "message||-\nmessage| two|-\nmessage|[DONE]|-\n");
  g_assert_true (heron_sse_parser_feed (p, s, strlen (s)));
  g_assert_cmpuint (heron_sse_parser_get_n_comments (p), ==, 1);
  g_assert_false (heron_sse_parser_end (p));
}

static void
test_unfinished (void)
{
  GString *out = g_string_new (NULL);
  g_autoptr(HeronSseParser) p = heron_sse_parser_new (collect, out);
  const char *s = "data: a\n\ndata: half";

  g_assert_true (heron_sse_parser_feed (p, s, strlen (s)));
  g_assert_true (heron_sse_parser_end (p));   /* the unfinished event is dropped */
  g_assert_cmpstr (out->str, ==, "message|a|-\n");
  g_string_free (out, TRUE);
}

static void
test_long_line (void)
{
  g_autoptr(HeronSseParser) p = heron_sse_parser_new (NULL, NULL);
  gsize n = 1024 * 1024;
  g_autofree char *block = g_malloc (n);
  gboolean ok = TRUE;

  memset (block, 'x', n);
  for (guint i = 0; i < 9 && ok; i++)
    ok = heron_sse_parser_feed (p, block, n);
  g_assert_false (ok);
  g_assert_false (heron_sse_parser_feed (p, "\n\n", 2));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/assist/sse/whole", test_whole);
  g_test_add_func ("/heron/assist/sse/every-split", test_every_split);
  g_test_add_func ("/heron/assist/sse/line-endings", test_line_endings);
  g_test_add_func ("/heron/assist/sse/fields", test_fields);
  g_test_add_func ("/heron/assist/sse/unfinished", test_unfinished);
  g_test_add_func ("/heron/assist/sse/long-line", test_long_line);
  return g_test_run ();
}
