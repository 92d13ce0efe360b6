/* heron-models.h: the model library (local GGUF files: Heron's folder, files the user added,
 * and what other tools keep on disk), model specs ("which model answers"), and the routing
 * decision between a local and a remote model.
 *
 * Sources scanned (HOME-relative unless said otherwise):
 *   DATA_DIR/models (*.gguf)                   Heron's own folder (downloads, copies)
 *   DATA_DIR/models.json                       {"added": [paths], "hidden": [paths]}: files
 *                                              added by reference; files found elsewhere
 *                                              that the user hid (left out of scans)
 *   .ollama/models                             manifests/registry.ollama.ai/library/NAME/TAG
 *                                              -> blobs/sha256-HEX, named NAME:TAG
 *   .lmstudio/models, .cache/lm-studio/models  LM Studio (nested folders)
 *   .local/share/nomic.ai/GPT4All              GPT4All
 *   .cache/llama.cpp                           llama.cpp's download cache
 *   .cache/huggingface/hub: models--ORG--REPO/snapshots/REV/FILE.gguf (symlinks to blobs)
 * Files are deduplicated by real path (the first source in this order wins). Split GGUFs are
 * listed once (their first part); mmproj files are skipped. Metadata comes from
 * hr_model_info_read (header only, no weights).
 *
 * Model specs (conversations.model, --model):
 *   local:/path/file.gguf | library:NAME | remote:ENDPOINT/MODEL
 * and, as typed by a user, a path or a bare library name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "heron-backend.h"

G_BEGIN_DECLS

typedef enum
{
  HERON_MODEL_SOURCE_HERON,
  HERON_MODEL_SOURCE_ADDED,
  HERON_MODEL_SOURCE_OLLAMA,
  HERON_MODEL_SOURCE_LMSTUDIO,
  HERON_MODEL_SOURCE_GPT4ALL,
  HERON_MODEL_SOURCE_LLAMACPP,
  HERON_MODEL_SOURCE_HUGGINGFACE,
} HeronModelSource;

/* "heron", "added", "ollama", "lmstudio", "gpt4all", "llama.cpp", "huggingface". */
const char *heron_model_source_to_string (HeronModelSource source);

typedef struct
{
  char             *name;            /* Ollama NAME:TAG, else the file name without .gguf */
  char             *path;            /* real path */
  HeronModelSource  source;
  char             *architecture;    /* NULL when unreadable */
  guint64           n_params;
  char             *quantization;    /* "Q4_K_M", else the main tensor type; NULL unreadable */
  guint64           file_size;
  gint64            context_length;
  gboolean          supported;       /* an architecture Heron runs */
  guint64           memory_needed;   /* estimate at the default context */
  gboolean          fits;            /* memory_needed <= MemAvailable */
  char             *error;           /* why the metadata could not be read, or NULL */
} HeronModelEntry;

void heron_model_entry_free (HeronModelEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronModelEntry, heron_model_entry_free)

/* MemAvailable from /proc/meminfo in bytes (0 when unknown). */
guint64    heron_models_mem_available (void);

/* HOME NULL: the user's home. Returns HeronModelEntry, sorted by source then name. */
GPtrArray *heron_models_scan_sync   (const char *data_dir, const char *home,
                                     GCancellable *cancellable);
/* The same in a worker thread. */
void       heron_models_scan_async  (const char *data_dir, const char *home,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
GPtrArray *heron_models_scan_finish (GAsyncResult *result, GError **error);

/* Add a GGUF (checked to be one first). COPY: into DATA_DIR/models (through a .part file);
 * else by reference in DATA_DIR/models.json. Returns the entry's name. */
char      *heron_models_add    (const char *data_dir, const char *path, gboolean copy,
                                GError **error);
/* Remove NAME from the library: a reference is forgotten, a file in Heron's folder deleted;
 * files other tools manage are refused (with where to remove them). */
gboolean   heron_models_remove (const char *data_dir, const char *home, const char *name,
                                GError **error);
/* The same in a worker thread; returns the path of the file in the library (the copy, or
 * the real path of the reference). */
void       heron_models_add_async  (const char *data_dir, const char *path, gboolean copy,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
char      *heron_models_add_finish (GAsyncResult *result, GError **error);
/* Remove the entry of PATH (as scanned, with its SOURCE) from the library: a reference is
 * forgotten, a file in DATA_DIR/models deleted (nothing outside that folder ever is), and a
 * file another tool keeps is only hidden from later scans. */
gboolean   heron_models_remove_path        (const char *data_dir, const char *path,
                                            HeronModelSource source, GError **error);
void       heron_models_remove_path_async  (const char *data_dir, const char *path,
                                            HeronModelSource source, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
gboolean   heron_models_remove_path_finish (GAsyncResult *result, GError **error);

typedef enum
{
  HERON_MODEL_SPEC_LOCAL,
  HERON_MODEL_SPEC_REMOTE,
} HeronModelSpecKind;

typedef struct
{
  HeronModelSpecKind kind;
  char *spec;        /* canonical: "local:/real/path.gguf" or "remote:ENDPOINT/MODEL" */
  char *path;        /* LOCAL */
  char *endpoint;    /* REMOTE: preset id (see heron-openai-backend.h) */
  char *model;       /* REMOTE */
} HeronModelSpec;

void heron_model_spec_free (HeronModelSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronModelSpec, heron_model_spec_free)

/* The shared resolver of --model (ask, generate) and conversations.model: TEXT is a spec, a
 * path, or a library name (scanned under DATA_DIR and HOME, NULL: the user's). */
HeronModelSpec *heron_model_spec_resolve (const char *text, const char *data_dir,
                                          const char *home, GError **error);
/* For commands that run the engine directly (heron-cli generate): the file TEXT names; a
 * remote spec is an error that says so. */
char           *heron_model_spec_resolve_path (const char *text, const char *data_dir,
                                               GError **error);
/* A backend for SPEC: a HeronLocalBackend (not yet loaded) or a HeronOpenaiBackend.
 * BASE_URL overrides the endpoint preset's address (tests, custom servers). */
HeronBackend   *heron_model_spec_create_backend (const HeronModelSpec *spec,
                                                 const char *base_url, GError **error);

/* Routing with "prefer local": which model takes a turn. */
typedef struct
{
  gboolean use_remote;
  char    *notice;     /* why the remote model answered (for the message's stats), or NULL */
} HeronRoute;

/* LOCAL_N_CTX 0 / LOCAL_AVAILABLE FALSE: no local model loaded. REMOTE_NAME NULL: none
 * chosen. Without prefer_local the chosen (remote) model is used whenever there is one. */
HeronRoute heron_models_route (gboolean prefer_local, gboolean local_available, int local_n_ctx,
                               int prompt_tokens, const char *remote_name);
void       heron_route_clear  (HeronRoute *route);
/* Tokens a request will take, estimated without a tokenizer (UTF-8 bytes / 4, rounded up,
 * plus a few per message for the template). */
int        heron_models_estimate_tokens (const HeronChatRequest *request);
/* STATS_JSON with a "notice" member added (a new string; NULL STATS_JSON gives NULL). */
char      *heron_models_stats_add_notice (const char *stats_json, const char *notice);
/* The "notice" of STATS_JSON (a new string), or NULL. */
char      *heron_models_stats_get_notice (const char *stats_json);

/* Plain words for a load failure of the engine (its message in ENGINE_MESSAGE), with what to
 * do: unsupported architecture, corrupt/truncated file, not enough memory, else generic. */
GError *heron_models_load_error (const char *path, const char *engine_message);

G_END_DECLS
