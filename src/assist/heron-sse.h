/* heron-sse.h: incremental Server-Sent Events parser (the WHATWG event-stream format).
 *
 * Pure: bytes go in, in chunks split anywhere (inside a line, between CR and LF, inside a
 * UTF-8 sequence), complete events come out through a callback. No I/O, no main loop, so
 * the same code is unit-tested at every split point and fuzzed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lines longer than this stop the parser (a server that never sends a newline must not
 * make us buffer without bound). */
#define HERON_SSE_MAX_LINE (8 * 1024 * 1024)

typedef struct _HeronSseParser HeronSseParser;

/* One event: EVENT is the "event:" field ("message" when absent), DATA the "data:" lines
 * joined with "\n", ID the last "id:" seen (NULL if none). Comments (": keep-alive") and
 * blank keep-alives produce no event. */
typedef void (*HeronSseEventFunc) (const char *event, const char *data, const char *id,
                                   gpointer user_data);

HeronSseParser *heron_sse_parser_new  (HeronSseEventFunc func, gpointer user_data);
void            heron_sse_parser_free (HeronSseParser *parser);
/* Feed LEN bytes. Returns FALSE once a line exceeded HERON_SSE_MAX_LINE; from then on the
 * parser ignores input. */
gboolean        heron_sse_parser_feed (HeronSseParser *parser, const char *data, gsize len);
/* End of stream. An event without its terminating blank line is dropped, as the spec
 * says; returns TRUE when such an unfinished event (or line) was pending. */
gboolean        heron_sse_parser_end  (HeronSseParser *parser);
/* Comments seen so far (": ..." lines), for tests and diagnostics. */
guint           heron_sse_parser_get_n_comments (HeronSseParser *parser);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HeronSseParser, heron_sse_parser_free)

G_END_DECLS
