/* fuzz-chat-template.c: libFuzzer harness for chat template detection and formatting (the
 * template string comes from an untrusted GGUF file, messages from users and models) and for
 * the streaming <think> splitter (model output).
 *
 * Input: a template text, then after a 0 byte the messages separated by 0x01 bytes (roles
 * cycle system/user/assistant/tool). Every family formats them; the whole input is also fed
 * to the think splitter in one piece and in chunks whose sizes come from the input, and both
 * must give the same reasoning and answer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat-template.h"
#include "think.h"

#define CHECK(cond) \
  do { if (!(cond)) { fprintf (stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
                      abort (); } } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  char  *buf[2];
  size_t len[2];
} split_out;

static void
collect (hr_think_kind kind, const char *text, size_t len, void *ud)
{
  split_out *o = ud;
  int k = kind == HR_THINK_REASONING;

  CHECK (len > 0);
  o->buf[k] = realloc (o->buf[k], o->len[k] + len);
  CHECK (o->buf[k] != NULL);
  memcpy (o->buf[k] + o->len[k], text, len);
  o->len[k] += len;
}

static void
run_split (const char *s, size_t n, bool start_in_think, const uint8_t *sizes, size_t n_sizes,
           split_out *o)
{
  hr_think *t = hr_think_new (start_in_think, collect, o);
  size_t pos = 0, i = 0;

  CHECK (t != NULL);
  while (pos < n)
    {
      size_t step = sizes ? 1 + (size_t) sizes[i++ % n_sizes] % 8 : n;

      if (step > n - pos)
        step = n - pos;
      CHECK (hr_think_feed (t, s + pos, step));
      pos += step;
    }
  hr_think_finish (t);
  hr_think_free (t);
  /* The splitter only drops tags and whitespace: never more text out than in. */
  CHECK (o->len[0] + o->len[1] <= n);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  const char *tmpl, *p, *end;
  hr_chat_msg msgs[16];
  size_t n_msgs = 0;
  static const char *const roles[] = { "system", "user", "assistant", "tool" };

  CHECK (s != NULL);
  memcpy (s, data, size);
  s[size] = '\0';

  /* Template and messages. */
  tmpl = s;
  p = s + strlen (s);
  end = s + size;
  if (p < end)
    {
      char *q = (char *) p + 1;

      while (q <= end && n_msgs < 16)
        {
          char *sep = memchr (q, '\x01', (size_t) (end - q));

          if (sep)
            *sep = '\0';
          msgs[n_msgs].role = roles[n_msgs % 4];
          msgs[n_msgs].content = q;
          n_msgs++;
          if (!sep)
            break;
          q = sep + 1;
        }
    }
  {
    hr_chat_family f = hr_chat_detect (tmpl);

    CHECK (f >= 0 && f < HR_CHAT_N_FAMILIES);
    CHECK (hr_chat_family_name (f) != NULL);
    for (int fam = 0; fam < HR_CHAT_N_FAMILIES; fam++)
      for (int gen = 0; gen < 2; gen++)
        {
          char *out = hr_chat_format ((hr_chat_family) fam, msgs, n_msgs, gen);

          CHECK (out != NULL);
          free (out);
        }
  }

  /* Think splitter over the raw input (restore the separators). */
  memcpy (s, data, size);
  for (int sit = 0; sit < 2; sit++)
    {
      split_out a = { { NULL, NULL }, { 0, 0 } }, b = { { NULL, NULL }, { 0, 0 } };

      run_split (s, size, sit, NULL, 0, &a);
      run_split (s, size, sit, data, size ? size : 1, &b);
      for (int k = 0; k < 2; k++)
        {
          CHECK (a.len[k] == b.len[k]);
          CHECK (a.len[k] == 0 || memcmp (a.buf[k], b.buf[k], a.len[k]) == 0);
          free (a.buf[k]);
          free (b.buf[k]);
        }
    }
  free (s);
  return 0;
}
