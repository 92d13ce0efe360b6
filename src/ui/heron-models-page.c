/* heron-models-page.c: Preferences → Models.
 *
 * The library is scanned off the main thread (heron_models_scan_async): reading GGUF headers
 * of models in other tools' folders can take a while on a cold disk. Downloads run in the
 * background and keep running while the page is open; closing Preferences pauses them (the
 * part file stays, the next download resumes it). Each library row has one way out that
 * fits where the file lives: a file added by reference is removed from the library (the file
 * stays), a file in Heron's own folder is deleted after a confirmation, and a file another
 * program keeps (Ollama, LM Studio, ...) is only hidden: Heron never deletes those.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-models-page"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "heron-download.h"
#include "heron-models-page.h"
#include "heron-models.h"
#include "heron-openai-backend.h"
#include "web/heron-web-secrets.h"

struct _HeronModelsPage
{
  AdwPreferencesPage    parent_instance;

  /* Borrowed References (children) */
  AdwPreferencesGroup  *library_group;
  GtkWidget            *library_status;
  AdwComboRow          *preset_row;
  AdwEntryRow          *url_row;
  AdwPasswordEntryRow  *key_row;

  /* Owned References */
  GSettings            *settings;
  GCancellable         *cancellable;
  GPtrArray            *library_rows;   /* GtkWidget rows currently in library_group */
  GPtrArray            *downloads;      /* DownloadRow */
};

typedef struct
{
  HeronModelsPage          *page;        /* borrowed */
  const HeronCatalogEntry  *entry;
  HeronDownload            *download;
  GCancellable             *cancellable; /* of the running download, NULL when stopped */
  AdwActionRow             *row;
  GtkProgressBar           *progress;
  GtkLabel                 *label;
  GtkButton                *start_button;
  GtkButton                *cancel_button;
  gboolean                  dead;        /* page gone, freed when the run returns */
} DownloadRow;

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HeronModelsPage, heron_models_page, ADW_TYPE_PREFERENCES_PAGE)

static char *
models_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "heron", NULL);
}

char *
heron_models_describe (const char *architecture,
                       guint64     n_params,
                       const char *quantization,
                       guint64     file_size,
                       gint64      context_length)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *size = g_format_size (file_size);

  if (architecture != NULL)
    g_ptr_array_add (parts, g_strdup (architecture));
  if (n_params >= 1000000000)
    /* TRANSLATORS: a model's parameter count in billions, e.g. "1.5B parameters" */
    g_ptr_array_add (parts, g_strdup_printf (_("%.1fB parameters"), n_params / 1e9));
  else if (n_params >= 1000000)
    /* TRANSLATORS: a model's parameter count in millions, e.g. "494M parameters" */
    g_ptr_array_add (parts, g_strdup_printf (_("%.0fM parameters"), n_params / 1e6));
  else if (n_params > 0)
    /* TRANSLATORS: a model's parameter count in thousands (test models), "98K parameters" */
    g_ptr_array_add (parts, g_strdup_printf (_("%.0fK parameters"), n_params / 1e3));
  if (quantization != NULL)
    g_ptr_array_add (parts, g_strdup (quantization));
  g_ptr_array_add (parts, g_steal_pointer (&size));
  if (context_length > 0)
    /* TRANSLATORS: the longest conversation a model takes, in tokens */
    g_ptr_array_add (parts, g_strdup_printf (_("%d tokens of context"),
                                             (int)MIN (context_length, G_MAXINT)));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **)parts->pdata);
}

/* ------------------------------------------------------------------------------------------
 * Library
 */

static void heron_models_page_rescan (HeronModelsPage *self);

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HeronModelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!heron_models_remove_path_finish (result, &error))
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (ADW_IS_PREFERENCES_WINDOW (root))
        adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root),
                                          adw_toast_new (error->message));
      return;
    }
  heron_models_page_rescan (self);
}

static void
remove_entry (HeronModelsPage *self,
              GtkWidget       *button)
{
  g_autofree char *data_dir = models_data_dir ();
  const char *path = g_object_get_data (G_OBJECT (button), "path");
  HeronModelSource source = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "source"));

  heron_models_remove_path_async (data_dir, path, source, self->cancellable, removed_cb,
                                  g_object_ref (self));
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    GtkWidget        *button)
{
  HeronModelsPage *self = HERON_MODELS_PAGE (gtk_widget_get_ancestor (button,
                                                                      HERON_TYPE_MODELS_PAGE));

  if (g_strcmp0 (response, "delete") == 0 && self != NULL)
    remove_entry (self, button);
  g_object_unref (button);
}

static void
remove_clicked_cb (GtkWidget       *button,
                   HeronModelsPage *self)
{
  HeronModelSource source = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "source"));
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  if (source != HERON_MODEL_SOURCE_HERON)
    {
      remove_entry (self, button);
      return;
    }
  body = g_strdup_printf (_("%s will be deleted from this computer. Download or add it again "
                            "to use it later."),
                          (const char *) g_object_get_data (G_OBJECT (button), "path"));
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Delete the Model File?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (delete_response_cb),
                    g_object_ref (button));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Heron's own files are deleted, references forgotten, other programs' files hidden. */
static void
library_row_add_remove (HeronModelsPage       *self,
                        GtkWidget             *row,
                        const HeronModelEntry *entry)
{
  GtkWidget *button;

  if (entry->source == HERON_MODEL_SOURCE_HERON)
    {
      button = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_widget_set_tooltip_text (button, _("Delete File"));
    }
  else if (entry->source == HERON_MODEL_SOURCE_ADDED)
    {
      button = gtk_button_new_from_icon_name ("list-remove-symbolic");
      gtk_widget_set_tooltip_text (button, _("Remove from Library"));
    }
  else
    {
      button = gtk_button_new_from_icon_name ("view-conceal-symbolic");
      gtk_widget_set_tooltip_text (button, _("Hide (the file stays with the program that "
                                             "keeps it)"));
    }
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "path", g_strdup (entry->path), g_free);
  g_object_set_data (G_OBJECT (button), "source", GINT_TO_POINTER (entry->source));
  g_signal_connect (button, "clicked", G_CALLBACK (remove_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
}

static GtkWidget *
library_row_new (HeronModelsPage       *self,
                 const HeronModelEntry *entry)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entry->name);
  if (entry->error != NULL)
    subtitle = g_strdup (entry->error);
  else
    subtitle = heron_models_describe (entry->architecture, entry->n_params,
                                      entry->quantization, entry->file_size,
                                      entry->context_length);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, entry->path);

  if (entry->error == NULL && !entry->supported)
    {
      GtkWidget *label = gtk_label_new (_("Not supported"));

      gtk_widget_add_css_class (label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  else if (entry->error == NULL && !entry->fits)
    {
      GtkWidget *label = gtk_label_new (_("Too large for this computer"));

      gtk_widget_add_css_class (label, "warning");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  library_row_add_remove (self, row, entry);
  return row;
}

static void
library_clear (HeronModelsPage *self)
{
  for (guint i = 0; i < self->library_rows->len; i++)
    adw_preferences_group_remove (self->library_group, g_ptr_array_index (self->library_rows, i));
  g_ptr_array_set_size (self->library_rows, 0);
}

static void
library_show_status (HeronModelsPage *self,
                     const char      *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  adw_preferences_group_add (self->library_group, row);
  g_ptr_array_add (self->library_rows, row);
}

static void
scan_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HeronModelsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = heron_models_scan_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  library_clear (self);
  if (entries == NULL)
    {
      library_show_status (self, error->message);
      return;
    }
  if (entries->len == 0)
    library_show_status (self, _("No models yet: add a model file or download one below."));
  for (guint i = 0; i < entries->len; i++)
    {
      GtkWidget *row = library_row_new (self, g_ptr_array_index (entries, i));

      adw_preferences_group_add (self->library_group, row);
      g_ptr_array_add (self->library_rows, row);
    }
}

static void
heron_models_page_rescan (HeronModelsPage *self)
{
  g_autofree char *data_dir = models_data_dir ();

  library_clear (self);
  library_show_status (self, _("Looking for models…"));
  heron_models_scan_async (data_dir, g_get_home_dir (), self->cancellable, scan_cb,
                           g_object_ref (self));
}

typedef struct
{
  HeronModelsPage *self;
  char            *path;
} AddData;

static void
add_data_free (AddData *data)
{
  g_object_unref (data->self);
  g_free (data->path);
  g_free (data);
}

static void
add_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  const char *path = task_data;
  g_autofree char *data_dir = models_data_dir ();
  gboolean copy = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "copy"));
  g_autoptr(GError) error = NULL;
  char *name = heron_models_add (data_dir, path, copy, &error);

  if (name == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, name, g_free);
}

static void
add_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  HeronModelsPage *self = HERON_MODELS_PAGE (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_task_propagate_pointer (G_TASK (result), &error);

  if (name == NULL)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (root),
                                                  _("Cannot Add the Model"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  heron_models_page_rescan (self);
}

static void
add_choice_cb (AdwMessageDialog *dialog,
               const char       *response,
               AddData          *data)
{
  g_autoptr(GTask) task = NULL;

  if (g_strcmp0 (response, "reference") == 0 || g_strcmp0 (response, "copy") == 0)
    {
      task = g_task_new (data->self, data->self->cancellable, add_done_cb, NULL);
      g_object_set_data (G_OBJECT (task), "copy",
                         GINT_TO_POINTER (g_strcmp0 (response, "copy") == 0));
      g_task_set_task_data (task, g_strdup (data->path), g_free);
      g_task_run_in_thread (task, add_thread);
    }
  add_data_free (data);
}

static void
file_chooser_response_cb (GtkNativeDialog *chooser,
                          int              response,
                          HeronModelsPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      GtkWidget *dialog;
      AddData *data;

      if (path != NULL)
        {
          dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                           _("Copy the Model Into Heron’s Folder?"),
                                           _("Heron can use the file where it is, or keep its own "
                                             "copy, which still works if the original is moved "
                                             "or deleted but takes as much disk space again."));
          adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                            "cancel", _("_Cancel"),
                                            "copy", _("C_opy"),
                                            "reference", _("_Use Where It Is"),
                                            NULL);
          adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "reference");
          adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reference",
                                                      ADW_RESPONSE_SUGGESTED);
          data = g_new0 (AddData, 1);
          data->self = g_object_ref (self);
          data->path = g_steal_pointer (&path);
          g_signal_connect (dialog, "response", G_CALLBACK (add_choice_cb), data);
          gtk_window_present (GTK_WINDOW (dialog));
        }
    }
  g_object_unref (chooser);
}

static void
add_clicked_cb (HeronModelsPage *self)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Add a Model File"),
                                         GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("GGUF models"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_filter_add_pattern (filter, "*.GGUF");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (file_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ------------------------------------------------------------------------------------------
 * Downloads
 */

static void
download_row_free (DownloadRow *row)
{
  if (row->download != NULL)
    g_signal_handlers_disconnect_by_data (row->download, row);
  /* A running download holds the row until its callback: pause it and let that free it. */
  if (row->cancellable != NULL)
    {
      row->dead = TRUE;
      g_cancellable_cancel (row->cancellable);
      return;
    }
  g_clear_object (&row->download);
  g_free (row);
}

static void
download_row_update (DownloadRow *row)
{
  guint64 received = heron_download_get_received (row->download);
  guint64 total = heron_download_get_total (row->download);
  double speed = heron_download_get_speed (row->download);
  double eta = heron_download_get_eta (row->download);
  g_autofree char *got = g_format_size (received);
  g_autofree char *all = g_format_size (total);
  g_autofree char *rate = g_format_size ((guint64)MAX (speed, 0));
  g_autofree char *text = NULL;

  if (total > 0)
    gtk_progress_bar_set_fraction (row->progress, (double)received / total);
  else
    gtk_progress_bar_pulse (row->progress);
  if (eta >= 0)
    /* TRANSLATORS: download progress: "120 MB of 400 MB, 5.1 MB/s, 55 s left" */
    text = g_strdup_printf (_("%s of %s, %s/s, %.0f s left"), got, all, rate, eta);
  else if (total > 0)
    text = g_strdup_printf (_("%s of %s"), got, all);
  else
    text = g_strdup (got);
  gtk_label_set_text (row->label, text);
}

static void
download_row_set_running (DownloadRow *row,
                          gboolean     running)
{
  gtk_widget_set_visible (GTK_WIDGET (row->progress), running || row->download != NULL);
  gtk_widget_set_visible (GTK_WIDGET (row->cancel_button), row->download != NULL);
  if (running)
    {
      gtk_button_set_icon_name (row->start_button, "media-playback-pause-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row->start_button), _("Pause"));
    }
  else if (row->download != NULL)
    {
      gtk_button_set_icon_name (row->start_button, "media-playback-start-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row->start_button), _("Resume"));
    }
  else
    {
      gtk_button_set_icon_name (row->start_button, "folder-download-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row->start_button), _("Download"));
    }
}

static void
download_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HeronDownload *download = HERON_DOWNLOAD (object);
  g_autoptr(GError) error = NULL;
  DownloadRow *row = user_data;
  gboolean ok = heron_download_run_finish (download, result, &error);

  g_clear_object (&row->cancellable);
  if (row->dead)
    {
      download_row_free (row);
      return;
    }
  /* Cancelled with the cancel button: the row already went back to its idle state. */
  if (row->download != download)
    return;
  if (ok)
    {
      gtk_label_set_text (row->label, _("Downloaded"));
      g_clear_object (&row->download);
      download_row_set_running (row, FALSE);
      heron_models_page_rescan (row->page);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_label_set_text (row->label, _("Paused"));
      download_row_set_running (row, FALSE);
      return;
    }
  /* The row's subtitle wraps; the label under the bar is one short line. */
  adw_action_row_set_subtitle (row->row, error->message);
  gtk_label_set_text (row->label, _("Failed"));
  if (heron_download_get_received (download) == 0)
    gtk_progress_bar_set_fraction (row->progress, 0);
  download_row_set_running (row, FALSE);
}

static void
download_progress_cb (HeronDownload *download,
                      DownloadRow   *row)
{
  download_row_update (row);
}

static void
download_start_clicked_cb (GtkButton   *button,
                           DownloadRow *row)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *models_dir = NULL;

  if (row->cancellable != NULL)
    {
      g_cancellable_cancel (row->cancellable);
      return;
    }
  if (row->download == NULL)
    {
      data_dir = models_data_dir ();
      models_dir = g_build_filename (data_dir, "models", NULL);
      g_mkdir_with_parents (models_dir, 0700);
      row->download = heron_download_new_for_entry (row->entry, models_dir,
                                                    g_getenv ("HERON_DOWNLOAD_BASE_URL"));
      g_signal_connect (row->download, "progress", G_CALLBACK (download_progress_cb), row);
    }
  row->cancellable = g_cancellable_new ();
  {
    g_autofree char *size = g_format_size (row->entry->size ? row->entry->size
                                                            : row->entry->approx_size);

    adw_action_row_set_subtitle (row->row, size);
  }
  gtk_label_set_text (row->label, _("Starting…"));
  download_row_set_running (row, TRUE);
  heron_download_run_async (row->download, row->cancellable, download_done_cb, row);
}

static void
download_cancel_clicked_cb (GtkButton   *button,
                            DownloadRow *row)
{
  g_autofree char *part = NULL;
  g_autofree char *sidecar = NULL;

  if (row->download == NULL)
    return;
  if (row->cancellable != NULL)
    g_cancellable_cancel (row->cancellable);
  g_clear_object (&row->cancellable);
  part = g_strconcat (heron_download_get_dest (row->download), ".part", NULL);
  sidecar = g_strconcat (part, ".json", NULL);
  /* Cancelling forgets what was downloaded; pausing keeps it. */
  g_unlink (part);
  g_unlink (sidecar);
  g_signal_handlers_disconnect_by_data (row->download, row);
  g_clear_object (&row->download);
  gtk_progress_bar_set_fraction (row->progress, 0);
  gtk_label_set_text (row->label, "");
  download_row_set_running (row, FALSE);
}

static void
catalog_add_row (HeronModelsPage         *self,
                 AdwPreferencesGroup     *group,
                 const HeronCatalogEntry *entry)
{
  DownloadRow *row = g_new0 (DownloadRow, 1);
  GtkWidget *action_row = adw_action_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  g_autofree char *size = g_format_size (entry->size ? entry->size : entry->approx_size);

  row->page = self;
  row->entry = entry;
  row->row = ADW_ACTION_ROW (action_row);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (action_row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (action_row), entry->title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (action_row), size);

  row->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  row->label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_wrap (row->label, TRUE);
  gtk_label_set_xalign (row->label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (row->label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (row->label), "dim-label");
  gtk_widget_set_size_request (box, 160, -1);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->progress));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->label));
  adw_action_row_add_suffix (ADW_ACTION_ROW (action_row), box);

  row->start_button = GTK_BUTTON (gtk_button_new ());
  row->cancel_button = GTK_BUTTON (gtk_button_new_from_icon_name ("process-stop-symbolic"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->cancel_button), _("Cancel Download"));
  for (GtkWidget *b = GTK_WIDGET (row->start_button); b != NULL;
       b = b == GTK_WIDGET (row->start_button) ? GTK_WIDGET (row->cancel_button) : NULL)
    {
      gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (b, "flat");
      adw_action_row_add_suffix (ADW_ACTION_ROW (action_row), b);
    }
  g_signal_connect (row->start_button, "clicked", G_CALLBACK (download_start_clicked_cb), row);
  g_signal_connect (row->cancel_button, "clicked", G_CALLBACK (download_cancel_clicked_cb), row);

  /* A download paused earlier (or cut short when Heron quit) continues where it stopped. */
  {
    g_autofree char *data_dir = models_data_dir ();
    g_autofree char *sidecar = g_strdup_printf ("%s%smodels%s%s.part.json", data_dir,
                                                G_DIR_SEPARATOR_S, G_DIR_SEPARATOR_S,
                                                entry->file);
    g_autofree char *part = g_strndup (sidecar, strlen (sidecar) - strlen (".json"));
    GStatBuf st;

    if (g_file_test (sidecar, G_FILE_TEST_EXISTS))
      row->download = heron_download_new_from_sidecar (sidecar, NULL);
    if (row->download != NULL)
      {
        guint64 total = entry->size ? entry->size : entry->approx_size;
        g_autofree char *got = NULL;
        g_autofree char *all = g_format_size (total);
        g_autofree char *text = NULL;

        g_signal_connect (row->download, "progress", G_CALLBACK (download_progress_cb), row);
        if (g_stat (part, &st) == 0 && total > 0)
          {
            got = g_format_size (st.st_size);
            gtk_progress_bar_set_fraction (row->progress, MIN (1.0, (double)st.st_size / total));
            /* TRANSLATORS: a paused download: "120 MB of 400 MB, paused" */
            text = g_strdup_printf (_("%s of %s, paused"), got, all);
            gtk_label_set_text (row->label, text);
          }
        else
          gtk_label_set_text (row->label, _("Paused"));
      }
  }
  download_row_set_running (row, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (row->label), TRUE);
  adw_preferences_group_add (group, action_row);
  g_ptr_array_add (self->downloads, row);
}

/* ------------------------------------------------------------------------------------------
 * Remote server
 */

static const HeronOpenaiPreset *
selected_preset (HeronModelsPage *self)
{
  guint i = adw_combo_row_get_selected (self->preset_row);
  const HeronOpenaiPreset *presets = heron_openai_presets ();

  for (guint n = 0; presets[n].id != NULL; n++)
    if (n == i)
      return &presets[n];
  return NULL;
}

static void
preset_changed_cb (HeronModelsPage *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);

  if (preset == NULL)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->url_row), preset->base_url == NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HeronModelsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!heron_web_secrets_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        adw_preferences_window_add_toast (
          ADW_PREFERENCES_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
          adw_toast_new (_("Could not save the key in the keyring")));
      return;
    }
  adw_preferences_window_add_toast (
    ADW_PREFERENCES_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
    adw_toast_new (_("Key saved in the keyring")));
}

static void
key_apply_cb (HeronModelsPage *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);
  g_autofree char *service = NULL;

  if (preset == NULL)
    return;
  service = heron_openai_secret_service (preset->id);
  heron_web_secrets_store_async (service, gtk_editable_get_text (GTK_EDITABLE (self->key_row)),
                                 self->cancellable, store_key_cb, g_object_ref (self));
}

/* ------------------------------------------------------------------------------------------ */

static void
heron_models_page_constructed (GObject *object)
{
  HeronModelsPage *self = (HeronModelsPage *)object;
  const HeronOpenaiPreset *presets = heron_openai_presets ();
  const HeronCatalogEntry *catalog = heron_download_catalog ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  AdwPreferencesGroup *group;
  GtkWidget *button, *row, *sw;

  G_OBJECT_CLASS (heron_models_page_parent_class)->constructed (object);

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Models"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "system-run-symbolic");

  /* Library */
  self->library_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->library_group, _("Library"));
  adw_preferences_group_set_description (self->library_group,
                                         _("Models in Heron’s folder, files you added, and models "
                                           "other apps keep on this computer."));
  button = gtk_button_new_with_mnemonic (_("_Add a Model File…"));
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (add_clicked_cb), self);
  adw_preferences_group_set_header_suffix (self->library_group, button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->library_group);

  /* Download catalog */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Download a Model"));
  adw_preferences_group_set_description (group,
                                         _("Small models that run well without a graphics card. "
                                           "Downloads can be paused and resumed later."));
  for (guint i = 0; catalog[i].name != NULL; i++)
    catalog_add_row (self, group, &catalog[i]);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  /* Remote server */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Remote Server"));
  adw_preferences_group_set_description (group,
                                         _("Servers that speak the OpenAI chat protocol. Keys are "
                                           "kept in the keyring."));
  for (guint i = 0; presets[i].id != NULL; i++)
    gtk_string_list_append (names, _(presets[i].name));
  self->preset_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preset_row), _("Server"));
  adw_combo_row_set_model (self->preset_row, G_LIST_MODEL (names));
  g_signal_connect_swapped (self->preset_row, "notify::selected",
                            G_CALLBACK (preset_changed_cb), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->preset_row));

  self->url_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row), _("Server Address"));
  g_settings_bind (self->settings, "custom-server-url", self->url_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  adw_preferences_group_add (group, GTK_WIDGET (self->url_row));

  self->key_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row), _("API Key"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->key_row), TRUE);
  g_signal_connect_swapped (self->key_row, "apply", G_CALLBACK (key_apply_cb), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->key_row));

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Prefer Local Models"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Use the remote model only when the local one cannot answer"));
  sw = gtk_switch_new ();
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  g_settings_bind (self->settings, "prefer-local", sw, "active", G_SETTINGS_BIND_DEFAULT);
  adw_preferences_group_add (group, row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);

  /* Show the server of the remote model chosen last ("remote:ID/MODEL"). */
  {
    g_autofree char *remote = g_settings_get_string (self->settings, "remote-model");

    for (guint i = 0; presets[i].id != NULL; i++)
      {
        g_autofree char *prefix = g_strdup_printf ("remote:%s/", presets[i].id);

        if (g_str_has_prefix (remote, prefix))
          adw_combo_row_set_selected (self->preset_row, i);
      }
  }
  preset_changed_cb (self);
  heron_models_page_rescan (self);
}

static void
heron_models_page_dispose (GObject *object)
{
  HeronModelsPage *self = (HeronModelsPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->downloads, g_ptr_array_unref);
  g_clear_pointer (&self->library_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (heron_models_page_parent_class)->dispose (object);
}

static void
heron_models_page_finalize (GObject *object)
{
  HeronModelsPage *self = (HeronModelsPage *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (heron_models_page_parent_class)->finalize (object);
}

static void
heron_models_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  HeronModelsPage *self = HERON_MODELS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_models_page_class_init (HeronModelsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = heron_models_page_constructed;
  object_class->dispose = heron_models_page_dispose;
  object_class->finalize = heron_models_page_finalize;
  object_class->set_property = heron_models_page_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
heron_models_page_init (HeronModelsPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->library_rows = g_ptr_array_new ();
  self->downloads = g_ptr_array_new_with_free_func ((GDestroyNotify)download_row_free);
}

GtkWidget *
heron_models_page_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (HERON_TYPE_MODELS_PAGE, "settings", settings, NULL);
}
