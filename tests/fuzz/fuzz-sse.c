/* fuzz-sse.c: libFuzzer harness for the SSE parser. The input is fed whole and again in
 * chunks whose sizes come from the input itself; both must give the same events.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heron-sse.h"

static void
collect (const char *event, const char *data, const char *id, gpointer user_data)
{
  g_string_append_printf (user_data, "%s\x1f%s\x1f%s\x1e", event, data, id ? id : "");
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GString *whole = g_string_new (NULL), *chunked = g_string_new (NULL);
  HeronSseParser *a = heron_sse_parser_new (collect, whole);
  HeronSseParser *b = heron_sse_parser_new (collect, chunked);
  size_t pos = 0;

  heron_sse_parser_feed (a, (const char *) data, size);
  heron_sse_parser_end (a);
  while (pos < size)
    {
      size_t n = 1 + data[pos] % 7;
      if (n > size - pos)
        n = size - pos;
      heron_sse_parser_feed (b, (const char *) data + pos, n);
      pos += n;
    }
  heron_sse_parser_end (b);
  if (strcmp (whole->str, chunked->str) != 0 || whole->len != chunked->len)
    abort ();
  heron_sse_parser_free (a);
  heron_sse_parser_free (b);
  g_string_free (whole, TRUE);
  g_string_free (chunked, TRUE);
  return 0;
}
