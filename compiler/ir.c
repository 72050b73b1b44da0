/* compiler/ir.c — building and printing the tensor IR. */
#include <config.h>

#include "ir.h"

#include <string.h>

#include "arena.h"

const char *const ir_op_name[IR_NOPS] = {
#define OP(name, nargs, str) str,
#include "ir_ops.h"
#undef OP
};

const int ir_op_nargs[IR_NOPS] = {
#define OP(name, nargs, str) nargs,
#include "ir_ops.h"
#undef OP
};

const char *const ir_hyper_name[HY_COUNT] = {
#define HYPER_NAME(ID, field, ...) #field,
  NETRT_HYPERPARAMETERS(HYPER_NAME)
#undef HYPER_NAME
};

const unsigned ir_hyper_used_by[HY_COUNT] = {
#define HYPER_USED_BY(ID, field, option, kind, used_by, help) used_by,
  NETRT_HYPERPARAMETERS(HYPER_USED_BY)
#undef HYPER_USED_BY
};

int ir_hyper_find(const char *name) {
  for (int k = 0; k < HY_COUNT; k++)
    if (strcmp(ir_hyper_name[k], name) == 0)
      return k;
  return -1;
}

/* The model file's names of netrt.h's optimizers. */
const char *ir_optimizer_name(NetrtOptimizer o) {
  switch (o) {
  case NETRT_SGD: return "sgd";
  case NETRT_ADAGRAD: return "adagrad";
  case NETRT_RMSPROP: return "rmsprop";
  case NETRT_ADAM: return "adam";
  case NETRT_ADAMW: return "adamw";
  }
  return NULL;
}

Type ir_storage(Type t) {
  if (t.elem == EL_CLASS && t.ndim > 0)
    t.ndim--;
  return t;
}

int64_t ir_count(const Type *t) {
  Type s = ir_storage(*t);
  return type_numel(&s);
}

bool ir_per_class(IrOp op) {
  return op == IR_XENT || op == IR_XENT_SOFT || op == IR_NLL;
}

int64_t ir_positions(IrOp op, const Type *pred) {
  int64_t n = type_numel(pred);
  return ir_per_class(op) ? n / pred->dims[pred->ndim - 1] : n;
}

static void block_push(IrValue ***v, int *n, int *cap, IrValue *x) {
  if (*n == *cap) {
    int grown_cap = *cap ? 2 * *cap : 64;
    IrValue **grown = arena_array(IrValue *, grown_cap);
    if (*n)
      memcpy(grown, *v, sizeof(IrValue *) * (size_t)*n);
    *v = grown;
    *cap = grown_cap;
  }
  (*v)[(*n)++] = x;
}

/* A value of a loop's body that reads nothing of the body is the same at
 * every step: it goes before the loop instead (a transpose of a weight,
 * a constant). */
static bool invariant(const IrProgram *p, const IrValue *v) {
  if (v->op == IR_STATE || v->op == IR_STEP_IN || v->op == IR_LOOP ||
      v->op == IR_LOOP_OUT || v->op == IR_MASK)
    return false;
  for (int a = 0; a < v->nargs; a++)
    if (v->args[a]->loop == p->cur && v->args[a]->op != IR_LOOP_OUT)
      return false;
  return true;
}

static void push(IrProgram *p, IrValue *v) {
  v->id = p->nids++;
  if (p->cur && !invariant(p, v)) {
    v->loop = p->cur;
    block_push(&p->cur->body.v, &p->cur->body.n, &p->cur->body.cap, v);
  } else {
    block_push(&p->v, &p->n, &p->cap, v);
  }
}

/* A value differs per example when any argument does; the batch
 * reductions and the leaves say for themselves. */
IrValue *ir_add(IrProgram *p, IrOp op, Type ty, int nargs, IrValue **args) {
  bool variadic = ir_op_nargs[op] < 0 || ((op >= IR_XENT &&
      op <= IR_BCE_LOGITS) || op == IR_LOSS_GRAD || op == IR_REVERSE);
  if (!variadic && ir_op_nargs[op] != nargs)
    DIE("%s takes %d arguments, got %d", ir_op_name[op], ir_op_nargs[op],
        nargs);
  IrValue *v = arena_new(IrValue);
  v->op = op;
  v->ty = ty;
  v->nargs = nargs;
  v->args = arena_array(IrValue *, nargs + 1);
  for (int i = 0; i < nargs; i++) {
    v->args[i] = args[i];
    v->batched |= args[i]->batched;
  }
  if (op == IR_BATCH_SUM || op == IR_BATCH_MEAN)
    v->batched = false;
  if (op == IR_UNBATCH || op == IR_INPUT || op == IR_TARGET ||
      op == IR_STATE || op == IR_LENGTH)
    v->batched = true;
  push(p, v);
  return v;
}

IrValue *ir_unary(IrProgram *p, IrOp op, Type ty, IrValue *a) {
  return ir_add(p, op, ty, 1, &a);
}

IrValue *ir_binary(IrProgram *p, IrOp op, Type ty, IrValue *a, IrValue *b) {
  IrValue *args[2] = {a, b};
  return ir_add(p, op, ty, 2, args);
}

IrLoop *ir_loop_new(IrProgram *p, int64_t steps) {
  IrLoop *l = arena_new(IrLoop);
  l->id = p->nloops++;
  l->steps = steps;
  return l;
}

static void grow(void ***v, int n) {
  if ((n & (n - 1)) != 0 && n != 0)
    return;                        /* capacity doubles at powers of two */
  void **grown = arena_array(void *, n ? 2 * n : 4);
  if (n)
    memcpy(grown, *v, sizeof(void *) * (size_t)n);
  *v = grown;
}

int ir_loop_state(IrLoop *l, IrValue *in, IrValue *init, IrValue *next) {
  grow((void ***)&l->state_in, l->nstates);
  grow((void ***)&l->state_init, l->nstates);
  grow((void ***)&l->state_next, l->nstates);
  l->state_in[l->nstates] = in;
  l->state_init[l->nstates] = init;
  l->state_next[l->nstates] = next;
  return l->nstates++;
}

int ir_loop_out(IrLoop *l, IrValue *step, IrOutKind kind) {
  grow((void ***)&l->out_step, l->nouts);
  grow((void ***)&l->out, l->nouts);
  if ((l->nouts & (l->nouts - 1)) == 0) {
    IrOutKind *k = arena_array(IrOutKind, l->nouts ? 2 * l->nouts : 4);
    if (l->nouts)
      memcpy(k, l->out_kind, sizeof(IrOutKind) * (size_t)l->nouts);
    l->out_kind = k;
  }
  l->out_step[l->nouts] = step;
  l->out[l->nouts] = NULL;
  l->out_kind[l->nouts] = kind;
  return l->nouts++;
}

IrValue *ir_const(IrProgram *p, double v) {
  IrValue *c = ir_add(p, IR_CONST, type_scalar(), 0, NULL);
  c->num = v;
  return c;
}

static void dump_attrs(FILE *out, const IrProgram *p, const IrValue *v) {
  switch (v->op) {
  case IR_CONST: fprintf(out, " %s", shortest_num(v->num)); break;
  case IR_PARAM: fprintf(out, " %s", p->params[v->index].name); break;
  case IR_INPUT: fprintf(out, " %s", p->inputs[v->index].name); break;
  case IR_TARGET: fprintf(out, " %s", p->targets[v->index].name); break;
  case IR_CONCAT: fprintf(out, " axis=%d", v->axis); break;
  case IR_SLICE:
  case IR_UNSLICE:
    fputs(" [", out);
    for (int d = 0; d < v->nslice; d++) {
      if (v->drop[d])
        fprintf(out, "%s%lld", d ? ", " : "", (long long)v->lo[d]);
      else
        fprintf(out, "%s%lld..%lld", d ? ", " : "", (long long)v->lo[d],
                (long long)v->hi[d]);
    }
    fputc(']', out);
    break;
  case IR_LOSS_GRAD: fprintf(out, " of=%s", ir_op_name[v->of]); break;
  case IR_LOOP_OUT: fprintf(out, " L%d.%d", v->loop->id, v->index); break;
  case IR_STATE: fprintf(out, " %d", v->index); break;
  case IR_PICK: fprintf(out, " [%lld]", (long long)v->lo[0]); break;
  default: break;
  }
  if (v->mean && (v->op == IR_UNBATCH || v->op == IR_LOSS_GRAD ||
                  (v->op >= IR_XENT && v->op <= IR_BCE_LOGITS)))
    fputs(" mean", out);
  if (v->masked)
    fputs(" masked", out);
}

static void dump_value(FILE *out, const IrProgram *p, const IrValue *v,
                       int indent);

static void dump_loop(FILE *out, const IrProgram *p, const IrValue *lv,
                      int indent) {
  static const char *kinds[] = {"stack", "sum", "last"};
  const IrLoop *l = lv->loop;
  fprintf(out, "%*s%%%d = loop L%d: %s%lld step%s%s", indent, "", lv->id,
          l->id, l->length ? "up to " : "", (long long)l->steps,
          l->steps == 1 ? "" : "s", l->backward ? ", backward" : "");
  if (l->length)
    fprintf(out, " of %%%d", l->length->id);
  if (l->primal)
    fprintf(out, " over L%d", l->primal->id);
  fputc('\n', out);
  for (int k = 0; k < l->nstates; k++)
    fprintf(out, "%*s  state %d: %%%d from %%%d, next %%%d\n", indent, "", k,
            l->state_in[k]->id, l->state_init[k]->id, l->state_next[k]->id);
  for (int i = 0; i < l->body.n; i++)
    dump_value(out, p, l->body.v[i], indent + 4);
  for (int k = 0; k < l->nouts; k++)
    fprintf(out, "%*s  out %d: %s %%%d\n", indent, "", k,
            kinds[l->out_kind[k]], l->out_step[k]->id);
}

static void dump_value(FILE *out, const IrProgram *p, const IrValue *v,
                       int indent) {
  if (v->op == IR_LOOP) {
    dump_loop(out, p, v, indent);
    return;
  }
  fprintf(out, "%*s%%%d = %s", indent, "", v->id, ir_op_name[v->op]);
  for (int a = 0; a < v->nargs; a++)
    fprintf(out, "%s%%%d", a ? ", " : " ", v->args[a]->id);
  dump_attrs(out, p, v);
  fprintf(out, " : %s%s", type_str(&v->ty), v->batched ? " per example" :
          "");
  if (v->name && v->op != IR_PARAM && v->op != IR_INPUT &&
      v->op != IR_TARGET)
    fprintf(out, "   # %s", v->name);
  fputc('\n', out);
}

/* "train adam", the optimizer's hyperparameters in netrt.h's order, then
 * clipping, the penalty, the run's settings and the data source. */
static void dump_train(FILE *out, const IrTrain *t) {
  static const char *clips[] = {"none", "norm", "value"};
  fprintf(out, "train %s\n  ", ir_optimizer_name(t->optimizer));
  const char *sep = "";
  for (int k = 0; k < HY_COUNT; k++) {
    if (!(ir_hyper_used_by[k] & (1u << t->optimizer)))
      continue;
    fprintf(out, "%s%s %s", sep, ir_hyper_name[k],
            shortest_num(t->hyper[k]));
    sep = ", ";
  }
  fprintf(out, "\n  clip %s", clips[t->clip]);
  if (t->clip != IR_CLIP_NONE)
    fprintf(out, " %s", shortest_num(t->hyper[t->clip == IR_CLIP_NORM
                                              ? HY_CLIP_NORM
                                              : HY_CLIP_VALUE]));
  fprintf(out, "\n  l2 %s\n", shortest_num(t->l2));
  fprintf(out, "  batch %lld, epochs %lld, seed %lld, shuffle %d, "
          "validation %lld\n", (long long)t->batch, (long long)t->epochs,
          (long long)t->seed, t->shuffle, (long long)t->validation);
  fprintf(out, "  data %s", t->data ? t->data : "none");
  for (const char *o = t->data_options; o && *o;) {
    size_t len = strcspn(o, "\n");
    fprintf(out, " %.*s", (int)len, o);
    o += len + (o[len] == '\n');
  }
  fputc('\n', out);
}

void ir_dump(FILE *out, const IrProgram *p) {
  fprintf(out, "program %s: %d parameters, %d inputs, %d targets",
          p->name ? p->name : "?", p->nparams, p->ninputs, p->ntargets);
  if (p->min_steps > 1)
    fprintf(out, ", examples of at least %lld steps",
            (long long)p->min_steps);
  fputc('\n', out);
  for (int i = 0; i < p->n; i++) {
    if (i == p->nforward && p->grads)
      fputs("backward:\n", out);
    dump_value(out, p, p->v[i], 2);
  }
  if (p->output)
    fprintf(out, "output %%%d\n", p->output->id);
  if (p->loss)
    fprintf(out, "loss %%%d\n", p->loss->id);
  for (int i = 0; p->grads && i < p->nparams; i++)
    fprintf(out, "grad %s %%%d\n", p->params[i].name, p->grads[i]->id);
  dump_train(out, &p->train);
}

/* Marks v and what it reads, through loops: a loop's body reads values
 * computed before the loop, and a loop of varying length the lengths. */
void ir_mark_reads(const IrValue *v, bool *marked) {
  if (marked[v->id])
    return;
  marked[v->id] = true;
  for (int a = 0; a < v->nargs; a++)
    ir_mark_reads(v->args[a], marked);
  if (v->op != IR_LOOP)
    return;
  const IrLoop *l = v->loop;
  if (l->length)                 /* where each example's steps end */
    ir_mark_reads(l->length, marked);
  for (int k = 0; k < l->nstates; k++)
    ir_mark_reads(l->state_init[k], marked);
  for (int i = 0; i < l->body.n; i++)
    for (int a = 0; a < l->body.v[i]->nargs; a++)
      if (l->body.v[i]->args[a]->loop != l)
        ir_mark_reads(l->body.v[i]->args[a], marked);
}
