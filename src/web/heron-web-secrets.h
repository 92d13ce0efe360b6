/* heron-web-secrets.h: API keys of search providers in the user's keyring (libsecret,
 * schema io.github.heronchat.Heron.ApiKey, attribute "service" = provider id). Keys are never
 * logged or written anywhere else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HERON_WEB_SECRETS_SCHEMA_NAME "io.github.heronchat.Heron.ApiKey"

/* The key for SERVICE, or NULL without error when none is stored. */
void      heron_web_secrets_lookup_async  (const char           *service,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
char     *heron_web_secrets_lookup_finish (GAsyncResult         *result,
                                           GError              **error);
char     *heron_web_secrets_lookup_sync   (const char           *service,
                                           GCancellable         *cancellable,
                                           GError              **error);
/* Store (replace) the key; an empty KEY clears it. */
gboolean  heron_web_secrets_store_sync    (const char           *service,
                                           const char           *key,
                                           GCancellable         *cancellable,
                                           GError              **error);
/* The same without blocking: libsecret's own asynchronous calls. */
void      heron_web_secrets_store_async   (const char           *service,
                                           const char           *key,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean  heron_web_secrets_store_finish  (GAsyncResult         *result,
                                           GError              **error);
gboolean  heron_web_secrets_clear_sync    (const char           *service,
                                           GCancellable         *cancellable,
                                           GError              **error);

G_END_DECLS
