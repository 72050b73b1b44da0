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

static void push(IrProgram *p, IrValue *v) {
  if (p->n == p->cap) {
    int cap = p->cap ? 2 * p->cap : 64;
    IrValue **grown = arena_array(IrValue *, cap);
    if (p->n)
      memcpy(grown, p->v, sizeof(IrValue *) * (size_t)p->n);
    p->v = grown;
    p->cap = cap;
  }
  v->id = p->n;
  p->v[p->n++] = v;
}

/* A value differs per example when any argument does; the batch
 * reductions and the leaves say for themselves. */
IrValue *ir_add(IrProgram *p, IrOp op, Type ty, int nargs, IrValue **args) {
  if (ir_op_nargs[op] >= 0 && ir_op_nargs[op] != nargs)
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
  if (op == IR_UNBATCH || op == IR_INPUT || op == IR_TARGET)
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
  default: break;
  }
  if (v->mean && (v->op == IR_UNBATCH || v->op == IR_LOSS_GRAD ||
                  (v->op >= IR_XENT && v->op <= IR_BCE_LOGITS)))
    fputs(" mean", out);
}

void ir_dump(FILE *out, const IrProgram *p) {
  fprintf(out, "program %s: %d parameters, %d inputs, %d targets\n",
          p->model ? p->model->name : "?", p->nparams, p->ninputs,
          p->ntargets);
  for (int i = 0; i < p->n; i++) {
    const IrValue *v = p->v[i];
    if (i == p->nforward && p->grads)
      fputs("backward:\n", out);
    fprintf(out, "  %%%d = %s", v->id, ir_op_name[v->op]);
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
  if (p->output)
    fprintf(out, "output %%%d\n", p->output->id);
  if (p->loss)
    fprintf(out, "loss %%%d\n", p->loss->id);
  for (int i = 0; p->grads && i < p->nparams; i++)
    fprintf(out, "grad %s %%%d\n", p->params[i].name, p->grads[i]->id);
}
