/* heron-web-session.c: shared SoupSession, offline state and the bounded request (deadline,
 * decoded-size cap while reading, hand-followed redirects, private-address refusal).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-web-session.h"

#define READ_CHUNK 65536

struct _HeronWebSession
{
  GObject          parent_instance;

  SoupSession     *soup;      /* owned */
  GNetworkMonitor *monitor;   /* borrowed (the default monitor) */
  gulong           changed_id;
  gboolean         failed_offline; /* a connection failed for lack of network */
};

G_DEFINE_FINAL_TYPE (HeronWebSession, heron_web_session, G_TYPE_OBJECT)
G_DEFINE_QUARK (heron-web-error-quark, heron_web_error)

const char *
heron_web_user_agent (void)
{
  return "Heron/" PACKAGE_VERSION " (+https://github.com/heronchat/heron)";
}

void
heron_web_response_free (HeronWebResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->reason);
  g_free (response->final_url);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         user_data)
{
  HeronWebSession *self = user_data;

  /* A new network is a new chance: forget that the last connection failed. */
  if (available)
    self->failed_offline = FALSE;
}

static void
heron_web_session_dispose (GObject *object)
{
  HeronWebSession *self = HERON_WEB_SESSION (object);

  g_clear_signal_handler (&self->changed_id, self->monitor);
  if (self->soup != NULL)
    soup_session_abort (self->soup);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (heron_web_session_parent_class)->dispose (object);
}

static void
heron_web_session_class_init (HeronWebSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = heron_web_session_dispose;
}

static void
heron_web_session_init (HeronWebSession *self)
{
  /* Four pages at once may come from one host (tests: 127.0.0.1); the fetcher's queue is what
   * keeps Heron polite, not libsoup's per-host limit of 2. */
  self->soup = soup_session_new_with_options ("user-agent", heron_web_user_agent (),
                                              "max-conns-per-host", 4,
                                              "timeout", 0,
                                              NULL);
  if (!soup_session_has_feature (self->soup, SOUP_TYPE_CONTENT_DECODER))
    soup_session_add_feature_by_type (self->soup, SOUP_TYPE_CONTENT_DECODER);
  self->monitor = g_network_monitor_get_default ();
  self->changed_id = g_signal_connect_object (self->monitor, "network-changed",
                                              G_CALLBACK (on_network_changed), self, 0);
}

HeronWebSession *
heron_web_session_new (void)
{
  return g_object_new (HERON_TYPE_WEB_SESSION, NULL);
}

HeronWebSession *
heron_web_session_get_default (void)
{
  static HeronWebSession *instance;

  if (g_once_init_enter (&instance))
    g_once_init_leave (&instance, heron_web_session_new ());
  return instance;
}

SoupSession *
heron_web_session_get_soup_session (HeronWebSession *self)
{
  g_return_val_if_fail (HERON_IS_WEB_SESSION (self), NULL);
  return self->soup;
}

gboolean
heron_web_session_is_offline (HeronWebSession *self)
{
  g_return_val_if_fail (HERON_IS_WEB_SESSION (self), TRUE);
  return self->failed_offline || !g_network_monitor_get_network_available (self->monitor);
}

void
heron_web_session_set_offline (HeronWebSession *self,
                               gboolean         offline)
{
  g_return_if_fail (HERON_IS_WEB_SESSION (self));
  self->failed_offline = !!offline;
}

gboolean
heron_web_is_offline (void)
{
  return heron_web_session_is_offline (heron_web_session_get_default ());
}

gboolean
heron_web_address_is_private (GInetAddress *address)
{
  const guint8 *b;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), TRUE);

  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_link_local (address) ||
      g_inet_address_get_is_site_local (address) || g_inet_address_get_is_any (address) ||
      g_inet_address_get_is_multicast (address))
    return TRUE;

  b = g_inet_address_to_bytes (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    {
      /* 0/8 "this network", 100.64/10 carrier-grade NAT, 198.18/15 benchmarking. */
      return b[0] == 0 || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
             (b[0] == 198 && (b[1] & 0xfe) == 18) || b[0] >= 240;
    }

  /* fc00::/7 unique local (GLib's site-local is only the old fec0::/10). */
  if ((b[0] & 0xfe) == 0xfc)
    return TRUE;
  /* ::ffff:a.b.c.d and the NAT64 prefix carry an IPv4 address: judge that one. */
  {
    static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

    if (memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
      {
        g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes (b + 12,
                                                                    G_SOCKET_FAMILY_IPV4);
        return heron_web_address_is_private (v4);
      }
  }
  return FALSE;
}

gboolean
heron_web_uri_is_loopback (GUri *uri)
{
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

GUri *
heron_web_parse_http_url (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (url == NULL || *url == '\0' ||
      (uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL)) == NULL)
    {
      g_set_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_INVALID_URL,
                   _("“%s” is not a web address"), url != NULL ? url : "");
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSUPPORTED_SCHEME,
                   _("Only http and https addresses are read, not “%s:”"), scheme);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, HERON_WEB_ERROR, HERON_WEB_ERROR_INVALID_URL,
                   _("“%s” has no host name"), url);
      return NULL;
    }
  return g_steal_pointer (&uri);
}

/* ---- one bounded request ------------------------------------------------------------- */

typedef struct
{
  HeronWebSession *self;        /* owned */
  SoupMessage     *msg;         /* owned: the current hop */
  HeronWebLimits   limits;
  GCancellable    *inner;       /* owned: cancelled by deadline, unsafe address or caller */
  GCancellable    *outer;       /* owned, may be NULL */
  gulong           outer_id;
  GSource         *deadline;    /* owned */
  gulong           event_id;
  GInputStream    *stream;      /* owned */
  GByteArray      *body;        /* owned */
  GHashTable      *visited;     /* owned set of URL strings */
  guint            n_redirects;
  gboolean         timed_out;
  char            *unsafe;      /* the refused address, when that is why we stopped */
  char            *host;        /* host of the current hop, for messages */
} SendData;

static void
send_data_free (SendData *data)
{
  if (data->outer_id != 0)
    g_cancellable_disconnect (data->outer, data->outer_id);
  if (data->deadline != NULL)
    g_source_destroy (data->deadline);
  g_clear_pointer (&data->deadline, g_source_unref);
  g_clear_signal_handler (&data->event_id, data->msg);
  g_clear_object (&data->stream);
  g_clear_object (&data->msg);
  g_clear_object (&data->inner);
  g_clear_object (&data->outer);
  g_clear_object (&data->self);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_clear_pointer (&data->visited, g_hash_table_unref);
  g_free (data->unsafe);
  g_free (data->host);
  g_free (data);
}

static gboolean
on_deadline (gpointer user_data)
{
  SendData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->inner);
  g_clear_pointer (&data->deadline, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
on_outer_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  /* Runs on whatever thread cancelled; GCancellable is thread-safe. */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  SendData *data = user_data;
  g_autoptr(GSocketAddress) remote = NULL;
  GInetAddress *address;

  /* Checked on the connected socket, so a name that resolves to a private address (or is
   * re-resolved to one between checks) is caught too. */
  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection))
    return;
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (heron_web_address_is_private (address))
    {
      g_free (data->unsafe);
      data->unsafe = g_inet_address_to_string (address);
      g_cancellable_cancel (data->inner);
    }
}

static void
fail_unsafe (GTask      *task,
             const char *host,
             const char *address)
{
  g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_UNSAFE_ADDRESS,
                           _("Refused to read %s: it is a local or private network address (%s), "
                             "and addresses from search results must be public"),
                           host, address);
}

static void
return_transport_error (GTask  *task,
                        GError *error)
{
  SendData *data = g_task_get_task_data (task);

  if (data->timed_out)
    g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_TIMEOUT,
                             _("%s did not answer completely within %.1f s"),
                             data->host, data->limits.timeout_ms / 1000.0);
  else if (data->unsafe != NULL)
    fail_unsafe (task, data->host, data->unsafe);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_TIMEOUT,
                             _("Connection to %s timed out"), data->host);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
           g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
    {
      /* No route or no DNS at all: the next request would fail the same way, so later
       * requests report "offline" at once instead of each waiting for its own failure. */
      data->self->failed_offline = TRUE;
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_OFFLINE,
                               _("No network connection (reaching %s: %s)"),
                               data->host, error->message);
    }
  else if (error->domain == G_RESOLVER_ERROR)
    g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_NETWORK,
                             _("Cannot find the server %s: %s"), data->host, error->message);
  else
    g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_NETWORK,
                             _("Cannot read from %s: %s"), data->host, error->message);
}

static void start_hop (GTask *task);

static void
finish_ok (GTask *task)
{
  SendData *data = g_task_get_task_data (task);
  HeronWebResponse *response = g_new0 (HeronWebResponse, 1);

  response->status = soup_message_get_status (data->msg);
  response->reason = g_strdup (soup_message_get_reason_phrase (data->msg));
  response->final_url = g_uri_to_string (soup_message_get_uri (data->msg));
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (data->msg));
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&data->body));
  response->n_redirects = data->n_redirects;
  g_task_return_pointer (task, response, (GDestroyNotify) heron_web_response_free);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      return_transport_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      finish_ok (task);
      return;
    }
  if (data->body->len + g_bytes_get_size (chunk) > data->limits.max_bytes)
    {
      g_autofree char *cap = g_format_size (data->limits.max_bytes);

      /* Stop now: the rest is never read (or decompressed). */
      g_cancellable_cancel (data->inner);
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_TOO_LARGE,
                               _("The page from %s is larger than %s; reading stopped there"),
                               data->host, cap);
      return;
    }
  g_byte_array_append (data->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (data->stream, READ_CHUNK, G_PRIORITY_DEFAULT, data->inner,
                                   on_read, g_steal_pointer (&task));
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
follow_redirect (GTask *task)
{
  SendData *data = g_task_get_task_data (task);
  SoupMessageHeaders *old_req = soup_message_get_request_headers (data->msg);
  const char *location;
  const char *header;
  g_autoptr(GUri) next = NULL;
  g_autofree char *next_str = NULL;
  SoupMessage *msg;

  location = soup_message_headers_get_one (soup_message_get_response_headers (data->msg),
                                           "Location");
  next = g_uri_parse_relative (soup_message_get_uri (data->msg), location,
                               SOUP_HTTP_URI_FLAGS, NULL);
  if (next == NULL)
    {
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_INVALID_URL,
                               _("%s redirected to an invalid address “%s”"), data->host,
                               location);
      return;
    }
  next_str = g_uri_to_string_partial (next, G_URI_HIDE_FRAGMENT);
  if (g_hash_table_contains (data->visited, next_str))
    {
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_REDIRECT_LOOP,
                               _("Redirect loop: %s leads back to %s"), data->host, next_str);
      return;
    }
  if (++data->n_redirects > (guint) data->limits.max_redirects)
    {
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_TOO_MANY_REDIRECTS,
                               _("More than %d redirects starting from %s"),
                               data->limits.max_redirects, data->host);
      return;
    }

  msg = soup_message_new_from_uri (SOUP_METHOD_GET, next);
  if ((header = soup_message_headers_get_one (old_req, "Accept")) != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", header);
  if ((header = soup_message_headers_get_one (old_req, "Accept-Language")) != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language",
                                  header);
  g_clear_signal_handler (&data->event_id, data->msg);
  g_clear_object (&data->stream);
  g_set_object (&data->msg, msg);
  g_object_unref (msg);
  start_hop (g_steal_pointer (&task));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;

  data->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (data->stream == NULL)
    {
      return_transport_error (task, error);
      return;
    }
  data->self->failed_offline = FALSE;

  status = soup_message_get_status (data->msg);
  if (is_redirect (status) && data->limits.max_redirects > 0 &&
      soup_message_headers_get_one (soup_message_get_response_headers (data->msg),
                                    "Location") != NULL)
    {
      follow_redirect (g_steal_pointer (&task));
      return;
    }

  g_input_stream_read_bytes_async (data->stream, READ_CHUNK, G_PRIORITY_DEFAULT, data->inner,
                                   on_read, g_steal_pointer (&task));
}

static void
send_hop (GTask    *task_,
          gboolean  check_peer)
{
  g_autoptr(GTask) task = task_;
  SendData *data = g_task_get_task_data (task);

  if (check_peer)
    data->event_id = g_signal_connect (data->msg, "network-event",
                                       G_CALLBACK (on_network_event), data);
  soup_session_send_async (data->self->soup, data->msg, G_PRIORITY_DEFAULT, data->inner,
                           on_sent, g_steal_pointer (&task));
}

static void
on_proxy_looked_up (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source), result,
                                                          &error);
  gboolean direct = proxies == NULL || proxies[0] == NULL ||
                    g_str_equal (proxies[0], "direct://");

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      return_transport_error (task, error);
      return;
    }
  send_hop (g_steal_pointer (&task), direct);
}

static void
start_hop (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  SendData *data = g_task_get_task_data (task);
  GUri *uri = soup_message_get_uri (data->msg);
  g_autofree char *url = g_uri_to_string_partial (uri, G_URI_HIDE_FRAGMENT);
  g_autoptr(GUri) checked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  gboolean loopback;

  if ((checked = heron_web_parse_http_url (url, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_free (data->host);
  data->host = g_strdup (g_uri_get_host (uri));
  g_hash_table_add (data->visited, g_steal_pointer (&url));

  loopback = heron_web_uri_is_loopback (uri);
  literal = g_inet_address_new_from_string (data->host);
  if (data->limits.refuse_private &&
      (loopback || (literal != NULL && heron_web_address_is_private (literal))))
    {
      fail_unsafe (task, data->host, literal != NULL ? data->host : "loopback");
      return;
    }
  if (!loopback && heron_web_session_is_offline (data->self))
    {
      g_task_return_new_error (task, HERON_WEB_ERROR, HERON_WEB_ERROR_OFFLINE,
                               _("No network connection; %s was not contacted"), data->host);
      return;
    }

  /* Redirects are followed here, so each hop is checked (scheme, address, loops). */
  soup_message_add_flags (data->msg, SOUP_MESSAGE_NO_REDIRECT);
  if (data->limits.refuse_private && literal == NULL)
    {
      /* A name: check the address actually connected to, unless a proxy is in the way (then
       * the socket's peer is the proxy, often on 127.0.0.1, and the proxy resolves names). */
      GProxyResolver *resolver = soup_session_get_proxy_resolver (data->self->soup);
      g_autofree char *full = g_uri_to_string (uri);

      if (resolver == NULL)
        resolver = g_proxy_resolver_get_default ();
      g_proxy_resolver_lookup_async (resolver, full, data->inner, on_proxy_looked_up,
                                     g_steal_pointer (&task));
      return;
    }
  send_hop (g_steal_pointer (&task), FALSE);
}

void
heron_web_session_send_async (HeronWebSession      *self,
                              SoupMessage          *msg,
                              const HeronWebLimits *limits,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  SendData *data;

  g_return_if_fail (HERON_IS_WEB_SESSION (self));
  g_return_if_fail (SOUP_IS_MESSAGE (msg));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_web_session_send_async);

  data = g_new0 (SendData, 1);
  data->self = g_object_ref (self);
  data->msg = g_object_ref (msg);
  if (limits != NULL)
    data->limits = *limits;
  if (data->limits.timeout_ms == 0)
    data->limits.timeout_ms = HERON_WEB_DEFAULT_TIMEOUT_MS;
  if (data->limits.max_bytes == 0)
    data->limits.max_bytes = HERON_WEB_DEFAULT_MAX_BYTES;
  if (limits == NULL || data->limits.max_redirects < 0)
    data->limits.max_redirects = HERON_WEB_DEFAULT_MAX_REDIRECTS;
  data->inner = g_cancellable_new ();
  data->body = g_byte_array_new ();
  data->visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) send_data_free);

  if (cancellable != NULL)
    {
      data->outer = g_object_ref (cancellable);
      data->outer_id = g_cancellable_connect (cancellable, G_CALLBACK (on_outer_cancelled),
                                              g_object_ref (data->inner), g_object_unref);
    }
  data->deadline = g_timeout_source_new (data->limits.timeout_ms);
  g_source_set_callback (data->deadline, on_deadline, data, NULL);
  g_source_attach (data->deadline, g_task_get_context (task));

  start_hop (g_steal_pointer (&task));
}

HeronWebResponse *
heron_web_session_send_finish (HeronWebSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
