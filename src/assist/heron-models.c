/* heron-models.c: model library scan, add/remove, spec resolver and routing decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-assist"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "heron-local-backend.h"
#include "heron-models.h"
#include "heron-openai-backend.h"
#include "model-info.h"

#define MAX_DEPTH 5

const char *
heron_model_source_to_string (HeronModelSource source)
{
  static const char *names[] = { "heron", "added", "ollama", "lmstudio", "gpt4all", "llama.cpp",
                                 "huggingface" };
  g_return_val_if_fail (source <= HERON_MODEL_SOURCE_HUGGINGFACE, "?");
  return names[source];
}

void
heron_model_entry_free (HeronModelEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->name);
  g_free (e->path);
  g_free (e->architecture);
  g_free (e->quantization);
  g_free (e->error);
  g_free (e);
}

guint64
heron_models_mem_available (void)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  p = strstr (text, "MemAvailable:");
  if (p == NULL)
    return 0;
  return g_ascii_strtoull (p + strlen ("MemAvailable:"), NULL, 10) * 1024;
}

/* ---- scanning --------------------------------------------------------------------------- */

typedef struct
{
  GPtrArray  *entries;
  GHashTable *seen;          /* real paths */
  guint64     mem_available;
} Scan;

static gboolean
wanted_file (const char *base)
{
  const char *shard;

  if (!g_str_has_suffix (base, ".gguf") || g_str_has_prefix (base, "mmproj")
      || g_str_has_prefix (base, "."))
    return FALSE;
  /* Split models: list the first part only (the engine opens the set from it). */
  shard = strstr (base, "-of-");
  if (shard && shard - base >= 6 && shard[-6] == '-'
      && strncmp (shard - 5, "00001", 5) != 0)
    return FALSE;
  return TRUE;
}

static void
add_entry (Scan *s, const char *path, const char *name, HeronModelSource source)
{
  g_autofree char *real = NULL;
  HeronModelEntry *e;
  hr_model_info info;
  char err[256] = "";
  char *rp = realpath (path, NULL);

  if (rp == NULL)
    return;
  real = g_strdup (rp);
  free (rp);
  if (!g_file_test (real, G_FILE_TEST_IS_REGULAR) || g_hash_table_contains (s->seen, real))
    return;
  g_hash_table_add (s->seen, g_strdup (real));

  e = g_new0 (HeronModelEntry, 1);
  e->source = source;
  e->path = g_steal_pointer (&real);
  if (name)
    e->name = g_strdup (name);
  else
    {
      g_autofree char *base = g_path_get_basename (path);
      e->name = g_strndup (base, strlen (base) - (g_str_has_suffix (base, ".gguf") ? 5 : 0));
    }
  memset (&info, 0, sizeof info);
  if (hr_model_info_read (e->path, &info, err, sizeof err) == 0)
    {
      e->architecture = g_strdup (info.architecture);
      e->n_params = info.n_params;
      if (info.file_type_name)
        e->quantization = g_strdup (info.file_type_name);
      else if (info.n_types > 0)
        e->quantization = g_strdup (hr_type_name (info.types[0].type));
      e->file_size = info.file_size;
      e->context_length = info.context_length;
      e->supported = info.supported;
      e->memory_needed = hr_model_info_estimate_memory (&info, 0);
      e->fits = s->mem_available == 0 || e->memory_needed <= s->mem_available;
      hr_model_info_clear (&info);
    }
  else
    {
      GStatBuf st;
      e->error = g_strdup (err);
      if (g_stat (e->path, &st) == 0)
        e->file_size = st.st_size;
    }
  g_ptr_array_add (s->entries, e);
}

static void
scan_dir (Scan *s, const char *dir, HeronModelSource source, int depth, GCancellable *c)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (depth > MAX_DEPTH || g_cancellable_is_cancelled (c) || !(d = g_dir_open (dir, 0, NULL)))
    return;
  while ((name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);   /* stable order, whatever readdir says */
  for (guint i = 0; i < names->len; i++)
    {
      const char *base = names->pdata[i];
      g_autofree char *path = g_build_filename (dir, base, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (*base != '.')
            scan_dir (s, path, source, depth + 1, c);
        }
      else if (wanted_file (base))
        add_entry (s, path, NULL, source);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
scan_ollama (Scan *s, const char *ollama_root, GCancellable *c)
{
  g_autofree char *lib = g_build_filename (ollama_root, "manifests", "registry.ollama.ai", "library",
                                           NULL);
  g_autoptr(GDir) d = g_dir_open (lib, 0, NULL);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    g_ptr_array_add (models, g_strdup (name));
  g_ptr_array_sort (models, compare_names);
  for (guint i = 0; i < models->len && !g_cancellable_is_cancelled (c); i++)
    {
      g_autofree char *mdir = g_build_filename (lib, models->pdata[i], NULL);
      g_autoptr(GDir) td = g_dir_open (mdir, 0, NULL);
      g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
      const char *tag;

      while (td && (tag = g_dir_read_name (td)))
        g_ptr_array_add (tags, g_strdup (tag));
      g_ptr_array_sort (tags, compare_names);
      for (guint k = 0; k < tags->len; k++)
        {
          g_autofree char *mpath = g_build_filename (mdir, tags->pdata[k], NULL);
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonNode *layers;
          JsonObject *root;

          if (!json_parser_load_from_mapped_file (parser, mpath, NULL)
              || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            continue;
          root = json_node_get_object (json_parser_get_root (parser));
          layers = json_object_get_member (root, "layers");
          if (layers == NULL || !JSON_NODE_HOLDS_ARRAY (layers))
            continue;
          for (guint l = 0; l < json_array_get_length (json_node_get_array (layers)); l++)
            {
              JsonNode *ln = json_array_get_element (json_node_get_array (layers), l);
              JsonObject *lo = JSON_NODE_HOLDS_OBJECT (ln) ? json_node_get_object (ln) : NULL;
              const char *mt = lo ? json_object_get_string_member_with_default (lo, "mediaType",
                                                                                "") : "";
              const char *digest = lo ? json_object_get_string_member_with_default (lo, "digest",
                                                                                    "") : "";
              g_autofree char *blob = NULL, *label = NULL, *file = NULL;

              if (strcmp (mt, "application/vnd.ollama.image.model") != 0
                  || !g_str_has_prefix (digest, "sha256:")
                  || strspn (digest + 7, "0123456789abcdef") != strlen (digest + 7))
                continue;
              file = g_strconcat ("sha256-", digest + 7, NULL);
              blob = g_build_filename (ollama_root, "blobs", file, NULL);
              label = g_strdup_printf ("%s:%s", (char *) models->pdata[i], (char *) tags->pdata[k]);
              add_entry (s, blob, label, HERON_MODEL_SOURCE_OLLAMA);
              break;
            }
        }
    }
}

static void
scan_huggingface (Scan *s, const char *hub, GCancellable *c)
{
  g_autoptr(GDir) d = g_dir_open (hub, 0, NULL);
  g_autoptr(GPtrArray) repos = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "models--"))
      g_ptr_array_add (repos, g_strdup (name));
  g_ptr_array_sort (repos, compare_names);
  for (guint i = 0; i < repos->len && !g_cancellable_is_cancelled (c); i++)
    {
      g_autofree char *snaps = g_build_filename (hub, repos->pdata[i], "snapshots", NULL);
      /* snapshots/REV/FILE.gguf (and sub-folders in some repos): depth-limited walk. */
      scan_dir (s, snaps, HERON_MODEL_SOURCE_HUGGINGFACE, MAX_DEPTH - 2, c);
    }
}

static char *
added_list_path (const char *data_dir)
{
  return g_build_filename (data_dir, "models.json", NULL);
}

/* models.json: {"added": [paths added by reference], "hidden": [paths found elsewhere that
 * the user hid]}. */
static GPtrArray *
read_list (const char *data_dir, const char *member)
{
  g_autofree char *path = added_list_path (data_dir);
  g_autoptr(JsonParser) parser = json_parser_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  JsonNode *list;

  if (!json_parser_load_from_mapped_file (parser, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return out;
  list = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), member);
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return out;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *n = json_array_get_element (json_node_get_array (list), i);
      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_ptr_array_add (out, g_strdup (json_node_get_string (n)));
    }
  return out;
}

static GPtrArray *
read_added (const char *data_dir)
{
  return read_list (data_dir, "added");
}

static void
add_member (JsonBuilder *b, const char *member, GPtrArray *paths)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < paths->len; i++)
    json_builder_add_string_value (b, paths->pdata[i]);
  json_builder_end_array (b);
}

static gboolean
write_lists (const char *data_dir, GPtrArray *added, GPtrArray *hidden, GError **error)
{
  g_autofree char *path = added_list_path (data_dir);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  add_member (b, "added", added);
  add_member (b, "hidden", hidden);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   _("Could not create %s: %s"), data_dir, g_strerror (e));
      return FALSE;
    }
  return g_file_set_contents (path, text, -1, error);
}

static gboolean
write_added (const char *data_dir, GPtrArray *added, GError **error)
{
  g_autoptr(GPtrArray) hidden = read_list (data_dir, "hidden");

  return write_lists (data_dir, added, hidden, error);
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const HeronModelEntry *x = *(HeronModelEntry * const *) a;
  const HeronModelEntry *y = *(HeronModelEntry * const *) b;

  if (x->source != y->source)
    return (int) x->source - (int) y->source;
  return g_utf8_collate (x->name, y->name);
}

GPtrArray *
heron_models_scan_sync (const char   *data_dir,
                        const char   *home,
                        GCancellable *cancellable)
{
  Scan s;
  g_autofree char *own = NULL;
  g_autoptr(GPtrArray) added = NULL;
  struct { const char *rel; HeronModelSource source; } dirs[] = {
    { ".lmstudio/models", HERON_MODEL_SOURCE_LMSTUDIO },
    { ".cache/lm-studio/models", HERON_MODEL_SOURCE_LMSTUDIO },
    { ".local/share/nomic.ai/GPT4All", HERON_MODEL_SOURCE_GPT4ALL },
    { ".cache/llama.cpp", HERON_MODEL_SOURCE_LLAMACPP },
  };

  g_return_val_if_fail (data_dir != NULL, NULL);
  if (home == NULL)
    home = g_get_home_dir ();
  s.entries = g_ptr_array_new_with_free_func ((GDestroyNotify) heron_model_entry_free);
  s.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s.mem_available = heron_models_mem_available ();

  own = g_build_filename (data_dir, "models", NULL);
  scan_dir (&s, own, HERON_MODEL_SOURCE_HERON, MAX_DEPTH - 1, cancellable);
  added = read_added (data_dir);
  for (guint i = 0; i < added->len; i++)
    add_entry (&s, added->pdata[i], NULL, HERON_MODEL_SOURCE_ADDED);
  {
    g_autofree char *ollama = g_build_filename (home, ".ollama", "models", NULL);
    scan_ollama (&s, ollama, cancellable);
  }
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (home, dirs[i].rel, NULL);
      scan_dir (&s, dir, dirs[i].source, 0, cancellable);
    }
  {
    g_autofree char *hub = g_build_filename (home, ".cache", "huggingface", "hub", NULL);
    scan_huggingface (&s, hub, cancellable);
  }
  g_hash_table_unref (s.seen);
  {
    g_autoptr(GPtrArray) hidden = read_list (data_dir, "hidden");

    for (guint i = 0; hidden->len > 0 && i < s.entries->len; i++)
      {
        HeronModelEntry *e = s.entries->pdata[i];

        if (e->source != HERON_MODEL_SOURCE_HERON && e->source != HERON_MODEL_SOURCE_ADDED &&
            g_ptr_array_find_with_equal_func (hidden, e->path, g_str_equal, NULL))
          g_ptr_array_remove_index (s.entries, i--);
      }
  }
  g_ptr_array_sort (s.entries, compare_entries);
  return s.entries;
}

typedef struct
{
  char *data_dir;
  char *home;
} ScanArgs;

static void
scan_args_free (gpointer p)
{
  ScanArgs *a = p;
  g_free (a->data_dir);
  g_free (a->home);
  g_free (a);
}

static void
scan_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ScanArgs *a = data;
  GPtrArray *entries = heron_models_scan_sync (a->data_dir, a->home, cancellable);

  (void) source;
  if (g_task_return_error_if_cancelled (task))
    g_ptr_array_unref (entries);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

void
heron_models_scan_async (const char          *data_dir,
                         const char          *home,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ScanArgs *a = g_new0 (ScanArgs, 1);

  g_task_set_source_tag (task, heron_models_scan_async);
  a->data_dir = g_strdup (data_dir);
  a->home = g_strdup (home);
  g_task_set_task_data (task, a, scan_args_free);
  g_task_run_in_thread (task, scan_thread);
}

GPtrArray *
heron_models_scan_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- add / remove ----------------------------------------------------------------------- */

char *
heron_models_add (const char  *data_dir,
                  const char  *path,
                  gboolean     copy,
                  GError     **error)
{
  hr_model_info info;
  char err[256] = "";
  char *rp;
  g_autofree char *real = NULL, *base = NULL;

  g_return_val_if_fail (data_dir != NULL && path != NULL, NULL);
  memset (&info, 0, sizeof info);
  if (hr_model_info_read (path, &info, err, sizeof err) != 0)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                   _("%s is not a model Heron can read (%s). Choose a .gguf model file."),
                   path, err);
      return NULL;
    }
  hr_model_info_clear (&info);
  rp = realpath (path, NULL);
  real = g_strdup (rp);
  free (rp);
  base = g_path_get_basename (real);

  if (copy)
    {
      g_autofree char *dir = g_build_filename (data_dir, "models", NULL);
      g_autofree char *dest = g_build_filename (dir, base, NULL);
      g_autofree char *part = g_strconcat (dest, ".part", NULL);
      g_autoptr(GFile) src = g_file_new_for_path (real);
      g_autoptr(GFile) tmp = g_file_new_for_path (part);

      if (g_file_test (dest, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("%s is already in Heron's models folder."), base);
          return NULL;
        }
      g_mkdir_with_parents (dir, 0700);
      if (!g_file_copy (src, tmp, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
        {
          g_unlink (part);
          return NULL;
        }
      if (g_rename (part, dest) != 0)
        {
          int e = errno;
          g_unlink (part);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not save %s: %s"),
                       dest, g_strerror (e));
          return NULL;
        }
    }
  else
    {
      g_autoptr(GPtrArray) added = read_added (data_dir);

      for (guint i = 0; i < added->len; i++)
        if (strcmp (added->pdata[i], real) == 0)
          return g_strndup (base, strlen (base) - (g_str_has_suffix (base, ".gguf") ? 5 : 0));
      g_ptr_array_add (added, g_strdup (real));
      if (!write_added (data_dir, added, error))
        return NULL;
    }
  return g_strndup (base, strlen (base) - (g_str_has_suffix (base, ".gguf") ? 5 : 0));
}

static HeronModelEntry *
find_entry (GPtrArray *entries, const char *name)
{
  g_autofree char *real = NULL;
  char *rp = realpath (name, NULL);

  if (rp)
    {
      real = g_strdup (rp);
      free (rp);
    }
  for (guint i = 0; i < entries->len; i++)
    {
      HeronModelEntry *e = entries->pdata[i];
      if (g_ascii_strcasecmp (e->name, name) == 0 || (real && strcmp (e->path, real) == 0))
        return e;
    }
  return NULL;
}

gboolean
heron_models_remove (const char  *data_dir,
                     const char  *home,
                     const char  *name,
                     GError     **error)
{
  g_autoptr(GPtrArray) entries = heron_models_scan_sync (data_dir, home, NULL);
  HeronModelEntry *e = find_entry (entries, name);

  if (e == NULL)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("There is no model “%s” in the library (see heron-cli models list)."), name);
      return FALSE;
    }
  if (e->source == HERON_MODEL_SOURCE_ADDED)
    {
      g_autoptr(GPtrArray) added = read_added (data_dir);
      for (guint i = 0; i < added->len; i++)
        {
          char *rp = realpath (added->pdata[i], NULL);
          gboolean same = g_strcmp0 (rp, e->path) == 0 || strcmp (added->pdata[i], e->path) == 0;
          free (rp);
          if (same)
            g_ptr_array_remove_index (added, i--);
        }
      return write_added (data_dir, added, error);
    }
  if (e->source == HERON_MODEL_SOURCE_HERON)
    {
      if (g_unlink (e->path) != 0)
        {
          int err = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                       _("Could not delete %s: %s"), e->path, g_strerror (err));
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
               _("“%s” belongs to %s (%s); remove it with that program."), e->name,
               heron_model_source_to_string (e->source), e->path);
  return FALSE;
}

gboolean
heron_models_remove_path (const char        *data_dir,
                          const char        *path,
                          HeronModelSource   source,
                          GError           **error)
{
  g_return_val_if_fail (data_dir != NULL && path != NULL, FALSE);

  if (source == HERON_MODEL_SOURCE_ADDED)
    {
      g_autoptr(GPtrArray) added = read_added (data_dir);

      for (guint i = 0; i < added->len; i++)
        {
          char *rp = realpath (added->pdata[i], NULL);
          gboolean same = g_strcmp0 (rp, path) == 0 || strcmp (added->pdata[i], path) == 0;

          free (rp);
          if (same)
            g_ptr_array_remove_index (added, i--);
        }
      return write_added (data_dir, added, error);
    }
  if (source == HERON_MODEL_SOURCE_HERON)
    {
      g_autofree char *own = g_build_filename (data_dir, "models", NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      char *rp_own = realpath (own, NULL), *rp_parent = realpath (parent, NULL);
      gboolean inside = rp_own != NULL && g_strcmp0 (rp_own, rp_parent) == 0;

      free (rp_own);
      free (rp_parent);
      /* Never delete a file outside Heron's own folder, whatever the caller says. */
      if (!inside)
        {
          g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                       _("%s is not in Heron's models folder; it was not deleted."), path);
          return FALSE;
        }
      if (g_unlink (path) != 0)
        {
          int err = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                       _("Could not delete %s: %s"), path, g_strerror (err));
          return FALSE;
        }
      return TRUE;
    }
  {
    g_autoptr(GPtrArray) added = read_added (data_dir);
    g_autoptr(GPtrArray) hidden = read_list (data_dir, "hidden");

    if (!g_ptr_array_find_with_equal_func (hidden, path, g_str_equal, NULL))
      g_ptr_array_add (hidden, g_strdup (path));
    return write_lists (data_dir, added, hidden, error);
  }
}

typedef struct
{
  char             *data_dir;
  char             *path;
  gboolean          copy;
  HeronModelSource  source;
} FileArgs;

static void
file_args_free (gpointer p)
{
  FileArgs *a = p;

  g_free (a->data_dir);
  g_free (a->path);
  g_free (a);
}

static void
add_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  FileArgs *a = data;
  GError *error = NULL;
  g_autofree char *name = heron_models_add (a->data_dir, a->path, a->copy, &error);
  char *rp;
  g_autofree char *base = NULL;

  if (name == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  rp = realpath (a->path, NULL);
  base = g_path_get_basename (rp ? rp : a->path);
  if (a->copy)
    g_task_return_pointer (task, g_build_filename (a->data_dir, "models", base, NULL), g_free);
  else
    g_task_return_pointer (task, g_strdup (rp ? rp : a->path), g_free);
  free (rp);
}

void
heron_models_add_async (const char          *data_dir,
                        const char          *path,
                        gboolean             copy,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  FileArgs *a = g_new0 (FileArgs, 1);

  g_task_set_source_tag (task, heron_models_add_async);
  a->data_dir = g_strdup (data_dir);
  a->path = g_strdup (path);
  a->copy = copy;
  g_task_set_task_data (task, a, file_args_free);
  g_task_run_in_thread (task, add_thread);
}

char *
heron_models_add_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
remove_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  FileArgs *a = data;
  GError *error = NULL;

  if (heron_models_remove_path (a->data_dir, a->path, a->source, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
heron_models_remove_path_async (const char          *data_dir,
                                const char          *path,
                                HeronModelSource     source,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  FileArgs *a = g_new0 (FileArgs, 1);

  g_task_set_source_tag (task, heron_models_remove_path_async);
  a->data_dir = g_strdup (data_dir);
  a->path = g_strdup (path);
  a->source = source;
  g_task_set_task_data (task, a, file_args_free);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
heron_models_remove_path_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- specs ------------------------------------------------------------------------------ */

void
heron_model_spec_free (HeronModelSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->spec);
  g_free (spec->path);
  g_free (spec->endpoint);
  g_free (spec->model);
  g_free (spec);
}

static HeronModelSpec *
local_spec (const char *path, GError **error)
{
  HeronModelSpec *s;
  char *rp = realpath (path, NULL);

  if (rp == NULL || !g_file_test (rp, G_FILE_TEST_IS_REGULAR))
    {
      free (rp);
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("The model file %s does not exist."), path);
      return NULL;
    }
  s = g_new0 (HeronModelSpec, 1);
  s->kind = HERON_MODEL_SPEC_LOCAL;
  s->path = g_strdup (rp);
  s->spec = g_strconcat ("local:", rp, NULL);
  free (rp);
  return s;
}

HeronModelSpec *
heron_model_spec_resolve (const char  *text,
                          const char  *data_dir,
                          const char  *home,
                          GError     **error)
{
  g_return_val_if_fail (text != NULL, NULL);

  if (g_str_has_prefix (text, "remote:"))
    {
      const char *rest = text + 7;
      const char *slash = strchr (rest, '/');
      HeronModelSpec *s;

      if (slash == NULL || slash == rest || slash[1] == '\0')
        {
          g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                       _("“%s” is not a remote model; write remote:SERVER/MODEL, e.g. "
                         "remote:deepseek/deepseek-chat."), text);
          return NULL;
        }
      s = g_new0 (HeronModelSpec, 1);
      s->kind = HERON_MODEL_SPEC_REMOTE;
      s->endpoint = g_strndup (rest, slash - rest);
      s->model = g_strdup (slash + 1);
      s->spec = g_strdup (text);
      return s;
    }
  if (g_str_has_prefix (text, "local:"))
    return local_spec (text + 6, error);
  if (g_str_has_prefix (text, "library:") || !g_file_test (text, G_FILE_TEST_EXISTS))
    {
      const char *name = g_str_has_prefix (text, "library:") ? text + 8 : text;
      g_autoptr(GPtrArray) entries = NULL;
      HeronModelEntry *e;

      if (data_dir == NULL || strchr (name, '/') != NULL)
        return local_spec (name, error);
      entries = heron_models_scan_sync (data_dir, home, NULL);
      e = find_entry (entries, name);
      if (e == NULL)
        {
          g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                       _("There is no model “%s”: give a .gguf path, a name from "
                         "“heron-cli models list”, or remote:SERVER/MODEL."), name);
          return NULL;
        }
      return local_spec (e->path, error);
    }
  return local_spec (text, error);
}

char *
heron_model_spec_resolve_path (const char  *text,
                               const char  *data_dir,
                               GError     **error)
{
  g_autoptr(HeronModelSpec) spec = heron_model_spec_resolve (text, data_dir, NULL, error);

  if (spec == NULL)
    return NULL;
  if (spec->kind == HERON_MODEL_SPEC_REMOTE)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("%s is a remote model; this command runs local models only (use "
                     "heron-cli ask for remote ones)."), text);
      return NULL;
    }
  return g_steal_pointer (&spec->path);
}

HeronBackend *
heron_model_spec_create_backend (const HeronModelSpec  *spec,
                                 const char            *base_url,
                                 GError               **error)
{
  const HeronOpenaiPreset *preset;

  g_return_val_if_fail (spec != NULL, NULL);
  if (spec->kind == HERON_MODEL_SPEC_LOCAL)
    return HERON_BACKEND (heron_local_backend_new (spec->path, 0, 0));
  preset = heron_openai_preset_lookup (spec->endpoint);
  if (base_url == NULL && (preset == NULL || preset->base_url == NULL))
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("Unknown server “%s”: use deepseek, openai, ollama, llamacpp or vllm, or "
                     "give its address."), spec->endpoint);
      return NULL;
    }
  return HERON_BACKEND (heron_openai_backend_new (spec->endpoint,
                                                  base_url ? base_url : preset->base_url,
                                                  spec->model));
}

/* ---- routing ---------------------------------------------------------------------------- */

HeronRoute
heron_models_route (gboolean    prefer_local,
                    gboolean    local_available,
                    int         local_n_ctx,
                    int         prompt_tokens,
                    const char *remote_name)
{
  HeronRoute r = { FALSE, NULL };

  if (remote_name == NULL)
    return r;
  if (!prefer_local)
    {
      r.use_remote = TRUE;
      return r;
    }
  if (!local_available || local_n_ctx <= 0)
    {
      r.use_remote = TRUE;
      r.notice = g_strdup_printf (_("Answered by %s: no local model is loaded."), remote_name);
    }
  else if (prompt_tokens >= local_n_ctx)
    {
      r.use_remote = TRUE;
      r.notice = g_strdup_printf (_("Answered by %s: the conversation (%d tokens) is longer "
                                    "than the local model's context (%d tokens)."),
                                  remote_name, prompt_tokens, local_n_ctx);
    }
  return r;
}

void
heron_route_clear (HeronRoute *route)
{
  g_clear_pointer (&route->notice, g_free);
}

int
heron_models_estimate_tokens (const HeronChatRequest *request)
{
  gsize bytes = 0;

  g_return_val_if_fail (request != NULL, 0);
  for (guint i = 0; i < request->messages->len; i++)
    {
      const HeronChatMessage *m = &g_array_index (request->messages, HeronChatMessage, i);
      bytes += (m->content ? strlen (m->content) : 0) + 4 * 4;
    }
  return (int) MIN ((bytes + 3) / 4, (gsize) G_MAXINT);
}

char *
heron_models_stats_add_notice (const char *stats_json,
                               const char *notice)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = NULL;
  JsonNode *root;

  if (stats_json == NULL)
    return NULL;
  if (notice == NULL || !json_parser_load_from_data (parser, stats_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)))
    return g_strdup (stats_json);
  json_object_set_string_member (json_node_get_object (root), "notice", notice);
  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

char *
heron_models_stats_get_notice (const char *stats_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  const char *notice;

  if (stats_json == NULL || !json_parser_load_from_data (parser, stats_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)))
    return NULL;
  notice = json_object_get_string_member_with_default (json_node_get_object (root), "notice",
                                                       NULL);
  return notice != NULL && *notice != '\0' ? g_strdup (notice) : NULL;
}

GError *
heron_models_load_error (const char *path,
                         const char *engine_message)
{
  const char *m = engine_message ? engine_message : "";

  if (strstr (m, "unsupported model architecture") || strstr (m, "general.architecture"))
    return g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                        _("%s uses a model architecture Heron cannot run yet (%s). Choose a "
                          "Llama, Qwen2 or Qwen3 model."), path, m);
  if (strstr (m, "out of memory"))
    return g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                        _("There is not enough memory to load %s. Close other programs, or "
                          "choose a smaller model or a smaller context."), path);
  if (strstr (m, "truncated") || strstr (m, "corrupt") || strstr (m, "magic")
      || strstr (m, "lacks tensor") || strstr (m, "not a GGUF"))
    return g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                        _("%s is damaged or incomplete (%s). Download it again."), path, m);
  return g_error_new (HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                      _("Could not load the model %s: %s"), path, m);
}
