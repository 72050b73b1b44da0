/* compiler/lower.c — the checked Model to the tensor IR (ir.h).
 *
 * Layer instances are inlined: an instance's arguments and equations bind
 * their symbols to IR values, and its result is the value of the call.
 * Absent parameters were already folded away by the checker.  The loss
 * becomes one scalar for the batch: per-example losses are reduced with
 * BATCH_MEAN or BATCH_SUM as the model says.
 *
 * This release compiles models without recurrences; a construct it cannot
 * compile yet is reported as an error at its place in the source.
 */
#include <config.h>

#include <string.h>

#include "arena.h"
#include "ir.h"

typedef struct Binding {
  const Sym *sym;
  IrValue *value;
} Binding;

typedef struct Lower {
  IrProgram *p;
  const Model *m;
  Binding *b;
  int nb, capb;
  IrValue **param_values, **input_values, **target_values;
  const Node *calls[64];   /* the layer calls being inlined, outermost first */
  int ncalls;
  bool failed;
} Lower;

static IrValue *lower_expr(Lower *L, const Node *e);
static void lower_body(Lower *L, const NodeList *body);

static void bind(Lower *L, const Sym *sym, IrValue *v) {
  if (L->nb == L->capb) {
    int cap = L->capb ? 2 * L->capb : 32;
    Binding *grown = arena_array(Binding, cap);
    if (L->nb)
      memcpy(grown, L->b, sizeof(Binding) * (size_t)L->nb);
    L->b = grown;
    L->capb = cap;
  }
  L->b[L->nb++] = (Binding){sym, v};
  if (!v->name)
    v->name = sym->full;
}

static IrValue *unsupported(Lower *L, const Node *e, const char *what) {
  if (!L->failed) {
    diag_error(e->loc, "netc cannot compile %s yet (--check and --dump=ast "
               "work on this model)", what);
    for (int i = L->ncalls - 1; i >= 0; i--)
      diag_note(L->calls[i]->loc, "in %s, called here",
                L->calls[i]->inst->layer);
  }
  L->failed = true;
  return ir_const(L->p, 0);
}

static int sym_index(const SymList *l, const Sym *sym) {
  for (int i = 0; i < l->n; i++)
    if (l->v[i] == sym)
      return i;
  DIE("symbol '%s' is not in its list", sym->full);
}

static IrValue *lower_name(Lower *L, const Node *e) {
  const Sym *sym = e->sym;
  switch (sym->kind) {
  case SYM_PARAM:
    return L->param_values[sym_index(&L->m->params, sym)];
  case SYM_INPUT:
    return L->input_values[sym_index(&L->m->inputs, sym)];
  case SYM_TARGET:
    return L->target_values[sym_index(&L->m->targets, sym)];
  default:
    for (int i = L->nb - 1; i >= 0; i--)
      if (L->b[i].sym == sym)
        return L->b[i].value;
    if (sym->kind == SYM_SEQ)
      return unsupported(L, e, "a recurrence");
    DIE("'%s' has no value", sym->full);
  }
}

static Type float_type(const Type *t) {
  Type r = *t;
  r.elem = EL_FLOAT;
  r.reduced = false;
  return r;
}

/* In a batch-level sum such as cross_entropy(z, y) + mean(h * h), the
 * per-example operand is averaged over the batch first. */
static IrValue *batch_level(Lower *L, const Node *whole, const Node *part,
                            IrValue *v) {
  if (!whole->ty->reduced || part->ty->reduced || !v->batched)
    return v;
  return ir_unary(L->p, IR_BATCH_MEAN, v->ty, v);
}

static IrValue *lower_binary(Lower *L, const Node *e) {
  IrValue *a = batch_level(L, e, e->lhs, lower_expr(L, e->lhs));
  IrValue *b = batch_level(L, e, e->rhs, lower_expr(L, e->rhs));
  IrOp op;
  switch (e->op) {
  case '+': op = IR_ADD; break;
  case '-': op = IR_SUB; break;
  case '*': op = IR_MUL; break;
  case '/': op = IR_DIV; break;
  case '@': op = IR_MATMUL; break;
  default: UNREACHABLE();
  }
  return ir_binary(L->p, op, float_type(e->ty), a, b);
}

static IrValue *lower_index(Lower *L, const Node *e) {
  for (int i = 0; i < e->list.n; i++)
    if (e->list.v[i]->kind == ND_STEP)
      return unsupported(L, e, "a step of a sequence");
  IrValue *base = lower_expr(L, e->lhs);
  if (base->ty.varlen)
    return unsupported(L, e, "indexing a sequence of varying length");
  IrValue *v = ir_unary(L->p, IR_SLICE, float_type(e->ty), base);
  v->ty.elem = base->ty.elem;
  v->nslice = e->list.n;
  for (int i = 0; i < e->list.n; i++) {
    const Node *ix = e->list.v[i];
    if (ix->kind == ND_RANGE) {
      v->lo[i] = (int64_t)ix->lhs->num;
      v->hi[i] = (int64_t)ix->rhs->num;
    } else {
      v->lo[i] = v->hi[i] = (int64_t)ix->num;
      v->drop[i] = true;
    }
  }
  return v;
}

static IrOp unary_op(const char *name) {
  static const struct { const char *name; IrOp op; } ops[] = {
    {"tanh", IR_TANH}, {"sigmoid", IR_SIGMOID}, {"relu", IR_RELU},
    {"exp", IR_EXP}, {"log", IR_LOG}, {"sqrt", IR_SQRT}, {"abs", IR_ABS},
    {"softmax", IR_SOFTMAX}, {"log_softmax", IR_LOG_SOFTMAX},
    {"sum", IR_SUM}, {"mean", IR_MEAN}, {"l2", IR_SUMSQ},
    {"reverse", IR_REVERSE}, {"flatten", IR_RESHAPE},
    {"reshape", IR_RESHAPE}, {"transpose", IR_TRANSPOSE},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(ops[i].name, name) == 0)
      return ops[i].op;
  DIE("no IR operation for '%s'", name);
}

static IrOp loss_op(const Node *e, const IrValue *target) {
  const char *f = e->fn->name;
  if (strcmp(f, "cross_entropy") == 0)
    return target->ty.elem == EL_CLASS ? IR_XENT : IR_XENT_SOFT;
  if (strcmp(f, "nll") == 0) return IR_NLL;
  if (strcmp(f, "mse") == 0) return IR_MSE;
  if (strcmp(f, "sse") == 0) return IR_SSE;
  if (strcmp(f, "binary_cross_entropy") == 0) return IR_BCE;
  return IR_BCE_LOGITS;
}

static bool option_is(const Node *e, const char *opt, const char *word) {
  const Value *v = call_value(e->opts, opt);
  return v && v->kind == VAL_WORD && strcmp(v->str, word) == 0;
}

static IrValue *lower_loss(Lower *L, const Node *e) {
  IrValue *pred = lower_expr(L, e->list.v[0]);
  IrValue *target = lower_expr(L, e->list.v[1]);
  if (pred->ty.varlen || target->ty.varlen)
    return unsupported(L, e, "a loss over sequences of varying length");
  IrValue *per = ir_binary(L->p, loss_op(e, target), type_scalar(), pred,
                           target);
  /* mse and sse are a mean and a sum of squares by their names; the
   * `steps` option says how the other losses combine their positions. */
  per->mean = per->op == IR_MSE ||
              (per->op != IR_SSE && option_is(e, "steps", "mean"));
  per->name = e->fn->name;
  if (!L->p->output)
    L->p->output = pred;
  IrOp reduce = option_is(e, "batch", "sum") ? IR_BATCH_SUM : IR_BATCH_MEAN;
  return ir_unary(L->p, reduce, type_scalar(), per);
}

static IrValue *lower_builtin(Lower *L, const Node *e) {
  const Builtin *fn = e->fn;
  if (fn->kind == BK_LOSS)
    return lower_loss(L, e);
  if (fn->kind == BK_CONV || fn->kind == BK_MAXPOOL ||
      fn->kind == BK_BATCHNORM)
    return unsupported(L, e, fn->name);
  int n = e->list.n;
  IrValue **args = arena_array(IrValue *, n + 1);
  for (int i = 0; i < n; i++) {
    args[i] = lower_expr(L, e->list.v[i]);
    if (args[i]->ty.varlen)
      return unsupported(L, e, "a sequence of varying length");
  }
  if (fn->kind == BK_CONCAT) {
    IrValue *v = ir_add(L->p, IR_CONCAT, float_type(e->ty), n, args);
    int axis = (int)call_value(e->opts, "axis")->num;
    v->axis = axis < 0 ? axis + e->ty->ndim : axis;
    return v;
  }
  return ir_unary(L->p, unary_op(fn->name), float_type(e->ty), args[0]);
}

static IrValue *lower_instance(Lower *L, const Instance *inst) {
  for (int i = 0; i < inst->args.n; i++) {
    const Node *a = inst->args.v[i];
    if (a->sym)
      bind(L, a->sym, lower_expr(L, a->lhs));
  }
  lower_body(L, &inst->body);
  return lower_expr(L, inst->result);
}

static IrValue *lower_expr(Lower *L, const Node *e) {
  switch (e->kind) {
  case ND_NUM: return ir_const(L->p, e->num);
  case ND_NAME: return lower_name(L, e);
  case ND_BINARY: return lower_binary(L, e);
  case ND_NEG:
    return ir_unary(L->p, IR_NEG, float_type(e->ty), lower_expr(L, e->lhs));
  case ND_INDEX: return lower_index(L, e);
  case ND_CALL: {
    if (!e->inst)
      return lower_builtin(L, e);
    if (L->ncalls == (int)(sizeof L->calls / sizeof L->calls[0]))
      DIE("layers nested deeper than the checker allows");
    L->calls[L->ncalls++] = e;
    IrValue *v = lower_instance(L, e->inst);
    L->ncalls--;
    return v;
  }
  default:
    DIE("lower_expr: unexpected %s", ast_kind_name(e->kind));
  }
}

static void lower_body(Lower *L, const NodeList *body) {
  for (int i = 0; i < body->n; i++) {
    const Node *st = body->v[i];
    if (st->kind != ND_EQ)
      continue;
    if (st->var) {
      unsupported(L, st, "a recurrence");
      continue;
    }
    bind(L, st->sym, lower_expr(L, st->lhs));
  }
}

static IrTensor *tensors(const SymList *l) {
  IrTensor *t = arena_array(IrTensor, l->n + 1);
  for (int i = 0; i < l->n; i++)
    t[i] = (IrTensor){l->v[i]->full, l->v[i]->ty, l->v[i]->init};
  return t;
}

static IrValue **leaves(Lower *L, IrOp op, const IrTensor *t, int n) {
  IrValue **v = arena_array(IrValue *, n + 1);
  for (int i = 0; i < n; i++) {
    v[i] = ir_add(L->p, op, t[i].ty, 0, NULL);
    v[i]->index = i;
    v[i]->name = t[i].name;
  }
  return v;
}

/* loss + l2 * sum of the squares of every parameter (train option l2). */
static IrValue *add_l2(Lower *L, IrValue *loss) {
  double l2 = call_value(L->m->train, "l2")->num;
  if (l2 == 0)
    return loss;
  IrValue *sum = NULL;
  for (int i = 0; i < L->p->nparams; i++) {
    IrValue *sq = ir_unary(L->p, IR_SUMSQ, type_scalar(),
                           L->param_values[i]);
    sum = sum ? ir_binary(L->p, IR_ADD, type_scalar(), sum, sq) : sq;
  }
  if (!sum)
    return loss;
  IrValue *scaled = ir_binary(L->p, IR_MUL, type_scalar(), ir_const(L->p, l2),
                              sum);
  scaled->name = "l2";
  return ir_binary(L->p, IR_ADD, type_scalar(), loss, scaled);
}

static bool reads_targets(const IrValue *v, bool *memo, bool *seen) {
  if (seen[v->id])
    return memo[v->id];
  seen[v->id] = true;
  bool r = v->op == IR_TARGET;
  for (int a = 0; !r && a < v->nargs; a++)
    r = reads_targets(v->args[a], memo, seen);
  return memo[v->id] = r;
}

/* What predict writes: the first loss function's prediction, else the
 * last top-level equation that needs no target; none when all do. */
static IrValue *choose_output(Lower *L) {
  IrProgram *p = L->p;
  bool *memo = arena_array(bool, p->n + 1), *seen = arena_array(bool, p->n + 1);
  if (p->output && !reads_targets(p->output, memo, seen))
    return p->output;
  const NodeList *body = &L->m->body;
  for (int i = body->n - 1; i >= 0; i--) {
    const Node *st = body->v[i];
    if (st->kind != ND_EQ)
      continue;
    for (int b = L->nb - 1; b >= 0; b--)
      if (L->b[b].sym == st->sym && !reads_targets(L->b[b].value, memo,
                                                    seen))
        return L->b[b].value;
  }
  return NULL;
}

IrProgram *lower_model(const Model *m) {
  Lower L = {0};
  L.m = m;
  L.p = arena_new(IrProgram);
  IrProgram *p = L.p;
  p->model = m;
  p->params = tensors(&m->params);
  p->nparams = m->params.n;
  p->inputs = tensors(&m->inputs);
  p->ninputs = m->inputs.n;
  p->targets = tensors(&m->targets);
  p->ntargets = m->targets.n;
  L.param_values = leaves(&L, IR_PARAM, p->params, p->nparams);
  L.input_values = leaves(&L, IR_INPUT, p->inputs, p->ninputs);
  L.target_values = leaves(&L, IR_TARGET, p->targets, p->ntargets);
  lower_body(&L, &m->body);
  if (L.failed)
    return NULL;
  IrValue *loss = lower_expr(&L, m->loss);
  if (m->loss_per_example)
    loss = ir_unary(p, IR_BATCH_MEAN, type_scalar(), loss);
  p->loss = add_l2(&L, loss);
  p->loss->name = "loss";
  p->output = choose_output(&L);
  p->nforward = p->n;
  return L.failed ? NULL : p;
}
