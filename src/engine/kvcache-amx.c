/* kvcache-amx.c: the grouped attention of kvcache-simd.h on Intel AMX tiles, for CPUs that
 * have them (Sapphire Rapids and later).
 *
 * Same blocking as the vector kernels: positions in panels of ATT_PANEL, query rows in
 * chunks of ATT_CHUNK, an online softmax with the query rows across the vector lanes. The
 * two products run on the tiles instead of the FMA units:
 *   S^T = K . Q^T   (tile A: K rows as they are; tile B: the queries, pairs of dimensions)
 *   O^T += V^T . P^T  (tile A: the panel of V transposed; tile B: pairs of positions of P)
 * AMX multiplies bf16 (8-bit mantissa) and sums in F32. So that nothing is lost against the
 * F32 kernels, every operand x is split into hi = bf16(x) and lo = bf16(x - hi), and each
 * product is hi.hi + hi.lo + lo.hi: the relative error per product is about 2^-17 (the
 * lo.lo term and lo's own rounding), far below the F16 rounding of the cache itself. An F16
 * key or value is exactly hi + lo (11 significant bits = 8 + at most 3). The F32 cache
 * (chosen for precision) keeps the vector kernels. The tile unit runs alongside the vector
 * units, so each row block's P.V is issued in steps inside the next block's softmax loop
 * (a 50-token call: about 13% faster than one phase after the other).
 *
 * Linux hands out the tile registers only after arch_prctl(ARCH_REQ_XCOMP_PERM); the probe
 * asks once. HERON_AMX=0 in the environment turns the path off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kvcache.h"
#include "kvcache-impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(HAVE_X86) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HAVE_AMX 1
#endif

/* All tiles are 16 rows of 64 bytes: 16 x 16 F32, or 16 x 32 bf16. */
#define T_ROWS 16
#define T_BF16 32
#define KSP (ATT_PANEL / T_BF16)                /* k-steps of a panel in P.V */
#define RP_MAX ((HR_ATT_MAX_ROWS + 15) / 16 * 16)

static pthread_once_t amx_once = PTHREAD_ONCE_INIT;
static bool amx_have;
static atomic_bool amx_on;

#ifdef HAVE_AMX
static bool
amx_probe (void)
{
  unsigned a, b, c, d, lo, hi;

  if (!__get_cpuid_count (7, 0, &a, &b, &c, &d))
    return false;
  /* AMX-TILE, AMX-BF16; AVX-512 F, DQ, BW, VL */
  if (!(d >> 24 & 1) || !(d >> 22 & 1) || !(b >> 16 & 1) || !(b >> 17 & 1) || !(b >> 30 & 1)
      || !(b >> 31 & 1))
    return false;
  if (!__get_cpuid_count (7, 1, &a, &b, &c, &d) || !(a >> 5 & 1))    /* AVX512_BF16 */
    return false;
  if (!__get_cpuid (1, &a, &b, &c, &d) || !(c >> 27 & 1))            /* OSXSAVE */
    return false;
  __asm__ ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
  (void) hi;
  /* the OS saves SSE, AVX, the AVX-512 state and the tile configuration and data */
  if ((lo & 0x600e6) != 0x600e6)
    return false;
  return syscall (SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */,
                  18 /* XFEATURE_XTILEDATA */) == 0;
}
#endif

static void
amx_init (void)
{
  const char *e = getenv ("HERON_AMX");

#ifdef HAVE_AMX
  amx_have = amx_probe ();
#endif
  atomic_store (&amx_on, amx_have && !(e != NULL && strcmp (e, "0") == 0));
}

bool
hr_attention_amx_available (void)
{
  pthread_once (&amx_once, amx_init);
  return amx_have;
}

bool
hr_attention_set_amx (bool on)
{
  pthread_once (&amx_once, amx_init);
  if (on && !amx_have)
    return false;
  atomic_store (&amx_on, on);
  return true;
}

bool
hr_attention_amx_usable (void)
{
  pthread_once (&amx_once, amx_init);
  return atomic_load_explicit (&amx_on, memory_order_relaxed);
}

/* Scratch layout, each part 64-byte aligned. */
typedef struct {
  size_t qbh, qbl, kh, kl, vth, vtl, s, pbh, pbl, mx, sum, corr, lim, ot, total;
} amx_layout;

static amx_layout
layout (int hd_k, int hd_v)
{
  amx_layout l;
  size_t o = 0;
  size_t qb = (size_t) (RP_MAX / 16) * (size_t) (hd_k / T_BF16) * 1024;
  size_t pb = (size_t) (ATT_CHUNK / 16) * KSP * 1024;
#define PART(f, n) l.f = o; o += ((size_t) (n) + 63) / 64 * 64
  PART (qbh, qb);
  PART (qbl, qb);
  PART (kh, (size_t) ATT_PANEL * hd_k * 2);
  PART (kl, (size_t) ATT_PANEL * hd_k * 2);
  PART (vth, (size_t) hd_v * ATT_PANEL * 2);
  PART (vtl, (size_t) hd_v * ATT_PANEL * 2);
  PART (s, (size_t) ATT_PANEL * ATT_CHUNK * 4);
  PART (pbh, pb);
  PART (pbl, pb);
  PART (mx, RP_MAX * 4);
  PART (sum, RP_MAX * 4);
  PART (corr, RP_MAX * 4);
  PART (lim, RP_MAX * 4);
  PART (ot, (size_t) hd_v * RP_MAX * 4);
#undef PART
  l.total = o + 64;     /* room to align the start */
  return l;
}

size_t
hr_attention_amx_scratch_bytes (int hd_k, int hd_v)
{
  return layout (hd_k, hd_v).total;
}

#ifdef HAVE_AMX

#define AMX_TARGET \
  __attribute__ ((target ("amx-tile,amx-bf16,avx512bf16," AVX512_TARGET)))

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} amx_cfg;

AMX_TARGET static inline __m512
bf16_to_ps (__m256i h)
{
  return _mm512_castsi512_ps (_mm512_slli_epi32 (_mm512_cvtepu16_epi32 (h), 16));
}

/* x = hi + lo with both in bf16 (round to nearest even each time) */
AMX_TARGET static inline void
split (__m512 x, __m256i *hi, __m256i *lo)
{
  __m256i h = (__m256i) _mm512_cvtneps_pbh (x);
  *hi = h;
  *lo = (__m256i) _mm512_cvtneps_pbh (_mm512_sub_ps (x, bf16_to_ps (h)));
}

/* 16 x 16 transpose of 32-bit lanes, in place */
AMX_TARGET static inline void
transpose16 (__m512 r[16])
{
  __m512 t[16], u[16];

  for (int i = 0; i < 8; i++)
    {
      t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
    }
  /* u[4g + c]: in 128-bit lane L, column 4L + c of rows 4g .. 4g + 3 */
  for (int g = 0; g < 4; g++)
    {
      __m512 t0 = t[4 * g], t1 = t[4 * g + 1], t2 = t[4 * g + 2], t3 = t[4 * g + 3];
      u[4 * g + 0] = _mm512_shuffle_ps (t0, t2, _MM_SHUFFLE (1, 0, 1, 0));
      u[4 * g + 1] = _mm512_shuffle_ps (t0, t2, _MM_SHUFFLE (3, 2, 3, 2));
      u[4 * g + 2] = _mm512_shuffle_ps (t1, t3, _MM_SHUFFLE (1, 0, 1, 0));
      u[4 * g + 3] = _mm512_shuffle_ps (t1, t3, _MM_SHUFFLE (3, 2, 3, 2));
    }
  for (int c = 0; c < 4; c++)
    {
      __m512 l01 = _mm512_shuffle_f32x4 (u[c], u[4 + c], 0x44);
      __m512 h01 = _mm512_shuffle_f32x4 (u[c], u[4 + c], 0xee);
      __m512 l23 = _mm512_shuffle_f32x4 (u[8 + c], u[12 + c], 0x44);
      __m512 h23 = _mm512_shuffle_f32x4 (u[8 + c], u[12 + c], 0xee);
      r[c] = _mm512_shuffle_f32x4 (l01, l23, 0x88);
      r[4 + c] = _mm512_shuffle_f32x4 (l01, l23, 0xdd);
      r[8 + c] = _mm512_shuffle_f32x4 (h01, h23, 0x88);
      r[12 + c] = _mm512_shuffle_f32x4 (h01, h23, 0xdd);
    }
}

/* 2^x for x <= 0 (scores are kept in base 2: the queries carry log2(e)); 0 below 2^-126
 * and for -inf. 2^r on [-1/2, 1/2] by a degree-5 polynomial fitted for relative error:
 * 2.2e-7 in float, 30 times below the bf16 split below. */
AMX_TARGET static inline __m512
exp2_neg (__m512 x)
{
  __mmask16 ok = _mm512_cmp_ps_mask (x, _mm512_set1_ps (-126.0f), _CMP_GE_OQ);
  __m512 n = _mm512_roundscale_ps (x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_sub_ps (x, n);
  __m512 p = _mm512_set1_ps (0.00132669706f);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.00967545994f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.0555074252f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.240221217f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (0.693146944f));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (1.00000012f));
  return _mm512_maskz_scalef_ps (ok, p, n);
}

/* Two vectors of probabilities as tile-B rows: each 32-bit lane holds the bf16 of x0 (low
 * half) and of x1 (high half), for hi = x rounded to bf16 (half away from zero, on the
 * bits) and lo = (x - hi) rounded the same way. Integer operations only: cheaper than the
 * bf16 conversions, which take two micro-ops each. */
AMX_TARGET static inline void
split_pair (__m512 x0, __m512 x1, __m512i *hi, __m512i *lo)
{
  const __m512i half = _mm512_set1_epi32 (0x8000), top = _mm512_set1_epi32 ((int) 0xffff0000u);
  __m512i h0 = _mm512_and_si512 (_mm512_add_epi32 (_mm512_castps_si512 (x0), half), top);
  __m512i h1 = _mm512_and_si512 (_mm512_add_epi32 (_mm512_castps_si512 (x1), half), top);
  __m512i l0 = _mm512_add_epi32 (
      _mm512_castps_si512 (_mm512_sub_ps (x0, _mm512_castsi512_ps (h0))), half);
  __m512i l1 = _mm512_add_epi32 (
      _mm512_castps_si512 (_mm512_sub_ps (x1, _mm512_castsi512_ps (h1))), half);

  *hi = _mm512_or_si512 (_mm512_srli_epi32 (h0, 16), h1);
  *lo = _mm512_ternarylogic_epi32 (_mm512_srli_epi32 (l0, 16), l1, top, 0xf8); /* a|(b&c) */
}

AMX_TARGET static inline __m512
load_f16 (const uint16_t *p)
{
  return _mm512_cvtph_ps (_mm256_loadu_si256 ((const __m256i *) p));
}

/* O^T[d][r] += V^T[d][j] . P^T[j][r] for one block of 16 rows, cut into steps (a tile load
 * or two and three tile products each) so that it can run inside the next block's softmax
 * loop: the tile unit works while the vector units compute exponentials. The P tiles stay
 * in tmm4-7, V passes through tmm1-3, the accumulator is tmm0. */
typedef struct {
  const uint16_t *vth, *vtl;
  float *ot;                    /* column block of O^T: the 16 rows */
  int rp, n_steps, step;
  bool two;                     /* two k-steps (more than 32 positions) */
} pv_work;

AMX_TARGET static inline void
pv_begin (pv_work *w, const uint16_t *vth, const uint16_t *vtl, const uint32_t *ph,
          const uint32_t *pl, float *ot, int rp, int hd_v, bool two)
{
  w->vth = vth;
  w->vtl = vtl;
  w->ot = ot;
  w->rp = rp;
  w->two = two;
  w->step = 0;
  w->n_steps = hd_v / 16 * (two ? 2 : 1);
  _tile_loadd (4, ph, 64);
  _tile_loadd (6, pl, 64);
  if (two)
    {
      _tile_loadd (5, ph + 256, 64);
      _tile_loadd (7, pl + 256, 64);
    }
}

AMX_TARGET static inline void
pv_step (pv_work *w)
{
  int per = w->two ? 2 : 1, db = w->step / per * 16, part = w->step % per;
  float *o = w->ot + (size_t) db * w->rp;
  const uint16_t *vh = w->vth + (size_t) db * ATT_PANEL, *vl = w->vtl + (size_t) db * ATT_PANEL;

  if (w->step >= w->n_steps)
    return;
  if (part == 0)
    {
      _tile_loadd (0, o, w->rp * 4);
      _tile_loadd (1, vh, ATT_PANEL * 2);
      _tile_loadd (2, vl, ATT_PANEL * 2);
      _tile_dpbf16ps (0, 1, 4);
      _tile_dpbf16ps (0, 1, 6);
      _tile_dpbf16ps (0, 2, 4);
    }
  else
    {
      _tile_loadd (3, vh + T_BF16, ATT_PANEL * 2);
      _tile_loadd (1, vl + T_BF16, ATT_PANEL * 2);
      _tile_dpbf16ps (0, 3, 5);
      _tile_dpbf16ps (0, 3, 7);
      _tile_dpbf16ps (0, 1, 5);
    }
  if (part == per - 1)
    _tile_stored (0, o, w->rp * 4);
  w->step++;
}

AMX_TARGET static inline void
pv_finish (pv_work *w)
{
  while (w->step < w->n_steps)
    pv_step (w);
}

AMX_TARGET void
hr_attention_amx (const att_args *a, void *ws_raw)
{
  const int hd_k = a->hd_k, hd_v = a->hd_v, KS = hd_k / T_BF16;
  const int R = a->n_group * a->n_tok, RP = (R + 15) / 16 * 16;
  const int n_chunks = (R + ATT_CHUNK - 1) / ATT_CHUNK;
  const int n_kv_max = a->n_kv0 + a->n_tok - 1;
  const uint16_t *K = a->K, *V = a->V;
  amx_layout L = layout (hd_k, hd_v);
  char *ws = (char *) (((uintptr_t) ws_raw + 63) & ~(uintptr_t) 63);
  uint32_t *QBh = (uint32_t *) (ws + L.qbh), *QBl = (uint32_t *) (ws + L.qbl);
  uint16_t *Kh = (uint16_t *) (ws + L.kh), *Kl = (uint16_t *) (ws + L.kl);
  uint16_t *Vth = (uint16_t *) (ws + L.vth), *Vtl = (uint16_t *) (ws + L.vtl);
  float *S = (float *) (ws + L.s);
  uint32_t *PBh = (uint32_t *) (ws + L.pbh), *PBl = (uint32_t *) (ws + L.pbl);
  float *mx = (float *) (ws + L.mx), *sum = (float *) (ws + L.sum);
  float *corr = (float *) (ws + L.corr), *lim = (float *) (ws + L.lim);
  float *OT = (float *) (ws + L.ot);                    /* [hd_v][RP] */
  amx_cfg cfg;

  /* Queries as tile B: QB[rb][ks][k][n] = (q[n][ks*32 + 2k], q[n][ks*32 + 2k + 1]) of the
   * 16 rows n of row block rb, pre-scaled (by log2(e) too), hi and lo. Padding rows are
   * zero. */
  {
    __m512 sc = _mm512_set1_ps (a->scale * (float) M_LOG2E);
    for (int rb = 0; rb < RP / 16; rb++)
      for (int ks = 0; ks < KS; ks++)
        {
          __m512 hv[16], lv[16];     /* row n: its 16 pairs of this k-step; then transposed */
          for (int n = 0; n < 16; n++)
            {
              int r = rb * 16 + n, t = r / a->n_group, g = r % a->n_group;
              const float *q = a->q + (size_t) t * a->q_stride + (size_t) g * hd_k + ks * 32;
              __m256i h0, l0, h1, l1;
              split (r < R ? _mm512_mul_ps (_mm512_loadu_ps (q), sc) : _mm512_setzero_ps (),
                     &h0, &l0);
              split (r < R ? _mm512_mul_ps (_mm512_loadu_ps (q + 16), sc) : _mm512_setzero_ps (),
                     &h1, &l1);
              hv[n] = _mm512_castsi512_ps (_mm512_inserti64x4 (_mm512_castsi256_si512 (h0), h1, 1));
              lv[n] = _mm512_castsi512_ps (_mm512_inserti64x4 (_mm512_castsi256_si512 (l0), l1, 1));
            }
          transpose16 (hv);
          transpose16 (lv);
          for (int k = 0; k < 16; k++)
            {
              _mm512_storeu_ps ((float *) QBh + ((size_t) rb * KS + ks) * 256 + k * 16, hv[k]);
              _mm512_storeu_ps ((float *) QBl + ((size_t) rb * KS + ks) * 256 + k * 16, lv[k]);
            }
        }
  }
  for (int r = 0; r < RP; r++)
    {
      mx[r] = -INFINITY;
      sum[r] = 0;
      /* padding rows attend what the last row does: they stay finite and are never read */
      lim[r] = (float) (a->n_kv0 + (r < R ? r / a->n_group : (R - 1) / a->n_group));
    }
  memset (OT, 0, (size_t) hd_v * RP * sizeof (float));

  memset (&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int i = 0; i < 8; i++)
    {
      cfg.rows[i] = T_ROWS;
      cfg.colsb[i] = 64;
    }
  _tile_loadconfig (&cfg);

  for (int j0 = 0; j0 < n_kv_max; j0 += ATT_PANEL)
    {
      int np = n_kv_max - j0 < ATT_PANEL ? n_kv_max - j0 : ATT_PANEL;
      int np32 = (np + T_BF16 - 1) / T_BF16 * T_BF16;
      pv_work pv = { .n_steps = 0, .step = 0 };

      /* K rows as they are (tile A of the scores), hi and lo; rows past np are zero */
      for (int j = 0; j < np32; j++)
        for (int d = 0; d < hd_k; d += 16)
          {
            __m256i h = _mm256_setzero_si256 (), l = h;
            if (j < np)
              split (load_f16 (K + (size_t) (j0 + j) * a->k_stride + d), &h, &l);
            _mm256_storeu_si256 ((__m256i *) (Kh + (size_t) j * hd_k + d), h);
            _mm256_storeu_si256 ((__m256i *) (Kl + (size_t) j * hd_k + d), l);
          }
      /* V transposed (tile A of P.V): Vt[dim][position], 16 x 16 blocks */
      for (int pb = 0; pb < np32; pb += 16)
        for (int db = 0; db < hd_v; db += 16)
          {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
              r[i] = pb + i < np ? load_f16 (V + (size_t) (j0 + pb + i) * a->v_stride + db)
                                 : _mm512_setzero_ps ();
            transpose16 (r);
            for (int d = 0; d < 16; d++)
              {
                __m256i h, l;
                split (r[d], &h, &l);
                _mm256_storeu_si256 ((__m256i *) (Vth + (size_t) (db + d) * ATT_PANEL + pb), h);
                _mm256_storeu_si256 ((__m256i *) (Vtl + (size_t) (db + d) * ATT_PANEL + pb), l);
              }
          }

      for (int ch = 0; ch < n_chunks; ch++)
        {
          int r0 = ch * ATT_CHUNK, nr = R - r0 < ATT_CHUNK ? R - r0 : ATT_CHUNK;
          int RPc = (nr + 15) / 16 * 16;
          int first_lim = a->n_kv0 + r0 / a->n_group;
          int last_lim = a->n_kv0 + (r0 + nr - 1) / a->n_group;
          int npc = last_lim - j0 < np ? last_lim - j0 : np;     /* positions any row needs */
          int npp = (npc + T_BF16 - 1) / T_BF16 * T_BF16;        /* padded: masked, zero */
          bool masked = j0 + npp > first_lim;

          if (npc <= 0)
            continue;       /* causal: no row of this chunk sees this panel */

          /* S^T[j][r] = K[j] . q[r]. With two k-steps (hd_k = 64) the K tiles of a block of
           * 16 positions stay in tmm4-7, the query tiles of each row block pass through
           * tmm2-3, and two accumulators alternate so that one is stored while the other
           * is computed. */
          for (int pb = 0; pb < npp; pb += 16)
            {
              const uint16_t *kh = Kh + (size_t) pb * hd_k, *kl = Kl + (size_t) pb * hd_k;
              int nrb = RPc / 16;
              if (KS == 2)
                {
                  _tile_loadd (4, kh, hd_k * 2);
                  _tile_loadd (5, kl, hd_k * 2);
                  _tile_loadd (6, kh + T_BF16, hd_k * 2);
                  _tile_loadd (7, kl + T_BF16, hd_k * 2);
#define SCORES_RB(C, rbc)                                                                 \
  do {                                                                                    \
    const uint32_t *qh_ = QBh + (size_t) (r0 / 16 + (rbc)) * 2 * 256;                     \
    const uint32_t *ql_ = QBl + (size_t) (r0 / 16 + (rbc)) * 2 * 256;                     \
    _tile_zero (C);                                                                       \
    _tile_loadd (2, qh_, 64);                                                             \
    _tile_loadd (3, ql_, 64);                                                             \
    _tile_dpbf16ps (C, 4, 2);                                                             \
    _tile_dpbf16ps (C, 4, 3);                                                             \
    _tile_dpbf16ps (C, 5, 2);                                                             \
    _tile_loadd (2, qh_ + 256, 64);                                                       \
    _tile_loadd (3, ql_ + 256, 64);                                                       \
    _tile_dpbf16ps (C, 6, 2);                                                             \
    _tile_dpbf16ps (C, 6, 3);                                                             \
    _tile_dpbf16ps (C, 7, 2);                                                             \
    _tile_stored (C, S + (size_t) pb * RPc + (rbc) * 16, RPc * 4);                        \
  } while (0)
                  int rbc = 0;
                  for (; rbc + 2 <= nrb; rbc += 2)
                    {
                      SCORES_RB (0, rbc);
                      SCORES_RB (1, rbc + 1);
                    }
                  if (rbc < nrb)
                    SCORES_RB (0, rbc);
#undef SCORES_RB
                }
              else
                for (int rbc = 0; rbc < nrb; rbc++)
                  {
                    int rb = r0 / 16 + rbc;
                    _tile_zero (0);
                    for (int ks = 0; ks < KS; ks++)
                      {
                        _tile_loadd (2, kh + ks * T_BF16, hd_k * 2);
                        _tile_loadd (3, kl + ks * T_BF16, hd_k * 2);
                        _tile_loadd (4, QBh + ((size_t) rb * KS + ks) * 256, 64);
                        _tile_loadd (5, QBl + ((size_t) rb * KS + ks) * 256, 64);
                        _tile_dpbf16ps (0, 2, 4);
                        _tile_dpbf16ps (0, 2, 5);
                        _tile_dpbf16ps (0, 3, 4);
                      }
                    _tile_stored (0, S + (size_t) pb * RPc + rbc * 16, RPc * 4);
                  }
            }

          /* online softmax, 16 rows per vector; P as tile B of P.V: pairs of positions. The
           * previous row block's P.V runs on the tiles meanwhile (pv_work). */
          bool two = npp > T_BF16;
          for (int rv = 0; rv < RPc; rv += 16)
            {
              int rbc = rv / 16;
              if (rbc > 0)
                pv_begin (&pv, Vth, Vtl, PBh + (size_t) (rbc - 1) * KSP * 256,
                          PBl + (size_t) (rbc - 1) * KSP * 256, OT + r0 + (rbc - 1) * 16, RP,
                          hd_v, two);

              __m512 lv = _mm512_loadu_ps (lim + r0 + rv), m = _mm512_loadu_ps (mx + r0 + rv);
              __m512 pm = m, ls = _mm512_setzero_ps (), c;
              for (int j = 0; j < npp; j++)
                {
                  __m512 s = _mm512_loadu_ps (S + (size_t) j * RPc + rv);
                  if (masked)
                    {
                      __mmask16 k = _mm512_cmp_ps_mask (_mm512_set1_ps ((float) (j0 + j)), lv,
                                                        _CMP_GE_OQ);
                      s = _mm512_mask_blend_ps (k, s, _mm512_set1_ps (-INFINITY));
                      _mm512_storeu_ps (S + (size_t) j * RPc + rv, s);
                    }
                  pm = _mm512_max_ps (pm, s);
                }
              c = exp2_neg (_mm512_sub_ps (m, pm));
              for (int j = 0; j < npp; j += 2)
                {
                  __m512 p0 = exp2_neg (_mm512_sub_ps (_mm512_loadu_ps (S + (size_t) j * RPc + rv), pm));
                  __m512 p1 = exp2_neg (_mm512_sub_ps (_mm512_loadu_ps (S + (size_t) (j + 1) * RPc + rv), pm));
                  __m512i h, l;
                  size_t at = (((size_t) rbc * KSP + j / T_BF16) * 16 + (j % T_BF16) / 2) * 16;
                  ls = _mm512_add_ps (ls, _mm512_add_ps (p0, p1));
                  split_pair (p0, p1, &h, &l);
                  _mm512_storeu_si512 (PBh + at, h);
                  _mm512_storeu_si512 (PBl + at, l);
                  if ((j & 7) == 0)
                    pv_step (&pv);
                }
              pv_finish (&pv);
              _mm512_storeu_ps (sum + r0 + rv,
                                _mm512_add_ps (_mm512_mul_ps (_mm512_loadu_ps (sum + r0 + rv), c), ls));
              _mm512_storeu_ps (mx + r0 + rv, pm);
              _mm512_storeu_ps (corr + r0 + rv, c);
              /* rescale the partial outputs, unless no row's maximum moved (the usual
               * case once a few panels are in) */
              if (_mm512_cmp_ps_mask (c, _mm512_set1_ps (1.0f), _CMP_EQ_OQ) != 0xffff)
                for (int d = 0; d < hd_v; d++)
                  {
                    float *o = OT + (size_t) d * RP + r0 + rv;
                    _mm512_storeu_ps (o, _mm512_mul_ps (_mm512_loadu_ps (o), c));
                  }
            }

          /* the last row block's P.V */
          pv_begin (&pv, Vth, Vtl, PBh + (size_t) (RPc / 16 - 1) * KSP * 256,
                    PBl + (size_t) (RPc / 16 - 1) * KSP * 256, OT + r0 + RPc - 16, RP, hd_v,
                    two);
          pv_finish (&pv);
        }
    }
  _tile_release ();

  /* out[r] = O^T[.][r] / sum[r], back to rows by 16 x 16 transposes */
  for (int rb = 0; rb < RP; rb += 16)
    for (int db = 0; db < hd_v; db += 16)
      {
        __m512 v[16];
        for (int d = 0; d < 16; d++)
          v[d] = _mm512_loadu_ps (OT + (size_t) (db + d) * RP + rb);
        transpose16 (v);
        for (int n = 0; n < 16 && rb + n < R; n++)
          {
            int r = rb + n, t = r / a->n_group, g = r % a->n_group;
            float *out = a->out + (size_t) t * a->out_stride + (size_t) g * hd_v + db;
            _mm512_storeu_ps (out, _mm512_mul_ps (v[n], _mm512_set1_ps (1.0f / sum[r])));
          }
      }
}

#else /* !HAVE_AMX */

void
hr_attention_amx (const att_args *a, void *ws)
{
  (void) a;
  (void) ws;
  abort ();     /* never called: hr_attention_amx_usable() is false */
}

#endif
