/* test-charset.c: charset sniffing (header, <meta>, XML declaration, BOM, guess) and the
 * conversion to valid UTF-8, against texts converted independently with g_convert().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "heron-charset.h"

/* A literal and its length without the final NUL (literals may hold NULs). */
#define LIT(s) (s), (sizeof (s) - 1)

static void
test_content_type (void)
{
  const struct { const char *in; const char *out; } cases[] = {
    { "text/html; charset=GBK", "gbk" },
    { "text/html;charset=\"utf-8\"", "utf-8" },
    { "text/html; Charset = big5 ; foo=bar", "big5" },
    { "text/html", NULL },
    { "", NULL },
    { NULL, NULL },
    { "text/html; charset=", NULL },
    { "text/html; charset=<script>", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = heron_charset_from_content_type (cases[i].in);
      g_assert_cmpstr (label, ==, cases[i].out);
    }
}

static void
test_markup (void)
{
  g_autofree char *late = NULL;
  const struct { const char *in; const char *out; } cases[] = {
    { "<html><head><meta charset=\"gb2312\"></head>", "gb2312" },
    { "<html><head><meta charset=utf-8/></head>", "utf-8" },
    { "<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Big5\">",
      "big5" },
    { "<?xml version=\"1.0\" encoding='ISO-8859-1'?><html/>", "iso-8859-1" },
    { "<meta name=\"description\" content=\"charset=koi8-r is old\"><p>x</p>", NULL },
    { "<meta name=\"description\" content=\"x\"><meta charset=\"windows-1251\">",
      "windows-1251" },
    { "<p>no declaration</p>", NULL },
    { "<meta charset", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = heron_charset_from_markup (cases[i].in, strlen (cases[i].in));
      g_assert_cmpstr (label, ==, cases[i].out);
    }

  /* Only the first 4 KiB are looked at, as browsers do (1 KiB there; 4 is lenient). */
  {
    g_autofree char *spaces = g_strnfill (5000, ' ');
    late = g_strdup_printf ("%s<meta charset=\"gbk\">", spaces);
  }
  {
    g_autofree char *label = heron_charset_from_markup (late, strlen (late));
    g_assert_null (label);
  }
}

static void
test_normalize (void)
{
  g_assert_cmpstr (heron_charset_normalize ("GB2312"), ==, "GB18030");
  g_assert_cmpstr (heron_charset_normalize ("gbk"), ==, "GB18030");
  g_assert_cmpstr (heron_charset_normalize ("big5"), ==, "BIG5-HKSCS");
  g_assert_cmpstr (heron_charset_normalize ("ISO-8859-1"), ==, "WINDOWS-1252");
  g_assert_cmpstr (heron_charset_normalize ("UTF8"), ==, "UTF-8");
  g_assert_null (heron_charset_normalize ("x-unknown"));
  g_assert_null (heron_charset_normalize (NULL));
}

static char *
encode (const char *utf8,
        const char *charset,
        gsize      *len)
{
  g_autoptr(GError) error = NULL;
  char *out = g_convert (utf8, -1, charset, "UTF-8", NULL, len, &error);

  g_assert_no_error (error);
  return out;
}

static void
check_decode (const char         *bytes,
              gsize               len,
              const char         *content_type,
              const char         *expected,
              const char         *expected_charset,
              HeronCharsetSource  expected_source)
{
  g_autofree char *charset = NULL;
  HeronCharsetSource source;
  g_autofree char *text = heron_charset_decode (bytes, len, content_type, &charset, &source);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==, expected);
  g_assert_cmpstr (charset, ==, expected_charset);
  g_assert_cmpint (source, ==, expected_source);
}

static void
test_decode (void)
{
  const char *zh = "<p>北京今天天气晴，最高气温二十五度。</p>";
  const char *hant = "<p>臺灣的天氣預報：今天晴時多雲。</p>";
  g_autofree char *meta_page = g_strconcat ("<meta charset=\"gbk\">", zh, NULL);
  gsize len;
  g_autofree char *gbk = encode (zh, "GBK", &len);
  gsize meta_len;
  g_autofree char *gbk_meta = encode (meta_page, "GBK", &meta_len);
  gsize big5_len;
  g_autofree char *big5 = encode (hant, "BIG5", &big5_len);
  gsize u16_len;
  g_autofree char *u16 = encode ("héllo", "UTF-16LE", &u16_len);
  g_autofree char *u16_bom = g_malloc (u16_len + 2);

  /* No charset anywhere: GB18030 is recognised by its byte pairs. */
  check_decode (gbk, len, "text/html", zh, "GB18030", HERON_CHARSET_FROM_GUESS);
  check_decode (gbk_meta, meta_len, "text/html", meta_page, "GB18030", HERON_CHARSET_FROM_META);
  check_decode (big5, big5_len, "text/html; charset=big5", hant, "BIG5-HKSCS",
                HERON_CHARSET_FROM_HEADER);
  /* The header wins over <meta>. */
  check_decode (zh, strlen (zh), "text/html; charset=utf-8", zh, "UTF-8",
                HERON_CHARSET_FROM_HEADER);
  /* Plain UTF-8 without any declaration. */
  check_decode (zh, strlen (zh), NULL, zh, "UTF-8", HERON_CHARSET_FROM_GUESS);
  /* Latin-1 bytes without a declaration read as windows-1252, as browsers do. */
  check_decode (LIT ("caf\xe9 \x93quoted\x94"), NULL, "café “quoted”", "WINDOWS-1252",
                HERON_CHARSET_FROM_GUESS);
  /* BOMs. */
  check_decode (LIT ("\xef\xbb\xbfok"), "text/html; charset=gbk", "ok", "UTF-8",
                HERON_CHARSET_FROM_BOM);
  u16_bom[0] = '\xff';
  u16_bom[1] = '\xfe';
  memcpy (u16_bom + 2, u16, u16_len);
  check_decode (u16_bom, u16_len + 2, NULL, "héllo", "UTF-16LE", HERON_CHARSET_FROM_BOM);
  /* Declared UTF-8 but broken: repaired; NULs never survive. */
  check_decode (LIT ("a\xff" "b\0c\xe4"), "text/plain; charset=utf-8",
                "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd", "UTF-8",
                HERON_CHARSET_FROM_HEADER);
  /* Declared GBK but with bytes that are not GBK: replacement characters, no failure. */
  {
    g_autofree char *text = heron_charset_decode (LIT ("\x81\x20ok\xff"),
                                                  "text/html; charset=gbk", NULL, NULL);
    g_assert_true (g_utf8_validate (text, -1, NULL));
    g_assert_nonnull (strstr (text, "ok"));
  }
  /* An unknown label falls back to the guess. */
  check_decode (LIT ("plain"), "text/html; charset=x-made-up", "plain", "UTF-8",
                HERON_CHARSET_FROM_GUESS);
  check_decode (NULL, 0, NULL, "", "UTF-8", HERON_CHARSET_FROM_GUESS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/charset/content-type", test_content_type);
  g_test_add_func ("/heron/web/charset/markup", test_markup);
  g_test_add_func ("/heron/web/charset/normalize", test_normalize);
  g_test_add_func ("/heron/web/charset/decode", test_decode);
  return g_test_run ();
}
