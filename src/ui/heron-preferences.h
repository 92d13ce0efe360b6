/* heron-preferences.h: the Preferences window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HERON_TYPE_PREFERENCES (heron_preferences_get_type ())

G_DECLARE_FINAL_TYPE (HeronPreferences, heron_preferences, HERON, PREFERENCES, AdwPreferencesWindow)

HeronPreferences *heron_preferences_new (GSettings *settings);

G_END_DECLS
