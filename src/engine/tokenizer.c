/* tokenizer.c: SentencePiece-style and byte-level BPE tokenizers over GGUF vocabularies,
 * giving the same ids as llama.cpp (llama-vocab.cpp) for the same text.
 *
 * Layout: string tables (hash maps from token text to id), loading (special ids, EOG set,
 * attribute fix-ups as llama.cpp makes them), special-token partitioning, the SPM and BPE
 * merge loops (both a binary heap over adjacent pairs, O(n log n) per word), pieces and the
 * streaming detokenizer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unicode.h"

#define MAX_TOKENS (1 << 24)
#define NO_ID (-1)
#define DEAD_ID (-2)   /* a merged BPE symbol that no merge and no token knows */

/* ---------------------------------------------------------------------------------------- */
/* String table: texts in one arena, open-addressing index keyed by the bytes. */

typedef struct {
  uint32_t off, len;   /* text at arena + off, NUL-terminated */
} strent;

typedef struct {
  char *arena;
  size_t arena_len, arena_cap;
  strent *ent;         /* [n] */
  int32_t n, cap;
  uint64_t *slots;     /* (hash32 << 32) | (index + 1); 0 = empty */
  uint32_t mask;
} strtab;

static inline uint64_t
hash_bytes (const char *s, size_t n)
{
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
  size_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      uint64_t w;
      memcpy (&w, s + i, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 29;
    }
  if (i < n)
    {
      uint64_t w = 0;
      memcpy (&w, s + i, n - i);
      h = (h ^ w) * 0x94d049bb133111ebull;
    }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

static bool
strtab_init (strtab *t, int32_t expected)
{
  uint32_t size = 64;

  memset (t, 0, sizeof *t);
  while (size < (uint32_t) expected * 2u + 16u)
    size *= 2;
  t->slots = calloc (size, sizeof *t->slots);
  t->mask = size - 1;
  t->cap = expected > 0 ? expected : 16;
  t->ent = malloc ((size_t) t->cap * sizeof *t->ent);
  return t->slots && t->ent;
}

static void
strtab_clear (strtab *t)
{
  free (t->arena);
  free (t->ent);
  free (t->slots);
  memset (t, 0, sizeof *t);
}

static inline const char *
strtab_text (const strtab *t, int32_t i)
{
  return t->arena + t->ent[i].off;
}

static inline uint32_t
strtab_len (const strtab *t, int32_t i)
{
  return t->ent[i].len;
}

/* Index of the text whose hash_bytes() is h, or -1. */
static int32_t
strtab_find_h (const strtab *t, const char *s, size_t n, uint64_t h)
{
  uint32_t h32 = (uint32_t) (h >> 32), i = (uint32_t) h & t->mask;

  for (;;)
    {
      uint64_t slot = t->slots[i];
      if (!slot)
        return -1;
      if ((uint32_t) (slot >> 32) == h32)
        {
          int32_t idx = (int32_t) (uint32_t) slot - 1;
          if (t->ent[idx].len == n && memcmp (t->arena + t->ent[idx].off, s, n) == 0)
            return idx;
        }
      i = (i + 1) & t->mask;
    }
}

static inline int32_t
strtab_find (const strtab *t, const char *s, size_t n)
{
  return strtab_find_h (t, s, n, hash_bytes (s, n));
}

/* Lookups are dominated by cache misses (index slot, entry, text); for many lookups at once,
 * these prefetch each level for a whole batch before the real lookups run. */
static inline void
strtab_prefetch_slot (const strtab *t, uint64_t h)
{
  __builtin_prefetch (&t->slots[(uint32_t) h & t->mask]);
}

static inline void
strtab_prefetch_entry (const strtab *t, uint64_t h)
{
  uint64_t slot = t->slots[(uint32_t) h & t->mask];
  if (slot && (uint32_t) (slot >> 32) == (uint32_t) (h >> 32))
    {
      const strent *e = &t->ent[(uint32_t) slot - 1];
      __builtin_prefetch (e);
    }
}

static inline void
strtab_prefetch_text (const strtab *t, uint64_t h)
{
  uint64_t slot = t->slots[(uint32_t) h & t->mask];
  if (slot && (uint32_t) (slot >> 32) == (uint32_t) (h >> 32))
    __builtin_prefetch (t->arena + t->ent[(uint32_t) slot - 1].off);
}

static bool
strtab_grow_index (strtab *t)
{
  uint32_t size = (t->mask + 1) * 2;
  uint64_t *slots = calloc (size, sizeof *slots);

  if (!slots)
    return false;
  for (uint32_t i = 0; i <= t->mask; i++)
    {
      uint64_t slot = t->slots[i];
      if (slot)
        {
          int32_t idx = (int32_t) (uint32_t) slot - 1;
          uint32_t j = (uint32_t) hash_bytes (strtab_text (t, idx), t->ent[idx].len)
                       & (size - 1);
          while (slots[j])
            j = (j + 1) & (size - 1);
          slots[j] = slot;
        }
    }
  free (t->slots);
  t->slots = slots;
  t->mask = size - 1;
  return true;
}

/* Append a text with hash h (NUL-terminated in the arena). When it is already present, the
 * index entry is pointed at the new one ("last wins", as llama.cpp's token_to_id map).
 * Returns its index or -1 on allocation failure. */
static int32_t
strtab_add_h (strtab *t, const char *s, size_t n, uint64_t h)
{
  uint32_t i;
  int32_t idx = t->n;

  if (n > UINT32_MAX / 2 || t->arena_len + n + 1 > UINT32_MAX)
    return -1;
  if (t->n == t->cap)
    {
      int32_t cap = t->cap * 2;
      strent *e = realloc (t->ent, (size_t) cap * sizeof *e);
      if (!e)
        return -1;
      t->ent = e;
      t->cap = cap;
    }
  if (t->arena_len + n + 1 > t->arena_cap)
    {
      size_t cap = t->arena_cap ? t->arena_cap : 4096;
      char *a;
      while (cap < t->arena_len + n + 1)
        cap *= 2;
      a = realloc (t->arena, cap);
      if (!a)
        return -1;
      t->arena = a;
      t->arena_cap = cap;
    }
  if ((uint32_t) (t->n + 1) * 2u > t->mask + 1 && !strtab_grow_index (t))
    return -1;

  memcpy (t->arena + t->arena_len, s, n);
  t->arena[t->arena_len + n] = '\0';
  t->ent[idx].off = (uint32_t) t->arena_len;
  t->ent[idx].len = (uint32_t) n;
  t->arena_len += n + 1;
  t->n++;

  i = (uint32_t) h & t->mask;
  for (;;)
    {
      uint64_t slot = t->slots[i];
      uint64_t mine = ((h >> 32) << 32) | (uint32_t) (idx + 1);
      if (!slot)
        {
          t->slots[i] = mine;
          break;
        }
      if ((uint32_t) (slot >> 32) == (uint32_t) (h >> 32))
        {
          int32_t old = (int32_t) (uint32_t) slot - 1;
          if (t->ent[old].len == n && memcmp (strtab_text (t, old), s, n) == 0)
            {
              t->slots[i] = mine;
              break;
            }
        }
      i = (i + 1) & t->mask;
    }
  return idx;
}

static inline int32_t
strtab_add (strtab *t, const char *s, size_t n)
{
  return strtab_add_h (t, s, n, hash_bytes (s, n));
}

/* ---------------------------------------------------------------------------------------- */
/* BPE merge table: (left id, right id) -> (rank, id of the merged text). */

typedef struct {
  uint64_t key;        /* UINT64_MAX = empty */
  int32_t rank;
  int32_t result;
} pair_slot;

typedef struct {
  pair_slot *slots;
  uint32_t mask;
} pairmap;

static inline uint64_t
pair_key (int32_t a, int32_t b)
{
  return ((uint64_t) (uint32_t) a << 32) | (uint32_t) b;
}

static inline uint32_t
pair_hash (uint64_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return (uint32_t) k;
}

static bool
pairmap_init (pairmap *m, size_t n)
{
  uint32_t size = 64;

  while (size < n * 2 + 16)
    size *= 2;
  m->slots = malloc (size * sizeof *m->slots);
  if (!m->slots)
    return false;
  for (uint32_t i = 0; i < size; i++)
    m->slots[i].key = UINT64_MAX;
  m->mask = size - 1;
  return true;
}

/* First insertion wins (llama.cpp uses emplace). */
static void
pairmap_put (pairmap *m, int32_t a, int32_t b, int32_t rank, int32_t result)
{
  uint64_t k = pair_key (a, b);
  uint32_t i = pair_hash (k) & m->mask;

  while (m->slots[i].key != UINT64_MAX)
    {
      if (m->slots[i].key == k)
        return;
      i = (i + 1) & m->mask;
    }
  m->slots[i].key = k;
  m->slots[i].rank = rank;
  m->slots[i].result = result;
}

static inline const pair_slot *
pairmap_get (const pairmap *m, int32_t a, int32_t b)
{
  uint64_t k = pair_key (a, b);
  uint32_t i;

  if (!m->slots)
    return NULL;
  i = pair_hash (k) & m->mask;
  while (m->slots[i].key != UINT64_MAX)
    {
      if (m->slots[i].key == k)
        return &m->slots[i];
      i = (i + 1) & m->mask;
    }
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* The vocabulary */

enum {
  ATTR_LSTRIP = 1,
  ATTR_RSTRIP = 2,
  FLAG_EOG = 4,
};

typedef struct {
  int32_t child;       /* first child node, -1 */
  int32_t sibling;     /* next sibling node, -1 */
  int32_t special;     /* index into specials, -1 */
  uint8_t byte;
} trie_node;

struct hr_vocab {
  hr_vocab_kind kind;
  hr_pretok pretok;
  char pre_name[64];

  strtab toks;               /* id -> text; text -> id */
  float *scores;             /* [n] */
  uint8_t *attr;             /* [n] hr_token_attr, 0 = undefined */
  uint8_t *flags;            /* [n] ATTR_*, FLAG_EOG */

  hr_token bos, eos, eot, eom, unk, sep, pad, mask;
  hr_token fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
  bool add_bos, add_eos, add_space_prefix, ignore_merges;

  /* SPM: byte fallback tokens. */
  hr_token byte_tok[256];

  /* BPE */
  strtab extra;              /* merge parts that are no token: ids n + index */
  pairmap merges;
  int32_t bpe_byte_sym[256]; /* interned id of each byte's one-character text */
  hr_token bpe_byte_tok[256];

  /* Special tokens (CONTROL, USER_DEFINED, UNKNOWN), longest text first, and a byte trie
   * over their texts to find which ones occur in a text. */
  hr_token *specials;
  int32_t n_specials;
  trie_node *trie;
  int32_t n_trie, cap_trie;
  int32_t root[256];
};

static void
set_err (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!err || !errlen)
    return;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
}

static inline bool
valid_id (const hr_vocab *v, hr_token t)
{
  return v && t >= 0 && t < v->toks.n;
}

void
hr_vocab_free (hr_vocab *v)
{
  if (!v)
    return;
  strtab_clear (&v->toks);
  strtab_clear (&v->extra);
  free (v->merges.slots);
  free (v->scores);
  free (v->attr);
  free (v->flags);
  free (v->specials);
  free (v->trie);
  free (v);
}

/* tokenizer.ggml.pre names -> pre-tokenizer; the groups follow llama.cpp (same regexes). */
typedef struct {
  const char *name;
  hr_pretok kind;
  bool llama3_flags;         /* add_bos and ignore_merges, as llama.cpp sets for llama3 */
} pre_entry;

static const pre_entry pre_table[] = {
  { "default", HR_PRETOK_DEFAULT, false },
  { "llama3", HR_PRETOK_LLAMA3, true },
  { "llama-v3", HR_PRETOK_LLAMA3, true },
  { "llama-bpe", HR_PRETOK_LLAMA3, true },
  { "falcon3", HR_PRETOK_LLAMA3, true },
  { "falcon-h1", HR_PRETOK_LLAMA3, true },
  { "pixtral", HR_PRETOK_LLAMA3, true },
  { "midm-2.0", HR_PRETOK_LLAMA3, true },
  { "lfm2", HR_PRETOK_LLAMA3, true },
  { "dbrx", HR_PRETOK_LLAMA3, false },
  { "smaug-bpe", HR_PRETOK_LLAMA3, false },
  { "qwen2", HR_PRETOK_QWEN2, false },
  { "deepseek-r1-qwen", HR_PRETOK_QWEN2, false },
  { "megrez", HR_PRETOK_QWEN2, false },
  { "stablelm2", HR_PRETOK_QWEN2, false },
  { "hunyuan", HR_PRETOK_QWEN2, false },
  { "grok-2", HR_PRETOK_QWEN2, false },
  { "deepseek-llm", HR_PRETOK_DEEPSEEK_LLM, false },
  { "deepseek-coder", HR_PRETOK_DEEPSEEK_CODER, false },
  { "gpt-2", HR_PRETOK_GPT2, false },
  { "phi-2", HR_PRETOK_GPT2, false },
  { "jina-es", HR_PRETOK_GPT2, false },
  { "jina-de", HR_PRETOK_GPT2, false },
  { "gigachat", HR_PRETOK_GPT2, false },
  { "jina-v2-es", HR_PRETOK_GPT2, false },
  { "jina-v2-de", HR_PRETOK_GPT2, false },
  { "a.x-4.0", HR_PRETOK_GPT2, false },
  { "mellum", HR_PRETOK_GPT2, false },
  { "exaone4", HR_PRETOK_GPT2, false },
  { "mpt", HR_PRETOK_GPT2, false },
  { "olmo", HR_PRETOK_GPT2, false },
  { "jais", HR_PRETOK_GPT2, false },
  { "trillion", HR_PRETOK_GPT2, false },
  { "granite-docling", HR_PRETOK_GPT2, false },
  { "starcoder", HR_PRETOK_STARCODER, false },
  { "refact", HR_PRETOK_STARCODER, false },
  { "command-r", HR_PRETOK_STARCODER, false },
  { "smollm", HR_PRETOK_STARCODER, false },
  { "codeshell", HR_PRETOK_STARCODER, false },
  { "exaone", HR_PRETOK_STARCODER, false },
  { "minerva-7b", HR_PRETOK_STARCODER, false },
};

static int64_t
read_id_key (const hr_gguf *g, const char *key)
{
  return hr_gguf_get_int (g, key, INT64_MIN);
}

static void
apply_id_key (const hr_gguf *g, const hr_vocab *v, const char *key, hr_token *id)
{
  int64_t x = read_id_key (g, key);

  /* llama.cpp keeps its default for absent or out-of-range ids. */
  if (x != INT64_MIN && x >= 0 && x < v->toks.n)
    *id = (hr_token) x;
}

static hr_token
find_cstr (const hr_vocab *v, const char *s)
{
  return strtab_find (&v->toks, s, strlen (s));
}

/* Auto-detect a special id by text when the file does not name it (llama.cpp does the same;
 * it overrides a non-control type to CONTROL). */
static void
detect_special (hr_vocab *v, hr_token *id, const char *const *texts)
{
  if (*id != NO_ID)
    return;
  for (size_t i = 0; texts[i]; i++)
    {
      hr_token t = find_cstr (v, texts[i]);
      if (t >= 0)
        {
          *id = t;
          v->attr[t] = HR_TOKEN_CONTROL;
          return;
        }
    }
}

static void
build_eog (hr_vocab *v)
{
  static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
    "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
    "<end_of_utterance>", NULL
  };
  static const char *const always_user[] = {
    "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL
  };
  hr_token fixed[] = { v->fim_pad, v->fim_rep, v->fim_sep, v->eos, v->eot, v->eom };
  hr_token ret, call, end;

  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (valid_id (v, fixed[i]))
      v->flags[fixed[i]] |= FLAG_EOG;
  for (size_t i = 0; eog_texts[i]; i++)
    {
      hr_token t = find_cstr (v, eog_texts[i]);
      if (t >= 0)
        {
          v->flags[t] |= FLAG_EOG;
          v->attr[t] = HR_TOKEN_CONTROL;
        }
    }
  for (size_t i = 0; always_user[i]; i++)
    {
      hr_token t = find_cstr (v, always_user[i]);
      if (t >= 0)
        v->attr[t] = HR_TOKEN_USER_DEFINED;
    }
  /* o200k_harmony: with <|return|> and <|call|> present, <|end|> does not end generation. */
  ret = find_cstr (v, "<|return|>");
  call = find_cstr (v, "<|call|>");
  end = find_cstr (v, "<|end|>");
  if (ret >= 0 && call >= 0 && end >= 0)
    {
      v->flags[end] &= (uint8_t) ~FLAG_EOG;
      v->attr[end] = HR_TOKEN_USER_DEFINED;
    }
}

static bool
trie_add (hr_vocab *v, const char *s, size_t n, int32_t special)
{
  int32_t node = -1;

  for (size_t i = 0; i < n; i++)
    {
      uint8_t b = (uint8_t) s[i];
      int32_t c = node < 0 ? v->root[b] : v->trie[node].child, last = -1;

      while (c >= 0 && v->trie[c].byte != b)
        {
          last = c;
          c = v->trie[c].sibling;
        }
      if (c < 0)
        {
          if (v->n_trie == v->cap_trie)
            {
              int32_t cap = v->cap_trie ? v->cap_trie * 2 : 256;
              trie_node *nt = realloc (v->trie, (size_t) cap * sizeof *nt);
              if (!nt)
                return false;
              v->trie = nt;
              v->cap_trie = cap;
            }
          c = v->n_trie++;
          v->trie[c] = (trie_node) { -1, -1, -1, b };
          /* Link it in by index: the realloc above may have moved the nodes. */
          if (last >= 0)
            v->trie[last].sibling = c;
          else if (node >= 0)
            v->trie[node].child = c;
          else
            v->root[b] = c;
        }
      node = c;
    }
  if (node >= 0 && v->trie[node].special < 0)
    v->trie[node].special = special;
  return true;
}

static int
cmp_special (const void *a, const void *b, void *ud)
{
  const hr_vocab *v = ud;
  hr_token x = *(const hr_token *) a, y = *(const hr_token *) b;

  if (strtab_len (&v->toks, x) != strtab_len (&v->toks, y))
    return strtab_len (&v->toks, x) > strtab_len (&v->toks, y) ? -1 : 1;
  return x < y ? -1 : x > y;
}

static bool
build_specials (hr_vocab *v)
{
  int32_t n = 0;

  for (hr_token t = 0; t < v->toks.n; t++)
    if (v->attr[t] == HR_TOKEN_CONTROL || v->attr[t] == HR_TOKEN_USER_DEFINED
        || v->attr[t] == HR_TOKEN_UNKNOWN)
      n++;
  v->specials = malloc ((size_t) (n ? n : 1) * sizeof *v->specials);
  if (!v->specials)
    return false;
  for (hr_token t = 0; t < v->toks.n; t++)
    if (v->attr[t] == HR_TOKEN_CONTROL || v->attr[t] == HR_TOKEN_USER_DEFINED
        || v->attr[t] == HR_TOKEN_UNKNOWN)
      v->specials[v->n_specials++] = t;
  qsort_r (v->specials, (size_t) n, sizeof *v->specials, cmp_special, v);
  for (int i = 0; i < 256; i++)
    v->root[i] = -1;
  for (int32_t i = 0; i < n; i++)
    {
      hr_token t = v->specials[i];
      if (!trie_add (v, strtab_text (&v->toks, t), strtab_len (&v->toks, t), i))
        return false;
    }
  return true;
}

static void
apply_phi3_strip (hr_vocab *v, const hr_gguf *g)
{
  char *name = hr_gguf_get_strdup (g, "general.name");
  bool phi3;

  if (!name)
    return;
  for (char *p = name; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  phi3 = strstr (name, "phi-3") || strstr (name, "phi3");
  free (name);
  if (!phi3)
    return;
  /* llama.cpp strips whitespace right of Phi-3's special tokens, except these. */
  for (int32_t i = 0; i < v->n_specials; i++)
    v->flags[v->specials[i]] |= ATTR_RSTRIP;
  {
    hr_token t = find_cstr (v, "</s>");
    if (t >= 0)
      v->flags[t] |= ATTR_RSTRIP;
  }
  {
    static const char *const keep[] = { "<unk>", "<s>", "<|endoftext|>" };
    for (size_t i = 0; i < 3; i++)
      {
        hr_token t = find_cstr (v, keep[i]);
        if (t >= 0)
          v->flags[t] &= (uint8_t) ~ATTR_RSTRIP;
      }
  }
}

static int32_t
intern_part (hr_vocab *v, const char *s, size_t n)
{
  int32_t id = strtab_find (&v->toks, s, n);

  if (id >= 0)
    return id;
  id = strtab_find (&v->extra, s, n);
  if (id < 0)
    id = strtab_add (&v->extra, s, n);
  return id < 0 ? DEAD_ID : v->toks.n + id;
}

static int32_t
lookup_part (const hr_vocab *v, const char *s, size_t n)
{
  int32_t id = strtab_find (&v->toks, s, n);

  if (id >= 0)
    return id;
  id = v->extra.slots ? strtab_find (&v->extra, s, n) : -1;
  return id < 0 ? DEAD_ID : v->toks.n + id;
}

#define MERGE_BATCH 32

/* One pass over the merges with token lookups only; *all_tokens is false when a part or a
 * merged text is no token (the caller then takes the general path). */
static bool
merges_fast (hr_vocab *v, const hr_gguf *g, int64_t kv, uint64_t n, char **buf,
             size_t *bufcap, bool *all_tokens)
{
  struct {
    const char *l, *r;
    size_t ln, rn, cat;
    uint64_t h[3];
    bool ok;
  } rec[MERGE_BATCH];
  int32_t ids[MERGE_BATCH][3];

  *all_tokens = true;
  for (uint64_t i0 = 0; i0 < n; i0 += MERGE_BATCH)
    {
      int cnt = (int) (n - i0 < MERGE_BATCH ? n - i0 : MERGE_BATCH);
      size_t used = 0;

      for (int k = 0; k < cnt; k++)
        {
          hr_str m = hr_gguf_arr_str (g, kv, i0 + (uint64_t) k);
          const char *sp = m.len > 1 ? memchr (m.ptr + 1, ' ', m.len - 1) : NULL;
          rec[k].ok = sp != NULL;
          if (!sp)
            continue;
          rec[k].l = m.ptr;
          rec[k].ln = (size_t) (sp - m.ptr);
          rec[k].r = sp + 1;
          rec[k].rn = m.len - rec[k].ln - 1;
          if (used + m.len > *bufcap)
            {
              size_t cap = (used + m.len) * 2 + 256;
              char *nb = realloc (*buf, cap);
              if (!nb)
                return false;
              *buf = nb;
              *bufcap = cap;
            }
          rec[k].cat = used;
          memcpy (*buf + used, rec[k].l, rec[k].ln);
          memcpy (*buf + used + rec[k].ln, rec[k].r, rec[k].rn);
          used += rec[k].ln + rec[k].rn;
          rec[k].h[0] = hash_bytes (rec[k].l, rec[k].ln);
          rec[k].h[1] = hash_bytes (rec[k].r, rec[k].rn);
          rec[k].h[2] = hash_bytes (*buf + rec[k].cat, rec[k].ln + rec[k].rn);
          for (int j = 0; j < 3; j++)
            strtab_prefetch_slot (&v->toks, rec[k].h[j]);
        }
      for (int k = 0; k < cnt; k++)
        for (int j = 0; j < 3 && rec[k].ok; j++)
          strtab_prefetch_entry (&v->toks, rec[k].h[j]);
      for (int k = 0; k < cnt; k++)
        for (int j = 0; j < 3 && rec[k].ok; j++)
          strtab_prefetch_text (&v->toks, rec[k].h[j]);
      for (int k = 0; k < cnt; k++)
        {
          if (!rec[k].ok)
            continue;
          ids[k][0] = strtab_find_h (&v->toks, rec[k].l, rec[k].ln, rec[k].h[0]);
          ids[k][1] = strtab_find_h (&v->toks, rec[k].r, rec[k].rn, rec[k].h[1]);
          ids[k][2] = strtab_find_h (&v->toks, *buf + rec[k].cat, rec[k].ln + rec[k].rn,
                                     rec[k].h[2]);
          if (ids[k][0] < 0 || ids[k][1] < 0 || ids[k][2] < 0)
            {
              *all_tokens = false;
              return true;
            }
          __builtin_prefetch (&v->merges.slots[pair_hash (pair_key (ids[k][0], ids[k][1]))
                                               & v->merges.mask]);
        }
      for (int k = 0; k < cnt; k++)
        if (rec[k].ok)
          pairmap_put (&v->merges, ids[k][0], ids[k][1], (int32_t) (i0 + (uint64_t) k),
                       ids[k][2]);
    }
  return true;
}

static bool
load_merges (hr_vocab *v, const hr_gguf *g, char *err, size_t errlen)
{
  int64_t kv = hr_gguf_find_key (g, "tokenizer.ggml.merges");
  uint64_t n = 0;
  char *buf = NULL;
  size_t bufcap = 0;
  bool all_tokens = true;

  if (kv < 0 || hr_gguf_arr_type (g, kv, &n) != HR_GGUF_STRING)
    {
      set_err (err, errlen, "byte-level BPE vocabulary without tokenizer.ggml.merges "
               "(an array of strings): the file is incomplete or not a BPE vocabulary");
      return false;
    }
  if (n > MAX_TOKENS * 4ull)
    {
      set_err (err, errlen, "tokenizer.ggml.merges has %llu entries, more than supported",
               (unsigned long long) n);
      return false;
    }
  if (!strtab_init (&v->extra, 1024) || !pairmap_init (&v->merges, n))
    goto oom;

  /* Fast path: in real vocabularies every part and every merged text is a token, so one pass
   * of token lookups does (batched, see strtab_prefetch_*). Otherwise start over with the
   * parts that are no token interned first, so that a merged text can be found even when it
   * first appears as a part of a later merge. */
  if (!merges_fast (v, g, kv, n, &buf, &bufcap, &all_tokens))
    goto oom;
  if (!all_tokens)
    {
      for (uint64_t i = 0; i < n; i++)
        {
          hr_str m = hr_gguf_arr_str (g, kv, i);
          const char *sp = m.len > 1 ? memchr (m.ptr + 1, ' ', m.len - 1) : NULL;
          if (!sp)
            continue;
          if (intern_part (v, m.ptr, (size_t) (sp - m.ptr)) == DEAD_ID
              || intern_part (v, sp + 1, m.len - (size_t) (sp - m.ptr) - 1) == DEAD_ID)
            goto oom;
        }
      for (uint32_t i = 0; i <= v->merges.mask; i++)
        v->merges.slots[i].key = UINT64_MAX;
      for (uint64_t i = 0; i < n; i++)
        {
          hr_str m = hr_gguf_arr_str (g, kv, i);
          const char *sp = m.len > 1 ? memchr (m.ptr + 1, ' ', m.len - 1) : NULL;
          size_t ln, rn;
          int32_t a, b;
          if (!sp)
            continue;
          ln = (size_t) (sp - m.ptr);
          rn = m.len - ln - 1;
          a = lookup_part (v, m.ptr, ln);
          b = lookup_part (v, sp + 1, rn);
          if (ln + rn > bufcap)
            {
              char *nb = realloc (buf, ln + rn + 64);
              if (!nb)
                goto oom;
              buf = nb;
              bufcap = ln + rn + 64;
            }
          memcpy (buf, m.ptr, ln);
          memcpy (buf + ln, sp + 1, rn);
          pairmap_put (&v->merges, a, b, (int32_t) i, lookup_part (v, buf, ln + rn));
        }
    }
  free (buf);

  for (int b = 0; b < 256; b++)
    {
      char s[8] = { 0 };
      int k = hr_utf8_encode (hr_byte_to_cp ((uint8_t) b), s);
      v->bpe_byte_sym[b] = lookup_part (v, s, (size_t) k);
      v->bpe_byte_tok[b] = strtab_find (&v->toks, s, (size_t) k);
    }
  return true;

oom:
  free (buf);
  set_err (err, errlen, "out of memory while reading tokenizer.ggml.merges");
  return false;
}

static bool
load_tokens (hr_vocab *v, const hr_gguf *g, char *err, size_t errlen)
{
  int64_t kv = hr_gguf_find_key (g, "tokenizer.ggml.tokens");
  int64_t kv_scores = hr_gguf_find_key (g, "tokenizer.ggml.scores");
  int64_t kv_types = hr_gguf_find_key (g, "tokenizer.ggml.token_type");
  uint64_t n = 0, ns = 0, nt = 0, *hashes = NULL;
  hr_gguf_type st = HR_GGUF_N_TYPES, tt = HR_GGUF_N_TYPES;

  if (kv < 0 || hr_gguf_arr_type (g, kv, &n) != HR_GGUF_STRING)
    {
      set_err (err, errlen, "no tokenizer.ggml.tokens array of strings: the file has no "
               "vocabulary");
      return false;
    }
  if (n == 0 || n > MAX_TOKENS)
    {
      set_err (err, errlen, "tokenizer.ggml.tokens has %llu entries (supported: 1 to %d)",
               (unsigned long long) n, MAX_TOKENS);
      return false;
    }
  if (kv_scores >= 0)
    {
      st = hr_gguf_arr_type (g, kv_scores, &ns);
      if (st == HR_GGUF_STRING || st == HR_GGUF_ARRAY || st == HR_GGUF_N_TYPES || ns < n)
        {
          set_err (err, errlen, "tokenizer.ggml.scores must be a numeric array with one entry "
                   "per token (%llu tokens, %llu scores)", (unsigned long long) n,
                   (unsigned long long) ns);
          return false;
        }
    }
  if (kv_types >= 0)
    {
      tt = hr_gguf_arr_type (g, kv_types, &nt);
      if (tt == HR_GGUF_STRING || tt == HR_GGUF_ARRAY || tt == HR_GGUF_N_TYPES || nt < n)
        {
          set_err (err, errlen, "tokenizer.ggml.token_type must be a numeric array with one "
                   "entry per token (%llu tokens, %llu types)", (unsigned long long) n,
                   (unsigned long long) nt);
          return false;
        }
    }

  if (!strtab_init (&v->toks, (int32_t) n))
    goto oom;
  v->scores = calloc (n, sizeof *v->scores);
  v->attr = malloc (n);
  v->flags = calloc (n, 1);
  if (!v->scores || !v->attr || !v->flags)
    goto oom;

  /* Hash first (a sequential read of the file), then insert with the index slot of a later
   * token prefetched: the inserts are bound by cache misses on the index. */
  hashes = malloc (n * sizeof *hashes);
  if (!hashes)
    goto oom;
  for (uint64_t i = 0; i < n; i++)
    {
      hr_str s = hr_gguf_arr_str (g, kv, i);
      hashes[i] = hash_bytes (s.ptr, s.len);
    }
  for (uint64_t i = 0; i < n; i++)
    {
      hr_str s = hr_gguf_arr_str (g, kv, i);
      char tmp[32];
      int64_t type = HR_TOKEN_NORMAL;
      uint64_t h = hashes[i];

      if (i + 16 < n)
        strtab_prefetch_slot (&v->toks, hashes[i + 16]);
      if (s.len == 0)
        {
          /* llama.cpp renames empty tokens so that they cannot match. */
          snprintf (tmp, sizeof tmp, "[EMPTY_%llu]", (unsigned long long) i);
          s.ptr = tmp;
          s.len = strlen (tmp);
          h = hash_bytes (s.ptr, s.len);
        }
      if (strtab_add_h (&v->toks, s.ptr, s.len, h) < 0)
        goto oom;
      if (kv_scores >= 0)
        v->scores[i] = (float) hr_gguf_arr_float (g, kv_scores, i);
      if (kv_types >= 0)
        type = hr_gguf_arr_int (g, kv_types, i);
      v->attr[i] = (type >= HR_TOKEN_NORMAL && type <= HR_TOKEN_BYTE) ? (uint8_t) type : 0;
    }
  free (hashes);
  return true;

oom:
  free (hashes);
  set_err (err, errlen, "out of memory while reading %llu tokens", (unsigned long long) n);
  return false;
}

static bool
choose_model (hr_vocab *v, const hr_gguf *g, char *err, size_t errlen)
{
  hr_str model = hr_gguf_get_str (g, "tokenizer.ggml.model");
  hr_str pre = hr_gguf_get_str (g, "tokenizer.ggml.pre");

  if (!model.ptr)
    {
      set_err (err, errlen, "no tokenizer.ggml.model key: the file has no vocabulary");
      return false;
    }
  if (hr_str_eq (model, "llama"))
    {
      v->kind = HR_VOCAB_SPM;
      v->bos = 1;
      v->eos = 2;
      v->unk = 0;
      v->add_space_prefix = true;
      v->add_bos = true;
      snprintf (v->pre_name, sizeof v->pre_name, "default");
      return true;
    }
  if (!hr_str_eq (model, "gpt2"))
    {
      set_err (err, errlen, "unsupported tokenizer model '%.*s' (tokenizer.ggml.model); "
               "supported: 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)",
               (int) (model.len > 64 ? 64 : model.len), model.ptr);
      return false;
    }
  v->kind = HR_VOCAB_BPE;
  v->bos = 11;
  v->eos = 11;
  v->unk = NO_ID;
  if (!pre.ptr || pre.len == 0)
    {
      v->pretok = HR_PRETOK_DEFAULT;
      snprintf (v->pre_name, sizeof v->pre_name, "default");
      return true;
    }
  for (size_t i = 0; i < sizeof pre_table / sizeof pre_table[0]; i++)
    if (hr_str_eq (pre, pre_table[i].name))
      {
        v->pretok = pre_table[i].kind;
        v->add_bos = pre_table[i].llama3_flags;
        v->ignore_merges = pre_table[i].llama3_flags;
        snprintf (v->pre_name, sizeof v->pre_name, "%s", pre_table[i].name);
        return true;
      }
  set_err (err, errlen, "unknown pre-tokenizer '%.*s' (tokenizer.ggml.pre): Heron supports "
           "llama-bpe, qwen2, deepseek-llm, deepseek-coder, gpt-2, starcoder, default and "
           "their aliases", (int) (pre.len > 64 ? 64 : pre.len), pre.ptr);
  return false;
}

hr_vocab *
hr_vocab_load (const hr_gguf *g, char *err, size_t errlen)
{
  static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>", NULL
  };
  static const char *const eom_texts[] = { "<|eom_id|>", NULL };
  static const char *const fim_pre_texts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
    "<|code_prefix|>", NULL
  };
  static const char *const fim_suf_texts[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
    "<|code_suffix|>", NULL
  };
  static const char *const fim_mid_texts[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
    "<|code_middle|>", NULL
  };
  static const char *const fim_pad_texts[] = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", NULL
  };
  static const char *const fim_rep_texts[] = {
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL
  };
  static const char *const fim_sep_texts[] = { "<|file_sep|>", NULL };
  hr_vocab *v;

  if (err && errlen)
    err[0] = '\0';
  if (!g)
    {
      set_err (err, errlen, "no GGUF file given");
      return NULL;
    }
  v = calloc (1, sizeof *v);
  if (!v)
    {
      set_err (err, errlen, "out of memory");
      return NULL;
    }
  v->eot = v->eom = v->sep = v->pad = v->mask = NO_ID;
  v->fim_pre = v->fim_suf = v->fim_mid = v->fim_pad = v->fim_rep = v->fim_sep = NO_ID;

  if (!choose_model (v, g, err, errlen) || !load_tokens (v, g, err, errlen))
    goto fail;
  if (v->kind == HR_VOCAB_BPE && !load_merges (v, g, err, errlen))
    goto fail;

  if (hr_gguf_find_key (g, "tokenizer.ggml.add_space_prefix") >= 0)
    v->add_space_prefix = hr_gguf_get_bool (g, "tokenizer.ggml.add_space_prefix",
                                            v->add_space_prefix);
  /* Defaults that do not exist in this vocabulary mean "none". */
  if (!valid_id (v, v->bos))
    v->bos = NO_ID;
  if (!valid_id (v, v->eos))
    v->eos = NO_ID;
  if (!valid_id (v, v->unk))
    v->unk = NO_ID;

  apply_id_key (g, v, "tokenizer.ggml.bos_token_id", &v->bos);
  apply_id_key (g, v, "tokenizer.ggml.eos_token_id", &v->eos);
  apply_id_key (g, v, "tokenizer.ggml.eot_token_id", &v->eot);
  apply_id_key (g, v, "tokenizer.ggml.eom_token_id", &v->eom);
  apply_id_key (g, v, "tokenizer.ggml.unknown_token_id", &v->unk);
  apply_id_key (g, v, "tokenizer.ggml.seperator_token_id", &v->sep);
  apply_id_key (g, v, "tokenizer.ggml.padding_token_id", &v->pad);
  apply_id_key (g, v, "tokenizer.ggml.mask_token_id", &v->mask);
  apply_id_key (g, v, "tokenizer.ggml.fim_pre_token_id", &v->fim_pre);
  apply_id_key (g, v, "tokenizer.ggml.fim_suf_token_id", &v->fim_suf);
  apply_id_key (g, v, "tokenizer.ggml.fim_mid_token_id", &v->fim_mid);
  apply_id_key (g, v, "tokenizer.ggml.fim_pad_token_id", &v->fim_pad);
  apply_id_key (g, v, "tokenizer.ggml.fim_rep_token_id", &v->fim_rep);
  apply_id_key (g, v, "tokenizer.ggml.fim_sep_token_id", &v->fim_sep);
  apply_id_key (g, v, "tokenizer.ggml.prefix_token_id", &v->fim_pre);
  apply_id_key (g, v, "tokenizer.ggml.suffix_token_id", &v->fim_suf);
  apply_id_key (g, v, "tokenizer.ggml.middle_token_id", &v->fim_mid);
  v->add_bos = hr_gguf_get_bool (g, "tokenizer.ggml.add_bos_token", v->add_bos);
  v->add_eos = hr_gguf_get_bool (g, "tokenizer.ggml.add_eos_token", v->add_eos);

  detect_special (v, &v->eot, eot_texts);
  detect_special (v, &v->eom, eom_texts);
  detect_special (v, &v->fim_pre, fim_pre_texts);
  detect_special (v, &v->fim_suf, fim_suf_texts);
  detect_special (v, &v->fim_mid, fim_mid_texts);
  detect_special (v, &v->fim_pad, fim_pad_texts);
  detect_special (v, &v->fim_rep, fim_rep_texts);
  detect_special (v, &v->fim_sep, fim_sep_texts);
  build_eog (v);

  for (int b = 0; b < 256; b++)
    {
      char s[8];
      snprintf (s, sizeof s, "<0x%02X>", b);
      v->byte_tok[b] = find_cstr (v, s);
      if (v->byte_tok[b] < 0)
        {
          s[0] = (char) b;
          v->byte_tok[b] = strtab_find (&v->toks, s, 1);
        }
    }

  if (!build_specials (v))
    {
      set_err (err, errlen, "out of memory");
      goto fail;
    }
  apply_phi3_strip (v, g);
  return v;

fail:
  hr_vocab_free (v);
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Accessors */

hr_vocab_kind
hr_vocab_kind_of (const hr_vocab *v)
{
  return v ? v->kind : (hr_vocab_kind) 0;
}

int32_t
hr_vocab_n_tokens (const hr_vocab *v)
{
  return v ? v->toks.n : 0;
}

const char *
hr_vocab_pre_name (const hr_vocab *v)
{
  return v ? v->pre_name : "";
}

hr_token hr_vocab_bos (const hr_vocab *v) { return v ? v->bos : NO_ID; }
hr_token hr_vocab_eos (const hr_vocab *v) { return v ? v->eos : NO_ID; }
hr_token hr_vocab_eot (const hr_vocab *v) { return v ? v->eot : NO_ID; }
bool hr_vocab_add_bos (const hr_vocab *v) { return v && v->add_bos; }
bool hr_vocab_add_eos (const hr_vocab *v) { return v && v->add_eos; }

bool
hr_vocab_is_eog (const hr_vocab *v, hr_token t)
{
  return valid_id (v, t) && (v->flags[t] & FLAG_EOG);
}

hr_token_attr
hr_vocab_token_attr (const hr_vocab *v, hr_token t)
{
  return valid_id (v, t) ? (hr_token_attr) v->attr[t] : (hr_token_attr) 0;
}

hr_token
hr_vocab_find (const hr_vocab *v, const char *text)
{
  return (v && text) ? find_cstr (v, text) : NO_ID;
}

const char *
hr_vocab_token_text (const hr_vocab *v, hr_token t)
{
  return valid_id (v, t) ? strtab_text (&v->toks, t) : NULL;
}

float
hr_vocab_token_score (const hr_vocab *v, hr_token t)
{
  return valid_id (v, t) ? v->scores[t] : 0.0f;
}

bool
hr_vocab_add_space_prefix (const hr_vocab *v)
{
  return v && v->add_space_prefix;
}

/* ---------------------------------------------------------------------------------------- */
/* Growable output */

typedef struct {
  hr_token *v;
  size_t n, cap;
  bool oom;
} tokbuf;

static void
tb_push (tokbuf *b, hr_token t)
{
  if (b->oom)
    return;
  if (b->n == b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 256;
      hr_token *nv = realloc (b->v, cap * sizeof *nv);
      if (!nv)
        {
          b->oom = true;
          return;
        }
      b->v = nv;
      b->cap = cap;
    }
  b->v[b->n++] = t;
}

/* ---------------------------------------------------------------------------------------- */
/* Merge heap shared by SPM (score, higher first) and BPE (rank, lower first). */

typedef struct {
  double key;         /* SPM: -score; BPE: rank. Smaller pops first. */
  int32_t left, right;
  uint32_t size;
  int32_t result;     /* BPE: id of the merged text */
} bigram;

typedef struct {
  bigram *v;
  size_t n, cap;
  bool oom;
} heap;

static inline bool
bg_less (const bigram *a, const bigram *b)
{
  return a->key < b->key || (a->key == b->key && a->left < b->left);
}

static void
heap_push (heap *h, bigram bg)
{
  size_t i;

  if (h->oom)
    return;
  if (h->n == h->cap)
    {
      size_t cap = h->cap ? h->cap * 2 : 64;
      bigram *nv = realloc (h->v, cap * sizeof *nv);
      if (!nv)
        {
          h->oom = true;
          return;
        }
      h->v = nv;
      h->cap = cap;
    }
  i = h->n++;
  while (i > 0)
    {
      size_t p = (i - 1) / 2;
      if (!bg_less (&bg, &h->v[p]))
        break;
      h->v[i] = h->v[p];
      i = p;
    }
  h->v[i] = bg;
}

static bigram
heap_pop (heap *h)
{
  bigram top = h->v[0], last = h->v[--h->n];
  size_t i = 0;

  for (;;)
    {
      size_t c = 2 * i + 1;
      if (c >= h->n)
        break;
      if (c + 1 < h->n && bg_less (&h->v[c + 1], &h->v[c]))
        c++;
      if (!bg_less (&h->v[c], &last))
        break;
      h->v[i] = h->v[c];
      i = c;
    }
  if (h->n)
    h->v[i] = last;
  return top;
}

typedef struct {
  uint32_t start, n;   /* byte span in the working text; n == 0: merged away */
  int32_t prev, next;
  int32_t id;          /* BPE: interned id of the text */
} symbol;

typedef struct {
  symbol *sym;
  size_t cap;
  heap h;
  char *text;          /* working text (SPM: escaped; BPE: byte-level word) */
  size_t text_cap;
  uint32_t *cps;
  size_t cps_cap;
  bool oom;
} session;

static bool
reserve (void **p, size_t *cap, size_t need, size_t elem)
{
  void *np;
  size_t c;

  if (need <= *cap)
    return true;
  c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  np = realloc (*p, c * elem);
  if (!np)
    return false;
  *p = np;
  *cap = c;
  return true;
}

static void
session_free (session *s)
{
  free (s->sym);
  free (s->h.v);
  free (s->text);
  free (s->cps);
}

/* ---------------------------------------------------------------------------------------- */
/* SentencePiece (BPE over scores) */

static void
spm_try_bigram (const hr_vocab *v, session *s, int32_t l, int32_t r)
{
  uint32_t size;
  hr_token t;

  if (l < 0 || r < 0)
    return;
  size = s->sym[l].n + s->sym[r].n;
  t = strtab_find (&v->toks, s->text + s->sym[l].start, size);
  if (t < 0)
    return;
  heap_push (&s->h, (bigram) { -(double) v->scores[t], l, r, size, t });
}

static void
spm_emit (const hr_vocab *v, const char *s, size_t n, tokbuf *out)
{
  hr_token t = strtab_find (&v->toks, s, n);

  if (t >= 0)
    {
      tb_push (out, t);
      return;
    }
  for (size_t j = 0; j < n; j++)
    {
      hr_token b = v->byte_tok[(uint8_t) s[j]];
      if (b < 0)
        b = v->unk;
      if (b >= 0)
        tb_push (out, b);
    }
}

static void
spm_tokenize (const hr_vocab *v, session *s, const char *frag, size_t len, bool prefix,
              tokbuf *out)
{
  size_t n = 0, i, nsym = 0;

  if (!reserve ((void **) &s->text, &s->text_cap, len * 3 + 4, 1))
    {
      s->oom = true;
      return;
    }
  /* Escape spaces as U+2581, with the optional leading space. */
  if (prefix)
    {
      memcpy (s->text, "\xe2\x96\x81", 3);
      n = 3;
    }
  for (i = 0; i < len; i++)
    {
      if (frag[i] == ' ')
        {
          memcpy (s->text + n, "\xe2\x96\x81", 3);
          n += 3;
        }
      else
        s->text[n++] = frag[i];
    }
  if (n == 0)
    return;
  if (n > UINT32_MAX / 2 || !reserve ((void **) &s->sym, &s->cap, n, sizeof (symbol)))
    {
      s->oom = true;
      return;
    }
  for (i = 0; i < n;)
    {
      size_t cl = hr_utf8_len_from_lead ((uint8_t) s->text[i]);
      if (cl > n - i)
        cl = n - i;
      s->sym[nsym] = (symbol) { (uint32_t) i, (uint32_t) cl, (int32_t) nsym - 1, -1, 0 };
      i += cl;
      s->sym[nsym].next = i == n ? -1 : (int32_t) nsym + 1;
      nsym++;
    }

  s->h.n = 0;
  for (i = 1; i < nsym; i++)
    spm_try_bigram (v, s, (int32_t) i - 1, (int32_t) i);
  while (s->h.n)
    {
      bigram bg = heap_pop (&s->h);
      symbol *l = &s->sym[bg.left], *r = &s->sym[bg.right];
      if (l->n == 0 || r->n == 0 || l->n + r->n != bg.size)
        continue;
      l->n += r->n;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        s->sym[r->next].prev = bg.left;
      spm_try_bigram (v, s, l->prev, bg.left);
      spm_try_bigram (v, s, bg.left, l->next);
    }
  s->oom |= s->h.oom;
  for (int32_t k = 0; k != -1; k = s->sym[k].next)
    spm_emit (v, s->text + s->sym[k].start, s->sym[k].n, out);
}

/* ---------------------------------------------------------------------------------------- */
/* Byte-level BPE (merge ranks) */

static void
bpe_try_bigram (const hr_vocab *v, session *s, int32_t l, int32_t r)
{
  const pair_slot *p;

  if (l < 0 || r < 0 || s->sym[l].id < 0 || s->sym[r].id < 0)
    return;
  p = pairmap_get (&v->merges, s->sym[l].id, s->sym[r].id);
  if (!p)
    return;
  heap_push (&s->h, (bigram) { (double) p->rank, l, r, s->sym[l].n + s->sym[r].n, p->result });
}

/* One pre-tokenized word (code points), re-encoded to UTF-8 and then to byte-level text. */
static void
bpe_word (const hr_vocab *v, session *s, const uint32_t *cps, size_t ncp, tokbuf *out)
{
  size_t n = 0, nsym = 0;

  if (!reserve ((void **) &s->text, &s->text_cap, ncp * 8 + 8, 1)
      || !reserve ((void **) &s->sym, &s->cap, ncp * 4 + 4, sizeof (symbol)))
    {
      s->oom = true;
      return;
    }
  for (size_t i = 0; i < ncp; i++)
    {
      char u[4];
      int k = hr_utf8_encode (cps[i], u);
      for (int j = 0; j < k; j++)
        {
          uint8_t b = (uint8_t) u[j];
          int m = hr_utf8_encode (hr_byte_to_cp (b), s->text + n);
          s->sym[nsym] = (symbol) { (uint32_t) n, (uint32_t) m, (int32_t) nsym - 1,
                                    (int32_t) nsym + 1, v->bpe_byte_sym[b] };
          nsym++;
          n += (size_t) m;
        }
    }
  if (nsym == 0)
    return;
  s->sym[nsym - 1].next = -1;

  if (v->ignore_merges)
    {
      hr_token t = strtab_find (&v->toks, s->text, n);
      if (t >= 0)
        {
          tb_push (out, t);
          return;
        }
    }

  s->h.n = 0;
  for (size_t i = 1; i < nsym; i++)
    bpe_try_bigram (v, s, (int32_t) i - 1, (int32_t) i);
  while (s->h.n)
    {
      bigram bg = heap_pop (&s->h);
      symbol *l = &s->sym[bg.left], *r = &s->sym[bg.right];
      if (l->n == 0 || r->n == 0 || l->n + r->n != bg.size)
        continue;
      l->n += r->n;
      l->id = bg.result;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        s->sym[r->next].prev = bg.left;
      bpe_try_bigram (v, s, l->prev, bg.left);
      bpe_try_bigram (v, s, bg.left, l->next);
    }
  s->oom |= s->h.oom;

  for (int32_t k = 0; k != -1; k = s->sym[k].next)
    {
      symbol *sy = &s->sym[k];
      if (sy->id >= 0 && sy->id < v->toks.n)
        tb_push (out, sy->id);
      else
        {
          /* As llama.cpp: look up each byte of the byte-level text on its own. */
          for (uint32_t j = 0; j < sy->n; j++)
            {
              hr_token t = strtab_find (&v->toks, s->text + sy->start + j, 1);
              if (t >= 0)
                tb_push (out, t);
            }
        }
    }
}

static void
bpe_tokenize (const hr_vocab *v, session *s, const char *frag, size_t len, tokbuf *out)
{
  size_t ncp = 0, *lens = NULL, start = 0;
  int64_t nw;

  if (!reserve ((void **) &s->cps, &s->cps_cap, len + 1, sizeof (uint32_t)))
    {
      s->oom = true;
      return;
    }
  for (size_t i = 0; i < len;)
    {
      size_t adv;
      s->cps[ncp++] = hr_utf8_decode_lenient (frag + i, len - i, &adv);
      i += adv;
    }
  nw = hr_pretok_split (v->pretok, s->cps, ncp, &lens);
  if (nw < 0)
    {
      s->oom = true;
      return;
    }
  for (int64_t w = 0; w < nw && !s->oom; w++)
    {
      bpe_word (v, s, s->cps + start, lens[w], out);
      start += lens[w];
    }
  free (lens);
}

/* ---------------------------------------------------------------------------------------- */
/* Special tokens: split the text around them as llama.cpp's tokenizer_st_partition does
 * (each special token in turn, longest first, over the pieces that are still text). */

typedef struct {
  hr_token tok;        /* >= 0: a special token; -1: text */
  size_t off, len;
} fragment;

typedef struct {
  fragment *v;
  size_t n, cap;
} fraglist;

static bool
frag_push (fraglist *f, hr_token tok, size_t off, size_t len)
{
  if (!reserve ((void **) &f->v, &f->cap, f->n + 1, sizeof (fragment)))
    return false;
  f->v[f->n++] = (fragment) { tok, off, len };
  return true;
}

static inline bool
c_isspace (char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool
partition (const hr_vocab *v, const char *text, size_t len, bool parse_special,
           fraglist *out)
{
  uint8_t *present = NULL;
  fraglist tmp = { 0 };
  bool any = false, ok = true;

  out->n = 0;
  if (len == 0)
    return true;
  if (!frag_push (out, -1, 0, len))
    return false;
  if (v->n_specials == 0)
    return true;

  present = calloc ((size_t) v->n_specials, 1);
  if (!present)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      int32_t node = v->root[(uint8_t) text[i]];
      size_t j = i + 1;
      while (node >= 0)
        {
          if (v->trie[node].special >= 0)
            {
              present[v->trie[node].special] = 1;
              any = true;
            }
          if (j >= len)
            break;
          {
            int32_t c = v->trie[node].child;
            while (c >= 0 && v->trie[c].byte != (uint8_t) text[j])
              c = v->trie[c].sibling;
            node = c;
          }
          j++;
        }
    }

  for (int32_t si = 0; any && ok && si < v->n_specials; si++)
    {
      hr_token t = v->specials[si];
      const char *st = strtab_text (&v->toks, t);
      size_t sl = strtab_len (&v->toks, t);

      if (!present[si])
        continue;
      if (!parse_special && v->attr[t] != HR_TOKEN_USER_DEFINED)
        continue;
      tmp.n = 0;
      for (size_t f = 0; f < out->n && ok; f++)
        {
          fragment fr = out->v[f];
          size_t base = fr.off, blen = fr.len;
          if (fr.tok >= 0)
            {
              ok = frag_push (&tmp, fr.tok, 0, 0);
              continue;
            }
          for (;;)
            {
              const char *m = blen >= sl ? memmem (text + base, blen, st, sl) : NULL;
              size_t mo, left;
              if (!m)
                {
                  if (blen > 0)
                    ok = ok && frag_push (&tmp, -1, base, blen);
                  break;
                }
              mo = (size_t) (m - text);
              left = mo - base;
              if (v->flags[t] & ATTR_LSTRIP)
                while (left > 0 && c_isspace (text[base + left - 1]))
                  left--;
              if (left > 0)
                ok = ok && frag_push (&tmp, -1, base, left);
              ok = ok && frag_push (&tmp, t, 0, 0);
              if (mo + sl >= base + blen)
                break;
              blen = base + blen - (mo + sl);
              base = mo + sl;
              if (v->flags[t] & ATTR_RSTRIP)
                while (blen > 0 && c_isspace (text[base]))
                  {
                    base++;
                    blen--;
                  }
            }
        }
      {
        fraglist sw = *out;
        *out = tmp;
        tmp = sw;
      }
    }
  free (tmp.v);
  free (present);
  return ok;
}

int32_t
hr_tokenize (const hr_vocab *v, const char *text, size_t len, bool add_special,
             bool parse_special, hr_token *out, int32_t max_tokens)
{
  fraglist frags = { 0 };
  session s = { 0 };
  tokbuf tb = { 0 };
  bool prev_special = true;
  int32_t ret;

  if (!v || (!text && len > 0) || max_tokens < 0 || (max_tokens > 0 && !out))
    return -1;
  if (!partition (v, text, len, parse_special, &frags))
    {
      free (frags.v);
      return -1;
    }

  if (add_special && v->add_bos && v->bos >= 0)
    tb_push (&tb, v->bos);
  for (size_t i = 0; i < frags.n && !s.oom; i++)
    {
      fragment *f = &frags.v[i];
      if (f->tok >= 0)
        {
          tb_push (&tb, f->tok);
          prev_special = true;
          continue;
        }
      if (v->kind == HR_VOCAB_SPM)
        spm_tokenize (v, &s, text + f->off, f->len, v->add_space_prefix && prev_special, &tb);
      else
        bpe_tokenize (v, &s, text + f->off, f->len, &tb);
      prev_special = false;
    }
  if (add_special && v->add_eos && v->eos >= 0)
    tb_push (&tb, v->eos);

  if (s.oom || tb.oom || tb.n > INT32_MAX)
    ret = -1;
  else
    {
      ret = (int32_t) tb.n;
      if (tb.n && max_tokens > 0)
        memcpy (out, tb.v, (tb.n < (size_t) max_tokens ? tb.n : (size_t) max_tokens)
                * sizeof *out);
    }
  session_free (&s);
  free (tb.v);
  free (frags.v);
  return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* Pieces */

typedef struct {
  char *buf;
  int32_t size, n;
} piece_out;

static void
po_put (piece_out *p, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      if (p->n < p->size)
        p->buf[p->n] = s[i];
      if (p->n < INT32_MAX)
        p->n++;
    }
}

static int32_t
piece (const hr_vocab *v, hr_token t, bool render_special, char *buf, int32_t bufsize)
{
  piece_out p = { buf, bufsize, 0 };
  const char *text;
  size_t len;
  uint8_t attr;

  if (!valid_id (v, t) || bufsize < 0 || (bufsize > 0 && !buf))
    return -1;
  attr = v->attr[t];
  text = strtab_text (&v->toks, t);
  len = strtab_len (&v->toks, t);
  if (!render_special && (attr == HR_TOKEN_CONTROL || attr == HR_TOKEN_UNKNOWN))
    return 0;
  if (attr == HR_TOKEN_CONTROL || attr == HR_TOKEN_UNKNOWN || attr == HR_TOKEN_USER_DEFINED)
    po_put (&p, text, len);
  else if (v->kind == HR_VOCAB_SPM && attr == HR_TOKEN_NORMAL)
    {
      for (size_t i = 0; i < len;)
        {
          if (i + 3 <= len && memcmp (text + i, "\xe2\x96\x81", 3) == 0)
            {
              po_put (&p, " ", 1);
              i += 3;
            }
          else
            po_put (&p, text + i++, 1);
        }
    }
  else if (v->kind == HR_VOCAB_SPM && attr == HR_TOKEN_BYTE)
    {
      unsigned int b;
      char c;
      if (len == 6 && sscanf (text, "<0x%2X>", &b) == 1)
        {
          c = (char) b;
          po_put (&p, &c, 1);
        }
    }
  else if (v->kind == HR_VOCAB_BPE && attr == HR_TOKEN_NORMAL)
    {
      for (size_t i = 0; i < len;)
        {
          size_t adv;
          uint32_t cp = hr_utf8_decode_lenient (text + i, len - i, &adv);
          int b = hr_cp_to_byte (cp);
          if (b >= 0)
            {
              char c = (char) b;
              po_put (&p, &c, 1);
            }
          else
            {
              /* What llama.cpp prints for a character outside the byte mapping. */
              char u[4], hex[8];
              int k = hr_utf8_encode (cp, u);
              po_put (&p, "[UNK_BYTE_0x", 12);
              for (int j = 0; j < k; j++)
                {
                  snprintf (hex, sizeof hex, "%02x", (uint8_t) u[j]);
                  po_put (&p, hex, 2);
                }
              po_put (&p, text, len);
              po_put (&p, "]", 1);
            }
          i += adv;
        }
    }
  return p.n;
}

int32_t
hr_token_to_piece (const hr_vocab *v, hr_token t, bool render_special, char *buf,
                   int32_t bufsize)
{
  int32_t n = piece (v, t, render_special, NULL, 0);

  /* Nothing is written unless the whole piece fits. */
  if (n > 0 && n <= bufsize)
    piece (v, t, render_special, buf, bufsize);
  return n;
}

int32_t
hr_detokenize (const hr_vocab *v, const hr_token *tokens, int32_t n, bool render_special,
               char *buf, int32_t bufsize)
{
  int64_t total = 0;

  if (!v || n < 0 || (n > 0 && !tokens) || bufsize < 0 || (bufsize > 0 && !buf))
    return -1;
  for (int32_t i = 0; i < n; i++)
    {
      int32_t room = total < bufsize ? (int32_t) (bufsize - total) : 0;
      int32_t k = hr_token_to_piece (v, tokens[i], render_special,
                                     room ? buf + total : NULL, room);
      if (k < 0)
        return -1;
      total += k;
      if (total > INT32_MAX)
        return -1;
    }
  return (int32_t) total;
}

/* ---------------------------------------------------------------------------------------- */
/* Streaming detokenizer */

struct hr_detok {
  const hr_vocab *v;
  bool render_special;
  char *pend;          /* bytes not emitted yet */
  size_t n, cap;
  char *piece;
  int32_t piece_cap;
};

hr_detok *
hr_detok_new (const hr_vocab *v, bool render_special)
{
  hr_detok *d;

  if (!v)
    return NULL;
  d = calloc (1, sizeof *d);
  if (!d)
    return NULL;
  d->v = v;
  d->render_special = render_special;
  return d;
}

void
hr_detok_free (hr_detok *d)
{
  if (!d)
    return;
  free (d->pend);
  free (d->piece);
  free (d);
}

/* Move complete characters from pend to out (invalid bytes as U+FFFD; with final, the
 * incomplete tail too). Stops when out is full, keeping the rest pending. */
static int32_t
detok_drain (hr_detok *d, char *out, int32_t outsize, bool final)
{
  size_t i = 0;
  int32_t w = 0;

  if (outsize <= 0 || !out)
    return 0;
  while (i < d->n)
    {
      int k = hr_utf8_check ((const uint8_t *) d->pend + i, d->n - i);
      const char *src = d->pend + i;
      size_t take, emit;
      if (k > 0)
        take = emit = (size_t) k;
      else if (k < 0 || final)
        {
          /* One U+FFFD for one invalid byte, or for the incomplete tail at the end. */
          take = k < 0 ? 1 : d->n - i;
          src = "\xef\xbf\xbd";
          emit = 3;
        }
      else
        break;
      if ((size_t) w + emit > (size_t) outsize - 1)
        break;
      memcpy (out + w, src, emit);
      w += (int32_t) emit;
      i += take;
    }
  if (i > 0)
    {
      memmove (d->pend, d->pend + i, d->n - i);
      d->n -= i;
    }
  out[w] = '\0';
  return w;
}

int32_t
hr_detok_push (hr_detok *d, hr_token t, char *out, int32_t outsize)
{
  int32_t k;

  if (!d)
    return 0;
  k = hr_token_to_piece (d->v, t, d->render_special, d->piece, d->piece_cap);
  if (k > d->piece_cap)
    {
      char *np = realloc (d->piece, (size_t) k);
      if (np)
        {
          d->piece = np;
          d->piece_cap = k;
          k = hr_token_to_piece (d->v, t, d->render_special, d->piece, d->piece_cap);
        }
      else
        k = -1;
    }
  if (k > 0 && reserve ((void **) &d->pend, &d->cap, d->n + (size_t) k, 1))
    {
      memcpy (d->pend + d->n, d->piece, (size_t) k);
      d->n += (size_t) k;
    }
  return detok_drain (d, out, outsize, false);
}

int32_t
hr_detok_flush (hr_detok *d, char *out, int32_t outsize)
{
  if (!d)
    return 0;
  return detok_drain (d, out, outsize, true);
}

size_t
hr_detok_pending (const hr_detok *d)
{
  return d ? d->n : 0;
}
