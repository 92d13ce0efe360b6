/* bench-chat.c: the chat view under load. A conversation of 2,000 messages (short and long
 * ones, Markdown with code and tables) opens in a HeronMessageList; then an answer streams
 * into it at 50 tokens/s for a few seconds while the view follows it, then the view scrolls
 * through the whole conversation. Printed: the time to open, and for streaming and for
 * scrolling the p50/p99/longest frame interval (from a frame-clock tick callback), the frames
 * later than 25 ms (a missed 60 Hz frame), the main loop's longest stall (gap between 1 ms
 * timeouts), and the work done inside each frame by phase (update: tick callbacks, where a
 * streaming row renders; layout; paint). An idle phase first measures the frame clock
 * alone: on Xvfb GDK paces frames with a millisecond timer, so its p99 interval is about
 * 17.8 ms with no work at all, and that is the floor of the interval figures. The frame
 * clock's own frame times are printed too: GDK smooths that jitter away, so they step by
 * exactly one refresh (16.7 ms) while every frame keeps up, and by two or more when one
 * is missed.
 *
 * Run under Xvfb (meson test --suite bench bench-chat); HERON_MESSAGE_LIST=listbox
 * measures the GtkListBox fallback instead of the GtkListView.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>

#include "heron-message.h"
#include "heron-message-list.h"

#define N_MESSAGES 2000

typedef struct
{
  GArray    *frames;       /* gint64 µs of each tick */
  GArray    *clock_times;  /* gint64 µs: the frame clock's own frame time at each tick */
  gint64     last_timeout;
  gint64     max_stall;
  gboolean   measuring;
  /* Work inside each frame (frame clock phases), µs: */
  gint64     t_begin;      /* before-paint */
  gint64     t_update;     /* end of update (tick callbacks: the row renders there) */
  gint64     t_layout;     /* end of layout (size requests and allocations) */
  GArray    *work[4];      /* update, layout, paint, whole frame */
} Probe;

static Probe probe;

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  if (probe.measuring)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 frame_time = gdk_frame_clock_get_frame_time (clock);

      g_array_append_val (probe.frames, now);
      g_array_append_val (probe.clock_times, frame_time);
    }
  return G_SOURCE_CONTINUE;
}

static void
before_paint_cb (GdkFrameClock *clock)
{
  probe.t_begin = g_get_monotonic_time ();
  probe.t_update = probe.t_layout = 0;
}

static void
update_done_cb (GdkFrameClock *clock)
{
  probe.t_update = g_get_monotonic_time ();
}

static void
layout_done_cb (GdkFrameClock *clock)
{
  probe.t_layout = g_get_monotonic_time ();
}

static void
paint_done_cb (GdkFrameClock *clock)
{
  gint64 now = g_get_monotonic_time ();
  gint64 v[4];

  if (!probe.measuring || probe.t_begin == 0)
    return;
  /* A phase that did not run this frame takes no time. */
  if (probe.t_update == 0)
    probe.t_update = probe.t_begin;
  if (probe.t_layout == 0)
    probe.t_layout = probe.t_update;
  v[0] = probe.t_update - probe.t_begin;
  v[1] = probe.t_layout - probe.t_update;
  v[2] = now - probe.t_layout;
  v[3] = now - probe.t_begin;
  for (guint i = 0; i < 4; i++)
    g_array_append_val (probe.work[i], v[i]);
  probe.t_begin = 0;
}

static void
watch_frame_clock (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect_after (clock, "update", G_CALLBACK (update_done_cb), NULL);
  g_signal_connect_after (clock, "layout", G_CALLBACK (layout_done_cb), NULL);
  g_signal_connect_after (clock, "paint", G_CALLBACK (paint_done_cb), NULL);
}

static gboolean
stall_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (probe.measuring && probe.last_timeout != 0)
    probe.max_stall = MAX (probe.max_stall, now - probe.last_timeout);
  probe.last_timeout = now;
  return G_SOURCE_CONTINUE;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
start_probe (void)
{
  g_array_set_size (probe.frames, 0);
  g_array_set_size (probe.clock_times, 0);
  probe.max_stall = 0;
  probe.last_timeout = 0;
  for (guint i = 0; i < 4; i++)
    g_array_set_size (probe.work[i], 0);
  probe.measuring = TRUE;
}

static void
report (const char *what)
{
  g_autoptr(GArray) d = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n_late = 0;

  probe.measuring = FALSE;
  for (guint i = 1; i < probe.frames->len; i++)
    {
      gint64 v = g_array_index (probe.frames, gint64, i) - g_array_index (probe.frames, gint64,
                                                                          i - 1);
      g_array_append_val (d, v);
    }
  if (d->len == 0)
    {
      printf ("%s: no frames\n", what);
      return;
    }
  qsort (d->data, d->len, sizeof (gint64), cmp_i64);
  for (guint i = 0; i < d->len; i++)
    n_late += g_array_index (d, gint64, i) > 25000;
  printf ("%-28s frames %4u  interval p50 %5.1f ms  p99 %5.1f ms  longest %6.1f ms  "
          "late (>25 ms) %u  main-loop stall %6.1f ms\n",
          what, d->len,
          g_array_index (d, gint64, d->len / 2) / 1000.0,
          g_array_index (d, gint64, MIN (d->len - 1, d->len * 99 / 100)) / 1000.0,
          g_array_index (d, gint64, d->len - 1) / 1000.0,
          n_late, probe.max_stall / 1000.0);
  /* GDK's frame times step by the refresh interval while frames keep up (it smooths the
   * timer's jitter away) and by more when one is missed. */
  g_array_set_size (d, 0);
  for (guint i = 1; i < probe.clock_times->len; i++)
    {
      gint64 v = g_array_index (probe.clock_times, gint64, i)
                 - g_array_index (probe.clock_times, gint64, i - 1);
      g_array_append_val (d, v);
    }
  if (d->len > 0)
    {
      qsort (d->data, d->len, sizeof (gint64), cmp_i64);
      printf ("  frame-clock frame time steps: p50 %.1f ms  p99 %.1f ms  longest %.1f ms\n",
              g_array_index (d, gint64, d->len / 2) / 1000.0,
              g_array_index (d, gint64, MIN (d->len - 1, d->len * 99 / 100)) / 1000.0,
              g_array_index (d, gint64, d->len - 1) / 1000.0);
    }
  for (guint i = 0; i < 4; i++)
    {
      static const char *names[] = { "update", "layout", "paint", "frame" };
      GArray *w = probe.work[i];

      if (w->len == 0)
        continue;
      qsort (w->data, w->len, sizeof (gint64), cmp_i64);
      printf ("%s%s p50 %.1f p99 %.1f max %.1f ms%s", i == 0 ? "  work in frame: " : "",
              names[i], g_array_index (w, gint64, w->len / 2) / 1000.0,
              g_array_index (w, gint64, MIN (w->len - 1, w->len * 99 / 100)) / 1000.0,
              g_array_index (w, gint64, w->len - 1) / 1000.0, i == 3 ? "\n" : "; ");
    }
}

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static HeronMessage *
make_message (guint i)
{
  static const char *texts[] = {
    "Short question number %u?",
    "Here is an answer (%u) with **bold** text, a list:\n\n- one\n- two\n- three\n\n"
    "and a paragraph that goes on for a while so that it wraps over several lines in the "
    "view, as answers usually do when they explain something in detail.",
    "Code for %u:\n\n```c\nint\nmain (void)\n{\n  for (int i = 0; i < 10; i++)\n"
    "    printf (\"%%d\\n\", i);\n  return 0;\n}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "A one-liner, %u.",
  };
  g_autofree char *text = g_strdup_printf (texts[i % 4], i);
  HeronMessage *m = heron_message_new (i % 2 == 0 ? HERON_ROLE_USER : HERON_ROLE_ASSISTANT,
                                       text);

  heron_message_set_id (m, i + 1);
  heron_message_set_state (m, HERON_MESSAGE_COMPLETE);
  return m;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GListStore) store = NULL;
  g_autoptr(HeronMessage) answer = NULL;
  GtkWidget *window, *list;
  GtkAdjustment *adj;
  gint64 t0;
  guint n_tokens = 0;

  adw_init ();
  probe.frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe.clock_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < 4; i++)
    probe.work[i] = g_array_new (FALSE, FALSE, sizeof (gint64));

  store = g_list_store_new (HERON_TYPE_MESSAGE);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr(HeronMessage) m = make_message (i);

      g_list_store_append (store, m);
    }

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  list = heron_message_list_new ();
  gtk_window_set_child (GTK_WINDOW (window), list);
  gtk_widget_add_tick_callback (list, tick_cb, NULL, NULL);
  g_timeout_add (1, stall_cb, NULL);
  gtk_window_present (GTK_WINDOW (window));
  watch_frame_clock (window);
  run_for (500);

  printf ("message list: %s, %d messages\n",
          g_strcmp0 (g_getenv ("HERON_MESSAGE_LIST"), "listbox") == 0 ? "GtkListBox"
          : "GtkListView", N_MESSAGES);

  /* Open: from giving the model to the first frames drawn at the bottom. */
  t0 = g_get_monotonic_time ();
  start_probe ();
  heron_message_list_set_model (HERON_MESSAGE_LIST (list), G_LIST_MODEL (store));
  while (probe.frames->len < 3)
    g_main_context_iteration (NULL, TRUE);
  printf ("open 2000 messages: %.1f ms to the third frame\n",
          (g_get_monotonic_time () - t0) / 1000.0);
  run_for (1000);
  report ("after open (1 s)");

  /* The frame clock alone (only the probe's tick callback): the floor of the figures
   * below on this display, as its timer is in whole milliseconds. */
  start_probe ();
  run_for (3000);
  report ("idle, nothing changes (3 s)");

  /* Stream: 50 tokens/s into a new answer at the end. */
  answer = heron_message_new (HERON_ROLE_ASSISTANT, "");
  heron_message_set_id (answer, N_MESSAGES + 1);
  heron_message_set_state (answer, HERON_MESSAGE_STREAMING);
  g_list_store_append (store, answer);
  start_probe ();
  t0 = g_get_monotonic_time ();
  while (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC)
    {
      gint64 due = t0 + (gint64) n_tokens * 20000;

      while (g_get_monotonic_time () < due)
        g_main_context_iteration (NULL, TRUE);
      heron_message_append_content (answer, n_tokens % 40 == 39 ? "word.\n\n" :
                                    n_tokens % 97 == 0 ? " `code` " : " word");
      n_tokens++;
    }
  report ("streaming 50 tokens/s (5 s)");
  adj = heron_message_list_get_vadjustment (HERON_MESSAGE_LIST (list));
  printf ("following at the end: %s (value %.0f, upper %.0f, page %.0f)\n",
          heron_message_list_get_following (HERON_MESSAGE_LIST (list)) ? "yes" : "no",
          gtk_adjustment_get_value (adj), gtk_adjustment_get_upper (adj),
          gtk_adjustment_get_page_size (adj));

  /* Scroll up 200 px per frame (a fast wheel), as a user who left the end. */
  heron_message_list_set_following (HERON_MESSAGE_LIST (list), FALSE);
  start_probe ();
  t0 = g_get_monotonic_time ();
  while (gtk_adjustment_get_value (adj) > 0 && g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC)
    {
      gtk_adjustment_set_value (adj, MAX (0, gtk_adjustment_get_value (adj) - 200));
      run_for (16);
    }
  report ("scrolling up 200 px/frame");
  printf ("after %.1f s of scrolling: value %.0f of upper %.0f\n",
          (g_get_monotonic_time () - t0) / 1e6, gtk_adjustment_get_value (adj),
          gtk_adjustment_get_upper (adj));

  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (probe.frames);
  g_array_unref (probe.clock_times);
  for (guint i = 0; i < 4; i++)
    g_array_unref (probe.work[i]);
  return 0;
}
