/* test-extract.c: main-text extraction on hand-written English and Chinese pages full of
 * boilerplate (navigation, header, footer, aside, cookie banner, comments, share bar, forms,
 * scripts), the kept structure (headings, lists, tables, code), metadata from meta tags,
 * JSON-LD and <time>, charset conversion, and the errors for empty and binary input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-extract.h"

#define LIT(s) (s), (sizeof (s) - 1)

static const char english_page[] =
  "<!DOCTYPE html><html lang=\"en\"><head>"
  "<title>Rivers of Europe | Example News</title>"
  "<meta property=\"og:title\" content=\"Rivers of Europe\">"
  "<meta property=\"og:site_name\" content=\"Example News\">"
  "<meta property=\"article:published_time\" content=\"2024-05-01T08:00:00Z\">"
  "<style>p { color: red }</style><script>var tracking = 'SCRIPTTEXT';</script></head><body>"
  "<header class=\"site-header\"><a href=\"/\">HEADERLINK Home</a></header>"
  "<nav><ul><li><a href=\"/a\">NAVLINK World</a></li><li><a href=\"/b\">NAVLINK Sport</a></li>"
  "</ul></nav>"
  "<div class=\"cookie-banner\">COOKIETEXT We use cookies to improve your experience, and "
  "by continuing you accept them, as described in our policy.</div>"
  "<div id=\"main\"><article class=\"post\">"
  "<h1>Rivers of Europe</h1>"
  "<p>The Danube flows through ten countries, more than any other river in the world, and "
  "its basin drains a fifth of the continent. It rises in the Black Forest.</p>"
  "<div class=\"share-tools\"><a href=\"/s1\">SHARETEXT Facebook</a> <a href=\"/s2\">Twitter</a>"
  "</div>"
  "<p>The Rhine, by contrast, carries more freight than any other European waterway, with "
  "barges moving coal, grain and containers between Basel and Rotterdam every day.</p>"
  "<h2>Lengths</h2>"
  "<table><tr><th>River</th><th>Length</th></tr><tr><td>Danube</td><td>2850 km</td></tr>"
  "<tr><td>Rhine</td><td>1230 km</td></tr></table>"
  "<ul><li>The Volga is the longest river in Europe, at 3530 km.</li>"
  "<li>The Loire is the longest river in France.</li></ul>"
  "<pre><code>length(danube) &gt; length(rhine)\n  == true</code></pre>"
  "<p>Both rivers have been regulated since the nineteenth century, which shortened their "
  "courses, sped up their currents and changed the wetlands along their banks for good.</p>"
  "</article></div>"
  "<aside><h3>ASIDETEXT Most read</h3><p>Something else entirely, with many words in it, so "
  "that it would score if asides were kept, which they must not be.</p></aside>"
  "<section id=\"comments\"><p>COMMENTTEXT I disagree with this article, because the Volga "
  "is much more interesting, and nobody talks about it, ever.</p></section>"
  "<form action=\"/subscribe\"><input name=\"email\"> FORMTEXT Subscribe</form>"
  "<footer>FOOTERTEXT Copyright 2024</footer>"
  "</body></html>";

static void
assert_absent (const char *text,
               const char *needle)
{
  if (strstr (text, needle) != NULL)
    g_error ("“%s” should not be in:\n%s", needle, text);
}

static void
assert_present (const char *text,
                const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("“%s” should be in:\n%s", needle, text);
}

static void
test_english (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronExtract) ex = heron_extract_html (english_page, -1,
                                                   "https://www.example.org/x", &error);
  const char *junk[] = { "SCRIPTTEXT", "HEADERLINK", "NAVLINK", "COOKIETEXT", "SHARETEXT",
                         "ASIDETEXT", "COMMENTTEXT", "FORMTEXT", "FOOTERTEXT", "color: red" };

  g_assert_no_error (error);
  g_assert_nonnull (ex);
  g_assert_cmpstr (ex->title, ==, "Rivers of Europe");
  g_assert_cmpstr (ex->site_name, ==, "Example News");
  g_assert_cmpstr (ex->published, ==, "2024-05-01T08:00:00Z");
  g_assert_cmpstr (ex->lang, ==, "en");

  for (gsize i = 0; i < G_N_ELEMENTS (junk); i++)
    assert_absent (ex->text, junk[i]);
  /* Paragraphs in order, separated by blank lines; the title heading is not repeated. */
  g_assert_true (g_str_has_prefix (ex->text, "The Danube flows through ten countries"));
  assert_present (ex->text, "Black Forest.\n\nThe Rhine, by contrast");
  assert_present (ex->text, "# Lengths");
  assert_present (ex->text, "River | Length\n\nDanube | 2850 km\n\nRhine | 1230 km");
  assert_present (ex->text, "- The Volga is the longest river in Europe, at 3530 km.");
  assert_present (ex->text, "```\nlength(danube) > length(rhine)\n  == true\n```");
  g_assert_true (g_str_has_suffix (ex->text, "along their banks for good."));
  g_assert_null (strstr (ex->text, "# Rivers of Europe"));
}

/* The same kind of page in Chinese: no spaces, full-width punctuation, paragraphs of 40-70
 * characters (shorter in characters than English, as Chinese is). A long link list of
 * navigation next to it must lose. */
static void
test_chinese (void)
{
  GString *page = g_string_new (
    "<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>长江的故事</title>"
    "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":["
    "{\"@type\":\"NewsArticle\",\"datePublished\":\"2024-03-02\",\"publisher\":"
    "{\"@type\":\"Organization\",\"name\":\"示例新闻网\"}}]}</script></head><body>"
    "<div class=\"topbar\">");
  g_autoptr(HeronExtract) ex = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  for (int i = 0; i < 30; i++)
    g_string_append_printf (page, "<a href=\"/c%d\">导航频道第%d个栏目的链接文字</a> ", i, i);
  g_string_append (page,
    "</div><div class=\"content\">"
    "<p>长江是中国第一长河，全长约六千三百公里，流经十一个省级行政区，最后在上海注入东海。</p>"
    "<p>长江流域面积约一百八十万平方公里，约占中国陆地总面积的五分之一，养育了众多人口。</p>"
    "<p>三峡工程位于长江上游，是世界上规模最大的水电站之一，兼有防洪、发电和航运的作用。</p>"
    "<p>近年来，长江经济带建设强调生态优先、绿色发展，沿江各地加强了水污染的治理工作。</p>"
    "</div><div class=\"sidebar\"><p>侧栏内容SIDEBAR不应出现在正文中，因为它只是推荐阅读。</p>"
    "</div><div class=\"footer\">版权所有FOOTER</div></body></html>");
  html = g_string_free (page, FALSE);

  ex = heron_extract_html (html, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ex->title, ==, "长江的故事");
  g_assert_cmpstr (ex->site_name, ==, "示例新闻网");
  g_assert_cmpstr (ex->published, ==, "2024-03-02");
  g_assert_true (g_str_has_prefix (ex->text, "长江是中国第一长河"));
  assert_present (ex->text, "注入东海。\n\n长江流域面积");
  g_assert_true (g_str_has_suffix (ex->text, "水污染的治理工作。"));
  assert_absent (ex->text, "导航频道");
  assert_absent (ex->text, "SIDEBAR");
  assert_absent (ex->text, "FOOTER");
}

static void
test_weight (void)
{
  g_assert_cmpfloat (heron_extract_text_weight ("ab c", -1), ==, 3);
  g_assert_cmpfloat (heron_extract_text_weight ("长江", -1), ==, 5);
  g_assert_cmpfloat (heron_extract_text_weight ("  \n", -1), ==, 0);
  g_assert_cmpfloat (heron_extract_text_weight ("a\xff" "b", 3), ==, 3);
}

static void
test_time_and_host (void)
{
  const char html[] =
    "<html><body><div><p>A paragraph long enough to be the article, with commas, clauses, "
    "and a full stop at the end of it, because that is what articles have.</p>"
    "<p>Posted <time datetime=\"2023-11-05\">5 November</time>.</p></div></body></html>";
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronExtract) ex = heron_extract_html (html, -1, "https://www.site.example/p",
                                                   &error);

  g_assert_no_error (error);
  g_assert_cmpstr (ex->published, ==, "2023-11-05");
  g_assert_cmpstr (ex->site_name, ==, "site.example");
  g_assert_null (ex->title);
  assert_present (ex->text, "Posted 5 November.");
}

/* A GBK page whose charset is only in its <meta>: bytes made with g_convert. */
static void
test_gbk_bytes (void)
{
  const char utf8[] =
    "<html><head><meta charset=\"gbk\"><title>测试</title></head><body><div>"
    "<p>这是一段用国标扩展编码保存的中文网页正文，用来检查字符集的转换是否正确无误。</p>"
    "</div></body></html>";
  g_autoptr(GError) error = NULL;
  g_autofree char *gbk = NULL;
  g_autoptr(HeronExtract) ex = NULL;
  gsize len = 0;

  gbk = g_convert (utf8, -1, "GBK", "UTF-8", NULL, &len, &error);
  g_assert_no_error (error);
  ex = heron_extract_bytes (gbk, len, "text/html", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ex->title, ==, "测试");
  g_assert_cmpstr (ex->text, ==, "这是一段用国标扩展编码保存的中文网页正文，用来检查字符集的转换是否正确无误。");
}

static void
test_plain_text (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronExtract) ex = heron_extract_bytes (LIT ("  First line.\n\nSecond 1 < 2.\n"),
                                                    NULL, "http://example.com/a.txt", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (ex->text, ==, "First line.\n\nSecond 1 < 2.");
  g_assert_cmpstr (ex->site_name, ==, "example.com");
}

static void
test_errors (void)
{
  const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
  const char ctrl[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11<p>x</p>";
  g_autoptr(GError) error = NULL;
  HeronExtract *ex;

  ex = heron_extract_html ("", -1, NULL, &error);
  g_assert_null (ex);
  g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_EMPTY);
  g_clear_error (&error);

  ex = heron_extract_bytes (LIT (" \n\t "), NULL, NULL, &error);
  g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_EMPTY);
  g_clear_error (&error);

  ex = heron_extract_bytes (png, sizeof png - 1, NULL, NULL, &error);
  g_assert_null (ex);
  g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_BINARY);
  g_assert_nonnull (strstr (error->message, "binary"));
  g_clear_error (&error);

  ex = heron_extract_html (ctrl, -1, NULL, &error);
  g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_BINARY);
  g_clear_error (&error);

  ex = heron_extract_html ("<html><body><script>x()</script><nav>a</nav></body></html>", -1,
                           NULL, &error);
  g_assert_null (ex);
  g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_NO_TEXT);
}

/* Deep nesting and unclosed tags: no crash, the text comes out. */
static void
test_deep (void)
{
  GString *s = g_string_new ("<html><body>");
  g_autoptr(HeronExtract) ex = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append (s, "<div><span>");
  g_string_append (s, "<p>deep text, deep down, at the bottom of it all.");
  html = g_string_free (s, FALSE);
  ex = heron_extract_html (html, -1, NULL, &error);
  if (ex != NULL)
    g_assert_nonnull (ex->text);
  else
    g_assert_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_NO_TEXT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/extract/english", test_english);
  g_test_add_func ("/heron/web/extract/chinese", test_chinese);
  g_test_add_func ("/heron/web/extract/weight", test_weight);
  g_test_add_func ("/heron/web/extract/time-and-host", test_time_and_host);
  g_test_add_func ("/heron/web/extract/gbk-bytes", test_gbk_bytes);
  g_test_add_func ("/heron/web/extract/plain-text", test_plain_text);
  g_test_add_func ("/heron/web/extract/errors", test_errors);
  g_test_add_func ("/heron/web/extract/deep", test_deep);
  return g_test_run ();
}
