/* runtime/rt_data.c — MNIST idx files, CSV, the synthetic spirals, the
 * validation split and batches, sequences' included (see rt_data.h; the
 * sequence sources themselves are in rt_seq.c).
 *
 * Files are read through zlib's gzopen/gzread, which read gzip and plain
 * files alike, so every loader takes either.  Data of a promised size is
 * read into a buffer that grows as bytes arrive: a header that claims
 * four billion images costs memory only for the bytes the file really
 * holds, and is then reported as truncated.  CSV is parsed as it arrives,
 * one line at a time.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rt_data.h"
#include "rt_rng.h"
#include "rt_util.h"

#define TWO_PI 6.28318530717958647692
#define MNIST_SIDE 28
#define MNIST_CLASSES 10
#define IDX_MAX_SIDE 4096
#define READ_CHUNK (1u << 30)     /* gzread takes an unsigned count */
#define FIRST_BUFFER (1u << 20)

/* ---- reading files, plain or gzip ---- */

typedef struct Src {
  gzFile gz;
  char *path;                     /* owned */
  char *err;
  size_t errsz;
} Src;

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* Returns 0, or the errno of a failed open (ENOMEM when out of memory),
 * without writing a message. */
static int src_try(Src *s, const char *path) {
  s->path = dup_str(path);
  if (!s->path)
    return ENOMEM;
  errno = 0;
  s->gz = gzopen(path, "rb");
  if (!s->gz) {
    int e = errno ? errno : ENOMEM;
    free(s->path);
    s->path = NULL;
    return e;
  }
  gzbuffer(s->gz, 1u << 17);
  return 0;
}

static int src_open(Src *s, const char *path, char *err, size_t errsz) {
  int e;
  s->err = err;
  s->errsz = errsz;
  e = src_try(s, path);
  if (e)
    return rt_errorf(err, errsz, "cannot open '%s': %s", path, strerror(e));
  return 0;
}

static void src_close(Src *s) {
  if (s->gz)
    gzclose_r(s->gz);
  free(s->path);
  s->gz = NULL;
  s->path = NULL;
}

static int src_fail(Src *s) {
  int code;
  const char *msg = gzerror(s->gz, &code);
  size_t n = strlen(s->path);
  if (code == Z_ERRNO)
    msg = strerror(errno);
  else if (strncmp(msg, s->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
    msg += n + 2;                 /* zlib puts the path in front */
  if (code == Z_DATA_ERROR)
    return rt_errorf(s->err, s->errsz, "%s: corrupt gzip data (%s)",
                     s->path, msg);
  return rt_errorf(s->err, s->errsz, "%s: read error: %s", s->path, msg);
}

/* Reads up to n bytes into buf; *got says how many arrived (fewer only at
 * the end of the data).  -1 on a read error or corrupt gzip data. */
static int src_read_upto(Src *s, void *buf, size_t n, size_t *got) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got < READ_CHUNK ? n - *got : READ_CHUNK;
    int r = gzread(s->gz, (char *)buf + *got, (unsigned)want);
    if (r < 0)
      return src_fail(s);
    if (r == 0)
      break;
    *got += (size_t)r;
  }
  return 0;
}

/* Whether a short read ended in the middle of a gzip stream. */
static const char *src_cut_note(Src *s) {
  int code;
  gzerror(s->gz, &code);
  return code == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
}

/* Reads need bytes (SIZE_MAX: to the end) into a new buffer *out grown as
 * data arrives; *got bytes arrived.  -1 on a read error. */
static int src_read_all(Src *s, size_t need, uint8_t **out, size_t *got) {
  size_t cap = need < FIRST_BUFFER ? need : FIRST_BUFFER;
  uint8_t *buf = malloc(cap ? cap : 1);
  *out = NULL;
  *got = 0;
  for (;;) {
    size_t n;
    uint8_t *grown;
    if (!buf)
      return rt_errorf(s->err, s->errsz, "%s: out of memory", s->path);
    if (src_read_upto(s, buf + *got, cap - *got, &n) < 0) {
      free(buf);
      return -1;
    }
    *got += n;
    if (*got < cap || cap == need)
      break;
    cap = cap > need / 2 ? need : cap * 2;     /* cap < need here */
    grown = realloc(buf, cap);
    if (!grown)
      free(buf);
    buf = grown;
  }
  *out = buf;
  return 0;
}

/* The data must end where the header says it does. */
static int src_expect_end(Src *s, const char *what) {
  unsigned char extra;
  size_t n;
  if (src_read_upto(s, &extra, 1, &n) < 0)
    return -1;
  if (n == 0 && *src_cut_note(s))
    return rt_errorf(s->err, s->errsz, "%s: truncated: the gzip stream "
                     "ends before its check trailer", s->path);
  if (n == 0)
    return 0;
  return rt_errorf(s->err, s->errsz, "%s: longer than its header says: "
                   "bytes follow the last %s", s->path, what);
}

/* ---- idx files ---- */

typedef struct Idx {
  Src src;
  uint32_t count, rows, cols;     /* rows, cols: images only */
} Idx;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* images: magic 2051 = 0x00000803 (unsigned bytes, 3 dimensions) then
 * count, rows, cols; labels: 2049 = 0x00000801 then count.  Big-endian. */
static int idx_header(Idx *f, int images) {
  unsigned char h[16];
  size_t need = images ? 16 : 8, got;
  uint32_t want = images ? 2051 : 2049, other = images ? 2049 : 2051;
  const char *kind = images ? "images" : "labels";
  Src *s = &f->src;
  if (src_read_upto(s, h, need, &got) < 0)
    return -1;
  if (got == 0 && *src_cut_note(s))
    return rt_errorf(s->err, s->errsz, "%s: truncated: the gzip stream "
                     "ends before the header", s->path);
  if (got == 0)
    return rt_errorf(s->err, s->errsz, "%s: the file is empty", s->path);
  if (got >= 4 && be32(h) != want)
    return rt_errorf(s->err, s->errsz,
                     "%s: bad magic number %u (0x%08x): an idx %s file "
                     "starts with %u (0x%08x)%s", s->path, be32(h), be32(h),
                     kind, want, want, be32(h) == other ?
                     images ? "; this is a labels file" :
                     "; this is an images file" : "");
  if (got < need)
    return rt_errorf(s->err, s->errsz,
                     "%s: truncated: holds %zu of the %zu header bytes%s",
                     s->path, got, need, src_cut_note(s));
  f->count = be32(h + 4);
  f->rows = images ? be32(h + 8) : 0;
  f->cols = images ? be32(h + 12) : 0;
  return 0;
}

static int idx_check_sizes(Idx *im, Idx *lb, uint32_t side) {
  Src *s = &im->src;
  if (im->count != lb->count)
    return rt_errorf(s->err, s->errsz,
                     "%s holds %u images but %s holds %u labels",
                     s->path, im->count, lb->src.path, lb->count);
  if (im->count == 0)
    return rt_errorf(s->err, s->errsz, "%s: holds no images", s->path);
  if (side && (im->rows != side || im->cols != side))
    return rt_errorf(s->err, s->errsz,
                     "%s: images of %ux%u pixels; MNIST's are %ux%u",
                     s->path, im->rows, im->cols, side, side);
  if (im->rows == 0 || im->cols == 0 || im->rows > IDX_MAX_SIDE ||
      im->cols > IDX_MAX_SIDE)
    return rt_errorf(s->err, s->errsz,
                     "%s: images of %ux%u pixels; each side must be 1 to "
                     "%u", s->path, im->rows, im->cols, IDX_MAX_SIDE);
  return 0;
}

static int idx_pixels(Idx *im, RtDataset *ds) {
  Src *s = &im->src;
  size_t per = (size_t)im->rows * im->cols;
  size_t need = rt_mul_size(per, im->count), got;
  if (need == SIZE_MAX)
    return rt_errorf(s->err, s->errsz, "%s: %u images of %ux%u do not fit "
                     "in memory", s->path, im->count, im->rows, im->cols);
  if (src_read_all(s, need, &ds->u8, &got) < 0)
    return -1;
  if (got < need)
    return rt_errorf(s->err, s->errsz,
                     "%s: truncated: holds %zu of the %zu pixel bytes its "
                     "header promises (%u images of %ux%u)%s", s->path, got,
                     need, im->count, im->rows, im->cols, src_cut_note(s));
  return src_expect_end(s, "image");
}

static int idx_labels(Idx *lb, RtDataset *ds, int classes) {
  Src *s = &lb->src;
  uint8_t *raw;
  size_t got;
  if (src_read_all(s, lb->count, &raw, &got) < 0)
    return -1;
  if (got < lb->count) {
    free(raw);
    return rt_errorf(s->err, s->errsz,
                     "%s: truncated: holds %zu of the %u labels its header "
                     "promises%s", s->path, got, lb->count, src_cut_note(s));
  }
  ds->labels = malloc(sizeof *ds->labels * lb->count);
  for (size_t i = 0; ds->labels && i < got; i++) {
    if (raw[i] >= classes) {
      int label = raw[i];
      free(raw);
      return rt_errorf(s->err, s->errsz,
                       "%s: label %d of example %zu (counting from 0) is "
                       "not a class 0..%d", s->path, label, i, classes - 1);
    }
    ds->labels[i] = raw[i];
  }
  free(raw);
  if (!ds->labels)
    return rt_errorf(s->err, s->errsz, "%s: out of memory", s->path);
  return src_expect_end(s, "label");
}

static void idx_fill(RtDataset *ds, const Idx *im, int classes) {
  ds->count = im->count;
  ds->input_ndim = 2;
  ds->input_shape[0] = im->rows;
  ds->input_shape[1] = im->cols;
  ds->input_numel = (size_t)im->rows * im->cols;
  ds->input_kind = RT_INPUT_U8;
  ds->target_kind = RT_TARGET_CLASS;
  ds->classes = classes;
}

/* Both files are open; reads them into ds. */
static int idx_load(RtDataset *ds, Idx *im, Idx *lb, uint32_t side,
                    int classes) {
  if (idx_header(im, 1) < 0 || idx_header(lb, 0) < 0 ||
      idx_check_sizes(im, lb, side) < 0)
    return -1;
  idx_fill(ds, im, classes);
  if (idx_pixels(im, ds) < 0 || idx_labels(lb, ds, classes) < 0)
    return -1;
  return 0;
}

static int idx_pair(RtDataset *ds, Idx *im, Idx *lb, uint32_t side,
                    int classes) {
  int rc = idx_load(ds, im, lb, side, classes);
  src_close(&im->src);
  src_close(&lb->src);
  if (rc < 0)
    rt_dataset_free(ds);
  return rc;
}

int rt_load_idx(RtDataset *ds, const char *images_path,
                const char *labels_path, int classes, char *err,
                size_t errsz) {
  Idx im = {0}, lb = {0};
  memset(ds, 0, sizeof *ds);
  if (classes < 1 || classes > 256)
    return rt_errorf(err, errsz, "%s: %d classes: idx labels are bytes, so "
                     "1 to 256 classes", labels_path, classes);
  if (src_open(&im.src, images_path, err, errsz) < 0)
    return -1;
  if (src_open(&lb.src, labels_path, err, errsz) < 0) {
    src_close(&im.src);
    return -1;
  }
  return idx_pair(ds, &im, &lb, 0, classes);
}

/* Opens dir/base, or dir/base.gz when there is no plain file. */
static int open_mnist(Src *s, const char *dir, const char *base,
                      char *err, size_t errsz) {
  size_t n = strlen(dir) + strlen(base) + 8;
  char *path = malloc(n);
  int e;
  if (!path)
    return rt_errorf(err, errsz, "out of memory");
  s->err = err;
  s->errsz = errsz;
  snprintf(path, n, "%s%s%s", dir, *dir && dir[strlen(dir) - 1] != '/' ?
           "/" : "", base);
  e = src_try(s, path);
  if (e == ENOENT) {
    strcat(path, ".gz");
    e = src_try(s, path);
    if (e == ENOENT)
      path[strlen(path) - 3] = '\0';
  }
  if (e == ENOENT)
    rt_errorf(err, errsz, "cannot find '%s' nor '%s.gz' (tools/fetch-mnist "
              "puts MNIST in a directory)", path, path);
  else if (e)
    rt_errorf(err, errsz, "cannot open '%s': %s", path, strerror(e));
  free(path);
  return e ? -1 : 0;
}

int rt_load_mnist(RtDataset *ds, const char *dir, RtMnistSet set,
                  char *err, size_t errsz) {
  Idx im = {0}, lb = {0};
  const char *prefix = set == RT_MNIST_TEST ? "t10k" : "train";
  char images[64], labels[64];
  memset(ds, 0, sizeof *ds);
  snprintf(images, sizeof images, "%s-images-idx3-ubyte", prefix);
  snprintf(labels, sizeof labels, "%s-labels-idx1-ubyte", prefix);
  if (open_mnist(&im.src, dir, images, err, errsz) < 0)
    return -1;
  if (open_mnist(&lb.src, dir, labels, err, errsz) < 0) {
    src_close(&im.src);
    return -1;
  }
  return idx_pair(ds, &im, &lb, MNIST_SIDE, MNIST_CLASSES);
}

/* ---- CSV ---- */

/* The file is parsed as it is read (and decompressed): memory holds the
 * examples and one line, never the whole text, so that a small gzip file
 * that inflates to gigabytes costs no more than what it parses to.  A
 * line may be CSV_MAX_LINE bytes long, far more than any row of numbers
 * a model takes; a longer one is refused as soon as it is seen. */
#define CSV_MAX_LINE (16u << 20)
#define CSV_CHUNK (1u << 16)

typedef struct Csv {
  const char *path;
  char *err;
  size_t errsz;
  Src src;
  char *buf;                       /* bytes read (CSV_CHUNK at first) */
  size_t begin, end, cap;          /* the unparsed ones: buf[begin..end) */
  int eof;                         /* the file has no more bytes */
  int fields;                      /* per line: features + label */
  int label;                       /* its index */
  int classes;
  int header;                      /* the first line is names */
  int f64;                         /* store doubles, else floats */
  size_t rows_cap;                 /* examples the arrays have room for */
} Csv;

typedef struct Line {
  const char *p;
  size_t len;                      /* without "\n" or "\r\n" */
  size_t no;                       /* 1-based */
} Line;

/* Keeps the partial line buf[begin..end) and reads more after it,
 * growing buf when that line fills it. */
static int csv_fill(Csv *c, size_t line_no) {
  size_t part = c->end - c->begin, want, got;
  memmove(c->buf, c->buf + c->begin, part);
  c->begin = 0;
  c->end = part;
  if (c->end == c->cap) {
    size_t cap = c->cap * 2;
    char *grown;
    if (c->cap >= CSV_MAX_LINE)
      return rt_errorf(c->err, c->errsz, "%s:%zu: the line is longer than "
                       "%u MiB: not a CSV file of numbers", c->path,
                       line_no, CSV_MAX_LINE >> 20);
    grown = realloc(c->buf, cap);
    if (!grown)
      return rt_errorf(c->err, c->errsz, "%s:%zu: out of memory for a "
                       "line of %zu bytes", c->path, line_no, c->cap);
    c->buf = grown;
    c->cap = cap;
  }
  want = c->cap - c->end;
  if (src_read_upto(&c->src, c->buf + c->end, want, &got) < 0)
    return -1;
  c->end += got;
  c->eof = got < want;
  if (c->eof && *src_cut_note(&c->src))
    return rt_errorf(c->err, c->errsz, "%s: truncated: the gzip stream "
                     "ends early", c->path);
  return 0;
}

/* Reads the next line into l: 1, 0 at the end of the file, -1 on an
 * error.  l->p stays valid until the next call. */
static int next_line(Csv *c, Line *l) {
  for (;;) {
    char *at = c->buf + c->begin;
    char *nl = memchr(at, '\n', c->end - c->begin);
    if (nl || (c->eof && c->begin < c->end)) {
      l->p = at;
      l->len = nl ? (size_t)(nl - at) : c->end - c->begin;
      c->begin += l->len + (nl != NULL);
      if (l->len && l->p[l->len - 1] == '\r')
        l->len--;
      l->no++;
      return 1;
    }
    if (c->eof)
      return 0;
    if (csv_fill(c, l->no + 1) < 0)
      return -1;
  }
}

static int is_blank(const Line *l) {
  for (size_t i = 0; i < l->len; i++)
    if (l->p[i] != ' ' && l->p[i] != '\t')
      return 0;
  return 1;
}

static int count_fields(const Line *l) {
  int n = 1;
  for (size_t i = 0; i < l->len; i++)
    n += l->p[i] == ',';
  return n;
}

/* Reads one field's number: spaces and one pair of double quotes around
 * it are dropped; it must be a finite number.  col is 1-based. */
static int parse_number(Csv *c, const Line *l, const char *f, size_t n,
                        int field, double *v) {
  char buf[128], *end;
  size_t col = (size_t)(f - l->p) + 1, start = col;
  while (n && (*f == ' ' || *f == '\t'))
    f++, n--, col++;
  while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
    n--;
  if (n >= 2 && f[0] == '"' && f[n - 1] == '"')
    f++, n -= 2, col++;
  if (n == 0)
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d is empty",
                     c->path, l->no, start, field);
  if (n >= sizeof buf)
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d is too long "
                     "for a number", c->path, l->no, col, field);
  memcpy(buf, f, n);
  buf[n] = '\0';
  *v = strtod(buf, &end);
  if (end != buf + n) {
    for (size_t i = 0; i < n; i++)     /* keep the message printable */
      if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
        buf[i] = '?';
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d: '%s' is not "
                     "a number%s", c->path, l->no, col, field, buf,
                     l->no == 1 && !c->header ? " (a first line of column "
                     "names needs header = true)" : "");
  }
  if (!isfinite(*v))
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d: '%s' is not "
                     "a finite number", c->path, l->no, col, field, buf);
  if (!c->f64 && fabs(*v) > FLT_MAX)
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d: '%s' is "
                     "beyond the range of the model's f32 reals (at most "
                     "%g in magnitude)", c->path, l->no, col, field, buf,
                     FLT_MAX);
  return 0;
}

static int store_label(Csv *c, const Line *l, size_t col, int field,
                       double v, RtDataset *ds, size_t row) {
  if (c->classes == 0 && c->f64) {
    ds->targets_f64[row] = v;
    return 0;
  }
  if (c->classes == 0) {
    ds->targets[row] = (float)v;
    return 0;
  }
  if (v != floor(v) || v < 0 || v >= c->classes)
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: field %d: label %g is "
                     "not a class 0..%d", c->path, l->no, col, field, v,
                     c->classes - 1);
  ds->labels[row] = (int32_t)v;
  return 0;
}

/* One data line: c->fields comma-separated numbers. */
static int parse_row(Csv *c, const Line *l, RtDataset *ds, size_t row) {
  const char *f = l->p, *end = l->p + l->len;
  size_t x = row * ds->input_numel;
  int n = count_fields(l);
  if (n != c->fields)
    return rt_errorf(c->err, c->errsz, "%s:%zu:%zu: %d fields, expected "
                     "%d (%d features and a label)", c->path, l->no,
                     l->len + 1, n, c->fields, c->fields - 1);
  for (int i = 0; i < c->fields; i++) {
    const char *comma = memchr(f, ',', (size_t)(end - f));
    size_t flen = comma ? (size_t)(comma - f) : (size_t)(end - f);
    double v = 0;
    if (parse_number(c, l, f, flen, i + 1, &v) < 0)
      return -1;
    if (i == c->label) {
      if (store_label(c, l, (size_t)(f - l->p) + 1, i + 1, v, ds, row) < 0)
        return -1;
    } else if (c->f64) {
      ds->f64[x++] = v;
    } else {
      ds->f32[x++] = (float)v;
    }
    f += flen + 1;
  }
  return 0;
}

/* From the first data line: the fields of every line, the label's. */
static int csv_shape(Csv *c, RtDataset *ds, int features, int label_column,
                     const Line *first) {
  int n = count_fields(first);
  if (features == 0 && n < 2)
    return rt_errorf(c->err, c->errsz, "%s: the first data line has %d "
                     "field; at least one feature and a label are needed",
                     c->path, n);
  c->fields = features ? features + 1 : n;
  c->label = label_column < 0 ? c->fields + label_column : label_column;
  if (c->label < 0 || c->label >= c->fields)
    return rt_errorf(c->err, c->errsz, "%s: label column %d is outside "
                     "the %d columns", c->path, label_column, c->fields);
  ds->input_numel = (size_t)c->fields - 1;
  ds->input_ndim = 1;
  ds->input_shape[0] = ds->input_numel;
  ds->input_kind = c->f64 ? RT_INPUT_F64 : RT_INPUT_F32;
  ds->target_kind = c->classes ? RT_TARGET_CLASS : RT_TARGET_FLOAT;
  ds->classes = c->classes;
  ds->target_numel = c->classes ? 0 : 1;
  return 0;
}

static int grow(void **p, size_t count, size_t size) {
  size_t bytes = rt_mul_size(count, size);
  void *q = bytes < SIZE_MAX ? realloc(*p, bytes) : NULL;
  if (!q)
    return -1;
  *p = q;
  return 0;
}

/* The arrays of cap examples: inputs, and labels or targets. */
static int csv_grow(Csv *c, RtDataset *ds, size_t cap) {
  size_t values = rt_mul_size(cap, ds->input_numel);
  if (c->f64 ? grow((void **)&ds->f64, values, sizeof *ds->f64)
             : grow((void **)&ds->f32, values, sizeof *ds->f32))
    return -1;
  if (c->classes)
    return grow((void **)&ds->labels, cap, sizeof *ds->labels);
  return c->f64 ? grow((void **)&ds->targets_f64, cap,
                       sizeof *ds->targets_f64)
                : grow((void **)&ds->targets, cap, sizeof *ds->targets);
}

/* Room for example ds->count, the arrays doubled when they are full. */
static int csv_room(Csv *c, RtDataset *ds, const Line *l) {
  size_t cap = c->rows_cap ? c->rows_cap * 2 : 1024;
  if (ds->count < c->rows_cap)
    return 0;
  if (csv_grow(c, ds, cap) < 0)
    return rt_errorf(c->err, c->errsz, "%s:%zu: out of memory after %zu "
                     "examples of %zu values", c->path, l->no, ds->count,
                     ds->input_numel);
  c->rows_cap = cap;
  return 0;
}

static int csv_parse(Csv *c, RtDataset *ds, int features, int label_column) {
  Line l = {0};
  int rc;
  if (c->header && next_line(c, &l) < 0)
    return -1;
  while ((rc = next_line(c, &l)) > 0) {
    if (is_blank(&l))
      continue;
    if (c->fields == 0 &&
        csv_shape(c, ds, features, label_column, &l) < 0)
      return -1;
    if (csv_room(c, ds, &l) < 0 || parse_row(c, &l, ds, ds->count) < 0)
      return -1;
    ds->count++;
  }
  if (rc == 0 && ds->count == 0)
    return rt_errorf(c->err, c->errsz, "%s: no data lines%s", c->path,
                     c->header ? " after the header" : "");
  return rc;
}

int rt_load_csv(RtDataset *ds, const char *path, int features, int classes,
                int label_column, int header, int real_bytes, char *err,
                size_t errsz) {
  Csv c = {.path = path, .err = err, .errsz = errsz, .classes = classes,
           .header = header, .f64 = real_bytes == 8};
  int rc;
  memset(ds, 0, sizeof *ds);
  if (features < 0 || classes < 0)
    return rt_errorf(err, errsz, "%s: features (%d) and classes (%d) must "
                     "not be negative", path, features, classes);
  if (real_bytes != 4 && real_bytes != 8)
    return rt_errorf(err, errsz, "%s: reals of %d bytes: 4 (f32) or 8 "
                     "(f64)", path, real_bytes);
  if (src_open(&c.src, path, err, errsz) < 0)
    return -1;
  c.cap = CSV_CHUNK;
  c.buf = malloc(c.cap);
  rc = c.buf ? csv_parse(&c, ds, features, label_column)
             : rt_errorf(err, errsz, "%s: out of memory", path);
  src_close(&c.src);
  free(c.buf);
  if (rc < 0)
    rt_dataset_free(ds);
  return rc;
}

/* ---- experiment I's spirals ---- */

static void spiral_point(RtRng *r, int arm, int classes, float *xy) {
  double t = sqrt(rt_rng_uniform(r));
  double a = TWO_PI * ((double)arm / classes + t);
  double n1 = rt_rng_normal(r), n2 = rt_rng_normal(r);
  xy[0] = (float)(1.5 * t * cos(a) + 0.12 * n1);
  xy[1] = (float)(1.5 * t * sin(a) + 0.12 * n2);
}

/* Fisher-Yates over the examples, points and labels together. */
static void shuffle_points(RtDataset *ds, RtRng *r) {
  for (size_t i = ds->count; i > 1; i--) {
    size_t j = (size_t)rt_rng_below(r, i);
    float x = ds->f32[2 * (i - 1)], y = ds->f32[2 * (i - 1) + 1];
    int32_t c = ds->labels[i - 1];
    ds->f32[2 * (i - 1)] = ds->f32[2 * j];
    ds->f32[2 * (i - 1) + 1] = ds->f32[2 * j + 1];
    ds->labels[i - 1] = ds->labels[j];
    ds->f32[2 * j] = x;
    ds->f32[2 * j + 1] = y;
    ds->labels[j] = c;
  }
}

int rt_synthetic2d(RtDataset *ds, size_t points, int classes, uint64_t seed,
                   char *err, size_t errsz) {
  RtRng r;
  memset(ds, 0, sizeof *ds);
  if (points == 0 || classes < 1)
    return rt_errorf(err, errsz, "synthetic2d: %zu points in %d classes: "
                     "both must be at least 1", points, classes);
  if (points > SIZE_MAX / (2 * sizeof(float)))
    return rt_errorf(err, errsz, "synthetic2d: %zu points do not fit in "
                     "memory", points);
  ds->f32 = malloc(points * 2 * sizeof(float));
  ds->labels = malloc(points * sizeof(int32_t));
  if (!ds->f32 || !ds->labels) {
    rt_dataset_free(ds);
    return rt_errorf(err, errsz, "synthetic2d: out of memory");
  }
  ds->count = points;
  ds->input_numel = 2;
  ds->input_ndim = 1;
  ds->input_shape[0] = 2;
  ds->input_kind = RT_INPUT_F32;
  ds->target_kind = RT_TARGET_CLASS;
  ds->classes = classes;
  rt_rng_seed(&r, seed);
  for (size_t i = 0; i < points; i++) {
    ds->labels[i] = (int32_t)(i % (size_t)classes);
    spiral_point(&r, ds->labels[i], classes, ds->f32 + 2 * i);
  }
  shuffle_points(ds, &r);
  return 0;
}

void rt_dataset_free(RtDataset *ds) {
  free(ds->u8);
  free(ds->f32);
  free(ds->f64);
  free(ds->labels);
  free(ds->targets);
  free(ds->targets_f64);
  free(ds->lengths);
  free(ds->vocab);
  memset(ds, 0, sizeof *ds);
}

/* ---- split and batches ---- */

int rt_split(const RtDataset *ds, size_t validation, RtSplit *split,
             char *err, size_t errsz) {
  if (validation >= ds->count)
    return rt_errorf(err, errsz, "a validation set of %zu examples leaves "
                     "none of the %zu to train on", validation, ds->count);
  split->train_count = ds->count - validation;
  split->val_begin = split->train_count;
  split->val_count = validation;
  return 0;
}

size_t rt_example_steps(const RtDataset *ds, size_t i) {
  assert(i < ds->count);
  if (ds->lengths)
    return (size_t)ds->lengths[i];
  return ds->input_ndim >= 2 ? ds->input_shape[0] : 1;
}

void rt_batch_lengths(const RtDataset *ds, const size_t *idx, size_t n,
                      int32_t *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = (int32_t)rt_example_steps(ds, idx[i]);
}

/* Example i's one-hot steps into out (max_steps rows of step_numel),
 * zeros past its length. */
static void onehot_steps(const RtDataset *ds, size_t i, float *out) {
  size_t k = ds->step_numel, steps = rt_example_steps(ds, i);
  const uint8_t *c = ds->u8 + i * ds->max_steps;
  memset(out, 0, ds->input_numel * sizeof *out);
  for (size_t t = 0; t < steps; t++)
    out[t * k + c[t]] = 1.0f;
}

static void onehot_steps_f64(const RtDataset *ds, size_t i, double *out) {
  size_t k = ds->step_numel, steps = rt_example_steps(ds, i);
  const uint8_t *c = ds->u8 + i * ds->max_steps;
  for (size_t j = 0; j < ds->input_numel; j++)
    out[j] = 0.0;
  for (size_t t = 0; t < steps; t++)
    out[t * k + c[t]] = 1.0;
}

/* A byte as the model reads it: in [0, 1], or standardized. */
static double u8_value(const RtDataset *ds, uint8_t x) {
  double v = x / 255.0;
  return ds->u8_std > 0 ? (v - ds->u8_mean) / ds->u8_std : v;
}

void rt_batch_inputs(const RtDataset *ds, const size_t *idx, size_t n,
                     float *out) {
  size_t m = ds->input_numel;
  for (size_t i = 0; i < n; i++, out += m) {
    assert(idx[i] < ds->count);
    if (ds->input_kind == RT_INPUT_ONEHOT) {
      onehot_steps(ds, idx[i], out);
    } else if (ds->input_kind == RT_INPUT_U8) {
      const uint8_t *p = ds->u8 + idx[i] * m;
      for (size_t j = 0; j < m; j++)
        out[j] = (float)u8_value(ds, p[j]);
    } else if (ds->input_kind == RT_INPUT_F64) {
      const double *p = ds->f64 + idx[i] * m;
      for (size_t j = 0; j < m; j++)
        out[j] = (float)p[j];
    } else {
      memcpy(out, ds->f32 + idx[i] * m, m * sizeof *out);
    }
  }
}

void rt_batch_inputs_f64(const RtDataset *ds, const size_t *idx, size_t n,
                         double *out) {
  size_t m = ds->input_numel;
  for (size_t i = 0; i < n; i++, out += m) {
    assert(idx[i] < ds->count);
    if (ds->input_kind == RT_INPUT_ONEHOT) {
      onehot_steps_f64(ds, idx[i], out);
    } else if (ds->input_kind == RT_INPUT_U8) {
      const uint8_t *p = ds->u8 + idx[i] * m;
      for (size_t j = 0; j < m; j++)
        out[j] = u8_value(ds, p[j]);
    } else if (ds->input_kind == RT_INPUT_F64) {
      memcpy(out, ds->f64 + idx[i] * m, m * sizeof *out);
    } else {
      const float *p = ds->f32 + idx[i] * m;
      for (size_t j = 0; j < m; j++)
        out[j] = p[j];
    }
  }
}

size_t rt_label_numel(const RtDataset *ds) {
  switch (ds->target_kind) {
  case RT_TARGET_CLASS:
    return 1;
  case RT_TARGET_STEP_CLASS:
    return ds->max_steps;
  case RT_TARGET_FLOAT:
    break;
  }
  return 0;
}

void rt_batch_labels(const RtDataset *ds, const size_t *idx, size_t n,
                     int32_t *out) {
  size_t k = rt_label_numel(ds);
  assert(k > 0);
  for (size_t i = 0; i < n; i++) {
    assert(idx[i] < ds->count);
    memcpy(out + i * k, ds->labels + idx[i] * k, k * sizeof *out);
  }
}

void rt_batch_label_values(const RtDataset *ds, const size_t *idx, size_t n,
                           float *out) {
  size_t k = rt_label_numel(ds);
  assert(k > 0);
  for (size_t i = 0; i < n; i++) {
    assert(idx[i] < ds->count);
    for (size_t j = 0; j < k; j++)
      out[i * k + j] = (float)ds->labels[idx[i] * k + j];
  }
}

void rt_batch_label_values_f64(const RtDataset *ds, const size_t *idx,
                               size_t n, double *out) {
  size_t k = rt_label_numel(ds);
  assert(k > 0);
  for (size_t i = 0; i < n; i++) {
    assert(idx[i] < ds->count);
    for (size_t j = 0; j < k; j++)
      out[i * k + j] = ds->labels[idx[i] * k + j];
  }
}

/* One-hot rows of the classes of steps (or of the one label when steps
 * is 1), rows of zeros from `used` on. */
static void onehot_labels(const int32_t *labels, size_t steps, size_t used,
                          size_t k, float *out) {
  memset(out, 0, steps * k * sizeof *out);
  for (size_t t = 0; t < used; t++)
    out[t * k + (size_t)labels[t]] = 1.0f;
}

static void onehot_labels_f64(const int32_t *labels, size_t steps,
                              size_t used, size_t k, double *out) {
  for (size_t j = 0; j < steps * k; j++)
    out[j] = 0.0;
  for (size_t t = 0; t < used; t++)
    out[t * k + (size_t)labels[t]] = 1.0;
}

void rt_batch_targets(const RtDataset *ds, const size_t *idx, size_t n,
                      float *out) {
  for (size_t i = 0; i < n; i++) {
    assert(idx[i] < ds->count);
    if (ds->target_kind == RT_TARGET_FLOAT && ds->targets_f64) {
      size_t k = ds->target_numel;
      for (size_t j = 0; j < k; j++)
        out[i * k + j] = (float)ds->targets_f64[idx[i] * k + j];
    } else if (ds->target_kind == RT_TARGET_FLOAT) {
      size_t k = ds->target_numel;
      memcpy(out + i * k, ds->targets + idx[i] * k, k * sizeof *out);
    } else {
      size_t k = (size_t)ds->classes, steps = rt_label_numel(ds);
      size_t used = steps == 1 ? 1 : rt_example_steps(ds, idx[i]);
      onehot_labels(ds->labels + idx[i] * steps, steps, used, k,
                    out + i * steps * k);
    }
  }
}

void rt_batch_targets_f64(const RtDataset *ds, const size_t *idx, size_t n,
                          double *out) {
  for (size_t i = 0; i < n; i++) {
    assert(idx[i] < ds->count);
    if (ds->target_kind == RT_TARGET_FLOAT && ds->targets_f64) {
      size_t k = ds->target_numel;
      memcpy(out + i * k, ds->targets_f64 + idx[i] * k, k * sizeof *out);
    } else if (ds->target_kind == RT_TARGET_FLOAT) {
      size_t k = ds->target_numel;
      for (size_t j = 0; j < k; j++)
        out[i * k + j] = ds->targets[idx[i] * k + j];
    } else {
      size_t k = (size_t)ds->classes, steps = rt_label_numel(ds);
      size_t used = steps == 1 ? 1 : rt_example_steps(ds, idx[i]);
      onehot_labels_f64(ds->labels + idx[i] * steps, steps, used, k,
                        out + i * steps * k);
    }
  }
}
