/* heron-preferences-web.c: Preferences → Web (see heron-preferences-web.h).
 *
 * Every value is a GSettings key, bound both ways (the chat re-reads them on "changed"),
 * except API keys: those go to the keyring (heron-web-secrets.h) on a worker thread, and
 * this page only shows whether one is saved. The provider list writes the enabled ids in
 * the order shown; "Language Default" resets the key, and the order then follows the
 * locale again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-preferences-web"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-preferences-web.h"
#include "heron-preferences.h"
#include "heron-search-provider.h"
#include "heron-web-search.h"
#include "heron-web-secrets.h"

struct _HeronPreferencesWeb
{
  AdwPreferencesPage    parent_instance;

  GSettings            *settings;       /* owned */
  GCancellable         *cancellable;    /* owned: keyring jobs */
  AdwPreferencesGroup  *providers_group;
  GPtrArray            *provider_rows;  /* GtkWidget*, not owned (the group has them) */
  GHashTable           *widgets;        /* name -> GtkWidget*, not owned */
  gboolean              rebuilding;
  gboolean              writing;
};

G_DEFINE_FINAL_TYPE (HeronPreferencesWeb, heron_preferences_web, ADW_TYPE_PREFERENCES_PAGE)

#define ROW_ID "heron-provider-id"
#define ROW_SWITCH "heron-provider-switch"
#define ROW_UP "heron-provider-up"

/* ---- providers -------------------------------------------------------------------------- */

/* The ids in the order shown: the enabled ones (the setting, or the locale's default when it
 * is empty), then the others in the built-in order. */
static GPtrArray *
shown_order (HeronPreferencesWeb *self,
             GHashTable          *enabled)
{
  g_auto(GStrv) chosen = g_settings_get_strv (self->settings, "search-providers");
  g_auto(GStrv) defaults = heron_web_search_default_ids (NULL);
  char **first = chosen[0] != NULL ? chosen : defaults;
  const HeronSearchProviderInfo * const *infos = heron_search_provider_infos ();
  GPtrArray *order = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; first[i] != NULL; i++)
    if (heron_search_provider_info_lookup (first[i]) != NULL
        && !g_hash_table_contains (enabled, first[i]))
      {
        g_hash_table_add (enabled, g_strdup (first[i]));
        g_ptr_array_add (order, g_strdup (first[i]));
      }
  for (guint i = 0; infos[i] != NULL; i++)
    if (!g_hash_table_contains (enabled, infos[i]->id))
      g_ptr_array_add (order, g_strdup (infos[i]->id));
  return order;
}

/* The rows as they stand -> search-providers. */
static void
write_providers (HeronPreferencesWeb *self)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  for (guint i = 0; i < self->provider_rows->len; i++)
    {
      GObject *row = self->provider_rows->pdata[i];
      GtkSwitch *sw = g_object_get_data (row, ROW_SWITCH);

      if (gtk_switch_get_active (sw))
        g_ptr_array_add (ids, g_object_get_data (row, ROW_ID));
    }
  g_ptr_array_add (ids, NULL);
  self->writing = TRUE;
  g_settings_set_strv (self->settings, "search-providers", (const char * const *) ids->pdata);
  self->writing = FALSE;
}

static void
switch_toggled_cb (HeronPreferencesWeb *self)
{
  if (!self->rebuilding)
    write_providers (self);
}

static void rebuild_providers (HeronPreferencesWeb *self);

static void
move_up_cb (GtkButton           *button,
            HeronPreferencesWeb *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "heron-row");
  guint index;

  if (!g_ptr_array_find (self->provider_rows, row, &index) || index == 0)
    return;
  /* Moving a provider up also turns it on: the order only matters for those in use. */
  self->provider_rows->pdata[index] = self->provider_rows->pdata[index - 1];
  self->provider_rows->pdata[index - 1] = row;
  self->rebuilding = TRUE;
  gtk_switch_set_active (g_object_get_data (G_OBJECT (row), ROW_SWITCH), TRUE);
  self->rebuilding = FALSE;
  write_providers (self);
  rebuild_providers (self);
}

static const char *
provider_subtitle (const HeronSearchProviderInfo *info)
{
  if (info->needs_key)
    return _("Needs an API key (below)");
  if (info->default_base_url == NULL)
    return _("Self-hosted: needs the instance address (below)");
  return _("No key needed");
}

static GtkWidget *
provider_row (HeronPreferencesWeb *self,
              const char          *id,
              gboolean             enabled,
              gboolean             first)
{
  const HeronSearchProviderInfo *info = heron_search_provider_info_lookup (id);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();
  GtkWidget *up = gtk_button_new_from_icon_name ("go-up-symbolic");
  g_autofree char *up_label = g_strdup_printf (_("Try %s Earlier"), _(info->display_name));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->display_name));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), provider_subtitle (info));
  gtk_switch_set_active (GTK_SWITCH (sw), enabled);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _(info->display_name), -1);
  gtk_widget_set_valign (up, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (up, "flat");
  gtk_widget_set_tooltip_text (up, up_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (up), GTK_ACCESSIBLE_PROPERTY_LABEL, up_label,
                                  -1);
  gtk_widget_set_sensitive (up, !first);
  g_object_set_data (G_OBJECT (up), "heron-row", row);
  g_signal_connect (up, "clicked", G_CALLBACK (move_up_cb), self);
  g_signal_connect_swapped (sw, "notify::active", G_CALLBACK (switch_toggled_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), up);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  g_object_set_data_full (G_OBJECT (row), ROW_ID, g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (row), ROW_SWITCH, sw);
  g_object_set_data (G_OBJECT (row), ROW_UP, up);
  return row;
}

static void
rebuild_providers (HeronPreferencesWeb *self)
{
  g_autoptr(GHashTable) enabled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         NULL);
  g_autoptr(GPtrArray) order = shown_order (self, enabled);

  self->rebuilding = TRUE;
  for (guint i = 0; i < self->provider_rows->len; i++)
    adw_preferences_group_remove (self->providers_group, self->provider_rows->pdata[i]);
  g_ptr_array_set_size (self->provider_rows, 0);
  for (guint i = 0; i < order->len; i++)
    {
      GtkWidget *row = provider_row (self, order->pdata[i],
                                     g_hash_table_contains (enabled, order->pdata[i]), i == 0);

      g_ptr_array_add (self->provider_rows, row);
      adw_preferences_group_add (self->providers_group, row);
    }
  self->rebuilding = FALSE;
}

static void
reset_providers_cb (HeronPreferencesWeb *self)
{
  g_settings_reset (self->settings, "search-providers");
}

/* ---- API keys --------------------------------------------------------------------------- */

static void
key_stored_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GtkWidget *row = user_data;
  g_autoptr(GError) error = NULL;
  gssize saved = g_task_propagate_int (G_TASK (result), &error);
  GtkWidget *mark = g_object_get_data (G_OBJECT (row), "heron-mark");

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GtkRoot *root = gtk_widget_get_root (row);

          g_warning ("keyring: %s", error->message);
          if (ADW_IS_PREFERENCES_WINDOW (root))
            adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root),
                                              adw_toast_new (error->message));
        }
      g_object_unref (row);
      return;
    }
  gtk_widget_set_visible (mark, saved == 1);
  g_debug ("%s: %s", (const char *) g_object_get_data (G_OBJECT (row), ROW_ID),
           saved == 1 ? "a key is saved" : "no key");
  g_object_unref (row);
}

/* Worker: store (id, key; an empty key clears it) or only look up (key NULL); 1 when a key
 * is there afterwards, else 0. */
static void
key_thread (GTask        *task,
            gpointer      source,
            gpointer      data,
            GCancellable *cancellable)
{
  char **job = data;
  GError *error = NULL;
  g_autofree char *key = NULL;

  if (job[1] != NULL)
    {
      if (!heron_web_secrets_store_sync (job[0], job[1], cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  key = heron_web_secrets_lookup_sync (job[0], cancellable, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_int (task, key != NULL ? 1 : 0);
  if (key != NULL)
    memset (key, 0, strlen (key));
}

static void
key_job_free (gpointer data)
{
  char **job = data;

  /* The key does not linger in freed memory. */
  if (job[1] != NULL)
    memset (job[1], 0, strlen (job[1]));
  g_strfreev (job);
}

static void
key_job (HeronPreferencesWeb *self,
         GtkWidget           *row,
         const char          *id,
         const char          *key)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, key_stored_cb,
                                      g_object_ref (row));
  /* { id, key or NULL, NULL }: a strv either way. */
  char **job = g_new0 (char *, 3);

  job[0] = g_strdup (id);
  job[1] = g_strdup (key);
  g_task_set_task_data (task, job, key_job_free);
  g_task_run_in_thread (task, key_thread);
}

static void
key_apply_cb (AdwEntryRow         *row,
              HeronPreferencesWeb *self)
{
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  key_job (self, GTK_WIDGET (row), g_object_get_data (G_OBJECT (row), ROW_ID), key);
  memset (key, 0, strlen (key));
  /* The key never stays in a widget longer than needed. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

static GtkWidget *
key_row (HeronPreferencesWeb *self,
         const char          *id)
{
  const HeronSearchProviderInfo *info = heron_search_provider_info_lookup (id);
  GtkWidget *row = adw_password_entry_row_new ();
  GtkWidget *mark = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
  g_autofree char *title = g_strdup_printf (_("%s API Key"), _(info->display_name));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  gtk_widget_set_tooltip_text (mark, _("A key is saved in the keyring"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (mark), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("A key is saved in the keyring"), -1);
  gtk_widget_set_visible (mark, FALSE);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), mark);
  g_object_set_data_full (G_OBJECT (row), ROW_ID, g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (row), "heron-mark", mark);
  g_signal_connect (row, "apply", G_CALLBACK (key_apply_cb), self);
  key_job (self, row, id, NULL);
  return row;
}

/* ---- numbers ---------------------------------------------------------------------------- */

typedef struct
{
  const char *key;
  const char *title;
  const char *subtitle;
  double      min, max, step;
  double      scale;     /* setting = value * scale */
  guint       digits;
} Number;

static gboolean
number_from_setting (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  const Number *n = user_data;
  double v;

  if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32))
    v = g_variant_get_uint32 (variant);
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT64))
    v = (double) g_variant_get_uint64 (variant);
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_DOUBLE))
    v = g_variant_get_double (variant);
  else
    return FALSE;
  g_value_set_double (value, v / n->scale);
  return TRUE;
}

static GVariant *
number_to_setting (const GValue       *value,
                   const GVariantType *type,
                   gpointer            user_data)
{
  const Number *n = user_data;
  double v = g_value_get_double (value) * n->scale;

  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT32))
    return g_variant_new_uint32 ((guint32) (v + 0.5));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT64))
    return g_variant_new_uint64 ((guint64) (v + 0.5));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_DOUBLE))
    return g_variant_new_double (v);
  return NULL;
}

static const Number numbers[] = {
  { "web-page-timeout-ms", N_("Time for One Page"), N_("Seconds before a page is given up"),
    1, 120, 1, 1000, 0 },
  { "web-page-max-bytes", N_("Largest Page"), N_("Megabytes read from one page"),
    1, 100, 1, 1024 * 1024, 0 },
  { "web-max-parallel", N_("Pages Read at Once"), NULL, 1, 16, 1, 1, 0 },
  { "web-cache-page-ttl", N_("Keep Pages"), N_("Hours a page is used again before it is "
                                                "checked with its server"),
    1, 8760, 1, 3600, 0 },
  { "web-cache-search-ttl", N_("Keep Search Results"), N_("Minutes the results of a search "
                                                          "are used again"),
    1, 10080, 1, 60, 0 },
  { "web-context-share", N_("Share of the Context for Sources"),
    N_("Percent of the model's context window the web sources may fill"),
    5, 90, 5, 0.01, 0 },
};

static GtkWidget *
number_row (HeronPreferencesWeb *self,
            const Number        *n)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (n->min, n->max, n->step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(n->title));
  if (n->subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(n->subtitle));
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), n->digits);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _(n->title), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  g_settings_bind_with_mapping (self->settings, n->key, spin, "value",
                                G_SETTINGS_BIND_DEFAULT, number_from_setting,
                                number_to_setting, (gpointer) n, NULL);
  g_hash_table_insert (self->widgets, g_strdup (n->key), spin);
  return row;
}

/* ---- default web mode ------------------------------------------------------------------- */

static const char *const modes[] = { "off", "auto", "on", NULL };

/* ---- page ------------------------------------------------------------------------------- */

static void
settings_changed_cb (HeronPreferencesWeb *self,
                     const char          *key)
{
  if (g_strcmp0 (key, "search-providers") == 0 && !self->rebuilding && !self->writing)
    rebuild_providers (self);
}

static void
build (HeronPreferencesWeb *self)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (self);
  AdwPreferencesGroup *group;
  GtkWidget *row, *reset, *entry;
  g_autoptr(GtkStringList) mode_names = gtk_string_list_new (NULL);
  const char *keyed[] = { "brave", "tavily", "bocha" };

  adw_preferences_page_set_title (page, _("Web"));
  adw_preferences_page_set_icon_name (page, "web-browser-symbolic");

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Web Search"));
  adw_preferences_group_set_description (group, _("Each conversation can change this with "
                                                  "the globe button next to the message."));
  gtk_string_list_append (mode_names, _("Off"));
  gtk_string_list_append (mode_names, _("Auto: When the Question Needs It"));
  gtk_string_list_append (mode_names, _("Always"));
  row = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("New Conversations"));
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (mode_names));
  heron_preferences_bind_choice (self->settings, "default-web-mode", row, modes);
  g_hash_table_insert (self->widgets, g_strdup ("default-web-mode"), row);
  adw_preferences_group_add (group, row);
  adw_preferences_page_add (page, group);

  self->providers_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->providers_group, _("Search Providers"));
  adw_preferences_group_set_description (self->providers_group,
                                         _("Tried from the top until one answers; one that is "
                                           "blocked or fails is skipped until Heron restarts."));
  reset = gtk_button_new_with_mnemonic (_("_Language Default"));
  gtk_widget_add_css_class (reset, "flat");
  gtk_widget_set_valign (reset, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (reset, _("Use the order for your language again"));
  g_signal_connect_swapped (reset, "clicked", G_CALLBACK (reset_providers_cb), self);
  adw_preferences_group_set_header_suffix (self->providers_group, reset);
  adw_preferences_page_add (page, self->providers_group);
  rebuild_providers (self);

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Provider Settings"));
  adw_preferences_group_set_description (group, _("API keys are kept in the keyring, never in "
                                                  "the settings."));
  entry = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("SearXNG Instance Address"));
  g_settings_bind (self->settings, "searxng-url", entry, "text", G_SETTINGS_BIND_DEFAULT);
  g_hash_table_insert (self->widgets, g_strdup ("searxng-url"), entry);
  adw_preferences_group_add (group, entry);
  for (guint i = 0; i < G_N_ELEMENTS (keyed); i++)
    {
      g_autofree char *name = g_strconcat ("key:", keyed[i], NULL);

      row = key_row (self, keyed[i]);
      g_hash_table_insert (self->widgets, g_steal_pointer (&name), row);
      adw_preferences_group_add (group, row);
    }
  adw_preferences_page_add (page, group);

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("Reading Pages"));
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    adw_preferences_group_add (group, number_row (self, &numbers[i]));
  adw_preferences_page_add (page, group);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
heron_preferences_web_dispose (GObject *object)
{
  HeronPreferencesWeb *self = HERON_PREFERENCES_WEB (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->provider_rows, g_ptr_array_unref);
  g_clear_pointer (&self->widgets, g_hash_table_unref);

  G_OBJECT_CLASS (heron_preferences_web_parent_class)->dispose (object);
}

static void
heron_preferences_web_class_init (HeronPreferencesWebClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = heron_preferences_web_dispose;
}

static void
heron_preferences_web_init (HeronPreferencesWeb *self)
{
  self->cancellable = g_cancellable_new ();
  self->provider_rows = g_ptr_array_new ();
  self->widgets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

GtkWidget *
heron_preferences_web_new (GSettings *settings)
{
  HeronPreferencesWeb *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (HERON_TYPE_PREFERENCES_WEB, NULL);
  self->settings = g_object_ref (settings);
  build (self);
  return GTK_WIDGET (self);
}

static GtkWidget *
provider_row_data (HeronPreferencesWeb *self,
                   const char          *id,
                   const char          *what)
{
  for (guint i = 0; i < self->provider_rows->len; i++)
    {
      GObject *row = self->provider_rows->pdata[i];

      if (g_strcmp0 (g_object_get_data (row, ROW_ID), id) == 0)
        return what != NULL ? g_object_get_data (row, what) : GTK_WIDGET (row);
    }
  return NULL;
}

GtkWidget *
_heron_preferences_web_get_provider_row (HeronPreferencesWeb *self,
                                         const char          *id)
{
  return provider_row_data (self, id, NULL);
}

GtkWidget *
_heron_preferences_web_get_provider_switch (HeronPreferencesWeb *self,
                                            const char          *id)
{
  return provider_row_data (self, id, ROW_SWITCH);
}

GtkWidget *
_heron_preferences_web_get_provider_up (HeronPreferencesWeb *self,
                                        const char          *id)
{
  return provider_row_data (self, id, ROW_UP);
}

GtkWidget *
_heron_preferences_web_get_widget (HeronPreferencesWeb *self,
                                   const char          *name)
{
  return g_hash_table_lookup (self->widgets, name);
}
