/* test-gguf.c: GGUF reader and writer: round trips of every value type, alignment, v2 files,
 * and hand-made corrupt files (truncated at every byte, absurd counts, bad types, ...).
 *
 * Run with --write-corpus DIR to write the fuzzer's seed files instead of testing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gguf.h"
#include "quants.h"

/* ---------------------------------------------------------------------------------------
 * Helpers
 */

static hr_gguf *
open_mem_ok (const void *data, size_t size)
{
  char err[HR_ERR_LEN] = "";
  hr_gguf *g = NULL;

  if (hr_gguf_open_memory (data, size, &g, err, sizeof err) != 0)
    g_error ("open failed: %s", err);
  g_assert_nonnull (g);
  return g;
}

/* Expect data to be refused with a message containing want (and return the message). */
static void
expect_refused (const void *data, size_t size, const char *want)
{
  char err[HR_ERR_LEN] = "";
  hr_gguf *g = (hr_gguf *) 0x1;

  if (hr_gguf_open_memory (data, size, &g, err, sizeof err) == 0)
    g_error ("a corrupt file was accepted (expected an error with '%s')", want);
  g_assert_null (g);
  g_test_message ("refused: %s", err);
  if (!strstr (err, want))
    g_error ("error message '%s' does not contain '%s'", err, want);
}

static void
write_mem (hr_gguf_writer *w, void **out, size_t *size)
{
  char err[HR_ERR_LEN] = "";

  if (hr_gguf_writer_write_memory (w, out, size, err, sizeof err) != 0)
    g_error ("write failed: %s", err);
}

static char *
hrstr (hr_str s)
{
  g_assert_nonnull (s.ptr);
  return g_strndup (s.ptr, s.len);
}

/* Raw GGUF bytes, for files the writer refuses to make. */
static void
put_u32 (GByteArray *b, uint32_t v)
{
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_u64 (GByteArray *b, uint64_t v)
{
  g_byte_array_append (b, (const guint8 *) &v, 8);
}

static void
put_str (GByteArray *b, const char *s)
{
  put_u64 (b, strlen (s));
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static GByteArray *
raw_header (uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) "GGUF", 4);
  put_u32 (b, version);
  put_u64 (b, n_tensors);
  put_u64 (b, n_kv);
  return b;
}

static void
put_tensor_info (GByteArray *b, const char *name, uint32_t n_dims, const uint64_t *ne,
                 uint32_t type, uint64_t offset)
{
  put_str (b, name);
  put_u32 (b, n_dims);
  for (uint32_t d = 0; d < n_dims; d++)
    put_u64 (b, ne[d]);
  put_u32 (b, type);
  put_u64 (b, offset);
}

static void
pad_to (GByteArray *b, guint a)
{
  static const guint8 zero = 0;

  while (b->len % a)
    g_byte_array_append (b, &zero, 1);
}

static void
put_zeros (GByteArray *b, size_t n)
{
  static const guint8 zero = 0;

  for (size_t i = 0; i < n; i++)
    g_byte_array_append (b, &zero, 1);
}

/* An encoded array-of-arrays value: [[1,2,3], [], [7]] of u32, then [["a",""],["bc"]]. */
static GByteArray *
nested_payload (void)
{
  GByteArray *b = g_byte_array_new ();
  uint32_t v;

  put_u32 (b, HR_GGUF_ARRAY);
  put_u64 (b, 3);
  put_u32 (b, HR_GGUF_UINT32);
  put_u64 (b, 3);
  for (v = 1; v <= 3; v++)
    put_u32 (b, v);
  put_u32 (b, HR_GGUF_UINT32);
  put_u64 (b, 0);
  /* third element is itself an array of arrays of strings (three levels) */
  put_u32 (b, HR_GGUF_ARRAY);
  put_u64 (b, 2);
  put_u32 (b, HR_GGUF_STRING);
  put_u64 (b, 2);
  put_str (b, "a");
  put_str (b, "");
  put_u32 (b, HR_GGUF_STRING);
  put_u64 (b, 1);
  put_str (b, "bc");
  return b;
}

/* ---------------------------------------------------------------------------------------
 * The reference file: every value type, nested arrays and a few tensors.
 */

static const char *const str_items[] = { "hello", "", "\xe4\xbd\xa0\xe5\xa5\xbd", " spaced ",
                                         "<|im_end|>" };

static void
fill_reference (hr_gguf_writer *w, bool with_nested)
{
  uint8_t u8 = 250;
  int8_t i8 = -100;
  uint16_t u16 = 65000;
  int16_t i16 = -32000;
  int64_t i64 = INT64_MIN + 5;
  double f64 = 3.141592653589793;
  uint8_t arr_u8[] = { 0, 1, 255 };
  int8_t arr_i8[] = { -128, 0, 127 };
  uint16_t arr_u16[] = { 1, 65535 };
  int16_t arr_i16[] = { -32768, 32767 };
  uint32_t arr_u32[] = { 7, 0xffffffffu, 42 };
  int32_t arr_i32[] = { INT32_MIN, -1, INT32_MAX };
  float arr_f32[] = { 0.5f, -1e30f, 3.25f };
  uint8_t arr_bool[] = { 1, 0, 1, 1 };
  uint64_t arr_u64[] = { UINT64_MAX, 0 };
  int64_t arr_i64[] = { INT64_MIN, INT64_MAX };
  double arr_f64[] = { 1e-300, -2.5 };

  hr_gguf_writer_add_str (w, "general.architecture", "llama");
  hr_gguf_writer_add_scalar (w, "t.u8", HR_GGUF_UINT8, &u8);
  hr_gguf_writer_add_scalar (w, "t.i8", HR_GGUF_INT8, &i8);
  hr_gguf_writer_add_scalar (w, "t.u16", HR_GGUF_UINT16, &u16);
  hr_gguf_writer_add_scalar (w, "t.i16", HR_GGUF_INT16, &i16);
  hr_gguf_writer_add_u32 (w, "t.u32", 4000000000u);
  hr_gguf_writer_add_i32 (w, "t.i32", -2000000000);
  hr_gguf_writer_add_f32 (w, "t.f32", 1.5f);
  hr_gguf_writer_add_bool (w, "t.bool", true);
  hr_gguf_writer_add_bool (w, "t.false", false);
  hr_gguf_writer_add_str (w, "t.str", "h\xc3\xa9llo");
  hr_gguf_writer_add_str (w, "t.empty", "");
  hr_gguf_writer_add_u64 (w, "t.u64", UINT64_MAX);
  hr_gguf_writer_add_scalar (w, "t.i64", HR_GGUF_INT64, &i64);
  hr_gguf_writer_add_scalar (w, "t.f64", HR_GGUF_FLOAT64, &f64);
  hr_gguf_writer_add_arr (w, "a.u8", HR_GGUF_UINT8, arr_u8, 3);
  hr_gguf_writer_add_arr (w, "a.i8", HR_GGUF_INT8, arr_i8, 3);
  hr_gguf_writer_add_arr (w, "a.u16", HR_GGUF_UINT16, arr_u16, 2);
  hr_gguf_writer_add_arr (w, "a.i16", HR_GGUF_INT16, arr_i16, 2);
  hr_gguf_writer_add_arr (w, "a.u32", HR_GGUF_UINT32, arr_u32, 3);
  hr_gguf_writer_add_arr (w, "a.i32", HR_GGUF_INT32, arr_i32, 3);
  hr_gguf_writer_add_arr (w, "a.f32", HR_GGUF_FLOAT32, arr_f32, 3);
  hr_gguf_writer_add_arr (w, "a.bool", HR_GGUF_BOOL, arr_bool, 4);
  hr_gguf_writer_add_arr (w, "a.u64", HR_GGUF_UINT64, arr_u64, 2);
  hr_gguf_writer_add_arr (w, "a.i64", HR_GGUF_INT64, arr_i64, 2);
  hr_gguf_writer_add_arr (w, "a.f64", HR_GGUF_FLOAT64, arr_f64, 2);
  hr_gguf_writer_add_arr (w, "a.empty", HR_GGUF_INT32, NULL, 0);
  hr_gguf_writer_add_arr_str (w, "a.str", str_items, G_N_ELEMENTS (str_items));
  hr_gguf_writer_add_arr_str (w, "a.str_empty", NULL, 0);
  if (with_nested)
    {
      GByteArray *nb = nested_payload ();

      hr_gguf_writer_add_raw (w, "a.nested", HR_GGUF_ARRAY, nb->data, nb->len);
      g_byte_array_unref (nb);
    }
}

/* Tensors: F32 [3 x 2] (24 bytes, padded), Q8_0 [64 x 1], F16 [16] (32 bytes: the file ends
 * exactly at its end, so cutting the file anywhere cuts into something). */
static void
add_reference_tensors (hr_gguf_writer *w, uint8_t *q8, uint16_t *f16)
{
  float f32[6] = { 1, 2, 3, 4, 5, 6 };
  int64_t ne_a[2] = { 3, 2 }, ne_b[2] = { 64, 1 }, ne_c[1] = { 16 };

  for (int i = 0; i < 68; i++)
    q8[i] = (uint8_t) (i * 7 + 1);
  for (int i = 0; i < 16; i++)
    f16[i] = (uint16_t) (0x3c00 + i);
  hr_gguf_writer_add_tensor (w, "a.weight", HR_TYPE_F32, 2, ne_a, f32, sizeof f32);
  hr_gguf_writer_add_tensor (w, "blk.0.b.weight", HR_TYPE_Q8_0, 2, ne_b, q8, 68);
  hr_gguf_writer_add_tensor (w, "c", HR_TYPE_F16, 1, ne_c, f16, 32);
}

static void *
make_reference (size_t *size, bool with_nested, bool with_tensors)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  uint8_t q8[68];
  uint16_t f16[16];
  void *data;

  fill_reference (w, with_nested);
  if (with_tensors)
    add_reference_tensors (w, q8, f16);
  write_mem (w, &data, size);
  hr_gguf_writer_free (w);
  return data;
}

/* ---------------------------------------------------------------------------------------
 * Round trips
 */

static int64_t
key (hr_gguf *g, const char *k)
{
  int64_t i = hr_gguf_find_key (g, k);

  if (i < 0)
    g_error ("key %s missing", k);
  return i;
}

static void
test_roundtrip_scalars (void)
{
  size_t size, n;
  void *data = make_reference (&size, true, false);
  hr_gguf *g = open_mem_ok (data, size);
  const void *p;
  uint64_t u64;
  int64_t i64;
  double f64;
  char *s;

  g_assert_cmpuint (hr_gguf_version (g), ==, 3);
  g_assert_cmpint (hr_gguf_n_kv (g), ==, 30);
  g_assert_cmpint (hr_gguf_n_tensors (g), ==, 0);
  g_assert_cmpuint (hr_gguf_alignment (g), ==, 32);

  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.u8")), ==, HR_GGUF_UINT8);
  g_assert_cmpint (hr_gguf_get_int (g, "t.u8", 0), ==, 250);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.i8")), ==, HR_GGUF_INT8);
  g_assert_cmpint (hr_gguf_get_int (g, "t.i8", 0), ==, -100);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.u16")), ==, HR_GGUF_UINT16);
  g_assert_cmpint (hr_gguf_get_int (g, "t.u16", 0), ==, 65000);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.i16")), ==, HR_GGUF_INT16);
  g_assert_cmpint (hr_gguf_get_int (g, "t.i16", 0), ==, -32000);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.u32")), ==, HR_GGUF_UINT32);
  g_assert_cmpint (hr_gguf_get_int (g, "t.u32", 0), ==, 4000000000ll);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.i32")), ==, HR_GGUF_INT32);
  g_assert_cmpint (hr_gguf_get_int (g, "t.i32", 0), ==, -2000000000);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.f32")), ==, HR_GGUF_FLOAT32);
  g_assert_cmpfloat (hr_gguf_get_float (g, "t.f32", 0), ==, 1.5);
  g_assert_cmpint (hr_gguf_get_int (g, "t.f32", 0), ==, 1);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.bool")), ==, HR_GGUF_BOOL);
  g_assert_true (hr_gguf_get_bool (g, "t.bool", false));
  g_assert_false (hr_gguf_get_bool (g, "t.false", true));
  g_assert_cmpint (hr_gguf_get_int (g, "t.bool", 5), ==, 1);
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.u64")), ==, HR_GGUF_UINT64);
  g_assert_cmpuint (hr_gguf_get_u64 (g, "t.u64", 0), ==, UINT64_MAX);
  g_assert_cmpint (hr_gguf_get_int (g, "t.u64", 0), ==, INT64_MAX);   /* clamped */
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.i64")), ==, HR_GGUF_INT64);
  g_assert_cmpint (hr_gguf_get_int (g, "t.i64", 0), ==, INT64_MIN + 5);
  g_assert_cmpuint (hr_gguf_get_u64 (g, "t.i64", 9), ==, 9);          /* negative: def */
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.f64")), ==, HR_GGUF_FLOAT64);
  g_assert_cmpfloat (hr_gguf_get_float (g, "t.f64", 0), ==, 3.141592653589793);

  /* raw bytes */
  p = hr_gguf_kv_data (g, key (g, "t.u64"), &n);
  g_assert_cmpuint (n, ==, 8);
  memcpy (&u64, p, 8);
  g_assert_cmpuint (u64, ==, UINT64_MAX);
  p = hr_gguf_kv_data (g, key (g, "t.i64"), &n);
  memcpy (&i64, p, 8);
  g_assert_cmpint (i64, ==, INT64_MIN + 5);
  p = hr_gguf_kv_data (g, key (g, "t.f64"), &n);
  memcpy (&f64, p, 8);
  g_assert_cmpfloat (f64, ==, 3.141592653589793);
  g_assert_null (hr_gguf_kv_data (g, key (g, "a.u8"), &n));

  /* strings */
  g_assert_cmpint (hr_gguf_kv_type (g, key (g, "t.str")), ==, HR_GGUF_STRING);
  s = hr_gguf_get_strdup (g, "t.str");
  g_assert_cmpstr (s, ==, "h\xc3\xa9llo");
  g_free (s);
  s = hr_gguf_get_strdup (g, "t.empty");
  g_assert_cmpstr (s, ==, "");
  g_free (s);
  g_assert_true (hr_str_eq (hr_gguf_get_str (g, "general.architecture"), "llama"));
  g_assert_false (hr_str_eq (hr_gguf_get_str (g, "general.architecture"), "llam"));

  /* absent keys and wrong types give the default */
  g_assert_cmpint (hr_gguf_find_key (g, "nope"), ==, -1);
  g_assert_cmpint (hr_gguf_get_int (g, "nope", -7), ==, -7);
  g_assert_cmpint (hr_gguf_get_int (g, "t.str", -7), ==, -7);
  g_assert_cmpfloat (hr_gguf_get_float (g, "a.f32", 2.5), ==, 2.5);
  g_assert_true (hr_gguf_get_bool (g, "t.str", true));
  g_assert_null (hr_gguf_get_str (g, "t.u8").ptr);
  g_assert_null (hr_gguf_get_strdup (g, "nope"));
  g_assert_cmpint (hr_gguf_kv_type (g, 999), ==, HR_GGUF_N_TYPES);
  g_assert_null (hr_gguf_kv_key (g, -1).ptr);

  hr_gguf_close (g);
  g_free (data);
}

static void
test_roundtrip_arrays (void)
{
  size_t size;
  void *data = make_reference (&size, true, false);
  hr_gguf *g = open_mem_ok (data, size);
  uint64_t n;
  int64_t arr, sub, sub2;
  float f;
  const uint8_t *raw;
  char *s;

  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "a.u8"), &n), ==, HR_GGUF_UINT8);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.u8"), 2), ==, 255);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.i8"), 0), ==, -128);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.u16"), 1), ==, 65535);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.i16"), 0), ==, -32768);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.u32"), 1), ==, 0xffffffffll);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.i32"), 0), ==, INT32_MIN);
  g_assert_cmpfloat (hr_gguf_arr_float (g, key (g, "a.f32"), 1), ==, -1e30f);
  raw = hr_gguf_arr_data (g, key (g, "a.f32"));
  memcpy (&f, raw + 8, 4);
  g_assert_cmpfloat (f, ==, 3.25f);
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "a.bool"), &n), ==, HR_GGUF_BOOL);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.bool"), 1), ==, 0);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.bool"), 3), ==, 1);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.u64"), 0), ==, INT64_MAX);  /* clamped */
  raw = hr_gguf_arr_data (g, key (g, "a.u64"));
  {
    uint64_t u;

    memcpy (&u, raw, 8);
    g_assert_cmpuint (u, ==, UINT64_MAX);
  }
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.i64"), 0), ==, INT64_MIN);
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.i64"), 1), ==, INT64_MAX);
  g_assert_cmpfloat (hr_gguf_arr_float (g, key (g, "a.f64"), 0), ==, 1e-300);
  g_assert_cmpfloat (hr_gguf_arr_float (g, key (g, "a.f64"), 1), ==, -2.5);
  /* out of range */
  g_assert_cmpint (hr_gguf_arr_int (g, key (g, "a.u8"), 3), ==, 0);

  /* empty arrays */
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "a.empty"), &n), ==, HR_GGUF_INT32);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "a.str_empty"), &n), ==, HR_GGUF_STRING);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (hr_gguf_arr_str (g, key (g, "a.str_empty"), 0).ptr);

  /* strings, including empty and multi-byte ones */
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "a.str"), &n), ==, HR_GGUF_STRING);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (str_items));
  for (uint64_t i = 0; i < n; i++)
    {
      s = hrstr (hr_gguf_arr_str (g, key (g, "a.str"), i));
      g_assert_cmpstr (s, ==, str_items[i]);
      g_free (s);
    }
  g_assert_null (hr_gguf_arr_str (g, key (g, "a.str"), n).ptr);
  g_assert_null (hr_gguf_arr_data (g, key (g, "a.str")));

  /* a non-array */
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "t.u8"), &n), ==, HR_GGUF_N_TYPES);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpint (hr_gguf_arr_type (g, -1, &n), ==, HR_GGUF_N_TYPES);

  /* nested: [[1,2,3], [], [["a",""],["bc"]]] */
  arr = hr_gguf_kv_array (g, key (g, "a.nested"));
  g_assert_cmpint (arr, >=, 0);
  g_assert_cmpint (hr_gguf_array_type (g, arr, &n), ==, HR_GGUF_ARRAY);
  g_assert_cmpuint (n, ==, 3);
  g_assert_null (hr_gguf_array_data (g, arr));
  sub = hr_gguf_array_sub (g, arr, 0);
  g_assert_cmpint (hr_gguf_array_type (g, sub, &n), ==, HR_GGUF_UINT32);
  g_assert_cmpuint (n, ==, 3);
  for (uint64_t i = 0; i < 3; i++)
    g_assert_cmpint (hr_gguf_array_int (g, sub, i), ==, (int64_t) i + 1);
  sub = hr_gguf_array_sub (g, arr, 1);
  g_assert_cmpint (hr_gguf_array_type (g, sub, &n), ==, HR_GGUF_UINT32);
  g_assert_cmpuint (n, ==, 0);
  sub = hr_gguf_array_sub (g, arr, 2);
  g_assert_cmpint (hr_gguf_array_type (g, sub, &n), ==, HR_GGUF_ARRAY);
  g_assert_cmpuint (n, ==, 2);
  sub2 = hr_gguf_array_sub (g, sub, 0);
  g_assert_cmpint (hr_gguf_array_type (g, sub2, &n), ==, HR_GGUF_STRING);
  g_assert_cmpuint (n, ==, 2);
  s = hrstr (hr_gguf_array_str (g, sub2, 0));
  g_assert_cmpstr (s, ==, "a");
  g_free (s);
  s = hrstr (hr_gguf_array_str (g, sub2, 1));
  g_assert_cmpstr (s, ==, "");
  g_free (s);
  sub2 = hr_gguf_array_sub (g, sub, 1);
  s = hrstr (hr_gguf_array_str (g, sub2, 0));
  g_assert_cmpstr (s, ==, "bc");
  g_free (s);
  g_assert_cmpint (hr_gguf_array_sub (g, arr, 3), ==, -1);
  g_assert_cmpint (hr_gguf_array_sub (g, sub2, 0), ==, -1);

  hr_gguf_close (g);
  g_free (data);
}

static void
test_roundtrip_tensors (void)
{
  size_t size;
  void *data = make_reference (&size, true, true);
  hr_gguf *g = open_mem_ok (data, size);
  const hr_gguf_tensor *t;
  float f32[6];
  uint16_t f16[16];
  uint8_t q8[68];

  /* regenerate the data the writer was given */
  {
    hr_gguf_writer *w = hr_gguf_writer_new ();

    add_reference_tensors (w, q8, f16);
    hr_gguf_writer_free (w);
  }
  g_assert_cmpint (hr_gguf_n_tensors (g), ==, 3);
  g_assert_cmpuint (hr_gguf_data_offset (g) % 32, ==, 0);
  g_assert_cmpuint (hr_gguf_file_size (g), ==, size);
  g_assert_true (hr_gguf_base (g) == data);

  t = hr_gguf_find_tensor (g, "a.weight");
  g_assert_nonnull (t);
  g_assert_true (t == hr_gguf_tensor_at (g, 0));
  g_assert_true (hr_str_eq (t->name, "a.weight"));
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpint (t->ne[0], ==, 3);
  g_assert_cmpint (t->ne[1], ==, 2);
  g_assert_cmpint (t->ne[2], ==, 1);
  g_assert_cmpint (t->ne[3], ==, 1);
  g_assert_cmpint (t->type, ==, HR_TYPE_F32);
  g_assert_cmpuint (t->offset, ==, 0);
  g_assert_cmpuint (t->nbytes, ==, 24);
  g_assert_true ((const uint8_t *) t->data
                 == (const uint8_t *) data + hr_gguf_data_offset (g) + t->offset);
  memcpy (f32, t->data, sizeof f32);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (f32[i], ==, i + 1);

  t = hr_gguf_find_tensor (g, "blk.0.b.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->type, ==, HR_TYPE_Q8_0);
  g_assert_cmpuint (t->offset, ==, 32);   /* 24 bytes padded to 32 */
  g_assert_cmpuint (t->nbytes, ==, 68);
  g_assert_cmpmem (t->data, 68, q8, 68);

  t = hr_gguf_find_tensor (g, "c");
  g_assert_nonnull (t);
  g_assert_cmpuint (t->n_dims, ==, 1);
  g_assert_cmpuint (t->offset, ==, 128);  /* 32 + 68 = 100, padded to 128 */
  g_assert_cmpmem (t->data, 32, f16, 32);
  g_assert_cmpuint (hr_gguf_data_offset (g) + t->offset + t->nbytes, ==, size);

  g_assert_null (hr_gguf_find_tensor (g, "missing"));
  g_assert_null (hr_gguf_find_tensor (g, "a.weigh"));
  g_assert_null (hr_gguf_tensor_at (g, 3));
  hr_gguf_close (g);
  g_free (data);
}

static void
test_many_keys (void)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  hr_gguf *g;
  void *data;
  size_t size;

  for (int i = 0; i < 3000; i++)
    {
      char k[32];

      g_snprintf (k, sizeof k, "k.%d", i);
      hr_gguf_writer_add_i32 (w, k, i * 3);
    }
  /* replacing keeps one entry */
  hr_gguf_writer_add_i32 (w, "k.17", -1);
  write_mem (w, &data, &size);
  hr_gguf_writer_free (w);
  g = open_mem_ok (data, size);
  g_assert_cmpint (hr_gguf_n_kv (g), ==, 3000);
  for (int i = 0; i < 3000; i++)
    {
      char k[32];

      g_snprintf (k, sizeof k, "k.%d", i);
      g_assert_cmpint (hr_gguf_find_key (g, k), ==, i);
      g_assert_cmpint (hr_gguf_get_int (g, k, 0), ==, i == 17 ? -1 : i * 3);
      g_assert_true (hr_str_eq (hr_gguf_kv_key (g, i), k));
    }
  g_assert_cmpint (hr_gguf_find_key (g, "k.3000"), ==, -1);
  g_assert_cmpint (hr_gguf_find_key (g, "k."), ==, -1);
  hr_gguf_close (g);
  g_free (data);
}

static void
test_alignment (void)
{
  static const uint32_t aligns[] = { 1, 8, 64, 256, 32 };

  for (size_t ai = 0; ai < G_N_ELEMENTS (aligns); ai++)
    {
      hr_gguf_writer *w = hr_gguf_writer_new ();
      float d1[5] = { 1, 2, 3, 4, 5 }, d2[3] = { 6, 7, 8 };
      int64_t ne1 = 5, ne2 = 3;
      hr_gguf *g;
      void *data;
      size_t size;
      uint32_t a = aligns[ai];

      hr_gguf_writer_add_str (w, "general.name", "x");
      hr_gguf_writer_set_alignment (w, 64);      /* overridden below */
      hr_gguf_writer_set_alignment (w, a);
      hr_gguf_writer_add_tensor (w, "t1", HR_TYPE_F32, 1, &ne1, d1, sizeof d1);
      hr_gguf_writer_add_tensor (w, "t2", HR_TYPE_F32, 1, &ne2, d2, sizeof d2);
      write_mem (w, &data, &size);
      hr_gguf_writer_free (w);
      g = open_mem_ok (data, size);
      g_assert_cmpuint (hr_gguf_alignment (g), ==, a);
      /* the default alignment is not written as a key, others are */
      g_assert_cmpint (hr_gguf_find_key (g, "general.alignment") >= 0, ==, a != 32);
      if (a != 32)
        g_assert_cmpint (hr_gguf_get_int (g, "general.alignment", 0), ==, a);
      g_assert_cmpuint (hr_gguf_data_offset (g) % a, ==, 0);
      g_assert_cmpuint (hr_gguf_tensor_at (g, 1)->offset, ==, (20 + a - 1) / a * a);
      g_assert_cmpmem (hr_gguf_tensor_at (g, 1)->data, 12, d2, 12);
      g_assert_cmpuint (size % a, ==, 0);
      hr_gguf_close (g);
      g_free (data);
    }
}

static void
test_alignment_bad (void)
{
  hr_gguf_writer *w = hr_gguf_writer_new ();
  char err[HR_ERR_LEN] = "";
  void *data;
  size_t size;
  GByteArray *b;

  hr_gguf_writer_set_alignment (w, 48);
  g_assert_cmpint (hr_gguf_writer_write_memory (w, &data, &size, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "power of two"));
  hr_gguf_writer_free (w);

  /* reader: alignment 0, not a power of two, wrong type */
  b = raw_header (3, 0, 1);
  put_str (b, "general.alignment");
  put_u32 (b, HR_GGUF_UINT32);
  put_u32 (b, 0);
  expect_refused (b->data, b->len, "general.alignment 0 is not a non-zero power of two");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 1);
  put_str (b, "general.alignment");
  put_u32 (b, HR_GGUF_UINT32);
  put_u32 (b, 24);
  expect_refused (b->data, b->len, "general.alignment 24");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 1);
  put_str (b, "general.alignment");
  put_u32 (b, HR_GGUF_UINT64);
  put_u64 (b, 32);
  expect_refused (b->data, b->len, "general.alignment has type u64");
  g_byte_array_unref (b);
}

/* v2 has the same layout as v3 (64-bit counts); written here byte by byte. */
static void
test_v2 (void)
{
  GByteArray *b = raw_header (2, 1, 3);
  uint64_t ne[2] = { 2, 2 };
  float d[4] = { 1, 2, 3, 4 };
  hr_gguf *g;
  uint64_t n;

  put_str (b, "general.architecture");
  put_u32 (b, HR_GGUF_STRING);
  put_str (b, "llama");
  put_str (b, "llama.block_count");
  put_u32 (b, HR_GGUF_UINT32);
  put_u32 (b, 2);
  put_str (b, "tokenizer.ggml.tokens");
  put_u32 (b, HR_GGUF_ARRAY);
  put_u32 (b, HR_GGUF_STRING);
  put_u64 (b, 2);
  put_str (b, "<s>");
  put_str (b, "a");
  put_tensor_info (b, "w", 2, ne, HR_TYPE_F32, 0);
  pad_to (b, 32);
  g_byte_array_append (b, (const guint8 *) d, sizeof d);

  g = open_mem_ok (b->data, b->len);
  g_assert_cmpuint (hr_gguf_version (g), ==, 2);
  g_assert_true (hr_str_eq (hr_gguf_get_str (g, "general.architecture"), "llama"));
  g_assert_cmpint (hr_gguf_get_int (g, "llama.block_count", 0), ==, 2);
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "tokenizer.ggml.tokens"), &n), ==,
                   HR_GGUF_STRING);
  g_assert_cmpuint (n, ==, 2);
  g_assert_true (hr_str_eq (hr_gguf_arr_str (g, key (g, "tokenizer.ggml.tokens"), 1), "a"));
  g_assert_cmpmem (hr_gguf_find_tensor (g, "w")->data, 16, d, 16);
  hr_gguf_close (g);
  g_byte_array_unref (b);
}

static void
test_versions (void)
{
  GByteArray *b;

  b = raw_header (1, 0, 0);
  expect_refused (b->data, b->len, "unsupported GGUF version 1");
  g_byte_array_unref (b);
  b = raw_header (4, 0, 0);
  expect_refused (b->data, b->len, "unsupported GGUF version 4");
  g_byte_array_unref (b);
  b = raw_header (0, 0, 0);
  expect_refused (b->data, b->len, "unsupported GGUF version 0");
  g_byte_array_unref (b);
  b = raw_header (0x03000000, 0, 0);
  expect_refused (b->data, b->len, "big-endian");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 0);
  memcpy (b->data, "GGML", 4);
  expect_refused (b->data, b->len, "not a GGUF file (bad magic 47 47 4d 4c");
  g_byte_array_unref (b);
  expect_refused ("GG", 2, "too short");
  expect_refused ("", 0, "too short");
  /* the smallest valid file */
  b = raw_header (3, 0, 0);
  {
    hr_gguf *g = open_mem_ok (b->data, b->len);

    g_assert_cmpint (hr_gguf_n_kv (g), ==, 0);
    g_assert_cmpint (hr_gguf_n_tensors (g), ==, 0);
    hr_gguf_close (g);
  }
  g_byte_array_unref (b);
}

/* ---------------------------------------------------------------------------------------
 * Corrupt files
 */

/* Every prefix of a valid file is refused with a message, and never crashes. The file is
 * made so that its last tensor ends exactly at the end of the file. */
static void
test_truncated_every_byte (void)
{
  size_t size;
  uint8_t *data = make_reference (&size, true, true);
  char err[HR_ERR_LEN];

  g_assert_cmpuint (size, <, 4096);
  for (size_t cut = 0; cut < size; cut++)
    {
      /* a fresh heap copy so that ASan sees any read past the cut */
      uint8_t *copy = g_memdup2 (data, cut ? cut : 1);
      hr_gguf *g = NULL;

      err[0] = '\0';
      if (hr_gguf_open_memory (copy, cut, &g, err, sizeof err) == 0)
        g_error ("file cut at %zu of %zu bytes was accepted", cut, size);
      g_assert_null (g);
      g_assert_cmpuint (strlen (err), >, 10);
      if (cut >= 24 && !strstr (err, "truncated file") && !strstr (err, "truncated or corrupt"))
        g_error ("cut at %zu: unexpected message '%s'", cut, err);
      g_free (copy);
    }
  /* and the whole file is fine */
  hr_gguf_close (open_mem_ok (data, size));
  g_free (data);
}

static void
test_message_names_key (void)
{
  size_t size;
  uint8_t *data = make_reference (&size, false, false);
  char err[HR_ERR_LEN] = "";
  hr_gguf *g = NULL;
  hr_gguf *full = open_mem_ok (data, size);
  int64_t k = key (full, "a.str");
  /* cut inside the third string of a.str */
  const uint8_t *third = (const uint8_t *) hr_gguf_arr_str (full, k, 2).ptr;
  size_t cut = (size_t) (third - data) + 2;

  hr_gguf_close (full);
  g_assert_cmpint (hr_gguf_open_memory (data, cut, &g, err, sizeof err), ==, -1);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "truncated file: metadata key"));
  g_assert_nonnull (strstr (err, "('a.str') string 2 runs past end of file"));
  g_free (data);
}

static void
test_absurd_counts (void)
{
  GByteArray *b;

  b = raw_header (3, 0, 1ull << 60);
  expect_refused (b->data, b->len, "metadata key count 1152921504606846976 cannot fit");
  g_byte_array_unref (b);
  b = raw_header (3, 1ull << 60, 0);
  expect_refused (b->data, b->len, "tensor count 1152921504606846976 cannot fit");
  g_byte_array_unref (b);
  b = raw_header (3, UINT64_MAX, UINT64_MAX);
  expect_refused (b->data, b->len, "cannot fit");
  g_byte_array_unref (b);

  /* huge string length (key name, then value) */
  b = raw_header (3, 0, 1);
  put_u64 (b, UINT64_MAX - 3);
  g_byte_array_append (b, (const guint8 *) "abcdefghijklmnop", 16);
  expect_refused (b->data, b->len, "metadata key 0 name runs past end of file");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 1);
  put_str (b, "k");
  put_u32 (b, HR_GGUF_STRING);
  put_u64 (b, 1ull << 62);
  put_u64 (b, 0);
  expect_refused (b->data, b->len, "metadata key 0 ('k') string runs past end of file");
  g_byte_array_unref (b);

  /* huge array lengths, for each kind of element */
  {
    static const uint32_t elem[] = { HR_GGUF_UINT8, HR_GGUF_UINT64, HR_GGUF_STRING,
                                     HR_GGUF_ARRAY };
    static const uint64_t lens[] = { UINT64_MAX, 1ull << 61, (1ull << 63) + 1, 1000 };

    for (size_t e = 0; e < G_N_ELEMENTS (elem); e++)
      for (size_t l = 0; l < G_N_ELEMENTS (lens); l++)
        {
          b = raw_header (3, 0, 1);
          put_str (b, "tokenizer.ggml.tokens");
          put_u32 (b, HR_GGUF_ARRAY);
          put_u32 (b, elem[e]);
          put_u64 (b, lens[l]);
          put_zeros (b, 64);
          expect_refused (b->data, b->len, "('tokenizer.ggml.tokens')");
          g_byte_array_unref (b);
        }
  }
  /* a string inside an array with a huge length */
  b = raw_header (3, 0, 1);
  put_str (b, "tokenizer.ggml.tokens");
  put_u32 (b, HR_GGUF_ARRAY);
  put_u32 (b, HR_GGUF_STRING);
  put_u64 (b, 3);
  put_str (b, "a");
  put_u64 (b, UINT64_MAX);
  put_zeros (b, 40);
  expect_refused (b->data, b->len, "('tokenizer.ggml.tokens') string 1 runs past end of file");
  g_byte_array_unref (b);
}

static void
test_bad_value_types (void)
{
  GByteArray *b;

  b = raw_header (3, 0, 2);
  put_str (b, "ok");
  put_u32 (b, HR_GGUF_UINT8);
  put_zeros (b, 1);
  put_str (b, "bad");
  put_u32 (b, 13);
  put_zeros (b, 16);
  expect_refused (b->data, b->len, "metadata key 1 ('bad'): unknown value type 13");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 1);
  put_str (b, "bad");
  put_u32 (b, 0xffffffffu);
  put_zeros (b, 16);
  expect_refused (b->data, b->len, "unknown value type 4294967295");
  g_byte_array_unref (b);
  b = raw_header (3, 0, 1);
  put_str (b, "arr");
  put_u32 (b, HR_GGUF_ARRAY);
  put_u32 (b, 77);
  put_u64 (b, 1);
  put_zeros (b, 16);
  expect_refused (b->data, b->len, "('arr'): unknown array element type 77");
  g_byte_array_unref (b);

  /* arrays nested too deep */
  b = raw_header (3, 0, 1);
  put_str (b, "deep");
  put_u32 (b, HR_GGUF_ARRAY);
  for (int i = 0; i < 20; i++)
    {
      put_u32 (b, HR_GGUF_ARRAY);
      put_u64 (b, 1);
    }
  put_u32 (b, HR_GGUF_UINT8);
  put_u64 (b, 0);
  expect_refused (b->data, b->len, "nested deeper than");
  g_byte_array_unref (b);
}

static void
test_duplicates (void)
{
  GByteArray *b;
  uint64_t ne = 8;

  b = raw_header (3, 0, 3);
  put_str (b, "a");
  put_u32 (b, HR_GGUF_UINT8);
  put_zeros (b, 1);
  put_str (b, "b");
  put_u32 (b, HR_GGUF_UINT8);
  put_zeros (b, 1);
  put_str (b, "a");
  put_u32 (b, HR_GGUF_UINT8);
  put_zeros (b, 1);
  expect_refused (b->data, b->len, "duplicate metadata key 'a' (keys 0 and 2)");
  g_byte_array_unref (b);

  b = raw_header (3, 2, 0);
  put_tensor_info (b, "w", 1, &ne, HR_TYPE_F32, 0);
  put_tensor_info (b, "w", 1, &ne, HR_TYPE_F32, 32);
  pad_to (b, 32);
  put_zeros (b, 64);
  expect_refused (b->data, b->len, "duplicate tensor name 'w' (tensors 0 and 1)");
  g_byte_array_unref (b);

  /* the writer refuses duplicate tensors */
  {
    hr_gguf_writer *w = hr_gguf_writer_new ();
    float d[8] = { 0 };
    int64_t ne1 = 8;
    char err[HR_ERR_LEN] = "";
    void *data;
    size_t size;

    hr_gguf_writer_add_tensor (w, "w", HR_TYPE_F32, 1, &ne1, d, sizeof d);
    hr_gguf_writer_add_tensor (w, "w", HR_TYPE_F32, 1, &ne1, d, sizeof d);
    g_assert_cmpint (hr_gguf_writer_write_memory (w, &data, &size, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "duplicate tensor name 'w'"));
    hr_gguf_writer_free (w);
  }
}

/* One tensor file with the given info and a data section of data_len bytes. */
static GByteArray *
one_tensor (uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset, size_t data_len)
{
  GByteArray *b = raw_header (3, 1, 0);

  put_tensor_info (b, "blk.0.attn_q.weight", n_dims, ne, type, offset);
  pad_to (b, 32);
  put_zeros (b, data_len);
  return b;
}

static void
test_bad_tensors (void)
{
  GByteArray *b;
  uint64_t ne[5] = { 32, 2, 1, 1, 1 };

  /* a good one first, to be sure the cases below fail for their own reason */
  b = one_tensor (2, ne, HR_TYPE_F32, 0, 256);
  hr_gguf_close (open_mem_ok (b->data, b->len));
  g_byte_array_unref (b);

  b = one_tensor (2, ne, HR_TYPE_F32, 32, 256);
  expect_refused (b->data, b->len, "tensor 0 ('blk.0.attn_q.weight') data ends past end of file");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, HR_TYPE_F32, UINT64_MAX - 8, 256);
  expect_refused (b->data, b->len, "('blk.0.attn_q.weight')");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, HR_TYPE_F32, 1ull << 40, 256);
  expect_refused (b->data, b->len, "data ends past end of file");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, HR_TYPE_F32, 4, 512);
  expect_refused (b->data, b->len, "data offset 4 is not a multiple of the alignment 32");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, 99, 0, 256);
  expect_refused (b->data, b->len, "('blk.0.attn_q.weight') has unknown tensor type 99");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, 4, 0, 256);   /* a removed ggml type */
  expect_refused (b->data, b->len, "unknown tensor type 4");
  g_byte_array_unref (b);
  b = one_tensor (2, ne, 0xffffffffu, 0, 256);
  expect_refused (b->data, b->len, "unknown tensor type 4294967295");
  g_byte_array_unref (b);
  b = one_tensor (5, ne, HR_TYPE_F32, 0, 256);
  expect_refused (b->data, b->len, "has 5 dimensions (at most 4)");
  g_byte_array_unref (b);
  {
    uint64_t neg[2] = { 32, (uint64_t) -2 };

    b = one_tensor (2, neg, HR_TYPE_F32, 0, 256);
    expect_refused (b->data, b->len, "dimension 1 is negative (-2)");
    g_byte_array_unref (b);
  }
  {
    uint64_t big[4] = { 1ull << 32, 1ull << 32, 1, 1 };

    b = one_tensor (4, big, HR_TYPE_F32, 0, 256);
    expect_refused (b->data, b->len, "element count overflows");
    g_byte_array_unref (b);
  }
  {
    /* the product of the other dimensions overflows even when ne[0] is 0 */
    uint64_t big[4] = { 0, 1ull << 40, 1ull << 40, 1 };

    b = one_tensor (4, big, HR_TYPE_F32, 0, 256);
    expect_refused (b->data, b->len, "element count overflows");
    g_byte_array_unref (b);
  }
  {
    /* fits in int64 elements, but not in the file */
    uint64_t big[2] = { 1ull << 30, 1ull << 20 };

    b = one_tensor (2, big, HR_TYPE_F32, 0, 256);
    expect_refused (b->data, b->len, "data ends past end of file");
    g_byte_array_unref (b);
  }
  {
    uint64_t odd[2] = { 48, 1 };

    b = one_tensor (2, odd, HR_TYPE_Q4_K, 0, 512);
    expect_refused (b->data, b->len, "row length 48 is not a multiple of the q4_K block size 256");
    g_byte_array_unref (b);
  }
  /* data section starting past the end of the file */
  b = raw_header (3, 1, 0);
  put_tensor_info (b, "w", 1, ne, HR_TYPE_F32, 0);
  expect_refused (b->data, b->len, "data section");
  g_byte_array_unref (b);
}

/* ---------------------------------------------------------------------------------------
 * Files and the writer's other paths
 */

static void
test_file_open (void)
{
  g_autofree char *dir = g_dir_make_tmp ("heron-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.gguf", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.gguf", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.gguf", NULL);
  hr_gguf_writer *w = hr_gguf_writer_new ();
  char err[HR_ERR_LEN] = "";
  uint8_t q8[68];
  uint16_t f16[16];
  hr_gguf *g = NULL;
  gchar *contents;
  gsize len;
  void *mem;
  size_t mem_size;

  g_assert_nonnull (dir);
  fill_reference (w, true);
  add_reference_tensors (w, q8, f16);
  g_assert_cmpint (hr_gguf_writer_write (w, path, err, sizeof err), ==, 0);
  write_mem (w, &mem, &mem_size);
  hr_gguf_writer_free (w);
  /* file and memory output are the same bytes */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, mem, mem_size);
  g_free (contents);
  g_free (mem);

  g_assert_cmpint (hr_gguf_open (path, &g, err, sizeof err), ==, 0);
  g_assert_cmpuint (hr_gguf_file_size (g), ==, len);
  g_assert_cmpint (hr_gguf_n_tensors (g), ==, 3);
  g_assert_cmpmem (hr_gguf_find_tensor (g, "c")->data, 32, f16, 32);
  hr_gguf_close (g);

  g = (hr_gguf *) 0x1;
  g_assert_cmpint (hr_gguf_open (missing, &g, err, sizeof err), ==, -1);
  g_assert_null (g);
  g_assert_nonnull (strstr (err, missing));
  g_assert_nonnull (strstr (err, "cannot open"));
  g_assert_cmpint (hr_gguf_open (dir, &g, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "not a regular file"));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_cmpint (hr_gguf_open (empty, &g, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "empty file"));
  /* errors of a real file name the file */
  g_assert_true (g_file_set_contents (empty, "GGUF\x03\0\0\0", 8, NULL));
  g_assert_cmpint (hr_gguf_open (empty, &g, err, sizeof err), ==, -1);
  g_assert_true (g_str_has_prefix (err, empty));
  g_assert_nonnull (strstr (err, "truncated file"));

  /* a tiny error buffer is fine */
  g_assert_cmpint (hr_gguf_open (empty, &g, err, 4), ==, -1);
  g_assert_cmpuint (strlen (err), ==, 3);
  g_assert_cmpint (hr_gguf_open (empty, &g, NULL, 0), ==, -1);

  /* an unwritable path */
  w = hr_gguf_writer_new ();
  {
    g_autofree char *bad = g_build_filename (dir, "no", "such", "dir.gguf", NULL);

    g_assert_cmpint (hr_gguf_writer_write (w, bad, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "cannot create"));
  }
  hr_gguf_writer_free (w);

  g_unlink (path);
  g_unlink (empty);
  g_rmdir (dir);
}

static size_t
data_offset_of (const void *contents, size_t len)
{
  hr_gguf *g = open_mem_ok (contents, len);
  size_t off = hr_gguf_data_offset (g);

  hr_gguf_close (g);
  return off;
}

/* Metadata-only opens read a growing prefix of the file: the same answers and the same
 * errors as a full open, without tensor data. */
static void
test_metadata_only (void)
{
  g_autofree char *dir = g_dir_make_tmp ("heron-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.gguf", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.gguf", NULL);
  hr_gguf_writer *w = hr_gguf_writer_new ();
  enum { N = 200000 };
  char **strs = g_new0 (char *, N);
  float *data = g_new0 (float, 1 << 20);
  int64_t ne[2] = { 1024, 1024 };
  char err[HR_ERR_LEN] = "", err2[HR_ERR_LEN] = "";
  hr_gguf *g = NULL, *full = NULL;
  gchar *contents;
  gsize len;
  uint64_t n;

  /* about 3.5 MB of metadata (more than the first read), then 4 MB of weights */
  for (int i = 0; i < N; i++)
    strs[i] = g_strdup_printf ("token-%d", i);
  hr_gguf_writer_add_str (w, "general.architecture", "llama");
  hr_gguf_writer_add_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) strs, N);
  hr_gguf_writer_add_u32 (w, "after.tokens", 7);
  data[5] = 1.0f;
  hr_gguf_writer_add_tensor (w, "w", HR_TYPE_F32, 2, ne, data, sizeof (float) << 20);
  g_assert_cmpint (hr_gguf_writer_write (w, path, err, sizeof err), ==, 0);
  hr_gguf_writer_free (w);

  g_assert_cmpint (hr_gguf_open_ex (path, HR_GGUF_OPEN_METADATA_ONLY, &g, err, sizeof err), ==, 0);
  g_assert_cmpint (hr_gguf_open (path, &full, err, sizeof err), ==, 0);
  g_assert_cmpuint (hr_gguf_file_size (g), ==, hr_gguf_file_size (full));
  g_assert_cmpuint (hr_gguf_data_offset (g), ==, hr_gguf_data_offset (full));
  g_assert_cmpint (hr_gguf_arr_type (g, key (g, "tokenizer.ggml.tokens"), &n), ==,
                   HR_GGUF_STRING);
  g_assert_cmpuint (n, ==, N);
  g_assert_true (hr_str_eq (hr_gguf_arr_str (g, key (g, "tokenizer.ggml.tokens"), N - 1),
                            "token-199999"));
  g_assert_cmpint (hr_gguf_get_int (g, "after.tokens", 0), ==, 7);
  g_assert_cmpint (hr_gguf_n_tensors (g), ==, 1);
  g_assert_cmpuint (hr_gguf_tensor_at (g, 0)->nbytes, ==, sizeof (float) << 20);
  g_assert_cmpuint (hr_gguf_tensor_at (g, 0)->offset, ==, hr_gguf_tensor_at (full, 0)->offset);
  g_assert_null (hr_gguf_tensor_at (g, 0)->data);
  g_assert_nonnull (hr_gguf_tensor_at (full, 0)->data);
  hr_gguf_close (g);
  hr_gguf_close (full);

  /* cut inside the tokens, inside the tensor infos and inside the data: both opens refuse
   * with the same message (the metadata-only one falls back to the full file to say why) */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  {
    size_t cuts[] = { 100, 2u << 20, data_offset_of (contents, len) - 3,
                      len - 1 };

    for (size_t i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_assert_true (g_file_set_contents (cut, contents, (gssize) cuts[i], NULL));
        g_assert_cmpint (hr_gguf_open_ex (cut, HR_GGUF_OPEN_METADATA_ONLY, &g, err, sizeof err),
                         ==, -1);
        g_assert_cmpint (hr_gguf_open (cut, &g, err2, sizeof err2), ==, -1);
        g_assert_cmpstr (err, ==, err2);
        g_assert_nonnull (strstr (err, "truncated file"));
      }
  }
  g_free (contents);
  for (int i = 0; i < N; i++)
    g_free (strs[i]);
  g_free (strs);
  g_free (data);
  g_unlink (path);
  g_unlink (cut);
  g_rmdir (dir);
}

static bool
skip_a_keys (const char *k, void *ud)
{
  (*(int *) ud)++;
  return g_str_has_prefix (k, "a.");
}

static void
test_copy_kv (void)
{
  size_t size, size2;
  void *data = make_reference (&size, true, false);
  hr_gguf *src = open_mem_ok (data, size);
  hr_gguf_writer *w = hr_gguf_writer_new ();
  hr_gguf *g;
  void *data2;
  int calls = 0;

  hr_gguf_writer_copy_kv (w, src, NULL, NULL);
  write_mem (w, &data2, &size2);
  hr_gguf_writer_free (w);
  /* a full copy is byte-identical */
  g_assert_cmpmem (data2, size2, data, size);
  g_free (data2);

  w = hr_gguf_writer_new ();
  hr_gguf_writer_copy_kv (w, src, skip_a_keys, &calls);
  hr_gguf_writer_add_str (w, "general.architecture", "qwen2");   /* replaces the copy */
  write_mem (w, &data2, &size2);
  hr_gguf_writer_free (w);
  g_assert_cmpint (calls, ==, hr_gguf_n_kv (src));
  g = open_mem_ok (data2, size2);
  g_assert_cmpint (hr_gguf_find_key (g, "a.u8"), ==, -1);
  g_assert_cmpint (hr_gguf_get_int (g, "t.i16", 0), ==, -32000);
  g_assert_cmpuint (hr_gguf_get_u64 (g, "t.u64", 0), ==, UINT64_MAX);
  g_assert_true (hr_str_eq (hr_gguf_get_str (g, "general.architecture"), "qwen2"));
  g_assert_cmpint (hr_gguf_find_key (g, "general.architecture"), ==, 0);
  hr_gguf_close (g);
  g_free (data2);
  hr_gguf_close (src);
  g_free (data);
}

static void
test_writer_errors (void)
{
  struct { const char *want; int which; } cases[] = {
    { "12 bytes given, 16 expected", 0 },
    { "not a multiple of the q8_0 block size 32", 1 },
    { "unknown type 99", 2 },
    { "5 dimensions", 3 },
    { "key 'bad': truncated file", 4 },
    { "bytes after its end", 5 },
    { "general.alignment must be of type u32", 6 },
    { "not a scalar type", 7 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      hr_gguf_writer *w = hr_gguf_writer_new ();
      float d[16] = { 0 };
      int64_t ne[5] = { 4, 1, 1, 1, 1 };
      int64_t ne_q[1] = { 16 };
      uint8_t raw[16] = { 0 };
      char err[HR_ERR_LEN] = "";
      void *data;
      size_t size;
      uint64_t v = 64;

      switch (cases[i].which)
        {
        case 0: hr_gguf_writer_add_tensor (w, "x", HR_TYPE_F32, 1, ne, d, 12); break;
        case 1: hr_gguf_writer_add_tensor (w, "x", HR_TYPE_Q8_0, 1, ne_q, d, 17); break;
        case 2: hr_gguf_writer_add_tensor (w, "x", (hr_type) 99, 1, ne, d, 16); break;
        case 3: hr_gguf_writer_add_tensor (w, "x", HR_TYPE_F32, 5, ne, d, 16); break;
        case 4:
          /* an array claiming 100 u32 with 8 bytes of elements */
          memcpy (raw, (uint32_t[]) { HR_GGUF_UINT32 }, 4);
          memcpy (raw + 4, (uint64_t[]) { 100 }, 8);
          hr_gguf_writer_add_raw (w, "bad", HR_GGUF_ARRAY, raw, 16);
          break;
        case 5: hr_gguf_writer_add_raw (w, "bad", HR_GGUF_UINT32, raw, 8); break;
        case 6: hr_gguf_writer_add_scalar (w, "general.alignment", HR_GGUF_UINT64, &v); break;
        case 7: hr_gguf_writer_add_scalar (w, "x", HR_GGUF_STRING, "x"); break;
        default: g_assert_not_reached ();
        }
      g_assert_cmpint (hr_gguf_writer_write_memory (w, &data, &size, err, sizeof err), ==, -1);
      g_test_message ("writer error: %s", err);
      if (!strstr (err, cases[i].want))
        g_error ("writer error '%s' does not contain '%s'", err, cases[i].want);
      hr_gguf_writer_free (w);
    }
}

/* ---------------------------------------------------------------------------------------
 * Real vocabularies from ../shared
 */

static void
test_vocab_files (void)
{
  const char *shared = g_getenv ("HERON_SHARED_DIR");
  g_autofree char *dir = shared ? g_build_filename (shared, "testdata", "vocab", NULL) : NULL;
  GDir *d;
  const char *name;
  int n_files = 0;

  if (!dir || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("HERON_SHARED_DIR/testdata/vocab is absent");
      return;
    }
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *path = NULL;
      char err[HR_ERR_LEN] = "";
      hr_gguf *g = NULL;
      hr_str model;
      int64_t tok, tt, sc, mg;
      uint64_t n_tok = 0, n_tt = 0, n_sc = 0, n_mg = 0;

      if (!g_str_has_suffix (name, ".gguf"))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (hr_gguf_open (path, &g, err, sizeof err) != 0)
        g_error ("%s", err);
      n_files++;
      g_assert_cmpuint (hr_gguf_version (g), ==, 3);
      model = hr_gguf_get_str (g, "tokenizer.ggml.model");
      g_assert_true (hr_str_eq (model, "llama") || hr_str_eq (model, "gpt2"));
      tok = key (g, "tokenizer.ggml.tokens");
      tt = key (g, "tokenizer.ggml.token_type");
      g_assert_cmpint (hr_gguf_arr_type (g, tok, &n_tok), ==, HR_GGUF_STRING);
      g_assert_cmpint (hr_gguf_arr_type (g, tt, &n_tt), ==, HR_GGUF_INT32);
      g_assert_cmpuint (n_tok, >, 1000);
      g_assert_cmpuint (n_tok, ==, n_tt);
      sc = hr_gguf_find_key (g, "tokenizer.ggml.scores");
      if (sc >= 0)
        {
          g_assert_cmpint (hr_gguf_arr_type (g, sc, &n_sc), ==, HR_GGUF_FLOAT32);
          g_assert_cmpuint (n_sc, ==, n_tok);
        }
      else
        g_assert_true (hr_str_eq (model, "gpt2"));
      mg = hr_gguf_find_key (g, "tokenizer.ggml.merges");
      if (hr_str_eq (model, "gpt2"))
        {
          g_assert_cmpint (mg, >=, 0);
          g_assert_cmpint (hr_gguf_arr_type (g, mg, &n_mg), ==, HR_GGUF_STRING);
          g_assert_cmpuint (n_mg, >, 1000);
          /* a merge is two pieces separated by one space */
          g_assert_nonnull (memchr (hr_gguf_arr_str (g, mg, 0).ptr, ' ',
                                    hr_gguf_arr_str (g, mg, 0).len));
        }
      else
        {
          /* SentencePiece vocabularies start with <unk>, <s>, </s> */
          g_assert_true (hr_str_eq (hr_gguf_arr_str (g, tok, 0), "<unk>"));
          g_assert_true (hr_str_eq (hr_gguf_arr_str (g, tok, 1), "<s>"));
        }
      /* the last token is reachable in O(1) and lies inside the file */
      {
        hr_str last = hr_gguf_arr_str (g, tok, n_tok - 1);
        const char *base = hr_gguf_base (g);

        g_assert_true (last.ptr >= base
                       && last.ptr + last.len <= base + hr_gguf_file_size (g));
      }
      g_assert_cmpint (hr_gguf_n_tensors (g), ==, 0);
      hr_gguf_close (g);
    }
  g_dir_close (d);
  g_assert_cmpint (n_files, >, 0);
}

/* ---------------------------------------------------------------------------------------
 * Seed corpus for tests/fuzz (run by hand: test-gguf --write-corpus DIR)
 */

static int
write_corpus (const char *dir)
{
  struct { const char *name; bool nested, tensors; size_t cut; } seeds[] = {
    { "reference.gguf", true, true, 0 },
    { "metadata-only.gguf", true, false, 0 },
    { "flat.gguf", false, true, 0 },
    { "truncated-in-kv.gguf", true, true, 200 },
    { "truncated-in-tensors.gguf", false, true, 0 /* set below */ },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      size_t size;
      void *data = make_reference (&size, seeds[i].nested, seeds[i].tensors);
      g_autofree char *path = g_build_filename (dir, seeds[i].name, NULL);
      size_t len = seeds[i].cut ? seeds[i].cut : size;

      if (i == 4)
        len = size - 40;
      if (!g_file_set_contents (path, data, (gssize) MIN (len, size), NULL))
        return 1;
      g_free (data);
    }
  {
    /* one small tensor of every type the engine reads, alignment 64 */
    static const hr_type types[] = { HR_TYPE_F32, HR_TYPE_F16, HR_TYPE_BF16, HR_TYPE_Q4_0,
                                     HR_TYPE_Q4_1, HR_TYPE_Q5_0, HR_TYPE_Q5_1, HR_TYPE_Q8_0,
                                     HR_TYPE_Q2_K, HR_TYPE_Q3_K, HR_TYPE_Q4_K, HR_TYPE_Q5_K,
                                     HR_TYPE_Q6_K };
    hr_gguf_writer *w = hr_gguf_writer_new ();
    g_autofree char *path = g_build_filename (dir, "types.gguf", NULL);
    char err[HR_ERR_LEN];

    hr_gguf_writer_set_alignment (w, 64);
    hr_gguf_writer_add_str (w, "general.architecture", "qwen3");
    hr_gguf_writer_add_u32 (w, "general.file_type", 15);
    hr_gguf_writer_add_u32 (w, "qwen3.block_count", 1);
    for (size_t i = 0; i < G_N_ELEMENTS (types); i++)
      {
        const hr_type_traits *tr = hr_type_get_traits (types[i]);
        int64_t ne[2] = { tr->block_size == 1 ? 4 : tr->block_size, 1 };
        size_t nb = hr_type_row_size (types[i], ne[0]);
        void *d = g_malloc0 (nb);

        hr_gguf_writer_add_tensor (w, tr->name, types[i], 2, ne, d, nb);
        g_free (d);
      }
    if (hr_gguf_writer_write (w, path, err, sizeof err) != 0)
      return 1;
    hr_gguf_writer_free (w);
  }
  {
    GByteArray *b = raw_header (2, 0, 1);
    g_autofree char *path = g_build_filename (dir, "v2.gguf", NULL);

    put_str (b, "general.architecture");
    put_u32 (b, HR_GGUF_STRING);
    put_str (b, "qwen2");
    if (!g_file_set_contents (path, (const char *) b->data, b->len, NULL))
      return 1;
    g_byte_array_unref (b);
  }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--write-corpus") == 0)
    return write_corpus (argv[2]);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/heron/engine/gguf/roundtrip-scalars", test_roundtrip_scalars);
  g_test_add_func ("/heron/engine/gguf/roundtrip-arrays", test_roundtrip_arrays);
  g_test_add_func ("/heron/engine/gguf/roundtrip-tensors", test_roundtrip_tensors);
  g_test_add_func ("/heron/engine/gguf/many-keys", test_many_keys);
  g_test_add_func ("/heron/engine/gguf/alignment", test_alignment);
  g_test_add_func ("/heron/engine/gguf/alignment-bad", test_alignment_bad);
  g_test_add_func ("/heron/engine/gguf/v2", test_v2);
  g_test_add_func ("/heron/engine/gguf/versions", test_versions);
  g_test_add_func ("/heron/engine/gguf/truncated-every-byte", test_truncated_every_byte);
  g_test_add_func ("/heron/engine/gguf/message-names-key", test_message_names_key);
  g_test_add_func ("/heron/engine/gguf/absurd-counts", test_absurd_counts);
  g_test_add_func ("/heron/engine/gguf/bad-value-types", test_bad_value_types);
  g_test_add_func ("/heron/engine/gguf/duplicates", test_duplicates);
  g_test_add_func ("/heron/engine/gguf/bad-tensors", test_bad_tensors);
  g_test_add_func ("/heron/engine/gguf/file-open", test_file_open);
  g_test_add_func ("/heron/engine/gguf/metadata-only", test_metadata_only);
  g_test_add_func ("/heron/engine/gguf/copy-kv", test_copy_kv);
  g_test_add_func ("/heron/engine/gguf/writer-errors", test_writer_errors);
  g_test_add_func ("/heron/engine/gguf/vocab-files", test_vocab_files);
  return g_test_run ();
}
