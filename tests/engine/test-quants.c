/* test-quants.c: block formats, quantizers and dot-product kernels of quants.c.
 *
 * Hand-built blocks are checked against values worked out from the format definitions,
 * golden blocks made by llama.cpp against its own dequantizer's output, every SIMD level
 * against the scalar references, and quantization error against llama.cpp's bounds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "quants.h"
#include "test-quants-golden.h"

static const hr_type all_types[] = {
  HR_TYPE_F32, HR_TYPE_F16, HR_TYPE_BF16, HR_TYPE_Q4_0, HR_TYPE_Q4_1, HR_TYPE_Q5_0,
  HR_TYPE_Q5_1, HR_TYPE_Q8_0, HR_TYPE_Q8_1, HR_TYPE_Q2_K, HR_TYPE_Q3_K, HR_TYPE_Q4_K,
  HR_TYPE_Q5_K, HR_TYPE_Q6_K, HR_TYPE_Q8_K,
};

static const char *const levels[] = { "scalar", "avx2", "avx512" };

/* Deterministic data: xorshift, roughly normal (sum of uniforms). */
static guint64 rng_state = 88172645463325252ULL;

static float
rnd_uniform (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float) ((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static float
rnd_normal (void)
{
  return (rnd_uniform () + rnd_uniform () + rnd_uniform () + rnd_uniform ()) * 0.866f;
}

static void
fill_random (float *x, gint64 n, float scale)
{
  for (gint64 i = 0; i < n; i++)
    x[i] = scale * rnd_normal ();
}

static gint64
block_size (hr_type t)
{
  return hr_type_get_traits (t)->block_size;
}

static void *
quantize_new (hr_type t, const float *x, gint64 n)
{
  void *q = g_malloc0 (hr_type_row_size (t, n) + 64);
  hr_quantize_row (t, x, q, n);
  return q;
}

/* ---------------------------------------------------------------------------------------
 * Traits and half precision
 */

static void
test_traits (void)
{
  struct { hr_type t; const char *name; int bs; size_t ts; hr_type vdt; } want[] = {
    { HR_TYPE_F32, "f32", 1, 4, HR_TYPE_F32 },
    { HR_TYPE_F16, "f16", 1, 2, HR_TYPE_F32 },
    { HR_TYPE_BF16, "bf16", 1, 2, HR_TYPE_F32 },
    { HR_TYPE_Q4_0, "q4_0", 32, 18, HR_TYPE_Q8_0 },
    { HR_TYPE_Q4_1, "q4_1", 32, 20, HR_TYPE_Q8_1 },
    { HR_TYPE_Q5_0, "q5_0", 32, 22, HR_TYPE_Q8_0 },
    { HR_TYPE_Q5_1, "q5_1", 32, 24, HR_TYPE_Q8_1 },
    { HR_TYPE_Q8_0, "q8_0", 32, 34, HR_TYPE_Q8_0 },
    { HR_TYPE_Q8_1, "q8_1", 32, 36, HR_TYPE_Q8_1 },
    { HR_TYPE_Q2_K, "q2_K", 256, 84, HR_TYPE_Q8_K },
    { HR_TYPE_Q3_K, "q3_K", 256, 110, HR_TYPE_Q8_K },
    { HR_TYPE_Q4_K, "q4_K", 256, 144, HR_TYPE_Q8_K },
    { HR_TYPE_Q5_K, "q5_K", 256, 176, HR_TYPE_Q8_K },
    { HR_TYPE_Q6_K, "q6_K", 256, 210, HR_TYPE_Q8_K },
    { HR_TYPE_Q8_K, "q8_K", 256, 292, HR_TYPE_Q8_K },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const hr_type_traits *tr = hr_type_get_traits (want[i].t);
      g_assert_nonnull (tr);
      g_assert_true (tr->supported);
      g_assert_cmpstr (tr->name, ==, want[i].name);
      g_assert_cmpstr (hr_type_name (want[i].t), ==, want[i].name);
      g_assert_cmpint (tr->block_size, ==, want[i].bs);
      g_assert_cmpuint (tr->type_size, ==, want[i].ts);
      g_assert_cmpint (tr->vec_dot_type, ==, want[i].vdt);
      g_assert_true (hr_type_is_valid (want[i].t));
      g_assert_cmpuint (hr_type_row_size (want[i].t, 4864), ==, 4864 / want[i].bs * want[i].ts);
    }
  /* removed or unknown types, bad sizes */
  g_assert_false (hr_type_is_valid (4));
  g_assert_false (hr_type_is_valid (5));
  g_assert_false (hr_type_is_valid (-1));
  g_assert_false (hr_type_is_valid (HR_TYPE_COUNT));
  g_assert_false (hr_type_is_valid (1000));
  g_assert_null (hr_type_get_traits ((hr_type) -1));
  g_assert_null (hr_type_get_traits ((hr_type) 1000));
  g_assert_cmpstr (hr_type_name ((hr_type) 4), ==, "unknown");
  g_assert_cmpuint (hr_type_row_size (HR_TYPE_Q4_K, 896), ==, 0);
  g_assert_cmpuint (hr_type_row_size (HR_TYPE_Q4_0, 33), ==, 0);
  g_assert_cmpuint (hr_type_row_size (HR_TYPE_Q4_0, -32), ==, 0);
  g_assert_cmpuint (hr_type_row_size ((hr_type) 4, 32), ==, 0);
  g_assert_cmpuint (hr_type_row_size (HR_TYPE_F32, G_MAXINT64), ==, 0);
}

static void
test_half (void)
{
  /* known encodings */
  g_assert_cmphex (hr_fp32_to_fp16 (1.0f), ==, 0x3c00);
  g_assert_cmphex (hr_fp32_to_fp16 (-2.0f), ==, 0xc000);
  g_assert_cmphex (hr_fp32_to_fp16 (65504.0f), ==, 0x7bff);
  g_assert_cmphex (hr_fp32_to_fp16 (65519.0f), ==, 0x7bff);
  g_assert_cmphex (hr_fp32_to_fp16 (65520.0f), ==, 0x7c00);
  g_assert_cmphex (hr_fp32_to_fp16 (INFINITY), ==, 0x7c00);
  g_assert_cmphex (hr_fp32_to_fp16 (ldexpf (1, -24)), ==, 0x0001);
  g_assert_cmphex (hr_fp32_to_fp16 (ldexpf (1, -25)), ==, 0x0000);       /* tie to even */
  g_assert_cmphex (hr_fp32_to_fp16 (ldexpf (3, -25)), ==, 0x0002);       /* tie to even */
  g_assert_cmphex (hr_fp32_to_fp16 (ldexpf (1, -14)), ==, 0x0400);
  g_assert_cmphex (hr_fp32_to_fp16 (1.0f + ldexpf (1, -11)), ==, 0x3c00); /* tie to even */
  g_assert_cmphex (hr_fp32_to_fp16 (1.0f + ldexpf (3, -11)), ==, 0x3c02);
  g_assert_cmphex (hr_fp32_to_fp16 (0.1f), ==, 0x2e66);
  g_assert_true (isnan (hr_fp16_to_fp32 (hr_fp32_to_fp16 (NAN))));
  g_assert_cmpfloat (hr_fp16_to_fp32 (0x3555), ==, 0.333251953125f);
  g_assert_cmpfloat (hr_fp16_to_fp32 (0x8001), ==, -ldexpf (1, -24));
  g_assert_cmpfloat (hr_fp16_to_fp32 (0xfc00), ==, -INFINITY);

  /* every finite half survives the round trip */
  for (guint h = 0; h < 65536; h++)
    {
      float f = hr_fp16_to_fp32 ((guint16) h);
      if (isnan (f))
        continue;
      g_assert_cmphex (hr_fp32_to_fp16 (f), ==, h);
    }
  /* rounding picks the nearer neighbour */
  for (int i = 0; i < 20000; i++)
    {
      float f = rnd_normal () * ldexpf (1, (i % 40) - 25);
      guint16 h = hr_fp32_to_fp16 (f);
      double got = hr_fp16_to_fp32 (h);
      double up = hr_fp16_to_fp32 ((guint16) (h + 1)), down = h & 0x7fff ? hr_fp16_to_fp32 (
                                                                 (guint16) (h - 1)) : got;
      g_assert_cmpfloat (fabs (got - f), <=, fabs (up - f));
      g_assert_cmpfloat (fabs (got - f), <=, fabs (down - f));
    }

  g_assert_cmphex (hr_fp32_to_bf16 (1.0f), ==, 0x3f80);
  g_assert_cmphex (hr_fp32_to_bf16 (-3.0f), ==, 0xc040);
  g_assert_cmphex (hr_fp32_to_bf16 (1.0f + ldexpf (1, -8)), ==, 0x3f80);  /* tie to even */
  g_assert_cmphex (hr_fp32_to_bf16 (1.0f + ldexpf (3, -8)), ==, 0x3f82);
  g_assert_cmpfloat (hr_bf16_to_fp32 (0x4049), ==, 3.140625f);
  g_assert_true (isnan (hr_bf16_to_fp32 (hr_fp32_to_bf16 (NAN))));
}

/* ---------------------------------------------------------------------------------------
 * Hand-built blocks. Each expected value is worked out from the layout in ggml-common.h
 * by hand (in the comment), not by running quants.c.
 */

static void
expect_row (hr_type t, const guint8 *blk, int n, const int *idx, const float *want, int nwant)
{
  float *y = g_new0 (float, n);
  hr_dequantize_row_ref (t, blk, y, n);
  for (int i = 0; i < nwant; i++)
    {
      if (fabsf (y[idx[i]] - want[i]) > 1e-6f * fmaxf (1, fabsf (want[i])))
        g_error ("%s element %d: got %g, want %g", hr_type_name (t), idx[i], y[idx[i]],
                 want[i]);
    }
  /* the public entry point gives the same */
  {
    float *z = g_new0 (float, n);
    hr_dequantize_row (t, blk, z, n);
    g_assert_cmpmem (y, n * sizeof (float), z, n * sizeof (float));
    g_free (z);
  }
  g_free (y);
}

static void
test_known_blocks (void)
{
  guint8 b[300];

  /* Q4_0: d=2.0 (0x4000), qs[3]=0xa5: element 3 = (5-8)*2 = -6, element 19 = (10-8)*2 = 4 */
  memset (b, 0x88, sizeof b);
  b[0] = 0x00; b[1] = 0x40;
  b[2 + 3] = 0xa5;
  {
    int idx[] = { 3, 19, 0, 31 };
    float want[] = { -6, 4, 0, 0 };
    expect_row (HR_TYPE_Q4_0, b, 32, idx, want, 4);
  }
  /* Q4_1: d=0.5 (0x3800), m=-1 (0xbc00), qs[0]=0xf1: e0 = 1*0.5-1 = -0.5, e16 = 15*.5-1 = 6.5 */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x38; b[2] = 0x00; b[3] = 0xbc;
  b[4] = 0xf1;
  {
    int idx[] = { 0, 16, 1 };
    float want[] = { -0.5f, 6.5f, -1 };
    expect_row (HR_TYPE_Q4_1, b, 32, idx, want, 3);
  }
  /* Q5_0: d=1, qh word 0x00010002 (bits 1 and 16), qs[1]=0x3, qs[0]=0x20:
   * e1 = (3 | 16) - 16 = 3, e16 = (2 | 16) - 16 = 2, e0 = 0 - 16 = -16, e17 = 0-16 */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x3c;
  b[2] = 0x02; b[3] = 0x00; b[4] = 0x01; b[5] = 0x00;
  b[6 + 0] = 0x20;
  b[6 + 1] = 0x03;
  {
    int idx[] = { 1, 16, 0, 17 };
    float want[] = { 3, 2, -16, -16 };
    expect_row (HR_TYPE_Q5_0, b, 32, idx, want, 4);
  }
  /* Q5_1: d=1, m=0.5 (0x3800), qh bit 31, qs[15]=0xf0: e31 = (15|16)*1 + .5 = 31.5, e15 = .5 */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x3c; b[2] = 0x00; b[3] = 0x38;
  b[7] = 0x80;
  b[8 + 15] = 0xf0;
  {
    int idx[] = { 31, 15 };
    float want[] = { 31.5f, 0.5f };
    expect_row (HR_TYPE_Q5_1, b, 32, idx, want, 2);
  }
  /* Q8_0: d=0.25 (0x3400), qs[5] = -128: e5 = -32 */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x34;
  b[2 + 5] = 0x80;
  b[2 + 31] = 0x7f;
  {
    int idx[] = { 5, 31 };
    float want[] = { -32, 31.75f };
    expect_row (HR_TYPE_Q8_0, b, 32, idx, want, 2);
  }
  /* Q8_1: d=2, s ignored when dequantizing, qs[0] = -3 -> -6 */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x40; b[2] = 0x00; b[3] = 0x7b;
  b[4] = 0xfd;
  {
    int idx[] = { 0, 1 };
    float want[] = { -6, 0 };
    expect_row (HR_TYPE_Q8_1, b, 32, idx, want, 2);
  }
  /* Q2_K: scales[16] then qs[64] then d, dmin. d=1, dmin=0.5.
   * scales[0]=0x21 (scale 1, min 2), scales[1]=0x03, scales[5]=0x4f (15, 4), scales[8]=0x01.
   * qs[0]=0b11100100: elements 0 (bits0-1=0), 32 (bits2-3=1), 64 (2), 96 (3).
   * e0 = 1*1*0 - .5*2 = -1. e32: group 2, scale byte 2 = 0 -> 0. e64 group 4 scale 0.
   * qs[16]=0x0c: element 16 (bits0-1=0) group 1: 3*0 - 0 = 0; element 48 (bits 2-3 = 3) is
   * group 3 (scale 0). Use group 5 = elements 80..95: bits 4-5 of qs[16..31]: qs[17]=0x30 ->
   * element 81 = 3: 15*3 - .5*4 = 43. Second half: qs[32]=0x02: element 128 = 2, group 8
   * scale 1: 2. */
  memset (b, 0, sizeof b);
  b[0] = 0x21; b[1] = 0x03; b[5] = 0x4f; b[8] = 0x01;
  b[16 + 0] = 0xe4;
  b[16 + 17] = 0x30;
  b[16 + 32] = 0x02;
  b[80] = 0x00; b[81] = 0x3c; b[82] = 0x00; b[83] = 0x38;
  {
    int idx[] = { 0, 32, 81, 128, 1 };
    float want[] = { -1, 0, 43, 2, -1 };
    expect_row (HR_TYPE_Q2_K, b, 256, idx, want, 5);
  }
  /* Q3_K: hmask[32], qs[64], scales[12], d. d = 1.
   * Scale j low nibble: j<8 scales[j]&15, else scales[j-8]>>4; high 2 bits from
   * scales[8 + j%4] >> 2*(j/4). Scale 0: low 0x1, high bits (scales[8]&3)=2 -> 0x21 = 33,
   * minus 32 = 1. Scale 9 (elements 144..159): low = scales[1]>>4 = 0xf, high =
   * (scales[9] >> 4)&3 = 1 -> 0x1f = 31 - 32 = -1.
   * e0: qs bits 0-1 of qs[0] = 3, hmask[0] bit0 set -> 3 (no -4): 1*3 = 3.
   * e1: qs[1]=0 and hmask[1] bit 0 clear -> 0-4 = -4 -> -4.
   * e144: second half (h=1), 144-128 = 16 = chunk 0, l=16: bits0-1 of qs[32+16]=2, hmask[16]
   * bit 4 clear -> 2-4 = -2, scale -1 -> 2. */
  memset (b, 0, sizeof b);
  b[0] = 0x01;                 /* hmask[0] bit 0 */
  b[32 + 0] = 0x03;            /* qs[0] */
  b[32 + 48] = 0x02;           /* qs[48] */
  b[96 + 0] = 0x01;            /* scales[0] */
  b[96 + 1] = 0xf0;            /* scales[1] */
  b[96 + 8] = 0x02;            /* scales[8] */
  b[96 + 9] = 0x10;            /* scales[9] */
  b[108] = 0x00; b[109] = 0x3c;
  {
    int idx[] = { 0, 1, 144 };
    float want[] = { 3, -4, 2 };
    expect_row (HR_TYPE_Q3_K, b, 256, idx, want, 3);
  }
  /* Q4_K: d, dmin, scales[12], qs[128]. d=1, dmin=1.
   * Sub-block 0: scale scales[0]&63 = 2, min scales[4]&63 = 1. Sub-block 5: scale =
   * (scales[9]&15) | (scales[1]>>6)<<4 = 3 | 16 = 19, min = (scales[9]>>4) | (scales[5]>>6)<<4
   * = 1 | 32 = 33.
   * e0 = low nibble of qs[0] = 7: 2*7 - 1 = 13. Sub-block 5 = high nibbles of qs[64..95]:
   * e160 + 2 = element 162 = qs[66]>>4 = 4: 19*4 - 33 = 43. */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x3c; b[2] = 0x00; b[3] = 0x3c;
  b[4 + 0] = 2; b[4 + 4] = 1;
  b[4 + 1] = 0x40; b[4 + 5] = 0x80; b[4 + 9] = 0x13;
  b[16 + 0] = 0x07;
  b[16 + 66] = 0x40;
  {
    int idx[] = { 0, 162, 1 };
    float want[] = { 13, 43, -1 };
    expect_row (HR_TYPE_Q4_K, b, 256, idx, want, 3);
  }
  /* Q5_K: d, dmin, scales[12], qh[32], qs[128]. Same scales as above; element 162 also gets
   * its fifth bit from bit 5 of qh[2]: (4 | 16)*19 - 33 = 347; element 2 (sub-block 0) takes
   * bit 0 of qh[2]: clear -> 0*2 - 1 = -1; element 34 (sub-block 1, scale scales[1]&63 = 0,
   * min scales[5]&63 = 0) -> 0. */
  memset (b, 0, sizeof b);
  b[0] = 0x00; b[1] = 0x3c; b[2] = 0x00; b[3] = 0x3c;
  b[4 + 0] = 2; b[4 + 4] = 1;
  b[4 + 1] = 0x40; b[4 + 5] = 0x80; b[4 + 9] = 0x13;
  b[16 + 2] = 0x20;
  b[48 + 66] = 0x40;
  {
    int idx[] = { 162, 2, 34 };
    float want[] = { 347, -1, 0 };
    expect_row (HR_TYPE_Q5_K, b, 256, idx, want, 3);
  }
  /* Q6_K: ql[128], qh[64], scales[16], d. d = 0.5.
   * Element 0: ql[0]&15 = 5, qh[0] bits 0-1 = 2 -> 5 | 32 = 37 - 32 = 5, scale[0] = 3:
   * 0.5*3*5 = 7.5. Element 97 (k=3, l=1): ql[33]>>4 = 0xa, qh[1] bits 6-7 = 1 -> 10|16 = 26
   * - 32 = -6, scale[6] = -2: 0.5*-2*-6 = 6. Element 200 = half 1, 72 = k 2, l 8: ql[64+8]>>4
   * = 0, qh[32+8] bits 4-5 = 0 -> -32, scale[12] = 1: -16. */
  memset (b, 0, sizeof b);
  b[0] = 0x05;
  b[33] = 0xa0;
  b[128 + 0] = 0x02;
  b[128 + 1] = 0x40;
  b[192 + 0] = 3; b[192 + 6] = (guint8) -2; b[192 + 12] = 1;
  b[208] = 0x00; b[209] = 0x38;
  {
    int idx[] = { 0, 97, 200 };
    float want[] = { 7.5f, 6, -16 };
    expect_row (HR_TYPE_Q6_K, b, 256, idx, want, 3);
  }
  /* Q8_K: float d = 0.5, qs[255] = -7 -> -3.5 */
  memset (b, 0, sizeof b);
  {
    float d = 0.5f;
    int idx[] = { 255, 0 };
    float want[] = { -3.5f, 0 };
    memcpy (b, &d, 4);
    b[4 + 255] = 0xf9;
    expect_row (HR_TYPE_Q8_K, b, 256, idx, want, 2);
  }
  /* F16 / BF16 rows */
  {
    guint16 h[2] = { 0x3c00, 0xc500 };
    int idx[] = { 0, 1 };
    float want_h[] = { 1, -5 }, want_b[] = { ldexpf (1, -120) * 1.0f, 0 };
    expect_row (HR_TYPE_F16, (const guint8 *) h, 2, idx, want_h, 2);
    h[0] = 0x0380; h[1] = 0x0000;
    want_b[0] = hr_bf16_to_fp32 (0x0380);
    g_assert_cmpfloat (want_b[0], ==, ldexpf (1, -120));
    expect_row (HR_TYPE_BF16, (const guint8 *) h, 2, idx, want_b, 2);
  }
}

/* Q8_K quantizer: bsums are sums of quants, d is the scale, extremes map to +-127. */
static void
test_q8_K_layout (void)
{
  float x[256];
  guint8 q[292];
  gint8 *qs = (gint8 *) (q + 4);
  float d;

  fill_random (x, 256, 1.0f);
  x[77] = -5.0f;
  hr_quantize_row (HR_TYPE_Q8_K, x, q, 256);
  memcpy (&d, q, 4);
  g_assert_cmpint (qs[77], ==, -127);
  g_assert_cmpfloat (fabsf (d - 5.0f / 127), <, 1e-7f);
  for (int g = 0; g < 16; g++)
    {
      int s = 0;
      gint16 bs;
      for (int l = 0; l < 16; l++)
        s += qs[16 * g + l];
      memcpy (&bs, q + 4 + 256 + 2 * g, 2);
      g_assert_cmpint (bs, ==, s);
    }
}

/* Blocks quantized by llama.cpp, dequantized by llama.cpp: ours must give the same floats,
 * bit for bit (see test-quants-golden.h for how they were made). */
static void
test_golden (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (golden_blocks); i++)
    {
      const golden_block *g = &golden_blocks[i];
      float *y = g_new0 (float, g->n);
      g_assert_cmpuint (hr_type_row_size (g->type, g->n), ==, g->nbytes);
      hr_dequantize_row_ref (g->type, g->bytes, y, g->n);
      for (int j = 0; j < g->n; j++)
        if (memcmp (&y[j], &g->floats[j], 4) != 0)
          g_error ("golden %s element %d: got %.9g want %.9g", hr_type_name (g->type), j, y[j],
                   g->floats[j]);
      for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
        {
          if (!hr_quants_set_level (levels[l]))
            continue;
          memset (y, 0, g->n * sizeof (float));
          hr_dequantize_row (g->type, g->bytes, y, g->n);
          g_assert_cmpmem (y, g->n * sizeof (float), g->floats, g->n * sizeof (float));
        }
      hr_quants_set_level (NULL);
      g_free (y);
    }
}

/* ---------------------------------------------------------------------------------------
 * Quantization error, llama.cpp's measure: sqrt (sum of squared errors) / n on
 * 0.1 + 2 cos (i), and an RMSE bound relative to the data on random normal data.
 */

static double
quant_error (hr_type t, const float *x, gint64 n, double *rel_rmse)
{
  void *q = quantize_new (t, x, n);
  float *y = g_new (float, n);
  double se = 0, sx = 0;

  hr_dequantize_row (t, q, y, n);
  for (gint64 i = 0; i < n; i++)
    {
      se += (double) (y[i] - x[i]) * (y[i] - x[i]);
      sx += (double) x[i] * x[i];
    }
  if (rel_rmse != NULL)
    *rel_rmse = sqrt (se / sx);
  g_free (q);
  g_free (y);
  return sqrt (se) / n;
}

static void
test_roundtrip (void)
{
  const gint64 n = 32 * 128;
  float *x = g_new (float, n), *r = g_new (float, n);

  for (gint64 i = 0; i < n; i++)
    x[i] = 0.1f + 2 * cosf ((float) i);
  fill_random (r, n, 1.0f);
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      hr_type t = all_types[k];
      /* llama.cpp's test-quantize-fns bounds, and relative RMSE bounds for normal data a
       * little above what the 2-8 bit grids allow */
      double bound = t == HR_TYPE_Q2_K ? 0.0075 : t == HR_TYPE_Q3_K ? 0.0040 : 0.002;
      double rel_bound = t == HR_TYPE_Q2_K ? 0.42 : t == HR_TYPE_Q3_K ? 0.21
                         : t == HR_TYPE_Q4_0 || t == HR_TYPE_Q4_1 || t == HR_TYPE_Q4_K ? 0.11
                         : t == HR_TYPE_Q5_0 || t == HR_TYPE_Q5_1 || t == HR_TYPE_Q5_K ? 0.055
                         : t == HR_TYPE_Q6_K ? 0.03 : t == HR_TYPE_BF16 ? 0.003 : 0.008;
      double rel, err = quant_error (t, x, n, NULL);
      quant_error (t, r, n, &rel);
      g_test_message ("%-5s cos-data error %.6f (bound %.4f)  normal-data rel. RMSE %.4f",
                      hr_type_name (t), err, bound, rel);
      g_assert_cmpfloat (err, <, bound);
      g_assert_cmpfloat (rel, <, rel_bound);
    }
  /* all zeros and a constant block stay exact */
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      double rel;
      memset (x, 0, n * sizeof (float));
      g_assert_cmpfloat (quant_error (all_types[k], x, 512, NULL), ==, 0);
      for (int i = 0; i < 512; i++)
        x[i] = -1.5f;
      g_assert_cmpfloat (quant_error (all_types[k], x, 512, &rel), <, 1e-3);
    }
  g_free (x);
  g_free (r);
}

/* ---------------------------------------------------------------------------------------
 * Dot products
 */

typedef struct
{
  hr_type t;
  gint64 n;
  float *wf, *xf;
  void *wq, *xq;
  double exact;        /* dot of dequantized weights and dequantized activations */
  double magnitude;    /* sum of |w_i x_i| on dequantized values */
} dot_case;

static void
dot_case_init (dot_case *c, hr_type t, gint64 n)
{
  hr_type vt = hr_type_get_traits (t)->vec_dot_type;
  float *wd = g_new (float, n), *xd = g_new (float, n);

  c->t = t;
  c->n = n;
  c->wf = g_new (float, n);
  c->xf = g_new (float, n);
  fill_random (c->wf, n, 0.05f);
  fill_random (c->xf, n, 3.0f);
  c->wq = quantize_new (t, c->wf, n);
  c->xq = quantize_new (vt, c->xf, n);
  hr_dequantize_row (t, c->wq, wd, n);
  hr_dequantize_row (vt, c->xq, xd, n);
  c->exact = c->magnitude = 0;
  for (gint64 i = 0; i < n; i++)
    {
      c->exact += (double) wd[i] * xd[i];
      c->magnitude += fabs ((double) wd[i] * xd[i]);
    }
  g_free (wd);
  g_free (xd);
}

static void
dot_case_clear (dot_case *c)
{
  g_free (c->wf);
  g_free (c->xf);
  g_free (c->wq);
  g_free (c->xq);
}

static const gint64 sizes_32[] = { 32, 96, 224, 928, 896, 4864 };
static const gint64 sizes_K[] = { 256, 768, 1792, 4864 - 4864 % 256, 2304 };

static void
for_each_case (void (*fn) (dot_case *c, gpointer data), gpointer data)
{
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      hr_type t = all_types[k];
      gboolean kq = block_size (t) == 256;
      const gint64 *sizes = kq ? sizes_K : sizes_32;
      gsize ns = kq ? G_N_ELEMENTS (sizes_K) : G_N_ELEMENTS (sizes_32);
      for (gsize s = 0; s < ns; s++)
        {
          dot_case c;
          dot_case_init (&c, t, sizes[s] + (block_size (t) == 1 ? 3 : 0));
          fn (&c, data);
          dot_case_clear (&c);
        }
    }
}

/* Every SIMD level gives the reference's value up to float rounding, and the reference
 * gives the float dot of the dequantized vectors. */
static void
check_dot_levels (dot_case *c, gpointer data)
{
  float ref = hr_vec_dot_ref (c->t, c->n, c->wq, c->xq);
  double tol = 2e-6 * c->magnitude + 1e-6;
  /* Q8_1 keeps d * sum (qs) in half precision, and the dot uses that rounded sum */
  double tol_exact = hr_type_get_traits (c->t)->vec_dot_type == HR_TYPE_Q8_1
                     ? 1e-3 * c->magnitude : tol;

  if (fabs (ref - c->exact) > tol_exact)
    g_error ("%s n=%" G_GINT64_FORMAT ": reference %.8g, dequantized dot %.8g",
             hr_type_name (c->t), c->n, ref, c->exact);
  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      float got;
      if (!hr_quants_set_level (levels[l]))
        continue;
      got = hr_vec_dot (c->t, c->n, c->wq, c->xq);
      if (fabs (got - ref) > tol)
        g_error ("%s n=%" G_GINT64_FORMAT " level %s: got %.8g, reference %.8g (tol %.3g)",
                 hr_type_name (c->t), c->n, levels[l], got, ref, tol);
      {
        /* the rows entry point: the same row twice (stride 0) */
        float two[2] = { NAN, NAN };
        hr_vec_dot_rows (c->t, c->n, c->wq, 0, 2, c->xq, two);
        g_assert_cmpfloat (two[0], ==, got);
        g_assert_cmpfloat (two[1], ==, got);
      }
    }
  hr_quants_set_level (NULL);
}

static void
test_dot_levels (void)
{
  int n_levels = 0;
  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
    if (hr_quants_set_level (levels[l]))
      {
        g_test_message ("SIMD level available: %s", levels[l]);
        n_levels++;
      }
  hr_quants_set_level (NULL);
  g_assert_cmpint (n_levels, >=, 1);
  g_assert_false (hr_quants_set_level ("avx9000"));
  for_each_case (check_dot_levels, NULL);
}

/* Extreme bytes no quantizer writes but a file may hold: Q8_0 weights of -128 against
 * activations of +-127 must not overflow the 16-bit pair sums of the AVX2 kernels. */
static void
test_dot_extremes (void)
{
  const int nb = 7;
  guint8 *w = g_malloc0 (34 * nb), *x = g_malloc0 (34 * nb);
  float out[2];

  for (int i = 0; i < nb; i++)
    {
      w[34 * i + 1] = 0x3c;   /* d = 1 */
      x[34 * i + 1] = 0x3c;
      for (int j = 0; j < 32; j++)
        {
          w[34 * i + 2 + j] = 0x80;                                   /* -128 */
          x[34 * i + 2 + j] = (guint8) (j % 3 == 0 ? 0x81 : 0x7f);    /* -127 or 127 */
        }
    }
  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      float want = 0;
      if (!hr_quants_set_level (levels[l]))
        continue;
      for (int j = 0; j < 32; j++)
        want += -128.0f * (j % 3 == 0 ? -127 : 127);
      want *= nb;
      g_assert_cmpfloat (hr_vec_dot_ref (HR_TYPE_Q8_0, 32 * nb, w, x), ==, want);
      g_assert_cmpfloat (hr_vec_dot (HR_TYPE_Q8_0, 32 * nb, w, x), ==, want);
      hr_vec_dot_tile (HR_TYPE_Q8_0, 32 * nb, w, 0, 2, x, 0, 1, out, 1);
      g_assert_cmpfloat (out[0], ==, want);
      g_assert_cmpfloat (out[1], ==, want);
    }
  hr_quants_set_level (NULL);
  g_free (w);
  g_free (x);
}

/* Quantized dot against the float dot of the original vectors: llama.cpp's bound on
 * |error| / n with its test data. */
static void
test_dot_vs_float (void)
{
  const gint64 n = 32 * 128;
  float *a = g_new (float, n), *b = g_new (float, n);
  double exact = 0;

  for (gint64 i = 0; i < n; i++)
    {
      a[i] = 0.1f + 2 * cosf ((float) i);
      b[i] = 0.1f + 2 * cosf ((float) i + 1);
      exact += (double) a[i] * b[i];
    }
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      hr_type t = all_types[k];
      void *wq = quantize_new (t, a, n);
      void *xq = quantize_new (hr_type_get_traits (t)->vec_dot_type, b, n);
      double bound = t == HR_TYPE_Q2_K ? 0.04 : 0.02;
      double err = fabs (hr_vec_dot (t, n, wq, xq) - exact) / n;
      g_test_message ("%-5s dot error %.6f", hr_type_name (t), err);
      g_assert_cmpfloat (err, <, bound);
      g_free (wq);
      g_free (xq);
    }
  g_free (a);
  g_free (b);
}

/* The tile kernel against single dots, at every level, with odd shapes and strides. */
static void
test_tile (void)
{
  static const int shapes[][2] = { { 1, 1 }, { 3, 5 }, { 5, 17 }, { 8, 16 }, { 2, 37 } };

  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      hr_type t = all_types[k];
      hr_type vt = hr_type_get_traits (t)->vec_dot_type;
      gint64 n = block_size (t) == 256 ? 768 : block_size (t) == 1 ? 97 : 224;
      size_t wrow = hr_type_row_size (t, n) + 8, xrow = hr_type_row_size (vt, n) + 4;
      int max_r = 8, max_c = 37;
      guint8 *w = g_malloc0 (wrow * max_r), *x = g_malloc0 (xrow * max_c);
      float *f = g_new (float, n);
      float *out = g_new (float, max_r * 40);

      for (int r = 0; r < max_r; r++)
        {
          fill_random (f, n, 0.1f);
          hr_quantize_row (t, f, w + r * wrow, n);
        }
      for (int c = 0; c < max_c; c++)
        {
          fill_random (f, n, 2.0f);
          hr_quantize_row (vt, f, x + c * xrow, n);
        }
      for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
        {
          if (!hr_quants_set_level (levels[l]))
            continue;
          for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
            {
              int nr = shapes[s][0], nc = shapes[s][1];
              for (int i = 0; i < max_r * 40; i++)
                out[i] = NAN;
              hr_vec_dot_tile (t, n, w, wrow, nr, x, xrow, nc, out, 40);
              for (int r = 0; r < nr; r++)
                {
                  for (int c = 0; c < nc; c++)
                    {
                      float one = hr_vec_dot_ref (t, n, w + r * wrow, x + c * xrow);
                      float got = out[r * 40 + c];
                      float tol = 1e-5f * fmaxf (1, fabsf (one)) + 1e-4f;
                      if (!(fabsf (got - one) <= tol))
                        g_error ("tile %s level %s %dx%d at (%d,%d): %.8g vs %.8g",
                                 hr_type_name (t), levels[l], nr, nc, r, c, got, one);
                    }
                  /* nothing written past the tile */
                  for (int c = nc; c < 40; c++)
                    g_assert_true (isnan (out[r * 40 + c]));
                }
              /* token-major output: out[c * 8 + r] */
              for (int i = 0; i < max_r * 40; i++)
                out[i] = NAN;
              hr_vec_dot_tile_ex (t, n, w, wrow, nr, x, xrow, nc, out, 1, 8);
              for (int r = 0; r < 8; r++)
                for (int c = 0; c < 40; c++)
                  {
                    float got = out[c * 8 + r];
                    if (r >= nr || c >= nc)
                      g_assert_true (isnan (got));
                    else
                      {
                        float one = hr_vec_dot_ref (t, n, w + r * wrow, x + c * xrow);
                        float tol = 1e-5f * fmaxf (1, fabsf (one)) + 1e-4f;
                        if (!(fabsf (got - one) <= tol))
                          g_error ("tile_ex %s level %s %dx%d at (%d,%d): %.8g vs %.8g",
                                   hr_type_name (t), levels[l], nr, nc, r, c, got, one);
                      }
                  }
            }
        }
      hr_quants_set_level (NULL);
      g_free (w);
      g_free (x);
      g_free (f);
      g_free (out);
    }
}

/* Wide tiles: more activation columns than the kernels keep ready at once (several passes
 * over the rows), long rows, and a row count that is not a multiple of four. */
static void
test_tile_wide (void)
{
  const hr_type types[] = { HR_TYPE_Q8_0, HR_TYPE_Q4_K, HR_TYPE_Q6_K, HR_TYPE_F16 };
  const gint64 n = 4864 - 4864 % 256;
  const int nr = 7, nc = 70;

  for (gsize k = 0; k < G_N_ELEMENTS (types); k++)
    {
      hr_type t = types[k], vt = hr_type_get_traits (t)->vec_dot_type;
      size_t wrow = hr_type_row_size (t, n), xrow = hr_type_row_size (vt, n);
      guint8 *w = g_malloc (wrow * nr), *x = g_malloc (xrow * nc);
      float *f = g_new (float, n), *out = g_new (float, nr * nc);

      for (int r = 0; r < nr; r++)
        {
          fill_random (f, n, 0.05f);
          hr_quantize_row (t, f, w + r * wrow, n);
        }
      for (int c = 0; c < nc; c++)
        {
          fill_random (f, n, 1.0f);
          hr_quantize_row (vt, f, x + c * xrow, n);
        }
      for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
        {
          if (!hr_quants_set_level (levels[l]))
            continue;
          hr_vec_dot_tile (t, n, w, wrow, nr, x, xrow, nc, out, nc);
          for (int r = 0; r < nr; r++)
            for (int c = 0; c < nc; c++)
              {
                float one = hr_vec_dot_ref (t, n, w + r * wrow, x + c * xrow);
                float got = out[r * nc + c];
                if (!(fabsf (got - one) <= 1e-5f * fmaxf (1, fabsf (one)) + 1e-4f))
                  g_error ("wide tile %s level %s at (%d,%d): %.8g vs %.8g", hr_type_name (t),
                           levels[l], r, c, got, one);
              }
        }
      hr_quants_set_level (NULL);
      g_free (w);
      g_free (x);
      g_free (f);
      g_free (out);
    }
}

/* hr_dequantize_row at every level gives the reference's floats, bit for bit. */
static void
test_dequantize_levels (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      hr_type t = all_types[k];
      gint64 n = block_size (t) == 256 ? 256 * 5 : 32 * 13 + (block_size (t) == 1 ? 5 : 0);
      float *x = g_new (float, n), *want = g_new (float, n), *got = g_new (float, n);
      void *q;
      fill_random (x, n, 0.7f);
      q = quantize_new (t, x, n);
      hr_dequantize_row_ref (t, q, want, n);
      for (gsize l = 0; l < G_N_ELEMENTS (levels); l++)
        {
          if (!hr_quants_set_level (levels[l]))
            continue;
          hr_dequantize_row (t, q, got, n);
          for (gint64 i = 0; i < n; i++)
            if (memcmp (&got[i], &want[i], 4) != 0)
              g_error ("%s level %s element %" G_GINT64_FORMAT ": %.9g, reference %.9g",
                       hr_type_name (t), levels[l], i, got[i], want[i]);
        }
      hr_quants_set_level (NULL);
      g_free (x);
      g_free (want);
      g_free (got);
      g_free (q);
    }
}

/* The SIMD activation quantizers write the scalar quantizer's bytes, halves included. */
static void
test_quantize_levels (void)
{
  const hr_type act[] = { HR_TYPE_Q8_0, HR_TYPE_Q8_1, HR_TYPE_Q8_K };
  const gint64 n = 256 * 9;
  float *x = g_new (float, n);

  fill_random (x, n, 2.0f);
  /* block 1: amax 127 so products are the values: exact halves must round away from 0 */
  for (int j = 0; j < 32; j++)
    x[32 + j] = (j == 0 ? 127.0f : (float) (j - 16) + 0.5f);
  /* an all-zero block, one with equal and opposite extremes, a tiny one */
  memset (x + 256, 0, 256 * sizeof (float));
  x[512 + 3] = -4.0f;
  x[512 + 200] = 4.0f;
  for (int j = 768; j < 1024; j++)
    x[j] = 1e-30f * (j % 7 - 3);
  for (gsize k = 0; k < G_N_ELEMENTS (act); k++)
    {
      size_t size = hr_type_row_size (act[k], n);
      guint8 *want = g_malloc (size), *got = g_malloc (size);
      g_assert_true (hr_quants_set_level ("scalar"));
      hr_quantize_row (act[k], x, want, n);
      for (gsize l = 1; l < G_N_ELEMENTS (levels); l++)
        {
          if (!hr_quants_set_level (levels[l]))
            continue;
          memset (got, 0xaa, size);
          hr_quantize_row (act[k], x, got, n);
          for (size_t i = 0; i < size; i++)
            if (got[i] != want[i])
              g_error ("%s level %s: byte %zu is %02x, scalar wrote %02x",
                       hr_type_name (act[k]), levels[l], i, got[i], want[i]);
        }
      g_free (want);
      g_free (got);
    }
  hr_quants_set_level (NULL);
  g_free (x);
}

/* hr_quants_force_scalar routes every call to the reference kernels. */
static void
test_force_scalar (void)
{
  const char *best;

  hr_quants_init ();
  best = hr_quants_simd_name ();
  hr_quants_force_scalar (TRUE);
  g_assert_cmpstr (hr_quants_simd_name (), ==, "scalar");
  for (gsize k = 0; k < G_N_ELEMENTS (all_types); k++)
    {
      dot_case c;
      dot_case_init (&c, all_types[k], 512);
      g_assert_cmpfloat (hr_vec_dot (c.t, c.n, c.wq, c.xq), ==,
                         hr_vec_dot_ref (c.t, c.n, c.wq, c.xq));
      dot_case_clear (&c);
    }
  hr_quants_force_scalar (FALSE);
  g_assert_cmpstr (hr_quants_simd_name (), ==, best);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  hr_quants_init ();

  g_test_add_func ("/heron/engine/quants/traits", test_traits);
  g_test_add_func ("/heron/engine/quants/half", test_half);
  g_test_add_func ("/heron/engine/quants/known-blocks", test_known_blocks);
  g_test_add_func ("/heron/engine/quants/q8_K-layout", test_q8_K_layout);
  g_test_add_func ("/heron/engine/quants/golden-llama.cpp", test_golden);
  g_test_add_func ("/heron/engine/quants/roundtrip", test_roundtrip);
  g_test_add_func ("/heron/engine/quants/dot-levels", test_dot_levels);
  g_test_add_func ("/heron/engine/quants/dot-extremes", test_dot_extremes);
  g_test_add_func ("/heron/engine/quants/dot-vs-float", test_dot_vs_float);
  g_test_add_func ("/heron/engine/quants/tile", test_tile);
  g_test_add_func ("/heron/engine/quants/tile-wide", test_tile_wide);
  g_test_add_func ("/heron/engine/quants/quantize-levels", test_quantize_levels);
  g_test_add_func ("/heron/engine/quants/dequantize-levels", test_dequantize_levels);
  g_test_add_func ("/heron/engine/quants/force-scalar", test_force_scalar);
  return g_test_run ();
}
