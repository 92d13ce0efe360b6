/* bench-forward.c: prompt and generation speed of the engine's forward pass in llama-bench's
 * sense (pp: one batch of N prompt tokens from an empty cache; tg: N single-token decodes),
 * and a logits dump for comparisons with llama.cpp.
 *
 *   bench-forward -m MODEL [-p 128,512] [-n 64] [-r 3] [-t THREADS] [-d DEPTH]
 *
 * -d DEPTH: tg runs after DEPTH tokens are already in the cache (llama-bench's -d), where
 * attention over the cache adds to the weight reads.
 *   bench-forward -m MODEL --tokens FILE --dump OUT.f32    (last position's logits)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static void
stats (const double *v, int n, double *mean, double *sd)
{
  double s = 0, q = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++)
    q += (v[i] - *mean) * (v[i] - *mean);
  *sd = n > 1 ? sqrt (q / (n - 1)) : 0;
}

static int
dump (hr_model *m, hr_context *c, const char *tokens_path, const char *out_path)
{
  FILE *f = fopen (tokens_path, "r");
  int cap = 1 << 16, n = 0, nv = hr_model_n_vocab (m);
  hr_token *t = malloc ((size_t) cap * sizeof *t);
  char err[256];
  FILE *o;

  if (f == NULL)
    {
      perror (tokens_path);
      return 1;
    }
  while (n < cap && fscanf (f, "%d", &t[n]) == 1)
    n++;
  fclose (f);
  if (hr_decode (c, t, n, err, sizeof err) != HR_OK)
    {
      fprintf (stderr, "decode: %s\n", err);
      return 1;
    }
  o = fopen (out_path, "wb");
  if (o == NULL || fwrite (hr_context_logits (c), sizeof (float), (size_t) nv, o) != (size_t) nv)
    {
      perror (out_path);
      return 1;
    }
  fclose (o);
  fprintf (stderr, "n_tokens %d n_vocab %d\n", n, nv);
  free (t);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *model = NULL, *pp_list = "128,512", *tokens = NULL, *out = NULL;
  int n_gen = 64, reps = 3, threads = 0, depth = 0, c;
  hr_model_params mp;
  hr_context_params cp;
  hr_model *m;
  hr_context *ctx;
  char err[256] = "";
  static const struct option opts[] = {
    { "model", required_argument, NULL, 'm' }, { "n-prompt", required_argument, NULL, 'p' },
    { "n-gen", required_argument, NULL, 'n' }, { "reps", required_argument, NULL, 'r' },
    { "threads", required_argument, NULL, 't' }, { "tokens", required_argument, NULL, 'T' },
    { "dump", required_argument, NULL, 'D' }, { "depth", required_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  double t0;
  struct rusage ru;

  while ((c = getopt_long (argc, argv, "m:p:n:r:t:d:", opts, NULL)) != -1)
    switch (c)
      {
      case 'm': model = optarg; break;
      case 'p': pp_list = optarg; break;
      case 'n': n_gen = atoi (optarg); break;
      case 'r': reps = atoi (optarg); break;
      case 't': threads = atoi (optarg); break;
      case 'd': depth = atoi (optarg); break;
      case 'T': tokens = optarg; break;
      case 'D': out = optarg; break;
      default:
        fprintf (stderr, "usage: bench-forward -m MODEL [-p 128,512] [-n 64] [-r 3] [-t N] "
                 "[-d DEPTH] [--tokens FILE --dump OUT]\n");
        return 2;
      }
  if (model == NULL || reps < 1 || depth < 0 || depth + n_gen + 1 > 4096)
    {
      fprintf (stderr, "bench-forward: -m MODEL required\n");
      return 2;
    }
  hr_model_params_default (&mp);
  mp.n_threads = threads;
  t0 = now ();
  m = hr_model_load (model, &mp, err, sizeof err);
  if (m == NULL)
    {
      fprintf (stderr, "load: %s\n", err);
      return 1;
    }
  fprintf (stderr, "load %.3f s\n", now () - t0);
  hr_context_params_default (&cp);
  cp.n_ctx = 4096;
  if (getenv ("HERON_KV_F32") != NULL)
    cp.kv_type = HR_TYPE_F32;
  ctx = hr_context_new (m, &cp, err, sizeof err);
  if (ctx == NULL)
    {
      fprintf (stderr, "context: %s\n", err);
      return 1;
    }
  if (tokens != NULL && out != NULL)
    {
      int rc = dump (m, ctx, tokens, out);
      hr_context_free (ctx);
      hr_model_free (m);
      return rc;
    }

  {
    int nv = hr_model_n_vocab (m);
    hr_token *t = malloc (4096 * sizeof *t);
    double *v = malloc ((size_t) reps * sizeof *v), mean, sd;
    char *list = strdup (pp_list), *save = NULL;

    for (int i = 0; i < 4096; i++)
      t[i] = (hr_token) ((i * 7919u + 13u) % (unsigned) nv);
    /* warm-up: page in the weights */
    hr_decode (ctx, t, 8, err, sizeof err);
    for (char *tok = strtok_r (list, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
      {
        int np = atoi (tok);
        if (np <= 0 || np > 4000)
          continue;
        for (int r = 0; r < reps; r++)
          {
            hr_context_truncate (ctx, 0);
            t0 = now ();
            if (hr_decode (ctx, t, np, err, sizeof err) != HR_OK)
              {
                fprintf (stderr, "decode: %s\n", err);
                return 1;
              }
            v[r] = np / (now () - t0);
          }
        stats (v, reps, &mean, &sd);
        printf ("pp%d\t%.2f ± %.2f tok/s\n", np, mean, sd);
      }
    for (int r = 0; r < reps && n_gen > 0; r++)
      {
        hr_context_truncate (ctx, 0);
        for (int done = 0; done < depth + 1; done += 512)
          if (hr_decode (ctx, t + done, depth + 1 - done < 512 ? depth + 1 - done : 512, err,
                         sizeof err) != HR_OK)
            {
              fprintf (stderr, "decode: %s\n", err);
              return 1;
            }
        t0 = now ();
        for (int i = 0; i < n_gen; i++)
          if (hr_decode (ctx, t + depth + 1 + i, 1, err, sizeof err) != HR_OK)
            {
              fprintf (stderr, "decode: %s\n", err);
              return 1;
            }
        v[r] = n_gen / (now () - t0);
      }
    if (n_gen > 0)
      {
        stats (v, reps, &mean, &sd);
        if (depth > 0)
          printf ("tg%d @ d%d\t%.2f ± %.2f tok/s\n", n_gen, depth, mean, sd);
        else
          printf ("tg%d\t%.2f ± %.2f tok/s\n", n_gen, mean, sd);
      }
    free (t);
    free (v);
    free (list);
  }
  getrusage (RUSAGE_SELF, &ru);
  printf ("peak RSS %.1f MiB, weights %.1f MiB\n", ru.ru_maxrss / 1024.0,
          hr_model_weights_size (m) / 1048576.0);
  hr_context_free (ctx);
  hr_model_free (m);
  return 0;
}
