/* heron-sse.c: incremental Server-Sent Events parser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-assist"

#include "config.h"

#include <string.h>

#include "heron-sse.h"

struct _HeronSseParser
{
  HeronSseEventFunc func;
  gpointer          user_data;
  GString          *line;
  GString          *data;
  char             *event;
  char             *id;
  guint             n_comments;
  gboolean          have_data;     /* a "data" field was seen since the last dispatch */
  gboolean          after_cr;      /* the last byte was CR: a following LF belongs to it */
  gboolean          bom_checked;
  gboolean          failed;
};

HeronSseParser *
heron_sse_parser_new (HeronSseEventFunc func,
                      gpointer          user_data)
{
  HeronSseParser *p = g_new0 (HeronSseParser, 1);

  p->func = func;
  p->user_data = user_data;
  p->line = g_string_new (NULL);
  p->data = g_string_new (NULL);
  return p;
}

void
heron_sse_parser_free (HeronSseParser *p)
{
  if (p == NULL)
    return;
  g_string_free (p->line, TRUE);
  g_string_free (p->data, TRUE);
  g_free (p->event);
  g_free (p->id);
  g_free (p);
}

guint
heron_sse_parser_get_n_comments (HeronSseParser *p)
{
  return p->n_comments;
}

static void
dispatch (HeronSseParser *p)
{
  if (p->have_data)
    {
      /* The spec strips one trailing LF: we never add it (lines are joined with '\n'). */
      if (p->func)
        p->func (p->event ? p->event : "message", p->data->str, p->id, p->user_data);
    }
  g_string_truncate (p->data, 0);
  g_clear_pointer (&p->event, g_free);
  p->have_data = FALSE;
}

static void
process_line (HeronSseParser *p)
{
  const char *line = p->line->str;
  gsize len = p->line->len;
  const char *colon;
  g_autofree char *field = NULL;
  const char *value;
  gsize vlen;

  if (len == 0)
    {
      dispatch (p);
      return;
    }
  if (line[0] == ':')
    {
      p->n_comments++;
      return;
    }
  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      field = g_strndup (line, colon - line);
      value = colon + 1;
      if (*value == ' ')
        value++;
      vlen = len - (value - line);
    }
  else
    {
      field = g_strndup (line, len);
      value = "";
      vlen = 0;
    }

  if (strcmp (field, "data") == 0)
    {
      if (p->have_data)
        g_string_append_c (p->data, '\n');
      g_string_append_len (p->data, value, vlen);
      p->have_data = TRUE;
    }
  else if (strcmp (field, "event") == 0)
    {
      g_free (p->event);
      p->event = g_strndup (value, vlen);
    }
  else if (strcmp (field, "id") == 0)
    {
      /* An id with NUL is ignored, as the spec says. */
      if (memchr (value, '\0', vlen) == NULL)
        {
          g_free (p->id);
          p->id = g_strndup (value, vlen);
        }
    }
  /* "retry" and unknown fields are ignored: reconnection is the backend's business. */
}

gboolean
heron_sse_parser_feed (HeronSseParser *p,
                       const char     *data,
                       gsize           len)
{
  gsize i = 0;

  g_return_val_if_fail (p != NULL, FALSE);
  if (p->failed)
    return FALSE;

  while (i < len)
    {
      const char *start = data + i;
      gsize n = len - i, j;

      if (p->after_cr)
        {
          p->after_cr = FALSE;
          if (*start == '\n')
            {
              i++;
              continue;
            }
        }

      /* Find the next CR or LF in this chunk. */
      for (j = 0; j < n; j++)
        if (start[j] == '\n' || start[j] == '\r')
          break;

      if (p->line->len + j > HERON_SSE_MAX_LINE)
        {
          p->failed = TRUE;
          return FALSE;
        }
      g_string_append_len (p->line, start, j);
      i += j;
      if (j == n)
        break;

      /* A UTF-8 BOM is allowed once at the very start of the stream. */
      if (!p->bom_checked)
        {
          p->bom_checked = TRUE;
          if (p->line->len >= 3 && memcmp (p->line->str, "\xEF\xBB\xBF", 3) == 0)
            g_string_erase (p->line, 0, 3);
        }
      if (data[i] == '\r')
        p->after_cr = TRUE;
      i++;
      process_line (p);
      g_string_truncate (p->line, 0);
    }

  /* A BOM split over chunks is caught when its line ends; until then nothing to do. */
  return TRUE;
}

gboolean
heron_sse_parser_end (HeronSseParser *p)
{
  gboolean pending;

  g_return_val_if_fail (p != NULL, FALSE);
  pending = p->line->len > 0 || p->have_data;
  g_string_truncate (p->line, 0);
  g_string_truncate (p->data, 0);
  g_clear_pointer (&p->event, g_free);
  p->have_data = FALSE;
  p->after_cr = FALSE;
  return pending;
}
