/* runtime/netrt.h — the one contract between code that netc generates and
 * libnetrt, the runtime it links with.
 *
 * A compiled model exports one descriptor, `const NetrtModel
 * netc_model_<name>`: its sizes, the names and shapes of its tensors, its
 * training defaults and its entry points.  Everything the generated code
 * needs from outside comes through the entry points' arguments; it calls
 * nothing in the runtime.  A change here bumps NETRT_ABI_VERSION.
 *
 * Buffers hold reals of dtype_bytes each (4: float, 8: double).  All
 * parameters live in one flat buffer (each tensor at its offset), all
 * optimizer state in another.  A batch passes each input and target as
 * one buffer of `batch` examples, one after the other; class labels are
 * stored as reals, one per position.
 *
 * Sequences of varying length: when an input is `varlen`, its examples are
 * padded with zeros to dims[0] steps, and inputs[ninputs] is one more
 * buffer holding each example's number of steps, as a real, at least
 * min_steps (the model reads fixed steps, such as h[3], that a shorter
 * example lacks).  Steps past an example's length change neither its
 * loss nor any gradient.
 */
#ifndef NETRT_H
#define NETRT_H

#include <stddef.h>
#include <stdint.h>

#define NETRT_ABI_VERSION 8

enum { NETRT_MAX_DIMS = 6 };

typedef enum NetrtElem {
  NETRT_FLOAT,
  NETRT_ONEHOT,
  NETRT_CLASS,     /* labels; dims[ndim-1] is the number of classes */
  NETRT_BINARY,
} NetrtElem;

typedef enum NetrtInit {
  NETRT_INIT_ZEROS,
  NETRT_INIT_ONES,
  NETRT_INIT_CONSTANT,        /* a */
  NETRT_INIT_UNIFORM,         /* in [a, b) */
  NETRT_INIT_NORMAL,          /* mean a, standard deviation b */
  NETRT_INIT_XAVIER_UNIFORM,  /* gain a */
  NETRT_INIT_XAVIER_NORMAL,   /* gain a */
  NETRT_INIT_KAIMING_UNIFORM,
  NETRT_INIT_KAIMING_NORMAL,
} NetrtInit;

typedef struct NetrtTensor {
  const char *name;           /* a parameter's full name: "h.Wx" */
  NetrtElem elem;
  int ndim;
  int varlen;                 /* dims[0] is a maximum length */
  int64_t dims[NETRT_MAX_DIMS];
  int64_t count;              /* reals per example (labels for classes) */
  int64_t offset;             /* parameters: where in the flat buffer */
  NetrtInit init;             /* parameters: how they start */
  double init_a, init_b;
  int64_t fan_in, fan_out;    /* as PyTorch computes them */
} NetrtTensor;

typedef enum NetrtOptimizer {
  NETRT_SGD,
  NETRT_ADAGRAD,
  NETRT_RMSPROP,
  NETRT_ADAM,
  NETRT_ADAMW,
} NetrtOptimizer;

/* The optimizer's hyperparameters, one line each, in NetrtHyper's order:
 *
 *   X(ID, field, option, kind, used_by, help)
 *
 * ID: the index NETRT_HY_ID; field: NetrtHyper's field, PyTorch's name,
 * which the model file's optimizer options and the info command use;
 * option: the executables' --option; kind: REAL (takes a value) or BOOL
 * (a flag, 0 or 1: the option takes none and sets 1); used_by: the
 * optimizers whose update reads it (NETRT_FOR(SGD) | ...), 0 for
 * clipping, which comes before any optimizer; help: its --help line.
 * The compiler reads NetrtHyper as NETRT_HYPER_COUNT doubles indexed by
 * NETRT_HY_ID, as the assertions below check. */
#define NETRT_FOR(opt) (1u << NETRT_##opt)
#define NETRT_FOR_ALL (NETRT_FOR(SGD) | NETRT_FOR(ADAGRAD) | \
                       NETRT_FOR(RMSPROP) | NETRT_FOR(ADAM) | NETRT_FOR(ADAMW))
#define NETRT_FOR_ADAMS (NETRT_FOR(ADAM) | NETRT_FOR(ADAMW))
#define NETRT_HYPERPARAMETERS(X) \
  X(LR, lr, "lr", REAL, NETRT_FOR_ALL, "learning rate") \
  X(MOMENTUM, momentum, "momentum", REAL, \
    NETRT_FOR(SGD) | NETRT_FOR(RMSPROP), "sgd, rmsprop: momentum") \
  X(DAMPENING, dampening, "dampening", REAL, NETRT_FOR(SGD), \
    "sgd: dampening") \
  X(NESTEROV, nesterov, "nesterov", BOOL, NETRT_FOR(SGD), \
    "sgd: Nesterov momentum") \
  X(WEIGHT_DECAY, weight_decay, "weight-decay", REAL, NETRT_FOR_ALL, \
    "weight decay") \
  X(LR_DECAY, lr_decay, "lr-decay", REAL, NETRT_FOR(ADAGRAD), \
    "adagrad: learning rate decay") \
  X(INITIAL_ACCUMULATOR_VALUE, initial_accumulator_value, \
    "initial-accumulator-value", REAL, NETRT_FOR(ADAGRAD), \
    "adagrad: starting accumulator") \
  X(EPS, eps, "eps", REAL, NETRT_FOR_ALL & ~NETRT_FOR(SGD), \
    "adagrad, rmsprop, adam: epsilon") \
  X(EPS_INSIDE_SQRT, eps_inside_sqrt, "eps-inside-sqrt", BOOL, \
    NETRT_FOR(ADAGRAD), "adagrad: divide by sqrt(sum + eps)") \
  X(ALPHA, alpha, "alpha", REAL, NETRT_FOR(RMSPROP), \
    "rmsprop: smoothing constant") \
  X(CENTERED, centered, "centered", BOOL, NETRT_FOR(RMSPROP), \
    "rmsprop: centered") \
  X(BETA1, beta1, "beta1", REAL, NETRT_FOR_ADAMS, "adam, adamw: first beta") \
  X(BETA2, beta2, "beta2", REAL, NETRT_FOR_ADAMS, \
    "adam, adamw: second beta") \
  X(AMSGRAD, amsgrad, "amsgrad", BOOL, NETRT_FOR_ADAMS, \
    "adam, adamw: AMSGrad") \
  X(CLIP_NORM, clip_norm, "clip-norm", REAL, 0, \
    "scale gradients to this global norm (0: off)") \
  X(CLIP_VALUE, clip_value, "clip-value", REAL, 0, \
    "clamp each gradient to +-X (0: off)")

/* The optimizer's settings; read at every step, so the command line can
 * override the model file's. */
typedef struct NetrtHyper {
#define NETRT_HYPER_FIELD(ID, field, ...) double field;
  NETRT_HYPERPARAMETERS(NETRT_HYPER_FIELD)
#undef NETRT_HYPER_FIELD
} NetrtHyper;

typedef enum NetrtHyperIndex {
#define NETRT_HYPER_INDEX(ID, ...) NETRT_HY_##ID,
  NETRT_HYPERPARAMETERS(NETRT_HYPER_INDEX)
#undef NETRT_HYPER_INDEX
  NETRT_HYPER_COUNT
} NetrtHyperIndex;

#ifndef __cplusplus
_Static_assert(sizeof(NetrtHyper) == NETRT_HYPER_COUNT * sizeof(double),
               "NetrtHyper is NETRT_HYPER_COUNT doubles");
#define NETRT_HYPER_AT(ID, field, ...) \
  _Static_assert(offsetof(NetrtHyper, field) == \
                 NETRT_HY_##ID * sizeof(double), #field " at its index");
NETRT_HYPERPARAMETERS(NETRT_HYPER_AT)
#undef NETRT_HYPER_AT
#endif

/* The model file's train block. */
typedef struct NetrtTrain {
  NetrtOptimizer optimizer;
  NetrtHyper hyper;
  int64_t batch, epochs, seed, shuffle, validation;
  const char *data;           /* the data source, or NULL */
  const char *data_options;   /* "key=value" lines, as the model gives them */
} NetrtTrain;

typedef struct NetrtModel {
  int abi_version;            /* NETRT_ABI_VERSION */
  const char *name;
  const char *signature;      /* the shapes in one line, for checkpoints */
  int dtype_bytes;            /* 4 or 8 */
  int max_batch;              /* the batch the code is specialized to */
  int64_t param_count;        /* reals in the parameter buffer */
  int64_t state_count;        /* reals in the optimizer state */
  int64_t workspace_bytes;    /* scratch for one call at max_batch */
  int64_t flops_per_step;     /* one training step at max_batch */
  int nparams, ninputs, ntargets;
  const NetrtTensor *params, *inputs, *targets;
  NetrtTensor output;         /* what predict writes, per example */
  NetrtTrain train;

  /* Loss of the batch, and d loss / d parameters into grads. */
  double (*gradient)(const void *params, const void *const *inputs,
                     const void *const *targets, int batch, void *grads,
                     void *workspace);
  /* One training step: the gradient, clipping, the optimizer's update of
   * params and state.  step counts from 1.  Returns the loss before the
   * update. */
  double (*train_step)(void *params, void *state, const void *const *inputs,
                       const void *const *targets, int batch, int64_t step,
                       const NetrtHyper *hyper, void *workspace);
  /* Loss of the batch; the predictions into outputs when not NULL. */
  double (*evaluate)(const void *params, const void *const *inputs,
                     const void *const *targets, int batch, void *outputs,
                     void *workspace);
  /* Predictions only: no targets needed. */
  void (*predict)(const void *params, const void *const *inputs, int batch,
                  void *outputs, void *workspace);
  /* gradient over `count` examples of a batch of `total` (inputs and
   * targets point at the shard's first example): the loss and gradients
   * of the shards of a batch, less those of an empty shard once for each
   * shard but one, add up to the batch's.  NULL when the model's loss is
   * not additive over examples (it then trains on one thread). */
  double (*gradient_shard)(const void *params, const void *const *inputs,
                           const void *const *targets, int count, int total,
                           void *grads, void *workspace);
  /* train_step's clipping and optimizer update with given gradients
   * (clipping rescales grads in place). */
  void (*update)(void *params, void *state, void *grads, int64_t step,
                 const NetrtHyper *hyper);
  /* update in two parts, so that threads can share it: clip (all the
   * gradients at once), then update_range on the parameters' reals
   * [begin, end), in pieces that together cover them, with the sum of
   * ngrads gradient buffers (added left to right; with more than two,
   * grads[0] is overwritten with the sum).  NULL: use update. */
  void (*clip)(void *grads, const NetrtHyper *hyper);
  void (*update_range)(void *params, void *state, void *const *grads,
                       int ngrads, int64_t step, const NetrtHyper *hyper,
                       int64_t begin, int64_t end);
  /* 1 when the loss has terms without examples (an L2 penalty): an empty
   * shard's loss and gradient are then not zero.  0: they are zero, and
   * shards' gradients add up as they are. */
  int param_terms;
  /* Varlen inputs: the fewest steps an example may have (1 when the model
   * reads no fixed step but the first and the last; 0 is taken as 1). */
  int64_t min_steps;
  /* What the code was generated for: the triple, the CPU and the vectors
   * of its kernels ("x86_64-pc-linux-gnu znver4 avx512 512-bit"). */
  const char *target;
  /* The CPU features the code needs, as LLVM names them, comma-separated
   * ("sse3,ssse3,...,avx512vl"; "" or NULL: none beyond the baseline):
   * a CPU without one of them cannot run it. */
  const char *cpu_features;
} NetrtModel;

/* An executable's main() in libnetrt runs the model that netc names here:
 * the train, eval, predict, info, gradcheck and bench commands. */
extern const NetrtModel *const netrt_main_model;
int netrt_main(const NetrtModel *model, int argc, char **argv);

/* The features of model->cpu_features that this CPU lacks, into buf (n
 * bytes) as "avx512f, avx512bw" ("" when none; a list that does not fit
 * stops at the last whole name); returns how many it lacks.  Code built
 * for a feature the CPU lacks dies of SIGILL at the first instruction
 * that uses it, so a program that calls the entry points itself calls
 * this first (netrt_main() does, before a command that runs the model).
 * A feature this libnetrt cannot test is not counted.  Tests may set
 * NETRT_CPU_FEATURES to the features the CPU should seem to have, in
 * place of what it reports ("avx2,fma"; empty: none). */
int netrt_cpu_lacks(const NetrtModel *model, char *buf, size_t n);

#endif
