/* cmd-ask-web.c: the web part of heron-cli ask (see cmd-ask-web.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cmd-ask-web.h"
#include "heron-citations.h"
#include "heron-cli.h"
#include "heron-messages.h"
#include "heron-web-context.h"

struct _HeronAskWeb
{
  HeronWebMode           mode;
  HeronWebContext       *context;
  HeronWebContextResult *result;
};

HeronAskWeb *
heron_ask_web_new (HeronStore          *store,
                   const char          *mode,
                   const char          *providers,
                   const char * const  *base_urls,
                   gboolean             allow_private,
                   GError             **error)
{
  g_autoptr(HeronWebSearch) chain = NULL;
  g_autoptr(HeronFetcher) fetcher = NULL;
  g_auto(GStrv) ids = NULL;
  HeronAskWeb *web;
  HeronWebMode m = HERON_WEB_MODE_OFF;

  if (mode != NULL && !heron_web_mode_from_string (mode, &m))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--web takes off, auto or on, not “%s”"), mode);
      return NULL;
    }
  ids = providers ? g_strsplit (providers, ",", -1) : heron_web_search_default_ids (NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    g_strstrip (ids[i]);
  chain = heron_web_search_new_for_ids ((const char * const *) ids, error);
  if (chain == NULL)
    return NULL;
  for (guint i = 0; base_urls != NULL && base_urls[i] != NULL; i++)
    {
      const char *eq = strchr (base_urls[i], '=');
      g_autofree char *id = eq ? g_strndup (base_urls[i], eq - base_urls[i]) : NULL;
      HeronSearchProvider *p = id ? heron_web_search_get_provider (chain, id) : NULL;

      if (p == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--base-url takes PROVIDER=URL with a provider of the chain, not “%s”"),
                       base_urls[i]);
          return NULL;
        }
      heron_search_provider_set_base_url (p, eq + 1);
    }
  heron_web_search_set_store (chain, store);
  fetcher = heron_fetcher_new (NULL);
  heron_fetcher_set_store (fetcher, store);
  heron_fetcher_set_allow_private (fetcher, allow_private);

  web = g_new0 (HeronAskWeb, 1);
  web->mode = m;
  web->context = heron_web_context_new (store, chain, fetcher);
  return web;
}

void
heron_ask_web_free (HeronAskWeb *web)
{
  if (web == NULL)
    return;
  g_clear_object (&web->context);
  g_clear_pointer (&web->result, heron_web_context_result_free);
  g_free (web);
}

void
heron_ask_web_set_n_ctx (HeronAskWeb *web,
                         int          n_ctx)
{
  if (web != NULL && n_ctx > 0)
    heron_web_context_set_budget_tokens (web->context,
                                         (guint) (n_ctx * HERON_ASK_WEB_CONTEXT_SHARE));
}

static void
on_progress (const char *message,
             gpointer    user_data)
{
  g_printerr ("%s\n", message);
}

static void
on_built (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static char *
sources_json (HeronWebContextResult *r,
              HeronCitationCheck    *check)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, r->reason);
  json_builder_set_member_name (b, "provider");
  json_builder_add_string_value (b, r->provider_id);
  json_builder_set_member_name (b, "offline");
  json_builder_add_boolean_value (b, r->offline);
  json_builder_set_member_name (b, "sources");
  json_builder_add_value (b, heron_web_context_result_sources_to_json (r));
  if (check != NULL)
    {
      json_builder_set_member_name (b, "check");
      json_builder_add_value (b, heron_citation_check_to_json (check));
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

gboolean
heron_ask_web_prepare (HeronAskWeb  *web,
                       HeronTurn    *turn,
                       const char   *question,
                       GCancellable *cancellable)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const char *dump = g_getenv ("HERON_DUMP_PROMPT");
  HeronWebContextResult *r;

  if (web == NULL || web->mode == HERON_WEB_MODE_OFF)
    return TRUE;
  heron_web_context_set_progress (web->context, on_progress, NULL);
  heron_web_context_build_async (web->context, question, web->mode, cancellable, on_built,
                                 &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  r = heron_web_context_build_finish (web->context, res, &error);
  if (r == NULL)
    return FALSE;
  web->result = r;
  if (r->reason)
    g_printerr ("%s\n", r->reason);
  if (r->provider_name)
    g_printerr (_("answered by %s\n"), r->provider_name);
  for (guint i = 0; i < r->notes->len; i++)
    g_printerr ("%s\n", (const char *) r->notes->pdata[i]);
  if (r->searched && r->sources->len == 0)
    g_printerr (_("No web sources: the answer goes on without them.\n"));
  if (dump != NULL)
    {
      g_autofree char *asked = heron_web_context_compose_question (r->context, question);
      g_autoptr(GError) werr = NULL;

      if (!g_file_set_contents (dump, asked, -1, &werr))
        heron_cli_error ("ask", "%s", werr->message);
    }
  json = r->sources->len ? sources_json (r, NULL) : NULL;
  heron_turn_set_web_context (turn, r->context, json);
  return TRUE;
}

void
heron_ask_web_report (HeronAskWeb *web,
                      HeronStore  *store,
                      HeronTurn   *turn)
{
  HeronWebContextResult *r = web ? web->result : NULL;
  HeronMessage *answer = heron_turn_get_answer (turn);
  g_auto(GStrv) texts = NULL;
  g_autoptr(HeronCitationCheck) check = NULL;
  g_autofree char *json = NULL;

  if (r == NULL || r->sources->len == 0 || answer == NULL)
    return;
  texts = heron_web_context_result_source_texts (r);
  check = heron_citations_check (heron_message_get_content (answer),
                                 (const char * const *) texts, r->sources->len,
                                 HERON_CITATION_DEFAULT_THRESHOLD);
  g_print ("\n%s\n", _("Sources:"));
  for (guint i = 0; i < r->sources->len; i++)
    {
      HeronWebSource *s = r->sources->pdata[i];
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (s->fetched_at / 1000);
      g_autofree char *date = when ? g_date_time_format (when, "%Y-%m-%d") : g_strdup ("?");

      g_print ("[%u] %s — %s (%s%s)\n", s->number, s->title ? s->title : s->url, s->url,
               s->from_knowledge ? _("read earlier, ") : "", date);
    }
  g_print (_("Citation check: %u supported, %u unverified, %u removed\n"),
           check->n_supported, check->n_unverified, check->n_removed);
  for (guint i = 0; i < check->citations->len; i++)
    {
      HeronCitation *c = &g_array_index (check->citations, HeronCitation, i);
      g_autofree char *claim = NULL;

      if (c->status == HERON_CITATION_SUPPORTED)
        continue;
      claim = g_strstrip (g_strndup (check->text + c->claim_start,
                                     c->claim_end - c->claim_start));
      g_print ("  [%u] %s: %s\n", c->number,
               c->status == HERON_CITATION_REMOVED ? _("removed (no such source)")
                                                   : _("unverified"), claim);
    }
  json = sources_json (r, check);
  if (heron_message_get_id (answer) > 0)
    heron_store_set_message_sources_sync (store, heron_message_get_id (answer), json, NULL,
                                          NULL);
}
