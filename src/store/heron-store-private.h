/* heron-store-private.h: internals of heron-store.c shared with the other files of
 * src/store/ and with the tests (migrations at a chosen version).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "heron-store.h"

G_BEGIN_DECLS

/* PRAGMA user_version, or -1 with ERROR. */
int      heron_store_get_user_version (sqlite3 *db, GError **error);
/* Apply the migrations from the database's version up to TARGET, one transaction each. */
gboolean heron_store_migrate (sqlite3 *db, int target, GError **error);
/* The job that opens the connection on the store thread (DATA is the store's core). */
gpointer heron_store_open_job (sqlite3 *db, gpointer data, GCancellable *cancellable,
                               GError **error);

G_END_DECLS
