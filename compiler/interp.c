/* compiler/interp.c — evaluating the tensor IR with plain loops.
 *
 * Nothing here is specialized: shapes are read from the values at every
 * step and indices are computed element by element.  That is the point:
 * it is simple enough to trust, and it is the baseline that generated
 * code is measured against.  Class labels are stored one number per
 * position (a class[T, C] value holds T labels).  A batch with an example
 * shorter than the steps the program reads of its sequences of varying
 * length is refused, as the runtime refuses it, rather than read past
 * its end.
 */
#include <config.h>

#include "interp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct Interp {
  const IrProgram *p;
  int batch;
  double **val;          /* by value id */
  int64_t *t;            /* by loop id: the step being run */
  char error[160];       /* why the last run failed, or "" */
};

/* The reals a value of type t stores: labels drop the class dimension
 * (ir_count). */
static int64_t count(const Type *t) { return ir_count(t); }

/* Reals of one step of v (one example, or the shared value). */
static int64_t per_example(const IrValue *v) { return count(&v->ty); }

/* A loop's body values keep one slot per step. */
static bool in_body(const IrValue *v) {
  return v->loop && v->op != IR_LOOP && v->op != IR_LOOP_OUT;
}

static size_t slot_size(const IrValue *v, int batch) {
  return (size_t)per_example(v) * (v->batched ? (size_t)batch : 1);
}

static void allocate(Interp *in, const IrValue *v) {
  size_t n = slot_size(v, in->batch);
  if (in_body(v))
    n *= (size_t)v->loop->steps;
  in->val[v->id] = calloc(n ? n : 1, sizeof(double));
  if (!in->val[v->id])
    DIE("out of memory");
  if (v->op == IR_LOOP)
    for (int i = 0; i < v->loop->body.n; i++)
      allocate(in, v->loop->body.v[i]);
}

Interp *interp_new(const IrProgram *p, int batch) {
  Interp *in = calloc(1, sizeof *in);
  if (!in)
    DIE("out of memory");
  in->p = p;
  in->batch = batch;
  in->val = calloc((size_t)p->nids + 1, sizeof(double *));
  in->t = calloc((size_t)p->nloops + 1, sizeof(int64_t));
  if (!in->val || !in->t)
    DIE("out of memory");
  for (int i = 0; i < p->n; i++)
    allocate(in, p->v[i]);
  return in;
}

void interp_free(Interp *in) {
  if (!in)
    return;
  for (int i = 0; i < in->p->nids; i++)
    free(in->val[i]);
  free(in->val);
  free(in->t);
  free(in);
}

/* Where v is now: a body value at its loop's current step. */
static double *ptr(const Interp *in, const IrValue *v) {
  double *base = in->val[v->id];
  if (in_body(v))
    base += (size_t)in->t[v->loop->id] * slot_size(v, in->batch);
  return base;
}

const double *interp_value(const Interp *in, const IrValue *v) {
  return ptr(in, v);
}

double interp_loss(const Interp *in) {
  return ptr(in, in->p->loss)[0];
}

/* ---- index arithmetic ------------------------------------------------- */

static void coords(const Type *t, int64_t i, int64_t *c) {
  for (int d = t->ndim - 1; d >= 0; d--) {
    c[d] = i % t->dims[d];
    i /= t->dims[d];
  }
}

static int64_t flat(const Type *t, const int64_t *c) {
  int64_t i = 0;
  for (int d = 0; d < t->ndim; d++)
    i = i * t->dims[d] + c[d];
  return i;
}

/* Index into a, broadcast against r (dims aligned on the right). */
static int64_t broadcast_index(const Type *r, const Type *a, int64_t i) {
  int64_t c[MAX_DIMS], ac[MAX_DIMS];
  coords(r, i, c);
  int off = r->ndim - a->ndim;
  for (int d = 0; d < a->ndim; d++)
    ac[d] = a->dims[d] == 1 ? 0 : c[off + d];
  return flat(a, ac);
}

/* The element of SLICE's argument that result element i comes from. */
static int64_t slice_source(const IrValue *v, const Type *src, int64_t i) {
  Type r = ir_storage(v->op == IR_SLICE ? v->ty : v->args[0]->ty);
  int64_t rc[MAX_DIMS], sc[MAX_DIMS];
  coords(&r, i, rc);
  int k = 0;
  for (int d = 0; d < src->ndim; d++) {
    if (d < v->nslice && v->drop[d])
      sc[d] = v->lo[d];
    else
      sc[d] = (d < v->nslice ? v->lo[d] : 0) + rc[k++];
  }
  return flat(src, sc);
}

/* ---- operations, one example (or the shared value) at a time ---------- */

typedef struct Args {
  const double *a[4];
  double *out;
  int batch;
} Args;

static double unary_fn(IrOp op, double x) {
  switch (op) {
  case IR_NEG: return -x;
  case IR_EXP: return exp(x);
  case IR_LOG: return log(x);
  case IR_SQRT: return sqrt(x);
  case IR_ABS: return fabs(x);
  case IR_TANH: return tanh(x);
  case IR_SIGMOID: return 1 / (1 + exp(-x));
  case IR_RELU: return x > 0 ? x : 0;
  default: UNREACHABLE();
  }
}

static double binary_fn(IrOp op, double x, double y) {
  switch (op) {
  case IR_ADD: return x + y;
  case IR_SUB: return x - y;
  case IR_MUL: return x * y;
  case IR_DIV: return x / y;
  case IR_TANH_GRAD: return x * (1 - y * y);
  case IR_SIGMOID_GRAD: return x * y * (1 - y);
  case IR_RELU_GRAD: return y > 0 ? x : 0;
  case IR_ABS_GRAD: return y > 0 ? x : y < 0 ? -x : 0;
  default: UNREACHABLE();
  }
}

static void eval_binary(const IrValue *v, Args *g) {
  const Type *r = &v->ty, *ta = &v->args[0]->ty, *tb = &v->args[1]->ty;
  int64_t n = type_numel(r);
  for (int64_t i = 0; i < n; i++)
    g->out[i] = binary_fn(v->op, g->a[0][broadcast_index(r, ta, i)],
                          g->a[1][broadcast_index(r, tb, i)]);
}

static void eval_matmul(const IrValue *v, Args *g) {
  const Type *a = &v->args[0]->ty, *b = &v->args[1]->ty;
  if (a->ndim == 2 && b->ndim == 1) {
    for (int64_t m = 0; m < a->dims[0]; m++) {
      double s = 0;
      for (int64_t k = 0; k < a->dims[1]; k++)
        s += g->a[0][m * a->dims[1] + k] * g->a[1][k];
      g->out[m] = s;
    }
  } else if (a->ndim == 2) {
    int64_t M = a->dims[0], K = a->dims[1], N = b->dims[1];
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) {
        double s = 0;
        for (int64_t k = 0; k < K; k++)
          s += g->a[0][m * K + k] * g->a[1][k * N + n];
        g->out[m * N + n] = s;
      }
  } else {
    int64_t K = b->dims[0], N = b->dims[1];
    for (int64_t n = 0; n < N; n++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++)
        s += g->a[0][k] * g->a[1][k * N + n];
      g->out[n] = s;
    }
  }
}

static void eval_shape_op(const IrValue *v, Args *g) {
  const Type *a = &v->args[0]->ty;
  int64_t n = count(&v->ty);
  switch (v->op) {
  case IR_OUTER: {
    int64_t M = v->ty.dims[0], K = v->ty.dims[1];
    for (int64_t m = 0; m < M; m++)
      for (int64_t k = 0; k < K; k++)
        g->out[m * K + k] = g->a[0][m] * g->a[1][k];
    return;
  }
  case IR_TRANSPOSE:
    for (int64_t i = 0; i < a->dims[0]; i++)
      for (int64_t j = 0; j < a->dims[1]; j++)
        g->out[j * a->dims[0] + i] = g->a[0][i * a->dims[1] + j];
    return;
  case IR_RESHAPE:
    memcpy(g->out, g->a[0], sizeof(double) * (size_t)n);
    return;
  case IR_SLICE: {
    Type src = ir_storage(*a);
    for (int64_t i = 0; i < n; i++)
      g->out[i] = g->a[0][slice_source(v, &src, i)];
    return;
  }
  case IR_UNSLICE: {
    Type dst = ir_storage(v->ty);
    memset(g->out, 0, sizeof(double) * (size_t)n);
    int64_t m = count(a);
    for (int64_t i = 0; i < m; i++)
      g->out[slice_source(v, &dst, i)] += g->a[0][i];
    return;
  }
  case IR_REVERSE: {    /* masked: each example's first `length` steps */
    int64_t rows = a->dims[0], row = n / rows;
    int64_t len = v->masked ? (int64_t)g->a[1][0] : rows;
    memset(g->out, 0, sizeof(double) * (size_t)n);
    for (int64_t t = 0; t < len && t < rows; t++)
      memcpy(g->out + t * row, g->a[0] + (len - 1 - t) * row,
             sizeof(double) * (size_t)row);
    return;
  }
  case IR_PICK:
  case IR_UNPICK: {     /* step lo from the end of each example's steps */
    const Type *seq = v->op == IR_PICK ? a : &v->ty;
    int64_t row = count(seq) / seq->dims[0];
    int64_t t = (int64_t)g->a[1][0] + v->lo[0];
    if (t < 0)      /* interp_run checked the lengths: steps.c missed it */
      DIE("step %lld from the end of an example of %g steps",
          (long long)v->lo[0], g->a[1][0]);
    if (v->op == IR_PICK) {
      memcpy(g->out, g->a[0] + t * row, sizeof(double) * (size_t)row);
    } else {
      memset(g->out, 0, sizeof(double) * (size_t)n);
      memcpy(g->out + t * row, g->a[0], sizeof(double) * (size_t)row);
    }
    return;
  }
  case IR_SUM_TO:
    memset(g->out, 0, sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < type_numel(a); i++)
      g->out[broadcast_index(a, &v->ty, i)] += g->a[0][i];
    return;
  case IR_BROADCAST:
    for (int64_t i = 0; i < n; i++)
      g->out[i] = g->a[0][broadcast_index(&v->ty, a, i)];
    return;
  default:
    UNREACHABLE();
  }
}

static void eval_concat(const IrValue *v, const double *const *a,
                        double *out) {
  int64_t n = type_numel(&v->ty), c[MAX_DIMS];
  for (int64_t i = 0; i < n; i++) {
    coords(&v->ty, i, c);
    int k = 0;
    while (c[v->axis] >= v->args[k]->ty.dims[v->axis]) {
      c[v->axis] -= v->args[k]->ty.dims[v->axis];
      k++;
    }
    out[i] = a[k][flat(&v->args[k]->ty, c)];
  }
}

static void eval_reduce(const IrValue *v, Args *g) {
  int64_t n = type_numel(&v->args[0]->ty);
  double s = 0;
  for (int64_t i = 0; i < n; i++)
    s += v->op == IR_SUMSQ ? g->a[0][i] * g->a[0][i] : g->a[0][i];
  g->out[0] = v->op == IR_MEAN ? s / (double)n : s;
}

static void eval_softmax(const IrValue *v, Args *g) {
  int64_t C = v->ty.dims[v->ty.ndim - 1], rows = type_numel(&v->ty) / C;
  for (int64_t r = 0; r < rows; r++) {
    const double *x = g->a[0] + r * C, *y = g->a[1] ? g->a[1] + r * C : NULL;
    double *o = g->out + r * C;
    if (v->op == IR_SOFTMAX_GRAD || v->op == IR_LOG_SOFTMAX_GRAD) {
      double s = 0;
      for (int64_t c = 0; c < C; c++)
        s += v->op == IR_SOFTMAX_GRAD ? x[c] * y[c] : x[c];
      for (int64_t c = 0; c < C; c++)
        o[c] = v->op == IR_SOFTMAX_GRAD ? y[c] * (x[c] - s)
                                        : x[c] - exp(y[c]) * s;
      continue;
    }
    double mx = x[0], s = 0;
    for (int64_t c = 1; c < C; c++)
      mx = x[c] > mx ? x[c] : mx;
    for (int64_t c = 0; c < C; c++)
      s += exp(x[c] - mx);
    for (int64_t c = 0; c < C; c++)
      o[c] = v->op == IR_SOFTMAX ? exp(x[c] - mx) / s
                                 : x[c] - mx - log(s);
  }
}

/* log(sum(exp(z))) of one row, and softmax into p when p is not NULL. */
static double log_sum_exp(const double *z, int64_t C, double *p) {
  double mx = z[0], s = 0;
  for (int64_t c = 1; c < C; c++)
    mx = z[c] > mx ? z[c] : mx;
  for (int64_t c = 0; c < C; c++)
    s += exp(z[c] - mx);
  for (int64_t c = 0; p && c < C; c++)
    p[c] = exp(z[c] - mx) / s;
  return mx + log(s);
}

static double label_at(const double *t, int64_t r, int64_t C) {
  double l = t[r];
  return l >= 0 && l < (double)C ? l : NAN;
}

static double loss_row(IrOp op, const double *z, const double *t,
                       int64_t r, int64_t C) {
  switch (op) {
  case IR_XENT: {
    double l = label_at(t, r, C);
    return isnan(l) ? NAN : log_sum_exp(z, C, NULL) - z[(int64_t)l];
  }
  case IR_NLL: {
    double l = label_at(t, r, C);
    return isnan(l) ? NAN : -z[(int64_t)l];
  }
  case IR_XENT_SOFT: {
    double lse = log_sum_exp(z, C, NULL), s = 0;
    for (int64_t c = 0; c < C; c++)
      s -= t[r * C + c] * (z[c] - lse);
    return s;
  }
  default: UNREACHABLE();
  }
}

static double loss_elem(IrOp op, double p, double t) {
  switch (op) {
  case IR_SSE: case IR_MSE: return (p - t) * (p - t);
  case IR_BCE: return -(t * log(p) + (1 - t) * log(1 - p));
  case IR_BCE_LOGITS:
    return (p > 0 ? p : 0) - p * t + log1p(exp(-fabs(p)));
  default: UNREACHABLE();
  }
}

/* Positions of an example that count: all, or those of its steps. */
static int64_t live_positions(const IrValue *v, const Type *pred, int64_t P,
                              const double *length) {
  if (!v->masked)
    return P;
  int64_t per_step = P / pred->dims[0], len = (int64_t)length[0];
  return (len < pred->dims[0] ? len : pred->dims[0]) * per_step;
}

static void eval_loss(const IrValue *v, Args *g) {
  const Type *pt = &v->args[0]->ty;
  int64_t P = ir_positions(v->op, pt);
  int64_t live = live_positions(v, pt, P, g->a[2]);
  double s = 0;
  if (ir_per_class(v->op)) {
    int64_t C = pt->dims[pt->ndim - 1];
    for (int64_t r = 0; r < live; r++)
      s += loss_row(v->op, g->a[0] + r * C, g->a[1], r, C);
  } else {
    for (int64_t i = 0; i < live; i++)
      s += loss_elem(v->op, g->a[0][i], g->a[1][i]);
  }
  g->out[0] = v->mean ? s / (double)(live ? live : 1) : s;
}

/* d loss / d prediction (index 0) or d loss / d target (index 1). */
static void eval_loss_grad(const IrValue *v, Args *g) {
  IrOp op = v->of;
  const Type *pt = &v->args[1]->ty;
  int64_t all = ir_positions(op, pt);
  int64_t P = live_positions(v, pt, all, g->a[3]);
  double gs = g->a[0][0] * (v->mean ? 1 / (double)(P ? P : 1) : 1);
  const double *z = g->a[1], *t = g->a[2];
  double *o = g->out;
  memset(o, 0, sizeof(double) * (size_t)count(&v->ty));
  if (ir_per_class(op)) {
    int64_t C = pt->dims[pt->ndim - 1];
    for (int64_t r = 0; r < P; r++) {
      const double *zr = z + r * C;
      double *orow = o + r * C, lse = log_sum_exp(zr, C, orow), mass = 1;
      if (op == IR_XENT_SOFT) {     /* targets need not sum to 1 */
        mass = 0;
        for (int64_t c = 0; c < C; c++)
          mass += t[r * C + c];
      }
      for (int64_t c = 0; c < C; c++) {
        double onehot = op == IR_XENT_SOFT ? t[r * C + c]
                        : label_at(t, r, C) == (double)c;
        if (v->index == 1)
          orow[c] = -gs * (zr[c] - lse);
        else if (op == IR_NLL)
          orow[c] = -gs * onehot;
        else
          orow[c] = gs * (orow[c] * mass - onehot);
      }
    }
    return;
  }
  for (int64_t i = 0; i < P; i++) {
    double p = z[i], y = t[i], d;
    switch (op) {
    case IR_SSE: case IR_MSE: d = 2 * (p - y) * (v->index ? -1 : 1); break;
    case IR_BCE:
      d = v->index ? log(1 - p) - log(p) : (p - y) / (p * (1 - p));
      break;
    default:    /* IR_BCE_LOGITS */
      d = v->index ? -p : 1 / (1 + exp(-p)) - y;
      break;
    }
    o[i] = gs * d;
  }
}

static void eval_example(const IrValue *v, Args *g) {
  switch (v->op) {
  case IR_NEG: case IR_EXP: case IR_LOG: case IR_SQRT: case IR_ABS:
  case IR_TANH: case IR_SIGMOID: case IR_RELU:
    for (int64_t i = 0; i < type_numel(&v->ty); i++)
      g->out[i] = unary_fn(v->op, g->a[0][i]);
    return;
  case IR_ADD: case IR_SUB: case IR_MUL: case IR_DIV: case IR_TANH_GRAD:
  case IR_SIGMOID_GRAD: case IR_RELU_GRAD: case IR_ABS_GRAD:
    eval_binary(v, g);
    return;
  case IR_MATMUL: eval_matmul(v, g); return;
  case IR_SUM: case IR_MEAN: case IR_SUMSQ: eval_reduce(v, g); return;
  case IR_SOFTMAX: case IR_LOG_SOFTMAX: case IR_SOFTMAX_GRAD:
  case IR_LOG_SOFTMAX_GRAD:
    eval_softmax(v, g);
    return;
  case IR_XENT: case IR_XENT_SOFT: case IR_NLL: case IR_SSE: case IR_MSE:
  case IR_BCE: case IR_BCE_LOGITS:
    eval_loss(v, g);
    return;
  case IR_LOSS_GRAD: eval_loss_grad(v, g); return;
  default: eval_shape_op(v, g); return;
  }
}

/* Values that combine the batch: its reductions and their adjoint. */
static void eval_across_batch(Interp *in, const IrValue *v) {
  const IrValue *a = v->args[0];
  int64_t n = count(&v->ty);
  double *out = ptr(in, v);
  const double *x = ptr(in, a);
  int B = in->batch;
  if (v->op == IR_UNBATCH) {
    for (int b = 0; b < B; b++)
      for (int64_t i = 0; i < n; i++)
        out[b * n + i] = v->mean ? x[i] / B : x[i];
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int b = 0; b < B; b++)
      s += a->batched ? x[b * n + i] : x[i];
    out[i] = v->op == IR_BATCH_MEAN ? s / B : s;
  }
}

static void eval_leaf(Interp *in, const IrValue *v, double *const *params,
                      double *const *inputs, double *const *targets) {
  double *out = ptr(in, v);
  int64_t n = count(&v->ty);
  switch (v->op) {
  case IR_CONST: out[0] = v->num; return;
  case IR_ZEROS: memset(out, 0, sizeof(double) * (size_t)n); return;
  case IR_PARAM:
    memcpy(out, params[v->index], sizeof(double) * (size_t)n);
    return;
  case IR_INPUT:
  case IR_TARGET:
    memcpy(out, (v->op == IR_INPUT ? inputs : targets)[v->index],
           sizeof(double) * (size_t)(n * in->batch));
    return;
  case IR_STATE: return;            /* set by its loop */
  case IR_LENGTH:    /* after the inputs (netrt.h) */
    memcpy(out, inputs[in->p->ninputs], sizeof(double) * (size_t)in->batch);
    return;
  default: UNREACHABLE();
  }
}

typedef struct Inputs {
  double *const *params, *const *inputs, *const *targets;
} Inputs;

static void eval_value(Interp *in, const IrValue *v, const Inputs *io);

/* Copies src (one value for all, or one per example, or a scalar) into
 * every example of dst. */
static void broadcast_into(const Interp *in, double *dst, int64_t n,
                           const double *src, const IrValue *from) {
  int64_t m = per_example(from);
  for (int b = 0; b < in->batch; b++)
    for (int64_t i = 0; i < n; i++)
      dst[b * n + i] = src[(from->batched ? b * m : 0) + (m == 1 ? 0 : i)];
}

/* Is step t within example b's length (always, for a fixed length)? */
static bool valid(const Interp *in, const IrLoop *l, int b, int64_t t) {
  return !l->length || (double)t < in->val[l->length->id][b];
}

static void run_states(Interp *in, const IrLoop *l, int64_t s, int64_t t) {
  for (int k = 0; k < l->nstates; k++) {
    const IrValue *st = l->state_in[k];
    int64_t n = per_example(st);
    if (s == 0) {
      broadcast_into(in, ptr(in, st), n, ptr(in, l->state_init[k]),
                     l->state_init[k]);
      continue;
    }
    /* after the step before, or as it was when that step was padding */
    int64_t prev = l->backward ? t + 1 : t - 1;
    in->t[l->id] = prev;
    const double *next = ptr(in, l->state_next[k]);
    const double *kept = ptr(in, st);
    in->t[l->id] = t;
    double *dst = ptr(in, st);
    int64_t m = per_example(l->state_next[k]);
    for (int b = 0; b < in->batch; b++)
      for (int64_t i = 0; i < n; i++)
        dst[b * n + i] = valid(in, l, b, prev)
            ? next[(l->state_next[k]->batched ? b * m : 0) + (m == 1 ? 0 : i)]
            : kept[b * n + i];
  }
}

static void run_outputs(Interp *in, const IrLoop *l, int64_t s, int64_t t) {
  for (int k = 0; k < l->nouts; k++) {
    const IrValue *step = l->out_step[k], *o = l->out[k];
    int64_t n = per_example(step);
    const double *x = ptr(in, step);
    double *dst = in->val[o->id];
    int examples = step->batched ? in->batch : 1;
    for (int b = 0; b < examples; b++)
      for (int64_t i = 0; i < n; i++) {
        bool ok = !step->batched || valid(in, l, b, t);
        double xi = ok ? x[b * n + i] : 0;
        switch (l->out_kind[k]) {
        case OUT_STACK: dst[(b * l->steps + t) * n + i] = xi; break;
        case OUT_SUM: dst[b * n + i] = s ? dst[b * n + i] + xi : xi; break;
        case OUT_LAST:
          if (ok || s == 0)
            dst[b * n + i] = xi;
          break;
        }
      }
  }
}

static void eval_loop(Interp *in, const IrValue *lv, const Inputs *io) {
  const IrLoop *l = lv->loop;
  for (int64_t s = 0; s < l->steps; s++) {
    int64_t t = l->backward ? l->steps - 1 - s : s;
    in->t[l->id] = t;
    if (l->primal)
      in->t[l->primal->id] = t;
    run_states(in, l, s, t);
    for (int i = 0; i < l->body.n; i++)
      eval_value(in, l->body.v[i], io);
    run_outputs(in, l, s, t);
  }
}

/* Step t of an outer sequence, for every example. */
static void eval_step_in(Interp *in, const IrValue *v) {
  const IrValue *seq = v->args[0];
  int64_t n = per_example(v), steps = seq->ty.dims[0];
  int64_t t = in->t[v->loop->id];
  const double *x = ptr(in, seq);
  double *out = ptr(in, v);
  int examples = v->batched ? in->batch : 1;
  for (int b = 0; b < examples; b++)
    memcpy(out + b * n, x + (b * steps + t) * n, sizeof(double) * (size_t)n);
}

static void eval_value(Interp *in, const IrValue *v, const Inputs *io) {
  if (v->op == IR_LOOP) {
    eval_loop(in, v, io);
    return;
  }
  if (v->op == IR_LOOP_OUT)
    return;                      /* written by its loop */
  if (v->op == IR_STEP_IN) {
    eval_step_in(in, v);
    return;
  }
  if (v->op == IR_MASK) {
    int64_t n = per_example(v);
    const double *x = ptr(in, v->args[0]);
    double *out = ptr(in, v);
    for (int b = 0; b < in->batch; b++)
      for (int64_t i = 0; i < n; i++)
        out[b * n + i] = valid(in, v->loop, b, in->t[v->loop->id])
            ? x[(v->args[0]->batched ? b * n : 0) + i] : 0;
    return;
  }
  if (v->nargs == 0) {
    eval_leaf(in, v, io->params, io->inputs, io->targets);
    return;
  }
  if (v->op == IR_BATCH_SUM || v->op == IR_BATCH_MEAN ||
      v->op == IR_UNBATCH) {
    eval_across_batch(in, v);
    return;
  }
  {
    int64_t n = count(&v->ty);
    int examples = v->batched ? in->batch : 1;
    const double **a = malloc(sizeof(double *) * (size_t)v->nargs);
    if (!a)
      DIE("out of memory");
    for (int b = 0; b < examples; b++) {
      for (int k = 0; k < v->nargs; k++) {
        const IrValue *x = v->args[k];
        a[k] = ptr(in, x) + (x->batched ? b * count(&x->ty) : 0);
      }
      double *out = ptr(in, v) + (int64_t)b * n;
      if (v->op == IR_CONCAT) {
        eval_concat(v, a, out);
        continue;
      }
      Args g = {{a[0], v->nargs > 1 ? a[1] : NULL,
                 v->nargs > 2 ? a[2] : NULL, v->nargs > 3 ? a[3] : NULL},
                out, in->batch};
      eval_example(v, &g);
    }
    free(a);
  }
}

/* Whether every example is as long as the fixed steps the program reads
 * of its sequences of varying length need (the lengths after the inputs,
 * netrt.h): a shorter one has no such step. */
static bool long_enough(Interp *in, double *const *inputs) {
  const IrProgram *p = in->p;
  bool varlen = false;
  for (int k = 0; k < p->ninputs; k++)
    varlen |= p->inputs[k].ty.varlen;
  for (int b = 0; varlen && b < in->batch; b++) {
    double len = inputs[p->ninputs][b];
    if (len < (double)p->min_steps) {
      snprintf(in->error, sizeof in->error, "example %d has %g step%s; "
               "the model needs sequences of at least %lld steps", b, len,
               len == 1 ? "" : "s", (long long)p->min_steps);
      return false;
    }
  }
  return true;
}

bool interp_run(Interp *in, double *const *params, double *const *inputs,
                double *const *targets) {
  Inputs io = {params, inputs, targets};
  in->error[0] = '\0';
  if (!long_enough(in, inputs))
    return false;
  for (int i = 0; i < in->p->n; i++)
    eval_value(in, in->p->v[i], &io);
  return true;
}

const char *interp_error(const Interp *in) {
  return in->error;
}
