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

/* The search-and-read world of the end-to-end tests: "/searx/..." answers a SearXNG JSON
 * list whose result I (1-based) is BASE/page/I titled "Page I", for each of the N_BODIES
 * BODIES; "/page/I" answers an HTML article around BODIES[I-1] (404 past the end). FALSE,
 * with MSG untouched, for any other path. */
gboolean      web_test_serve_search_pages (SoupServerMessage  *msg,
                                           const char         *path,
                                           const char         *base,
                                           const char * const *bodies,
                                           guint               n_bodies);

/* Remove a test's data directory DIR holding a Heron store (heron.db and its WAL files). */
void          web_test_remove_store_dir (const char *dir);

/* Contents of tests/web/fixtures/NAME (aborts the test when missing). */
GBytes       *web_test_fixture      (const char    *name);

G_END_DECLS
