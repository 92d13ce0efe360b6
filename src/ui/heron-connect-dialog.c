/* heron-connect-dialog.c: "Connect to a Server…".
 *
 * The key typed here is stored in the keyring first (the backend reads it from there, so it
 * never passes through GSettings), then the model list is fetched from {base}/models.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-connect-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "heron-connect-dialog.h"
#include "heron-openai-backend.h"
#include "web/heron-web-secrets.h"

struct _HeronConnectDialog
{
  AdwWindow             parent_instance;

  /* Borrowed References (children) */
  AdwComboRow          *preset_row;
  AdwEntryRow          *url_row;
  AdwPasswordEntryRow  *key_row;
  GtkButton            *fetch_button;
  GtkButton            *connect_button;
  GtkLabel             *status_label;
  GtkListBox           *model_list;

  /* Owned References */
  HeronChat            *chat;
  GSettings            *settings;
  GCancellable         *cancellable;
  HeronOpenaiBackend   *lister;
};

G_DEFINE_FINAL_TYPE (HeronConnectDialog, heron_connect_dialog, ADW_TYPE_WINDOW)

static const HeronOpenaiPreset *
selected_preset (HeronConnectDialog *self)
{
  guint i = adw_combo_row_get_selected (self->preset_row);
  const HeronOpenaiPreset *presets = heron_openai_presets ();

  for (guint n = 0; presets[n].id != NULL; n++)
    if (n == i)
      return &presets[n];
  return NULL;
}

static const char *
base_url (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);

  if (preset != NULL && preset->base_url != NULL)
    return preset->base_url;
  return gtk_editable_get_text (GTK_EDITABLE (self->url_row));
}

static void
set_status (HeronConnectDialog *self,
            const char         *text)
{
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
}

static void
clear_models (HeronConnectDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->model_list))) != NULL)
    gtk_list_box_remove (self->model_list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->model_list), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), FALSE);
}

static void
preset_changed_cb (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);

  if (preset == NULL)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->url_row), preset->base_url == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->key_row), TRUE);
  clear_models (self);
  set_status (self, NULL);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HeronConnectDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = heron_openai_backend_list_models_finish (HERON_OPENAI_BACKEND (object),
                                                                   result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->fetch_button), TRUE);
  if (models == NULL)
    {
      set_status (self, error->message);
      return;
    }
  if (models[0] == NULL)
    {
      set_status (self, _("The server has no models to offer."));
      return;
    }
  set_status (self, NULL);
  for (guint i = 0; models[i] != NULL; i++)
    {
      GtkWidget *label = gtk_label_new (models[i]);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_margin_start (label, 12);
      gtk_widget_set_margin_end (label, 12);
      gtk_widget_set_margin_top (label, 10);
      gtk_widget_set_margin_bottom (label, 10);
      g_object_set_data_full (G_OBJECT (label), "model", g_strdup (models[i]), g_free);
      gtk_list_box_append (self->model_list, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->model_list), TRUE);
  gtk_list_box_select_row (self->model_list, gtk_list_box_get_row_at_index (self->model_list, 0));
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), TRUE);
}

static void
start_listing (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);

  g_clear_object (&self->lister);
  self->lister = heron_openai_backend_new (preset->id, base_url (self), "");
  heron_openai_backend_list_models_async (self->lister, self->cancellable, list_cb,
                                          g_object_ref (self));
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HeronConnectDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!heron_web_secrets_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_widget_set_sensitive (GTK_WIDGET (self->fetch_button), TRUE);
      set_status (self, _("The key could not be saved in the keyring. Is a keyring running and "
                          "unlocked?"));
      return;
    }
  start_listing (self);
}

static void
fetch_clicked_cb (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));
  const char *url = base_url (self);
  g_autofree char *service = NULL;

  if (preset == NULL)
    return;
  clear_models (self);
  if (url == NULL || !(g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://")))
    {
      set_status (self, _("Type the server’s address, starting with http:// or https://"));
      return;
    }
  if (preset->base_url == NULL)
    g_settings_set_string (self->settings, "custom-server-url", url);
  gtk_widget_set_sensitive (GTK_WIDGET (self->fetch_button), FALSE);
  set_status (self, _("Asking the server for its models…"));
  if (key[0] == '\0')
    {
      start_listing (self);
      return;
    }
  service = heron_openai_secret_service (preset->id);
  heron_web_secrets_store_async (service, key, self->cancellable, store_key_cb,
                                 g_object_ref (self));
}

static void
connect_clicked_cb (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *preset = selected_preset (self);
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->model_list);
  const char *model;
  g_autoptr(HeronOpenaiBackend) backend = NULL;
  g_autofree char *spec = NULL;

  if (preset == NULL || row == NULL)
    return;
  model = g_object_get_data (G_OBJECT (gtk_list_box_row_get_child (row)), "model");
  backend = heron_openai_backend_new (preset->id, base_url (self), model);
  spec = g_strdup_printf ("remote:%s/%s", preset->id, model);
  /* The chat records it as the conversation's model (see heron-model-picker.h). */
  g_object_set_data_full (G_OBJECT (backend), "heron-model-spec", g_strdup (spec), g_free);
  heron_chat_set_backend (self->chat, HERON_BACKEND (backend));
  g_settings_set_string (self->settings, "remote-model", spec);
  gtk_window_close (GTK_WINDOW (self));
}

static void
heron_connect_dialog_dispose (GObject *object)
{
  HeronConnectDialog *self = (HeronConnectDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->lister);
  g_clear_object (&self->chat);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (heron_connect_dialog_parent_class)->dispose (object);
}

static void
heron_connect_dialog_class_init (HeronConnectDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = heron_connect_dialog_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
heron_connect_dialog_init (HeronConnectDialog *self)
{
  const HeronOpenaiPreset *presets = heron_openai_presets ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GtkWidget *box, *header, *cancel, *page, *clamp, *group, *scroller;

  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Connect to a Server"));
  gtk_window_set_default_size (GTK_WINDOW (self), 460, 560);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->connect_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("C_onnect")));
  gtk_widget_add_css_class (GTK_WIDGET (self->connect_button), "suggested-action");
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), FALSE);
  g_signal_connect_swapped (self->connect_button, "clicked", G_CALLBACK (connect_clicked_cb),
                            self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), GTK_WIDGET (self->connect_button));
  gtk_box_append (GTK_BOX (box), header);

  page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_widget_set_margin_top (page, 18);
  gtk_widget_set_margin_bottom (page, 18);
  gtk_widget_set_margin_start (page, 12);
  gtk_widget_set_margin_end (page, 12);

  group = adw_preferences_group_new ();
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Servers that speak the OpenAI chat protocol: "
                                           "DeepSeek, OpenAI, or your own Ollama, llama.cpp or "
                                           "vLLM server."));
  for (guint i = 0; presets[i].id != NULL; i++)
    gtk_string_list_append (names, _(presets[i].name));
  self->preset_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preset_row), _("Server"));
  adw_combo_row_set_model (self->preset_row, G_LIST_MODEL (names));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->preset_row));
  self->url_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->url_row),
                                 _("Server Address (ending in /v1)"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->url_row));
  self->key_row = ADW_PASSWORD_ENTRY_ROW (adw_password_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row),
                                 _("API Key (kept in the keyring)"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->key_row));
  gtk_box_append (GTK_BOX (page), group);

  self->fetch_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Show Models")));
  gtk_widget_set_halign (GTK_WIDGET (self->fetch_button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->fetch_button), "pill");
  g_signal_connect_swapped (self->fetch_button, "clicked", G_CALLBACK (fetch_clicked_cb), self);
  gtk_box_append (GTK_BOX (page), GTK_WIDGET (self->fetch_button));

  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_selectable (self->status_label, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
  gtk_box_append (GTK_BOX (page), GTK_WIDGET (self->status_label));

  self->model_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->model_list), "boxed-list");
  gtk_widget_set_visible (GTK_WIDGET (self->model_list), FALSE);
  gtk_box_append (GTK_BOX (page), GTK_WIDGET (self->model_list));

  clamp = adw_clamp_new ();
  adw_clamp_set_child (ADW_CLAMP (clamp), page);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_window_set_content (ADW_WINDOW (self), box);

  g_signal_connect_swapped (self->preset_row, "notify::selected",
                            G_CALLBACK (preset_changed_cb), self);
  preset_changed_cb (self);
}

GtkWidget *
heron_connect_dialog_new (GtkWindow *parent,
                          HeronChat *chat,
                          GSettings *settings)
{
  HeronConnectDialog *self;
  g_autofree char *remote = NULL;
  g_autofree char *url = NULL;
  const HeronOpenaiPreset *presets = heron_openai_presets ();

  g_return_val_if_fail (HERON_IS_CHAT (chat), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (HERON_TYPE_CONNECT_DIALOG, "transient-for", parent, NULL);
  self->chat = g_object_ref (chat);
  self->settings = g_object_ref (settings);

  url = g_settings_get_string (settings, "custom-server-url");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  /* Start from the server remembered last time. */
  remote = g_settings_get_string (settings, "remote-model");
  if (g_str_has_prefix (remote, "remote:"))
    for (guint i = 0; presets[i].id != NULL; i++)
      {
        g_autofree char *prefix = g_strdup_printf ("remote:%s/", presets[i].id);

        if (g_str_has_prefix (remote, prefix))
          adw_combo_row_set_selected (self->preset_row, i);
      }
  return GTK_WIDGET (self);
}
