/* tiny-vocab.c: builds a small byte-level BPE vocabulary by training merges on a built-in
 * English + Chinese text (plain BPE: split with the qwen2 pre-tokenizer, then repeatedly merge
 * the most frequent adjacent pair), so that it behaves like a real Qwen2-style vocabulary.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tiny-vocab.h"

#include <stdlib.h>
#include <string.h>

#include "unicode.h"

static const char corpus[] =
  "The quick brown fox jumps over the lazy dog. You are a helpful assistant. "
  "The user asks a question and the assistant answers it. Think step by step before "
  "you answer, then give the answer in a few sentences. What is the capital of France? "
  "The capital of France is Paris. What is two plus two? Two plus two is four. "
  "Please write a short poem about the sea. The sea is blue and the wind is strong; "
  "the waves are singing their endless song. Hello, how are you today? I am fine, "
  "thank you. Can you help me with my homework? Of course, I would be happy to help. "
  "This is a test of the tokenizer, and these are the words that the tokenizer learns "
  "first: the, and, you, that, this, with, for, are, was, have, not, but, what, when, "
  "where, which, there, their, about, would, could, should, because, answer, question, "
  "model, language, system, message, function, return, value, string, number, print. "
  "def main(): print(\"hello world\") return 0 if x > 1 else x + 2 # comment\n"
  "int main (void) { return 0; } for (int i = 0; i < n; i++) sum += a[i];\n"
  "In 2024, 1234 people visited 56 places and paid $7.89 each. "
  "Don't worry, it's fine; we'll see what they've done and I'm sure you're right.\n\n"
  "你好，我是一个有用的助手。请问有什么可以帮助你的吗？今天天气很好，我们去公园散步吧。"
  "中国的首都是北京。一加一等于二。人工智能是计算机科学的一个分支，它研究如何让机器"
  "像人一样思考和学习。我们的模型可以回答问题，也可以写诗和翻译。谢谢你的帮助！"
  "这是一个测试，我们正在学习分词器的工作原理。你好，世界！\n"
  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
  "Explain the difference between a list and a tuple in Python.<|im_end|>\n"
  "<|im_start|>assistant\n<think>\nThe user wants a short explanation.\n</think>\n\n"
  "A list is mutable, so you can change it after it is created; a tuple is immutable. "
  "Use a list when the items change and a tuple when they should stay the same.\n"
  "The user said thank you. The assistant said you are welcome. Today the weather is "
  "sunny and warm, so many people are walking in the park with their children and dogs. "
  "Machine learning models learn patterns from data; language models predict the next "
  "token of a text. A tokenizer splits the text into tokens, and the model reads them. "
  "北京是一座历史悠久的城市，有很多名胜古迹。学习中文需要时间和耐心，但是很有意思。"
  "我喜欢读书、写字和听音乐。请用中文回答这个问题。模型会先思考，然后给出答案。";

typedef struct {
  int *sym;
  int n;
  int count;
} word;

typedef struct {
  char **text;
  int n, cap;
} toklist;

static int
tok_add (toklist *t, const char *s)
{
  for (int i = 0; i < t->n; i++)
    if (strcmp (t->text[i], s) == 0)
      return i;
  if (t->n == t->cap)
    {
      t->cap = t->cap ? t->cap * 2 : 512;
      t->text = realloc (t->text, (size_t) t->cap * sizeof *t->text);
    }
  t->text[t->n] = strdup (s);
  return t->n++;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* The corpus as pre-tokenized words of byte symbols, equal words counted together. */
static word *
corpus_words (int *n_words)
{
  size_t len = sizeof corpus - 1, ncp = 0, *lens = NULL, start = 0;
  uint32_t *cps = malloc (len * sizeof *cps);
  word *words = NULL;
  int nw = 0;
  int64_t k;

  for (size_t i = 0; i < len;)
    {
      size_t adv;
      cps[ncp++] = hr_utf8_decode_lenient (corpus + i, len - i, &adv);
      i += adv;
    }
  k = hr_pretok_split (HR_PRETOK_QWEN2, cps, ncp, &lens);
  words = calloc ((size_t) (k > 0 ? k : 1), sizeof *words);
  for (int64_t w = 0; w < k; w++)
    {
      int syms[256], n = 0, found = -1;
      for (size_t i = start; i < start + lens[w]; i++)
        {
          char u[4];
          int m = hr_utf8_encode (cps[i], u);
          for (int j = 0; j < m && n < 256; j++)
            syms[n++] = (uint8_t) u[j];
        }
      start += lens[w];
      for (int i = 0; i < nw && found < 0; i++)
        if (words[i].n == n && memcmp (words[i].sym, syms, (size_t) n * sizeof (int)) == 0)
          found = i;
      if (found >= 0)
        words[found].count++;
      else
        {
          words[nw].sym = malloc ((size_t) n * sizeof (int));
          memcpy (words[nw].sym, syms, (size_t) n * sizeof (int));
          words[nw].n = n;
          words[nw].count = 1;
          nw++;
        }
    }
  free (lens);
  free (cps);
  *n_words = nw;
  return words;
}

/* Most frequent adjacent pair (ties: smallest ids), or 0 when no pair is left. */
static uint64_t
best_pair (const word *words, int nw)
{
  size_t total = 0, m = 0;
  uint64_t *keys, best = 0;
  int best_count = 0;

  for (int i = 0; i < nw; i++)
    total += (size_t) (words[i].n > 1 ? words[i].n - 1 : 0) * (size_t) words[i].count;
  keys = malloc ((total ? total : 1) * sizeof *keys);
  for (int i = 0; i < nw; i++)
    for (int j = 0; j + 1 < words[i].n; j++)
      for (int c = 0; c < words[i].count; c++)
        keys[m++] = ((uint64_t) (uint32_t) words[i].sym[j] << 32) | (uint32_t) words[i].sym[j + 1];
  qsort (keys, m, sizeof *keys, cmp_u64);
  for (size_t i = 0; i < m;)
    {
      size_t j = i;
      while (j < m && keys[j] == keys[i])
        j++;
      if ((int) (j - i) > best_count)
        {
          best_count = (int) (j - i);
          best = keys[i];
        }
      i = j;
    }
  free (keys);
  return best;
}

static void
apply_merge (word *words, int nw, int a, int b, int id)
{
  for (int i = 0; i < nw; i++)
    {
      int o = 0;
      for (int j = 0; j < words[i].n; j++)
        {
          if (j + 1 < words[i].n && words[i].sym[j] == a && words[i].sym[j + 1] == b)
            {
              words[i].sym[o++] = id;
              j++;
            }
          else
            words[i].sym[o++] = words[i].sym[j];
        }
      words[i].n = o;
    }
}

void
heron_test_add_tiny_bpe_vocab (hr_gguf_writer *w, int *n_vocab_out)
{
  static const char *const specials[] = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"
  };
  static const int32_t special_types[] = { 3, 3, 3, 4, 4 };
  static const char chat_template[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  toklist toks = { 0 };
  char **merges = calloc (HERON_TINY_VOCAB_N_MERGES, sizeof *merges);
  int n_merges = 0, nw = 0, first_special;
  word *words = corpus_words (&nw);
  int32_t *types;

  for (int b = 0; b < 256; b++)
    {
      char s[5] = { 0 };
      hr_utf8_encode (hr_byte_to_cp ((uint8_t) b), s);
      tok_add (&toks, s);
    }
  while (n_merges < HERON_TINY_VOCAB_N_MERGES)
    {
      uint64_t p = best_pair (words, nw);
      int a, b, id;
      size_t la, lb;
      char *cat;
      if (!p)
        break;
      a = (int) (p >> 32);
      b = (int) (uint32_t) p;
      la = strlen (toks.text[a]);
      lb = strlen (toks.text[b]);
      cat = malloc (la + lb + 2);
      memcpy (cat, toks.text[a], la);
      memcpy (cat + la, toks.text[b], lb + 1);
      id = tok_add (&toks, cat);
      cat[la] = ' ';
      memcpy (cat + la + 1, toks.text[b], lb + 1);
      merges[n_merges++] = cat;
      apply_merge (words, nw, a, b, id);
    }

  first_special = toks.n;
  for (int i = 0; i < 5; i++)
    tok_add (&toks, specials[i]);
  types = malloc ((size_t) toks.n * sizeof *types);
  for (int i = 0; i < toks.n; i++)
    types[i] = i >= first_special ? special_types[i - first_special] : 1;

  hr_gguf_writer_add_str (w, "tokenizer.ggml.model", "gpt2");
  hr_gguf_writer_add_str (w, "tokenizer.ggml.pre", "qwen2");
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) toks.text,
                              (uint64_t) toks.n);
  hr_gguf_writer_add_arr (w, "tokenizer.ggml.token_type", HR_GGUF_INT32, types,
                          (uint64_t) toks.n);
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.merges", (const char *const *) merges,
                              (uint64_t) n_merges);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.bos_token_id", (uint32_t) first_special);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.padding_token_id", (uint32_t) first_special);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.eos_token_id", (uint32_t) first_special + 2);
  hr_gguf_writer_add_u32 (w, "tokenizer.ggml.eot_token_id", (uint32_t) first_special + 2);
  hr_gguf_writer_add_bool (w, "tokenizer.ggml.add_bos_token", false);
  hr_gguf_writer_add_bool (w, "tokenizer.ggml.add_eos_token", false);
  hr_gguf_writer_add_str (w, "tokenizer.chat_template", chat_template);

  if (n_vocab_out)
    *n_vocab_out = toks.n;
  for (int i = 0; i < toks.n; i++)
    free (toks.text[i]);
  free (toks.text);
  for (int i = 0; i < n_merges; i++)
    free (merges[i]);
  free (merges);
  for (int i = 0; i < nw; i++)
    free (words[i].sym);
  free (words);
  free (types);
}
