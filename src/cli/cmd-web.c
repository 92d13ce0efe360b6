/* cmd-web.c: heron-cli search: search the web through the provider chain and print numbered
 * results (or JSON), saying which provider answered and which were skipped and why.
 *
 * Keys of keyed providers (brave, tavily, bocha) come from the keyring (libsecret schema
 * io.github.heronchat.Heron.ApiKey, attribute service = provider id); they are never printed.
 * Exit status: 0 answered (even with no results), 1 no provider answered, 2 usage error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "heron-cli.h"
#include "heron-store.h"
#include "heron-web-search.h"
#include "heron-web-secrets.h"

typedef struct
{
  GMainLoop              *loop;
  HeronWebSearchResponse *response;
  GError                 *error;
} SearchState;

static const char *
code_name (int code)
{
  switch (code)
    {
    case HERON_SEARCH_ERROR_BLOCKED:        return "blocked";
    case HERON_SEARCH_ERROR_RATE_LIMITED:   return "rate-limited";
    case HERON_SEARCH_ERROR_PARSE_FAILED:   return "parse-failed";
    case HERON_SEARCH_ERROR_NETWORK:        return "network";
    case HERON_SEARCH_ERROR_TIMEOUT:        return "timeout";
    case HERON_SEARCH_ERROR_NO_KEY:         return "no-key";
    case HERON_SEARCH_ERROR_HTTP:           return "http";
    case HERON_SEARCH_ERROR_OFFLINE:        return "offline";
    case HERON_SEARCH_ERROR_NOT_CONFIGURED: return "not-configured";
    default:                                return "failed";
    }
}

static void
on_searched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SearchState *st = user_data;

  st->response = heron_web_search_search_finish (HERON_WEB_SEARCH (source), result, &st->error);
  g_main_loop_quit (st->loop);
}

static void
print_json (HeronWebSearchResponse *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, r->query);
  json_builder_set_member_name (b, "provider");
  json_builder_add_string_value (b, r->provider_id);
  json_builder_set_member_name (b, "from_cache");
  json_builder_add_boolean_value (b, r->from_cache);
  json_builder_set_member_name (b, "fetched_at");
  json_builder_add_int_value (b, r->fetched_at);
  json_builder_set_member_name (b, "skipped");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->skipped->len; i++)
    {
      HeronWebSearchSkip *s = g_ptr_array_index (r->skipped, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "provider");
      json_builder_add_string_value (b, s->provider_id);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, code_name (s->code));
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, s->message);
      json_builder_set_member_name (b, "earlier");
      json_builder_add_boolean_value (b, s->earlier);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "results");
  json_builder_add_value (b, heron_search_results_to_json (r->results));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static void
print_text (HeronWebSearchResponse *r)
{
  for (guint i = 0; i < r->skipped->len; i++)
    {
      HeronWebSearchSkip *s = g_ptr_array_index (r->skipped, i);
      /* Translators: "skipped (blocked): Bing asked for a CAPTCHA…" */
      g_printerr (_("skipped (%s%s): %s\n"), code_name (s->code),
                  s->earlier ? _(", earlier in this session") : "", s->message);
    }
  if (r->from_cache)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (r->fetched_at / 1000);
      g_autofree char *stamp = g_date_time_format (when, "%Y-%m-%d %H:%M");
      g_printerr (_("answered by %s (cached %s)\n"), r->provider_name, stamp);
    }
  else
    g_printerr (_("answered by %s\n"), r->provider_name);

  if (r->results->len == 0)
    g_print (_("No results.\n"));
  for (guint i = 0; i < r->results->len; i++)
    {
      HeronSearchResult *res = g_ptr_array_index (r->results, i);

      g_print ("%2u. %s\n    %s\n", i + 1, res->title, res->url);
      if (res->site != NULL || res->date != NULL)
        g_print ("    %s%s%s\n", res->site != NULL ? res->site : "",
                 res->site != NULL && res->date != NULL ? " · " : "",
                 res->date != NULL ? res->date : "");
      if (*res->snippet != '\0')
        g_print ("    %s\n", res->snippet);
    }
}

/* "id=value" -> provider's base URL; FALSE on a malformed entry or an unknown id. */
static gboolean
apply_base_urls (HeronWebSearch  *chain,
                 char           **entries)
{
  for (guint i = 0; entries != NULL && entries[i] != NULL; i++)
    {
      const char *eq = strchr (entries[i], '=');
      g_autofree char *id = eq != NULL ? g_strndup (entries[i], eq - entries[i]) : NULL;
      HeronSearchProvider *p = id != NULL ? heron_web_search_get_provider (chain, id) : NULL;

      if (eq == NULL)
        {
          heron_cli_error ("search", _("--base-url wants PROVIDER=URL, not “%s”"), entries[i]);
          return FALSE;
        }
      if (p == NULL)
        {
          heron_cli_error ("search", _("--base-url: “%s” is not in the provider list"), id);
          return FALSE;
        }
      heron_search_provider_set_base_url (p, eq + 1);
    }
  return TRUE;
}

static void
load_keys (HeronWebSearch *chain)
{
  GPtrArray *providers = heron_web_search_get_providers (chain);

  for (guint i = 0; i < providers->len; i++)
    {
      HeronSearchProvider *p = g_ptr_array_index (providers, i);
      g_autoptr(GError) error = NULL;
      char *key;

      if (!heron_search_provider_get_needs_key (p))
        continue;
      key = heron_web_secrets_lookup_sync (heron_search_provider_get_id (p), NULL, &error);
      if (error != NULL)
        g_printerr (_("heron-cli search: cannot read the %s key from the keyring: %s\n"),
                    heron_search_provider_get_display_name (p), error->message);
      if (key != NULL)
        {
          heron_search_provider_set_api_key (p, key);
          memset (key, 0, strlen (key));
          g_free (key);
        }
    }
}

int
heron_cmd_search (HeronCliContext *ctx, int argc, char **argv)
{
  g_autofree char *providers = NULL;
  g_autofree char *searxng = NULL;
  g_auto(GStrv) base_urls = NULL;
  gboolean json = FALSE;
  gboolean no_cache = FALSE;
  int max = 10;
  int status = 0;
  const GOptionEntry entries[] = {
    { "provider", 'p', 0, G_OPTION_ARG_STRING, &providers,
      N_("Providers to try in order, comma-separated (duckduckgo, bing, bing-cn, baidu, "
         "searxng, brave, tavily, bocha); default: by locale"), "P[,P2…]" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "max", 'n', 0, G_OPTION_ARG_INT, &max, N_("At most N results (1-50, default 10)"), "N" },
    { "base-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &base_urls,
      N_("Send PROVIDER's requests to URL instead (repeatable)"), "PROVIDER=URL" },
    { "searxng", 0, 0, G_OPTION_ARG_STRING, &searxng,
      N_("SearXNG instance to use (tried first unless --provider is given)"), "URL" },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &no_cache,
      N_("Neither read nor write cached search results"), NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (_("QUERY — search the web"));
  g_autoptr(HeronWebSearch) chain = NULL;
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *query = NULL;
  SearchState st = { 0 };

  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!heron_cli_parse (octx, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      heron_cli_error ("search", _("give a query, e.g. heron-cli search \"gnome text editor\""));
      return 2;
    }
  if (max < 1 || max > 50)
    {
      heron_cli_error ("search", _("--max must be between 1 and 50"));
      return 2;
    }
  query = g_strjoinv (" ", argv + 1);

  if (providers != NULL)
    ids = g_strsplit (providers, ",", -1);
  else
    {
      g_auto(GStrv) defaults = heron_web_search_default_ids (NULL);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      if (searxng != NULL)
        g_strv_builder_add (builder, "searxng");
      g_strv_builder_addv (builder, (const char **) defaults);
      ids = g_strv_builder_end (builder);
    }
  for (guint i = 0; ids[i] != NULL; i++)
    g_strstrip (ids[i]);
  chain = heron_web_search_new_for_ids ((const char * const *) ids, &error);
  if (chain == NULL)
    {
      heron_cli_error ("search", "%s", error->message);
      return 2;
    }
  if (searxng != NULL && heron_web_search_get_provider (chain, "searxng") != NULL)
    heron_search_provider_set_base_url (heron_web_search_get_provider (chain, "searxng"),
                                        searxng);
  if (!apply_base_urls (chain, base_urls))
    return 2;
  load_keys (chain);

  if (!no_cache)
    {
      store = heron_store_open_sync (ctx->data_dir, NULL, &error);
      if (store == NULL)
        {
          /* Searching still works without the cache. */
          heron_cli_error ("search", _("not using the cache: %s"), error->message);
          g_clear_error (&error);
        }
      else
        heron_web_search_set_store (chain, store);
    }

  st.loop = g_main_loop_new (NULL, FALSE);
  heron_web_search_search_async (chain, query, (guint) max, NULL, on_searched, &st);
  g_main_loop_run (st.loop);
  g_main_loop_unref (st.loop);

  if (st.response == NULL)
    {
      heron_cli_error ("search", "%s", st.error->message);
      g_clear_error (&st.error);
      status = 1;
    }
  else
    {
      if (json)
        print_json (st.response);
      else
        print_text (st.response);
      heron_web_search_response_free (st.response);
    }
  if (store != NULL)
    heron_store_close (store);
  return status;
}
