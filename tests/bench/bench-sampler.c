/* bench-sampler.c: CPU time per sampled token over a 151936-token vocabulary (Qwen's size)
 * for the usual sampler settings. Prints figures; asserts nothing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sampler.h"

#define N_VOCAB 151936

static double
cpu_s (void)
{
  struct timespec t;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main (void)
{
  static const struct {
    const char *name;
    int top_k;
    float top_p, min_p, temp;
  } cfg[] = {
    { "default (top-k 40, top-p 0.95, min-p 0.05, temp 0.8)", 40, 0.95f, 0.05f, 0.8f },
    { "top-p 0.95 only", 0, 0.95f, 0.0f, 1.0f },
    { "min-p 0.05 only", 0, 1.0f, 0.05f, 1.0f },
    { "temperature 1 only (full softmax)", 0, 1.0f, 0.0f, 1.0f },
    { "greedy (temp 0)", 40, 0.95f, 0.05f, 0.0f },
  };
  float *logits = malloc (N_VOCAB * sizeof *logits);
  hr_rng rng;

  /* Roughly normal logits with a spread like a small model's (sd about 3). */
  hr_rng_seed (&rng, 1);
  for (int i = 0; i < N_VOCAB; i++)
    {
      double s = 0;

      for (int j = 0; j < 4; j++)
        s += hr_rng_uniform (&rng) - 0.5;
      logits[i] = (float) (s * 6.0);
    }
  printf ("vocabulary %d, repeat penalty 1.1 over the last 64 tokens\n", N_VOCAB);
  for (size_t c = 0; c < sizeof cfg / sizeof *cfg; c++)
    {
      hr_sampler_params p;
      hr_sampler *s;
      const int n = 300;
      double t0;

      hr_sampler_params_default (&p);
      p.top_k = cfg[c].top_k;
      p.top_p = cfg[c].top_p;
      p.min_p = cfg[c].min_p;
      p.temp = cfg[c].temp;
      p.repeat_penalty = 1.1f;
      p.seed = 1;
      s = hr_sampler_new (&p, N_VOCAB);
      t0 = cpu_s ();
      for (int i = 0; i < n; i++)
        hr_sampler_accept (s, hr_sampler_sample (s, logits));
      printf ("%-55s %8.3f ms/token\n", cfg[c].name, (cpu_s () - t0) / n * 1e3);
      hr_sampler_free (s);
    }
  free (logits);
  return 0;
}
