/* think.c: byte-at-a-time state machine separating <think> reasoning from the answer in a
 * stream of text chunks (see think.h for the rules).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "think.h"

#include <stdlib.h>
#include <string.h>

static const char TAG_OPEN[] = "<think>";
static const char TAG_CLOSE[] = "</think>";
#define TAG_CLOSE_LEN (sizeof TAG_CLOSE - 1)

typedef enum {
  ST_START,    /* nothing but whitespace and maybe part of "<think>" so far */
  ST_THINK,
  ST_ANSWER,
} state;

typedef struct {
  char  *s;
  size_t len, cap;
} buf;

struct hr_think {
  hr_think_emit emit;
  void         *ud;
  bool          start_in_think;
  bool          had_reasoning;
  bool          oom;
  state         st;
  bool          lead;        /* dropping whitespace at the start of a block */
  size_t        tag_match;   /* bytes of "</think>" matched (ST_THINK) */
  buf           hold;        /* ST_START: everything so far */
  buf           ws;          /* ST_THINK: whitespace not yet known to be inside the text */
  buf           out;         /* pending output of kind out_kind */
  hr_think_kind out_kind;
};

static bool
is_ws (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
buf_add (hr_think *t, buf *b, const char *s, size_t n)
{
  if (b->len + n > b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 64;
      char *ns;

      while (cap < b->len + n)
        cap *= 2;
      ns = realloc (b->s, cap);
      if (ns == NULL)
        {
          t->oom = true;
          return;
        }
      b->s = ns;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
}

static void
flush_out (hr_think *t)
{
  if (t->out.len > 0)
    t->emit (t->out_kind, t->out.s, t->out.len, t->ud);
  t->out.len = 0;
}

static void
put (hr_think *t, hr_think_kind kind, const char *s, size_t n)
{
  if (n == 0)
    return;
  if (kind != t->out_kind)
    {
      flush_out (t);
      t->out_kind = kind;
    }
  buf_add (t, &t->out, s, n);
}

static void step (hr_think *t, char c);

static void
enter (hr_think *t, state st)
{
  t->st = st;
  t->lead = true;
  t->tag_match = 0;
  t->ws.len = 0;
  if (st == ST_THINK)
    t->had_reasoning = true;
}

/* Leave ST_START without a tag: replay what was held in the new state. */
static void
replay_hold (hr_think *t, state st)
{
  buf held = t->hold;

  t->hold = (buf) { 0 };
  enter (t, st);
  for (size_t i = 0; i < held.len; i++)
    step (t, held.s[i]);
  free (held.s);
}

static void
step_start (hr_think *t, char c)
{
  size_t i = 0, n;

  buf_add (t, &t->hold, &c, 1);
  while (i < t->hold.len && is_ws (t->hold.s[i]))
    i++;
  n = t->hold.len - i;
  if (n == 0)
    return;
  if (n <= sizeof TAG_OPEN - 1 && memcmp (t->hold.s + i, TAG_OPEN, n) == 0)
    {
      if (n == sizeof TAG_OPEN - 1)
        {
          t->hold.len = 0;
          enter (t, ST_THINK);
        }
      return;
    }
  replay_hold (t, t->start_in_think ? ST_THINK : ST_ANSWER);
}

static void
step_think (hr_think *t, char c)
{
  if (t->lead && is_ws (c))
    return;
  t->lead = false;
  if (t->tag_match > 0)
    {
      if (c == TAG_CLOSE[t->tag_match])
        {
          if (++t->tag_match == TAG_CLOSE_LEN)
            enter (t, ST_ANSWER);
          return;
        }
      /* Not the closing tag after all: what was held is reasoning text. */
      put (t, HR_THINK_REASONING, t->ws.s, t->ws.len);
      put (t, HR_THINK_REASONING, TAG_CLOSE, t->tag_match);
      t->ws.len = 0;
      t->tag_match = 0;
    }
  if (c == '<')
    t->tag_match = 1;
  else if (is_ws (c))
    buf_add (t, &t->ws, &c, 1);
  else
    {
      put (t, HR_THINK_REASONING, t->ws.s, t->ws.len);
      t->ws.len = 0;
      put (t, HR_THINK_REASONING, &c, 1);
    }
}

static void
step (hr_think *t, char c)
{
  switch (t->st)
    {
    case ST_START:
      step_start (t, c);
      break;
    case ST_THINK:
      step_think (t, c);
      break;
    case ST_ANSWER:
      if (t->lead && is_ws (c))
        return;
      t->lead = false;
      put (t, HR_THINK_ANSWER, &c, 1);
      break;
    }
}

hr_think *
hr_think_new (bool start_in_think, hr_think_emit emit, void *ud)
{
  hr_think *t = calloc (1, sizeof *t);

  if (t == NULL)
    return NULL;
  t->emit = emit;
  t->ud = ud;
  t->start_in_think = start_in_think;
  t->had_reasoning = start_in_think;
  t->st = ST_START;
  t->out_kind = HR_THINK_ANSWER;
  return t;
}

void
hr_think_free (hr_think *t)
{
  if (t == NULL)
    return;
  free (t->hold.s);
  free (t->ws.s);
  free (t->out.s);
  free (t);
}

bool
hr_think_feed (hr_think *t, const char *text, size_t len)
{
  for (size_t i = 0; i < len && !t->oom; i++)
    step (t, text[i]);
  flush_out (t);
  return !t->oom;
}

void
hr_think_finish (hr_think *t)
{
  if (t->st == ST_START && t->hold.len > 0)
    replay_hold (t, t->start_in_think ? ST_THINK : ST_ANSWER);
  if (t->st == ST_THINK && t->tag_match > 0)
    {
      /* A cut-off "</thi": it was text. Trailing whitespace alone is dropped. */
      put (t, HR_THINK_REASONING, t->ws.s, t->ws.len);
      put (t, HR_THINK_REASONING, TAG_CLOSE, t->tag_match);
    }
  t->ws.len = 0;
  t->tag_match = 0;
  flush_out (t);
}

bool
hr_think_in_reasoning (const hr_think *t)
{
  return t->st == ST_THINK || (t->st == ST_START && t->start_in_think);
}

bool
hr_think_had_reasoning (const hr_think *t)
{
  return t->had_reasoning;
}
