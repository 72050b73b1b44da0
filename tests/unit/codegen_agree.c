/* tests/unit/codegen_agree.c [--batch N] [--compiled-batch M] FILE... —
 * generated code against the reference interpreter.  Each model is
 * compiled in memory (the JIT) in f32 and in f64; on the same random
 * batch its loss, predictions and parameter gradients must match the
 * interpreter's (relative 1e-5 in f32, 1e-10 in f64, in the 2-norm of
 * each tensor), and so must one optimizer step against the optimizer's
 * formula applied in double precision to the interpreter's gradient. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "arena.h"
#include "codegen.h"
#include "emit.h"
#include "frontend.h"
#include "interp.h"
#include "netrt.h"

/* The examples of each call (--batch N) and the batch the code is
 * compiled for (--compiled-batch M, M >= N; 0: N).  A call smaller than
 * the compiled batch takes the paths chosen at run time, such as dot
 * products where a pack does not pay. */
static int BATCH = 5, COMPILED_BATCH = 0;
/* The CPU the code is generated for (--march CPU; NULL: this machine),
 * and with it the kernels' vectors: 256 bits for haswell, 128 for
 * x86-64.  It must run here. */
static const char *MARCH = NULL;
/* The GEMM register tile (--tile RxV; rows 0: the target's). */
static PlanTile TILE;

static uint64_t rng = 0x243f6a8885a308d3u;

static double uniform(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

typedef struct Case {
  const IrProgram *p;
  const NetrtModel *m;
  double **params, **in, **tg;     /* for the interpreter */
  void *flat, **cin, **ctg;        /* for generated code, its dtype */
} Case;

static double get(const void *buf, int bytes, int64_t i) {
  return bytes == 8 ? ((const double *)buf)[i] : ((const float *)buf)[i];
}

static void put(void *buf, int bytes, int64_t i, double x) {
  if (bytes == 8)
    ((double *)buf)[i] = x;
  else
    ((float *)buf)[i] = (float)x;
}

static double value_of(const NetrtTensor *t) {
  double u = uniform();
  if (t->elem == NETRT_CLASS)
    return floor(u * (double)t->dims[t->ndim - 1]);
  if (t->elem == NETRT_BINARY)
    return u < 0.5;
  return 0.05 + 0.9 * u;
}

/* The same random numbers in both forms; f32 values are rounded first so
 * that both sides start from identical inputs. */
static void fill(Case *c, int bytes) {
  const NetrtModel *m = c->m;
  c->flat = calloc((size_t)m->param_count, (size_t)bytes);
  c->params = calloc((size_t)m->nparams + 1, sizeof(double *));
  for (int k = 0; k < m->nparams; k++) {
    const NetrtTensor *t = &m->params[k];
    c->params[k] = malloc(sizeof(double) * (size_t)t->count);
    for (int64_t i = 0; i < t->count; i++) {
      put(c->flat, bytes, t->offset + i, uniform() - 0.5);
      c->params[k][i] = get(c->flat, bytes, t->offset + i);
    }
  }
  const NetrtTensor *lists[2] = {m->inputs, m->targets};
  int counts[2] = {m->ninputs, m->ntargets};
  double ***dst[2] = {&c->in, &c->tg};
  void ***cdst[2] = {&c->cin, &c->ctg};
  for (int l = 0; l < 2; l++) {
    *dst[l] = calloc((size_t)counts[l] + 2, sizeof(double *));
    *cdst[l] = calloc((size_t)counts[l] + 2, sizeof(void *));
    for (int k = 0; k < counts[l]; k++) {
      const NetrtTensor *t = &lists[l][k];
      int64_t n = t->count * BATCH;
      (*dst[l])[k] = malloc(sizeof(double) * (size_t)n);
      (*cdst[l])[k] = malloc((size_t)(n * bytes));
      for (int64_t i = 0; i < n; i++) {
        put((*cdst[l])[k], bytes, i, value_of(t));
        (*dst[l])[k][i] = get((*cdst[l])[k], bytes, i);
      }
    }
  }
}

/* Sequences of varying length: lengths after the inputs (netrt.h), one
 * full and the others random, from the fewest the model reads, and zeros
 * past them. */
static void pad(Case *c, int bytes) {
  const NetrtModel *m = c->m;
  int64_t steps = 0;
  for (int k = 0; k < m->ninputs; k++)
    if (m->inputs[k].varlen)
      steps = m->inputs[k].dims[0];
  if (!steps)
    return;
  double *len = malloc(sizeof(double) * BATCH);
  void *clen = malloc((size_t)(BATCH * bytes));
  for (int b = 0; b < BATCH; b++) {
    len[b] = b == 0 ? (double)steps
                    : (double)c->p->min_steps +
                      floor(uniform() * (double)(steps - c->p->min_steps + 1));
    put(clen, bytes, b, len[b]);
  }
  c->in[m->ninputs] = len;
  c->cin[m->ninputs] = clen;
  const NetrtTensor *lists[2] = {m->inputs, m->targets};
  int counts[2] = {m->ninputs, m->ntargets};
  double **dst[2] = {c->in, c->tg};
  void **cdst[2] = {c->cin, c->ctg};
  for (int l = 0; l < 2; l++)
    for (int k = 0; k < counts[l]; k++) {
      const NetrtTensor *t = &lists[l][k];
      if (!t->varlen)
        continue;
      int64_t row = t->count / t->dims[0];
      for (int b = 0; b < BATCH; b++)
        for (int64_t i = (int64_t)len[b] * row; i < t->count; i++) {
          dst[l][k][b * t->count + i] = 0;
          put(cdst[l][k], bytes, b * t->count + i, 0);
        }
    }
}

static void release(Case *c) {
  for (int k = 0; k < c->m->nparams; k++)
    free(c->params[k]);
  for (int k = 0; k <= c->m->ninputs; k++) {
    free(c->in[k]);
    free(c->cin[k]);
  }
  for (int k = 0; k < c->m->ntargets; k++) {
    free(c->tg[k]);
    free(c->ctg[k]);
  }
  free(c->params);
  free(c->in);
  free(c->tg);
  free(c->cin);
  free(c->ctg);
  free(c->flat);
}

/* |got - want| / |want| in the 2-norm over n values: rounding in f32
 * sums over hundreds of terms, so single elements may differ more. */
static double worst(const void *got, int bytes, const double *want,
                    int64_t n, double floor_) {
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = get(got, bytes, i) - want[i];
    diff += d * d;
    norm += want[i] * want[i];
  }
  double e = sqrt(diff) / fmax(sqrt(norm), floor_);
  return isnan(e) ? INFINITY : e;
}

/* One step of the model's optimizer in double, PyTorch's formulas, from
 * zero state at step 1. */
static double reference_update(const NetrtModel *m, double p, double g) {
  const NetrtHyper *h = &m->train.hyper;
  if (m->train.optimizer == NETRT_ADAMW)
    p *= 1 - h->lr * h->weight_decay;
  else
    g += h->weight_decay * p;
  switch (m->train.optimizer) {
  case NETRT_SGD: return p - h->lr * g;
  case NETRT_ADAGRAD: {
    double s = h->initial_accumulator_value + g * g;
    return p - h->lr * g / (h->eps_inside_sqrt ? sqrt(s + h->eps)
                                              : sqrt(s) + h->eps);
  }
  case NETRT_RMSPROP: {
    double sq = (1 - h->alpha) * g * g;
    double ga = (1 - h->alpha) * g;
    double avg = sqrt(h->centered ? sq - ga * ga : sq) + h->eps;
    return p - h->lr * g / avg;
  }
  default: {
    double mm = (1 - h->beta1) * g, v = (1 - h->beta2) * g * g;
    double denom = sqrt(v) / sqrt(1 - h->beta2) + h->eps;
    return p - h->lr / (1 - h->beta1) * mm / denom;
  }
  }
}

/* Pointers to example `first` of each input (and length) or target. */
static const void **shard_of(void **from, const NetrtTensor *t, int n,
                             bool lengths, int first, int bytes) {
  const void **to = calloc((size_t)n + 2, sizeof *to);
  for (int k = 0; k < n; k++)
    to[k] = (char *)from[k] + (size_t)first * (size_t)t[k].count *
                              (size_t)bytes;
  if (lengths && from[n])
    to[n] = (char *)from[n] + (size_t)first * (size_t)bytes;
  return to;
}

/* gradient_shard over examples [0, 2) and [2, BATCH), less the empty
 * shard once, gives gradient's loss and gradients (the runtime's
 * threads); update with those gradients moves the parameters as
 * train_step does. */
static void check_shards(const char *path, const char *dt, Case *c,
                         int bytes, double loss, const void *grads) {
  const NetrtModel *m = c->m;
  if (!ok(m->gradient_shard && m->update, "%s %s: the model has "
          "gradient_shard and update", path, dt))
    return;
  size_t gbytes = (size_t)m->param_count * (size_t)bytes + 8;
  void *ws = calloc(1, (size_t)m->workspace_bytes + 64);
  void *part[3] = {calloc(1, gbytes), calloc(1, gbytes), calloc(1, gbytes)};
  int first[3] = {0, 2, 0}, count[3] = {2, BATCH - 2, 0};
  double sum = 0, l = 0;
  for (int s = 0; s < 3; s++) {
    const void **in = shard_of(c->cin, m->inputs, m->ninputs, true,
                               first[s], bytes);
    const void **tg = shard_of(c->ctg, m->targets, m->ntargets, false,
                               first[s], bytes);
    l = m->gradient_shard(c->flat, in, tg, count[s], BATCH, part[s], ws);
    sum += s < 2 ? l : -l;
    free(in);
    free(tg);
  }
  double e = fabs(sum - loss) / fmax(fabs(loss), 1e-30), largest = 0;
  for (int64_t i = 0; i < m->param_count; i++)
    largest = fmax(largest, fabs(get(grads, bytes, i)));
  for (int64_t i = 0; i < m->param_count; i++) {
    double g = get(part[0], bytes, i) + get(part[1], bytes, i) -
               get(part[2], bytes, i);
    e = fmax(e, fabs(g - get(grads, bytes, i)) / fmax(largest, 1e-30));
  }
  ok(e <= (bytes == 8 ? 1e-12 : 1e-5), "%s %s: two shards less an empty "
     "one give the batch's loss and gradients (error %.2e)", path, dt, e);
  /* the threads take the empty shard (l, part[2]) off only when the loss
   * has terms of the parameters alone: else it must be exactly nothing */
  bool empty = l == 0;
  for (int64_t i = 0; i < m->param_count; i++)
    empty &= get(part[2], bytes, i) == 0;
  if (!m->param_terms)
    ok(empty, "%s %s: without terms of the parameters alone an empty "
       "shard has no loss and no gradient", path, dt);
  free(ws);
  for (int s = 0; s < 3; s++)
    free(part[s]);
}

/* update in parts, as the threads share it (clip, then update_range on
 * three uneven pieces), moves parameters and state exactly as update
 * does, with a clipping that acts. */
static void check_update_parts(const char *path, const char *dt,
                               const NetrtModel *m, const void *flat,
                               const void *state, const void *grads,
                               NetrtHyper hyper) {
  if (!m->update || !m->clip || !m->update_range)
    return;
  size_t bytes = (size_t)m->dtype_bytes;
  size_t pb = (size_t)m->param_count * bytes;
  size_t sb = (size_t)m->state_count * bytes;
  void *buf[6];
  for (int k = 0; k < 6; k++) {     /* (+ 8: no malloc(0) of no state) */
    size_t n = k % 3 == 1 ? sb : pb;
    buf[k] = malloc(n + 8);
    memcpy(buf[k], k % 3 == 0 ? flat : k % 3 == 1 ? state : grads, n);
  }
  hyper.clip_norm = 1e-3;
  m->update(buf[0], buf[1], buf[2], 1, &hyper);
  int64_t n = m->param_count, cut[4] = {0, n / 3, n - n / 5, n};
  m->clip(buf[5], &hyper);
  for (int k = 0; k < 3; k++)
    m->update_range(buf[3], buf[4], &buf[5], 1, 1, &hyper, cut[k],
                    cut[k + 1]);
  ok(memcmp(buf[0], buf[3], pb) == 0 && memcmp(buf[1], buf[4], sb) == 0,
     "%s %s: clip and update_range in three pieces update as update does",
     path, dt);
  for (int k = 0; k < 6; k++)
    free(buf[k]);
}

/* update_range on the shards' gradients of two and three threads, in
 * three uneven pieces, moves parameters and state exactly as update does
 * with their sum (added left to right). */
static void check_update_sums(const char *path, const char *dt,
                              const NetrtModel *m, const void *flat,
                              const void *state, const void *grads,
                              NetrtHyper hyper) {
  if (!m->update || !m->update_range)
    return;
  int bytes = m->dtype_bytes;
  int64_t n = m->param_count, cut[4] = {0, n / 3, n - n / 5, n};
  size_t pb = (size_t)n * (size_t)bytes;
  size_t sb = (size_t)m->state_count * (size_t)bytes;
  for (int shards = 2; shards <= 3; shards++) {
    void *p[2] = {malloc(pb + 8), malloc(pb + 8)};
    void *st[2] = {malloc(sb + 8), malloc(sb + 8)};
    void *part[3], *sum = malloc(pb + 8);
    for (int k = 0; k < 2; k++) {
      memcpy(p[k], flat, pb);
      memcpy(st[k], state, sb);
    }
    for (int s = 0; s < shards; s++) {
      part[s] = malloc(pb + 8);
      for (int64_t i = 0; i < n; i++)   /* uneven parts: 1, 1/2, -1/4 */
        put(part[s], bytes, i, get(grads, bytes, i) *
                               (s == 0 ? 1 : s == 1 ? 0.5 : -0.25));
    }
    memcpy(sum, part[0], pb);
    for (int s = 1; s < shards; s++)
      for (int64_t i = 0; i < n; i++)
        put(sum, bytes, i, get(sum, bytes, i) + get(part[s], bytes, i));
    m->update(p[0], st[0], sum, 1, &hyper);
    for (int k = 0; k < 3; k++)
      m->update_range(p[1], st[1], part, shards, 1, &hyper, cut[k],
                      cut[k + 1]);
    ok(memcmp(p[0], p[1], pb) == 0 && memcmp(st[0], st[1], sb) == 0,
       "%s %s: update_range on %d shards' gradients updates as update does "
       "on their sum", path, dt, shards);
    for (int s = 0; s < shards; s++)
      free(part[s]);
    for (int k = 0; k < 2; k++) {
      free(p[k]);
      free(st[k]);
    }
    free(sum);
  }
}

/* A second step, with the training block's hyperparameters (where
 * train_step applies the optimizer in weight gradients' GEMMs) and with
 * a clipping that does not act (where it does not): train_step moves
 * parameters and state exactly as gradient and update do. */
static void check_second_step(const char *path, const char *dt, Case *c,
                              const void *state, NetrtHyper hyper,
                              void *ws) {
  const NetrtModel *m = c->m;
  if (!m->update)
    return;
  size_t pb = (size_t)m->param_count * (size_t)m->dtype_bytes + 8;
  size_t sb = (size_t)m->state_count * (size_t)m->dtype_bytes + 8;
  void *grads = calloc(1, pb);
  for (int clips = 0; clips < 2; clips++) {
    void *p[2] = {malloc(pb), malloc(pb)}, *st[2] = {malloc(sb), malloc(sb)};
    for (int k = 0; k < 2; k++) {     /* the reals, not the 8 spare */
      memcpy(p[k], c->flat, pb - 8);
      memcpy(st[k], state, sb - 8);
    }
    hyper.clip_norm = clips ? 1e30 : 0;
    m->train_step(p[0], st[0], (const void *const *)c->cin,
                  (const void *const *)c->ctg, BATCH, 2, &hyper, ws);
    m->gradient(p[1], (const void *const *)c->cin,
                (const void *const *)c->ctg, BATCH, grads, ws);
    m->update(p[1], st[1], grads, 2, &hyper);
    ok(memcmp(p[0], p[1], pb - 8) == 0 && memcmp(st[0], st[1], sb - 8) == 0,
       "%s %s: a second train_step%s moves parameters and state as "
       "gradient and update do", path, dt, clips ? " with clipping" : "");
    for (int k = 0; k < 2; k++) {
      free(p[k]);
      free(st[k]);
    }
  }
  free(grads);
}

static void check(const char *path, const IrProgram *p, int bytes) {
  const char *dt = bytes == 8 ? "f64" : "f32";
  double tol = bytes == 8 ? 1e-10 : 1e-5;
  /* A gradient is a sum over the batch whose terms can nearly cancel: a
   * one-element gradient of 1e-3 made of terms of 1 keeps only f32's
   * 1e-7 / 1e-3 of relative accuracy, whatever the order of the sum. */
  double grad_tol = bytes == 8 ? 1e-10 : 1e-4;
  CodegenOptions cgo = {.dtype_bytes = bytes,
                        .batch = COMPILED_BATCH ? COMPILED_BATCH : BATCH,
                        .tile = TILE};
  EmitOptions eo = {.kind = EMIT_EXECUTABLE, .opt_level = 2, .cpu = MARCH};
  const void *desc;
  Jit *jit = emit_jit(p, &cgo, &eo, &desc);
  if (!ok(jit != NULL, "%s %s: compiles in memory", path, dt))
    return;
  Case c = {p, desc, NULL, NULL, NULL, NULL, NULL, NULL};
  const NetrtModel *m = c.m;
  fill(&c, bytes);
  pad(&c, bytes);
  Interp *it = interp_new(p, BATCH);
  bool ran = interp_run(it, c.params, c.in, c.tg);
  void *ws = calloc(1, (size_t)m->workspace_bytes + 64);
  void *grads = calloc((size_t)m->param_count, (size_t)bytes);
  void *out = calloc((size_t)(m->output.count * BATCH + 1), (size_t)bytes);
  double ref = interp_loss(it);
  double loss = m->gradient(c.flat, (const void *const *)c.cin,
                            (const void *const *)c.ctg, BATCH, grads, ws);
  ok(ran && fabs(loss - ref) <= tol * fmax(fabs(ref), 1), "%s %s: loss "
     "%.9g, reference %.9g%s%s", path, dt, loss, ref, ran ? "" : ": ",
     interp_error(it));
  check_shards(path, dt, &c, bytes, loss, grads);
  double eloss = m->evaluate(c.flat, (const void *const *)c.cin,
                             (const void *const *)c.ctg, BATCH, out, ws);
  double e = p->output ? worst(out, bytes, interp_value(it, p->output),
                               m->output.count * BATCH, 1e-3) : 0;
  ok(fabs(eloss - ref) <= tol * fmax(fabs(ref), 1) && e <= tol,
     "%s %s: evaluate: loss and predictions (error %.2e)", path, dt, e);
  memset(out, 0, (size_t)(m->output.count * BATCH * bytes));
  memset(ws, 0, (size_t)m->workspace_bytes);   /* nothing left by evaluate */
  m->predict(c.flat, (const void *const *)c.cin, BATCH, out, ws);
  e = p->output ? worst(out, bytes, interp_value(it, p->output),
                        m->output.count * BATCH, 1e-3) : 0;
  ok(e <= tol, "%s %s: predict (error %.2e)", path, dt, e);
  for (int k = 0; k < m->nparams; k++) {
    const NetrtTensor *t = &m->params[k];
    const double *want = interp_value(it, p->grads[k]);
    double largest = 0;
    for (int64_t i = 0; i < t->count; i++)
      largest = fmax(largest, fabs(want[i]));
    e = worst((char *)grads + t->offset * bytes, bytes, want, t->count,
              fmax(1e-2 * largest, 1e-6));
    ok(e <= grad_tol, "%s %s: d loss / d %s (error %.2e)", path, dt, t->name,
       e);
  }
  void *state = calloc((size_t)m->state_count + 1, (size_t)bytes);
  for (int64_t i = 0; m->train.optimizer == NETRT_ADAGRAD &&
       i < m->param_count; i++)
    put(state, bytes, i, m->train.hyper.initial_accumulator_value);
  NetrtHyper hyper = m->train.hyper;
  hyper.clip_norm = hyper.clip_value = 0;
  /* (+ 8: malloc(0) may return NULL for a model of no state) */
  size_t pbytes = (size_t)m->param_count * (size_t)bytes;
  size_t sbytes = (size_t)m->state_count * (size_t)bytes;
  void *flat2 = malloc(pbytes + 8), *state2 = malloc(sbytes + 8);
  memcpy(flat2, c.flat, pbytes);
  memcpy(state2, state, sbytes);
  check_update_parts(path, dt, m, c.flat, state, grads, hyper);
  check_update_sums(path, dt, m, c.flat, state, grads, hyper);
  m->train_step(c.flat, state, (const void *const *)c.cin,
                (const void *const *)c.ctg, BATCH, 1, &hyper, ws);
  if (m->update) {
    m->update(flat2, state2, grads, 1, &hyper);
    ok(memcmp(flat2, c.flat, pbytes) == 0, "%s %s: update with "
       "gradient's gradients moves the parameters as train_step does",
       path, dt);
  }
  free(flat2);
  free(state2);
  check_second_step(path, dt, &c, state, hyper, ws);
  double w = 0;
  for (int k = 0; k < m->nparams; k++) {
    const NetrtTensor *t = &m->params[k];
    const double *g = interp_value(it, p->grads[k]);
    double largest = 0;
    for (int64_t i = 0; i < t->count; i++)
      largest = fmax(largest, fabs(g[i]));
    for (int64_t i = 0; i < t->count; i++) {
      double want = reference_update(m, c.params[k][i], g[i]);
      double got = get(c.flat, bytes, t->offset + i);
      double moved = fabs(want - c.params[k][i]);
      /* relative to the move, or in f32 to the rounding of p itself.  An
       * adaptive optimizer moves a gradient of 1e-8 as far as one of 1,
       * and the gradient check above lets a float gradient be off by
       * 1e-6 of its tensor's largest: 1% or more of an entry below 1e-4
       * of the largest, whose move the float gradient cannot fix to the
       * 1% asked here (an LSTM's recurrent weights over 28 steps have
       * entries of 1e-7 of the largest).  Those are left to the f64 run,
       * which checks every entry. */
      if (bytes == 4 && fabs(g[i]) < 1e-4 * largest)
        continue;
      double floor_ = bytes == 8 ? 1e-3 * m->train.hyper.lr
                                 : 1e-5 * fmax(fabs(want), 1);
      double err = fabs(got - want) / fmax(moved, floor_);
      if (!(err <= w))
        w = err;
    }
  }
  ok(w <= (bytes == 8 ? 1e-6 : 1e-2), "%s %s: one step of the optimizer "
     "(error %.2e of the move)", path, dt, w);
  free(state);
  free(ws);
  free(grads);
  free(out);
  interp_free(it);
  release(&c);
  emit_jit_free(jit);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      BATCH = atoi(argv[++i]);
      continue;
    }
    if (strcmp(argv[i], "--march") == 0 && i + 1 < argc) {
      MARCH = argv[++i];
      continue;
    }
    if (strcmp(argv[i], "--tile") == 0 && i + 1 < argc) {
      if (!plan_parse_tile(argv[++i], &TILE)) {
        fprintf(stderr, "codegen_agree: --tile %s: expected RxV\n", argv[i]);
        return 2;
      }
      continue;
    }
    if (strcmp(argv[i], "--compiled-batch") == 0 && i + 1 < argc) {
      COMPILED_BATCH = atoi(argv[++i]);
      continue;
    }
    diag_reset();
    SrcFile *src = src_read(argv[i]);
    Model *model = src ? frontend_check(src, NULL, 0) : NULL;
    IrProgram *p = model ? lower_model(model) : NULL;
    if (!ok(p != NULL, "%s compiles to the IR", argv[i]))
      continue;
    ir_grad(p);
    check(argv[i], p, 4);
    check(argv[i], p, 8);
  }
  arena_free_all();
  return tap_done();
}
