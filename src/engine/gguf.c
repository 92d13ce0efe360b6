/* gguf.c: bounds-checked GGUF (v2, v3) reader over mmap, and a small writer.
 *
 * The reader trusts nothing in the file: every count, length, offset, dimension and type is
 * checked against the bytes that remain and for overflow before it is used, and an error
 * says what was wrong and where. Values stay inside the mapping; the reader only keeps an
 * index (keys and tensor names hashed, arrays of variable-size elements indexed) so that
 * lookups are O(1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
/* Nested arrays deeper than this are refused: no real file nests at all, and the limit keeps
 * the recursion bounded on hostile input. */
#define GGUF_MAX_DEPTH 8

/* ----------------------------------------------------------------------------------------
 * Types
 */

static const struct {
  const char *name;
  size_t size;      /* 0: variable size */
} gguf_types[HR_GGUF_N_TYPES] = {
  [HR_GGUF_UINT8] = { "u8", 1 },
  [HR_GGUF_INT8] = { "i8", 1 },
  [HR_GGUF_UINT16] = { "u16", 2 },
  [HR_GGUF_INT16] = { "i16", 2 },
  [HR_GGUF_UINT32] = { "u32", 4 },
  [HR_GGUF_INT32] = { "i32", 4 },
  [HR_GGUF_FLOAT32] = { "f32", 4 },
  [HR_GGUF_BOOL] = { "bool", 1 },
  [HR_GGUF_STRING] = { "str", 0 },
  [HR_GGUF_ARRAY] = { "arr", 0 },
  [HR_GGUF_UINT64] = { "u64", 8 },
  [HR_GGUF_INT64] = { "i64", 8 },
  [HR_GGUF_FLOAT64] = { "f64", 8 },
};

size_t
hr_gguf_type_size (hr_gguf_type type)
{
  if ((unsigned) type >= HR_GGUF_N_TYPES)
    return 0;
  return gguf_types[type].size;
}

const char *
hr_gguf_type_name (hr_gguf_type type)
{
  if ((unsigned) type >= HR_GGUF_N_TYPES)
    return "invalid";
  return gguf_types[type].name;
}

static bool
is_numeric (hr_gguf_type t)
{
  return (unsigned) t < HR_GGUF_N_TYPES && gguf_types[t].size != 0;
}

/* One array value (a key's own array or an element of an array of arrays). */
typedef struct {
  hr_gguf_type type;          /* element type */
  uint64_t n;                 /* element count */
  const uint8_t *data;        /* first element */
  uint64_t *offs;             /* strings / arrays: byte offset of element i from data (owned) */
  int64_t first_child;        /* arrays of arrays: id of element 0; elements are contiguous */
} gguf_array;

typedef struct {
  hr_str key;
  hr_gguf_type type;
  const uint8_t *val;         /* payload (scalar bytes; string bytes; array: after its header) */
  uint64_t val_size;          /* payload size (for arrays: including the type/count header) */
  const uint8_t *raw;         /* the encoded value as in the file (used to copy values) */
  int64_t arr;                /* array id, or -1 */
} gguf_kv;

/* Open-addressing hash index of names -> position; -1 marks an empty slot. */
typedef struct {
  int64_t *slots;
  uint64_t mask;
} name_index;

struct hr_gguf {
  const uint8_t *base;
  size_t size;                /* bytes at base */
  size_t file_size;           /* whole file (larger than size for metadata-only opens) */
  bool mapped;
  bool owned;                 /* base is a malloc'd prefix of the file */
  uint32_t version;
  uint32_t alignment;
  uint64_t data_offset;

  int64_t n_kv;
  gguf_kv *kv;
  name_index kv_index;

  int64_t n_tensors;
  hr_gguf_tensor *tensors;
  name_index tensor_index;

  gguf_array *arrays;
  int64_t n_arrays;
  int64_t cap_arrays;
};

/* ----------------------------------------------------------------------------------------
 * Name index
 */

static uint64_t
hash_bytes (const char *p, uint64_t len)
{
  uint64_t h = 1469598103934665603ull;

  for (uint64_t i = 0; i < len; i++)
    {
      h ^= (uint8_t) p[i];
      h *= 1099511628211ull;
    }
  return h;
}

static bool
index_init (name_index *ix, int64_t n)
{
  uint64_t cap = 8;

  while (cap < (uint64_t) n * 2)
    cap <<= 1;
  ix->slots = malloc (cap * sizeof *ix->slots);
  if (!ix->slots)
    return false;
  memset (ix->slots, 0xff, cap * sizeof *ix->slots);
  ix->mask = cap - 1;
  return true;
}

/* Find the slot for name: returns the stored position, or -1 with *slot set to the free
 * slot where it would go. names(i) gives the name stored at position i. */
static int64_t
index_lookup (const name_index *ix, const char *p, uint64_t len,
              hr_str (*names) (const hr_gguf *, int64_t), const hr_gguf *g, uint64_t *slot)
{
  uint64_t h;

  if (!ix->slots)
    return -1;
  h = hash_bytes (p, len) & ix->mask;
  for (;;)
    {
      int64_t pos = ix->slots[h];
      hr_str s;

      if (pos < 0)
        {
          if (slot)
            *slot = h;
          return -1;
        }
      s = names (g, pos);
      if (s.len == len && memcmp (s.ptr, p, len) == 0)
        return pos;
      h = (h + 1) & ix->mask;
    }
}

static hr_str
kv_name (const hr_gguf *g, int64_t i)
{
  return g->kv[i].key;
}

static hr_str
tensor_name (const hr_gguf *g, int64_t i)
{
  return g->tensors[i].name;
}

/* ----------------------------------------------------------------------------------------
 * Parser state and errors
 */

typedef struct {
  hr_gguf *g;
  const uint8_t *base;
  uint64_t size;
  uint64_t pos;
  char *err;
  size_t errlen;
  char where[192];            /* what is being read, for messages */
  bool failed;
  uint64_t file_size;         /* size of the whole file (size is what is in memory) */
} parser;



static void
set_err (char *err, size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
set_err (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!err || errlen == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
}

static int fail (parser *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
fail (parser *p, const char *fmt, ...)
{
  va_list ap;

  if (p->failed)
    return -1;
  p->failed = true;
  if (p->err && p->errlen)
    {
      va_start (ap, fmt);
      vsnprintf (p->err, p->errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

static int
fail_oom (parser *p)
{
  return fail (p, "out of memory while reading %s", p->where);
}

/* Describe a name for a message: printable, shortened, quoted. */
static void
quote_name (char *out, size_t outlen, const char *s, uint64_t len)
{
  size_t o = 0;
  uint64_t i;

  for (i = 0; i < len && o + 5 < outlen; i++)
    {
      unsigned char c = (unsigned char) s[i];
      out[o++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
  if (i < len && o + 4 < outlen)
    {
      memcpy (out + o, "...", 3);
      o += 3;
    }
  out[o] = '\0';
}

static uint64_t
remaining (const parser *p)
{
  return p->size - p->pos;
}

static int
need (parser *p, uint64_t n, const char *what)
{
  if (n > remaining (p))
    return fail (p, "truncated file: %s%s%s runs past end of file (needs %llu bytes at offset "
                 "%llu, file size %llu)", p->where, *p->where ? " " : "", what,
                 (unsigned long long) n, (unsigned long long) p->pos,
                 (unsigned long long) p->size);
  return 0;
}

static int
read_bytes (parser *p, void *dst, uint64_t n, const char *what)
{
  if (need (p, n, what) < 0)
    return -1;
  memcpy (dst, p->base + p->pos, n);
  p->pos += n;
  return 0;
}

/* GGUF is little endian; the hosts Heron runs on are too. */
static int
read_u32 (parser *p, uint32_t *v, const char *what)
{
  return read_bytes (p, v, 4, what);
}

static int
read_u64 (parser *p, uint64_t *v, const char *what)
{
  return read_bytes (p, v, 8, what);
}

static int
read_str (parser *p, hr_str *s, const char *what)
{
  uint64_t len;
  char lw[64];

  snprintf (lw, sizeof lw, "%s length", what);
  if (read_u64 (p, &len, lw) < 0)
    return -1;
  if (len > remaining (p))
    return fail (p, "truncated file: %s%s%s runs past end of file (length %llu at offset %llu, "
                 "file size %llu)", p->where, *p->where ? " " : "", what,
                 (unsigned long long) len, (unsigned long long) p->pos,
                 (unsigned long long) p->size);
  s->ptr = (const char *) p->base + p->pos;
  s->len = len;
  p->pos += len;
  return 0;
}

/* ----------------------------------------------------------------------------------------
 * Values
 */

static int64_t
new_arrays (parser *p, uint64_t n)
{
  hr_gguf *g = p->g;
  int64_t first = g->n_arrays;

  if ((uint64_t) (g->cap_arrays - g->n_arrays) < n)
    {
      uint64_t cap = g->cap_arrays ? (uint64_t) g->cap_arrays : 16;
      gguf_array *a;

      while (cap - (uint64_t) g->n_arrays < n)
        {
          if (cap > (uint64_t) INT64_MAX / 2 / sizeof *a)
            return fail_oom (p);
          cap *= 2;
        }
      a = realloc (g->arrays, cap * sizeof *a);
      if (!a)
        return fail_oom (p);
      g->arrays = a;
      g->cap_arrays = (int64_t) cap;
    }
  memset (g->arrays + first, 0, n * sizeof *g->arrays);
  for (uint64_t i = 0; i < n; i++)
    g->arrays[first + (int64_t) i].first_child = -1;
  g->n_arrays += (int64_t) n;
  return first;
}

static int parse_array (parser *p, int64_t id, int depth);

/* Append " <what> <i>" to p->where for the duration of reading one element. */
static size_t
where_push (parser *p, const char *fmt, unsigned long long i)
{
  size_t len = strlen (p->where);

  if (len < sizeof p->where)
    snprintf (p->where + len, sizeof p->where - len, fmt, i);
  return len;
}

static int
parse_array (parser *p, int64_t id, int depth)
{
  uint32_t type;
  uint64_t n;
  uint64_t start;
  gguf_array *a;

  if (read_u32 (p, &type, "array element type") < 0 || read_u64 (p, &n, "array length") < 0)
    return -1;
  if (type >= HR_GGUF_N_TYPES)
    return fail (p, "corrupt file: %s: unknown array element type %u", p->where, type);
  start = p->pos;

  if (is_numeric (type))
    {
      uint64_t esize = gguf_types[type].size;

      if (n > remaining (p) / esize)
        return fail (p, "truncated file: %s array of %llu %s values runs past end of file "
                     "(at offset %llu, file size %llu)", p->where, (unsigned long long) n,
                     gguf_types[type].name, (unsigned long long) p->pos,
                     (unsigned long long) p->size);
      p->pos += n * esize;
    }
  else if (type == HR_GGUF_STRING)
    {
      uint64_t *offs;
      /* Each string takes at least its 8-byte length, so reading fails by element
       * remaining / 8 at the latest: that bounds the index whatever n claims, and the error
       * then names the element that runs past the end. */
      uint64_t cap = n < remaining (p) / 8 + 1 ? n : remaining (p) / 8 + 1;

      offs = malloc ((cap ? cap : 1) * sizeof *offs);
      if (!offs)
        return fail_oom (p);
      p->g->arrays[id].offs = offs;
      for (uint64_t i = 0; i < n; i++)
        {
          uint64_t len;

          if (i >= cap)
            return fail (p, "internal error: string index bound");
          offs[i] = p->pos - start;
          /* inline read_str: tokenizer arrays hold 10^5 strings, format only on error */
          if (remaining (p) < 8)
            return fail (p, "truncated file: %s string %llu length runs past end of file (at "
                         "offset %llu, file size %llu)", p->where, (unsigned long long) i,
                         (unsigned long long) p->pos, (unsigned long long) p->size);
          memcpy (&len, p->base + p->pos, 8);
          p->pos += 8;
          if (len > remaining (p))
            return fail (p, "truncated file: %s string %llu runs past end of file (length %llu "
                         "at offset %llu, file size %llu)", p->where, (unsigned long long) i,
                         (unsigned long long) len, (unsigned long long) p->pos,
                         (unsigned long long) p->size);
          p->pos += len;
        }
    }
  else /* HR_GGUF_ARRAY */
    {
      int64_t first;
      uint64_t *offs;
      /* each array takes at least its type and length (see strings above) */
      uint64_t cap = n < remaining (p) / 12 + 1 ? n : remaining (p) / 12 + 1;

      if (depth >= GGUF_MAX_DEPTH)
        return fail (p, "corrupt file: %s: arrays nested deeper than %d", p->where,
                     GGUF_MAX_DEPTH);
      offs = malloc ((cap ? cap : 1) * sizeof *offs);
      if (!offs)
        return fail_oom (p);
      p->g->arrays[id].offs = offs;
      first = new_arrays (p, cap);
      if (first < 0)
        return -1;
      p->g->arrays[id].first_child = first;
      for (uint64_t i = 0; i < n; i++)
        {
          size_t mark;

          if (i >= cap)
            return fail (p, "internal error: array index bound");
          mark = where_push (p, " array %llu", (unsigned long long) i);
          offs[i] = p->pos - start;
          if (parse_array (p, first + (int64_t) i, depth + 1) < 0)
            return -1;
          p->where[mark] = '\0';
        }
    }

  /* p->g->arrays may have moved while children were added */
  a = &p->g->arrays[id];
  a->type = type;
  a->n = n;
  a->data = p->base + start;
  return 0;
}

/* Parse one value of the given type at p->pos into kv (kv->arr set for arrays). */
static int
parse_value (parser *p, gguf_kv *kv, uint32_t type)
{
  uint64_t start = p->pos;

  kv->arr = -1;
  kv->raw = p->base + p->pos;
  if (type >= HR_GGUF_N_TYPES)
    return fail (p, "corrupt file: %s: unknown value type %u", p->where, type);
  kv->type = type;
  if (is_numeric (type))
    {
      if (need (p, gguf_types[type].size, "value") < 0)
        return -1;
      kv->val = p->base + p->pos;
      kv->val_size = gguf_types[type].size;
      p->pos += gguf_types[type].size;
    }
  else if (type == HR_GGUF_STRING)
    {
      hr_str s;

      if (read_str (p, &s, "string") < 0)
        return -1;
      kv->val = (const uint8_t *) s.ptr;
      kv->val_size = s.len;
    }
  else
    {
      int64_t id = new_arrays (p, 1);

      if (id < 0)
        return -1;
      kv->arr = id;
      if (parse_array (p, id, 0) < 0)
        return -1;
      kv->val = p->base + start;
      kv->val_size = p->pos - start;
    }
  return 0;
}

/* ----------------------------------------------------------------------------------------
 * Open
 */

static int
parse_header (parser *p, uint64_t *n_tensors, uint64_t *n_kv)
{
  char magic[4];
  uint32_t version;

  if (p->size < 4 || memcmp (p->base, GGUF_MAGIC, 4) != 0)
    {
      if (p->size < 4)
        return fail (p, "truncated file: %llu bytes, too short for a GGUF header",
                     (unsigned long long) p->size);
      return fail (p, "not a GGUF file (bad magic %02x %02x %02x %02x, expected \"GGUF\")",
                   p->base[0], p->base[1], p->base[2], p->base[3]);
    }
  if (read_bytes (p, magic, 4, "magic") < 0 || read_u32 (p, &version, "version") < 0)
    return -1;
  if (version == 1)
    return fail (p, "unsupported GGUF version 1 (only versions 2 and 3 are read; convert the "
                 "file again with a current llama.cpp)");
  if ((version & 0xffff) == 0 && version != 0)
    return fail (p, "unsupported GGUF file: big-endian (version field %08x); only "
                 "little-endian files are read", version);
  if (version != 2 && version != 3)
    return fail (p, "unsupported GGUF version %u (only versions 2 and 3 are read)", version);
  p->g->version = version;
  if (read_u64 (p, n_tensors, "tensor count") < 0 || read_u64 (p, n_kv, "metadata key count") < 0)
    return -1;
  /* Each key takes at least 12 bytes (length and type), each tensor info at least 24 (name
   * length, n_dims, type, offset): this bounds both before anything is allocated. */
  if (*n_kv > remaining (p) / 12)
    return fail (p, "truncated or corrupt file: metadata key count %llu cannot fit in the %llu "
                 "bytes after the header (file size %llu)", (unsigned long long) *n_kv,
                 (unsigned long long) remaining (p), (unsigned long long) p->size);
  if (*n_tensors > remaining (p) / 24)
    return fail (p, "truncated or corrupt file: tensor count %llu cannot fit in the %llu bytes "
                 "after the header (file size %llu)", (unsigned long long) *n_tensors,
                 (unsigned long long) remaining (p), (unsigned long long) p->size);
  return 0;
}

static int
parse_kvs (parser *p, uint64_t n_kv)
{
  hr_gguf *g = p->g;

  g->kv = calloc (n_kv ? n_kv : 1, sizeof *g->kv);
  if (!g->kv || !index_init (&g->kv_index, (int64_t) n_kv))
    return fail_oom (p);
  for (uint64_t i = 0; i < n_kv; i++)
    {
      gguf_kv *kv = &g->kv[i];
      uint32_t type;
      uint64_t slot = 0;
      int64_t dup;
      char qn[72];

      snprintf (p->where, sizeof p->where, "metadata key %llu", (unsigned long long) i);
      if (read_str (p, &kv->key, "name") < 0)
        return -1;
      quote_name (qn, sizeof qn, kv->key.ptr, kv->key.len);
      snprintf (p->where, sizeof p->where, "metadata key %llu ('%s')", (unsigned long long) i,
                qn);
      dup = index_lookup (&g->kv_index, kv->key.ptr, kv->key.len, kv_name, g, &slot);
      if (dup >= 0)
        return fail (p, "corrupt file: duplicate metadata key '%s' (keys %lld and %llu)", qn,
                     (long long) dup, (unsigned long long) i);
      if (read_u32 (p, &type, "value type") < 0 || parse_value (p, kv, type) < 0)
        return -1;
      g->kv_index.slots[slot] = (int64_t) i;
      g->n_kv = (int64_t) i + 1;
    }
  p->where[0] = '\0';
  return 0;
}

static int
parse_alignment (parser *p)
{
  hr_gguf *g = p->g;
  int64_t k = hr_gguf_find_key (g, "general.alignment");
  uint32_t a;

  g->alignment = GGUF_DEFAULT_ALIGNMENT;
  if (k < 0)
    return 0;
  if (g->kv[k].type != HR_GGUF_UINT32)
    return fail (p, "corrupt file: general.alignment has type %s, expected u32",
                 hr_gguf_type_name (g->kv[k].type));
  memcpy (&a, g->kv[k].val, 4);
  if (a == 0 || (a & (a - 1)) != 0)
    return fail (p, "corrupt file: general.alignment %u is not a non-zero power of two", a);
  g->alignment = a;
  return 0;
}

static int
parse_tensor_info (parser *p, uint64_t i, hr_gguf_tensor *t)
{
  uint32_t n_dims, type;
  uint64_t dims[HR_GGUF_MAX_DIMS];
  const hr_type_traits *tr;
  char qn[72];
  int64_t n_elem = 1;

  snprintf (p->where, sizeof p->where, "tensor info %llu", (unsigned long long) i);
  if (read_str (p, &t->name, "name") < 0)
    return -1;
  quote_name (qn, sizeof qn, t->name.ptr, t->name.len);
  snprintf (p->where, sizeof p->where, "tensor %llu ('%s')", (unsigned long long) i, qn);
  if (read_u32 (p, &n_dims, "dimension count") < 0)
    return -1;
  if (n_dims > HR_GGUF_MAX_DIMS)
    return fail (p, "corrupt file: %s has %u dimensions (at most %d)", p->where, n_dims,
                 HR_GGUF_MAX_DIMS);
  t->n_dims = n_dims;
  if (read_bytes (p, dims, (uint64_t) n_dims * 8, "dimensions") < 0)
    return -1;
  /* The product is checked over the non-zero dimensions, so that code multiplying only some
   * of them (rows = ne[1] * ne[2] * ne[3]) cannot overflow either. */
  for (uint32_t d = 0; d < HR_GGUF_MAX_DIMS; d++)
    {
      int64_t ne = 1;

      if (d < n_dims)
        {
          if (dims[d] > (uint64_t) INT64_MAX)
            return fail (p, "corrupt file: %s dimension %u is negative (%lld)", p->where, d,
                         (long long) dims[d]);
          ne = (int64_t) dims[d];
        }
      t->ne[d] = ne;
      if (ne == 0)
        ne = 1;
      if (n_elem > INT64_MAX / ne)
        return fail (p, "corrupt file: %s element count overflows (dimensions %lld x %lld x "
                     "%lld x %lld)", p->where, (long long) (n_dims > 0 ? dims[0] : 1),
                     (long long) (n_dims > 1 ? dims[1] : 1),
                     (long long) (n_dims > 2 ? dims[2] : 1),
                     (long long) (n_dims > 3 ? dims[3] : 1));
      n_elem *= ne;
    }
  if (read_u32 (p, &type, "type") < 0)
    return -1;
  tr = type < HR_TYPE_COUNT ? hr_type_get_traits ((hr_type) type) : NULL;
  if (!tr || tr->block_size <= 0 || tr->type_size == 0)
    return fail (p, "corrupt file: %s has unknown tensor type %u", p->where, type);
  if (!hr_type_is_valid ((int) type))
    return fail (p, "unsupported file: %s has tensor type %s (%u), which this engine cannot "
                 "compute", p->where, tr->name ? tr->name : "?", type);
  t->type = (hr_type) type;
  if (t->ne[0] % tr->block_size != 0)
    return fail (p, "corrupt file: %s row length %lld is not a multiple of the %s block size "
                 "%d", p->where, (long long) t->ne[0], tr->name, tr->block_size);
  /* n_elem fits in int64, and type_size / block_size <= 2 bytes per element for every block
   * type; still, check the byte count honestly. */
  {
    uint64_t row = (uint64_t) (t->ne[0] / tr->block_size);
    uint64_t rows = (uint64_t) t->ne[1] * (uint64_t) t->ne[2] * (uint64_t) t->ne[3];
    uint64_t row_bytes;

    if (row > UINT64_MAX / tr->type_size)
      return fail (p, "corrupt file: %s row size overflows", p->where);
    row_bytes = row * tr->type_size;
    if (rows && row_bytes > SIZE_MAX / rows)
      return fail (p, "corrupt file: %s size overflows", p->where);
    t->nbytes = (size_t) (row_bytes * rows);
  }
  if (read_u64 (p, &t->offset, "data offset") < 0)
    return -1;
  return 0;
}

static int
parse_tensors (parser *p, uint64_t n_tensors)
{
  hr_gguf *g = p->g;

  g->tensors = calloc (n_tensors ? n_tensors : 1, sizeof *g->tensors);
  if (!g->tensors || !index_init (&g->tensor_index, (int64_t) n_tensors))
    return fail_oom (p);
  for (uint64_t i = 0; i < n_tensors; i++)
    {
      hr_gguf_tensor *t = &g->tensors[i];
      uint64_t slot = 0;
      int64_t dup;
      char qn[72];

      if (parse_tensor_info (p, i, t) < 0)
        return -1;
      dup = index_lookup (&g->tensor_index, t->name.ptr, t->name.len, tensor_name, g, &slot);
      if (dup >= 0)
        {
          quote_name (qn, sizeof qn, t->name.ptr, t->name.len);
          return fail (p, "corrupt file: duplicate tensor name '%s' (tensors %lld and %llu)", qn,
                       (long long) dup, (unsigned long long) i);
        }
      g->tensor_index.slots[slot] = (int64_t) i;
      g->n_tensors = (int64_t) i + 1;
    }
  return 0;
}

static int
check_tensor_data (parser *p)
{
  hr_gguf *g = p->g;
  uint64_t a = g->alignment;
  uint64_t end_of_infos = p->pos;
  uint64_t data_size;

  if (end_of_infos > UINT64_MAX - (a - 1))
    return fail (p, "corrupt file: data offset overflows");
  g->data_offset = (end_of_infos + a - 1) / a * a;
  if (g->n_tensors == 0)
    return 0;
  if (g->data_offset > p->file_size)
    return fail (p, "truncated file: the tensor data section (offset %llu) starts past end of "
                 "file (file size %llu)", (unsigned long long) g->data_offset,
                 (unsigned long long) p->file_size);
  data_size = p->file_size - g->data_offset;
  for (int64_t i = 0; i < g->n_tensors; i++)
    {
      hr_gguf_tensor *t = &g->tensors[i];
      char qn[72];

      quote_name (qn, sizeof qn, t->name.ptr, t->name.len);
      if (t->offset % a != 0)
        return fail (p, "corrupt file: tensor %lld ('%s') data offset %llu is not a multiple of "
                     "the alignment %llu", (long long) i, qn, (unsigned long long) t->offset,
                     (unsigned long long) a);
      if (t->offset > data_size || t->nbytes > data_size - t->offset)
        return fail (p, "truncated file: tensor %lld ('%s') data ends past end of file (offset "
                     "%llu + %zu bytes in a data section of %llu bytes)", (long long) i, qn,
                     (unsigned long long) t->offset, t->nbytes, (unsigned long long) data_size);
      /* metadata-only opens do not hold the data */
      t->data = p->file_size == p->size ? p->base + g->data_offset + t->offset : NULL;
    }
  return 0;
}

static int
parse_all (hr_gguf *g, char *err, size_t errlen)
{
  parser p = { 0 };
  uint64_t n_tensors = 0, n_kv = 0;   /* set by the header reads; -O3 cannot tell */

  p.g = g;
  p.base = g->base;
  p.size = g->size;
  p.file_size = g->file_size;
  p.err = err;
  p.errlen = errlen;
  if (parse_header (&p, &n_tensors, &n_kv) < 0
      || parse_kvs (&p, n_kv) < 0
      || parse_alignment (&p) < 0
      || parse_tensors (&p, n_tensors) < 0
      || check_tensor_data (&p) < 0)
    return -1;
  return 0;
}

int
hr_gguf_open_memory (const void *data, size_t size, hr_gguf **out, char *err, size_t errlen)
{
  hr_gguf *g;

  *out = NULL;
  if (!data && size)
    {
      set_err (err, errlen, "no data");
      return -1;
    }
  g = calloc (1, sizeof *g);
  if (!g)
    {
      set_err (err, errlen, "out of memory");
      return -1;
    }
  g->base = data;
  g->size = size;
  g->file_size = size;
  if (parse_all (g, err, errlen) < 0)
    {
      hr_gguf_close (g);
      return -1;
    }
  *out = g;
  return 0;
}

/* Metadata lives at the start of the file: read a prefix, parse it, and read four times
 * more while the parse fails and the file is longer. Weight pages are never read (a
 * mapping would let kernel read-ahead pull megabytes of them in). Returns -1 on any failure
 * or when the metadata is larger than GGUF_META_MAX; the caller then opens the whole file. */
#define GGUF_META_FIRST (1u << 20)
#define GGUF_META_MAX (256u << 20)

static int
open_metadata_only (int fd, size_t file_size, hr_gguf **out)
{
  size_t len = file_size < GGUF_META_FIRST ? file_size : GGUF_META_FIRST;
  size_t have = 0;
  uint8_t *buf = NULL;

  /* read what is asked for, not the kernel's read-ahead window past it */
  posix_fadvise (fd, 0, 0, POSIX_FADV_RANDOM);
  for (;;)
    {
      uint8_t *nb = realloc (buf, len);
      hr_gguf *g;

      if (!nb)
        break;
      buf = nb;
      while (have < len)
        {
          ssize_t r = pread (fd, buf + have, len - have, (off_t) have);

          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            goto fail;
          have += (size_t) r;
        }
      g = calloc (1, sizeof *g);
      if (!g)
        break;
      g->base = buf;
      g->size = len;
      g->file_size = file_size;
      if (parse_all (g, NULL, 0) == 0)
        {
          g->owned = true;
          *out = g;
          return 0;
        }
      g->base = NULL;         /* buf stays ours for the next round */
      hr_gguf_close (g);
      if (len == file_size || len >= GGUF_META_MAX)
        break;
      len = file_size / 4 < len ? file_size : len * 4;
    }
fail:
  free (buf);
  return -1;
}

int
hr_gguf_open (const char *path, hr_gguf **out, char *err, size_t errlen)
{
  return hr_gguf_open_ex (path, 0, out, err, errlen);
}

int
hr_gguf_open_ex (const char *path, unsigned flags, hr_gguf **out, char *err, size_t errlen)
{
  struct stat st;
  void *map;
  hr_gguf *g;
  int fd;
  char sub[HR_ERR_LEN];

  *out = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      set_err (err, errlen, "%s: cannot open: %s", path, strerror (errno));
      return -1;
    }
  if (fstat (fd, &st) < 0)
    {
      set_err (err, errlen, "%s: cannot stat: %s", path, strerror (errno));
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_err (err, errlen, "%s: not a regular file", path);
      close (fd);
      return -1;
    }
  if (st.st_size == 0)
    {
      set_err (err, errlen, "%s: empty file, not a GGUF model", path);
      close (fd);
      return -1;
    }
  if ((flags & HR_GGUF_OPEN_METADATA_ONLY)
      && open_metadata_only (fd, (size_t) st.st_size, out) == 0)
    {
      close (fd);
      return 0;
    }
  /* any failure there is reported from the whole file below, with the real message */
  map = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    {
      set_err (err, errlen, "%s: cannot map: %s", path, strerror (errno));
      return -1;
    }
  g = calloc (1, sizeof *g);
  if (!g)
    {
      munmap (map, (size_t) st.st_size);
      set_err (err, errlen, "out of memory");
      return -1;
    }
  g->base = map;
  g->size = (size_t) st.st_size;
  g->file_size = g->size;
  g->mapped = true;
  sub[0] = '\0';
  if (parse_all (g, sub, sizeof sub) < 0)
    {
      set_err (err, errlen, "%s: %s", path, sub);
      hr_gguf_close (g);
      return -1;
    }
  *out = g;
  return 0;
}

void
hr_gguf_close (hr_gguf *g)
{
  if (!g)
    return;
  for (int64_t i = 0; i < g->n_arrays; i++)
    free (g->arrays[i].offs);
  free (g->arrays);
  free (g->kv);
  free (g->kv_index.slots);
  free (g->tensors);
  free (g->tensor_index.slots);
  if (g->mapped)
    munmap ((void *) g->base, g->size);
  if (g->owned)
    free ((void *) g->base);
  free (g);
}

/* ----------------------------------------------------------------------------------------
 * Accessors
 */

uint32_t
hr_gguf_version (const hr_gguf *g)
{
  return g->version;
}

size_t
hr_gguf_file_size (const hr_gguf *g)
{
  return g->file_size;
}

const void *
hr_gguf_base (const hr_gguf *g)
{
  return g->base;
}

uint64_t
hr_gguf_data_offset (const hr_gguf *g)
{
  return g->data_offset;
}

uint32_t
hr_gguf_alignment (const hr_gguf *g)
{
  return g->alignment;
}

int64_t
hr_gguf_n_kv (const hr_gguf *g)
{
  return g->n_kv;
}

int64_t
hr_gguf_find_key (const hr_gguf *g, const char *key)
{
  if (!g || !key)
    return -1;
  return index_lookup (&g->kv_index, key, strlen (key), kv_name, g, NULL);
}

hr_str
hr_gguf_kv_key (const hr_gguf *g, int64_t i)
{
  hr_str none = { NULL, 0 };

  if (i < 0 || i >= g->n_kv)
    return none;
  return g->kv[i].key;
}

hr_gguf_type
hr_gguf_kv_type (const hr_gguf *g, int64_t i)
{
  if (i < 0 || i >= g->n_kv)
    return HR_GGUF_N_TYPES;
  return g->kv[i].type;
}

const void *
hr_gguf_kv_data (const hr_gguf *g, int64_t kv, size_t *size)
{
  if (size)
    *size = 0;
  if (kv < 0 || kv >= g->n_kv || g->kv[kv].type == HR_GGUF_ARRAY)
    return NULL;
  if (size)
    *size = (size_t) g->kv[kv].val_size;
  return g->kv[kv].val;
}

/* Read one numeric value of type t at p. Returns false for non-numeric types. */
static bool
load_number (hr_gguf_type t, const uint8_t *p, int64_t *iv, uint64_t *uv, double *fv,
             bool *is_float, bool *is_unsigned)
{
  union { uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
          float f32; uint64_t u64; int64_t i64; double f64; } v;

  if (!is_numeric (t))
    return false;
  memcpy (&v, p, gguf_types[t].size);
  *is_float = false;
  *is_unsigned = false;
  *iv = 0;
  *uv = 0;
  switch (t)
    {
    case HR_GGUF_UINT8: *uv = v.u8; *is_unsigned = true; break;
    case HR_GGUF_BOOL: *uv = v.u8 != 0; *is_unsigned = true; break;
    case HR_GGUF_INT8: *iv = v.i8; break;
    case HR_GGUF_UINT16: *uv = v.u16; *is_unsigned = true; break;
    case HR_GGUF_INT16: *iv = v.i16; break;
    case HR_GGUF_UINT32: *uv = v.u32; *is_unsigned = true; break;
    case HR_GGUF_INT32: *iv = v.i32; break;
    case HR_GGUF_UINT64: *uv = v.u64; *is_unsigned = true; break;
    case HR_GGUF_INT64: *iv = v.i64; break;
    case HR_GGUF_FLOAT32: *fv = v.f32; *is_float = true; break;
    case HR_GGUF_FLOAT64: *fv = v.f64; *is_float = true; break;
    default: return false;
    }
  if (!*is_float)
    *fv = *is_unsigned ? (double) *uv : (double) *iv;
  return true;
}

static int64_t
number_to_int (hr_gguf_type t, const uint8_t *p, int64_t def)
{
  int64_t iv;
  uint64_t uv;
  double fv;
  bool is_float, is_unsigned;

  if (!load_number (t, p, &iv, &uv, &fv, &is_float, &is_unsigned))
    return def;
  if (is_unsigned)
    return uv > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) uv;
  if (!is_float)
    return iv;
  if (isnan (fv))
    return def;
  if (fv >= 9223372036854775807.0)
    return INT64_MAX;
  if (fv <= -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t) fv;
}

static double
number_to_float (hr_gguf_type t, const uint8_t *p, double def)
{
  int64_t iv;
  uint64_t uv;
  double fv;
  bool is_float, is_unsigned;

  if (!load_number (t, p, &iv, &uv, &fv, &is_float, &is_unsigned))
    return def;
  return fv;
}

static const gguf_kv *
find_kv (const hr_gguf *g, const char *key)
{
  int64_t k = hr_gguf_find_key (g, key);

  return k < 0 ? NULL : &g->kv[k];
}

int64_t
hr_gguf_get_int (const hr_gguf *g, const char *key, int64_t def)
{
  const gguf_kv *kv = find_kv (g, key);

  return kv ? number_to_int (kv->type, kv->val, def) : def;
}

uint64_t
hr_gguf_get_u64 (const hr_gguf *g, const char *key, uint64_t def)
{
  const gguf_kv *kv = find_kv (g, key);
  int64_t iv;
  uint64_t uv;
  double fv;
  bool is_float, is_unsigned;

  if (!kv || !load_number (kv->type, kv->val, &iv, &uv, &fv, &is_float, &is_unsigned)
      || is_float)
    return def;
  if (is_unsigned)
    return uv;
  return iv < 0 ? def : (uint64_t) iv;
}

double
hr_gguf_get_float (const hr_gguf *g, const char *key, double def)
{
  const gguf_kv *kv = find_kv (g, key);

  return kv ? number_to_float (kv->type, kv->val, def) : def;
}

bool
hr_gguf_get_bool (const hr_gguf *g, const char *key, bool def)
{
  const gguf_kv *kv = find_kv (g, key);

  if (!kv || !is_numeric (kv->type))
    return def;
  return number_to_float (kv->type, kv->val, 0.0) != 0.0;
}

hr_str
hr_gguf_get_str (const hr_gguf *g, const char *key)
{
  const gguf_kv *kv = find_kv (g, key);
  hr_str s = { NULL, 0 };

  if (kv && kv->type == HR_GGUF_STRING)
    {
      s.ptr = (const char *) kv->val;
      s.len = kv->val_size;
    }
  return s;
}

char *
hr_gguf_get_strdup (const hr_gguf *g, const char *key)
{
  hr_str s = hr_gguf_get_str (g, key);
  char *r;

  if (!s.ptr)
    return NULL;
  r = malloc (s.len + 1);
  if (!r)
    return NULL;
  memcpy (r, s.ptr, s.len);
  r[s.len] = '\0';
  return r;
}

bool
hr_str_eq (hr_str s, const char *cstr)
{
  size_t n;

  if (!s.ptr || !cstr)
    return false;
  n = strlen (cstr);
  return s.len == n && memcmp (s.ptr, cstr, n) == 0;
}

/* Arrays ---------------------------------------------------------------------------------- */

static const gguf_array *
get_array (const hr_gguf *g, int64_t arr)
{
  if (!g || arr < 0 || arr >= g->n_arrays)
    return NULL;
  return &g->arrays[arr];
}

int64_t
hr_gguf_kv_array (const hr_gguf *g, int64_t kv)
{
  if (!g || kv < 0 || kv >= g->n_kv)
    return -1;
  return g->kv[kv].arr;
}

hr_gguf_type
hr_gguf_array_type (const hr_gguf *g, int64_t arr, uint64_t *n)
{
  const gguf_array *a = get_array (g, arr);

  if (n)
    *n = a ? a->n : 0;
  return a ? a->type : HR_GGUF_N_TYPES;
}

const void *
hr_gguf_array_data (const hr_gguf *g, int64_t arr)
{
  const gguf_array *a = get_array (g, arr);

  if (!a || !is_numeric (a->type))
    return NULL;
  return a->data;
}

hr_str
hr_gguf_array_str (const hr_gguf *g, int64_t arr, uint64_t i)
{
  const gguf_array *a = get_array (g, arr);
  hr_str s = { NULL, 0 };
  const uint8_t *p;

  if (!a || a->type != HR_GGUF_STRING || i >= a->n)
    return s;
  p = a->data + a->offs[i];
  memcpy (&s.len, p, 8);
  s.ptr = (const char *) p + 8;
  return s;
}

double
hr_gguf_array_float (const hr_gguf *g, int64_t arr, uint64_t i)
{
  const gguf_array *a = get_array (g, arr);

  if (!a || !is_numeric (a->type) || i >= a->n)
    return 0.0;
  return number_to_float (a->type, a->data + i * gguf_types[a->type].size, 0.0);
}

int64_t
hr_gguf_array_int (const hr_gguf *g, int64_t arr, uint64_t i)
{
  const gguf_array *a = get_array (g, arr);

  if (!a || !is_numeric (a->type) || i >= a->n)
    return 0;
  return number_to_int (a->type, a->data + i * gguf_types[a->type].size, 0);
}

int64_t
hr_gguf_array_sub (const hr_gguf *g, int64_t arr, uint64_t i)
{
  const gguf_array *a = get_array (g, arr);

  if (!a || a->type != HR_GGUF_ARRAY || i >= a->n)
    return -1;
  return a->first_child + (int64_t) i;
}

hr_gguf_type
hr_gguf_arr_type (const hr_gguf *g, int64_t kv, uint64_t *n)
{
  return hr_gguf_array_type (g, hr_gguf_kv_array (g, kv), n);
}

const void *
hr_gguf_arr_data (const hr_gguf *g, int64_t kv)
{
  return hr_gguf_array_data (g, hr_gguf_kv_array (g, kv));
}

hr_str
hr_gguf_arr_str (const hr_gguf *g, int64_t kv, uint64_t i)
{
  return hr_gguf_array_str (g, hr_gguf_kv_array (g, kv), i);
}

double
hr_gguf_arr_float (const hr_gguf *g, int64_t kv, uint64_t i)
{
  return hr_gguf_array_float (g, hr_gguf_kv_array (g, kv), i);
}

int64_t
hr_gguf_arr_int (const hr_gguf *g, int64_t kv, uint64_t i)
{
  return hr_gguf_array_int (g, hr_gguf_kv_array (g, kv), i);
}

/* Tensors --------------------------------------------------------------------------------- */

int64_t
hr_gguf_n_tensors (const hr_gguf *g)
{
  return g->n_tensors;
}

const hr_gguf_tensor *
hr_gguf_tensor_at (const hr_gguf *g, int64_t i)
{
  if (i < 0 || i >= g->n_tensors)
    return NULL;
  return &g->tensors[i];
}

const hr_gguf_tensor *
hr_gguf_find_tensor (const hr_gguf *g, const char *name)
{
  int64_t i;

  if (!g || !name)
    return NULL;
  i = index_lookup (&g->tensor_index, name, strlen (name), tensor_name, g, NULL);
  return i < 0 ? NULL : &g->tensors[i];
}

/* ----------------------------------------------------------------------------------------
 * Writer
 */

typedef struct {
  uint8_t *p;
  size_t len;
  size_t cap;
  bool oom;
} buf;

static void
buf_put (buf *b, const void *data, size_t n)
{
  if (b->oom || n == 0)
    return;
  if (b->cap - b->len < n)
    {
      size_t cap = b->cap ? b->cap : 256;
      uint8_t *np;

      while (cap - b->len < n)
        {
          if (cap > SIZE_MAX / 2)
            {
              b->oom = true;
              return;
            }
          cap *= 2;
        }
      np = realloc (b->p, cap);
      if (!np)
        {
          b->oom = true;
          return;
        }
      b->p = np;
      b->cap = cap;
    }
  memcpy (b->p + b->len, data, n);
  b->len += n;
}

static void
buf_u32 (buf *b, uint32_t v)
{
  buf_put (b, &v, 4);
}

static void
buf_u64 (buf *b, uint64_t v)
{
  buf_put (b, &v, 8);
}

static void
buf_str (buf *b, const char *s, size_t len)
{
  buf_u64 (b, len);
  buf_put (b, s, len);
}

typedef struct {
  char *key;
  hr_gguf_type type;
  uint8_t *val;       /* encoded value (after the type field) */
  size_t len;
} wkv;

typedef struct {
  char *name;
  hr_type type;
  uint32_t n_dims;
  int64_t ne[HR_GGUF_MAX_DIMS];
  uint8_t *data;
  size_t nbytes;
} wtensor;

struct hr_gguf_writer {
  wkv *kv;
  size_t n_kv, cap_kv;
  wtensor *t;
  size_t n_t, cap_t;
  uint32_t alignment;
  char err[HR_ERR_LEN];
  bool failed;
};

static void werr (hr_gguf_writer *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
werr (hr_gguf_writer *w, const char *fmt, ...)
{
  va_list ap;

  if (w->failed)
    return;
  w->failed = true;
  va_start (ap, fmt);
  vsnprintf (w->err, sizeof w->err, fmt, ap);
  va_end (ap);
}

hr_gguf_writer *
hr_gguf_writer_new (void)
{
  hr_gguf_writer *w = calloc (1, sizeof *w);

  if (w)
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
  return w;
}

void
hr_gguf_writer_free (hr_gguf_writer *w)
{
  if (!w)
    return;
  for (size_t i = 0; i < w->n_kv; i++)
    {
      free (w->kv[i].key);
      free (w->kv[i].val);
    }
  for (size_t i = 0; i < w->n_t; i++)
    {
      free (w->t[i].name);
      free (w->t[i].data);
    }
  free (w->kv);
  free (w->t);
  free (w);
}

/* Store an encoded value under key, replacing an existing one. Takes ownership of val. */
static void
put_kv (hr_gguf_writer *w, const char *key, hr_gguf_type type, uint8_t *val, size_t len)
{
  wkv *kv = NULL;

  if (!key)
    {
      werr (w, "metadata key is NULL");
      free (val);
      return;
    }
  for (size_t i = 0; i < w->n_kv; i++)
    if (strcmp (w->kv[i].key, key) == 0)
      kv = &w->kv[i];
  if (!kv)
    {
      char *k = strdup (key);

      if (w->n_kv == w->cap_kv)
        {
          size_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
          wkv *n = realloc (w->kv, cap * sizeof *n);

          if (!n)
            {
              free (k);
              free (val);
              werr (w, "out of memory");
              return;
            }
          w->kv = n;
          w->cap_kv = cap;
        }
      if (!k)
        {
          free (val);
          werr (w, "out of memory");
          return;
        }
      kv = &w->kv[w->n_kv++];
      kv->key = k;
    }
  else
    free (kv->val);
  kv->type = type;
  kv->val = val;
  kv->len = len;
}

static void
put_buf (hr_gguf_writer *w, const char *key, hr_gguf_type type, buf *b)
{
  if (b->oom)
    {
      free (b->p);
      werr (w, "out of memory");
      return;
    }
  if (!b->p)
    b->p = malloc (1);    /* an empty payload still needs an owner */
  put_kv (w, key, type, b->p, b->len);
}

void
hr_gguf_writer_set_alignment (hr_gguf_writer *w, uint32_t alignment)
{
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    {
      werr (w, "alignment %u is not a non-zero power of two", alignment);
      return;
    }
  w->alignment = alignment;
  if (alignment != GGUF_DEFAULT_ALIGNMENT)
    {
      buf b = { 0 };

      buf_u32 (&b, alignment);
      put_buf (w, "general.alignment", HR_GGUF_UINT32, &b);
    }
  else
    {
      /* the default needs no key; drop one set before */
      for (size_t i = 0; i < w->n_kv; i++)
        if (strcmp (w->kv[i].key, "general.alignment") == 0)
          {
            free (w->kv[i].key);
            free (w->kv[i].val);
            memmove (&w->kv[i], &w->kv[i + 1], (w->n_kv - i - 1) * sizeof *w->kv);
            w->n_kv--;
            break;
          }
    }
}

void
hr_gguf_writer_add_scalar (hr_gguf_writer *w, const char *key, hr_gguf_type type, const void *v)
{
  buf b = { 0 };

  if (!is_numeric (type))
    {
      werr (w, "key '%s': type %d is not a scalar type", key ? key : "(null)", (int) type);
      return;
    }
  if (type == HR_GGUF_BOOL)
    {
      uint8_t x = *(const uint8_t *) v ? 1 : 0;

      buf_put (&b, &x, 1);
    }
  else
    buf_put (&b, v, gguf_types[type].size);
  if (key && strcmp (key, "general.alignment") == 0)
    {
      uint32_t a;

      if (type != HR_GGUF_UINT32)
        {
          free (b.p);
          werr (w, "general.alignment must be of type u32");
          return;
        }
      memcpy (&a, v, 4);
      free (b.p);
      hr_gguf_writer_set_alignment (w, a);
      return;
    }
  put_buf (w, key, type, &b);
}

void
hr_gguf_writer_add_u32 (hr_gguf_writer *w, const char *key, uint32_t v)
{
  hr_gguf_writer_add_scalar (w, key, HR_GGUF_UINT32, &v);
}

void
hr_gguf_writer_add_i32 (hr_gguf_writer *w, const char *key, int32_t v)
{
  hr_gguf_writer_add_scalar (w, key, HR_GGUF_INT32, &v);
}

void
hr_gguf_writer_add_u64 (hr_gguf_writer *w, const char *key, uint64_t v)
{
  hr_gguf_writer_add_scalar (w, key, HR_GGUF_UINT64, &v);
}

void
hr_gguf_writer_add_f32 (hr_gguf_writer *w, const char *key, float v)
{
  hr_gguf_writer_add_scalar (w, key, HR_GGUF_FLOAT32, &v);
}

void
hr_gguf_writer_add_bool (hr_gguf_writer *w, const char *key, bool v)
{
  uint8_t x = v;

  hr_gguf_writer_add_scalar (w, key, HR_GGUF_BOOL, &x);
}

void
hr_gguf_writer_add_str (hr_gguf_writer *w, const char *key, const char *v)
{
  buf b = { 0 };

  if (!v)
    {
      werr (w, "key '%s': string is NULL", key ? key : "(null)");
      return;
    }
  buf_str (&b, v, strlen (v));
  put_buf (w, key, HR_GGUF_STRING, &b);
}

void
hr_gguf_writer_add_arr (hr_gguf_writer *w, const char *key, hr_gguf_type type,
                        const void *data, uint64_t n)
{
  buf b = { 0 };

  if (!is_numeric (type))
    {
      werr (w, "key '%s': add_arr takes numeric element types (got %s)", key ? key : "(null)",
            hr_gguf_type_name (type));
      return;
    }
  if (n > SIZE_MAX / gguf_types[type].size)
    {
      werr (w, "key '%s': array too large", key ? key : "(null)");
      return;
    }
  buf_u32 (&b, type);
  buf_u64 (&b, n);
  if (type == HR_GGUF_BOOL)
    for (uint64_t i = 0; i < n; i++)
      {
        uint8_t x = ((const uint8_t *) data)[i] ? 1 : 0;

        buf_put (&b, &x, 1);
      }
  else
    buf_put (&b, data, n * gguf_types[type].size);
  put_buf (w, key, HR_GGUF_ARRAY, &b);
}

void
hr_gguf_writer_add_arr_str (hr_gguf_writer *w, const char *key, const char *const *strs,
                            uint64_t n)
{
  buf b = { 0 };

  buf_u32 (&b, HR_GGUF_STRING);
  buf_u64 (&b, n);
  for (uint64_t i = 0; i < n; i++)
    {
      const char *s = strs[i] ? strs[i] : "";

      buf_str (&b, s, strlen (s));
    }
  put_buf (w, key, HR_GGUF_ARRAY, &b);
}

/* Check an encoded value the way the reader would, over a scratch reader. */
static int
check_payload (hr_gguf_type type, const void *payload, size_t size, char *err, size_t errlen)
{
  hr_gguf scratch = { 0 };
  parser p = { 0 };
  gguf_kv kv = { 0 };
  int rc;

  p.g = &scratch;
  p.base = payload;
  p.size = size;
  p.err = err;
  p.errlen = errlen;
  snprintf (p.where, sizeof p.where, "value");
  rc = parse_value (&p, &kv, type);
  if (rc == 0 && p.pos != size)
    rc = fail (&p, "value has %zu bytes after its end", (size_t) (size - p.pos));
  for (int64_t i = 0; i < scratch.n_arrays; i++)
    free (scratch.arrays[i].offs);
  free (scratch.arrays);
  return rc;
}

void
hr_gguf_writer_add_raw (hr_gguf_writer *w, const char *key, hr_gguf_type type,
                        const void *payload, size_t size)
{
  char e[HR_ERR_LEN];
  buf b = { 0 };

  if (check_payload (type, payload, size, e, sizeof e) < 0)
    {
      werr (w, "key '%s': %s", key ? key : "(null)", e);
      return;
    }
  if (key && strcmp (key, "general.alignment") == 0)
    {
      if (type != HR_GGUF_UINT32)
        werr (w, "general.alignment must be of type u32");
      else
        hr_gguf_writer_add_scalar (w, key, type, payload);
      return;
    }
  buf_put (&b, payload, size);
  put_buf (w, key, type, &b);
}

void
hr_gguf_writer_copy_kv (hr_gguf_writer *w, const hr_gguf *src,
                        bool (*skip) (const char *key, void *ud), void *ud)
{
  for (int64_t i = 0; i < src->n_kv; i++)
    {
      const gguf_kv *kv = &src->kv[i];
      char *key;
      size_t size;

      if (memchr (kv->key.ptr, '\0', kv->key.len))
        continue;   /* cannot be named through this API */
      key = malloc (kv->key.len + 1);
      if (!key)
        {
          werr (w, "out of memory");
          return;
        }
      memcpy (key, kv->key.ptr, kv->key.len);
      key[kv->key.len] = '\0';
      if (!skip || !skip (key, ud))
        {
          /* strings keep their length prefix in raw; the rest is the payload itself */
          size = (size_t) (kv->type == HR_GGUF_STRING ? kv->val_size + 8 : kv->val_size);
          hr_gguf_writer_add_raw (w, key, kv->type, kv->raw, size);
        }
      free (key);
    }
}

void
hr_gguf_writer_add_tensor (hr_gguf_writer *w, const char *name, hr_type type, uint32_t n_dims,
                           const int64_t *ne, const void *data, size_t nbytes)
{
  const hr_type_traits *tr = hr_type_get_traits (type);
  wtensor *t;
  uint64_t rows = 1;
  size_t want;

  if (!name)
    {
      werr (w, "tensor name is NULL");
      return;
    }
  if (!tr || tr->block_size <= 0)
    {
      werr (w, "tensor '%s': unknown type %d", name, (int) type);
      return;
    }
  if (n_dims > HR_GGUF_MAX_DIMS)
    {
      werr (w, "tensor '%s': %u dimensions (at most %d)", name, n_dims, HR_GGUF_MAX_DIMS);
      return;
    }
  for (uint32_t d = 0; d < n_dims; d++)
    {
      if (ne[d] < 0)
        {
          werr (w, "tensor '%s': negative dimension", name);
          return;
        }
      if (d > 0)
        {
          if (ne[d] != 0 && rows > UINT64_MAX / (uint64_t) ne[d])
            {
              werr (w, "tensor '%s': size overflows", name);
              return;
            }
          rows *= (uint64_t) ne[d];
        }
    }
  if (n_dims > 0 && ne[0] % tr->block_size != 0)
    {
      werr (w, "tensor '%s': row length %lld is not a multiple of the %s block size %d", name,
            (long long) ne[0], tr->name, tr->block_size);
      return;
    }
  want = (size_t) ((n_dims > 0 ? (uint64_t) ne[0] / (uint64_t) tr->block_size : 1)
                   * tr->type_size * rows);
  if (nbytes != want)
    {
      werr (w, "tensor '%s': %zu bytes given, %zu expected for its type and shape", name,
            nbytes, want);
      return;
    }
  for (size_t i = 0; i < w->n_t; i++)
    if (strcmp (w->t[i].name, name) == 0)
      {
        werr (w, "duplicate tensor name '%s'", name);
        return;
      }
  if (w->n_t == w->cap_t)
    {
      size_t cap = w->cap_t ? w->cap_t * 2 : 16;
      wtensor *n = realloc (w->t, cap * sizeof *n);

      if (!n)
        {
          werr (w, "out of memory");
          return;
        }
      w->t = n;
      w->cap_t = cap;
    }
  t = &w->t[w->n_t];
  memset (t, 0, sizeof *t);
  t->name = strdup (name);
  t->data = malloc (nbytes ? nbytes : 1);
  if (!t->name || !t->data)
    {
      free (t->name);
      free (t->data);
      werr (w, "out of memory");
      return;
    }
  memcpy (t->data, data, nbytes);
  t->type = type;
  t->n_dims = n_dims;
  for (uint32_t d = 0; d < HR_GGUF_MAX_DIMS; d++)
    t->ne[d] = d < n_dims ? ne[d] : 1;
  t->nbytes = nbytes;
  w->n_t++;
}

static size_t
pad_to (size_t x, size_t a)
{
  return (x + a - 1) / a * a;
}

/* Everything before the tensor data, padded to the alignment. */
static int
build_header (hr_gguf_writer *w, buf *b, char *err, size_t errlen)
{
  static const uint8_t zeros[64] = { 0 };
  size_t off = 0;

  if (w->failed)
    {
      set_err (err, errlen, "%s", w->err);
      return -1;
    }
  buf_put (b, GGUF_MAGIC, 4);
  buf_u32 (b, 3);
  buf_u64 (b, w->n_t);
  buf_u64 (b, w->n_kv);
  for (size_t i = 0; i < w->n_kv; i++)
    {
      buf_str (b, w->kv[i].key, strlen (w->kv[i].key));
      buf_u32 (b, w->kv[i].type);
      buf_put (b, w->kv[i].val, w->kv[i].len);
    }
  for (size_t i = 0; i < w->n_t; i++)
    {
      const wtensor *t = &w->t[i];

      buf_str (b, t->name, strlen (t->name));
      buf_u32 (b, t->n_dims);
      for (uint32_t d = 0; d < t->n_dims; d++)
        buf_u64 (b, (uint64_t) t->ne[d]);
      buf_u32 (b, t->type);
      buf_u64 (b, off);
      off += pad_to (t->nbytes, w->alignment);
    }
  for (size_t padn = pad_to (b->len, w->alignment) - b->len; padn > 0 && !b->oom;)
    {
      size_t k = padn < sizeof zeros ? padn : sizeof zeros;

      buf_put (b, zeros, k);
      padn -= k;
    }
  if (b->oom)
    {
      set_err (err, errlen, "out of memory");
      return -1;
    }
  return 0;
}

int
hr_gguf_writer_write_memory (hr_gguf_writer *w, void **out, size_t *size, char *err,
                             size_t errlen)
{
  static const uint8_t zeros[64] = { 0 };
  buf b = { 0 };

  *out = NULL;
  *size = 0;
  if (build_header (w, &b, err, errlen) < 0)
    {
      free (b.p);
      return -1;
    }
  for (size_t i = 0; i < w->n_t; i++)
    {
      size_t padn = pad_to (w->t[i].nbytes, w->alignment) - w->t[i].nbytes;

      buf_put (&b, w->t[i].data, w->t[i].nbytes);
      while (padn)
        {
          size_t k = padn < sizeof zeros ? padn : sizeof zeros;

          buf_put (&b, zeros, k);
          padn -= k;
        }
    }
  if (b.oom)
    {
      free (b.p);
      set_err (err, errlen, "out of memory");
      return -1;
    }
  *out = b.p;
  *size = b.len;
  return 0;
}

int
hr_gguf_writer_write (hr_gguf_writer *w, const char *path, char *err, size_t errlen)
{
  static const uint8_t zeros[64] = { 0 };
  buf b = { 0 };
  char *tmp;
  FILE *f;
  bool ok;

  if (build_header (w, &b, err, errlen) < 0)
    {
      free (b.p);
      return -1;
    }
  /* write beside the target and rename, so a failed write never leaves half a model */
  tmp = malloc (strlen (path) + 16);
  if (!tmp)
    {
      free (b.p);
      set_err (err, errlen, "out of memory");
      return -1;
    }
  sprintf (tmp, "%s.tmp-%d", path, (int) getpid ());
  f = fopen (tmp, "wbe");
  if (!f)
    {
      set_err (err, errlen, "%s: cannot create: %s", tmp, strerror (errno));
      free (tmp);
      free (b.p);
      return -1;
    }
  ok = fwrite (b.p, 1, b.len, f) == b.len;
  free (b.p);
  for (size_t i = 0; ok && i < w->n_t; i++)
    {
      size_t padn = pad_to (w->t[i].nbytes, w->alignment) - w->t[i].nbytes;

      ok = fwrite (w->t[i].data, 1, w->t[i].nbytes, f) == w->t[i].nbytes;
      while (ok && padn)
        {
          size_t k = padn < sizeof zeros ? padn : sizeof zeros;

          ok = fwrite (zeros, 1, k, f) == k;
          padn -= k;
        }
    }
  if (fclose (f) != 0)
    ok = false;
  if (!ok)
    {
      set_err (err, errlen, "%s: write failed: %s", tmp, strerror (errno));
      unlink (tmp);
      free (tmp);
      return -1;
    }
  if (rename (tmp, path) < 0)
    {
      set_err (err, errlen, "%s: cannot rename to %s: %s", tmp, path, strerror (errno));
      unlink (tmp);
      free (tmp);
      return -1;
    }
  free (tmp);
  return 0;
}
