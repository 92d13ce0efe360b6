/* test-model-info.c: model metadata read from small models made with the GGUF writer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "gguf.h"
#include "model-info.h"
#include "quants.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("heron-model-info-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);

      g_unlink (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Expected totals, computed beside the writer from the shapes (not by the code under test). */
typedef struct {
  uint64_t params;
  uint64_t bytes;
  uint64_t bytes_by_type[HR_TYPE_COUNT];
  uint64_t tensors_by_type[HR_TYPE_COUNT];
  int n_tensors;
} Expect;

static void
add (hr_gguf_writer *w, Expect *e, const char *name, hr_type type, int64_t ne0, int64_t ne1)
{
  const hr_type_traits *tr = hr_type_get_traits (type);
  int64_t ne[2] = { ne0, ne1 };
  size_t nbytes = (size_t) (ne0 / tr->block_size) * tr->type_size * (size_t) ne1;
  void *data = g_malloc0 (nbytes);

  hr_gguf_writer_add_tensor (w, name, type, ne1 > 1 ? 2 : 1, ne, data, nbytes);
  g_free (data);
  e->params += (uint64_t) (ne0 * ne1);
  e->bytes += nbytes;
  e->bytes_by_type[type] += nbytes;
  e->tensors_by_type[type]++;
  e->n_tensors++;
}

/* A llama-shaped model: 2 layers, 256 wide, 4 heads, 2 KV heads, 300 tokens. */
static char *
write_llama (Fixture *f, const char *file, const char *arch, bool with_name, Expect *e)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  char *path = g_build_filename (f->dir, file, NULL);
  char err[HR_ERR_LEN] = "";
  const char *tokens[300];
  char key[96];
  char tbuf[300][8];

  memset (e, 0, sizeof *e);
  hr_gguf_writer_add_str (w, "general.architecture", arch);
  if (with_name)
    hr_gguf_writer_add_str (w, "general.name", "Tiny Llama Test");
  hr_gguf_writer_add_u32 (w, "general.file_type", 15);
#define AK(suffix) (g_snprintf (key, sizeof key, "%s.%s", arch, suffix), key)
  hr_gguf_writer_add_u32 (w, AK ("context_length"), 4096);
  hr_gguf_writer_add_u32 (w, AK ("embedding_length"), 256);
  hr_gguf_writer_add_u32 (w, AK ("block_count"), 2);
  hr_gguf_writer_add_u32 (w, AK ("attention.head_count"), 4);
  hr_gguf_writer_add_u32 (w, AK ("attention.head_count_kv"), 2);
  hr_gguf_writer_add_u32 (w, AK ("feed_forward_length"), 512);
#undef AK
  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", "llama");
  for (int i = 0; i < 300; i++)
    {
      g_snprintf (tbuf[i], sizeof tbuf[i], "t%d", i);
      tokens[i] = tbuf[i];
    }
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", tokens, 300);
  hr_gguf_writer_add_str (w, "tokenizer.chat_template",
                          "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}");

  add (w, e, "token_embd.weight", HR_TYPE_Q8_0, 256, 300);
  add (w, e, "output_norm.weight", HR_TYPE_F32, 256, 1);
  for (int l = 0; l < 2; l++)
    {
      char n[64];

      g_snprintf (n, sizeof n, "blk.%d.attn_norm.weight", l);
      add (w, e, n, HR_TYPE_F32, 256, 1);
      g_snprintf (n, sizeof n, "blk.%d.attn_q.weight", l);
      add (w, e, n, HR_TYPE_Q4_K, 256, 256);
      g_snprintf (n, sizeof n, "blk.%d.attn_k.weight", l);
      add (w, e, n, HR_TYPE_Q4_K, 256, 128);
      g_snprintf (n, sizeof n, "blk.%d.attn_v.weight", l);
      add (w, e, n, HR_TYPE_Q6_K, 256, 128);
      g_snprintf (n, sizeof n, "blk.%d.attn_output.weight", l);
      add (w, e, n, HR_TYPE_Q4_K, 256, 256);
      g_snprintf (n, sizeof n, "blk.%d.ffn_gate.weight", l);
      add (w, e, n, HR_TYPE_Q5_0, 256, 512);
      g_snprintf (n, sizeof n, "blk.%d.ffn_up.weight", l);
      add (w, e, n, HR_TYPE_Q5_0, 256, 512);
      g_snprintf (n, sizeof n, "blk.%d.ffn_down.weight", l);
      add (w, e, n, HR_TYPE_Q6_K, 512, 256);
      g_snprintf (n, sizeof n, "blk.%d.ffn_norm.weight", l);
      add (w, e, n, HR_TYPE_F32, 256, 1);
    }
  if (hr_gguf_writer_write (w, path, err, sizeof err) != 0)
    g_error ("write: %s", err);
  hr_gguf_writer_free (w);
  return path;
}

static void
test_llama (Fixture *f, gconstpointer data)
{
  Expect e;
  g_autofree char *path = write_llama (f, "tiny-llama.Q4_K_M.gguf", "llama", true, &e);
  hr_model_info info;
  char err[HR_ERR_LEN] = "";
  GStatBuf st;
  uint64_t prev = UINT64_MAX;
  uint64_t sum_bytes = 0;

  g_assert_cmpint (hr_model_info_read (path, &info, err, sizeof err), ==, 0);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpstr (info.architecture, ==, "llama");
  g_assert_cmpstr (info.name, ==, "Tiny Llama Test");
  g_assert_cmpuint (info.file_size, ==, (uint64_t) st.st_size);
  g_assert_cmpuint (info.gguf_version, ==, 3);
  g_assert_cmpuint (info.n_params, ==, e.params);
  g_assert_cmpuint (info.weight_bytes, ==, e.bytes);
  g_assert_cmpuint (info.n_tensors, ==, (uint64_t) e.n_tensors);
  g_assert_cmpint (info.context_length, ==, 4096);
  g_assert_cmpint (info.embedding_length, ==, 256);
  g_assert_cmpint (info.n_layers, ==, 2);
  g_assert_cmpint (info.n_heads, ==, 4);
  g_assert_cmpint (info.n_kv_heads, ==, 2);
  g_assert_cmpint (info.head_dim_k, ==, 64);
  g_assert_cmpint (info.head_dim_v, ==, 64);
  g_assert_cmpint (info.vocab_size, ==, 300);   /* from the tokens array */
  g_assert_cmpint (info.file_type, ==, 15);
  g_assert_cmpstr (info.file_type_name, ==, "Q4_K_M");
  g_assert_cmpstr (info.chat_template, ==,
                   "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}");
  g_assert_true (info.supported);

  /* per type counts, largest first, matching what was written */
  g_assert_cmpint (info.n_types, ==, 5);
  for (int i = 0; i < info.n_types; i++)
    {
      const hr_model_info_type_count *c = &info.types[i];

      g_assert_cmpuint (c->n_bytes, ==, e.bytes_by_type[c->type]);
      g_assert_cmpuint (c->n_tensors, ==, e.tensors_by_type[c->type]);
      g_assert_cmpuint (c->n_bytes, <=, prev);
      prev = c->n_bytes;
      sum_bytes += c->n_bytes;
    }
  g_assert_cmpuint (sum_bytes, ==, e.bytes);
  /* Q5_0: 4 x 256x512 -> 4 * 131072/32*22 = 360448 bytes, the largest */
  g_assert_cmpint (info.types[0].type, ==, HR_TYPE_Q5_0);
  g_assert_cmpuint (info.types[0].n_bytes, ==, 4 * (256 * 512 / 32) * 22);
  g_assert_cmpuint (info.types[0].n_elements, ==, 4 * 256 * 512);
  g_test_message ("mix: %s", info.quant_mix);
  g_assert_true (g_str_has_prefix (info.quant_mix, "Q5_0 "));
  g_assert_nonnull (strstr (info.quant_mix, "Q4_K "));
  g_assert_nonnull (strstr (info.quant_mix, "Q6_K "));
  g_assert_nonnull (strstr (info.quant_mix, "Q8_0 "));
  g_assert_nonnull (strstr (info.quant_mix, "F32 "));

  /* memory: the KV part grows by exactly 2 (K,V) x layers x kv heads x head dim x 2 bytes
   * per token, and the default context is min(model, 8192) */
  {
    uint64_t m1 = hr_model_info_estimate_memory (&info, 1024);
    uint64_t m2 = hr_model_info_estimate_memory (&info, 2048);
    uint64_t kv_1024 = 2ull * 2 * 2 * 64 * 2 * 1024;

    g_assert_cmpuint (m2 - m1, ==, kv_1024);
    g_assert_cmpuint (m1, >, e.bytes + kv_1024);
    g_assert_cmpuint (m1, <, e.bytes + kv_1024 + (256u << 20));
    g_assert_cmpuint (hr_model_info_estimate_memory (&info, 0), ==,
                      hr_model_info_estimate_memory (&info, 4096));
  }
  hr_model_info_clear (&info);
  g_assert_null (info.architecture);
  g_assert_null (info.name);
  g_assert_null (info.chat_template);
  hr_model_info_clear (&info);   /* twice is fine */
}

static void
test_name_fallback_and_archs (Fixture *f, gconstpointer data)
{
  static const struct { const char *arch; bool supported; } archs[] = {
    { "qwen2", true }, { "qwen3", true }, { "gemma3", false }, { "phi3", false },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (archs); i++)
    {
      Expect e;
      g_autofree char *file = g_strdup_printf ("My-Model-%s.gguf", archs[i].arch);
      g_autofree char *want = g_strdup_printf ("My-Model-%s", archs[i].arch);
      g_autofree char *path = write_llama (f, file, archs[i].arch, false, &e);
      hr_model_info info;
      char err[HR_ERR_LEN] = "";

      g_assert_cmpint (hr_model_info_read (path, &info, err, sizeof err), ==, 0);
      g_assert_cmpstr (info.architecture, ==, archs[i].arch);
      g_assert_cmpstr (info.name, ==, want);
      g_assert_cmpint (info.supported, ==, archs[i].supported);
      /* the hyperparameters come from the architecture's own keys */
      g_assert_cmpint (info.context_length, ==, 4096);
      g_assert_cmpint (info.n_layers, ==, 2);
      hr_model_info_clear (&info);
    }
}

/* No architecture, no tensors, explicit vocab_size, per-layer KV heads, key_length, no
 * chat template, no file type. */
static void
test_sparse_metadata (Fixture *f, gconstpointer data)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  g_autofree char *path = g_build_filename (f->dir, "odd", NULL);
  hr_model_info info;
  char err[HR_ERR_LEN] = "";
  int32_t kvh[3] = { 1, 4, 2 };

  hr_gguf_writer_add_str (w, "general.architecture", "qwen3");
  hr_gguf_writer_add_str (w, "general.name", "");
  hr_gguf_writer_add_u64 (w, "qwen3.context_length", 40960);
  hr_gguf_writer_add_u32 (w, "qwen3.embedding_length", 1024);
  hr_gguf_writer_add_u32 (w, "qwen3.block_count", 3);
  hr_gguf_writer_add_u32 (w, "qwen3.attention.head_count", 16);
  hr_gguf_writer_add_arr (w, "qwen3.attention.head_count_kv", HR_GGUF_INT32, kvh, 3);
  hr_gguf_writer_add_u32 (w, "qwen3.attention.key_length", 128);
  hr_gguf_writer_add_u32 (w, "qwen3.vocab_size", 151936);
  g_assert_cmpint (hr_gguf_writer_write (w, path, err, sizeof err), ==, 0);
  hr_gguf_writer_free (w);

  g_assert_cmpint (hr_model_info_read (path, &info, err, sizeof err), ==, 0);
  g_assert_cmpstr (info.name, ==, "odd");     /* empty general.name: the file name */
  g_assert_cmpint (info.context_length, ==, 40960);
  g_assert_cmpint (info.n_kv_heads, ==, 4);   /* the largest per-layer value */
  g_assert_cmpint (info.head_dim_k, ==, 128);
  g_assert_cmpint (info.head_dim_v, ==, 128);
  g_assert_cmpint (info.vocab_size, ==, 151936);
  g_assert_cmpint (info.file_type, ==, -1);
  g_assert_null (info.file_type_name);
  g_assert_null (info.chat_template);
  g_assert_cmpuint (info.n_params, ==, 0);
  g_assert_cmpint (info.n_types, ==, 0);
  g_assert_cmpstr (info.quant_mix, ==, "");
  /* default context: min(40960, 8192) */
  g_assert_cmpuint (hr_model_info_estimate_memory (&info, 0), ==,
                    hr_model_info_estimate_memory (&info, 8192));
  hr_model_info_clear (&info);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "broken.gguf", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "missing.gguf", NULL);
  hr_model_info info;
  char err[HR_ERR_LEN] = "";

  g_assert_true (g_file_set_contents (path, "GGUF\x03\0\0\0\x01", 9, NULL));
  g_assert_cmpint (hr_model_info_read (path, &info, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "truncated file"));
  g_assert_null (info.name);
  hr_model_info_clear (&info);
  g_assert_cmpint (hr_model_info_read (missing, &info, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "cannot open"));
}

static void
test_file_type_names (void)
{
  g_assert_cmpstr (hr_model_file_type_name (0), ==, "F32");
  g_assert_cmpstr (hr_model_file_type_name (1), ==, "F16");
  g_assert_cmpstr (hr_model_file_type_name (7), ==, "Q8_0");
  g_assert_cmpstr (hr_model_file_type_name (17), ==, "Q5_K_M");
  g_assert_cmpstr (hr_model_file_type_name (32), ==, "BF16");
  g_assert_null (hr_model_file_type_name (4));
  g_assert_null (hr_model_file_type_name (-1));
  g_assert_null (hr_model_file_type_name (1000));
  g_assert_true (hr_model_arch_supported ("llama"));
  g_assert_false (hr_model_arch_supported ("llama4"));
  g_assert_false (hr_model_arch_supported (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/heron/engine/model-info/llama", Fixture, NULL, fixture_setup, test_llama,
              fixture_teardown);
  g_test_add ("/heron/engine/model-info/name-and-archs", Fixture, NULL, fixture_setup,
              test_name_fallback_and_archs, fixture_teardown);
  g_test_add ("/heron/engine/model-info/sparse-metadata", Fixture, NULL, fixture_setup,
              test_sparse_metadata, fixture_teardown);
  g_test_add ("/heron/engine/model-info/errors", Fixture, NULL, fixture_setup, test_errors,
              fixture_teardown);
  g_test_add_func ("/heron/engine/model-info/file-type-names", test_file_type_names);
  return g_test_run ();
}
