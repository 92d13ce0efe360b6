/* heron-web-search.c: the provider fallback chain with session-long skipping and caching.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-web-cache.h"
#include "heron-web-search.h"

struct _HeronWebSearch
{
  GObject     parent_instance;

  GPtrArray  *providers;  /* owned HeronSearchProvider, in order */
  GHashTable *skipped;    /* id -> owned HeronWebSearchSkip */
  HeronStore *store;      /* owned, may be NULL */
  gint64      ttl_ms;
};

G_DEFINE_FINAL_TYPE (HeronWebSearch, heron_web_search, G_TYPE_OBJECT)

static void
skip_free (HeronWebSearchSkip *skip)
{
  if (skip == NULL)
    return;
  g_free (skip->provider_id);
  g_free (skip->provider_name);
  g_free (skip->message);
  g_free (skip);
}

static HeronWebSearchSkip *
skip_copy (const HeronWebSearchSkip *skip)
{
  HeronWebSearchSkip *copy = g_new0 (HeronWebSearchSkip, 1);

  copy->provider_id = g_strdup (skip->provider_id);
  copy->provider_name = g_strdup (skip->provider_name);
  copy->code = skip->code;
  copy->message = g_strdup (skip->message);
  copy->earlier = skip->earlier;
  return copy;
}

void
heron_web_search_response_free (HeronWebSearchResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->query);
  g_free (response->provider_id);
  g_free (response->provider_name);
  g_clear_pointer (&response->results, g_ptr_array_unref);
  g_clear_pointer (&response->skipped, g_ptr_array_unref);
  g_free (response);
}

static void
heron_web_search_finalize (GObject *object)
{
  HeronWebSearch *self = HERON_WEB_SEARCH (object);

  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->skipped, g_hash_table_unref);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (heron_web_search_parent_class)->finalize (object);
}

static void
heron_web_search_class_init (HeronWebSearchClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_web_search_finalize;
}

static void
heron_web_search_init (HeronWebSearch *self)
{
  self->providers = g_ptr_array_new_with_free_func (g_object_unref);
  self->skipped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) skip_free);
  self->ttl_ms = HERON_WEB_CACHE_SEARCH_TTL_MS;
}

char **
heron_web_search_default_ids (const char *locale)
{
  g_autofree char *own = locale == NULL ? heron_search_default_locale () : NULL;
  const char *l = locale != NULL ? locale : own;
  static const char *zh[] = { "bing-cn", "baidu", "duckduckgo", NULL };
  static const char *other[] = { "duckduckgo", "bing", NULL };

  /* Mainland China (and Simplified Chinese generally): engines reachable there first.
   * zh_TW/zh_HK users are usually outside the firewall. */
  if (g_str_has_prefix (l, "zh_CN") || g_str_has_prefix (l, "zh_SG") ||
      g_str_equal (l, "zh") || g_str_has_prefix (l, "zh_Hans") || g_str_has_prefix (l, "zh-CN"))
    return g_strdupv ((char **) zh);
  return g_strdupv ((char **) other);
}

HeronWebSearch *
heron_web_search_new (void)
{
  return g_object_new (HERON_TYPE_WEB_SEARCH, NULL);
}

HeronWebSearch *
heron_web_search_new_for_ids (const char * const  *ids,
                              GError             **error)
{
  g_autoptr(HeronWebSearch) self = heron_web_search_new ();

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autoptr(HeronSearchProvider) provider = NULL;

      if (*ids[i] == '\0' || heron_web_search_get_provider (self, ids[i]) != NULL)
        continue;
      provider = heron_search_provider_new (ids[i], error);
      if (provider == NULL)
        return NULL;
      heron_web_search_add_provider (self, provider);
    }
  return g_steal_pointer (&self);
}

void
heron_web_search_add_provider (HeronWebSearch      *self,
                               HeronSearchProvider *provider)
{
  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  g_return_if_fail (HERON_IS_SEARCH_PROVIDER (provider));
  g_ptr_array_add (self->providers, g_object_ref (provider));
}

HeronSearchProvider *
heron_web_search_get_provider (HeronWebSearch *self,
                               const char     *id)
{
  g_return_val_if_fail (HERON_IS_WEB_SEARCH (self), NULL);
  for (guint i = 0; i < self->providers->len; i++)
    {
      HeronSearchProvider *p = g_ptr_array_index (self->providers, i);
      if (g_ascii_strcasecmp (heron_search_provider_get_id (p), id) == 0)
        return p;
    }
  return NULL;
}

GPtrArray *
heron_web_search_get_providers (HeronWebSearch *self)
{
  g_return_val_if_fail (HERON_IS_WEB_SEARCH (self), NULL);
  return self->providers;
}

void
heron_web_search_set_session (HeronWebSearch  *self,
                              HeronWebSession *session)
{
  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  for (guint i = 0; i < self->providers->len; i++)
    heron_search_provider_set_session (g_ptr_array_index (self->providers, i), session);
}

void
heron_web_search_set_store (HeronWebSearch *self,
                            HeronStore     *store)
{
  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  g_set_object (&self->store, store);
}

void
heron_web_search_set_cache_ttl (HeronWebSearch *self,
                                gint64          ttl_ms)
{
  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  self->ttl_ms = ttl_ms > 0 ? ttl_ms : HERON_WEB_CACHE_SEARCH_TTL_MS;
}

void
heron_web_search_reset_skipped (HeronWebSearch *self)
{
  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  g_hash_table_remove_all (self->skipped);
}

gboolean
heron_web_search_is_skipped (HeronWebSearch *self,
                             const char     *id)
{
  g_return_val_if_fail (HERON_IS_WEB_SEARCH (self), FALSE);
  return g_hash_table_contains (self->skipped, id);
}

/* ---- JSON ---------------------------------------------------------------------------- */

JsonNode *
heron_search_results_to_json (GPtrArray *results)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      HeronSearchResult *r = g_ptr_array_index (results, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, r->title);
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, r->url);
      json_builder_set_member_name (builder, "snippet");
      json_builder_add_string_value (builder, r->snippet);
      if (r->site != NULL)
        {
          json_builder_set_member_name (builder, "site");
          json_builder_add_string_value (builder, r->site);
        }
      if (r->date != NULL)
        {
          json_builder_set_member_name (builder, "date");
          json_builder_add_string_value (builder, r->date);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

GPtrArray *
heron_search_results_from_json (JsonNode  *node,
                                GError   **error)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) heron_search_result_free);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_PARSE_FAILED,
                   _("Cached search results are not a JSON array"));
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item_node = json_array_get_element (array, i);
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (item_node))
        continue;
      item = json_node_get_object (item_node);
      if (!json_object_has_member (item, "title") || !json_object_has_member (item, "url"))
        continue;
      g_ptr_array_add (results, heron_search_result_new (
        json_object_get_string_member_with_default (item, "title", ""),
        json_object_get_string_member_with_default (item, "url", ""),
        json_object_get_string_member_with_default (item, "snippet", ""),
        json_object_get_string_member_with_default (item, "site", NULL),
        json_object_get_string_member_with_default (item, "date", NULL)));
    }
  return g_steal_pointer (&results);
}

/* ---- the chain ----------------------------------------------------------------------- */

typedef struct
{
  char       *query;
  guint       max_results;
  guint       index;        /* current provider */
  GPtrArray  *skipped;      /* HeronWebSearchSkip for the response */
  char       *cache_key;
} ChainData;

static void
chain_data_free (ChainData *data)
{
  g_free (data->query);
  g_free (data->cache_key);
  g_clear_pointer (&data->skipped, g_ptr_array_unref);
  g_free (data);
}

static void try_next (GTask *task);

static char *
make_cache_key (HeronSearchProvider *provider,
                const char          *query,
                guint                max_results)
{
  g_autofree char *folded = g_utf8_casefold (query, -1);

  return g_strdup_printf ("search:%s:%u:%s", heron_search_provider_get_id (provider),
                          max_results, folded);
}

static void
respond (GTask               *task,
         HeronSearchProvider *provider,
         GPtrArray           *results,
         gboolean             from_cache,
         gint64               fetched_at)
{
  ChainData *data = g_task_get_task_data (task);
  HeronWebSearchResponse *response = g_new0 (HeronWebSearchResponse, 1);

  response->query = g_strdup (data->query);
  response->provider_id = g_strdup (heron_search_provider_get_id (provider));
  response->provider_name = g_strdup (heron_search_provider_get_display_name (provider));
  response->results = g_ptr_array_ref (results);
  response->skipped = g_steal_pointer (&data->skipped);
  response->from_cache = from_cache;
  response->fetched_at = fetched_at;
  g_task_return_pointer (task, response, (GDestroyNotify) heron_web_search_response_free);
}

static gboolean
skips_for_session (int code)
{
  switch (code)
    {
    case HERON_SEARCH_ERROR_BLOCKED:
    case HERON_SEARCH_ERROR_RATE_LIMITED:
    case HERON_SEARCH_ERROR_TIMEOUT:
    case HERON_SEARCH_ERROR_NETWORK:
    case HERON_SEARCH_ERROR_NO_KEY:
    case HERON_SEARCH_ERROR_NOT_CONFIGURED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
on_provider_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronWebSearch *self = g_task_get_source_object (task);
  ChainData *data = g_task_get_task_data (task);
  HeronSearchProvider *provider = HERON_SEARCH_PROVIDER (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  HeronWebSearchSkip *skip;

  results = heron_search_provider_search_finish (provider, result, &error);
  if (results != NULL)
    {
      gint64 now = g_get_real_time () / 1000;

      if (self->store != NULL && data->cache_key != NULL)
        {
          g_autoptr(HeronWebCacheEntry) entry = heron_web_cache_entry_new (data->cache_key,
                                                                           "search");
          g_autoptr(JsonNode) node = heron_search_results_to_json (results);
          char *json = json_to_string (node, FALSE);

          entry->status = 200;
          entry->content_type = g_strdup ("application/json");
          g_bytes_unref (entry->body);
          entry->body = g_bytes_new_take (json, strlen (json));
          entry->fetched_at = now;
          entry->expires_at = now + self->ttl_ms;
          /* Nobody waits for the write; a failure only costs a future cache miss. */
          heron_web_cache_store_async (self->store, entry, NULL, NULL, NULL);
        }
      respond (task, provider, results, FALSE, now);
      return;
    }
  /* Not g_task_had_error(): it is TRUE for any cancelled task, which then never returned. */
  if (g_task_return_error_if_cancelled (task))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_INVALID_ARGUMENT)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  skip = g_new0 (HeronWebSearchSkip, 1);
  skip->provider_id = g_strdup (heron_search_provider_get_id (provider));
  skip->provider_name = g_strdup (heron_search_provider_get_display_name (provider));
  skip->code = error->domain == HERON_SEARCH_ERROR ? error->code : HERON_SEARCH_ERROR_NETWORK;
  skip->message = g_strdup (error->message);
  if (skips_for_session (skip->code))
    {
      HeronWebSearchSkip *remembered = skip_copy (skip);

      remembered->earlier = TRUE;
      g_hash_table_replace (self->skipped, g_strdup (skip->provider_id), remembered);
    }
  g_ptr_array_add (data->skipped, skip);
  data->index++;
  try_next (g_steal_pointer (&task));
}

static void
start_provider (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  GCancellable *cancellable = g_task_get_cancellable (task);
  HeronWebSearch *self = g_task_get_source_object (task);
  ChainData *data = g_task_get_task_data (task);
  HeronSearchProvider *provider = g_ptr_array_index (self->providers, data->index);

  heron_search_provider_search_async (provider, data->query, data->max_results,
                                      cancellable, on_provider_done,
                                      g_steal_pointer (&task));
}

static void
on_cache_lookup (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeronWebSearch *self = g_task_get_source_object (task);
  ChainData *data = g_task_get_task_data (task);
  g_autoptr(HeronWebCacheEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  entry = heron_web_cache_lookup_finish (HERON_STORE (source), result, &error);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (entry != NULL && heron_web_cache_entry_is_fresh (entry, g_get_real_time () / 1000))
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      gsize size;
      const char *json = g_bytes_get_data (entry->body, &size);

      if (json != NULL && json_parser_load_from_data (parser, json, (gssize) size, NULL))
        {
          g_autoptr(GPtrArray) results =
            heron_search_results_from_json (json_parser_get_root (parser), NULL);

          if (results != NULL)
            {
              respond (task, g_ptr_array_index (self->providers, data->index), results, TRUE,
                       entry->fetched_at);
              return;
            }
        }
    }
  /* A miss, a stale entry or a cache error: ask the provider. */
  start_provider (g_steal_pointer (&task));
}

static void
fail_all (GTask *task)
{
  ChainData *data = g_task_get_task_data (task);
  g_autoptr(GString) reasons = g_string_new (NULL);
  gboolean all_offline = data->skipped->len > 0;

  for (guint i = 0; i < data->skipped->len; i++)
    {
      HeronWebSearchSkip *skip = g_ptr_array_index (data->skipped, i);

      if (skip->code != HERON_SEARCH_ERROR_OFFLINE)
        all_offline = FALSE;
      /* Provider errors usually start with the provider's name already. */
      if (g_str_has_prefix (skip->message, skip->provider_name))
        g_string_append_printf (reasons, "\n  %s%s", skip->message,
                                skip->earlier ? _(" (earlier in this session)") : "");
      else
        g_string_append_printf (reasons, "\n  %s: %s%s", skip->provider_name, skip->message,
                                skip->earlier ? _(" (earlier in this session)") : "");
    }
  if (data->skipped->len == 0)
    g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER,
                             _("No search provider is set up"));
  else if (all_offline)
    g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_OFFLINE,
                             _("Offline: no search provider could be reached%s"), reasons->str);
  else
    g_task_return_new_error (task, HERON_SEARCH_ERROR, HERON_SEARCH_ERROR_NO_PROVIDER,
                             _("No search provider answered:%s"), reasons->str);
}

static void
try_next (GTask *task_)
{
  g_autoptr(GTask) task = task_;
  GCancellable *cancellable = g_task_get_cancellable (task);
  HeronWebSearch *self = g_task_get_source_object (task);
  ChainData *data = g_task_get_task_data (task);

  for (; data->index < self->providers->len; data->index++)
    {
      HeronSearchProvider *provider = g_ptr_array_index (self->providers, data->index);
      HeronWebSearchSkip *earlier = g_hash_table_lookup (self->skipped,
                                                         heron_search_provider_get_id (provider));

      if (earlier != NULL)
        {
          g_ptr_array_add (data->skipped, skip_copy (earlier));
          continue;
        }
      g_clear_pointer (&data->cache_key, g_free);
      data->cache_key = make_cache_key (provider, data->query, data->max_results);
      if (self->store != NULL)
        heron_web_cache_lookup_async (self->store, data->cache_key,
                                      cancellable, on_cache_lookup,
                                      g_steal_pointer (&task));
      else
        start_provider (g_steal_pointer (&task));
      return;
    }
  fail_all (task);
}

void
heron_web_search_search_async (HeronWebSearch      *self,
                               const char          *query,
                               guint                max_results,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ChainData *data;

  g_return_if_fail (HERON_IS_WEB_SEARCH (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_web_search_search_async);
  data = g_new0 (ChainData, 1);
  data->query = g_strstrip (g_strdup (query));
  data->max_results = max_results > 0 ? MIN (max_results, 50) : 10;
  data->skipped = g_ptr_array_new_with_free_func ((GDestroyNotify) skip_free);
  g_task_set_task_data (task, data, (GDestroyNotify) chain_data_free);

  if (*data->query == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The search query is empty"));
      return;
    }
  try_next (g_steal_pointer (&task));
}

HeronWebSearchResponse *
heron_web_search_search_finish (HeronWebSearch  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
