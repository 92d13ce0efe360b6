/* think.h: streaming splitter of a model's output into reasoning (<think>...</think>) and
 * answer, for chunks that may cut the tags anywhere.
 *
 * Rules: a <think> tag counts only at the very start of the output (after whitespace);
 * without one the whole output is the answer, unless the prompt already opened the block
 * (DeepSeek-R1 distills: start_in_think), where everything up to </think> is reasoning (a
 * repeated <think> at the start is dropped). Whitespace right after <think> and </think>
 * and right before </think> is dropped; text is otherwise passed on byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  HR_THINK_ANSWER,
  HR_THINK_REASONING,
} hr_think_kind;

/* Receives consecutive pieces; text is not NUL-terminated and only valid during the call. */
typedef void (*hr_think_emit) (hr_think_kind kind, const char *text, size_t len, void *ud);

typedef struct hr_think hr_think;

hr_think *hr_think_new (bool start_in_think, hr_think_emit emit, void *ud);
void      hr_think_free (hr_think *t);
/* Feed the next chunk; complete pieces are emitted before it returns (a possible partial
 * tag at the end is held back). Returns false when out of memory. */
bool      hr_think_feed (hr_think *t, const char *text, size_t len);
/* End of the output: emit what was held back. */
void      hr_think_finish (hr_think *t);
/* True while inside the reasoning block. */
bool      hr_think_in_reasoning (const hr_think *t);
/* True once any reasoning was seen (tag or start_in_think). */
bool      hr_think_had_reasoning (const hr_think *t);

#ifdef __cplusplus
}
#endif
