/* heron-download.c: resumable, verified model downloads.
 *
 * The transfer runs in a worker thread with its own SoupSession and blocking reads (the
 * main loop never waits on the network or the disk); progress goes back to the caller's
 * main context with g_main_context_invoke.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-assist"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "heron-backend.h"
#include "heron-download.h"

#define CHUNK             (256 * 1024)
#define PROGRESS_EVERY_US (100 * 1000)

/* Sizes and checksums were read from the Hugging Face file pages ("Git LFS Details"); the
 * URLs of verified entries name the commit the checksum belongs to, so a later re-upload
 * cannot make them fail. Entries whose checksum could not be confirmed have sha256 NULL
 * (the download then says the checksum is unknown); size is 0 where the page only shows a
 * rounded size. The official Qwen 0.5B file is the only one left unverified. */
static const HeronCatalogEntry catalog[] = {
  { "qwen2.5-0.5b-instruct", "Qwen2.5 0.5B Instruct (Q4_K_M)", "qwen2.5-0.5b-instruct-q4_k_m.gguf",
    "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/"
    "qwen2.5-0.5b-instruct-q4_k_m.gguf", 0, 398000000, NULL },
  /* bartowski/Qwen2.5-1.5B-Instruct-GGUF, blob page at 8555385 (986 MB). */
  { "qwen2.5-1.5b-instruct", "Qwen2.5 1.5B Instruct (Q4_K_M)", "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
    "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/"
    "85553858e3522ce5b531285b2202bdb40fab1624/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", 0, 986000000,
    "50961d9b7d3b89e46be230528fc66d38bbdda8ac3748323dd34f129a714124fc" },
  /* bartowski/Qwen2.5-3B-Instruct-GGUF, blob page at e118764 (1.93 GB). */
  { "qwen2.5-3b-instruct", "Qwen2.5 3B Instruct (Q4_K_M)", "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
    "https://huggingface.co/bartowski/Qwen2.5-3B-Instruct-GGUF/resolve/"
    "e118764d9e73c6ee4b87fe7a367df84a985a99fc/Qwen2.5-3B-Instruct-Q4_K_M.gguf", 0, 1930000000,
    "9c9f56a391a3abbd5b89d0245bf6106081bcc3173119d4229235dd9d23253f94" },
  /* bartowski/Qwen2.5-7B-Instruct-GGUF, blob page at 2fe4757 (4.68 GB); this file was
   * uploaded several times with different checksums, hence the pinned commit. */
  { "qwen2.5-7b-instruct", "Qwen2.5 7B Instruct (Q4_K_M)", "Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    "https://huggingface.co/bartowski/Qwen2.5-7B-Instruct-GGUF/resolve/"
    "2fe4757ead3ef4074d22fb567ac4e0fcdc3990c9/Qwen2.5-7B-Instruct-Q4_K_M.gguf", 0, 4680000000,
    "da5c9930891bea8fef464ab3827008e1c461000d9911be8da474e0c6772f4689" },
  /* unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF, the LFS pointer of commit 53d3061. */
  { "deepseek-r1-distill-qwen-1.5b", "DeepSeek-R1-Distill-Qwen 1.5B (Q4_K_M)",
    "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf",
    "https://huggingface.co/unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/resolve/"
    "53d3061d21f4ec2b94f42165101ee7341bad023e/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf",
    1117320576, 1120000000,
    "c2c43b6018cf7700ce0ddee8807deb1a9a26758ef878232f3a142d16df81f0fe" },
  /* unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF, blob page at 3f8e9f4 (4.68 GB). */
  { "deepseek-r1-distill-qwen-7b", "DeepSeek-R1-Distill-Qwen 7B (Q4_K_M)",
    "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
    "https://huggingface.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF/resolve/"
    "3f8e9f47a62fd61bf8efae6c066278835e9784b3/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf", 0,
    4680000000, "78272d8d32084548bd450394a560eb2d70de8232ab96a725769b1f9171235c1c" },
  { "llama-3.2-1b-instruct", "Llama 3.2 1B Instruct (Q4_K_M)", "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/"
    "d52af3776f99ddf220e5ffd3f93b2a4e4df105be/Llama-3.2-1B-Instruct-Q4_K_M.gguf", 0, 808000000,
    "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83" },
  { "llama-3.2-3b-instruct", "Llama 3.2 3B Instruct (Q4_K_M)", "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
    "https://huggingface.co/bartowski/Llama-3.2-3B-Instruct-GGUF/resolve/"
    "c346bfc2029e79ba6d7edf026cf01fe44242db0d/Llama-3.2-3B-Instruct-Q4_K_M.gguf", 0, 2020000000,
    "6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff" },
  { NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const HeronCatalogEntry *
heron_download_catalog (void)
{
  return catalog;
}

const HeronCatalogEntry *
heron_download_catalog_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);
  for (const HeronCatalogEntry *e = catalog; e->name; e++)
    if (g_ascii_strcasecmp (e->name, name) == 0)
      return e;
  return NULL;
}

enum { SIGNAL_PROGRESS, N_SIGNALS };
static guint signals[N_SIGNALS];

struct _HeronDownload
{
  GObject   parent_instance;
  char     *url;
  char     *dest;
  char     *part;
  char     *sidecar;
  guint64   size;          /* expected, 0 unknown */
  guint64   approx_size;   /* for the disk-space check when size is unknown */
  char     *sha256;
  gboolean  running;
  guint     retries;
  guint     wait_ms;

  /* Written by the worker under lock, read on the main context. */
  GMutex    lock;
  guint64   received;
  guint64   total;
  double    speed;
  double    eta;
  gboolean  verified;
  guint     attempts;
};

G_DEFINE_FINAL_TYPE (HeronDownload, heron_download, G_TYPE_OBJECT)

static void
heron_download_finalize (GObject *object)
{
  HeronDownload *self = HERON_DOWNLOAD (object);

  g_free (self->url);
  g_free (self->dest);
  g_free (self->part);
  g_free (self->sidecar);
  g_free (self->sha256);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (heron_download_parent_class)->finalize (object);
}

static void
heron_download_class_init (HeronDownloadClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = heron_download_finalize;
  /**
   * HeronDownload::progress:
   *
   * Bytes received or speed changed (at most ~10 times a second, and once at the end).
   */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
}

static void
heron_download_init (HeronDownload *self)
{
  g_mutex_init (&self->lock);
  self->retries = 5;
  self->wait_ms = 1000;
  self->eta = -1;
}

HeronDownload *
heron_download_new (const char *url,
                    const char *dest_path,
                    guint64     size,
                    const char *sha256)
{
  HeronDownload *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (dest_path != NULL, NULL);
  self = g_object_new (HERON_TYPE_DOWNLOAD, NULL);
  self->url = g_strdup (url);
  self->dest = g_strdup (dest_path);
  self->part = g_strconcat (dest_path, ".part", NULL);
  self->sidecar = g_strconcat (dest_path, ".part.json", NULL);
  self->size = size;
  self->approx_size = size;
  self->sha256 = sha256 ? g_ascii_strdown (sha256, -1) : NULL;
  self->total = size;
  return self;
}

HeronDownload *
heron_download_new_for_entry (const HeronCatalogEntry *entry,
                              const char              *models_dir,
                              const char              *base_url)
{
  g_autofree char *dest = NULL;
  g_autofree char *url = NULL;
  HeronDownload *self;

  g_return_val_if_fail (entry != NULL && models_dir != NULL, NULL);
  dest = g_build_filename (models_dir, entry->file, NULL);
  if (base_url != NULL)
    {
      /* Keep the path of the entry's URL, put it under BASE_URL. */
      const char *path = strstr (entry->url, "://");
      gsize blen = strlen (base_url);

      path = path ? strchr (path + 3, '/') : NULL;
      while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
      url = g_strdup_printf ("%.*s%s", (int) blen, base_url, path ? path : "/");
    }
  self = heron_download_new (url ? url : entry->url, dest, entry->size, entry->sha256);
  self->approx_size = entry->size ? entry->size : entry->approx_size;
  return self;
}

HeronDownload *
heron_download_new_from_sidecar (const char  *sidecar_path,
                                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const char *url, *sha;
  g_autofree char *dest = NULL;

  g_return_val_if_fail (sidecar_path != NULL, NULL);
  if (!g_str_has_suffix (sidecar_path, ".part.json"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("“%s” is not a download's description (.part.json)."), sidecar_path);
      return NULL;
    }
  if (!json_parser_load_from_mapped_file (parser, sidecar_path, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
      || !(o = json_node_get_object (json_parser_get_root (parser)))
      || !(url = json_object_get_string_member_with_default (o, "url", NULL)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The download description “%s” is damaged; delete it and start again."),
                   sidecar_path);
      return NULL;
    }
  sha = json_object_get_string_member_with_default (o, "sha256", NULL);
  dest = g_strndup (sidecar_path, strlen (sidecar_path) - strlen (".part.json"));
  return heron_download_new (url, dest, (guint64) json_object_get_int_member_with_default (o, "size", 0),
                             sha && *sha ? sha : NULL);
}

GPtrArray *
heron_download_list_pending (const char *dir)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".part.json"))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autoptr(GError) error = NULL;
        HeronDownload *dl = heron_download_new_from_sidecar (path, &error);

        if (dl)
          g_ptr_array_add (out, dl);
        else
          g_debug ("ignoring %s: %s", path, error->message);
      }
  return out;
}

const char *heron_download_get_dest (HeronDownload *self) { return self->dest; }
const char *heron_download_get_url  (HeronDownload *self) { return self->url; }

#define LOCKED_GETTER(type, name)                     \
  type heron_download_get_##name (HeronDownload *self) \
  {                                                    \
    type v;                                            \
    g_return_val_if_fail (HERON_IS_DOWNLOAD (self), 0); \
    g_mutex_lock (&self->lock);                        \
    v = self->name;                                    \
    g_mutex_unlock (&self->lock);                      \
    return v;                                          \
  }
LOCKED_GETTER (guint64, received)
LOCKED_GETTER (guint64, total)
LOCKED_GETTER (double, speed)
LOCKED_GETTER (double, eta)
LOCKED_GETTER (gboolean, verified)
LOCKED_GETTER (guint, attempts)

void
heron_download_set_retries (HeronDownload *self, guint retries, guint wait_ms)
{
  g_return_if_fail (HERON_IS_DOWNLOAD (self));
  self->retries = retries;
  self->wait_ms = wait_ms;
}

/* ---- worker ----------------------------------------------------------------------------- */

typedef struct
{
  HeronDownload *self;
  GMainContext  *context;     /* the caller's */
  GCancellable  *cancellable;
  SoupSession   *session;
  GChecksum     *checksum;
  int            fd;
  guint64        offset;      /* bytes in the part file (all in the checksum) */
  char          *etag;
  gint64         last_emit_us;
  gint64         window_us;   /* speed window start */
  guint64        window_bytes;
} Job;

static gboolean
emit_progress (gpointer data)
{
  HeronDownload *self = data;

  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  return G_SOURCE_REMOVE;
}

static void
report (Job *j, gboolean force)
{
  HeronDownload *self = j->self;
  gint64 now = g_get_monotonic_time ();

  if (!force && now - j->last_emit_us < PROGRESS_EVERY_US)
    return;
  g_mutex_lock (&self->lock);
  self->received = j->offset;
  if (now - j->window_us > 0 && j->window_bytes > 0)
    self->speed = j->window_bytes / ((now - j->window_us) / 1e6);
  self->eta = (self->total > self->received && self->speed > 0)
              ? (self->total - self->received) / self->speed : -1;
  g_mutex_unlock (&self->lock);
  /* A window of a few seconds: the speed follows changes without jumping at every chunk. */
  if (now - j->window_us > 3 * G_USEC_PER_SEC)
    {
      j->window_us = now;
      j->window_bytes = 0;
    }
  j->last_emit_us = now;
  g_main_context_invoke_full (j->context, G_PRIORITY_DEFAULT, emit_progress,
                              g_object_ref (self), g_object_unref);
}

static gboolean
write_sidecar (Job *j, GError **error)
{
  HeronDownload *self = j->self;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, self->url);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) self->size);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, self->sha256 ? self->sha256 : "");
  json_builder_set_member_name (b, "etag");
  json_builder_add_string_value (b, j->etag ? j->etag : "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  return g_file_set_contents (self->sidecar, text, -1, error);
}

/* What the sidecar of a previous run says; FALSE when it describes another download. */
static gboolean
read_sidecar (Job *j)
{
  HeronDownload *self = j->self;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const char *sha;

  if (!json_parser_load_from_mapped_file (parser, self->sidecar, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  o = json_node_get_object (json_parser_get_root (parser));
  sha = json_object_get_string_member_with_default (o, "sha256", "");
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "url", ""), self->url) != 0
      || (guint64) json_object_get_int_member_with_default (o, "size", 0) != self->size
      || g_strcmp0 (sha, self->sha256 ? self->sha256 : "") != 0)
    return FALSE;
  g_free (j->etag);
  j->etag = g_strdup (json_object_get_string_member_with_default (o, "etag", ""));
  if (j->etag && *j->etag == '\0')
    g_clear_pointer (&j->etag, g_free);
  return TRUE;
}

static gboolean
truncate_part (Job *j, GError **error)
{
  if (ftruncate (j->fd, 0) != 0 || lseek (j->fd, 0, SEEK_SET) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not write %s: %s"),
                   j->self->part, g_strerror (e));
      return FALSE;
    }
  g_checksum_reset (j->checksum);
  j->offset = 0;
  return TRUE;
}

/* Open the part, and when resuming, hash what is already there. */
static gboolean
open_part (Job *j, GError **error)
{
  HeronDownload *self = j->self;
  gboolean resume = g_file_test (self->part, G_FILE_TEST_EXISTS) && read_sidecar (j);
  guint8 *buf;
  gssize n;

  j->fd = g_open (self->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (j->fd < 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not write %s: %s"),
                   self->part, g_strerror (e));
      return FALSE;
    }
  if (!resume)
    return truncate_part (j, error);

  buf = g_malloc (CHUNK);
  while ((n = read (j->fd, buf, CHUNK)) > 0)
    {
      g_checksum_update (j->checksum, buf, n);
      j->offset += n;
      if (g_cancellable_is_cancelled (j->cancellable))
        break;
    }
  g_free (buf);
  if (n < 0)
    return truncate_part (j, error);
  if (self->size && j->offset > self->size)
    return truncate_part (j, error);
  return !g_cancellable_set_error_if_cancelled (j->cancellable, error);
}

static gboolean
check_space (Job *j, GError **error)
{
  HeronDownload *self = j->self;
  g_autofree char *dir = g_path_get_dirname (self->dest);
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileInfo) info = NULL;
  guint64 need, free_bytes;

  if (self->approx_size == 0 || self->approx_size <= j->offset)
    return TRUE;
  info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  need = self->approx_size - j->offset;
  if (need > free_bytes)
    {
      g_autofree char *n = g_format_size (need);
      g_autofree char *f = g_format_size (free_bytes);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("Not enough disk space in %s: the download needs %s more, %s is free. "
                     "Free some space and try again."), dir, n, f);
      return FALSE;
    }
  return TRUE;
}

typedef enum { STEP_DONE, STEP_RETRY, STEP_FAILED } Step;

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      gssize w = write (fd, data, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      data += w;
      len -= w;
    }
  return TRUE;
}

/* One HTTP request from j->offset. STEP_RETRY: the connection dropped, resume later. */
static Step
transfer (Job *j, GError **error)
{
  HeronDownload *self = j->self;
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GError) local = NULL;
  SoupMessageHeaders *rh;
  guint status;
  goffset start = 0, end = 0, total = 0;
  guint8 *buf;
  Step step = STEP_DONE;

  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid address."), self->url);
      return STEP_FAILED;
    }
  if (j->offset > 0)
    {
      soup_message_headers_set_range (soup_message_get_request_headers (msg), j->offset, -1);
      if (j->etag)
        soup_message_headers_replace (soup_message_get_request_headers (msg), "If-Range",
                                      j->etag);
    }
  in = soup_session_send (j->session, msg, j->cancellable, &local);
  if (in == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return STEP_FAILED;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return STEP_RETRY;
    }
  status = soup_message_get_status (msg);
  rh = soup_message_get_response_headers (msg);

  if (status == SOUP_STATUS_PARTIAL_CONTENT
      && soup_message_headers_get_content_range (rh, &start, &end, &total)
      && (guint64) start == j->offset)
    {
      /* Resuming where we stopped. */
    }
  else if (status == SOUP_STATUS_OK)
    {
      /* Range ignored (or If-Range found the file changed): start over cleanly. */
      if (j->offset > 0)
        g_debug ("%s: server sent the whole file, restarting", self->url);
      if (!truncate_part (j, error))
        return STEP_FAILED;
    }
  else if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && j->offset > 0
           && self->size != 0 && j->offset == self->size)
    return STEP_DONE;   /* everything was already there */
  else if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE
           || status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      /* A range we did not ask for: drop the part and ask for the whole file. */
      if (!truncate_part (j, error))
        return STEP_FAILED;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s sent an unexpected range"),
                   self->url);
      return STEP_RETRY;
    }
  else
    {
      if (status == SOUP_STATUS_NOT_FOUND)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("The file %s does not exist on the server (HTTP 404)."), self->url);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _("The server refused the download of %s (HTTP %u %s)."), self->url,
                     status, soup_message_get_reason_phrase (msg));
      return status >= 500 ? STEP_RETRY : STEP_FAILED;
    }

  if (soup_message_headers_get_one (rh, "ETag"))
    {
      g_free (j->etag);
      j->etag = g_strdup (soup_message_headers_get_one (rh, "ETag"));
    }
  if (self->size == 0)
    {
      goffset len = soup_message_headers_get_content_length (rh);
      g_mutex_lock (&self->lock);
      self->total = len > 0 ? j->offset + len : 0;
      g_mutex_unlock (&self->lock);
    }
  if (!write_sidecar (j, error))
    return STEP_FAILED;

  buf = g_malloc (CHUNK);
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, CHUNK, j->cancellable, &local);

      if (n < 0)
        {
          step = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? STEP_FAILED
                                                                            : STEP_RETRY;
          g_propagate_error (error, g_steal_pointer (&local));
          break;
        }
      if (n == 0)
        break;
      if (!write_all (j->fd, buf, n))
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                       _("Could not write %s: %s"), self->part, g_strerror (e));
          step = STEP_FAILED;
          break;
        }
      g_checksum_update (j->checksum, buf, n);
      j->offset += n;
      j->window_bytes += n;
      if (self->size && j->offset > self->size)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The server sent more than the expected %" PRIu64 " bytes."),
                       (uint64_t) self->size);
          step = STEP_FAILED;
          break;
        }
      report (j, FALSE);
    }
  g_free (buf);
  g_input_stream_close (in, NULL, NULL);
  /* A short body without an error (the server closed early) is a drop too. */
  if (step == STEP_DONE && self->size && j->offset < self->size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                   _("The connection closed early"));
      step = STEP_RETRY;
    }
  return step;
}

static gboolean
finish_file (Job *j, GError **error)
{
  HeronDownload *self = j->self;
  const char *sum = g_checksum_get_string (j->checksum);
  g_autofree char *dir = g_path_get_dirname (self->dest);
  int dfd;

  if (self->size && j->offset != self->size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The download of %s has %" PRIu64 " bytes instead of %" PRIu64 "."),
                   self->url, (uint64_t) j->offset, (uint64_t) self->size);
      return FALSE;
    }
  if (self->sha256 && g_ascii_strcasecmp (sum, self->sha256) != 0)
    {
      /* Policy (heron-download.h): a wrong file is not kept or resumed. */
      g_unlink (self->part);
      g_unlink (self->sidecar);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The downloaded file is damaged or not the expected one (SHA-256 %s, "
                     "expected %s). It was deleted; try again later."), sum, self->sha256);
      return FALSE;
    }
  if (fsync (j->fd) != 0 || g_rename (self->part, self->dest) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not save %s: %s"),
                   self->dest, g_strerror (e));
      return FALSE;
    }
  /* Make the rename durable before the sidecar goes. */
  dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  g_unlink (self->sidecar);
  g_mutex_lock (&self->lock);
  self->verified = self->sha256 != NULL;
  g_mutex_unlock (&self->lock);
  if (self->sha256 == NULL)
    g_message ("%s: no known checksum; SHA-256 of the file is %s", self->dest, sum);
  return TRUE;
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  HeronDownload *self = source;
  Job *j = task_data;
  g_autoptr(GError) error = NULL;
  guint tries = 0;

  j->fd = -1;
  j->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  j->session = soup_session_new_with_options ("user-agent", "Heron/" PACKAGE_VERSION,
                                              "timeout", 60, NULL);
  j->window_us = g_get_monotonic_time ();

  if (!open_part (j, &error) || !check_space (j, &error))
    goto out;
  g_mutex_lock (&self->lock);
  self->received = j->offset;
  g_mutex_unlock (&self->lock);

  for (;;)
    {
      Step step;

      g_clear_error (&error);
      g_mutex_lock (&self->lock);
      self->attempts = ++tries;
      g_mutex_unlock (&self->lock);
      step = transfer (j, &error);
      report (j, TRUE);
      if (step == STEP_DONE)
        break;
      if (step == STEP_FAILED || tries > self->retries)
        goto out;
      g_debug ("%s: resuming at %" G_GUINT64_FORMAT " after: %s", self->url, j->offset,
               error->message);
      if (g_cancellable_is_cancelled (cancellable))
        goto out;
      g_usleep ((gulong) self->wait_ms * 1000);
    }
  g_clear_error (&error);
  finish_file (j, &error);

out:
  if (j->fd >= 0)
    {
      if (error)
        fsync (j->fd);   /* keep what arrived for the next resume */
      close (j->fd);
    }
  if (error && g_file_test (self->part, G_FILE_TEST_EXISTS)
      && !g_file_test (self->sidecar, G_FILE_TEST_EXISTS))
    write_sidecar (j, NULL);
  if (error)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
job_free (gpointer data)
{
  Job *j = data;

  g_clear_object (&j->session);
  g_clear_pointer (&j->checksum, g_checksum_free);
  g_main_context_unref (j->context);
  g_free (j->etag);
  g_free (j);
}

void
heron_download_run_async (HeronDownload       *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *j;

  g_return_if_fail (HERON_IS_DOWNLOAD (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_download_run_async);
  if (self->running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("This download is already running."));
      return;
    }
  self->running = TRUE;
  j = g_new0 (Job, 1);
  j->self = self;
  j->context = g_main_context_ref_thread_default ();
  j->cancellable = cancellable;
  g_task_set_task_data (task, j, job_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

gboolean
heron_download_run_finish (HeronDownload  *self,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  self->running = FALSE;
  return g_task_propagate_boolean (G_TASK (result), error);
}
