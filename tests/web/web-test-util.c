/* web-test-util.c: local test server and async helpers for the web tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "web-test-util.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

SoupServer *
web_test_server_new (SoupServerCallback   callback,
                     gpointer             user_data,
                     char               **base)
{
  g_autoptr(GError) error = NULL;
  SoupServer *server = soup_server_new (NULL, NULL);
  GSList *uris;
  GUri *uri;

  soup_server_add_handler (server, NULL, callback, user_data, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_assert_nonnull (uris);
  uri = uris->data;
  *base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

void
web_test_store_result (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

void
web_test_wait (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
on_spin_done (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
web_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_spin_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
web_test_remove_store_dir (const char *dir)
{
  const char *names[] = { "heron.db", "heron.db-wal", "heron.db-shm" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

GBytes *
web_test_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "web", "fixtures", name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

gboolean
web_test_serve_search_pages (SoupServerMessage  *msg,
                             const char         *path,
                             const char         *base,
                             const char * const *bodies,
                             guint               n_bodies)
{
  g_autofree char *body = NULL;
  const char *type = "application/json";

  if (g_str_has_prefix (path, "/searx/"))
    {
      GString *json = g_string_new ("{\"query\": \"q\", \"results\": [");

      for (guint i = 0; i < n_bodies; i++)
        g_string_append_printf (json, "%s{\"url\": \"%s/page/%u\", \"title\": \"Page %u\", "
                                "\"content\": \"snippet\"}", i ? ", " : "", base, i + 1, i + 1);
      g_string_append (json, "]}");
      body = g_string_free (json, FALSE);
    }
  else if (g_str_has_prefix (path, "/page/"))
    {
      guint i = atoi (path + strlen ("/page/"));

      if (i < 1 || i > n_bodies)
        {
          soup_server_message_set_status (msg, 404, NULL);
          return TRUE;
        }
      body = g_strdup_printf ("<html><head><title>Page %u</title></head><body><article>%s"
                              "</article></body></html>", i, bodies[i - 1]);
      type = "text/html; charset=utf-8";
    }
  else
    return FALSE;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
  return TRUE;
}
