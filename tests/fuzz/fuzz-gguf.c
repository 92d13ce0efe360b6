/* fuzz-gguf.c: libFuzzer harness for the GGUF reader (and model-info, and the writer).
 *
 * Opens the input from memory and walks everything the reader exposes: every key and value,
 * arrays at every depth, every tensor (first and last data byte, so any extent outside the
 * input is caught by ASan). A file the reader accepts must also survive a rewrite: copy its
 * keys and tensors into the writer, write, and read the result back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "model-info.h"

static volatile uint64_t sink;
static volatile double fsink;

#define CHECK(cond) \
  do { if (!(cond)) { fprintf (stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
                      abort (); } } while (0)

static void
touch_str (hr_str s)
{
  if (s.len)
    sink += (uint8_t) s.ptr[0] + (uint8_t) s.ptr[s.len - 1];
}

static void
walk_array (const hr_gguf *g, int64_t arr, int depth)
{
  uint64_t n = 0;
  hr_gguf_type t = hr_gguf_array_type (g, arr, &n);

  CHECK (depth < 64);
  CHECK (t < HR_GGUF_N_TYPES);
  for (uint64_t i = 0; i < n; i++)
    {
      if (t == HR_GGUF_STRING)
        touch_str (hr_gguf_array_str (g, arr, i));
      else if (t == HR_GGUF_ARRAY)
        {
          int64_t sub = hr_gguf_array_sub (g, arr, i);

          CHECK (sub >= 0);
          walk_array (g, sub, depth + 1);
        }
      else
        {
          sink += (uint64_t) hr_gguf_array_int (g, arr, i);
          fsink += hr_gguf_array_float (g, arr, i);
        }
    }
  if (t != HR_GGUF_STRING && t != HR_GGUF_ARRAY && n)
    {
      const uint8_t *d = hr_gguf_array_data (g, arr);

      sink += d[0] + d[n * hr_gguf_type_size (t) - 1];
    }
  /* out of range is refused, not read */
  CHECK (hr_gguf_array_str (g, arr, n).ptr == NULL);
  CHECK (hr_gguf_array_sub (g, arr, n) == -1);
}

/* Key as a C string, or NULL when it holds a NUL (then no C API can name it). */
static char *
key_cstr (hr_str k)
{
  char *s;

  if (memchr (k.ptr, '\0', k.len))
    return NULL;
  s = malloc (k.len + 1);
  CHECK (s);
  memcpy (s, k.ptr, k.len);
  s[k.len] = '\0';
  return s;
}

static void
walk (const hr_gguf *g)
{
  for (int64_t i = 0; i < hr_gguf_n_kv (g); i++)
    {
      hr_str k = hr_gguf_kv_key (g, i);
      hr_gguf_type t = hr_gguf_kv_type (g, i);
      char *key = key_cstr (k);

      touch_str (k);
      CHECK (t < HR_GGUF_N_TYPES);
      if (key)
        {
          CHECK (hr_gguf_find_key (g, key) == i);
          sink += (uint64_t) hr_gguf_get_int (g, key, 0) + hr_gguf_get_bool (g, key, false)
                  + hr_gguf_get_u64 (g, key, 0);
          fsink += hr_gguf_get_float (g, key, 0);
          touch_str (hr_gguf_get_str (g, key));
          free (hr_gguf_get_strdup (g, key));
          free (key);
        }
      if (t == HR_GGUF_ARRAY)
        walk_array (g, hr_gguf_kv_array (g, i), 0);
      else
        {
          size_t n = 0;
          const uint8_t *d = hr_gguf_kv_data (g, i, &n);

          CHECK (d);
          if (n)
            sink += d[0] + d[n - 1];
        }
    }
  for (int64_t i = 0; i < hr_gguf_n_tensors (g); i++)
    {
      const hr_gguf_tensor *t = hr_gguf_tensor_at (g, i);
      char *name = key_cstr (t->name);

      touch_str (t->name);
      CHECK (t->n_dims <= HR_GGUF_MAX_DIMS);
      CHECK (t->offset % hr_gguf_alignment (g) == 0);
      if (t->nbytes)
        sink += ((const uint8_t *) t->data)[0] + ((const uint8_t *) t->data)[t->nbytes - 1];
      if (name)
        {
          CHECK (hr_gguf_find_tensor (g, name) == t);
          free (name);
        }
    }
}

/* What the reader accepted, the writer must be able to write back and the reader to read. */
static void
rewrite (const hr_gguf *g)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  char err[HR_ERR_LEN];
  hr_gguf *g2 = NULL;
  void *out = NULL;
  size_t size = 0;

  CHECK (w);
  hr_gguf_writer_copy_kv (w, g, NULL, NULL);
  for (int64_t i = 0; i < hr_gguf_n_tensors (g); i++)
    {
      const hr_gguf_tensor *t = hr_gguf_tensor_at (g, i);
      char *name = key_cstr (t->name);

      if (!name)
        continue;
      hr_gguf_writer_add_tensor (w, name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
      free (name);
    }
  if (hr_gguf_writer_write_memory (w, &out, &size, err, sizeof err) != 0)
    {
      fprintf (stderr, "rewrite failed: %s\n", err);
      abort ();
    }
  if (hr_gguf_open_memory (out, size, &g2, err, sizeof err) != 0)
    {
      fprintf (stderr, "rewritten file refused: %s\n", err);
      abort ();
    }
  CHECK (hr_gguf_alignment (g2) == hr_gguf_alignment (g));
  for (int64_t i = 0; i < hr_gguf_n_tensors (g2); i++)
    {
      const hr_gguf_tensor *t2 = hr_gguf_tensor_at (g2, i);
      char *name = key_cstr (t2->name);
      const hr_gguf_tensor *t = hr_gguf_find_tensor (g, name);

      CHECK (t && t->nbytes == t2->nbytes && t->type == t2->type);
      CHECK (t->nbytes == 0 || memcmp (t->data, t2->data, t->nbytes) == 0);
      free (name);
    }
  hr_gguf_close (g2);
  free (out);
  hr_gguf_writer_free (w);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[HR_ERR_LEN];
  hr_gguf *g = NULL;

  err[0] = '\0';
  if (hr_gguf_open_memory (data, size, &g, err, sizeof err) != 0)
    {
      /* refused: with a message, and nothing returned */
      CHECK (g == NULL);
      CHECK (err[0] != '\0');
      return 0;
    }
  walk (g);
  {
    hr_model_info info;

    if (hr_model_info_from_gguf (g, "fuzz.gguf", &info, err, sizeof err) == 0)
      {
        sink += hr_model_info_estimate_memory (&info, 0) + strlen (info.quant_mix);
        hr_model_info_clear (&info);
      }
  }
  /* a hostile general.alignment (up to 2^31) would make the rewrite pad gigabytes */
  if (hr_gguf_alignment (g) <= 4096)
    rewrite (g);
  hr_gguf_close (g);
  return 0;
}
