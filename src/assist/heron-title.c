/* heron-title.c: a conversation's title written by the model (see heron-title.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-title"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-conversations.h"
#include "heron-title.h"
#include "heron-turn.h"

/* ---- pure parts ---------------------------------------------------------------------- */

gboolean
heron_title_has_cjk (const char *text)
{
  if (text == NULL)
    return FALSE;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      GUnicodeScript script = g_unichar_get_script (g_utf8_get_char (p));

      if (script == G_UNICODE_SCRIPT_HAN || script == G_UNICODE_SCRIPT_HIRAGANA
          || script == G_UNICODE_SCRIPT_KATAKANA || script == G_UNICODE_SCRIPT_HANGUL
          || script == G_UNICODE_SCRIPT_BOPOMOFO)
        return TRUE;
    }
  return FALSE;
}

/* Words to the model, not to the user: not translated through gettext, chosen by the
 * question's script so that a small model answers in the question's language. */
const char *
heron_title_instruction (const char *question)
{
  if (heron_title_has_cjk (question))
    return "请用 3 到 12 个字为上面的对话写一个简短的标题，使用第一个问题的语言。"
           "只回复标题本身：不要引号，不要解释，结尾不要标点。";
  return "Write a title of 3 to 6 words for the conversation above, in the language of "
         "its first question. Reply with the title only: no quotes, no explanation, no "
         "punctuation at the end.";
}

HeronChatRequest *
heron_title_build_request (const char *system_prompt,
                           GPtrArray  *history,
                           gint64      session)
{
  HeronChatRequest *req = heron_chat_request_new ();
  const char *question = NULL;

  if (system_prompt != NULL && *system_prompt != '\0')
    heron_chat_request_add_message (req, HERON_ROLE_SYSTEM, system_prompt);
  for (guint i = 0; history != NULL && i < history->len; i++)
    {
      HeronMessage *m = g_ptr_array_index (history, i);
      HeronRole role = heron_message_get_role (m);
      const char *content = heron_message_get_content (m);

      if (role == HERON_ROLE_SYSTEM || content == NULL || *content == '\0')
        continue;
      if (question == NULL && role == HERON_ROLE_USER)
        question = content;
      heron_chat_request_add_message (req, role, content);
    }
  heron_chat_request_add_message (req, HERON_ROLE_USER, heron_title_instruction (question));
  req->params.temperature = 0;
  req->params.max_tokens = HERON_TITLE_MAX_TOKENS;
  req->params.enable_thinking = FALSE;
  req->session = session;
  return req;
}

/* Drop <think>…</think> blocks, an unterminated <think> and everything after it, and
 * anything before a lone </think> (the opening tag was in the prompt). */
static void
drop_reasoning (GString *s)
{
  char *open, *close;

  close = strstr (s->str, "</think>");
  open = strstr (s->str, "<think>");
  if (close != NULL && (open == NULL || close < open))
    g_string_erase (s, 0, close - s->str + strlen ("</think>"));
  while ((open = strstr (s->str, "<think>")) != NULL)
    {
      close = strstr (open, "</think>");
      if (close == NULL)
        {
          g_string_truncate (s, open - s->str);
          break;
        }
      g_string_erase (s, open - s->str, close + strlen ("</think>") - open);
    }
}

static gboolean
is_one_of (gunichar c, const char *set)
{
  for (const char *p = set; *p; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

#define QUOTES "\"'`“”‘’「」『』《》«»〈〉"
#define MARKUP "#*_>"
#define TRAILING ".,;:!?。，；：！？…、·"

/* Remove characters of SET (and spaces) at the start (LEADING) and at the end. */
static void
trim_set (GString *s, const char *set, gboolean leading)
{
  gboolean changed = TRUE;

  while (changed && s->len > 0)
    {
      const char *last = g_utf8_find_prev_char (s->str, s->str + s->len);
      gunichar first_c = g_utf8_get_char (s->str);
      gunichar last_c = g_utf8_get_char (last);

      changed = FALSE;
      if (leading && (g_unichar_isspace (first_c) || is_one_of (first_c, set)))
        {
          g_string_erase (s, 0, g_utf8_next_char (s->str) - s->str);
          changed = TRUE;
        }
      else if (g_unichar_isspace (last_c) || is_one_of (last_c, set))
        {
          g_string_truncate (s, last - s->str);
          changed = TRUE;
        }
    }
}

static void
drop_label (GString *s)
{
  static const char *labels[] = { "title:", "title：", "标题：", "标题:", "題名：", NULL };

  for (guint i = 0; labels[i]; i++)
    if (g_ascii_strncasecmp (s->str, labels[i], strlen (labels[i])) == 0)
      {
        g_string_erase (s, 0, strlen (labels[i]));
        return;
      }
}

/* Runs of white space and control characters become one space. */
static char *
collapse_spaces (const char *text)
{
  GString *out = g_string_new ("");
  gboolean space = FALSE;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        {
          space = TRUE;
          continue;
        }
      if (space && out->len > 0)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* Cut to HERON_TITLE_MAX_CHARS characters, at a space when there is one in the second
 * half, and end with "…". */
static char *
shorten (char *title)
{
  glong n = g_utf8_strlen (title, -1);
  char *end, *space;

  if (n <= HERON_TITLE_MAX_CHARS)
    return title;
  end = g_utf8_offset_to_pointer (title, HERON_TITLE_MAX_CHARS - 1);
  *end = '\0';
  space = strrchr (title, ' ');
  if (space != NULL && g_utf8_strlen (title, space - title) >= HERON_TITLE_MAX_CHARS / 2)
    *space = '\0';
  {
    char *cut = g_strconcat (title, "…", NULL);

    g_free (title);
    return cut;
  }
}

char *
heron_title_clean (const char *raw,
                   const char *question)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) s = NULL;
  g_auto(GStrv) lines = NULL;
  const char *line = NULL;
  char *title;

  if (raw == NULL)
    return NULL;
  valid = g_utf8_make_valid (raw, -1);
  s = g_string_new (valid);
  /* Emphasis and code marks ("a *bird*") are Markdown, not part of a title; gone first,
   * so that none can hide a <think> tag from drop_reasoning. */
  for (char *p = s->str; *p;)
    if (*p == '*' || *p == '`')
      g_string_erase (s, p - s->str, 1);
    else
      p++;
  drop_reasoning (s);
  lines = g_strsplit (s->str, "\n", -1);
  for (guint i = 0; lines[i] && line == NULL; i++)
    {
      g_autoptr(GString) l = g_string_new (lines[i]);

      trim_set (l, MARKUP QUOTES, TRUE);
      if (l->len > 0)
        line = lines[i];
    }
  if (line == NULL)
    return NULL;

  g_string_assign (s, line);
  trim_set (s, MARKUP QUOTES, TRUE);
  drop_label (s);
  /* "Title." and "“Title”." and "**Title**" all come down to Title. */
  for (gsize before = 0; before != s->len;)
    {
      before = s->len;
      trim_set (s, MARKUP QUOTES, TRUE);
      trim_set (s, TRAILING, FALSE);
    }
  title = shorten (collapse_spaces (s->str));
  /* Bytes that were not UTF-8 make no title; nor does one outside the question's script
   * (checked on what is kept, after the cut). */
  if (*title == '\0' || g_utf8_strchr (title, -1, 0xfffd) != NULL
      || (heron_title_has_cjk (question) && !heron_title_has_cjk (title)))
    {
      g_free (title);
      return NULL;
    }
  return title;
}

/* ---- generation ---------------------------------------------------------------------- */

typedef struct
{
  HeronBackend *backend;
  HeronStore   *store;
  gint64        conversation_id;
  char         *question_title;  /* the title to replace; anything else is the user's */
  char         *question;
  GString      *content;
  char         *title;
} TitleJob;

static void
title_job_free (gpointer data)
{
  TitleJob *job = data;

  g_clear_object (&job->backend);
  g_clear_object (&job->store);
  g_free (job->question_title);
  g_free (job->question);
  g_string_free (job->content, TRUE);
  g_free (job->title);
  g_free (job);
}

static void
title_delta_cb (const char *content,
                const char *reasoning,
                gpointer    user_data)
{
  TitleJob *job = user_data;

  /* Reasoning is never part of a title; a model that thinks anyway is cut short by the
   * token limit and its content stays empty. */
  if (content != NULL && job->content->len < 4096)
    g_string_append (job->content, content);
}

static void
renamed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TitleJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  if (!heron_store_write_finish (HERON_STORE (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (job->title), g_free);
}

static void
got_conversation_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TitleJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(HeronConversation) conv = heron_store_get_conversation_finish (HERON_STORE (source),
                                                                            result, &error);

  if (conv == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  /* Checked and written in one main-context callback: the store runs jobs in order, so a
   * rename by the user is either seen here or queued after ours (and wins). */
  if (g_strcmp0 (heron_conversation_get_title (conv), job->question_title) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("The conversation was renamed meanwhile."));
      return;
    }
  heron_store_rename_conversation_async (job->store, job->conversation_id, job->title,
                                         g_task_get_cancellable (task), renamed_cb,
                                         g_object_ref (task));
}

static void
chat_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TitleJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(HeronChatStats) stats = heron_backend_chat_finish (HERON_BACKEND (source), result,
                                                               &error);

  if (stats == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  job->title = heron_title_clean (job->content->str, job->question);
  g_debug ("model title %s from \"%s\"", job->title ? job->title : "(none)",
           job->content->str);
  if (job->title == NULL)
    {
      g_task_return_new_error (task, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                               _("The model wrote no usable title."));
      return;
    }
  heron_store_get_conversation_async (job->store, job->conversation_id,
                                      g_task_get_cancellable (task), got_conversation_cb,
                                      g_object_ref (task));
}

void
heron_title_generate_async (HeronBackend        *backend,
                            HeronStore          *store,
                            gint64               conversation_id,
                            const char          *system_prompt,
                            GPtrArray           *history,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(HeronChatRequest) req = NULL;
  TitleJob *job;

  g_return_if_fail (HERON_IS_BACKEND (backend));
  g_return_if_fail (HERON_IS_STORE (store));
  g_return_if_fail (history != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_title_generate_async);
  job = g_new0 (TitleJob, 1);
  job->backend = g_object_ref (backend);
  job->store = g_object_ref (store);
  job->conversation_id = conversation_id;
  job->content = g_string_new ("");
  for (guint i = 0; i < history->len && job->question == NULL; i++)
    if (heron_message_get_role (g_ptr_array_index (history, i)) == HERON_ROLE_USER)
      job->question = g_strdup (heron_message_get_content (g_ptr_array_index (history, i)));
  g_task_set_task_data (task, job, title_job_free);
  if (job->question == NULL || conversation_id <= 0)
    {
      g_task_return_new_error (task, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                               _("The conversation has no question to title."));
      return;
    }
  job->question_title = heron_conversation_make_title (job->question, HERON_TURN_TITLE_CHARS);
  req = heron_title_build_request (system_prompt, history, conversation_id);
  heron_backend_chat_async (backend, req, title_delta_cb, job, cancellable, chat_done_cb,
                            g_object_ref (task));
}

char *
heron_title_generate_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
