/* quants.h: tensor types, block formats, dequantization and dot-product kernels.
 *
 * Numbering and block layouts follow GGUF/ggml so that files from llama.cpp, Ollama and
 * LM Studio load unchanged. Every kernel has a scalar reference (hr_*_ref) and a SIMD
 * version chosen at run time; tests compare the two.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  HR_TYPE_F32 = 0,
  HR_TYPE_F16 = 1,
  HR_TYPE_Q4_0 = 2,
  HR_TYPE_Q4_1 = 3,
  HR_TYPE_Q5_0 = 6,
  HR_TYPE_Q5_1 = 7,
  HR_TYPE_Q8_0 = 8,
  HR_TYPE_Q8_1 = 9,
  HR_TYPE_Q2_K = 10,
  HR_TYPE_Q3_K = 11,
  HR_TYPE_Q4_K = 12,
  HR_TYPE_Q5_K = 13,
  HR_TYPE_Q6_K = 14,
  HR_TYPE_Q8_K = 15,
  HR_TYPE_BF16 = 30,
  HR_TYPE_COUNT = 40
} hr_type;

/* Properties of a type. Unknown/unsupported types have block_size 0. */
typedef struct {
  const char *name;        /* "q4_K", as llama.cpp prints it */
  int block_size;          /* elements per block (1 for F32/F16/BF16) */
  size_t type_size;        /* bytes per block */
  hr_type vec_dot_type;    /* what the activations are converted to for hr_vec_dot:
                            * Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the
                            * K types (as llama.cpp), F32 for F32/F16/BF16 weights (as fast
                            * as F16 activations here, and exact) */
  bool supported;          /* this engine can dequantize and dot it */
} hr_type_traits;

const hr_type_traits *hr_type_get_traits (hr_type t);   /* NULL for out-of-range values */
bool        hr_type_is_valid (int t);                  /* known and supported */
const char *hr_type_name (hr_type t);
/* Bytes for one row of n elements; 0 if n is not a multiple of the block size. */
size_t      hr_type_row_size (hr_type t, int64_t n);

/* Detect CPU features once and pick kernels (idempotent, thread-safe). */
void        hr_quants_init (void);
const char *hr_quants_simd_name (void);               /* "avx512", "avx2", "scalar" */
int         hr_quants_level (void);                   /* 2 avx512, 1 avx2, 0 scalar */
/* Force the scalar kernels (tests, benchmarks). */
void        hr_quants_force_scalar (bool scalar);
/* Pick an instruction-set level by name: "scalar", "avx2", "avx512", or NULL for the best
 * this CPU has. Returns false (and changes nothing) if the CPU lacks it or the name is
 * unknown. Not thread-safe against running kernels: for tests and benchmarks. The
 * environment variable HERON_SIMD caps the level chosen at start-up the same way. */
bool        hr_quants_set_level (const char *level);

/* Half precision helpers. */
float    hr_fp16_to_fp32 (uint16_t h);
uint16_t hr_fp32_to_fp16 (float f);
float    hr_bf16_to_fp32 (uint16_t h);
uint16_t hr_fp32_to_bf16 (float f);

/* Convert n floats (n a multiple of the block size) of type t from src to dst. */
void hr_dequantize_row (hr_type t, const void *src, float *dst, int64_t n);
/* Quantize n floats into type t (reference quantizers with llama.cpp's scale searches; used
 * to make test models and to quantize activations: Q8_0, Q8_1 and Q8_K have SIMD versions
 * that write the same bytes). Thread-safe. */
void hr_quantize_row (hr_type t, const float *src, void *dst, int64_t n);

/* Dot product of one weight row w (type t, n elements) with activations x that were
 * quantized to hr_type_get_traits(t)->vec_dot_type by hr_quantize_row. */
float hr_vec_dot (hr_type t, int64_t n, const void *w, const void *x);
/* The same for nr consecutive rows (w_row_stride bytes apart) against one activation
 * vector: out[r] = dot (row r, x). One call per thread's share of a matrix saves the
 * per-call dispatch, which matters for the short rows of generation (n = 896). */
void  hr_vec_dot_rows (hr_type t, int64_t n, const void *w, size_t w_row_stride, int64_t nr,
                       const void *x, float *out);

/* Batched dot products for prompt processing: nr weight rows (type t, n elements each,
 * w_row_stride bytes apart) times nc activation vectors (quantized to vec_dot_type,
 * x_stride bytes apart). Writes out[r * out_stride + c] = dot (w row r, x vector c), the
 * same value hr_vec_dot gives up to float rounding. Each weight block is unpacked once and
 * reused for all nc vectors, so call it with as many vectors as you have (a whole prompt
 * batch) and any number of rows (threads split the rows). Thread-safe: scratch memory is
 * per call. */
void hr_vec_dot_tile (hr_type t, int64_t n, const void *w, size_t w_row_stride, int nr,
                      const void *x, size_t x_stride, int nc, float *out, size_t out_stride);
/* The same with any output layout: out[r * out_row_stride + c * out_col_stride] (in floats).
 * Token-major results (y[token][row], rows of a matrix split across threads) are
 * out = y + r0, out_row_stride = 1, out_col_stride = n_rows. The activations are rearranged
 * once per call (about n * nc bytes of work), so give each call at least 16 rows. */
void hr_vec_dot_tile_ex (hr_type t, int64_t n, const void *w, size_t w_row_stride, int nr,
                         const void *x, size_t x_stride, int nc, float *out,
                         size_t out_row_stride, size_t out_col_stride);

/* Scalar references, written straight from the format definitions. */
void  hr_dequantize_row_ref (hr_type t, const void *src, float *dst, int64_t n);
float hr_vec_dot_ref (hr_type t, int64_t n, const void *w, const void *x);

#ifdef __cplusplus
}
#endif
