/* heron-message-list.c: the scrolling list of a conversation's messages.
 *
 * A GtkListView over the conversation's GListModel, so only the rows on screen exist.
 * Chosen by measurement (tests/bench/bench-chat.c, 2,000 messages, Xvfb, cairo): the list
 * view opens them in 0.4 s and streams at 50 tokens/s with a p99 frame interval of 17.8 ms
 * and a longest of 18 ms, the same as the idle frame clock on Xvfb (GDK paces frames with a
 * millisecond timer: 17.8 ms p99 with no work at all), no frame later than 25 ms, and the
 * work inside a frame at p99 2.9 ms (rendering the streaming row 2 ms, layout 0.5 ms,
 * paint 1.3 ms), far inside a 16 ms budget; a GtkListBox bound to the same model (set
 * HERON_MESSAGE_LIST=listbox) takes 3.7 s to open, stalls 1.4 s after, and streams with
 * p99 47 ms / longest 89 ms, because every row exists and is measured. GTK 4.8's list view
 * does re-anchor while it measures rows of different heights; the follow logic below
 * copes with that (it re-sticks to the end on the next frames).
 *
 * The view follows a streaming answer while the user is at the bottom; once the user
 * scrolls up it stays put and a "jump to bottom" button appears.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-message-list"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "heron-message-list.h"
#include "heron-message-row.h"

struct _HeronMessageList
{
  GtkWidget          parent_instance;

  GtkWidget         *overlay;
  GtkWidget         *scroller;
  GtkWidget         *list_view;   /* or list_box */
  GtkWidget         *list_box;
  GtkWidget         *jump_button;
  GtkNoSelection    *selection;
  GListModel        *model;

  gboolean           following;
  gboolean           scrolling;   /* our own adjustment changes */
  guint              scroll_tick;
  guint              scroll_to;   /* position for scroll_tick */
  guint              scroll_wait; /* frames to wait before scrolling */
  gint64             user_scroll_time; /* last wheel or touchpad scroll (monotonic µs) */
  gboolean           dragging;    /* the user holds the scrollbar */
  guint              stick_tick;
  guint              stick_frames; /* frames left to keep re-checking the end */
};

G_DEFINE_FINAL_TYPE (HeronMessageList, heron_message_list, GTK_TYPE_WIDGET)

static gboolean
at_bottom (GtkAdjustment *adj)
{
  return gtk_adjustment_get_value (adj)
         >= gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 4;
}

static void
update_jump_button (HeronMessageList *self)
{
  gtk_widget_set_visible (self->jump_button, !self->following);
}

static void queue_stick (HeronMessageList *self);

static void
stick_to_bottom (HeronMessageList *self)
{
  GtkAdjustment *adj = heron_message_list_get_vadjustment (self);

  self->scrolling = TRUE;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj)
                                 - gtk_adjustment_get_page_size (adj));
  self->scrolling = FALSE;
}

/* The list view moves the adjustment by itself too (rows measured, anchors kept), so only
 * changes right after a wheel, touchpad or scrollbar gesture are the user's: leaving the
 * end stops the following, scrolling back to it (or the jump button, or sending) starts
 * it again. */
static void
value_changed_cb (HeronMessageList *self,
                  GtkAdjustment    *adj)
{
  gboolean by_user = self->dragging
                     || g_get_monotonic_time () - self->user_scroll_time < 300 * 1000;

  if (self->scrolling)
    return;
  /* Only the user's own scrolling changes the mode: the view clamping to the end when
   * estimated heights shrink does not mean the user came back. */
  if (by_user)
    self->following = at_bottom (adj);
  update_jump_button (self);
  queue_stick (self);
}

static gboolean
user_scroll_cb (HeronMessageList         *self,
                double                    dx,
                double                    dy,
                GtkEventControllerScroll *controller)
{
  self->user_scroll_time = g_get_monotonic_time ();
  if (dy < 0)
    {
      self->following = FALSE;
      update_jump_button (self);
    }
  return FALSE;
}

static void
scrollbar_pressed_cb (HeronMessageList *self)
{
  self->dragging = TRUE;
}

static void
scrollbar_released_cb (HeronMessageList *self)
{
  self->dragging = FALSE;
  self->user_scroll_time = g_get_monotonic_time ();
}

static gboolean
stick_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  HeronMessageList *self = HERON_MESSAGE_LIST (widget);
  GtkAdjustment *adj = heron_message_list_get_vadjustment (self);

  if (self->following && !at_bottom (adj))
    stick_to_bottom (self);
  /* Rows measured on the next frames may move the end again (GTK 4.8 estimates the
   * heights of rows it has not measured yet). */
  if (self->following && self->stick_frames > 0)
    {
      self->stick_frames--;
      return G_SOURCE_CONTINUE;
    }
  self->stick_tick = 0;
  return G_SOURCE_REMOVE;
}

/* Keep the bottom while following: the content grew (streaming text, a new message) or
 * the list view re-anchored after measuring rows. Done on the next frame, outside the
 * list view's own size allocation. */
static void
queue_stick (HeronMessageList *self)
{
  if (!self->following)
    return;
  self->stick_frames = 8;
  if (self->stick_tick == 0)
    self->stick_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), stick_tick_cb,
                                                     NULL, NULL);
}

static void
adjustment_changed_cb (HeronMessageList *self,
                       GtkAdjustment    *adj)
{
  if (self->following && !at_bottom (adj))
    stick_to_bottom (self);
  queue_stick (self);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  GtkWidget *clamp = adw_clamp_new ();

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 600);
  adw_clamp_set_child (ADW_CLAMP (clamp), heron_message_row_new ());
  gtk_widget_add_css_class (clamp, "message-clamp");
  gtk_list_item_set_child (item, clamp);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         gpointer                  user_data)
{
  GtkWidget *row = adw_clamp_get_child (ADW_CLAMP (gtk_list_item_get_child (item)));

  heron_message_row_set_message (HERON_MESSAGE_ROW (row), gtk_list_item_get_item (item));
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  GtkWidget *row = adw_clamp_get_child (ADW_CLAMP (gtk_list_item_get_child (item)));

  heron_message_row_set_message (HERON_MESSAGE_ROW (row), NULL);
}

static GtkWidget *
create_box_row (gpointer item,
                gpointer user_data)
{
  GtkWidget *row = heron_message_row_new ();
  GtkWidget *clamp = adw_clamp_new ();

  heron_message_row_set_message (HERON_MESSAGE_ROW (row), item);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 600);
  adw_clamp_set_child (ADW_CLAMP (clamp), row);
  gtk_widget_add_css_class (clamp, "message-clamp");
  return g_object_new (GTK_TYPE_LIST_BOX_ROW, "child", clamp, "activatable", FALSE,
                       "selectable", FALSE, "focusable", FALSE, NULL);
}

static void
jump_clicked_cb (HeronMessageList *self)
{
  heron_message_list_scroll_to_bottom (self);
}

static void
scroll_now (HeronMessageList *self,
            guint             position)
{
  if (self->model == NULL || position >= g_list_model_get_n_items (self->model))
    return;
  /* Our own scrolling: the user did not leave the bottom. */
  self->scrolling = TRUE;
  if (self->list_view != NULL)
    gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", position);
  else
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list_box),
                                                          position);
      graphene_point_t p;

      if (row != NULL
          && gtk_widget_compute_point (GTK_WIDGET (row), self->list_box,
                                       &GRAPHENE_POINT_INIT (0, 0), &p))
        gtk_adjustment_set_value (heron_message_list_get_vadjustment (self), p.y);
    }
  self->scrolling = FALSE;
  if (self->following)
    {
      stick_to_bottom (self);
      queue_stick (self);
    }
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  HeronMessageList *self = HERON_MESSAGE_LIST (widget);

  /* Ticks run before the frame's layout, and GTK 4.8's list view only scrolls to rows it
   * has laid out (setting the adjustment before that even warns): after one frame, move
   * near the row (the view estimates row heights the same way), after the next one, to
   * the row itself. */
  if (self->scroll_wait > 0 && --self->scroll_wait > 0)
    {
      if (self->scroll_wait == 1 && self->list_view != NULL && self->model != NULL
          && !self->following)
        {
          GtkAdjustment *adj = heron_message_list_get_vadjustment (self);
          guint n = g_list_model_get_n_items (self->model);

          self->scrolling = TRUE;
          gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) * self->scroll_to
                                         / MAX (n, 1));
          self->scrolling = FALSE;
        }
      return G_SOURCE_CONTINUE;
    }
  self->scroll_tick = 0;
  /* While following, the end may have moved since (a turn appended its messages). */
  if (self->following && self->model != NULL && g_list_model_get_n_items (self->model) > 0)
    self->scroll_to = g_list_model_get_n_items (self->model) - 1;
  scroll_now (self, self->scroll_to);
  return G_SOURCE_REMOVE;
}

/* GTK 4.8's list view cannot scroll to rows it has not laid out yet (right after a new
 * model), so the scroll happens on the next frame. */
void
heron_message_list_scroll_to_item (HeronMessageList *self,
                                   guint             position)
{
  g_return_if_fail (HERON_IS_MESSAGE_LIST (self));

  if (self->model == NULL || position >= g_list_model_get_n_items (self->model))
    return;
  if (self->model != NULL && position + 1 < g_list_model_get_n_items (self->model))
    {
      /* Showing an older message: stop following the end. */
      self->following = FALSE;
      update_jump_button (self);
    }
  self->scroll_to = position;
  self->scroll_wait = 3;
  if (self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_tick_cb,
                                                      NULL, NULL);
}

void
heron_message_list_scroll_to_bottom (HeronMessageList *self)
{
  g_return_if_fail (HERON_IS_MESSAGE_LIST (self));

  self->following = TRUE;
  update_jump_button (self);
  if (self->model != NULL && g_list_model_get_n_items (self->model) > 0)
    heron_message_list_scroll_to_item (self, g_list_model_get_n_items (self->model) - 1);
}

void
heron_message_list_set_model (HeronMessageList *self,
                              GListModel       *model)
{
  g_return_if_fail (HERON_IS_MESSAGE_LIST (self));

  if (!g_set_object (&self->model, model))
    return;
  if (self->list_view != NULL)
    gtk_no_selection_set_model (self->selection, model);
  else
    gtk_list_box_bind_model (GTK_LIST_BOX (self->list_box), model,
                             model != NULL ? create_box_row : NULL, NULL, NULL);
  heron_message_list_scroll_to_bottom (self);
}

gboolean
heron_message_list_get_following (HeronMessageList *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE_LIST (self), FALSE);

  return self->following;
}

/* FALSE: stay where the view is while the content grows (as after the user scrolls up). */
void
heron_message_list_set_following (HeronMessageList *self,
                                  gboolean          following)
{
  g_return_if_fail (HERON_IS_MESSAGE_LIST (self));

  if (following)
    {
      heron_message_list_scroll_to_bottom (self);
      return;
    }
  self->following = FALSE;
  update_jump_button (self);
}

GtkAdjustment *
heron_message_list_get_vadjustment (HeronMessageList *self)
{
  g_return_val_if_fail (HERON_IS_MESSAGE_LIST (self), NULL);

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
}

static void
heron_message_list_dispose (GObject *object)
{
  HeronMessageList *self = (HeronMessageList *)object;

  if (self->scroll_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick);
  self->scroll_tick = 0;
  if (self->stick_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->stick_tick);
  self->stick_tick = 0;
  g_clear_pointer (&self->overlay, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (heron_message_list_parent_class)->dispose (object);
}

static void
heron_message_list_class_init (HeronMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_message_list_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "heronmessagelist");
}

static void
heron_message_list_init (HeronMessageList *self)
{
  GtkAdjustment *adj;

  self->following = TRUE;
  self->overlay = gtk_overlay_new ();
  gtk_widget_set_parent (self->overlay, GTK_WIDGET (self));

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_overlay_set_child (GTK_OVERLAY (self->overlay), self->scroller);

  if (g_strcmp0 (g_getenv ("HERON_MESSAGE_LIST"), "listbox") == 0)
    {
      self->list_box = gtk_list_box_new ();
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list_box), GTK_SELECTION_NONE);
      gtk_widget_set_valign (self->list_box, GTK_ALIGN_END);
      gtk_widget_add_css_class (self->list_box, "message-list");
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list_box);
    }
  else
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), NULL);
      self->selection = gtk_no_selection_new (NULL);
      self->list_view = gtk_list_view_new (g_object_ref (GTK_SELECTION_MODEL (self->selection)),
                                           factory);
      gtk_widget_add_css_class (self->list_view, "message-list");
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list_view);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view != NULL ? self->list_view
                                                  : self->list_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Messages"), -1);

  self->jump_button = g_object_new (GTK_TYPE_BUTTON,
                                    "icon-name", "go-bottom-symbolic",
                                    "tooltip-text", _("Jump to Bottom"),
                                    "halign", GTK_ALIGN_END,
                                    "valign", GTK_ALIGN_END,
                                    "margin-end", 18,
                                    "margin-bottom", 18,
                                    "visible", FALSE,
                                    NULL);
  gtk_widget_add_css_class (self->jump_button, "osd");
  gtk_widget_add_css_class (self->jump_button, "circular");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->jump_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Jump to Bottom"), -1);
  g_signal_connect_swapped (self->jump_button, "clicked", G_CALLBACK (jump_clicked_cb), self);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->overlay), self->jump_button);

  {
    GtkEventController *scroll = gtk_event_controller_scroll_new (
      GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
    GtkGesture *click = gtk_gesture_click_new ();

    gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
    g_signal_connect_swapped (scroll, "scroll", G_CALLBACK (user_scroll_cb), self);
    gtk_widget_add_controller (self->scroller, scroll);
    gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
    g_signal_connect_swapped (click, "pressed", G_CALLBACK (scrollbar_pressed_cb), self);
    g_signal_connect_swapped (click, "released", G_CALLBACK (scrollbar_released_cb), self);
    g_signal_connect_swapped (click, "stopped", G_CALLBACK (scrollbar_released_cb), self);
    gtk_widget_add_controller (gtk_scrolled_window_get_vscrollbar (
                                 GTK_SCROLLED_WINDOW (self->scroller)),
                               GTK_EVENT_CONTROLLER (click));
  }

  adj = heron_message_list_get_vadjustment (self);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (value_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed", G_CALLBACK (adjustment_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
heron_message_list_new (void)
{
  return g_object_new (HERON_TYPE_MESSAGE_LIST, NULL);
}
