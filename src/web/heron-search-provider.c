/* heron-search-provider.c: the shared part of every search provider: the request within
 * limits, HTTP status and redirect interpretation (blocked, rate limited), then the
 * provider's own parser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n.h>

#include "heron-charset.h"
#include "heron-search-private.h"

#define SEARCH_TIMEOUT_MS    10000
#define SEARCH_MAX_BYTES     (4 * 1024 * 1024)
#define SEARCH_MAX_REDIRECTS 3

G_DEFINE_QUARK (heron-search-error-quark, heron_search_error)

/* ---- results ------------------------------------------------------------------------- */

HeronSearchResult *
heron_search_result_new (const char *title,
                         const char *url,
                         const char *snippet,
                         const char *site,
                         const char *date)
{
  HeronSearchResult *result = g_new0 (HeronSearchResult, 1);

  result->title = g_strdup (title != NULL ? title : "");
  result->url = g_strdup (url != NULL ? url : "");
  result->snippet = g_strdup (snippet != NULL ? snippet : "");
  result->site = g_strdup (site);
  result->date = g_strdup (date);
  return result;
}

HeronSearchResult *
heron_search_result_copy (const HeronSearchResult *result)
{
  return heron_search_result_new (result->title, result->url, result->snippet, result->site,
                                  result->date);
}

void
heron_search_result_free (HeronSearchResult *result)
{
  if (result == NULL)
    return;
  g_free (result->title);
  g_free (result->url);
  g_free (result->snippet);
  g_free (result->site);
  g_free (result->date);
  g_free (result);
}

G_DEFINE_BOXED_TYPE (HeronSearchResult, heron_search_result, heron_search_result_copy,
                     heron_search_result_free)

/* ---- descriptors --------------------------------------------------------------------- */

static const HeronSearchProviderInfo * const infos[] = {
  &heron_search_duckduckgo_info,
  &heron_search_bing_info,
  &heron_search_bing_cn_info,
  &heron_search_baidu_info,
  &heron_search_searxng_info,
  &heron_search_brave_info,
  &heron_search_tavily_info,
  &heron_search_bocha_info,
  NULL,
};

const HeronSearchProviderInfo * const *
heron_search_provider_infos (void)
{
  return infos;
}

const HeronSearchProviderInfo *
heron_search_provider_info_lookup (const char *id)
{
  if (id == NULL)
    return NULL;
  for (guint i = 0; infos[i] != NULL; i++)
    if (g_ascii_strcasecmp (infos[i]->id, id) == 0)
      return infos[i];
  return NULL;
}

char *
heron_search_default_locale (void)
{
  static const char *vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };

  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *value = g_getenv (vars[i]);
      g_autofree char *first = NULL;
      char *cut;

      if (value == NULL || *value == '\0')
        continue;
      first = g_strdup (value);
      if ((cut = strchr (first, ':')) != NULL)
        *cut = '\0';
      if ((cut = strpbrk (first, ".@")) != NULL)
        *cut = '\0';
      if (*first == '\0' || g_str_equal (first, "C") || g_str_equal (first, "POSIX"))
        continue;
      return g_steal_pointer (&first);
    }
  return g_strdup ("en_US");
}

/* ---- the provider object ------------------------------------------------------------- */

struct _HeronSearchProvider
{
  GObject                        parent_instance;

  const HeronSearchProviderInfo *info;     /* static */
  HeronWebSession               *session;  /* owned; default session when not set */
  char                          *base_url; /* owned override, may be NULL */
  char                          *api_key;  /* owned, never logged */
  char                          *locale;   /* owned */
  guint                          timeout_ms;
};

G_DEFINE_FINAL_TYPE (HeronSearchProvider, heron_search_provider, G_TYPE_OBJECT)

static void
heron_search_provider_finalize (GObject *object)
{
  HeronSearchProvider *self = HERON_SEARCH_PROVIDER (object);

  g_clear_object (&self->session);
  g_free (self->base_url);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  g_free (self->locale);
  G_OBJECT_CLASS (heron_search_provider_parent_class)->finalize (object);
}

static void
heron_search_provider_class_init (HeronSearchProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_search_provider_finalize;
}

static void
heron_search_provider_init (HeronSearchProvider *self)
{
  self->locale = heron_search_default_locale ();
  self->timeout_ms = SEARCH_TIMEOUT_MS;
}

HeronSearchProvider *
heron_search_provider_new_for_info (const HeronSearchProviderInfo *info)
{
  HeronSearchProvider *self;

  g_return_val_if_fail (info != NULL, NULL);
  self = g_object_new (HERON_TYPE_SEARCH_PROVIDER, NULL);
  self->info = info;
  return self;
}

HeronSearchProvider *
heron_search_provider_new (const char  *id,
                           GError     **error)
{
  const HeronSearchProviderInfo *info = heron_search_provider_info_lookup (id);

  if (info == NULL)
    {
      g_autoptr(GString) known = g_string_new (NULL);

      for (guint i = 0; infos[i] != NULL; i++)
        g_string_append_printf (known, "%s%s", i > 0 ? ", " : "", infos[i]->id);
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER,
                   _("Unknown search provider “%s” (known: %s)"), id != NULL ? id : "",
                   known->str);
      return NULL;
    }
  return heron_search_provider_new_for_info (info);
}

const HeronSearchProviderInfo *
heron_search_provider_get_info (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), NULL);
  return self->info;
}

const char *
heron_search_provider_get_id (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), NULL);
  return self->info->id;
}

const char *
heron_search_provider_get_display_name (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), NULL);
  return _(self->info->display_name);
}

gboolean
heron_search_provider_get_needs_key (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), FALSE);
  return self->info->needs_key;
}

void
heron_search_provider_set_base_url (HeronSearchProvider *self,
                                    const char          *base_url)
{
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  g_free (self->base_url);
  self->base_url = (base_url != NULL && *base_url != '\0') ? g_strdup (base_url) : NULL;
}

const char *
heron_search_provider_get_base_url (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), NULL);
  return self->base_url != NULL ? self->base_url : self->info->default_base_url;
}

void
heron_search_provider_set_api_key (HeronSearchProvider *self,
                                   const char          *api_key)
{
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = (api_key != NULL && *api_key != '\0') ? g_strdup (api_key) : NULL;
}

gboolean
heron_search_provider_has_api_key (HeronSearchProvider *self)
{
  g_return_val_if_fail (HERON_IS_SEARCH_PROVIDER (self), FALSE);
  return self->api_key != NULL;
}

void
heron_search_provider_set_locale (HeronSearchProvider *self,
                                  const char          *locale)
{
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  g_free (self->locale);
  self->locale = locale != NULL ? g_strdup (locale) : heron_search_default_locale ();
}

void
heron_search_provider_set_session (HeronSearchProvider *self,
                                   HeronWebSession     *session)
{
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  g_set_object (&self->session, session);
}

void
heron_search_provider_set_timeout (HeronSearchProvider *self,
                                   guint                timeout_ms)
{
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : SEARCH_TIMEOUT_MS;
}

/* ---- answers --------------------------------------------------------------------------- */

/* Hosts and paths that only ever serve an anti-bot check or a consent wall. */
static gboolean
location_is_block (const char *location)
{
  static const char *markers[] = {
    "wappass.baidu.com", "/captcha", "captcha.", "/challenge", "/sorry/", "consent.",
    "/anomaly", "verify.", "/turing/",
  };
  g_autofree char *lower = NULL;

  if (location == NULL)
    return FALSE;
  lower = g_ascii_strdown (location, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    if (strstr (lower, markers[i]) != NULL)
      return TRUE;
  return FALSE;
}

static char *
describe_retry_after (const char *value)
{
  g_autoptr(GDateTime) when = NULL;
  char *end = NULL;
  guint64 seconds;

  if (value == NULL)
    return g_strdup (_("no retry time given"));
  seconds = g_ascii_strtoull (value, &end, 10);
  if (end != value && (*end == '\0' || g_ascii_isspace (*end)))
    return g_strdup_printf (_("retry after %" PRIu64 " s"), seconds);
  when = soup_date_time_new_from_http_string (value);
  if (when != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      gint64 diff = g_date_time_difference (when, now) / G_TIME_SPAN_SECOND;

      return g_strdup_printf (_("retry after %" PRId64 " s"), MAX (diff, 0));
    }
  return g_strdup_printf (_("retry after “%s”"), value);
}

gboolean
heron_search_provider_check_response (const HeronSearchProviderInfo  *info,
                                      guint                           status,
                                      SoupMessageHeaders             *headers,
                                      GError                        **error)
{
  const char *name = _(info->display_name);
  const char *location = headers != NULL ?
                         soup_message_headers_get_one (headers, "Location") : NULL;

  if (status >= 300 && status < 400 && location_is_block (location))
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                   _("%s sent a verification page (CAPTCHA) instead of results (%s)"),
                   name, location);
      return TRUE;
    }
  if (status == 429 || (g_str_equal (info->id, "tavily") && (status == 432 || status == 433)))
    {
      const char *after = headers != NULL ?
                          soup_message_headers_get_one (headers, "Retry-After") : NULL;
      g_autofree char *reset = NULL;
      g_autofree char *retry = NULL;

      /* Brave sends "X-RateLimit-Reset: <per-second window>, <per-month window>" instead. */
      if (after == NULL && headers != NULL &&
          soup_message_headers_get_one (headers, "X-RateLimit-Reset") != NULL)
        {
          reset = g_strdup (soup_message_headers_get_one (headers, "X-RateLimit-Reset"));
          reset[strcspn (reset, ",")] = '\0';
          g_strstrip (reset);
          after = reset;
        }
      retry = describe_retry_after (after);
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_RATE_LIMITED,
                   _("%s is limiting the rate of requests (HTTP %u; %s)"), name, status, retry);
      return TRUE;
    }
  if (info->is_api && (status == 401 || status == 403))
    {
      if (info->needs_key)
        g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_HTTP,
                     _("%s rejected the API key (HTTP %u); check the key in Preferences"),
                     name, status);
      else
        g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_HTTP,
                     _("%s refused the request (HTTP %u); a SearXNG instance must allow the "
                       "JSON format (search: formats: [html, json] in settings.yml)"),
                     name, status);
      return TRUE;
    }
  if (status == 403 || status == 451)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_BLOCKED,
                   _("%s refused to answer (HTTP %u): automated searches are blocked"),
                   name, status);
      return TRUE;
    }
  if (status < 200 || status >= 300)
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_HTTP,
                   _("%s answered with HTTP %u %s"), name, status,
                   soup_status_get_phrase (status) != NULL ? soup_status_get_phrase (status) : "");
      return TRUE;
    }
  return FALSE;
}

static GError *
map_web_error (const HeronSearchProviderInfo *info,
               const GError                  *error)
{
  const char *name = _(info->display_name);
  int code = HERON_SEARCH_ERROR_NETWORK;

  if (error->domain != HERON_WEB_ERROR)
    return g_error_copy (error);
  switch (error->code)
    {
    case HERON_WEB_ERROR_OFFLINE:
      code = HERON_SEARCH_ERROR_OFFLINE;
      break;
    case HERON_WEB_ERROR_TIMEOUT:
      code = HERON_SEARCH_ERROR_TIMEOUT;
      break;
    case HERON_WEB_ERROR_TOO_LARGE:
      code = HERON_SEARCH_ERROR_PARSE_FAILED;
      break;
    default:
      code = HERON_SEARCH_ERROR_NETWORK;
      break;
    }
  return g_error_new (HERON_SEARCH_ERROR, code, "%s: %s", name, error->message);
}

typedef struct
{
  char  *query;
  guint  max_results;
  guint  hops;
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_free (data->query);
  g_free (data);
}

static void send_request (GTask *task, SoupMessage *msg);

static void
on_response (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronSearchProvider *self = g_task_get_source_object (task);
  SearchData *data = g_task_get_task_data (task);
  g_autoptr(HeronWebResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *location;
  GPtrArray *results;
  gsize size;
  const char *bytes;

  response = heron_web_session_send_finish (HERON_WEB_SESSION (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, map_web_error (self->info, error));
      return;
    }

  location = soup_message_headers_get_one (response->headers, "Location");
  if (response->status >= 300 && response->status < 400 && location != NULL &&
      !location_is_block (location))
    {
      /* An ordinary redirect (e.g. to another regional host): follow a few by hand, so a
       * redirect to a CAPTCHA host is recognised instead of being fetched. */
      g_autofree char *next = heron_search_absolute_url (response->final_url, location);

      if (next != NULL && ++data->hops <= SEARCH_MAX_REDIRECTS)
        {
          g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, next);

          if (msg != NULL)
            {
              send_request (g_steal_pointer (&task), msg);
              return;
            }
        }
      g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NETWORK,
                               _("%s redirected too often or to an invalid address"),
                               _(self->info->display_name));
      return;
    }

  if (heron_search_provider_check_response (self->info, response->status, response->headers,
                                            &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  bytes = g_bytes_get_data (response->body, &size);
  text = heron_charset_decode (bytes, size,
                               soup_message_headers_get_one (response->headers, "Content-Type"),
                               NULL, NULL);
  results = self->info->parse (text, strlen (text), data->max_results, &error);
  if (results == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

static void
send_request (GTask       *task_,
              SoupMessage *msg)
{
  g_autoptr(GTask) task = task_;
  GCancellable *cancellable = g_task_get_cancellable (task);
  HeronSearchProvider *self = g_task_get_source_object (task);
  HeronWebSession *session = self->session != NULL ? self->session :
                             heron_web_session_get_default ();
  HeronWebLimits limits = {
    .timeout_ms = self->timeout_ms,
    .max_bytes = SEARCH_MAX_BYTES,
    .max_redirects = 0,
    .refuse_private = FALSE,
  };
  g_autofree char *lang = g_strdup (self->locale);
  char *underscore = strchr (lang, '_');

  if (underscore != NULL)
    *underscore = '-';
  {
    g_autofree char *accept_lang = g_strdup_printf ("%s,en;q=0.5", lang);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language",
                                  accept_lang);
  }
  if (soup_message_headers_get_one (soup_message_get_request_headers (msg), "Accept") == NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                  self->info->is_api ? "application/json" :
                                  "text/html,application/xhtml+xml");
  heron_web_session_send_async (session, msg, &limits, cancellable,
                                on_response, g_steal_pointer (&task));
}

void
heron_search_provider_search_async (HeronSearchProvider *self,
                                    const char          *query,
                                    guint                max_results,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  SearchData *data;
  HeronSearchRequest request = { 0 };
  const char *name;

  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_search_provider_search_async);
  data = g_new0 (SearchData, 1);
  data->query = g_strstrip (g_strdup (query));
  data->max_results = max_results > 0 ? MIN (max_results, 50) : 10;
  g_task_set_task_data (task, data, (GDestroyNotify) search_data_free);
  name = _(self->info->display_name);

  if (*data->query == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The search query is empty"));
      return;
    }
  if (self->info->needs_key && self->api_key == NULL)
    {
      g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_KEY,
                               _("%s needs an API key; add one in Preferences"), name);
      return;
    }
  if (heron_search_provider_get_base_url (self) == NULL)
    {
      g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NOT_CONFIGURED,
                               _("%s needs the address of an instance (e.g. --searxng URL)"),
                               name);
      return;
    }

  request.base_url = heron_search_provider_get_base_url (self);
  request.query = data->query;
  request.max_results = data->max_results;
  request.api_key = self->api_key;
  request.locale = self->locale;
  msg = self->info->build_request (&request);
  if (msg == NULL)
    {
      g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NOT_CONFIGURED,
                               _("%s: “%s” is not a usable address"), name, request.base_url);
      return;
    }
  send_request (g_steal_pointer (&task), msg);
}

GPtrArray *
heron_search_provider_search_finish (HeronSearchProvider  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
