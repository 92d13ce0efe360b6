/* heron-charset.h: find a web page's character set (BOM, Content-Type header, <meta>, XML
 * declaration, then a guess) and convert the bytes to valid UTF-8.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the charset was decided, for messages and tests. */
typedef enum
{
  HERON_CHARSET_FROM_BOM,
  HERON_CHARSET_FROM_HEADER,
  HERON_CHARSET_FROM_META,
  HERON_CHARSET_FROM_GUESS,
} HeronCharsetSource;

/* The charset label in a Content-Type value ("text/html; charset=GBK" -> "GBK"), or NULL. */
char *heron_charset_from_content_type (const char *content_type);

/* The charset declared in the first 4 KiB of an HTML/XML document (<meta charset>,
 * <meta http-equiv="Content-Type" content="...; charset=...">, <?xml encoding?>), or NULL. */
char *heron_charset_from_markup (const char *data,
                                 gsize       len);

/* Map a label to the name iconv knows, following the WHATWG Encoding Standard's aliases where
 * it matters (gb2312/gbk -> GB18030, iso-8859-1/ascii -> WINDOWS-1252, big5 -> BIG5-HKSCS).
 * NULL for labels that are not charsets. */
const char *heron_charset_normalize (const char *label);

/* Convert DATA to UTF-8: BOM, then CONTENT_TYPE's charset (may be NULL), then the markup's
 * declaration, then a guess (valid UTF-8 -> UTF-8; bytes that read as GB18030 -> GB18030;
 * else WINDOWS-1252). Bytes that do not convert become U+FFFD. Never fails; the result is
 * valid UTF-8 without NULs. CHARSET_OUT (may be NULL) receives the iconv name used. */
char *heron_charset_decode (const char          *data,
                            gsize                len,
                            const char          *content_type,
                            char               **charset_out,
                            HeronCharsetSource  *source_out);

G_END_DECLS
