/* runtime/rt_run.c — a model's buffers, checkpoints and data source.
 *
 * A checkpoint holds each parameter under its name with its declared
 * shape, "optimizer_state" (flat), "step" (an I64 scalar) and "rng" (the
 * shuffling stream's four words as I64 bit patterns); its metadata holds
 * the model's name and signature, the epochs completed, the seed and the
 * real type.  Everything --resume needs to continue exactly is there.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_ckpt.h"
#include "rt_driver.h"
#include "rt_init.h"
#include "rt_seq.h"
#include "rt_util.h"

/* ---- buffers ---- */

/* Zeroed memory aligned for vector loads; at least 64 bytes. */
static void *alloc_zero(int64_t bytes) {
  size_t n = ((size_t)bytes + 63) / 64 * 64;
  void *p = aligned_alloc(64, n ? n : 64);
  if (p)
    memset(p, 0, n ? n : 64);
  return p;
}

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

/* The descriptor is generated code's; a wrong one is a netc bug, but a
 * clear message beats a crash. */
static int check_model(const NetrtModel *m, char *err, size_t errsz) {
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
  return 0;
}

int rt_run_alloc(RtRun *r, const NetrtModel *m, char *err, size_t errsz) {
  memset(r, 0, sizeof *r);
  r->m = m;
  if (check_model(m, err, errsz))
    return -1;
  r->params = alloc_zero(m->param_count * m->dtype_bytes);
  r->state = alloc_zero(m->state_count * m->dtype_bytes);
  r->work = alloc_zero(m->workspace_bytes);
  if (!r->params || !r->state || !r->work) {
    rt_run_free(r);
    return rt_errorf(err, errsz, "out of memory for the model's buffers");
  }
  return 0;
}

void rt_run_free(RtRun *r) {
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

/* Copies a checkpoint tensor of reals (F32 or F64, converting) into dst,
 * when its shape is ndim, dims. */
static int get_reals(const RtCkpt *ck, const char *name, int ndim,
                     const int64_t *dims, void *dst, int bytes, char *err,
                     size_t errsz) {
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
  if (t->dtype != RT_DTYPE_F32 && t->dtype != RT_DTYPE_F64)
    return rt_errorf(err, errsz, "%s: tensor '%s' holds %s, not reals",
                     ck->path, name, rt_dtype_name(t->dtype));
  for (int d = 0; d < ndim; d++)
    n *= dims[d];
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

static int check_identity(const RtCkpt *ck, const NetrtModel *m, char *err,
                          size_t errsz) {
  const char *name = rt_ckpt_meta(ck, "model");
  const char *sig = rt_ckpt_meta(ck, "signature");
  const char *msig = m->signature ? m->signature : "";
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

static int load_state(RtRun *r, const RtCkpt *ck, char *err, size_t errsz) {
  const NetrtModel *m = r->m;
  int64_t epoch, seed, rng[4];
  if (m->state_count > 0 &&
      get_reals(ck, "optimizer_state", 1, &m->state_count, r->state,
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
  const NetrtModel *m = r->m;
  if (rt_ckpt_read(&ck, path, err, errsz))
    return -1;
  int rc = check_identity(&ck, m, err, errsz);
  for (int i = 0; i < m->nparams && !rc; i++) {
    const NetrtTensor *t = &m->params[i];
    char *dst = (char *)r->params + (size_t)t->offset * m->dtype_bytes;
    rc = get_reals(&ck, t->name, t->ndim, t->dims, dst, m->dtype_bytes,
                   err, errsz);
  }
  if (!rc && with_state)
    rc = load_state(r, &ck, err, errsz);
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

static int open_mnist(RtData *d, const char *path, int want_test, char *err,
                      size_t errsz) {
  if (rt_load_mnist(&d->main, path, RT_MNIST_TRAIN, err, errsz))
    return -1;
  if (want_test && rt_load_mnist(&d->test, path, RT_MNIST_TEST,
                                 d->test_error, sizeof d->test_error))
    rt_dataset_free(&d->test);
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
                     (int)label, (int)header, err, errsz);
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
  if (o->data && (!d->source || !strcmp(d->source, "synthetic2d"))) {
    d->source = guess_source(o->data);
    opts = NULL;                /* the model's options are another's */
  }
  if (o->data)
    snprintf(path, sizeof path, "%s", o->data);
  else
    data_option(opts, "path", path, sizeof path);
  if (!strcmp(d->source, "mnist"))
    return open_mnist(d, *path ? path : "data/mnist", want_test, err,
                      errsz);
  if (!strcmp(d->source, "csv")) {
    if (!*path)
      return rt_errorf(err, errsz, "csv: no file: give one with --data");
    return open_csv(d, m, opts, path, err, errsz);
  }
  if (!strcmp(d->source, "synthetic2d"))
    return open_synthetic2d(d, opts, err, errsz);
  if (!strcmp(d->source, "text"))
    return open_text(d, opts, err, errsz);
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
                       *d->test_error ? ": " : " (only MNIST has one)",
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
