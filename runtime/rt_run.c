/* runtime/rt_run.c — a model's buffers, checkpoints and data source.
 *
 * A checkpoint holds each parameter under its name with its declared
 * shape, "optimizer_state" (flat), "step" (an I64 scalar) and "rng" (the
 * shuffling stream's four words as I64 bit patterns); its metadata holds
 * the model's name and signature, the epochs completed, the seed and the
 * real type ("dtype") and the layout ("format").  Everything --resume
 * needs to continue exactly is there.  Loading checks all of it, and
 * that every real is finite.
 */
#include <config.h>

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_ckpt.h"
#include "rt_driver.h"
#include "rt_init.h"
#include "rt_seq.h"
#include "rt_util.h"

#define RT_RECALL_TEST_COUNT 100   /* index_recall's test sequences */

static int check_tensor(const NetrtModel *m, const NetrtTensor *t,
                        char *err, size_t errsz) {
  int64_t n = 1;
  if (t->ndim < 0 || t->ndim > NETRT_MAX_DIMS)
    return rt_errorf(err, errsz, "parameter '%s': %d dimensions", t->name,
                     t->ndim);
  for (int d = 0; d < t->ndim; d++)
    n *= t->dims[d];
  if (n != t->count || t->offset < 0 || t->offset + n > m->param_count)
    return rt_errorf(err, errsz, "parameter '%s': %" PRId64 " reals at "
                     "%" PRId64 " do not fit its shape or the %" PRId64
                     " of the buffer", t->name, t->count, t->offset,
                     m->param_count);
  return 0;
}

/* Varlen inputs share one lengths buffer: the same maximum length, and
 * the fewest steps (min_steps) no more than it. */
static int check_varlen(const NetrtModel *m, char *err, size_t errsz) {
  int64_t steps = 0;
  for (int i = 0; i < m->ninputs; i++) {
    const NetrtTensor *t = &m->inputs[i];
    if (!t->varlen)
      continue;
    if (t->ndim < 1 || t->dims[0] < 1 || t->dims[0] > INT32_MAX ||
        t->count % t->dims[0])
      return rt_errorf(err, errsz, "input '%s': a varlen input needs a "
                       "first dimension (its maximum length) that divides "
                       "its %" PRId64 " values", t->name, t->count);
    if (steps && t->dims[0] != steps)
      return rt_errorf(err, errsz, "input '%s': at most %" PRId64 " steps,"
                       " where another varlen input has %" PRId64 "; they "
                       "share one length per example", t->name, t->dims[0],
                       steps);
    steps = t->dims[0];
  }
  if (m->min_steps < 0 || (steps && m->min_steps > steps))
    return rt_errorf(err, errsz, "model '%s': examples of at least %" PRId64
                     " steps, of at most %" PRId64, m->name, m->min_steps,
                     steps);
  return 0;
}

/* The descriptor is generated code's; a wrong one is a netc bug, but a
 * clear message beats a crash. */
static int check_descriptor(const NetrtModel *m, char *err, size_t errsz) {
  if (m->abi_version != NETRT_ABI_VERSION)
    return rt_errorf(err, errsz, "model '%s' was compiled for runtime ABI "
                     "%d; this runtime has ABI %d", m->name,
                     m->abi_version, NETRT_ABI_VERSION);
  if (m->dtype_bytes != 4 && m->dtype_bytes != 8)
    return rt_errorf(err, errsz, "model '%s': reals of %d bytes", m->name,
                     m->dtype_bytes);
  if (m->max_batch < 1 || m->param_count < 0 || m->state_count < 0 ||
      m->workspace_bytes < 0 || m->ninputs < 1 || m->ntargets < 0)
    return rt_errorf(err, errsz, "model '%s': invalid sizes", m->name);
  if (!m->gradient || !m->train_step || !m->evaluate || !m->predict)
    return rt_errorf(err, errsz, "model '%s': an entry point is missing",
                     m->name);
  for (int i = 0; i < m->nparams; i++)
    if (check_tensor(m, &m->params[i], err, errsz))
      return -1;
  return check_varlen(m, err, errsz);
}

int rt_run_alloc(RtRun *r, const NetrtModel *m, char *err, size_t errsz) {
  memset(r, 0, sizeof *r);
  r->m = m;
  if (check_descriptor(m, err, errsz))
    return -1;
  r->params = rt_alloc_zero(m->param_count * m->dtype_bytes);
  r->state = rt_alloc_zero(m->state_count * m->dtype_bytes);
  r->work = rt_alloc_zero(m->workspace_bytes);
  if (!r->params || !r->state || !r->work) {
    rt_run_free(r);
    return rt_errorf(err, errsz, "out of memory for the model's buffers");
  }
  return 0;
}

void rt_run_free(RtRun *r) {
  rt_shards_stop(r);
  free(r->params);
  free(r->state);
  free(r->work);
  r->params = r->state = r->work = NULL;
}

/* The shuffling stream is independent of the initializers' streams. */
static void seed_shuffle(RtRng *rng, uint64_t seed) {
  rt_rng_seed(rng, seed ^ 0x53485546464c45u);       /* "SHUFFLE" */
}

int rt_run_init(RtRun *r, uint64_t seed, const NetrtHyper *h, char *err,
                size_t errsz) {
  r->step = r->epoch = 0;
  r->seed = seed;
  seed_shuffle(&r->rng, seed);
  if (rt_init_params(r->m, r->params, seed, err, errsz))
    return -1;
  rt_init_state(r->m, r->state, h);
  return 0;
}

/* ---- saving ---- */

static RtDType real_dtype(const NetrtModel *m) {
  return m->dtype_bytes == 8 ? RT_DTYPE_F64 : RT_DTYPE_F32;
}

static void param_tensor(const RtRun *r, const NetrtTensor *t,
                         RtTensor *out) {
  memset(out, 0, sizeof *out);
  out->name = t->name;
  out->dtype = real_dtype(r->m);
  out->ndim = t->ndim;
  for (int d = 0; d < t->ndim; d++)
    out->shape[d] = t->dims[d];
  out->data = (const char *)r->params +
              (size_t)t->offset * (size_t)r->m->dtype_bytes;
}

int rt_run_save(const RtRun *r, const char *path, char *err, size_t errsz) {
  const NetrtModel *m = r->m;
  size_t n = 0;
  int64_t step = r->step, rng[4];
  char epoch[32], seed[32];
  RtTensor *t = calloc((size_t)m->nparams + 3, sizeof *t);
  if (!t)
    return rt_errorf(err, errsz, "%s: out of memory", path);
  for (int i = 0; i < m->nparams; i++)
    param_tensor(r, &m->params[i], &t[n++]);
  if (m->state_count > 0)
    t[n++] = (RtTensor){.name = "optimizer_state", .dtype = real_dtype(m),
                        .ndim = 1, .shape = {m->state_count},
                        .data = r->state};
  t[n++] = (RtTensor){.name = "step", .dtype = RT_DTYPE_I64, .ndim = 0,
                      .data = &step};
  memcpy(rng, r->rng.s, sizeof rng);
  t[n++] = (RtTensor){.name = "rng", .dtype = RT_DTYPE_I64, .ndim = 1,
                      .shape = {4}, .data = rng};
  snprintf(epoch, sizeof epoch, "%" PRId64, r->epoch);
  snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
  RtMeta meta[] = {
    {"model", m->name},
    {"signature", m->signature ? m->signature : ""},
    {"epoch", epoch},
    {"seed", seed},
    {"dtype", m->dtype_bytes == 8 ? "f64" : "f32"},
    {"format", "netrt 1"},
  };
  int rc = rt_ckpt_write(path, t, n, meta, sizeof meta / sizeof meta[0],
                         err, errsz);
  free(t);
  return rc;
}

/* ---- loading ---- */

static void shape_text(char *buf, size_t n, int ndim, const int64_t *dims) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int d = 0; d < ndim && k < n; d++)
    k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, d ? ", " : "",
                          dims[d]);
  if (k < n)
    snprintf(buf + k, n - k, "]");
}

/* Every real loaded must be finite: a NaN or an infinity trains and
 * predicts NaN without a word.  A value that is finite in the file but
 * not in the model's precision (1e300 into f32) is refused too. */
static int check_finite(const RtCkpt *ck, const RtTensor *t, int bytes,
                        int64_t n, char *err, size_t errsz) {
  int src_bytes = t->dtype == RT_DTYPE_F64 ? 8 : 4;
  for (int64_t i = 0; i < n; i++) {
    double v = rt_real_get(t->data, src_bytes, i);
    if (!isfinite(v))
      return rt_errorf(err, errsz, "%s: tensor '%s' holds %s (element %"
                       PRId64 " of %" PRId64 "): a checkpoint's reals must "
                       "be finite", ck->path, t->name, isnan(v) ? "NaN"
                       : v > 0 ? "+inf" : "-inf", i, n);
    if (bytes == 4 && fabs(v) > FLT_MAX)
      return rt_errorf(err, errsz, "%s: tensor '%s' holds %g (element %"
                       PRId64 " of %" PRId64 "), beyond the range of this "
                       "model's f32 reals", ck->path, t->name, v, i, n);
  }
  return 0;
}

/* Copies a checkpoint tensor of reals into dst, when its shape is ndim,
 * dims and its dtype the checkpoint's (F32 or F64: converted to the
 * model's width), and every value is finite. */
static int get_reals(const RtCkpt *ck, RtDType dtype, const char *name,
                     int ndim, const int64_t *dims, void *dst, int bytes,
                     char *err, size_t errsz) {
  const RtTensor *t = rt_ckpt_find(ck, name);
  char want[160], got[160];
  int64_t n = 1;
  if (!t)
    return rt_errorf(err, errsz, "%s: no tensor '%s'", ck->path, name);
  shape_text(want, sizeof want, ndim, dims);
  shape_text(got, sizeof got, t->ndim, t->shape);
  if (strcmp(want, got))
    return rt_errorf(err, errsz, "%s: tensor '%s' has shape %s; expected "
                     "%s", ck->path, name, got, want);
  if (t->dtype != dtype)
    return rt_errorf(err, errsz, "%s: tensor '%s' holds %s reals, but the "
                     "metadata says dtype %s", ck->path, name,
                     rt_dtype_name(t->dtype),
                     dtype == RT_DTYPE_F64 ? "f64" : "f32");
  for (int d = 0; d < ndim; d++)
    n *= dims[d];
  if (check_finite(ck, t, bytes, n, err, errsz))
    return -1;
  int src_bytes = t->dtype == RT_DTYPE_F64 ? 8 : 4;
  for (int64_t i = 0; i < n; i++)
    rt_real_set(dst, bytes, i, rt_real_get(t->data, src_bytes, i));
  return 0;
}

static int get_i64(const RtCkpt *ck, const char *name, int ndim,
                   int64_t len, int64_t *dst, char *err, size_t errsz) {
  const RtTensor *t = rt_ckpt_find(ck, name);
  if (!t)
    return rt_errorf(err, errsz, "%s: no tensor '%s'", ck->path, name);
  if (t->dtype != RT_DTYPE_I64 || t->ndim != ndim ||
      (ndim == 1 && t->shape[0] != len))
    return rt_errorf(err, errsz, "%s: tensor '%s' is not %s", ck->path,
                     name, ndim ? "4 I64 values" : "an I64 scalar");
  memcpy(dst, t->data, (size_t)len * sizeof *dst);
  return 0;
}

static int meta_int(const RtCkpt *ck, const char *key, int64_t *out,
                    char *err, size_t errsz) {
  const char *v = rt_ckpt_meta(ck, key);
  char *end;
  if (!v)
    return rt_errorf(err, errsz, "%s: no '%s' in its metadata", ck->path,
                     key);
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || end == v || *end || x < 0)
    return rt_errorf(err, errsz, "%s: metadata '%s' is '%s', not a count",
                     ck->path, key, v);
  *out = x;
  return 0;
}

#define CKPT_FORMAT "netrt 1"

/* The layout this runtime reads: "format" is CKPT_FORMAT. */
static int check_format(const RtCkpt *ck, char *err, size_t errsz) {
  const char *format = rt_ckpt_meta(ck, "format");
  if (!format)
    return rt_errorf(err, errsz, "%s: not a netrt checkpoint (no 'format' "
                     "in its metadata)", ck->path);
  if (strcmp(format, CKPT_FORMAT))
    return rt_errorf(err, errsz, "%s: format '%.64s': this runtime reads "
                     "checkpoints of format '%s'", ck->path, format,
                     CKPT_FORMAT);
  return 0;
}

/* The reals' type the metadata promises: "f32" or "f64". */
static int ckpt_dtype(const RtCkpt *ck, RtDType *out, char *err,
                      size_t errsz) {
  const char *dtype = rt_ckpt_meta(ck, "dtype");
  if (!dtype)
    return rt_errorf(err, errsz, "%s: no 'dtype' in its metadata (f32 or "
                     "f64)", ck->path);
  if (strcmp(dtype, "f32") && strcmp(dtype, "f64"))
    return rt_errorf(err, errsz, "%s: metadata 'dtype' is '%.64s', not f32 "
                     "or f64", ck->path, dtype);
  *out = dtype[1] == '6' ? RT_DTYPE_F64 : RT_DTYPE_F32;
  return 0;
}

static int check_identity(const RtCkpt *ck, const NetrtModel *m, char *err,
                          size_t errsz) {
  const char *name = rt_ckpt_meta(ck, "model");
  const char *sig = rt_ckpt_meta(ck, "signature");
  const char *msig = m->signature ? m->signature : "";
  if (check_format(ck, err, errsz))
    return -1;
  if (!name)
    return rt_errorf(err, errsz, "%s: not a netrt checkpoint (no model "
                     "name in its metadata)", ck->path);
  if (strcmp(name, m->name))
    return rt_errorf(err, errsz, "%s: a checkpoint of model '%s', not of "
                     "'%s'", ck->path, name, m->name);
  if (!sig || strcmp(sig, msig))
    return rt_errorf(err, errsz, "%s: the checkpoint's shapes differ from "
                     "this model's (recompiled with other sizes?)\n"
                     "  checkpoint: %s\n  model:      %s", ck->path,
                     sig ? sig : "(none)", msig);
  return 0;
}

static int load_state(RtRun *r, const RtCkpt *ck, RtDType dtype, char *err,
                      size_t errsz) {
  const NetrtModel *m = r->m;
  int64_t epoch, seed, rng[4];
  if (m->state_count > 0 &&
      get_reals(ck, dtype, "optimizer_state", 1, &m->state_count, r->state,
                m->dtype_bytes, err, errsz))
    return -1;
  if (get_i64(ck, "step", 0, 1, &r->step, err, errsz) ||
      get_i64(ck, "rng", 1, 4, rng, err, errsz) ||
      meta_int(ck, "epoch", &epoch, err, errsz) ||
      meta_int(ck, "seed", &seed, err, errsz))
    return -1;
  if (r->step < 0)
    return rt_errorf(err, errsz, "%s: step %" PRId64 " is negative",
                     ck->path, r->step);
  memcpy(r->rng.s, rng, sizeof rng);
  if (!(r->rng.s[0] | r->rng.s[1] | r->rng.s[2] | r->rng.s[3]))
    return rt_errorf(err, errsz, "%s: tensor 'rng' is all zeros",
                     ck->path);
  r->epoch = epoch;
  r->seed = (uint64_t)seed;
  return 0;
}

int rt_run_load(RtRun *r, const char *path, int with_state, char *err,
                size_t errsz) {
  RtCkpt ck;
  RtDType dtype = RT_DTYPE_F32;
  const NetrtModel *m = r->m;
  if (rt_ckpt_read(&ck, path, err, errsz))
    return -1;
  int rc = check_identity(&ck, m, err, errsz);
  if (!rc)
    rc = ckpt_dtype(&ck, &dtype, err, errsz);
  for (int i = 0; i < m->nparams && !rc; i++) {
    const NetrtTensor *t = &m->params[i];
    char *dst = (char *)r->params + (size_t)t->offset * m->dtype_bytes;
    rc = get_reals(&ck, dtype, t->name, t->ndim, t->dims, dst,
                   m->dtype_bytes, err, errsz);
  }
  if (!rc && with_state)
    rc = load_state(r, &ck, dtype, err, errsz);
  rt_ckpt_free(&ck);
  return rc;
}

/* ---- the data source ---- */

/* The value of key in "key=value" lines (quotes around it dropped). */
static int data_option(const char *opts, const char *key, char *buf,
                       size_t n) {
  size_t klen = strlen(key);
  for (const char *p = opts; p && *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    while (len && (*p == ' ' || *p == '\t'))
      p++, len--;
    if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
      const char *v = p + klen + 1;
      size_t vlen = len - klen - 1;
      while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\r'))
        vlen--;
      if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
        v++, vlen -= 2;
      size_t o = 0;            /* the compiler writes \n and \\ for those */
      for (size_t i = 0; i < vlen && o + 1 < n; i++) {
        char ch = v[i];
        if (ch == '\\' && i + 1 < vlen) {
          ch = v[++i] == 'n' ? '\n' : v[i];
        }
        buf[o++] = ch;
      }
      if (n)
        buf[o < n ? o : n - 1] = '\0';
      return 1;
    }
    p = eol ? eol + 1 : p + len;
  }
  return 0;
}

static int int_option(const char *opts, const char *key, int64_t dflt,
                      int64_t *out, char *err, size_t errsz) {
  char buf[64], *end;
  *out = dflt;
  if (!data_option(opts, key, buf, sizeof buf))
    return 0;
  if (!strcmp(buf, "true") || !strcmp(buf, "false")) {
    *out = buf[0] == 't';
    return 0;
  }
  errno = 0;
  double x = strtod(buf, &end);
  if (errno || end == buf || *end || x != (double)(int64_t)x)
    return rt_errorf(err, errsz, "data option %s=%s is not a whole number",
                     key, buf);
  *out = (int64_t)x;
  return 0;
}

/* The classes a model's target holds, or 0. */
static int model_classes(const NetrtModel *m) {
  if (m->ntargets < 1)
    return 0;
  const NetrtTensor *t = &m->targets[0];
  if (t->elem == NETRT_CLASS || t->elem == NETRT_ONEHOT)
    return t->ndim > 0 ? (int)t->dims[t->ndim - 1] : 0;
  return (int)t->count;
}

/* mnist(normalize = true): pixels standardized with the training set's
 * mean and standard deviation (0.1307, 0.3081), as torchvision's MNIST
 * examples do. */
static void standardize(RtDataset *ds) {
  ds->u8_mean = 0.1307;
  ds->u8_std = 0.3081;
}

static int open_mnist(RtData *d, const char *path, const char *opts,
                      int want_test, char *err, size_t errsz) {
  int64_t normalize;
  if (int_option(opts, "normalize", 0, &normalize, err, errsz))
    return -1;
  if (rt_load_mnist(&d->main, path, RT_MNIST_TRAIN, err, errsz))
    return -1;
  if (want_test && rt_load_mnist(&d->test, path, RT_MNIST_TEST,
                                 d->test_error, sizeof d->test_error))
    rt_dataset_free(&d->test);
  if (normalize) {
    standardize(&d->main);
    standardize(&d->test);
  }
  return 0;
}

static int open_csv(RtData *d, const NetrtModel *m, const char *opts,
                    const char *path, char *err, size_t errsz) {
  int64_t features, classes, label, header;
  if (int_option(opts, "features", m->inputs[0].count, &features, err,
                 errsz) ||
      int_option(opts, "classes", model_classes(m), &classes, err, errsz) ||
      int_option(opts, "label", -1, &label, err, errsz) ||
      int_option(opts, "header", 0, &header, err, errsz))
    return -1;
  return rt_load_csv(&d->main, path, (int)features, (int)classes,
                     (int)label, (int)header, m->dtype_bytes, err, errsz);
}

static int open_synthetic2d(RtData *d, const char *opts, char *err,
                            size_t errsz) {
  int64_t points, classes, seed;
  if (int_option(opts, "points", 60000, &points, err, errsz) ||
      int_option(opts, "classes", 2, &classes, err, errsz) ||
      int_option(opts, "seed", 1, &seed, err, errsz))
    return -1;
  if (points < 1 || classes < 2 || classes > 1000)
    return rt_errorf(err, errsz, "synthetic2d: points must be positive "
                     "and classes at least 2");
  return rt_synthetic2d(&d->main, (size_t)points, (int)classes,
                        (uint64_t)seed, err, errsz);
}

/* A range option "lo..hi", or one number n for n..n. */
static int range_option(const char *opts, const char *key, int64_t lo,
                        int64_t hi, int64_t *out_lo, int64_t *out_hi,
                        char *err, size_t errsz) {
  char buf[64], *end;
  *out_lo = lo;
  *out_hi = hi;
  if (!data_option(opts, key, buf, sizeof buf))
    return 0;
  errno = 0;
  long long a = strtoll(buf, &end, 10), b = a;
  if (!errno && end != buf && end[0] == '.' && end[1] == '.') {
    const char *p = end + 2;
    b = strtoll(p, &end, 10);
    if (end == p)
      end = (char *)buf;
  }
  if (errno || end == buf || *end)
    return rt_errorf(err, errsz, "data option %s=%s is not a range of "
                     "whole numbers (LO..HI)", key, buf);
  *out_lo = a;
  *out_hi = b;
  return 0;
}

/* The steps the model's first input takes: its first dimension (the
 * maximum length of a varlen one), or 0 when it is not a sequence. */
static int64_t model_steps(const NetrtModel *m) {
  const NetrtTensor *t = &m->inputs[0];
  return t->ndim >= 2 || t->varlen ? t->dims[0] : 0;
}

/* The generated tasks' lengths: positive, in order, and within the
 * steps the model takes. */
static int task_lengths(const NetrtModel *m, const char *what,
                        const char *opts, int64_t lo, int64_t hi,
                        int64_t *min_len, int64_t *max_len, char *err,
                        size_t errsz) {
  int64_t steps = model_steps(m);
  if (range_option(opts, "lengths", lo, hi, min_len, max_len, err, errsz))
    return -1;
  if (*min_len < 1 || *max_len < *min_len || *max_len > RT_SEQ_MAX_STEPS)
    return rt_errorf(err, errsz, "%s: lengths %" PRId64 "..%" PRId64 ": "
                     "need 1 <= LO <= HI <= %d", what, *min_len, *max_len,
                     RT_SEQ_MAX_STEPS);
  if (steps > 0 && *max_len > steps)
    return rt_errorf(err, errsz, "%s: lengths %" PRId64 "..%" PRId64 ": "
                     "input '%s' takes at most %" PRId64 " steps", what,
                     *min_len, *max_len, m->inputs[0].name, steps);
  return 0;
}

static int task_count(const char *what, const char *opts, int64_t dflt,
                      int64_t *count, uint64_t *seed, char *err,
                      size_t errsz) {
  int64_t s;
  if (int_option(opts, "count", dflt, count, err, errsz) ||
      int_option(opts, "seed", 1, &s, err, errsz))
    return -1;
  if (*count < 1 || s < 0)
    return rt_errorf(err, errsz, "%s: count must be positive and seed "
                     "not negative", what);
  *seed = (uint64_t)s;
  return 0;
}

/* Experiment G: count sequences to train on, a test set of 100 from the
 * next seed. */
static int open_index_recall(RtData *d, const NetrtModel *m,
                             const char *opts, int want_test, char *err,
                             size_t errsz) {
  const char *what = "index_recall";
  int64_t k, lo, hi, count;
  uint64_t seed;
  if (int_option(opts, "k", 2, &k, err, errsz) ||
      task_lengths(m, what, opts, 3, 10, &lo, &hi, err, errsz) ||
      task_count(what, opts, 800, &count, &seed, err, errsz))
    return -1;
  if (k < 1 || k > INT32_MAX)
    return rt_errorf(err, errsz, "%s: k = %" PRId64 ": positions count "
                     "from 1", what, k);
  if (rt_index_recall(&d->main, (int)k, (int)lo, (int)hi, (size_t)count,
                      seed, err, errsz))
    return -1;
  if (want_test && rt_index_recall(&d->test, (int)k, (int)lo, (int)hi,
                                   RT_RECALL_TEST_COUNT, seed + 1, err,
                                   errsz)) {
    rt_dataset_free(&d->main);
    return -1;
  }
  return 0;
}

/* Experiment H: count pairs to train on; the test set has 100 pairs of
 * every length 1..20 (or to the longest trained, when longer), cut at
 * the model's maximum. */
static int open_binary_add(RtData *d, const NetrtModel *m, const char *opts,
                           int want_test, char *err, size_t errsz) {
  const char *what = "binary_add";
  int64_t lo, hi, count, steps = model_steps(m);
  uint64_t seed;
  if (task_lengths(m, what, opts, 1, 20, &lo, &hi, err, errsz) ||
      task_count(what, opts, 250, &count, &seed, err, errsz))
    return -1;
  if (rt_binary_add(&d->main, (int)lo, (int)hi, (size_t)count, seed, err,
                    errsz))
    return -1;
  int64_t eval_len = hi > RT_BINARY_EVAL_MAX_LEN ? hi
                                                 : RT_BINARY_EVAL_MAX_LEN;
  if (steps > 0 && eval_len > steps)
    eval_len = steps;
  if (want_test && rt_binary_add_eval(&d->test, (int)eval_len,
                                      RT_BINARY_EVAL_PER_LENGTH, seed + 1,
                                      err, errsz)) {
    rt_dataset_free(&d->main);
    return -1;
  }
  return 0;
}

/* The text the compiled model carries (its shapes depend on it). */
static int open_text(RtData *d, const char *opts, char *err, size_t errsz) {
  size_t cap = RT_TEXT_MAX_BYTES + 1;
  char *text = malloc(cap);
  if (!text)
    return rt_errorf(err, errsz, "text: out of memory");
  int rc = data_option(opts, "text", text, cap)
      ? rt_text(&d->main, text, strlen(text), err, errsz)
      : rt_errorf(err, errsz, "text: the model carries no text");
  free(text);
  return rc;
}

/* --data names a file where the model reads none (no data source, or
 * generated data): a directory of MNIST files or a CSV file. */
static const char *guess_source(const char *path) {
  struct stat st;
  if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return "mnist";
  return "csv";
}

static int open_source(RtData *d, const NetrtModel *m, const RtOpts *o,
                       int want_test, char *err, size_t errsz) {
  const char *opts = m->train.data_options;
  char path[4096] = "";
  if (!d->source && !o->data)
    return rt_errorf(err, errsz, "the model names no data source; give "
                     "one with --data PATH (an MNIST directory or a CSV "
                     "file)");
  if (o->data && (!d->source || !strcmp(d->source, "synthetic2d") ||
                  !strcmp(d->source, "index_recall") ||
                  !strcmp(d->source, "binary_add"))) {
    d->source = guess_source(o->data);
    opts = NULL;                /* the model's options are another's */
  }
  if (o->data)
    snprintf(path, sizeof path, "%s", o->data);
  else
    data_option(opts, "path", path, sizeof path);
  if (!*path && !strcmp(d->source, "mnist"))
    snprintf(path, sizeof path, "data/mnist");
  snprintf(d->origin, sizeof d->origin, "%s", *path ? path : d->source);
  if (!strcmp(d->source, "mnist"))
    return open_mnist(d, path, opts, want_test, err, errsz);
  if (!strcmp(d->source, "csv")) {
    if (!*path)
      return rt_errorf(err, errsz, "csv: no file: give one with --data");
    return open_csv(d, m, opts, path, err, errsz);
  }
  if (!strcmp(d->source, "synthetic2d"))
    return open_synthetic2d(d, opts, err, errsz);
  if (!strcmp(d->source, "text"))
    return open_text(d, opts, err, errsz);
  if (!strcmp(d->source, "index_recall"))
    return open_index_recall(d, m, opts, want_test, err, errsz);
  if (!strcmp(d->source, "binary_add"))
    return open_binary_add(d, m, opts, want_test, err, errsz);
  return rt_errorf(err, errsz, "the data source '%s' is not supported by "
                   "this runtime yet", d->source);
}

int rt_data_open(RtData *d, const NetrtModel *m, const RtOpts *o,
                 int64_t validation, int want_test, char *err,
                 size_t errsz) {
  memset(d, 0, sizeof *d);
  d->source = m->train.data;
  if (open_source(d, m, o, want_test, err, errsz))
    return -1;
  if (validation < 0)
    validation = 0;
  if (rt_split(&d->main, (size_t)validation, &d->split, err, errsz)) {
    rt_data_close(d);
    return -1;
  }
  return 0;
}

void rt_data_close(RtData *d) {
  rt_dataset_free(&d->main);
  rt_dataset_free(&d->test);
}

int rt_data_view(const RtData *d, const char *name, RtView *v, char *err,
                 size_t errsz) {
  *v = (RtView){.ds = &d->main, .name = name};
  if (!strcmp(name, "train")) {
    v->count = d->split.train_count;
  } else if (!strcmp(name, "validation")) {
    v->begin = d->split.val_begin;
    v->count = d->split.val_count;
  } else if (!strcmp(name, "all")) {
    v->count = d->main.count;
  } else if (!strcmp(name, "test")) {
    if (!d->test.count)
      return rt_errorf(err, errsz, "no test set%s%s",
                       *d->test_error ? ": " : " (MNIST and the "
                       "generated sequence tasks have one)",
                       d->test_error);
    v->ds = &d->test;
    v->count = d->test.count;
  } else {
    return rt_errorf(err, errsz, "unknown split '%s' (train, validation, "
                     "test or all)", name);
  }
  return 0;
}

const char *rt_data_default_split(const RtData *d) {
  if (d->test.count)
    return "test";
  return d->split.val_count ? "validation" : "all";
}
