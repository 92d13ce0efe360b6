/* quants-x86-dot.h: x86 dot-product kernels, compiled twice by quants-x86.c.
 *
 * Included once for AVX2+FMA+F16C and once for AVX-512 (F/BW/VL/DQ/VNNI). The quantized
 * kernels use 256-bit vectors in both: Zen 4 splits 512-bit operations in two anyway, and a
 * 32-byte register holds exactly one 32-element block of 8-bit quants. The AVX-512 build
 * gains VNNI (vpdpbusd/vpdpwssd fuse the multiply and the accumulation), byte masks, 32
 * registers, and 16-lane float dots. SFX(name) appends the level to every name; HR_VNNI
 * says which build this is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* ---------------------------------------------------------------------------------------
 * Building blocks
 */

/* acc += sum of u8 x s8 products, four per 32-bit lane. Without VNNI the pairs go through
 * 16 bits: callers keep u * s * 2 below 32768 (u <= 128 with |s| <= 127). */
static inline __m256i
SFX (dp_u8s8) (__m256i acc, __m256i u, __m256i s)
{
#if HR_VNNI
  return _mm256_dpbusd_epi32 (acc, u, s);
#else
  __m256i p = _mm256_maddubs_epi16 (u, s);
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (p, _mm256_set1_epi16 (1)));
#endif
}

/* acc += pairwise sums of p * sc (16-bit lanes in, 32-bit lanes out). */
static inline __m256i
SFX (dp_i16) (__m256i acc, __m256i p, __m256i sc)
{
#if HR_VNNI
  return _mm256_dpwssd_epi32 (acc, p, sc);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (p, sc));
#endif
}

/* Signed 8-bit dot of a block: the sign of w moves onto x so the unsigned operand is |w|. */
static inline __m256i
SFX (dp_s8s8) (__m256i acc, __m256i w, __m256i x)
{
  return SFX (dp_u8s8) (acc, _mm256_sign_epi8 (w, w), _mm256_sign_epi8 (x, w));
}

static inline float
SFX (hsum_ps) (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline int
SFX (hsum_epi32) (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, 0x4e));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, 0xb1));
  return _mm_cvtsi128_si32 (s);
}

static inline float
SFX (h2f) (uint16_t h)
{
  return hr_fp16_table[h];
}

/* 32 nibbles of a 16-byte array as bytes: low nibbles then high nibbles. */
static inline __m256i
SFX (nibbles32) (const uint8_t *qs)
{
  __m128i b = _mm_loadu_si128 ((const __m128i *) qs);
  __m256i v = _mm256_set_m128i (_mm_srli_epi16 (b, 4), b);
  return _mm256_and_si256 (v, _mm256_set1_epi8 (0x0f));
}

/* 0xff in byte j where bit j of the 32-bit word is set. */
static inline __m256i
SFX (bits_to_bytes) (uint32_t bits)
{
#if HR_VNNI
  return _mm256_movm_epi8 ((__mmask32) bits);
#else
  const __m256i shuf = _mm256_set_epi64x (0x0303030303030303, 0x0202020202020202,
                                          0x0101010101010101, 0x0000000000000000);
  const __m256i bit = _mm256_set1_epi64x ((long long) 0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) bits), shuf);
  return _mm256_cmpeq_epi8 (_mm256_and_si256 (v, bit), bit);
#endif
}

static inline uint32_t
SFX (load_u32) (const uint8_t *p)
{
  uint32_t v;
  memcpy (&v, p, 4);
  return v;
}

/* ---------------------------------------------------------------------------------------
 * 32-element block types
 */

/* Software prefetch distance in bytes. Streaming weights from memory, the hardware
 * prefetcher alone leaves these kernels waiting: prefetching 4 KiB ahead measured 2x on
 * Q5_0/Q4_0 rows (from 5.5 to 13 GB/s on one Zen 4 core), and more on the K types. On a
 * Sapphire Rapids core 3 KiB is better than 4 (generation, 2 threads: Qwen2.5-0.5B Q8_0
 * 35.4 -> 38.0 tok/s, Q4_K_M 44.8 -> 49.7, 1.5B Q4_K_M 21.1 -> 23.1; 2 KiB in between,
 * 1.5 KiB worse). Why 4 KiB loses there was not established. Into L2 (T1) rather than L1:
 * 0.5B Q8_0 36.7 -> 44.2 tok/s, Q4_K_M unchanged, 1.5B Q4_K_M 22.2 -> 23.4, 1.5B Q8_0
 * 16.3 -> 15.4 (three and two alternating runs). The F16 dot below keeps T0: T1 lost 5%
 * there. */
#define HR_PREFETCH 3072
#define HR_PF(p, off) _mm_prefetch ((const char *) (p) + HR_PREFETCH + (off), _MM_HINT_T1)

static float
SFX (dot_q8_0) (int64_t n, const void *w, const void *x)
{
  const hr_block_q8_0 *b = w;
  const hr_block_q8_0 *a = x;
  int64_t nb = n / HR_QK;
  __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
  int64_t i = 0;

  for (; i + 1 < nb; i += 2)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      __m256i w0 = _mm256_loadu_si256 ((const __m256i *) b[i].qs);
      __m256i x0 = _mm256_loadu_si256 ((const __m256i *) a[i].qs);
      __m256i w1 = _mm256_loadu_si256 ((const __m256i *) b[i + 1].qs);
      __m256i x1 = _mm256_loadu_si256 ((const __m256i *) a[i + 1].qs);
      __m256i p0 = SFX (dp_s8s8) (_mm256_setzero_si256 (), w0, x0);
      __m256i p1 = SFX (dp_s8s8) (_mm256_setzero_si256 (), w1, x1);
      acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0),
                              _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)), acc0);
      acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p1),
                              _mm256_set1_ps (SFX (h2f) (b[i + 1].d) * SFX (h2f) (a[i + 1].d)),
                              acc1);
    }
  for (; i < nb; i++)
    {
      __m256i w0 = _mm256_loadu_si256 ((const __m256i *) b[i].qs);
      __m256i x0 = _mm256_loadu_si256 ((const __m256i *) a[i].qs);
      __m256i p0 = SFX (dp_s8s8) (_mm256_setzero_si256 (), w0, x0);
      acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0),
                              _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)), acc0);
    }
  return SFX (hsum_ps) (_mm256_add_ps (acc0, acc1));
}

/* Signed quants of a Q4_0 block: nibble - 8. */
static inline __m256i
SFX (q4_0_quants) (const hr_block_q4_0 *b)
{
  return _mm256_sub_epi8 (SFX (nibbles32) (b->qs), _mm256_set1_epi8 (8));
}

/* Signed quants of a Q5_0 block: (nibble | bit << 4) - 16 is the nibble with 0xf0 or-ed
 * in where the fifth bit is clear. */
static inline __m256i
SFX (q5_0_quants) (const hr_block_q5_0 *b)
{
  __m256i q = SFX (nibbles32) (b->qs);
#if HR_VNNI
  /* the bits as a byte mask: minus 16 where the fifth bit is clear */
  return _mm256_mask_sub_epi8 (q, ~(__mmask32) SFX (load_u32) (b->qh), q,
                               _mm256_set1_epi8 (16));
#else
  __m256i hi = SFX (bits_to_bytes) (SFX (load_u32) (b->qh));
  return _mm256_or_si256 (q, _mm256_andnot_si256 (hi, _mm256_set1_epi8 ((char) 0xf0)));
#endif
}

static inline __m256i
SFX (q5_1_quants) (const hr_block_q5_1 *b)
{
  __m256i q = SFX (nibbles32) (b->qs);
#if HR_VNNI
  return _mm256_mask_add_epi8 (q, (__mmask32) SFX (load_u32) (b->qh), q, _mm256_set1_epi8 (16));
#else
  __m256i hi = SFX (bits_to_bytes) (SFX (load_u32) (b->qh));
  return _mm256_or_si256 (q, _mm256_and_si256 (hi, _mm256_set1_epi8 (0x10)));
#endif
}

#define DEFINE_DOT_SYM(tname, btype)                                                        \
  static float SFX (dot_##tname) (int64_t n, const void *w, const void *x)                  \
  {                                                                                          \
    const btype *b = w;                                                                      \
    const hr_block_q8_0 *a = x;                                                              \
    int64_t nb = n / HR_QK;                                                                  \
    __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();                         \
    int64_t i = 0;                                                                           \
    for (; i + 1 < nb; i += 2)                                                               \
      {                                                                                      \
        HR_PF (b + i, 0);                                                                    \
        __m256i p0 = SFX (dp_s8s8) (_mm256_setzero_si256 (), SFX (tname##_quants) (b + i),   \
                                    _mm256_loadu_si256 ((const __m256i *) a[i].qs));         \
        __m256i p1 = SFX (dp_s8s8) (_mm256_setzero_si256 (),                                 \
                                    SFX (tname##_quants) (b + i + 1),                        \
                                    _mm256_loadu_si256 ((const __m256i *) a[i + 1].qs));     \
        acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0),                                     \
                                _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)),    \
                                acc0);                                                       \
        acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p1),                                     \
                                _mm256_set1_ps (SFX (h2f) (b[i + 1].d)                       \
                                                * SFX (h2f) (a[i + 1].d)),                   \
                                acc1);                                                       \
      }                                                                                      \
    for (; i < nb; i++)                                                                      \
      {                                                                                      \
        __m256i p0 = SFX (dp_s8s8) (_mm256_setzero_si256 (), SFX (tname##_quants) (b + i),   \
                                    _mm256_loadu_si256 ((const __m256i *) a[i].qs));         \
        acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p0),                                     \
                                _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)),    \
                                acc0);                                                       \
      }                                                                                      \
    return SFX (hsum_ps) (_mm256_add_ps (acc0, acc1));                                       \
  }

DEFINE_DOT_SYM (q4_0, hr_block_q4_0)
DEFINE_DOT_SYM (q5_0, hr_block_q5_0)

/* Q4_1/Q5_1 x Q8_1: unsigned quants times x, plus m * s per block; two blocks per step
 * with separate accumulators. */
#define DEFINE_DOT_MIN(tname, btype, quants)                                                 \
  static inline __m256 SFX (tname##_block) (const btype *b, const hr_block_q8_1 *a,         \
                                            int64_t i, __m256 acc)                          \
  {                                                                                          \
    __m256i p = SFX (dp_u8s8) (_mm256_setzero_si256 (), quants,                              \
                               _mm256_loadu_si256 ((const __m256i *) a[i].qs));              \
    return _mm256_fmadd_ps (_mm256_cvtepi32_ps (p),                                          \
                            _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)), acc);  \
  }                                                                                          \
  static float SFX (dot_##tname) (int64_t n, const void *w, const void *x)                  \
  {                                                                                          \
    const btype *b = w;                                                                      \
    const hr_block_q8_1 *a = x;                                                              \
    int64_t nb = n / HR_QK, i = 0;                                                           \
    __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();                         \
    float summ0 = 0, summ1 = 0;                                                              \
    for (; i + 1 < nb; i += 2)                                                               \
      {                                                                                      \
        HR_PF (b + i, 0);                                                                    \
        acc0 = SFX (tname##_block) (b, a, i, acc0);                                          \
        acc1 = SFX (tname##_block) (b, a, i + 1, acc1);                                      \
        summ0 += SFX (h2f) (b[i].m) * SFX (h2f) (a[i].s);                                    \
        summ1 += SFX (h2f) (b[i + 1].m) * SFX (h2f) (a[i + 1].s);                            \
      }                                                                                      \
    for (; i < nb; i++)                                                                      \
      {                                                                                      \
        acc0 = SFX (tname##_block) (b, a, i, acc0);                                          \
        summ0 += SFX (h2f) (b[i].m) * SFX (h2f) (a[i].s);                                    \
      }                                                                                      \
    return SFX (hsum_ps) (_mm256_add_ps (acc0, acc1)) + (summ0 + summ1);                     \
  }

DEFINE_DOT_MIN (q4_1, hr_block_q4_1, SFX (nibbles32) (b[i].qs))
DEFINE_DOT_MIN (q5_1, hr_block_q5_1, SFX (q5_1_quants) (b + i))

/* ---------------------------------------------------------------------------------------
 * K types. Quants are made unsigned (offsets and mins go through the bsums of Q8_K), one
 * 32-element chunk at a time: maddubs gives 16-bit pair sums (lanes 0-7 cover elements
 * 0-15, lanes 8-15 elements 16-31), which a 16-bit scale vector weighs into 32 bits.
 */

/* The eight six-bit scales (bytes 0-7) and mins (bytes 8-15) of a Q4_K/Q5_K block, from
 * the packed 12 bytes with word operations (the layout is in hr_k4_scale_min). */
static inline __m128i
SFX (k4_scales_mins) (const uint8_t *s)
{
  uint32_t w0, w1, w2;
  memcpy (&w0, s, 4);
  memcpy (&w1, s + 4, 4);
  memcpy (&w2, s + 8, 4);
  return _mm_set_epi32 ((int) (((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 6) & 0x03030303) << 4),
                        (int) (w1 & 0x3f3f3f3f),
                        (int) ((w2 & 0x0f0f0f0f) | ((w0 >> 6) & 0x03030303) << 4),
                        (int) (w0 & 0x3f3f3f3f));
}

/* The sixteen scales of a Q3_K block as signed bytes (offset 32 removed). */
static inline __m128i
SFX (q3k_scales) (const uint8_t *s)
{
  uint32_t w0, w1, w2;
  memcpy (&w0, s, 4);
  memcpy (&w1, s + 4, 4);
  memcpy (&w2, s + 8, 4);
  __m128i v = _mm_set_epi32 ((int) (((w1 >> 4) & 0x0f0f0f0f) | ((w2 >> 6) & 0x03030303) << 4),
                             (int) (((w0 >> 4) & 0x0f0f0f0f) | ((w2 >> 4) & 0x03030303) << 4),
                             (int) ((w1 & 0x0f0f0f0f) | ((w2 >> 2) & 0x03030303) << 4),
                             (int) ((w0 & 0x0f0f0f0f) | (w2 & 0x03030303) << 4));
  return _mm_sub_epi8 (v, _mm_set1_epi8 (32));
}

/* 16-bit lanes all holding scale j of eight scales kept as 16-bit lanes in both halves. */
static inline __m256i
SFX (scale16_one) (__m256i sc16x2, int j)
{
  return _mm256_shuffle_epi8 (sc16x2, _mm256_set1_epi16 ((short) ((2 * j + 1) << 8 | 2 * j)));
}

/* Shared by Q4_K and Q5_K: q holds the 256 quants as eight 32-byte chunks. */
static inline void
SFX (k4_block) (const __m256i *q, const hr_block_q8_K *a, const uint8_t *scales, float d,
                float dmin, __m256 *acc, __m256 *accm)
{
  __m256i sm = _mm256_cvtepu8_epi16 (SFX (k4_scales_mins) (scales));
  __m128i sc128 = _mm256_castsi256_si128 (sm);
  __m256i sc = _mm256_set_m128i (sc128, sc128);
  __m256i s0 = _mm256_setzero_si256 (), s1 = _mm256_setzero_si256 ();
  /* mins: each min weighs the sum of x over its 32 elements (two bsums) */
  __m256i bs = _mm256_loadu_si256 ((const __m256i *) a->bsums);
  __m128i pair = _mm_hadd_epi16 (_mm256_castsi256_si128 (bs), _mm256_extracti128_si256 (bs, 1));
  __m128i mp = _mm_madd_epi16 (_mm256_extracti128_si256 (sm, 1), pair);

  *accm = _mm256_fmadd_ps (_mm256_set1_ps (dmin * a->d),
                           _mm256_castps128_ps256 (_mm_cvtepi32_ps (mp)), *accm);
#pragma GCC unroll 8
  for (int j = 0; j < 8; j += 2)
    {
      __m256i x0 = _mm256_loadu_si256 ((const __m256i *) (a->qs + 32 * j));
      __m256i x1 = _mm256_loadu_si256 ((const __m256i *) (a->qs + 32 * j + 32));
      s0 = SFX (dp_i16) (s0, _mm256_maddubs_epi16 (q[j], x0), SFX (scale16_one) (sc, j));
      s1 = SFX (dp_i16) (s1, _mm256_maddubs_epi16 (q[j + 1], x1), SFX (scale16_one) (sc, j + 1));
    }
  *acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_add_epi32 (s0, s1)),
                          _mm256_set1_ps (d * a->d), *acc);
}

static float
SFX (dot_q4_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q4_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps (), accm = _mm256_setzero_ps ();
  const __m256i m4 = _mm256_set1_epi8 (0x0f);

  for (int64_t i = 0; i < nb; i++)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      HR_PF (b + i, 128);
      HR_PF (b + i, 192);
      __m256i q[8];
#pragma GCC unroll 4
      for (int p = 0; p < 4; p++)
        {
          __m256i v = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          q[2 * p] = _mm256_and_si256 (v, m4);
          q[2 * p + 1] = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4);
        }
      SFX (k4_block) (q, a + i, b[i].scales, SFX (h2f) (b[i].d), SFX (h2f) (b[i].dmin), &acc,
                      &accm);
    }
  return SFX (hsum_ps) (acc) - SFX (hsum_ps) (accm);
}

static float
SFX (dot_q5_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q5_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps (), accm = _mm256_setzero_ps ();
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i b4 = _mm256_set1_epi8 (0x10);

  for (int64_t i = 0; i < nb; i++)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      HR_PF (b + i, 128);
      HR_PF (b + i, 192);
      __m256i q[8];
      __m256i qh = _mm256_loadu_si256 ((const __m256i *) b[i].qh);
#pragma GCC unroll 4
      for (int p = 0; p < 4; p++)
        {
          __m256i v = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          /* bit 2p of qh goes to bit 4 of the low quant, bit 2p+1 to the high one */
          __m256i h0 = 2 * p >= 4 ? _mm256_srli_epi16 (qh, 2 * p - 4)
                                  : _mm256_slli_epi16 (qh, 4 - 2 * p);
          __m256i h1 = 2 * p + 1 >= 4 ? _mm256_srli_epi16 (qh, 2 * p + 1 - 4)
                                      : _mm256_slli_epi16 (qh, 4 - 2 * p - 1);
          q[2 * p] = _mm256_or_si256 (_mm256_and_si256 (v, m4), _mm256_and_si256 (h0, b4));
          q[2 * p + 1] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4),
                                          _mm256_and_si256 (h1, b4));
        }
      SFX (k4_block) (q, a + i, b[i].scales, SFX (h2f) (b[i].d), SFX (h2f) (b[i].dmin), &acc,
                      &accm);
    }
  return SFX (hsum_ps) (acc) - SFX (hsum_ps) (accm);
}

/* Shared by Q2_K, Q3_K and Q6_K: q holds 256 unsigned quants in eight 32-byte chunks, s16
 * their sixteen scales (one per 16 elements) as 16-bit lanes; off is the quants' offset,
 * taken off through the bsums. */
static inline __m256i
SFX (k16_isum) (const __m256i *q, const hr_block_q8_K *a, __m256i s16, int off_shift)
{
  const __m256i lo_dup = _mm256_permute2x128_si256 (s16, s16, 0x00);
  const __m256i hi_dup = _mm256_permute2x128_si256 (s16, s16, 0x11);
  __m256i s0 = _mm256_setzero_si256 (), s1 = _mm256_setzero_si256 ();

#pragma GCC unroll 8
  for (int c = 0; c < 8; c += 2)
    {
      __m256i src = c < 4 ? lo_dup : hi_dup;
      int k0 = c & 3, k1 = (c + 1) & 3;
      __m256i ctl0 = _mm256_set_m128i (_mm_set1_epi16 ((short) ((4 * k0 + 3) << 8 | (4 * k0 + 2))),
                                       _mm_set1_epi16 ((short) ((4 * k0 + 1) << 8 | (4 * k0))));
      __m256i ctl1 = _mm256_set_m128i (_mm_set1_epi16 ((short) ((4 * k1 + 3) << 8 | (4 * k1 + 2))),
                                       _mm_set1_epi16 ((short) ((4 * k1 + 1) << 8 | (4 * k1))));
      __m256i x0 = _mm256_loadu_si256 ((const __m256i *) (a->qs + 32 * c));
      __m256i x1 = _mm256_loadu_si256 ((const __m256i *) (a->qs + 32 * c + 32));
      s0 = SFX (dp_i16) (s0, _mm256_maddubs_epi16 (q[c], x0), _mm256_shuffle_epi8 (src, ctl0));
      s1 = SFX (dp_i16) (s1, _mm256_maddubs_epi16 (q[c + 1], x1),
                         _mm256_shuffle_epi8 (src, ctl1));
    }
  s0 = _mm256_add_epi32 (s0, s1);
  if (off_shift > 0)
    {
      __m256i off = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a->bsums), s16);
      s0 = _mm256_sub_epi32 (s0, _mm256_slli_epi32 (off, off_shift));
    }
  return s0;
}

static float
SFX (dot_q6_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q6_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps ();
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i m3 = _mm256_set1_epi8 (0x30);

  for (int64_t i = 0; i < nb; i++)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      HR_PF (b + i, 128);
      HR_PF (b + i, 192);
      __m256i s16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) b[i].scales));
      __m256i q[8];
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++)
        {
          const uint8_t *ql = b[i].ql + 64 * h;
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) ql);
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (ql + 32));
          __m256i qh = _mm256_loadu_si256 ((const __m256i *) (b[i].qh + 32 * h));
          q[4 * h + 0] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                          _mm256_and_si256 (_mm256_slli_epi16 (qh, 4), m3));
          q[4 * h + 1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                          _mm256_and_si256 (_mm256_slli_epi16 (qh, 2), m3));
          q[4 * h + 2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                          _mm256_and_si256 (qh, m3));
          q[4 * h + 3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                          _mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m3));
        }
      /* quants are stored plus 32 */
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (SFX (k16_isum) (q, a + i, s16, 5)),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc);
}

static float
SFX (dot_q3_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q3_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps ();
  const __m256i m2 = _mm256_set1_epi8 (3);
  const __m256i b2 = _mm256_set1_epi8 (4);

  for (int64_t i = 0; i < nb; i++)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      HR_PF (b + i, 128);
      HR_PF (b + i, 192);
      __m256i s16 = _mm256_cvtepi8_epi16 (SFX (q3k_scales) (b[i].scales));
      __m256i hm = _mm256_loadu_si256 ((const __m256i *) b[i].hmask);
      __m256i q[8];
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++)
        {
          __m256i v = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * (c / 4)));
          __m256i u = _mm256_and_si256 (_mm256_srli_epi16 (v, 2 * (c % 4)), m2);
          __m256i hb = c >= 2 ? _mm256_srli_epi16 (hm, c - 2) : _mm256_slli_epi16 (hm, 2 - c);
          q[c] = _mm256_or_si256 (u, _mm256_and_si256 (hb, b2));
        }
      /* quants are stored plus 4 */
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (SFX (k16_isum) (q, a + i, s16, 2)),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc);
}

static float
SFX (dot_q2_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q2_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps (), accm = _mm256_setzero_ps ();
  const __m256i m2 = _mm256_set1_epi8 (3);

  for (int64_t i = 0; i < nb; i++)
    {
      HR_PF (b + i, 0);
      HR_PF (b + i, 64);
      HR_PF (b + i, 128);
      HR_PF (b + i, 192);
      __m128i sc8 = _mm_loadu_si128 ((const __m128i *) b[i].scales);
      __m256i s16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (sc8, _mm_set1_epi8 (0x0f)));
      __m256i m16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (_mm_srli_epi16 (sc8, 4),
                                                          _mm_set1_epi8 (0x0f)));
      __m256i msum = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a[i].bsums), m16);
      __m256i q[8];
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++)
        {
          __m256i v = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * (c / 4)));
          q[c] = _mm256_and_si256 (_mm256_srli_epi16 (v, 2 * (c % 4)), m2);
        }
      accm = _mm256_fmadd_ps (_mm256_cvtepi32_ps (msum),
                              _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].dmin)), accm);
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (SFX (k16_isum) (q, a + i, s16, 0)),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc) - SFX (hsum_ps) (accm);
}

/* ---------------------------------------------------------------------------------------
 * Float weights against F32 activations
 */

#if !HR_VNNI
static float
SFX (dot_f32) (int64_t n, const void *w, const void *x)
{
  const float *a = w, *b = x;
  __m256 s0 = _mm256_setzero_ps (), s1 = _mm256_setzero_ps ();
  __m256 s2 = _mm256_setzero_ps (), s3 = _mm256_setzero_ps ();
  int64_t i = 0;
  float tail = 0;

  for (; i + 32 <= n; i += 32)
    {
      HR_PF (a + i, 0);
      HR_PF (a + i, 64);
      s0 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i), s0);
      s1 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 8), _mm256_loadu_ps (b + i + 8), s1);
      s2 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 16), _mm256_loadu_ps (b + i + 16), s2);
      s3 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i + 24), _mm256_loadu_ps (b + i + 24), s3);
    }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_fmadd_ps (_mm256_loadu_ps (a + i), _mm256_loadu_ps (b + i), s0);
  for (; i < n; i++)
    tail += a[i] * b[i];
  return SFX (hsum_ps) (_mm256_add_ps (_mm256_add_ps (s0, s1), _mm256_add_ps (s2, s3))) + tail;
}

static inline __m256
SFX (load_f16x8) (const uint16_t *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

static inline __m256
SFX (load_bf16x8) (const uint16_t *p)
{
  __m256i v = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p));
  return _mm256_castsi256_ps (_mm256_slli_epi32 (v, 16));
}

#define DEFINE_DOT_HALF(tname, load, conv)                                                   \
  static float SFX (dot_##tname) (int64_t n, const void *w, const void *x)                  \
  {                                                                                          \
    const uint16_t *a = w;                                                                   \
    const float *b = x;                                                                      \
    __m256 s0 = _mm256_setzero_ps (), s1 = _mm256_setzero_ps ();                             \
    __m256 s2 = _mm256_setzero_ps (), s3 = _mm256_setzero_ps ();                             \
    int64_t i = 0;                                                                           \
    float tail = 0;                                                                          \
    for (; i + 32 <= n; i += 32)                                                             \
      {                                                                                      \
        HR_PF (a + i, 0);                                                                    \
        s0 = _mm256_fmadd_ps (load (a + i), _mm256_loadu_ps (b + i), s0);                    \
        s1 = _mm256_fmadd_ps (load (a + i + 8), _mm256_loadu_ps (b + i + 8), s1);            \
        s2 = _mm256_fmadd_ps (load (a + i + 16), _mm256_loadu_ps (b + i + 16), s2);          \
        s3 = _mm256_fmadd_ps (load (a + i + 24), _mm256_loadu_ps (b + i + 24), s3);          \
      }                                                                                      \
    for (; i + 8 <= n; i += 8)                                                               \
      s0 = _mm256_fmadd_ps (load (a + i), _mm256_loadu_ps (b + i), s0);                      \
    for (; i < n; i++)                                                                       \
      tail += conv (a[i]) * b[i];                                                            \
    return SFX (hsum_ps) (_mm256_add_ps (_mm256_add_ps (s0, s1), _mm256_add_ps (s2, s3)))    \
           + tail;                                                                           \
  }

DEFINE_DOT_HALF (f16, SFX (load_f16x8), hr_fp16_to_fp32)
DEFINE_DOT_HALF (bf16, SFX (load_bf16x8), hr_bf16_to_fp32)
#endif

#if HR_VNNI
/* 16-lane versions: twice the bytes in flight per instruction, which streaming F16 rows
 * from memory needs. */
static inline __m512
SFX (load_w16x) (int kind, const void *p, int64_t i)
{
  if (kind == 1)
    return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) ((const uint16_t *) p + i)));
  if (kind == 2)
    return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (
        _mm256_loadu_si256 ((const __m256i *) ((const uint16_t *) p + i))), 16));
  return _mm512_loadu_ps ((const float *) p + i);
}

static inline __attribute__ ((always_inline)) float
SFX (dot_float16x) (int kind, int64_t n, const void *w, const float *b)
{
  __m512 s0 = _mm512_setzero_ps (), s1 = _mm512_setzero_ps ();
  __m512 s2 = _mm512_setzero_ps (), s3 = _mm512_setzero_ps ();
  int64_t i = 0;
  float tail = 0;

  for (; i + 64 <= n; i += 64)
    {
      /* long rows: streaming weights push the activations out of L1 between rows */
      _mm_prefetch ((const char *) (b + i) + 1024, _MM_HINT_T0);
      _mm_prefetch ((const char *) (b + i) + 1088, _MM_HINT_T0);
      _mm_prefetch ((const char *) (b + i) + 1152, _MM_HINT_T0);
      _mm_prefetch ((const char *) (b + i) + 1216, _MM_HINT_T0);
      /* and the weights 1 KiB ahead: F16 tg64 25.5-25.9 -> 27.3-27.5 tok/s on Qwen2.5-0.5B
       * (2 threads, alternating runs); 4 KiB ahead measured slower (22.7-22.9) */
      {
        const char *wp = (const char *) w + (i << (kind == 0 ? 2 : 1)) + 1024;
        _mm_prefetch (wp, _MM_HINT_T0);
        _mm_prefetch (wp + 64, _MM_HINT_T0);
        if (kind == 0)
          {
            _mm_prefetch (wp + 128, _MM_HINT_T0);
            _mm_prefetch (wp + 192, _MM_HINT_T0);
          }
      }
      s0 = _mm512_fmadd_ps (SFX (load_w16x) (kind, w, i), _mm512_loadu_ps (b + i), s0);
      s1 = _mm512_fmadd_ps (SFX (load_w16x) (kind, w, i + 16), _mm512_loadu_ps (b + i + 16), s1);
      s2 = _mm512_fmadd_ps (SFX (load_w16x) (kind, w, i + 32), _mm512_loadu_ps (b + i + 32), s2);
      s3 = _mm512_fmadd_ps (SFX (load_w16x) (kind, w, i + 48), _mm512_loadu_ps (b + i + 48), s3);
    }
  for (; i + 16 <= n; i += 16)
    s0 = _mm512_fmadd_ps (SFX (load_w16x) (kind, w, i), _mm512_loadu_ps (b + i), s0);
  for (; i < n; i++)
    {
      float wv = kind == 0 ? ((const float *) w)[i]
                 : kind == 1 ? hr_fp16_to_fp32 (((const uint16_t *) w)[i])
                             : hr_bf16_to_fp32 (((const uint16_t *) w)[i]);
      tail += wv * b[i];
    }
  return _mm512_reduce_add_ps (_mm512_add_ps (_mm512_add_ps (s0, s1), _mm512_add_ps (s2, s3)))
         + tail;
}

static float
SFX (dot_f32x) (int64_t n, const void *w, const void *x)
{
  return SFX (dot_float16x) (0, n, w, x);
}

static float
SFX (dot_f16x) (int64_t n, const void *w, const void *x)
{
  return SFX (dot_float16x) (1, n, w, x);
}

static float
SFX (dot_bf16x) (int64_t n, const void *w, const void *x)
{
  return SFX (dot_float16x) (2, n, w, x);
}
#endif

/* ---------------------------------------------------------------------------------------
 * Activation quantizers, byte for byte the scalar ones in quants.c
 */

static inline float
SFX (hmax_ps) (__m256 v)
{
  __m128 m = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  m = _mm_max_ps (m, _mm_movehl_ps (m, m));
  m = _mm_max_ss (m, _mm_movehdup_ps (m));
  return _mm_cvtss_f32 (m);
}

/* roundf: to nearest, halves away from zero */
static inline __m256i
SFX (roundf_epi32) (__m256 v)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  __m256 t = _mm256_round_ps (v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 frac = _mm256_andnot_ps (sign, _mm256_sub_ps (v, t));
  __m256 up = _mm256_cmp_ps (frac, _mm256_set1_ps (0.5f), _CMP_GE_OQ);
  __m256 one = _mm256_or_ps (_mm256_set1_ps (1.0f), _mm256_and_ps (v, sign));
  return _mm256_cvttps_epi32 (_mm256_add_ps (t, _mm256_and_ps (up, one)));
}

/* 32 int32 lanes in four registers to 32 saturated bytes, in order. */
static inline __m256i
SFX (pack_epi8) (__m256i a, __m256i b, __m256i c, __m256i d)
{
  __m256i ab = _mm256_packs_epi32 (a, b), cd = _mm256_packs_epi32 (c, d);
  __m256i v = _mm256_packs_epi16 (ab, cd);
  /* the packs work per 128-bit lane: put the four 32-bit groups back in order */
  return _mm256_permutevar8x32_epi32 (v, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
}

/* One 32-element block: returns the quants and the sum; *d_out the scale (as float). */
static inline __m256i
SFX (quant_block32) (const float *x, float *d_out, int *sum_out)
{
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7fffffff));
  __m256 v0 = _mm256_loadu_ps (x), v1 = _mm256_loadu_ps (x + 8);
  __m256 v2 = _mm256_loadu_ps (x + 16), v3 = _mm256_loadu_ps (x + 24);
  __m256 m = _mm256_max_ps (_mm256_max_ps (_mm256_and_ps (v0, abs_mask),
                                           _mm256_and_ps (v1, abs_mask)),
                            _mm256_max_ps (_mm256_and_ps (v2, abs_mask),
                                           _mm256_and_ps (v3, abs_mask)));
  float amax = SFX (hmax_ps) (m);
  float d = amax / 127;
  __m256 id = _mm256_set1_ps (d != 0 ? 1.0f / d : 0.0f);
  __m256 p0 = _mm256_mul_ps (v0, id), p1 = _mm256_mul_ps (v1, id);
  __m256 p2 = _mm256_mul_ps (v2, id), p3 = _mm256_mul_ps (v3, id);
  __m256i i0, i1, i2, i3;
  /* keep the rounded products: a multiply fused into roundf's subtraction would round
   * differently from the scalar code at halves */
  __asm__ ("" : "+x" (p0), "+x" (p1), "+x" (p2), "+x" (p3));
  i0 = SFX (roundf_epi32) (p0);
  i1 = SFX (roundf_epi32) (p1);
  i2 = SFX (roundf_epi32) (p2);
  i3 = SFX (roundf_epi32) (p3);
  *d_out = d;
  *sum_out = SFX (hsum_epi32) (_mm256_add_epi32 (_mm256_add_epi32 (i0, i1),
                                                 _mm256_add_epi32 (i2, i3)));
  return SFX (pack_epi8) (i0, i1, i2, i3);
}

static void
SFX (quant_q8_0) (const float *x, void *dst, int64_t n)
{
  hr_block_q8_0 *y = dst;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      float d;
      int sum;
      _mm256_storeu_si256 ((__m256i *) y[i].qs, SFX (quant_block32) (x + 32 * i, &d, &sum));
      y[i].d = _cvtss_sh (d, _MM_FROUND_TO_NEAREST_INT);
    }
}

static void
SFX (quant_q8_1) (const float *x, void *dst, int64_t n)
{
  hr_block_q8_1 *y = dst;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      float d;
      int sum;
      _mm256_storeu_si256 ((__m256i *) y[i].qs, SFX (quant_block32) (x + 32 * i, &d, &sum));
      y[i].d = _cvtss_sh (d, _MM_FROUND_TO_NEAREST_INT);
      y[i].s = _cvtss_sh (d * sum, _MM_FROUND_TO_NEAREST_INT);
    }
}

static void
SFX (quant_q8_K) (const float *x, void *dst, int64_t n)
{
  hr_block_q8_K *y = dst;
  for (int64_t i = 0; i < n / HR_QK_K; i++, x += HR_QK_K)
    {
      __m256 mx = _mm256_set1_ps (-INFINITY), mn = _mm256_set1_ps (INFINITY);
      float vmax, vmin, max, iscale;
      __m256 is;
      for (int j = 0; j < HR_QK_K; j += 8)
        {
          __m256 v = _mm256_loadu_ps (x + j);
          mx = _mm256_max_ps (mx, v);
          mn = _mm256_min_ps (mn, v);
        }
      vmax = SFX (hmax_ps) (mx);
      vmin = -SFX (hmax_ps) (_mm256_sub_ps (_mm256_setzero_ps (), mn));
      if (vmax == -vmin)
        {
          /* the scalar code takes the first of equal magnitudes: find it */
          float amax = 0;
          max = 0;
          for (int j = 0; j < HR_QK_K; j++)
            if (fabsf (x[j]) > amax)
              {
                amax = fabsf (x[j]);
                max = x[j];
              }
        }
      else
        max = vmax > -vmin ? vmax : vmin;
      if (max == 0)
        {
          memset (&y[i], 0, sizeof y[i]);
          continue;
        }
      iscale = -127.f / max;
      is = _mm256_set1_ps (iscale);
      for (int j = 0; j < HR_QK_K; j += 32)
        {
          /* nearest, ties to even, as the scalar round_int; |q| <= 127 by construction */
          __m256i i0 = _mm256_cvtps_epi32 (_mm256_mul_ps (is, _mm256_loadu_ps (x + j)));
          __m256i i1 = _mm256_cvtps_epi32 (_mm256_mul_ps (is, _mm256_loadu_ps (x + j + 8)));
          __m256i i2 = _mm256_cvtps_epi32 (_mm256_mul_ps (is, _mm256_loadu_ps (x + j + 16)));
          __m256i i3 = _mm256_cvtps_epi32 (_mm256_mul_ps (is, _mm256_loadu_ps (x + j + 24)));
          __m256i q = SFX (pack_epi8) (i0, i1, i2, i3);
          __m256i s16;
          q = _mm256_max_epi8 (q, _mm256_set1_epi8 (-127));
          _mm256_storeu_si256 ((__m256i *) (y[i].qs + j), q);
          /* sums of 16: pairs of bytes, then pairs of pairs, ... */
          s16 = _mm256_maddubs_epi16 (_mm256_set1_epi8 (1), q);
          s16 = _mm256_madd_epi16 (s16, _mm256_set1_epi16 (1));     /* 8 sums of 4 */
          s16 = _mm256_hadd_epi32 (s16, s16);                       /* sums of 8 */
          s16 = _mm256_hadd_epi32 (s16, s16);                       /* sums of 16 */
          y[i].bsums[j / 16] = (int16_t) _mm256_extract_epi32 (s16, 0);
          y[i].bsums[j / 16 + 1] = (int16_t) _mm256_extract_epi32 (s16, 4);
        }
      y[i].d = 1 / iscale;
    }
}

static void
SFX (register_dots) (hr_kernels *k)
{
  k->quant[HR_TYPE_Q8_0] = SFX (quant_q8_0);
  k->quant[HR_TYPE_Q8_1] = SFX (quant_q8_1);
  k->quant[HR_TYPE_Q8_K] = SFX (quant_q8_K);
#if HR_VNNI
  k->dot[HR_TYPE_F32] = SFX (dot_f32x);
  k->dot[HR_TYPE_F16] = SFX (dot_f16x);
  k->dot[HR_TYPE_BF16] = SFX (dot_bf16x);
#else
  k->dot[HR_TYPE_F32] = SFX (dot_f32);
  k->dot[HR_TYPE_F16] = SFX (dot_f16);
  k->dot[HR_TYPE_BF16] = SFX (dot_bf16);
#endif
  k->dot[HR_TYPE_Q8_0] = SFX (dot_q8_0);
  k->dot[HR_TYPE_Q4_0] = SFX (dot_q4_0);
  k->dot[HR_TYPE_Q5_0] = SFX (dot_q5_0);
  k->dot[HR_TYPE_Q4_1] = SFX (dot_q4_1);
  k->dot[HR_TYPE_Q5_1] = SFX (dot_q5_1);
  k->dot[HR_TYPE_Q2_K] = SFX (dot_q2_K);
  k->dot[HR_TYPE_Q3_K] = SFX (dot_q3_K);
  k->dot[HR_TYPE_Q4_K] = SFX (dot_q4_K);
  k->dot[HR_TYPE_Q5_K] = SFX (dot_q5_K);
  k->dot[HR_TYPE_Q6_K] = SFX (dot_q6_K);
}
