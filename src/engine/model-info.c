/* model-info.c: a model's description from its GGUF header and tensor infos.
 *
 * Only the metadata pages of the mapping are touched (tensor data is never read), so listing
 * a folder of multi-gigabyte models costs a few page reads per file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "model-info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const file_type_names[] = {
  [0] = "F32",      [1] = "F16",      [2] = "Q4_0",     [3] = "Q4_1",
  [7] = "Q8_0",     [8] = "Q5_0",     [9] = "Q5_1",     [10] = "Q2_K",
  [11] = "Q3_K_S",  [12] = "Q3_K_M",  [13] = "Q3_K_L",  [14] = "Q4_K_S",
  [15] = "Q4_K_M",  [16] = "Q5_K_S",  [17] = "Q5_K_M",  [18] = "Q6_K",
  [19] = "IQ2_XXS", [20] = "IQ2_XS",  [21] = "Q2_K_S",  [22] = "IQ3_XS",
  [23] = "IQ3_XXS", [24] = "IQ1_S",   [25] = "IQ4_NL",  [26] = "IQ3_S",
  [27] = "IQ3_M",   [28] = "IQ2_S",   [29] = "IQ2_M",   [30] = "IQ4_XS",
  [31] = "IQ1_M",   [32] = "BF16",    [36] = "TQ1_0",   [37] = "TQ2_0",
  [38] = "MXFP4_MOE",
};

static const char *const supported_archs[] = { "llama", "qwen2", "qwen3" };

const char *
hr_model_file_type_name (int32_t file_type)
{
  if (file_type < 0 || (size_t) file_type >= sizeof file_type_names / sizeof *file_type_names)
    return NULL;
  return file_type_names[file_type];
}

bool
hr_model_arch_supported (const char *arch)
{
  if (!arch)
    return false;
  for (size_t i = 0; i < sizeof supported_archs / sizeof *supported_archs; i++)
    if (strcmp (arch, supported_archs[i]) == 0)
      return true;
  return false;
}

void
hr_model_info_clear (hr_model_info *info)
{
  if (!info)
    return;
  free (info->architecture);
  free (info->name);
  free (info->chat_template);
  memset (info, 0, sizeof *info);
  info->file_type = -1;
}

/* "<arch>.<suffix>" as an integer; arrays (per-layer values, e.g. head_count_kv in some
 * models) give their largest element. */
static int64_t
arch_int (const hr_gguf *g, const char *arch, const char *suffix)
{
  char key[160];
  int64_t k, arr, best = 0;
  uint64_t n = 0;

  if (!arch)
    return 0;
  snprintf (key, sizeof key, "%s.%s", arch, suffix);
  k = hr_gguf_find_key (g, key);
  if (k < 0)
    return 0;
  arr = hr_gguf_kv_array (g, k);
  if (arr < 0)
    return hr_gguf_get_int (g, key, 0);
  hr_gguf_array_type (g, arr, &n);
  for (uint64_t i = 0; i < n; i++)
    {
      int64_t v = hr_gguf_array_int (g, arr, i);

      if (v > best)
        best = v;
    }
  return best;
}

static char *
name_from_path (const char *path)
{
  const char *base = path ? strrchr (path, '/') : NULL;
  size_t len;
  char *r;

  base = base ? base + 1 : (path ? path : "model");
  len = strlen (base);
  if (len > 5 && strcmp (base + len - 5, ".gguf") == 0)
    len -= 5;
  r = malloc (len + 1);
  if (r)
    {
      memcpy (r, base, len);
      r[len] = '\0';
    }
  return r;
}

static int
cmp_type_bytes (const void *a, const void *b)
{
  const hr_model_info_type_count *x = a, *y = b;

  if (x->n_bytes != y->n_bytes)
    return x->n_bytes < y->n_bytes ? 1 : -1;
  return (int) x->type - (int) y->type;
}

static void
count_types (const hr_gguf *g, hr_model_info *info)
{
  hr_model_info_type_count by_type[HR_TYPE_COUNT];
  size_t o = 0;

  memset (by_type, 0, sizeof by_type);
  for (int64_t i = 0; i < hr_gguf_n_tensors (g); i++)
    {
      const hr_gguf_tensor *t = hr_gguf_tensor_at (g, i);
      uint64_t n = 1;

      for (uint32_t d = 0; d < HR_GGUF_MAX_DIMS; d++)
        n *= (uint64_t) t->ne[d];
      by_type[t->type].type = t->type;
      by_type[t->type].n_tensors++;
      by_type[t->type].n_elements += n;
      by_type[t->type].n_bytes += t->nbytes;
      info->n_params += n;
      info->weight_bytes += t->nbytes;
      info->n_tensors++;
    }
  info->n_types = 0;
  for (int t = 0; t < HR_TYPE_COUNT; t++)
    if (by_type[t].n_tensors)
      info->types[info->n_types++] = by_type[t];
  qsort (info->types, (size_t) info->n_types, sizeof *info->types, cmp_type_bytes);

  info->quant_mix[0] = '\0';
  for (int i = 0; i < info->n_types && o < sizeof info->quant_mix; i++)
    {
      char tname[16];
      const char *nm = hr_type_name (info->types[i].type);
      double pct = info->weight_bytes
                   ? 100.0 * (double) info->types[i].n_bytes / (double) info->weight_bytes : 0;
      size_t k;
      int w;

      for (k = 0; nm[k] && k + 1 < sizeof tname; k++)
        tname[k] = (nm[k] >= 'a' && nm[k] <= 'z') ? (char) (nm[k] - 'a' + 'A') : nm[k];
      tname[k] = '\0';
      w = snprintf (info->quant_mix + o, sizeof info->quant_mix - o, "%s%s %.0f%%",
                    i ? ", " : "", tname, pct);
      if (w < 0 || (size_t) w >= sizeof info->quant_mix - o)
        {
          /* cut at the last whole entry */
          info->quant_mix[o] = '\0';
          break;
        }
      o += (size_t) w;
    }
}

int
hr_model_info_from_gguf (const hr_gguf *g, const char *path, hr_model_info *info, char *err,
                         size_t errlen)
{
  const char *arch;
  int64_t k;

  memset (info, 0, sizeof *info);
  info->file_type = -1;
  info->file_size = hr_gguf_file_size (g);
  info->gguf_version = hr_gguf_version (g);
  info->architecture = hr_gguf_get_strdup (g, "general.architecture");
  info->name = hr_gguf_get_strdup (g, "general.name");
  if (info->name && !info->name[0])
    {
      free (info->name);
      info->name = NULL;
    }
  if (!info->name)
    info->name = name_from_path (path);
  info->chat_template = hr_gguf_get_strdup (g, "tokenizer.chat_template");
  if (!info->name
      || (hr_gguf_get_str (g, "general.architecture").ptr && !info->architecture)
      || (hr_gguf_get_str (g, "tokenizer.chat_template").ptr && !info->chat_template))
    {
      hr_model_info_clear (info);
      snprintf (err, errlen, "out of memory");
      return -1;
    }

  arch = info->architecture;
  info->supported = hr_model_arch_supported (arch);
  info->context_length = arch_int (g, arch, "context_length");
  info->embedding_length = arch_int (g, arch, "embedding_length");
  info->n_layers = arch_int (g, arch, "block_count");
  info->n_heads = arch_int (g, arch, "attention.head_count");
  info->n_kv_heads = arch_int (g, arch, "attention.head_count_kv");
  if (info->n_kv_heads <= 0)
    info->n_kv_heads = info->n_heads;
  info->head_dim_k = arch_int (g, arch, "attention.key_length");
  if (info->head_dim_k <= 0 && info->n_heads > 0)
    info->head_dim_k = info->embedding_length / info->n_heads;
  info->head_dim_v = arch_int (g, arch, "attention.value_length");
  if (info->head_dim_v <= 0)
    info->head_dim_v = info->head_dim_k;
  info->vocab_size = arch_int (g, arch, "vocab_size");
  if (info->vocab_size <= 0)
    {
      uint64_t n = 0;

      k = hr_gguf_find_key (g, "tokenizer.ggml.tokens");
      if (k >= 0 && hr_gguf_arr_type (g, k, &n) == HR_GGUF_STRING)
        info->vocab_size = (int64_t) n;
    }

  k = hr_gguf_find_key (g, "general.file_type");
  if (k >= 0)
    {
      int64_t ft = hr_gguf_get_int (g, "general.file_type", -1);

      if (ft >= 0 && ft <= INT32_MAX)
        info->file_type = (int32_t) ft;
    }
  info->file_type_name = hr_model_file_type_name (info->file_type);
  count_types (g, info);
  return 0;
}

int
hr_model_info_read (const char *path, hr_model_info *info, char *err, size_t errlen)
{
  hr_gguf *g;
  int rc;

  memset (info, 0, sizeof *info);
  info->file_type = -1;
  if (hr_gguf_open_ex (path, HR_GGUF_OPEN_METADATA_ONLY, &g, err, errlen) < 0)
    return -1;
  rc = hr_model_info_from_gguf (g, path, info, err, errlen);
  hr_gguf_close (g);
  return rc;
}

uint64_t
hr_model_info_estimate_memory (const hr_model_info *info, int32_t n_ctx)
{
  uint64_t ctx, kv_per_token, kv, margin;

  ctx = n_ctx > 0 ? (uint64_t) n_ctx
                  : (info->context_length > 0 && info->context_length < 8192
                     ? (uint64_t) info->context_length : 8192);
  /* K and V per layer and token, F16 */
  kv_per_token = (uint64_t) (info->n_layers > 0 ? info->n_layers : 0)
                 * (uint64_t) (info->n_kv_heads > 0 ? info->n_kv_heads : 0)
                 * (uint64_t) ((info->head_dim_k > 0 ? info->head_dim_k : 0)
                               + (info->head_dim_v > 0 ? info->head_dim_v : 0))
                 * 2;
  kv = kv_per_token * ctx;
  /* activations, logits and the scratch of a prompt batch: small next to the weights; 64 MiB
   * plus logits for a 512-token batch plus 2% covers what the engine allocates. */
  margin = (64ull << 20) + (uint64_t) (info->vocab_size > 0 ? info->vocab_size : 0) * 4 * 512
           + info->weight_bytes / 50;
  return info->weight_bytes + kv + margin;
}
