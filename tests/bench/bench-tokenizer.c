/* bench-tokenizer.c: tokenizer figures (no pass/fail): vocabulary load time, the 46 test
 * strings of every shared vocabulary, a 1 MB mixed English/Chinese text, a 100 KB text without
 * spaces, and streaming detokenization.
 *
 * Usage: bench-tokenizer [VOCAB_DIR]   (default: $HERON_SHARED_DIR/testdata/vocab)
 *
 * Times are CPU time of this (single-threaded) process, so that other work on a shared
 * machine does not inflate them; on an idle machine they equal wall time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf.h"
#include "tokenizer.h"

static const char *const names[] = {
  "llama-spm", "phi-3", "baichuan", "qwen2", "llama-bpe", "deepseek-llm", "deepseek-coder",
  "gpt-2",
};

/* dir/ggml-vocab-NAME.gguf + suffix, malloc'd. */
static char *
vocab_path (const char *dir, const char *name, const char *suffix)
{
  size_t n = strlen (dir) + strlen (name) + strlen (suffix) + 32;
  char *p = malloc (n);
  snprintf (p, n, "%s/ggml-vocab-%s.gguf%s", dir, name, suffix);
  return p;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *
read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *buf;
  long n;

  if (!f)
    return NULL;
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  fseek (f, 0, SEEK_SET);
  buf = malloc ((size_t) n + 1);
  if (fread (buf, 1, (size_t) n, f) != (size_t) n)
    n = 0;
  buf[n] = '\0';
  fclose (f);
  *len = (size_t) n;
  return buf;
}

static int32_t
count_tokens (const hr_vocab *v, const char *text, size_t len, hr_token **buf, int32_t *cap)
{
  int32_t n = hr_tokenize (v, text, len, false, false, *buf, *cap);
  if (n > *cap)
    {
      *cap = n;
      *buf = realloc (*buf, (size_t) n * sizeof **buf);
      n = hr_tokenize (v, text, len, false, false, *buf, *cap);
    }
  return n;
}

static hr_vocab *
load (const char *dir, const char *name, hr_gguf **g, double *ms)
{
  char *path = vocab_path (dir, name, ""), err[HR_ERR_LEN];
  double t0;
  hr_vocab *v = NULL;

  t0 = now_ms ();
  if (hr_gguf_open (path, g, err, sizeof err) != 0)
    fprintf (stderr, "%s: %s\n", path, err);
  else
    {
      v = hr_vocab_load (*g, err, sizeof err);
      *ms = now_ms () - t0;
      if (!v)
        fprintf (stderr, "%s: %s\n", path, err);
    }
  free (path);
  return v;
}

int
main (int argc, char **argv)
{
  char dirbuf[4096];
  const char *dir = argc > 1 ? argv[1] : NULL;
  hr_token *buf = NULL;
  int32_t cap = 0;

  if (!dir)
    {
      const char *shared = getenv ("HERON_SHARED_DIR");
      if (!shared)
        {
          fprintf (stderr, "no vocabulary directory (give one, or set HERON_SHARED_DIR)\n");
          return 77;
        }
      snprintf (dirbuf, sizeof dirbuf, "%s/testdata/vocab", shared);
      dir = dirbuf;
    }

  printf ("%-15s %10s %14s %12s\n", "vocab", "load ms", "46 strings ms", "tokens");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      char *path;
      hr_gguf *g = NULL;
      double load_ms, t0, best = 1e30;
      size_t len = 0;
      char *inp;
      int64_t total = 0;
      hr_vocab *v = load (dir, names[i], &g, &load_ms);

      if (!v)
        {
          hr_gguf_close (g);
          continue;
        }
      path = vocab_path (dir, names[i], ".inp");
      inp = read_file (path, &len);
      free (path);
      for (int rep = 0; inp && rep < 20; rep++)
        {
          const char *sep = "\n__ggml_vocab_test__\n", *p = inp, *s;
          total = 0;
          t0 = now_ms ();
          while ((s = strstr (p, sep)))
            {
              total += count_tokens (v, p, (size_t) (s - p), &buf, &cap);
              p = s + strlen (sep);
            }
          if (now_ms () - t0 < best)
            best = now_ms () - t0;
        }
      printf ("%-15s %10.1f %14.3f %12lld\n", names[i], load_ms, best, (long long) total);
      free (inp);
      hr_vocab_free (v);
      hr_gguf_close (g);
    }

  /* 1 MB of mixed English and Chinese, and 100 KB without spaces, on qwen2. */
  {
    static const char en[] = "The quick brown fox jumps over the lazy dog; it's 12:45 and "
                             "we'll see 3.14159 reasons why. ";
    static const char zh[] = "人工智能是计算机科学的一个分支，研究如何让机器像人一样思考。";
    hr_gguf *g = NULL;
    double load_ms, t0, dt;
    hr_vocab *v = load (dir, "qwen2", &g, &load_ms);
    size_t cap_text = 1 << 20, n = 0;
    char *text = malloc (cap_text + 256);
    int32_t k;

    if (!v)
      return 1;
    for (int i = 0; n < cap_text; i++)
      {
        const char *s = (i % 3) ? en : zh;
        memcpy (text + n, s, strlen (s));
        n += strlen (s);
      }
    t0 = now_ms ();
    k = count_tokens (v, text, n, &buf, &cap);
    dt = now_ms () - t0;
    printf ("qwen2 1 MB mixed English/Chinese: %d tokens in %.1f ms (%.1f MB/s)\n", k, dt,
            n / 1e6 / (dt / 1e3));

    {
      hr_detok *d = hr_detok_new (v, false);
      char out[256];
      size_t bytes = 0;
      t0 = now_ms ();
      for (int32_t i = 0; i < k; i++)
        bytes += (size_t) hr_detok_push (d, buf[i], out, sizeof out);
      bytes += (size_t) hr_detok_flush (d, out, sizeof out);
      printf ("qwen2 streaming detokenization of those tokens: %zu bytes in %.1f ms\n", bytes,
              now_ms () - t0);
      hr_detok_free (d);
    }

    for (n = 0; n < 100000; n++)
      text[n] = "abcdefghij"[n % 7];
    t0 = now_ms ();
    k = count_tokens (v, text, n, &buf, &cap);
    printf ("qwen2 100 KB without spaces: %d tokens in %.1f ms\n", k, now_ms () - t0);
    for (n = 0; n + 3 <= 100000; n += 3)
      memcpy (text + n, "\xe4\xb8\xad", 3);
    t0 = now_ms ();
    k = count_tokens (v, text, n, &buf, &cap);
    printf ("qwen2 100 KB of one Chinese character: %d tokens in %.1f ms\n", k, now_ms () - t0);
    free (text);
    hr_vocab_free (v);
    hr_gguf_close (g);
  }
  {
    hr_gguf *g = NULL;
    double load_ms;
    hr_vocab *v = load (dir, "llama-spm", &g, &load_ms);
    char *text = malloc (100001);
    double t0;
    int32_t k;
    for (int i = 0; i < 100000; i++)
      text[i] = "abcdefghij"[i % 7];
    t0 = now_ms ();
    k = count_tokens (v, text, 100000, &buf, &cap);
    printf ("llama-spm 100 KB without spaces: %d tokens in %.1f ms\n", k, now_ms () - t0);
    free (text);
    hr_vocab_free (v);
    hr_gguf_close (g);
  }
  free (buf);
  return 0;
}
