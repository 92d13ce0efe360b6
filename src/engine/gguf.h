/* gguf.h: bounds-checked GGUF (v2, v3) reader over mmap, and a small writer for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quants.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Metadata value types, numbered as in the GGUF specification. */
typedef enum {
  HR_GGUF_UINT8 = 0,
  HR_GGUF_INT8 = 1,
  HR_GGUF_UINT16 = 2,
  HR_GGUF_INT16 = 3,
  HR_GGUF_UINT32 = 4,
  HR_GGUF_INT32 = 5,
  HR_GGUF_FLOAT32 = 6,
  HR_GGUF_BOOL = 7,
  HR_GGUF_STRING = 8,
  HR_GGUF_ARRAY = 9,
  HR_GGUF_UINT64 = 10,
  HR_GGUF_INT64 = 11,
  HR_GGUF_FLOAT64 = 12,
  HR_GGUF_N_TYPES
} hr_gguf_type;

/* A string inside the mapping: NOT NUL-terminated. */
typedef struct {
  const char *ptr;
  uint64_t len;
} hr_str;

#define HR_GGUF_MAX_DIMS 4

typedef struct {
  hr_str name;
  uint32_t n_dims;
  int64_t ne[HR_GGUF_MAX_DIMS];   /* ne[0] is the row length (contiguous) */
  hr_type type;
  uint64_t offset;                /* relative to the data section */
  const void *data;               /* inside the mapping; validated in bounds */
  size_t nbytes;
} hr_gguf_tensor;

typedef struct hr_gguf hr_gguf;

#define HR_ERR_LEN 256

/* Open and validate a whole file (header, every key/value, every tensor info and extent).
 * Returns 0 on success; on failure returns -1 and writes a message naming what was wrong
 * (e.g. "tensor 'blk.0.attn_q.weight': data ends past end of file (offset ...)") to err. */
int  hr_gguf_open (const char *path, hr_gguf **out, char *err, size_t errlen);
/* Added. Flags for hr_gguf_open_ex. METADATA_ONLY: for callers that never read tensor data
 * (listing models): only the start of the file (header, metadata, tensor infos) is read,
 * into memory, so no weight page is read from disk; every check is the same, but tensor
 * data pointers are NULL and hr_gguf_base covers only that start. */
#define HR_GGUF_OPEN_METADATA_ONLY (1u << 0)
int  hr_gguf_open_ex (const char *path, unsigned flags, hr_gguf **out, char *err, size_t errlen);
/* Same over a caller-owned buffer that must outlive the handle (tests, fuzzing). */
int  hr_gguf_open_memory (const void *data, size_t size, hr_gguf **out, char *err, size_t errlen);
void hr_gguf_close (hr_gguf *g);

uint32_t    hr_gguf_version (const hr_gguf *g);
size_t      hr_gguf_file_size (const hr_gguf *g);
const void *hr_gguf_base (const hr_gguf *g);           /* start of the mapping */
uint64_t    hr_gguf_data_offset (const hr_gguf *g);    /* absolute offset of the data section */
uint32_t    hr_gguf_alignment (const hr_gguf *g);

/* Key/value access. Keys are looked up by exact name; -1 when absent. */
int64_t       hr_gguf_n_kv (const hr_gguf *g);
int64_t       hr_gguf_find_key (const hr_gguf *g, const char *key);
hr_str        hr_gguf_kv_key (const hr_gguf *g, int64_t i);
hr_gguf_type  hr_gguf_kv_type (const hr_gguf *g, int64_t i);

/* Scalars: convert any integer/float/bool type; return def when the key is absent or of a
 * non-numeric type. */
int64_t  hr_gguf_get_int (const hr_gguf *g, const char *key, int64_t def);
double   hr_gguf_get_float (const hr_gguf *g, const char *key, double def);
bool     hr_gguf_get_bool (const hr_gguf *g, const char *key, bool def);
/* String value; {NULL,0} when absent or not a string. */
hr_str   hr_gguf_get_str (const hr_gguf *g, const char *key);
/* Copy into a NUL-terminated malloc'd string (NULL when absent). Caller frees. */
char    *hr_gguf_get_strdup (const hr_gguf *g, const char *key);

/* Arrays. Element type and count; for an absent key or a non-array, type is HR_GGUF_N_TYPES
 * and n is 0. */
hr_gguf_type hr_gguf_arr_type (const hr_gguf *g, int64_t kv, uint64_t *n);
/* Raw pointer to the elements of an array of fixed-size numeric type (little endian, packed,
 * possibly unaligned: read with memcpy). NULL for string/nested arrays. */
const void  *hr_gguf_arr_data (const hr_gguf *g, int64_t kv);
/* Element i of an array of strings (O(1): the reader indexes string arrays at open). */
hr_str       hr_gguf_arr_str (const hr_gguf *g, int64_t kv, uint64_t i);
/* Element i of a numeric array converted to double / int64. */
double       hr_gguf_arr_float (const hr_gguf *g, int64_t kv, uint64_t i);
int64_t      hr_gguf_arr_int (const hr_gguf *g, int64_t kv, uint64_t i);

/* Nested arrays (added). Every array value, at any depth, has an id; -1 means "not an array".
 * The hr_gguf_arr_* functions above are the same calls on hr_gguf_kv_array (g, kv). */
int64_t      hr_gguf_kv_array (const hr_gguf *g, int64_t kv);
hr_gguf_type hr_gguf_array_type (const hr_gguf *g, int64_t arr, uint64_t *n);
const void  *hr_gguf_array_data (const hr_gguf *g, int64_t arr);
hr_str       hr_gguf_array_str (const hr_gguf *g, int64_t arr, uint64_t i);
double       hr_gguf_array_float (const hr_gguf *g, int64_t arr, uint64_t i);
int64_t      hr_gguf_array_int (const hr_gguf *g, int64_t arr, uint64_t i);
/* Element i of an array of arrays (O(1)); -1 when out of range or not an array of arrays. */
int64_t      hr_gguf_array_sub (const hr_gguf *g, int64_t arr, uint64_t i);

/* Raw value of key kv (added): for scalars the little-endian bytes (possibly unaligned), for
 * strings the bytes; *size is set to the byte count. NULL for arrays or out of range. */
const void  *hr_gguf_kv_data (const hr_gguf *g, int64_t kv, size_t *size);
/* Exact unsigned value (u64 above INT64_MAX included); def when absent, negative or not an
 * integer type. */
uint64_t     hr_gguf_get_u64 (const hr_gguf *g, const char *key, uint64_t def);
/* Size in bytes of one element of a fixed-size type (0 for strings and arrays). */
size_t       hr_gguf_type_size (hr_gguf_type type);
const char  *hr_gguf_type_name (hr_gguf_type type);

/* Tensors. */
int64_t               hr_gguf_n_tensors (const hr_gguf *g);
const hr_gguf_tensor *hr_gguf_tensor_at (const hr_gguf *g, int64_t i);
const hr_gguf_tensor *hr_gguf_find_tensor (const hr_gguf *g, const char *name);

bool hr_str_eq (hr_str s, const char *cstr);

/* ---- Writer (used by tests and by heron-cli to build small models) ---- */
typedef struct hr_gguf_writer hr_gguf_writer;

hr_gguf_writer *hr_gguf_writer_new (void);
void hr_gguf_writer_free (hr_gguf_writer *w);
void hr_gguf_writer_set_alignment (hr_gguf_writer *w, uint32_t alignment);
void hr_gguf_writer_add_u32 (hr_gguf_writer *w, const char *key, uint32_t v);
void hr_gguf_writer_add_i32 (hr_gguf_writer *w, const char *key, int32_t v);
void hr_gguf_writer_add_u64 (hr_gguf_writer *w, const char *key, uint64_t v);
void hr_gguf_writer_add_f32 (hr_gguf_writer *w, const char *key, float v);
void hr_gguf_writer_add_bool (hr_gguf_writer *w, const char *key, bool v);
void hr_gguf_writer_add_str (hr_gguf_writer *w, const char *key, const char *v);
/* Arrays: elements copied. type is the element type (numeric types: n packed values). */
void hr_gguf_writer_add_arr (hr_gguf_writer *w, const char *key, hr_gguf_type type,
                             const void *data, uint64_t n);
void hr_gguf_writer_add_arr_str (hr_gguf_writer *w, const char *key,
                                 const char *const *strs, uint64_t n);
/* Copy every key/value of an open file (e.g. a vocabulary) except those for which
 * skip(key) returns true (skip may be NULL). */
void hr_gguf_writer_copy_kv (hr_gguf_writer *w, const hr_gguf *src,
                             bool (*skip) (const char *key, void *ud), void *ud);
/* Tensor data is copied; nbytes must equal hr_type_row_size(type, ne[0]) * rows. */
void hr_gguf_writer_add_tensor (hr_gguf_writer *w, const char *name, hr_type type,
                                uint32_t n_dims, const int64_t *ne, const void *data,
                                size_t nbytes);
int  hr_gguf_writer_write (hr_gguf_writer *w, const char *path, char *err, size_t errlen);

/* Added. Any scalar type (numeric or bool); v points to one value of that type. */
void hr_gguf_writer_add_scalar (hr_gguf_writer *w, const char *key, hr_gguf_type type,
                                const void *v);
/* Any value given already encoded as in a file (for an array: element type, count, elements),
 * e.g. nested arrays. The payload is checked as the reader would check it. */
void hr_gguf_writer_add_raw (hr_gguf_writer *w, const char *key, hr_gguf_type type,
                             const void *payload, size_t size);
/* Write into a malloc'd buffer (caller frees *out) instead of a file. */
int  hr_gguf_writer_write_memory (hr_gguf_writer *w, void **out, size_t *size,
                                  char *err, size_t errlen);
/* Adding a key that exists replaces its value. Errors in add_* calls (bad tensor sizes,
 * duplicate tensor names, bad alignment, out of memory) are kept and reported by write. */

#ifdef __cplusplus
}
#endif
