/* compiler/ir.h — the tensor IR: one straight-line program per model.
 *
 * Every value is a tensor of one example (the batch is implicit): `ty`
 * is its shape per example, and `batched` says whether it differs from
 * one example to the next (inputs, and whatever they reach) or is one
 * tensor for the whole batch (parameters, constants, batch reductions).
 * Values appear in evaluation order; each names its arguments.
 *
 * lower.c builds the forward program from the checked Model, with what
 * the descriptor needs of the model (its name, its parameters'
 * initializers, its train block as an IrTrain), so that nothing after it
 * reads the Model; grad.c appends the backward pass, interp.c evaluates
 * it (the reference path), and code generation compiles it.
 */
#ifndef NETC_IR_H
#define NETC_IR_H

#include <stdio.h>

#include "model.h"
#include "netrt.h"

/* The hyperparameters, by their index in netrt.h's list
 * (NETRT_HYPERPARAMETERS): NetrtHyper read as HY_COUNT doubles. */
typedef enum IrHyper {
#define IR_HYPER(ID, ...) HY_##ID = NETRT_HY_##ID,
  NETRT_HYPERPARAMETERS(IR_HYPER)
#undef IR_HYPER
  HY_COUNT = NETRT_HYPER_COUNT
} IrHyper;

typedef enum IrOp {
#define OP(name, nargs, str) IR_##name,
#include "ir_ops.h"
#undef OP
  IR_NOPS
} IrOp;

typedef struct IrValue IrValue;
typedef struct IrLoop IrLoop;

/* Values in order of evaluation. */
typedef struct IrBlock {
  IrValue **v;
  int n, cap;
} IrBlock;

typedef enum IrOutKind {
  OUT_STACK,   /* the body value at every step: a sequence [T, ...] */
  OUT_SUM,     /* the body value summed over the steps */
  OUT_LAST,    /* the body value at the last step run */
} IrOutKind;

/* A loop over the steps of sequences: `body` runs once per step, t from
 * 0 to steps-1 (or back from steps-1 when `backward`).  A STATE value
 * reads state k at the step before: state_init at the first step, else
 * state_next of the step before.  Each body value keeps its value at
 * every step, so a backward loop whose `primal` is this loop can read
 * them at its own t. */
struct IrLoop {
  int id;
  int64_t steps;
  IrValue *length;       /* each example's steps (LENGTH), or NULL: the
                            steps past it keep the states and add nothing */
  bool backward;
  IrLoop *primal;
  IrBlock body;
  int nstates;
  IrValue **state_in, **state_init, **state_next;
  int nouts;
  IrValue **out_step, **out;
  IrOutKind *out_kind;
};

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
  bool masked;           /* losses, LOSS_GRAD, REVERSE: the last argument
                            is the LENGTH of a sequence of varying length */
  IrOp of;               /* LOSS_GRAD: the loss; index 1: with respect
                            to the target instead of the prediction */
  const char *name;      /* what the value is in the model, for dumps */
  IrLoop *loop;          /* LOOP, LOOP_OUT, STATE; body values: the loop
                            whose body holds them */
};

/* How a parameter starts: netrt.h's kind and its numbers. */
typedef struct IrInit {
  NetrtInit kind;
  double a, b;           /* constant: a; uniform: low, high; normal: mean,
                            std; xavier: gain (a) */
} IrInit;

typedef struct IrTensor {
  const char *name;
  Type ty;
  IrInit init;           /* parameters */
} IrTensor;

typedef enum IrClip {
  IR_CLIP_NONE,
  IR_CLIP_NORM,          /* scale the gradients to a global norm of at most
                            hyper[HY_CLIP_NORM] */
  IR_CLIP_VALUE,         /* clamp each one to +-hyper[HY_CLIP_VALUE] */
} IrClip;

/* The train block, lowered: what the descriptor's NetrtTrain holds and
 * what code generation specializes the update to.  hyper holds the value
 * of every hyperparameter of netrt.h's list (0 where the optimizer has
 * none; a flag such as nesterov or amsgrad is 0 or 1), the values a run
 * starts from: the command line overrides them, and the generated code
 * reads them at every step.  It is specialized only to which flags are
 * on and which of momentum, dampening and weight_decay are 0 (a step with
 * others takes a slower path), never to a value, so that a schedule can
 * later vary one from step to step (the lr first) without a new
 * compilation; hyper[HY_LR] is where a schedule's starting value goes. */
typedef struct IrTrain {
  NetrtOptimizer optimizer;
  double hyper[HY_COUNT];
  IrClip clip;           /* how hyper's clip entries are used (one is the
                            maximum, the other 0) */
  double l2;             /* the penalty: already a term of the loss */
  int64_t batch, epochs, seed, validation;
  bool shuffle;
  const char *data;      /* the data source's name, or NULL */
  const char *data_options;   /* its options, "key=value" lines */
} IrTrain;

typedef struct IrProgram {
  const char *name;      /* the model's */
  IrValue **v;           /* in evaluation order */
  int n, cap;
  int nids;              /* values in all blocks: ids are 0..nids-1 */
  IrLoop *cur;           /* new values go into this loop's body, or into
                            the program when NULL */
  int nloops;
  IrTensor *params, *inputs, *targets;
  int nparams, ninputs, ntargets;
  IrValue *output;       /* the prediction: the loss's first argument */
  IrValue *loss;         /* a scalar for the batch */
  int nforward;          /* values of the forward pass */
  int64_t min_steps;     /* every example's length is at least this
                            (Model.min_steps): the fixed steps read of
                            sequences of varying length exist */
  IrValue **grads;       /* per parameter, after ir_grad() */
  IrTrain train;
} IrProgram;

extern const char *const ir_op_name[IR_NOPS];
extern const int ir_op_nargs[IR_NOPS];
/* netrt.h's list by IrHyper: the field names (PyTorch's) and the
 * optimizers that read each (bits 1 << NetrtOptimizer; 0: clipping). */
extern const char *const ir_hyper_name[HY_COUNT];
extern const unsigned ir_hyper_used_by[HY_COUNT];
int ir_hyper_find(const char *name);          /* -1: not in the list */
const char *ir_optimizer_name(NetrtOptimizer o);

/* Reals a value of this type holds per example: class labels keep one
 * number per position, not one per class. */
Type ir_storage(Type t);        /* the shape of those reals */
int64_t ir_count(const Type *t);
/* The positions a loss adds or averages: rows of classes, or elements. */
bool ir_per_class(IrOp loss);
int64_t ir_positions(IrOp loss, const Type *pred);

IrValue *ir_add(IrProgram *p, IrOp op, Type ty, int nargs, IrValue **args);
IrValue *ir_unary(IrProgram *p, IrOp op, Type ty, IrValue *a);
IrValue *ir_binary(IrProgram *p, IrOp op, Type ty, IrValue *a, IrValue *b);
IrValue *ir_const(IrProgram *p, double v);
IrLoop *ir_loop_new(IrProgram *p, int64_t steps);
int ir_loop_state(IrLoop *l, IrValue *in, IrValue *init, IrValue *next);
int ir_loop_out(IrLoop *l, IrValue *step, IrOutKind kind);
void ir_dump(FILE *out, const IrProgram *p);
/* Marks (by id) v and every value it reads, through loops' bodies. */
void ir_mark_reads(const IrValue *v, bool *marked);

/* lower.c: NULL after reporting what cannot be compiled yet. */
IrProgram *lower_model(const Model *m);
/* grad.c: appends d loss / d parameter for every parameter. */
void ir_grad(IrProgram *p);

#endif
