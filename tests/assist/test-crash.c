/* test-crash.c: heron-cli ask killed with SIGKILL at random points while it streams an
 * answer from a tiny generated model, 20 times into the same database: after every kill
 * the database passes PRAGMA integrity_check, the partial answer is stored (a prefix of
 * what was printed), and the next open marks it 'interrupted'.
 *
 * Usage (meson passes these): test-crash --tap PATH/TO/heron-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "heron-store.h"
#include "heron-messages.h"
#include "make-model.h"
#include "../store/store-test-util.h"

#define N_KILLS 20

static const char *heron_cli;

/* Length of the answer being streamed, as another connection sees it; -1 when none. */
static gint64
streaming_length (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 len = -1;

  if (!g_file_test (db_path, G_FILE_TEST_EXISTS) ||
      sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return -1;
    }
  sqlite3_busy_timeout (db, 1000);
  if (sqlite3_prepare_v2 (db, "SELECT length(content) FROM messages "
                              "WHERE state = 'streaming'", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    len = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return len;
}

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
test_kill_mid_answer (void)
{
  g_autofree char *dir = test_make_tmp_dir ();
  g_autofree char *model = g_build_filename (dir, "tiny.gguf", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *db_path = g_build_filename (data, "heron.db", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  HeronTestModelSpec spec;
  char err[256] = "";
  guint kills = 0, attempts = 0;

  heron_test_model_spec_init (&spec, "llama");
  spec.n_ctx_train = 4096;
  g_assert_cmpint (heron_test_make_model (model, &spec, err, sizeof err), ==, 0);

  while (kills < N_KILLS)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out_path = g_strdup_printf ("%s/out-%u.txt", dir, attempts);
      g_autofree char *printed = NULL;
      g_autoptr(HeronStore) store = NULL;
      g_autoptr(GPtrArray) msgs = NULL;
      g_autofree char *question = g_strdup_printf ("Question number %u", attempts);
      sqlite3 *db;
      gint64 conv;
      guint delay_ms;
      gboolean exited = FALSE;

      g_assert_cmpuint (++attempts, <=, 3 * N_KILLS);
      g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
      g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_SILENCE);
      /* Greedy decoding of the random model runs until the context is full (seconds). */
      proc = g_subprocess_launcher_spawn (launcher, &error, heron_cli, "--data-dir", data,
                                          "ask", "-m", model, "-t", "1", "--temp", "0",
                                          "--ctx-size", "4096", question, NULL);
      g_assert_no_error (error);
      g_subprocess_wait_async (proc, NULL, exited_cb, &exited);

      /* Wait until part of the answer is stored, then let it run a random while more. */
      while (streaming_length (db_path) <= 0 && !exited)
        {
          g_usleep (10 * 1000);
          g_main_context_iteration (NULL, FALSE);
        }
      delay_ms = g_rand_int_range (rand, 0, 400);
      g_usleep (delay_ms * 1000);
      g_subprocess_send_signal (proc, SIGKILL);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
      if (!g_subprocess_get_if_signaled (proc))
        {
          /* It finished before the kill: not a crash mid-answer; try again. */
          g_test_message ("attempt %u finished before the kill", attempts);
          continue;
        }
      kills++;

      /* Right after the crash, before Heron opens it again. */
      db = test_raw_open (db_path);
      {
        g_autofree char *check = test_raw_text (db, "PRAGMA integrity_check");
        g_assert_cmpstr (check, ==, "ok");
      }
      if (test_raw_int (db, "SELECT count(*) FROM messages WHERE state = 'streaming'") == 0)
        {
          /* The answer ended (and was stored as complete) between the last check and the
           * kill, before the process could exit: not a kill mid-answer; try again. */
          g_autofree char *last = test_raw_text (db, "SELECT state FROM messages "
                                                     "ORDER BY id DESC LIMIT 1");

          g_assert_cmpstr (last, ==, "complete");
          sqlite3_close (db);
          g_test_message ("attempt %u completed its answer before the kill", attempts);
          continue;
        }
      g_assert_cmpint (test_raw_int (db, "SELECT count(*) FROM messages "
                                         "WHERE state = 'streaming'"), ==, 1);
      conv = test_raw_int (db, "SELECT conversation_id FROM messages "
                               "WHERE state = 'streaming'");
      sqlite3_close (db);

      g_assert_true (g_file_get_contents (out_path, &printed, NULL, NULL));
      store = heron_store_open_sync (data, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (heron_store_get_n_recovered (store), ==, 1);
      msgs = heron_store_get_messages_sync (store, conv, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (msgs->len, ==, 2);
      g_assert_cmpstr (heron_message_get_content (msgs->pdata[0]), ==, question);
      g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_INTERRUPTED);
      /* The stored answer is what had been printed, up to the last throttled write. */
      g_assert_cmpuint (strlen (heron_message_get_content (msgs->pdata[1])), >, 0);
      g_assert_true (g_str_has_prefix (printed, heron_message_get_content (msgs->pdata[1])));
      g_test_message ("kill %u after +%u ms: %zu bytes stored of %zu printed", kills, delay_ms,
                      strlen (heron_message_get_content (msgs->pdata[1])), strlen (printed));
      heron_store_close (store);
    }

  test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      heron_cli = argv[i];
  if (heron_cli == NULL)
    {
      g_printerr ("usage: test-crash [--tap] PATH/TO/heron-cli\n");
      return 2;
    }
  g_test_add_func ("/heron/assist/crash/kill-mid-answer", test_kill_mid_answer);
  return g_test_run ();
}
