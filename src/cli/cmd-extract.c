/* cmd-extract.c: heron-cli extract: placeholder until the extraction engineer builds it; it
 * says so and exits 1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "heron-cli.h"

int
heron_cmd_extract (HeronCliContext *ctx, int argc, char **argv)
{
  heron_cli_error ("extract", _("this subcommand is not built yet in this version"));
  return 1;
}
