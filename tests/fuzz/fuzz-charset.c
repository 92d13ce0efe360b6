/* fuzz-charset.c: charset sniffing and conversion on arbitrary bytes. Input: a Content-Type
 * value up to the first newline (at most 100 bytes), then the body.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "heron-charset.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *nl = memchr (data, '\n', MIN (size, 100));
  g_autofree char *content_type = NULL;
  g_autofree char *charset = NULL;
  g_autofree char *text = NULL;
  g_autofree char *declared = NULL;
  const char *body = (const char *) data;
  gsize len = size;

  if (nl != NULL)
    {
      content_type = g_strndup ((const char *) data, nl - (const char *) data);
      body = nl + 1;
      len = size - (body - (const char *) data);
    }
  declared = heron_charset_from_markup (body, len);
  if (declared != NULL)
    g_assert (*declared != '\0');
  text = heron_charset_decode (body, len, content_type, &charset, NULL);
  g_assert (text != NULL && charset != NULL);
  g_assert (g_utf8_validate (text, -1, NULL));
  return 0;
}
