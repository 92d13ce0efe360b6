/* heron-models-page.h: Preferences → Models: the model library, the download catalog and
 * the remote server settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HERON_TYPE_MODELS_PAGE (heron_models_page_get_type ())

G_DECLARE_FINAL_TYPE (HeronModelsPage, heron_models_page, HERON, MODELS_PAGE, AdwPreferencesPage)

GtkWidget *heron_models_page_new (GSettings *settings);

/* Human text for an entry's metadata ("qwen2 · 494M parameters · Q4_K_M · …"), shared with
 * the header-bar picker. */
char      *heron_models_describe (const char *architecture, guint64 n_params,
                                  const char *quantization, guint64 file_size,
                                  gint64 context_length);

G_END_DECLS
