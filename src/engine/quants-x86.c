/* quants-x86.c: the x86 kernels, built for two instruction-set levels in one file.
 *
 * quants-x86-dot.h (and quants-x86-tile.h) are included once per level under a target
 * pragma, so the rest of the engine is built for plain x86-64 and quants.c picks the
 * level at run time with __builtin_cpu_supports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "quants-impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

#include <immintrin.h>

/* ---- AVX2 + FMA + F16C ---- */
#if defined(__clang__)
#pragma clang attribute push (__attribute__ ((target ("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target ("avx2,fma,f16c")
#endif
#define SFX(name) name##_avx2
#define HR_VNNI 0
#include "quants-x86-dot.h"
#include "quants-x86-tile.h"
#undef SFX
#undef HR_VNNI
#undef DEFINE_DOT_SYM
#undef DEFINE_DOT_MIN
#undef DEFINE_DOT_HALF
#undef HR_PREFETCH
#undef HR_PF
#undef DEFINE_TILE_INT
#undef DEFINE_DEQUANT_INT
#undef TILE_COLS
void
hr_quants_kernels_avx2 (hr_kernels *k)
{
  register_dots_avx2 (k);
  register_tiles_avx2 (k);
}
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* ---- AVX-512 F/BW/VL/DQ + VNNI ---- */
#if defined(__clang__)
#pragma clang attribute push (__attribute__ ((target ("avx2,fma,f16c,avx512f,avx512bw,\
avx512vl,avx512dq,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target ("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#endif
#define SFX(name) name##_avx512
#define HR_VNNI 1
#include "quants-x86-dot.h"
#include "quants-x86-tile.h"
void
hr_quants_kernels_avx512 (hr_kernels *k)
{
  register_dots_avx512 (k);
  register_tiles_avx512 (k);
}
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else /* not x86-64: the scalar references serve */

void
hr_quants_kernels_avx2 (hr_kernels *k)
{
  (void) k;
}

void
hr_quants_kernels_avx512 (hr_kernels *k)
{
  (void) k;
}

#endif
