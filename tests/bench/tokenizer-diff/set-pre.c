/* set-pre.c IN OUT PRE: copies a vocabulary with tokenizer.ggml.pre replaced, so that every
 * pre-tokenizer can be compared on one vocabulary. Used by compare.sh; not built by meson.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include "gguf.h"
static bool skip (const char *k, void *ud) { (void) ud; return strcmp (k, "tokenizer.ggml.pre") == 0; }
int main (int c, char **v) {
  char err[256]; hr_gguf *g; if (hr_gguf_open (v[1], &g, err, 256)) { puts (err); return 1; }
  hr_gguf_writer *w = hr_gguf_writer_new ();
  hr_gguf_writer_copy_kv (w, g, skip, NULL);
  hr_gguf_writer_add_str (w, "tokenizer.ggml.pre", v[3]);
  if (hr_gguf_writer_write (w, v[2], err, 256)) { puts (err); return 1; }
  return 0; }
