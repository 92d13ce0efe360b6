/* tokenizer.h: SentencePiece-style and byte-level BPE tokenizers read from GGUF metadata,
 * behaving like llama.cpp (same ids for the same text).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t hr_token;

typedef enum {
  HR_VOCAB_SPM = 1,   /* tokenizer.ggml.model = "llama" */
  HR_VOCAB_BPE = 2,   /* tokenizer.ggml.model = "gpt2" */
} hr_vocab_kind;

typedef enum {
  HR_TOKEN_NORMAL = 1,
  HR_TOKEN_UNKNOWN = 2,
  HR_TOKEN_CONTROL = 3,
  HR_TOKEN_USER_DEFINED = 4,
  HR_TOKEN_UNUSED = 5,
  HR_TOKEN_BYTE = 6,
} hr_token_attr;

typedef struct hr_vocab hr_vocab;

/* Build the vocabulary from tokenizer.ggml.* keys. The vocabulary copies what it needs; the
 * gguf handle may be closed afterwards. Unknown model or pre-tokenizer names are refused
 * with a message naming them. Returns NULL on error (message in err). */
hr_vocab *hr_vocab_load (const hr_gguf *g, char *err, size_t errlen);
void      hr_vocab_free (hr_vocab *v);

hr_vocab_kind hr_vocab_kind_of (const hr_vocab *v);
int32_t       hr_vocab_n_tokens (const hr_vocab *v);
const char   *hr_vocab_pre_name (const hr_vocab *v);     /* "qwen2", "llama-bpe", "default"... */

hr_token hr_vocab_bos (const hr_vocab *v);    /* -1 when none */
hr_token hr_vocab_eos (const hr_vocab *v);
hr_token hr_vocab_eot (const hr_vocab *v);
bool     hr_vocab_add_bos (const hr_vocab *v);
bool     hr_vocab_add_eos (const hr_vocab *v);
/* True for tokens that end a generation (EOS, EOT, <|im_end|>, <|eot_id|>, <|end|>, ...). */
bool     hr_vocab_is_eog (const hr_vocab *v, hr_token t);
hr_token_attr hr_vocab_token_attr (const hr_vocab *v, hr_token t);
/* Exact lookup of a token's text (as stored in the vocabulary); -1 when absent. */
hr_token hr_vocab_find (const hr_vocab *v, const char *text);
/* The token's stored text (NUL-terminated, owned by the vocabulary). */
const char *hr_vocab_token_text (const hr_vocab *v, hr_token t);

/* Tokenize text (len bytes, need not be NUL-terminated).
 * add_special: prepend BOS / append EOS as the vocabulary's flags say.
 * parse_special: map the text of CONTROL tokens (e.g. "<|im_start|>") to their ids.
 * USER_DEFINED tokens are always matched, as llama.cpp does.
 * Writes at most max_tokens ids; returns the number of tokens the text needs (may exceed
 * max_tokens: call again with a larger buffer), or -1 on error. */
int32_t hr_tokenize (const hr_vocab *v, const char *text, size_t len, bool add_special,
                     bool parse_special, hr_token *out, int32_t max_tokens);

/* The bytes of one token as generated text (byte tokens decoded, SPM "▁" turned to spaces,
 * byte-level BPE mapped back to bytes). Control tokens give "" unless render_special.
 * Returns the byte count (may exceed bufsize: nothing written then), or -1. */
int32_t hr_token_to_piece (const hr_vocab *v, hr_token t, bool render_special,
                           char *buf, int32_t bufsize);

/* The pieces of n tokens concatenated (no cleanup of spaces). Returns the byte count (may
 * exceed bufsize: then only the pieces that fit whole were written), or -1. */
int32_t hr_detokenize (const hr_vocab *v, const hr_token *tokens, int32_t n,
                       bool render_special, char *buf, int32_t bufsize);

/* More about the vocabulary. */
float hr_vocab_token_score (const hr_vocab *v, hr_token t);
/* SPM: whether a space is put before the text (the first piece then starts with " "). */
bool  hr_vocab_add_space_prefix (const hr_vocab *v);

/* Streaming detokenizer: feeds tokens, emits only complete UTF-8 characters; a character
 * split across tokens is held back until it completes. When out is too small, the text that
 * did not fit stays pending and comes out with the next push or flush. */
typedef struct hr_detok hr_detok;
hr_detok *hr_detok_new (const hr_vocab *v, bool render_special);
void      hr_detok_free (hr_detok *d);
/* Append the text that is now complete to out (NUL-terminated, at most outsize-1 bytes);
 * returns its length. */
int32_t   hr_detok_push (hr_detok *d, hr_token t, char *out, int32_t outsize);
/* Flush what is held back (invalid bytes become U+FFFD). */
int32_t   hr_detok_flush (hr_detok *d, char *out, int32_t outsize);
/* Bytes held back (an incomplete character, or text that did not fit in out). */
size_t    hr_detok_pending (const hr_detok *d);

#ifdef __cplusplus
}
#endif
