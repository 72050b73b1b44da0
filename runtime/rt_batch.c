/* runtime/rt_batch.c — a batch's buffers in the model's real type, filled
 * from a dataset (rt_data) or at random (gradcheck, bench).
 *
 * The data sources give one input and at most one target per example; a
 * model's target takes them as class labels (stored as reals, one per
 * example), one-hot rows, 0/1 reals, or float targets.
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
  return calloc(n > 0 ? (size_t)n : 1, (size_t)bytes);
}

int rt_batch_alloc(RtBatch *b, const NetrtModel *m, char *err,
                   size_t errsz) {
  int cap = m->max_batch, bytes = m->dtype_bytes;
  memset(b, 0, sizeof *b);
  b->m = m;
  b->cap = cap;
  b->idx = calloc((size_t)cap, sizeof *b->idx);
  b->in = calloc((size_t)m->ninputs, sizeof *b->in);
  b->tg = calloc(m->ntargets > 0 ? (size_t)m->ntargets : 1, sizeof *b->tg);
  b->out = alloc_reals(cap * m->output.count, bytes);
  b->labels = calloc((size_t)cap, sizeof *b->labels);
  b->pred = calloc((size_t)cap, sizeof *b->pred);
  int ok = b->idx && b->in && b->tg && b->out && b->labels && b->pred;
  for (int i = 0; ok && i < m->ninputs; i++)
    ok = (b->in[i] = alloc_reals(cap * m->inputs[i].count, bytes)) != NULL;
  for (int i = 0; ok && i < m->ntargets; i++)
    ok = (b->tg[i] = alloc_reals(cap * m->targets[i].count, bytes)) != NULL;
  if (!ok) {
    rt_batch_free(b);
    return rt_errorf(err, errsz, "out of memory for a batch of %d", cap);
  }
  return 0;
}

void rt_batch_free(RtBatch *b) {
  for (int i = 0; b->in && i < b->m->ninputs; i++)
    free(b->in[i]);
  for (int i = 0; b->tg && i < b->m->ntargets; i++)
    free(b->tg[i]);
  free(b->in);
  free(b->tg);
  free(b->idx);
  free(b->out);
  free(b->labels);
  free(b->pred);
  memset(b, 0, sizeof *b);
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

int rt_batch_check(RtBatch *b, const RtDataset *ds, char *err,
                   size_t errsz) {
  const NetrtModel *m = b->m;
  b->target_mode = TG_NONE;
  b->classes = 0;
  if (m->ninputs != 1)
    return rt_errorf(err, errsz, "the model has %d inputs; the data gives "
                     "one per example", m->ninputs);
  if ((size_t)m->inputs[0].count != ds->input_numel)
    return rt_errorf(err, errsz, "input '%s' takes %" PRId64 " values per "
                     "example; the data gives %zu", m->inputs[0].name,
                     m->inputs[0].count, ds->input_numel);
  if (m->ntargets > 1)
    return rt_errorf(err, errsz, "the model has %d targets; the data "
                     "gives one per example", m->ntargets);
  if (m->ntargets == 0)
    return 0;
  const NetrtTensor *t = &m->targets[0];
  if (ds->target_kind == RT_TARGET_CLASS)
    return check_class_target(b, t, ds, err, errsz);
  if (ds->target_kind == RT_TARGET_STEP_CLASS) {
    if (t->elem != NETRT_CLASS || (size_t)t->count != rt_label_numel(ds))
      return rt_errorf(err, errsz, "target '%s' takes %" PRId64 " values "
                       "per example; the data gives %zu class labels",
                       t->name, t->count, rt_label_numel(ds));
    b->target_mode = TG_STEP_LABELS;
    return 0;
  }
  if ((size_t)t->count != ds->target_numel || t->elem == NETRT_CLASS)
    return rt_errorf(err, errsz, "target '%s' takes %" PRId64 " values "
                     "per example; the data gives %zu float%s", t->name,
                     t->count, ds->target_numel,
                     ds->target_numel == 1 ? "" : "s");
  b->target_mode = TG_FLOAT;
  return 0;
}

static void fill_target(RtBatch *b, const RtDataset *ds, const size_t *idx,
                        int n) {
  int bytes = b->m->dtype_bytes;
  void *tg = b->tg[0];
  switch (b->target_mode) {
  case TG_LABELS:
    for (int i = 0; i < n; i++)
      rt_real_set(tg, bytes, i, b->labels[i]);
    break;
  case TG_STEP_LABELS:
    if (bytes == 8)
      rt_batch_label_values_f64(ds, idx, (size_t)n, tg);
    else
      rt_batch_label_values(ds, idx, (size_t)n, tg);
    break;
  case TG_ONEHOT:
  case TG_FLOAT:
    if (bytes == 8)
      rt_batch_targets_f64(ds, idx, (size_t)n, tg);
    else
      rt_batch_targets(ds, idx, (size_t)n, tg);
    break;
  }
}

void rt_batch_fill(RtBatch *b, const RtDataset *ds, const size_t *idx,
                   int n) {
  if (b->idx != idx)
    memcpy(b->idx, idx, (size_t)n * sizeof *idx);
  if (b->m->dtype_bytes == 8)
    rt_batch_inputs_f64(ds, idx, (size_t)n, b->in[0]);
  else
    rt_batch_inputs(ds, idx, (size_t)n, b->in[0]);
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

void rt_batch_random(RtBatch *b, RtRng *r, int n) {
  const NetrtModel *m = b->m;
  for (int i = 0; i < m->ninputs; i++)
    random_tensor(&m->inputs[i], b->in[i], m->dtype_bytes, r, n);
  for (int i = 0; i < m->ntargets; i++)
    random_tensor(&m->targets[i], b->tg[i], m->dtype_bytes, r, n);
  b->has_labels = 0;
}

void rt_batch_argmax(RtBatch *b, int n) {
  if (b->classes <= 0)
    return;
  if (b->m->dtype_bytes == 8)
    rt_argmax_f64(b->out, (size_t)n, (size_t)b->classes, b->pred);
  else
    rt_argmax(b->out, (size_t)n, (size_t)b->classes, b->pred);
}
