/* quants.c: tensor type table (minimal first version written for the GGUF reader; the
 * kernels land here later).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "quants.h"

static const hr_type_traits type_traits[HR_TYPE_COUNT] = {
  [HR_TYPE_F32] = { "f32", 1, 4, HR_TYPE_F32, true },
  [HR_TYPE_F16] = { "f16", 1, 2, HR_TYPE_F16, true },
  [HR_TYPE_Q4_0] = { "q4_0", 32, 18, HR_TYPE_Q8_0, true },
  [HR_TYPE_Q4_1] = { "q4_1", 32, 20, HR_TYPE_Q8_1, true },
  [HR_TYPE_Q5_0] = { "q5_0", 32, 22, HR_TYPE_Q8_0, true },
  [HR_TYPE_Q5_1] = { "q5_1", 32, 24, HR_TYPE_Q8_1, true },
  [HR_TYPE_Q8_0] = { "q8_0", 32, 34, HR_TYPE_Q8_0, true },
  [HR_TYPE_Q8_1] = { "q8_1", 32, 36, HR_TYPE_Q8_1, false },
  [HR_TYPE_Q2_K] = { "q2_K", 256, 84, HR_TYPE_Q8_K, true },
  [HR_TYPE_Q3_K] = { "q3_K", 256, 110, HR_TYPE_Q8_K, true },
  [HR_TYPE_Q4_K] = { "q4_K", 256, 144, HR_TYPE_Q8_K, true },
  [HR_TYPE_Q5_K] = { "q5_K", 256, 176, HR_TYPE_Q8_K, true },
  [HR_TYPE_Q6_K] = { "q6_K", 256, 210, HR_TYPE_Q8_K, true },
  [HR_TYPE_Q8_K] = { "q8_K", 256, 292, HR_TYPE_Q8_K, false },
  [HR_TYPE_BF16] = { "bf16", 1, 2, HR_TYPE_BF16, true },
};

const hr_type_traits *
hr_type_get_traits (hr_type t)
{
  if ((unsigned) t >= HR_TYPE_COUNT)
    return 0;
  return &type_traits[t];
}

bool
hr_type_is_valid (int t)
{
  return t >= 0 && t < HR_TYPE_COUNT && type_traits[t].block_size > 0 && type_traits[t].supported;
}

const char *
hr_type_name (hr_type t)
{
  if ((unsigned) t >= HR_TYPE_COUNT || !type_traits[t].name)
    return "unknown";
  return type_traits[t].name;
}

size_t
hr_type_row_size (hr_type t, int64_t n)
{
  const hr_type_traits *tr = hr_type_get_traits (t);

  if (!tr || tr->block_size <= 0 || n < 0 || n % tr->block_size != 0)
    return 0;
  return (size_t) (n / tr->block_size) * tr->type_size;
}
