/* heron-markdown.c: Markdown -> a flat list of blocks with escaped Pango markup (md4c).
 *
 * The tree md4c reports is flattened: quotes and lists become depths on the leaf blocks,
 * so the view can lay the blocks out in one box and, while an answer streams, compare the
 * new list with the shown one and rebuild only from the first block that changed.
 *
 * Citations (heron_markdown_parse_cited): md4c hands out text as pointers into the input,
 * so each run of prose knows its byte offsets in the answer, the offsets the citation check
 * reported. Marks and links are opened and closed inside one run of text, so they always
 * nest with the emphasis and link tags around them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <md4c.h>

#include "heron-markdown.h"

typedef struct
{
  gboolean ordered;
  guint    next;
} ListState;

typedef struct
{
  GPtrArray    *blocks;
  HeronMdBlock *cur;       /* text block being filled, or NULL */
  GString      *buf;       /* its text */
  HeronMdBlock *table;
  GPtrArray    *row;
  GString      *cell;
  gboolean      in_head;
  guint         quote_depth;
  GArray       *lists;     /* ListState */
  char         *pending_marker;
  GArray       *spans;     /* MD_SPANTYPE with an open tag in the current sink */
  const HeronMdCitations *cites;  /* NULL: no citation links or marks */
  const char   *input;     /* what md4c parses, to turn its text pointers into offsets */
  gsize         input_len;
} Ctx;

void
heron_md_block_free (HeronMdBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->marker);
  g_free (block->text);
  g_free (block->lang);
  g_clear_pointer (&block->rows, g_ptr_array_unref);
  g_free (block);
}

gboolean
heron_md_block_equal (const HeronMdBlock *a,
                      const HeronMdBlock *b)
{
  if (a->kind != b->kind || a->level != b->level || a->quote_depth != b->quote_depth
      || a->list_depth != b->list_depth || a->n_columns != b->n_columns
      || a->n_header_rows != b->n_header_rows
      || g_strcmp0 (a->marker, b->marker) != 0 || g_strcmp0 (a->text, b->text) != 0
      || g_strcmp0 (a->lang, b->lang) != 0)
    return FALSE;
  if ((a->rows == NULL) != (b->rows == NULL))
    return FALSE;
  if (a->rows == NULL)
    return TRUE;
  if (a->rows->len != b->rows->len)
    return FALSE;
  for (guint r = 0; r < a->rows->len; r++)
    {
      GPtrArray *ra = g_ptr_array_index (a->rows, r);
      GPtrArray *rb = g_ptr_array_index (b->rows, r);

      if (ra->len != rb->len)
        return FALSE;
      for (guint c = 0; c < ra->len; c++)
        if (strcmp (g_ptr_array_index (ra, c), g_ptr_array_index (rb, c)) != 0)
          return FALSE;
    }
  return TRUE;
}

void
heron_markdown_escape_append (GString    *out,
                              const char *text,
                              gssize      len)
{
  const char *end;

  /* md4c gives empty attributes (an empty link target) as NULL + 0. */
  if (text == NULL || len == 0)
    return;
  end = text + (len < 0 ? (gssize) strlen (text) : len);
  for (const char *p = text; p < end; p++)
    {
      unsigned char c = (unsigned char) *p;

      switch (c)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&quot;"); break;
        case '\'': g_string_append (out, "&apos;"); break;
        default:
          if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            g_string_append (out, "\xef\xbf\xbd");
          else
            g_string_append_c (out, (char) c);
        }
    }
}

static GString *
sink (Ctx *ctx)
{
  return ctx->cell != NULL ? ctx->cell : ctx->buf;
}

static const char *
close_tag (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM: return "</i>";
    case MD_SPAN_STRONG: return "</b>";
    case MD_SPAN_CODE: return "</tt>";
    case MD_SPAN_DEL: return "</s>";
    case MD_SPAN_U: return "</u>";
    case MD_SPAN_A: return "</a>";
    default: return "";
    }
}

/* md4c can report spans that overlap (permissive autolinks inside emphasis): markup must
 * nest, so every open tag is tracked and closed at the end of its block or cell. */
static void
close_spans (Ctx     *ctx,
             GString *out)
{
  while (ctx->spans->len > 0)
    {
      MD_SPANTYPE type = g_array_index (ctx->spans, MD_SPANTYPE, ctx->spans->len - 1);

      if (out != NULL)
        g_string_append (out, close_tag (type));
      g_array_set_size (ctx->spans, ctx->spans->len - 1);
    }
}

static void
flush (Ctx *ctx)
{
  if (ctx->cur == NULL)
    return;
  close_spans (ctx, ctx->buf);
  /* A paragraph that only had markup tags around nothing is still worth dropping. */
  g_strchomp (ctx->buf->str);
  ctx->buf->len = strlen (ctx->buf->str);
  if (ctx->buf->len > 0 || ctx->cur->kind == HERON_MD_CODE)
    {
      ctx->cur->text = g_string_free (g_steal_pointer (&ctx->buf), FALSE);
      g_ptr_array_add (ctx->blocks, g_steal_pointer (&ctx->cur));
    }
  else
    {
      /* An empty list item keeps its marker for the next paragraph. */
      if (ctx->cur->marker != NULL && ctx->pending_marker == NULL)
        ctx->pending_marker = g_steal_pointer (&ctx->cur->marker);
      g_clear_pointer (&ctx->cur, heron_md_block_free);
      g_string_free (g_steal_pointer (&ctx->buf), TRUE);
    }
}

static void
start (Ctx         *ctx,
       HeronMdKind  kind)
{
  flush (ctx);
  ctx->cur = g_new0 (HeronMdBlock, 1);
  ctx->cur->kind = kind;
  ctx->cur->quote_depth = ctx->quote_depth;
  ctx->cur->list_depth = ctx->lists->len;
  if (kind == HERON_MD_PARAGRAPH && ctx->lists->len > 0)
    {
      ctx->cur->kind = HERON_MD_LIST_ITEM;
      ctx->cur->marker = g_steal_pointer (&ctx->pending_marker);
    }
  ctx->buf = g_string_new (NULL);
}

/* Text outside P (tight lists) starts a paragraph by itself. */
static GString *
text_sink (Ctx *ctx)
{
  if (ctx->cell == NULL && ctx->cur == NULL)
    start (ctx, HERON_MD_PARAGRAPH);
  return sink (ctx);
}

static void
append_attribute (GString            *out,
                  const MD_ATTRIBUTE *attr)
{
  heron_markdown_escape_append (out, attr->text, attr->size);
}

static int
enter_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *user_data)
{
  Ctx *ctx = user_data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      flush (ctx);
      ctx->quote_depth++;
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        ListState st = { type == MD_BLOCK_OL, 1 };

        if (type == MD_BLOCK_OL)
          st.next = ((MD_BLOCK_OL_DETAIL *) detail)->start;
        flush (ctx);
        g_array_append_val (ctx->lists, st);
      }
      break;

    case MD_BLOCK_LI:
      {
        ListState *st = &g_array_index (ctx->lists, ListState, ctx->lists->len - 1);
        MD_BLOCK_LI_DETAIL *li = detail;

        flush (ctx);
        g_free (ctx->pending_marker);
        if (li->is_task)
          ctx->pending_marker = g_strdup (li->task_mark == ' ' ? "☐" : "☑");
        else if (st->ordered)
          ctx->pending_marker = g_strdup_printf ("%u.", st->next++);
        else
          ctx->pending_marker = g_strdup (ctx->lists->len > 1 ? "◦" : "•");
      }
      break;

    case MD_BLOCK_HR:
      flush (ctx);
      start (ctx, HERON_MD_RULE);
      ctx->cur->kind = HERON_MD_RULE;
      ctx->cur->text = g_strdup ("");
      g_string_free (g_steal_pointer (&ctx->buf), TRUE);
      g_ptr_array_add (ctx->blocks, g_steal_pointer (&ctx->cur));
      break;

    case MD_BLOCK_H:
      start (ctx, HERON_MD_HEADING);
      ctx->cur->level = CLAMP (((MD_BLOCK_H_DETAIL *) detail)->level, 1, 6);
      break;

    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        start (ctx, HERON_MD_CODE);
        if (code->lang.size > 0)
          ctx->cur->lang = g_strndup (code->lang.text, code->lang.size);
      }
      break;

    case MD_BLOCK_HTML:
    case MD_BLOCK_P:
      start (ctx, HERON_MD_PARAGRAPH);
      break;

    case MD_BLOCK_TABLE:
      flush (ctx);
      g_clear_pointer (&ctx->table, heron_md_block_free);
      ctx->table = g_new0 (HeronMdBlock, 1);
      ctx->table->kind = HERON_MD_TABLE;
      ctx->table->quote_depth = ctx->quote_depth;
      ctx->table->list_depth = ctx->lists->len;
      ctx->table->n_columns = ((MD_BLOCK_TABLE_DETAIL *) detail)->col_count;
      ctx->table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      ctx->table->text = g_strdup ("");
      break;

    case MD_BLOCK_THEAD:
      ctx->in_head = TRUE;
      break;

    case MD_BLOCK_TBODY:
      ctx->in_head = FALSE;
      break;

    case MD_BLOCK_TR:
      g_clear_pointer (&ctx->row, g_ptr_array_unref);
      ctx->row = g_ptr_array_new_with_free_func (g_free);
      break;

    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (ctx->cell != NULL)
        g_string_free (ctx->cell, TRUE);
      close_spans (ctx, NULL);
      ctx->cell = g_string_new (NULL);
      break;

    case MD_BLOCK_DOC:
    default:
      break;
    }
  return 0;
}

static int
leave_block (MD_BLOCKTYPE type,
             void        *detail,
             void        *user_data)
{
  Ctx *ctx = user_data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      flush (ctx);
      if (ctx->quote_depth > 0)
        ctx->quote_depth--;
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      flush (ctx);
      if (ctx->lists->len > 0)
        g_array_set_size (ctx->lists, ctx->lists->len - 1);
      break;

    case MD_BLOCK_LI:
      flush (ctx);
      g_clear_pointer (&ctx->pending_marker, g_free);
      break;

    case MD_BLOCK_H:
    case MD_BLOCK_P:
    case MD_BLOCK_HTML:
    case MD_BLOCK_CODE:
      flush (ctx);
      break;

    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (ctx->cell != NULL)
        close_spans (ctx, ctx->cell);
      if (ctx->cell != NULL && ctx->row != NULL)
        {
          g_strstrip (ctx->cell->str);
          g_ptr_array_add (ctx->row, g_string_free (g_steal_pointer (&ctx->cell), FALSE));
        }
      break;

    case MD_BLOCK_TR:
      if (ctx->row != NULL && ctx->table != NULL)
        {
          g_ptr_array_add (ctx->table->rows, g_steal_pointer (&ctx->row));
          if (ctx->in_head)
            ctx->table->n_header_rows++;
        }
      break;

    case MD_BLOCK_TABLE:
      if (ctx->table != NULL)
        g_ptr_array_add (ctx->blocks, g_steal_pointer (&ctx->table));
      break;

    case MD_BLOCK_THEAD:
    case MD_BLOCK_TBODY:
    case MD_BLOCK_DOC:
    default:
      break;
    }
  return 0;
}

static int
enter_span (MD_SPANTYPE type,
            void       *detail,
            void       *user_data)
{
  Ctx *ctx = user_data;
  GString *out = text_sink (ctx);

  if (*close_tag (type) != '\0')
    g_array_append_val (ctx->spans, type);
  switch (type)
    {
    case MD_SPAN_EM: g_string_append (out, "<i>"); break;
    case MD_SPAN_STRONG: g_string_append (out, "<b>"); break;
    case MD_SPAN_CODE: g_string_append (out, "<tt>"); break;
    case MD_SPAN_DEL: g_string_append (out, "<s>"); break;
    case MD_SPAN_U: g_string_append (out, "<u>"); break;
    case MD_SPAN_A:
      g_string_append (out, "<a href=\"");
      append_attribute (out, &((MD_SPAN_A_DETAIL *) detail)->href);
      g_string_append (out, "\">");
      break;
    case MD_SPAN_IMG:
      /* The alt text follows; images are not fetched. */
      g_string_append (out, "[");
      break;
    case MD_SPAN_LATEXMATH:
    case MD_SPAN_LATEXMATH_DISPLAY:
    case MD_SPAN_WIKILINK:
    default:
      break;
    }
  return 0;
}

static int
leave_span (MD_SPANTYPE type,
            void       *detail,
            void       *user_data)
{
  Ctx *ctx = user_data;
  GString *out = text_sink (ctx);
  guint i;

  if (type == MD_SPAN_IMG)
    {
      g_string_append (out, "]");
      return 0;
    }
  if (*close_tag (type) == '\0')
    return 0;
  /* Find the innermost open tag of this type; a close without an open is dropped. */
  for (i = ctx->spans->len; i > 0; i--)
    if (g_array_index (ctx->spans, MD_SPANTYPE, i - 1) == type)
      break;
  if (i == 0)
    return 0;
  /* Close what was opened inside it, close it, and reopen the inner ones (but not links,
   * whose href is gone by now). */
  {
    g_autoptr(GArray) inner = g_array_new (FALSE, FALSE, sizeof (MD_SPANTYPE));

    while (ctx->spans->len > i)
      {
        MD_SPANTYPE t = g_array_index (ctx->spans, MD_SPANTYPE, ctx->spans->len - 1);

        g_string_append (out, close_tag (t));
        g_array_set_size (ctx->spans, ctx->spans->len - 1);
        if (t != MD_SPAN_A)
          g_array_prepend_val (inner, t);
      }
    g_string_append (out, close_tag (type));
    g_array_set_size (ctx->spans, ctx->spans->len - 1);
    for (guint k = 0; k < inner->len; k++)
      {
        MD_SPANTYPE t = g_array_index (inner, MD_SPANTYPE, k);

        enter_span (t, NULL, ctx);
      }
  }
  return 0;
}

static void
append_entity (GString    *out,
               const char *text,
               gsize       size)
{
  g_autofree char *name = g_strndup (text, size);
  gunichar ch = 0;

  if (size > 3 && name[1] == '#' && (name[2] == 'x' || name[2] == 'X'))
    ch = (gunichar) g_ascii_strtoull (name + 3, NULL, 16);
  else if (size > 2 && name[1] == '#')
    ch = (gunichar) g_ascii_strtoull (name + 2, NULL, 10);
  else if (g_str_equal (name, "&amp;"))
    ch = '&';
  else if (g_str_equal (name, "&lt;"))
    ch = '<';
  else if (g_str_equal (name, "&gt;"))
    ch = '>';
  else if (g_str_equal (name, "&quot;"))
    ch = '"';
  else if (g_str_equal (name, "&nbsp;"))
    ch = 0xa0;
  else
    {
      /* Other named entities are shown as written. */
      heron_markdown_escape_append (out, text, size);
      return;
    }

  if (ch == 0 || !g_unichar_validate (ch))
    ch = 0xfffd;
  {
    char utf8[8];
    int n = g_unichar_to_utf8 (ch, utf8);

    heron_markdown_escape_append (out, utf8, n);
  }
}

/* ---- citations --------------------------------------------------------------------- */

static gboolean
in_ranges (const HeronMdRange *ranges,
           guint               n,
           gsize               offset)
{
  for (guint i = 0; i < n; i++)
    if (ranges[i].start <= offset && offset < ranges[i].end)
      return TRUE;
  return FALSE;
}

/* The first offset after OFFSET (and before END) where being inside an unverified range
 * changes. */
static gsize
next_boundary (const HeronMdCitations *c,
               gsize                   offset,
               gsize                   end)
{
  gsize next = end;

  for (guint i = 0; i < c->n_unverified; i++)
    {
      if (c->unverified[i].start > offset && c->unverified[i].start < next)
        next = c->unverified[i].start;
      if (c->unverified[i].end > offset && c->unverified[i].end < next)
        next = c->unverified[i].end;
    }
  return next;
}

static void
open_unverified (GString *out)
{
  g_string_append (out, "<span underline=\"error\" underline_color=\""
                        HERON_MD_UNVERIFIED_COLOR "\">");
}

/* LEN bytes of prose at S (OFFSET in the input), escaped, unverified parts marked. Tags are
 * only put between characters, whatever the ranges say, so the markup stays valid UTF-8. */
static void
append_marked (Ctx        *ctx,
               GString    *out,
               const char *s,
               gsize       len,
               gsize       offset)
{
  const HeronMdCitations *c = ctx->cites;
  gsize p = 0;

  while (p < len)
    {
      gsize q = next_boundary (c, offset + p, offset + len) - offset;
      gboolean marked = in_ranges (c->unverified, c->n_unverified, offset + p);

      while (q < len && ((guchar) s[q] & 0xc0) == 0x80)
        q++;
      if (marked)
        open_unverified (out);
      heron_markdown_escape_append (out, s + p, q - p);
      if (marked)
        g_string_append (out, "</span>");
      p = q;
    }
}

/* "[n]" at S (at most LEN bytes): its length and N, or 0. */
static gsize
marker_at (const char *s,
           gsize       len,
           guint      *n)
{
  gsize i = 1;
  guint v = 0;

  if (len < 3 || s[0] != '[')
    return 0;
  while (i < len && i <= 4 && g_ascii_isdigit (s[i]))
    v = v * 10 + (guint) (s[i++] - '0');
  if (i == 1 || i >= len || s[i] != ']')
    return 0;
  *n = v;
  return i + 1;
}

static gboolean
exact_range (const HeronMdRange *ranges,
             guint               n,
             gsize               start,
             gsize               end)
{
  for (guint i = 0; i < n; i++)
    if (ranges[i].start == start && ranges[i].end == end)
      return TRUE;
  return FALSE;
}

static gboolean
inside_link (Ctx *ctx)
{
  for (guint i = 0; i < ctx->spans->len; i++)
    if (g_array_index (ctx->spans, MD_SPANTYPE, i) == MD_SPAN_A)
      return TRUE;
  return FALSE;
}

static void
append_cited (Ctx        *ctx,
              GString    *out,
              const char *text,
              gsize       size)
{
  const HeronMdCitations *c = ctx->cites;
  gsize base = (gsize) (text - ctx->input);
  gboolean links = !inside_link (ctx);
  gsize p = 0;

  while (p < size)
    {
      guint n = 0;
      gsize len = links ? marker_at (text + p, size - p, &n) : 0;
      gsize q;

      if (len > 0 && n >= 1 && n <= c->n_sources
          && (!c->checked || exact_range (c->markers, c->n_markers, base + p,
                                                 base + p + len)))
        {
          g_string_append_printf (out, "<a href=\"" HERON_MD_CITE_SCHEME ":%u\"", n);
          if (c->unverified_title != NULL
              && exact_range (c->unverified_markers, c->n_unverified_markers, base + p,
                              base + p + len))
            {
              g_string_append (out, " title=\"");
              heron_markdown_escape_append (out, c->unverified_title, -1);
              g_string_append (out, "\"");
            }
          g_string_append (out, ">");
          append_marked (ctx, out, text + p, len, base + p);
          g_string_append (out, "</a>");
          p += len;
          continue;
        }
      q = p + 1;
      while (q < size && text[q] != '[')
        q++;
      append_marked (ctx, out, text + p, q - p, base + p);
      p = q;
    }
}

/* Whether TEXT (from md4c) lies in the input and citations apply to it. */
static gboolean
citable (Ctx        *ctx,
         const char *text,
         gsize       size)
{
  return ctx->cites != NULL && ctx->cites->n_sources > 0 && text >= ctx->input
         && size <= ctx->input_len && (gsize) (text - ctx->input) <= ctx->input_len - size;
}

guint
heron_markdown_cite_number (const char *uri)
{
  const char *p;
  guint64 n = 0;

  if (uri == NULL || !g_str_has_prefix (uri, HERON_MD_CITE_SCHEME ":"))
    return 0;
  p = uri + strlen (HERON_MD_CITE_SCHEME ":");
  if (*p == '\0' || strlen (p) > 4)
    return 0;
  for (; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return 0;
      n = n * 10 + (guint64) (*p - '0');
    }
  return (guint) n;
}

static int
text_cb (MD_TEXTTYPE    type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Ctx *ctx = user_data;
  GString *out = text_sink (ctx);
  gboolean raw = ctx->cell == NULL && ctx->cur != NULL && ctx->cur->kind == HERON_MD_CODE;

  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      g_string_append (out, "\xef\xbf\xbd");
      break;
    case MD_TEXT_BR:
      g_string_append_c (out, '\n');
      break;
    case MD_TEXT_SOFTBR:
      g_string_append_c (out, ctx->cell != NULL ? ' ' : '\n');
      break;
    case MD_TEXT_ENTITY:
      {
        gboolean marked = !raw && citable (ctx, text, size)
                          && in_ranges (ctx->cites->unverified, ctx->cites->n_unverified,
                                        (gsize) (text - ctx->input));

        if (marked)
          open_unverified (out);
        append_entity (out, text, size);
        if (marked)
          g_string_append (out, "</span>");
      }
      break;
    case MD_TEXT_NORMAL:
      if (!raw && citable (ctx, text, size))
        {
          append_cited (ctx, out, text, size);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case MD_TEXT_CODE:
    case MD_TEXT_HTML:
    case MD_TEXT_LATEXMATH:
    default:
      if (raw)
        g_string_append_len (out, text, size);
      else
        heron_markdown_escape_append (out, text, size);
      break;
    }
  return 0;
}

GPtrArray *
heron_markdown_parse (const char *text,
                      gssize      len)
{
  return heron_markdown_parse_cited (text, len, NULL);
}

GPtrArray *
heron_markdown_parse_cited (const char             *text,
                            gssize                  len,
                            const HeronMdCitations *citations)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS
             | MD_FLAG_PERMISSIVEURLAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS
             | MD_FLAG_NOHTML,
    .enter_block = enter_block,
    .leave_block = leave_block,
    .enter_span = enter_span,
    .leave_span = leave_span,
    .text = text_cb,
  };
  g_autofree char *valid = NULL;
  GString *input;
  Ctx ctx = { 0 };

  if (len < 0)
    len = strlen (text);
  valid = g_utf8_make_valid (text, len);
  /* md4c 0.4.8 reads one byte past an input that does not end in a newline. */
  input = g_string_new (valid);
  g_string_append_c (input, '\n');

  ctx.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_md_block_free);
  ctx.lists = g_array_new (FALSE, FALSE, sizeof (ListState));
  ctx.spans = g_array_new (FALSE, FALSE, sizeof (MD_SPANTYPE));
  ctx.cites = citations;
  ctx.input = input->str;
  ctx.input_len = input->len;

  md_parse (input->str, input->len, &parser, &ctx);
  flush (&ctx);

  g_clear_pointer (&ctx.table, heron_md_block_free);
  g_clear_pointer (&ctx.row, g_ptr_array_unref);
  if (ctx.cell != NULL)
    g_string_free (ctx.cell, TRUE);
  g_free (ctx.pending_marker);
  g_array_unref (ctx.lists);
  g_array_unref (ctx.spans);
  g_string_free (input, TRUE);
  return ctx.blocks;
}
