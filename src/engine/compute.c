/* compute.c: persistent compute thread pool (spin-then-sleep) and the matrix products of the
 * forward pass: row-split integer dot products over quantized activations, and an OpenBLAS
 * sgemm path over dequantized weight panels for batches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "compute.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause ()
#else
#define cpu_relax() ((void) 0)
#endif

/* OpenBLAS runs its own threads by default; the pool already splits the work, so ask it for
 * one thread when the symbol exists (a weak reference keeps plain CBLAS builds linking). */
extern void openblas_set_num_threads (int n) __attribute__ ((weak));

/* ============================================================================
 * Topology
 * ========================================================================== */

int
hr_physical_cores (void)
{
  /* Count distinct (package, core) pairs: SMT siblings share a core's execution units,
   * and a memory-bound forward pass gains nothing from them. */
  long n_cpu = sysconf (_SC_NPROCESSORS_ONLN);
  int n_pairs = 0;
  int cap = n_cpu > 0 ? (int) n_cpu : 1;
  long *pairs = calloc ((size_t) cap, sizeof (long));

  if (pairs != NULL)
    {
      for (int cpu = 0; cpu < cap; cpu++)
        {
          char path[128];
          int core = -1, pkg = -1;
          FILE *f;

          snprintf (path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
          if ((f = fopen (path, "r")) == NULL)
            continue;
          if (fscanf (f, "%d", &core) != 1)
            core = -1;
          fclose (f);
          snprintf (path, sizeof path,
                    "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
          if ((f = fopen (path, "r")) != NULL)
            {
              if (fscanf (f, "%d", &pkg) != 1)
                pkg = 0;
              fclose (f);
            }
          if (core < 0)
            continue;
          long key = ((long) pkg << 20) | core;
          bool seen = false;
          for (int j = 0; j < n_pairs && !seen; j++)
            seen = pairs[j] == key;
          if (!seen)
            pairs[n_pairs++] = key;
        }
      free (pairs);
    }
  if (n_pairs > 0)
    return n_pairs;
  return n_cpu > 0 ? (int) n_cpu : 1;
}

void
hr_split_range (int64_t n, int ith, int nth, int64_t *lo, int64_t *hi)
{
  *lo = n * ith / nth;
  *hi = n * (ith + 1) / nth;
}

/* ============================================================================
 * Thread pool
 * ========================================================================== */

/* Workers spin this many rounds on the job counter before sleeping: long enough to cover the
 * gaps between the products of one forward pass, short enough not to burn a core while the
 * caller samples or waits for the user. */
#define SPIN_ROUNDS 20000

typedef struct {
  hr_pool *pool;
  int ith;
} worker_arg;

struct hr_pool {
  int n_threads;
  pthread_t *threads;
  worker_arg *args;
  int n_started;

  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_uint generation;     /* bumped once per job */
  atomic_int n_pending;       /* workers still running the current job */
  atomic_bool stop;

  hr_pool_fn fn;
  void *arg;
};

static void *
worker_main (void *data)
{
  worker_arg *wa = data;
  hr_pool *p = wa->pool;
  /* The pool starts at generation 0; reading it here instead could skip a job posted
   * before this thread got to run. */
  unsigned seen = 0;

  for (;;)
    {
      unsigned gen = seen;
      for (int i = 0; i < SPIN_ROUNDS; i++)
        {
          gen = atomic_load_explicit (&p->generation, memory_order_acquire);
          if (gen != seen || atomic_load_explicit (&p->stop, memory_order_relaxed))
            break;
          cpu_relax ();
        }
      if (gen == seen && !atomic_load (&p->stop))
        {
          pthread_mutex_lock (&p->lock);
          while ((gen = atomic_load (&p->generation)) == seen && !atomic_load (&p->stop))
            pthread_cond_wait (&p->wake, &p->lock);
          pthread_mutex_unlock (&p->lock);
        }
      if (atomic_load (&p->stop))
        return NULL;
      seen = gen;
      p->fn (p->arg, wa->ith, p->n_threads);
      atomic_fetch_sub_explicit (&p->n_pending, 1, memory_order_acq_rel);
    }
}

hr_pool *
hr_pool_new (int n_threads)
{
  hr_pool *p;

  if (n_threads <= 0)
    n_threads = hr_physical_cores ();
  if (n_threads > 256)
    n_threads = 256;
  p = calloc (1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->n_threads = n_threads;
  pthread_mutex_init (&p->lock, NULL);
  pthread_cond_init (&p->wake, NULL);
  atomic_init (&p->generation, 0);
  atomic_init (&p->n_pending, 0);
  atomic_init (&p->stop, false);
  p->threads = calloc ((size_t) n_threads, sizeof *p->threads);
  p->args = calloc ((size_t) n_threads, sizeof *p->args);
  if (p->threads == NULL || p->args == NULL)
    {
      hr_pool_free (p);
      return NULL;
    }
  for (int i = 1; i < n_threads; i++)
    {
      p->args[i].pool = p;
      p->args[i].ith = i;
      if (pthread_create (&p->threads[i], NULL, worker_main, &p->args[i]) != 0)
        {
          hr_pool_free (p);
          return NULL;
        }
      p->n_started = i;
    }
  return p;
}

void
hr_pool_free (hr_pool *p)
{
  if (p == NULL)
    return;
  pthread_mutex_lock (&p->lock);
  atomic_store (&p->stop, true);
  pthread_cond_broadcast (&p->wake);
  pthread_mutex_unlock (&p->lock);
  for (int i = 1; i <= p->n_started; i++)
    pthread_join (p->threads[i], NULL);
  pthread_cond_destroy (&p->wake);
  pthread_mutex_destroy (&p->lock);
  free (p->threads);
  free (p->args);
  free (p);
}

int
hr_pool_n_threads (const hr_pool *p)
{
  return p->n_threads;
}

void
hr_pool_run (hr_pool *p, hr_pool_fn fn, void *arg)
{
  if (p->n_threads == 1)
    {
      fn (arg, 0, 1);
      return;
    }
  p->fn = fn;
  p->arg = arg;
  atomic_store_explicit (&p->n_pending, p->n_threads - 1, memory_order_relaxed);
  /* Bumping under the lock means a worker that is about to sleep either sees the new
   * generation or is already waiting for the broadcast: no lost wake-up. Broadcasting with
   * no sleeper costs no system call. */
  pthread_mutex_lock (&p->lock);
  atomic_fetch_add_explicit (&p->generation, 1, memory_order_release);
  pthread_cond_broadcast (&p->wake);
  pthread_mutex_unlock (&p->lock);

  fn (arg, 0, p->n_threads);

  for (unsigned i = 0; atomic_load_explicit (&p->n_pending, memory_order_acquire) > 0; i++)
    {
      if (i < SPIN_ROUNDS)
        cpu_relax ();
      else
        sched_yield ();
    }
}

/* ============================================================================
 * Matrix products
 * ========================================================================== */

/* Rows of weights dequantized at once for sgemm. */
#define BLAS_PANEL 64
/* Below this many tokens the BLAS path never pays for its dequantization. */
#define BLAS_MIN_TOKENS 32

struct hr_matmul_scratch {
  void *xq;            /* activations quantized to a vec_dot_type */
  size_t xq_cap;
  float **panels;      /* one dequantized panel per thread */
  size_t panel_cap;    /* floats per panel */
  int n_panels;
};

hr_matmul_scratch *
hr_matmul_scratch_new (void)
{
  return calloc (1, sizeof (hr_matmul_scratch));
}

void
hr_matmul_scratch_free (hr_matmul_scratch *s)
{
  if (s == NULL)
    return;
  free (s->xq);
  for (int i = 0; i < s->n_panels; i++)
    free (s->panels[i]);
  free (s->panels);
  free (s);
}

static bool
reserve (void **buf, size_t *cap, size_t need)
{
  void *nb;

  if (*cap >= need)
    return true;
  nb = aligned_alloc (64, (need + 63) / 64 * 64);
  if (nb == NULL)
    return false;
  free (*buf);
  *buf = nb;
  *cap = need;
  return true;
}

hr_matmul_kind
hr_matmul_default_kind (void)
{
  static int kind = -1;
  if (kind < 0)
    {
      const char *e = getenv ("HERON_BLAS");
      kind = HR_MATMUL_AUTO;
      if (e != NULL && e[0] == '1')
        kind = HR_MATMUL_BLAS;
      else if (e != NULL && e[0] == '0')
        kind = HR_MATMUL_DOT;
    }
  return (hr_matmul_kind) kind;
}

/* Measured with tests/bench/bench-forward on Qwen2.5-0.5B shapes (2 threads): sgemm beats
 * the F16 dot kernels from about 256 tokens on, and loses 2x to the integer dots of
 * quantized weights at every batch size (see tests/bench/README.md). */
#define BLAS_AUTO_MIN_TOKENS 256

static bool
auto_wants_blas (int n_mat, const hr_matrix *const *w, int64_t n_tok)
{
  if (n_tok < BLAS_AUTO_MIN_TOKENS)
    return false;
  for (int m = 0; m < n_mat; m++)
    if (w[m]->type != HR_TYPE_F16 && w[m]->type != HR_TYPE_BF16 && w[m]->type != HR_TYPE_F32)
      return false;
  return true;
}

typedef struct {
  int n_mat;
  const hr_matrix *const *w;
  const float *x;
  int64_t n_tok;
  float *const *y;
  hr_type vdt;
  const void *xq;       /* x in vdt */
  size_t xq_row;        /* bytes per quantized token row */
  hr_matmul_scratch *s;
} matmul_job;

static void
quantize_job (void *arg, int ith, int nth)
{
  matmul_job *j = arg;
  int64_t lo, hi, n_cols = j->w[0]->n_cols;

  hr_split_range (j->n_tok, ith, nth, &lo, &hi);
  for (int64_t t = lo; t < hi; t++)
    hr_quantize_row (j->vdt, j->x + t * n_cols, (char *) j->xq + t * j->xq_row, n_cols);
}

static int tile_rows = -1;

static void
dot_rows (const hr_matrix *w, const void *xq, size_t xq_row, int64_t n_tok, float *y,
          int64_t lo, int64_t hi)
{
  const char *wd = w->data;

  if (hi <= lo)
    return;
  if (n_tok == 1)
    {
      hr_vec_dot_rows (w->type, w->n_cols, wd + lo * w->row_size, w->row_size, hi - lo, xq,
                       y + lo);
      return;
    }
  /* The tile kernel unpacks each weight block once for every token of the batch. */
  for (int64_t r0 = lo; r0 < hi; r0 += tile_rows)
    {
      int64_t nr = hi - r0 < tile_rows ? hi - r0 : tile_rows;
      hr_vec_dot_tile_ex (w->type, w->n_cols, wd + r0 * w->row_size, w->row_size, (int) nr,
                          xq, xq_row, (int) n_tok, y + r0, 1, (size_t) w->n_rows);
    }
}

static void
dot_job (void *arg, int ith, int nth)
{
  matmul_job *j = arg;

  for (int m = 0; m < j->n_mat; m++)
    {
      int64_t lo, hi;
      hr_split_range (j->w[m]->n_rows, ith, nth, &lo, &hi);
      dot_rows (j->w[m], j->xq, j->xq_row, j->n_tok, j->y[m], lo, hi);
    }
}

static void
blas_job (void *arg, int ith, int nth)
{
  matmul_job *j = arg;
  float *panel = j->s->panels[ith];

  for (int m = 0; m < j->n_mat; m++)
    {
      const hr_matrix *w = j->w[m];
      int64_t lo, hi, K = w->n_cols;

      hr_split_range (w->n_rows, ith, nth, &lo, &hi);
      for (int64_t r0 = lo; r0 < hi; r0 += BLAS_PANEL)
        {
          int64_t np = r0 + BLAS_PANEL < hi ? BLAS_PANEL : hi - r0;
          const float *pw = panel;
          if (w->type == HR_TYPE_F32)
            pw = (const float *) ((const char *) w->data + r0 * w->row_size);
          else
            for (int64_t r = 0; r < np; r++)
              hr_dequantize_row (w->type, (const char *) w->data + (r0 + r) * w->row_size,
                                 panel + r * K, K);
          /* Y[t][r0 + r] = sum_k X[t][k] * P[r][k] */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) j->n_tok, (int) np,
                       (int) K, 1.0f, j->x, (int) K, pw, (int) K, 0.0f, j->y[m] + r0,
                       (int) w->n_rows);
        }
    }
}

static bool
run_blas (hr_pool *pool, matmul_job *j)
{
  hr_matmul_scratch *s = j->s;
  int nth = hr_pool_n_threads (pool);
  size_t need = (size_t) BLAS_PANEL * (size_t) j->w[0]->n_cols;
  static atomic_bool blas_threads_set;

  if (!atomic_exchange (&blas_threads_set, true) && openblas_set_num_threads != NULL)
    openblas_set_num_threads (1);
  if (s->n_panels < nth || s->panel_cap < need)
    {
      for (int i = 0; i < s->n_panels; i++)
        free (s->panels[i]);
      free (s->panels);
      s->n_panels = 0;
      s->panels = calloc ((size_t) nth, sizeof (float *));
      if (s->panels == NULL)
        return false;
      for (int i = 0; i < nth; i++)
        {
          s->panels[i] = aligned_alloc (64, (need * sizeof (float) + 63) / 64 * 64);
          if (s->panels[i] == NULL)
            return false;
          s->n_panels = i + 1;
        }
      s->panel_cap = need;
    }
  hr_pool_run (pool, blas_job, j);
  return true;
}

bool
hr_matmul (hr_pool *pool, hr_matmul_scratch *s, hr_matmul_kind kind,
           int n_mat, const hr_matrix *const *w, const float *x, int64_t n_tok,
           float *const *y)
{
  matmul_job j = { .n_mat = n_mat, .w = w, .x = x, .n_tok = n_tok, .y = y, .s = s };
  int m0 = 0;

  if (tile_rows < 0)
    {
      const char *e = getenv ("HERON_TILE_ROWS");
      tile_rows = e != NULL && atoi (e) > 0 ? atoi (e) : 1 << 30;
    }
  if (kind == HR_MATMUL_AUTO)
    kind = hr_matmul_default_kind ();
  if (kind == HR_MATMUL_AUTO)
    kind = auto_wants_blas (n_mat, w, n_tok) ? HR_MATMUL_BLAS : HR_MATMUL_DOT;
  if (kind == HR_MATMUL_BLAS && n_tok >= BLAS_MIN_TOKENS)
    return run_blas (pool, &j);

  /* Matrices sharing a vec_dot_type share one quantization of x. */
  while (m0 < n_mat)
    {
      hr_type vdt = hr_type_get_traits (w[m0]->type)->vec_dot_type;
      int m1 = m0 + 1;

      while (m1 < n_mat && hr_type_get_traits (w[m1]->type)->vec_dot_type == vdt)
        m1++;
      j.n_mat = m1 - m0;
      j.w = w + m0;
      j.y = y + m0;
      j.vdt = vdt;
      if (vdt == HR_TYPE_F32)
        {
          j.xq = x;
          j.xq_row = (size_t) w[m0]->n_cols * sizeof (float);
        }
      else
        {
          j.xq_row = hr_type_row_size (vdt, w[m0]->n_cols);
          if (!reserve (&s->xq, &s->xq_cap, j.xq_row * (size_t) n_tok))
            return false;
          j.xq = s->xq;
          if (n_tok == 1)
            quantize_job (&j, 0, 1);
          else
            hr_pool_run (pool, quantize_job, &j);
        }
      hr_pool_run (pool, dot_job, &j);
      m0 = m1;
    }
  return true;
}
