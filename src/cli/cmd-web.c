/* cmd-web.c: placeholder until these subcommands are built; they say so and exit 1. */
#include "config.h"
#include <glib/gi18n.h>
#include "heron-cli.h"

int
heron_cmd_search (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("search", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_extract (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("extract", _("this subcommand is not built yet in this version"));
  return 1;
}

