/* cmd-ask-web.c: the web part of heron-cli ask (see cmd-ask-web.h): flags to a HeronWebTurn
 * (src/assist/heron-web-turn.c, the code the app runs too), progress on stderr, sources and
 * the citation check on stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cmd-ask-web.h"
#include "heron-cli.h"
#include "heron-messages.h"
#include "heron-web-turn.h"

struct _HeronAskWeb
{
  HeronWebMode           mode;
  HeronWebTurn          *web;
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
  g_autoptr(HeronWebTurn) web = NULL;
  g_auto(GStrv) ids = NULL;
  HeronAskWeb *ask;
  HeronWebMode m = HERON_WEB_MODE_OFF;

  if (mode != NULL && !heron_web_mode_from_string (mode, &m))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--web takes off, auto or on, not “%s”"), mode);
      return NULL;
    }
  web = heron_web_turn_new (store);
  ids = providers ? g_strsplit (providers, ",", -1) : NULL;
  if (!heron_web_turn_set_providers (web, (const char * const *) ids, error)
      || !heron_web_turn_set_base_urls (web, base_urls, error))
    return NULL;
  heron_web_turn_set_allow_private (web, allow_private);
  /* Keys of Brave, Tavily and Bocha, as the app stores them. */
  heron_web_turn_set_use_keyring (web, TRUE);

  ask = g_new0 (HeronAskWeb, 1);
  ask->mode = m;
  ask->web = g_steal_pointer (&web);
  return ask;
}

void
heron_ask_web_free (HeronAskWeb *web)
{
  if (web == NULL)
    return;
  g_clear_object (&web->web);
  g_clear_pointer (&web->result, heron_web_context_result_free);
  g_free (web);
}

void
heron_ask_web_set_n_ctx (HeronAskWeb *web,
                         int          n_ctx)
{
  if (web != NULL && n_ctx > 0)
    heron_web_turn_set_budget (web->web, n_ctx, HERON_ASK_WEB_CONTEXT_SHARE);
}

static void
on_progress (HeronWebTurn *web,
             const char   *message,
             gpointer      user_data)
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

gboolean
heron_ask_web_prepare (HeronAskWeb  *web,
                       HeronTurn    *turn,
                       const char   *question,
                       GCancellable *cancellable)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  const char *dump = g_getenv ("HERON_DUMP_PROMPT");
  HeronWebContextResult *r;
  gulong id;

  if (web == NULL || web->mode == HERON_WEB_MODE_OFF)
    return TRUE;
  id = g_signal_connect (web->web, "progress", G_CALLBACK (on_progress), NULL);
  heron_web_turn_prepare_async (web->web, question, web->mode, cancellable, on_built, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (web->web, id);
  r = heron_web_turn_prepare_finish (web->web, res, &error);
  if (r == NULL)
    return FALSE;
  web->result = r;
  if (r->offline && r->sources->len == 0)
    g_printerr ("%s\n", _("Offline — answering from saved pages"));
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
  heron_web_turn_apply (turn, r, web->mode);
  return TRUE;
}

void
heron_ask_web_report (HeronAskWeb *web,
                      HeronStore  *store,
                      HeronTurn   *turn)
{
  HeronWebContextResult *r = web ? web->result : NULL;
  HeronMessage *answer = heron_turn_get_answer (turn);
  g_autoptr(HeronCitationCheck) check = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;

  if (r == NULL || answer == NULL)
    return;
  /* The same step as the app's: check, clean, store with the answer. */
  heron_web_turn_finish_answer_async (store, answer, r, web->mode, NULL, on_built, &res);
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  check = heron_web_turn_finish_answer_finish (res, &error);
  if (check == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        heron_cli_error ("ask", "%s", error->message);
      return;
    }
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
}
