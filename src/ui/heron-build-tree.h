/* heron-build-tree.h: find the build tree when heron runs uninstalled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *heron_build_tree_find       (void);
char *heron_build_tree_locale_dir (const char *build_dir);

G_END_DECLS
