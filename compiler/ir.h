/* compiler/ir.h — the tensor IR: one straight-line program per model.
 *
 * Every value is a tensor of one example (the batch is implicit): `ty`
 * is its shape per example, and `batched` says whether it differs from
 * one example to the next (inputs, and whatever they reach) or is one
 * tensor for the whole batch (parameters, constants, batch reductions).
 * Values appear in evaluation order; each names its arguments.
 *
 * lower.c builds the forward program from the checked Model, grad.c
 * appends the backward pass, interp.c evaluates it (the reference path),
 * and code generation compiles it.
 */
#ifndef NETC_IR_H
#define NETC_IR_H

#include <stdio.h>

#include "model.h"

typedef enum IrOp {
#define OP(name, nargs, str) IR_##name,
#include "ir_ops.h"
#undef OP
  IR_NOPS
} IrOp;

typedef struct IrValue IrValue;

struct IrValue {
  int id;
  IrOp op;
  Type ty;               /* per example */
  bool batched;          /* differs between the examples of a batch */
  IrValue **args;
  int nargs;
  double num;            /* CONST */
  int index;             /* PARAM, INPUT, TARGET */
  int axis;              /* CONCAT */
  int nslice;            /* SLICE, UNSLICE: the leading dims indexed */
  int64_t lo[MAX_DIMS];  /* SLICE: first index of each sliced dim */
  int64_t hi[MAX_DIMS];  /* last index, inclusive */
  bool drop[MAX_DIMS];   /* an integer index: the dim goes away */
  Type from;             /* UNSLICE: the shape of SLICE's argument */
  bool mean;             /* losses: mean over positions; UNBATCH: / B */
  IrOp of;               /* LOSS_GRAD: the loss; index 1: with respect
                            to the target instead of the prediction */
  const char *name;      /* what the value is in the model, for dumps */
};

typedef struct IrTensor {
  const char *name;
  Type ty;
  const CallValue *init;   /* parameters */
} IrTensor;

typedef struct IrProgram {
  const Model *model;
  IrValue **v;           /* in evaluation order */
  int n, cap;
  IrTensor *params, *inputs, *targets;
  int nparams, ninputs, ntargets;
  IrValue *output;       /* the prediction: the loss's first argument */
  IrValue *loss;         /* a scalar for the batch */
  int nforward;          /* values of the forward pass */
  IrValue **grads;       /* per parameter, after ir_grad() */
} IrProgram;

extern const char *const ir_op_name[IR_NOPS];
extern const int ir_op_nargs[IR_NOPS];

IrValue *ir_add(IrProgram *p, IrOp op, Type ty, int nargs, IrValue **args);
IrValue *ir_unary(IrProgram *p, IrOp op, Type ty, IrValue *a);
IrValue *ir_binary(IrProgram *p, IrOp op, Type ty, IrValue *a, IrValue *b);
IrValue *ir_const(IrProgram *p, double v);
void ir_dump(FILE *out, const IrProgram *p);

/* lower.c: NULL after reporting what cannot be compiled yet. */
IrProgram *lower_model(const Model *m);
/* grad.c: appends d loss / d parameter for every parameter. */
void ir_grad(IrProgram *p);

#endif
