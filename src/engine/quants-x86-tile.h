/* quants-x86-tile.h: batched (tile) kernels, compiled twice by quants-x86.c.
 *
 * Prompt processing multiplies each weight row by many activation vectors. The AVX-512
 * kernels below turn that into the shape VNNI likes: 16 activation columns side by side
 * in the 16 lanes of a register, four bytes of each (elements 4k..4k+3) per lane, so one
 * vpdpbusd multiplies four weights, broadcast to all lanes, with those four elements of 16
 * columns. The activations are rearranged once per call (X panel below); each weight row
 * is unpacked once into unsigned bytes plus a float scale (and min) per group of 16 or 32,
 * and four rows share every panel load.
 *
 * Offsets are folded in exactly: with weights stored as q = w + off (unsigned), the sum
 * over a group of q * x is sum (w * x) + off * sum (x), and the panel starts each group's
 * accumulator at -off * sum (x) for its column.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#if HR_VNNI
#define TILE_COLS 16 /* activation columns per register */
typedef __m512 SFX (vf);
#else
#define TILE_COLS 8
typedef __m256 SFX (vf);
#endif
#define TILE_ROWS 4  /* weight rows sharing each panel load */
#define TILE_PANELS 4 /* column panels kept ready at once (64 columns, about 1 MiB for n = 4864) */

/* How a weight type is unpacked: group size, offset of its unsigned quants, whether it has
 * a min term. */
typedef struct
{
  int group;
  int off;
  bool has_min;
  bool signed_w;   /* AVX2 Q8_0: quants kept signed (u8 x s8 pairs would overflow 16 bits) */
} SFX (tile_fmt);

/* One weight row unpacked: u[n] unsigned quants, per group a scale dw and a min term mw
 * (the float added per unit of d_x * sum (x) of the group). */
typedef void (*SFX (tile_decode_fn)) (const void *row, int64_t n, uint8_t *u, float *dw,
                                      float *mw);

/* Activations of TILE_COLS columns rearranged: x[n / 4][16] four-byte groups; per group g
 * init[g][16] = -off * sum (x), dx[g][16] = the scale, s[g][16] = dx * sum (x). */
typedef struct
{
  int32_t *x;
  int32_t *init;
  float *dx;
  float *s;
} SFX (tile_panel);

static void
SFX (tile_prep_panel) (hr_type act, const SFX (tile_fmt) *f, const void *x, size_t x_stride,
                       int c0, int ncols, int64_t n, SFX (tile_panel) *p)
{
  int64_t ng = n / f->group;

  for (int c = 0; c < TILE_COLS; c++)
    {
      const char *xc = (const char *) x + (size_t) (c0 + c) * x_stride;
      for (int64_t g = 0; g < ng; g++)
        {
          int64_t e0 = g * f->group;
          const int8_t *qs;
          float d, s;
          int sum = 0;

          if (c >= ncols)
            {
              /* padding column: zero activations, never stored */
              for (int k = 0; k < f->group / 4; k++)
                p->x[(e0 / 4 + k) * TILE_COLS + c] = 0;
              p->init[g * TILE_COLS + c] = 0;
              p->dx[g * TILE_COLS + c] = 0;
              p->s[g * TILE_COLS + c] = 0;
              continue;
            }
          if (act == HR_TYPE_Q8_K)
            {
              const hr_block_q8_K *b = (const hr_block_q8_K *) xc + e0 / HR_QK_K;
              int j = (int) (e0 % HR_QK_K) / 16;
              qs = b->qs + e0 % HR_QK_K;
              d = b->d;
              sum = b->bsums[j] + (f->group == 32 ? b->bsums[j + 1] : 0);
              s = d * sum;
            }
          else if (act == HR_TYPE_Q8_1)
            {
              const hr_block_q8_1 *b = (const hr_block_q8_1 *) xc + e0 / HR_QK;
              qs = b->qs;
              d = SFX (h2f) (b->d);
              s = SFX (h2f) (b->s);   /* what hr_vec_dot uses too */
            }
          else
            {
              const hr_block_q8_0 *b = (const hr_block_q8_0 *) xc + e0 / HR_QK;
              qs = b->qs;
              d = SFX (h2f) (b->d);
              for (int k = 0; k < 32; k++)
                sum += qs[k];
              s = d * sum;
            }
          for (int k = 0; k < f->group / 4; k++)
            {
              int32_t v;
              memcpy (&v, qs + 4 * k, 4);
              p->x[(e0 / 4 + k) * TILE_COLS + c] = v;
            }
          p->init[g * TILE_COLS + c] = -f->off * sum;
          p->dx[g * TILE_COLS + c] = d;
          p->s[g * TILE_COLS + c] = s;
        }
    }
}

#if HR_VNNI
/* R rows (R <= TILE_ROWS) times one panel. */
static inline __attribute__ ((always_inline)) void
SFX (tile_rows) (const SFX (tile_fmt) *f, int R, int64_t n, const uint8_t *u, int64_t ustride,
                 const float *dw, const float *mw, int64_t gstride, const SFX (tile_panel) *p,
                 __m512 *acc)
{
  int64_t ng = n / f->group;
  int kq = f->group / 4;

#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    acc[r] = _mm512_setzero_ps ();
  for (int64_t g = 0; g < ng; g++)
    {
      __m512i ia[TILE_ROWS];
      const int32_t *xg = p->x + g * kq * TILE_COLS;
      const uint8_t *ug = u + g * f->group;
      __m512 dx = _mm512_loadu_ps (p->dx + g * TILE_COLS);
      __m512i init = _mm512_loadu_si512 (p->init + g * TILE_COLS);

#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        ia[r] = init;
#pragma GCC unroll 8
      for (int k = 0; k < kq; k++)
        {
          __m512i xv = _mm512_loadu_si512 (xg + k * TILE_COLS);
#pragma GCC unroll 8
          for (int r = 0; r < R; r++)
            {
              int32_t wv;
              memcpy (&wv, ug + r * ustride + 4 * k, 4);
              ia[r] = _mm512_dpbusd_epi32 (ia[r], _mm512_set1_epi32 (wv), xv);
            }
        }
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        acc[r] = _mm512_fmadd_ps (_mm512_mul_ps (_mm512_cvtepi32_ps (ia[r]), dx),
                                  _mm512_set1_ps (dw[r * gstride + g]), acc[r]);
      if (f->has_min)
        {
          __m512 s = _mm512_loadu_ps (p->s + g * TILE_COLS);
#pragma GCC unroll 8
          for (int r = 0; r < R; r++)
            acc[r] = _mm512_fmadd_ps (_mm512_set1_ps (mw[r * gstride + g]), s, acc[r]);
        }
    }
}

/* Store the first cols lanes. */
static inline void
SFX (store_cols) (float *dst, __m512 v, int cols, size_t cs)
{
  float tmp[TILE_COLS];
  if (cs == 1)
    {
      _mm512_mask_storeu_ps (dst, (__mmask16) ((1u << cols) - 1), v);
      return;
    }
  _mm512_storeu_ps (tmp, v);
  for (int c = 0; c < cols; c++)
    dst[c * cs] = tmp[c];
}

#else
/* R rows (R <= TILE_ROWS) times one panel, AVX2: pairs of u8 x s8 products summed in 16
 * bits (no overflow for quants up to 63), then widened. */
static inline __attribute__ ((always_inline)) void
SFX (tile_rows) (const SFX (tile_fmt) *f, int R, int64_t n, const uint8_t *u, int64_t ustride,
                 const float *dw, const float *mw, int64_t gstride, const SFX (tile_panel) *p,
                 __m256 *acc)
{
  int64_t ng = n / f->group;
  int kq = f->group / 4;
  const __m256i ones = _mm256_set1_epi16 (1);

#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    acc[r] = _mm256_setzero_ps ();
  for (int64_t g = 0; g < ng; g++)
    {
      __m256i ia[TILE_ROWS];
      const int32_t *xg = p->x + g * kq * TILE_COLS;
      const uint8_t *ug = u + g * f->group;
      __m256 dx = _mm256_loadu_ps (p->dx + g * TILE_COLS);
      __m256i init = _mm256_loadu_si256 ((const __m256i *) (p->init + g * TILE_COLS));

#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        ia[r] = init;
#pragma GCC unroll 4
      for (int k = 0; k < kq; k += 2)
        {
          __m256i x0 = _mm256_loadu_si256 ((const __m256i *) (xg + k * TILE_COLS));
          __m256i x1 = _mm256_loadu_si256 ((const __m256i *) (xg + (k + 1) * TILE_COLS));
#pragma GCC unroll 8
          for (int r = 0; r < R; r++)
            {
              int32_t v0, v1;
              __m256i w0, w1, pr;
              memcpy (&v0, ug + r * ustride + 4 * k, 4);
              memcpy (&v1, ug + r * ustride + 4 * k + 4, 4);
              w0 = _mm256_set1_epi32 (v0);
              w1 = _mm256_set1_epi32 (v1);
              if (f->signed_w)
                {
                  __m256i p0 = _mm256_maddubs_epi16 (_mm256_sign_epi8 (w0, w0),
                                                     _mm256_sign_epi8 (x0, w0));
                  __m256i p1 = _mm256_maddubs_epi16 (_mm256_sign_epi8 (w1, w1),
                                                     _mm256_sign_epi8 (x1, w1));
                  pr = _mm256_add_epi32 (_mm256_madd_epi16 (p0, ones),
                                         _mm256_madd_epi16 (p1, ones));
                }
              else
                pr = _mm256_madd_epi16 (_mm256_add_epi16 (_mm256_maddubs_epi16 (w0, x0),
                                                          _mm256_maddubs_epi16 (w1, x1)),
                                        ones);
              ia[r] = _mm256_add_epi32 (ia[r], pr);
            }
        }
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        acc[r] = _mm256_fmadd_ps (_mm256_mul_ps (_mm256_cvtepi32_ps (ia[r]), dx),
                                  _mm256_set1_ps (dw[r * gstride + g]), acc[r]);
      if (f->has_min)
        {
          __m256 s = _mm256_loadu_ps (p->s + g * TILE_COLS);
#pragma GCC unroll 8
          for (int r = 0; r < R; r++)
            acc[r] = _mm256_fmadd_ps (_mm256_set1_ps (mw[r * gstride + g]), s, acc[r]);
        }
    }
}

/* Store the first cols lanes. */
static inline void
SFX (store_cols) (float *dst, __m256 v, int cols, size_t cs)
{
  float tmp[TILE_COLS];
  if (cs != 1)
    {
      _mm256_storeu_ps (tmp, v);
      for (int c = 0; c < cols; c++)
        dst[c * cs] = tmp[c];
    }
  else if (cols == TILE_COLS)
    _mm256_storeu_ps (dst, v);
  else
    _mm256_maskstore_ps (dst, _mm256_cmpgt_epi32 (_mm256_set1_epi32 (cols),
                                                  _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7)),
                         v);
}

#endif

/* ---- weight row unpackers ---- */

static void
SFX (dec_q8_0) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q8_0 *b = row;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      __m256i q = _mm256_loadu_si256 ((const __m256i *) b[i].qs);
#if HR_VNNI
      q = _mm256_xor_si256 (q, _mm256_set1_epi8 ((char) 0x80));   /* w + 128 */
#endif
      _mm256_storeu_si256 ((__m256i *) (u + 32 * i), q);
      dw[i] = SFX (h2f) (b[i].d);
      mw[i] = 0;
    }
}

static void
SFX (dec_q4_0) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q4_0 *b = row;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      _mm256_storeu_si256 ((__m256i *) (u + 32 * i), SFX (nibbles32) (b[i].qs));
      dw[i] = SFX (h2f) (b[i].d);
      mw[i] = 0;
    }
}

static void
SFX (dec_q4_1) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q4_1 *b = row;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      _mm256_storeu_si256 ((__m256i *) (u + 32 * i), SFX (nibbles32) (b[i].qs));
      dw[i] = SFX (h2f) (b[i].d);
      mw[i] = SFX (h2f) (b[i].m);
    }
}

static void
SFX (dec_q5_0) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q5_0 *b = row;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      __m256i q = SFX (nibbles32) (b[i].qs);
#if HR_VNNI
      q = _mm256_mask_add_epi8 (q, (__mmask32) SFX (load_u32) (b[i].qh), q,
                                _mm256_set1_epi8 (16));
#else
      q = _mm256_or_si256 (q, _mm256_and_si256 (SFX (bits_to_bytes) (SFX (load_u32) (b[i].qh)),
                                                _mm256_set1_epi8 (16)));
#endif
      _mm256_storeu_si256 ((__m256i *) (u + 32 * i), q);
      dw[i] = SFX (h2f) (b[i].d);
      mw[i] = 0;
    }
}

static void
SFX (dec_q5_1) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q5_1 *b = row;
  for (int64_t i = 0; i < n / HR_QK; i++)
    {
      _mm256_storeu_si256 ((__m256i *) (u + 32 * i), SFX (q5_1_quants) (b + i));
      dw[i] = SFX (h2f) (b[i].d);
      mw[i] = SFX (h2f) (b[i].m);
    }
}

static void
SFX (dec_q4_K) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q4_K *b = row;
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  for (int64_t i = 0; i < n / HR_QK_K; i++)
    {
      float d = SFX (h2f) (b[i].d), dmin = SFX (h2f) (b[i].dmin);
      for (int p = 0; p < 4; p++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 64 * p), _mm256_and_si256 (q, m4));
          _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 64 * p + 32),
                               _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4));
        }
      for (int j = 0; j < 8; j++)
        {
          int sc, m;
          hr_k4_scale_min (b[i].scales, j, &sc, &m);
          dw[8 * i + j] = d * sc;
          mw[8 * i + j] = -dmin * m;
        }
    }
}

static void
SFX (dec_q5_K) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q5_K *b = row;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), one = _mm256_set1_epi8 (1);
  for (int64_t i = 0; i < n / HR_QK_K; i++)
    {
      float d = SFX (h2f) (b[i].d), dmin = SFX (h2f) (b[i].dmin);
      __m256i qh = _mm256_loadu_si256 ((const __m256i *) b[i].qh);
      for (int p = 0; p < 4; p++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * p));
          __m256i h0 = _mm256_slli_epi16 (_mm256_and_si256 (qh, one), 4);
          __m256i h1 = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 1), one), 4);
          _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 64 * p),
                               _mm256_or_si256 (_mm256_and_si256 (q, m4), h0));
          _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 64 * p + 32),
                               _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4),
                                                h1));
          qh = _mm256_srli_epi16 (qh, 2);
        }
      for (int j = 0; j < 8; j++)
        {
          int sc, m;
          hr_k4_scale_min (b[i].scales, j, &sc, &m);
          dw[8 * i + j] = d * sc;
          mw[8 * i + j] = -dmin * m;
        }
    }
}

static void
SFX (dec_q6_K) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q6_K *b = row;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m3 = _mm256_set1_epi8 (0x30);
  for (int64_t i = 0; i < n / HR_QK_K; i++)
    {
      float d = SFX (h2f) (b[i].d);
      for (int h = 0; h < 2; h++)
        {
          const uint8_t *ql = b[i].ql + 64 * h;
          uint8_t *o = u + 256 * i + 128 * h;
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) ql);
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (ql + 32));
          __m256i qh = _mm256_loadu_si256 ((const __m256i *) (b[i].qh + 32 * h));
          _mm256_storeu_si256 ((__m256i *) o,
                               _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                                _mm256_and_si256 (_mm256_slli_epi16 (qh, 4), m3)));
          _mm256_storeu_si256 ((__m256i *) (o + 32),
                               _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                                _mm256_and_si256 (_mm256_slli_epi16 (qh, 2), m3)));
          _mm256_storeu_si256 ((__m256i *) (o + 64),
                               _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                                _mm256_and_si256 (qh, m3)));
          _mm256_storeu_si256 ((__m256i *) (o + 96),
                               _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                                _mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m3)));
        }
      for (int j = 0; j < 16; j++)
        {
          dw[16 * i + j] = d * b[i].scales[j];
          mw[16 * i + j] = 0;
        }
    }
}

static void
SFX (dec_q3_K) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q3_K *b = row;
  const __m256i m2 = _mm256_set1_epi8 (3), one = _mm256_set1_epi8 (1);
  for (int64_t i = 0; i < n / HR_QK_K; i++)
    {
      float d = SFX (h2f) (b[i].d);
      __m256i hm = _mm256_loadu_si256 ((const __m256i *) b[i].hmask);
      for (int h = 0; h < 2; h++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * h));
          for (int k = 0; k < 4; k++)
            {
              __m256i v = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * k), m2);
              v = _mm256_or_si256 (v, _mm256_slli_epi16 (_mm256_and_si256 (hm, one), 2));
              _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 128 * h + 32 * k), v);
              hm = _mm256_srli_epi16 (hm, 1);
            }
        }
      for (int j = 0; j < 16; j++)
        {
          dw[16 * i + j] = d * hr_q3k_scale (b[i].scales, j);
          mw[16 * i + j] = 0;
        }
    }
}

static void
SFX (dec_q2_K) (const void *row, int64_t n, uint8_t *u, float *dw, float *mw)
{
  const hr_block_q2_K *b = row;
  const __m256i m2 = _mm256_set1_epi8 (3);
  for (int64_t i = 0; i < n / HR_QK_K; i++)
    {
      float d = SFX (h2f) (b[i].d), dmin = SFX (h2f) (b[i].dmin);
      for (int h = 0; h < 2; h++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (b[i].qs + 32 * h));
          for (int k = 0; k < 4; k++)
            _mm256_storeu_si256 ((__m256i *) (u + 256 * i + 128 * h + 32 * k),
                                 _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * k), m2));
        }
      for (int j = 0; j < 16; j++)
        {
          dw[16 * i + j] = d * (b[i].scales[j] & 0x0f);
          mw[16 * i + j] = -dmin * (b[i].scales[j] >> 4);
        }
    }
}

/* The tile driver shared by all integer types. */
static void
SFX (tile_int) (hr_type t, SFX (tile_decode_fn) decode, const SFX (tile_fmt) *f, int64_t n,
                const void *w, size_t w_row_stride, int nr, const void *x, size_t x_stride,
                int nc, float *out, size_t out_stride, size_t out_col)
{
  hr_type act = hr_type_get_traits (t)->vec_dot_type;
  int64_t ng = n / f->group;
  int npan_max = (nc + TILE_COLS - 1) / TILE_COLS;
  size_t xbytes = (size_t) (n / 4) * TILE_COLS * 4, gbytes = (size_t) ng * TILE_COLS * 4;
  size_t panel_bytes = xbytes + 3 * gbytes;
  /* as many panels as fit in half of L2, at least one */
  int npan_fit = (int) ((512 * 1024) / panel_bytes);
  int npan = npan_max < TILE_PANELS ? npan_max : TILE_PANELS;
  if (npan > npan_fit)
    npan = npan_fit > 0 ? npan_fit : 1;
  char *mem = aligned_alloc (64, (panel_bytes * npan + (size_t) TILE_ROWS * (n + 8 * ng) + 63)
                                 / 64 * 64);
  SFX (tile_panel) pan[TILE_PANELS];
  uint8_t *u;
  float *dw, *mw;

  if (mem == NULL)
    {
      /* no scratch memory: one dot at a time still gives the right answer */
      for (int r = 0; r < nr; r++)
        for (int c = 0; c < nc; c++)
          out[(size_t) r * out_stride + (size_t) c * out_col]
            = hr_vec_dot (t, n, (const char *) w + (size_t) r * w_row_stride,
                          (const char *) x + (size_t) c * x_stride);
      return;
    }
  for (int i = 0; i < npan; i++)
    {
      char *p = mem + i * panel_bytes;
      pan[i].x = (int32_t *) p;
      pan[i].init = (int32_t *) (p + xbytes);
      pan[i].dx = (float *) (p + xbytes + gbytes);
      pan[i].s = (float *) (p + xbytes + 2 * gbytes);
    }
  u = (uint8_t *) (mem + panel_bytes * npan);
  dw = (float *) (u + (size_t) TILE_ROWS * n);
  mw = dw + (size_t) TILE_ROWS * ng;

  for (int cp = 0; cp < npan_max; cp += npan)
    {
      int np = npan_max - cp < npan ? npan_max - cp : npan;
      for (int i = 0; i < np; i++)
        {
          int c0 = (cp + i) * TILE_COLS;
          SFX (tile_prep_panel) (act, f, x, x_stride, c0, nc - c0 < TILE_COLS ? nc - c0
                                 : TILE_COLS, n, &pan[i]);
        }
      for (int r0 = 0; r0 < nr; r0 += TILE_ROWS)
        {
          int R = nr - r0 < TILE_ROWS ? nr - r0 : TILE_ROWS;
          for (int r = 0; r < R; r++)
            decode ((const char *) w + (size_t) (r0 + r) * w_row_stride, n, u + (size_t) r * n,
                    dw + (size_t) r * ng, mw + (size_t) r * ng);
          for (int i = 0; i < np; i++)
            {
              SFX (vf) acc[TILE_ROWS];
              int c0 = (cp + i) * TILE_COLS;
              int cols = nc - c0 < TILE_COLS ? nc - c0 : TILE_COLS;
              if (R == TILE_ROWS)
                {
                  SFX (tile_rows) (f, TILE_ROWS, n, u, n, dw, mw, ng, &pan[i], acc);
                  for (int r = 0; r < R; r++)
                    SFX (store_cols) (out + (size_t) (r0 + r) * out_stride + c0 * out_col,
                                      acc[r], cols, out_col);
                  continue;
                }
              for (int r = 0; r < R; r++)
                {
                  SFX (tile_rows) (f, 1, n, u + (size_t) r * n, n, dw + (size_t) r * ng,
                                   mw + (size_t) r * ng, ng, &pan[i], acc);
                  SFX (store_cols) (out + (size_t) (r0 + r) * out_stride + c0 * out_col, acc[0],
                                    cols, out_col);
                }
            }
        }
    }
  free (mem);
}

#define DEFINE_TILE_INT(tname, TYPE, G, OFF, MIN, SIGNED)                                   \
  static const SFX (tile_fmt) SFX (fmt_##tname) = { G, OFF, MIN, SIGNED };                   \
  static void SFX (tile_##tname) (int64_t n, const void *w, size_t ws, int nr, const void *x, \
                                  size_t xs, int nc, float *out, size_t os, size_t ocs)    \
  {                                                                                          \
    SFX (tile_int) (TYPE, SFX (dec_##tname), &SFX (fmt_##tname), n, w, ws, nr, x, xs, nc,    \
                    out, os, ocs);                                                           \
  }

#if HR_VNNI
DEFINE_TILE_INT (q8_0, HR_TYPE_Q8_0, 32, 128, false, false)
#else
DEFINE_TILE_INT (q8_0, HR_TYPE_Q8_0, 32, 0, false, true)
#endif
DEFINE_TILE_INT (q4_0, HR_TYPE_Q4_0, 32, 8, false, false)
DEFINE_TILE_INT (q4_1, HR_TYPE_Q4_1, 32, 0, true, false)
DEFINE_TILE_INT (q5_0, HR_TYPE_Q5_0, 32, 16, false, false)
DEFINE_TILE_INT (q5_1, HR_TYPE_Q5_1, 32, 0, true, false)
DEFINE_TILE_INT (q2_K, HR_TYPE_Q2_K, 16, 0, true, false)
DEFINE_TILE_INT (q3_K, HR_TYPE_Q3_K, 16, 4, false, false)
DEFINE_TILE_INT (q4_K, HR_TYPE_Q4_K, 32, 0, true, false)
DEFINE_TILE_INT (q5_K, HR_TYPE_Q5_K, 32, 0, true, false)
DEFINE_TILE_INT (q6_K, HR_TYPE_Q6_K, 16, 32, false, false)

/* ---- float weights (F32, F16, BF16) against F32 activations ----
 * A register block of FR rows x FC columns of accumulators: each step loads VW weights of
 * FR rows (converted to float) and VW activations of FC columns and does FR * FC fused
 * multiply-adds. Elements past the last full vector are added in scalar code. */

#if HR_VNNI
#define FR 4
#define FC 6
#define VW 16
typedef __m512 SFX (fv);
#define V_ZERO() _mm512_setzero_ps ()
#define V_LOADX(p) _mm512_loadu_ps (p)
#define V_FMA(a, b, c) _mm512_fmadd_ps (a, b, c)
#define V_SUM(v) _mm512_reduce_add_ps (v)
static inline __m512
SFX (load_wv) (hr_type t, const void *row, int64_t i)
{
  if (t == HR_TYPE_F16)
    return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) ((const uint16_t *) row + i)));
  if (t == HR_TYPE_BF16)
    return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (
        _mm256_loadu_si256 ((const __m256i *) ((const uint16_t *) row + i))), 16));
  return _mm512_loadu_ps ((const float *) row + i);
}
#else
#define FR 3
#define FC 4
#define VW 8
typedef __m256 SFX (fv);
#define V_ZERO() _mm256_setzero_ps ()
#define V_LOADX(p) _mm256_loadu_ps (p)
#define V_FMA(a, b, c) _mm256_fmadd_ps (a, b, c)
#define V_SUM(v) SFX (hsum_ps) (v)
static inline __m256
SFX (load_wv) (hr_type t, const void *row, int64_t i)
{
  if (t == HR_TYPE_F16)
    return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) ((const uint16_t *) row + i)));
  if (t == HR_TYPE_BF16)
    return _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (
        _mm_loadu_si128 ((const __m128i *) ((const uint16_t *) row + i))), 16));
  return _mm256_loadu_ps ((const float *) row + i);
}
#endif

static inline float
SFX (load_w1) (hr_type t, const void *row, int64_t i)
{
  if (t == HR_TYPE_F16)
    return hr_fp16_to_fp32 (((const uint16_t *) row)[i]);
  if (t == HR_TYPE_BF16)
    return hr_bf16_to_fp32 (((const uint16_t *) row)[i]);
  return ((const float *) row)[i];
}

static inline __attribute__ ((always_inline)) void
SFX (tile_float_block) (hr_type t, int R, int C, int64_t n, const char *w, size_t ws,
                        const char *x, size_t xs, float *out, size_t os, size_t ocs)
{
  SFX (fv) acc[FR][FC];
  int64_t i, nv = n - n % VW;

#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int c = 0; c < C; c++)
      acc[r][c] = V_ZERO ();
  for (i = 0; i < nv; i += VW)
    {
      SFX (fv) wv[FR];
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        wv[r] = SFX (load_wv) (t, w + (size_t) r * ws, i);
#pragma GCC unroll 8
      for (int c = 0; c < C; c++)
        {
          SFX (fv) xv = V_LOADX ((const float *) (x + (size_t) c * xs) + i);
#pragma GCC unroll 8
          for (int r = 0; r < R; r++)
            acc[r][c] = V_FMA (wv[r], xv, acc[r][c]);
        }
    }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++)
      {
        float tail = 0;
        for (i = nv; i < n; i++)
          tail += SFX (load_w1) (t, w + (size_t) r * ws, i) * ((const float *) (x + c * xs))[i];
        out[(size_t) r * os + (size_t) c * ocs] = V_SUM (acc[r][c]) + tail;
      }
}

/* One call per block shape, the shape a compile-time constant in each. */
#define FLOAT_CASES(RR, wr_, o_)                                                            \
  do                                                                                         \
    {                                                                                        \
      if (C == 1)                                                                            \
        SFX (tile_float_block) (t, RR, 1, n, wr_, ws, xc, xs, o_, os, ocs);                  \
      else if (C == 2)                                                                       \
        SFX (tile_float_block) (t, RR, 2, n, wr_, ws, xc, xs, o_, os, ocs);                  \
      else if (C == 3)                                                                       \
        SFX (tile_float_block) (t, RR, 3, n, wr_, ws, xc, xs, o_, os, ocs);                  \
      else if (C == 4 && FC >= 4)                                                            \
        SFX (tile_float_block) (t, RR, 4, n, wr_, ws, xc, xs, o_, os, ocs);                  \
      else if (C == 5 && FC >= 5)                                                            \
        SFX (tile_float_block) (t, RR, 5 < FC ? 5 : FC, n, wr_, ws, xc, xs, o_, os, ocs);    \
      else if (C == 6 && FC >= 6)                                                            \
        SFX (tile_float_block) (t, RR, 6 < FC ? 6 : FC, n, wr_, ws, xc, xs, o_, os, ocs);    \
    }                                                                                        \
  while (0)

static void
SFX (tile_float) (hr_type t, int64_t n, const void *w, size_t ws, int nr, const void *x,
                  size_t xs, int nc, float *out, size_t os, size_t ocs)
{
  /* columns in bands whose activations stay in L2 while all rows pass over them */
  int band = (int) ((512 * 1024) / ((size_t) n * sizeof (float)) / FC * FC);

  if (band < FC)
    band = FC;
  for (int cb = 0; cb < nc; cb += band)
    for (int r0 = 0; r0 < nr; r0 += FR)
      {
        int R = nr - r0 < FR ? nr - r0 : FR;
        int cend = nc - cb < band ? nc : cb + band;
        for (int c0 = cb; c0 < cend; c0 += FC)
          {
            int C = cend - c0 < FC ? cend - c0 : FC;
            const char *wr = (const char *) w + (size_t) r0 * ws;
            const char *xc = (const char *) x + (size_t) c0 * xs;
            float *o = out + (size_t) r0 * os + (size_t) c0 * ocs;
            if (R == FR)
              FLOAT_CASES (FR, wr, o);
            else
              for (int r = 0; r < R; r++)
                FLOAT_CASES (1, wr + (size_t) r * ws, o + (size_t) r * os);
          }
      }
}

#undef FLOAT_CASES
#undef FR
#undef FC
#undef VW
#undef V_ZERO
#undef V_LOADX
#undef V_FMA
#undef V_SUM

static void
SFX (tile_f16) (int64_t n, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc,
                float *out, size_t os, size_t ocs)
{
  SFX (tile_float) (HR_TYPE_F16, n, w, ws, nr, x, xs, nc, out, os, ocs);
}

static void
SFX (tile_bf16) (int64_t n, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc,
                 float *out, size_t os, size_t ocs)
{
  SFX (tile_float) (HR_TYPE_BF16, n, w, ws, nr, x, xs, nc, out, os, ocs);
}

static void
SFX (tile_f32) (int64_t n, const void *w, size_t ws, int nr, const void *x, size_t xs, int nc,
                float *out, size_t os, size_t ocs)
{
  SFX (tile_float) (HR_TYPE_F32, n, w, ws, nr, x, xs, nc, out, os, ocs);
}



/* ---- dequantization through the same unpackers ----
 * value = dw * (q - off) + mw, multiplied then added as two roundings, exactly as the
 * reference computes it (a fused multiply-add would differ in the last bit). */

static void
SFX (dequant_int) (SFX (tile_decode_fn) decode, const SFX (tile_fmt) *f, size_t chunk_bytes,
                   const void *src, float *dst, int64_t n)
{
  uint8_t u[256];
  float dw[16], mw[16];
  const __m256i off = _mm256_set1_epi32 (f->off);

  for (int64_t e0 = 0; e0 < n; e0 += 256)
    {
      int64_t m = n - e0 < 256 ? n - e0 : 256;
      decode ((const char *) src + (size_t) (e0 / 256) * chunk_bytes, m, u, dw, mw);
      for (int64_t g = 0; g < m / f->group; g++)
        {
          __m256 d = _mm256_set1_ps (dw[g]), mn = _mm256_set1_ps (mw[g]);
          for (int k = 0; k < f->group; k += 8)
            {
              __m128i b = _mm_loadl_epi64 ((const __m128i *) (u + g * f->group + k));
              __m256i q = f->signed_w ? _mm256_cvtepi8_epi32 (b) : _mm256_cvtepu8_epi32 (b);
              __m256 v = _mm256_mul_ps (_mm256_cvtepi32_ps (_mm256_sub_epi32 (q, off)), d);
              if (f->has_min)
                {
                  __asm__ ("" : "+x" (v));
                  v = _mm256_add_ps (v, mn);
                }
              _mm256_storeu_ps (dst + e0 + g * f->group + k, v);
            }
        }
    }
}

#define DEFINE_DEQUANT_INT(tname, TYPE, BLK, BSIZE)                                         \
  static void SFX (dequant_##tname) (const void *src, float *dst, int64_t n)                \
  {                                                                                          \
    SFX (dequant_int) (SFX (dec_##tname), &SFX (fmt_##tname), 256 / (BLK) * (BSIZE), src,    \
                       dst, n);                                                              \
  }

DEFINE_DEQUANT_INT (q8_0, HR_TYPE_Q8_0, HR_QK, sizeof (hr_block_q8_0))
DEFINE_DEQUANT_INT (q4_0, HR_TYPE_Q4_0, HR_QK, sizeof (hr_block_q4_0))
DEFINE_DEQUANT_INT (q4_1, HR_TYPE_Q4_1, HR_QK, sizeof (hr_block_q4_1))
DEFINE_DEQUANT_INT (q5_0, HR_TYPE_Q5_0, HR_QK, sizeof (hr_block_q5_0))
DEFINE_DEQUANT_INT (q5_1, HR_TYPE_Q5_1, HR_QK, sizeof (hr_block_q5_1))
DEFINE_DEQUANT_INT (q2_K, HR_TYPE_Q2_K, HR_QK_K, sizeof (hr_block_q2_K))
DEFINE_DEQUANT_INT (q3_K, HR_TYPE_Q3_K, HR_QK_K, sizeof (hr_block_q3_K))
DEFINE_DEQUANT_INT (q4_K, HR_TYPE_Q4_K, HR_QK_K, sizeof (hr_block_q4_K))
DEFINE_DEQUANT_INT (q5_K, HR_TYPE_Q5_K, HR_QK_K, sizeof (hr_block_q5_K))
DEFINE_DEQUANT_INT (q6_K, HR_TYPE_Q6_K, HR_QK_K, sizeof (hr_block_q6_K))

static void
SFX (dequant_f16) (const void *src, float *dst, int64_t n)
{
  const uint16_t *h = src;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (h + i))));
  for (; i < n; i++)
    dst[i] = hr_fp16_to_fp32 (h[i]);
}

static void
SFX (dequant_bf16) (const void *src, float *dst, int64_t n)
{
  const uint16_t *h = src;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, _mm256_castsi256_ps (_mm256_slli_epi32 (
        _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (h + i))), 16)));
  for (; i < n; i++)
    dst[i] = hr_bf16_to_fp32 (h[i]);
}

static void
SFX (register_tiles) (hr_kernels *k)
{
  k->dequant[HR_TYPE_F16] = SFX (dequant_f16);
  k->dequant[HR_TYPE_BF16] = SFX (dequant_bf16);
  k->dequant[HR_TYPE_Q8_0] = SFX (dequant_q8_0);
  k->dequant[HR_TYPE_Q4_0] = SFX (dequant_q4_0);
  k->dequant[HR_TYPE_Q4_1] = SFX (dequant_q4_1);
  k->dequant[HR_TYPE_Q5_0] = SFX (dequant_q5_0);
  k->dequant[HR_TYPE_Q5_1] = SFX (dequant_q5_1);
  k->dequant[HR_TYPE_Q2_K] = SFX (dequant_q2_K);
  k->dequant[HR_TYPE_Q3_K] = SFX (dequant_q3_K);
  k->dequant[HR_TYPE_Q4_K] = SFX (dequant_q4_K);
  k->dequant[HR_TYPE_Q5_K] = SFX (dequant_q5_K);
  k->dequant[HR_TYPE_Q6_K] = SFX (dequant_q6_K);
  k->tile[HR_TYPE_F16] = SFX (tile_f16);
  k->tile[HR_TYPE_BF16] = SFX (tile_bf16);
  k->tile[HR_TYPE_F32] = SFX (tile_f32);
  k->tile[HR_TYPE_Q8_0] = SFX (tile_q8_0);
  k->tile[HR_TYPE_Q4_0] = SFX (tile_q4_0);
  k->tile[HR_TYPE_Q4_1] = SFX (tile_q4_1);
  k->tile[HR_TYPE_Q5_0] = SFX (tile_q5_0);
  k->tile[HR_TYPE_Q5_1] = SFX (tile_q5_1);
  k->tile[HR_TYPE_Q2_K] = SFX (tile_q2_K);
  k->tile[HR_TYPE_Q3_K] = SFX (tile_q3_K);
  k->tile[HR_TYPE_Q4_K] = SFX (tile_q4_K);
  k->tile[HR_TYPE_Q5_K] = SFX (tile_q5_K);
  k->tile[HR_TYPE_Q6_K] = SFX (tile_q6_K);
}
