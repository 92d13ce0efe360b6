/* heron-model-picker.c: the header-bar model picker, and the model loading the window shares
 * with it (a dropped .gguf file, a conversation that remembers another model).
 *
 * The list is refreshed (scanned off the main thread) each time the popover opens, so models
 * added in Preferences or downloaded meanwhile show up; the model in use has a check mark.
 * Choosing a local model loads it in a dialog that shows the engine's load fraction and can
 * be cancelled; the old backend is dropped once the new one is set (heron_chat_set_backend),
 * which returns its memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-model-picker"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "heron-local-backend.h"
#include "heron-model-picker.h"
#include "heron-models-page.h"
#include "heron-models.h"
#include "heron-openai-backend.h"
#include "heron-window.h"

typedef struct
{
  GtkWindow    *window;     /* borrowed */
  HeronChat    *chat;       /* borrowed */
  GSettings    *settings;   /* borrowed */
  GtkListBox   *list;
  GtkPopover   *popover;
  GCancellable *cancellable;
} Picker;

typedef struct
{
  GtkWindow         *window;      /* owned: the load may outlive the picker */
  HeronChat         *chat;        /* owned */
  HeronLocalBackend *backend;     /* owned */
  GtkWidget         *dialog;
  GtkProgressBar    *progress;
  gulong             progress_id;
  GCancellable      *cancellable;
} Loading;

static void
picker_free (Picker *picker)
{
  g_cancellable_cancel (picker->cancellable);
  g_clear_object (&picker->cancellable);
  g_free (picker);
}

static void
load_progress_cb (HeronLocalBackend *backend,
                  GParamSpec        *pspec,
                  Loading           *loading)
{
  double fraction = heron_local_backend_get_load_progress (backend);
  g_autofree char *text = g_strdup_printf (_("%d %%"), (int) (fraction * 100 + 0.5));

  if (loading->dialog == NULL)
    return;
  gtk_progress_bar_set_fraction (loading->progress, fraction);
  gtk_progress_bar_set_text (loading->progress, text);
}

static void
loading_free (Loading *loading)
{
  g_clear_signal_handler (&loading->progress_id, loading->backend);
  g_clear_object (&loading->backend);
  g_clear_object (&loading->cancellable);
  g_clear_object (&loading->window);
  g_clear_object (&loading->chat);
  g_free (loading);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Loading *loading = user_data;
  g_autoptr(GError) error = NULL;
  gboolean cancelled = g_cancellable_is_cancelled (loading->cancellable);

  if (loading->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (loading->dialog));
  if (!heron_local_backend_load_finish (HERON_LOCAL_BACKEND (object), result, &error) &&
      !cancelled && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GtkWidget *dialog = adw_message_dialog_new (loading->window,
                                                  _("Cannot Load the Model"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  else if (!cancelled)
    {
      heron_chat_set_backend (loading->chat, HERON_BACKEND (object));
    }
  loading_free (loading);
}

static void
loading_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     Loading          *loading)
{
  loading->dialog = NULL;
  g_cancellable_cancel (loading->cancellable);
}

void
heron_model_picker_load_local (GtkWindow  *window,
                               HeronChat  *chat,
                               const char *path,
                               const char *name)
{
  g_autoptr(HeronLocalBackend) backend = NULL;
  Loading *loading;
  g_autofree char *base = NULL;
  g_autofree char *heading = NULL;

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (HERON_IS_CHAT (chat));
  g_return_if_fail (path != NULL);

  if (name == NULL)
    {
      base = g_path_get_basename (path);
      if (g_str_has_suffix (base, ".gguf"))
        base[strlen (base) - 5] = '\0';
      name = base;
    }
  heading = g_strdup_printf (_("Loading %s"), name);
  backend = heron_local_backend_new (path, 0, 0);
  loading = g_new0 (Loading, 1);
  loading->window = g_object_ref (window);
  loading->chat = g_object_ref (chat);
  loading->backend = g_object_ref (backend);
  loading->cancellable = g_cancellable_new ();
  loading->dialog = adw_message_dialog_new (window, heading,
                                            _("The model is read into memory. Large models "
                                              "take a while."));
  loading->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (loading->progress, TRUE);
  {
    g_autofree char *zero = g_strdup_printf (_("%d %%"), 0);

    gtk_progress_bar_set_text (loading->progress, zero);
  }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (loading->dialog),
                                      GTK_WIDGET (loading->progress));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (loading->dialog), "cancel",
                                   _("_Cancel"));
  g_signal_connect (loading->dialog, "response", G_CALLBACK (loading_response_cb), loading);
  loading->progress_id = g_signal_connect (backend, "notify::load-progress",
                                           G_CALLBACK (load_progress_cb), loading);
  gtk_window_present (GTK_WINDOW (loading->dialog));
  heron_local_backend_load_async (backend, loading->cancellable, loaded_cb, loading);
}

HeronBackend *
heron_model_picker_remote_backend (GSettings   *settings,
                                   const char  *spec_text,
                                   GError     **error)
{
  g_autoptr(HeronModelSpec) spec = NULL;
  g_autofree char *url = NULL;
  HeronBackend *backend;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (spec_text != NULL, NULL);

  spec = heron_model_spec_resolve (spec_text, NULL, NULL, error);
  if (spec == NULL)
    return NULL;
  if (spec->kind != HERON_MODEL_SPEC_REMOTE)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("“%s” is not a server's model."), spec_text);
      return NULL;
    }
  if (g_strcmp0 (spec->endpoint, "custom") == 0)
    url = g_settings_get_string (settings, "custom-server-url");
  backend = heron_model_spec_create_backend (spec, url, error);
  if (backend != NULL)
    g_object_set_data_full (G_OBJECT (backend), "heron-model-spec", g_strdup (spec->spec),
                            g_free);
  return backend;
}

static void
load_local (Picker     *picker,
            const char *path,
            const char *name)
{
  heron_model_picker_load_local (picker->window, picker->chat, path, name);
}

static void
row_activated_cb (GtkListBox    *list,
                  GtkListBoxRow *row,
                  Picker        *picker)
{
  const char *path = g_object_get_data (G_OBJECT (row), "path");
  const char *remote = g_object_get_data (G_OBJECT (row), "remote");

  gtk_popover_popdown (picker->popover);
  if (path != NULL)
    {
      load_local (picker, path, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
    }
  else if (remote != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HeronBackend) backend = heron_model_picker_remote_backend (picker->settings,
                                                                           remote, &error);

      if (backend == NULL)
        {
          GtkWidget *dialog = adw_message_dialog_new (picker->window,
                                                      _("Cannot Use the Server"), error->message);

          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (dialog));
          return;
        }
      heron_chat_set_backend (picker->chat, backend);
    }
  else
    {
      gtk_widget_activate_action (GTK_WIDGET (picker->window), "win.connect-server", NULL);
    }
}

static GtkWidget *
add_row (Picker     *picker,
         const char *title,
         const char *subtitle,
         gboolean    current)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (current)
    {
      GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

      gtk_widget_set_tooltip_text (check, _("In use"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
    }
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_list_box_append (picker->list, row);
  return row;
}

static void
scan_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Picker *picker = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = heron_models_scan_finish (result, &error);
  g_autofree char *remote = NULL;
  HeronBackend *current = heron_chat_get_backend (picker->chat);
  const char *current_path = HERON_IS_LOCAL_BACKEND (current)
                             ? heron_local_backend_get_path (HERON_LOCAL_BACKEND (current)) : NULL;
  const char *current_spec = current != NULL
                             ? g_object_get_data (G_OBJECT (current), "heron-model-spec") : NULL;
  GtkWidget *child, *row;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (picker->list))) != NULL)
    gtk_list_box_remove (picker->list, child);
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      HeronModelEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *subtitle = NULL;

      if (entry->error != NULL || !entry->supported)
        continue;
      subtitle = heron_models_describe (entry->architecture, entry->n_params,
                                        entry->quantization, entry->file_size,
                                        entry->context_length);
      row = add_row (picker, entry->name, subtitle, g_strcmp0 (entry->path, current_path) == 0);
      g_object_set_data_full (G_OBJECT (row), "path", g_strdup (entry->path), g_free);
      gtk_widget_set_sensitive (row, entry->fits);
    }
  remote = g_settings_get_string (picker->settings, "remote-model");
  if (g_str_has_prefix (remote, "remote:"))
    {
      row = add_row (picker, remote + strlen ("remote:"), _("Remote server"),
                     g_strcmp0 (remote, current_spec) == 0);
      g_object_set_data_full (G_OBJECT (row), "remote", g_strdup (remote), g_free);
    }
  add_row (picker, _("Connect to a Server…"), NULL, FALSE);
}

static void
popover_show_cb (Picker *picker)
{
  g_autofree char *data_dir = g_build_filename (g_get_user_data_dir (), "heron", NULL);

  g_cancellable_cancel (picker->cancellable);
  g_clear_object (&picker->cancellable);
  picker->cancellable = g_cancellable_new ();
  heron_models_scan_async (data_dir, NULL, picker->cancellable, scan_cb, picker);
}

/* ---- adding a file (dropped on the window) ------------------------------------------------ */

typedef struct
{
  GtkWindow *window;   /* owned */
  HeronChat *chat;     /* owned */
  char      *path;
} Adding;

static void
adding_free (Adding *adding)
{
  g_clear_object (&adding->window);
  g_clear_object (&adding->chat);
  g_free (adding->path);
  g_free (adding);
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Adding *adding = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = heron_models_add_finish (result, &error);

  if (path == NULL)
    {
      GtkWidget *dialog = adw_message_dialog_new (adding->window, _("Cannot Add the Model"),
                                                  error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  else
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *text = g_strdup_printf (_("%s was added to the model library"), base);

      if (HERON_IS_WINDOW (adding->window))
        heron_window_add_toast (HERON_WINDOW (adding->window), adw_toast_new (text));
      heron_model_picker_load_local (adding->window, adding->chat, path, NULL);
    }
  adding_free (adding);
}

static void
add_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 Adding           *adding)
{
  g_autofree char *data_dir = g_build_filename (g_get_user_data_dir (), "heron", NULL);
  gboolean copy = g_strcmp0 (response, "copy") == 0;

  if (!copy && g_strcmp0 (response, "add") != 0)
    {
      adding_free (adding);
      return;
    }
  if (copy && HERON_IS_WINDOW (adding->window))
    {
      g_autofree char *base = g_path_get_basename (adding->path);
      g_autofree char *text = g_strdup_printf (_("Copying %s into Heron's models folder…"),
                                               base);

      heron_window_add_toast (HERON_WINDOW (adding->window), adw_toast_new (text));
    }
  /* The file is checked (and copied) off the main thread. */
  heron_models_add_async (data_dir, adding->path, copy, NULL, added_cb, adding);
}

void
heron_model_picker_add_file (GtkWindow  *window,
                             HeronChat  *chat,
                             const char *path)
{
  Adding *adding;
  GtkWidget *dialog;
  g_autofree char *base = NULL;
  g_autofree char *body = NULL;

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (HERON_IS_CHAT (chat));
  g_return_if_fail (path != NULL);

  base = g_path_get_basename (path);
  body = g_strdup_printf (_("“%s” is added to the model library and loaded. Heron can use "
                            "the file where it is, or keep its own copy in its models folder "
                            "(the copy takes as much disk space again)."), base);
  adding = g_new0 (Adding, 1);
  adding->window = g_object_ref (window);
  adding->chat = g_object_ref (chat);
  adding->path = g_strdup (path);
  dialog = adw_message_dialog_new (window, _("Add a Model"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "copy", _("C_opy into Heron's Models Folder"),
                                    "add", _("_Use Where It Is"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (add_response_cb), adding);
  gtk_window_present (GTK_WINDOW (dialog));
}

GtkWidget *
heron_model_picker_new (GtkWindow *window,
                        HeronChat *chat,
                        GSettings *settings)
{
  Picker *picker = g_new0 (Picker, 1);
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();

  picker->window = window;
  picker->chat = chat;
  picker->settings = settings;
  picker->cancellable = g_cancellable_new ();
  picker->popover = GTK_POPOVER (gtk_popover_new ());
  picker->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (picker->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (picker->list), "boxed-list");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 420);
  gtk_widget_set_size_request (scroller, 340, -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (picker->list));
  gtk_popover_set_child (picker->popover, scroller);
  g_signal_connect (picker->list, "row-activated", G_CALLBACK (row_activated_cb), picker);
  g_signal_connect_swapped (picker->popover, "show", G_CALLBACK (popover_show_cb), picker);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "system-run-symbolic");
  gtk_widget_set_tooltip_text (button, _("Choose the Model"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), GTK_WIDGET (picker->popover));
  g_object_set_data_full (G_OBJECT (button), "heron-picker", picker,
                          (GDestroyNotify)picker_free);
  return button;
}
