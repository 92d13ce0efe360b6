/* heron-openai-backend.h: HeronBackend for OpenAI-compatible chat servers (DeepSeek, Ollama,
 * llama.cpp server, vLLM, OpenAI or any base URL).
 *
 * Chat uses POST {base}/chat/completions with "stream": true and reads the Server-Sent
 * Events as they arrive; "reasoning_content" deltas (DeepSeek, llama.cpp) go to the
 * reasoning channel; the final "usage" chunk fills the stats. API keys live only in the
 * keyring (libsecret, service "openai:<endpoint id>", see heron-web-secrets.h): never in
 * SQLite, GSettings or logs.
 *
 * Failure policy:
 * - 401/403: "check the key"; 404: the model is named; other 4xx: the server's message.
 * - 429: wait Retry-After (capped) and retry once, then give up with a clear message.
 * - 5xx, connection errors and timeouts before the first byte of the answer: retried with
 *   exponential backoff (max_retries times), then the last error is reported.
 * - After the first byte nothing is retried (the answer would repeat): a stream that stalls,
 *   is reset or ends without "[DONE]"/finish_reason fails with
 *   HERON_ASSIST_ERROR_GENERATION and a message saying the answer is incomplete; the deltas
 *   already delivered stay with the caller (heron-turn stores them, state "error").
 * - A data event that is not valid JSON is skipped (g_message, counted in
 *   heron_openai_backend_get_n_skipped) and the stream continues: one bad line from a proxy
 *   should not throw away an answer. {"error": ...} events end the request with that error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-backend.h"

G_BEGIN_DECLS

typedef struct
{
  const char *id;          /* "deepseek", "ollama", ... ; used in remote:ID/MODEL specs */
  const char *name;        /* N_() display name */
  const char *base_url;    /* ends in /v1 (or the provider's equivalent) */
  gboolean    needs_key;
} HeronOpenaiPreset;

/* The presets, terminated by an entry with id NULL. */
const HeronOpenaiPreset *heron_openai_presets (void);
const HeronOpenaiPreset *heron_openai_preset_lookup (const char *id);

/* The keyring service name of an endpoint's key: "openai:ENDPOINT_ID". */
char *heron_openai_secret_service (const char *endpoint_id);

#define HERON_TYPE_OPENAI_BACKEND (heron_openai_backend_get_type ())
G_DECLARE_FINAL_TYPE (HeronOpenaiBackend, heron_openai_backend, HERON, OPENAI_BACKEND, GObject)

/* BASE_URL such as "https://api.deepseek.com" or "http://localhost:11434/v1" (a trailing
 * slash is ignored). ENDPOINT_ID names the key in the keyring (NULL: no key is sent). */
HeronOpenaiBackend *heron_openai_backend_new (const char *endpoint_id, const char *base_url,
                                              const char *model);
const char *heron_openai_backend_get_model    (HeronOpenaiBackend *self);
const char *heron_openai_backend_get_base_url (HeronOpenaiBackend *self);
/* Timeouts and retries (defaults: 30 s without any byte, 3 retries from 1 s, Retry-After
 * capped at 60 s). Tests shorten them. */
void  heron_openai_backend_set_timeouts (HeronOpenaiBackend *self, guint idle_timeout_ms,
                                         guint max_retries, guint backoff_ms,
                                         guint max_retry_after_ms);
/* Data events skipped because they were not JSON, since the backend was created. */
guint heron_openai_backend_get_n_skipped (HeronOpenaiBackend *self);
/* Requests sent (retries included) since the backend was created. */
guint heron_openai_backend_get_n_requests (HeronOpenaiBackend *self);

/* GET {base}/models: the model ids, sorted (a NULL-terminated array). */
void   heron_openai_backend_list_models_async  (HeronOpenaiBackend *self,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
char **heron_openai_backend_list_models_finish (HeronOpenaiBackend *self,
                                                GAsyncResult *result, GError **error);

G_END_DECLS
