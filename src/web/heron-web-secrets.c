/* heron-web-secrets.c: provider API keys in libsecret.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "heron-web-secrets.h"

static const SecretSchema *
api_key_schema (void)
{
  static const SecretSchema schema = {
    HERON_WEB_SECRETS_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };
  return &schema;
}

static void
on_lookup (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
}

void
heron_web_secrets_lookup_async (const char          *service,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (service != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_web_secrets_lookup_async);
  secret_password_lookup (api_key_schema (), cancellable, on_lookup, task,
                          "service", service, NULL);
}

char *
heron_web_secrets_lookup_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
heron_web_secrets_lookup_sync (const char    *service,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_return_val_if_fail (service != NULL, NULL);
  return secret_password_lookup_sync (api_key_schema (), cancellable, error,
                                      "service", service, NULL);
}

gboolean
heron_web_secrets_store_sync (const char    *service,
                              const char    *key,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autofree char *label = NULL;

  g_return_val_if_fail (service != NULL, FALSE);
  if (key == NULL || *key == '\0')
    return heron_web_secrets_clear_sync (service, cancellable, error);
  /* Translators: the keyring item's name; %s is a provider id such as "brave". */
  label = g_strdup_printf (_("Heron: %s API key"), service);
  return secret_password_store_sync (api_key_schema (), SECRET_COLLECTION_DEFAULT, label, key,
                                     cancellable, error, "service", service, NULL);
}

/* Stored, or cleared: "nothing was there to clear" (FALSE without an error) is success. */
static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (GPOINTER_TO_INT (g_task_get_task_data (task)))
    secret_password_clear_finish (result, &error);
  else
    secret_password_store_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
heron_web_secrets_store_async (const char          *service,
                               const char          *key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *label = NULL;
  GTask *task;
  gboolean clear = key == NULL || *key == '\0';

  g_return_if_fail (service != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_web_secrets_store_async);
  g_task_set_task_data (task, GINT_TO_POINTER (clear), NULL);
  if (clear)
    {
      secret_password_clear (api_key_schema (), cancellable, on_stored, task,
                             "service", service, NULL);
      return;
    }
  /* Translators: the keyring item's name; %s is a provider id such as "brave". */
  label = g_strdup_printf (_("Heron: %s API key"), service);
  secret_password_store (api_key_schema (), SECRET_COLLECTION_DEFAULT, label, key,
                         cancellable, on_stored, task, "service", service, NULL);
}

gboolean
heron_web_secrets_store_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
heron_web_secrets_clear_sync (const char    *service,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (service != NULL, FALSE);
  secret_password_clear_sync (api_key_schema (), cancellable, &local, "service", service, NULL);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}
