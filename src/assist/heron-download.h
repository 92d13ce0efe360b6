/* heron-download.h: model downloads (HTTP with libsoup) that pause, resume and verify.
 *
 * A download writes DEST.part next to the final name, with a sidecar DEST.part.json
 * ({"url", "size", "sha256", "etag"}) so it can be resumed after the app restarts. Each
 * run asks for the missing range (Range + If-Range with the ETag); a server that answers
 * 200 instead is followed from the start (the part is truncated). A connection that drops
 * mid-way is resumed from where it stopped a few times before giving up. SHA-256 is
 * computed while writing (and over the existing part when resuming). At the end the part
 * is fsync'ed, its size and checksum checked, and only then renamed to DEST: the final name
 * never holds a partial or unverified file.
 *
 * Checksum policy: a part whose SHA-256 does not match is deleted with its sidecar (there is
 * nothing to resume in a wrong file) and the download fails. With no known checksum
 * (catalog entries marked unverified), the size is still checked and
 * heron_download_get_verified() says FALSE.
 *
 * Cancelling a run is "pause": the part and sidecar stay; running again resumes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One model of the download catalog. */
typedef struct
{
  const char *name;       /* short id for "heron-cli models download NAME" */
  const char *title;      /* display name (not translated: model names) */
  const char *file;       /* file name in the models folder */
  const char *url;
  guint64     size;       /* exact bytes, 0: not verified (then only approx_size is known) */
  guint64     approx_size;/* as the hub shows it (for display and the disk-space check) */
  const char *sha256;     /* lower-case hex, NULL: not verified (see above) */
} HeronCatalogEntry;

/* The catalog, terminated by an entry with name NULL. */
const HeronCatalogEntry *heron_download_catalog (void);
const HeronCatalogEntry *heron_download_catalog_lookup (const char *name);

#define HERON_TYPE_DOWNLOAD (heron_download_get_type ())
G_DECLARE_FINAL_TYPE (HeronDownload, heron_download, HERON, DOWNLOAD, GObject)

/* SIZE 0 / SHA256 NULL: unknown. */
HeronDownload *heron_download_new              (const char *url, const char *dest_path,
                                                guint64 size, const char *sha256);
/* A catalog entry into MODELS_DIR/entry->file. BASE_URL (tests, heron-cli --base-url)
 * replaces scheme://host of the entry's URL; NULL keeps it. */
HeronDownload *heron_download_new_for_entry    (const HeronCatalogEntry *entry,
                                                const char *models_dir, const char *base_url);
/* Resume what a sidecar (DEST.part.json) describes. */
HeronDownload *heron_download_new_from_sidecar (const char *sidecar_path, GError **error);
/* Downloads left unfinished in DIR (their sidecars), for resuming at startup. */
GPtrArray     *heron_download_list_pending     (const char *dir);

const char *heron_download_get_dest     (HeronDownload *self);
const char *heron_download_get_url      (HeronDownload *self);
/* Bytes in the part file / expected total (0 unknown), speed over the last seconds, and
 * the estimated seconds left (-1 unknown). Updated on the main context, where the
 * "progress" signal is emitted at most ~10 times a second. */
guint64     heron_download_get_received (HeronDownload *self);
guint64     heron_download_get_total    (HeronDownload *self);
double      heron_download_get_speed    (HeronDownload *self);
double      heron_download_get_eta      (HeronDownload *self);
/* After success: TRUE when a known SHA-256 matched. */
gboolean    heron_download_get_verified (HeronDownload *self);
/* Attempts made by the last run (1 + automatic resumes after dropped connections). */
guint       heron_download_get_attempts (HeronDownload *self);
/* Automatic resumes per run (default 5), and the wait before each (default 1000 ms). */
void        heron_download_set_retries  (HeronDownload *self, guint retries, guint wait_ms);

void     heron_download_run_async  (HeronDownload *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean heron_download_run_finish (HeronDownload *self, GAsyncResult *result, GError **error);

G_END_DECLS
