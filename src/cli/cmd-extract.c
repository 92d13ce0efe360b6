/* cmd-extract.c: heron-cli extract (FILE | URL): print the main text of a page, as the answer
 * pipeline reads it, after its title, site and publication date (or all of it as JSON).
 *
 * Exit status: 0 text printed, 1 the page could not be read or has no text, 2 usage error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "heron-cli.h"
#include "heron-extract.h"
#include "heron-fetcher.h"

typedef struct
{
  GMainLoop        *loop;
  HeronFetchResult *result;
  GError           *error;
} FetchState;

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  FetchState *st = user_data;

  st->result = heron_fetcher_fetch_finish (HERON_FETCHER (source), result, &st->error);
  g_main_loop_quit (st->loop);
}

static HeronExtract *
extract_url (const char *url,
             GError    **error)
{
  g_autoptr(HeronFetcher) fetcher = heron_fetcher_new (NULL);
  g_autoptr(HeronFetchResult) fr = NULL;
  FetchState st = { g_main_loop_new (NULL, FALSE), NULL, NULL };
  gsize len = 0;
  const char *data;

  heron_fetcher_fetch_async (fetcher, url, HERON_FETCH_FLAGS_NO_CACHE, NULL, on_fetched, &st);
  g_main_loop_run (st.loop);
  g_main_loop_unref (st.loop);
  fr = st.result;
  if (fr == NULL)
    {
      g_propagate_error (error, st.error);
      return NULL;
    }
  if (fr->skip_reason != NULL)
    {
      g_set_error (error, HERON_EXTRACT_ERROR, HERON_EXTRACT_ERROR_PARSE, "%s", fr->skip_reason);
      return NULL;
    }
  if (fr->text != NULL)
    {
      if (fr->kind == HERON_FETCH_KIND_TEXT)
        return heron_extract_bytes (fr->text, strlen (fr->text), "text/plain; charset=utf-8",
                                    fr->final_url, error);
      return heron_extract_html (fr->text, -1, fr->final_url, error);
    }
  data = g_bytes_get_data (fr->body, &len);
  return heron_extract_bytes (data, len, fr->content_type, fr->final_url, error);
}

static void
print_json (HeronExtract *ex)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *out = NULL;
  const struct { const char *name; const char *value; } fields[] = {
    { "title", ex->title }, { "site", ex->site_name }, { "published", ex->published },
    { "lang", ex->lang }, { "text", ex->text },
  };

  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      json_builder_set_member_name (b, fields[i].name);
      if (fields[i].value != NULL)
        json_builder_add_string_value (b, fields[i].value);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  out = json_generator_to_data (gen, NULL);
  g_print ("%s\n", out);
}

int
heron_cmd_extract (HeronCliContext *ctx,
                   int              argc,
                   char           **argv)
{
  gboolean json = FALSE, text_only = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print title, site, date and text as JSON"),
      NULL },
    { "text-only", 0, 0, G_OPTION_ARG_NONE, &text_only, N_("Print the text without the header"),
      NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) octx =
    g_option_context_new (_("(FILE | URL) — print a page's main text"));
  g_autoptr(HeronExtract) ex = NULL;
  g_autoptr(GError) error = NULL;
  const char *target;
  int status;

  (void) ctx;
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!heron_cli_parse (octx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      heron_cli_error ("extract", _("give one file or one http(s) URL"));
      return 2;
    }
  target = argv[1];
  if (g_str_has_prefix (target, "http://") || g_str_has_prefix (target, "https://"))
    ex = extract_url (target, &error);
  else
    {
      g_autofree char *data = NULL;
      gsize len = 0;

      if (g_file_get_contents (target, &data, &len, &error))
        ex = heron_extract_bytes (data, len, NULL, NULL, &error);
    }
  if (ex == NULL)
    {
      heron_cli_error ("extract", "%s: %s", target, error->message);
      return 1;
    }
  if (json)
    print_json (ex);
  else
    {
      if (!text_only)
        {
          if (ex->title)
            g_print ("%s: %s\n", _("Title"), ex->title);
          if (ex->site_name)
            g_print ("%s: %s\n", _("Site"), ex->site_name);
          if (ex->published)
            g_print ("%s: %s\n", _("Published"), ex->published);
          g_print ("\n");
        }
      g_print ("%s\n", ex->text);
    }
  return 0;
}
