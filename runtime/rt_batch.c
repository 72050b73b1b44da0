/* runtime/rt_batch.c — a batch's buffers in the model's real type, filled
 * from a dataset (rt_data) or at random (gradcheck, bench).
 *
 * The data sources give one input and at most one target per example; a
 * model's target takes them as class labels (stored as reals, one per
 * example), one-hot rows, 0/1 reals, or float targets.
 *
 * Sequences: a model with a varlen input gets one more input buffer, the
 * examples' lengths as reals (netrt.h); a dataset's examples, padded to
 * its own max_steps, are padded again to the model's when it has fewer.
 * No example may be shorter than the model's min_steps: it lacks a step
 * the model reads.
 */
#include <config.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rt_driver.h"
#include "rt_util.h"

enum {
  TG_NONE,             /* the model has no target */
  TG_LABELS,           /* class labels as reals, one per example */
  TG_ONEHOT,           /* one-hot rows of the dataset's classes */
  TG_FLOAT,            /* the dataset's float targets */
  TG_STEP_LABELS,      /* a class label per step, as reals */
};

static void *alloc_reals(int64_t n, int bytes) {
  return rt_alloc_zero((n > 0 ? n : 1) * bytes);
}

/* The fewest steps of an example of the model's varlen inputs. */
static int64_t min_steps(const NetrtModel *m) {
  return m->min_steps > 1 ? m->min_steps : 1;
}

/* The steps of the model's varlen inputs (rt_run.c checks that they
 * agree), or 0. */
static int64_t varlen_steps(const NetrtModel *m) {
  for (int i = 0; i < m->ninputs; i++)
    if (m->inputs[i].varlen && m->inputs[i].ndim > 0)
      return m->inputs[i].dims[0];
  return 0;
}

int rt_batch_alloc(RtBatch *b, const NetrtModel *m, char *err,
                   size_t errsz) {
  int cap = m->max_batch, bytes = m->dtype_bytes;
  memset(b, 0, sizeof *b);
  b->m = m;
  b->cap = cap;
  b->max_steps = varlen_steps(m);
  b->idx = calloc((size_t)cap, sizeof *b->idx);
  b->in = calloc((size_t)m->ninputs + 1, sizeof *b->in);
  b->tg = calloc(m->ntargets > 0 ? (size_t)m->ntargets : 1, sizeof *b->tg);
  b->out = alloc_reals(cap * m->output.count, bytes);
  b->labels = calloc((size_t)cap, sizeof *b->labels);
  b->pred = calloc((size_t)cap, sizeof *b->pred);
  b->steps = calloc((size_t)cap, sizeof *b->steps);
  int ok = b->idx && b->in && b->tg && b->out && b->labels && b->pred &&
           b->steps;
  for (int i = 0; ok && i < m->ninputs; i++)
    ok = (b->in[i] = alloc_reals(cap * m->inputs[i].count, bytes)) != NULL;
  if (ok && b->max_steps > 0)
    ok = (b->in[m->ninputs] = alloc_reals(cap, bytes)) != NULL;
  for (int i = 0; ok && i < m->ntargets; i++)
    ok = (b->tg[i] = alloc_reals(cap * m->targets[i].count, bytes)) != NULL;
  if (!ok) {
    rt_batch_free(b);
    return rt_errorf(err, errsz, "out of memory for a batch of %d", cap);
  }
  return 0;
}

void rt_batch_free(RtBatch *b) {
  for (int i = 0; b->in && i <= b->m->ninputs; i++)
    free(b->in[i]);
  for (int i = 0; b->tg && i < b->m->ntargets; i++)
    free(b->tg[i]);
  free(b->in);
  free(b->tg);
  free(b->idx);
  free(b->out);
  free(b->labels);
  free(b->pred);
  free(b->steps);
  memset(b, 0, sizeof *b);
}

void rt_batch_set_length(RtBatch *b, int i, int32_t steps) {
  if (b->max_steps <= 0)
    return;
  b->steps[i] = steps;
  rt_real_set(b->in[b->m->ninputs], b->m->dtype_bytes, i, steps);
}

/* The classes of a class or one-hot tensor: its last dimension. */
static int64_t last_dim(const NetrtTensor *t) {
  return t->ndim > 0 ? t->dims[t->ndim - 1] : 1;
}

static int check_class_target(RtBatch *b, const NetrtTensor *t,
                              const RtDataset *ds, char *err,
                              size_t errsz) {
  int64_t k = ds->classes;
  if (t->elem == NETRT_CLASS && t->count == 1 && last_dim(t) >= k) {
    b->target_mode = TG_LABELS;
    b->classes = (int)last_dim(t);
  } else if (t->elem == NETRT_BINARY && t->count == 1 && k == 2) {
    b->target_mode = TG_LABELS;
  } else if (t->elem != NETRT_CLASS && t->count == k) {
    b->target_mode = TG_ONEHOT;
    b->classes = (int)k;
  } else {
    return rt_errorf(err, errsz, "the data gives one label of %d classes "
                     "per example, which target '%s' (%" PRId64 " value%s) "
                     "cannot take", ds->classes, t->name, t->count,
                     t->count == 1 ? "" : "s");
  }
  if (b->m->output.count != b->classes)
    b->classes = 0;           /* the output is not one score per class */
  return 0;
}

/* The steps of the dataset's examples: its padded length for sequences,
 * the first dimension of a 2-D or larger input (MNIST's rows), else 0
 * (the examples are not sequences). */
static size_t data_steps(const RtDataset *ds) {
  if (ds->lengths)
    return ds->max_steps;
  return ds->input_ndim >= 2 ? ds->input_shape[0] : 0;
}

/* Whether rows of `have` values, `steps` steps of the same size, fit
 * tensor t: a varlen tensor takes steps of its own step's size, up to
 * dims[0] of them (padded); any other takes exactly its count. */
static int rows_fit(const NetrtTensor *t, size_t have, size_t steps) {
  if (!t->varlen || t->ndim < 1 || t->dims[0] < 1)
    return (size_t)t->count == have;
  if (steps == 0 || have % steps)
    return 0;
  return (size_t)t->dims[0] >= steps &&
         t->count / t->dims[0] == (int64_t)(have / steps);
}

/* Whether the lengths of a sequence dataset differ from its max_steps. */
static int lengths_vary(const RtDataset *ds) {
  for (size_t i = 0; ds->lengths && i < ds->count; i++)
    if ((size_t)ds->lengths[i] != ds->max_steps)
      return 1;
  return 0;
}

static int check_input(RtBatch *b, const RtDataset *ds, char *err,
                       size_t errsz) {
  const NetrtTensor *t = &b->m->inputs[0];
  size_t steps = data_steps(ds);
  if (b->max_steps <= 0) {
    if ((size_t)t->count != ds->input_numel)
      return rt_errorf(err, errsz, "input '%s' takes %" PRId64 " values "
                       "per example; the data gives %zu", t->name,
                       t->count, ds->input_numel);
    if (lengths_vary(ds))
      return rt_errorf(err, errsz, "the data's sequences vary in length "
                       "(up to %zu steps); input '%s' takes them only "
                       "when declared with a maximum length, "
                       "[<=%zu, ...]", ds->max_steps, t->name,
                       ds->max_steps);
    return 0;
  }
  if (!steps)
    return rt_errorf(err, errsz, "input '%s' takes sequences of up to %"
                     PRId64 " steps; the data's examples are not "
                     "sequences", t->name, b->max_steps);
  if ((int64_t)steps > t->dims[0])
    return rt_errorf(err, errsz, "the data's sequences have up to %zu "
                     "steps; input '%s' takes at most %" PRId64, steps,
                     t->name, t->dims[0]);
  if (!rows_fit(t, ds->input_numel, steps))
    return rt_errorf(err, errsz, "input '%s' takes %" PRId64 " values "
                     "per step; the data gives %zu", t->name,
                     t->count / t->dims[0],
                     ds->input_numel / steps);
  return 0;
}

/* Per-step 0/1 targets of a sequence dataset are scored as bits when
 * the output has one value per target value. */
static void check_bits(RtBatch *b, const NetrtTensor *t,
                       const RtDataset *ds) {
  if (!ds->lengths || !ds->max_steps || b->m->output.count != t->count)
    return;
  b->bits = 1;
  b->bit_threshold = t->elem == NETRT_BINARY ? 0.0 : 0.5;
  b->bit_step = (int64_t)(ds->target_numel / ds->max_steps);
}

int rt_batch_check(RtBatch *b, const RtDataset *ds, char *err,
                   size_t errsz) {
  const NetrtModel *m = b->m;
  b->target_mode = TG_NONE;
  b->classes = 0;
  b->bits = 0;
  if (m->ninputs != 1)
    return rt_errorf(err, errsz, "the model has %d inputs; the data gives "
                     "one per example", m->ninputs);
  if (check_input(b, ds, err, errsz))
    return -1;
  if (m->ntargets > 1)
    return rt_errorf(err, errsz, "the model has %d targets; the data "
                     "gives one per example", m->ntargets);
  if (m->ntargets == 0)
    return 0;
  const NetrtTensor *t = &m->targets[0];
  if (ds->target_kind == RT_TARGET_CLASS)
    return check_class_target(b, t, ds, err, errsz);
  if (ds->target_kind == RT_TARGET_STEP_CLASS) {
    if (t->elem != NETRT_CLASS ||
        !rows_fit(t, rt_label_numel(ds), ds->max_steps))
      return rt_errorf(err, errsz, "target '%s' takes %" PRId64 " values "
                       "per example; the data gives %zu class labels",
                       t->name, t->count, rt_label_numel(ds));
    b->target_mode = TG_STEP_LABELS;
    return 0;
  }
  if (t->elem == NETRT_CLASS ||
      !rows_fit(t, ds->target_numel, ds->lengths ? ds->max_steps : 0))
    return rt_errorf(err, errsz, "target '%s' takes %" PRId64 " values "
                     "per example; the data gives %zu float%s", t->name,
                     t->count, ds->target_numel,
                     ds->target_numel == 1 ? "" : "s");
  b->target_mode = TG_FLOAT;
  check_bits(b, t, ds);
  return 0;
}

/* The first example of ds shorter than the model's fewest steps, which
 * lacks a fixed step that the model reads (h[3], h[-5]). */
static int check_lengths(const RtBatch *b, const RtDataset *ds, char *err,
                         size_t errsz) {
  int64_t need = min_steps(b->m);
  for (size_t i = 0; b->max_steps > 0 && need > 1 && i < ds->count; i++) {
    size_t steps = rt_example_steps(ds, i);
    if ((int64_t)steps < need)
      return rt_errorf(err, errsz, "example %zu has %zu step%s; the model "
                       "needs sequences of at least %" PRId64 " steps", i,
                       steps, steps == 1 ? "" : "s", need);
  }
  return 0;
}

int rt_batch_check_data(RtBatch *b, RtData *d, char *err, size_t errsz) {
  char why[RT_ERRSZ];
  if (d->test.count && (rt_batch_check(b, &d->test, why, sizeof why) ||
                        check_lengths(b, &d->test, why, sizeof why))) {
    snprintf(d->test_error, sizeof d->test_error, "the test set does not "
             "fit the model: %.960s", why);
    rt_dataset_free(&d->test);
  }
  if (rt_batch_check(b, &d->main, err, errsz))
    return -1;
  if (check_lengths(b, &d->main, why, sizeof why))
    return rt_errorf(err, errsz, "%.400s: %.600s", d->origin, why);
  return 0;
}

typedef void FillFn(const RtDataset *ds, const size_t *idx, size_t n,
                    void *out);

static void inputs_f32(const RtDataset *ds, const size_t *idx, size_t n,
                       void *out) {
  rt_batch_inputs(ds, idx, n, out);
}

static void inputs_f64(const RtDataset *ds, const size_t *idx, size_t n,
                       void *out) {
  rt_batch_inputs_f64(ds, idx, n, out);
}

static void labels_f32(const RtDataset *ds, const size_t *idx, size_t n,
                       void *out) {
  rt_batch_label_values(ds, idx, n, out);
}

static void labels_f64(const RtDataset *ds, const size_t *idx, size_t n,
                       void *out) {
  rt_batch_label_values_f64(ds, idx, n, out);
}

static void targets_f32(const RtDataset *ds, const size_t *idx, size_t n,
                        void *out) {
  rt_batch_targets(ds, idx, n, out);
}

static void targets_f64(const RtDataset *ds, const size_t *idx, size_t n,
                        void *out) {
  rt_batch_targets_f64(ds, idx, n, out);
}

/* fill() writes rows of `have` reals; the batch's rows hold `want`
 * (more when the data's sequences are shorter than the model's): zeros
 * after each row. */
static void fill_rows(const RtDataset *ds, const size_t *idx, int n,
                      FillFn *fill, void *dst, size_t have, int64_t want,
                      int bytes) {
  if ((int64_t)have == want) {
    fill(ds, idx, (size_t)n, dst);
    return;
  }
  size_t row = (size_t)want * (size_t)bytes, used = have * (size_t)bytes;
  for (int i = 0; i < n; i++) {
    char *p = (char *)dst + (size_t)i * row;
    fill(ds, idx + i, 1, p);
    memset(p + used, 0, row - used);
  }
}

static void fill_target(RtBatch *b, const RtDataset *ds, const size_t *idx,
                        int n) {
  int bytes = b->m->dtype_bytes;
  int64_t want = b->m->targets[0].count;
  void *tg = b->tg[0];
  switch (b->target_mode) {
  case TG_LABELS:
    for (int i = 0; i < n; i++)
      rt_real_set(tg, bytes, i, b->labels[i]);
    break;
  case TG_STEP_LABELS:
    fill_rows(ds, idx, n, bytes == 8 ? labels_f64 : labels_f32, tg,
              rt_label_numel(ds), want, bytes);
    break;
  case TG_ONEHOT:
  case TG_FLOAT:
    fill_rows(ds, idx, n, bytes == 8 ? targets_f64 : targets_f32, tg,
              ds->target_kind == RT_TARGET_CLASS ? (size_t)ds->classes
                                                 : ds->target_numel,
              want, bytes);
    break;
  }
}

void rt_batch_fill(RtBatch *b, const RtDataset *ds, const size_t *idx,
                   int n) {
  const NetrtModel *m = b->m;
  int bytes = m->dtype_bytes;
  if (b->idx != idx)
    memcpy(b->idx, idx, (size_t)n * sizeof *idx);
  fill_rows(ds, idx, n, bytes == 8 ? inputs_f64 : inputs_f32, b->in[0],
            ds->input_numel, m->inputs[0].count, bytes);
  if (b->max_steps > 0) {
    rt_batch_lengths(ds, idx, (size_t)n, b->steps);
    for (int i = 0; i < n; i++)
      rt_batch_set_length(b, i, b->steps[i]);
  }
  b->has_labels = ds->target_kind == RT_TARGET_CLASS;
  if (b->has_labels)
    rt_batch_labels(ds, idx, (size_t)n, b->labels);
  if (b->target_mode != TG_NONE)
    fill_target(b, ds, idx, n);
}

/* n examples of tensor t: floats uniform in [0, 1), one-hot rows, 0/1
 * values, class labels (as reals). */
static void random_tensor(const NetrtTensor *t, void *buf, int bytes,
                          RtRng *r, int n) {
  int64_t k = last_dim(t), total = t->count * n;
  if (t->elem == NETRT_CLASS) {
    for (int64_t i = 0; i < total; i++)
      rt_real_set(buf, bytes, i, (double)rt_rng_below(r, (uint64_t)k));
  } else if (t->elem == NETRT_ONEHOT && k > 0) {
    for (int64_t i = 0; i < total; i += k) {
      uint64_t hot = rt_rng_below(r, (uint64_t)k);
      for (int64_t j = 0; j < k && i + j < total; j++)
        rt_real_set(buf, bytes, i + j, (uint64_t)j == hot);
    }
  } else if (t->elem == NETRT_BINARY) {
    for (int64_t i = 0; i < total; i++)
      rt_real_set(buf, bytes, i, (double)rt_rng_below(r, 2));
  } else {
    for (int64_t i = 0; i < total; i++)
      rt_real_set(buf, bytes, i, rt_rng_uniform(r));
  }
}

/* Zeros past each example's length in a varlen tensor's n rows. */
static void zero_padding(const RtBatch *b, const NetrtTensor *t, void *buf,
                         int n) {
  if (!t->varlen || t->ndim < 1 || t->dims[0] < 1)
    return;
  int64_t per = t->count / t->dims[0];
  for (int i = 0; i < n; i++)
    for (int64_t j = b->steps[i] * per; j < t->count; j++)
      rt_real_set(buf, b->m->dtype_bytes, i * t->count + j, 0.0);
}

void rt_batch_random(RtBatch *b, RtRng *r, int n) {
  const NetrtModel *m = b->m;
  for (int i = 0; i < m->ninputs; i++)
    random_tensor(&m->inputs[i], b->in[i], m->dtype_bytes, r, n);
  for (int i = 0; i < m->ntargets; i++)
    random_tensor(&m->targets[i], b->tg[i], m->dtype_bytes, r, n);
  b->has_labels = 0;
  if (b->max_steps <= 0)
    return;
  int64_t fewest = min_steps(m);
  for (int i = 0; i < n; i++)
    rt_batch_set_length(b, i, (int32_t)(fewest + (int64_t)rt_rng_below(r,
                                  (uint64_t)(b->max_steps - fewest + 1))));
  for (int i = 0; i < m->ninputs; i++)
    zero_padding(b, &m->inputs[i], b->in[i], n);
  for (int i = 0; i < m->ntargets; i++)
    zero_padding(b, &m->targets[i], b->tg[i], n);
}

int64_t rt_batch_bit_lengths(const RtBatch *b) {
  if (b->max_steps > 0)
    return b->max_steps;
  return b->bit_step > 0 ? b->m->targets[0].count / b->bit_step : 0;
}

void rt_batch_argmax(RtBatch *b, int n) {
  if (b->classes <= 0)
    return;
  rt_argmax(b->out, b->m->dtype_bytes, (size_t)n, (size_t)b->classes,
            b->pred);
}
