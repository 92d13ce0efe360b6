/* heron-application.h: the Heron AdwApplication.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HERON_TYPE_APPLICATION (heron_application_get_type ())

G_DECLARE_FINAL_TYPE (HeronApplication, heron_application, HERON, APPLICATION, AdwApplication)

HeronApplication *heron_application_new          (void);
GSettings        *heron_application_get_settings (HeronApplication *self);

G_END_DECLS
