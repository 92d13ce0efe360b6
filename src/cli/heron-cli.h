/* heron-cli.h: shared state and the subcommand table of heron-cli.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  /* --data-dir, or $XDG_DATA_HOME/heron when not given. Never NULL. */
  char *data_dir;
} HeronCliContext;

/* A subcommand gets argv with argv[0] = "heron-cli SUBCOMMAND" and the shared options already
 * removed. It returns the process exit status: 0 ok, 1 failure, 2 usage error. */
typedef int (*HeronCliCommandFunc) (HeronCliContext *ctx, int argc, char **argv);

typedef struct
{
  const char          *name;
  const char          *summary;   /* N_() string */
  HeronCliCommandFunc  func;
} HeronCliCommand;

/* Parse argv with a GOptionContext whose --help shows the summary; returns FALSE (and sets
 * *status) when the command should exit now (--help, or a usage error printed to stderr). */
gboolean heron_cli_parse (GOptionContext *octx, int *argc, char ***argv, int *status);

/* Print "heron-cli NAME: message" to stderr. */
void heron_cli_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Engine commands (cmd-engine.c) */
int heron_cmd_info       (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_tokenize   (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_generate   (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_logits     (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_perplexity (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_bench      (HeronCliContext *ctx, int argc, char **argv);
/* Conversations (cmd-ask.c) */
int heron_cmd_ask        (HeronCliContext *ctx, int argc, char **argv);
/* Web (cmd-web.c) */
int heron_cmd_search     (HeronCliContext *ctx, int argc, char **argv);
int heron_cmd_extract    (HeronCliContext *ctx, int argc, char **argv);
/* Models (cmd-models.c) */
int heron_cmd_models     (HeronCliContext *ctx, int argc, char **argv);

G_END_DECLS
