/* compiler/grad.c — reverse-mode differentiation of the tensor IR.
 *
 * Walks the forward values from the loss back, giving each value that
 * depends on a parameter its adjoint (d loss / d value), and appends the
 * operations that compute them.  An adjoint that reaches a value through
 * broadcasting is summed back to the value's shape (SUM_TO), and one that
 * differs per example but belongs to a value shared by the batch, such as
 * a parameter, is summed over the batch (BATCH_SUM).
 */
#include <config.h>

#include <string.h>

#include "arena.h"
#include "ir.h"

/* While the body of a backward loop is built: where the adjoints that
 * leave the forward loop's body go (see grad_loop). */
typedef struct LoopGrad {
  IrLoop *fl, *bl;
  IrValue **outer, **outer_adj;   /* values outside: summed over steps */
  int nouter;
  IrValue **seq, **seq_adj;       /* sequences read by step: stacked */
  int nseq;
  IrValue **state_adj;            /* by state: the adjoint of h[t-1] */
} LoopGrad;

/* A BATCH_SUM made in a block, to be made once (see batch_sum_of). */
typedef struct BatchSum {
  const IrValue *of;
  const IrLoop *block;
  IrValue *sum;
} BatchSum;

typedef struct Grad {
  IrProgram *p;
  IrValue **adj;          /* by value id */
  bool *needs;            /* the value depends on a parameter */
  LoopGrad *lg;           /* building a backward loop */
  BatchSum *sums;
  int nsums, capsums;
} Grad;

static IrValue *unary(Grad *G, IrOp op, Type ty, IrValue *a) {
  return ir_unary(G->p, op, ty, a);
}

static IrValue *binary(Grad *G, IrOp op, Type ty, IrValue *a, IrValue *b) {
  return ir_binary(G->p, op, ty, a, b);
}

static Type float_of(Type t) {
  t.elem = EL_FLOAT;
  return t;
}

static IrValue *sum_into(Grad *G, IrValue *old, IrValue *g) {
  return old ? binary(G, IR_ADD, g->ty, old, g) : g;
}

/* In a backward loop's body, an adjoint of a value outside the forward
 * loop's body is that step's share: the loop sums them. */
static void accumulate_outside(Grad *G, IrValue *v, IrValue *g) {
  LoopGrad *lg = G->lg;
  for (int i = 0; i < lg->nouter; i++)
    if (lg->outer[i] == v) {
      lg->outer_adj[i] = sum_into(G, lg->outer_adj[i], g);
      return;
    }
  lg->outer[lg->nouter] = v;
  lg->outer_adj[lg->nouter++] = g;
}

/* The sum of g over the batch, made once in a block: a cell's two biases
 * (bx and bh) both get the sum of its pre-activations' adjoint, which is
 * then one value, and one gradient computed once for both. */
static IrValue *batch_sum_of(Grad *G, IrValue *g) {
  for (int i = 0; i < G->nsums; i++)
    if (G->sums[i].of == g && G->sums[i].block == G->p->cur)
      return G->sums[i].sum;
  if (G->nsums == G->capsums) {
    G->capsums = G->capsums ? 2 * G->capsums : 16;
    BatchSum *more = arena_array(BatchSum, G->capsums);
    if (G->nsums)
      memcpy(more, G->sums, sizeof *more * (size_t)G->nsums);
    G->sums = more;
  }
  IrValue *sum = unary(G, IR_BATCH_SUM, g->ty, g);
  G->sums[G->nsums++] = (BatchSum){g, G->p->cur, sum};
  return sum;
}

/* Adds g to the adjoint of v, first bringing it to v's shape and to v's
 * place (per example or shared). */
static void accumulate(Grad *G, IrValue *v, IrValue *g) {
  if (!G->needs[v->id])
    return;
  Type ty = float_of(v->ty);
  if (g->batched && !v->batched)
    g = batch_sum_of(G, g);
  if (!type_same_shape(&g->ty, &ty))
    g = unary(G, IR_SUM_TO, ty, g);
  if (G->lg && v->loop != G->lg->fl) {
    accumulate_outside(G, v, g);
    return;
  }
  G->adj[v->id] = sum_into(G, G->adj[v->id], g);
}

static void grad_matmul(Grad *G, IrValue *v, IrValue *g) {
  IrValue *a = v->args[0], *b = v->args[1];
  Type ta = float_of(a->ty), tb = float_of(b->ty);
  if (a->ty.ndim == 2 && b->ty.ndim == 1) {         /* [m,k] @ [k] */
    accumulate(G, a, binary(G, IR_OUTER, ta, g, b));
    if (G->needs[b->id]) {
      IrValue *at = unary(G, IR_TRANSPOSE, (Type){.ndim = 2,
                          .dims = {ta.dims[1], ta.dims[0]}}, a);
      accumulate(G, b, binary(G, IR_MATMUL, tb, at, g));
    }
  } else if (a->ty.ndim == 2) {                       /* [m,k] @ [k,n] */
    if (G->needs[a->id]) {
      IrValue *bt = unary(G, IR_TRANSPOSE, (Type){.ndim = 2,
                          .dims = {tb.dims[1], tb.dims[0]}}, b);
      accumulate(G, a, binary(G, IR_MATMUL, ta, g, bt));
    }
    if (G->needs[b->id]) {
      IrValue *at = unary(G, IR_TRANSPOSE, (Type){.ndim = 2,
                          .dims = {ta.dims[1], ta.dims[0]}}, a);
      accumulate(G, b, binary(G, IR_MATMUL, tb, at, g));
    }
  } else {                                            /* [k] @ [k,n] */
    accumulate(G, a, binary(G, IR_MATMUL, ta, b, g));
    accumulate(G, b, binary(G, IR_OUTER, tb, a, g));
  }
}

static void grad_concat(Grad *G, IrValue *v, IrValue *g) {
  int64_t at = 0;
  for (int i = 0; i < v->nargs; i++) {
    IrValue *a = v->args[i];
    int64_t len = a->ty.dims[v->axis];
    if (G->needs[a->id]) {
      IrValue *s = unary(G, IR_SLICE, float_of(a->ty), g);
      s->nslice = v->axis + 1;
      for (int d = 0; d < v->axis; d++)
        s->hi[d] = v->ty.dims[d] - 1;
      s->lo[v->axis] = at;
      s->hi[v->axis] = at + len - 1;
      accumulate(G, a, s);
    }
    at += len;
  }
}

static void grad_loss(Grad *G, IrValue *v, IrValue *g) {
  for (int k = 0; k < 2; k++) {
    IrValue *x = v->args[k];
    if (!G->needs[x->id])
      continue;
    if (k == 1 && (v->op == IR_XENT || v->op == IR_NLL))
      continue;                  /* class labels have no gradient */
    IrValue *args[4] = {g, v->args[0], v->args[1],
                        v->masked ? v->args[2] : NULL};
    IrValue *d = ir_add(G->p, IR_LOSS_GRAD, float_of(x->ty),
                        v->masked ? 4 : 3, args);
    d->of = v->op;
    d->mean = v->mean;
    d->masked = v->masked;
    d->index = k;
    accumulate(G, x, d);
  }
}

static void grad_elementwise(Grad *G, IrValue *v, IrValue *g) {
  IrValue *a = v->args[0], *b = v->nargs > 1 ? v->args[1] : NULL;
  Type ty = float_of(v->ty);
  switch (v->op) {
  case IR_ADD: accumulate(G, a, g); accumulate(G, b, g); return;
  case IR_SUB:
    accumulate(G, a, g);
    if (G->needs[b->id])
      accumulate(G, b, unary(G, IR_NEG, ty, g));
    return;
  case IR_MUL:
    if (G->needs[a->id])
      accumulate(G, a, binary(G, IR_MUL, ty, g, b));
    if (G->needs[b->id])
      accumulate(G, b, binary(G, IR_MUL, ty, g, a));
    return;
  case IR_DIV:
    if (G->needs[a->id])
      accumulate(G, a, binary(G, IR_DIV, ty, g, b));
    if (G->needs[b->id]) {             /* d(a/b)/db = -(a/b) / b */
      IrValue *q = binary(G, IR_DIV, ty, binary(G, IR_MUL, ty, g, v), b);
      accumulate(G, b, unary(G, IR_NEG, ty, q));
    }
    return;
  case IR_NEG: accumulate(G, a, unary(G, IR_NEG, ty, g)); return;
  case IR_EXP: accumulate(G, a, binary(G, IR_MUL, ty, g, v)); return;
  case IR_LOG: accumulate(G, a, binary(G, IR_DIV, ty, g, a)); return;
  case IR_SQRT: {
    IrValue *half = binary(G, IR_MUL, ty, g, ir_const(G->p, 0.5));
    accumulate(G, a, binary(G, IR_DIV, ty, half, v));
    return;
  }
  case IR_ABS: accumulate(G, a, binary(G, IR_ABS_GRAD, ty, g, a)); return;
  case IR_TANH: accumulate(G, a, binary(G, IR_TANH_GRAD, ty, g, v)); return;
  case IR_SIGMOID:
    accumulate(G, a, binary(G, IR_SIGMOID_GRAD, ty, g, v));
    return;
  case IR_RELU: accumulate(G, a, binary(G, IR_RELU_GRAD, ty, g, a)); return;
  case IR_SOFTMAX:
    accumulate(G, a, binary(G, IR_SOFTMAX_GRAD, ty, g, v));
    return;
  case IR_LOG_SOFTMAX:
    accumulate(G, a, binary(G, IR_LOG_SOFTMAX_GRAD, ty, g, v));
    return;
  default:
    DIE("no elementwise adjoint for %s", ir_op_name[v->op]);
  }
}

static void grad_loop(Grad *G, IrValue *lv);

/* In a backward loop's body: the adjoint of step t of a sequence read
 * by step, stacked by the loop into the adjoint of the sequence. */
static void grad_step_in(Grad *G, IrValue *v, IrValue *g) {
  LoopGrad *lg = G->lg;
  IrValue *seq = v->args[0];
  if (!G->needs[seq->id])
    return;
  if (g->batched != v->batched && !g->batched)
    g = unary(G, IR_UNBATCH, g->ty, g);
  for (int i = 0; i < lg->nseq; i++)
    if (lg->seq[i] == seq) {
      lg->seq_adj[i] = sum_into(G, lg->seq_adj[i], g);
      return;
    }
  lg->seq[lg->nseq] = seq;
  lg->seq_adj[lg->nseq++] = g;
}

static void grad_value(Grad *G, IrValue *v, IrValue *g) {
  IrValue *a = v->nargs ? v->args[0] : NULL;
  Type ta = a ? float_of(a->ty) : type_scalar();
  switch (v->op) {
  case IR_CONST: case IR_ZEROS: case IR_PARAM: case IR_INPUT:
  case IR_TARGET: case IR_LOOP_OUT: case IR_LENGTH:
    return;
  case IR_LOOP: grad_loop(G, v); return;
  case IR_STEP_IN: grad_step_in(G, v, g); return;
  case IR_STATE:
    G->lg->state_adj[v->index] = sum_into(G, G->lg->state_adj[v->index], g);
    return;
  case IR_MATMUL: grad_matmul(G, v, g); return;
  case IR_TRANSPOSE: accumulate(G, a, unary(G, IR_TRANSPOSE, ta, g)); return;
  case IR_RESHAPE: accumulate(G, a, unary(G, IR_RESHAPE, ta, g)); return;
  case IR_REVERSE:
    if (v->masked) {
      IrValue *r = binary(G, IR_REVERSE, ta, g, v->args[1]);
      r->masked = true;
      accumulate(G, a, r);
    } else {
      accumulate(G, a, unary(G, IR_REVERSE, ta, g));
    }
    return;
  case IR_PICK: {
    IrValue *u = binary(G, IR_UNPICK, ta, g, v->args[1]);
    u->lo[0] = v->lo[0];
    accumulate(G, a, u);
    return;
  }
  case IR_SLICE: {
    IrValue *u = unary(G, IR_UNSLICE, ta, g);
    u->nslice = v->nslice;
    for (int d = 0; d < v->nslice; d++) {
      u->lo[d] = v->lo[d];
      u->hi[d] = v->hi[d];
      u->drop[d] = v->drop[d];
    }
    accumulate(G, a, u);
    return;
  }
  case IR_CONCAT: grad_concat(G, v, g); return;
  case IR_SUM: accumulate(G, a, unary(G, IR_BROADCAST, ta, g)); return;
  case IR_MEAN: {
    double n = (double)type_numel(&a->ty);
    IrValue *s = binary(G, IR_MUL, type_scalar(), g, ir_const(G->p, 1 / n));
    accumulate(G, a, unary(G, IR_BROADCAST, ta, s));
    return;
  }
  case IR_SUMSQ: {
    IrValue *twice = binary(G, IR_MUL, type_scalar(), g, ir_const(G->p, 2));
    accumulate(G, a, binary(G, IR_MUL, ta, twice, a));
    return;
  }
  case IR_XENT: case IR_XENT_SOFT: case IR_NLL: case IR_SSE: case IR_MSE:
  case IR_BCE: case IR_BCE_LOGITS:
    grad_loss(G, v, g);
    return;
  case IR_BATCH_SUM:
  case IR_BATCH_MEAN: {
    IrValue *u = unary(G, IR_UNBATCH, g->ty, g);
    u->mean = v->op == IR_BATCH_MEAN;
    accumulate(G, a, u);
    return;
  }
  default:
    grad_elementwise(G, v, g);
  }
}

/* The adjoints of the states, carried from each step to the one before:
 * a STATE of the backward loop per forward state, seeding the adjoint of
 * its next value.  Past an example's length the forward loop kept its
 * states and wrote zeros: no adjoint reaches that step's body (MASK), and
 * the carried adjoint passes it by (the loop's own length rule). */
static IrValue **carry_state_adjoints(Grad *G, const IrLoop *fl) {
  IrValue **carried = arena_array(IrValue *, fl->nstates + 1);
  for (int k = 0; k < fl->nstates; k++) {
    carried[k] = ir_add(G->p, IR_STATE, float_of(fl->state_in[k]->ty), 0,
                        NULL);
    carried[k]->index = k;
    IrValue *seed = carried[k];
    if (fl->length)
      seed = binary(G, IR_MASK, seed->ty, seed, fl->length);
    accumulate(G, fl->state_next[k], seed);
  }
  return carried;
}

/* A stacked output's adjoint, read at the backward loop's step. */
static void seed_stacked_outputs(Grad *G, const IrLoop *fl) {
  for (int k = 0; k < fl->nouts; k++) {
    IrValue *a = G->adj[fl->out[k]->id];
    if (!a || fl->out_kind[k] != OUT_STACK)
      continue;
    IrValue *step = unary(G, IR_STEP_IN, float_of(fl->out_step[k]->ty), a);
    if (fl->length)
      step = binary(G, IR_MASK, step->ty, step, fl->length);
    accumulate(G, fl->out_step[k], step);
  }
}

/* Each carried state's next value: the adjoint the body gave its state
 * (zeros when none), one per example. */
static void close_state_adjoints(Grad *G, LoopGrad *lg, IrValue **carried,
                                 IrValue **zero) {
  const IrLoop *fl = lg->fl;
  for (int k = 0; k < fl->nstates; k++) {
    IrValue *next = lg->state_adj[k];
    if (!next)
      next = ir_add(G->p, IR_ZEROS, float_of(fl->state_in[k]->ty), 0, NULL);
    if (next->batched != carried[k]->batched)
      next = unary(G, IR_UNBATCH, next->ty, next);
    lg->state_adj[k] = next;
    ir_loop_state(lg->bl, carried[k], zero[k], next);
  }
}

/* The backward loop's outputs, and the value each one's adjoint goes to:
 * the sequences' adjoints stacked, the outer values' summed over the
 * steps (values with the same adjoint, a cell's two biases, share one:
 * out_at[i] is outer i's output), the states' at the last step. */
static void declare_outputs(LoopGrad *lg, IrValue **targets, int *out_at,
                            bool *twin) {
  const IrLoop *fl = lg->fl;
  int nt = 0;
  for (int i = 0; i < lg->nseq; i++) {
    ir_loop_out(lg->bl, lg->seq_adj[i], OUT_STACK);
    targets[nt++] = lg->seq[i];
  }
  for (int i = 0; i < lg->nouter; i++) {
    for (int j = 0; j < i && !twin[i]; j++)
      if (lg->outer_adj[j] == lg->outer_adj[i] && !twin[j]) {
        twin[i] = true;
        out_at[i] = out_at[j];
      }
    if (twin[i])
      continue;
    out_at[i] = ir_loop_out(lg->bl, lg->outer_adj[i], OUT_SUM);
    targets[nt++] = lg->outer[i];
  }
  for (int k = 0; k < fl->nstates; k++) {
    ir_loop_out(lg->bl, lg->state_adj[k], OUT_LAST);
    targets[nt++] = fl->state_init[k];
  }
}

/* The outputs' values after the loop, each added to its target's
 * adjoint. */
static void add_loop_outputs(Grad *G, LoopGrad *lg, IrValue *blv,
                             IrValue **targets, const int *out_at,
                             const bool *twin) {
  IrLoop *bl = lg->bl;
  for (int o = 0; o < bl->nouts; o++) {
    IrValue *step = bl->out_step[o];
    Type ty = bl->out_kind[o] == OUT_STACK
        ? type_prepend(&step->ty, lg->fl->steps, false) : step->ty;
    IrValue *out = unary(G, IR_LOOP_OUT, ty, blv);
    out->index = o;
    out->loop = bl;
    out->batched = step->batched;
    bl->out[o] = out;
    accumulate(G, targets[o], out);
  }
  for (int i = 0; i < lg->nouter; i++)
    if (twin[i])
      accumulate(G, lg->outer[i], bl->out[out_at[i]]);
}

/* The backward loop of a forward loop: t runs the other way, the body
 * is the reverse of the forward body at the same t, the adjoints of the
 * states flow from each step to the one before (its own states), and
 * what leaves the body is stacked (sequences) or summed (parameters). */
static void grad_loop(Grad *G, IrValue *lv) {
  IrProgram *p = G->p;
  IrLoop *fl = lv->loop;
  int cap = fl->body.n + fl->nouts + fl->nstates + 4;
  LoopGrad lg = {fl, ir_loop_new(p, fl->steps),
                 arena_array(IrValue *, cap), arena_array(IrValue *, cap), 0,
                 arena_array(IrValue *, cap), arena_array(IrValue *, cap), 0,
                 arena_array(IrValue *, fl->nstates + 1)};
  lg.bl->backward = !fl->backward;
  lg.bl->primal = fl;
  lg.bl->length = fl->length;
  IrValue **zero = arena_array(IrValue *, fl->nstates + 1);
  for (int k = 0; k < fl->nstates; k++)
    zero[k] = ir_add(p, IR_ZEROS, float_of(fl->state_in[k]->ty), 0, NULL);
  p->cur = lg.bl;
  G->lg = &lg;
  IrValue **carried = carry_state_adjoints(G, fl);
  seed_stacked_outputs(G, fl);
  for (int i = fl->body.n - 1; i >= 0; i--) {
    IrValue *v = fl->body.v[i];
    if (G->adj[v->id] && G->needs[v->id])
      grad_value(G, v, G->adj[v->id]);
  }
  close_state_adjoints(G, &lg, carried, zero);
  p->cur = NULL;
  G->lg = NULL;
  IrValue *blv = ir_add(p, IR_LOOP, type_scalar(), fl->nstates, zero);
  blv->loop = lg.bl;
  IrValue **targets = arena_array(IrValue *, cap);
  int *out_at = arena_array(int, lg.nouter + 1);
  bool *twin = arena_array(bool, lg.nouter + 1);
  declare_outputs(&lg, targets, out_at, twin);
  add_loop_outputs(G, &lg, blv, targets, out_at, twin);
}

/* Which values depend on a parameter, loops and their states included. */
static void mark_needs(Grad *G, const IrValue *v);

static void mark_loop(Grad *G, const IrLoop *l) {
  for (int round = 0; round < 2 + l->nstates; round++) {
    for (int k = 0; k < l->nstates; k++)
      G->needs[l->state_in[k]->id] = G->needs[l->state_init[k]->id] ||
                                     G->needs[l->state_next[k]->id];
    for (int i = 0; i < l->body.n; i++)
      mark_needs(G, l->body.v[i]);
  }
}

static void mark_needs(Grad *G, const IrValue *v) {
  if (v->op == IR_LOOP) {
    mark_loop(G, v->loop);
    return;
  }
  if (v->op == IR_LOOP_OUT) {
    G->needs[v->id] = G->needs[v->loop->out_step[v->index]->id];
    return;
  }
  if (v->op == IR_STATE)
    return;
  G->needs[v->id] = v->op == IR_PARAM;
  for (int a = 0; a < v->nargs; a++)
    G->needs[v->id] |= G->needs[v->args[a]->id];
}

void ir_grad(IrProgram *p) {
  Grad G = {.p = p};
  int n = p->n, ids = p->nids;
  G.adj = arena_array(IrValue *, ids + 1);
  G.needs = arena_array(bool, ids + 1);
  for (int i = 0; i < n; i++)
    mark_needs(&G, p->v[i]);
  for (int i = 0; i < n; i++)      /* a loop needs what its outputs need */
    if (p->v[i]->op == IR_LOOP_OUT)
      G.needs[p->v[i]->args[0]->id] |= G.needs[p->v[i]->id];
  G.adj[p->loss->id] = ir_const(p, 1);
  for (int i = n - 1; i >= 0; i--) {
    IrValue *v = p->v[i];
    if (v->op == IR_LOOP ? G.needs[v->id] : G.adj[v->id] && G.needs[v->id])
      grad_value(&G, v, G.adj[v->id]);
  }
  p->grads = arena_array(IrValue *, p->nparams + 1);
  for (int i = 0; i < n; i++) {
    IrValue *v = p->v[i];
    if (v->op != IR_PARAM)
      continue;
    IrValue *g = G.adj[v->id];
    if (!g)
      g = ir_add(p, IR_ZEROS, float_of(v->ty), 0, NULL);
    g->name = g->name && strncmp(g->name, "d ", 2) == 0   /* shared */
                  ? arena_printf("%s, %s", g->name, v->name)
                  : arena_printf("d %s", v->name);
    p->grads[v->index] = g;
  }
}
