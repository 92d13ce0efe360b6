/* test-secrets.c: provider API keys in libsecret, against libsecret's file backend (no D-Bus):
 * store, look up, replace, clear, and the key never appears in the keyring file in clear.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-web-secrets.h"
#include "web-test-util.h"

static char *keyring_path;

static void
test_store_lookup_clear (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *other = NULL;
  g_autofree char *file = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gsize len = 0;

  g_assert_true (heron_web_secrets_store_sync ("brave", "BSA-secret-123456", NULL, &error));
  g_assert_no_error (error);
  key = heron_web_secrets_lookup_sync ("brave", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "BSA-secret-123456");
  other = heron_web_secrets_lookup_sync ("tavily", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (other);

  /* The file backend encrypts with the test password: the key is not readable in it. */
  g_assert_true (g_file_get_contents (keyring_path, &file, &len, NULL));
  g_assert_null (g_strstr_len (file, len, "BSA-secret-123456"));

  g_assert_true (heron_web_secrets_store_sync ("brave", "BSA-new", NULL, &error));
  heron_web_secrets_lookup_async ("brave", NULL, web_test_store_result, &result);
  web_test_wait (&result);
  g_clear_pointer (&key, g_free);
  key = heron_web_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "BSA-new");

  /* An empty key clears. */
  g_assert_true (heron_web_secrets_store_sync ("brave", "", NULL, &error));
  g_clear_pointer (&key, g_free);
  key = heron_web_secrets_lookup_sync ("brave", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_true (heron_web_secrets_clear_sync ("bocha", NULL, &error));
  g_assert_no_error (error);
}

static gboolean
store_async (const char *service,
             const char *key,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  heron_web_secrets_store_async (service, key, NULL, web_test_store_result, &result);
  web_test_wait (&result);
  return heron_web_secrets_store_finish (result, error);
}

/* The non-blocking store the key rows of the app use: stores, replaces, and an empty key
 * clears (also when nothing was stored). */
static void
test_store_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  g_assert_true (store_async ("tavily", "tvly-first", &error));
  g_assert_no_error (error);
  g_assert_true (store_async ("tavily", "tvly-second", &error));
  g_assert_no_error (error);
  key = heron_web_secrets_lookup_sync ("tavily", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "tvly-second");

  g_assert_true (store_async ("tavily", "", &error));
  g_assert_no_error (error);
  g_clear_pointer (&key, g_free);
  key = heron_web_secrets_lookup_sync ("tavily", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_true (store_async ("tavily", NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("heron-secrets-XXXXXX", NULL);
  int status;

  keyring_path = g_build_filename (dir, "test.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring_path, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/web/secrets/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/heron/web/secrets/store-async", test_store_async);
  status = g_test_run ();
  g_unlink (keyring_path);
  g_rmdir (dir);
  g_free (keyring_path);
  return status;
}
