/* cmd-models.c: heron-cli models: list the model library, add a GGUF (by reference or copied),
 * download a catalog model (progress on stderr, resumable), remove, list the download
 * catalog, store a server's API key in the keyring, list a server's models.
 *
 * Exit status: 0 done, 1 failure, 2 usage error, 130 stopped with Ctrl+C (a download keeps
 * its partial file and resumes next time).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "heron-cli.h"
#include "heron-download.h"
#include "heron-models.h"
#include "heron-openai-backend.h"
#include "heron-web-secrets.h"

static const char *usage_text =
  N_("Actions:\n"
     "  list                 the models on this computer, with their metadata\n"
     "  add PATH [--copy]    add a .gguf file (by reference, or copied into Heron's folder)\n"
     "  download NAME        download a model of the catalog (resumes a previous attempt)\n"
     "  remove NAME          remove a model from the library\n"
     "  catalog              the models that can be downloaded\n"
     "  set-key SERVER       store SERVER's API key (read from stdin) in the keyring\n"
     "  remote SERVER        the models a server offers (GET /v1/models)");

static char *
format_params (guint64 n)
{
  if (n >= 1000000000)
    return g_strdup_printf ("%.1fB", n / 1e9);
  if (n >= 1000000)
    return g_strdup_printf ("%.0fM", n / 1e6);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, n);
}

static int
do_list (HeronCliContext *ctx)
{
  g_autoptr(GPtrArray) entries = heron_models_scan_sync (ctx->data_dir, NULL, NULL);
  g_autofree char *models_dir = g_build_filename (ctx->data_dir, "models", NULL);
  g_autoptr(GPtrArray) pending = heron_download_list_pending (models_dir);

  if (entries->len == 0)
    printf ("%s\n", _("No models found. Try “heron-cli models catalog” and "
                      "“heron-cli models download NAME”, or “heron-cli models add FILE.gguf”."));
  for (guint i = 0; i < entries->len; i++)
    {
      HeronModelEntry *e = entries->pdata[i];
      g_autofree char *size = g_format_size (e->file_size);
      g_autofree char *params = format_params (e->n_params);
      g_autofree char *mem = g_format_size (e->memory_needed);

      if (e->error)
        {
          printf ("%-36s %-11s %s: %s\n", e->name, heron_model_source_to_string (e->source),
                  _("unreadable"), e->error);
          continue;
        }
      printf ("%-36s %-11s %-8s %7s %-8s %9s ctx %-7" G_GINT64_FORMAT " %s%s%s\n", e->name,
              heron_model_source_to_string (e->source), e->architecture ? e->architecture : "?",
              params, e->quantization ? e->quantization : "?", size, e->context_length,
              e->supported ? "" : _("unsupported architecture; "),
              e->fits ? "" : _("needs more memory than is free: "), e->fits ? "" : mem);
      printf ("    %s\n", e->path);
    }
  for (guint i = 0; i < pending->len; i++)
    printf (_("Unfinished download: %s (run “heron-cli models download” again to resume)\n"),
            heron_download_get_dest (pending->pdata[i]));
  return 0;
}

static int
do_catalog (void)
{
  for (const HeronCatalogEntry *e = heron_download_catalog (); e->name; e++)
    {
      g_autofree char *size = g_format_size (e->size ? e->size : e->approx_size);
      printf ("%-32s %-42s %9s%s %s\n", e->name, e->title, size, e->size ? "" : "~",
              e->sha256 ? _("sha256 known") : _("checksum unverified"));
    }
  return 0;
}

typedef struct
{
  GMainLoop    *loop;
  GCancellable *cancellable;
  gboolean      ok;
  gboolean      interrupted;
  GError       *error;
} State;

static gboolean
on_sigint (gpointer data)
{
  State *st = data;

  st->interrupted = TRUE;
  g_cancellable_cancel (st->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_progress (HeronDownload *dl, gpointer data)
{
  guint64 got = heron_download_get_received (dl), total = heron_download_get_total (dl);
  g_autofree char *g = g_format_size (got);
  g_autofree char *t = total ? g_format_size (total) : g_strdup ("?");
  g_autofree char *sp = g_format_size ((guint64) heron_download_get_speed (dl));
  double eta = heron_download_get_eta (dl);

  (void) data;
  if (eta >= 0)
    {
      /* Translators: download progress: received / total, speed, minutes:seconds left. */
      fprintf (stderr, "\r");
      fprintf (stderr, _("%s / %s  %s/s  %d:%02d left"), g, t, sp, (int) eta / 60,
               (int) eta % 60);
      fprintf (stderr, "   ");
    }
  else
    fprintf (stderr, "\r%s / %s  %s/s   ", g, t, sp);
  fflush (stderr);
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer data)
{
  State *st = data;

  st->ok = heron_download_run_finish (HERON_DOWNLOAD (source), result, &st->error);
  g_main_loop_quit (st->loop);
}

static int
do_download (HeronCliContext *ctx, const char *name, const char *base_url)
{
  const HeronCatalogEntry *e = heron_download_catalog_lookup (name);
  g_autofree char *dir = g_build_filename (ctx->data_dir, "models", NULL);
  g_autoptr(HeronDownload) dl = NULL;
  State st = { 0 };
  guint sig;

  if (e == NULL)
    {
      heron_cli_error ("models", _("“%s” is not in the catalog (see heron-cli models catalog)"),
                       name);
      return 2;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      heron_cli_error ("models", _("could not create %s"), dir);
      return 1;
    }
  dl = heron_download_new_for_entry (e, dir, base_url);
  if (g_file_test (heron_download_get_dest (dl), G_FILE_TEST_EXISTS))
    {
      printf (_("%s is already downloaded: %s\n"), e->title, heron_download_get_dest (dl));
      return 0;
    }
  fprintf (stderr, _("Downloading %s from %s\n"), e->title, heron_download_get_url (dl));
  st.loop = g_main_loop_new (NULL, FALSE);
  st.cancellable = g_cancellable_new ();
  sig = g_unix_signal_add (SIGINT, on_sigint, &st);
  g_signal_connect (dl, "progress", G_CALLBACK (on_progress), NULL);
  heron_download_run_async (dl, st.cancellable, on_downloaded, &st);
  g_main_loop_run (st.loop);
  g_source_remove (sig);
  fprintf (stderr, "\n");
  g_main_loop_unref (st.loop);
  g_object_unref (st.cancellable);
  if (!st.ok)
    {
      int status = st.interrupted ? 130 : 1;
      if (st.interrupted)
        heron_cli_error ("models", _("paused; run the same command again to resume"));
      else
        heron_cli_error ("models", "%s", st.error->message);
      g_clear_error (&st.error);
      return status;
    }
  if (heron_download_get_verified (dl))
    printf (_("Saved %s (SHA-256 verified)\n"), heron_download_get_dest (dl));
  else
    printf (_("Saved %s (size checked; no known checksum to verify)\n"),
            heron_download_get_dest (dl));
  return 0;
}

static void
on_models (GObject *source, GAsyncResult *result, gpointer data)
{
  State *st = data;
  char **models = heron_openai_backend_list_models_finish (HERON_OPENAI_BACKEND (source), result,
                                                           &st->error);

  st->ok = models != NULL;
  for (char **m = models; m && *m; m++)
    printf ("%s\n", *m);
  g_strfreev (models);
  g_main_loop_quit (st->loop);
}

static int
do_remote (const char *server, const char *base_url)
{
  const HeronOpenaiPreset *p = heron_openai_preset_lookup (server);
  g_autoptr(HeronOpenaiBackend) b = NULL;
  State st = { 0 };

  if (base_url == NULL && (p == NULL || p->base_url == NULL))
    {
      heron_cli_error ("models", _("unknown server “%s”; give --base-url"), server);
      return 2;
    }
  b = heron_openai_backend_new (server, base_url ? base_url : p->base_url, "-");
  st.loop = g_main_loop_new (NULL, FALSE);
  heron_openai_backend_list_models_async (b, NULL, on_models, &st);
  g_main_loop_run (st.loop);
  g_main_loop_unref (st.loop);
  if (!st.ok)
    {
      heron_cli_error ("models", "%s", st.error->message);
      g_clear_error (&st.error);
      return 1;
    }
  return 0;
}

static int
do_set_key (const char *server)
{
  char line[4096];
  g_autofree char *service = heron_openai_secret_service (server);
  g_autoptr(GError) error = NULL;

  if (fgets (line, sizeof line, stdin) == NULL)
    line[0] = '\0';
  g_strstrip (line);
  if (!heron_web_secrets_store_sync (service, line, NULL, &error))
    {
      heron_cli_error ("models", "%s", error->message);
      return 1;
    }
  memset (line, 0, sizeof line);
  printf (_("Key for %s stored in the keyring.\n"), server);
  return 0;
}

int
heron_cmd_models (HeronCliContext *ctx, int argc, char **argv)
{
  gboolean copy = FALSE;
  g_autofree char *base_url = NULL;
  GOptionEntry entries[] = {
    { "copy", 0, 0, G_OPTION_ARG_NONE, &copy, N_("add: copy the file into Heron's folder"),
      NULL },
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &base_url,
      N_("download: fetch from this server instead; remote: the server's address"), N_("URL") },
    { NULL },
  };
  g_autoptr(GOptionContext) octx = g_option_context_new (_("[ACTION [ARGUMENT]]"));
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *action;

  g_option_context_set_summary (octx, _("Find, add, download and remove models."));
  g_option_context_set_description (octx, _(usage_text));
  g_option_context_add_main_entries (octx, entries, GETTEXT_PACKAGE);
  if (!heron_cli_parse (octx, &argc, &argv, &status))
    return status;
  action = argc > 1 ? argv[1] : "list";

  if (strcmp (action, "list") == 0 && argc <= 2)
    return do_list (ctx);
  if (strcmp (action, "catalog") == 0 && argc <= 2)
    return do_catalog ();
  if (argc != 3)
    {
      heron_cli_error ("models", _("wrong arguments; see heron-cli models --help"));
      return 2;
    }
  if (strcmp (action, "add") == 0)
    {
      g_autofree char *name = heron_models_add (ctx->data_dir, argv[2], copy, &error);
      if (name == NULL)
        {
          heron_cli_error ("models", "%s", error->message);
          return 1;
        }
      printf (_("Added %s\n"), name);
      return 0;
    }
  if (strcmp (action, "remove") == 0)
    {
      if (!heron_models_remove (ctx->data_dir, NULL, argv[2], &error))
        {
          heron_cli_error ("models", "%s", error->message);
          return 1;
        }
      printf (_("Removed %s\n"), argv[2]);
      return 0;
    }
  if (strcmp (action, "download") == 0)
    return do_download (ctx, argv[2], base_url);
  if (strcmp (action, "remote") == 0)
    return do_remote (argv[2], base_url);
  if (strcmp (action, "set-key") == 0)
    return do_set_key (argv[2]);
  heron_cli_error ("models", _("unknown action “%s”; see heron-cli models --help"), action);
  return 2;
}
