/* heron-backend.h: HeronBackend, what answers a chat: the local engine, a remote
 * OpenAI-compatible server (issue 6), or a scripted stand-in for tests.
 *
 * A backend streams one chat completion at a time per request: deltas arrive on the
 * thread-default main context of the caller of heron_backend_chat_async, all of them before
 * the completion callback. Cancelling stops generation within a token; the completion then
 * reports stats with stop = HERON_STOP_CANCELLED (not an error), so the caller keeps what
 * was streamed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-message.h"

G_BEGIN_DECLS

#define HERON_ASSIST_ERROR (heron_assist_error_quark ())
GQuark heron_assist_error_quark (void);

typedef enum
{
  HERON_ASSIST_ERROR_FAILED,
  HERON_ASSIST_ERROR_NO_MODEL,      /* no model loaded / given */
  HERON_ASSIST_ERROR_MODEL,         /* the model could not be loaded */
  HERON_ASSIST_ERROR_TOO_LONG,      /* the conversation does not fit the context */
  HERON_ASSIST_ERROR_GENERATION,    /* the engine failed while generating */
} HeronAssistError;

typedef struct
{
  float    temperature;     /* < 0: the backend's default; 0: greedy */
  int      top_k;           /* < 0: default; 0: off */
  float    top_p;           /* < 0: default */
  float    min_p;           /* < 0: default */
  float    repeat_penalty;  /* < 0: default */
  guint64  seed;            /* G_MAXUINT64: random */
  int      max_tokens;      /* <= 0: until the model stops or the context is full */
  gboolean enable_thinking; /* models that can reason (Qwen3) */
} HeronSamplingParams;

/* Every field "default": temperature -1, ..., seed G_MAXUINT64, max_tokens 0, thinking on. */
void heron_sampling_params_init (HeronSamplingParams *params);
/* Fill the fields of PARAMS that are still "default" from a conversation's settings JSON
 * ({"temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens",
 * "enable_thinking"}; other keys are ignored). Malformed JSON changes nothing. */
void heron_sampling_params_merge_json (HeronSamplingParams *params, const char *json);

typedef struct
{
  HeronRole  role;
  char      *content;
} HeronChatMessage;

typedef struct
{
  GArray             *messages;   /* HeronChatMessage, oldest first */
  HeronSamplingParams params;
  /* Conversation id (0: none). Backends with state (the local engine's KV cache) may keep
   * it between requests of the same session; correctness never depends on it. */
  gint64              session;
} HeronChatRequest;

HeronChatRequest *heron_chat_request_new         (void);
void              heron_chat_request_free        (HeronChatRequest *request);
void              heron_chat_request_add_message (HeronChatRequest *request, HeronRole role,
                                                  const char *content);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronChatRequest, heron_chat_request_free)

typedef enum
{
  HERON_STOP_END,          /* the model ended its answer */
  HERON_STOP_LENGTH,       /* max_tokens or the context size was reached */
  HERON_STOP_CANCELLED,
} HeronStopReason;

typedef struct
{
  char            *model;                /* name for the stats line */
  int              prompt_tokens;
  int              cached_tokens;        /* prompt tokens reused from the previous turn */
  int              completion_tokens;
  double           time_to_first_token_ms;
  double           prompt_ms;
  double           generation_ms;
  double           tokens_per_second;    /* completion tokens / generation time */
  HeronStopReason  stop;
} HeronChatStats;

void  heron_chat_stats_free    (HeronChatStats *stats);
/* {"model", "prompt_tokens", "cached_tokens", "completion_tokens", "ttft_ms", "prompt_ms",
 * "gen_ms", "tokens_per_second", "stop": "end"|"length"|"cancelled"} */
char *heron_chat_stats_to_json (const HeronChatStats *stats);
/* The stats stored with a message (NULL for NULL or malformed JSON). */
HeronChatStats *heron_chat_stats_new_from_json (const char *json);
/* The quiet line under an answer: "model · 0.4 s to first token · 31.2 tokens/s". */
char *heron_chat_stats_format (const HeronChatStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronChatStats, heron_chat_stats_free)

/* New text: CONTENT (answer) and/or REASONING (<think> text), either may be NULL. */
typedef void (*HeronDeltaFunc) (const char *content, const char *reasoning, gpointer user_data);

#define HERON_TYPE_BACKEND (heron_backend_get_type ())
G_DECLARE_INTERFACE (HeronBackend, heron_backend, HERON, BACKEND, GObject)

struct _HeronBackendInterface
{
  GTypeInterface parent_iface;

  const char     *(*get_name)    (HeronBackend *self);
  void            (*chat_async)  (HeronBackend *self, const HeronChatRequest *request,
                                  HeronDeltaFunc delta_func, gpointer delta_data,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
  HeronChatStats *(*chat_finish) (HeronBackend *self, GAsyncResult *result, GError **error);
};

/* The model's name, for the stats line and the messages' model column. */
const char     *heron_backend_get_name    (HeronBackend *self);
/* REQUEST is copied. DELTA_DATA must stay valid until the callback ran. */
void            heron_backend_chat_async  (HeronBackend *self, const HeronChatRequest *request,
                                           HeronDeltaFunc delta_func, gpointer delta_data,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
HeronChatStats *heron_backend_chat_finish (HeronBackend *self, GAsyncResult *result,
                                           GError **error);

G_END_DECLS
