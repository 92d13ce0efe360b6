/* bench-quants.c: speed of the dot-product kernels per type and SIMD level.
 *
 * Prints, for a 896 x 4864 weight matrix (a Qwen2.5-0.5B FFN shape) times one activation
 * vector: GB/s of weight bytes and GFLOP/s, with the matrix hot in cache and with many
 * copies streamed from memory (like a model's layers during generation, on 1 and 2
 * threads); then the tile kernel at batch 32 and 128 (prompt processing).
 * Figures, not asserts: run it by hand, `meson test --suite bench` or directly.
 *
 * Usage: bench-quants [TYPE...] [--level avx2] [--quick]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "quants.h"

#define ROWS 896
#define COLS 4864

/* The machine is shared: single-thread figures use this thread's CPU time (time it was
 * actually running), best of several runs; two-thread figures use wall time. */
static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static float
rnd (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float) ((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

/* Anonymous memory, with or without transparent huge pages (REFERENCE.md: 2 MiB pages read
 * markedly faster here). */
static void *
alloc_big (size_t size, bool huge)
{
  void *p = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    {
      perror ("mmap");
      exit (1);
    }
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  madvise (p, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
  return p;
}

typedef struct
{
  hr_type t;
  const char *w;     /* ncopies matrices back to back */
  size_t mat_bytes;
  size_t row_bytes;
  int ncopies;
  const void *x;
  float *out;
  int r0, r1;        /* rows of each matrix this thread does */
  int reps;
} job;

static void *
run_job (void *data)
{
  job *j = data;
  for (int rep = 0; rep < j->reps; rep++)
    for (int m = 0; m < j->ncopies; m++)
      {
        const char *w = j->w + (size_t) m * j->mat_bytes;
        for (int r = j->r0; r < j->r1; r++)
          j->out[r] = hr_vec_dot (j->t, COLS, w + (size_t) r * j->row_bytes, j->x);
      }
  return NULL;
}

/* Seconds per matrix-vector product over ncopies matrices, on nthreads. */
static double
time_matvec (hr_type t, const char *w, size_t mat_bytes, int ncopies, const void *x,
             float *out, int nthreads, int reps)
{
  pthread_t th[8];
  job jobs[8];
  double t0, best = 1e30;

  for (int i = 0; i < nthreads; i++)
    {
      jobs[i] = (job) { t, w, mat_bytes, hr_type_row_size (t, COLS), ncopies, x, out,
                        ROWS * i / nthreads, ROWS * (i + 1) / nthreads, reps };
    }
  if (nthreads == 1)
    {
      for (int k = 0; k < 5; k++)
        {
          t0 = cpu_now ();
          run_job (&jobs[0]);
          if (cpu_now () - t0 < best)
            best = cpu_now () - t0;
        }
      return best / ((double) reps * ncopies);
    }
  t0 = now ();
  for (int i = 1; i < nthreads; i++)
    pthread_create (&th[i], NULL, run_job, &jobs[i]);
  run_job (&jobs[0]);
  for (int i = 1; i < nthreads; i++)
    pthread_join (th[i], NULL);
  return (now () - t0) / ((double) reps * ncopies);
}

static void
bench_type (hr_type t, bool quick)
{
  const hr_type_traits *tr = hr_type_get_traits (t);
  hr_type vt = tr->vec_dot_type;
  size_t mat = hr_type_row_size (t, COLS) * ROWS;
  int ncopies = (int) ((quick ? 64 : 256) * 1048576.0 / mat) + 1;
  char *w = alloc_big (mat * ncopies, true);
  char *w4k = alloc_big (mat * ncopies, false);
  float *f = malloc (sizeof (float) * COLS * 128);
  char *x = malloc (hr_type_row_size (vt, COLS) * 128);
  float *out = malloc (sizeof (float) * ROWS * 128);
  double flop = 2.0 * ROWS * COLS, s;
  const char *levels[] = { "scalar", "avx2", "avx512" };

  for (int r = 0; r < ROWS; r++)
    {
      for (int i = 0; i < COLS; i++)
        f[i] = 0.05f * rnd ();
      hr_quantize_row (t, f, w + r * hr_type_row_size (t, COLS), COLS);
    }
  for (int m = 1; m < ncopies; m++)
    memcpy (w + m * mat, w, mat);
  memcpy (w4k, w, mat * ncopies);
  for (int c = 0; c < 128; c++)
    {
      for (int i = 0; i < COLS; i++)
        f[i] = rnd ();
      hr_quantize_row (vt, f, x + c * hr_type_row_size (vt, COLS), COLS);
    }

  for (int l = 0; l < 3; l++)
    {
      if (!hr_quants_set_level (levels[l]))
        continue;
      if (l == 0 && quick)
        continue;
      printf ("%-5s %-6s", tr->name, levels[l]);
      s = time_matvec (t, w, mat, 1, x, out, 1, l == 0 ? 1 : 20);
      printf ("  hot 1t %6.1f GB/s %6.1f GFLOP/s", mat / s * 1e-9, flop / s * 1e-9);
      if (l > 0)
        {
          s = time_matvec (t, w, mat, ncopies, x, out, 1, 1);
          printf (" | mem 1t %5.1f GB/s", mat / s * 1e-9);
          s = time_matvec (t, w, mat, ncopies, x, out, 2, 2);
          printf (" 2t %5.1f GB/s", mat / s * 1e-9);
          s = time_matvec (t, w4k, mat, ncopies, x, out, 2, 2);
          printf (" 2t-4k %5.1f GB/s", mat / s * 1e-9);
          for (int b = 32; b <= 128; b *= 4)
            {
              size_t xs = hr_type_row_size (vt, COLS);
              s = 1e30;
              for (int rep = 0; rep < 3; rep++)
                {
                  double t0 = cpu_now ();
                  hr_vec_dot_tile (t, COLS, w, hr_type_row_size (t, COLS), ROWS, x, xs, b, out,
                                   (size_t) b);
                  if (cpu_now () - t0 < s)
                    s = cpu_now () - t0;
                }
              printf (" | tile b%-3d %6.1f GFLOP/s", b, flop * b / s * 1e-9);
            }
        }
      printf ("\n");
      fflush (stdout);
    }
  hr_quants_set_level (NULL);
  munmap (w, mat * ncopies);
  munmap (w4k, mat * ncopies);
  free (f);
  free (x);
  free (out);
}

int
main (int argc, char **argv)
{
  hr_type types[] = { HR_TYPE_Q8_0, HR_TYPE_Q4_K, HR_TYPE_Q5_0, HR_TYPE_Q6_K, HR_TYPE_F16,
                      HR_TYPE_Q4_0, HR_TYPE_Q5_K, HR_TYPE_Q3_K, HR_TYPE_Q2_K, HR_TYPE_Q4_1,
                      HR_TYPE_Q5_1, HR_TYPE_BF16, HR_TYPE_F32 };
  hr_type chosen[32];
  int nchosen = 0;
  bool quick = false;

  hr_quants_init ();
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--quick") == 0)
        quick = true;
      else if (strcmp (argv[i], "--level") == 0 && i + 1 < argc)
        {
          if (!hr_quants_set_level (argv[++i]))
            fprintf (stderr, "level %s not available\n", argv[i]);
        }
      else
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
          if (strcmp (argv[i], hr_type_name (types[k])) == 0 && nchosen < 32)
            chosen[nchosen++] = types[k];
    }
  if (nchosen == 0)
    {
      memcpy (chosen, types, sizeof types);
      nchosen = sizeof types / sizeof types[0];
    }
  printf ("matrix %d x %d, best SIMD level %s; 'mem' streams > %d MiB of copies (2 MiB pages,\n"
          "'2t-4k': 4 KiB pages); 1t figures use thread CPU time, 2t wall time\n", ROWS, COLS,
          hr_quants_simd_name (), quick ? 64 : 256);
  for (int k = 0; k < nchosen; k++)
    bench_type (chosen[k], quick);
  return 0;
}
