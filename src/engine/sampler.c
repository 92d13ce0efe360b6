/* sampler.c: penalties, top-k, top-p, min-p, temperature and a seeded draw over the logits
 * of one position. The order and the meaning of every step follow llama.cpp's default
 * sampler chain, so that the same settings behave the same way in both programs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------- */
/* Random numbers: xoshiro256** (Blackman & Vigna), state filled by splitmix64.               */

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
hr_rng_seed (hr_rng *r, uint64_t seed)
{
  uint64_t x = seed;

  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
}

uint64_t
hr_rng_next (hr_rng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
hr_rng_uniform (hr_rng *r)
{
  return (double) (hr_rng_next (r) >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------------------------------- */
/* Candidate steps                                                                          */

/* Total order: higher logit first, lower id first among equal logits. With a total order
 * the result of any sort or selection is the same on every libc. */
static inline bool
before (const hr_token_data *a, const hr_token_data *b)
{
  if (a->logit != b->logit)
    return a->logit > b->logit;
  return a->id < b->id;
}

static int
cmp_desc (const void *pa, const void *pb)
{
  const hr_token_data *a = pa, *b = pb;

  if (before (a, b))
    return -1;
  if (before (b, a))
    return 1;
  return 0;
}

static inline void
swap_td (hr_token_data *a, hr_token_data *b)
{
  hr_token_data t = *a;

  *a = *b;
  *b = t;
}

/* Move the k best candidates (k < n) to data[0..k), in no particular order. Quickselect with
 * a median-of-three pivot; after too many rounds (adversarial input) it gives up and sorts. */
static void
select_top (hr_token_data *d, size_t n, size_t k)
{
  size_t lo = 0, hi = n;   /* the k-th boundary lies in [lo, hi) */
  int rounds = 0;

  while (hi - lo > 16)
    {
      size_t mid = lo + (hi - lo) / 2;
      hr_token_data pivot;
      size_t store;

      if (++rounds > 64)
        {
          qsort (d + lo, hi - lo, sizeof *d, cmp_desc);
          return;
        }
      /* Median of three at d[hi-1]. */
      if (before (&d[mid], &d[lo]))
        swap_td (&d[mid], &d[lo]);
      if (before (&d[hi - 1], &d[lo]))
        swap_td (&d[hi - 1], &d[lo]);
      if (before (&d[mid], &d[hi - 1]))
        swap_td (&d[mid], &d[hi - 1]);
      pivot = d[hi - 1];
      store = lo;
      for (size_t i = lo; i < hi - 1; i++)
        if (before (&d[i], &pivot))
          swap_td (&d[i], &d[store++]);
      swap_td (&d[store], &d[hi - 1]);
      /* d[lo..store) before pivot, d[store] = pivot, d[store+1..hi) after it. */
      if (store == k || store + 1 == k)
        return;
      if (store > k)
        hi = store;
      else
        lo = store + 1;
    }
  qsort (d + lo, hi - lo, sizeof *d, cmp_desc);
}

void
hr_candidates_sort (hr_candidates *c, size_t k)
{
  if (c->sorted || c->size == 0)
    return;
  if (k >= c->size)
    {
      qsort (c->data, c->size, sizeof *c->data, cmp_desc);
      c->sorted = true;
      return;
    }
  if (k == 0)
    return;
  select_top (c->data, c->size, k);
  qsort (c->data, k, sizeof *c->data, cmp_desc);
}

size_t
hr_candidates_argmax (const hr_candidates *c)
{
  size_t best = 0;

  for (size_t i = 1; i < c->size; i++)
    if (before (&c->data[i], &c->data[best]))
      best = i;
  return best;
}

void
hr_candidates_softmax (hr_candidates *c)
{
  float max_l;
  double sum = 0.0;

  if (c->size == 0)
    return;
  max_l = c->sorted ? c->data[0].logit : c->data[hr_candidates_argmax (c)].logit;
  if (!isfinite (max_l))
    {
      /* Every candidate is -inf (or the best is +inf): all mass on the best ones. */
      for (size_t i = 0; i < c->size; i++)
        {
          c->data[i].p = c->data[i].logit == max_l ? 1.0f : 0.0f;
          sum += c->data[i].p;
        }
    }
  else
    {
      for (size_t i = 0; i < c->size; i++)
        {
          c->data[i].p = expf (c->data[i].logit - max_l);
          sum += c->data[i].p;
        }
    }
  for (size_t i = 0; i < c->size; i++)
    c->data[i].p = (float) (c->data[i].p / sum);
}

void
hr_candidates_top_k (hr_candidates *c, int32_t k)
{
  if (k <= 0 || c->size == 0)
    return;
  if ((size_t) k > c->size)
    k = (int32_t) c->size;
  hr_candidates_sort (c, (size_t) k);
  c->size = (size_t) k;
  c->sorted = true;
}

/* Partition d[0..n) so that d[0..m) are its m best candidates for the smallest m with
 * acc + their mass >= target (n when the mass never gets there); d[0..m) is left unordered.
 * Expected O(n): quickselect that recurses into one side by probability mass instead of
 * by count. */
static size_t
select_mass (hr_token_data *d, size_t n, double acc, double target)
{
  size_t lo = 0, hi = n;   /* d[0..lo) are in; the boundary lies in [lo, hi] */
  int rounds = 0;

  while (hi - lo > 16 && ++rounds <= 64)
    {
      size_t mid = lo + (hi - lo) / 2, store = lo;
      hr_token_data pivot;
      double upper = 0.0;

      if (before (&d[mid], &d[lo]))
        swap_td (&d[mid], &d[lo]);
      if (before (&d[hi - 1], &d[lo]))
        swap_td (&d[hi - 1], &d[lo]);
      if (before (&d[mid], &d[hi - 1]))
        swap_td (&d[mid], &d[hi - 1]);
      pivot = d[hi - 1];
      for (size_t i = lo; i < hi - 1; i++)
        if (before (&d[i], &pivot))
          {
            upper += d[i].p;
            swap_td (&d[i], &d[store++]);
          }
      swap_td (&d[store], &d[hi - 1]);
      if (acc + upper >= target)
        hi = store;                           /* reached without the pivot */
      else if (acc + upper + pivot.p >= target)
        return store + 1;                     /* the pivot completes it */
      else
        {
          acc += upper + pivot.p;
          lo = store + 1;
        }
    }
  qsort (d + lo, hi - lo, sizeof *d, cmp_desc);
  for (size_t i = lo; i < hi; i++)
    {
      acc += d[i].p;
      if (acc >= target)
        return i + 1;
    }
  return hi < n ? hi : n;
}

void
hr_candidates_top_p (hr_candidates *c, float p, size_t min_keep)
{
  double cum = 0.0;
  size_t head;

  if (p >= 1.0f || c->size == 0)
    return;
  hr_candidates_softmax (c);

  /* The nucleus is usually small: sort a head of the list first. */
  head = c->size;
  if (!c->sorted)
    {
      head = c->size > 1024 ? 256 : c->size;
      hr_candidates_sort (c, head);
      if (head == c->size)
        c->sorted = true;
    }
  for (size_t i = 0; i < head; i++)
    {
      cum += c->data[i].p;
      if (cum >= p && i + 1 >= min_keep)
        {
          c->size = i + 1;
          c->sorted = true;
          return;
        }
    }
  if (head == c->size)
    return;   /* sorted everything, mass never reached (rounding): keep all */

  /* A wide nucleus (flat distribution): find its boundary without sorting the rest. */
  {
    size_t m = head + select_mass (c->data + head, c->size - head, cum, p);

    if (m >= min_keep)
      {
        c->size = m;
        return;   /* unordered beyond the head */
      }
    hr_candidates_sort (c, min_keep);
    c->size = min_keep;
    c->sorted = true;
  }
}

void
hr_candidates_min_p (hr_candidates *c, float p, size_t min_keep)
{
  float min_logit;
  size_t n = 0;

  if (p <= 0.0f || c->size == 0)
    return;
  if (!c->sorted)
    {
      /* p_i >= p * p_max  <=>  logit_i >= logit_max + log p, no softmax needed. */
      min_logit = c->data[hr_candidates_argmax (c)].logit + logf (p);
      for (size_t i = 0; i < c->size; i++)
        if (c->data[i].logit >= min_logit)
          n++;
      if (n >= 1 && n >= min_keep)
        {
          size_t o = 0;

          for (size_t i = 0; i < c->size; i++)
            if (c->data[i].logit >= min_logit)
              c->data[o++] = c->data[i];
          c->size = o;
          return;
        }
      hr_candidates_sort (c, c->size);
    }
  min_logit = c->data[0].logit + logf (p);
  n = 1;
  while (n < c->size && (c->data[n].logit >= min_logit || n < min_keep))
    n++;
  c->size = n;
}

void
hr_candidates_temp (hr_candidates *c, float temp)
{
  if (c->size == 0)
    return;
  if (temp <= 0.0f)
    {
      size_t best = hr_candidates_argmax (c);

      c->data[0] = c->data[best];
      c->size = 1;
      c->sorted = true;
      return;
    }
  for (size_t i = 0; i < c->size; i++)
    c->data[i].logit /= temp;
}

/* ---------------------------------------------------------------------------------------- */
/* The sampler                                                                              */

struct hr_sampler {
  hr_sampler_params params;
  int32_t           n_vocab;
  uint64_t          seed;        /* in use */
  hr_rng            rng;
  float            *work;        /* n_vocab: the logits after penalties */
  hr_token_data    *cand;        /* n_vocab */
  hr_candidates     cur;

  /* Penalty window: the last penalty_last_n accepted tokens and their counts. */
  hr_token         *ring;        /* penalty_last_n */
  int32_t           ring_head;   /* next slot to write */
  int32_t           ring_len;
  int32_t          *counts;      /* n_vocab */
};

void
hr_sampler_params_default (hr_sampler_params *p)
{
  memset (p, 0, sizeof *p);
  p->temp = 0.8f;
  p->top_k = 40;
  p->top_p = 0.95f;
  p->min_p = 0.05f;
  p->min_keep = 0;
  p->penalty_last_n = 64;
  p->repeat_penalty = 1.0f;
  p->frequency_penalty = 0.0f;
  p->presence_penalty = 0.0f;
  p->seed = HR_SEED_RANDOM;
}

static uint64_t
system_seed (void)
{
  uint64_t s;
  struct timespec ts;

  if (getentropy (&s, sizeof s) == 0 && s != HR_SEED_RANDOM)
    return s;
  clock_gettime (CLOCK_REALTIME, &ts);
  return ((uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec) & ~1ULL;
}

hr_sampler *
hr_sampler_new (const hr_sampler_params *p, int32_t n_vocab)
{
  hr_sampler *s;

  if (p == NULL || n_vocab <= 0 || isnan (p->temp) || isnan (p->top_p) || isnan (p->min_p)
      || p->penalty_last_n < 0 || p->min_keep < 0 || !isfinite (p->repeat_penalty)
      || p->repeat_penalty <= 0.0f || !isfinite (p->frequency_penalty)
      || !isfinite (p->presence_penalty))
    return NULL;
  s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->params = *p;
  s->n_vocab = n_vocab;
  s->cand = malloc ((size_t) n_vocab * sizeof *s->cand);
  s->work = malloc ((size_t) n_vocab * sizeof *s->work);
  s->counts = calloc ((size_t) n_vocab, sizeof *s->counts);
  if (p->penalty_last_n > 0)
    s->ring = malloc ((size_t) p->penalty_last_n * sizeof *s->ring);
  if (s->cand == NULL || s->work == NULL || s->counts == NULL
      || (p->penalty_last_n > 0 && s->ring == NULL))
    {
      hr_sampler_free (s);
      return NULL;
    }
  s->seed = p->seed == HR_SEED_RANDOM ? system_seed () : p->seed;
  hr_rng_seed (&s->rng, s->seed);
  return s;
}

void
hr_sampler_free (hr_sampler *s)
{
  if (s == NULL)
    return;
  free (s->cand);
  free (s->work);
  free (s->counts);
  free (s->ring);
  free (s);
}

const hr_sampler_params *
hr_sampler_get_params (const hr_sampler *s)
{
  return &s->params;
}

uint64_t
hr_sampler_seed (const hr_sampler *s)
{
  return s->seed;
}

void
hr_sampler_reset (hr_sampler *s)
{
  for (int32_t i = 0; i < s->ring_len; i++)
    s->counts[s->ring[i]] = 0;
  s->ring_len = 0;
  s->ring_head = 0;
  hr_rng_seed (&s->rng, s->seed);
}

void
hr_sampler_accept (hr_sampler *s, hr_token t)
{
  int32_t cap = s->params.penalty_last_n;

  if (cap <= 0 || t < 0 || t >= s->n_vocab)
    return;
  if (s->ring_len == cap)
    s->counts[s->ring[s->ring_head]]--;   /* the oldest leaves the window */
  else
    s->ring_len++;
  s->ring[s->ring_head] = t;
  s->ring_head = (s->ring_head + 1) % cap;
  s->counts[t]++;
}

/* Penalize the window's tokens in the work buffer (indexed by id). Each distinct token is
 * penalized once: its count is negated while done, then restored. */
static void
apply_penalties (hr_sampler *s)
{
  const hr_sampler_params *p = &s->params;

  if (s->ring_len == 0
      || (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f
          && p->presence_penalty == 0.0f))
    return;
  for (int32_t i = 0; i < s->ring_len; i++)
    {
      hr_token t = s->ring[i];
      int32_t count = s->counts[t];
      float *l = &s->work[t];

      if (count <= 0)
        continue;
      if (*l <= 0.0f)
        *l *= p->repeat_penalty;
      else
        *l /= p->repeat_penalty;
      *l -= (float) count * p->frequency_penalty + p->presence_penalty;
      s->counts[t] = -count;
    }
  for (int32_t i = 0; i < s->ring_len; i++)
    if (s->counts[s->ring[i]] < 0)
      s->counts[s->ring[i]] = -s->counts[s->ring[i]];
}

/* Best k of the work buffer into cand[0..k), sorted: one pass with a min-heap of size k, where
 * almost every token costs one comparison with the heap's worst. */
static size_t
heap_top_k (hr_sampler *s, size_t k)
{
  hr_token_data *h = s->cand;
  size_t n = 0;

  for (int32_t i = 0; i < s->n_vocab; i++)
    {
      hr_token_data x = { i, s->work[i], 0.0f };
      size_t j = 0;

      if (n == k)
        {
          /* Ties keep the lower id, already in the heap. */
          if (!(x.logit > h[0].logit))
            continue;
        }
      else
        {
          /* Sift up: the root is the worst (last in the total order). */
          j = n++;
          while (j > 0 && before (&h[(j - 1) / 2], &x))
            {
              h[j] = h[(j - 1) / 2];
              j = (j - 1) / 2;
            }
          h[j] = x;
          continue;
        }
      /* Replace the root and sift down. */
      for (;;)
        {
          size_t l = 2 * j + 1, r = l + 1, w = l;

          if (l >= n)
            break;
          if (r < n && before (&h[l], &h[r]))
            w = r;
          if (!before (&x, &h[w]))
            break;
          h[j] = h[w];
          j = w;
        }
      h[j] = x;
    }
  qsort (h, n, sizeof *h, cmp_desc);
  return n;
}

const hr_candidates *
hr_sampler_apply (hr_sampler *s, const float *logits)
{
  const hr_sampler_params *p = &s->params;
  hr_candidates *c = &s->cur;

  for (int32_t i = 0; i < s->n_vocab; i++)
    s->work[i] = isnan (logits[i]) ? -INFINITY : logits[i];
  apply_penalties (s);
  c->data = s->cand;

  if (p->temp <= 0.0f)
    {
      /* Greedy: every later step keeps the best token, so skip them. */
      int32_t best = 0;

      for (int32_t i = 1; i < s->n_vocab; i++)
        if (s->work[i] > s->work[best])
          best = i;
      s->cand[0] = (hr_token_data) { best, s->work[best], 1.0f };
      c->size = 1;
      c->sorted = true;
      return c;
    }
  if (p->top_k > 0 && p->top_k <= 4096 && p->top_k < s->n_vocab)
    {
      c->size = heap_top_k (s, (size_t) p->top_k);
      c->sorted = true;
    }
  else
    {
      for (int32_t i = 0; i < s->n_vocab; i++)
        s->cand[i] = (hr_token_data) { i, s->work[i], 0.0f };
      c->size = (size_t) s->n_vocab;
      c->sorted = false;
      hr_candidates_top_k (c, p->top_k);
    }
  hr_candidates_top_p (c, p->top_p, (size_t) p->min_keep);
  hr_candidates_min_p (c, p->min_p, (size_t) p->min_keep);
  hr_candidates_temp (c, p->temp);
  hr_candidates_softmax (c);
  return c;
}

hr_token
hr_sampler_sample (hr_sampler *s, const float *logits)
{
  const hr_candidates *c = hr_sampler_apply (s, logits);
  double sum = 0.0, target, run = 0.0;
  size_t last_pos = 0;

  if (c->size == 1)
    return c->data[0].id;
  for (size_t i = 0; i < c->size; i++)
    sum += c->data[i].p;
  target = hr_rng_uniform (&s->rng) * sum;
  for (size_t i = 0; i < c->size; i++)
    {
      if (c->data[i].p <= 0.0f)
        continue;
      run += c->data[i].p;
      last_pos = i;
      if (run > target)
        return c->data[i].id;
    }
  /* Rounding left target just above the total: the last token with mass. */
  return c->data[last_pos].id;
}
