/* test-models-ui.c: Preferences → Models lists a model found on disk, "Connect to a Server…"
 * lists the models of a mock OpenAI-compatible server on 127.0.0.1 and makes the chosen one
 * the window's model, and the header-bar picker offers both.
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
#include <locale.h>
#include <unistd.h>
#include <libsoup/soup.h>

#include "heron-application.h"
#include "heron-build-tree.h"
#include "heron-connect-dialog.h"
#include "heron-download.h"
#include "heron-openai-backend.h"
#include "heron-preferences.h"
#include "heron-screenshot.h"
#include "heron-window.h"

static char *tmp_dir;
static HeronWindow *window;
static SoupServer *server;
static char *server_url;     /* http://127.0.0.1:PORT/ */

static void
wait_until (gboolean (*cond) (gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!cond (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
settle (void)
{
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

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
  settle ();
  if (!heron_screenshot_save (widget, path, &error))
    g_test_message ("screenshot %s: %s", path, error->message);
}

/* Depth-first search for a widget MATCH accepts. */
static GtkWidget *
find (GtkWidget *root, gboolean (*match) (GtkWidget *, gconstpointer), gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find (c, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
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
  return find (root, is_type, GSIZE_TO_POINTER (type));
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

  return find (q->root, is_row_titled, q->title) != NULL;
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

  if (g_strcmp0 (path, "/v1/models") == 0)
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
  wait_until (row_present, &q);
  row = find (GTK_WIDGET (prefs), is_row_titled, "tiny-test");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_test_message ("library row: %s", subtitle);
  /* The generated model: llama architecture, the context length it was made with. */
  g_assert_nonnull (strstr (subtitle, "llama"));
  context = g_strdup_printf (_("%d tokens of context"), 512);
  g_assert_nonnull (strstr (subtitle, context));
  /* It is tiny: no warning about memory. */
  g_assert_null (find (row, is_label_text, _("Too large for this computer")));
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
  settle ();
  row = find (GTK_WIDGET (prefs), is_row_titled, entry->title);
  g_assert_nonnull (row);
  label = find (row, is_label_text, expected);
  g_assert_nonnull (label);
  bar = GTK_PROGRESS_BAR (find (row, progress_in_row, NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar),
                                  50000000.0 / (entry->size ? entry->size : entry->approx_size),
                                  1e-9);
  screenshot (GTK_WIDGET (prefs), "models-paused.png");

  cancel = find (row, is_tooltip, _("Cancel Download"));
  g_assert_nonnull (cancel);
  g_signal_emit_by_name (cancel, "clicked");
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (sidecar, G_FILE_TEST_EXISTS));
  g_assert_false (gtk_widget_get_visible (cancel));

  /* The mock server has no such file: the row says so and offers to try again. */
  start = find (row, is_tooltip, _("Download"));
  g_assert_nonnull (start);
  g_signal_emit_by_name (start, "clicked");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (start), ==, _("Pause"));
  wait_until (run_stopped, start);
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
  settle ();
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
  fetch = find (dialog, is_button_labelled, _("_Show Models"));
  connect = find (dialog, is_button_labelled, _("C_onnect"));
  list = GTK_LIST_BOX (find (dialog, is_model_list, NULL));
  g_assert_nonnull (fetch);
  g_assert_nonnull (connect);

  /* A server that refuses: a message in words, nothing to connect to. */
  gtk_editable_set_text (GTK_EDITABLE (url_row), locked);
  gtk_widget_activate (fetch);
  status = find (dialog, is_status_label, NULL);
  g_assert_nonnull (status);
  wait_until (label_has_text, status);
  g_test_message ("refused: %s", gtk_label_get_text (GTK_LABEL (status)));
  /* The backend's message for a 401 (heron-openai-backend.c) names the key. */
  if (g_strcmp0 (g_getenv ("LANGUAGE"), "C") == 0)
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (status)), "key"));
  g_assert_false (gtk_widget_get_sensitive (connect));
  screenshot (dialog, "connect-refused.png");

  /* The real list, sorted. */
  gtk_editable_set_text (GTK_EDITABLE (url_row), good);
  gtk_widget_activate (fetch);
  wait_until (list_has_rows, list);
  first = g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (
                                         gtk_list_box_get_row_at_index (list, 0))), "model");
  g_assert_cmpstr (first, ==, "mock-alpha");
  g_assert_true (gtk_widget_get_sensitive (connect));
  screenshot (dialog, "connect-models.png");
  gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, 1));
  gtk_widget_activate (connect);
  settle ();

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
  button = find (GTK_WIDGET (window), is_picker, NULL);
  g_assert_nonnull (button);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  q.root = popover;
  q.title = "tiny-test";
  wait_until (row_present, &q);
  q.title = "custom/mock-zeta";
  g_assert_true (row_present (&q));
  screenshot (popover, "model-picker.png");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
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
  int status = 0;
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

  {
    const char *make[] = { HERON_MAKE_MODEL, "-o", model, "--n-ctx", "512", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **)make, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                                 NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, 0);
  }

  gtk_test_init (&argc, &argv, NULL);
  {
    g_autofree char *build_dir = heron_build_tree_find ();
    g_autofree char *locale_dir = heron_build_tree_locale_dir (build_dir);

    setlocale (LC_ALL, "");
    bindtextdomain (GETTEXT_PACKAGE, locale_dir);
    bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    textdomain (GETTEXT_PACKAGE);
  }
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
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE));
  g_clear_object (&server);
  g_free (server_url);
  g_free (tmp_dir);
  return ret;
}
