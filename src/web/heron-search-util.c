/* heron-search-util.c: HTML/JSON/URL helpers shared by the search provider parsers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libxml/xpathInternals.h>

#include "heron-search-private.h"

HeronHtml *
heron_html_parse (const char *text,
                  gsize       len)
{
  HeronHtml *html;
  htmlDocPtr doc;

  if (text == NULL || len == 0 || len > G_MAXINT)
    return NULL;
  doc = htmlReadMemory (text, (int) len, NULL, "UTF-8",
                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                        HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
  if (doc == NULL)
    return NULL;
  html = g_new0 (HeronHtml, 1);
  html->doc = doc;
  html->xpath = xmlXPathNewContext (doc);
  if (html->xpath == NULL)
    {
      heron_html_free (html);
      return NULL;
    }
  return html;
}

void
heron_html_free (HeronHtml *html)
{
  if (html == NULL)
    return;
  g_clear_pointer (&html->xpath, xmlXPathFreeContext);
  g_clear_pointer (&html->doc, xmlFreeDoc);
  g_free (html);
}

GPtrArray *
heron_html_find (HeronHtml  *html,
                 xmlNodePtr  node,
                 const char *expr)
{
  GPtrArray *nodes = g_ptr_array_new ();
  xmlXPathObjectPtr obj;

  g_assert (html != NULL);
  obj = xmlXPathNodeEval (node != NULL ? node : (xmlNodePtr) html->doc, (const xmlChar *) expr,
                          html->xpath);
  if (obj != NULL && obj->type == XPATH_NODESET && obj->nodesetval != NULL)
    for (int i = 0; i < obj->nodesetval->nodeNr; i++)
      g_ptr_array_add (nodes, obj->nodesetval->nodeTab[i]);
  if (obj != NULL)
    xmlXPathFreeObject (obj);
  return nodes;
}

xmlNodePtr
heron_html_find_one (HeronHtml  *html,
                     xmlNodePtr  node,
                     const char *expr)
{
  g_autoptr(GPtrArray) nodes = heron_html_find (html, node, expr);

  return nodes->len > 0 ? g_ptr_array_index (nodes, 0) : NULL;
}

static char *
collapse_space (const char *text)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = text; p != NULL && *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* U+3000 and NBSP count as space too (Chinese pages use them for layout). */
      if (g_unichar_isspace (c) || c == 0xa0 || c == 0x3000)
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

char *
heron_html_text (xmlNodePtr node)
{
  xmlChar *content;
  char *text;

  if (node == NULL)
    return g_strdup ("");
  content = xmlNodeGetContent (node);
  text = collapse_space ((const char *) content);
  xmlFree (content);
  return text;
}

char *
heron_html_attr (xmlNodePtr  node,
                 const char *name)
{
  xmlChar *value;
  char *copy;

  if (node == NULL || node->type != XML_ELEMENT_NODE)
    return NULL;
  value = xmlGetProp (node, (const xmlChar *) name);
  if (value == NULL)
    return NULL;
  copy = g_strdup ((const char *) value);
  xmlFree (value);
  return copy;
}

char *
heron_search_clean_text (const char *text)
{
  static const struct { const char *entity; const char *text; } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
    { "&#x27;", "'" }, { "&nbsp;", " " },
  };
  GString *out;
  g_autofree char *valid = NULL;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p; )
    {
      gboolean matched = FALSE;

      if (*p == '<')
        {
          /* Only tags: "<" followed by a letter, "/" or "!" up to the next ">". */
          const char *close = strchr (p, '>');
          if (close != NULL && (g_ascii_isalpha (p[1]) || p[1] == '/' || p[1] == '!'))
            {
              p = close + 1;
              continue;
            }
        }
      if (*p == '&')
        for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
          if (g_str_has_prefix (p, entities[i].entity))
            {
              g_string_append (out, entities[i].text);
              p += strlen (entities[i].entity);
              matched = TRUE;
              break;
            }
      if (!matched)
        g_string_append_c (out, *p++);
    }
  {
    g_autofree char *raw = g_string_free (out, FALSE);
    return collapse_space (raw);
  }
}

char *
heron_search_absolute_url (const char *base,
                           const char *href)
{
  g_autoptr(GUri) base_uri = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (href == NULL || *href == '\0')
    return NULL;
  if (g_str_has_prefix (href, "//"))
    {
      g_autofree char *full = g_strconcat ("https:", href, NULL);
      return heron_search_absolute_url (NULL, full);
    }
  if (base != NULL)
    base_uri = g_uri_parse (base, SOUP_HTTP_URI_FLAGS, NULL);
  if (base_uri != NULL)
    uri = g_uri_parse_relative (base_uri, href, SOUP_HTTP_URI_FLAGS, NULL);
  else
    uri = g_uri_parse (href, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    return NULL;
  return g_uri_to_string (uri);
}

char *
heron_search_url_param (const char *url,
                        const char *name)
{
  const char *q;
  gsize name_len = strlen (name);

  if (url == NULL || (q = strchr (url, '?')) == NULL)
    return NULL;
  /* By hand: engines put bare tokens like "!" in their query strings, which
   * g_uri_parse_params() rejects as a whole. */
  for (const char *p = q + 1; *p != '\0' && *p != '#'; )
    {
      const char *end = p + strcspn (p, "&#");

      if ((gsize) (end - p) > name_len && strncmp (p, name, name_len) == 0 && p[name_len] == '=')
        {
          g_autofree char *raw = g_strndup (p + name_len + 1, end - p - name_len - 1);

          for (char *c = raw; *c; c++)
            if (*c == '+')
              *c = ' ';
          return g_uri_unescape_string (raw, NULL);
        }
      p = *end == '&' ? end + 1 : end;
    }
  return NULL;
}

char *
heron_search_url_site (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (url == NULL || (uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL)) == NULL ||
      (host = g_uri_get_host (uri)) == NULL || *host == '\0')
    return NULL;
  if (g_str_has_prefix (host, "www."))
    host += 4;
  return g_strdup (host);
}

void
heron_search_results_add (GPtrArray  *results,
                          const char *title,
                          const char *url,
                          const char *snippet,
                          const char *site,
                          const char *date)
{
  g_autofree char *clean_title = heron_search_clean_text (title);
  g_autofree char *clean_snippet = heron_search_clean_text (snippet);
  g_autofree char *clean_site = site != NULL ? heron_search_clean_text (site) : NULL;
  g_autofree char *clean_date = date != NULL ? heron_search_clean_text (date) : NULL;
  g_autofree char *abs = heron_search_absolute_url (NULL, url);

  if (abs == NULL || *clean_title == '\0')
    return;
  if (clean_site == NULL || *clean_site == '\0')
    {
      g_free (clean_site);
      clean_site = heron_search_url_site (abs);
    }
  if (clean_date != NULL && *clean_date == '\0')
    g_clear_pointer (&clean_date, g_free);
  g_ptr_array_add (results, heron_search_result_new (clean_title, abs, clean_snippet,
                                                     clean_site, clean_date));
}

const char *
heron_json_string (JsonObject *object,
                   const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL ||
      !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonArray *
heron_json_array (JsonObject *object,
                  const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

JsonObject *
heron_json_object (JsonObject *object,
                   const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

JsonObject *
heron_json_parse_object (const char  *provider,
                         const char  *text,
                         gsize        len,
                         JsonParser **parser_out,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  if (len > G_MAXSSIZE || !json_parser_load_from_data (parser, text, (gssize) len, &local))
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("%s: the answer is not valid JSON (%s)"), provider,
                   local != NULL ? local->message : _("too large"));
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("%s: the answer is not a JSON object"), provider);
      return NULL;
    }
  *parser_out = g_steal_pointer (&parser);
  return json_node_get_object (root);
}

char *
heron_search_join_url (const char *base,
                       const char *path)
{
  gsize n = strlen (base);

  while (n > 0 && base[n - 1] == '/')
    n--;
  while (*path == '/')
    path++;
  return g_strdup_printf ("%.*s/%s", (int) n, base, path);
}

/* MEMBER of ITEM, or of ITEM's object member when MEMBER is "object.member". */
static const char *
json_field (JsonObject *item,
            const char *member)
{
  const char *dot;
  g_autofree char *outer = NULL;

  if (member == NULL)
    return NULL;
  dot = strchr (member, '.');
  if (dot == NULL)
    return heron_json_string (item, member);
  outer = g_strndup (member, dot - member);
  return heron_json_string (heron_json_object (item, outer), dot + 1);
}

static const char *
json_first_field (JsonObject        *item,
                  const char * const names[2])
{
  for (guint i = 0; i < 2; i++)
    {
      const char *value = json_field (item, names[i]);

      if (value != NULL && *value != '\0')
        return value;
    }
  return NULL;
}

GPtrArray *
heron_json_collect_results (const char                  *provider,
                            JsonArray                   *list,
                            const char                  *list_name,
                            const HeronJsonResultFields *fields,
                            guint                        max_results,
                            GError                     **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);

  if (list == NULL)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("%s: the answer has no “%s” list; the format may have changed"),
                   provider, list_name);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (list) && results->len < max_results; i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (item == NULL)
        continue;
      heron_search_results_add (results, json_field (item, fields->title),
                                json_field (item, fields->url),
                                json_first_field (item, fields->snippet),
                                json_field (item, fields->site),
                                json_first_field (item, fields->date));
    }
  return g_steal_pointer (&results);
}

SoupMessage *
heron_search_json_post (const char *url,
                        const char *bearer_key,
                        JsonNode   *body)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);
  char *data;

  if (msg == NULL)
    return NULL;
  json_generator_set_root (generator, body);
  data = json_generator_to_data (generator, NULL);
  soup_message_set_request_body_from_bytes (msg, "application/json",
                                            g_bytes_new_take (data, strlen (data)));
  if (bearer_key != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", bearer_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
      /* Keep the key out of freed heap memory that a crash report might show. */
      memset (auth, 0, strlen (auth));
    }
  return msg;
}
