/* heron-turn.h: one question -> one streamed, stored answer.
 *
 * A HeronTurn stores the question and an empty answer (state 'streaming'), builds the
 * prompt from the conversation's system prompt and its active path, streams the backend's
 * answer into the answer's HeronMessage (notify::content / notify::reasoning, and the
 * "delta" signal) and into the database at most every write-interval ms, then records the
 * final state: complete, cancelled (the partial text is kept) or error (likewise).
 * Ask, edit-and-resend and regenerate differ only in where the new messages hang in the
 * message tree (see heron-messages.h). No GTK: heron-cli and the app run the same code.
 * A turn runs one request at a time; it may be reused for the next one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-backend.h"
#include "heron-store.h"
#include "heron-conversation-model.h"

G_BEGIN_DECLS

#define HERON_TYPE_TURN (heron_turn_get_type ())
G_DECLARE_FINAL_TYPE (HeronTurn, heron_turn, HERON, TURN, GObject)

/* Characters of a title made from the first question. */
#define HERON_TURN_TITLE_CHARS 50

HeronTurn    *heron_turn_new (HeronStore *store, HeronBackend *backend);

/* The conversation to continue; 0 (the default) creates one at the next request, titled
 * from the question. notify::conversation-id tells the new id. */
void          heron_turn_set_conversation_id (HeronTurn *self, gint64 id);
gint64        heron_turn_get_conversation_id (HeronTurn *self);
/* The chat view's model of the conversation: the turn truncates it to the kept history and
 * appends the new messages to it. NULL: none. */
void          heron_turn_set_model           (HeronTurn *self, HeronConversationModel *model);
/* System prompt of a conversation the turn creates (an existing one keeps its own). */
void          heron_turn_set_system_prompt   (HeronTurn *self, const char *prompt);
void          heron_turn_set_sampling        (HeronTurn *self, const HeronSamplingParams *p);
/* Minimum time between two streaming writes of the answer (default 250 ms). */
void          heron_turn_set_write_interval  (HeronTurn *self, guint ms);
/* The model that answers the next request (switching model mid-conversation). */
void          heron_turn_set_backend         (HeronTurn *self, HeronBackend *backend);
/* The model spec ("local:...", "library:...", "remote:...") recorded as the conversation's
 * model at the next request; NULL: the backend's name, for new conversations only. */
void          heron_turn_set_model_spec      (HeronTurn *self, const char *spec);
/* Web sources for the next request only (heron-web-context.h): CONTEXT goes before the
 * question in the request (not in the stored question); SOURCES_JSON is stored with the
 * answer. NULL, NULL: none. */
void          heron_turn_set_web_context     (HeronTurn *self, const char *context,
                                              const char *sources_json);
/* "Prefer local": with REMOTE set, a request goes to REMOTE only when the local backend
 * cannot take it (LOCAL_N_CTX 0: no local model loaded; or the prompt is estimated longer
 * than LOCAL_N_CTX tokens); the answer's stats JSON then carries a "notice" saying why.
 * REMOTE NULL: every request goes to the turn's backend. See heron_models_route. */
void          heron_turn_set_fallback        (HeronTurn *self, HeronBackend *remote,
                                              int local_n_ctx);

HeronMessage *heron_turn_get_question        (HeronTurn *self);   /* NULL before/for regenerate */
HeronMessage *heron_turn_get_answer          (HeronTurn *self);
gboolean      heron_turn_get_running         (HeronTurn *self);
/* Streaming writes made by the last request (the final write not counted). */
guint         heron_turn_get_n_writes        (HeronTurn *self);

void     heron_turn_ask_async        (HeronTurn *self, const char *question,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
/* Replace the user message USER_MESSAGE_ID (and what follows it) with TEXT and answer it;
 * the old branch is kept as an alternative. */
void     heron_turn_edit_async       (HeronTurn *self, gint64 user_message_id, const char *text,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
/* A new answer to the question of the answer ANSWER_ID (the old one is kept). */
void     heron_turn_regenerate_async (HeronTurn *self, gint64 answer_id,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
/* TRUE when the answer completed. FALSE with G_IO_ERROR_CANCELLED when it was stopped, or
 * with the backend's or the store's error; the answer (if it was created) is stored with
 * its partial text in state cancelled / error either way. */
gboolean heron_turn_finish           (HeronTurn *self, GAsyncResult *result, GError **error);

/* Build the request a turn sends for HISTORY (HeronMessage, oldest first) and an optional
 * new QUESTION. Exposed for tests. */
HeronChatRequest *heron_turn_build_request (const char *system_prompt, GPtrArray *history,
                                            const char *question,
                                            const HeronSamplingParams *params);

G_END_DECLS
