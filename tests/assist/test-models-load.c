/* test-models-load.c: loading a local model reports a real progress fraction on the main
 * context, can be cancelled in the middle (and tried again), and dropping the backend gives
 * the model's memory back (resident set size measured before and after).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "heron-local-backend.h"
#include "make-model.h"

static char *dir;
static char *small_path;   /* 8 layers, n_ctx 512 */
static char *big_path;     /* ~64 MB of F32 weights */

typedef struct
{
  GArray   *seen;       /* double: every load-progress that reached the main context */
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Load;

static void
progress_cb (HeronLocalBackend *backend, GParamSpec *pspec, Load *load)
{
  double f = heron_local_backend_get_load_progress (backend);

  g_array_append_val (load->seen, f);
}

static void
loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Load *load = user_data;

  load->ok = heron_local_backend_load_finish (HERON_LOCAL_BACKEND (source), result,
                                              &load->error);
  load->done = TRUE;
}

static void
load_clear (Load *load)
{
  g_array_unref (load->seen);
  g_clear_error (&load->error);
}

static void
start_load (HeronLocalBackend *backend, GCancellable *cancellable, Load *load)
{
  memset (load, 0, sizeof *load);
  load->seen = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect (backend, "notify::load-progress", G_CALLBACK (progress_cb), load);
  heron_local_backend_load_async (backend, cancellable, loaded_cb, load);
}

static void
finish_load (HeronLocalBackend *backend, Load *load)
{
  while (!load->done)
    g_main_context_iteration (NULL, TRUE);
  /* Progress idles queued before the result still arrive. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_handlers_disconnect_by_data (backend, load);
}

static void
test_progress (void)
{
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (small_path, 0, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Load load;

  g_assert_cmpint (heron_local_backend_get_n_ctx (backend), ==, 0);
  start_load (backend, cancellable, &load);
  finish_load (backend, &load);
  g_assert_no_error (load.error);
  g_assert_true (load.ok);
  g_assert_cmpuint (load.seen->len, >=, 1);
  for (guint i = 1; i < load.seen->len; i++)
    g_assert_cmpfloat (g_array_index (load.seen, double, i), >=,
                       g_array_index (load.seen, double, i - 1));
  g_assert_cmpfloat (g_array_index (load.seen, double, load.seen->len - 1), ==, 1.0);
  g_assert_cmpfloat (heron_local_backend_get_load_progress (backend), ==, 1.0);
  /* min(the model's training context, 4096) */
  g_assert_cmpint (heron_local_backend_get_n_ctx (backend), ==, 512);
  load_clear (&load);
}

static void
delta_cb (const char *content, const char *reasoning, gpointer user_data)
{
}

static void
chat_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HeronChatStats **stats = user_data;
  g_autoptr(GError) error = NULL;

  *stats = heron_backend_chat_finish (HERON_BACKEND (source), result, &error);
  g_assert_no_error (error);
}

static void
chat_once (HeronLocalBackend *backend)
{
  g_autoptr(HeronChatRequest) req = heron_chat_request_new ();
  g_autoptr(HeronChatStats) stats = NULL;

  heron_chat_request_add_message (req, HERON_ROLE_USER, "hello");
  req->params.max_tokens = 2;
  req->params.temperature = 0;
  heron_backend_chat_async (HERON_BACKEND (backend), req, delta_cb, NULL, NULL, chat_cb,
                            &stats);
  while (stats == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (stats->prompt_tokens, >, 0);
}

/* HERON_TEST_LOAD_HOLD keeps the load at half way until it is cancelled: a cancel that is
 * known to land in the middle of the load. */
static void
test_cancel_mid_load (void)
{
  g_autoptr(HeronLocalBackend) backend = heron_local_backend_new (small_path, 0, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Load load;
  double at;

  g_setenv ("HERON_TEST_LOAD_HOLD", "0.5", TRUE);
  start_load (backend, cancellable, &load);
  g_unsetenv ("HERON_TEST_LOAD_HOLD");
  while (heron_local_backend_get_load_progress (backend) < 0.5)
    g_main_context_iteration (NULL, TRUE);
  at = heron_local_backend_get_load_progress (backend);
  g_test_message ("cancelled at %.3f", at);
  g_assert_cmpfloat (at, <, 1.0);
  g_assert_false (load.done);
  g_cancellable_cancel (cancellable);
  finish_load (backend, &load);
  g_assert_false (load.ok);
  g_assert_error (load.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (heron_local_backend_get_load_progress (backend), <, 1.0);
  g_assert_cmpint (heron_local_backend_get_n_ctx (backend), ==, 0);
  load_clear (&load);

  /* A cancelled load may be tried again, and the model then answers. */
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  start_load (backend, cancellable, &load);
  finish_load (backend, &load);
  g_assert_no_error (load.error);
  g_assert_cmpfloat (heron_local_backend_get_load_progress (backend), ==, 1.0);
  load_clear (&load);
  chat_once (backend);
}

static guint64
rss_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10) * 1024;
}

/* The weights are read (a generation touches every one), then the backend is dropped, as the
 * picker does when another model is chosen: the resident set shrinks by about the file. */
static void
test_memory_returned (void)
{
  HeronLocalBackend *backend = heron_local_backend_new (big_path, 0, 1);
  GStatBuf st;
  guint64 before, loaded, after;

  g_assert_cmpint (g_stat (big_path, &st), ==, 0);
  before = rss_bytes ();
  g_assert_true (heron_local_backend_load_sync (backend, NULL, NULL));
  chat_once (backend);
  loaded = rss_bytes ();
  g_object_unref (backend);
  after = rss_bytes ();
  g_test_message ("file %.1f MB; RSS %.1f MB before, %.1f MB loaded, %.1f MB after unload",
                  st.st_size / 1e6, before / 1e6, loaded / 1e6, after / 1e6);
  g_assert_cmpuint (loaded, >, before + (guint64) st.st_size / 2);
  g_assert_cmpuint (loaded - after, >, (guint64) st.st_size / 2);
}

static void
make (const char *path, int layers, int n_embd, int n_ff)
{
  HeronTestModelSpec spec;
  char err[256] = "";

  heron_test_model_spec_init (&spec, "llama");
  spec.n_layer = layers;
  spec.n_ctx_train = 512;
  if (n_embd > 0)
    {
      spec.n_embd = n_embd;
      spec.n_ff = n_ff;
    }
  if (heron_test_make_model (path, &spec, err, sizeof err) != 0)
    g_error ("make model: %s", err);
}

static void
rm_rf (const char *d)
{
  g_autoptr(GDir) gd = g_dir_open (d, 0, NULL);
  const char *n;

  while (gd && (n = g_dir_read_name (gd)))
    {
      g_autofree char *p = g_build_filename (d, n, NULL);
      g_unlink (p);
    }
  g_rmdir (d);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("heron-models-load-XXXXXX", NULL);
  small_path = g_build_filename (dir, "small.gguf", NULL);
  big_path = g_build_filename (dir, "big.gguf", NULL);
  make (small_path, 8, 0, 0);
  /* 4 layers of 4*512*512 + 3*512*2048 F32 weights: about 67 MB. */
  make (big_path, 4, 512, 2048);

  g_test_add_func ("/heron/assist/models-load/progress", test_progress);
  g_test_add_func ("/heron/assist/models-load/cancel-mid-load", test_cancel_mid_load);
  g_test_add_func ("/heron/assist/models-load/memory-returned", test_memory_returned);
  status = g_test_run ();
  rm_rf (dir);
  g_free (dir);
  g_free (small_path);
  g_free (big_path);
  return status;
}
