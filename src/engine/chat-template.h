/* chat-template.h: recognise a model's chat template family from its Jinja source and
 * format conversations exactly as that template renders them (no Jinja interpreter: the
 * families below are written out by hand from their published templates).
 *
 * BOS: the formatted text never starts with the BOS token; hr_chat_tokenize adds it once
 * when the template or the vocabulary asks for it (as llama.cpp does by stripping a leading
 * bos_token from the rendered template and tokenizing with add_special). Tokens inside the
 * text (<|im_start|>, </s> between Llama 2 turns, ...) are parsed as special tokens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  HR_CHAT_CHATML,        /* <|im_start|>role\n...<|im_end|>\n, no default system prompt */
  HR_CHAT_QWEN2,         /* ChatML + default system "You are a helpful assistant." */
  HR_CHAT_QWEN25,        /* ChatML + default system "You are Qwen, created by Alibaba..." */
  HR_CHAT_QWEN3,         /* ChatML + <think>: reasoning dropped from turns before the last
                          * user query, kept (re-wrapped) after it */
  HR_CHAT_QWEN3_THINKING,/* Qwen3 ...-Thinking-2507: as Qwen3, the prompt opens <think> */
  HR_CHAT_QWQ,           /* QwQ-32B: ChatML, earlier answers without reasoning, the prompt
                          * opens <think> */
  HR_CHAT_LLAMA3,        /* <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> */
  HR_CHAT_LLAMA2,        /* <s>[INST] <<SYS>>...<</SYS>> ... [/INST] answer </s> */
  HR_CHAT_MISTRAL,       /* Mistral 7B Instruct v0.1/v0.2: [INST] ... [/INST]answer</s> */
  HR_CHAT_MISTRAL_V3,    /* Mistral 7B Instruct v0.3: [INST] ...[/INST] answer</s> */
  HR_CHAT_DEEPSEEK_R1,   /* <｜User｜>...<｜Assistant｜><think>\n */
  HR_CHAT_PHI3,          /* <|user|>\n...<|end|>\n<|assistant|>\n */
  HR_CHAT_GEMMA,         /* <start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n */
  HR_CHAT_ZEPHYR,        /* <|user|>\n...</s>\n<|assistant|>\n (TinyLlama chat) */
  HR_CHAT_N_FAMILIES
} hr_chat_family;

typedef struct {
  const char *role;      /* "system", "user" or "assistant" (others are skipped) */
  const char *content;   /* NULL counts as "" */
} hr_chat_msg;

typedef struct {
  bool add_generation_prompt;   /* end with the assistant's header, ready to generate */
  bool enable_thinking;         /* Qwen3: false appends an empty <think></think> block */
} hr_chat_options;

/* Family of a Jinja chat template (by markers, in llama.cpp's order); ChatML when the
 * template is NULL, empty or unknown. */
hr_chat_family hr_chat_detect (const char *jinja);
/* True when hr_chat_detect recognised the template (false: ChatML by fallback). */
bool           hr_chat_detect_known (const char *jinja);
/* "chatml", "qwen3", "llama3", ... ; NULL for an invalid value. */
const char    *hr_chat_family_name (hr_chat_family f);
/* Parse a name printed by hr_chat_family_name; -1 when unknown. */
int            hr_chat_family_from_name (const char *name);

/* Format a conversation. Returns a malloc'd NUL-terminated string (caller frees), or NULL
 * when out of memory or f is invalid. */
char *hr_chat_format (hr_chat_family f, const hr_chat_msg *msgs, size_t n,
                      bool add_generation_prompt);
char *hr_chat_format_ex (hr_chat_family f, const hr_chat_msg *msgs, size_t n,
                         const hr_chat_options *opts);

/* Does the family's template start with bos_token? */
bool        hr_chat_template_has_bos (hr_chat_family f);
/* Does the generation prompt leave the model inside a <think> block (DeepSeek-R1, QwQ,
 * Qwen3 thinking)? */
bool        hr_chat_starts_in_think (hr_chat_family f);
/* Text that ends an assistant turn in this family ("<|im_end|>", "<|eot_id|>", ...). */
const char *hr_chat_end_of_turn (hr_chat_family f);

/* Tokenize formatted chat text: special tokens parsed, BOS prepended when the template or
 * the vocabulary wants it. Same return convention as hr_tokenize (out may be NULL when
 * max_tokens is 0, to ask for the count). */
int32_t hr_chat_tokenize (const hr_vocab *v, hr_chat_family f, const char *text,
                          hr_token *out, int32_t max_tokens);

/* Tokens that end a generation for this family: the vocabulary's EOG tokens plus the
 * family's end-of-turn token when the vocabulary has it. Returns how many were written. */
int32_t hr_chat_eog_tokens (const hr_vocab *v, hr_chat_family f, hr_token *out,
                            int32_t max_tokens);
/* True when t ends a generation (hr_vocab_is_eog or the family's end-of-turn token). */
bool    hr_chat_is_eog (const hr_vocab *v, hr_chat_family f, hr_token t);

#ifdef __cplusplus
}
#endif
