/* quants-x86-tile.h: batched (tile) kernels, compiled twice by quants-x86.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

static void
SFX (register_tiles) (hr_kernels *k)
{
  (void) k;
}
