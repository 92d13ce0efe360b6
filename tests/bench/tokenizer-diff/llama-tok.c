/* llama-tok.c: the same with llama.cpp's libllama (vocab-only load, llama_tokenize), for
 * differential checks. Used by compare.sh; not built by meson.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
static void quiet(enum ggml_log_level l, const char *t, void *u) { (void)l;(void)t;(void)u; }
int main(int c, char **v) {
  llama_log_set(quiet, NULL);
  llama_backend_init();
  struct llama_model_params mp = llama_model_default_params(); mp.vocab_only = true;
  struct llama_model *m = llama_model_load_from_file(v[1], mp); if (!m) return 1;
  const struct llama_vocab *vv = llama_model_get_vocab(m);
  FILE *f = fopen(v[2], "rb"); fseek(f,0,SEEK_END); long n=ftell(f); fseek(f,0,SEEK_SET);
  char *b = malloc(n+1); fread(b,1,n,f); b[n]=0; int ps = atoi(v[3]);
  const char *sep = "\n__ggml_vocab_test__\n"; char *p=b, *s; static llama_token t[100000];
  while ((s = strstr(p, sep))) { int k = llama_tokenize(vv, p, s-p, t, 100000, false, ps);
    for (int i=0;i<k;i++) printf(" %d", t[i]); printf("\n"); p = s + strlen(sep); }
  return 0; }
