/* heron-scripted-backend.h: a HeronBackend that streams a given text at a given rate,
 * for tests and for UI tests without a model (heron-cli and the app pick it when the
 * environment has HERON_TEST_BACKEND=scripted:FILE[:INTERVAL_MS[:CHARS_PER_DELTA]]).
 * <think>…</think> at the start of the text streams as reasoning.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-backend.h"

G_BEGIN_DECLS

#define HERON_TYPE_SCRIPTED_BACKEND (heron_scripted_backend_get_type ())
G_DECLARE_FINAL_TYPE (HeronScriptedBackend, heron_scripted_backend, HERON, SCRIPTED_BACKEND,
                      GObject)

/* Stream TEXT in pieces of CHARS_PER_DELTA characters, one every INTERVAL_MS. */
HeronScriptedBackend *heron_scripted_backend_new (const char *text, guint interval_ms,
                                                  guint chars_per_delta);
/* From HERON_TEST_BACKEND's value "scripted:FILE[:INTERVAL_MS[:CHARS]]"; NULL + ERROR when
 * the value is malformed or the file cannot be read. */
HeronScriptedBackend *heron_scripted_backend_new_from_spec (const char *spec, GError **error);
/* The backend HERON_TEST_BACKEND asks for, or NULL: NULL without ERROR when the variable is
 * unset or empty (use the real backend then). */
HeronBackend *heron_test_backend_new_from_env (GError **error);
/* Fail with ERROR_MESSAGE after N_DELTAS pieces (tests of the error path). */
void heron_scripted_backend_set_fail_after (HeronScriptedBackend *self, guint n_deltas,
                                            const char *error_message);
/* The last request received (for tests: what the turn sent), or NULL. */
const HeronChatRequest *heron_scripted_backend_get_last_request (HeronScriptedBackend *self);

G_END_DECLS
