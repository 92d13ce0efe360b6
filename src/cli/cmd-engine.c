/* cmd-engine.c: placeholder until these subcommands are built; they say so and exit 1. */
#include "config.h"
#include <glib/gi18n.h>
#include "heron-cli.h"

int
heron_cmd_info (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("info", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_tokenize (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("tokenize", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_generate (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("generate", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_logits (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("logits", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_perplexity (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("perplexity", _("this subcommand is not built yet in this version"));
  return 1;
}

int
heron_cmd_bench (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("bench", _("this subcommand is not built yet in this version"));
  return 1;
}

