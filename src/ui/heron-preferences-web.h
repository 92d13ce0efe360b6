/* heron-preferences-web.h: Preferences → Web: default web mode, search providers (on/off and
 * order), SearXNG instance, API keys (keyring), page limits, caches and the context share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HERON_TYPE_PREFERENCES_WEB (heron_preferences_web_get_type ())

G_DECLARE_FINAL_TYPE (HeronPreferencesWeb, heron_preferences_web, HERON, PREFERENCES_WEB,
                      AdwPreferencesPage)

GtkWidget *heron_preferences_web_new (GSettings *settings);

/* For tests: the widgets behind the settings. */
GtkWidget *_heron_preferences_web_get_provider_row    (HeronPreferencesWeb *self,
                                                       const char          *id);
/* The row's switch, and its move-up button. */
GtkWidget *_heron_preferences_web_get_provider_switch (HeronPreferencesWeb *self,
                                                       const char          *id);
GtkWidget *_heron_preferences_web_get_provider_up     (HeronPreferencesWeb *self,
                                                       const char          *id);
/* "searxng-url", "web-page-timeout-ms", "web-page-max-bytes", "web-max-parallel",
 * "web-cache-page-ttl", "web-cache-search-ttl", "web-context-share", "default-web-mode",
 * or "key:ID" for a provider's API key row. */
GtkWidget *_heron_preferences_web_get_widget          (HeronPreferencesWeb *self,
                                                       const char          *name);

G_END_DECLS
