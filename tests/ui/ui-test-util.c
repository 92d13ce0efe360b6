/* ui-test-util.c: main-loop helpers shared by the UI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ui-test-util.h"

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
ui_test_wait_until (gboolean (*cond) (gpointer),
                    gpointer   data)
{
  gint64 end = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  guint wake = g_timeout_add (20, wake_cb, NULL);

  while (!cond (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
}

void
ui_test_settle (void)
{
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}
