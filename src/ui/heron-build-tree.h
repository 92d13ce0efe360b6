/* heron-build-tree.h: find the build tree when heron runs uninstalled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *heron_build_tree_find       (void);
char *heron_build_tree_locale_dir (const char *build_dir);
/* setlocale() and Heron's text domain bound to heron_build_tree_locale_dir (BUILD_DIR);
 * BUILD_DIR NULL: looked for with heron_build_tree_find(). For main() and the UI tests. */
void  heron_build_tree_setup_locale (const char *build_dir);

G_END_DECLS
