/* quants-x86-dot.h: x86 dot-product kernels, compiled twice by quants-x86.c.
 *
 * Included once for AVX2+FMA+F16C and once for AVX-512 (F/BW/VL/DQ/VNNI). Both use 256-bit
 * vectors: Zen 4 splits 512-bit operations in two anyway, and a 32-byte register holds
 * exactly one 32-element block of 8-bit quants. The AVX-512 build gains VNNI
 * (vpdpbusd/vpdpwssd fuse the multiply and the accumulation), byte masks, and 32
 * registers. SFX(name) appends the level to every name; HR_VNNI says which build this is.
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
  return _cvtsh_ss (h);
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
  __m256i hi = SFX (bits_to_bytes) (SFX (load_u32) (b->qh));
  return _mm256_or_si256 (q, _mm256_andnot_si256 (hi, _mm256_set1_epi8 ((char) 0xf0)));
}

static inline __m256i
SFX (q5_1_quants) (const hr_block_q5_1 *b)
{
  __m256i q = SFX (nibbles32) (b->qs);
  __m256i hi = SFX (bits_to_bytes) (SFX (load_u32) (b->qh));
  return _mm256_or_si256 (q, _mm256_and_si256 (hi, _mm256_set1_epi8 (0x10)));
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

/* Q4_1/Q5_1 x Q8_1: unsigned quants times x, plus m * s per block. */
#define DEFINE_DOT_MIN(tname, btype, quants)                                                 \
  static float SFX (dot_##tname) (int64_t n, const void *w, const void *x)                  \
  {                                                                                          \
    const btype *b = w;                                                                      \
    const hr_block_q8_1 *a = x;                                                              \
    int64_t nb = n / HR_QK;                                                                  \
    __m256 acc = _mm256_setzero_ps ();                                                       \
    float summ = 0;                                                                          \
    for (int64_t i = 0; i < nb; i++)                                                         \
      {                                                                                      \
        __m256i p = SFX (dp_u8s8) (_mm256_setzero_si256 (), quants,                          \
                                   _mm256_loadu_si256 ((const __m256i *) a[i].qs));          \
        acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p),                                       \
                               _mm256_set1_ps (SFX (h2f) (b[i].d) * SFX (h2f) (a[i].d)),     \
                               acc);                                                         \
        summ += SFX (h2f) (b[i].m) * SFX (h2f) (a[i].s);                                     \
      }                                                                                      \
    return SFX (hsum_ps) (acc) + summ;                                                       \
  }

DEFINE_DOT_MIN (q4_1, hr_block_q4_1, SFX (nibbles32) (b[i].qs))
DEFINE_DOT_MIN (q5_1, hr_block_q5_1, SFX (q5_1_quants) (b + i))

/* ---------------------------------------------------------------------------------------
 * K types. Quants are made unsigned (offsets and mins go through the bsums of Q8_K), one
 * 32-element chunk at a time: maddubs gives 16-bit pair sums (lanes 0-7 cover elements
 * 0-15, lanes 8-15 elements 16-31), which a 16-bit scale vector weighs into 32 bits.
 */

/* Scale vectors for chunk k from 16 scales of 16 elements each, held as 16-bit lanes in
 * s16 (lanes 0-7 scales 0-7, lanes 8-15 scales 8-15): lanes 0-7 get scale 2k, lanes 8-15
 * scale 2k+1. */
static inline __m256i
SFX (scale16_pair) (__m256i s16, int k)
{
  const __m256i lo_dup = _mm256_permute2x128_si256 (s16, s16, 0x00);
  const __m256i hi_dup = _mm256_permute2x128_si256 (s16, s16, 0x11);
  __m256i src = k < 4 ? lo_dup : hi_dup;
  int kk = k & 3;
  __m256i ctl = _mm256_set_m128i (_mm_set1_epi16 ((short) ((4 * kk + 3) << 8 | (4 * kk + 2))),
                                  _mm_set1_epi16 ((short) ((4 * kk + 1) << 8 | (4 * kk))));
  return _mm256_shuffle_epi8 (src, ctl);
}

static float
SFX (dot_q4_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q4_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps ();
  float accm = 0;
  const __m256i m4 = _mm256_set1_epi8 (0x0f);

  for (int64_t i = 0; i < nb; i++)
    {
      int sc[8], mn[8];
      __m256i isum = _mm256_setzero_si256 ();
      __m256i bs, mins;
      for (int j = 0; j < 8; j++)
        hr_k4_scale_min (b[i].scales, j, &sc[j], &mn[j]);
      /* sum of mins times the sums of x over each 32-element sub-block */
      bs = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a[i].bsums),
                              _mm256_set1_epi16 (1));
      mins = _mm256_setr_epi32 (mn[0], mn[1], mn[2], mn[3], mn[4], mn[5], mn[6], mn[7]);
      accm += a[i].d * SFX (h2f) (b[i].dmin) * SFX (hsum_epi32) (_mm256_mullo_epi32 (bs, mins));
      for (int p = 0; p < 4; p++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          __m256i lo = _mm256_and_si256 (q, m4);
          __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4);
          __m256i x0 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p));
          __m256i x1 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p + 32));
          isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (lo, x0),
                               _mm256_set1_epi16 ((short) sc[2 * p]));
          isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (hi, x1),
                               _mm256_set1_epi16 ((short) sc[2 * p + 1]));
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc) - accm;
}

static float
SFX (dot_q5_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q5_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps ();
  float accm = 0;
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i one = _mm256_set1_epi8 (1);

  for (int64_t i = 0; i < nb; i++)
    {
      int sc[8], mn[8];
      __m256i isum = _mm256_setzero_si256 ();
      __m256i bs, mins, qh;
      for (int j = 0; j < 8; j++)
        hr_k4_scale_min (b[i].scales, j, &sc[j], &mn[j]);
      bs = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a[i].bsums),
                              _mm256_set1_epi16 (1));
      mins = _mm256_setr_epi32 (mn[0], mn[1], mn[2], mn[3], mn[4], mn[5], mn[6], mn[7]);
      accm += a[i].d * SFX (h2f) (b[i].dmin) * SFX (hsum_epi32) (_mm256_mullo_epi32 (bs, mins));
      qh = _mm256_loadu_si256 ((const __m256i *) b[i].qh);
      for (int p = 0; p < 4; p++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          __m256i h0 = _mm256_slli_epi16 (_mm256_and_si256 (qh, one), 4);
          __m256i h1 = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 1), one), 4);
          __m256i lo = _mm256_or_si256 (_mm256_and_si256 (q, m4), h0);
          __m256i hi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4), h1);
          __m256i x0 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p));
          __m256i x1 = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 64 * p + 32));
          isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (lo, x0),
                               _mm256_set1_epi16 ((short) sc[2 * p]));
          isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (hi, x1),
                               _mm256_set1_epi16 ((short) sc[2 * p + 1]));
          qh = _mm256_srli_epi16 (qh, 2);
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc) - accm;
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
      __m256i s16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) b[i].scales));
      __m256i isum = _mm256_setzero_si256 ();
      /* quants are stored plus 32: take 32 * sum (scale * bsum) off */
      __m256i off = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a[i].bsums), s16);
      int ioff = 32 * SFX (hsum_epi32) (off);
      for (int h = 0; h < 2; h++)
        {
          const uint8_t *ql = b[i].ql + 64 * h;
          const int8_t *xq = a[i].qs + 128 * h;
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) ql);
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (ql + 32));
          __m256i qh = _mm256_loadu_si256 ((const __m256i *) (b[i].qh + 32 * h));
          __m256i q[4];
          q[0] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                  _mm256_and_si256 (_mm256_slli_epi16 (qh, 4), m3));
          q[1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                  _mm256_and_si256 (_mm256_slli_epi16 (qh, 2), m3));
          q[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                  _mm256_and_si256 (qh, m3));
          q[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                  _mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m3));
          for (int k = 0; k < 4; k++)
            {
              __m256i xv = _mm256_loadu_si256 ((const __m256i *) (xq + 32 * k));
              isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (q[k], xv),
                                   SFX (scale16_pair) (s16, 4 * h + k));
            }
        }
      isum = _mm256_sub_epi32 (isum, _mm256_setr_epi32 (ioff, 0, 0, 0, 0, 0, 0, 0));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum),
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
  __m256 acc = _mm256_setzero_ps ();
  float accm = 0;
  const __m256i m2 = _mm256_set1_epi8 (3);

  for (int64_t i = 0; i < nb; i++)
    {
      __m128i sc8 = _mm_loadu_si128 ((const __m128i *) b[i].scales);
      __m256i s16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (sc8, _mm_set1_epi8 (0x0f)));
      __m256i m16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (_mm_srli_epi16 (sc8, 4),
                                                          _mm_set1_epi8 (0x0f)));
      __m256i isum = _mm256_setzero_si256 ();
      __m256i msum = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) a[i].bsums), m16);
      accm += a[i].d * SFX (h2f) (b[i].dmin) * SFX (hsum_epi32) (msum);
      for (int h = 0; h < 2; h++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * h));
          for (int k = 0; k < 4; k++)
            {
              __m256i u = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * k), m2);
              __m256i xv = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * k));
              isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (u, xv),
                                   SFX (scale16_pair) (s16, 4 * h + k));
            }
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc) - accm;
}

static float
SFX (dot_q3_K) (int64_t n, const void *w, const void *x)
{
  const hr_block_q3_K *b = w;
  const hr_block_q8_K *a = x;
  int64_t nb = n / HR_QK_K;
  __m256 acc = _mm256_setzero_ps ();
  const __m256i m2 = _mm256_set1_epi8 (3);
  const __m256i one = _mm256_set1_epi8 (1);

  for (int64_t i = 0; i < nb; i++)
    {
      int8_t sc[16];
      __m256i s16, isum = _mm256_setzero_si256 (), hm;
      int ioff;
      for (int j = 0; j < 16; j++)
        sc[j] = (int8_t) hr_q3k_scale (b[i].scales, j);
      s16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) sc));
      /* quants are stored plus 4 */
      ioff = 4 * SFX (hsum_epi32) (_mm256_madd_epi16 (
                   _mm256_loadu_si256 ((const __m256i *) a[i].bsums), s16));
      hm = _mm256_loadu_si256 ((const __m256i *) b[i].hmask);
      for (int h = 0; h < 2; h++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * h));
          for (int k = 0; k < 4; k++)
            {
              __m256i u = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * k), m2);
              __m256i hb = _mm256_slli_epi16 (_mm256_and_si256 (hm, one), 2);
              __m256i xv = _mm256_loadu_si256 ((const __m256i *) (a[i].qs + 128 * h + 32 * k));
              u = _mm256_or_si256 (u, hb);
              isum = SFX (dp_i16) (isum, _mm256_maddubs_epi16 (u, xv),
                                   SFX (scale16_pair) (s16, 4 * h + k));
              hm = _mm256_srli_epi16 (hm, 1);
            }
        }
      isum = _mm256_sub_epi32 (isum, _mm256_setr_epi32 (ioff, 0, 0, 0, 0, 0, 0, 0));
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (isum),
                             _mm256_set1_ps (a[i].d * SFX (h2f) (b[i].d)), acc);
    }
  return SFX (hsum_ps) (acc);
}

/* ---------------------------------------------------------------------------------------
 * Float weights against F32 activations
 */

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

static void
SFX (register_dots) (hr_kernels *k)
{
  k->dot[HR_TYPE_F32] = SFX (dot_f32);
  k->dot[HR_TYPE_F16] = SFX (dot_f16);
  k->dot[HR_TYPE_BF16] = SFX (dot_bf16);
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
