/* heron-tok.c: prints Heron's ids for each string of an .inp file (one line per string, as the
 * .out files). Used by compare.sh; not built by meson.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gguf.h"
#include "tokenizer.h"
int main(int c, char **v) {
  char err[256]; hr_gguf *g; if (hr_gguf_open(v[1], &g, err, 256)) return 1;
  hr_vocab *vv = hr_vocab_load(g, err, 256); if (!vv) { puts(err); return 1; }
  FILE *f = fopen(v[2], "rb"); fseek(f,0,SEEK_END); long n=ftell(f); fseek(f,0,SEEK_SET);
  char *b = malloc(n+1); fread(b,1,n,f); b[n]=0; int ps = atoi(v[3]);
  const char *sep = "\n__ggml_vocab_test__\n"; char *p=b, *s; hr_token t[100000];
  while ((s = strstr(p, sep))) { int k = hr_tokenize(vv, p, s-p, false, ps, t, 100000);
    for (int i=0;i<k;i++) printf(" %d", t[i]); printf("\n"); p = s + strlen(sep); }
  return 0; }
