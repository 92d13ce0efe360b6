/* heron-title.h: a conversation's title written by the model after the first answer.
 *
 * A conversation starts titled from its first question (heron_conversation_make_title).
 * When the user allows it (GSettings key model-titles; heron-cli ask --title-by-model), a
 * short second request to the same backend asks for a 3-6 word title. Its request repeats
 * the conversation so far and only then adds the instruction, so the local engine reuses
 * its cached prompt for it and the next question still finds the conversation cached.
 * What comes back is cleaned (no reasoning, quotes, "Title:", trailing punctuation); an
 * unusable answer (empty, or not in the question's script: Chinese questions get Chinese
 * titles) keeps the question's title. The title is stored only while the conversation
 * still has its question title, so a rename by the user always wins.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-backend.h"
#include "heron-store.h"

G_BEGIN_DECLS

/* Longest title kept (characters); a longer one is cut at a word and ends with "…". */
#define HERON_TITLE_MAX_CHARS 60
/* Tokens the model may spend on a title. */
#define HERON_TITLE_MAX_TOKENS 16

/* TRUE when TEXT has Han, kana or Hangul characters. */
gboolean          heron_title_has_cjk           (const char *text);

/* The instruction that ends the title request: in Chinese for a question with CJK text,
 * in English otherwise. */
const char       *heron_title_instruction       (const char *question);

/* The request: SYSTEM_PROMPT (may be NULL), the HISTORY (HeronMessage, oldest first; only
 * their text), then the instruction. Greedy, HERON_TITLE_MAX_TOKENS, no thinking. */
HeronChatRequest *heron_title_build_request     (const char *system_prompt,
                                                 GPtrArray  *history,
                                                 gint64      session);

/* The title in RAW (what the model wrote), or NULL when there is none worth keeping.
 * QUESTION decides the script the title must be in. */
char             *heron_title_clean             (const char *raw,
                                                 const char *question);

/* Generate, clean and store the title of CONVERSATION_ID, whose HISTORY (first question
 * and answer) was just completed. Deltas arrive on the caller's main context; the store
 * writes run on its thread. Finish returns the stored title, or NULL with ERROR:
 * G_IO_ERROR_CANCELLED, the backend's error, HERON_ASSIST_ERROR_FAILED when the model
 * wrote nothing usable, G_IO_ERROR_EXISTS when the conversation was renamed meanwhile. */
void              heron_title_generate_async    (HeronBackend        *backend,
                                                 HeronStore          *store,
                                                 gint64               conversation_id,
                                                 const char          *system_prompt,
                                                 GPtrArray           *history,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char             *heron_title_generate_finish   (GAsyncResult        *result,
                                                 GError             **error);

G_END_DECLS
