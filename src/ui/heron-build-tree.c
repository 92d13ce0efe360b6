/* heron-build-tree.c: find the build tree when heron runs uninstalled.
 *
 * Meson writes the compiled schema to <build>/data and the .mo files to
 * <build>/po/<lang>/LC_MESSAGES, so a developer can run ./build/src/ui/heron
 * directly and still get settings and translations.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-build-tree"

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "heron-build-tree.h"

/* Returns the build directory if the running executable lives in
 * <build>/src/ui, or NULL for an installed heron. */
char *
heron_build_tree_find (void)
{
  g_autofree char *exe = NULL;
  g_autofree char *exe_dir = NULL;
  g_autofree char *build_dir = NULL;
  g_autofree char *ninja = NULL;

  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe == NULL)
    return NULL;

  exe_dir = g_path_get_dirname (exe);
  build_dir = g_build_filename (exe_dir, "..", "..", NULL);
  ninja = g_build_filename (build_dir, "build.ninja", NULL);
  if (!g_file_test (ninja, G_FILE_TEST_IS_REGULAR))
    return NULL;

  return g_canonicalize_filename (build_dir, NULL);
}

/* HERON_LOCALEDIR wins, then the build tree's po/, then the installed LOCALEDIR. */
char *
heron_build_tree_locale_dir (const char *build_dir)
{
  const char *env = g_getenv ("HERON_LOCALEDIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (build_dir != NULL)
    return g_build_filename (build_dir, "po", NULL);
  return g_strdup (LOCALEDIR);
}

void
heron_build_tree_setup_locale (const char *build_dir)
{
  g_autofree char *found = build_dir == NULL ? heron_build_tree_find () : NULL;
  g_autofree char *locale_dir = heron_build_tree_locale_dir (build_dir != NULL ? build_dir
                                                                               : found);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
