/* test-models.c: the model library over a fake HOME (Heron's folder, added files, Ollama,
 * LM Studio, GPT4All, llama.cpp and Hugging Face caches with symlinks), add/remove, the
 * model-spec resolver and the "prefer local" routing decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "heron-models.h"
#include "heron-openai-backend.h"
#include "make-model.h"

static char *home;
static char *data_dir;

static char *
make (const char *rel, const char *arch, int n_ctx)
{
  g_autofree char *dir = NULL;
  char *path = g_build_filename (home, rel, NULL);
  HeronTestModelSpec spec;
  char err[256];

  dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  heron_test_model_spec_init (&spec, arch);
  spec.n_ctx_train = n_ctx;
  g_assert_cmpint (heron_test_make_model (path, &spec, err, sizeof err), ==, 0);
  return path;
}

static void
write_file (const char *rel, const char *text)
{
  g_autofree char *path = g_build_filename (home, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
link_to (const char *target, const char *rel)
{
  g_autofree char *path = g_build_filename (home, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static char *ollama_blob;
static char *hf_blob;
static char *own_model;

static void
build_tree (void)
{
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL, *m6 = NULL;
  g_autofree char *manifest = NULL;
  const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  own_model = make ("data/models/own.gguf", "qwen2", 1024);
  ollama_blob = make (".ollama/models/blobs/sha256-0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef", "llama", 2048);
  manifest = g_strdup_printf ("{\"schemaVersion\":2,\"layers\":["
                              "{\"mediaType\":\"application/vnd.ollama.image.template\","
                              "\"digest\":\"sha256:%s\"},"
                              "{\"mediaType\":\"application/vnd.ollama.image.model\","
                              "\"digest\":\"sha256:%s\",\"size\":1}]}", hex, hex);
  write_file (".ollama/models/manifests/registry.ollama.ai/library/tiny/latest", manifest);
  write_file (".ollama/models/manifests/registry.ollama.ai/library/broken/1b", "{not json");
  m1 = make (".lmstudio/models/pub/repo/lm.gguf", "qwen3", 4096);
  m2 = make (".cache/lm-studio/models/x/y/lm2.gguf", "llama", 512);
  m3 = make (".local/share/nomic.ai/GPT4All/g.gguf", "qwen2", 256);
  m4 = make (".cache/llama.cpp/c.gguf", "llama", 128);
  write_file (".cache/llama.cpp/bad.gguf", "GGUF but not really");
  m5 = make (".cache/llama.cpp/mmproj-c.gguf", "llama", 128);
  m6 = make (".cache/llama.cpp/split-00002-of-00002.gguf", "llama", 128);
  hf_blob = make (".cache/huggingface/hub/models--org--repo/blobs/abc123", "qwen2", 8192);
  link_to ("../../blobs/abc123", ".cache/huggingface/hub/models--org--repo/snapshots/rev1/h.gguf");
  link_to ("../../blobs/abc123", ".cache/huggingface/hub/models--org--repo/snapshots/rev2/h.gguf");
  /* The same file as Heron's own, seen again through LM Studio: listed once, as Heron's. */
  link_to (own_model, ".lmstudio/models/pub/repo/own-link.gguf");
}

static HeronModelEntry *
by_name (GPtrArray *entries, const char *name)
{
  for (guint i = 0; i < entries->len; i++)
    if (strcmp (((HeronModelEntry *) entries->pdata[i])->name, name) == 0)
      return entries->pdata[i];
  return NULL;
}

static void
check_entry (GPtrArray *entries, const char *name, HeronModelSource source, const char *arch,
             gint64 n_ctx)
{
  HeronModelEntry *e = by_name (entries, name);
  GStatBuf st;
  guint64 avail = heron_models_mem_available ();

  g_assert_nonnull (e);
  g_assert_cmpint (e->source, ==, source);
  g_assert_null (e->error);
  g_assert_cmpstr (e->architecture, ==, arch);
  g_assert_cmpint (e->context_length, ==, n_ctx);
  g_assert_true (e->supported);
  g_assert_cmpuint (e->n_params, >, 0);
  g_assert_nonnull (e->quantization);
  g_assert_cmpint (g_stat (e->path, &st), ==, 0);
  g_assert_cmpuint (e->file_size, ==, (guint64) st.st_size);
  g_assert_cmpuint (e->memory_needed, >, e->file_size / 2);
  g_assert_cmpint (e->fits, ==, avail == 0 || e->memory_needed <= avail);
}

static void
test_scan (void)
{
  g_autoptr(GPtrArray) entries = heron_models_scan_sync (data_dir, home, NULL);
  HeronModelEntry *bad;

  for (guint i = 0; i < entries->len; i++)
    {
      HeronModelEntry *e = entries->pdata[i];
      g_test_message ("%s %s %s", heron_model_source_to_string (e->source), e->name, e->path);
    }
  check_entry (entries, "own", HERON_MODEL_SOURCE_HERON, "qwen2", 1024);
  check_entry (entries, "tiny:latest", HERON_MODEL_SOURCE_OLLAMA, "llama", 2048);
  check_entry (entries, "lm", HERON_MODEL_SOURCE_LMSTUDIO, "qwen3", 4096);
  check_entry (entries, "lm2", HERON_MODEL_SOURCE_LMSTUDIO, "llama", 512);
  check_entry (entries, "g", HERON_MODEL_SOURCE_GPT4ALL, "qwen2", 256);
  check_entry (entries, "c", HERON_MODEL_SOURCE_LLAMACPP, "llama", 128);
  check_entry (entries, "h", HERON_MODEL_SOURCE_HUGGINGFACE, "qwen2", 8192);
  g_assert_cmpstr (by_name (entries, "h")->path, ==, hf_blob);
  bad = by_name (entries, "bad");
  g_assert_nonnull (bad);
  g_assert_nonnull (bad->error);
  g_assert_false (bad->supported);
  /* own, tiny, lm, lm2, g, c, bad, h: links deduplicated, mmproj and later shards skipped. */
  g_assert_cmpuint (entries->len, ==, 8);
  g_assert_null (by_name (entries, "own-link"));
  g_assert_null (by_name (entries, "mmproj-c"));
  g_assert_null (by_name (entries, "split-00002-of-00002"));
}

static void
on_scanned (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  *(GPtrArray **) data = heron_models_scan_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_scan_async (void)
{
  g_autoptr(GPtrArray) sync = heron_models_scan_sync (data_dir, home, NULL);
  g_autoptr(GPtrArray) async = NULL;

  heron_models_scan_async (data_dir, home, NULL, on_scanned, &async);
  while (async == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (async->len, ==, sync->len);
  for (guint i = 0; i < sync->len; i++)
    g_assert_cmpstr (((HeronModelEntry *) async->pdata[i])->path, ==,
                     ((HeronModelEntry *) sync->pdata[i])->path);
}

static void
test_add_remove (void)
{
  g_autofree char *ref = make ("elsewhere/ref.gguf", "llama", 300);
  g_autofree char *cp = make ("elsewhere/copied.gguf", "qwen3", 400);
  g_autofree char *copied = g_build_filename (data_dir, "models", "copied.gguf", NULL);
  g_autofree char *bad = g_build_filename (home, ".cache/llama.cpp/bad.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *n1 = NULL, *n2 = NULL, *n3 = NULL;

  n1 = heron_models_add (data_dir, ref, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (n1, ==, "ref");
  n3 = heron_models_add (data_dir, ref, FALSE, &error);   /* twice: listed once */
  g_assert_no_error (error);
  n2 = heron_models_add (data_dir, cp, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (copied, G_FILE_TEST_IS_REGULAR));
  g_assert_null (heron_models_add (data_dir, bad, FALSE, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL);
  g_clear_error (&error);

  entries = heron_models_scan_sync (data_dir, home, NULL);
  check_entry (entries, "ref", HERON_MODEL_SOURCE_ADDED, "llama", 300);
  check_entry (entries, "copied", HERON_MODEL_SOURCE_HERON, "qwen3", 400);
  g_assert_cmpuint (entries->len, ==, 10);
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* Forget the reference (the file stays), delete the copy, refuse Ollama's. */
  g_assert_true (heron_models_remove (data_dir, home, "ref", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (ref, G_FILE_TEST_EXISTS));
  g_assert_true (heron_models_remove (data_dir, home, "copied", &error));
  g_assert_false (g_file_test (copied, G_FILE_TEST_EXISTS));
  g_assert_false (heron_models_remove (data_dir, home, "tiny:latest", &error));
  g_assert_nonnull (strstr (error->message, "ollama"));
  g_clear_error (&error);
  g_assert_false (heron_models_remove (data_dir, home, "nope", &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL);
  g_clear_error (&error);
  entries = heron_models_scan_sync (data_dir, home, NULL);
  g_assert_cmpuint (entries->len, ==, 8);
}

/* What the Models page does: add in a worker thread (by reference, or as a copy), then remove
 * by path and source: a reference is forgotten, Heron's copy deleted, a file another tool
 * keeps only hidden (never deleted), and nothing outside Heron's folder is deleted even if
 * the caller claims it is Heron's. */
static void
on_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  *(char **) data = heron_models_add_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_remove_path (void)
{
  g_autofree char *ref = make ("dropped/ref2.gguf", "llama", 300);
  g_autofree char *cp = make ("dropped/copy2.gguf", "llama", 300);
  g_autofree char *copied = g_build_filename (data_dir, "models", "copy2.gguf", NULL);
  g_autofree char *got_ref = NULL, *got_copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint n_before;

  entries = heron_models_scan_sync (data_dir, home, NULL);
  n_before = entries->len;
  g_clear_pointer (&entries, g_ptr_array_unref);

  heron_models_add_async (data_dir, ref, FALSE, NULL, on_added, &got_ref);
  while (got_ref == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (got_ref, ==, ref);
  heron_models_add_async (data_dir, cp, TRUE, NULL, on_added, &got_copy);
  while (got_copy == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (got_copy, ==, copied);
  g_assert_true (g_file_test (copied, G_FILE_TEST_IS_REGULAR));
  entries = heron_models_scan_sync (data_dir, home, NULL);
  g_assert_cmpuint (entries->len, ==, n_before + 2);
  check_entry (entries, "ref2", HERON_MODEL_SOURCE_ADDED, "llama", 300);
  check_entry (entries, "copy2", HERON_MODEL_SOURCE_HERON, "llama", 300);
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* Claiming an outside file is Heron's deletes nothing. */
  g_assert_false (heron_models_remove_path (data_dir, ref, HERON_MODEL_SOURCE_HERON, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (g_file_test (ref, G_FILE_TEST_EXISTS));

  g_assert_true (heron_models_remove_path (data_dir, ref, HERON_MODEL_SOURCE_ADDED, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (ref, G_FILE_TEST_EXISTS));
  g_assert_true (heron_models_remove_path (data_dir, copied, HERON_MODEL_SOURCE_HERON, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (copied, G_FILE_TEST_EXISTS));
  g_assert_true (heron_models_remove_path (data_dir, ollama_blob, HERON_MODEL_SOURCE_OLLAMA,
                                           &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (ollama_blob, G_FILE_TEST_EXISTS));
  entries = heron_models_scan_sync (data_dir, home, NULL);
  g_assert_cmpuint (entries->len, ==, n_before - 1);
  g_assert_null (by_name (entries, "tiny:latest"));
  g_assert_null (by_name (entries, "ref2"));
  g_assert_null (by_name (entries, "copy2"));
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* Hidden is not forgotten by later additions; un-hide for the other tests. */
  {
    g_autofree char *json = NULL;
    g_autofree char *list = g_build_filename (data_dir, "models.json", NULL);

    g_assert_true (g_file_get_contents (list, &json, NULL, NULL));
    g_assert_nonnull (strstr (json, "\"hidden\""));
    g_assert_true (g_file_set_contents (list, "{\"added\": []}", -1, NULL));
  }
  entries = heron_models_scan_sync (data_dir, home, NULL);
  g_assert_cmpuint (entries->len, ==, n_before);
}

static void
test_spec (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronModelSpec) remote = heron_model_spec_resolve ("remote:deepseek/deepseek-chat",
                                                               data_dir, home, &error);
  g_autoptr(HeronModelSpec) lib = heron_model_spec_resolve ("tiny:latest", data_dir, home, &error);
  g_autoptr(HeronModelSpec) lib2 = heron_model_spec_resolve ("library:h", data_dir, home, &error);
  g_autoptr(HeronModelSpec) path = heron_model_spec_resolve (own_model, data_dir, home, &error);
  g_autofree char *spec_text = g_strconcat ("local:", own_model, NULL);
  g_autoptr(HeronModelSpec) again = heron_model_spec_resolve (spec_text, data_dir, home, &error);
  g_autoptr(HeronBackend) b = NULL;
  g_autoptr(HeronModelSpec) custom = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (remote->kind, ==, HERON_MODEL_SPEC_REMOTE);
  g_assert_cmpstr (remote->endpoint, ==, "deepseek");
  g_assert_cmpstr (remote->model, ==, "deepseek-chat");
  g_assert_cmpint (lib->kind, ==, HERON_MODEL_SPEC_LOCAL);
  g_assert_cmpstr (lib->path, ==, ollama_blob);
  g_assert_cmpstr (lib2->path, ==, hf_blob);
  g_assert_cmpstr (path->spec, ==, spec_text);
  g_assert_cmpstr (again->path, ==, own_model);

  b = heron_model_spec_create_backend (remote, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (HERON_IS_OPENAI_BACKEND (b));
  g_assert_cmpstr (heron_backend_get_name (b), ==, "deepseek-chat");
  g_assert_cmpstr (heron_openai_backend_get_base_url (HERON_OPENAI_BACKEND (b)), ==,
                   "https://api.deepseek.com");
  g_clear_object (&b);
  b = heron_model_spec_create_backend (lib, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (HERON_IS_OPENAI_BACKEND (b));
  g_clear_object (&b);

  custom = heron_model_spec_resolve ("remote:myserver/m", data_dir, home, &error);
  g_assert_null (heron_model_spec_create_backend (custom, NULL, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL);
  g_clear_error (&error);
  b = heron_model_spec_create_backend (custom, "http://127.0.0.1:9/v1", &error);
  g_assert_no_error (error);
  g_clear_object (&b);

  g_assert_null (heron_model_spec_resolve ("remote:deepseek", data_dir, home, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL);
  g_clear_error (&error);
  g_assert_null (heron_model_spec_resolve ("no-such-model", data_dir, home, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL);
  g_clear_error (&error);
  g_assert_null (heron_model_spec_resolve ("/no/such/file.gguf", data_dir, home, &error));
  g_assert_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL);
}

static void
test_route (void)
{
  HeronRoute r;

  r = heron_models_route (TRUE, TRUE, 4096, 100, "deepseek-chat");
  g_assert_false (r.use_remote);
  g_assert_null (r.notice);
  r = heron_models_route (TRUE, TRUE, 4096, 5000, "deepseek-chat");
  g_assert_true (r.use_remote);
  g_assert_nonnull (strstr (r.notice, "5000"));
  g_assert_nonnull (strstr (r.notice, "4096"));
  g_assert_nonnull (strstr (r.notice, "deepseek-chat"));
  heron_route_clear (&r);
  r = heron_models_route (TRUE, FALSE, 0, 10, "deepseek-chat");
  g_assert_true (r.use_remote);
  g_assert_nonnull (strstr (r.notice, "no local model"));
  heron_route_clear (&r);
  r = heron_models_route (FALSE, TRUE, 4096, 10, "deepseek-chat");
  g_assert_true (r.use_remote);
  g_assert_null (r.notice);
  r = heron_models_route (TRUE, FALSE, 0, 10, NULL);
  g_assert_false (r.use_remote);
}

static void
test_load_errors (void)
{
  struct { const char *engine; const char *words; } cases[] = {
    { "unsupported model architecture 'gpt2' (supported: llama, qwen2, qwen3)", "cannot run" },
    { "out of memory", "not enough memory" },
    { "truncated or corrupt file", "damaged" },
    { "something else", "Could not load" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) e = heron_models_load_error ("/m.gguf", cases[i].engine);
      g_assert_error (e, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL);
      g_assert_nonnull (strstr (e->message, cases[i].words));
      g_assert_nonnull (strstr (e->message, "/m.gguf"));
    }
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = NULL;
  const char *n;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      d = g_dir_open (path, 0, NULL);
      while (d && (n = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (path, n, NULL);
          rm_rf (p);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  {
    g_autofree char *tmp = g_dir_make_tmp ("heron-models-XXXXXX", NULL);
    char *rp = realpath (tmp, NULL);
    home = g_strdup (rp);
    free (rp);
  }
  data_dir = g_build_filename (home, "data", NULL);
  build_tree ();

  g_test_add_func ("/heron/assist/models/scan", test_scan);
  g_test_add_func ("/heron/assist/models/scan-async", test_scan_async);
  g_test_add_func ("/heron/assist/models/add-remove", test_add_remove);
  g_test_add_func ("/heron/assist/models/remove-path", test_remove_path);
  g_test_add_func ("/heron/assist/models/spec", test_spec);
  g_test_add_func ("/heron/assist/models/route", test_route);
  g_test_add_func ("/heron/assist/models/load-errors", test_load_errors);
  ret = g_test_run ();

  rm_rf (home);
  g_free (home);
  g_free (data_dir);
  g_free (ollama_blob);
  g_free (hf_blob);
  g_free (own_model);
  return ret;
}
