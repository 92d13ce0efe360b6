/* heron-extract.h: the main text of a web page (readability-style) and its metadata.
 *
 * Blocks are scored by the amount of text they hold (characters, with CJK characters
 * weighted so that Chinese pages score like English ones), by their commas and sentence
 * ends (ASCII and full-width), by their link density and by class/id hints. Navigation,
 * headers, footers, asides, scripts, styles, forms, cookie banners and comment sections are
 * dropped. The text keeps headings ("# "), paragraphs, list items ("- "), table rows (cells
 * joined with " | ") and code blocks, separated by blank lines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HERON_EXTRACT_ERROR (heron_extract_error_quark ())
GQuark heron_extract_error_quark (void);

typedef enum
{
  HERON_EXTRACT_ERROR_EMPTY,   /* no bytes, or only white space */
  HERON_EXTRACT_ERROR_BINARY,  /* not text (NUL bytes, control characters) */
  HERON_EXTRACT_ERROR_PARSE,   /* the HTML parser gave up */
  HERON_EXTRACT_ERROR_NO_TEXT, /* parsed, but no readable text in it */
} HeronExtractError;

typedef struct
{
  char *title;      /* og:title, <title> or the first <h1>; may be NULL */
  char *site_name;  /* og:site_name, application-name, JSON-LD publisher, or the URL's host */
  char *published;  /* as the page gives it (usually ISO 8601); may be NULL */
  char *lang;       /* <html lang>, may be NULL */
  char *text;       /* the main text, UTF-8, never NULL */
} HeronExtract;

void heron_extract_free (HeronExtract *extract);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronExtract, heron_extract_free)

/* HTML as UTF-8 text (LEN -1: NUL-terminated). URL (may be NULL) gives the site name when
 * the page does not. */
HeronExtract *heron_extract_html (const char  *html,
                                  gssize       len,
                                  const char  *url,
                                  GError     **error);

/* Raw bytes from a file or a response: refuses binary data, converts the charset
 * (CONTENT_TYPE's, then the page's <meta>, then a guess), then heron_extract_html(). Plain
 * text (CONTENT_TYPE text/plain, or no markup at all) is returned as it is, paragraphs kept. */
HeronExtract *heron_extract_bytes (const char  *data,
                                   gsize        len,
                                   const char  *content_type,
                                   const char  *url,
                                   GError     **error);

/* Weighted length of TEXT as the scorer counts it: 1 per visible non-space character, 2.5 per
 * CJK ideograph/kana/hangul (a CJK character carries about a word's worth of text). */
double heron_extract_text_weight (const char *text,
                                  gssize      len);

G_END_DECLS
