/* heron-composer-private.h: composer internals shared with the tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-composer.h"

G_BEGIN_DECLS

GtkTextView *_heron_composer_get_text_view (HeronComposer   *self);
gboolean     _heron_composer_handle_enter  (HeronComposer   *self,
                                            GdkModifierType  state);

G_END_DECLS
