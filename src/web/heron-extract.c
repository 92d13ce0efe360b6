/* heron-extract.c: main-text extraction from HTML with libxml2 (see heron-extract.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "heron-charset.h"
#include "heron-extract.h"

G_DEFINE_QUARK (heron-extract-error-quark, heron_extract_error)

/* Guard against pathological nesting: libxml2 itself stops at 256 levels without
 * HTML_PARSE_HUGE, and every walk below is bounded by this as well. */
#define MAX_DEPTH 300

typedef struct
{
  double score;
  double text_weight;   /* heron_extract_text_weight of all text below */
  double link_weight;   /* the part of it inside <a> */
  int    commas;
  gboolean measured;
  gboolean scored;      /* is a candidate (got score from a paragraph below) */
} NodeInfo;

typedef struct
{
  htmlDocPtr  doc;
  GHashTable *info;     /* xmlNodePtr -> NodeInfo* */
  /* Readability's fallbacks: a page whose wrappers carry boilerplate-looking class names
   * loses everything in the strict pass, so the next passes trust less of the markup. */
  gboolean    strip_unlikely;
  gboolean    strip_hidden;
  gboolean    clean_boxes;
} Extractor;

void
heron_extract_free (HeronExtract *extract)
{
  if (extract == NULL)
    return;
  g_free (extract->title);
  g_free (extract->site_name);
  g_free (extract->published);
  g_free (extract->lang);
  g_free (extract->text);
  g_free (extract);
}

static gboolean
is_cjk (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

static gboolean
is_clause_mark (gunichar c)
{
  /* Commas and sentence ends, ASCII and full-width: each one hints at running prose. */
  return c == ',' || c == 0xFF0C || c == 0x3001 || c == 0x3002 || c == 0xFF1B ||
         c == 0xFF01 || c == 0xFF1F || c == 0xFF0E;
}

double
heron_extract_text_weight (const char *text,
                           gssize      len)
{
  const char *p, *end;
  double w = 0;

  if (text == NULL)
    return 0;
  end = text + (len < 0 ? (gssize) strlen (text) : len);
  p = text;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          w += 1;
          p++;
          continue;
        }
      p = g_utf8_next_char (p);
      if (!g_unichar_isspace (c))
        w += is_cjk (c) ? 2.5 : 1;
    }
  return w;
}

static int
count_clause_marks (const char *text)
{
  int n = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (is_clause_mark (g_utf8_get_char (p)))
      n++;
  return n;
}

static gboolean
name_is (xmlNodePtr node,
         const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE && node->name != NULL &&
         g_ascii_strcasecmp ((const char *) node->name, name) == 0;
}

static gboolean
name_in (xmlNodePtr          node,
         const char * const *names)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE || node->name == NULL)
    return FALSE;
  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp ((const char *) node->name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* All text below NODE, owned by GLib's allocator. */
static char *
node_text (xmlNodePtr node)
{
  xmlChar *v = xmlNodeGetContent (node);
  char *s = g_strdup (v ? (const char *) v : "");

  if (v != NULL)
    xmlFree (v);
  return s;
}

static char *
get_attr (xmlNodePtr  node,
          const char *name)
{
  xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
  char *s;

  if (v == NULL)
    return NULL;
  s = g_strdup ((const char *) v);
  xmlFree (v);
  return s;
}

static const char * const drop_tags[] = {
  "script", "style", "noscript", "nav", "footer", "aside", "iframe", "svg", "button",
  "select", "input", "textarea", "template", "object", "embed", "canvas", "dialog", "menu",
  "link", "meta", "head", "label", "map", "audio", "video", "picture", "source", "frame",
  "frameset", NULL
};

static const char * const block_tags[] = {
  "address", "article", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt",
  "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
  "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
  "thead", "tr", "ul", "caption", NULL
};

static const char * const heading_tags[] = { "h1", "h2", "h3", "h4", "h5", "h6", NULL };

/* Words in class/id that mark boilerplate. Matched as substrings of the lowercased
 * "class id" string. */
static const char * const unlikely_words[] = {
  "cookie", "consent", "gdpr", "banner", "breadcrumb", "combx", "comment", "disqus",
  "footer", "masthead", "menu", "navbar", "nav-", "-nav", "related", "remark", "replies",
  "rss", "shoutbox", "sidebar", "skyscraper", "social", "sponsor", "share", "sharing",
  "pagination", "pager", "popup", "modal", "newsletter", "subscribe", "promo", "advert",
  "ad-break", "agegate", "outbrain", "taboola", "recommend", "toolbar", "signup", "login",
  "paywall", "overlay", NULL
};

/* Words that rescue an element otherwise matched by unlikely_words. */
static const char * const maybe_words[] = {
  "article", "body", "column", "content", "main", "story", "post-content", "entry-content",
  NULL
};

static const char * const positive_words[] = {
  "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
  "blog", "story", "prose", "rich-text", "richtext", NULL
};

static const char * const negative_words[] = {
  "hidden", "banner", "combx", "comment", "com-", "contact", "foot", "footnote", "gdpr",
  "masthead", "media", "meta", "outbrain", "promo", "related", "scroll", "share", "shoutbox",
  "sidebar", "skyscraper", "sponsor", "shopping", "tags", "tool", "widget", "byline", "author",
  "caption", "credit", "newsletter", "subscribe", "recommend", "nav", "menu", NULL
};

static gboolean
contains_any (const char          *haystack,
              const char * const  *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (haystack, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* "class id" lowercased, or NULL when the element has neither. */
static char *
class_and_id (xmlNodePtr node)
{
  g_autofree char *cls = get_attr (node, "class");
  g_autofree char *id = get_attr (node, "id");
  g_autofree char *joined = NULL;

  if (cls == NULL && id == NULL)
    return NULL;
  joined = g_strconcat (cls ? cls : "", " ", id ? id : "", NULL);
  return g_ascii_strdown (joined, -1);
}

static int
class_weight (xmlNodePtr node)
{
  g_autofree char *ci = class_and_id (node);
  int w = 0;

  if (ci == NULL)
    return 0;
  if (contains_any (ci, negative_words))
    w -= 25;
  if (contains_any (ci, positive_words))
    w += 25;
  return w;
}

static gboolean
is_hidden (xmlNodePtr node)
{
  g_autofree char *style = get_attr (node, "style");
  g_autofree char *aria = get_attr (node, "aria-hidden");
  xmlAttrPtr hidden = xmlHasProp (node, (const xmlChar *) "hidden");

  if (hidden != NULL)
    return TRUE;
  if (aria != NULL && g_ascii_strcasecmp (aria, "true") == 0)
    return TRUE;
  if (style != NULL)
    {
      g_autofree char *s = g_ascii_strdown (style, -1);
      g_autofree char *compact = NULL;
      GString *c = g_string_new (NULL);

      for (const char *p = s; *p; p++)
        if (!g_ascii_isspace (*p))
          g_string_append_c (c, *p);
      compact = g_string_free (c, FALSE);
      if (strstr (compact, "display:none") || strstr (compact, "visibility:hidden"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_unlikely (xmlNodePtr node)
{
  g_autofree char *ci = NULL;
  g_autofree char *role = NULL;

  if (name_is (node, "body") || name_is (node, "html") || name_is (node, "article") ||
      name_is (node, "main") || name_is (node, "a"))
    return FALSE;
  role = get_attr (node, "role");
  if (role != NULL &&
      (g_ascii_strcasecmp (role, "navigation") == 0 ||
       g_ascii_strcasecmp (role, "complementary") == 0 ||
       g_ascii_strcasecmp (role, "contentinfo") == 0 ||
       g_ascii_strcasecmp (role, "banner") == 0 ||
       g_ascii_strcasecmp (role, "dialog") == 0 ||
       g_ascii_strcasecmp (role, "alertdialog") == 0 ||
       g_ascii_strcasecmp (role, "menu") == 0))
    return TRUE;
  ci = class_and_id (node);
  if (ci == NULL)
    return FALSE;
  return contains_any (ci, unlikely_words) && !contains_any (ci, maybe_words);
}

/* Pass 1: remove what is never main text. Headers go only outside <article>/<main>, since an
 * article's own header holds its title and date (kept for metadata, not scored). */
static void
collect_junk (Extractor  *ex,
              xmlNodePtr  node,
              GPtrArray  *junk,
              int         depth)
{
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    {
      if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
        {
          g_ptr_array_add (junk, c);
          continue;
        }
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (name_in (c, drop_tags) || (ex->strip_hidden && is_hidden (c)) ||
          (ex->strip_unlikely && is_unlikely (c)) || depth > MAX_DEPTH)
        {
          g_ptr_array_add (junk, c);
          continue;
        }
      if (name_is (c, "form"))
        {
          /* Search boxes and sign-up forms go; a form that wraps the whole page (as
           * ASP.NET sites do) stays. */
          g_autofree char *t = node_text (c);

          if (heron_extract_text_weight (t, -1) < 1000)
            {
              g_ptr_array_add (junk, c);
              continue;
            }
        }
      if (name_is (c, "header"))
        {
          gboolean in_article = FALSE;

          for (xmlNodePtr a = node; a != NULL; a = a->parent)
            if (name_is (a, "article") || name_is (a, "main"))
              in_article = TRUE;
          if (!in_article)
            {
              g_ptr_array_add (junk, c);
              continue;
            }
        }
      collect_junk (ex, c, junk, depth + 1);
    }
}

static NodeInfo *
node_info (Extractor *ex,
           xmlNodePtr node)
{
  NodeInfo *ni = g_hash_table_lookup (ex->info, node);

  if (ni == NULL)
    {
      ni = g_new0 (NodeInfo, 1);
      g_hash_table_insert (ex->info, node, ni);
    }
  return ni;
}

static void
measure_rec (xmlNodePtr node,
             gboolean   in_link,
             double    *text,
             double    *link,
             int       *commas,
             int        depth)
{
  for (xmlNodePtr c = node->children; c != NULL && depth < MAX_DEPTH; c = c->next)
    {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
        {
          const char *t = (const char *) c->content;
          double w;

          if (t == NULL)
            continue;
          w = heron_extract_text_weight (t, -1);
          *text += w;
          if (in_link)
            *link += w;
          *commas += count_clause_marks (t);
        }
      else if (c->type == XML_ELEMENT_NODE)
        measure_rec (c, in_link || name_is (c, "a"), text, link, commas, depth + 1);
    }
}

static NodeInfo *
measure (Extractor *ex,
         xmlNodePtr node)
{
  NodeInfo *ni = node_info (ex, node);

  if (!ni->measured)
    {
      ni->measured = TRUE;
      measure_rec (node, name_is (node, "a"), &ni->text_weight, &ni->link_weight, &ni->commas,
                   0);
    }
  return ni;
}

static double
link_density (Extractor *ex,
              xmlNodePtr node)
{
  NodeInfo *ni = measure (ex, node);

  return ni->text_weight > 0 ? ni->link_weight / ni->text_weight : 0;
}

static gboolean
has_block_child (xmlNodePtr node)
{
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    if (name_in (c, block_tags))
      return TRUE;
  return FALSE;
}

static double
tag_bonus (xmlNodePtr node)
{
  if (name_is (node, "div") || name_is (node, "article") || name_is (node, "main") ||
      name_is (node, "section"))
    return 5;
  if (name_is (node, "pre") || name_is (node, "td") || name_is (node, "blockquote"))
    return 3;
  if (name_is (node, "ol") || name_is (node, "ul") || name_is (node, "dl") ||
      name_is (node, "dd") || name_is (node, "dt") || name_is (node, "li") ||
      name_is (node, "address"))
    return -3;
  if (name_in (node, heading_tags) || name_is (node, "th"))
    return -5;
  return 0;
}

static void
init_candidate (Extractor *ex,
                xmlNodePtr node)
{
  NodeInfo *ni = node_info (ex, node);

  if (ni->scored)
    return;
  ni->scored = TRUE;
  ni->score = tag_bonus (node) + class_weight (node);
  if (name_is (node, "article") || name_is (node, "main"))
    ni->score += 10;
}

/* Is NODE a paragraph for scoring purposes: p/pre/td/blockquote, or a div/section that holds
 * only inline content (many sites write paragraphs as divs). */
static gboolean
is_paragraph (xmlNodePtr node)
{
  if (name_is (node, "p") || name_is (node, "pre") || name_is (node, "td") ||
      name_is (node, "blockquote") || name_is (node, "dd"))
    return TRUE;
  if ((name_is (node, "div") || name_is (node, "section") || name_is (node, "li") ||
       name_is (node, "font") || name_is (node, "span")) && !has_block_child (node))
    {
      /* A span counts only when it sits directly in a block (text split into spans). */
      return !name_is (node, "span") || (node->parent && name_in (node->parent, block_tags) &&
                                         !is_paragraph (node->parent));
    }
  return FALSE;
}

static void
collect_paragraphs (xmlNodePtr node,
                    GPtrArray *out,
                    int        depth)
{
  for (xmlNodePtr c = node->children; c != NULL && depth < MAX_DEPTH; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is_paragraph (c))
        g_ptr_array_add (out, c);
      else
        collect_paragraphs (c, out, depth + 1);
    }
}

static void
score_paragraphs (Extractor  *ex,
                  xmlNodePtr  body,
                  GPtrArray  *candidates)
{
  g_autoptr(GPtrArray) paragraphs = g_ptr_array_new ();

  collect_paragraphs (body, paragraphs, 0);
  for (guint i = 0; i < paragraphs->len; i++)
    {
      xmlNodePtr p = paragraphs->pdata[i];
      NodeInfo *pi = measure (ex, p);
      double content;
      xmlNodePtr a;
      int level;

      if (pi->text_weight < 25)
        continue;
      content = 1 + pi->commas + MIN (pi->text_weight / 100.0, 3.0);
      /* Link lists dressed as paragraphs give little. */
      content *= 1 - (pi->text_weight > 0 ? pi->link_weight / pi->text_weight : 0);
      for (a = p->parent, level = 0; a != NULL && a->type == XML_ELEMENT_NODE && level < 5;
           a = a->parent, level++)
        {
          NodeInfo *ai;

          if (name_is (a, "html"))
            break;
          ai = node_info (ex, a);
          if (!ai->scored)
            {
              init_candidate (ex, a);
              g_ptr_array_add (candidates, a);
            }
          ai->score += content / (level == 0 ? 1 : level == 1 ? 2 : level * 3);
        }
    }
}

static gboolean
is_ancestor (xmlNodePtr a,
             xmlNodePtr node)
{
  for (xmlNodePtr p = node ? node->parent : NULL; p != NULL; p = p->parent)
    if (p == a)
      return TRUE;
  return FALSE;
}

static double
final_score (Extractor *ex,
             xmlNodePtr node)
{
  NodeInfo *ni = node_info (ex, node);

  return ni->scored ? ni->score * (1 - link_density (ex, node)) : 0;
}

static xmlNodePtr
pick_top (Extractor  *ex,
          xmlNodePtr  body,
          GPtrArray  *candidates)
{
  xmlNodePtr top = NULL, best[5] = { NULL };
  double best_s[5] = { 0 };
  double top_score;

  for (guint i = 0; i < candidates->len; i++)
    {
      xmlNodePtr c = candidates->pdata[i];
      double s = final_score (ex, c);

      for (int k = 0; k < 5; k++)
        if (best[k] == NULL || s > best_s[k])
          {
            memmove (best + k + 1, best + k, (4 - k) * sizeof *best);
            memmove (best_s + k + 1, best_s + k, (4 - k) * sizeof *best_s);
            best[k] = c;
            best_s[k] = s;
            break;
          }
    }
  top = best[0];
  if (top == NULL)
    return body;
  top_score = best_s[0];

  /* When several strong candidates share an ancestor, the article is that ancestor (text
   * split into several boxes by ads or figures). */
  {
    for (xmlNodePtr a = top->parent; a != NULL && !name_is (a, "html"); a = a->parent)
      {
        int n = 0;

        for (int k = 1; k < 5; k++)
          if (best[k] != NULL && best_s[k] >= 0.75 * top_score && is_ancestor (a, best[k]))
            n++;
        if (n >= 2)
          {
            top = a;
            break;
          }
        if (name_is (a, "body"))
          break;
      }
  }

  /* Climb while the parent scores at least as well, or holds nothing but this node. */
  while (top->parent != NULL && !name_is (top, "body") && !name_is (top->parent, "html"))
    {
      xmlNodePtr parent = top->parent;
      int n_elems = 0;

      for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
          n_elems++;
      if (n_elems == 1 || final_score (ex, parent) > final_score (ex, top) * 1.0 + 1e-9)
        {
          /* Only climb for score when the parent keeps most of the text ours: this stops at
           * a page wrapper that also holds a long comment thread. */
          if (n_elems != 1)
            {
              NodeInfo *pi = measure (ex, parent), *ti = measure (ex, top);

              if (ti->text_weight < 0.5 * pi->text_weight)
                break;
            }
          top = parent;
        }
      else
        break;
    }
  return top;
}

/* Siblings of TOP that belong to the article (its text often continues next to it). */
static gboolean
sibling_belongs (Extractor *ex,
                 xmlNodePtr sib,
                 xmlNodePtr top)
{
  double top_score = final_score (ex, top);
  double threshold = MAX (10, top_score * 0.2);
  NodeInfo *si;
  double ld;

  if (sib->type != XML_ELEMENT_NODE)
    return FALSE;
  if (sib == top)
    return TRUE;
  if (node_info (ex, sib)->scored)
    {
      double bonus = 0;
      g_autofree char *cs = get_attr (sib, "class");
      g_autofree char *ct = get_attr (top, "class");

      if (cs != NULL && ct != NULL && *cs && g_strcmp0 (cs, ct) == 0)
        bonus = top_score * 0.2;
      if (final_score (ex, sib) + bonus >= threshold)
        return TRUE;
    }
  if (name_is (sib, "p") || (is_paragraph (sib) && !name_is (sib, "li")))
    {
      g_autofree char *content = node_text (sib);
      const char *t = (const char *) content;
      gsize tl;

      si = measure (ex, sib);
      ld = link_density (ex, sib);
      if (si->text_weight > 80 && ld < 0.25)
        return TRUE;
      if (t != NULL && si->text_weight > 0 && ld == 0)
        {
          g_autofree char *s = g_strstrip (g_strdup (t));

          tl = strlen (s);
          if (tl > 0 && (s[tl - 1] == '.' || g_str_has_suffix (s, "。") ||
                         g_str_has_suffix (s, "！") || g_str_has_suffix (s, "？")))
            return TRUE;
        }
    }
  return FALSE;
}

/* Conditional cleaning inside the chosen content: boxes that look like link lists, share
 * bars or widgets rather than prose. */
static gboolean
looks_like_boilerplate (Extractor *ex,
                        xmlNodePtr node)
{
  NodeInfo *ni;
  double ld;
  int weight;

  if (!(name_is (node, "div") || name_is (node, "section") || name_is (node, "ul") ||
        name_is (node, "ol") || name_is (node, "table") || name_is (node, "dl") ||
        name_is (node, "header") || name_is (node, "figure") || name_in (node, heading_tags) ||
        name_is (node, "p")))
    return FALSE;
  ni = measure (ex, node);
  ld = link_density (ex, node);
  weight = class_weight (node);
  if (name_in (node, heading_tags))
    return weight < 0 || ld > 0.5;
  if (name_is (node, "p"))
    return ld > 0.7 && ni->text_weight < 200;
  if (weight < 0 && ni->commas < 10)
    return TRUE;
  if (ni->text_weight < 1)
    return FALSE;
  if (ld > 0.5 && weight < 25)
    return TRUE;
  if ((name_is (node, "ul") || name_is (node, "ol")) && ld > 0.3)
    return TRUE;
  if (name_is (node, "header") || name_is (node, "figure"))
    return ni->commas < 2 && ni->text_weight < 200;
  if (ld > 0.2 && weight < 25 && ni->commas < 3)
    return TRUE;
  return FALSE;
}

/* ---- text output ---- */

typedef struct
{
  GString *out;
  gboolean need_break;   /* a block ended: next text starts a new paragraph */
  gboolean need_space;   /* pending white space inside a paragraph */
  int      list_depth;
} Writer;

static void
writer_break (Writer *w)
{
  w->need_break = TRUE;
  w->need_space = FALSE;
}

static void
writer_begin_text (Writer *w)
{
  if (w->need_break)
    {
      if (w->out->len > 0)
        g_string_append (w->out, "\n\n");
      w->need_break = FALSE;
      w->need_space = FALSE;
    }
  else if (w->need_space)
    {
      if (w->out->len > 0 && w->out->str[w->out->len - 1] != '\n')
        g_string_append_c (w->out, ' ');
      w->need_space = FALSE;
    }
}

static void
writer_text (Writer     *w,
             const char *text)
{
  const char *p = text;

  while (*p)
    {
      const char *q;

      if (g_ascii_isspace (*p))
        {
          w->need_space = TRUE;
          p++;
          continue;
        }
      q = p;
      while (*q && !g_ascii_isspace (*q))
        q++;
      writer_begin_text (w);
      g_string_append_len (w->out, p, q - p);
      p = q;
    }
}

static void write_node (Extractor *ex, Writer *w, xmlNodePtr node, int depth);

static void
write_children (Extractor *ex,
                Writer    *w,
                xmlNodePtr node,
                int        depth)
{
  for (xmlNodePtr c = node->children; c != NULL; c = c->next)
    write_node (ex, w, c, depth + 1);
}

static void
write_table (Extractor *ex,
             Writer    *w,
             xmlNodePtr table,
             int        depth);

static void
write_row (Extractor *ex,
           Writer    *w,
           xmlNodePtr tr)
{
  gboolean first = TRUE;

  for (xmlNodePtr c = tr->children; c != NULL; c = c->next)
    {
      g_autofree char *content = NULL;
      g_autofree char *cell = NULL;

      if (!name_is (c, "td") && !name_is (c, "th"))
        continue;
      content = node_text (c);
      cell = g_strstrip (g_strdup (content ? (const char *) content : ""));
      if (!first)
        {
          writer_begin_text (w);
          g_string_append (w->out, " |");
          w->need_space = TRUE;
        }
      writer_text (w, cell);
      first = FALSE;
    }
  writer_break (w);
  (void) ex;
}

static void
collect_rows (xmlNodePtr node,
              GPtrArray *rows,
              int        depth)
{
  for (xmlNodePtr c = node->children; c != NULL && depth < 4; c = c->next)
    {
      if (name_is (c, "tr"))
        g_ptr_array_add (rows, c);
      else if (name_is (c, "tbody") || name_is (c, "thead") || name_is (c, "tfoot"))
        collect_rows (c, rows, depth + 1);
    }
}

static void
write_table (Extractor *ex,
             Writer    *w,
             xmlNodePtr table,
             int        depth)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  gboolean layout = FALSE;

  collect_rows (table, rows, 0);
  /* A layout table (cells holding blocks) is written as ordinary content. */
  for (guint i = 0; i < rows->len && !layout; i++)
    for (xmlNodePtr c = ((xmlNodePtr) rows->pdata[i])->children; c != NULL; c = c->next)
      if ((name_is (c, "td") || name_is (c, "th")) && has_block_child (c))
        layout = TRUE;
  if (layout || rows->len == 0)
    {
      writer_break (w);
      write_children (ex, w, table, depth);
      writer_break (w);
      return;
    }
  writer_break (w);
  for (xmlNodePtr c = table->children; c != NULL; c = c->next)
    if (name_is (c, "caption"))
      {
        write_children (ex, w, c, depth);
        writer_break (w);
      }
  for (guint i = 0; i < rows->len; i++)
    write_row (ex, w, rows->pdata[i]);
}

static void
write_pre (Writer    *w,
           xmlNodePtr node)
{
  g_autofree char *content = node_text (node);
  const char *t = content ? (const char *) content : "";
  gsize len = strlen (t);

  while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
    len--;
  while (*t == '\n' || *t == '\r')
    {
      t++;
      len--;
    }
  if (len == 0)
    return;
  writer_break (w);
  writer_begin_text (w);
  g_string_append (w->out, "```\n");
  g_string_append_len (w->out, t, len);
  g_string_append (w->out, "\n```");
  writer_break (w);
}

static void
write_node (Extractor *ex,
            Writer    *w,
            xmlNodePtr node,
            int        depth)
{
  if (depth > MAX_DEPTH)
    return;
  if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE)
    {
      if (node->content != NULL)
        writer_text (w, (const char *) node->content);
      return;
    }
  if (node->type != XML_ELEMENT_NODE)
    return;
  if (ex->clean_boxes && looks_like_boilerplate (ex, node))
    return;
  if (name_is (node, "br"))
    {
      /* Two <br> in a row separate paragraphs; one is a line break kept as a space. */
      if (node->next && name_is (node->next, "br"))
        writer_break (w);
      else
        w->need_space = TRUE;
      return;
    }
  if (name_is (node, "img") || name_is (node, "hr"))
    {
      writer_break (w);
      return;
    }
  if (name_is (node, "pre"))
    {
      write_pre (w, node);
      return;
    }
  if (name_is (node, "table"))
    {
      write_table (ex, w, node, depth);
      return;
    }
  if (name_in (node, heading_tags))
    {
      writer_break (w);
      writer_begin_text (w);
      g_string_append (w->out, "# ");
      write_children (ex, w, node, depth);
      writer_break (w);
      return;
    }
  if (name_is (node, "li"))
    {
      writer_break (w);
      writer_begin_text (w);
      g_string_append (w->out, "- ");
      write_children (ex, w, node, depth);
      writer_break (w);
      return;
    }
  if (name_in (node, block_tags))
    {
      writer_break (w);
      write_children (ex, w, node, depth);
      writer_break (w);
      return;
    }
  write_children (ex, w, node, depth);
}

/* ---- metadata ---- */

typedef struct
{
  char *og_title, *title, *h1, *site, *published, *time_datetime, *lang;
} Meta;

static void
meta_clear (Meta *m)
{
  g_free (m->og_title);
  g_free (m->title);
  g_free (m->h1);
  g_free (m->site);
  g_free (m->published);
  g_free (m->time_datetime);
  g_free (m->lang);
}

static void
set_once (char      **slot,
          const char *value)
{
  g_autofree char *v = NULL;

  if (*slot != NULL || value == NULL)
    return;
  v = g_strstrip (g_strdup (value));
  if (*v != '\0')
    *slot = g_steal_pointer (&v);
}

static void
json_ld_scan (JsonNode *node,
              Meta     *m,
              int       depth)
{
  if (node == NULL || depth > 8)
    return;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        json_ld_scan (json_array_get_element (a, i), m, depth + 1);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonNode *v;

      v = json_object_get_member (o, "datePublished");
      if (v != NULL && JSON_NODE_HOLDS_VALUE (v) &&
          json_node_get_value_type (v) == G_TYPE_STRING)
        set_once (&m->published, json_node_get_string (v));
      v = json_object_get_member (o, "publisher");
      if (v != NULL && JSON_NODE_HOLDS_OBJECT (v))
        {
          JsonNode *n = json_object_get_member (json_node_get_object (v), "name");

          if (n != NULL && JSON_NODE_HOLDS_VALUE (n) &&
              json_node_get_value_type (n) == G_TYPE_STRING)
            set_once (&m->site, json_node_get_string (n));
        }
      v = json_object_get_member (o, "@graph");
      if (v != NULL)
        json_ld_scan (v, m, depth + 1);
    }
}

static void
collect_meta (xmlNodePtr node,
              Meta      *m,
              int        depth)
{
  for (xmlNodePtr c = node->children; c != NULL && depth < MAX_DEPTH; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (name_is (c, "html"))
        {
          g_autofree char *lang = get_attr (c, "lang");

          set_once (&m->lang, lang);
        }
      if (name_is (c, "meta"))
        {
          g_autofree char *prop = get_attr (c, "property");
          g_autofree char *name = get_attr (c, "name");
          g_autofree char *itemprop = get_attr (c, "itemprop");
          g_autofree char *content = get_attr (c, "content");
          const char *key = prop ? prop : name ? name : itemprop;

          if (key == NULL || content == NULL)
            continue;
          if (g_ascii_strcasecmp (key, "og:title") == 0)
            set_once (&m->og_title, content);
          else if (g_ascii_strcasecmp (key, "og:site_name") == 0 ||
                   g_ascii_strcasecmp (key, "application-name") == 0)
            set_once (&m->site, content);
          else if (g_ascii_strcasecmp (key, "article:published_time") == 0 ||
                   g_ascii_strcasecmp (key, "og:published_time") == 0 ||
                   g_ascii_strcasecmp (key, "datePublished") == 0 ||
                   g_ascii_strcasecmp (key, "pubdate") == 0 ||
                   g_ascii_strcasecmp (key, "publishdate") == 0 ||
                   g_ascii_strcasecmp (key, "date") == 0 ||
                   g_ascii_strcasecmp (key, "dc.date.issued") == 0)
            set_once (&m->published, content);
          continue;
        }
      if (name_is (c, "title"))
        {
          g_autofree char *t = node_text (c);

          set_once (&m->title, (const char *) t);
          continue;
        }
      if (name_is (c, "h1") && m->h1 == NULL)
        {
          g_autofree char *t = node_text (c);

          set_once (&m->h1, (const char *) t);
        }
      if (name_is (c, "time") && m->time_datetime == NULL)
        {
          g_autofree char *dt = get_attr (c, "datetime");

          set_once (&m->time_datetime, dt);
        }
      if (name_is (c, "script"))
        {
          g_autofree char *type = get_attr (c, "type");

          if (type != NULL && g_ascii_strcasecmp (type, "application/ld+json") == 0)
            {
              g_autofree char *t = node_text (c);
              g_autoptr(JsonParser) parser = json_parser_new ();

              if (t != NULL && json_parser_load_from_data (parser, (const char *) t, -1, NULL))
                json_ld_scan (json_parser_get_root (parser), m, 0);
            }
          continue;
        }
      collect_meta (c, m, depth + 1);
    }
}

static char *
collapse_space (const char *s)
{
  Writer w = { g_string_new (NULL), FALSE, FALSE, 0 };

  if (s == NULL)
    {
      g_string_free (w.out, TRUE);
      return NULL;
    }
  writer_text (&w, s);
  return g_string_free (w.out, FALSE);
}

static char *
host_of (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  host = uri ? g_uri_get_host (uri) : NULL;
  if (host == NULL || *host == '\0')
    return NULL;
  return g_str_has_prefix (host, "www.") ? g_strdup (host + 4) : g_strdup (host);
}

/* ---- entry points ---- */

static gboolean
looks_binary (const char *data,
              gsize       len)
{
  gsize n = MIN (len, 8192), ctrl = 0;

  if (memchr (data, '\0', n) != NULL)
    return TRUE;
  for (gsize i = 0; i < n; i++)
    {
      guchar c = data[i];

      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b)
        ctrl++;
    }
  return ctrl * 10 > n;
}

static gboolean
only_space (const char *data,
            gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

/* Drop the first heading when it repeats the title: the caller shows the title anyway. */
static void
drop_title_heading (GString    *text,
                    const char *title)
{
  const char *nl;
  g_autofree char *first = NULL;

  if (title == NULL || !g_str_has_prefix (text->str, "# "))
    return;
  nl = strstr (text->str, "\n\n");
  first = g_strndup (text->str + 2, nl ? (gsize) (nl - text->str - 2) : text->len - 2);
  if (g_strcmp0 (first, title) == 0)
    g_string_erase (text, 0, nl ? (gssize) (nl - text->str + 2) : (gssize) text->len);
}

static htmlDocPtr
parse_html (const char *html,
            gsize       len)
{
  return htmlReadMemory (html, (int) len, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                         HTML_PARSE_NONET);
}

static xmlNodePtr
find_body (xmlNodePtr root)
{
  for (xmlNodePtr c = root; c != NULL; c = c->next)
    if (name_is (c, "html"))
      for (xmlNodePtr b = c->children; b != NULL; b = b->next)
        if (name_is (b, "body"))
          return b;
  return root;
}

/* One pass over a fresh parse of the page (a pass changes the tree). LEVEL 0 is strict, 1
 * keeps elements with boilerplate-like class names, 2 also keeps hidden ones and every box. */
static char *
extract_pass (const char *html,
              gsize       len,
              int         level,
              Meta       *meta)
{
  g_autoptr(GPtrArray) junk = g_ptr_array_new ();
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  Extractor ex = { 0 };
  Writer w = { 0 };
  xmlNodePtr root, body, top;

  ex.doc = parse_html (html, len);
  root = ex.doc ? xmlDocGetRootElement (ex.doc) : NULL;
  if (root == NULL)
    {
      if (ex.doc)
        xmlFreeDoc (ex.doc);
      return NULL;
    }
  ex.info = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  ex.strip_unlikely = level < 1;
  ex.strip_hidden = level < 2;
  ex.clean_boxes = level < 2;

  if (meta != NULL)
    {
      /* The root itself is the <html> element: let collect_meta see it. */
      xmlNode fake = { 0 };

      fake.children = root;
      collect_meta (&fake, meta, 0);
    }

  body = find_body (root);
  collect_junk (&ex, body, junk, 0);
  for (guint i = 0; i < junk->len; i++)
    {
      xmlNodePtr n = junk->pdata[i];

      xmlUnlinkNode (n);
      xmlFreeNode (n);
    }

  score_paragraphs (&ex, body, candidates);
  top = pick_top (&ex, body, candidates);

  w.out = g_string_new (NULL);
  if (top == body || top->parent == NULL)
    write_node (&ex, &w, top, 0);
  else
    {
      for (xmlNodePtr s = top->parent->children; s != NULL; s = s->next)
        if (sibling_belongs (&ex, s, top))
          {
            if (s == top)
              {
                writer_break (&w);
                write_children (&ex, &w, s, 0);
                writer_break (&w);
              }
            else
              write_node (&ex, &w, s, 0);
          }
    }
  g_hash_table_unref (ex.info);
  xmlFreeDoc (ex.doc);
  return g_string_free (w.out, FALSE);
}

/* Below this weight a pass is taken to have missed the article (about 50 English words). */
#define MIN_ARTICLE_WEIGHT 250

HeronExtract *
heron_extract_html (const char  *html,
                    gssize       len,
                    const char  *url,
                    GError     **error)
{
  g_autoptr(HeronExtract) result = NULL;
  g_autoptr(GString) text = NULL;
  g_autofree char *best = NULL;
  Meta meta = { 0 };
  double best_w = -1;
  gsize ulen;

  g_return_val_if_fail (html != NULL || len == 0, NULL);

  ulen = len < 0 ? strlen (html) : (gsize) len;
  if (ulen == 0 || only_space (html, ulen))
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_EMPTY,
                   _("The page is empty"));
      return NULL;
    }
  if (looks_binary (html, ulen))
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_BINARY,
                   _("The page is not text (binary data)"));
      return NULL;
    }
  if (ulen > G_MAXINT)
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_PARSE,
                   _("The page is too large to parse"));
      return NULL;
    }

  for (int level = 0; level < 3; level++)
    {
      g_autofree char *t = extract_pass (html, ulen, level, level == 0 ? &meta : NULL);
      double w;

      if (t == NULL)
        {
          g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_PARSE,
                       _("The page could not be parsed as HTML"));
          meta_clear (&meta);
          return NULL;
        }
      w = heron_extract_text_weight (t, -1);
      if (w > best_w)
        {
          g_free (best);
          best = g_steal_pointer (&t);
          best_w = w;
        }
      if (best_w >= MIN_ARTICLE_WEIGHT)
        break;
    }

  result = g_new0 (HeronExtract, 1);
  result->title = collapse_space (meta.og_title ? meta.og_title :
                                  meta.title ? meta.title : meta.h1);
  result->site_name = meta.site ? collapse_space (meta.site) : host_of (url);
  result->published = g_strdup (meta.published ? meta.published : meta.time_datetime);
  result->lang = g_strdup (meta.lang);
  text = g_string_new (best);
  {
    g_autofree char *h1 = collapse_space (meta.h1);

    drop_title_heading (text, h1);
    drop_title_heading (text, result->title);
  }
  result->text = g_string_free (g_steal_pointer (&text), FALSE);
  meta_clear (&meta);

  if (result->text[0] == '\0')
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_NO_TEXT,
                   _("The page has no readable text"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

static gboolean
has_markup (const char *text,
            gsize       len)
{
  gsize n = MIN (len, 4096);

  for (gsize i = 0; i + 1 < n; i++)
    if (text[i] == '<' && (g_ascii_isalpha (text[i + 1]) || text[i + 1] == '!'))
      return TRUE;
  return FALSE;
}

HeronExtract *
heron_extract_bytes (const char  *data,
                     gsize        len,
                     const char  *content_type,
                     const char  *url,
                     GError     **error)
{
  g_autofree char *text = NULL;
  HeronExtract *result;
  gboolean plain;

  if (data == NULL || len == 0 || only_space (data, len))
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_EMPTY,
                   _("The page is empty"));
      return NULL;
    }
  /* UTF-16 has NULs but is text: let the BOM through to the charset converter. */
  if (!(len >= 2 && (((guchar) data[0] == 0xFF && (guchar) data[1] == 0xFE) ||
                     ((guchar) data[0] == 0xFE && (guchar) data[1] == 0xFF))) &&
      looks_binary (data, len))
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_BINARY,
                   _("The page is not text (binary data)"));
      return NULL;
    }
  text = heron_charset_decode (data, len, content_type, NULL, NULL);
  plain = (content_type != NULL && g_str_has_prefix (content_type, "text/plain")) ||
          !has_markup (text, strlen (text));
  if (!plain)
    return heron_extract_html (text, -1, url, error);

  result = g_new0 (HeronExtract, 1);
  result->site_name = host_of (url);
  result->text = g_strstrip (g_steal_pointer (&text));
  if (result->text[0] == '\0')
    {
      heron_extract_free (result);
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_EMPTY,
                   _("The page is empty"));
      return NULL;
    }
  return result;
}
