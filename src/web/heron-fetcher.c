/* heron-fetcher.c: bounded, queued, cached page reading.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-charset.h"
#include "heron-fetcher.h"
#include "heron-web-cache.h"

struct _HeronFetcher
{
  GObject          parent_instance;

  HeronWebSession *session;      /* owned */
  HeronStore      *store;        /* owned, may be NULL */
  GQueue           queue;        /* owned GTask refs waiting for a slot */
  guint            n_active;
  guint            max_parallel;
  guint            timeout_ms;
  gsize            max_bytes;
  guint            max_redirects;
  gint64           ttl_ms;
  gboolean         allow_private;
  gboolean         pdf_supported;
};

G_DEFINE_FINAL_TYPE (HeronFetcher, heron_fetcher, G_TYPE_OBJECT)

void
heron_fetch_result_free (HeronFetchResult *result)
{
  if (result == NULL)
    return;
  g_free (result->url);
  g_free (result->final_url);
  g_free (result->content_type);
  g_free (result->charset);
  g_free (result->text);
  g_clear_pointer (&result->body, g_bytes_unref);
  g_free (result->skip_reason);
  g_free (result);
}

static void
heron_fetcher_dispose (GObject *object)
{
  HeronFetcher *self = HERON_FETCHER (object);
  GTask *task;

  /* Queued fetches hold a reference on the fetcher, so this only runs with an empty queue;
   * drain anyway to be safe. */
  while ((task = g_queue_pop_head (&self->queue)) != NULL)
    g_object_unref (task);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (heron_fetcher_parent_class)->dispose (object);
}

static void
heron_fetcher_class_init (HeronFetcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = heron_fetcher_dispose;
}

static void
heron_fetcher_init (HeronFetcher *self)
{
  g_queue_init (&self->queue);
  self->max_parallel = 4;
  self->timeout_ms = HERON_WEB_DEFAULT_TIMEOUT_MS;
  self->max_bytes = HERON_WEB_DEFAULT_MAX_BYTES;
  self->max_redirects = HERON_WEB_DEFAULT_MAX_REDIRECTS;
  self->ttl_ms = HERON_WEB_CACHE_PAGE_TTL_MS;
}

HeronFetcher *
heron_fetcher_new (HeronWebSession *session)
{
  HeronFetcher *self = g_object_new (HERON_TYPE_FETCHER, NULL);

  self->session = g_object_ref (session != NULL ? session : heron_web_session_get_default ());
  return self;
}

void
heron_fetcher_set_store (HeronFetcher *self,
                         HeronStore   *store)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  g_set_object (&self->store, store);
}

void
heron_fetcher_set_max_parallel (HeronFetcher *self,
                                guint         n)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->max_parallel = CLAMP (n, 1, 16);
}

void
heron_fetcher_set_timeout (HeronFetcher *self,
                           guint         timeout_ms)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : HERON_WEB_DEFAULT_TIMEOUT_MS;
}

void
heron_fetcher_set_max_bytes (HeronFetcher *self,
                             gsize         max_bytes)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->max_bytes = max_bytes > 0 ? max_bytes : HERON_WEB_DEFAULT_MAX_BYTES;
}

void
heron_fetcher_set_max_redirects (HeronFetcher *self,
                                 guint         n)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->max_redirects = MIN (n, 20);
}

void
heron_fetcher_set_page_ttl (HeronFetcher *self,
                            gint64        ttl_ms)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->ttl_ms = ttl_ms > 0 ? ttl_ms : HERON_WEB_CACHE_PAGE_TTL_MS;
}

void
heron_fetcher_set_allow_private (HeronFetcher *self,
                                 gboolean      allow)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->allow_private = !!allow;
}

void
heron_fetcher_set_pdf_supported (HeronFetcher *self,
                                 gboolean      supported)
{
  g_return_if_fail (HERON_IS_FETCHER (self));
  self->pdf_supported = !!supported;
}

guint
heron_fetcher_get_n_active (HeronFetcher *self)
{
  g_return_val_if_fail (HERON_IS_FETCHER (self), 0);
  return self->n_active;
}

guint
heron_fetcher_get_n_queued (HeronFetcher *self)
{
  g_return_val_if_fail (HERON_IS_FETCHER (self), 0);
  return self->queue.length;
}

/* ---- content types ------------------------------------------------------------------- */

gboolean
heron_fetch_classify (const char      *content_type,
                      GBytes          *body,
                      HeronFetchKind  *kind,
                      char           **mime_out,
                      GError         **error)
{
  g_autofree char *mime = NULL;
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  if (content_type != NULL && *content_type != '\0')
    {
      const char *semi = strchr (content_type, ';');
      mime = g_ascii_strdown (content_type, semi != NULL ? semi - content_type : -1);
      g_strstrip (mime);
    }
  /* Servers often send PDFs as octet-stream, and some send no type at all. */
  if ((mime == NULL || *mime == '\0' || g_str_equal (mime, "application/octet-stream")) &&
      size >= 5 && memcmp (data, "%PDF-", 5) == 0)
    {
      g_free (mime);
      mime = g_strdup ("application/pdf");
    }
  if (mime == NULL || *mime == '\0')
    {
      g_free (mime);
      mime = g_strdup ("text/html");
    }

  if (g_str_equal (mime, "text/html") || g_str_equal (mime, "application/xhtml+xml"))
    *kind = HERON_FETCH_KIND_HTML;
  else if (g_str_equal (mime, "application/pdf") || g_str_equal (mime, "application/x-pdf"))
    *kind = HERON_FETCH_KIND_PDF;
  else if (g_str_has_prefix (mime, "text/") || g_str_equal (mime, "application/json") ||
           g_str_equal (mime, "application/xml") || g_str_has_suffix (mime, "+xml") ||
           g_str_has_suffix (mime, "+json"))
    *kind = HERON_FETCH_KIND_TEXT;
  else
    {
      g_set_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSUPPORTED_TYPE,
                   _("The address points to a file of type %s, not a page Heron can read"),
                   mime);
      return FALSE;
    }
  if (mime_out != NULL)
    *mime_out = g_steal_pointer (&mime);
  return TRUE;
}

/* ---- one fetch ----------------------------------------------------------------------- */

typedef struct
{
  char               *url;
  char               *cache_key;
  HeronFetchFlags     flags;
  HeronWebCacheEntry *cached;     /* owned: a stale entry being revalidated, or NULL */
  gboolean            started;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_free (data->url);
  g_free (data->cache_key);
  g_clear_pointer (&data->cached, heron_web_cache_entry_free);
  g_free (data);
}

static void pump_queue (HeronFetcher *self);

/* Every started fetch ends here exactly once: free the slot, start the next. */
static void
release_slot (GTask *task)
{
  HeronFetcher *self = g_task_get_source_object (task);

  g_assert (self->n_active > 0);
  self->n_active--;
  pump_queue (self);
}

static void
return_error (GTask  *task,
              GError *error)
{
  release_slot (task);
  g_task_return_error (task, error);
}

static void
return_result (GTask            *task,
               HeronFetchResult *result)
{
  release_slot (task);
  g_task_return_pointer (task, result, (GDestroyNotify) heron_fetch_result_free);
}

static HeronFetchResult *
build_result (HeronFetcher  *self,
              const char    *url,
              const char    *final_url,
              guint          status,
              const char    *content_type,
              GBytes        *body,
              GError       **error)
{
  g_autoptr(HeronFetchResult) result = g_new0 (HeronFetchResult, 1);
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  if (!heron_fetch_classify (content_type, body, &result->kind, &result->content_type, error))
    {
      g_prefix_error (error, "%s: ", url);
      return NULL;
    }
  result->url = g_strdup (url);
  result->final_url = g_strdup (final_url != NULL ? final_url : url);
  result->status = status;
  result->body = g_bytes_ref (body);
  if (result->kind == HERON_FETCH_KIND_PDF)
    {
      if (!self->pdf_supported)
        result->skip_reason = g_strdup (_("PDF documents cannot be read: the documents parser "
                                          "is not available in this build"));
    }
  else
    result->text = heron_charset_decode (data, size, content_type, &result->charset, NULL);
  return g_steal_pointer (&result);
}

static gboolean
cacheable (SoupMessageHeaders *headers)
{
  const char *cc = soup_message_headers_get_list (headers, "Cache-Control");

  return cc == NULL || (strstr (cc, "no-store") == NULL && strstr (cc, "private") == NULL);
}

static void
on_fetched (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronFetcher *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(HeronWebResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  HeronFetchResult *result;
  const char *content_type;
  gint64 now = g_get_real_time () / 1000;

  response = heron_web_session_send_finish (HERON_WEB_SESSION (source), res, &error);
  if (response == NULL)
    {
      return_error (task, g_steal_pointer (&error));
      return;
    }

  if (response->status == 304 && data->cached != NULL)
    {
      /* Unchanged: keep the stored body, push its expiry forward. */
      result = build_result (self, data->url, data->cached->url, data->cached->status,
                             data->cached->content_type, data->cached->body, &error);
      if (result == NULL)
        {
          return_error (task, g_steal_pointer (&error));
          return;
        }
      result->revalidated = TRUE;
      result->fetched_at = now;
      if (self->store != NULL)
        heron_web_cache_refresh_async (self->store, data->cache_key, now, now + self->ttl_ms,
                                       NULL, NULL, NULL);
      return_result (task, result);
      return;
    }

  if (response->status < 200 || response->status >= 300)
    {
      return_error (task, g_error_new (HERON_WEB_ERROR, HERON_WEB_ERROR_HTTP,
                                       _("%s: the server answered HTTP %u %s"), data->url,
                                       response->status,
                                       response->reason != NULL ? response->reason : ""));
      return;
    }

  content_type = soup_message_headers_get_one (response->headers, "Content-Type");
  result = build_result (self, data->url, response->final_url, response->status, content_type,
                         response->body, &error);
  if (result == NULL)
    {
      return_error (task, g_steal_pointer (&error));
      return;
    }
  result->fetched_at = now;
  result->n_redirects = response->n_redirects;

  if (self->store != NULL && !(data->flags & HERON_FETCH_FLAGS_NO_CACHE) &&
      response->status == 200 && cacheable (response->headers))
    {
      g_autoptr(HeronWebCacheEntry) entry = heron_web_cache_entry_new (data->cache_key, "page");

      entry->url = g_strdup (response->final_url);
      entry->status = response->status;
      entry->etag = g_strdup (soup_message_headers_get_one (response->headers, "ETag"));
      entry->last_modified = g_strdup (soup_message_headers_get_one (response->headers,
                                                                     "Last-Modified"));
      entry->content_type = g_strdup (content_type);
      g_bytes_unref (entry->body);
      entry->body = g_bytes_ref (response->body);
      entry->fetched_at = now;
      entry->expires_at = now + self->ttl_ms;
      heron_web_cache_store_async (self->store, entry, NULL, NULL, NULL);
    }
  return_result (task, result);
}

static void
send_request (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  GCancellable *cancellable = g_task_get_cancellable (task);
  HeronFetcher *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, data->url);
  SoupMessageHeaders *headers;
  HeronWebLimits limits = {
    .timeout_ms = self->timeout_ms,
    .max_bytes = self->max_bytes,
    .max_redirects = (int) self->max_redirects,
    .refuse_private = (data->flags & HERON_FETCH_FLAGS_FROM_SEARCH) && !self->allow_private,
  };

  if (msg == NULL)
    {
      return_error (task, g_error_new (HERON_WEB_ERROR, HERON_WEB_ERROR_INVALID_URL,
                                       _("“%s” is not a web address"), data->url));
      return;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept",
                                "text/html,application/xhtml+xml,text/plain;q=0.9,"
                                "application/pdf;q=0.8,*/*;q=0.5");
  if (data->cached != NULL && data->cached->etag != NULL)
    soup_message_headers_replace (headers, "If-None-Match", data->cached->etag);
  if (data->cached != NULL && data->cached->last_modified != NULL)
    soup_message_headers_replace (headers, "If-Modified-Since", data->cached->last_modified);
  heron_web_session_send_async (self->session, msg, &limits, cancellable,
                                on_fetched, g_steal_pointer (&task));
}

static void
on_cache_lookup (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronFetcher *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);
  g_autoptr(HeronWebCacheEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / 1000;

  entry = heron_web_cache_lookup_finish (HERON_STORE (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      return_error (task, g_steal_pointer (&error));
      return;
    }
  if (entry != NULL && heron_web_cache_entry_is_fresh (entry, now))
    {
      HeronFetchResult *result = build_result (self, data->url, entry->url, entry->status,
                                               entry->content_type, entry->body, NULL);
      if (result != NULL)
        {
          result->from_cache = TRUE;
          result->fetched_at = entry->fetched_at;
          return_result (task, result);
          return;
        }
    }
  if (entry != NULL && (entry->etag != NULL || entry->last_modified != NULL))
    data->cached = g_steal_pointer (&entry);
  send_request (g_steal_pointer (&task));
}

static void
start_fetch (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  GCancellable *cancellable = g_task_get_cancellable (task);
  HeronFetcher *self = g_task_get_source_object (task);
  FetchData *data = g_task_get_task_data (task);

  self->n_active++;
  data->started = TRUE;
  if (g_task_return_error_if_cancelled (task))
    {
      self->n_active--;
      return;
    }
  if (self->store != NULL && !(data->flags & HERON_FETCH_FLAGS_NO_CACHE))
    heron_web_cache_lookup_async (self->store, data->cache_key, cancellable,
                                  on_cache_lookup, g_steal_pointer (&task));
  else
    send_request (g_steal_pointer (&task));
}

static void
pump_queue (HeronFetcher *self)
{
  while (self->n_active < self->max_parallel && self->queue.length > 0)
    start_fetch (g_queue_pop_head (&self->queue));
}

void
heron_fetcher_fetch_async (HeronFetcher        *self,
                           const char          *url,
                           HeronFetchFlags      flags,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  FetchData *data;

  g_return_if_fail (HERON_IS_FETCHER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_fetcher_fetch_async);

  uri = heron_web_parse_http_url (url, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data = g_new0 (FetchData, 1);
  data->url = g_uri_to_string_partial (uri, G_URI_HIDE_FRAGMENT);
  data->cache_key = g_strconcat ("page:", data->url, NULL);
  data->flags = flags;
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);

  g_queue_push_tail (&self->queue, g_steal_pointer (&task));
  pump_queue (self);
}

HeronFetchResult *
heron_fetcher_fetch_finish (HeronFetcher  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
