/* chat-template.c: chat template families, detected by markers in the Jinja source and
 * written out by hand from the published templates (cited per family below). Heron does
 * not run Jinja: each family's rendering is a few lines of C that produce the same text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chat-template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* A growing string                                                                         */

typedef struct {
  char  *s;
  size_t len, cap;
  bool   oom;
} sbuf;

static void
sb_addn (sbuf *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap : 256;
      char *ns;

      while (b->len + n + 1 > cap)
        cap *= 2;
      ns = realloc (b->s, cap);
      if (ns == NULL)
        {
          b->oom = true;
          return;
        }
      b->s = ns;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void
sb_add (sbuf *b, const char *s)
{
  sb_addn (b, s, strlen (s));
}

static char *
sb_steal (sbuf *b)
{
  if (b->oom)
    {
      free (b->s);
      return NULL;
    }
  if (b->s == NULL)
    return strdup ("");
  return b->s;
}

/* A slice of a string. */
typedef struct {
  const char *p;
  size_t      n;
} span;

static span
span_of (const char *s)
{
  return (span) { s ? s : "", s ? strlen (s) : 0 };
}

static void
sb_span (sbuf *b, span s)
{
  sb_addn (b, s.p, s.n);
}

static bool
is_ws (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Jinja's |trim and Python's str.strip() (ASCII whitespace). */
static span
strip (span s)
{
  while (s.n > 0 && is_ws (s.p[0]))
    s.p++, s.n--;
  while (s.n > 0 && is_ws (s.p[s.n - 1]))
    s.n--;
  return s;
}

static span
strip_char (span s, char c, bool left, bool right)
{
  while (left && s.n > 0 && s.p[0] == c)
    s.p++, s.n--;
  while (right && s.n > 0 && s.p[s.n - 1] == c)
    s.n--;
  return s;
}

/* Position of the first / last occurrence of needle in s, or -1. */
static ptrdiff_t
span_find (span s, const char *needle, bool last)
{
  size_t nl = strlen (needle);
  ptrdiff_t found = -1;

  if (nl > s.n)
    return -1;
  for (size_t i = 0; i + nl <= s.n; i++)
    if (memcmp (s.p + i, needle, nl) == 0)
      {
        found = (ptrdiff_t) i;
        if (!last)
          break;
      }
  return found;
}

static bool
role_is (const hr_chat_msg *m, const char *role)
{
  return m->role != NULL && strcmp (m->role, role) == 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Detection                                                                                */

/* DeepSeek's markers use fullwidth bars (U+FF5C) and U+2581. */
#define DS_USER      "<\xef\xbd\x9c" "User\xef\xbd\x9c>"
#define DS_ASSISTANT "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"
#define DS_EOS       "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

static bool
has (const char *s, const char *marker)
{
  return strstr (s, marker) != NULL;
}

static int
detect (const char *t)
{
  if (t == NULL || *t == '\0')
    return -1;
  /* Order as in llama.cpp's detector: ChatML markers first, then [INST], ... */
  if (has (t, "<|im_start|>"))
    {
      /* A generation prompt that opens the reasoning block. */
      if (has (t, "<|im_start|>assistant\\n<think>\\n'")
          || has (t, "<|im_start|>assistant\n<think>\n'"))
        return has (t, "reasoning_content") ? HR_CHAT_QWEN3_THINKING : HR_CHAT_QWQ;
      if (has (t, "<think>"))
        return HR_CHAT_QWEN3;
      if (has (t, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."))
        return HR_CHAT_QWEN25;
      if (has (t, "<|im_start|>system\\nYou are a helpful assistant.<|im_end|>")
          || has (t, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>"))
        return HR_CHAT_QWEN2;
      return HR_CHAT_CHATML;
    }
  if (has (t, "[INST]"))
    {
      if (has (t, "<<SYS>>") || has (t, "bos_token + '[INST]"))
        return HR_CHAT_LLAMA2;
      if (has (t, "[AVAILABLE_TOOLS]"))
        return HR_CHAT_MISTRAL_V3;
      return HR_CHAT_MISTRAL;
    }
  if (has (t, "<|assistant|>") && has (t, "<|end|>"))
    return HR_CHAT_PHI3;
  if (has (t, "<|user|>") && (has (t, "</s>") || has (t, "eos_token")))
    return HR_CHAT_ZEPHYR;
  if (has (t, "<start_of_turn>"))
    return HR_CHAT_GEMMA;
  if (has (t, "<|start_header_id|>") && has (t, "<|end_header_id|>"))
    return HR_CHAT_LLAMA3;
  if (has (t, DS_ASSISTANT) && has (t, DS_USER))
    return HR_CHAT_DEEPSEEK_R1;
  return -1;
}

hr_chat_family
hr_chat_detect (const char *jinja)
{
  int f = detect (jinja);

  return f < 0 ? HR_CHAT_CHATML : (hr_chat_family) f;
}

bool
hr_chat_detect_known (const char *jinja)
{
  return detect (jinja) >= 0;
}

static const char *const family_names[HR_CHAT_N_FAMILIES] = {
  [HR_CHAT_CHATML] = "chatml",
  [HR_CHAT_QWEN2] = "qwen2",
  [HR_CHAT_QWEN25] = "qwen2.5",
  [HR_CHAT_QWEN3] = "qwen3",
  [HR_CHAT_QWEN3_THINKING] = "qwen3-thinking",
  [HR_CHAT_QWQ] = "qwq",
  [HR_CHAT_LLAMA3] = "llama3",
  [HR_CHAT_LLAMA2] = "llama2",
  [HR_CHAT_MISTRAL] = "mistral",
  [HR_CHAT_MISTRAL_V3] = "mistral-v3",
  [HR_CHAT_DEEPSEEK_R1] = "deepseek-r1",
  [HR_CHAT_PHI3] = "phi3",
  [HR_CHAT_GEMMA] = "gemma",
  [HR_CHAT_ZEPHYR] = "zephyr",
};

const char *
hr_chat_family_name (hr_chat_family f)
{
  if ((int) f < 0 || f >= HR_CHAT_N_FAMILIES)
    return NULL;
  return family_names[f];
}

int
hr_chat_family_from_name (const char *name)
{
  for (int i = 0; name != NULL && i < HR_CHAT_N_FAMILIES; i++)
    if (strcmp (name, family_names[i]) == 0)
      return i;
  return -1;
}

bool
hr_chat_template_has_bos (hr_chat_family f)
{
  switch (f)
    {
    case HR_CHAT_LLAMA3:
    case HR_CHAT_LLAMA2:
    case HR_CHAT_MISTRAL:
    case HR_CHAT_MISTRAL_V3:
    case HR_CHAT_DEEPSEEK_R1:
    case HR_CHAT_GEMMA:
      return true;
    default:
      return false;
    }
}

bool
hr_chat_starts_in_think (hr_chat_family f)
{
  return f == HR_CHAT_DEEPSEEK_R1 || f == HR_CHAT_QWQ || f == HR_CHAT_QWEN3_THINKING;
}

const char *
hr_chat_end_of_turn (hr_chat_family f)
{
  switch (f)
    {
    case HR_CHAT_CHATML:
    case HR_CHAT_QWEN2:
    case HR_CHAT_QWEN25:
    case HR_CHAT_QWEN3:
    case HR_CHAT_QWEN3_THINKING:
    case HR_CHAT_QWQ:
      return "<|im_end|>";
    case HR_CHAT_LLAMA3:
      return "<|eot_id|>";
    case HR_CHAT_LLAMA2:
    case HR_CHAT_MISTRAL:
    case HR_CHAT_MISTRAL_V3:
    case HR_CHAT_ZEPHYR:
      return "</s>";
    case HR_CHAT_DEEPSEEK_R1:
      return DS_EOS;
    case HR_CHAT_PHI3:
      return "<|end|>";
    case HR_CHAT_GEMMA:
      return "<end_of_turn>";
    default:
      return NULL;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Families                                                                                 */

/* ChatML as in Qwen2 / Qwen2.5 Instruct's templates (models/templates/
 * Qwen-Qwen2.5-7B-Instruct.jinja in llama.cpp): a first system message is rendered first;
 * without one Qwen2 and Qwen2.5 insert their default system prompt. */
static void
format_chatml (sbuf *b, const hr_chat_msg *m, size_t n, const char *default_system, bool gen)
{
  if (default_system != NULL && (n == 0 || !role_is (&m[0], "system")))
    {
      sb_add (b, "<|im_start|>system\n");
      sb_add (b, default_system);
      sb_add (b, "<|im_end|>\n");
    }
  for (size_t i = 0; i < n; i++)
    {
      if (!role_is (&m[i], "system") && !role_is (&m[i], "user")
          && !role_is (&m[i], "assistant"))
        continue;
      sb_add (b, "<|im_start|>");
      sb_add (b, m[i].role);
      sb_add (b, "\n");
      sb_span (b, span_of (m[i].content));
      sb_add (b, "<|im_end|>\n");
    }
  if (gen)
    sb_add (b, "<|im_start|>assistant\n");
}

/* Qwen3 (tokenizer.chat_template of Qwen3-0.6B, ../shared/testdata/vocab/
 * ggml-vocab-qwen2.gguf): an assistant turn's content is split at '</think>' into reasoning
 * and answer; turns before the last user query keep only the answer, later ones are
 * re-wrapped as <think>\nREASONING\n</think>\n\nANSWER when they are the last message or
 * have reasoning. The Qwen3 ...-Thinking-2507 models use the same template with a generation
 * prompt that opens the block: '<|im_start|>assistant\n<think>\n'. */
static void
format_qwen3 (sbuf *b, const hr_chat_msg *m, size_t n, bool gen, bool thinking,
              bool opens_think)
{
  size_t last_query = n ? n - 1 : 0;

  for (size_t i = n; i-- > 0;)
    if (role_is (&m[i], "user"))
      {
        last_query = i;
        break;
      }
  for (size_t i = 0; i < n; i++)
    {
      span c = span_of (m[i].content);

      if (role_is (&m[i], "user") || role_is (&m[i], "system"))
        {
          sb_add (b, "<|im_start|>");
          sb_add (b, m[i].role);
          sb_add (b, "\n");
          sb_span (b, c);
          sb_add (b, "<|im_end|>\n");
        }
      else if (role_is (&m[i], "assistant"))
        {
          span content = c, reasoning = { "", 0 };
          ptrdiff_t end_last = span_find (c, "</think>", true);

          if (end_last >= 0)
            {
              ptrdiff_t end_first = span_find (c, "</think>", false);
              span before = { c.p, (size_t) end_first };
              ptrdiff_t open = span_find (before, "<think>", true);

              content.p = c.p + end_last + strlen ("</think>");
              content.n = c.n - (size_t) end_last - strlen ("</think>");
              content = strip_char (content, '\n', true, false);
              reasoning = strip_char (before, '\n', false, true);
              if (open >= 0)
                {
                  reasoning.p += open + strlen ("<think>");
                  reasoning.n -= (size_t) open + strlen ("<think>");
                }
              reasoning = strip_char (reasoning, '\n', true, false);
            }
          sb_add (b, "<|im_start|>assistant\n");
          if (i > last_query && (i == n - 1 || reasoning.n > 0))
            {
              sb_add (b, "<think>\n");
              sb_span (b, strip_char (reasoning, '\n', true, true));
              sb_add (b, "\n</think>\n\n");
              sb_span (b, strip_char (content, '\n', true, false));
            }
          else
            sb_span (b, content);
          sb_add (b, "<|im_end|>\n");
        }
    }
  if (gen)
    {
      sb_add (b, "<|im_start|>assistant\n");
      if (opens_think)
        sb_add (b, "<think>\n");
      else if (!thinking)
        sb_add (b, "<think>\n\n</think>\n\n");
    }
}

/* QwQ-32B (llama.cpp models/templates/Qwen-QwQ-32B.jinja): ChatML without a default system
 * prompt; every assistant turn but the last keeps only what follows its last '</think>'
 * (left-stripped of newlines); the generation prompt opens the reasoning block. */
static void
format_qwq (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  for (size_t i = 0; i < n; i++)
    {
      span c = span_of (m[i].content);

      if (!role_is (&m[i], "system") && !role_is (&m[i], "user")
          && !role_is (&m[i], "assistant"))
        continue;
      if (role_is (&m[i], "assistant") && i != n - 1)
        {
          ptrdiff_t end = span_find (c, "</think>", true);

          if (end >= 0)
            {
              c.p += end + strlen ("</think>");
              c.n -= (size_t) end + strlen ("</think>");
              c = strip_char (c, '\n', true, false);
            }
        }
      sb_add (b, "<|im_start|>");
      sb_add (b, m[i].role);
      sb_add (b, "\n");
      sb_span (b, c);
      sb_add (b, "<|im_end|>\n");
    }
  if (gen)
    sb_add (b, "<|im_start|>assistant\n<think>\n");
}

/* Llama 3 / 3.1 Instruct (ggml-vocab-llama-bpe.gguf's template, Meta-Llama-3-8B-Instruct):
 * bos_token + for each message <|start_header_id|>ROLE<|end_header_id|>\n\n + content|trim
 * + <|eot_id|>. The leading BOS is left to hr_chat_tokenize. */
static void
format_llama3 (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  for (size_t i = 0; i < n; i++)
    {
      if (!role_is (&m[i], "system") && !role_is (&m[i], "user")
          && !role_is (&m[i], "assistant"))
        continue;
      sb_add (b, "<|start_header_id|>");
      sb_add (b, m[i].role);
      sb_add (b, "<|end_header_id|>\n\n");
      sb_span (b, strip (span_of (m[i].content)));
      sb_add (b, "<|eot_id|>");
    }
  if (gen)
    sb_add (b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* First system message, and whether messages[0] is it. */
static const hr_chat_msg *
first_system (const hr_chat_msg *m, size_t n)
{
  return n > 0 && role_is (&m[0], "system") ? &m[0] : NULL;
}

/* Llama 2 chat (meta-llama/Llama-2-7b-chat-hf tokenizer_config.json): each user turn is
 * bos_token + '[INST] ' + content.strip() + ' [/INST]', each answer ' ' + content.strip() +
 * ' ' + eos_token; the system prompt goes inside the first [INST] as
 * '<<SYS>>\n' + system + '\n<</SYS>>\n\n'. */
static void
format_llama2 (sbuf *b, const hr_chat_msg *m, size_t n)
{
  const hr_chat_msg *sys = first_system (m, n);
  bool first = true;

  for (size_t i = sys ? 1 : 0; i < n; i++)
    {
      if (role_is (&m[i], "user"))
        {
          sbuf content = { 0 };

          if (first && sys != NULL)
            {
              sb_add (&content, "<<SYS>>\n");
              sb_span (&content, span_of (sys->content));
              sb_add (&content, "\n<</SYS>>\n\n");
            }
          sb_span (&content, span_of (m[i].content));
          if (content.oom)
            b->oom = true;
          if (!first)
            sb_add (b, "<s>");
          sb_add (b, "[INST] ");
          sb_span (b, strip ((span) { content.s ? content.s : "", content.len }));
          sb_add (b, " [/INST]");
          free (content.s);
          first = false;
        }
      else if (role_is (&m[i], "assistant"))
        {
          sb_add (b, " ");
          sb_span (b, strip (span_of (m[i].content)));
          sb_add (b, " </s>");
          first = false;
        }
    }
}

/* Mistral 7B Instruct v0.1/v0.2 (tokenizer_config.json): bos_token, then '[INST] ' + content
 * + ' [/INST]' per user turn and content + eos_token per answer. The template refuses a
 * system role; Heron puts it before the first user message, separated by a blank line, as
 * v0.3's template does. */
static void
format_mistral (sbuf *b, const hr_chat_msg *m, size_t n)
{
  const hr_chat_msg *sys = first_system (m, n);
  bool first = true;

  for (size_t i = sys ? 1 : 0; i < n; i++)
    {
      if (role_is (&m[i], "user"))
        {
          sb_add (b, "[INST] ");
          if (first && sys != NULL)
            {
              sb_span (b, span_of (sys->content));
              sb_add (b, "\n\n");
            }
          sb_span (b, span_of (m[i].content));
          sb_add (b, " [/INST]");
          first = false;
        }
      else if (role_is (&m[i], "assistant"))
        {
          sb_span (b, span_of (m[i].content));
          sb_add (b, "</s>");
        }
    }
}

/* Mistral 7B Instruct v0.3 (tokenizer_config.json): '[INST] ' + content + '[/INST]', answers
 * ' ' + content|trim + eos_token; the system prompt is put before the last user message
 * (only when that message is the last one). */
static void
format_mistral_v3 (sbuf *b, const hr_chat_msg *m, size_t n)
{
  const hr_chat_msg *sys = first_system (m, n);

  for (size_t i = sys ? 1 : 0; i < n; i++)
    {
      if (role_is (&m[i], "user"))
        {
          sb_add (b, "[INST] ");
          if (i == n - 1 && sys != NULL)
            {
              sb_span (b, span_of (sys->content));
              sb_add (b, "\n\n");
            }
          sb_span (b, span_of (m[i].content));
          sb_add (b, "[/INST]");
        }
      else if (role_is (&m[i], "assistant"))
        {
          sb_add (b, " ");
          sb_span (b, strip (span_of (m[i].content)));
          sb_add (b, "</s>");
        }
    }
}

/* DeepSeek-R1-Distill (llama.cpp models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B
 * .jinja): bos_token + the last system message's text, then <｜User｜>content per user turn
 * and <｜Assistant｜>content<｜end▁of▁sentence｜> per answer, where content is what follows
 * the last '</think>'. The generation prompt opens the reasoning: <｜Assistant｜><think>\n. */
static void
format_deepseek_r1 (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  const hr_chat_msg *sys = NULL;

  for (size_t i = 0; i < n; i++)
    if (role_is (&m[i], "system"))
      sys = &m[i];
  if (sys != NULL)
    sb_span (b, span_of (sys->content));
  for (size_t i = 0; i < n; i++)
    {
      if (role_is (&m[i], "user"))
        {
          sb_add (b, DS_USER);
          sb_span (b, span_of (m[i].content));
        }
      else if (role_is (&m[i], "assistant"))
        {
          span c = span_of (m[i].content);
          ptrdiff_t end = span_find (c, "</think>", true);

          if (end >= 0)
            {
              c.p += end + strlen ("</think>");
              c.n -= (size_t) end + strlen ("</think>");
            }
          sb_add (b, DS_ASSISTANT);
          sb_span (b, c);
          sb_add (b, DS_EOS);
        }
    }
  if (gen)
    sb_add (b, DS_ASSISTANT "<think>\n");
}

/* Phi-3 / Phi-3.5 mini instruct (llama.cpp models/templates/microsoft-Phi-3.5-mini-instruct
 * .jinja): '<|role|>\n' + content + '<|end|>\n' per message (system only when not empty),
 * then '<|assistant|>\n' (or eos_token '<|endoftext|>' without the generation prompt). The
 * first Phi-3-mini release (ggml-vocab-phi-3.gguf) rendered the
 * same text for user/assistant turns but had no system role. */
static void
format_phi3 (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  for (size_t i = 0; i < n; i++)
    {
      if (role_is (&m[i], "system") && (m[i].content == NULL || m[i].content[0] == '\0'))
        continue;
      if (!role_is (&m[i], "system") && !role_is (&m[i], "user")
          && !role_is (&m[i], "assistant"))
        continue;
      sb_add (b, "<|");
      sb_add (b, m[i].role);
      sb_add (b, "|>\n");
      sb_span (b, span_of (m[i].content));
      sb_add (b, "<|end|>\n");
    }
  if (gen)
    sb_add (b, "<|assistant|>\n");
  else
    sb_add (b, "<|endoftext|>");
}

/* Gemma (llama.cpp models/templates/google-gemma-2-2b-it.jinja; Gemma 3 adds the system
 * prompt): bos_token, '<start_of_turn>' + role ('model' for the assistant) + '\n' +
 * content|trim + '<end_of_turn>\n'. Gemma 3's template puts the system text + '\n\n' before
 * the first user turn's trimmed content; Heron does that for every Gemma. */
static void
format_gemma (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  const hr_chat_msg *sys = first_system (m, n);
  bool first = true;

  for (size_t i = sys ? 1 : 0; i < n; i++)
    {
      bool user = role_is (&m[i], "user");

      if (!user && !role_is (&m[i], "assistant"))
        continue;
      sb_add (b, user ? "<start_of_turn>user\n" : "<start_of_turn>model\n");
      if (first && sys != NULL)
        {
          sb_span (b, span_of (sys->content));
          sb_add (b, "\n\n");
        }
      sb_span (b, strip (span_of (m[i].content)));
      sb_add (b, "<end_of_turn>\n");
      first = false;
    }
  if (gen)
    sb_add (b, "<start_of_turn>model\n");
}

/* Zephyr, as used by TinyLlama-1.1B-Chat-v1.0 (tokenizer_config.json, rendered with
 * trim_blocks): '<|role|>\n' + content + eos_token + '\n' per message, then '<|assistant|>\n'. */
static void
format_zephyr (sbuf *b, const hr_chat_msg *m, size_t n, bool gen)
{
  for (size_t i = 0; i < n; i++)
    {
      if (!role_is (&m[i], "system") && !role_is (&m[i], "user")
          && !role_is (&m[i], "assistant"))
        continue;
      sb_add (b, "<|");
      sb_add (b, m[i].role);
      sb_add (b, "|>\n");
      sb_span (b, span_of (m[i].content));
      sb_add (b, "</s>\n");
    }
  if (gen)
    sb_add (b, "<|assistant|>\n");
}

char *
hr_chat_format_ex (hr_chat_family f, const hr_chat_msg *msgs, size_t n,
                   const hr_chat_options *opts)
{
  sbuf b = { 0 };
  bool gen = opts ? opts->add_generation_prompt : true;
  bool thinking = opts ? opts->enable_thinking : true;

  if (msgs == NULL)
    n = 0;
  switch (f)
    {
    case HR_CHAT_CHATML:
      format_chatml (&b, msgs, n, NULL, gen);
      break;
    case HR_CHAT_QWEN2:
      format_chatml (&b, msgs, n, "You are a helpful assistant.", gen);
      break;
    case HR_CHAT_QWEN25:
      format_chatml (&b, msgs, n,
                     "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", gen);
      break;
    case HR_CHAT_QWEN3:
      format_qwen3 (&b, msgs, n, gen, thinking, false);
      break;
    case HR_CHAT_QWEN3_THINKING:
      format_qwen3 (&b, msgs, n, gen, true, true);
      break;
    case HR_CHAT_QWQ:
      format_qwq (&b, msgs, n, gen);
      break;
    case HR_CHAT_LLAMA3:
      format_llama3 (&b, msgs, n, gen);
      break;
    case HR_CHAT_LLAMA2:
      format_llama2 (&b, msgs, n);
      break;
    case HR_CHAT_MISTRAL:
      format_mistral (&b, msgs, n);
      break;
    case HR_CHAT_MISTRAL_V3:
      format_mistral_v3 (&b, msgs, n);
      break;
    case HR_CHAT_DEEPSEEK_R1:
      format_deepseek_r1 (&b, msgs, n, gen);
      break;
    case HR_CHAT_PHI3:
      format_phi3 (&b, msgs, n, gen);
      break;
    case HR_CHAT_GEMMA:
      format_gemma (&b, msgs, n, gen);
      break;
    case HR_CHAT_ZEPHYR:
      format_zephyr (&b, msgs, n, gen);
      break;
    default:
      return NULL;
    }
  return sb_steal (&b);
}

char *
hr_chat_format (hr_chat_family f, const hr_chat_msg *msgs, size_t n,
                bool add_generation_prompt)
{
  hr_chat_options o = { .add_generation_prompt = add_generation_prompt,
                        .enable_thinking = true };

  return hr_chat_format_ex (f, msgs, n, &o);
}

/* ---------------------------------------------------------------------------------------- */
/* Tokens                                                                                   */

int32_t
hr_chat_tokenize (const hr_vocab *v, hr_chat_family f, const char *text, hr_token *out,
                  int32_t max_tokens)
{
  hr_token bos = hr_vocab_bos (v);
  bool want_bos = bos >= 0 && (hr_chat_template_has_bos (f) || hr_vocab_add_bos (v));
  int32_t n;

  if (text == NULL || max_tokens < 0)
    return -1;
  if (!want_bos)
    return hr_tokenize (v, text, strlen (text), false, true, out, max_tokens);
  n = hr_tokenize (v, text, strlen (text), false, true,
                   max_tokens > 0 ? out + 1 : NULL, max_tokens > 0 ? max_tokens - 1 : 0);
  if (n < 0 || n >= INT32_MAX)
    return -1;
  if (max_tokens > 0)
    out[0] = bos;
  return n + 1;
}

static hr_token
end_of_turn_token (const hr_vocab *v, hr_chat_family f)
{
  const char *eot = hr_chat_end_of_turn (f);

  return eot ? hr_vocab_find (v, eot) : -1;
}

bool
hr_chat_is_eog (const hr_vocab *v, hr_chat_family f, hr_token t)
{
  return hr_vocab_is_eog (v, t) || (t >= 0 && t == end_of_turn_token (v, f));
}

int32_t
hr_chat_eog_tokens (const hr_vocab *v, hr_chat_family f, hr_token *out, int32_t max_tokens)
{
  int32_t n = 0, nv = hr_vocab_n_tokens (v);
  hr_token eot = end_of_turn_token (v, f);
  bool eot_seen = false;

  for (hr_token t = 0; t < nv && n < max_tokens; t++)
    if (hr_vocab_is_eog (v, t))
      {
        out[n++] = t;
        eot_seen |= t == eot;
      }
  if (eot >= 0 && !eot_seen && n < max_tokens)
    out[n++] = eot;
  return n;
}
