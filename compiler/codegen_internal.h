/* compiler/codegen_internal.h — what the code generator's files share.
 *
 * Only compiler/codegen*.c include it (tests/include-rule.sh): the state
 * of one module's generation (Cg), the kinds of loop, nest and GEMM the
 * parts build, the one-line builders (inline), and the functions one
 * file calls in another, grouped by the file that defines them.  What
 * changes how a helper emits is said where it applies, not kept as a
 * mode: a Slot says whether the optimizer updates reals or a GEMM tile's
 * vectors, and the Building (Cg.f) whether the function being built is a
 * GEMM kernel and whether its weight gradients' GEMMs apply the
 * optimizer.
 */
#ifndef NETC_CODEGEN_INTERNAL_H
#define NETC_CODEGEN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

#include "codegen.h"
#include "netrt.h"
#include "plan.h"

/* The hyperparameters as a function reads them (as vectors in a GEMM
 * kernel that updates parameters), and what a step derives from them. */
typedef struct Hyper {
  LLVMValueRef v[HY_COUNT];    /* as reals */
  LLVMValueRef d[HY_COUNT];    /* as doubles */
  LLVMValueRef on[HY_COUNT];   /* as flags: not zero */
  LLVMValueRef first;          /* the optimizer's first step */
  /* adagrad: lr / (1 + (t - 1) * lr_decay); adam: bias corrections */
  LLVMValueRef clr, bc1, sqrt_bc2;
} Hyper;

/* Where the optimizer updates a parameter value: its state, as reals
 * (tail -1: the update loops) or as vectors of `tail` lanes (0: full) in
 * a GEMM tile's epilogue. */
typedef struct Slot {
  LLVMValueRef ptr[3];         /* the optimizer's state of this value */
  int tail;
} Slot;

/* The function being built, and what kind of function it is. */
typedef struct Building {
  LLVMValueRef fn;
  LLVMBasicBlockRef entry;
  bool kernel;                 /* a GEMM kernel: its loops are left to
                                  LLVM (limit_unrolling skips them) */
  bool updates;                /* gradient_update: its weight gradients'
                                  GEMMs apply the optimizer
                                  (Plan.gemm_update) */
} Building;

typedef struct Cg {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef real, i64, i32, ptr, f64, voidt;
  int bytes;
  const IrProgram *p;
  const CodegenOptions *o;
  const Plan *plan;         /* what every value's code does (plan.c) */
  LLVMValueRef grads;       /* gradient_shard's grads argument, while it
                               is built: in-place gradients go there */
  LLVMTypeRef vec;          /* the GEMM kernels' vector of reals */
  int lanes;
  int vector_regs;          /* the target's */
  PlanTile tile;            /* the GEMM kernels' full register tile */
  PlanTarget target;        /* all the plan knows of the target */
  LLVMValueRef *tv;         /* by loop id: the step being run (i64) */
  Building f;
  /* the arguments of the function being built */
  LLVMValueRef params, inputs_arr, targets_arr, batch, ws;
  LLVMValueRef total;       /* the batch that means divide by: the whole
                               batch when a call computes one shard */
  LLVMValueRef *input_base, *target_base;
  LLVMValueRef *latches;    /* the back edges of the loops outside GEMM
                               kernels (see limit_unrolling) */
  int nlatches, latch_cap;
  LLVMValueRef state, step, hyper;   /* gradient_update's */
  Hyper kernel_hy;          /* in such a GEMM kernel: the hyperparameters
                               as vectors */
} Cg;

typedef struct Loop {
  LLVMBasicBlockRef head, exit;
  LLVMValueRef i;
} Loop;

/* Loops over every element of a shape, one per dimension, so that the
 * innermost index moves by one and LLVM vectorizes without gathers. */
typedef struct Nest {
  Loop l[MAX_DIMS];
  LLVMValueRef c[MAX_DIMS];
  int n;
} Nest;

/* One GEMM: out[i, j] (+)= sum over r < depth of a(i, r) * b(r, j), where
 * a(i, r) is a scalar at a_base + i * a_row + r * a_step and row r of b
 * is contiguous at b_base + r * b_row.  i counts `rows` (a run-time value
 * or a constant), j counts `cols` (a constant); depth is a constant or
 * the batch. */

typedef struct Gemm {
  LLVMValueRef a_base, b_base, out_base;
  int64_t a_row, a_step, b_row, out_row;
  LLVMValueRef rows, depth;
  int64_t cols;
  bool accumulate;         /* out += the product, instead of out = */
  int nadd;                /* addends: out (+)= the product + each, */
  LLVMValueRef add_base[MAX_ADDENDS];
  int64_t add_row[MAX_ADDENDS];  /* row i at add_base + i * add_row (0:
                                    one row for all, a bias) */
  bool update;             /* out is a parameter's gradient: each tile
                              applies the optimizer to the parameter
                              (at params, laid out as out) and its state
                              instead of storing it */
  LLVMValueRef params, state, step, hyper;
  bool b_panels;           /* b is packed in panels (cg_emit_pack_panels),
                              b_row unused */
} Gemm;

/* Where a batched product goes: into its own buffer, or into a sum
 * that it is a term of (mark_gemm_sums): out (+)= the product + the
 * addends, each an example's vector or one vector for all (a bias). */
typedef struct Into {
  const IrValue *out;
  bool accumulate;
  int nadd;
  const IrValue *add[MAX_ADDENDS];
} Into;

/* ---- the functions the files share, by the file that defines them ---- */

/* codegen_builders.c */
LLVMValueRef cg_call_math(Cg *cg, const char *base, LLVMValueRef *x,
                          unsigned n);
LLVMValueRef cg_local(Cg *cg, LLVMTypeRef t);
LLVMValueRef cg_loop_open(Cg *cg, Loop *l, LLVMValueRef n);
void cg_loop_close(Cg *cg, Loop *l);
LLVMBasicBlockRef cg_if_open(Cg *cg, LLVMValueRef cond);
void cg_if_close(Cg *cg, LLVMBasicBlockRef after);
LLVMValueRef cg_ftanh(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_sigmoid(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_vec_splat(Cg *cg, LLVMValueRef x);
LLVMValueRef cg_intrinsic(Cg *cg, const char *name, LLVMTypeRef *types,
                          size_t ntypes, LLVMTypeRef *fty);
LLVMValueRef cg_vec_load(Cg *cg, LLVMValueRef p, int lanes);
void cg_vec_store(Cg *cg, LLVMValueRef x, LLVMValueRef p, int lanes);
LLVMValueRef cg_vec_fma(Cg *cg, LLVMValueRef a, LLVMValueRef b,
                        LLVMValueRef c);

/* codegen_values.c */
LLVMValueRef cg_value_base(Cg *cg, const IrValue *v);
LLVMValueRef cg_load(Cg *cg, const IrValue *v, LLVMValueRef b,
                     LLVMValueRef idx);
void cg_store(Cg *cg, const IrValue *v, LLVMValueRef b, LLVMValueRef idx,
              LLVMValueRef x);
void cg_fill(Cg *cg, const IrValue *v, LLVMValueRef b, double x);
void cg_accumulate_at(Cg *cg, const IrValue *v, LLVMValueRef b,
                      LLVMValueRef idx, LLVMValueRef x);
void cg_emit_example(Cg *cg, const IrValue *v, LLVMValueRef b);

/* codegen_losses.c */
LLVMValueRef cg_acc_new(Cg *cg, LLVMValueRef init);
LLVMValueRef cg_sum_add(Cg *cg, LLVMValueRef a, LLVMValueRef b);
void cg_emit_softmax(Cg *cg, const IrValue *v, LLVMValueRef b);
void cg_emit_loss(Cg *cg, const IrValue *v, LLVMValueRef b);
void cg_emit_loss_grad(Cg *cg, const IrValue *v, LLVMValueRef b);
LLVMValueRef cg_within(Cg *cg, const IrValue *length, LLVMValueRef b,
                       LLVMValueRef t);
void cg_emit_mask(Cg *cg, const IrValue *v, LLVMValueRef b);
void cg_emit_pick(Cg *cg, const IrValue *v, LLVMValueRef b);
void cg_emit_reverse_masked(Cg *cg, const IrValue *v, LLVMValueRef b);

/* codegen_gemm.c */
void cg_emit_gemm(Cg *cg, const Gemm *g);
void cg_emit_across_batch(Cg *cg, const IrValue *v);
void cg_emit_batched_matvec(Cg *cg, const IrValue *v);
void cg_emit_gemm_sum(Cg *cg, const IrValue *v);
void cg_emit_transpose_into(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                            int64_t rows, int64_t cols);
void cg_emit_pack(Cg *cg, const IrValue *a);
void cg_emit_pack_panels(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                         int64_t rows, int64_t cols);

/* codegen_loops.c */
void cg_emit_step_in(Cg *cg, const IrValue *v, LLVMValueRef b);
void cg_emit_loop(Cg *cg, const IrValue *lv);

/* codegen_optimizer.c */
void cg_load_hyper(Cg *cg, LLVMValueRef h, Hyper *hy);
void cg_step_hyper(Cg *cg, Hyper *hy, LLVMValueRef step);
void cg_fix_to_defaults(Cg *cg, Hyper *hy);
void cg_emit_update_element(Cg *cg, const Hyper *hy, LLVMValueRef g,
                            LLVMValueRef pp, const Slot *s);
LLVMValueRef cg_build_gradient_update(Cg *cg);
LLVMValueRef cg_build_train_step(Cg *cg, LLVMValueRef shard,
                                 LLVMValueRef update,
                                 LLVMValueRef gradient_update);
LLVMValueRef cg_build_update(Cg *cg);
LLVMValueRef cg_build_clip(Cg *cg);
LLVMValueRef cg_build_update_range(Cg *cg);

/* codegen_descriptor.c */
void cg_build_descriptor(Cg *cg, LLVMValueRef fns[8]);

/* codegen.c */
void cg_emit_value(Cg *cg, const IrValue *v);
void cg_begin(Cg *cg, const char *name, LLVMTypeRef fty);
void cg_args_of(Cg *cg, LLVMValueRef *p, unsigned n);
void cg_load_io(Cg *cg, LLVMValueRef inputs, LLVMValueRef targets);
void cg_set_batch(Cg *cg, LLVMValueRef batch32);
void cg_emit_values(Cg *cg, const bool *want);
LLVMValueRef cg_loss_double(Cg *cg);
void cg_write_grads(Cg *cg, LLVMValueRef grads);
void cg_keep_apart(Cg *cg, LLVMValueRef fn);
LLVMValueRef cg_call_shard(Cg *cg, LLVMValueRef shard,
                           LLVMValueRef *args);

/* ---- the one-line builders ------------------------------------------- */

static inline LLVMValueRef i64c(Cg *cg, int64_t v) {
  return LLVMConstInt(cg->i64, (unsigned long long)v, 1);
}

static inline LLVMValueRef realc(Cg *cg, double v) {
  return LLVMConstReal(cg->real, v);
}

static inline LLVMValueRef f64c(Cg *cg, double v) {
  return LLVMConstReal(cg->f64, v);
}

static inline LLVMValueRef add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildAdd(cg->b, a, b, "");
}

static inline LLVMValueRef mul(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildMul(cg->b, a, b, "");
}

static inline LLVMValueRef f_add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFAdd(cg->b, a, b, "");
}

static inline LLVMValueRef f_sub(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFSub(cg->b, a, b, "");
}

static inline LLVMValueRef f_mul(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFMul(cg->b, a, b, "");
}

static inline LLVMValueRef f_div(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFDiv(cg->b, a, b, "");
}

static inline LLVMValueRef fcmp(Cg *cg, LLVMRealPredicate p, LLVMValueRef a,
                         LLVMValueRef b) {
  return LLVMBuildFCmp(cg->b, p, a, b, "");
}

static inline LLVMValueRef sel(Cg *cg, LLVMValueRef c, LLVMValueRef a,
                           LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, c, a, b, "");
}

static inline LLVMValueRef call1(Cg *cg, const char *base, LLVMValueRef x) {
  return cg_call_math(cg, base, &x, 1);
}

static inline LLVMValueRef call2(Cg *cg, const char *base, LLVMValueRef x,
                          LLVMValueRef y) {
  LLVMValueRef xs[2] = {x, y};
  return cg_call_math(cg, base, xs, 2);
}

static inline LLVMValueRef call3(Cg *cg, const char *base, LLVMValueRef x,
                          LLVMValueRef y, LLVMValueRef z) {
  LLVMValueRef xs[3] = {x, y, z};
  return cg_call_math(cg, base, xs, 3);
}

static inline LLVMValueRef fexp(Cg *cg, LLVMValueRef x) {
  return call1(cg, "llvm.exp", x);
}

static inline LLVMValueRef flog(Cg *cg, LLVMValueRef x) {
  return call1(cg, "llvm.log", x);
}

static inline LLVMValueRef fmaxr(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return call2(cg, "llvm.maxnum", a, b);
}

static inline int64_t count(const Type *t) { return ir_count(t); }

static inline LLVMValueRef gep(Cg *cg, LLVMValueRef base, LLVMValueRef i) {
  return LLVMBuildGEP2(cg->b, cg->real, base, &i, 1, "");
}

static inline LLVMValueRef byte_gep(Cg *cg, LLVMValueRef base, int64_t off) {
  LLVMValueRef i = i64c(cg, off);
  return LLVMBuildGEP2(cg->b, LLVMInt8TypeInContext(cg->ctx), base, &i, 1,
                       "");
}

#endif
