/* ui-test-util.h: main-loop helpers shared by the UI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Iterate the default main context until COND (DATA) is true. Some conditions change on
 * other threads (the store's) without an event here: a timer keeps the loop from sleeping
 * past them, and the test fails (instead of hanging) after 90 s. */
void ui_test_wait_until (gboolean (*cond) (gpointer),
                         gpointer   data);

/* Let pending work (layout, idles, redraws) run for half a second, without blocking. */
void ui_test_settle     (void);

G_END_DECLS
