/* sampler.h: choosing the next token from logits: repetition penalties, top-k, top-p,
 * min-p, temperature, then a seeded draw (or greedy), applied in llama.cpp's default order.
 *
 * Reproducibility: the generator is xoshiro256** seeded through splitmix64 and all
 * cumulative sums are done in double, so the same seed and logits give the same tokens on
 * every machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seed value asking for a seed taken from the system (getentropy, else the clock). */
#define HR_SEED_RANDOM UINT64_MAX

typedef struct {
  float    temp;              /* <= 0: greedy (after penalties) */
  int32_t  top_k;             /* <= 0: off */
  float    top_p;             /* >= 1: off */
  float    min_p;             /* <= 0: off */
  int32_t  min_keep;          /* top-p / min-p keep at least this many candidates */
  int32_t  penalty_last_n;    /* window of accepted tokens that are penalized; 0: off */
  float    repeat_penalty;    /* 1: off; divides positive logits, multiplies negative ones */
  float    frequency_penalty; /* 0: off; subtracted once per occurrence in the window */
  float    presence_penalty;  /* 0: off; subtracted once if present in the window */
  uint64_t seed;              /* HR_SEED_RANDOM: from the system */
} hr_sampler_params;

/* llama.cpp's defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05, last-n 64, no penalty. */
void hr_sampler_params_default (hr_sampler_params *p);

/* One candidate token. p is only meaningful after a step that computes probabilities. */
typedef struct {
  hr_token id;
  float    logit;
  float    p;
} hr_token_data;

/* A working set of candidates; sorted means data[] is in descending logit order. */
typedef struct {
  hr_token_data *data;
  size_t         size;
  bool           sorted;
} hr_candidates;

/* The individual steps, usable on their own (tests, other chains). Each keeps at least one
 * candidate. */
void hr_candidates_softmax (hr_candidates *c);                  /* fills p, keeps order */
void hr_candidates_sort (hr_candidates *c, size_t k);           /* top k first, sorted */
void hr_candidates_top_k (hr_candidates *c, int32_t k);
void hr_candidates_top_p (hr_candidates *c, float p, size_t min_keep);
void hr_candidates_min_p (hr_candidates *c, float p, size_t min_keep);
void hr_candidates_temp (hr_candidates *c, float temp);
/* Index into c->data of the highest logit (lowest index on ties). */
size_t hr_candidates_argmax (const hr_candidates *c);

/* Small, portable PRNG (xoshiro256**). */
typedef struct {
  uint64_t s[4];
} hr_rng;

void     hr_rng_seed (hr_rng *r, uint64_t seed);
uint64_t hr_rng_next (hr_rng *r);
double   hr_rng_uniform (hr_rng *r);                            /* [0, 1) with 53 bits */

typedef struct hr_sampler hr_sampler;

/* n_vocab is the length of the logit vectors that will be given. NULL on bad arguments. */
hr_sampler *hr_sampler_new (const hr_sampler_params *p, int32_t n_vocab);
void        hr_sampler_free (hr_sampler *s);
const hr_sampler_params *hr_sampler_get_params (const hr_sampler *s);
/* The seed actually in use (the drawn one when HR_SEED_RANDOM was asked). */
uint64_t    hr_sampler_seed (const hr_sampler *s);

/* Run the chain (penalties, top-k, top-p, min-p, temperature) on logits and return the
 * remaining candidates with their final probabilities (valid until the next call). */
const hr_candidates *hr_sampler_apply (hr_sampler *s, const float *logits);
/* Apply and draw one token (argmax when temp <= 0). Does not accept it. */
hr_token    hr_sampler_sample (hr_sampler *s, const float *logits);
/* Record a token in the penalty window (prompt tokens and generated ones). */
void        hr_sampler_accept (hr_sampler *s, hr_token t);
/* Forget the window and restart the generator from the seed. */
void        hr_sampler_reset (hr_sampler *s);

#ifdef __cplusplus
}
#endif
