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

#include "ir.h"

#include "arena.h"

typedef struct Grad {
  IrProgram *p;
  IrValue **adj;          /* by value id */
  bool *needs;            /* the value depends on a parameter */
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

/* Adds g to the adjoint of v, first bringing it to v's shape and to v's
 * place (per example or shared). */
static void accumulate(Grad *G, IrValue *v, IrValue *g) {
  if (!G->needs[v->id])
    return;
  Type ty = float_of(v->ty);
  if (g->batched && !v->batched)
    g = unary(G, IR_BATCH_SUM, g->ty, g);
  if (!type_same_shape(&g->ty, &ty))
    g = unary(G, IR_SUM_TO, ty, g);
  IrValue *old = G->adj[v->id];
  G->adj[v->id] = old ? binary(G, IR_ADD, ty, old, g) : g;
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
    IrValue *args[3] = {g, v->args[0], v->args[1]};
    IrValue *d = ir_add(G->p, IR_LOSS_GRAD, float_of(x->ty), 3, args);
    d->of = v->op;
    d->mean = v->mean;
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

static void grad_value(Grad *G, IrValue *v, IrValue *g) {
  IrValue *a = v->nargs ? v->args[0] : NULL;
  Type ta = a ? float_of(a->ty) : type_scalar();
  switch (v->op) {
  case IR_CONST: case IR_ZEROS: case IR_PARAM: case IR_INPUT:
  case IR_TARGET:
    return;
  case IR_MATMUL: grad_matmul(G, v, g); return;
  case IR_TRANSPOSE: accumulate(G, a, unary(G, IR_TRANSPOSE, ta, g)); return;
  case IR_RESHAPE: accumulate(G, a, unary(G, IR_RESHAPE, ta, g)); return;
  case IR_REVERSE: accumulate(G, a, unary(G, IR_REVERSE, ta, g)); return;
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

void ir_grad(IrProgram *p) {
  Grad G = {p, NULL, NULL};
  int n = p->n;
  G.adj = arena_array(IrValue *, n + 1);
  G.needs = arena_array(bool, n + 1);
  for (int i = 0; i < n; i++) {
    IrValue *v = p->v[i];
    G.needs[i] = v->op == IR_PARAM;
    for (int a = 0; a < v->nargs; a++)
      G.needs[i] |= G.needs[v->args[a]->id];
  }
  G.adj[p->loss->id] = ir_const(p, 1);
  for (int i = n - 1; i >= 0; i--)
    if (G.adj[i] && G.needs[i])
      grad_value(&G, p->v[i], G.adj[i]);
  p->grads = arena_array(IrValue *, p->nparams + 1);
  for (int i = 0; i < n; i++) {
    IrValue *v = p->v[i];
    if (v->op != IR_PARAM)
      continue;
    IrValue *g = G.adj[i];
    if (!g)
      g = ir_add(p, IR_ZEROS, float_of(v->ty), 0, NULL);
    g->name = arena_printf("d %s", v->name);
    p->grads[v->index] = g;
  }
}
