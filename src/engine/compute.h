/* compute.h: the engine's persistent compute thread pool and the matrix products of the
 * forward pass (quantized weights x F32 activations).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quants.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Thread pool ---- */

typedef struct hr_pool hr_pool;

/* A job: called once on each of the nth threads (ith = 0 is the caller's thread). */
typedef void (*hr_pool_fn) (void *arg, int ith, int nth);

/* Physical cores of this machine (sysfs topology; sysconf as a fallback); at least 1. */
int      hr_physical_cores (void);
/* n_threads <= 0: hr_physical_cores(). Returns NULL when threads cannot be created. */
hr_pool *hr_pool_new (int n_threads);
void     hr_pool_free (hr_pool *p);
int      hr_pool_n_threads (const hr_pool *p);
/* Run fn on every thread and return when all are done. Not reentrant: one caller at a time. */
void     hr_pool_run (hr_pool *p, hr_pool_fn fn, void *arg);

/* Split n items into nth nearly equal contiguous ranges; thread ith gets [*lo, *hi). */
void hr_split_range (int64_t n, int ith, int nth, int64_t *lo, int64_t *hi);

/* ---- Matrix products ---- */

/* A weight matrix as stored in GGUF: n_rows rows of n_cols elements (ne[0] = n_cols). */
typedef struct {
  hr_type type;
  const void *data;
  int64_t n_cols;
  int64_t n_rows;
  size_t row_size;   /* bytes per row */
} hr_matrix;

/* Scratch memory reused across products (activations quantized to the weights'
 * vec_dot_type, dequantized panels for the BLAS path). */
typedef struct hr_matmul_scratch hr_matmul_scratch;

hr_matmul_scratch *hr_matmul_scratch_new (void);
void               hr_matmul_scratch_free (hr_matmul_scratch *s);

/* Which kernel runs batched products. */
typedef enum {
  HR_MATMUL_AUTO,     /* the benchmarked default */
  HR_MATMUL_DOT,      /* quantized activations + hr_vec_dot (integer dots) */
  HR_MATMUL_BLAS,     /* weights dequantized panel by panel + cblas_sgemm */
} hr_matmul_kind;

/* Up to 3 products sharing one input (q/k/v, gate/up): y[i][t][r] = sum_c W_i[r][c] x[t][c]
 * for t < n_tok. x is n_tok rows of n_cols floats (row stride n_cols); y[i] is n_tok rows
 * of W_i->n_rows floats. Every W_i has the same n_cols. Returns false (and computes
 * nothing) when memory for scratch cannot be allocated. */
bool hr_matmul (hr_pool *pool, hr_matmul_scratch *s, hr_matmul_kind kind,
                int n_mat, const hr_matrix *const *w, const float *x, int64_t n_tok,
                float *const *y);

/* HR_MATMUL_AUTO picks BLAS for F32/F16/BF16 weights and batches of 256 tokens or more,
 * the integer dots otherwise. HERON_BLAS=1 in the environment forces BLAS (for batches of
 * 32 or more), HERON_BLAS=0 the dots; this returns what the environment asks for. */
hr_matmul_kind hr_matmul_default_kind (void);

#ifdef __cplusplus
}
#endif
