/* bench-prefix.c: prefix reuse between chat turns (issue 4). With a HISTORY-token
 * conversation already in the KV cache, the next turn appends NEW tokens; Heron keeps the
 * common prefix (hr_context_common_prefix + hr_context_truncate) and decodes only the rest.
 * Prints the time to the first token's logits for: the next turn with the cache kept, the
 * NEW tokens alone in an empty cache (the target: within 10% of this), and the whole prompt
 * re-processed (what an engine without reuse pays).
 *
 *   bench-prefix -m MODEL [--history 1000] [--new 50] [-r 3] [-t THREADS] [--no-full]
 *
 * Reuse and alone are timed back to back in each repetition; besides the means, the best
 * times and the median of the per-repetition ratios are printed, which resist the bursts of
 * load on a shared machine better than the means.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Decode tokens[from..n) after keeping the cached prefix; returns seconds or -1. */
static double
timed_turn (hr_context *c, const hr_token *tokens, int32_t n)
{
  char err[256];
  double t0 = now ();
  int32_t keep = hr_context_common_prefix (c, tokens, n);

  if (keep == n)
    keep = n - 1;     /* always evaluate at least the last token to get its logits */
  hr_context_truncate (c, keep);
  if (hr_decode (c, tokens + keep, n - keep, err, sizeof err) != HR_OK)
    {
      fprintf (stderr, "decode: %s\n", err);
      return -1;
    }
  return now () - t0;
}

int
main (int argc, char **argv)
{
  const char *path = NULL;
  int history = 1000, n_new = 50, reps = 3, threads = 0, opt;
  static const struct option longopts[] = {
    { "history", required_argument, NULL, 'H' },
    { "new", required_argument, NULL, 'N' },
    { "no-full", no_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  hr_model_params mp;
  hr_context_params cp;
  hr_model *m;
  hr_context *c;
  hr_token *tokens;
  char err[256];
  double reuse = 0, alone = 0, full = 0, best_reuse = 1e30, best_alone = 1e30, *ratio;
  int n_vocab;
  bool no_full = false;

  while ((opt = getopt_long (argc, argv, "m:r:t:", longopts, NULL)) != -1)
    switch (opt)
      {
      case 'm': path = optarg; break;
      case 'r': reps = atoi (optarg); break;
      case 't': threads = atoi (optarg); break;
      case 'H': history = atoi (optarg); break;
      case 'N': n_new = atoi (optarg); break;
      case 'F': no_full = true; break;
      default: return 2;
      }
  if (path == NULL || history < 1 || n_new < 1 || reps < 1)
    {
      fprintf (stderr, "usage: bench-prefix -m MODEL [--history N] [--new N] [-r R] [-t T]\n");
      return 2;
    }

  hr_model_params_default (&mp);
  mp.n_threads = threads;
  m = hr_model_load (path, &mp, err, sizeof err);
  if (m == NULL)
    {
      fprintf (stderr, "%s\n", err);
      return 1;
    }
  hr_context_params_default (&cp);
  cp.n_ctx = history + n_new + 16;
  cp.n_threads = threads;
  c = hr_context_new (m, &cp, err, sizeof err);
  if (c == NULL)
    {
      fprintf (stderr, "%s\n", err);
      return 1;
    }
  n_vocab = hr_model_n_vocab (m);
  tokens = malloc ((size_t) (history + n_new) * sizeof *tokens);
  ratio = malloc ((size_t) reps * sizeof *ratio);
  srand (1);

  for (int r = 0; r < reps; r++)
    {
      double t;

      for (int i = 0; i < history + n_new; i++)
        tokens[i] = rand () % n_vocab;

      /* The conversation so far is in the cache, as after the previous answer. */
      hr_context_truncate (c, 0);
      if (timed_turn (c, tokens, history) < 0)
        return 1;
      /* Next turn: history + new tokens, the history already cached. */
      if ((t = timed_turn (c, tokens, history + n_new)) < 0)
        return 1;
      reuse += t;
      best_reuse = t < best_reuse ? t : best_reuse;
      ratio[r] = t;

      /* Only the new tokens, empty cache. */
      hr_context_truncate (c, 0);
      if ((t = timed_turn (c, tokens + history, n_new)) < 0)
        return 1;
      alone += t;
      best_alone = t < best_alone ? t : best_alone;
      ratio[r] /= t;

      if (no_full)
        continue;
      /* The whole prompt again (no reuse). */
      hr_context_truncate (c, 0);
      if ((t = timed_turn (c, tokens, history + n_new)) < 0)
        return 1;
      full += t;
    }

  printf ("history %d tokens, new %d tokens, %d repetitions, threads %d\n",
          history, n_new, reps, threads);
  printf ("next turn with the cache kept: %8.1f ms\n", 1e3 * reuse / reps);
  printf ("new tokens alone, empty cache: %8.1f ms   (reuse / alone = %.2f)\n",
          1e3 * alone / reps, reuse / alone);
  if (!no_full)
    printf ("whole prompt re-processed:     %8.1f ms   (%.1fx slower than reuse)\n",
            1e3 * full / reps, full / reuse);
  /* insertion sort: a handful of values */
  for (int i = 1; i < reps; i++)
    for (int k = i; k > 0 && ratio[k - 1] > ratio[k]; k--)
      {
        double x = ratio[k];
        ratio[k] = ratio[k - 1];
        ratio[k - 1] = x;
      }
  printf ("best of %d: reuse %.1f ms, alone %.1f ms (ratio %.3f); median of the "
          "per-repetition ratios %.3f\n", reps, 1e3 * best_reuse, 1e3 * best_alone,
          best_reuse / best_alone,
          reps % 2 ? ratio[reps / 2] : (ratio[reps / 2 - 1] + ratio[reps / 2]) / 2);

  hr_context_free (c);
  hr_model_free (m);
  free (tokens);
  free (ratio);
  return 0;
}
