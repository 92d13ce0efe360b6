/* test-models-ui.c: Preferences → Models lists a model found on disk, "Connect to a Server…"
 * lists the models of a mock OpenAI-compatible server on 127.0.0.1 and makes the chosen one
 * the window's model, and the header-bar picker offers both. Loading from the picker shows
 * the load's real fraction and can be cancelled half way; a .gguf dropped on the window is
 * added (by reference or as a copy) and loaded, other files are declined; each conversation
 * remembers its model and opening it switches back; "prefer local" sends a prompt too long
 * for the local model to the server and says so under the answer; the Models page removes
 * a reference, deletes Heron's own file after confirmation and only hides other programs'.
 *
 * Screenshots go to <builddir>/tests/ui/screenshots/LANGUAGE-*.png; run it with
 * LANGUAGE=zh_CN to check the Chinese layout (the models-ui-zh_CN test does).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <libsoup/soup.h>

#include "ui-test-util.h"
#include "heron-application.h"
#include "heron-build-tree.h"
#include "heron-chat.h"
#include "heron-connect-dialog.h"
#include "heron-conversations.h"
#include "heron-download.h"
#include "heron-local-backend.h"
#include "heron-model-picker.h"
#include "heron-models.h"
#include "heron-openai-backend.h"
#include "heron-preferences.h"
#include "heron-screenshot.h"
#include "heron-window.h"

static char *tmp_dir;
static HeronWindow *window;
static SoupServer *server;
static char *server_url;     /* http://127.0.0.1:PORT/ */
static char *tiny_path;      /* Heron's folder, n_ctx 512 */
static char *drop_path;      /* elsewhere/dropped.gguf, n_ctx 4096 */
static char *copy_src;       /* elsewhere/copied.gguf, n_ctx 4096 */
static char *copy_dest;      /* Heron's folder/copied.gguf */
static char *lmstudio_path;  /* a model LM Studio keeps */

static void
screenshot (GtkWidget *widget, const char *name)
{
  const char *dir = HERON_TEST_SCREENSHOT_DIR;
  const char *lang = g_getenv ("LANGUAGE");
  g_autofree char *file = g_strdup_printf ("%s-%s", lang ? lang : "C", name);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, file, NULL);
  ui_test_settle ();
  if (!heron_screenshot_save (widget, path, &error))
    g_test_message ("screenshot %s: %s", path, error->message);
}

static gboolean
is_row_titled (GtkWidget *w, gconstpointer title)
{
  return ADW_IS_PREFERENCES_ROW (w) && gtk_widget_get_mapped (w) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (w)), title) == 0;
}

static gboolean
is_button_labelled (GtkWidget *w, gconstpointer label)
{
  return GTK_IS_BUTTON (w) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (w)), label) == 0;
}

static gboolean
is_type (GtkWidget *w, gconstpointer type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (w, GPOINTER_TO_SIZE (type)) &&
         (!ADW_IS_ENTRY_ROW (w) || !ADW_IS_PASSWORD_ENTRY_ROW (w) ||
          GPOINTER_TO_SIZE (type) == ADW_TYPE_PASSWORD_ENTRY_ROW);
}

static GtkWidget *
find_type (GtkWidget *root, GType type)
{
  return ui_test_find (root, is_type, GSIZE_TO_POINTER (type));
}

/* The list of models, not the list inside the group of settings rows. */
static gboolean
is_model_list (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_LIST_BOX (w) && gtk_widget_get_ancestor (w, ADW_TYPE_PREFERENCES_GROUP) == NULL;
}

/* The dialog's only wrapping, selectable label. */
static gboolean
is_status_label (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_LABEL (w) && gtk_label_get_selectable (GTK_LABEL (w)) &&
         gtk_label_get_wrap (GTK_LABEL (w));
}

static gboolean
is_tooltip (GtkWidget *w, gconstpointer text)
{
  return GTK_IS_BUTTON (w) && g_strcmp0 (gtk_widget_get_tooltip_text (w), text) == 0;
}

static gboolean
is_widget_tooltip (GtkWidget *w, gconstpointer text)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (w), text) == 0;
}

static gboolean
tiny_in_use (gpointer popover)
{
  GtkWidget *row = ui_test_find (popover, is_row_titled, "tiny-test");

  return row != NULL && ui_test_find (row, is_widget_tooltip, _("In use")) != NULL;
}

static gboolean
is_picker (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_MENU_BUTTON (w) &&
         g_strcmp0 (gtk_widget_get_tooltip_text (w), _("Choose the Model")) == 0;
}

static gboolean
is_label_text (GtkWidget *w, gconstpointer text)
{
  return GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), text) == 0;
}

typedef struct { GtkWidget *root; const char *title; } RowQuery;

static gboolean
row_present (gpointer data)
{
  RowQuery *q = data;

  return ui_test_find (q->root, is_row_titled, q->title) != NULL;
}

/* ---- mock server ------------------------------------------------------------------------ */

static void
server_cb (SoupServer        *srv,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  /* Unsorted on purpose: the dialog shows them sorted. */
  static const char models[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"mock-zeta\",\"object\":\"model\"},"
    "{\"id\":\"mock-alpha\",\"object\":\"model\"}]}";

  if (g_strcmp0 (path, "/v1/chat/completions") == 0)
    {
      static const char sse[] =
        "data: {\"choices\":[{\"delta\":{\"content\":\"from remote\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":5000,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/event-stream", SOUP_MEMORY_STATIC, sse,
                                        strlen (sse));
    }
  else if (g_strcmp0 (path, "/v1/models") == 0)
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        models, strlen (models));
    }
  else if (g_strcmp0 (path, "/locked/v1/models") == 0)
    {
      soup_server_message_set_status (msg, 401, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"error\":{\"message\":\"bad key\"}}", 31);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void
test_library (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HeronPreferences *prefs = heron_preferences_new (settings);
  RowQuery q = { GTK_WIDGET (prefs), "tiny-test" };
  GtkWidget *row;
  const char *subtitle;
  g_autofree char *context = NULL;
  GtkWidget *page;

  gtk_window_set_default_size (GTK_WINDOW (prefs), 720, 900);
  gtk_window_present (GTK_WINDOW (prefs));
  page = find_type (GTK_WIDGET (prefs), g_type_from_name ("HeronModelsPage"));
  g_assert_nonnull (page);
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (prefs),
                                           ADW_PREFERENCES_PAGE (page));
  ui_test_wait_until (row_present, &q);
  row = ui_test_find (GTK_WIDGET (prefs), is_row_titled, "tiny-test");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_test_message ("library row: %s", subtitle);
  /* The generated model: llama architecture, the context length it was made with. */
  g_assert_nonnull (strstr (subtitle, "llama"));
  context = g_strdup_printf (_("%d tokens of context"), 512);
  g_assert_nonnull (strstr (subtitle, context));
  /* It is tiny: no warning about memory. */
  g_assert_null (ui_test_find (row, is_label_text, _("Too large for this computer")));
  /* The download catalog has a row per entry. */
  q.title = heron_download_catalog ()[0].title;
  g_assert_true (row_present (&q));
  screenshot (GTK_WIDGET (prefs), "models-page.png");
  gtk_window_destroy (GTK_WINDOW (prefs));
}

static gboolean
progress_in_row (GtkWidget *w, gconstpointer data)
{
  return GTK_IS_PROGRESS_BAR (w);
}

static gboolean
run_stopped (gpointer data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (data), _("Pause")) != 0;
}

/* A part file left by an earlier run shows as paused with its progress; Cancel deletes it;
 * a download the server refuses says why in the row. */
static void
test_downloads (void)
{
  const HeronCatalogEntry *entry = &heron_download_catalog ()[0];
  g_autofree char *dest = g_build_filename (tmp_dir, "heron", "models", entry->file, NULL);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  g_autofree char *sidecar = g_strconcat (part, ".json", NULL);
  g_autofree char *json = g_strdup_printf ("{\"url\": \"%s\", \"size\": %" G_GUINT64_FORMAT
                                           ", \"sha256\": \"%s\"}", entry->url, entry->size,
                                           entry->sha256 ? entry->sha256 : "");
  g_autofree char *got = g_format_size (50000000);
  g_autofree char *all = g_format_size (entry->size ? entry->size : entry->approx_size);
  g_autofree char *expected = g_strdup_printf (_("%s of %s, paused"), got, all);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HeronPreferences *prefs;
  GtkWidget *row, *label, *cancel, *start;
  GtkProgressBar *bar;
  int fd;

  fd = g_open (part, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 50000000), ==, 0);
  close (fd);
  g_assert_true (g_file_set_contents (sidecar, json, -1, NULL));

  prefs = heron_preferences_new (settings);
  gtk_window_present (GTK_WINDOW (prefs));
  adw_preferences_window_set_visible_page (
    ADW_PREFERENCES_WINDOW (prefs),
    ADW_PREFERENCES_PAGE (find_type (GTK_WIDGET (prefs), g_type_from_name ("HeronModelsPage"))));
  ui_test_settle ();
  row = ui_test_find (GTK_WIDGET (prefs), is_row_titled, entry->title);
  g_assert_nonnull (row);
  label = ui_test_find (row, is_label_text, expected);
  g_assert_nonnull (label);
  bar = GTK_PROGRESS_BAR (ui_test_find (row, progress_in_row, NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar),
                                  50000000.0 / (entry->size ? entry->size : entry->approx_size),
                                  1e-9);
  screenshot (GTK_WIDGET (prefs), "models-paused.png");

  cancel = ui_test_find (row, is_tooltip, _("Cancel Download"));
  g_assert_nonnull (cancel);
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (sidecar, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_widget_get_visible (cancel));

  /* The mock server has no such file: the row says so and offers to try again. */
  start = ui_test_find (row, is_tooltip, _("Download"));
  g_assert_nonnull (start);
  g_signal_emit_by_name (start, "clicked");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (start), ==, _("Pause"));
  ui_test_wait_until (run_stopped, start);
  g_test_message ("refused download: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "404"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (start), ==, _("Resume"));
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  screenshot (GTK_WIDGET (prefs), "models-download-error.png");
  gtk_window_destroy (GTK_WINDOW (prefs));
}

static gboolean
list_has_rows (gpointer data)
{
  GtkListBox *list = data;

  return gtk_widget_get_visible (GTK_WIDGET (list)) &&
         gtk_list_box_get_row_at_index (list, 1) != NULL;
}

static gboolean
label_has_text (gpointer data)
{
  return gtk_widget_get_visible (data) && *gtk_label_get_text (GTK_LABEL (data)) != '\0' &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (data)), _("Asking the server for its models…"));
}

static guint
custom_index (void)
{
  const HeronOpenaiPreset *presets = heron_openai_presets ();

  for (guint i = 0; presets[i].id != NULL; i++)
    if (presets[i].base_url == NULL)
      return i;
  g_assert_not_reached ();
}

static void
test_connect (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *dialog;
  GtkWidget *url_row, *fetch, *status, *connect;
  GtkListBox *list;
  g_autofree char *locked = g_strconcat (server_url, "locked/v1", NULL);
  g_autofree char *good = g_strconcat (server_url, "v1", NULL);
  g_autofree char *remote = NULL;
  g_autofree char *saved_url = NULL;
  const char *first;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect-server", NULL);
  ui_test_settle ();
  dialog = NULL;
  {
    GListModel *toplevels = gtk_window_get_toplevels ();  /* not owned */

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

        if (HERON_IS_CONNECT_DIALOG (w))
          dialog = GTK_WIDGET (w);
      }
  }
  g_assert_nonnull (dialog);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_type (dialog, ADW_TYPE_COMBO_ROW)),
                              custom_index ());
  url_row = find_type (dialog, ADW_TYPE_ENTRY_ROW);
  g_assert_true (gtk_widget_get_visible (url_row));
  fetch = ui_test_find (dialog, is_button_labelled, _("_Show Models"));
  connect = ui_test_find (dialog, is_button_labelled, _("C_onnect"));
  list = GTK_LIST_BOX (ui_test_find (dialog, is_model_list, NULL));
  g_assert_nonnull (fetch);
  g_assert_nonnull (connect);

  /* A server that refuses: a message in words, nothing to connect to. */
  gtk_editable_set_text (GTK_EDITABLE (url_row), locked);
  gtk_widget_activate (fetch);
  status = ui_test_find (dialog, is_status_label, NULL);
  g_assert_nonnull (status);
  ui_test_wait_until (label_has_text, status);
  g_test_message ("refused: %s", gtk_label_get_text (GTK_LABEL (status)));
  /* The backend's message for a 401 (heron-openai-backend.c) names the key. */
  if (g_strcmp0 (g_getenv ("LANGUAGE"), "C") == 0)
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (status)), "key"));
  g_assert_false (gtk_widget_get_sensitive (connect));
  screenshot (dialog, "connect-refused.png");

  /* The real list, sorted. */
  gtk_editable_set_text (GTK_EDITABLE (url_row), good);
  gtk_widget_activate (fetch);
  ui_test_wait_until (list_has_rows, list);
  first = g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (
                                         gtk_list_box_get_row_at_index (list, 0))), "model");
  g_assert_cmpstr (first, ==, "mock-alpha");
  g_assert_true (gtk_widget_get_sensitive (connect));
  screenshot (dialog, "connect-models.png");
  gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, 1));
  gtk_widget_activate (connect);
  ui_test_settle ();

  remote = g_settings_get_string (settings, "remote-model");
  g_assert_cmpstr (remote, ==, "remote:custom/mock-zeta");
  saved_url = g_settings_get_string (settings, "custom-server-url");
  g_assert_cmpstr (saved_url, ==, good);
}

static void
test_picker (void)
{
  GtkWidget *button;
  GtkWidget *popover;
  RowQuery q;

  /* Other menu buttons come first: pick ours by its tooltip. */
  button = ui_test_find (GTK_WIDGET (window), is_picker, NULL);
  g_assert_nonnull (button);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  q.root = popover;
  q.title = "tiny-test";
  ui_test_wait_until (row_present, &q);
  q.title = "custom/mock-zeta";
  g_assert_true (row_present (&q));
  screenshot (popover, "model-picker.png");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
}

/* ---- loading, dropping, per-conversation model, prefer local, removal ------------------- */

static HeronChat *
chat (void)
{
  return heron_window_get_chat (window);
}

static const char *
backend_path (void)
{
  HeronBackend *b = heron_chat_get_backend (chat ());

  return HERON_IS_LOCAL_BACKEND (b) ? heron_local_backend_get_path (HERON_LOCAL_BACKEND (b))
                                    : NULL;
}

static gboolean
backend_is (gpointer path)
{
  return g_strcmp0 (backend_path (), path) == 0;
}

/* The newest AdwMessageDialog that is shown, or NULL. */
static GtkWidget *
message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWidget *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        found = GTK_WIDGET (w);
    }
  return found;
}

static gboolean
has_dialog (gpointer data)
{
  return message_dialog () != NULL;
}

static gboolean
no_dialog (gpointer data)
{
  return message_dialog () == NULL;
}

static gboolean
bar_reached (gpointer data)
{
  return gtk_progress_bar_get_fraction (data) >= 0.5;
}

/* Click the dialog's button LABEL, as a user does (the dialog then closes itself). */
static void
respond (GtkWidget *dialog, const char *label)
{
  GtkWidget *button = ui_test_find (dialog, is_button_labelled, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

static void
pick_row (const char *title)
{
  GtkWidget *button = ui_test_find (GTK_WIDGET (window), is_picker, NULL);
  GtkWidget *popover;
  GtkWidget *row;
  RowQuery q;

  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  q.root = popover;
  q.title = title;
  ui_test_wait_until (row_present, &q);
  row = ui_test_find (popover, is_row_titled, title);
  g_signal_emit_by_name (gtk_widget_get_parent (row), "row-activated", row);
}

/* The loading dialog holds at half way (HERON_TEST_LOAD_HOLD): its bar shows 0.5, not a
 * pulse; Cancel leaves the model in use as it was; the next try loads. */
static void
test_load_progress (void)
{
  HeronBackend *before = heron_chat_get_backend (chat ());
  GtkWidget *dialog;
  GtkProgressBar *bar;

  g_assert_false (backend_is (tiny_path));
  g_setenv ("HERON_TEST_LOAD_HOLD", "0.5", TRUE);
  pick_row ("tiny-test");
  g_unsetenv ("HERON_TEST_LOAD_HOLD");
  ui_test_wait_until (has_dialog, NULL);
  dialog = message_dialog ();
  bar = GTK_PROGRESS_BAR (find_type (dialog, GTK_TYPE_PROGRESS_BAR));
  g_assert_nonnull (bar);
  ui_test_wait_until (bar_reached, bar);
  /* The engine reports 0.1 + 0.8 * layers / 2 after the first of the tiny model's 2 layers. */
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), ==, 0.5);
  {
    g_autofree char *half = g_strdup_printf (_("%d %%"), 50);

    g_assert_cmpstr (gtk_progress_bar_get_text (bar), ==, half);
  }
  screenshot (dialog, "model-loading.png");
  respond (dialog, _("_Cancel"));
  ui_test_wait_until (no_dialog, NULL);
  ui_test_settle ();
  g_assert_true (heron_chat_get_backend (chat ()) == before);

  pick_row ("tiny-test");
  ui_test_wait_until (backend_is, tiny_path);
  ui_test_wait_until (no_dialog, NULL);
  g_assert_cmpfloat (heron_local_backend_get_load_progress (
                       HERON_LOCAL_BACKEND (heron_chat_get_backend (chat ()))), ==, 1.0);

  /* The picker marks the model in use. */
  {
    GtkWidget *button = ui_test_find (GTK_WIDGET (window), is_picker, NULL);
    GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
    RowQuery q = { popover, "tiny-test" };
    GtkWidget *row;

    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    /* Rows of the previous scan stay until this one is done. */
    ui_test_wait_until (tiny_in_use, popover);
    row = ui_test_find (popover, is_row_titled, "tiny-test");
    g_assert_nonnull (ui_test_find (row, is_widget_tooltip, _("In use")));
    g_assert_true (row_present (&q));
    q.title = "custom/mock-zeta";
    g_assert_null (ui_test_find (ui_test_find (popover, is_row_titled, q.title), is_widget_tooltip,
                         _("In use")));
    screenshot (popover, "model-picker-in-use.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  }
}

static gboolean
drop_files (const char *a, const char *b)
{
  GtkDropTarget *target = NULL;
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  g_autoptr(GSList) list = NULL;
  GValue value = G_VALUE_INIT;
  gboolean ret = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (c))
        target = GTK_DROP_TARGET (c);
    }
  g_assert_nonnull (target);
  list = g_slist_append (list, g_file_new_for_path (a));
  if (b != NULL)
    list = g_slist_append (list, g_file_new_for_path (b));
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &ret);
  g_value_unset (&value);
  g_slist_free_full (g_steal_pointer (&list), g_object_unref);
  return ret;
}

static void
test_drop (void)
{
  g_autofree char *text = g_build_filename (tmp_dir, "elsewhere", "notes.txt", NULL);
  g_autofree char *list_path = g_build_filename (tmp_dir, "heron", "models.json", NULL);
  g_autofree char *json = NULL;
  char *real = realpath (drop_path, NULL);
  GtkWidget *dialog;

  g_assert_true (g_file_set_contents (text, "not a model", -1, NULL));
  /* Not a model: declined, nothing to answer. */
  g_assert_false (drop_files (text, NULL));
  ui_test_settle ();
  g_assert_null (message_dialog ());

  /* A text file and a model: the model is taken. */
  g_assert_true (drop_files (text, drop_path));
  ui_test_wait_until (has_dialog, NULL);
  dialog = message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   _("Add a Model"));
  screenshot (dialog, "model-drop-dialog.png");
  respond (dialog, _("_Use Where It Is"));
  ui_test_wait_until (backend_is, real);
  ui_test_wait_until (no_dialog, NULL);
  g_assert_true (g_file_get_contents (list_path, &json, NULL, NULL));
  g_assert_nonnull (strstr (json, real));
  screenshot (GTK_WIDGET (window), "model-dropped.png");
  free (real);

  /* Copied into Heron's folder: the copy is what gets loaded. */
  g_assert_true (drop_files (copy_src, NULL));
  ui_test_wait_until (has_dialog, NULL);
  respond (message_dialog (), _("C_opy into Heron's Models Folder"));
  ui_test_wait_until (backend_is, copy_dest);
  ui_test_wait_until (no_dialog, NULL);
  g_assert_true (g_file_test (copy_dest, G_FILE_TEST_IS_REGULAR));
}

static gboolean
turn_done (gpointer data)
{
  HeronConversationModel *m = heron_chat_get_messages (chat ());
  guint n = m != NULL ? g_list_model_get_n_items (G_LIST_MODEL (m)) : 0;
  g_autoptr(HeronMessage) last = n > 0 ? g_list_model_get_item (G_LIST_MODEL (m), n - 1) : NULL;

  return !heron_chat_get_running (chat ()) && n == GPOINTER_TO_UINT (data) && last != NULL
         && heron_message_get_state (last) == HERON_MESSAGE_COMPLETE;
}

/* Ask TEXT; returns the answer's stats. N: messages after the answer. */
static HeronChatStats *
ask (const char *text, guint n, HeronMessage **answer)
{
  HeronConversationModel *m;
  g_autoptr(HeronMessage) last = NULL;

  g_signal_emit_by_name (heron_window_get_chat_view (window), "send-requested", text);
  ui_test_wait_until (turn_done, GUINT_TO_POINTER (n));
  m = heron_chat_get_messages (chat ());
  last = g_list_model_get_item (G_LIST_MODEL (m), n - 1);
  if (answer != NULL)
    *answer = g_object_ref (last);
  return heron_chat_stats_new_from_json (heron_message_get_stats_json (last));
}

static char *
conversation_model (gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_get_conversation_sync (
    heron_chat_get_store (chat ()), id, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (heron_conversation_get_model (c));
}

typedef struct { gint64 id; const char *spec; } ModelQuery;

static gboolean
model_recorded (gpointer data)
{
  ModelQuery *q = data;
  g_autofree char *model = conversation_model (q->id);

  return g_strcmp0 (model, q->spec) == 0;
}

static gint64
current_conversation (void)
{
  return heron_conversation_model_get_conversation_id (heron_chat_get_messages (chat ()));
}

static gboolean
conversation_open (gpointer data)
{
  return heron_chat_get_messages (chat ()) != NULL
         && current_conversation () == (gint64) GPOINTER_TO_SIZE (data)
         && !heron_chat_get_running (chat ());
}

/* A new conversation whose answers stop after a few tokens (the random test models rarely
 * end on their own), opened in the window. MODEL: the model it remembers, or NULL. */
static gint64
open_new_conversation (const char *model)
{
  HeronStore *store = heron_chat_get_store (chat ());
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronConversation) c = heron_store_create_conversation_sync (store, "test", NULL,
                                                                          model, NULL, &error);
  gint64 id;

  g_assert_no_error (error);
  id = heron_conversation_get_id (c);
  g_assert_true (heron_store_set_conversation_settings_sync (store, id, NULL, NULL,
                                                             "{\"max_tokens\": 6}", "off",
                                                             NULL, &error));
  g_assert_no_error (error);
  heron_chat_open_conversation (chat (), id, 0);
  ui_test_wait_until (conversation_open, GSIZE_TO_POINTER (id));
  return id;
}

static void
test_conversation_model (void)
{
  char *real_drop = realpath (drop_path, NULL);
  g_autofree char *spec_copy = g_strconcat ("local:", copy_dest, NULL);
  g_autofree char *spec_drop = g_strconcat ("local:", real_drop, NULL);
  g_autoptr(HeronChatStats) first = NULL, second = NULL, third = NULL;
  gint64 a, b;
  ModelQuery q;

  /* Conversation A starts with the copied model. */
  g_assert_true (backend_is (copy_dest));
  a = open_new_conversation (NULL);
  first = ask ("hello", 2, NULL);
  g_assert_cmpint (current_conversation (), ==, a);
  g_assert_cmpstr (first->model, ==, "copied");
  q.id = a;
  q.spec = spec_copy;
  ui_test_wait_until (model_recorded, &q);

  /* Switching model mid-conversation: recorded on A, and the next turn sends the whole
   * history to the new model (nothing of it cached there). */
  heron_model_picker_load_local (GTK_WINDOW (window), chat (), real_drop, NULL);
  ui_test_wait_until (backend_is, real_drop);
  ui_test_wait_until (no_dialog, NULL);
  q.spec = spec_drop;
  ui_test_wait_until (model_recorded, &q);
  second = ask ("and now?", 4, NULL);
  g_test_message ("first: %d prompt tokens; second on the new model: %d (%d cached)",
                  first->prompt_tokens, second->prompt_tokens, second->cached_tokens);
  g_assert_cmpstr (second->model, ==, "dropped");
  g_assert_cmpint (second->cached_tokens, ==, 0);
  g_assert_cmpint (first->completion_tokens, <=, 6);
  g_assert_cmpint (second->prompt_tokens, >=, first->prompt_tokens + first->completion_tokens);

  /* Conversation B with the copied model. */
  b = open_new_conversation (NULL);
  heron_model_picker_load_local (GTK_WINDOW (window), chat (), copy_dest, NULL);
  ui_test_wait_until (backend_is, copy_dest);
  ui_test_wait_until (no_dialog, NULL);
  third = ask ("other", 2, NULL);
  g_assert_cmpint (current_conversation (), ==, b);
  g_assert_cmpstr (third->model, ==, "copied");
  q.id = b;
  q.spec = spec_copy;
  ui_test_wait_until (model_recorded, &q);

  /* Opening A loads its model again; opening B goes back. */
  heron_chat_open_conversation (chat (), a, 0);
  ui_test_wait_until (conversation_open, GSIZE_TO_POINTER (a));
  ui_test_wait_until (backend_is, real_drop);
  ui_test_wait_until (no_dialog, NULL);
  screenshot (GTK_WIDGET (window), "conversation-model.png");
  heron_chat_open_conversation (chat (), b, 0);
  ui_test_wait_until (conversation_open, GSIZE_TO_POINTER (b));
  ui_test_wait_until (backend_is, copy_dest);
  ui_test_wait_until (no_dialog, NULL);
  free (real_drop);
}

static gboolean
is_label_containing (GtkWidget *w, gconstpointer text)
{
  return GTK_IS_LABEL (w) && gtk_widget_get_visible (w)
         && strstr (gtk_label_get_text (GTK_LABEL (w)), text) != NULL;
}

static gboolean
notice_shown (gpointer notice)
{
  return ui_test_find (GTK_WIDGET (window), is_label_containing, notice) != NULL;
}

/* With "prefer local", a prompt longer than the local model's context goes to the server
 * chosen in Connect (the mock), and the answer says why under its stats; a short one stays
 * local. */
static void
test_prefer_local (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(HeronMessage) answer = NULL;
  g_autoptr(HeronChatStats) remote = NULL, local = NULL, fallback = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *longq = NULL;
  GString *q = g_string_new ("");

  /* The tiny model: 512 tokens of context; the estimate is a token per 4 bytes. */
  heron_model_picker_load_local (GTK_WINDOW (window), chat (), tiny_path, NULL);
  ui_test_wait_until (backend_is, tiny_path);
  ui_test_wait_until (no_dialog, NULL);
  g_settings_set_boolean (settings, "prefer-local", TRUE);
  g_settings_set_string (settings, "remote-model", "remote:custom/mock-zeta");
  while (q->len < 4 * 512 + 100)
    g_string_append (q, "a long question ");
  longq = g_string_free (q, FALSE);

  open_new_conversation (NULL);
  remote = ask (longq, 2, &answer);
  g_assert_cmpstr (heron_message_get_content (answer), ==, "from remote");
  g_assert_cmpstr (remote->model, ==, "mock-zeta");
  notice = heron_models_stats_get_notice (heron_message_get_stats_json (answer));
  g_test_message ("notice: %s", notice);
  g_assert_nonnull (notice);
  g_assert_nonnull (strstr (notice, "mock-zeta"));
  /* Under the answer's stats line. */
  ui_test_wait_until (notice_shown, notice);
  screenshot (GTK_WIDGET (window), "prefer-local.png");

  open_new_conversation (NULL);
  g_clear_object (&answer);
  local = ask ("short", 2, &answer);
  g_assert_cmpstr (local->model, ==, "tiny-test");
  g_assert_null (heron_models_stats_get_notice (heron_message_get_stats_json (answer)));

  /* No local model at all: the server model answers, and each answer says why. */
  heron_chat_set_backend (chat (), NULL);
  g_assert_nonnull (heron_chat_get_backend (chat ()));
  g_assert_null (backend_path ());
  open_new_conversation (NULL);
  g_clear_object (&answer);
  g_clear_pointer (&notice, g_free);
  fallback = ask ("short", 2, &answer);
  g_assert_cmpstr (fallback->model, ==, "mock-zeta");
  g_assert_cmpstr (heron_message_get_content (answer), ==, "from remote");
  notice = heron_models_stats_get_notice (heron_message_get_stats_json (answer));
  expected = g_strdup_printf (_("Answered by %s: no local model is loaded."), "mock-zeta");
  g_assert_cmpstr (notice, ==, expected);
  /* Only the setting brought the server in: turning it off takes it away. */
  g_settings_set_boolean (settings, "prefer-local", FALSE);
  g_assert_null (heron_chat_get_backend (chat ()));
}

static gboolean
row_absent (gpointer data)
{
  return !row_present (data);
}

/* Preferences → Models: each row's way out fits where its file lives. */
static void
test_remove (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  HeronPreferences *prefs = heron_preferences_new (settings);
  RowQuery q = { GTK_WIDGET (prefs), "dropped" };
  GtkWidget *row, *button, *dialog;

  gtk_window_set_default_size (GTK_WINDOW (prefs), 720, 900);
  gtk_window_present (GTK_WINDOW (prefs));
  adw_preferences_window_set_visible_page (
    ADW_PREFERENCES_WINDOW (prefs),
    ADW_PREFERENCES_PAGE (find_type (GTK_WIDGET (prefs), g_type_from_name ("HeronModelsPage"))));
  ui_test_wait_until (row_present, &q);
  q.title = "lm";
  g_assert_true (row_present (&q));
  screenshot (GTK_WIDGET (prefs), "models-remove.png");

  /* Added by reference: forgotten, the file stays. */
  row = ui_test_find (GTK_WIDGET (prefs), is_row_titled, "dropped");
  g_assert_null (ui_test_find (row, is_tooltip, _("Delete File")));
  button = ui_test_find (row, is_tooltip, _("Remove from Library"));
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  q.title = "dropped";
  ui_test_wait_until (row_absent, &q);
  g_assert_true (g_file_test (drop_path, G_FILE_TEST_EXISTS));

  /* Found in LM Studio's folder: hidden, never deleted. (The list is scanned again.) */
  q.title = "lm";
  ui_test_wait_until (row_present, &q);
  row = ui_test_find (GTK_WIDGET (prefs), is_row_titled, "lm");
  g_assert_null (ui_test_find (row, is_tooltip, _("Delete File")));
  button = ui_test_find (row, is_tooltip, _("Hide (the file stays with the program that keeps it)"));
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_until (row_absent, &q);
  g_assert_true (g_file_test (lmstudio_path, G_FILE_TEST_EXISTS));

  /* Heron's own copy: deleted after a confirmation; Cancel keeps it. */
  q.title = "copied";
  ui_test_wait_until (row_present, &q);
  row = ui_test_find (GTK_WIDGET (prefs), is_row_titled, "copied");
  button = ui_test_find (row, is_tooltip, _("Delete File"));
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_until (has_dialog, NULL);
  dialog = message_dialog ();
  screenshot (dialog, "models-delete-confirm.png");
  respond (dialog, _("_Cancel"));
  ui_test_settle ();
  g_assert_true (g_file_test (copy_dest, G_FILE_TEST_EXISTS));
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_until (has_dialog, NULL);
  respond (message_dialog (), _("_Delete"));
  ui_test_wait_until (row_absent, &q);
  g_assert_false (g_file_test (copy_dest, G_FILE_TEST_EXISTS));
  q.title = "tiny-test";
  ui_test_wait_until (row_present, &q);
  q.title = "lm";
  g_assert_false (row_present (&q));
  gtk_window_destroy (GTK_WINDOW (prefs));
}

static void
make_model (const char *path, const char *n_ctx)
{
  const char *make[] = { HERON_MAKE_MODEL, "-o", path, "--n-ctx", n_ctx, NULL };
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_spawn_sync (NULL, (char **)make, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_autoptr(HeronApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *models = NULL;
  g_autofree char *model = NULL;
  g_autofree char *keyring = NULL;
  GSList *uris;
  int ret;

  tmp_dir = g_dir_make_tmp ("heron-test-models-ui-XXXXXX", NULL);
  models = g_build_filename (tmp_dir, "heron", "models", NULL);
  model = g_build_filename (models, "tiny-test.gguf", NULL);
  keyring = g_build_filename (tmp_dir, "k.keyring", NULL);
  g_mkdir_with_parents (models, 0700);
  g_setenv ("GSETTINGS_SCHEMA_DIR", HERON_TEST_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("HOME", tmp_dir, TRUE);
  g_setenv ("XDG_DATA_HOME", tmp_dir, TRUE);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  if (g_getenv ("LANGUAGE") == NULL)
    g_setenv ("LANGUAGE", "C", TRUE);

  make_model (model, "512");
  tiny_path = realpath (model, NULL);
  drop_path = g_build_filename (tmp_dir, "elsewhere", "dropped.gguf", NULL);
  copy_src = g_build_filename (tmp_dir, "elsewhere", "copied.gguf", NULL);
  copy_dest = g_build_filename (models, "copied.gguf", NULL);
  lmstudio_path = g_build_filename (tmp_dir, ".lmstudio", "models", "pub", "lm.gguf", NULL);
  make_model (drop_path, "4096");
  make_model (copy_src, "4096");
  make_model (lmstudio_path, "256");
  {
    /* The copy's real path (the temp dir may sit behind a symlink). */
    char *rp = realpath (models, NULL);
    g_free (copy_dest);
    copy_dest = g_build_filename (rp, "copied.gguf", NULL);
    free (rp);
  }

  gtk_test_init (&argc, &argv, NULL);
  heron_build_tree_setup_locale (NULL);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, server_cb, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  server_url = g_uri_to_string (uris->data);
  g_setenv ("HERON_DOWNLOAD_BASE_URL", server_url, TRUE);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  app = heron_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = heron_window_new (app);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/heron/ui/models/library", test_library);
  g_test_add_func ("/heron/ui/models/downloads", test_downloads);
  g_test_add_func ("/heron/ui/models/connect", test_connect);
  g_test_add_func ("/heron/ui/models/picker", test_picker);
  g_test_add_func ("/heron/ui/models/load-progress", test_load_progress);
  g_test_add_func ("/heron/ui/models/drop", test_drop);
  g_test_add_func ("/heron/ui/models/conversation-model", test_conversation_model);
  g_test_add_func ("/heron/ui/models/prefer-local", test_prefer_local);
  g_test_add_func ("/heron/ui/models/remove", test_remove);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));
  g_clear_object (&server);
  g_free (server_url);
  g_free (tmp_dir);
  free (tiny_path);
  g_free (drop_path);
  g_free (copy_src);
  g_free (copy_dest);
  g_free (lmstudio_path);
  return ret;
}
