/* quants.c: tensor type traits, half-precision conversion, reference quantizers,
 * dequantizers and dot products, and the run-time choice of SIMD kernels.
 *
 * Everything here is the scalar reference, written from the block layouts in
 * quants-impl.h; the SIMD kernels live in quants-x86.c and are tested against these.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "quants.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "quants-impl.h"

static hr_kernels kernels;   /* chosen at run time; NULL entries fall back to the references */

/* ---------------------------------------------------------------------------------------
 * Traits
 */

static const hr_type_traits type_traits[HR_TYPE_COUNT] = {
  [HR_TYPE_F32] = { "f32", 1, 4, HR_TYPE_F32, true },
  [HR_TYPE_F16] = { "f16", 1, 2, HR_TYPE_F32, true },
  [HR_TYPE_BF16] = { "bf16", 1, 2, HR_TYPE_F32, true },
  [HR_TYPE_Q4_0] = { "q4_0", HR_QK, sizeof (hr_block_q4_0), HR_TYPE_Q8_0, true },
  [HR_TYPE_Q4_1] = { "q4_1", HR_QK, sizeof (hr_block_q4_1), HR_TYPE_Q8_1, true },
  [HR_TYPE_Q5_0] = { "q5_0", HR_QK, sizeof (hr_block_q5_0), HR_TYPE_Q8_0, true },
  [HR_TYPE_Q5_1] = { "q5_1", HR_QK, sizeof (hr_block_q5_1), HR_TYPE_Q8_1, true },
  [HR_TYPE_Q8_0] = { "q8_0", HR_QK, sizeof (hr_block_q8_0), HR_TYPE_Q8_0, true },
  [HR_TYPE_Q8_1] = { "q8_1", HR_QK, sizeof (hr_block_q8_1), HR_TYPE_Q8_1, true },
  [HR_TYPE_Q2_K] = { "q2_K", HR_QK_K, sizeof (hr_block_q2_K), HR_TYPE_Q8_K, true },
  [HR_TYPE_Q3_K] = { "q3_K", HR_QK_K, sizeof (hr_block_q3_K), HR_TYPE_Q8_K, true },
  [HR_TYPE_Q4_K] = { "q4_K", HR_QK_K, sizeof (hr_block_q4_K), HR_TYPE_Q8_K, true },
  [HR_TYPE_Q5_K] = { "q5_K", HR_QK_K, sizeof (hr_block_q5_K), HR_TYPE_Q8_K, true },
  [HR_TYPE_Q6_K] = { "q6_K", HR_QK_K, sizeof (hr_block_q6_K), HR_TYPE_Q8_K, true },
  [HR_TYPE_Q8_K] = { "q8_K", HR_QK_K, sizeof (hr_block_q8_K), HR_TYPE_Q8_K, true },
};

const hr_type_traits *
hr_type_get_traits (hr_type t)
{
  if ((int) t < 0 || (int) t >= HR_TYPE_COUNT)
    return NULL;
  return &type_traits[t];
}

bool
hr_type_is_valid (int t)
{
  return t >= 0 && t < HR_TYPE_COUNT && type_traits[t].supported;
}

const char *
hr_type_name (hr_type t)
{
  if (!hr_type_is_valid (t))
    return "unknown";
  return type_traits[t].name;
}

size_t
hr_type_row_size (hr_type t, int64_t n)
{
  const hr_type_traits *tr;

  if (!hr_type_is_valid (t) || n < 0)
    return 0;
  tr = &type_traits[t];
  if (n % tr->block_size != 0)
    return 0;
  if ((uint64_t) (n / tr->block_size) > SIZE_MAX / tr->type_size)
    return 0;
  return (size_t) (n / tr->block_size) * tr->type_size;
}

/* ---------------------------------------------------------------------------------------
 * Half precision (IEEE binary16) and bfloat16, round to nearest even.
 */

static inline uint32_t
f2u (float f)
{
  uint32_t u;
  memcpy (&u, &f, 4);
  return u;
}

static inline float
u2f (uint32_t u)
{
  float f;
  memcpy (&f, &u, 4);
  return f;
}

float
hr_fp16_to_fp32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;

  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24, exact in float */
      float f = (float) mant * 0x1p-24f;
      return u2f (f2u (f) | sign);
    }
  if (exp == 31)
    return u2f (sign | 0x7f800000 | (mant << 13));
  return u2f (sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t
hr_fp32_to_fp16 (float f)
{
  uint32_t x = f2u (f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffff;

  if (ax > 0x7f800000)
    return (uint16_t) (sign | 0x7e00 | ((ax >> 13) & 0x3ff));   /* NaN stays NaN */
  if (ax >= 0x477ff000)
    return (uint16_t) (sign | 0x7c00);   /* 65520 and up round to infinity */
  if (ax >= 0x38800000)
    {
      /* normal: rebias the exponent, round the 13 dropped bits */
      uint32_t r = (ax - 0x38000000) >> 13;
      uint32_t rem = ax & 0x1fff;
      if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
        r++;
      return (uint16_t) (sign | r);
    }
  if (ax <= 0x33000000)
    return (uint16_t) sign;   /* below half the smallest subnormal (a tie rounds to 0) */
  {
    /* subnormal result: count in units of 2^-24 */
    uint32_t e = ax >> 23;
    uint32_t m = (ax & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e;
    uint32_t r = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1)))
      r++;
    return (uint16_t) (sign | r);
  }
}

float
hr_bf16_to_fp32 (uint16_t h)
{
  return u2f ((uint32_t) h << 16);
}

uint16_t
hr_fp32_to_bf16 (float f)
{
  uint32_t x = f2u (f);

  if ((x & 0x7fffffff) > 0x7f800000)
    return (uint16_t) ((x >> 16) | 0x40);   /* quiet NaN */
  return (uint16_t) ((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

/* ---------------------------------------------------------------------------------------
 * Unpacking: each block format turned into small integers and integer scales. The
 * dequantizers and the reference dots both go through these, so the layout is written
 * down once.
 */

/* Quants of a Q4_0/Q4_1 block, 0..15. */
static void
unpack_nibbles32 (const uint8_t *qs, int8_t *q)
{
  for (int j = 0; j < 16; j++)
    {
      q[j] = qs[j] & 0x0f;
      q[j + 16] = qs[j] >> 4;
    }
}

/* Quants of a Q5_0/Q5_1 block, 0..31. */
static void
unpack_q5 (const uint8_t *qh4, const uint8_t *qs, int8_t *q)
{
  uint32_t qh = (uint32_t) qh4[0] | (uint32_t) qh4[1] << 8 | (uint32_t) qh4[2] << 16
                | (uint32_t) qh4[3] << 24;

  for (int j = 0; j < 16; j++)
    {
      q[j] = (qs[j] & 0x0f) | ((qh >> j) & 1) << 4;
      q[j + 16] = (qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4;
    }
}

/* The 2-bit planes shared by Q2_K and Q3_K: each 128-element half uses 32 bytes; element
 * 32*k + l of the half sits at bits 2k..2k+1 of byte l. */
static void
unpack_2bit256 (const uint8_t *qs, int8_t *q)
{
  for (int h = 0; h < 2; h++)
    for (int k = 0; k < 4; k++)
      for (int l = 0; l < 32; l++)
        q[128 * h + 32 * k + l] = (qs[32 * h + l] >> (2 * k)) & 3;
}

/* Q2_K: quants 0..3, scale and min (4 bits each) per 16 elements. */
static void
unpack_q2_K (const hr_block_q2_K *b, int8_t *q, int *sc, int *m)
{
  unpack_2bit256 (b->qs, q);
  for (int j = 0; j < 16; j++)
    {
      sc[j] = b->scales[j] & 0x0f;
      m[j] = b->scales[j] >> 4;
    }
}

/* Q3_K: quants -4..3 (a clear hmask bit means minus 4), signed scale per 16 elements.
 * The hmask bit of element 32*k + l of half h is bit 4h + k of hmask[l]. */
static void
unpack_q3_K (const hr_block_q3_K *b, int8_t *q, int *sc)
{
  unpack_2bit256 (b->qs, q);
  for (int h = 0; h < 2; h++)
    for (int k = 0; k < 4; k++)
      for (int l = 0; l < 32; l++)
        if (!(b->hmask[l] & (1 << (4 * h + k))))
          q[128 * h + 32 * k + l] -= 4;
  for (int j = 0; j < 16; j++)
    sc[j] = hr_q3k_scale (b->scales, j);
}

/* Q4_K: quants 0..15; sub-block 2p takes the low nibbles of qs[32p..32p+31], 2p+1 the
 * high ones; six-bit scale and min per 32 elements. */
static void
unpack_q4_K (const hr_block_q4_K *b, int8_t *q, int *sc, int *m)
{
  for (int p = 0; p < 4; p++)
    for (int l = 0; l < 32; l++)
      {
        q[64 * p + l] = b->qs[32 * p + l] & 0x0f;
        q[64 * p + 32 + l] = b->qs[32 * p + l] >> 4;
      }
  for (int j = 0; j < 8; j++)
    hr_k4_scale_min (b->scales, j, &sc[j], &m[j]);
}

/* Q5_K: Q4_K plus a fifth bit: bit j of qh[l] for element l of sub-block j. */
static void
unpack_q5_K (const hr_block_q5_K *b, int8_t *q, int *sc, int *m)
{
  for (int p = 0; p < 4; p++)
    for (int l = 0; l < 32; l++)
      {
        q[64 * p + l] = (b->qs[32 * p + l] & 0x0f) | ((b->qh[l] >> (2 * p)) & 1) << 4;
        q[64 * p + 32 + l] = (b->qs[32 * p + l] >> 4) | ((b->qh[l] >> (2 * p + 1)) & 1) << 4;
      }
  for (int j = 0; j < 8; j++)
    hr_k4_scale_min (b->scales, j, &sc[j], &m[j]);
}

/* Q6_K: quants -32..31. In each 128-element half, ql holds 64 bytes and qh 32: element
 * 32*k + l takes a nibble of ql[l + 32*(k&1)] (low for k < 2, high otherwise) and bits
 * 2k..2k+1 of qh[l]. One signed 8-bit scale per 16 elements. */
static void
unpack_q6_K (const hr_block_q6_K *b, int8_t *q, int *sc)
{
  for (int h = 0; h < 2; h++)
    {
      const uint8_t *ql = b->ql + 64 * h;
      const uint8_t *qh = b->qh + 32 * h;
      for (int k = 0; k < 4; k++)
        for (int l = 0; l < 32; l++)
          {
            int lo = ql[l + 32 * (k & 1)];
            lo = k < 2 ? (lo & 0x0f) : (lo >> 4);
            q[128 * h + 32 * k + l] = (int8_t) ((lo | ((qh[l] >> (2 * k)) & 3) << 4) - 32);
          }
    }
  for (int j = 0; j < 16; j++)
    sc[j] = b->scales[j];
}

/* ---------------------------------------------------------------------------------------
 * Reference dequantizers
 */

void
hr_dequantize_row_ref (hr_type t, const void *src, float *dst, int64_t n)
{
  int8_t q[HR_QK_K];
  int sc[16], m[16];

  switch (t)
    {
    case HR_TYPE_F32:
      memcpy (dst, src, (size_t) n * sizeof (float));
      break;
    case HR_TYPE_F16:
      for (int64_t i = 0; i < n; i++)
        dst[i] = hr_fp16_to_fp32 (((const uint16_t *) src)[i]);
      break;
    case HR_TYPE_BF16:
      for (int64_t i = 0; i < n; i++)
        dst[i] = hr_bf16_to_fp32 (((const uint16_t *) src)[i]);
      break;
    case HR_TYPE_Q4_0:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q4_0 *b = (const hr_block_q4_0 *) src + i;
          float d = hr_h2f (b->d);
          unpack_nibbles32 (b->qs, q);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * (q[j] - 8);
        }
      break;
    case HR_TYPE_Q4_1:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q4_1 *b = (const hr_block_q4_1 *) src + i;
          float d = hr_h2f (b->d), mn = hr_h2f (b->m);
          unpack_nibbles32 (b->qs, q);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * q[j] + mn;
        }
      break;
    case HR_TYPE_Q5_0:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q5_0 *b = (const hr_block_q5_0 *) src + i;
          float d = hr_h2f (b->d);
          unpack_q5 (b->qh, b->qs, q);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * (q[j] - 16);
        }
      break;
    case HR_TYPE_Q5_1:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q5_1 *b = (const hr_block_q5_1 *) src + i;
          float d = hr_h2f (b->d), mn = hr_h2f (b->m);
          unpack_q5 (b->qh, b->qs, q);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * q[j] + mn;
        }
      break;
    case HR_TYPE_Q8_0:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q8_0 *b = (const hr_block_q8_0 *) src + i;
          float d = hr_h2f (b->d);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * b->qs[j];
        }
      break;
    case HR_TYPE_Q8_1:
      for (int64_t i = 0; i < n / HR_QK; i++)
        {
          const hr_block_q8_1 *b = (const hr_block_q8_1 *) src + i;
          float d = hr_h2f (b->d);
          for (int j = 0; j < HR_QK; j++)
            dst[i * HR_QK + j] = d * b->qs[j];
        }
      break;
    case HR_TYPE_Q2_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q2_K *b = (const hr_block_q2_K *) src + i;
          float d = hr_h2f (b->d), dmin = hr_h2f (b->dmin);
          unpack_q2_K (b, q, sc, m);
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = d * sc[j / 16] * q[j] - dmin * m[j / 16];
        }
      break;
    case HR_TYPE_Q3_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q3_K *b = (const hr_block_q3_K *) src + i;
          float d = hr_h2f (b->d);
          unpack_q3_K (b, q, sc);
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = d * sc[j / 16] * q[j];
        }
      break;
    case HR_TYPE_Q4_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q4_K *b = (const hr_block_q4_K *) src + i;
          float d = hr_h2f (b->d), dmin = hr_h2f (b->dmin);
          unpack_q4_K (b, q, sc, m);
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = d * sc[j / 32] * q[j] - dmin * m[j / 32];
        }
      break;
    case HR_TYPE_Q5_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q5_K *b = (const hr_block_q5_K *) src + i;
          float d = hr_h2f (b->d), dmin = hr_h2f (b->dmin);
          unpack_q5_K (b, q, sc, m);
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = d * sc[j / 32] * q[j] - dmin * m[j / 32];
        }
      break;
    case HR_TYPE_Q6_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q6_K *b = (const hr_block_q6_K *) src + i;
          float d = hr_h2f (b->d);
          unpack_q6_K (b, q, sc);
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = d * sc[j / 16] * q[j];
        }
      break;
    case HR_TYPE_Q8_K:
      for (int64_t i = 0; i < n / HR_QK_K; i++)
        {
          const hr_block_q8_K *b = (const hr_block_q8_K *) src + i;
          for (int j = 0; j < HR_QK_K; j++)
            dst[i * HR_QK_K + j] = b->d * b->qs[j];
        }
      break;
    default:
      memset (dst, 0, (size_t) n * sizeof (float));
      break;
    }
}

void
hr_dequantize_row (hr_type t, const void *src, float *dst, int64_t n)
{
  hr_quants_init ();
  if ((unsigned) t < HR_TYPE_COUNT && kernels.dequant[t] != NULL)
    kernels.dequant[t] (src, dst, n);
  else
    hr_dequantize_row_ref (t, src, dst, n);
}

/* ---------------------------------------------------------------------------------------
 * Reference quantizers
 */

/* Round to nearest, ties to even, for |f| < 2^22: adding 1.5 * 2^23 leaves the integer
 * in the low mantissa bits. */
static inline int
round_int (float f)
{
  float v = f + 12582912.f;
  int32_t i;
  memcpy (&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

static inline int
clampi (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* Signed value with the largest magnitude (its sign decides which end of the range it
 * maps to, so that the extreme value is represented exactly). */
static float
signed_absmax (const float *x, int n)
{
  float amax = 0, max = 0;
  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > amax)
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  return max;
}

static void
quantize_q4_0 (const float *x, hr_block_q4_0 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float d = signed_absmax (x, HR_QK) / -8;
      float id = d != 0 ? 1.0f / d : 0.0f;
      y[i].d = hr_fp32_to_fp16 (d);
      for (int j = 0; j < 16; j++)
        {
          int a = clampi ((int) (x[j] * id + 8.5f), 0, 15);
          int b = clampi ((int) (x[j + 16] * id + 8.5f), 0, 15);
          y[i].qs[j] = (uint8_t) (a | b << 4);
        }
    }
}

static void
minmax (const float *x, int n, float *mn, float *mx)
{
  *mn = FLT_MAX;
  *mx = -FLT_MAX;
  for (int j = 0; j < n; j++)
    {
      *mn = fminf (*mn, x[j]);
      *mx = fmaxf (*mx, x[j]);
    }
}

static void
quantize_q4_1 (const float *x, hr_block_q4_1 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float mn, mx, d, id;
      minmax (x, HR_QK, &mn, &mx);
      d = (mx - mn) / 15;
      id = d != 0 ? 1.0f / d : 0.0f;
      y[i].d = hr_fp32_to_fp16 (d);
      y[i].m = hr_fp32_to_fp16 (mn);
      for (int j = 0; j < 16; j++)
        {
          int a = clampi ((int) ((x[j] - mn) * id + 0.5f), 0, 15);
          int b = clampi ((int) ((x[j + 16] - mn) * id + 0.5f), 0, 15);
          y[i].qs[j] = (uint8_t) (a | b << 4);
        }
    }
}

static void
pack_q5 (const int *q, uint8_t *qh4, uint8_t *qs)
{
  uint32_t qh = 0;
  for (int j = 0; j < 16; j++)
    {
      qs[j] = (uint8_t) ((q[j] & 0x0f) | (q[j + 16] & 0x0f) << 4);
      qh |= (uint32_t) (q[j] >> 4) << j;
      qh |= (uint32_t) (q[j + 16] >> 4) << (j + 16);
    }
  for (int k = 0; k < 4; k++)
    qh4[k] = (uint8_t) (qh >> (8 * k));
}

static void
quantize_q5_0 (const float *x, hr_block_q5_0 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float d = signed_absmax (x, HR_QK) / -16;
      float id = d != 0 ? 1.0f / d : 0.0f;
      int q[HR_QK];
      y[i].d = hr_fp32_to_fp16 (d);
      for (int j = 0; j < HR_QK; j++)
        q[j] = clampi ((int) (x[j] * id + 16.5f), 0, 31);
      pack_q5 (q, y[i].qh, y[i].qs);
    }
}

static void
quantize_q5_1 (const float *x, hr_block_q5_1 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float mn, mx, d, id;
      int q[HR_QK];
      minmax (x, HR_QK, &mn, &mx);
      d = (mx - mn) / 31;
      id = d != 0 ? 1.0f / d : 0.0f;
      y[i].d = hr_fp32_to_fp16 (d);
      y[i].m = hr_fp32_to_fp16 (mn);
      for (int j = 0; j < HR_QK; j++)
        q[j] = clampi ((int) ((x[j] - mn) * id + 0.5f), 0, 31);
      pack_q5 (q, y[i].qh, y[i].qs);
    }
}

/* Q8_0 and Q8_1 round half away from zero, as llama.cpp does, so that activations
 * quantized here and there agree bit for bit. */
static void
quantize_q8 (const float *x, int8_t *qs, float *d_out, int *sum_out)
{
  float amax = 0, d, id;
  int sum = 0;
  for (int j = 0; j < HR_QK; j++)
    amax = fmaxf (amax, fabsf (x[j]));
  d = amax / 127;
  id = d != 0 ? 1.0f / d : 0.0f;
  for (int j = 0; j < HR_QK; j++)
    {
      qs[j] = (int8_t) roundf (x[j] * id);
      sum += qs[j];
    }
  *d_out = d;
  *sum_out = sum;
}

static void
quantize_q8_0 (const float *x, hr_block_q8_0 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float d;
      int sum;
      quantize_q8 (x, y[i].qs, &d, &sum);
      y[i].d = hr_fp32_to_fp16 (d);
    }
}

static void
quantize_q8_1 (const float *x, hr_block_q8_1 *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK)
    {
      float d;
      int sum;
      quantize_q8 (x, y[i].qs, &d, &sum);
      y[i].d = hr_fp32_to_fp16 (d);
      y[i].s = hr_fp32_to_fp16 (d * sum);
    }
}

static void
quantize_q8_K (const float *x, hr_block_q8_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      float max = signed_absmax (x, HR_QK_K);
      float iscale;
      if (max == 0)
        {
          memset (&y[i], 0, sizeof y[i]);
          continue;
        }
      /* the extreme maps to -127 (not -128) so negating a quant never overflows */
      iscale = -127.f / max;
      for (int j = 0; j < HR_QK_K; j++)
        y[i].qs[j] = (int8_t) clampi (round_int (iscale * x[j]), -127, 127);
      for (int g = 0; g < 16; g++)
        {
          int s = 0;
          for (int l = 0; l < 16; l++)
            s += y[i].qs[16 * g + l];
          y[i].bsums[g] = (int16_t) s;
        }
      y[i].d = 1 / iscale;
    }
}

/* Asymmetric fit x ~ scale * L + min with L in 0..nmax and min <= 0, minimising the
 * weighted error (squared, or absolute when use_abs). Starts from the min-max grid,
 * then tries nsteps stretched grids, each refined by a weighted least-squares solve for
 * scale and min. Returns the scale; *neg_min receives -min (>= 0). */
static float
fit_scale_min (int n, int nmax, const float *x, const float *w, uint8_t *L, float *neg_min,
               float stretch0, float stretch_step, int nsteps, bool use_abs)
{
  float mn = x[0], mx = x[0], sw = 0, swx = 0;
  float scale, best_err = 0;
  uint8_t La[32];

  for (int i = 0; i < n; i++)
    {
      mn = fminf (mn, x[i]);
      mx = fmaxf (mx, x[i]);
      sw += w[i];
      swx += w[i] * x[i];
    }
  if (mn > 0)
    mn = 0;
  if (mx == mn)
    {
      memset (L, 0, (size_t) n);
      *neg_min = -mn;
      return 0;
    }
  scale = (mx - mn) / nmax;
  for (int i = 0; i < n; i++)
    {
      float e;
      L[i] = (uint8_t) clampi (round_int ((x[i] - mn) / scale), 0, nmax);
      e = scale * L[i] + mn - x[i];
      best_err += w[i] * (use_abs ? fabsf (e) : e * e);
    }
  for (int s = 0; s <= nsteps; s++)
    {
      float is = (nmax + stretch0 + stretch_step * s) / (mx - mn);
      float sl = 0, sl2 = 0, sxl = 0, det, this_scale, this_min, err = 0;
      for (int i = 0; i < n; i++)
        {
          int l = clampi (round_int (is * (x[i] - mn)), 0, nmax);
          La[i] = (uint8_t) l;
          sl += w[i] * l;
          sl2 += w[i] * l * l;
          sxl += w[i] * l * x[i];
        }
      det = sw * sl2 - sl * sl;
      if (det <= 0)
        continue;
      this_scale = (sw * sxl - swx * sl) / det;
      this_min = (sl2 * swx - sl * sxl) / det;
      if (this_min > 0)
        {
          this_min = 0;
          this_scale = sxl / sl2;
        }
      for (int i = 0; i < n; i++)
        {
          float e = this_scale * La[i] + this_min - x[i];
          err += w[i] * (use_abs ? fabsf (e) : e * e);
        }
      if (err < best_err)
        {
          memcpy (L, La, (size_t) n);
          best_err = err;
          scale = this_scale;
          mn = this_min;
        }
    }
  *neg_min = -mn;
  return scale;
}

/* Symmetric fit x ~ scale * L with L in -nmax..nmax-1, weights x^2: tries 19 grids
 * around the one that maps the extreme value to -nmax, keeping the least-squares scale
 * of the best. */
static float
fit_scale_sym (int n, int nmax, const float *x)
{
  float max = signed_absmax (x, n);
  float best_scale = 0, best = 0;

  if (fabsf (max) < 1e-30f)
    return 0;
  for (int s = -9; s <= 9; s++)
    {
      float is = -(nmax + 0.1f * s) / max;
      float slx = 0, sl2 = 0;
      for (int i = 0; i < n; i++)
        {
          int l = clampi (round_int (is * x[i]), -nmax, nmax - 1);
          float w = x[i] * x[i];
          slx += w * x[i] * l;
          sl2 += w * l * l;
        }
      if (sl2 > 0 && (best_scale == 0 || slx * slx > best * sl2))
        {
          best_scale = slx / sl2;
          best = best_scale * slx;
        }
    }
  return best_scale != 0 ? best_scale : -max / nmax;
}

static void
pack_2bit256 (const uint8_t *L, uint8_t *qs)
{
  for (int h = 0; h < 2; h++)
    for (int l = 0; l < 32; l++)
      qs[32 * h + l] = (uint8_t) (L[128 * h + l] | L[128 * h + l + 32] << 2
                                  | L[128 * h + l + 64] << 4 | L[128 * h + l + 96] << 6);
}

static void
quantize_q2_K (const float *x, hr_block_q2_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      uint8_t L[HR_QK_K];
      float w[16], scales[16], mins[16], max_scale = 0, max_min = 0, d, dmin;

      for (int j = 0; j < 16; j++)
        {
          for (int l = 0; l < 16; l++)
            w[l] = fabsf (x[16 * j + l]);
          scales[j] = fit_scale_min (16, 3, x + 16 * j, w, L + 16 * j, &mins[j], -0.5f, 0.1f,
                                     15, true);
          max_scale = fmaxf (max_scale, scales[j]);
          max_min = fmaxf (max_min, mins[j]);
        }
      memset (y[i].scales, 0, 16);
      y[i].d = hr_fp32_to_fp16 (max_scale / 15);
      y[i].dmin = hr_fp32_to_fp16 (max_min / 15);
      for (int j = 0; j < 16; j++)
        {
          int ls = max_scale > 0 ? clampi (round_int (15 * scales[j] / max_scale), 0, 15) : 0;
          int lm = max_min > 0 ? clampi (round_int (15 * mins[j] / max_min), 0, 15) : 0;
          y[i].scales[j] = (uint8_t) (ls | lm << 4);
        }
      /* requantize against the scales as stored */
      d = hr_h2f (y[i].d);
      dmin = hr_h2f (y[i].dmin);
      for (int j = 0; j < 16; j++)
        {
          float dl = d * (y[i].scales[j] & 0x0f), ml = dmin * (y[i].scales[j] >> 4);
          if (dl == 0)
            continue;
          for (int l = 0; l < 16; l++)
            L[16 * j + l] = (uint8_t) clampi (round_int ((x[16 * j + l] + ml) / dl), 0, 3);
        }
      pack_2bit256 (L, y[i].qs);
    }
}

static void
quantize_q3_K (const float *x, hr_block_q3_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      uint8_t L[HR_QK_K];
      float scales[16], max_scale = 0, d;

      for (int j = 0; j < 16; j++)
        {
          scales[j] = fit_scale_sym (16, 4, x + 16 * j);
          if (fabsf (scales[j]) > fabsf (max_scale))
            max_scale = scales[j];
        }
      memset (y[i].scales, 0, 12);
      memset (y[i].hmask, 0, 32);
      y[i].d = hr_fp32_to_fp16 (max_scale != 0 ? max_scale / -32 : 0);
      for (int j = 0; j < 16; j++)
        {
          int l = max_scale != 0 ? clampi (round_int (-32 * scales[j] / max_scale), -32, 31) : 0;
          l += 32;
          if (j < 8)
            y[i].scales[j] |= (uint8_t) (l & 0x0f);
          else
            y[i].scales[j - 8] |= (uint8_t) ((l & 0x0f) << 4);
          y[i].scales[8 + j % 4] |= (uint8_t) ((l >> 4) << (2 * (j / 4)));
        }
      d = hr_h2f (y[i].d);
      for (int j = 0; j < 16; j++)
        {
          float dl = d * hr_q3k_scale (y[i].scales, j);
          for (int l = 0; l < 16; l++)
            {
              int q = dl != 0 ? clampi (round_int (x[16 * j + l] / dl), -4, 3) : 0;
              L[16 * j + l] = (uint8_t) (q + 4);
            }
        }
      for (int h = 0; h < 2; h++)
        for (int k = 0; k < 4; k++)
          for (int l = 0; l < 32; l++)
            {
              uint8_t *q = &L[128 * h + 32 * k + l];
              if (*q > 3)
                {
                  y[i].hmask[l] |= (uint8_t) (1 << (4 * h + k));
                  *q -= 4;
                }
            }
      pack_2bit256 (L, y[i].qs);
    }
}

/* Scales and mins of the eight 32-element sub-blocks of Q4_K/Q5_K, six bits each. */
static void
pack_k4_scales (const float *scales, const float *mins, uint8_t *s, uint16_t *d,
                uint16_t *dmin)
{
  float max_scale = 0, max_min = 0;

  for (int j = 0; j < 8; j++)
    {
      max_scale = fmaxf (max_scale, scales[j]);
      max_min = fmaxf (max_min, mins[j]);
    }
  memset (s, 0, 12);
  for (int j = 0; j < 8; j++)
    {
      int ls = max_scale > 0 ? clampi (round_int (63 * scales[j] / max_scale), 0, 63) : 0;
      int lm = max_min > 0 ? clampi (round_int (63 * mins[j] / max_min), 0, 63) : 0;
      if (j < 4)
        {
          s[j] = (uint8_t) ls;
          s[j + 4] = (uint8_t) lm;
        }
      else
        {
          s[j + 4] = (uint8_t) ((ls & 0x0f) | (lm & 0x0f) << 4);
          s[j - 4] |= (uint8_t) ((ls >> 4) << 6);
          s[j] |= (uint8_t) ((lm >> 4) << 6);
        }
    }
  *d = hr_fp32_to_fp16 (max_scale / 63);
  *dmin = hr_fp32_to_fp16 (max_min / 63);
}

/* Shared by Q4_K (nmax 15) and Q5_K (nmax 31): quants 0..nmax in L. */
static void
quantize_k4 (const float *x, int nmax, uint8_t *s, uint16_t *d16, uint16_t *dmin16,
             uint8_t *L)
{
  float w[32], scales[8], mins[8], d, dmin;

  for (int j = 0; j < 8; j++)
    {
      const float *xj = x + 32 * j;
      float sum2 = 0, rms;
      for (int l = 0; l < 32; l++)
        sum2 += xj[l] * xj[l];
      rms = sqrtf (sum2 / 32);
      for (int l = 0; l < 32; l++)
        w[l] = rms + fabsf (xj[l]);
      scales[j] = fit_scale_min (32, nmax, xj, w, L + 32 * j, &mins[j],
                                 nmax == 15 ? -1.0f : -0.5f, 0.1f, nmax == 15 ? 20 : 15, false);
    }
  pack_k4_scales (scales, mins, s, d16, dmin16);
  d = hr_h2f (*d16);
  dmin = hr_h2f (*dmin16);
  for (int j = 0; j < 8; j++)
    {
      int sc, m;
      float dl, ml;
      hr_k4_scale_min (s, j, &sc, &m);
      dl = d * sc;
      ml = dmin * m;
      if (dl == 0)
        continue;
      for (int l = 0; l < 32; l++)
        L[32 * j + l] = (uint8_t) clampi (round_int ((x[32 * j + l] + ml) / dl), 0, nmax);
    }
}

static void
quantize_q4_K (const float *x, hr_block_q4_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      uint8_t L[HR_QK_K];
      quantize_k4 (x, 15, y[i].scales, &y[i].d, &y[i].dmin, L);
      for (int p = 0; p < 4; p++)
        for (int l = 0; l < 32; l++)
          y[i].qs[32 * p + l] = (uint8_t) (L[64 * p + l] | L[64 * p + 32 + l] << 4);
    }
}

static void
quantize_q5_K (const float *x, hr_block_q5_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      uint8_t L[HR_QK_K];
      quantize_k4 (x, 31, y[i].scales, &y[i].d, &y[i].dmin, L);
      memset (y[i].qh, 0, 32);
      for (int p = 0; p < 4; p++)
        for (int l = 0; l < 32; l++)
          {
            int a = L[64 * p + l], b = L[64 * p + 32 + l];
            y[i].qs[32 * p + l] = (uint8_t) ((a & 0x0f) | (b & 0x0f) << 4);
            y[i].qh[l] |= (uint8_t) ((a >> 4) << (2 * p) | (b >> 4) << (2 * p + 1));
          }
    }
}

static void
quantize_q6_K (const float *x, hr_block_q6_K *y, int64_t nb)
{
  for (int64_t i = 0; i < nb; i++, x += HR_QK_K)
    {
      uint8_t L[HR_QK_K];
      float scales[16], max_scale = 0, d;

      for (int j = 0; j < 16; j++)
        {
          scales[j] = fit_scale_sym (16, 32, x + 16 * j);
          if (fabsf (scales[j]) > fabsf (max_scale))
            max_scale = scales[j];
        }
      memset (&y[i], 0, sizeof y[i]);
      if (fabsf (max_scale) < 1e-30f)
        continue;
      y[i].d = hr_fp32_to_fp16 (max_scale / -128);
      for (int j = 0; j < 16; j++)
        y[i].scales[j] = (int8_t) clampi (round_int (-128 * scales[j] / max_scale), -128, 127);
      d = hr_h2f (y[i].d);
      for (int j = 0; j < 16; j++)
        {
          float dl = d * y[i].scales[j];
          for (int l = 0; l < 16; l++)
            {
              int q = dl != 0 ? clampi (round_int (x[16 * j + l] / dl), -32, 31) : 0;
              L[16 * j + l] = (uint8_t) (q + 32);
            }
        }
      for (int h = 0; h < 2; h++)
        {
          uint8_t *ql = y[i].ql + 64 * h, *qh = y[i].qh + 32 * h;
          const uint8_t *Lh = L + 128 * h;
          for (int l = 0; l < 32; l++)
            {
              ql[l] = (uint8_t) ((Lh[l] & 0x0f) | (Lh[l + 64] & 0x0f) << 4);
              ql[l + 32] = (uint8_t) ((Lh[l + 32] & 0x0f) | (Lh[l + 96] & 0x0f) << 4);
              qh[l] = (uint8_t) ((Lh[l] >> 4) | (Lh[l + 32] >> 4) << 2 | (Lh[l + 64] >> 4) << 4
                                 | (Lh[l + 96] >> 4) << 6);
            }
        }
    }
}

static void quantize_row_scalar (hr_type t, const float *src, void *dst, int64_t n);

void
hr_quantize_row (hr_type t, const float *src, void *dst, int64_t n)
{
  hr_quants_init ();
  if ((unsigned) t < HR_TYPE_COUNT && kernels.quant[t] != NULL)
    kernels.quant[t] (src, dst, n);
  else
    quantize_row_scalar (t, src, dst, n);
}

static void
quantize_row_scalar (hr_type t, const float *src, void *dst, int64_t n)
{
  switch (t)
    {
    case HR_TYPE_F32:
      memcpy (dst, src, (size_t) n * sizeof (float));
      break;
    case HR_TYPE_F16:
      for (int64_t i = 0; i < n; i++)
        ((uint16_t *) dst)[i] = hr_fp32_to_fp16 (src[i]);
      break;
    case HR_TYPE_BF16:
      for (int64_t i = 0; i < n; i++)
        ((uint16_t *) dst)[i] = hr_fp32_to_bf16 (src[i]);
      break;
    case HR_TYPE_Q4_0: quantize_q4_0 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q4_1: quantize_q4_1 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q5_0: quantize_q5_0 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q5_1: quantize_q5_1 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q8_0: quantize_q8_0 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q8_1: quantize_q8_1 (src, dst, n / HR_QK); break;
    case HR_TYPE_Q2_K: quantize_q2_K (src, dst, n / HR_QK_K); break;
    case HR_TYPE_Q3_K: quantize_q3_K (src, dst, n / HR_QK_K); break;
    case HR_TYPE_Q4_K: quantize_q4_K (src, dst, n / HR_QK_K); break;
    case HR_TYPE_Q5_K: quantize_q5_K (src, dst, n / HR_QK_K); break;
    case HR_TYPE_Q6_K: quantize_q6_K (src, dst, n / HR_QK_K); break;
    case HR_TYPE_Q8_K: quantize_q8_K (src, dst, n / HR_QK_K); break;
    default:
      break;
    }
}

/* ---------------------------------------------------------------------------------------
 * Reference dot products: integer sums inside a block, one float scale per block.
 */

static int
idot (const int8_t *a, const int8_t *b, int n)
{
  int s = 0;
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static float
dot_ref_32 (hr_type t, int64_t nb, const void *w, const void *x)
{
  int8_t q[HR_QK];
  double sum = 0;

  for (int64_t i = 0; i < nb; i++)
    {
      switch (t)
        {
        case HR_TYPE_Q4_0:
          {
            const hr_block_q4_0 *b = (const hr_block_q4_0 *) w + i;
            const hr_block_q8_0 *a = (const hr_block_q8_0 *) x + i;
            unpack_nibbles32 (b->qs, q);
            for (int j = 0; j < HR_QK; j++)
              q[j] -= 8;
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (q, a->qs, HR_QK);
            break;
          }
        case HR_TYPE_Q5_0:
          {
            const hr_block_q5_0 *b = (const hr_block_q5_0 *) w + i;
            const hr_block_q8_0 *a = (const hr_block_q8_0 *) x + i;
            unpack_q5 (b->qh, b->qs, q);
            for (int j = 0; j < HR_QK; j++)
              q[j] -= 16;
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (q, a->qs, HR_QK);
            break;
          }
        case HR_TYPE_Q8_0:
          {
            const hr_block_q8_0 *b = (const hr_block_q8_0 *) w + i;
            const hr_block_q8_0 *a = (const hr_block_q8_0 *) x + i;
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (b->qs, a->qs, HR_QK);
            break;
          }
        case HR_TYPE_Q4_1:
          {
            /* (d q + m) . (dx qx) = d dx (q . qx) + m (dx sum qx), the last factor is s */
            const hr_block_q4_1 *b = (const hr_block_q4_1 *) w + i;
            const hr_block_q8_1 *a = (const hr_block_q8_1 *) x + i;
            unpack_nibbles32 (b->qs, q);
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (q, a->qs, HR_QK)
                   + hr_h2f (b->m) * hr_h2f (a->s);
            break;
          }
        case HR_TYPE_Q5_1:
          {
            const hr_block_q5_1 *b = (const hr_block_q5_1 *) w + i;
            const hr_block_q8_1 *a = (const hr_block_q8_1 *) x + i;
            unpack_q5 (b->qh, b->qs, q);
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (q, a->qs, HR_QK)
                   + hr_h2f (b->m) * hr_h2f (a->s);
            break;
          }
        case HR_TYPE_Q8_1:
          {
            const hr_block_q8_1 *b = (const hr_block_q8_1 *) w + i;
            const hr_block_q8_1 *a = (const hr_block_q8_1 *) x + i;
            sum += hr_h2f (b->d) * hr_h2f (a->d) * idot (b->qs, a->qs, HR_QK);
            break;
          }
        default:
          break;
        }
    }
  return (float) sum;
}

static float
dot_ref_K (hr_type t, int64_t nb, const void *w, const void *x)
{
  int8_t q[HR_QK_K];
  int sc[16], m[16];
  double sum = 0;

  for (int64_t i = 0; i < nb; i++)
    {
      const hr_block_q8_K *a = (const hr_block_q8_K *) x + i;
      int64_t isum = 0, msum = 0;
      float d = 0, dmin = 0;

      switch (t)
        {
        case HR_TYPE_Q2_K:
          {
            const hr_block_q2_K *b = (const hr_block_q2_K *) w + i;
            unpack_q2_K (b, q, sc, m);
            for (int j = 0; j < 16; j++)
              {
                isum += sc[j] * idot (q + 16 * j, a->qs + 16 * j, 16);
                msum += m[j] * a->bsums[j];
              }
            d = hr_h2f (b->d);
            dmin = hr_h2f (b->dmin);
            break;
          }
        case HR_TYPE_Q3_K:
          {
            const hr_block_q3_K *b = (const hr_block_q3_K *) w + i;
            unpack_q3_K (b, q, sc);
            for (int j = 0; j < 16; j++)
              isum += sc[j] * idot (q + 16 * j, a->qs + 16 * j, 16);
            d = hr_h2f (b->d);
            break;
          }
        case HR_TYPE_Q4_K:
        case HR_TYPE_Q5_K:
          {
            if (t == HR_TYPE_Q4_K)
              {
                const hr_block_q4_K *b = (const hr_block_q4_K *) w + i;
                unpack_q4_K (b, q, sc, m);
                d = hr_h2f (b->d);
                dmin = hr_h2f (b->dmin);
              }
            else
              {
                const hr_block_q5_K *b = (const hr_block_q5_K *) w + i;
                unpack_q5_K (b, q, sc, m);
                d = hr_h2f (b->d);
                dmin = hr_h2f (b->dmin);
              }
            for (int j = 0; j < 8; j++)
              {
                isum += sc[j] * idot (q + 32 * j, a->qs + 32 * j, 32);
                msum += m[j] * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
              }
            break;
          }
        case HR_TYPE_Q6_K:
          {
            const hr_block_q6_K *b = (const hr_block_q6_K *) w + i;
            unpack_q6_K (b, q, sc);
            for (int j = 0; j < 16; j++)
              isum += sc[j] * idot (q + 16 * j, a->qs + 16 * j, 16);
            d = hr_h2f (b->d);
            break;
          }
        case HR_TYPE_Q8_K:
          {
            const hr_block_q8_K *b = (const hr_block_q8_K *) w + i;
            isum = idot (b->qs, a->qs, HR_QK_K);
            d = b->d;
            break;
          }
        default:
          break;
        }
      sum += (double) a->d * ((double) d * isum - (double) dmin * msum);
    }
  return (float) sum;
}

float
hr_vec_dot_ref (hr_type t, int64_t n, const void *w, const void *x)
{
  const float *xf = x;
  double sum = 0;

  switch (t)
    {
    case HR_TYPE_F32:
      for (int64_t i = 0; i < n; i++)
        sum += (double) ((const float *) w)[i] * xf[i];
      return (float) sum;
    case HR_TYPE_F16:
      for (int64_t i = 0; i < n; i++)
        sum += (double) hr_fp16_to_fp32 (((const uint16_t *) w)[i]) * xf[i];
      return (float) sum;
    case HR_TYPE_BF16:
      for (int64_t i = 0; i < n; i++)
        sum += (double) hr_bf16_to_fp32 (((const uint16_t *) w)[i]) * xf[i];
      return (float) sum;
    case HR_TYPE_Q4_0:
    case HR_TYPE_Q4_1:
    case HR_TYPE_Q5_0:
    case HR_TYPE_Q5_1:
    case HR_TYPE_Q8_0:
    case HR_TYPE_Q8_1:
      return dot_ref_32 (t, n / HR_QK, w, x);
    case HR_TYPE_Q2_K:
    case HR_TYPE_Q3_K:
    case HR_TYPE_Q4_K:
    case HR_TYPE_Q5_K:
    case HR_TYPE_Q6_K:
    case HR_TYPE_Q8_K:
      return dot_ref_K (t, n / HR_QK_K, w, x);
    default:
      return 0;
    }
}

/* ---------------------------------------------------------------------------------------
 * Run-time kernel choice
 */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int best_level;       /* 0 scalar, 1 avx2, 2 avx512 */
static int current_level;

static const char *const level_names[] = { "scalar", "avx2", "avx512" };

float hr_fp16_table[65536];

static void
load_level (int level)
{
  memset (&kernels, 0, sizeof kernels);
#if defined(__x86_64__) || defined(__i386__)
  if (level == 1)
    hr_quants_kernels_avx2 (&kernels);
  else if (level == 2)
    hr_quants_kernels_avx512 (&kernels);
#endif
  current_level = level;
}

static void
detect (void)
{
  int level = 0;

  for (uint32_t h = 0; h < 65536; h++)
    hr_fp16_table[h] = hr_fp16_to_fp32 ((uint16_t) h);
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  /* every AVX2 CPU has F16C too (and clang 14 cannot test for it by name) */
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      level = 1;
      if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
          && __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq")
          && __builtin_cpu_supports ("avx512vnni"))
        level = 2;
    }
#endif
  if (getenv ("HERON_SIMD") != NULL)
    {
      for (int l = 0; l < 3; l++)
        if (strcmp (getenv ("HERON_SIMD"), level_names[l]) == 0 && l <= level)
          level = l;
    }
  best_level = level;
  load_level (level);
}

void
hr_quants_init (void)
{
  pthread_once (&init_once, detect);
}

const char *
hr_quants_simd_name (void)
{
  hr_quants_init ();
  return level_names[current_level];
}

int
hr_quants_level (void)
{
  hr_quants_init ();
  return current_level;
}

void
hr_quants_force_scalar (bool scalar)
{
  hr_quants_init ();
  load_level (scalar ? 0 : best_level);
}

bool
hr_quants_set_level (const char *level)
{
  hr_quants_init ();
  if (level == NULL)
    {
      load_level (best_level);
      return true;
    }
  for (int l = 0; l < 3; l++)
    if (strcmp (level, level_names[l]) == 0)
      {
        if (l > best_level)
          return false;
        load_level (l);
        return true;
      }
  return false;
}

float
hr_vec_dot (hr_type t, int64_t n, const void *w, const void *x)
{
  hr_dot_fn f;

  hr_quants_init ();
  if ((unsigned) t >= HR_TYPE_COUNT)
    return 0;
  f = kernels.dot[t];
  return f != NULL ? f (n, w, x) : hr_vec_dot_ref (t, n, w, x);
}

void
hr_vec_dot_rows (hr_type t, int64_t n, const void *w, size_t w_row_stride, int64_t nr,
                 const void *x, float *out)
{
  hr_dot_fn f;

  hr_quants_init ();
  if ((unsigned) t >= HR_TYPE_COUNT)
    return;
  f = kernels.dot[t];
  if (f == NULL)
    {
      for (int64_t r = 0; r < nr; r++)
        out[r] = hr_vec_dot_ref (t, n, (const char *) w + (size_t) r * w_row_stride, x);
      return;
    }
  for (int64_t r = 0; r < nr; r++)
    out[r] = f (n, (const char *) w + (size_t) r * w_row_stride, x);
}

void
hr_vec_dot_tile_ex (hr_type t, int64_t n, const void *w, size_t w_row_stride, int nr,
                    const void *x, size_t x_stride, int nc, float *out, size_t out_row_stride,
                    size_t out_col_stride)
{
  hr_tile_fn f;
  hr_dot_fn d;

  hr_quants_init ();
  if ((unsigned) t >= HR_TYPE_COUNT || nr <= 0 || nc <= 0)
    return;
  f = kernels.tile[t];
  if (f != NULL)
    {
      f (n, w, w_row_stride, nr, x, x_stride, nc, out, out_row_stride, out_col_stride);
      return;
    }
  d = kernels.dot[t];
  for (int r = 0; r < nr; r++)
    {
      const char *wr = (const char *) w + (size_t) r * w_row_stride;
      for (int c = 0; c < nc; c++)
        {
          const char *xc = (const char *) x + (size_t) c * x_stride;
          out[(size_t) r * out_row_stride + (size_t) c * out_col_stride]
            = d != NULL ? d (n, wr, xc) : hr_vec_dot_ref (t, n, wr, xc);
        }
    }
}

void
hr_vec_dot_tile (hr_type t, int64_t n, const void *w, size_t w_row_stride, int nr,
                 const void *x, size_t x_stride, int nc, float *out, size_t out_stride)
{
  hr_vec_dot_tile_ex (t, n, w, w_row_stride, nr, x, x_stride, nc, out, out_stride, 1);
}
