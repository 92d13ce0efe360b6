/* quants-impl.h: block layouts and the kernel table shared by quants.c and its SIMD files.
 *
 * The block layouts are the GGUF/ggml ones, byte for byte: files written by llama.cpp are
 * read in place. Private to src/engine/quants*.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "quants.h"

#define HR_QK 32    /* elements per block of the 32-element formats */
#define HR_QK_K 256 /* elements per super-block of the K formats */

/* ---------------------------------------------------------------------------------------
 * Block layouts. Half-precision fields are raw IEEE binary16 bits.
 */

typedef struct
{
  uint16_t d;        /* scale */
  uint8_t qs[16];    /* 32 nibbles: element j in the low nibble of qs[j], j+16 in the high */
} hr_block_q4_0;

typedef struct
{
  uint16_t d;        /* scale */
  uint16_t m;        /* minimum (added) */
  uint8_t qs[16];
} hr_block_q4_1;

typedef struct
{
  uint16_t d;
  uint8_t qh[4];     /* bit j (little-endian 32-bit word) is bit 4 of element j */
  uint8_t qs[16];
} hr_block_q5_0;

typedef struct
{
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[16];
} hr_block_q5_1;

typedef struct
{
  uint16_t d;
  int8_t qs[32];
} hr_block_q8_0;

typedef struct
{
  uint16_t d;
  uint16_t s;        /* d * sum (qs) */
  int8_t qs[32];
} hr_block_q8_1;

typedef struct
{
  uint8_t scales[16]; /* per 16 elements: low nibble scale, high nibble min */
  uint8_t qs[64];     /* 2-bit quants, see hr_dequantize_row_ref */
  uint16_t d;         /* scale of the scales */
  uint16_t dmin;      /* scale of the mins */
} hr_block_q2_K;

typedef struct
{
  uint8_t hmask[32];  /* bit 2 of each quant */
  uint8_t qs[64];     /* bits 0-1 */
  uint8_t scales[12]; /* 16 six-bit scales, offset by 32 */
  uint16_t d;
} hr_block_q3_K;

typedef struct
{
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12]; /* 8 six-bit scales and 8 six-bit mins */
  uint8_t qs[128];
} hr_block_q4_K;

typedef struct
{
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
} hr_block_q5_K;

typedef struct
{
  uint8_t ql[128];    /* low 4 bits */
  uint8_t qh[64];     /* high 2 bits */
  int8_t scales[16];  /* per 16 elements */
  uint16_t d;
} hr_block_q6_K;

typedef struct
{
  float d;
  int8_t qs[256];
  int16_t bsums[16];  /* sum of qs per 16 elements */
} hr_block_q8_K;

static_assert (sizeof (hr_block_q4_0) == 18, "q4_0 block size");
static_assert (sizeof (hr_block_q4_1) == 20, "q4_1 block size");
static_assert (sizeof (hr_block_q5_0) == 22, "q5_0 block size");
static_assert (sizeof (hr_block_q5_1) == 24, "q5_1 block size");
static_assert (sizeof (hr_block_q8_0) == 34, "q8_0 block size");
static_assert (sizeof (hr_block_q8_1) == 36, "q8_1 block size");
static_assert (sizeof (hr_block_q2_K) == 84, "q2_K block size");
static_assert (sizeof (hr_block_q3_K) == 110, "q3_K block size");
static_assert (sizeof (hr_block_q4_K) == 144, "q4_K block size");
static_assert (sizeof (hr_block_q5_K) == 176, "q5_K block size");
static_assert (sizeof (hr_block_q6_K) == 210, "q6_K block size");
static_assert (sizeof (hr_block_q8_K) == 292, "q8_K block size");

/* ---------------------------------------------------------------------------------------
 * Scalar helpers used by every implementation.
 */

/* Six-bit scale and min number j (0..7) of a Q4_K/Q5_K block: the first four sit in the
 * low six bits of bytes 0-3 (scales) and 4-7 (mins); the last four keep their low nibbles
 * in bytes 8-11 and their top two bits in the spare top bits of bytes 0-7. */
static inline void
hr_k4_scale_min (const uint8_t *s, int j, int *sc, int *m)
{
  if (j < 4)
    {
      *sc = s[j] & 63;
      *m = s[j + 4] & 63;
    }
  else
    {
      *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
      *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* Six-bit scale number j (0..15) of a Q3_K block, with its offset of 32 removed. */
static inline int
hr_q3k_scale (const uint8_t *s, int j)
{
  int lo = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
  int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

static inline float
hr_h2f (uint16_t h)
{
  return hr_fp16_to_fp32 (h);
}

/* All 65536 halves as floats, filled by hr_quants_init: on Zen 4 a table load is cheaper
 * than vcvtph2ps on one scalar, and the kernels convert two scales per block. */
extern float hr_fp16_table[65536];

/* ---------------------------------------------------------------------------------------
 * Kernel table: one entry per type; NULL means "use the scalar one".
 */

typedef float (*hr_dot_fn) (int64_t n, const void *w, const void *x);
typedef void (*hr_tile_fn) (int64_t n, const void *w, size_t w_row_stride, int nr,
                            const void *x, size_t x_stride, int nc, float *out,
                            size_t out_row_stride, size_t out_col_stride);

typedef void (*hr_quant_fn) (const float *src, void *dst, int64_t n);
typedef void (*hr_dequant_fn) (const void *src, float *dst, int64_t n);

typedef struct
{
  hr_dot_fn dot[HR_TYPE_COUNT];
  hr_tile_fn tile[HR_TYPE_COUNT];
  hr_quant_fn quant[HR_TYPE_COUNT];   /* activation formats only; same bytes as the scalar */
  hr_dequant_fn dequant[HR_TYPE_COUNT]; /* same floats as hr_dequantize_row_ref, bit for bit */
} hr_kernels;

/* Fill in what each instruction-set level provides (defined in quants-x86.c). */
void hr_quants_kernels_avx2 (hr_kernels *k);
void hr_quants_kernels_avx512 (hr_kernels *k);
