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

/* Bind KEY, a string setting with a fixed set of values, to the "selected" index of a combo
 * row: VALUES (NULL-terminated, kept by the caller for the binding's life) lists the strings
 * in the order of the row's items. */
void heron_preferences_bind_choice (GSettings          *settings,
                                    const char         *key,
                                    gpointer            row,
                                    const char * const *values);

G_END_DECLS
