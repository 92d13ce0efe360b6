/* fuzz-extract.c: main-text extraction on arbitrary bytes (binary refusal, charset
 * conversion, HTML parsing, scoring, text output). Input: a Content-Type value up to the
 * first newline (at most 64 bytes), then the body.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "heron-extract.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *nl = memchr (data, '\n', MIN (size, 64));
  g_autofree char *content_type = NULL;
  const char *body = (const char *) data;
  gsize len = size;
  HeronExtract *ex;
  GError *error = NULL;

  if (nl != NULL)
    {
      content_type = g_strndup ((const char *) data, nl - (const char *) data);
      body = nl + 1;
      len = size - (body - (const char *) data);
    }
  ex = heron_extract_bytes (body, len, content_type, "https://fuzz.example/page", &error);
  g_assert ((ex == NULL) != (error == NULL));
  if (ex != NULL)
    {
      g_assert (g_utf8_validate (ex->text, -1, NULL));
      g_assert (ex->text[0] != '\0');
      heron_extract_free (ex);
    }
  g_clear_error (&error);
  return 0;
}
