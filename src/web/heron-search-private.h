/* heron-search-private.h: helpers shared by the provider files (HTML/JSON parsing, URL
 * decoding) and the built-in provider descriptors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "heron-search-provider.h"

G_BEGIN_DECLS

extern const HeronSearchProviderInfo heron_search_duckduckgo_info;
extern const HeronSearchProviderInfo heron_search_bing_info;
extern const HeronSearchProviderInfo heron_search_bing_cn_info;
extern const HeronSearchProviderInfo heron_search_baidu_info;
extern const HeronSearchProviderInfo heron_search_searxng_info;
extern const HeronSearchProviderInfo heron_search_brave_info;
extern const HeronSearchProviderInfo heron_search_tavily_info;
extern const HeronSearchProviderInfo heron_search_bocha_info;

/* XPath predicate: the element has CLASS among its classes. */
#define HERON_XP_CLASS(c) "contains(concat(' ', normalize-space(@class), ' '), ' " c " ')"

typedef struct
{
  htmlDocPtr         doc;
  xmlXPathContextPtr xpath;
} HeronHtml;

/* Parse HTML leniently (never prints, never touches the network). NULL only when libxml2
 * gives up entirely (e.g. empty input). */
HeronHtml *heron_html_parse (const char *text,
                             gsize       len);
void       heron_html_free  (HeronHtml *html);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronHtml, heron_html_free)

/* Nodes matching EXPR relative to NODE (NULL: the document). Never NULL. */
GPtrArray *heron_html_find    (HeronHtml  *html,
                               xmlNodePtr  node,
                               const char *expr);
/* First match or NULL. */
xmlNodePtr heron_html_find_one (HeronHtml  *html,
                                xmlNodePtr  node,
                                const char *expr);
/* Text content with runs of white space collapsed to one space, trimmed; "" for NULL. */
char      *heron_html_text    (xmlNodePtr  node);
/* Attribute value or NULL. */
char      *heron_html_attr    (xmlNodePtr  node,
                               const char *name);

/* Collapse white space and trim (for JSON strings too); strips tags like <strong> that
 * APIs put in snippets, and decodes the few entities they use. */
char      *heron_search_clean_text (const char *text);

/* Resolve HREF against BASE (scheme-relative "//host/..." becomes https). NULL if invalid or
 * not http(s). */
char      *heron_search_absolute_url (const char *base,
                                      const char *href);
/* The value of query parameter NAME in URL, decoded, or NULL. */
char      *heron_search_url_param (const char *url,
                                   const char *name);
/* Host name without a leading "www.", or NULL. */
char      *heron_search_url_site  (const char *url);

/* Add a result when TITLE and URL are usable (fills SITE from the URL when NULL). */
void       heron_search_results_add (GPtrArray  *results,
                                     const char *title,
                                     const char *url,
                                     const char *snippet,
                                     const char *site,
                                     const char *date);

/* json-glib helpers: member of OBJECT as string/array/object, NULL when absent or of
 * another type. */
const char *heron_json_string (JsonObject *object,
                               const char *member);
JsonArray  *heron_json_array  (JsonObject *object,
                               const char *member);
JsonObject *heron_json_object (JsonObject *object,
                               const char *member);
/* Parse TEXT as a JSON object; NULL with PARSE_FAILED naming PROVIDER otherwise. */
JsonObject *heron_json_parse_object (const char  *provider,
                                     const char  *text,
                                     gsize        len,
                                     JsonParser **parser_out,
                                     GError     **error);

/* Where a JSON API keeps the fields of one result. Each entry names a member of the result
 * object, or "object.member" one level down; of the two snippet/date names the first
 * non-empty one wins. NULL entries are not read. */
typedef struct
{
  const char *title;
  const char *url;
  const char *snippet[2];
  const char *site;
  const char *date[2];
} HeronJsonResultFields;

/* Up to MAX_RESULTS results from LIST, the JSON API's result array. LIST may be NULL: then
 * the answer lacks the list called LIST_NAME and a PARSE_FAILED error naming PROVIDER says
 * the format may have changed. Items that are not objects or lack a title/URL are skipped. */
GPtrArray  *heron_json_collect_results (const char                  *provider,
                                        JsonArray                   *list,
                                        const char                  *list_name,
                                        const HeronJsonResultFields *fields,
                                        guint                        max_results,
                                        GError                     **error);

/* A POST of BODY (a JSON object node) to URL, with "Authorization: Bearer KEY" when KEY is
 * set; NULL when URL is invalid. */
SoupMessage *heron_search_json_post (const char *url,
                                     const char *bearer_key,
                                     JsonNode   *body);

/* Build "BASE/PATH" without doubling the slash. */
char       *heron_search_join_url (const char *base,
                                   const char *path);

G_END_DECLS
