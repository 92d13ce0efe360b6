/* heron-local-backend.h: HeronBackend running a GGUF model with Heron's engine.
 *
 * One owner thread per loaded model runs every engine call (load, prompt, generation);
 * requests queue up on it. The context (KV cache) is kept between requests, and a prompt
 * that starts like what is in the cache (the next turn of the same conversation) only
 * evaluates the new tokens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-backend.h"

G_BEGIN_DECLS

#define HERON_TYPE_LOCAL_BACKEND (heron_local_backend_get_type ())
G_DECLARE_FINAL_TYPE (HeronLocalBackend, heron_local_backend, HERON, LOCAL_BACKEND, GObject)

/* N_CTX 0: min(the model's training context, 4096). N_THREADS 0: the engine's default. */
HeronLocalBackend *heron_local_backend_new (const char *model_path, int n_ctx, int n_threads);
const char        *heron_local_backend_get_path (HeronLocalBackend *self);

/* Load the model on the owner thread. Chat requests made before loading finished wait
 * for it; a failed load makes them fail with the same error. Cancelling stops the load
 * between layers (G_IO_ERROR_CANCELLED) and frees what was read; it may be tried again.
 * Meanwhile notify::load-progress (0..1) tells how far it got, on the thread-default main
 * context of the caller. Tests: with HERON_TEST_LOAD_HOLD=F in the environment, a load
 * given a GCancellable stops at fraction F until it is cancelled. */
void     heron_local_backend_load_async  (HeronLocalBackend *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean heron_local_backend_load_finish (HeronLocalBackend *self, GAsyncResult *result,
                                          GError **error);
gboolean heron_local_backend_load_sync   (HeronLocalBackend *self, GCancellable *cancellable,
                                          GError **error);
/* The last fraction of the load that reached the main context ("load-progress"). */
double   heron_local_backend_get_load_progress (HeronLocalBackend *self);
/* The context size chats get (tokens); 0 until the model is loaded. */
int      heron_local_backend_get_n_ctx   (HeronLocalBackend *self);

G_END_DECLS
