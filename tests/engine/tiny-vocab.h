/* tiny-vocab.h: a small synthetic byte-level BPE vocabulary (Qwen2-style) for test models
 * that must run without ../shared.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gguf.h"

/* Merges learned from the built-in English + Chinese text. */
#define HERON_TINY_VOCAB_N_MERGES 300

/* Adds tokenizer.ggml.model ("gpt2"), .pre ("qwen2"), .tokens, .token_type, .merges,
 * bos/eos/eot/padding ids, add_bos_token = false, add_eos_token = false and a ChatML
 * tokenizer.chat_template to w.
 *
 * Ids: 0-255 are the 256 byte tokens (id = byte value, in GPT-2's byte-to-unicode spelling),
 * then one token per learned merge, then the special tokens, last in this order:
 *   <|endoftext|> (control; BOS and padding), <|im_start|> (control),
 *   <|im_end|> (control; EOS and EOT), <think>, </think> (user-defined).
 * The total count is written to *n_vocab_out (may be NULL); the special ids are
 * n_vocab - 5 ... n_vocab - 1. The result is deterministic. */
void heron_test_add_tiny_bpe_vocab (hr_gguf_writer *w, int *n_vocab_out);
