/* unicode.c: UTF-8 helpers, code point classes and the pre-tokenizer splitters.
 *
 * The splitters reproduce what llama.cpp's unicode_regex_split() does for each pre-tokenizer:
 * a list of regexes applied one after the other, each one splitting every piece left by the
 * previous one into its matches and the gaps between them. llama.cpp runs most of these
 * through std::regex (ECMAScript: leftmost match, first alternative that succeeds), with
 * non-ASCII whitespace folded to \v; here each regex is a small scanner with the same result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

#include "unicode-tables.h"

/* ---------------------------------------------------------------------------------------- */
/* Classes                                                                                    */

static inline uint8_t
utable (uint32_t cp)
{
  if (cp >= 0x110000)
    return HR_UCLASS_UNDEFINED;
  return hr_utable_stage2[hr_utable_stage1[cp >> 8]][cp & 0xff];
}

hr_uclass
hr_unicode_class (uint32_t cp)
{
  return (hr_uclass) (utable (cp) & 0x0f);
}

bool
hr_unicode_is_space (uint32_t cp)
{
  return (utable (cp) & 0x10) != 0;
}

/* ---------------------------------------------------------------------------------------- */
/* UTF-8                                                                                      */

size_t
hr_utf8_len_from_lead (uint8_t c)
{
  static const uint8_t lookup[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
  return lookup[c >> 4];
}

static inline bool
is_cont (uint8_t c)
{
  return (c & 0xc0) == 0x80;
}

uint32_t
hr_utf8_decode_lenient (const char *str, size_t len, size_t *adv)
{
  const uint8_t *s = (const uint8_t *) str;
  uint32_t cp;

  *adv = 1;
  if (s[0] < 0x80)
    return s[0];
  if (!(s[0] & 0x40))
    return 0xfffd;
  if (!(s[0] & 0x20))
    {
      if (len < 2 || !is_cont (s[1]))
        return 0xfffd;
      *adv = 2;
      return ((uint32_t) (s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    }
  if (!(s[0] & 0x10))
    {
      if (len < 3 || !is_cont (s[1]) || !is_cont (s[2]))
        return 0xfffd;
      *adv = 3;
      return ((uint32_t) (s[0] & 0x0f) << 12) | ((uint32_t) (s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
  if (!(s[0] & 0x08))
    {
      if (len < 4 || !is_cont (s[1]) || !is_cont (s[2]) || !is_cont (s[3]))
        return 0xfffd;
      cp = ((uint32_t) (s[0] & 0x07) << 18) | ((uint32_t) (s[1] & 0x3f) << 12)
           | ((uint32_t) (s[2] & 0x3f) << 6) | (s[3] & 0x3f);
      /* llama.cpp would throw while re-encoding these; treat them as malformed. */
      if (cp > 0x10ffff)
        return 0xfffd;
      *adv = 4;
      return cp;
    }
  return 0xfffd;
}

int
hr_utf8_check (const uint8_t *s, size_t len)
{
  uint8_t c = s[0];
  uint8_t lo = 0x80, hi = 0xbf;
  int need;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    need = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      need = 3;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      need = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return -1;

  for (int i = 1; i < need; i++)
    {
      if ((size_t) i >= len)
        return 0;
      if (i == 1 ? (s[i] < lo || s[i] > hi) : !is_cont (s[i]))
        return -1;
    }
  return need;
}

bool
hr_utf8_valid (const char *str, size_t len)
{
  const uint8_t *s = (const uint8_t *) str;
  size_t i = 0;

  while (i < len)
    {
      int n = hr_utf8_check (s + i, len - i);
      if (n <= 0)
        return false;
      i += (size_t) n;
    }
  return true;
}

int
hr_utf8_encode (uint32_t cp, char out[4])
{
  if (cp <= 0x7f)
    {
      out[0] = (char) cp;
      return 1;
    }
  if (cp <= 0x7ff)
    {
      out[0] = (char) (0xc0 | (cp >> 6));
      out[1] = (char) (0x80 | (cp & 0x3f));
      return 2;
    }
  if (cp <= 0xffff)
    {
      out[0] = (char) (0xe0 | (cp >> 12));
      out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
      out[2] = (char) (0x80 | (cp & 0x3f));
      return 3;
    }
  if (cp <= 0x10ffff)
    {
      out[0] = (char) (0xf0 | (cp >> 18));
      out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
      out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
      out[3] = (char) (0x80 | (cp & 0x3f));
      return 4;
    }
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Byte-level BPE mapping (GPT-2's bytes_to_unicode): printable Latin-1 bytes stand for
 * themselves, the other 68 bytes are shifted to U+0100 and up, in byte order. */

static inline bool
byte_is_printable (uint32_t b)
{
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

uint32_t
hr_byte_to_cp (uint8_t b)
{
  if (byte_is_printable (b))
    return b;
  if (b <= 0x20)
    return 256 + b;
  if (b >= 0x7f && b <= 0xa0)
    return 256 + 33 + (uint32_t) (b - 0x7f);
  return 256 + 67;   /* 0xad, the soft hyphen */
}

int
hr_cp_to_byte (uint32_t cp)
{
  if (cp < 256)
    return byte_is_printable (cp) ? (int) cp : -1;
  if (cp <= 256 + 0x20)
    return (int) (cp - 256);
  if (cp <= 256 + 66)
    return (int) (cp - 256 - 33 + 0x7f);
  if (cp == 256 + 67)
    return 0xad;
  return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Pre-tokenizer scanners                                                                     */

typedef struct {
  size_t *v;
  size_t n, cap;
  bool oom;
} lens_t;

static void
lens_push (lens_t *l, size_t len)
{
  if (len == 0 || l->oom)
    return;
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 64;
      size_t *v = realloc (l->v, cap * sizeof *v);
      if (!v)
        {
          l->oom = true;
          return;
        }
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = len;
}

/* What \s matches in llama.cpp's regexes: ASCII whitespace, and non-ASCII White_Space,
 * which it folds to \v before matching. */
static inline bool
re_space (uint32_t cp)
{
  return hr_unicode_is_space (cp);
}

static inline bool
re_letter (uint32_t cp)
{
  return hr_unicode_class (cp) == HR_UCLASS_LETTER;
}

static inline bool
re_number (uint32_t cp)
{
  return hr_unicode_class (cp) == HR_UCLASS_NUMBER;
}

static inline bool
re_punct (uint32_t cp)
{
  return hr_unicode_class (cp) == HR_UCLASS_PUNCT;
}

typedef struct {
  uint32_t first, last;
} cp_range;

static bool
in_ranges (const cp_range *r, size_t n, uint32_t cp)
{
  size_t lo = 0, hi = n;

  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      if (cp < r[mid].first)
        hi = mid;
      else if (cp > r[mid].last)
        lo = mid + 1;
      else
        return true;
    }
  return false;
}

/* The letter class of DeepSeek LLM's pre-tokenizer ("\s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+"). */
static const cp_range dsllm_letters[] = {
  { 0x41, 0x5A }, { 0x61, 0x7A }, { 0xB5, 0xB5 }, { 0xC0, 0xD6 }, { 0xD8, 0xF6 },
  { 0xF8, 0x1BA }, { 0x1BC, 0x1BF }, { 0x1C4, 0x293 }, { 0x295, 0x2AF }, { 0x370, 0x373 },
  { 0x376, 0x377 }, { 0x37B, 0x37D }, { 0x37F, 0x37F }, { 0x386, 0x386 }, { 0x388, 0x38A },
  { 0x38C, 0x38C }, { 0x38E, 0x3A1 }, { 0x3A3, 0x3F5 }, { 0x3F7, 0x481 }, { 0x48A, 0x52F },
  { 0x531, 0x556 }, { 0x10A0, 0x10C5 }, { 0x13A0, 0x13F5 }, { 0x13F8, 0x13FD },
  { 0x1C90, 0x1CBA }, { 0x1CBD, 0x1CBF }, { 0x1D00, 0x1D2B }, { 0x1D6B, 0x1D77 },
  { 0x1D79, 0x1D9A }, { 0x1E00, 0x1F15 }, { 0x1F18, 0x1F1D }, { 0x1F20, 0x1F45 },
  { 0x1F48, 0x1F4D }, { 0x1F50, 0x1F57 }, { 0x1F59, 0x1F59 }, { 0x1F5B, 0x1F5B },
  { 0x1F5D, 0x1F5D }, { 0x1F5F, 0x1F7D }, { 0x1F80, 0x1FB4 }, { 0x1FB6, 0x1FBC },
  { 0x1FBE, 0x1FBE }, { 0x1FC2, 0x1FC4 }, { 0x1FC6, 0x1FCC }, { 0x1FD0, 0x1FD3 },
  { 0x1FD6, 0x1FDB }, { 0x1FE0, 0x1FEC }, { 0x1FF2, 0x1FF4 }, { 0x1FF6, 0x1FFC },
  { 0x2102, 0x2102 }, { 0x2107, 0x2107 }, { 0x210A, 0x2113 }, { 0x2115, 0x2115 },
  { 0x2119, 0x211D }, { 0x2124, 0x2124 }, { 0x2126, 0x2126 }, { 0x2128, 0x2128 },
  { 0x212A, 0x212D }, { 0x212F, 0x2134 }, { 0x2139, 0x2139 }, { 0x213C, 0x213F },
  { 0x2145, 0x2149 }, { 0x214E, 0x214E }, { 0x2183, 0x2184 }, { 0x2C00, 0x2C7B },
  { 0x2C7E, 0x2CE4 }, { 0x2CEB, 0x2CEE }, { 0x2CF2, 0x2CF3 }, { 0xA640, 0xA66D },
  { 0xA680, 0xA69B }, { 0xA722, 0xA76F }, { 0xA771, 0xA787 }, { 0xA78B, 0xA78E },
  { 0xAB70, 0xABBF }, { 0xFB00, 0xFB06 }, { 0xFB13, 0xFB17 }, { 0xFF21, 0xFF3A },
  { 0xFF41, 0xFF5A }, { 0x10400, 0x1044F }, { 0x104B0, 0x104D3 }, { 0x104D8, 0x104FB },
  { 0x10C80, 0x10CB2 }, { 0x10CC0, 0x10CF2 }, { 0x118A0, 0x118DF }, { 0x1E900, 0x1E943 },
};

/* "[!-/:-~！-／：-～‘-‟　-。]" */
static const cp_range dsllm_punct[] = {
  { 0x21, 0x2F }, { 0x3A, 0x7E }, { 0x2018, 0x201F }, { 0x3000, 0x3002 },
  { 0xFF01, 0xFF0F }, { 0xFF1A, 0xFF5E },
};

/* "[一-龥ࠀ-一가-퟿]" */
static const cp_range deepseek_cjk[] = {
  { 0x0800, 0x4E00 }, { 0x4E00, 0x9FA5 }, { 0xAC00, 0xD7FF },
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Literal character classes see non-ASCII whitespace as \v, so it never matches them. */
static inline bool
folded_in_ranges (const cp_range *r, size_t n, uint32_t cp)
{
  if (cp > 0x7f && hr_unicode_is_space (cp))
    return false;
  return in_ranges (r, n, cp);
}

static bool
cls_dsllm_letter (uint32_t cp)
{
  return folded_in_ranges (dsllm_letters, N_ELEMENTS (dsllm_letters), cp);
}

static bool
cls_dsllm_punct (uint32_t cp)
{
  return folded_in_ranges (dsllm_punct, N_ELEMENTS (dsllm_punct), cp);
}

static bool
cls_cjk (uint32_t cp)
{
  return folded_in_ranges (deepseek_cjk, N_ELEMENTS (deepseek_cjk), cp);
}

/* "[\p{P}\$\+<=>\^~\|]": with llama.cpp's category folding, ASCII keeps its own class. */
static bool
cls_default_punct (uint32_t cp)
{
  if (cp < 0x80)
    return cp != 0 && strchr ("!\"#%&'()*,-./:;?@[\\]_{}$+<=>^~|", (int) cp) != NULL;
  return re_punct (cp) && !hr_unicode_is_space (cp);
}

static bool
cls_crlf (uint32_t cp)
{
  return cp == '\r' || cp == '\n';
}

typedef bool (*cls_fn) (uint32_t cp);

typedef enum {
  STAGE_SINGLE,       /* X */
  STAGE_RUN,          /* X+ */
  STAGE_OPT_SPACE_RUN,/* \s?X+ */
  STAGE_TRAILING_WS,  /* \s+$ */
  STAGE_THREE_DIGITS, /* [0-9][0-9][0-9] */
  STAGE_GPT2,
  STAGE_LLAMA3,       /* arg: maximum digits per number */
} stage_kind;

typedef struct {
  stage_kind kind;
  cls_fn cls;
  int arg;
} stage;

static size_t
run_len (const uint32_t *c, size_t p, size_t end, cls_fn cls)
{
  size_t q = p;
  while (q < end && cls (c[q]))
    q++;
  return q - p;
}

/* Length of the match anchored at p, 0 when none. */
static size_t
match_at (const stage *st, const uint32_t *c, size_t p, size_t end)
{
  switch (st->kind)
    {
    case STAGE_SINGLE:
      return st->cls (c[p]) ? 1 : 0;
    case STAGE_RUN:
      return run_len (c, p, end, st->cls);
    case STAGE_OPT_SPACE_RUN:
      if (re_space (c[p]) && p + 1 < end && st->cls (c[p + 1]))
        return 1 + run_len (c, p + 1, end, st->cls);
      return run_len (c, p, end, st->cls);
    case STAGE_THREE_DIGITS:
      if (p + 3 <= end && c[p] - '0' < 10 && c[p + 1] - '0' < 10 && c[p + 2] - '0' < 10)
        return 3;
      return 0;
    case STAGE_TRAILING_WS:
    case STAGE_GPT2:
    case STAGE_LLAMA3:
    default:
      return 0;
    }
}

static void
split_search (const stage *st, const uint32_t *c, size_t a, size_t b, lens_t *out)
{
  size_t gap = a, p = a;

  if (st->kind == STAGE_TRAILING_WS)
    {
      size_t t = b;
      while (t > a && re_space (c[t - 1]))
        t--;
      lens_push (out, t - a);
      lens_push (out, b - t);
      return;
    }
  while (p < b)
    {
      size_t m = match_at (st, c, p, b);
      if (m)
        {
          lens_push (out, p - gap);
          lens_push (out, m);
          p += m;
          gap = p;
        }
      else
        p++;
    }
  lens_push (out, b - gap);
}

/* Flags of the code point at pos, "none" outside the piece (as llama.cpp's _get_flags). */
typedef struct {
  bool any, letter, number, space;
} cpflags;

static inline cpflags
flags_at (const uint32_t *c, size_t pos, size_t a, size_t b)
{
  cpflags f = { false, false, false, false };
  if (pos >= a && pos < b)
    {
      hr_uclass k = hr_unicode_class (c[pos]);
      f.any = true;
      f.letter = k == HR_UCLASS_LETTER;
      f.number = k == HR_UCLASS_NUMBER;
      f.space = hr_unicode_is_space (c[pos]);
    }
  return f;
}

static inline uint32_t
ascii_lower (uint32_t cp)
{
  return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
}

/* 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive; returns the match length or 0. */
static size_t
contraction (const uint32_t *c, size_t pos, size_t b, bool icase)
{
  uint32_t n1, n2;

  if (c[pos] != '\'' || pos + 1 >= b)
    return 0;
  n1 = icase ? ascii_lower (c[pos + 1]) : c[pos + 1];
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd')
    return 2;
  if (pos + 2 >= b)
    return 0;
  n2 = icase ? ascii_lower (c[pos + 2]) : c[pos + 2];
  if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l'))
    return 3;
  return 0;
}

static inline bool
other (cpflags f)
{
  return f.any && !(f.space || f.letter || f.number);
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void
split_gpt2 (const uint32_t *c, size_t a, size_t b, lens_t *out)
{
  size_t pos = a;

  while (pos < b)
    {
      size_t start = pos, m, nws;
      bool sp = c[pos] == ' ';
      cpflags f2 = flags_at (c, sp ? pos + 1 : pos, a, b);

      if ((m = contraction (c, pos, b, false)))
        pos += m;
      else if (f2.letter)
        {
          pos += sp;
          while (flags_at (c, pos, a, b).letter)
            pos++;
        }
      else if (f2.number)
        {
          pos += sp;
          while (flags_at (c, pos, a, b).number)
            pos++;
        }
      else if (other (f2))
        {
          pos += sp;
          while (other (flags_at (c, pos, a, b)))
            pos++;
        }
      else
        {
          nws = 0;
          while (flags_at (c, pos + nws, a, b).space)
            nws++;
          if (nws > 1 && pos + nws < b)
            pos += nws - 1;
          else if (nws > 0)
            pos += nws;
          else
            pos++;
        }
      lens_push (out, pos - start);
    }
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}| ?[^\s\p{L}\p{N}]+[\r\n]*
 * |\s*[\r\n]+|\s+(?!\S)|\s+ */
static void
split_llama3 (const uint32_t *c, size_t a, size_t b, size_t max_digits, lens_t *out)
{
  size_t pos = a;

  while (pos < b)
    {
      uint32_t cpt = c[pos];
      cpflags f = flags_at (c, pos, a, b);
      size_t start = pos, m;

      if ((m = contraction (c, pos, b, true)))
        {
          pos += m;
          lens_push (out, m);
          continue;
        }
      if (!(cpt == '\r' || cpt == '\n' || f.number)
          && (f.letter || flags_at (c, pos + 1, a, b).letter))
        {
          pos++;
          while (flags_at (c, pos, a, b).letter)
            pos++;
          lens_push (out, pos - start);
          continue;
        }
      if (f.number)
        {
          size_t ini = pos;
          while (flags_at (c, pos, a, b).number)
            {
              if (++pos - ini >= max_digits)
                {
                  lens_push (out, pos - ini);
                  ini = pos;
                }
            }
          lens_push (out, pos - ini);
          continue;
        }
      {
        cpflags f2 = cpt == ' ' ? flags_at (c, pos + 1, a, b) : f;
        if (!(f2.space || f2.letter || f2.number) && f.any)
          {
            pos += cpt == ' ';
            while (other (flags_at (c, pos, a, b)))
              pos++;
            while (pos < b && (c[pos] == '\r' || c[pos] == '\n'))
              pos++;
            lens_push (out, pos - start);
            continue;
          }
      }
      {
        size_t nws = 0, last_rn = 0;
        while (flags_at (c, pos + nws, a, b).space)
          {
            if (c[pos + nws] == '\r' || c[pos + nws] == '\n')
              last_rn = pos + nws + 1;
            nws++;
          }
        if (last_rn > 0)
          pos = last_rn;
        else if (nws > 1 && pos + nws < b)
          pos += nws - 1;
        else if (nws > 0)
          pos += nws;
        else
          pos++;
        lens_push (out, pos - start);
      }
    }
}

static const stage stages_default[] = {
  { STAGE_RUN, cls_default_punct, 0 },
  { STAGE_GPT2, NULL, 0 },
  { STAGE_RUN, re_number, 0 },
  { STAGE_THREE_DIGITS, NULL, 0 },
};
static const stage stages_llama3[] = { { STAGE_LLAMA3, NULL, 3 } };
static const stage stages_qwen2[] = { { STAGE_LLAMA3, NULL, 1 } };
static const stage stages_gpt2[] = { { STAGE_GPT2, NULL, 0 } };
static const stage stages_starcoder[] = {
  { STAGE_SINGLE, re_number, 0 },
  { STAGE_GPT2, NULL, 0 },
};
static const stage stages_deepseek_llm[] = {
  { STAGE_SINGLE, cls_crlf, 0 },
  { STAGE_OPT_SPACE_RUN, cls_dsllm_letter, 0 },
  { STAGE_OPT_SPACE_RUN, cls_dsllm_punct, 0 },
  { STAGE_TRAILING_WS, NULL, 0 },
  { STAGE_RUN, cls_cjk, 0 },
  { STAGE_RUN, re_number, 0 },
};
static const stage stages_deepseek_coder[] = {
  { STAGE_SINGLE, cls_crlf, 0 },
  { STAGE_OPT_SPACE_RUN, re_letter, 0 },
  { STAGE_OPT_SPACE_RUN, re_punct, 0 },
  { STAGE_RUN, cls_cjk, 0 },
  { STAGE_SINGLE, re_number, 0 },
};

int64_t
hr_pretok_split (hr_pretok kind, const uint32_t *cps, size_t n, size_t **lens_out)
{
  const stage *st;
  size_t n_st;
  lens_t cur = { 0 }, next = { 0 };

  switch (kind)
    {
    case HR_PRETOK_LLAMA3: st = stages_llama3; n_st = N_ELEMENTS (stages_llama3); break;
    case HR_PRETOK_QWEN2: st = stages_qwen2; n_st = N_ELEMENTS (stages_qwen2); break;
    case HR_PRETOK_GPT2: st = stages_gpt2; n_st = N_ELEMENTS (stages_gpt2); break;
    case HR_PRETOK_STARCODER: st = stages_starcoder; n_st = N_ELEMENTS (stages_starcoder); break;
    case HR_PRETOK_DEEPSEEK_LLM:
      st = stages_deepseek_llm;
      n_st = N_ELEMENTS (stages_deepseek_llm);
      break;
    case HR_PRETOK_DEEPSEEK_CODER:
      st = stages_deepseek_coder;
      n_st = N_ELEMENTS (stages_deepseek_coder);
      break;
    case HR_PRETOK_DEFAULT:
    default:
      st = stages_default;
      n_st = N_ELEMENTS (stages_default);
      break;
    }

  *lens_out = NULL;
  lens_push (&cur, n);
  for (size_t s = 0; s < n_st && !cur.oom; s++)
    {
      size_t start = 0;
      next.n = 0;
      for (size_t i = 0; i < cur.n; i++)
        {
          size_t a = start, b = start + cur.v[i];
          if (st[s].kind == STAGE_GPT2)
            split_gpt2 (cps, a, b, &next);
          else if (st[s].kind == STAGE_LLAMA3)
            split_llama3 (cps, a, b, (size_t) st[s].arg, &next);
          else
            split_search (&st[s], cps, a, b, &next);
          start = b;
        }
      {
        lens_t t = cur;
        cur = next;
        next = t;
      }
      cur.oom |= next.oom;
    }
  free (next.v);
  if (cur.oom)
    {
      free (cur.v);
      return -1;
    }
  *lens_out = cur.v;
  return (int64_t) cur.n;
}
