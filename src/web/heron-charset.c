/* heron-charset.c: charset sniffing and conversion to UTF-8 for fetched pages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "heron-charset.h"

#define SNIFF_BYTES 4096

static char *
clean_label (const char *start,
             gsize       len)
{
  g_autofree char *label = NULL;

  while (len > 0 && (g_ascii_isspace (*start) || *start == '"' || *start == '\''))
    start++, len--;
  while (len > 0 && (g_ascii_isspace (start[len - 1]) || start[len - 1] == '"' ||
                     start[len - 1] == '\''))
    len--;
  if (len == 0 || len > 40)
    return NULL;
  label = g_ascii_strdown (start, len);
  for (char *p = label; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.' && *p != ':')
      return NULL;
  return g_steal_pointer (&label);
}

/* Find "charset" followed by optional spaces, '=' and a value in [p, end). */
static char *
charset_after (const char *p,
               const char *end)
{
  while (p < end)
    {
      const char *hit = g_strstr_len (p, end - p, "charset");
      const char *v;
      const char *stop;

      if (hit == NULL)
        return NULL;
      v = hit + strlen ("charset");
      while (v < end && g_ascii_isspace (*v))
        v++;
      if (v < end && *v == '=')
        {
          v++;
          while (v < end && (g_ascii_isspace (*v) || *v == '"' || *v == '\''))
            v++;
          stop = v;
          while (stop < end && !g_ascii_isspace (*stop) && *stop != ';' && *stop != '"' &&
                 *stop != '\'' && *stop != '>' && *stop != '/')
            stop++;
          return clean_label (v, stop - v);
        }
      p = v;
    }
  return NULL;
}

char *
heron_charset_from_content_type (const char *content_type)
{
  g_autofree char *lower = NULL;

  if (content_type == NULL)
    return NULL;
  lower = g_ascii_strdown (content_type, -1);
  return charset_after (lower, lower + strlen (lower));
}

char *
heron_charset_from_markup (const char *data,
                           gsize       len)
{
  g_autofree char *head = NULL;
  const char *p;
  const char *end;

  if (data == NULL)
    return NULL;
  len = MIN (len, SNIFF_BYTES);
  /* Lowercased copy; NULs become spaces so string functions see the whole prefix. */
  head = g_malloc (len + 1);
  for (gsize i = 0; i < len; i++)
    head[i] = data[i] == '\0' ? ' ' : g_ascii_tolower (data[i]);
  head[len] = '\0';
  end = head + len;

  if (g_str_has_prefix (head, "<?xml"))
    {
      const char *close = g_strstr_len (head, len, "?>");
      const char *enc = g_strstr_len (head, close != NULL ? close - head : (gssize) len,
                                      "encoding");
      if (enc != NULL)
        {
          const char *v = enc + strlen ("encoding");
          const char *stop;
          char quote;

          while (v < end && (g_ascii_isspace (*v) || *v == '='))
            v++;
          if (v < end && (*v == '"' || *v == '\''))
            {
              quote = *v++;
              stop = v;
              while (stop < end && *stop != quote)
                stop++;
              if (stop < end)
                return clean_label (v, stop - v);
            }
        }
    }

  for (p = head; (p = g_strstr_len (p, end - p, "<meta")) != NULL; p += 5)
    {
      const char *tag_end = memchr (p, '>', end - p);
      char *label;

      if (tag_end == NULL)
        tag_end = end;
      /* <meta http-equiv content="text/html; charset=x">: anywhere in the tag. */
      if (g_strstr_len (p, tag_end - p, "http-equiv") != NULL &&
          (label = charset_after (p, tag_end)) != NULL)
        return label;
      /* <meta charset=x>: only as an attribute name, so <meta name=description
       * content="charset=..."> does not count. */
      for (const char *a = p + 5; (a = g_strstr_len (a, tag_end - a, "charset")) != NULL; a += 7)
        if ((g_ascii_isspace (a[-1]) || a[-1] == '/') && (label = charset_after (a, tag_end)))
          return label;
      p = tag_end - 5 > p ? tag_end - 5 : p;
    }
  return NULL;
}

const char *
heron_charset_normalize (const char *label)
{
  static const struct { const char *label; const char *iconv; } table[] = {
    { "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
    { "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "gb18030", "GB18030" },
    { "x-gbk", "GB18030" }, { "cp936", "GB18030" }, { "chinese", "GB18030" },
    { "csgb2312", "GB18030" }, { "iso-ir-58", "GB18030" }, { "euc-cn", "GB18030" },
    { "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
    { "cn-big5", "BIG5-HKSCS" }, { "csbig5", "BIG5-HKSCS" },
    { "shift_jis", "SHIFT_JIS" }, { "sjis", "SHIFT_JIS" }, { "x-sjis", "SHIFT_JIS" },
    { "euc-jp", "EUC-JP" }, { "iso-2022-jp", "ISO-2022-JP" }, { "euc-kr", "EUC-KR" },
    { "us-ascii", "WINDOWS-1252" }, { "ascii", "WINDOWS-1252" },
    { "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
    { "windows-1252", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" },
    { "iso-8859-2", "ISO-8859-2" }, { "iso-8859-5", "ISO-8859-5" },
    { "iso-8859-15", "ISO-8859-15" }, { "windows-1250", "WINDOWS-1250" },
    { "windows-1251", "WINDOWS-1251" }, { "koi8-r", "KOI8-R" }, { "koi8-u", "KOI8-U" },
    { "utf-16", "UTF-16" }, { "utf-16le", "UTF-16LE" }, { "utf-16be", "UTF-16BE" },
  };
  g_autofree char *lower = NULL;

  if (label == NULL)
    return NULL;
  lower = g_ascii_strdown (label, -1);
  g_strstrip (lower);
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (lower, table[i].label) == 0)
      return table[i].iconv;
  return NULL;
}

/* Convert with iconv, replacing each byte that does not convert by U+FFFD. NULL when iconv
 * does not know CHARSET. */
static GString *
convert_lossy (const char *data,
               gsize       len,
               const char *charset)
{
  GIConv cd = g_iconv_open ("UTF-8", charset);
  GString *out;
  char buf[4096];
  char *in = (char *) data;
  gsize in_left = len;

  if (cd == (GIConv) -1)
    return NULL;
  out = g_string_sized_new (len + len / 2 + 16);
  while (in_left > 0)
    {
      char *o = buf;
      gsize o_left = sizeof buf;
      gsize r = g_iconv (cd, &in, &in_left, &o, &o_left);
      int saved = errno;

      g_string_append_len (out, buf, o - buf);
      if (r != (gsize) -1)
        continue;
      if (saved == E2BIG)
        continue;
      /* EILSEQ or EINVAL (truncated at the end): skip one byte. */
      g_string_append (out, "\xef\xbf\xbd");
      in++, in_left--;
      g_iconv (cd, NULL, NULL, NULL, NULL);
    }
  g_iconv_close (cd);
  return out;
}

/* TRUE when at least 90% of the multi-byte text reads as GB18030 double-byte characters: a
 * cheap check for Chinese pages served without any charset. */
static gboolean
looks_like_gb18030 (const guchar *p,
                    gsize         len)
{
  gsize good = 0, bad = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] < 0x80)
        continue;
      if (p[i] >= 0x81 && p[i] <= 0xfe && i + 1 < len &&
          ((p[i + 1] >= 0x40 && p[i + 1] <= 0xfe && p[i + 1] != 0x7f) ||
           (p[i + 1] >= 0x30 && p[i + 1] <= 0x39)))
        {
          good++;
          i++;
        }
      else
        bad++;
    }
  return good > 0 && bad * 10 <= good;
}

static char *
strip_nuls (char *s)
{
  char *w = s;

  for (char *r = s; *r; r++)
    *w++ = *r;
  *w = '\0';
  return s;
}

char *
heron_charset_decode (const char          *data,
                      gsize                len,
                      const char          *content_type,
                      char               **charset_out,
                      HeronCharsetSource  *source_out)
{
  const guchar *u = (const guchar *) data;
  const char *charset = NULL;
  HeronCharsetSource source = HERON_CHARSET_FROM_GUESS;
  g_autofree char *label = NULL;
  GString *converted = NULL;
  char *result;

  if (data == NULL)
    len = 0;

  if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
    charset = "UTF-8", data += 3, len -= 3, source = HERON_CHARSET_FROM_BOM;
  else if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
    charset = "UTF-16LE", data += 2, len -= 2, source = HERON_CHARSET_FROM_BOM;
  else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
    charset = "UTF-16BE", data += 2, len -= 2, source = HERON_CHARSET_FROM_BOM;

  if (charset == NULL && (label = heron_charset_from_content_type (content_type)) != NULL &&
      (charset = heron_charset_normalize (label)) != NULL)
    source = HERON_CHARSET_FROM_HEADER;
  g_clear_pointer (&label, g_free);
  if (charset == NULL && (label = heron_charset_from_markup (data, len)) != NULL &&
      (charset = heron_charset_normalize (label)) != NULL)
    {
      source = HERON_CHARSET_FROM_META;
      /* A page cannot really be UTF-16 if its ASCII <meta> was readable (HTML spec). */
      if (g_str_has_prefix (charset, "UTF-16"))
        charset = "UTF-8";
    }

  if (charset == NULL)
    {
      if (g_utf8_validate (data, len, NULL))
        charset = "UTF-8";
      else if (looks_like_gb18030 ((const guchar *) data, len))
        charset = "GB18030";
      else
        charset = "WINDOWS-1252";
    }

  if (strcmp (charset, "UTF-8") != 0)
    converted = convert_lossy (data, len, charset);
  if (converted == NULL)
    charset = "UTF-8";
  if (converted != NULL)
    {
      result = g_utf8_make_valid (converted->str, converted->len);
      g_string_free (converted, TRUE);
    }
  else
    result = g_utf8_make_valid (data != NULL ? data : "", len);
  /* make_valid turns NULs into U+FFFD already; this is a second guard for callers that
   * treat the result as a C string. */
  strip_nuls (result);
  if (charset_out != NULL)
    *charset_out = g_strdup (charset);
  if (source_out != NULL)
    *source_out = source;
  return result;
}
