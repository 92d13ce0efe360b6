/* kvcache-simd.h: the grouped, blocked attention kernel over the KV cache, written once and
 * compiled by kvcache.c for each instruction set (scalar, AVX2, AVX-512) with the ATT_* and
 * V* macros set. Not a public header.
 *
 * One call handles the query rows of one KV head for a block of tokens (the query heads of
 * the GQA group x up to HR_ATT_MAX_ROWS / group tokens), so each K/V row is loaded and
 * converted from F16 once per block instead of once per (token, head). Positions are
 * walked in panels of ATT_PANEL; each panel is used by the rows in chunks of ATT_CHUNK
 * (register and L1 blocking) with an online softmax (running max and sum per row), so at
 * most one panel of scores per query row exists. Scores are kept position-major with
 * the query rows across the vector lanes: the max, the exponentials and the sums of the
 * softmax are then plain vertical operations, with no horizontal reduction anywhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Includer defines: ATT_NAME(x), ATT_TARGET, VL (lanes), VF (vector type), RVB (row
 * vectors per score block), RB x DVC (rows x value vectors per P.V block), VZERO(),
 * VSET1(x), VLOAD(p), VSTORE(p, v), VFMA(a, b, c) = a * b + c, VMUL, VSUB, VADD, VMAX,
 * VEXP(x), VMASK_NINF(s, pos, lim) = (pos >= lim ? -inf : s) lane-wise, and
 * CVT_F16(dst, src, n) converting n halves to floats; all are undefined at the end. */

#define ATT_INLINE static inline __attribute__ ((always_inline)) ATT_TARGET

/* S[j][r] for JN positions from j and NR row vectors from rv0: a JN x hd_k panel of K times
 * the hd_k x (NR * VL) block of the transposed, pre-scaled queries. */
ATT_INLINE void
ATT_NAME (scores_blk) (const float *Kp, size_t ks, int hd_k, const float *Qt, int RP,
                       float *S, int j, int rv0, const int JN, const int NR)
{
  VF acc[4][RVB];
  const float *kr[4];

#pragma GCC unroll 4
  for (int a = 0; a < JN; a++)
    {
      kr[a] = Kp + (size_t) (j + a) * ks;
#pragma GCC unroll 4
      for (int b = 0; b < NR; b++)
        acc[a][b] = VZERO ();
    }
  for (int d = 0; d < hd_k; d++)
    {
      const float *qd = Qt + (size_t) d * RP + (size_t) rv0 * VL;
      VF qv[RVB];
#pragma GCC unroll 4
      for (int b = 0; b < NR; b++)
        qv[b] = VLOAD (qd + b * VL);
#pragma GCC unroll 4
      for (int a = 0; a < JN; a++)
        {
          VF kb = VSET1 (kr[a][d]);
#pragma GCC unroll 4
          for (int b = 0; b < NR; b++)
            acc[a][b] = VFMA (kb, qv[b], acc[a][b]);
        }
    }
#pragma GCC unroll 4
  for (int a = 0; a < JN; a++)
#pragma GCC unroll 4
    for (int b = 0; b < NR; b++)
      VSTORE (S + (size_t) (j + a) * RP + (size_t) (rv0 + b) * VL, acc[a][b]);
}

/* O[r][dv..] = O[r][dv..] * corr[r] + sum_j P[j][r] V[j][dv..] for NR rows from r0 and ND
 * value vectors from dv0. */
ATT_INLINE void
ATT_NAME (pv_blk) (const float *Vp, size_t vs, int np, const float *S, int RP,
                   const float *corr, float *O, int hd_v, int r0, int dv0, const int NR,
                   const int ND)
{
  VF acc[RB][DVC];

#pragma GCC unroll 4
  for (int a = 0; a < NR; a++)
    {
      VF c = VSET1 (corr[r0 + a]);
#pragma GCC unroll 4
      for (int b = 0; b < ND; b++)
        acc[a][b] = VMUL (VLOAD (O + (size_t) (r0 + a) * hd_v + dv0 + b * VL), c);
    }
  for (int j = 0; j < np; j++)
    {
      const float *vr = Vp + (size_t) j * vs + dv0;
      const float *pj = S + (size_t) j * RP + r0;
      VF vv[DVC];
#pragma GCC unroll 4
      for (int b = 0; b < ND; b++)
        vv[b] = VLOAD (vr + b * VL);
#pragma GCC unroll 4
      for (int a = 0; a < NR; a++)
        {
          VF p = VSET1 (pj[a]);
#pragma GCC unroll 4
          for (int b = 0; b < ND; b++)
            acc[a][b] = VFMA (p, vv[b], acc[a][b]);
        }
    }
#pragma GCC unroll 4
  for (int a = 0; a < NR; a++)
#pragma GCC unroll 4
    for (int b = 0; b < ND; b++)
      VSTORE (O + (size_t) (r0 + a) * hd_v + dv0 + b * VL, acc[a][b]);
}

ATT_TARGET static void
ATT_NAME (scores) (const float *Kp, size_t ks, int np, int hd_k, const float *Qt, int RP,
                   float *S)
{
  int RV = RP / VL;

  for (int rv0 = 0; rv0 < RV; rv0 += RVB)
    {
      int nr = RV - rv0 < RVB ? RV - rv0 : RVB;
      int j = 0;

      for (; j + 4 <= np; j += 4)
        switch (nr)
          {
#define SC_CASE(N) case N: ATT_NAME (scores_blk) (Kp, ks, hd_k, Qt, RP, S, j, rv0, 4, N); break;
            SC_CASE (1)
#if RVB >= 2
            SC_CASE (2)
#endif
#if RVB >= 3
            SC_CASE (3)
#endif
#if RVB >= 4
            SC_CASE (4)
#endif
#undef SC_CASE
          default:
            break;
          }
      for (; j < np; j++)
        switch (nr)
          {
#define SC_CASE(N) case N: ATT_NAME (scores_blk) (Kp, ks, hd_k, Qt, RP, S, j, rv0, 1, N); break;
            SC_CASE (1)
#if RVB >= 2
            SC_CASE (2)
#endif
#if RVB >= 3
            SC_CASE (3)
#endif
#if RVB >= 4
            SC_CASE (4)
#endif
#undef SC_CASE
          default:
            break;
          }
    }
}

ATT_TARGET static void
ATT_NAME (pv) (const float *Vp, size_t vs, int np, const float *S, int RP, const float *corr,
               float *O, int R, int hd_v)
{
  for (int r0 = 0; r0 < R; r0 += RB)
    {
      int nr = R - r0 < RB ? R - r0 : RB;
      for (int dv0 = 0; dv0 < hd_v; dv0 += DVC * VL)
        {
          int nd = (hd_v - dv0) / VL < DVC ? (hd_v - dv0) / VL : DVC;
          switch (nr * 8 + nd)
            {
#define PV_CASE(A, B) \
  case A * 8 + B: ATT_NAME (pv_blk) (Vp, vs, np, S, RP, corr, O, hd_v, r0, dv0, A, B); break;
#define PV_ROW(A) PV_CASE (A, 1) PV_CASE (A, 2) PV_CASE (A, 3) PV_CASE (A, 4)
              PV_ROW (1)
#if RB >= 2
              PV_ROW (2)
#endif
#if RB >= 3
              PV_ROW (3)
#endif
#if RB >= 4
              PV_ROW (4)
#endif
#undef PV_ROW
#undef PV_CASE
            default:
              break;
            }
        }
    }
}

ATT_TARGET static void
ATT_NAME (attention) (const att_args *a, float *ws)
{
  const int hd_k = a->hd_k, hd_v = a->hd_v;
  const int R = a->n_group * a->n_tok;
  const int n_chunks = (R + ATT_CHUNK - 1) / ATT_CHUNK;
  const int n_kv_max = a->n_kv0 + a->n_tok - 1;
  float *Qt = ws;                                       /* per chunk: [hd_k][RPc] */
  float *Kf = Qt + (size_t) n_chunks * hd_k * ATT_CHUNK; /* [ATT_PANEL][hd_k] */
  float *Vf = Kf + (size_t) ATT_PANEL * hd_k;           /* [ATT_PANEL][hd_v] */
  float *S = Vf + (size_t) ATT_PANEL * hd_v;            /* [ATT_PANEL][RPc] */
  float *mx = S + (size_t) ATT_PANEL * ATT_CHUNK;       /* [n_chunks * ATT_CHUNK] each */
  float *sum = mx + (size_t) n_chunks * ATT_CHUNK;
  float *corr = sum + (size_t) n_chunks * ATT_CHUNK;
  float *lim = corr + (size_t) n_chunks * ATT_CHUNK;
  float *O = lim + (size_t) n_chunks * ATT_CHUNK;       /* [R][hd_v] */

  for (int ch = 0; ch < n_chunks; ch++)
    {
      int r0 = ch * ATT_CHUNK, nr = R - r0 < ATT_CHUNK ? R - r0 : ATT_CHUNK;
      int RPc = (nr + VL - 1) / VL * VL;
      float *Qc = Qt + (size_t) ch * hd_k * ATT_CHUNK;
      for (int i = 0; i < RPc; i++)
        {
          int r = r0 + i, t = r / a->n_group, g = r % a->n_group;
          const float *q = a->q + (size_t) t * a->q_stride + (size_t) g * hd_k;
          for (int d = 0; d < hd_k; d++)
            Qc[(size_t) d * RPc + i] = i < nr ? q[d] * a->scale : 0.0f;
          mx[r] = -INFINITY;
          sum[r] = 0;
          /* padding rows attend what the chunk's last row does: they stay finite and are
           * never read */
          lim[r] = (float) (a->n_kv0 + (i < nr ? t : (r0 + nr - 1) / a->n_group));
        }
    }
  memset (O, 0, (size_t) R * hd_v * sizeof (float));

  for (int j0 = 0; j0 < n_kv_max; j0 += ATT_PANEL)
    {
      int np = n_kv_max - j0 < ATT_PANEL ? n_kv_max - j0 : ATT_PANEL;
      const float *Kp, *Vp;
      size_t ks, vs;

      /* each K/V row is converted once here for every query row of every chunk */
      if (a->f16)
        {
          for (int j = 0; j < np; j++)
            {
              /* the next panel's rows, from L3 while this one is computed */
              if (j0 + ATT_PANEL + j < n_kv_max)
                {
                  const char *kn = (const char *) ((const uint16_t *) a->K
                                                   + (size_t) (j0 + ATT_PANEL + j) * a->k_stride);
                  const char *vn = (const char *) ((const uint16_t *) a->V
                                                   + (size_t) (j0 + ATT_PANEL + j) * a->v_stride);
                  for (int o = 0; o < hd_k * 2; o += 64)
                    __builtin_prefetch (kn + o);
                  for (int o = 0; o < hd_v * 2; o += 64)
                    __builtin_prefetch (vn + o);
                }
              CVT_F16 (Kf + (size_t) j * hd_k,
                       (const uint16_t *) a->K + (size_t) (j0 + j) * a->k_stride, hd_k);
              CVT_F16 (Vf + (size_t) j * hd_v,
                       (const uint16_t *) a->V + (size_t) (j0 + j) * a->v_stride, hd_v);
            }
          Kp = Kf;
          ks = (size_t) hd_k;
          Vp = Vf;
          vs = (size_t) hd_v;
        }
      else
        {
          Kp = (const float *) a->K + (size_t) j0 * a->k_stride;
          ks = a->k_stride;
          Vp = (const float *) a->V + (size_t) j0 * a->v_stride;
          vs = a->v_stride;
        }

      for (int ch = 0; ch < n_chunks; ch++)
        {
          int r0 = ch * ATT_CHUNK, nr = R - r0 < ATT_CHUNK ? R - r0 : ATT_CHUNK;
          int RPc = (nr + VL - 1) / VL * VL;
          int first_lim = a->n_kv0 + r0 / a->n_group;
          int last_lim = a->n_kv0 + (r0 + nr - 1) / a->n_group;
          int npc = last_lim - j0 < np ? last_lim - j0 : np;   /* positions any row needs */
          bool masked = j0 + npc > first_lim;
          float *mxc = mx + r0, *sumc = sum + r0, *corrc = corr + r0, *limc = lim + r0;

          if (npc <= 0)
            continue;       /* causal: no row of this chunk sees this panel */
          ATT_NAME (scores) (Kp, ks, npc, hd_k, Qt + (size_t) ch * hd_k * ATT_CHUNK, RPc, S);

          for (int rv = 0; rv < RPc; rv += VL)
            {
              VF lv = VLOAD (limc + rv), m = VLOAD (mxc + rv), pm = m, ls = VZERO (), c;
              for (int j = 0; j < npc; j++)
                {
                  VF s = VLOAD (S + (size_t) j * RPc + rv);
                  if (masked)
                    {
                      s = VMASK_NINF (s, VSET1 ((float) (j0 + j)), lv);
                      VSTORE (S + (size_t) j * RPc + rv, s);
                    }
                  pm = VMAX (pm, s);
                }
              c = VEXP (VSUB (m, pm));
              for (int j = 0; j < npc; j++)
                {
                  VF p = VEXP (VSUB (VLOAD (S + (size_t) j * RPc + rv), pm));
                  VSTORE (S + (size_t) j * RPc + rv, p);
                  ls = VADD (ls, p);
                }
              VSTORE (sumc + rv, VADD (VMUL (VLOAD (sumc + rv), c), ls));
              VSTORE (mxc + rv, pm);
              VSTORE (corrc + rv, c);
            }

          ATT_NAME (pv) (Vp, vs, npc, S, RPc, corrc, O + (size_t) r0 * hd_v, nr, hd_v);
        }
    }

  for (int r = 0; r < R; r++)
    {
      int t = r / a->n_group, g = r % a->n_group;
      float *out = a->out + (size_t) t * a->out_stride + (size_t) g * hd_v;
      float inv = 1.0f / sum[r];
      for (int i = 0; i < hd_v; i++)
        out[i] = O[(size_t) r * hd_v + i] * inv;
    }
}

#undef ATT_INLINE

/* The parameters are the includer's for one instruction set only. */
#undef ATT_NAME
#undef ATT_TARGET
#undef VL
#undef RVB
#undef RB
#undef DVC
#undef VF
#undef VZERO
#undef VSET1
#undef VLOAD
#undef VSTORE
#undef VFMA
#undef VMUL
#undef VSUB
#undef VADD
#undef VMAX
#undef VEXP
#undef VMASK_NINF
#undef CVT_F16
