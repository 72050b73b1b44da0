/* runtime/rt_ckpt.c — safetensors checkpoints: an atomic writer and a
 * validating reader (see rt_ckpt.h for the format and the guarantees).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_ckpt.h"
#include "rt_json.h"
#include "rt_util.h"

#define MAX_HEADER 100000000u     /* safetensors' own limit */
#define META_KEY "__metadata__"

static const char *const dtype_names[] = {"F32", "F64", "I64"};

size_t rt_dtype_size(RtDType t) {
  return t == RT_DTYPE_F32 ? 4 : 8;
}

const char *rt_dtype_name(RtDType t) {
  return t <= RT_DTYPE_I64 ? dtype_names[t] : "?";
}

static int little_endian(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

/* Reverses each size-byte element of p[0..n) (big-endian hosts only). */
static void swap_elements(unsigned char *p, size_t n, size_t size) {
  for (size_t i = 0; i + size <= n; i += size)
    for (size_t a = i, b = i + size - 1; a < b; a++, b--) {
      unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

/* Elements of a shape; SIZE_MAX when bytes would overflow. */
static size_t shape_bytes(const int64_t *shape, int ndim, RtDType t) {
  size_t n = rt_dtype_size(t);
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0 || (uint64_t)shape[i] > SIZE_MAX)
      return SIZE_MAX;
    n = rt_mul_size(n, (size_t)shape[i]);
  }
  return n;
}

static void format_shape(char *buf, size_t n, const int64_t *shape,
                         int ndim) {
  size_t len = 0;
  len += (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%lld", i ? ", " : "",
                            (long long)shape[i]);
  if (len < n)
    snprintf(buf + len, n - len, "]");
}

/* ---- writing ---- */

static int check_tensors(const char *path, const RtTensor *t, size_t count,
                         char *err, size_t errsz) {
  for (size_t i = 0; i < count; i++) {
    if (!t[i].name || strcmp(t[i].name, META_KEY) == 0)
      return rt_errorf(err, errsz, "%s: tensor %zu has no usable name",
                       path, i);
    if (t[i].dtype > RT_DTYPE_I64 || t[i].ndim < 0 ||
        t[i].ndim > RT_CKPT_MAX_DIMS ||
        shape_bytes(t[i].shape, t[i].ndim, t[i].dtype) == SIZE_MAX)
      return rt_errorf(err, errsz, "%s: tensor '%s' has a bad dtype or "
                       "shape", path, t[i].name);
    if (!t[i].data && shape_bytes(t[i].shape, t[i].ndim, t[i].dtype))
      return rt_errorf(err, errsz, "%s: tensor '%s' has no data", path,
                       t[i].name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(t[i].name, t[j].name) == 0)
        return rt_errorf(err, errsz, "%s: two tensors are named '%s'",
                         path, t[i].name);
  }
  return 0;
}

static int check_meta_pairs(const char *path, const RtMeta *meta,
                            size_t nmeta, char *err, size_t errsz) {
  for (size_t i = 0; i < nmeta; i++) {
    if (!meta[i].key || !meta[i].value)
      return rt_errorf(err, errsz, "%s: metadata %zu is missing its key "
                       "or value", path, i);
    for (size_t j = 0; j < i; j++)
      if (strcmp(meta[i].key, meta[j].key) == 0)
        return rt_errorf(err, errsz, "%s: two metadata are named '%s'",
                         path, meta[i].key);
  }
  return 0;
}

static void header_tensor(RtJson *j, const RtTensor *t, uint64_t *offset) {
  uint64_t bytes = shape_bytes(t->shape, t->ndim, t->dtype);
  rt_json_key(j, t->name);
  rt_json_object_begin(j);
  rt_json_key(j, "dtype");
  rt_json_string(j, rt_dtype_name(t->dtype));
  rt_json_key(j, "shape");
  rt_json_array_begin(j);
  for (int d = 0; d < t->ndim; d++)
    rt_json_int(j, t->shape[d]);
  rt_json_array_end(j);
  rt_json_key(j, "data_offsets");
  rt_json_array_begin(j);
  rt_json_uint(j, *offset);
  rt_json_uint(j, *offset + bytes);
  rt_json_array_end(j);
  rt_json_object_end(j);
  *offset += bytes;
}

/* The header's JSON (write_body pads it). */
static int build_header(RtJson *j, const RtTensor *t, size_t count,
                        const RtMeta *meta, size_t nmeta) {
  uint64_t offset = 0;
  rt_json_init(j);
  rt_json_object_begin(j);
  if (nmeta) {
    rt_json_key(j, META_KEY);
    rt_json_object_begin(j);
    for (size_t i = 0; i < nmeta; i++) {
      rt_json_key(j, meta[i].key);
      rt_json_string(j, meta[i].value);
    }
    rt_json_object_end(j);
  }
  for (size_t i = 0; i < count; i++)
    header_tensor(j, &t[i], &offset);
  rt_json_object_end(j);
  return rt_json_text(j) ? 0 : -1;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n > 0) {
    ssize_t w = write(fd, s, n < (1u << 30) ? n : (1u << 30));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A tensor's bytes in little-endian order. */
static int write_data(int fd, const RtTensor *t) {
  size_t n = shape_bytes(t->shape, t->ndim, t->dtype);
  size_t size = rt_dtype_size(t->dtype);
  unsigned char chunk[1 << 16];
  if (n == 0 || little_endian())
    return n ? write_all(fd, t->data, n) : 0;
  for (size_t done = 0; done < n; done += sizeof chunk) {
    size_t m = n - done < sizeof chunk ? n - done : sizeof chunk;
    memcpy(chunk, (const char *)t->data + done, m);
    swap_elements(chunk, m, size);
    if (write_all(fd, chunk, m) < 0)
      return -1;
  }
  return 0;
}

/* The length, the header padded with spaces so that the data starts at
 * a multiple of 8 bytes, the data; then fsync. */
static int write_body(int fd, const RtJson *h, const RtTensor *t,
                      size_t count) {
  unsigned char len[8];
  size_t pad = (8 - h->len % 8) % 8;
  for (int i = 0; i < 8; i++)
    len[i] = (unsigned char)((uint64_t)(h->len + pad) >> (8 * i));
  if (write_all(fd, len, 8) < 0 || write_all(fd, h->buf, h->len) < 0 ||
      write_all(fd, "       ", pad) < 0)
    return -1;
  for (size_t i = 0; i < count; i++)
    if (write_data(fd, &t[i]) < 0)
      return -1;
  return fsync(fd);
}

/* Creates path.tmpPID.N exclusively (mode 0666 less the umask). */
static int open_temp(const char *path, char *tmp, size_t n) {
  for (unsigned i = 0; i < 1000; i++) {
    int fd;
    snprintf(tmp, n, "%s.tmp%ld.%u", path, (long)getpid(), i);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/* The directory path is in ("." for a bare name), allocated; NULL when
 * out of memory. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) + (slash == path) : 1;
  char *dir = malloc(n + 1);
  if (!dir)
    return NULL;
  memcpy(dir, slash ? path : ".", n);
  dir[n] = '\0';
  return dir;
}

/* Makes the rename durable; some file systems refuse, which is fine. */
static void sync_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

/* The process id in a temporary's name "BASE.tmpPID.N", or 0 when name
 * is not one of base's temporaries. */
static pid_t temp_owner(const char *name, const char *base) {
  size_t n = strlen(base), digits;
  long long pid = 0;
  if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp", 4) != 0)
    return 0;
  name += n + 4;
  digits = strspn(name, "0123456789");
  if (digits == 0 || digits > 18 || name[digits] != '.')
    return 0;
  for (size_t i = 0; i < digits; i++)
    pid = pid * 10 + (name[i] - '0');
  name += digits + 1;
  if (!*name || strspn(name, "0123456789") != strlen(name) || pid <= 0 ||
      (pid_t)pid != pid)
    return 0;
  return (pid_t)pid;
}

/* A save killed mid-way (kill -9, a crash) leaves its temporary behind,
 * as large as the checkpoint: the next save of the same checkpoint
 * removes the temporaries of processes that no longer run.  Those of a
 * live process may be in the middle of a write and stay.  Best effort:
 * a directory that cannot be read is left as it is. */
static void remove_stale_temps(const char *path) {
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  char *dir = dir_of(path);
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    pid_t pid = temp_owner(e->d_name, base);
    if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
      unlinkat(dirfd(d), e->d_name, 0);
  }
  if (d)
    closedir(d);
  free(dir);
}

static int write_file(const char *path, const RtJson *h, const RtTensor *t,
                      size_t count, char *err, size_t errsz) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  int fd, e, rc;
  if (!tmp)
    return rt_errorf(err, errsz, "%s: out of memory", path);
  remove_stale_temps(path);
  fd = open_temp(path, tmp, n);
  if (fd < 0) {
    e = errno;
    rt_errorf(err, errsz, "cannot create '%s': %s", tmp, strerror(e));
    free(tmp);
    return -1;
  }
  rc = write_body(fd, h, t, count);
  e = errno;
  if (close(fd) < 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  if (rc < 0) {
    unlink(tmp);
    rt_errorf(err, errsz, "cannot write '%s': %s", tmp, strerror(e));
    free(tmp);
    return -1;
  }
  if (rename(tmp, path) < 0) {
    e = errno;
    unlink(tmp);
    rt_errorf(err, errsz, "cannot rename '%s' to '%s': %s", tmp, path,
              strerror(e));
    free(tmp);
    return -1;
  }
  free(tmp);
  sync_dir(path);
  return 0;
}

int rt_ckpt_write(const char *path, const RtTensor *tensors, size_t count,
                  const RtMeta *meta, size_t nmeta, char *err,
                  size_t errsz) {
  RtJson h;
  int rc;
  if (check_tensors(path, tensors, count, err, errsz) < 0)
    return -1;
  if (check_meta_pairs(path, meta, nmeta, err, errsz) < 0)
    return -1;
  if (build_header(&h, tensors, count, meta, nmeta) < 0) {
    rc = rt_errorf(err, errsz, "%s: cannot build the header: %s", path,
                   rt_json_error(&h) ? rt_json_error(&h) : "unknown");
    rt_json_free(&h);
    return rc;
  }
  rc = write_file(path, &h, tensors, count, err, errsz);
  rt_json_free(&h);
  return rc;
}

/* ---- reading ---- */

typedef struct Entry {
  const RtJsonValue *v;            /* the member: key is the name */
  RtDType dtype;
  int ndim;
  int64_t shape[RT_CKPT_MAX_DIMS];
  uint64_t begin, end;
} Entry;

typedef struct Reader {
  const char *path;
  char *err;
  size_t errsz;
  const unsigned char *data;       /* after the header */
  uint64_t data_len;
  Entry *entries;
  size_t count;
  const RtJsonValue *meta;         /* "__metadata__", or NULL */
} Reader;

static int read_file(const char *path, unsigned char **out, size_t *size,
                     char *err, size_t errsz) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC), e;
  size_t got = 0;
  *out = NULL;
  if (fd < 0 || fstat(fd, &st) < 0) {
    e = errno;
    if (fd >= 0)
      close(fd);
    return rt_errorf(err, errsz, "cannot open '%s': %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= SIZE_MAX) {
    close(fd);
    return rt_errorf(err, errsz, "%s: not a regular file", path);
  }
  *size = (size_t)st.st_size;
  *out = malloc(*size ? *size : 1);
  while (*out && got < *size) {
    ssize_t r = read(fd, *out + got, *size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  e = errno;
  close(fd);
  if (*out && got == *size)
    return 0;
  free(*out);
  *out = NULL;
  return rt_errorf(err, errsz, "cannot read '%s': %s", path,
                   got < *size ? "the file shrank while being read" :
                   strerror(e));
}

static int entry_dtype(Reader *r, Entry *e, const RtJsonValue *v) {
  const char *name = e->v->key;
  if (!v || v->kind != RT_JSON_STRING)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': \"dtype\" must be "
                     "a string", r->path, name);
  for (int t = RT_DTYPE_F32; t <= RT_DTYPE_I64; t++)
    if (strcmp(v->string, dtype_names[t]) == 0 &&
        v->string_len == strlen(dtype_names[t])) {
      e->dtype = (RtDType)t;
      return 0;
    }
  return rt_errorf(r->err, r->errsz, "%s: tensor '%s': dtype \"%.16s\" is "
                   "not one netc reads (F32, F64, I64)", r->path, name,
                   v->string);
}

static int entry_shape(Reader *r, Entry *e, const RtJsonValue *v) {
  const char *name = e->v->key;
  if (!v || v->kind != RT_JSON_ARRAY)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': \"shape\" must be "
                     "an array", r->path, name);
  if (v->count > RT_CKPT_MAX_DIMS)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': %zu dimensions; "
                     "at most %d", r->path, name, v->count,
                     RT_CKPT_MAX_DIMS);
  e->ndim = (int)v->count;
  for (size_t i = 0; i < v->count; i++) {
    if (!v->items[i].is_uint || v->items[i].uint_value > INT64_MAX)
      return rt_errorf(r->err, r->errsz, "%s: tensor '%s': each dimension "
                       "must be a whole number >= 0", r->path, name);
    e->shape[i] = (int64_t)v->items[i].uint_value;
  }
  return 0;
}

static int entry_offsets(Reader *r, Entry *e, const RtJsonValue *v) {
  const char *name = e->v->key;
  size_t want;
  if (!v || v->kind != RT_JSON_ARRAY || v->count != 2 ||
      !v->items[0].is_uint || !v->items[1].is_uint)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': \"data_offsets\" "
                     "must be [begin, end], two whole numbers", r->path,
                     name);
  e->begin = v->items[0].uint_value;
  e->end = v->items[1].uint_value;
  want = shape_bytes(e->shape, e->ndim, e->dtype);
  if (e->begin > e->end)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': data_offsets "
                     "[%llu, %llu] end before they begin", r->path, name,
                     (unsigned long long)e->begin,
                     (unsigned long long)e->end);
  if (want == SIZE_MAX)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': its shape is too "
                     "large", r->path, name);
  if (e->end - e->begin != want) {
    char shape[160];
    format_shape(shape, sizeof shape, e->shape, e->ndim);
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s': data_offsets "
                     "span %llu bytes but %s %s needs %zu", r->path, name,
                     (unsigned long long)(e->end - e->begin),
                     rt_dtype_name(e->dtype), shape, want);
  }
  if (e->end > r->data_len)
    return rt_errorf(r->err, r->errsz, "%s: truncated: tensor '%s' needs "
                     "data bytes %llu..%llu but the file holds %llu",
                     r->path, name, (unsigned long long)e->begin,
                     (unsigned long long)e->end,
                     (unsigned long long)r->data_len);
  return 0;
}

static int key_is(const RtJsonValue *m, const char *key) {
  return m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0;
}

/* "name": {"dtype": ..., "shape": [...], "data_offsets": [b, e]} */
static int check_entry(Reader *r, const RtJsonValue *m) {
  Entry *e = &r->entries[r->count];
  const char *name = m->key;
  memset(e, 0, sizeof *e);
  e->v = m;
  if (strlen(name) != m->key_len)
    return rt_errorf(r->err, r->errsz, "%s: a tensor name holds a NUL "
                     "character", r->path);
  if (m->kind != RT_JSON_OBJECT)
    return rt_errorf(r->err, r->errsz, "%s: tensor '%s' is not an object",
                     r->path, name);
  for (size_t i = 0; i < m->count; i++) {
    const RtJsonValue *f = &m->items[i];
    if (!key_is(f, "dtype") && !key_is(f, "shape") &&
        !key_is(f, "data_offsets"))
      return rt_errorf(r->err, r->errsz, "%s: tensor '%s': unknown field "
                       "\"%.32s\"", r->path, name, f->key);
  }
  if (entry_dtype(r, e, rt_json_member(m, "dtype")) < 0 ||
      entry_shape(r, e, rt_json_member(m, "shape")) < 0 ||
      entry_offsets(r, e, rt_json_member(m, "data_offsets")) < 0)
    return -1;
  r->count++;
  return 0;
}

static int check_meta(Reader *r, const RtJsonValue *m) {
  if (m->kind != RT_JSON_OBJECT)
    return rt_errorf(r->err, r->errsz, "%s: \"%s\" must be an object of "
                     "strings", r->path, META_KEY);
  for (size_t i = 0; i < m->count; i++) {
    const RtJsonValue *v = &m->items[i];
    if (v->kind != RT_JSON_STRING)
      return rt_errorf(r->err, r->errsz, "%s: metadata \"%.64s\" is not a "
                       "string", r->path, v->key);
    if (strlen(v->key) != v->key_len || strlen(v->string) != v->string_len)
      return rt_errorf(r->err, r->errsz, "%s: metadata \"%.64s\" holds a "
                       "NUL character", r->path, v->key);
  }
  r->meta = m;
  return 0;
}

static int by_begin(const void *a, const void *b) {
  const Entry *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* Sorted by begin, the tensors must follow one another from 0 to the
 * end of the file. */
static int check_tiling(Reader *r) {
  uint64_t at = 0;
  qsort(r->entries, r->count, sizeof *r->entries, by_begin);
  for (size_t i = 0; i < r->count; i++) {
    Entry *e = &r->entries[i];
    if (e->begin < at)
      return rt_errorf(r->err, r->errsz, "%s: tensors '%s' and '%s' "
                       "overlap", r->path, r->entries[i - 1].v->key,
                       e->v->key);
    if (e->begin > at)
      return rt_errorf(r->err, r->errsz, "%s: data bytes %llu..%llu belong "
                       "to no tensor", r->path, (unsigned long long)at,
                       (unsigned long long)e->begin);
    at = e->end;
  }
  if (at != r->data_len)
    return rt_errorf(r->err, r->errsz, "%s: %llu bytes follow the last "
                     "tensor's data", r->path,
                     (unsigned long long)(r->data_len - at));
  return 0;
}

static size_t round8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

static char *put_string(char **at, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = memcpy(*at, s, n);
  *at += n;
  return d;
}

/* One block: the data first (8-aligned each), then the strings. */
static int build(Reader *r, RtCkpt *ck) {
  size_t size = 0, nmeta = r->meta ? r->meta->count : 0;
  char *at;
  for (size_t i = 0; i < r->count; i++)
    size += round8((size_t)(r->entries[i].end - r->entries[i].begin)) +
            r->entries[i].v->key_len + 1;
  for (size_t i = 0; i < nmeta; i++)
    size += r->meta->items[i].key_len + r->meta->items[i].string_len + 2;
  ck->storage = malloc(size ? size : 1);
  ck->tensors = calloc(r->count ? r->count : 1, sizeof *ck->tensors);
  ck->meta = calloc(nmeta ? nmeta : 1, sizeof *ck->meta);
  if (!ck->storage || !ck->tensors || !ck->meta)
    return rt_errorf(r->err, r->errsz, "%s: out of memory", r->path);
  at = ck->storage;
  for (size_t i = 0; i < r->count; i++) {
    Entry *e = &r->entries[i];
    size_t n = (size_t)(e->end - e->begin);
    RtTensor *t = &ck->tensors[i];
    memcpy(at, r->data + e->begin, n);
    if (!little_endian())
      swap_elements((unsigned char *)at, n, rt_dtype_size(e->dtype));
    t->data = at;
    t->dtype = e->dtype;
    t->ndim = e->ndim;
    memcpy(t->shape, e->shape, sizeof t->shape);
    at += round8(n);
  }
  for (size_t i = 0; i < r->count; i++)
    ck->tensors[i].name = put_string(&at, r->entries[i].v->key);
  for (size_t i = 0; i < nmeta; i++) {
    ck->meta[i].key = put_string(&at, r->meta->items[i].key);
    ck->meta[i].value = put_string(&at, r->meta->items[i].string);
  }
  ck->count = r->count;
  ck->nmeta = nmeta;
  return 0;
}

static int check_header(Reader *r, const RtJsonValue *root) {
  r->entries = malloc((root->count ? root->count : 1) * sizeof *r->entries);
  if (!r->entries)
    return rt_errorf(r->err, r->errsz, "%s: out of memory", r->path);
  for (size_t i = 0; i < root->count; i++) {
    const RtJsonValue *m = &root->items[i];
    int rc = key_is(m, META_KEY) ? check_meta(r, m) : check_entry(r, m);
    if (rc < 0)
      return -1;
  }
  return check_tiling(r);
}

/* The 8-byte length and the header's JSON. */
static int parse_header(Reader *r, const unsigned char *file, size_t size,
                        RtJsonValue *root) {
  uint64_t n = 0;
  char jerr[200];
  if (size < 8)
    return rt_errorf(r->err, r->errsz, "%s: truncated: %zu bytes, less than "
                     "the 8-byte header length a safetensors file starts "
                     "with", r->path, size);
  for (int i = 7; i >= 0; i--)
    n = n << 8 | file[i];
  if (n > MAX_HEADER)
    return rt_errorf(r->err, r->errsz, "%s: not a safetensors file: its "
                     "header length %llu exceeds 100 MB", r->path,
                     (unsigned long long)n);
  if (n > size - 8)
    return rt_errorf(r->err, r->errsz, "%s: truncated: the header should "
                     "be %llu bytes but only %zu follow", r->path,
                     (unsigned long long)n, size - 8);
  if (n < 2 || file[8] != '{')
    return rt_errorf(r->err, r->errsz, "%s: not a safetensors file: the "
                     "header is not a JSON object", r->path);
  if (rt_json_parse((const char *)file + 8, (size_t)n, root, jerr,
                    sizeof jerr) < 0)
    return rt_errorf(r->err, r->errsz, "%s: header JSON, %s", r->path,
                     jerr);
  r->data = file + 8 + n;
  r->data_len = size - 8 - n;
  return 0;
}

int rt_ckpt_read(RtCkpt *ck, const char *path, char *err, size_t errsz) {
  Reader r = {path, err, errsz, NULL, 0, NULL, 0, NULL};
  RtJsonValue root = {0};
  unsigned char *file;
  size_t size = 0;
  int rc;
  memset(ck, 0, sizeof *ck);
  if (read_file(path, &file, &size, err, errsz) < 0)
    return -1;
  rc = parse_header(&r, file, size, &root);
  if (rc == 0)
    rc = check_header(&r, &root);
  if (rc == 0)
    rc = build(&r, ck);
  if (rc == 0 && !(ck->path = malloc(strlen(path) + 1)))
    rc = rt_errorf(err, errsz, "%s: out of memory", path);
  if (rc == 0)
    strcpy(ck->path, path);
  free(r.entries);
  rt_json_value_free(&root);
  free(file);
  if (rc < 0)
    rt_ckpt_free(ck);
  return rc;
}

void rt_ckpt_free(RtCkpt *ck) {
  free(ck->path);
  free(ck->tensors);
  free(ck->meta);
  free(ck->storage);
  memset(ck, 0, sizeof *ck);
}

const RtTensor *rt_ckpt_find(const RtCkpt *ck, const char *name) {
  for (size_t i = 0; i < ck->count; i++)
    if (strcmp(ck->tensors[i].name, name) == 0)
      return &ck->tensors[i];
  return NULL;
}

const char *rt_ckpt_meta(const RtCkpt *ck, const char *key) {
  for (size_t i = 0; i < ck->nmeta; i++)
    if (strcmp(ck->meta[i].key, key) == 0)
      return ck->meta[i].value;
  return NULL;
}

int rt_ckpt_get(const RtCkpt *ck, const char *name, RtDType dtype,
                int ndim, const int64_t *shape, void *dst, char *err,
                size_t errsz) {
  const RtTensor *t = rt_ckpt_find(ck, name);
  char have[160], want[160];
  if (!t)
    return rt_errorf(err, errsz, "%s: no tensor '%s'", ck->path, name);
  if (t->dtype != dtype)
    return rt_errorf(err, errsz, "%s: tensor '%s' is %s; expected %s",
                     ck->path, name, rt_dtype_name(t->dtype),
                     rt_dtype_name(dtype));
  format_shape(have, sizeof have, t->shape, t->ndim);
  format_shape(want, sizeof want, shape, ndim);
  if (t->ndim != ndim || memcmp(t->shape, shape, sizeof *shape *
                                (size_t)ndim) != 0)
    return rt_errorf(err, errsz, "%s: tensor '%s' has shape %s; expected %s",
                     ck->path, name, have, want);
  memcpy(dst, t->data, shape_bytes(t->shape, t->ndim, t->dtype));
  return 0;
}
