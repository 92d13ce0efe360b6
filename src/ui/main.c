/* main.c: entry point of the heron GTK application.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron"

#include "config.h"


#include <glib/gi18n.h>

#include "heron-application.h"
#include "heron-build-tree.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(HeronApplication) app = NULL;
  g_autofree char *build_dir = NULL;

  /* Run from a build tree (./build/src/ui/heron) without installing: schemas and
   * translations come from the build tree unless the caller chose other ones. */
  build_dir = heron_build_tree_find ();
  if (build_dir != NULL && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    {
      g_autofree char *schema_dir = g_build_filename (build_dir, "data", NULL);
      g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
    }

  heron_build_tree_setup_locale (build_dir);

  g_set_application_name (_("Heron"));

  app = heron_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
