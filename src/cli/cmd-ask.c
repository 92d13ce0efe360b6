/* cmd-ask.c: placeholder until these subcommands are built; they say so and exit 1. */
#include "config.h"
#include <glib/gi18n.h>
#include "heron-cli.h"

int
heron_cmd_ask (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("ask", _("this subcommand is not built yet in this version"));
  return 1;
}

