/* heron-cli.c: subcommand dispatch for heron-cli.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "heron-cli.h"

static const HeronCliCommand commands[] = {
  { "info",       N_("Show a model's metadata without loading its weights"), heron_cmd_info },
  { "tokenize",   N_("Print the token ids of a text"),                       heron_cmd_tokenize },
  { "generate",   N_("Generate text from a prompt"),                         heron_cmd_generate },
  { "logits",     N_("Write the logits of the last prompt position"),        heron_cmd_logits },
  { "perplexity", N_("Measure a model's perplexity on a text file"),         heron_cmd_perplexity },
  { "bench",      N_("Measure prompt and generation speed"),                 heron_cmd_bench },
  { "ask",        N_("Ask a question in a stored conversation"),             heron_cmd_ask },
  { "search",     N_("Search the web"),                                      heron_cmd_search },
  { "extract",    N_("Print the main text of a web page"),                   heron_cmd_extract },
  { "models",     N_("List, add, download or remove models"),                heron_cmd_models },
};

void
heron_cli_error (const char *command,
                 const char *format,
                 ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (command != NULL)
    g_printerr ("heron-cli %s: %s\n", command, msg);
  else
    g_printerr ("heron-cli: %s\n", msg);
}

gboolean
heron_cli_parse (GOptionContext   *octx,
                 int              *argc,
                 char           ***argv,
                 int              *status)
{
  g_autoptr(GError) error = NULL;

  for (int i = 1; i < *argc; i++)
    {
      if (strcmp ((*argv)[i], "--") == 0)
        break;
      if (strcmp ((*argv)[i], "--help") == 0 || strcmp ((*argv)[i], "-h") == 0)
        {
          g_autofree char *help = g_option_context_get_help (octx, TRUE, NULL);
          g_print ("%s", help);
          *status = 0;
          return FALSE;
        }
    }

  if (!g_option_context_parse (octx, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", (*argv)[0], error->message);
      g_printerr (_("Run “%s --help” for usage.\n"), (*argv)[0]);
      *status = 2;
      return FALSE;
    }
  return TRUE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: heron-cli [--data-dir DIR] SUBCOMMAND [OPTIONS…]"));
  fprintf (out, "%s\n", _("Subcommands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Options for every subcommand:"));
  fprintf (out, "  %-20s %s\n", "--data-dir DIR", _("Where conversations and models are kept"));
  fprintf (out, "  %-20s %s\n", "--help", _("Show help for heron-cli or a subcommand"));
  fprintf (out, "  %-20s %s\n", "--version", _("Show the version"));
}

/* Remove "--data-dir DIR" / "--data-dir=DIR" from anywhere in argv (before "--"). */
static gboolean
take_data_dir (int    *argc,
               char  **argv,
               char  **data_dir)
{
  int out = 1;
  gboolean ok = TRUE;
  gboolean literal = FALSE;

  for (int i = 1; i < *argc; i++)
    {
      const char *a = argv[i];

      if (!literal && strcmp (a, "--") == 0)
        literal = TRUE;
      if (!literal && strcmp (a, "--data-dir") == 0)
        {
          if (i + 1 >= *argc)
            {
              heron_cli_error (NULL, _("--data-dir needs a folder"));
              ok = FALSE;
              continue;
            }
          g_free (*data_dir);
          *data_dir = g_strdup (argv[++i]);
          continue;
        }
      if (!literal && g_str_has_prefix (a, "--data-dir="))
        {
          g_free (*data_dir);
          *data_dir = g_strdup (a + strlen ("--data-dir="));
          continue;
        }
      argv[out++] = argv[i];
    }
  argv[out] = NULL;
  *argc = out;
  return ok;
}

int
main (int    argc,
      char **argv)
{
  HeronCliContext ctx = { 0 };
  g_autofree char *cmd_argv0 = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!take_data_dir (&argc, argv, &ctx.data_dir))
    return 2;
  if (ctx.data_dir == NULL)
    ctx.data_dir = g_build_filename (g_get_user_data_dir (), "heron", NULL);

  if (argc < 2)
    {
      print_usage (stderr);
      g_free (ctx.data_dir);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      g_free (ctx.data_dir);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_print ("heron-cli %s\n", PACKAGE_VERSION);
      g_free (ctx.data_dir);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (argv[1], commands[i].name) != 0)
        continue;
      cmd_argv0 = g_strdup_printf ("heron-cli %s", commands[i].name);
      argv[1] = cmd_argv0;
      g_set_prgname (cmd_argv0);
      status = commands[i].func (&ctx, argc - 1, argv + 1);
      g_free (ctx.data_dir);
      return status;
    }

  heron_cli_error (NULL, _("unknown subcommand “%s”; run “heron-cli --help” for the list"),
                   argv[1]);
  g_free (ctx.data_dir);
  return 2;
}
