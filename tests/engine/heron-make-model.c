/* heron-make-model.c: command-line wrapper of make-model.h, writing random-weight GGUF models
 * of real shapes for tests, benchmarks and comparisons with llama.cpp (not installed).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "make-model.h"

static void
usage (FILE *f)
{
  fprintf (f,
    "Usage: heron-make-model [OPTIONS] -o OUT.gguf\n"
    "Write a GGUF model with random weights (a test fixture: it generates noise).\n"
    "\n"
    "  -o, --output PATH      file to write (required)\n"
    "  -s, --shape NAME       tiny (default), qwen2.5-0.5b, qwen2.5-1.5b, llama-3.2-1b,\n"
    "                         qwen3-0.6b: architecture and dimensions of the real model\n"
    "  -a, --arch NAME        llama, qwen2, qwen3 (for --shape tiny; default llama)\n"
    "  -t, --type TYPE        2-D weights: f32 (default), f16, bf16, q8_0, q4_0, q4_1, q5_0,\n"
    "                         q5_1, q2_K, q3_K, q4_K, q5_K, q6_K, or q4_k_m (llama.cpp's\n"
    "                         Q4_K_M choice per tensor). K types fall back as llama.cpp's\n"
    "                         quantizer does when rows are not multiples of 256.\n"
    "      --embd-type TYPE   type of token_embd.weight (default: --type)\n"
    "      --output-type TYPE type of output.weight when untied (default: --type)\n"
    "      --untied           write a separate output.weight (default: tied, as the shape)\n"
    "      --tied             reuse token_embd.weight as the output matrix\n"
    "      --rope-factors     write rope_freqs.weight (Llama 3 factors; llama only)\n"
    "      --vocab PATH       copy the tokenizer.* keys of this GGUF (e.g. a ggml-vocab-*.gguf);\n"
    "                         default: a 259-token byte vocabulary\n"
    "      --layers N         override the number of layers\n"
    "      --n-embd N, --n-ff N, --n-head N, --n-head-kv N, --head-dim N, --n-ctx N,\n"
    "      --n-vocab N        override dimensions\n"
    "      --seed N           random seed (default 1)\n"
    "  -h, --help             this help\n");
}

static bool
parse_type (const char *s, hr_type *t, const char **mix)
{
  static const struct { const char *name; hr_type t; } types[] = {
    { "f32", HR_TYPE_F32 }, { "f16", HR_TYPE_F16 }, { "bf16", HR_TYPE_BF16 },
    { "q8_0", HR_TYPE_Q8_0 }, { "q4_0", HR_TYPE_Q4_0 }, { "q4_1", HR_TYPE_Q4_1 },
    { "q5_0", HR_TYPE_Q5_0 }, { "q5_1", HR_TYPE_Q5_1 }, { "q2_k", HR_TYPE_Q2_K },
    { "q3_k", HR_TYPE_Q3_K }, { "q4_k", HR_TYPE_Q4_K }, { "q5_k", HR_TYPE_Q5_K },
    { "q6_k", HR_TYPE_Q6_K },
  };
  if (mix != NULL && strcasecmp (s, "q4_k_m") == 0)
    {
      *mix = "q4_k_m";
      *t = HR_TYPE_Q4_K;
      return true;
    }
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strcasecmp (s, types[i].name) == 0)
      {
        *t = types[i].t;
        return true;
      }
  return false;
}

enum {
  OPT_EMBD_TYPE = 256, OPT_OUTPUT_TYPE, OPT_UNTIED, OPT_TIED, OPT_ROPE_FACTORS, OPT_VOCAB,
  OPT_LAYERS, OPT_N_EMBD, OPT_N_FF, OPT_N_HEAD, OPT_N_HEAD_KV, OPT_HEAD_DIM, OPT_N_CTX,
  OPT_N_VOCAB, OPT_SEED,
};

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' }, { "shape", required_argument, NULL, 's' },
    { "arch", required_argument, NULL, 'a' }, { "type", required_argument, NULL, 't' },
    { "embd-type", required_argument, NULL, OPT_EMBD_TYPE },
    { "output-type", required_argument, NULL, OPT_OUTPUT_TYPE },
    { "untied", no_argument, NULL, OPT_UNTIED }, { "tied", no_argument, NULL, OPT_TIED },
    { "rope-factors", no_argument, NULL, OPT_ROPE_FACTORS },
    { "vocab", required_argument, NULL, OPT_VOCAB },
    { "layers", required_argument, NULL, OPT_LAYERS },
    { "n-embd", required_argument, NULL, OPT_N_EMBD },
    { "n-ff", required_argument, NULL, OPT_N_FF },
    { "n-head", required_argument, NULL, OPT_N_HEAD },
    { "n-head-kv", required_argument, NULL, OPT_N_HEAD_KV },
    { "head-dim", required_argument, NULL, OPT_HEAD_DIM },
    { "n-ctx", required_argument, NULL, OPT_N_CTX },
    { "n-vocab", required_argument, NULL, OPT_N_VOCAB },
    { "seed", required_argument, NULL, OPT_SEED }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *out = NULL, *shape = "tiny", *arch = "llama", *type = "f32";
  const char *embd_type = NULL, *output_type = NULL, *vocab = NULL;
  int tied = -1, rope_factors = 0, layers = 0, n_embd = 0, n_ff = 0, n_head = 0;
  int n_head_kv = 0, head_dim = 0, n_ctx = 0, n_vocab = 0;
  unsigned long long seed = 1;
  HeronTestModelSpec spec;
  char err[256] = "";
  int c;

  while ((c = getopt_long (argc, argv, "o:s:a:t:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o': out = optarg; break;
      case 's': shape = optarg; break;
      case 'a': arch = optarg; break;
      case 't': type = optarg; break;
      case OPT_EMBD_TYPE: embd_type = optarg; break;
      case OPT_OUTPUT_TYPE: output_type = optarg; break;
      case OPT_UNTIED: tied = 0; break;
      case OPT_TIED: tied = 1; break;
      case OPT_ROPE_FACTORS: rope_factors = 1; break;
      case OPT_VOCAB: vocab = optarg; break;
      case OPT_LAYERS: layers = atoi (optarg); break;
      case OPT_N_EMBD: n_embd = atoi (optarg); break;
      case OPT_N_FF: n_ff = atoi (optarg); break;
      case OPT_N_HEAD: n_head = atoi (optarg); break;
      case OPT_N_HEAD_KV: n_head_kv = atoi (optarg); break;
      case OPT_HEAD_DIM: head_dim = atoi (optarg); break;
      case OPT_N_CTX: n_ctx = atoi (optarg); break;
      case OPT_N_VOCAB: n_vocab = atoi (optarg); break;
      case OPT_SEED: seed = strtoull (optarg, NULL, 0); break;
      case 'h': usage (stdout); return 0;
      default: usage (stderr); return 2;
      }
  if (out == NULL || optind != argc)
    {
      usage (stderr);
      return 2;
    }
  heron_test_model_spec_init (&spec, arch);
  if (!parse_type (type, &spec.type, &spec.mix))
    {
      fprintf (stderr, "heron-make-model: unknown type '%s'\n", type);
      return 2;
    }
  if ((embd_type != NULL && !parse_type (embd_type, &spec.embd_type, NULL))
      || (output_type != NULL && !parse_type (output_type, &spec.output_type, NULL)))
    {
      fprintf (stderr, "heron-make-model: unknown type\n");
      return 2;
    }
  spec.seed = seed;
  spec.vocab_path = vocab;
  if (!heron_test_model_spec_shape (&spec, shape))
    {
      fprintf (stderr, "heron-make-model: unknown shape '%s'\n", shape);
      return 2;
    }
  if (tied >= 0)
    spec.tied = tied;
  if (rope_factors)
    spec.rope_freq_factors = true;
#define OVERRIDE(field, v) if ((v) > 0) spec.field = (v)
  OVERRIDE (n_layer, layers);
  OVERRIDE (n_embd, n_embd);
  OVERRIDE (n_ff, n_ff);
  OVERRIDE (n_head, n_head);
  OVERRIDE (n_head_kv, n_head_kv);
  OVERRIDE (head_dim, head_dim);
  OVERRIDE (n_ctx_train, n_ctx);
  OVERRIDE (n_vocab, n_vocab);
#undef OVERRIDE
  if (heron_test_make_model (out, &spec, err, sizeof err) != 0)
    {
      fprintf (stderr, "heron-make-model: %s\n", err);
      return 1;
    }
  return 0;
}
