/* unicode.h: UTF-8 decoding/encoding, code point classes, the byte-level BPE byte<->unicode
 * mapping and the pre-tokenizer splitters (hand-written scanners equivalent to the regexes
 * llama.cpp uses for each tokenizer.ggml.pre).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* General category classes (one per code point), as llama.cpp groups them. */
typedef enum {
  HR_UCLASS_UNDEFINED = 0,   /* Cn */
  HR_UCLASS_NUMBER = 1,      /* N* */
  HR_UCLASS_LETTER = 2,      /* L* */
  HR_UCLASS_SEPARATOR = 3,   /* Z* */
  HR_UCLASS_MARK = 4,        /* M* */
  HR_UCLASS_PUNCT = 5,       /* P* */
  HR_UCLASS_SYMBOL = 6,      /* S* */
  HR_UCLASS_CONTROL = 7,     /* Cc, Cf, Co, Cs */
} hr_uclass;

hr_uclass hr_unicode_class (uint32_t cp);
/* Unicode White_Space property. */
bool      hr_unicode_is_space (uint32_t cp);

/* Length of a UTF-8 sequence from its lead byte alone (1 for continuation bytes), the way
 * llama.cpp splits SPM input. */
size_t   hr_utf8_len_from_lead (uint8_t c);
/* Decode one code point the way llama.cpp does for BPE input: a malformed sequence gives
 * U+FFFD and consumes one byte. Overlong forms are accepted as llama.cpp accepts them.
 * len must be > 0. *adv receives the bytes consumed. */
uint32_t hr_utf8_decode_lenient (const char *s, size_t len, size_t *adv);
/* Strict check of the sequence at s: returns its length (1-4) when it is a complete, valid
 * UTF-8 character, 0 when the bytes are a valid but incomplete prefix (more may follow),
 * -1 when invalid. */
int      hr_utf8_check (const uint8_t *s, size_t len);
/* Encode cp (<= 0x10FFFF) to out; returns the byte count (1-4), 0 for an invalid cp. */
int      hr_utf8_encode (uint32_t cp, char out[4]);
/* Whether len bytes are entirely valid UTF-8. */
bool     hr_utf8_valid (const char *s, size_t len);

/* Byte-level BPE (GPT-2) mapping: each byte is shown as one printable code point. */
uint32_t hr_byte_to_cp (uint8_t b);
/* The byte a code point stands for, or -1 when it stands for none. */
int      hr_cp_to_byte (uint32_t cp);

/* Pre-tokenizers (tokenizer.ggml.pre groups sharing one regex set). */
typedef enum {
  HR_PRETOK_DEFAULT = 0,
  HR_PRETOK_LLAMA3,          /* llama-bpe and aliases: \p{N}{1,3} */
  HR_PRETOK_QWEN2,           /* qwen2, deepseek-r1-qwen, ...: single digits */
  HR_PRETOK_GPT2,
  HR_PRETOK_STARCODER,       /* \p{N} then the GPT-2 regex */
  HR_PRETOK_DEEPSEEK_LLM,
  HR_PRETOK_DEEPSEEK_CODER,
} hr_pretok;

/* Split n code points into words. Writes word lengths (in code points, all > 0, summing to
 * n) to *lens (malloc'd, caller frees) and returns their count, or -1 on allocation
 * failure. */
int64_t hr_pretok_split (hr_pretok kind, const uint32_t *cps, size_t n, size_t **lens);

#ifdef __cplusplus
}
#endif
