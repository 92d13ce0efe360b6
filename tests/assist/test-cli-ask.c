/* test-cli-ask.c: heron-cli ask end to end with the scripted backend
 * (HERON_TEST_BACKEND): streamed stdout, reasoning on stderr, "conversation: ID",
 * --conversation follow-ups, --system, exit codes, Ctrl+C keeping the partial answer.
 *
 * Usage (meson passes these): test-cli-ask --tap PATH/TO/heron-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "heron-store.h"
#include "heron-conversations.h"
#include "heron-messages.h"
#include "../store/store-test-util.h"

static const char *heron_cli;
static char *dir;
static char *script_path;
static char *slow_script_path;

static const char script[] = "<think>Short thought.</think>Herons eat fish. 鹭吃鱼。";

typedef struct
{
  int   status;       /* exit status, or 128 + signal */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static Run
run_cli (const char *backend_spec, const char *data, const char *const *args)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  Run r = { 0 };

  if (backend_spec)
    g_subprocess_launcher_setenv (l, "HERON_TEST_BACKEND", backend_spec, TRUE);
  else
    g_subprocess_launcher_unsetenv (l, "HERON_TEST_BACKEND");
  g_ptr_array_add (argv, (char *) heron_cli);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, (char *) data);
  g_ptr_array_add (argv, "ask");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, &r.out, &r.err, &error);
  g_assert_no_error (error);
  r.status = g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p)
                                            : 128 + g_subprocess_get_term_sig (p);
  return r;
}

static gint64
conversation_from_stderr (const char *err)
{
  const char *at = strstr (err, "conversation: ");

  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen ("conversation: "), NULL, 10);
}

static void
test_ask_and_follow_up (void)
{
  g_autofree char *data = g_build_filename (dir, "d1", NULL);
  g_autofree char *spec = g_strdup_printf ("scripted:%s:1:3", script_path);
  Run a = run_cli (spec, data, (const char *[]) { "--system", "Be brief.", "What do herons",
                                                  "eat?", NULL });
  g_autofree char *id_arg = NULL;
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  g_autoptr(HeronConversation) conv = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;
  Run b;

  g_assert_cmpint (a.status, ==, 0);
  g_assert_cmpstr (a.out, ==, "Herons eat fish. 鹭吃鱼。\n");
  g_assert_nonnull (strstr (a.err, "[thinking]\nShort thought.\n[/thinking]\n"));
  id = conversation_from_stderr (a.err);
  g_assert_cmpint (id, >, 0);

  id_arg = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  b = run_cli (spec, data, (const char *[]) { "--conversation", id_arg, "And frogs?", NULL });
  g_assert_cmpint (b.status, ==, 0);
  g_assert_cmpint (conversation_from_stderr (b.err), ==, id);

  store = heron_store_open_sync (data, NULL, &error);
  g_assert_no_error (error);
  conv = heron_store_get_conversation_sync (store, id, NULL, &error);
  g_assert_cmpstr (heron_conversation_get_title (conv), ==, "What do herons eat?");
  g_assert_cmpstr (heron_conversation_get_system_prompt (conv), ==, "Be brief.");
  msgs = heron_store_get_messages_sync (store, id, NULL, &error);
  g_assert_cmpuint (msgs->len, ==, 4);
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[2]), ==, "And frogs?");
  g_assert_cmpstr (heron_message_get_content (msgs->pdata[3]), ==, "Herons eat fish. 鹭吃鱼。");
  g_assert_cmpstr (heron_message_get_reasoning (msgs->pdata[3]), ==, "Short thought.");
  run_clear (&a);
  run_clear (&b);
}

/* --title-by-model: the model's answer to the title request (the scripted backend says the
 * same text again) becomes the title, cleaned, printed and stored. */
static void
test_title_by_model (void)
{
  g_autofree char *data = g_build_filename (dir, "d-title", NULL);
  g_autofree char *title_script = g_build_filename (dir, "title.txt", NULL);
  g_autofree char *spec = g_strdup_printf ("scripted:%s:1:3", title_script);
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(HeronConversation) conv = NULL;
  g_autoptr(GError) error = NULL;
  Run a;

  g_assert_true (g_file_set_contents (title_script, "\"Heron Diets.\"", -1, NULL));
  a = run_cli (spec, data, (const char *[]) { "--title-by-model", "What do herons eat?",
                                              NULL });
  g_assert_cmpint (a.status, ==, 0);
  g_assert_nonnull (strstr (a.err, "title: Heron Diets\n"));
  store = heron_store_open_sync (data, NULL, &error);
  g_assert_no_error (error);
  conv = heron_store_get_conversation_sync (store, conversation_from_stderr (a.err), NULL,
                                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (heron_conversation_get_title (conv), ==, "Heron Diets");
  run_clear (&a);
}

static void
test_exit_codes (void)
{
  g_autofree char *data = g_build_filename (dir, "d2", NULL);
  g_autofree char *spec = g_strdup_printf ("scripted:%s:1:3", script_path);
  g_autofree char *bad_db_dir = g_build_filename (dir, "bad", NULL);
  g_autofree char *bad_db = g_build_filename (bad_db_dir, "heron.db", NULL);
  Run r;

  r = run_cli (spec, data, (const char *[]) { NULL });           /* no question */
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = run_cli (NULL, data, (const char *[]) { "hi", NULL });     /* no model */
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--model"));
  run_clear (&r);
  r = run_cli (spec, data, (const char *[]) { "--conversation", "777", "hi", NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "777"));
  run_clear (&r);
  r = run_cli ("scripted:/nonexistent/file", data, (const char *[]) { "hi", NULL });
  g_assert_cmpint (r.status, ==, 1);
  run_clear (&r);

  /* A broken database: a clear error naming it, and the file left alone. */
  g_assert_cmpint (g_mkdir_with_parents (bad_db_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (bad_db, "not a database at all", -1, NULL));
  r = run_cli (spec, bad_db_dir, (const char *[]) { "hi", NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, bad_db));
  {
    g_autofree char *after = NULL;
    g_assert_true (g_file_get_contents (bad_db, &after, NULL, NULL));
    g_assert_cmpstr (after, ==, "not a database at all");
  }
  run_clear (&r);
}

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Ctrl+C stops the answer; what was printed is stored, marked cancelled; exit 130. */
static void
test_sigint (void)
{
  g_autofree char *data = g_build_filename (dir, "d3", NULL);
  g_autofree char *db_path = g_build_filename (data, "heron.db", NULL);
  g_autofree char *out_path = g_build_filename (dir, "sigint-out.txt", NULL);
  g_autofree char *spec = g_strdup_printf ("scripted:%s:20:1", slow_script_path);
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HeronStore) store = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  g_autofree char *printed = NULL;
  gboolean exited = FALSE;
  gint64 len = 0;

  g_subprocess_launcher_setenv (l, "HERON_TEST_BACKEND", spec, TRUE);
  g_subprocess_launcher_set_stdout_file_path (l, out_path);
  p = g_subprocess_launcher_spawn (l, &error, heron_cli, "--data-dir", data, "ask", "Go on",
                                   NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (p, NULL, exited_cb, &exited);
  /* Wait for a stored partial answer (so the stream is running). */
  while (len <= 0 && !exited)
    {
      g_usleep (10 * 1000);
      g_main_context_iteration (NULL, FALSE);
      if (g_file_test (db_path, G_FILE_TEST_EXISTS))
        {
          sqlite3 *db = NULL;
          sqlite3_stmt *st = NULL;

          if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2 (db, "SELECT length(content) FROM messages WHERE "
                                      "state = 'streaming'", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step (st) == SQLITE_ROW)
            len = sqlite3_column_int64 (st, 0);
          sqlite3_finalize (st);
          sqlite3_close (db);
        }
    }
  g_assert_false (exited);
  g_subprocess_send_signal (p, SIGINT);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 130);

  g_assert_true (g_file_get_contents (out_path, &printed, NULL, NULL));
  store = heron_store_open_sync (data, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (heron_store_get_n_recovered (store), ==, 0);
  msgs = heron_store_get_messages_sync (store, 1, NULL, &error);
  g_assert_cmpuint (msgs->len, ==, 2);
  g_assert_cmpint (heron_message_get_state (msgs->pdata[1]), ==, HERON_MESSAGE_CANCELLED);
  {
    /* Everything printed is stored (the CLI adds one final newline). */
    g_autofree char *stored_nl = g_strconcat (heron_message_get_content (msgs->pdata[1]), "\n",
                                              NULL);
    g_assert_cmpstr (printed, ==, stored_nl);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GString) slow = g_string_new ("");
  int status;

  g_test_init (&argc, &argv, NULL);
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      heron_cli = argv[i];
  if (heron_cli == NULL)
    {
      g_printerr ("usage: test-cli-ask [--tap] PATH/TO/heron-cli\n");
      return 2;
    }
  dir = test_make_tmp_dir ();
  script_path = g_build_filename (dir, "script.txt", NULL);
  g_assert_true (g_file_set_contents (script_path, script, -1, NULL));
  for (int i = 0; i < 500; i++)
    g_string_append_printf (slow, "word%d ", i);
  slow_script_path = g_build_filename (dir, "slow.txt", NULL);
  g_assert_true (g_file_set_contents (slow_script_path, slow->str, -1, NULL));

  g_test_add_func ("/heron/assist/cli-ask/ask-and-follow-up", test_ask_and_follow_up);
  g_test_add_func ("/heron/assist/cli-ask/exit-codes", test_exit_codes);
  g_test_add_func ("/heron/assist/cli-ask/title-by-model", test_title_by_model);
  g_test_add_func ("/heron/assist/cli-ask/sigint", test_sigint);
  status = g_test_run ();
  test_rm_rf (dir);
  g_free (dir);
  g_free (script_path);
  g_free (slow_script_path);
  return status;
}
