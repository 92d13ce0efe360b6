/* test-chat-template.c: chat formatting per family against the published templates, family
 * detection from real and hand-written template sources, BOS/EOG handling with the real
 * vocabularies, and the streaming <think> splitter at every split point.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "chat-template.h"
#include "gguf.h"
#include "think.h"
#include "tokenizer.h"

/* Conversations, numbered as in the expectation table below. */
static const hr_chat_msg conv1[] = {
  { "system", "You are terse." }, { "user", "Hi there " }, { "assistant", " Hello! " },
  { "user", "What is 2+2?" },
};
static const hr_chat_msg conv2[] = { { "user", "Hi" } };
static const hr_chat_msg conv3[] = {
  { "user", "Q1" }, { "assistant", "<think>\nplan a\n</think>\n\nA1" }, { "user", "Q2" },
  { "assistant", "<think>\nplan b\n\n</think>\n\nA2" },
};
static const hr_chat_msg conv4[] = {
  { "user", "Hi there " }, { "assistant", " Hello! " }, { "user", "What is 2+2?" },
};
static const hr_chat_msg conv6[] = {
  { "system", "S" }, { "user", "Q1" }, { "assistant", "A1" }, { "user", "Q2" },
  { "assistant", "<think>r</think>A2" }, { "user", "tool?" }, { "assistant", "final" },
};

static const struct {
  const hr_chat_msg *msgs;
  size_t n;
  gboolean gen;   /* conversations ending with an answer are rendered without the prompt */
} convs[] = {
  [1] = { conv1, G_N_ELEMENTS (conv1), TRUE },
  [2] = { conv2, G_N_ELEMENTS (conv2), TRUE },
  [3] = { conv3, G_N_ELEMENTS (conv3), FALSE },
  [4] = { conv4, G_N_ELEMENTS (conv4), TRUE },
  [6] = { conv6, G_N_ELEMENTS (conv6), FALSE },
};

/* Expected texts: rendered with Python Jinja2 3.1 (trim_blocks, lstrip_blocks, as
 * transformers' apply_chat_template does) from the published templates, with the leading
 * bos_token removed (hr_chat_tokenize adds it):
 *   qwen3    tokenizer.chat_template of ../shared/testdata/vocab/ggml-vocab-qwen2.gguf (Qwen3)
 *   llama3   tokenizer.chat_template of ggml-vocab-llama-bpe.gguf (Llama 3 Instruct)
 *   qwen2.5, deepseek-r1, phi3, gemma: llama.cpp models/templates/
 *            Qwen-Qwen2.5-7B-Instruct.jinja, deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja,
 *            microsoft-Phi-3.5-mini-instruct.jinja, google-gemma-2-2b-it.jinja
 *   qwq      llama.cpp models/templates/Qwen-QwQ-32B.jinja
 *   qwen3-thinking: the qwen3 template with the generation prompt of Qwen3 ...-Thinking-2507
 *            ('<|im_start|>assistant\n<think>\n')
 *   llama2   meta-llama/Llama-2-7b-chat-hf tokenizer_config.json
 *   mistral  mistralai/Mistral-7B-Instruct-v0.2 tokenizer_config.json
 *   zephyr   TinyLlama/TinyLlama-1.1B-Chat-v1.0 tokenizer_config.json
 * The chatml row is plain ChatML (<|im_start|>role\ncontent<|im_end|>\n). */
static const struct {
  const char *family;
  int conv;
  const char *expect;
} cases[] = {
  { "qwen3", 1,
    "<|im_start|>system\nYou are terse.<|im_end|>\n"
    "<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n"
    " Hello! <|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    "<|im_start|>assistant\n" },
  { "qwen3", 3,
    "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n"
    "A1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n"
    "<|im_start|>assistant\n<think>\nplan b\n</think>\n"
    "\nA2<|im_end|>\n" },
  { "qwen3", 6,
    "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n"
    "Q1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
    "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n"
    "A2<|im_end|>\n<|im_start|>user\ntool?<|im_end|>\n"
    "<|im_start|>assistant\n<think>\n\n</think>\n"
    "\nfinal<|im_end|>\n" },
  { "qwen2.5", 2,
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<"
    "|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
    "<|im_start|>assistant\n" },
  { "qwen2.5", 1,
    "<|im_start|>system\nYou are terse.<|im_end|>\n"
    "<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n"
    " Hello! <|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    "<|im_start|>assistant\n" },
  { "llama3", 1,
    "<|start_header_id|>system<|end_header_id|>\n"
    "\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
    "\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
    "\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
    "\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
    "\n" },
  { "llama2", 1,
    "[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n"
    "\nHi there [/INST] Hello! </s><s>[INST] What is 2+2? [/INST]" },
  { "llama2", 6,
    "[INST] <<SYS>>\nS\n<</SYS>>\n\nQ1 [/INST] A1 </s><s>[INST] Q2 [/INST] <think>r</think>A2 "
    "</s><s>[INST] tool? [/INST] final </s>" },
  { "mistral", 4,
    "[INST] Hi there  [/INST] Hello! </s>[INST] What is 2+2? [/INST]" },
  { "deepseek-r1", 1,
    "You are terse.<\xef\xbd\x9cUser\xef\xbd\x9c>Hi there <\xef\xbd\x9c" "Assistant\xef\xbd\x9c"
    "> Hello! <\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c><\xef\xbd\x9cU"
    "ser\xef\xbd\x9c>What is 2+2?<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><think>\n" },
  { "deepseek-r1", 3,
    "<\xef\xbd\x9cUser\xef\xbd\x9c>Q1<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>\n"
    "\nA1<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c><\xef\xbd\x9cUser\xef"
    "\xbd\x9c>Q2<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>\n"
    "\nA2<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>" },
  { "phi3", 1,
    "<|system|>\nYou are terse.<|end|>\n<|user|>\n"
    "Hi there <|end|>\n<|assistant|>\n Hello! <|end|>\n"
    "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n" },
  { "phi3", 3,
    "<|user|>\nQ1<|end|>\n<|assistant|>\n<think>\n"
    "plan a\n</think>\n\nA1<|end|>\n<|user|>\n"
    "Q2<|end|>\n<|assistant|>\n<think>\nplan b\n"
    "\n</think>\n\nA2<|end|>\n<|endoftext|>" },
  { "gemma", 4,
    "<start_of_turn>user\nHi there<end_of_turn>\n"
    "<start_of_turn>model\nHello!<end_of_turn>\n"
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
    "<start_of_turn>model\n" },
  { "zephyr", 1,
    "<|system|>\nYou are terse.</s>\n<|user|>\n"
    "Hi there </s>\n<|assistant|>\n Hello! </s>\n"
    "<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n" },
  { "chatml", 1,
    "<|im_start|>system\nYou are terse.<|im_end|>\n"
    "<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n"
    " Hello! <|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    "<|im_start|>assistant\n" },
  { "qwq", 1,
    "<|im_start|>system\nYou are terse.<|im_end|>\n"
    "<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n"
    " Hello! <|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
    "<|im_start|>assistant\n<think>\n" },
  { "qwq", 3,
    "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n"
    "A1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n"
    "<|im_start|>assistant\n<think>\nplan b\n\n"
    "</think>\n\nA2<|im_end|>\n" },
  { "qwen3-thinking", 2,
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    "<think>\n" },
};

static void
test_format (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int f = hr_chat_family_from_name (cases[i].family);
      char *s;

      g_assert_cmpint (f, >=, 0);
      s = hr_chat_format (f, convs[cases[i].conv].msgs, convs[cases[i].conv].n,
                          convs[cases[i].conv].gen);
      g_assert_nonnull (s);
      g_test_message ("%s conv %d", cases[i].family, cases[i].conv);
      g_assert_cmpstr (s, ==, cases[i].expect);
      free (s);
    }
}

static void
test_format_variants (void)
{
  hr_chat_options o = { .add_generation_prompt = TRUE, .enable_thinking = FALSE };
  char *s;

  /* Qwen3 with thinking switched off: an empty think block after the prompt (template's
   * enable_thinking == false branch). */
  s = hr_chat_format_ex (HR_CHAT_QWEN3, conv2, 1, &o);
  g_assert_cmpstr (s, ==, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
                          "<think>\n\n</think>\n\n");
  free (s);

  /* Mistral 7B Instruct v0.3 (tokenizer_config.json): system text before the last user
   * message, no space before [/INST], answers ' ' + content|trim + '</s>'. */
  s = hr_chat_format (HR_CHAT_MISTRAL_V3, conv1, G_N_ELEMENTS (conv1), TRUE);
  g_assert_cmpstr (s, ==, "[INST] Hi there [/INST] Hello!</s>[INST] You are terse.\n\n"
                          "What is 2+2?[/INST]");
  free (s);

  /* Qwen2: default system prompt. */
  s = hr_chat_format (HR_CHAT_QWEN2, conv2, 1, TRUE);
  g_assert_cmpstr (s, ==, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                          "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  free (s);

  /* Gemma with a system prompt: Gemma 3's way, before the first user turn. */
  s = hr_chat_format (HR_CHAT_GEMMA, conv1, G_N_ELEMENTS (conv1), TRUE);
  g_assert_cmpstr (s, ==, "<start_of_turn>user\nYou are terse.\n\nHi there<end_of_turn>\n"
                          "<start_of_turn>model\nHello!<end_of_turn>\n"
                          "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
                          "<start_of_turn>model\n");
  free (s);

  /* No messages, unknown roles, NULL content. */
  {
    hr_chat_msg odd[] = { { "tool", "x" }, { "user", NULL }, { NULL, "y" } };

    s = hr_chat_format (HR_CHAT_CHATML, NULL, 0, TRUE);
    g_assert_cmpstr (s, ==, "<|im_start|>assistant\n");
    free (s);
    s = hr_chat_format (HR_CHAT_CHATML, odd, G_N_ELEMENTS (odd), FALSE);
    g_assert_cmpstr (s, ==, "<|im_start|>user\n<|im_end|>\n");
    free (s);
    for (int f = 0; f < HR_CHAT_N_FAMILIES; f++)
      {
        s = hr_chat_format (f, odd, G_N_ELEMENTS (odd), TRUE);
        g_assert_nonnull (s);
        free (s);
      }
    g_assert_null (hr_chat_format (HR_CHAT_N_FAMILIES, conv2, 1, TRUE));
  }
}

static void
test_detect_snippets (void)
{
  /* Excerpts of published templates, each enough to identify its family. */
  static const struct {
    const char *tmpl;
    hr_chat_family f;
  } t[] = {
    { "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}", HR_CHAT_CHATML },
    { "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou "
      "are a helpful assistant.<|im_end|>\\n' }}{% endif %}", HR_CHAT_QWEN2 },
    { "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
      "assistant.<|im_end|>\\n' }}", HR_CHAT_QWEN25 },
    { "{{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content }}",
      HR_CHAT_QWEN3 },
    { "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}",
      HR_CHAT_LLAMA3 },
    { "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' %}"
      "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}", HR_CHAT_LLAMA2 },
    { "{{ bos_token }}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + "
      "' [/INST]' }}{% endif %}", HR_CHAT_MISTRAL },
    { "{%- if tools is not none %}{{- \"[AVAILABLE_TOOLS] [\" }}{%- endif %}"
      "{{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}", HR_CHAT_MISTRAL_V3 },
    { "{{'<\xef\xbd\x9cUser\xef\xbd\x9c>' + message['content']}}"
      "{{'<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><think>\\n'}}", HR_CHAT_DEEPSEEK_R1 },
    { "{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>'}}",
      HR_CHAT_PHI3 },
    { "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}",
      HR_CHAT_GEMMA },
    { "{{ '<|user|>\\n' + message['content'] + eos_token }}", HR_CHAT_ZEPHYR },
    { "{%- if not loop.last %}{%- set content = message.content.split('</think>')[-1] %}"
      "{%- endif %}{{- '<|im_start|>' + message.role + '\\n' + content }}"
      "{{- '<|im_start|>assistant\\n<think>\\n' }}", HR_CHAT_QWQ },
    { "{%- if message.reasoning_content is defined %}{%- endif %}"
      "{{- '<|im_start|>assistant\\n<think>\\n' }}", HR_CHAT_QWEN3_THINKING },
  };

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      g_assert_cmpint (hr_chat_detect (t[i].tmpl), ==, t[i].f);
      g_assert_true (hr_chat_detect_known (t[i].tmpl));
      g_assert_cmpint (hr_chat_family_from_name (hr_chat_family_name (t[i].f)), ==, t[i].f);
    }
  /* Fallback. */
  g_assert_cmpint (hr_chat_detect (NULL), ==, HR_CHAT_CHATML);
  g_assert_cmpint (hr_chat_detect (""), ==, HR_CHAT_CHATML);
  g_assert_cmpint (hr_chat_detect ("{{ messages }}"), ==, HR_CHAT_CHATML);
  g_assert_false (hr_chat_detect_known ("{{ messages }}"));
  g_assert_cmpint (hr_chat_family_from_name ("nope"), ==, -1);
  g_assert_null (hr_chat_family_name (HR_CHAT_N_FAMILIES));

  g_assert_true (hr_chat_starts_in_think (HR_CHAT_DEEPSEEK_R1));
  g_assert_false (hr_chat_starts_in_think (HR_CHAT_QWEN3));
  g_assert_true (hr_chat_starts_in_think (HR_CHAT_QWQ));
  g_assert_true (hr_chat_starts_in_think (HR_CHAT_QWEN3_THINKING));
  g_assert_cmpstr (hr_chat_end_of_turn (HR_CHAT_QWEN3), ==, "<|im_end|>");
  g_assert_cmpstr (hr_chat_end_of_turn (HR_CHAT_LLAMA3), ==, "<|eot_id|>");
  g_assert_cmpstr (hr_chat_end_of_turn (HR_CHAT_GEMMA), ==, "<end_of_turn>");
}

static hr_gguf *
open_vocab (const char *name)
{
  const char *shared = g_getenv ("HERON_SHARED_DIR");
  g_autofree char *path = NULL;
  char err[HR_ERR_LEN];
  hr_gguf *g = NULL;

  if (shared == NULL)
    return NULL;
  path = g_build_filename (shared, "testdata", "vocab", name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (hr_gguf_open (path, &g, err, sizeof err) != 0)
    g_error ("%s: %s", path, err);
  return g;
}

static void
test_detect_real (void)
{
  static const struct {
    const char *file;
    hr_chat_family f;
  } t[] = {
    { "ggml-vocab-qwen2.gguf", HR_CHAT_QWEN3 },
    { "ggml-vocab-llama-bpe.gguf", HR_CHAT_LLAMA3 },
    { "ggml-vocab-phi-3.gguf", HR_CHAT_PHI3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      hr_gguf *g = open_vocab (t[i].file);
      char *tmpl;

      if (g == NULL)
        {
          g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
          return;
        }
      tmpl = hr_gguf_get_strdup (g, "tokenizer.chat_template");
      g_assert_nonnull (tmpl);
      g_assert_true (hr_chat_detect_known (tmpl));
      g_assert_cmpint (hr_chat_detect (tmpl), ==, t[i].f);
      free (tmpl);
      hr_gguf_close (g);
    }
}

/* BOS exactly once where the template or the vocabulary wants it, special tokens parsed,
 * and the end-of-turn token counted as end of generation. */
static void
check_tokenize (const char *file, hr_chat_family f, const char *eot_text, gboolean want_bos)
{
  hr_gguf *g = open_vocab (file);
  char err[HR_ERR_LEN];
  hr_vocab *v;
  char *text;
  hr_token ids[256], eogs[64];
  int32_t n, n_eog;
  hr_token eot;
  gboolean found = FALSE;

  if (g == NULL)
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab not available");
      return;
    }
  v = hr_vocab_load (g, err, sizeof err);
  g_assert_nonnull (v);
  text = hr_chat_format (f, conv2, 1, TRUE);
  n = hr_chat_tokenize (v, f, text, ids, G_N_ELEMENTS (ids));
  g_assert_cmpint (n, >, 2);
  g_assert_cmpint (n, <, (int32_t) G_N_ELEMENTS (ids));
  if (want_bos)
    {
      g_assert_cmpint (ids[0], ==, hr_vocab_bos (v));
      g_assert_cmpint (ids[1], !=, hr_vocab_bos (v));
    }
  else
    g_assert_cmpint (ids[0], !=, hr_vocab_bos (v));
  /* The first marker of the template is one special token, not its letters. */
  {
    const char *marker = f == HR_CHAT_LLAMA3 ? "<|start_header_id|>"
                         : f == HR_CHAT_PHI3 ? "<|user|>" : "<|im_start|>";
    g_assert_cmpint (ids[want_bos ? 1 : 0], ==, hr_vocab_find (v, marker));
  }
  /* Too small a buffer reports the size needed. */
  g_assert_cmpint (hr_chat_tokenize (v, f, text, ids, 1), ==, n);

  eot = hr_vocab_find (v, eot_text);
  g_assert_cmpint (eot, >=, 0);
  g_assert_true (hr_chat_is_eog (v, f, eot));
  g_assert_false (hr_chat_is_eog (v, f, ids[n - 1]));
  n_eog = hr_chat_eog_tokens (v, f, eogs, G_N_ELEMENTS (eogs));
  for (int32_t i = 0; i < n_eog; i++)
    found |= eogs[i] == eot;
  g_assert_true (found);

  free (text);
  hr_vocab_free (v);
  hr_gguf_close (g);
}

static void
test_tokenize_qwen3 (void)
{
  check_tokenize ("ggml-vocab-qwen2.gguf", HR_CHAT_QWEN3, "<|im_end|>", FALSE);
}

static void
test_tokenize_llama3 (void)
{
  check_tokenize ("ggml-vocab-llama-bpe.gguf", HR_CHAT_LLAMA3, "<|eot_id|>", TRUE);
}

static void
test_tokenize_phi3 (void)
{
  check_tokenize ("ggml-vocab-phi-3.gguf", HR_CHAT_PHI3, "<|end|>", TRUE);
}

/* ---- think splitter ---- */

typedef struct {
  GString *think, *answer;
  int pieces;
  hr_think_kind last;
} collected;

static void
collect (hr_think_kind kind, const char *text, size_t len, void *ud)
{
  collected *c = ud;

  g_assert_cmpuint (len, >, 0);
  g_string_append_len (kind == HR_THINK_REASONING ? c->think : c->answer, text, len);
  c->pieces++;
  c->last = kind;
}

/* Feed stream cut at positions a <= b (three chunks) and check the result. */
static void
split_run (const char *stream, gboolean start_in_think, size_t a, size_t b,
           const char *want_think, const char *want_answer)
{
  collected c = { g_string_new (NULL), g_string_new (NULL), 0, HR_THINK_ANSWER };
  hr_think *t = hr_think_new (start_in_think, collect, &c);
  size_t n = strlen (stream);

  g_assert_true (hr_think_feed (t, stream, a));
  g_assert_true (hr_think_feed (t, stream + a, b - a));
  g_assert_true (hr_think_feed (t, stream + b, n - b));
  hr_think_finish (t);
  if (g_strcmp0 (c.think->str, want_think) != 0 || g_strcmp0 (c.answer->str, want_answer) != 0)
    g_error ("split %zu/%zu of \"%s\": think \"%s\" answer \"%s\"", a, b,
             g_strescape (stream, NULL), c.think->str, c.answer->str);
  hr_think_free (t);
  g_string_free (c.think, TRUE);
  g_string_free (c.answer, TRUE);
}

static void
split_all (const char *stream, gboolean start_in_think, const char *want_think,
           const char *want_answer)
{
  size_t n = strlen (stream);

  for (size_t a = 0; a <= n; a++)
    for (size_t b = a; b <= n; b++)
      split_run (stream, start_in_think, a, b, want_think, want_answer);
}

static void
test_think_split (void)
{
  /* Qwen3: the model opens the block itself. */
  split_all ("<think>\nLet me add: 2+2.\n</think>\n\nIt is 4.", FALSE,
             "Let me add: 2+2.", "It is 4.");
  /* DeepSeek-R1 distill: the prompt ended with "<think>\n". */
  split_all ("Okay, so 2+2 < 5.\n\n</think>\n\n**4**", TRUE, "Okay, so 2+2 < 5.", "**4**");
  /* ... and a model that repeats the opening tag anyway. */
  split_all ("<think>x</think>y", TRUE, "x", "y");
  /* Never thinks: everything is answer, even a later <think>. */
  split_all ("Hello <think> world </think>!", FALSE, "", "Hello <think> world </think>!");
  split_all ("  Plain answer\n", FALSE, "", "Plain answer\n");
  /* Near-miss closing tags stay in the reasoning. */
  split_all ("<think>a </thin b <</think>c</think>", FALSE, "a </thin b <", "c</think>");
  /* Non-ASCII text, cut inside characters too. */
  split_all ("<think>思考 ü</think>答案：四", FALSE, "思考 ü", "答案：四");
  /* Cut off in the middle of tags. */
  split_all ("<thi", FALSE, "", "<thi");
  split_all ("<think>abc</thi", FALSE, "abc</thi", "");
  split_all ("<think>abc   ", FALSE, "abc", "");
  split_all ("", FALSE, "", "");
  split_all ("", TRUE, "", "");
}

static void
test_think_state (void)
{
  collected c = { g_string_new (NULL), g_string_new (NULL), 0, HR_THINK_ANSWER };
  hr_think *t = hr_think_new (FALSE, collect, &c);

  g_assert_false (hr_think_had_reasoning (t));
  hr_think_feed (t, "<think>", 7);
  g_assert_true (hr_think_in_reasoning (t));
  g_assert_true (hr_think_had_reasoning (t));
  hr_think_feed (t, "abc", 3);
  /* Pieces are emitted as soon as they are known, not at finish. */
  g_assert_cmpstr (c.think->str, ==, "abc");
  hr_think_feed (t, "</think>", 8);
  g_assert_false (hr_think_in_reasoning (t));
  hr_think_feed (t, "d", 1);
  g_assert_cmpstr (c.answer->str, ==, "d");
  g_assert_cmpint (c.last, ==, HR_THINK_ANSWER);
  hr_think_finish (t);
  hr_think_free (t);

  t = hr_think_new (TRUE, collect, &c);
  g_assert_true (hr_think_in_reasoning (t));
  g_assert_true (hr_think_had_reasoning (t));
  hr_think_free (t);
  g_string_free (c.think, TRUE);
  g_string_free (c.answer, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/engine/chat-template/format", test_format);
  g_test_add_func ("/heron/engine/chat-template/format-variants", test_format_variants);
  g_test_add_func ("/heron/engine/chat-template/detect-snippets", test_detect_snippets);
  g_test_add_func ("/heron/engine/chat-template/detect-real", test_detect_real);
  g_test_add_func ("/heron/engine/chat-template/tokenize-qwen3", test_tokenize_qwen3);
  g_test_add_func ("/heron/engine/chat-template/tokenize-llama3", test_tokenize_llama3);
  g_test_add_func ("/heron/engine/chat-template/tokenize-phi3", test_tokenize_phi3);
  g_test_add_func ("/heron/engine/chat-template/think-split", test_think_split);
  g_test_add_func ("/heron/engine/chat-template/think-state", test_think_state);
  return g_test_run ();
}
