/* compiler/lower.c — the checked Model to the tensor IR (ir.h).
 *
 * Layer instances are inlined: an instance's arguments and equations bind
 * their symbols to IR values, and its result is the value of the call.
 * Absent parameters were already folded away by the checker.  The loss
 * becomes one scalar for the batch: per-example losses are reduced with
 * BATCH_MEAN or BATCH_SUM as the model says.
 * Step equations become loops (IrLoop).  One step of a joined or
 * reversed sequence is read from its parts (step_of); at the end, values
 * nothing reads are dropped, and a loop read only at its first steps
 * runs only those (truncate_loops).  A construct that cannot be compiled yet
 * is reported as an error at its place in the source.
 * The train block, the data source and the initializers become plain
 * values of the program (IrTrain, IrInit): the optimizer's options by
 * netrt.h's list of hyperparameters.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ir.h"

typedef struct Binding {
  const Sym *sym;
  IrValue *value;
} Binding;

/* The step equations being lowered into one loop's body. */
typedef struct LoopCtx {
  IrLoop *loop;
  const Node **members;   /* ND_EQ with a step variable */
  int n;
  IrValue **value;        /* each member's value at this step, once known */
  IrValue **state;        /* recurrent members: the state at the step before */
} LoopCtx;

typedef struct Lower {
  IrProgram *p;
  const Model *m;
  Binding *b;
  int nb, capb;
  IrValue **param_values, **input_values, **target_values;
  const Node *calls[64];   /* the layer calls being inlined, outermost first */
  int ncalls;
  LoopCtx *lc;             /* inside a loop body */
  IrValue *length;         /* the examples' lengths, once read */
  bool failed;
} Lower;

/* The lengths of the sequences of varying length (after the inputs). */
static IrValue *lengths(Lower *L) {
  if (!L->length) {
    L->length = ir_add(L->p, IR_LENGTH, type_scalar(), 0, NULL);
    L->length->name = "lengths";
  }
  return L->length;
}

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

static int member_index(const LoopCtx *lc, const Sym *sym) {
  for (int k = 0; lc && k < lc->n; k++)
    if (lc->members[k]->sym == sym)
      return k;
  return -1;
}

/* The rest of an index after the step, as a slice of one step. */
static IrValue *slice_rest(Lower *L, const Node *e, IrValue *base, int first) {
  if (e->list.n == first)
    return base;
  IrValue *v = ir_unary(L->p, IR_SLICE, float_type(e->ty), base);
  v->ty.elem = base->ty.elem;
  v->nslice = e->list.n - first;
  for (int i = first; i < e->list.n; i++) {
    const Node *ix = e->list.v[i];
    int d = i - first;
    if (ix->kind == ND_RANGE) {
      v->lo[d] = (int64_t)ix->lhs->num;
      v->hi[d] = (int64_t)ix->rhs->num;
    } else {
      v->lo[d] = v->hi[d] = (int64_t)ix->num;
      v->drop[d] = true;
    }
  }
  return v;
}

/* x[t] or h[t-1] inside a loop body. */
static IrValue *lower_step(Lower *L, const Node *e) {
  const Node *st = e->list.v[0];
  if (!L->lc)
    return unsupported(L, e, "a step outside its loop");
  const Sym *sym = e->lhs->kind == ND_NAME ? e->lhs->sym : NULL;
  int k = sym ? member_index(L->lc, sym) : -1;
  IrValue *step;
  if (k >= 0) {
    step = st->step == 0 ? L->lc->value[k] : L->lc->state[k];
    if (!step)
      DIE("'%s' read before its value in the loop", sym->full);
  } else {
    IrValue *seq = lower_expr(L, e->lhs);
    step = ir_unary(L->p, IR_STEP_IN, type_drop_first(&seq->ty), seq);
    step->ty.elem = seq->ty.elem;
  }
  return slice_rest(L, e, step, 1);
}

/* One step of a sequence: step `at` counting from 0, or, when from_end,
 * from each sequence's own end (-1 is its last step). */
typedef struct StepRef {
  int64_t at;
  bool from_end;
} StepRef;

static IrValue *step_of(Lower *L, IrValue *seq, StepRef r);

/* A sequence whose step is the steps of its arguments: features joined,
 * or steps reversed. */
static bool step_passes_through(const IrValue *seq) {
  return (seq->op == IR_CONCAT && seq->axis >= 1) || seq->op == IR_REVERSE;
}

/* concat(a, b)[t] is concat(a[t], b[t]). */
static IrValue *step_of_concat(Lower *L, IrValue *seq, StepRef r) {
  IrValue **parts = arena_array(IrValue *, seq->nargs);
  for (int i = 0; i < seq->nargs; i++)
    parts[i] = step_of(L, seq->args[i], r);
  IrValue *v = ir_add(L->p, IR_CONCAT, type_drop_first(&seq->ty),
                      seq->nargs, parts);
  v->ty.elem = seq->ty.elem;
  v->axis = seq->axis - 1;
  return v;
}

/* Whether reverse(x)[r] is one step of x.  Reversed within each
 * sequence's own steps, step t from the start is step -(t+1) from the
 * end, and back, but only the first and the last step exist in every
 * sequence: past its length the reverse holds zeros where a pick would
 * clamp. */
static bool reverse_maps_step(const IrValue *seq, StepRef r) {
  if (!seq->masked)
    return !r.from_end;
  return r.from_end ? r.at == -1 : r.at == 0;
}

/* reverse(x)[t] is x[T-1-t]. */
static IrValue *step_of_reverse(Lower *L, IrValue *seq, StepRef r) {
  StepRef mirror = {-r.at - 1, r.from_end};
  if (seq->masked)
    mirror.from_end = !r.from_end;
  else
    mirror.at = seq->ty.dims[0] - 1 - r.at;
  return step_of(L, seq->args[0], mirror);
}

/* The step r of seq.  Through concat and reverse, only the step itself is
 * read: a bidirectional layer read at its last step needs neither its
 * whole joined sequence nor the reversed one, in either pass. */
static IrValue *step_of(Lower *L, IrValue *seq, StepRef r) {
  if (seq->op == IR_CONCAT && seq->axis >= 1)
    return step_of_concat(L, seq, r);
  if (seq->op == IR_REVERSE && reverse_maps_step(seq, r))
    return step_of_reverse(L, seq, r);
  IrValue *v;
  if (r.from_end) {
    v = ir_binary(L->p, IR_PICK, type_drop_first(&seq->ty), seq, lengths(L));
  } else {
    v = ir_unary(L->p, IR_SLICE, type_drop_first(&seq->ty), seq);
    v->nslice = 1;
    v->drop[0] = true;
  }
  v->ty.elem = seq->ty.elem;
  v->lo[0] = r.at;
  v->hi[0] = r.from_end ? 0 : r.at;
  return v;
}

static IrValue *lower_index(Lower *L, const Node *e) {
  if (e->list.n > 0 && e->list.v[0]->kind == ND_STEP)
    return lower_step(L, e);
  IrValue *base = lower_expr(L, e->lhs);
  const Node *first = e->list.v[0];
  if (first->kind != ND_NUM)
    return slice_rest(L, e, base, 0);
  /* h[-1]: from each sequence's own end */
  StepRef r = {(int64_t)first->num, base->ty.varlen && first->num < 0};
  if (r.from_end || step_passes_through(base))
    return slice_rest(L, e, step_of(L, base, r), 1);
  return slice_rest(L, e, base, 0);
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
  IrValue *per;
  if (pred->ty.varlen || target->ty.varlen) {   /* padding adds nothing */
    IrValue *args[3] = {pred, target, lengths(L)};
    per = ir_add(L->p, loss_op(e, target), type_scalar(), 3, args);
    per->masked = true;
  } else {
    per = ir_binary(L->p, loss_op(e, target), type_scalar(), pred, target);
  }
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
  bool varlen = false;
  for (int i = 0; i < n; i++) {
    args[i] = lower_expr(L, e->list.v[i]);
    varlen |= args[i]->ty.varlen;
  }
  if (varlen && fn->kind == BK_REVERSE) {    /* each one's own steps */
    IrValue *v = ir_binary(L->p, IR_REVERSE, float_type(e->ty), args[0],
                           lengths(L));
    v->masked = true;
    return v;
  }
  if (varlen && fn->kind != BK_UNARY && fn->kind != BK_SOFTMAX &&
      fn->kind != BK_CONCAT)
    return unsupported(L, e, arena_printf("%s of a sequence of varying "
                                          "length", fn->name));
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

/* The sequences (of this body's step equations) that e reads by step. */
static void step_reads(const Node *e, const Node **eqs, int n, bool *reads) {
  if (!e)
    return;
  if (e->kind == ND_INDEX && e->list.n && e->list.v[0]->kind == ND_STEP &&
      e->lhs->kind == ND_NAME)
    for (int j = 0; j < n; j++)
      if (eqs[j]->sym == e->lhs->sym)
        reads[j] = true;
  if (e->inst)
    for (int i = 0; i < e->inst->args.n; i++)
      step_reads(e->inst->args.v[i]->lhs, eqs, n, reads);
  step_reads(e->lhs, eqs, n, reads);
  step_reads(e->rhs, eqs, n, reads);
  for (int i = 0; i < e->list.n; i++)
    step_reads(e->list.v[i], eqs, n, reads);
}

/* One loop: the members' initial states before it, their equations in
 * its body, their sequences after it. */
static void lower_loop(Lower *L, const Node **members, int n) {
  IrProgram *p = L->p;
  const Type *seq = &members[0]->sym->ty;
  if (L->lc) {
    unsupported(L, members[0], "a recurrence inside another one");
    return;
  }
  IrValue **init = arena_array(IrValue *, n);
  for (int k = 0; k < n; k++)
    if (members[k]->rhs)
      init[k] = lower_expr(L, members[k]->rhs);
  LoopCtx lc = {ir_loop_new(p, seq->dims[0]), members, n,
                arena_array(IrValue *, n), arena_array(IrValue *, n)};
  if (seq->varlen)
    lc.loop->length = lengths(L);
  L->lc = &lc;
  p->cur = lc.loop;
  for (int k = 0; k < n; k++)
    if (members[k]->rhs) {
      lc.state[k] = ir_add(p, IR_STATE, members[k]->sym->step, 0, NULL);
      lc.state[k]->name = members[k]->sym->full;
    }
  for (int k = 0; k < n; k++)
    lc.value[k] = lower_expr(L, members[k]->lhs);
  p->cur = NULL;
  L->lc = NULL;
  int ninit = 0;
  IrValue **args = arena_array(IrValue *, n);
  for (int k = 0; k < n; k++)
    if (lc.state[k]) {
      lc.state[k]->index = ir_loop_state(lc.loop, lc.state[k], init[k],
                                         lc.value[k]);
      args[ninit++] = init[k];
    }
  IrValue *lv = ir_add(p, IR_LOOP, type_scalar(), ninit, args);
  lv->loop = lc.loop;
  for (int k = 0; k < n; k++) {
    int o = ir_loop_out(lc.loop, lc.value[k], OUT_STACK);
    IrValue *out = ir_unary(p, IR_LOOP_OUT, members[k]->sym->ty, lv);
    out->ty.elem = EL_FLOAT;
    out->index = o;
    out->loop = lc.loop;
    out->batched = lc.value[k]->batched;
    lc.loop->out[o] = out;
    bind(L, members[k]->sym, out);
  }
}

/* Step equations that read each other's steps (h[t-1], or c[t] read by
 * h[t]) run in one loop: the strongly connected groups of "reads", each
 * lowered where its last equation is written. */
static void lower_body(Lower *L, const NodeList *body) {
  const Node **eqs = arena_array(const Node *, body->n + 1);
  int n = 0;
  for (int i = 0; i < body->n; i++)
    if (body->v[i]->kind == ND_EQ && body->v[i]->var)
      eqs[n++] = body->v[i];
  bool *reach = arena_array(bool, n * n + 1);
  for (int i = 0; i < n; i++) {
    step_reads(eqs[i]->lhs, eqs, n, reach + i * n);
    reach[i * n + i] = true;
  }
  for (int k = 0; k < n; k++)
    for (int i = 0; i < n; i++)
      for (int j = 0; reach[i * n + k] && j < n; j++)
        reach[i * n + j] |= reach[k * n + j];
  int at = 0;
  for (int i = 0; i < body->n && !L->failed; i++) {
    const Node *st = body->v[i];
    if (st->kind != ND_EQ)
      continue;
    if (!st->var) {
      bind(L, st->sym, lower_expr(L, st->lhs));
      continue;
    }
    int me = at++;
    bool last = true;
    for (int j = me + 1; j < n; j++)
      last &= !(reach[me * n + j] && reach[j * n + me]);
    if (!last)
      continue;
    const Node **group = arena_array(const Node *, n);
    int g = 0;
    for (int j = 0; j <= me; j++)
      if (reach[me * n + j] && reach[j * n + me])
        group[g++] = eqs[j];
    lower_loop(L, group, g);
  }
}

/* ---- what the descriptor needs of the model: inits, the train block -- */

static NetrtInit init_kind(const char *name) {
  static const struct { const char *name; NetrtInit k; } kinds[] = {
    {"zeros", NETRT_INIT_ZEROS}, {"ones", NETRT_INIT_ONES},
    {"constant", NETRT_INIT_CONSTANT}, {"uniform", NETRT_INIT_UNIFORM},
    {"normal", NETRT_INIT_NORMAL},
    {"xavier_uniform", NETRT_INIT_XAVIER_UNIFORM},
    {"xavier_normal", NETRT_INIT_XAVIER_NORMAL},
    {"kaiming_uniform", NETRT_INIT_KAIMING_UNIFORM},
    {"kaiming_normal", NETRT_INIT_KAIMING_NORMAL},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].name, name) == 0)
      return kinds[i].k;
  DIE("no initializer kind for '%s'", name);
}

/* An initializer's numbers are its first two options, in order. */
static IrInit lower_init(const CallValue *cv) {
  IrInit init = {NETRT_INIT_ZEROS, 0, 0};
  if (!cv)
    return init;
  const OptSpec *o = cv->spec->opts;
  init.kind = init_kind(cv->spec->name);
  init.a = o[0].name ? cv->vals[0].num : 0;
  init.b = o[0].name && o[1].name ? cv->vals[1].num : 0;
  return init;
}

static IrTensor *tensors(const SymList *l) {
  IrTensor *t = arena_array(IrTensor, l->n + 1);
  for (int i = 0; i < l->n; i++)
    t[i] = (IrTensor){l->v[i]->full, l->v[i]->ty, lower_init(l->v[i]->init)};
  return t;
}

static NetrtOptimizer optimizer_kind(const char *name) {
  for (NetrtOptimizer o = NETRT_SGD; o <= NETRT_ADAMW; o++)
    if (strcmp(ir_optimizer_name(o), name) == 0)
      return o;
  DIE("optimizer '%s' is not one of netrt.h's", name);
}

static int hyper_index(const char *name) {
  int k = ir_hyper_find(name);
  if (k < 0)
    DIE("optimizer option '%s' is not in netrt.h's NETRT_HYPERPARAMETERS",
        name);
  return k;
}

/* An optimizer's option sets the hyperparameter of its name; a pair
 * sets two, named without the plural's s and numbered (betas: beta1 and
 * beta2).  An option the list lacks is our bug. */
static void set_hyper(double *hyper, const char *name, const Value *v) {
  if (v->kind == VAL_PAIR) {
    int stem = (int)strlen(name) - 1;
    hyper[hyper_index(arena_printf("%.*s1", stem, name))] = v->lo;
    hyper[hyper_index(arena_printf("%.*s2", stem, name))] = v->hi;
  } else {
    hyper[hyper_index(name)] = v->kind == VAL_NUM ? v->num : 0;
  }
}

static void lower_clip(IrTrain *t, const CallValue *clip) {
  t->clip = IR_CLIP_NONE;
  if (!clip)
    return;
  bool norm = strcmp(clip->spec->name, "norm") == 0;
  t->clip = norm ? IR_CLIP_NORM : IR_CLIP_VALUE;
  t->hyper[norm ? HY_CLIP_NORM : HY_CLIP_VALUE] =
      call_value(clip, "max")->num;
}

/* The data source's options as "key=value" lines. */
static const char *data_options(const CallValue *cv) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out)
    DIE("open_memstream failed");
  for (int i = 0; cv && i < cv->nvals; i++) {
    const Value *v = &cv->vals[i];
    fprintf(out, "%s=", cv->spec->opts[i].name);
    if (v->kind == VAL_STR || v->kind == VAL_WORD)
      for (const char *s = v->str; *s; s++)   /* one line per option */
        fputs(*s == '\n' ? "\\n" : *s == '\\' ? "\\\\" : (char[2]){*s, 0},
              out);
    else if (v->kind == VAL_RANGE)
      fprintf(out, "%.0f..%.0f", v->lo, v->hi);
    else
      fputs(shortest_num(v->num), out);
    fputc('\n', out);
  }
  fclose(out);
  char *s = arena_strdup(buf ? buf : "");
  free(buf);
  return s;
}

static int64_t train_int(const CallValue *train, const char *name) {
  return (int64_t)call_value(train, name)->num;
}

static void lower_train(IrTrain *t, const Model *m) {
  const CallValue *o = m->optimizer;
  t->optimizer = optimizer_kind(o->spec->name);
  for (int i = 0; i < o->nvals; i++)
    set_hyper(t->hyper, o->spec->opts[i].name, &o->vals[i]);
  lower_clip(t, m->clip);
  t->l2 = call_value(m->train, "l2")->num;
  t->batch = train_int(m->train, "batch");
  t->epochs = train_int(m->train, "epochs");
  t->seed = train_int(m->train, "seed");
  t->shuffle = train_int(m->train, "shuffle") != 0;
  t->validation = train_int(m->train, "validation");
  t->data = m->data ? m->data->spec->name : NULL;
  t->data_options = data_options(m->data);
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
  double l2 = L->p->train.l2;
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
  bool *memo = arena_array(bool, p->nids + 1);
  bool *seen = arena_array(bool, p->nids + 1);
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

/* Values that neither the loss nor the output reads are dropped (a
 * sequence that was only read at one step, through step_of).  Loops and
 * the model's leaves stay. */
static void drop_dead(IrProgram *p) {
  bool *live = arena_array(bool, p->nids + 1);
  ir_mark_reads(p->loss, live);
  if (p->output)
    ir_mark_reads(p->output, live);
  int n = 0;
  for (int i = 0; i < p->n; i++) {
    IrValue *v = p->v[i];
    if (live[v->id] || v->op == IR_PARAM || v->op == IR_INPUT ||
        v->op == IR_TARGET || v->op == IR_LOOP || v->op == IR_LOOP_OUT)
      p->v[n++] = v;
  }
  p->n = n;
}

/* For every loop output: the last step anything reads (single-step
 * slices), or whole when something reads more. */
static void note_step_reads(const IrValue *v, int64_t *last, bool *whole) {
  for (int i = 0; i < v->nargs; i++) {
    const IrValue *a = v->args[i];
    if (a->op != IR_LOOP_OUT)
      continue;
    if (v->op == IR_SLICE && v->drop[0]) {
      if (v->lo[0] > last[a->id])
        last[a->id] = v->lo[0];
    } else {
      whole[a->id] = true;
    }
  }
}

static bool reads_param(const IrValue *v, bool *seen) {
  if (v->op == IR_PARAM)
    return true;
  if (seen[v->id])
    return false;
  seen[v->id] = true;
  for (int i = 0; i < v->nargs; i++)
    if (reads_param(v->args[i], seen))
      return true;
  return v->op == IR_LOOP_OUT;       /* a loop's output: assume it does */
}

/* How many steps of loop l anything reads, or its steps when that is
 * not known. */
static int64_t steps_read(const IrProgram *p, const IrLoop *l,
                          const int64_t *last, const bool *whole) {
  if (l->length || l->backward)
    return l->steps;
  int64_t read = 0;
  for (int i = 0; i < p->n; i++) {
    const IrValue *o = p->v[i];
    if (o->op != IR_LOOP_OUT || o->loop != l)
      continue;
    if (whole[o->id] || l->out_kind[o->index] != OUT_STACK)
      return l->steps;
    if (last[o->id] + 1 > read)
      read = last[o->id] + 1;
  }
  return read > 0 ? read : l->steps;
}

/* A loop whose outputs are read only up to step k runs k + 1 steps: the
 * later ones change nothing the model reads.  A bidirectional layer read
 * at its last step reads its backward direction at that direction's
 * first step, one step of 28 on MNIST.  Only loops whose sequences read
 * by step need no gradient: a shorter loop gives a gradient to fewer
 * steps of them. */
static void truncate_loops(IrProgram *p) {
  int64_t *last = arena_array(int64_t, p->nids + 1);
  bool *whole = arena_array(bool, p->nids + 1);
  for (int i = 0; i <= p->nids; i++)
    last[i] = -1;
  for (int i = 0; i < p->n; i++) {
    const IrValue *v = p->v[i];
    note_step_reads(v, last, whole);
    for (int j = 0; v->op == IR_LOOP && j < v->loop->body.n; j++)
      note_step_reads(v->loop->body.v[j], last, whole);
  }
  whole[p->loss->id] = true;
  if (p->output)
    whole[p->output->id] = true;
  for (int i = 0; i < p->n; i++) {
    IrValue *v = p->v[i];
    if (v->op != IR_LOOP)
      continue;
    IrLoop *l = v->loop;
    int64_t read = steps_read(p, l, last, whole);
    bool *seen = arena_array(bool, p->nids + 1);
    for (int j = 0; read < l->steps && j < l->body.n; j++)
      if (l->body.v[j]->op == IR_STEP_IN &&
          reads_param(l->body.v[j]->args[0], seen))
        read = l->steps;
    if (read >= l->steps)
      continue;
    l->steps = read;
    for (int j = 0; j < p->n; j++)
      if (p->v[j]->op == IR_LOOP_OUT && p->v[j]->loop == l)
        p->v[j]->ty.dims[0] = read;
  }
}

IrProgram *lower_model(const Model *m) {
  Lower L = {0};
  L.m = m;
  L.p = arena_new(IrProgram);
  IrProgram *p = L.p;
  p->name = m->name;
  lower_train(&p->train, m);
  p->min_steps = m->min_steps > 1 ? m->min_steps : 1;
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
  drop_dead(p);
  truncate_loops(p);
  p->nforward = p->n;
  return L.failed ? NULL : p;
}
