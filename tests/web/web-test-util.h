/* web-test-util.h: a local SoupServer on 127.0.0.1 and helpers to wait for async results in
 * the web tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A server on 127.0.0.1 (random port) in this thread's main context; returns it and sets
 * *BASE to "http://127.0.0.1:PORT" (no trailing slash). Clients must be async (same thread). */
SoupServer   *web_test_server_new (SoupServerCallback  callback,
                                   gpointer            user_data,
                                   char              **base);

/* Iterate the default main context until *RESULT is set (by web_test_store_result). */
void          web_test_wait         (GAsyncResult **result);
void          web_test_store_result (GObject       *source,
                                     GAsyncResult  *result,
                                     gpointer       user_data);
/* Iterate the main context for about MS milliseconds. */
void          web_test_spin         (guint          ms);

/* Contents of tests/web/fixtures/NAME (aborts the test when missing). */
GBytes       *web_test_fixture      (const char    *name);

G_END_DECLS
