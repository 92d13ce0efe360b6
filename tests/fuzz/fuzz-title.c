/* fuzz-title.c: libFuzzer harness for heron_title_clean, which reads whatever a model
 * wrote. The first byte picks the question (Chinese or English); the rest is the model's
 * text. A title is NULL or one non-empty line of valid UTF-8, at most HERON_TITLE_MAX_CHARS
 * characters, without control characters, Markdown marks or <think>, in the question's
 * script.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heron-title.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *question;
  char *raw, *title;

  if (size == 0)
    return 0;
  question = data[0] & 1 ? "苍鹭冬天在哪里？" : "Where do herons winter?";
  raw = g_strndup ((const char *) data + 1, size - 1);
  title = heron_title_clean (raw, question);
  if (title != NULL)
    {
      if (!g_utf8_validate (title, -1, NULL) || *title == '\0'
          || g_utf8_strlen (title, -1) > HERON_TITLE_MAX_CHARS
          || strchr (title, '\n') != NULL || strchr (title, '*') != NULL
          || strchr (title, '`') != NULL || strstr (title, "<think>") != NULL
          || g_ascii_isspace (title[0]) || g_ascii_isspace (title[strlen (title) - 1])
          || ((data[0] & 1) && !heron_title_has_cjk (title)))
        abort ();
      for (const char *p = title; *p; p = g_utf8_next_char (p))
        if (g_unichar_iscntrl (g_utf8_get_char (p)))
          abort ();
    }
  g_free (title);
  g_free (raw);
  return 0;
}
