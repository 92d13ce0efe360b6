/* model-info.h: what a GGUF model is (architecture, size, quantization, template) read from
 * its header and tensor infos only, without touching the weights: fast enough to list a
 * folder of models.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "quants.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tensors of one type. */
typedef struct {
  hr_type type;
  uint64_t n_tensors;
  uint64_t n_elements;
  uint64_t n_bytes;
} hr_model_info_type_count;

typedef struct {
  char *architecture;            /* general.architecture (malloc'd), NULL when absent */
  char *name;                    /* general.name, else the file name without ".gguf" */
  char *chat_template;           /* tokenizer.chat_template (malloc'd) or NULL */
  uint64_t file_size;            /* bytes */
  uint32_t gguf_version;

  uint64_t n_params;             /* sum of the element counts of all tensors */
  uint64_t n_tensors;
  uint64_t weight_bytes;         /* sum of the tensor data sizes */

  /* Hyperparameters from "<arch>.*" keys; 0 when absent. */
  int64_t context_length;
  int64_t embedding_length;
  int64_t n_layers;              /* block_count */
  int64_t n_heads;
  int64_t n_kv_heads;            /* head_count_kv, else n_heads */
  int64_t head_dim_k;            /* attention.key_length, else embedding_length / n_heads */
  int64_t head_dim_v;            /* attention.value_length, else head_dim_k */
  int64_t vocab_size;            /* <arch>.vocab_size, else the length of tokenizer.ggml.tokens */

  int32_t file_type;             /* general.file_type, -1 when absent */
  const char *file_type_name;    /* "Q4_K_M" etc. from general.file_type (static), or NULL */
  /* Tensor types by bytes, largest first (n_types entries). */
  hr_model_info_type_count types[HR_TYPE_COUNT];
  int n_types;
  char quant_mix[128];           /* e.g. "Q5_0 62%, Q8_0 30%, Q6_K 8%" (types by bytes) */

  bool supported;                /* architecture is one Heron runs (llama, qwen2, qwen3) */
} hr_model_info;

/* Read the metadata of the model at path. 0 on success; -1 with a message in err. */
int      hr_model_info_read (const char *path, hr_model_info *info, char *err, size_t errlen);
/* Same from an already open file (path may be NULL: then name falls back to "model"). */
int      hr_model_info_from_gguf (const hr_gguf *g, const char *path, hr_model_info *info,
                                  char *err, size_t errlen);
void     hr_model_info_clear (hr_model_info *info);

/* Name of a llama.cpp file type (general.file_type), e.g. 15 -> "Q4_K_M"; NULL if unknown. */
const char *hr_model_file_type_name (int32_t file_type);
/* Whether Heron runs this architecture. */
bool     hr_model_arch_supported (const char *arch);

/* Bytes needed to run the model with a context of n_ctx tokens (n_ctx <= 0: the default,
 * min(context_length, 8192)): weights + F16 KV cache + a margin for activations and
 * logits. */
uint64_t hr_model_info_estimate_memory (const hr_model_info *info, int32_t n_ctx);

#ifdef __cplusplus
}
#endif
