/* compiler/codegen.c — the tensor IR to LLVM, through the LLVM-C API.
 *
 * Input: an IrProgram with its backward pass; output: an LLVM module that
 * defines the model's entry points and its descriptor (runtime/netrt.h).
 * Every shape is a constant in the generated loops, so LLVM folds the
 * index arithmetic and vectorizes; only the batch size is a run-time
 * value (a smaller last batch), bounded by the batch compiled for.
 *
 * Each IR value gets its own buffer in one workspace; parameters, inputs
 * and targets are read where the caller keeps them.  One loop nest per
 * value, shaped like the reference interpreter's (interp.c), so the two
 * can be compared value by value.
 */
#include <config.h>

#include "codegen.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>

#include "arena.h"
#include "netrt.h"
#include "plan.h"

struct CgModule {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  bool owns_context;
  const char *descriptor;     /* netc_model_<name> */
};

/* emit.c reaches the module through these; only the two LLVM files know
 * the types, so the declarations live here and in emit.c. */
LLVMModuleRef cg_llvm_module(const CgModule *m);
LLVMModuleRef cg_llvm_module(const CgModule *m) { return m->mod; }
void cg_release_module(CgModule *m);
void cg_release_module(CgModule *m) { m->mod = NULL; }

const char *cg_descriptor_name(const CgModule *m) { return m->descriptor; }

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

typedef struct Slot {
  LLVMValueRef ptr[3];         /* the optimizer's state of this value */
} Slot;

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
  LLVMValueRef *tv;         /* by loop id: the step being run (i64) */
  /* the function being built */
  LLVMValueRef fn, params, inputs_arr, targets_arr, batch, ws;
  LLVMValueRef total;       /* the batch that means divide by: the whole
                               batch when a call computes one shard */
  LLVMValueRef *input_base, *target_base;
  LLVMBasicBlockRef entry;
  bool in_kernel;           /* building a GEMM kernel's function */
  LLVMValueRef *latches;    /* the back edges of the loops outside GEMM
                               kernels (see limit_unrolling) */
  int nlatches, latch_cap;
  /* building train_step's gradient with the optimizer in its weight
   * gradients' GEMMs (Plan.gemm_update) */
  bool updating;            /* building that gradient */
  LLVMValueRef state, step, hyper;   /* its arguments */
  Hyper kernel_hy;          /* in such a GEMM kernel: the hyperparameters
                               as vectors */
  int vec_tail;             /* the optimizer on vectors of this tail (0:
                               full), not on reals, when >= 0 */
} Cg;

/* ---- small builders ---------------------------------------------------- */

static LLVMValueRef i64c(Cg *cg, int64_t v) {
  return LLVMConstInt(cg->i64, (unsigned long long)v, 1);
}

static LLVMValueRef realc(Cg *cg, double v) {
  return LLVMConstReal(cg->real, v);
}

static LLVMValueRef f64c(Cg *cg, double v) {
  return LLVMConstReal(cg->f64, v);
}

static LLVMValueRef add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildAdd(cg->b, a, b, "");
}

static LLVMValueRef mul(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildMul(cg->b, a, b, "");
}

static LLVMValueRef f_add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFAdd(cg->b, a, b, "");
}

static LLVMValueRef f_sub(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFSub(cg->b, a, b, "");
}

static LLVMValueRef f_mul(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFMul(cg->b, a, b, "");
}

static LLVMValueRef f_div(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFDiv(cg->b, a, b, "");
}

static LLVMValueRef fcmp(Cg *cg, LLVMRealPredicate p, LLVMValueRef a,
                         LLVMValueRef b) {
  return LLVMBuildFCmp(cg->b, p, a, b, "");
}

static LLVMValueRef sel(Cg *cg, LLVMValueRef c, LLVMValueRef a,
                           LLVMValueRef b) {
  return LLVMBuildSelect(cg->b, c, a, b, "");
}

static LLVMValueRef sum_add(Cg *cg, LLVMValueRef a, LLVMValueRef b);

/* A math function of n reals: an LLVM intrinsic (llvm.fma.f32) or the C
 * library's (tanhf, tanh). */
static LLVMValueRef call_math(Cg *cg, const char *base, LLVMValueRef *x,
                              unsigned n) {
  LLVMTypeRef t = LLVMTypeOf(x[0]), args[3] = {t, t, t};
  bool vector = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
  bool is64 = (vector ? LLVMGetElementType(t) : t) == cg->f64;
  char name[64];
  if (vector)        /* llvm.sqrt.v16f32: intrinsics only */
    snprintf(name, sizeof name, "%s.v%u%s", base, LLVMGetVectorSize(t),
             is64 ? "f64" : "f32");
  else if (strncmp(base, "llvm.", 5) == 0)
    snprintf(name, sizeof name, "%s.%s", base, is64 ? "f64" : "f32");
  else
    snprintf(name, sizeof name, "%s%s", base, is64 ? "" : "f");
  LLVMTypeRef fty = LLVMFunctionType(t, args, n, 0);
  LLVMValueRef f = LLVMGetNamedFunction(cg->mod, name);
  if (!f)
    f = LLVMAddFunction(cg->mod, name, fty);
  return LLVMBuildCall2(cg->b, fty, f, x, n, "");
}

static LLVMValueRef call1(Cg *cg, const char *base, LLVMValueRef x) {
  return call_math(cg, base, &x, 1);
}

static LLVMValueRef call2(Cg *cg, const char *base, LLVMValueRef x,
                          LLVMValueRef y) {
  LLVMValueRef xs[2] = {x, y};
  return call_math(cg, base, xs, 2);
}

static LLVMValueRef call3(Cg *cg, const char *base, LLVMValueRef x,
                          LLVMValueRef y, LLVMValueRef z) {
  LLVMValueRef xs[3] = {x, y, z};
  return call_math(cg, base, xs, 3);
}

static LLVMValueRef fexp(Cg *cg, LLVMValueRef x) {
  return call1(cg, "llvm.exp", x);
}

static LLVMValueRef flog(Cg *cg, LLVMValueRef x) {
  return call1(cg, "llvm.log", x);
}

static LLVMValueRef fmaxr(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return call2(cg, "llvm.maxnum", a, b);
}

/* A variable of the entry block (mem2reg makes it a register). */
static LLVMValueRef local(Cg *cg, LLVMTypeRef t) {
  LLVMBasicBlockRef here = LLVMGetInsertBlock(cg->b);
  LLVMValueRef first = LLVMGetFirstInstruction(cg->entry);
  if (first)
    LLVMPositionBuilderBefore(cg->b, first);
  else
    LLVMPositionBuilderAtEnd(cg->b, cg->entry);
  LLVMValueRef v = LLVMBuildAlloca(cg->b, t, "");
  LLVMPositionBuilderAtEnd(cg->b, here);
  return v;
}

typedef struct Loop {
  LLVMBasicBlockRef head, exit;
  LLVMValueRef i;
} Loop;

/* for (i = 0; i < n; i++) — the body goes between open and close. */
static LLVMValueRef loop_open(Cg *cg, Loop *l, LLVMValueRef n) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
  l->head = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "loop");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                         "body");
  l->exit = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "done");
  LLVMBuildBr(cg->b, l->head);
  LLVMPositionBuilderAtEnd(cg->b, l->head);
  l->i = LLVMBuildPhi(cg->b, cg->i64, "i");
  LLVMValueRef zero = i64c(cg, 0);
  LLVMAddIncoming(l->i, &zero, &pre, 1);
  LLVMValueRef more = LLVMBuildICmp(cg->b, LLVMIntSLT, l->i, n, "");
  LLVMBuildCondBr(cg->b, more, body, l->exit);
  LLVMPositionBuilderAtEnd(cg->b, body);
  return l->i;
}

static void loop_close(Cg *cg, Loop *l) {
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  LLVMValueRef next = add(cg, l->i, i64c(cg, 1));
  LLVMValueRef back = LLVMBuildBr(cg->b, l->head);
  if (!cg->in_kernel) {
    if (cg->nlatches == cg->latch_cap) {
      cg->latch_cap = cg->latch_cap ? 2 * cg->latch_cap : 256;
      cg->latches = realloc(cg->latches,
                            sizeof *cg->latches * (size_t)cg->latch_cap);
      if (!cg->latches)
        DIE("out of memory");
    }
    cg->latches[cg->nlatches++] = back;
  }
  LLVMAddIncoming(l->i, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(cg->b, l->exit);
}

/* if (cond) { ... } */
static LLVMBasicBlockRef if_open(Cg *cg, LLVMValueRef cond) {
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                         "then");
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                          "after");
  LLVMBuildCondBr(cg->b, cond, then, after);
  LLVMPositionBuilderAtEnd(cg->b, then);
  return after;
}

static void if_close(Cg *cg, LLVMBasicBlockRef after) {
  LLVMBuildBr(cg->b, after);
  LLVMPositionBuilderAtEnd(cg->b, after);
}

/* ---- where values live ------------------------------------------------- */

static int64_t count(const Type *t) { return ir_count(t); }

static LLVMValueRef gep(Cg *cg, LLVMValueRef base, LLVMValueRef i) {
  return LLVMBuildGEP2(cg->b, cg->real, base, &i, 1, "");
}

static LLVMValueRef byte_gep(Cg *cg, LLVMValueRef base, int64_t off) {
  LLVMValueRef i = i64c(cg, off);
  return LLVMBuildGEP2(cg->b, LLVMInt8TypeInContext(cg->ctx), base, &i, 1,
                       "");
}

static LLVMValueRef value_base(Cg *cg, const IrValue *v) {
  const Plan *pl = cg->plan;
  if (pl->slice_of && pl->slice_of[v->id])
    return gep(cg, value_base(cg, pl->slice_of[v->id]),
               i64c(cg, pl->slice_at[v->id]));
  const IrValue *seq = pl->step_view && pl->step_view[v->id] ? v->args[0]
                      : pl->stack_of ? pl->stack_of[v->id] : NULL;
  if (seq)                                /* step t of example 0 */
    return gep(cg, value_base(cg, seq),
               mul(cg, cg->tv[v->loop->id], i64c(cg, count(&v->ty))));
  switch (v->op) {
  case IR_PARAM:
    return gep(cg, cg->params, i64c(cg, pl->param_offset[v->index]));
  case IR_INPUT: return cg->input_base[v->index];
  case IR_LENGTH: return cg->input_base[cg->p->ninputs];
  case IR_TARGET: return cg->target_base[v->index];
  default:
    if (cg->grads && pl->grad_param[v->id])
      return gep(cg, cg->grads,
                 i64c(cg, pl->param_offset[pl->grad_param[v->id] - 1]));
    if (plan_in_body(v) && pl->per_step[v->id]) {      /* a slot per step */
      LLVMValueRef at = add(cg, i64c(cg, pl->offset[v->id]),
          mul(cg, cg->tv[v->loop->id], i64c(cg, plan_slot_bytes(pl, v))));
      return LLVMBuildGEP2(cg->b, LLVMInt8TypeInContext(cg->ctx), cg->ws,
                           &at, 1, "");
    }
    return byte_gep(cg, cg->ws, pl->offset[v->id]);
  }
}

/* Pointer to element idx of example b (NULL: a shared value). */
static LLVMValueRef elem_ptr(Cg *cg, const IrValue *v, LLVMValueRef b,
                             LLVMValueRef idx) {
  LLVMValueRef i = idx;
  if (v->batched && b)
    i = add(cg, mul(cg, b, i64c(cg, plan_example_stride(cg->plan, v))), idx);
  return gep(cg, value_base(cg, v), i);
}

static LLVMValueRef elementwise_at(Cg *cg, const IrValue *v, LLVMValueRef b,
                                   LLVMValueRef i);

static LLVMValueRef load(Cg *cg, const IrValue *v, LLVMValueRef b,
                         LLVMValueRef idx) {
  if (cg->plan->inlined && cg->plan->inlined[v->id])
    return elementwise_at(cg, v, b, idx);
  if (v->op == IR_CONST)
    return realc(cg, v->num);
  if (v->op == IR_ZEROS)
    return realc(cg, 0);
  return LLVMBuildLoad2(cg->b, cg->real, elem_ptr(cg, v, b, idx), "");
}

static void store(Cg *cg, const IrValue *v, LLVMValueRef b, LLVMValueRef idx,
                  LLVMValueRef x) {
  LLVMBuildStore(cg->b, x, elem_ptr(cg, v, b, idx));
}

/* The element of a (broadcast against shape r) that element i of r
 * reads: dims aligned on the right, a dim of 1 stretched. */
static LLVMValueRef broadcast_index(Cg *cg, const Type *r, const Type *a,
                                    LLVMValueRef i) {
  if (type_same_shape(r, a))
    return i;
  if (type_numel(a) == 1)
    return i64c(cg, 0);
  LLVMValueRef idx = i64c(cg, 0), rest = i;
  int64_t astride = 1;
  int off = r->ndim - a->ndim;
  for (int d = r->ndim - 1; d >= 0; d--) {
    LLVMValueRef c = LLVMBuildSRem(cg->b, rest, i64c(cg, r->dims[d]), "");
    rest = LLVMBuildSDiv(cg->b, rest, i64c(cg, r->dims[d]), "");
    int ad = d - off;
    if (ad < 0)
      continue;
    if (a->dims[ad] != 1)
      idx = add(cg, idx, mul(cg, c, i64c(cg, astride)));
    astride *= a->dims[ad];
  }
  return idx;
}

/* Loops over every element of a shape, one per dimension, so that the
 * innermost index moves by one and LLVM vectorizes without gathers. */
typedef struct Nest {
  Loop l[MAX_DIMS];
  LLVMValueRef c[MAX_DIMS];
  int n;
} Nest;

static void nest_open(Cg *cg, Nest *n, const Type *shape) {
  n->n = shape->ndim;
  for (int d = 0; d < n->n; d++)
    n->c[d] = loop_open(cg, &n->l[d], i64c(cg, shape->dims[d]));
}

static void nest_close(Cg *cg, Nest *n) {
  for (int d = n->n - 1; d >= 0; d--)
    loop_close(cg, &n->l[d]);
}

/* The row-major index of coordinates c in shape. */
static LLVMValueRef flat_index(Cg *cg, const Type *shape,
                               const LLVMValueRef *c) {
  LLVMValueRef idx = i64c(cg, 0);
  for (int d = 0; d < shape->ndim; d++)
    idx = add(cg, mul(cg, idx, i64c(cg, shape->dims[d])), c[d]);
  return idx;
}

/* Where element rc of the slice v (coordinates in the slice) lies in the
 * sliced value, of storage shape src (interp.c's slice_source). */
static LLVMValueRef slice_index(Cg *cg, const IrValue *v, const Type *src,
                                const LLVMValueRef *rc) {
  LLVMValueRef idx = i64c(cg, 0);
  int k = 0;
  for (int d = 0; d < src->ndim; d++) {
    LLVMValueRef c;
    if (d < v->nslice && v->drop[d])
      c = i64c(cg, v->lo[d]);
    else
      c = add(cg, i64c(cg, d < v->nslice ? v->lo[d] : 0), rc[k++]);
    idx = add(cg, mul(cg, idx, i64c(cg, src->dims[d])), c);
  }
  return idx;
}

/* ---- operations on one example (or on the shared value) --------------- */

/* ---- activations in float: arithmetic LLVM can vectorize ------------- *
 *
 * A call to the C library's expf or tanhf keeps a loop scalar: these are
 * written out instead (within 3 ulp of the library's).  Doubles keep the
 * library's functions: they are the precision of the gradient checks.
 */

static LLVMValueRef horner(Cg *cg, LLVMValueRef x, const double *c, int n) {
  LLVMValueRef p = realc(cg, c[n - 1]);
  for (int k = n - 2; k >= 0; k--)
    p = call3(cg, "llvm.fmuladd", p, x, realc(cg, c[k]));
  return p;
}

/* e^x for x in [-87, 88] (a sigmoid's or tanh's argument clamped):
 * 2^n * e^r with r = x - n ln 2 in [-ln2/2, ln2/2], ln 2 in two parts
 * (Cody and Waite), e^r by its Taylor series to r^7. */
static LLVMValueRef exp_f32(Cg *cg, LLVMValueRef x) {
  static const double taylor[8] = {1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24,
                                   1.0 / 120, 1.0 / 720, 1.0 / 5040};
  x = fmaxr(cg, call2(cg, "llvm.minnum", x, realc(cg, 88)), realc(cg, -87));
  LLVMValueRef n = call1(cg, "llvm.roundeven",
                         f_mul(cg, x, realc(cg, 1.4426950408889634)));
  LLVMValueRef r = call3(cg, "llvm.fmuladd", n, realc(cg, -0.693359375), x);
  r = call3(cg, "llvm.fmuladd", n, realc(cg, 2.12194440054690583e-4), r);
  LLVMValueRef bits = LLVMBuildFPToSI(cg->b, n, cg->i32, "");
  bits = LLVMBuildShl(cg->b, add(cg, bits, LLVMConstInt(cg->i32, 127, 0)),
                      LLVMConstInt(cg->i32, 23, 0), "");
  LLVMValueRef scale = LLVMBuildBitCast(cg->b, bits, cg->real, "");
  return f_mul(cg, horner(cg, r, taylor, 8), scale);
}

/* tanh: its odd Taylor series below |x| = 1/2 (8 terms: 2 ulp), and
 * 1 - 2 / (e^2|x| + 1) above, where that cannot cancel. */
static LLVMValueRef tanh_f32(Cg *cg, LLVMValueRef x) {
  static const double odd[8] = {1, -1.0 / 3, 2.0 / 15, -17.0 / 315,
                                62.0 / 2835, -1382.0 / 155925,
                                21844.0 / 6081075, -929569.0 / 638512875};
  LLVMValueRef ax = call1(cg, "llvm.fabs", x);
  LLVMValueRef small = f_mul(cg, x, horner(cg, f_mul(cg, x, x), odd, 8));
  LLVMValueRef e = exp_f32(cg, f_add(cg, ax, ax));
  LLVMValueRef big = f_sub(cg, realc(cg, 1), f_div(cg, realc(cg, 2),
                                  f_add(cg, e, realc(cg, 1))));
  big = call2(cg, "llvm.copysign", big, x);
  return sel(cg, fcmp(cg, LLVMRealOLT, ax, realc(cg, 0.5)), small, big);
}

static LLVMValueRef ftanh(Cg *cg, LLVMValueRef x) {
  return cg->bytes == 4 ? tanh_f32(cg, x) : call1(cg, "tanh", x);
}

static LLVMValueRef sigmoid(Cg *cg, LLVMValueRef x) {
  LLVMValueRef minus = LLVMBuildFNeg(cg->b, x, "");
  LLVMValueRef e = cg->bytes == 4 ? exp_f32(cg, minus) : fexp(cg, minus);
  return f_div(cg, realc(cg, 1), f_add(cg, realc(cg, 1), e));
}

static LLVMValueRef unary_op(Cg *cg, IrOp op, LLVMValueRef x) {
  switch (op) {
  case IR_NEG: return LLVMBuildFNeg(cg->b, x, "");
  case IR_EXP: return fexp(cg, x);
  case IR_LOG: return flog(cg, x);
  case IR_SQRT: return call1(cg, "llvm.sqrt", x);
  case IR_ABS: return call1(cg, "llvm.fabs", x);
  case IR_TANH: return ftanh(cg, x);
  case IR_SIGMOID: return sigmoid(cg, x);
  case IR_RELU: return fmaxr(cg, x, realc(cg, 0));
  default: UNREACHABLE();
  }
}

static LLVMValueRef binary_op(Cg *cg, IrOp op, LLVMValueRef x,
                              LLVMValueRef y) {
  LLVMValueRef one = realc(cg, 1), zero = realc(cg, 0);
  switch (op) {
  case IR_ADD: return f_add(cg, x, y);
  case IR_SUB: return f_sub(cg, x, y);
  case IR_MUL: return f_mul(cg, x, y);
  case IR_DIV: return f_div(cg, x, y);
  case IR_TANH_GRAD: return f_mul(cg, x, f_sub(cg, one, f_mul(cg, y, y)));
  case IR_SIGMOID_GRAD:
    return f_mul(cg, f_mul(cg, x, y), f_sub(cg, one, y));
  case IR_RELU_GRAD:
    return sel(cg, fcmp(cg, LLVMRealOGT, y, zero), x, zero);
  case IR_ABS_GRAD: {
    LLVMValueRef neg = LLVMBuildFNeg(cg->b, x, "");
    LLVMValueRef s = sel(cg, fcmp(cg, LLVMRealOLT, y, zero), neg, zero);
    return sel(cg, fcmp(cg, LLVMRealOGT, y, zero), x, s);
  }
  default: UNREACHABLE();
  }
}

/* Element i of an elementwise value, from its arguments. */
static LLVMValueRef elementwise_at(Cg *cg, const IrValue *v, LLVMValueRef b,
                                   LLVMValueRef i) {
  if (v->nargs == 1)
    return unary_op(cg, v->op, load(cg, v->args[0], b, i));
  const IrValue *a = v->args[0], *c = v->args[1];
  LLVMValueRef x = load(cg, a, b, broadcast_index(cg, &v->ty, &a->ty, i));
  LLVMValueRef y = load(cg, c, b, broadcast_index(cg, &v->ty, &c->ty, i));
  return binary_op(cg, v->op, x, y);
}

static void emit_elementwise(Cg *cg, const IrValue *v, LLVMValueRef b) {
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, type_numel(&v->ty)));
  store(cg, v, b, i, elementwise_at(cg, v, b, i));
  loop_close(cg, &l);
}

/* sum over k < K of a(ia(k)) * c(ic(k)), with ia = abase + k * astep. */
static LLVMValueRef dot(Cg *cg, const IrValue *a, LLVMValueRef b,
                        LLVMValueRef abase, int64_t astep, const IrValue *c,
                        LLVMValueRef cbase, int64_t cstep, int64_t K) {
  LLVMValueRef acc = local(cg, cg->real);
  LLVMBuildStore(cg->b, realc(cg, 0), acc);
  Loop l;
  LLVMValueRef k = loop_open(cg, &l, i64c(cg, K));
  LLVMValueRef x = load(cg, a, b, add(cg, abase, mul(cg, k, i64c(cg, astep))));
  LLVMValueRef y = load(cg, c, b, add(cg, cbase, mul(cg, k, i64c(cg, cstep))));
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  LLVMBuildStore(cg->b, sum_add(cg, s, f_mul(cg, x, y)), acc);
  loop_close(cg, &l);
  return LLVMBuildLoad2(cg->b, cg->real, acc, "");
}

static void emit_matmul(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0], *c = v->args[1];
  if (a->ty.ndim == 2 && c->ty.ndim == 1) {            /* [M,K] @ [K] */
    int64_t M = a->ty.dims[0], K = a->ty.dims[1];
    Loop lm;
    LLVMValueRef m = loop_open(cg, &lm, i64c(cg, M));
    LLVMValueRef s = dot(cg, a, b, mul(cg, m, i64c(cg, K)), 1, c,
                         i64c(cg, 0), 1, K);
    store(cg, v, b, m, s);
    loop_close(cg, &lm);
  } else if (a->ty.ndim == 2) {                         /* [M,K] @ [K,N] */
    int64_t M = a->ty.dims[0], K = a->ty.dims[1], N = c->ty.dims[1];
    Loop lm, ln;
    LLVMValueRef m = loop_open(cg, &lm, i64c(cg, M));
    LLVMValueRef n = loop_open(cg, &ln, i64c(cg, N));
    LLVMValueRef s = dot(cg, a, b, mul(cg, m, i64c(cg, K)), 1, c, n, N, K);
    store(cg, v, b, add(cg, mul(cg, m, i64c(cg, N)), n), s);
    loop_close(cg, &ln);
    loop_close(cg, &lm);
  } else {                                              /* [K] @ [K,N] */
    int64_t K = c->ty.dims[0], N = c->ty.dims[1];
    Loop ln;
    LLVMValueRef n = loop_open(cg, &ln, i64c(cg, N));
    LLVMValueRef s = dot(cg, a, b, i64c(cg, 0), 1, c, n, N, K);
    store(cg, v, b, n, s);
    loop_close(cg, &ln);
  }
}

static void emit_outer(Cg *cg, const IrValue *v, LLVMValueRef b) {
  int64_t M = v->ty.dims[0], K = v->ty.dims[1];
  Loop lm, lk;
  LLVMValueRef m = loop_open(cg, &lm, i64c(cg, M));
  LLVMValueRef x = load(cg, v->args[0], b, m);
  LLVMValueRef k = loop_open(cg, &lk, i64c(cg, K));
  LLVMValueRef y = load(cg, v->args[1], b, k);
  store(cg, v, b, add(cg, mul(cg, m, i64c(cg, K)), k), f_mul(cg, x, y));
  loop_close(cg, &lk);
  loop_close(cg, &lm);
}

static void fill(Cg *cg, const IrValue *v, LLVMValueRef b, double x) {
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&v->ty)));
  store(cg, v, b, i, realc(cg, x));
  loop_close(cg, &l);
}

static void accumulate_at(Cg *cg, const IrValue *v, LLVMValueRef b,
                          LLVMValueRef idx, LLVMValueRef x) {
  LLVMValueRef p = elem_ptr(cg, v, b, idx);
  LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->real, p, "");
  LLVMBuildStore(cg->b, f_add(cg, old, x), p);
}

static void emit_copy_op(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  Type src = ir_storage(a->ty);
  Loop l;
  switch (v->op) {
  case IR_TRANSPOSE: {
    int64_t R = a->ty.dims[0], C = a->ty.dims[1];
    LLVMValueRef i = loop_open(cg, &l, i64c(cg, R * C));
    LLVMValueRef r = LLVMBuildSDiv(cg->b, i, i64c(cg, C), "");
    LLVMValueRef c = LLVMBuildSRem(cg->b, i, i64c(cg, C), "");
    store(cg, v, b, add(cg, mul(cg, c, i64c(cg, R)), r), load(cg, a, b, i));
    break;
  }
  case IR_RESHAPE: {
    LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&v->ty)));
    store(cg, v, b, i, load(cg, a, b, i));
    break;
  }
  case IR_SLICE: {
    Type r = ir_storage(v->ty);
    Nest n;
    nest_open(cg, &n, &r);
    store(cg, v, b, flat_index(cg, &r, n.c),
          load(cg, a, b, slice_index(cg, v, &src, n.c)));
    nest_close(cg, &n);
    return;
  }
  case IR_REVERSE: {
    int64_t rows = a->ty.dims[0], row = count(&v->ty) / rows;
    Loop lt;
    LLVMValueRef t = loop_open(cg, &lt, i64c(cg, rows));
    LLVMValueRef j = loop_open(cg, &l, i64c(cg, row));
    LLVMValueRef rt = LLVMBuildSub(cg->b, i64c(cg, rows - 1), t, "");
    store(cg, v, b, add(cg, mul(cg, t, i64c(cg, row)), j),
          load(cg, a, b, add(cg, mul(cg, rt, i64c(cg, row)), j)));
    loop_close(cg, &l);
    loop_close(cg, &lt);
    return;
  }
  case IR_BROADCAST: {
    LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&v->ty)));
    store(cg, v, b, i,
          load(cg, a, b, broadcast_index(cg, &v->ty, &a->ty, i)));
    break;
  }
  default: UNREACHABLE();
  }
  loop_close(cg, &l);
}

/* v += unslice u (u's argument added at the positions u puts it), or
 * v = u there when `overwrite`. */
static void put_unslice(Cg *cg, const IrValue *v, LLVMValueRef b,
                        const IrValue *u, bool overwrite) {
  const IrValue *a = u->args[0];
  Type dst = ir_storage(v->ty), r = ir_storage(a->ty);
  Nest n;
  nest_open(cg, &n, &r);
  LLVMValueRef to = slice_index(cg, u, &dst, n.c);
  LLVMValueRef x = load(cg, a, b, flat_index(cg, &r, n.c));
  if (overwrite)
    store(cg, v, b, to, x);
  else
    accumulate_at(cg, v, b, to, x);
  nest_close(cg, &n);
}

/* Values that add their argument's elements into place. */
static void emit_scatter_op(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  fill(cg, v, b, 0);
  if (v->op == IR_UNSLICE) {
    put_unslice(cg, v, b, v, false);
    return;
  }
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&a->ty)));
  LLVMValueRef to = broadcast_index(cg, &a->ty, &v->ty, i);
  accumulate_at(cg, v, b, to, load(cg, a, b, i));
  loop_close(cg, &l);
}

/* The leaves under an add tree's node, appended to leaf[*n]. */
static void tree_leaves(const Cg *cg, const IrValue *v, const IrValue **leaf,
                        int *n) {
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    if (a->op == IR_ADD && cg->plan->fused[a->id])
      tree_leaves(cg, a, leaf, n);
    else
      leaf[(*n)++] = a;
  }
}

/* Whether the leaves are unslices of disjoint row ranges (an LSTM's four
 * gate adjoints), and whether those cover every row. */
static bool disjoint_unslices(const Cg *cg, const IrValue *v,
                              const IrValue **leaf, int n, bool *covered) {
  int64_t rows = 0;
  for (int i = 0; i < n; i++) {
    const IrValue *u = leaf[i];
    if (u->op != IR_UNSLICE || !cg->plan->fused[u->id] || u->nslice != 1 ||
        u->drop[0])
      return false;
    for (int j = 0; j < i; j++)
      if (u->lo[0] <= leaf[j]->hi[0] && leaf[j]->lo[0] <= u->hi[0])
        return false;
    rows += u->hi[0] - u->lo[0] + 1;
  }
  *covered = rows == v->ty.dims[0];
  return true;
}

/* The leaves added into zeros: each an unslice added at its positions or
 * a whole value; slices that tile v disjointly are stored instead, and
 * the zeros only where they leave a gap. */
static void emit_add_tree(Cg *cg, const IrValue *v, LLVMValueRef b) {
  /* a tree of n leaves has n - 1 adds: at most nids leaves */
  const IrValue **leaf = arena_array(const IrValue *, cg->p->nids + 1);
  int n = 0;
  bool covered = false;
  tree_leaves(cg, v, leaf, &n);
  bool disjoint = disjoint_unslices(cg, v, leaf, n, &covered);
  if (!covered)
    fill(cg, v, b, 0);
  for (int i = 0; i < n; i++) {
    if (leaf[i]->op == IR_UNSLICE && cg->plan->fused[leaf[i]->id]) {
      put_unslice(cg, v, b, leaf[i], disjoint);
      continue;
    }
    Loop l;
    LLVMValueRef at = loop_open(cg, &l, i64c(cg, count(&v->ty)));
    accumulate_at(cg, v, b, at, load(cg, leaf[i], b, at));
    loop_close(cg, &l);
  }
}

static void emit_concat(Cg *cg, const IrValue *v, LLVMValueRef b) {
  int64_t at = 0;
  for (int k = 0; k < v->nargs; k++) {
    const IrValue *a = v->args[k];
    Nest n;
    nest_open(cg, &n, &a->ty);
    LLVMValueRef c[MAX_DIMS];
    for (int d = 0; d < a->ty.ndim; d++)
      c[d] = d == v->axis ? add(cg, n.c[d], i64c(cg, at)) : n.c[d];
    store(cg, v, b, flat_index(cg, &v->ty, c),
          load(cg, a, b, flat_index(cg, &a->ty, n.c)));
    nest_close(cg, &n);
    at += a->ty.dims[v->axis];
  }
}

static void emit_reduce(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  int64_t n = type_numel(&a->ty);
  LLVMValueRef acc = local(cg, cg->real);
  LLVMBuildStore(cg->b, realc(cg, 0), acc);
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, n));
  LLVMValueRef x = load(cg, a, b, i);
  if (v->op == IR_SUMSQ)
    x = f_mul(cg, x, x);
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  LLVMBuildStore(cg->b, sum_add(cg, s, x), acc);
  loop_close(cg, &l);
  LLVMValueRef total = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  if (v->op == IR_MEAN)
    total = f_div(cg, total, realc(cg, (double)n));
  store(cg, v, b, i64c(cg, 0), total);
}

/* ---- softmax and the losses -------------------------------------------- */

/* A running value in a local: *acc = f(*acc, x). */
static LLVMValueRef acc_new(Cg *cg, LLVMValueRef init) {
  LLVMValueRef acc = local(cg, LLVMTypeOf(init));
  LLVMBuildStore(cg->b, init, acc);
  return acc;
}

static LLVMValueRef acc_get(Cg *cg, LLVMValueRef acc) {
  return LLVMBuildLoad2(cg->b, cg->real, acc, "");
}

/* Sums may be reordered (reassoc), so that LLVM vectorizes reductions. */
static LLVMValueRef sum_add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef s = LLVMBuildFAdd(cg->b, a, b, "");
  LLVMSetFastMathFlags(s, LLVMFastMathAllowReassoc);
  return s;
}

static void acc_add(Cg *cg, LLVMValueRef acc, LLVMValueRef x) {
  LLVMBuildStore(cg->b, sum_add(cg, acc_get(cg, acc), x), acc);
}

/* log(sum(exp(row))) of C elements of a at base. */
static LLVMValueRef row_lse(Cg *cg, const IrValue *a, LLVMValueRef b,
                            LLVMValueRef base, int64_t C) {
  LLVMValueRef mx = acc_new(cg, load(cg, a, b, base));
  Loop l;
  LLVMValueRef c = loop_open(cg, &l, i64c(cg, C));
  LLVMBuildStore(cg->b, fmaxr(cg, acc_get(cg, mx),
                              load(cg, a, b, add(cg, base, c))), mx);
  loop_close(cg, &l);
  LLVMValueRef m = acc_get(cg, mx), s = acc_new(cg, realc(cg, 0));
  c = loop_open(cg, &l, i64c(cg, C));
  acc_add(cg, s, fexp(cg, f_sub(cg, load(cg, a, b, add(cg, base, c)), m)));
  loop_close(cg, &l);
  return f_add(cg, m, flog(cg, acc_get(cg, s)));
}

/* softmax, log_softmax and their adjoints, row by row over the last dim */
static void emit_softmax(Cg *cg, const IrValue *v, LLVMValueRef b) {
  int64_t C = v->ty.dims[v->ty.ndim - 1], rows = type_numel(&v->ty) / C;
  const IrValue *x = v->args[0], *y = v->nargs > 1 ? v->args[1] : NULL;
  Loop lr, l;
  LLVMValueRef r = loop_open(cg, &lr, i64c(cg, rows));
  LLVMValueRef base = mul(cg, r, i64c(cg, C));
  if (v->op == IR_SOFTMAX || v->op == IR_LOG_SOFTMAX) {
    LLVMValueRef lse = row_lse(cg, x, b, base, C);
    LLVMValueRef c = loop_open(cg, &l, i64c(cg, C));
    LLVMValueRef i = add(cg, base, c);
    LLVMValueRef z = f_sub(cg, load(cg, x, b, i), lse);
    store(cg, v, b, i, v->op == IR_SOFTMAX ? fexp(cg, z) : z);
    loop_close(cg, &l);
  } else {
    LLVMValueRef s = acc_new(cg, realc(cg, 0));
    LLVMValueRef c = loop_open(cg, &l, i64c(cg, C));
    LLVMValueRef i = add(cg, base, c), g = load(cg, x, b, i);
    acc_add(cg, s, v->op == IR_SOFTMAX_GRAD ? f_mul(cg, g, load(cg, y, b, i))
                                            : g);
    loop_close(cg, &l);
    LLVMValueRef sum = acc_get(cg, s);
    c = loop_open(cg, &l, i64c(cg, C));
    i = add(cg, base, c);
    g = load(cg, x, b, i);
    LLVMValueRef yi = load(cg, y, b, i);
    store(cg, v, b, i, v->op == IR_SOFTMAX_GRAD
          ? f_mul(cg, yi, f_sub(cg, g, sum))
          : f_sub(cg, g, f_mul(cg, fexp(cg, yi), sum)));
    loop_close(cg, &l);
  }
  loop_close(cg, &lr);
}



/* The label of row r as an index, and whether it is a valid class. */
static LLVMValueRef label(Cg *cg, const IrValue *t, LLVMValueRef b,
                          LLVMValueRef r, int64_t C, LLVMValueRef *valid) {
  LLVMValueRef l = load(cg, t, b, r);
  LLVMValueRef ok = LLVMBuildAnd(cg->b,
      fcmp(cg, LLVMRealOGE, l, realc(cg, 0)),
      fcmp(cg, LLVMRealOLT, l, realc(cg, (double)C)), "");
  *valid = ok;
  LLVMValueRef li = LLVMBuildFPToSI(cg->b, l, cg->i64, "");
  return sel(cg, ok, li, i64c(cg, 0));
}

static LLVMValueRef elem_loss(Cg *cg, IrOp op, LLVMValueRef p,
                              LLVMValueRef t) {
  LLVMValueRef one = realc(cg, 1);
  switch (op) {
  case IR_SSE: case IR_MSE: {
    LLVMValueRef d = f_sub(cg, p, t);
    return f_mul(cg, d, d);
  }
  case IR_BCE:
    return LLVMBuildFNeg(cg->b, f_add(cg, f_mul(cg, t, flog(cg, p)),
        f_mul(cg, f_sub(cg, one, t), flog(cg, f_sub(cg, one, p)))), "");
  default: {     /* IR_BCE_LOGITS, stable for large |z| */
    LLVMValueRef relu = fmaxr(cg, p, realc(cg, 0));
    LLVMValueRef e = fexp(cg, LLVMBuildFNeg(cg->b,
                                            call1(cg, "llvm.fabs", p), ""));
    return f_add(cg, f_sub(cg, relu, f_mul(cg, p, t)), call1(cg, "log1p", e));
  }
  }
}

/* The positions of one example that count: all P, or, for a sequence of
 * varying length, those of its own steps. */
static LLVMValueRef live_positions(Cg *cg, const IrValue *v,
                                   const Type *pred, int64_t P,
                                   LLVMValueRef b, const IrValue *length) {
  if (!v->masked)
    return i64c(cg, P);
  int64_t steps = pred->dims[0];
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, load(cg, length, b, i64c(cg, 0)),
                                     cg->i64, "");
  LLVMValueRef shorter = LLVMBuildICmp(cg->b, LLVMIntSLT, len,
                                       i64c(cg, steps), "");
  len = sel(cg, shorter, len, i64c(cg, steps));
  return mul(cg, len, i64c(cg, P / steps));
}

static LLVMValueRef count_real(Cg *cg, LLVMValueRef n) {
  LLVMValueRef one = i64c(cg, 1);
  LLVMValueRef some = LLVMBuildICmp(cg->b, LLVMIntSGT, n, one, "");
  return LLVMBuildSIToFP(cg->b, sel(cg, some, n, one), cg->real, "");
}

static void emit_loss(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *z = v->args[0], *t = v->args[1];
  int64_t P = ir_positions(v->op, &z->ty);
  LLVMValueRef live = live_positions(cg, v, &z->ty, P, b,
                                     v->masked ? v->args[2] : NULL);
  LLVMValueRef s = acc_new(cg, realc(cg, 0));
  Loop l;
  LLVMValueRef r = loop_open(cg, &l, live);
  if (ir_per_class(v->op)) {
    int64_t C = z->ty.dims[z->ty.ndim - 1];
    LLVMValueRef base = mul(cg, r, i64c(cg, C)), term;
    if (v->op == IR_XENT_SOFT) {
      LLVMValueRef lse = row_lse(cg, z, b, base, C);
      LLVMValueRef ts = acc_new(cg, realc(cg, 0));
      Loop lc;
      LLVMValueRef c = loop_open(cg, &lc, i64c(cg, C));
      LLVMValueRef i = add(cg, base, c);
      acc_add(cg, ts, f_mul(cg, load(cg, t, b, i),
                           f_sub(cg, lse, load(cg, z, b, i))));
      loop_close(cg, &lc);
      term = acc_get(cg, ts);
    } else {
      LLVMValueRef valid, li = label(cg, t, b, r, C, &valid);
      LLVMValueRef zl = load(cg, z, b, add(cg, base, li));
      term = v->op == IR_XENT ? f_sub(cg, row_lse(cg, z, b, base, C), zl)
                              : LLVMBuildFNeg(cg->b, zl, "");
      term = sel(cg, valid, term, realc(cg, NAN));
    }
    acc_add(cg, s, term);
  } else {
    acc_add(cg, s, elem_loss(cg, v->op, load(cg, z, b, r),
                             load(cg, t, b, r)));
  }
  loop_close(cg, &l);
  LLVMValueRef total = acc_get(cg, s);
  if (v->mean)
    total = f_div(cg, total, count_real(cg, live));
  store(cg, v, b, i64c(cg, 0), total);
}

static void emit_class_loss_grad(Cg *cg, const IrValue *v, LLVMValueRef b,
                                 LLVMValueRef gs, LLVMValueRef P) {
  const IrValue *z = v->args[1], *t = v->args[2];
  IrOp op = v->of;
  int64_t C = z->ty.dims[z->ty.ndim - 1];
  Loop lr, lc;
  LLVMValueRef r = loop_open(cg, &lr, P);
  LLVMValueRef base = mul(cg, r, i64c(cg, C));
  LLVMValueRef lse = row_lse(cg, z, b, base, C), mass = realc(cg, 1);
  if (op == IR_XENT_SOFT) {
    LLVMValueRef m = acc_new(cg, realc(cg, 0));
    LLVMValueRef c = loop_open(cg, &lc, i64c(cg, C));
    acc_add(cg, m, load(cg, t, b, add(cg, base, c)));
    loop_close(cg, &lc);
    mass = acc_get(cg, m);
  }
  LLVMValueRef valid = NULL, li = NULL;
  if (op != IR_XENT_SOFT)
    li = label(cg, t, b, r, C, &valid);
  LLVMValueRef c = loop_open(cg, &lc, i64c(cg, C));
  LLVMValueRef i = add(cg, base, c), zi = load(cg, z, b, i), d;
  LLVMValueRef onehot = op == IR_XENT_SOFT ? load(cg, t, b, i)
      : LLVMBuildUIToFP(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, c, li, ""),
                        cg->real, "");
  if (v->index == 1)
    d = LLVMBuildFNeg(cg->b, f_sub(cg, zi, lse), "");
  else if (op == IR_NLL)
    d = LLVMBuildFNeg(cg->b, onehot, "");
  else
    d = f_sub(cg, f_mul(cg, fexp(cg, f_sub(cg, zi, lse)), mass), onehot);
  store(cg, v, b, i, f_mul(cg, gs, d));
  loop_close(cg, &lc);
  loop_close(cg, &lr);
}

static void emit_loss_grad(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *z = v->args[1], *t = v->args[2];
  int64_t P = ir_positions(v->of, &z->ty);
  LLVMValueRef live = live_positions(cg, v, &z->ty, P, b,
                                     v->masked ? v->args[3] : NULL);
  LLVMValueRef gs = load(cg, v->args[0], b, i64c(cg, 0));
  if (v->mean)
    gs = f_div(cg, gs, count_real(cg, live));
  if (v->masked)
    fill(cg, v, b, 0);
  if (ir_per_class(v->of)) {
    emit_class_loss_grad(cg, v, b, gs, live);
    return;
  }
  LLVMValueRef one = realc(cg, 1);
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, live);
  LLVMValueRef p = load(cg, z, b, i), y = load(cg, t, b, i), d;
  switch (v->of) {
  case IR_SSE: case IR_MSE:
    d = f_mul(cg, realc(cg, v->index ? -2 : 2), f_sub(cg, p, y));
    break;
  case IR_BCE:
    d = v->index ? f_sub(cg, flog(cg, f_sub(cg, one, p)), flog(cg, p))
                 : f_div(cg, f_sub(cg, p, y), f_mul(cg, p, f_sub(cg, one, p)));
    break;
  default:
    d = v->index ? LLVMBuildFNeg(cg->b, p, "") : f_sub(cg, sigmoid(cg, p), y);
    break;
  }
  store(cg, v, b, i, f_mul(cg, gs, d));
  loop_close(cg, &l);
}

/* step t of each example, against its length */
static LLVMValueRef within(Cg *cg, const IrValue *length, LLVMValueRef b,
                           LLVMValueRef t) {
  LLVMValueRef len = load(cg, length, b, i64c(cg, 0));
  LLVMValueRef tr = LLVMBuildSIToFP(cg->b, t, cg->real, "");
  return fcmp(cg, LLVMRealOLT, tr, len);
}

static void emit_mask(Cg *cg, const IrValue *v, LLVMValueRef b) {
  LLVMValueRef ok = within(cg, v->args[1], b, cg->tv[v->loop->id]);
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&v->ty)));
  store(cg, v, b, i, sel(cg, ok, load(cg, v->args[0], b, i), realc(cg, 0)));
  loop_close(cg, &l);
}

/* PICK: row len + lo of a sequence; UNPICK: that row of zeros, set. */
static void emit_pick(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const Type *seq = v->op == IR_PICK ? &v->args[0]->ty : &v->ty;
  int64_t row = count(seq) / seq->dims[0];
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, load(cg, v->args[1], b,
                                     i64c(cg, 0)), cg->i64, "");
  LLVMValueRef t = add(cg, len, i64c(cg, v->lo[0]));
  t = sel(cg, LLVMBuildICmp(cg->b, LLVMIntSLT, t, i64c(cg, 0), ""),
          i64c(cg, 0), t);
  LLVMValueRef at = mul(cg, t, i64c(cg, row));
  if (v->op == IR_UNPICK)
    fill(cg, v, b, 0);
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, row));
  if (v->op == IR_PICK)
    store(cg, v, b, i, load(cg, v->args[0], b, add(cg, at, i)));
  else
    store(cg, v, b, add(cg, at, i), load(cg, v->args[0], b, i));
  loop_close(cg, &l);
}

/* REVERSE of each example's own steps; zeros past them. */
static void emit_reverse_masked(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  int64_t rows = a->ty.dims[0], row = count(&v->ty) / rows;
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, load(cg, v->args[1], b,
                                     i64c(cg, 0)), cg->i64, "");
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&v->ty)));
  LLVMValueRef t = LLVMBuildSDiv(cg->b, i, i64c(cg, row), "");
  LLVMValueRef j = LLVMBuildSRem(cg->b, i, i64c(cg, row), "");
  LLVMValueRef ok = LLVMBuildICmp(cg->b, LLVMIntSLT, t, len, "");
  LLVMValueRef src = LLVMBuildSub(cg->b, LLVMBuildSub(cg->b, len,
                                  i64c(cg, 1), ""), t, "");
  src = sel(cg, ok, src, i64c(cg, 0));
  LLVMValueRef x = load(cg, a, b, add(cg, mul(cg, src, i64c(cg, row)), j));
  store(cg, v, b, i, sel(cg, ok, x, realc(cg, 0)));
  loop_close(cg, &l);
}

static void emit_example(Cg *cg, const IrValue *v, LLVMValueRef b) {
  switch (v->op) {
  case IR_MASK: emit_mask(cg, v, b); return;
  case IR_PICK: case IR_UNPICK: emit_pick(cg, v, b); return;
  case IR_NEG: case IR_EXP: case IR_LOG: case IR_SQRT: case IR_ABS:
  case IR_TANH: case IR_SIGMOID: case IR_RELU: case IR_ADD: case IR_SUB:
  case IR_MUL: case IR_DIV: case IR_TANH_GRAD: case IR_SIGMOID_GRAD:
  case IR_RELU_GRAD: case IR_ABS_GRAD:
    if (v->op == IR_ADD && cg->plan->add_tree[v->id])
      emit_add_tree(cg, v, b);
    else
      emit_elementwise(cg, v, b);
    return;
  case IR_MATMUL: emit_matmul(cg, v, b); return;
  case IR_OUTER: emit_outer(cg, v, b); return;
  case IR_REVERSE:
    if (v->masked)
      emit_reverse_masked(cg, v, b);
    else
      emit_copy_op(cg, v, b);
    return;
  case IR_TRANSPOSE: case IR_RESHAPE: case IR_SLICE: case IR_BROADCAST:
    emit_copy_op(cg, v, b);
    return;
  case IR_UNSLICE: case IR_SUM_TO: emit_scatter_op(cg, v, b); return;
  case IR_CONCAT: emit_concat(cg, v, b); return;
  case IR_SUM: case IR_MEAN: case IR_SUMSQ: emit_reduce(cg, v, b); return;
  case IR_SOFTMAX: case IR_LOG_SOFTMAX: case IR_SOFTMAX_GRAD:
  case IR_LOG_SOFTMAX_GRAD:
    emit_softmax(cg, v, b);
    return;
  case IR_XENT: case IR_XENT_SOFT: case IR_NLL: case IR_SSE: case IR_MSE:
  case IR_BCE: case IR_BCE_LOGITS:
    emit_loss(cg, v, b);
    return;
  case IR_LOSS_GRAD: emit_loss_grad(cg, v, b); return;
  default:
    DIE("codegen: no code for %s", ir_op_name[v->op]);
  }
}

/* ---- GEMM micro-kernels ------------------------------------------------ *
 *
 * The products that carry nearly all the arithmetic: a shared matrix
 * times a vector of every example (dense layers, the gates of a cell and
 * their adjoints), and the batch sum of outer products (weight
 * gradients).  Both run as register tiles: R rows by C vectors of
 * accumulators, one vector load of the matrix per C*R multiply-adds, the
 * batch a run-time count, every other size a constant, the last vector
 * of a row masked.
 */
/* A tile of one vector's width has one accumulator per row: 4 rows are
 * 4 chains of dependent FMAs, one FMA a cycle at the FMA's latency of 4;
 * 8 rows keep both FMA units busy (the MLP's ten-class layer, 128x10x64:
 * 91 to 116 GFLOP/s, OpenBLAS 105 to 113). */
enum { TILE_ROWS = 4, TILE_VECS = 4, NARROW_TILE_ROWS = 8 };

static LLVMValueRef vec_splat(Cg *cg, LLVMValueRef x) {
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(cg->vec), x,
                                          i64c(cg, 0), "");
  LLVMTypeRef mask_t = LLVMVectorType(cg->i32, (unsigned)cg->lanes);
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(cg->vec),
                                LLVMConstNull(mask_t), "");
}

/* The first `lanes` lanes on, the rest off. */
static LLVMValueRef lane_mask(Cg *cg, int lanes) {
  LLVMTypeRef i1 = LLVMInt1TypeInContext(cg->ctx);
  LLVMValueRef bits[64];
  for (int i = 0; i < cg->lanes; i++)
    bits[i] = LLVMConstInt(i1, i < lanes, 0);
  return LLVMConstVector(bits, (unsigned)cg->lanes);
}

static LLVMValueRef intrinsic(Cg *cg, const char *name, LLVMTypeRef *types,
                              size_t ntypes, LLVMTypeRef *fty) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  *fty = LLVMIntrinsicGetType(cg->ctx, id, types, ntypes);
  return LLVMGetIntrinsicDeclaration(cg->mod, id, types, ntypes);
}

/* A vector at p, or its first `lanes` lanes (0: all) and zeros. */
static LLVMValueRef vec_load(Cg *cg, LLVMValueRef p, int lanes) {
  if (!lanes) {
    LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->vec, p, "");
    LLVMSetAlignment(x, (unsigned)cg->bytes);
    return x;
  }
  LLVMTypeRef types[2] = {cg->vec, cg->ptr}, fty;
  LLVMValueRef f = intrinsic(cg, "llvm.masked.load", types, 2, &fty);
  LLVMValueRef args[4] = {p, LLVMConstInt(cg->i32, (unsigned)cg->bytes, 0),
                          lane_mask(cg, lanes), LLVMConstNull(cg->vec)};
  return LLVMBuildCall2(cg->b, fty, f, args, 4, "");
}

static void vec_store(Cg *cg, LLVMValueRef x, LLVMValueRef p, int lanes) {
  if (!lanes) {
    LLVMSetAlignment(LLVMBuildStore(cg->b, x, p), (unsigned)cg->bytes);
    return;
  }
  LLVMTypeRef types[2] = {cg->vec, cg->ptr}, fty;
  LLVMValueRef f = intrinsic(cg, "llvm.masked.store", types, 2, &fty);
  LLVMValueRef args[4] = {x, p, LLVMConstInt(cg->i32, (unsigned)cg->bytes, 0),
                          lane_mask(cg, lanes)};
  LLVMBuildCall2(cg->b, fty, f, args, 4, "");
}

static LLVMValueRef vec_fma(Cg *cg, LLVMValueRef a, LLVMValueRef b,
                            LLVMValueRef c) {
  LLVMTypeRef fty;
  LLVMValueRef f = intrinsic(cg, "llvm.fmuladd", &cg->vec, 1, &fty);
  LLVMValueRef args[3] = {a, b, c};
  return LLVMBuildCall2(cg->b, fty, f, args, 3, "");
}

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
} Gemm;

static void emit_update_element(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                LLVMValueRef pp, const Slot *s);

/* A finished tile's vector x of the gradient at row i, column j: the
 * optimizer's step on the parameter and state there. */
static void emit_tile_update(Cg *cg, const Gemm *g, LLVMValueRef i,
                             LLVMValueRef j, LLVMValueRef x, int tail) {
  LLVMValueRef at = add(cg, mul(cg, i, i64c(cg, g->out_row)), j);
  Slot s;
  for (int k = 0; k < 3; k++)
    s.ptr[k] = gep(cg, g->state,
                   add(cg, at, i64c(cg, k * cg->plan->param_count)));
  cg->vec_tail = tail;
  emit_update_element(cg, &cg->kernel_hy, x, gep(cg, g->params, at), &s);
  cg->vec_tail = -1;
}

/* R rows from i0 by C vectors from column j0, the last `tail` lanes
 * wide (0: full). */
static void emit_gemm_tile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                           LLVMValueRef j0, int C, int tail) {
  LLVMValueRef acc[NARROW_TILE_ROWS][TILE_VECS];
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef orow = gep(cg, g->out_base, mul(cg, i, i64c(cg, g->out_row)));
    for (int c = 0; c < C; c++) {
      int lanes = c == C - 1 ? tail : 0;
      LLVMValueRef j = add(cg, j0, i64c(cg, c * cg->lanes));
      LLVMValueRef x = g->accumulate ? vec_load(cg, gep(cg, orow, j), lanes)
                                     : LLVMConstNull(cg->vec);
      for (int k = 0; k < g->nadd; k++) {
        LLVMValueRef arow = gep(cg, g->add_base[k],
                                mul(cg, i, i64c(cg, g->add_row[k])));
        x = LLVMBuildFAdd(cg->b, x, vec_load(cg, gep(cg, arow, j), lanes),
                          "");
      }
      acc[r][c] = acc_new(cg, x);
    }
  }
  Loop lk;
  LLVMValueRef k = loop_open(cg, &lk, g->depth);
  LLVMValueRef brow = gep(cg, g->b_base, mul(cg, k, i64c(cg, g->b_row)));
  LLVMValueRef bv[TILE_VECS];
  for (int c = 0; c < C; c++)
    bv[c] = vec_load(cg, gep(cg, brow, add(cg, j0, i64c(cg, c * cg->lanes))),
                     c == C - 1 ? tail : 0);
  LLVMValueRef arow = gep(cg, g->a_base, mul(cg, k, i64c(cg, g->a_step)));
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->real,
        gep(cg, arow, mul(cg, i, i64c(cg, g->a_row))), "");
    LLVMValueRef xs = vec_splat(cg, x);
    for (int c = 0; c < C; c++) {
      LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
      LLVMBuildStore(cg->b, vec_fma(cg, xs, bv[c], s), acc[r][c]);
    }
  }
  loop_close(cg, &lk);
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef orow = gep(cg, g->out_base, mul(cg, i, i64c(cg, g->out_row)));
    for (int c = 0; c < C; c++) {
      LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
      LLVMValueRef j = add(cg, j0, i64c(cg, c * cg->lanes));
      if (g->update)
        emit_tile_update(cg, g, i, j, x, c == C - 1 ? tail : 0);
      else
        vec_store(cg, x, gep(cg, orow, j), c == C - 1 ? tail : 0);
    }
  }
}

/* One tile of R rows from i0, of the columns arg says. */
typedef void EmitRowTile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                         const void *arg);

/* Rows in tiles of R, then what is left (fewer than R) in tiles of the
 * powers of two below R, largest first, so no row runs with a single
 * row's accumulators unless one row is left. */
static void emit_row_tiles(Cg *cg, const Gemm *g, int R, EmitRowTile *tile,
                           const void *arg) {
  Loop lt;
  LLVMValueRef tiles = LLVMBuildSDiv(cg->b, g->rows, i64c(cg, R), "");
  LLVMValueRef t = loop_open(cg, &lt, tiles);
  tile(cg, g, mul(cg, t, i64c(cg, R)), R, arg);
  loop_close(cg, &lt);
  LLVMValueRef done = local(cg, cg->i64);
  LLVMBuildStore(cg->b, mul(cg, tiles, i64c(cg, R)), done);
  int part = 1;
  while (2 * part < R)
    part *= 2;
  for (; part >= 1; part /= 2) {
    LLVMValueRef i0 = LLVMBuildLoad2(cg->b, cg->i64, done, "");
    LLVMValueRef left = LLVMBuildSub(cg->b, g->rows, i0, "");
    LLVMBasicBlockRef after = if_open(cg,
        LLVMBuildICmp(cg->b, LLVMIntSGE, left, i64c(cg, part), ""));
    tile(cg, g, i0, part, arg);
    LLVMBuildStore(cg->b, add(cg, i0, i64c(cg, part)), done);
    if_close(cg, after);
  }
}

/* C vectors of columns from j0, the last tail lanes wide (0: full). */
typedef struct Cols {
  LLVMValueRef j0;
  int C, tail;
} Cols;

static void emit_cols_tile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                           const void *arg) {
  const Cols *c = arg;
  emit_gemm_tile(cg, g, i0, R, c->j0, c->C, c->tail);
}

/* A block of columns down every row, in tiles of 8 rows for one vector
 * of columns, else 4. */
static void emit_gemm_rows(Cg *cg, const Gemm *g, LLVMValueRef j0, int C,
                           int tail) {
  Cols c = {j0, C, tail};
  emit_row_tiles(cg, g, C == 1 ? NARROW_TILE_ROWS : TILE_ROWS,
                 emit_cols_tile, &c);
}

/* The full-width column blocks in a loop (one copy of the tiles' code,
 * not one per block: a kernel of 512 columns was eight), then the rest. */
static void emit_gemm_body(Cg *cg, const Gemm *g) {
  int64_t width = TILE_VECS * cg->lanes, blocks = g->cols / width;
  if (blocks == 1) {
    emit_gemm_rows(cg, g, i64c(cg, 0), TILE_VECS, 0);
  } else if (blocks > 1) {
    Loop lj;
    LLVMValueRef j = loop_open(cg, &lj, i64c(cg, blocks));
    emit_gemm_rows(cg, g, mul(cg, j, i64c(cg, width)), TILE_VECS, 0);
    loop_close(cg, &lj);
  }
  int64_t j0 = blocks * width, left = g->cols - j0;
  if (left > 0)
    emit_gemm_rows(cg, g, i64c(cg, j0),
                   (int)((left + cg->lanes - 1) / cg->lanes),
                   (int)(left % cg->lanes));
}

/* Rows [i0, i0 + R) across every column block. */
static void emit_gemm_row_tile(Cg *cg, const Gemm *g, LLVMValueRef i0,
                               int R, const void *unused) {
  (void)unused;
  int64_t width = TILE_VECS * cg->lanes, blocks = g->cols / width;
  if (blocks > 0) {
    Loop lj;
    LLVMValueRef j = loop_open(cg, &lj, i64c(cg, blocks));
    emit_gemm_tile(cg, g, i0, R, mul(cg, j, i64c(cg, width)), TILE_VECS, 0);
    loop_close(cg, &lj);
  }
  int64_t j0 = blocks * width, left = g->cols - j0;
  if (left > 0)
    emit_gemm_tile(cg, g, i0, R, i64c(cg, j0),
                   (int)((left + cg->lanes - 1) / cg->lanes),
                   (int)(left % cg->lanes));
}

/* An updating GEMM walks its output row by row: its tiles then read and
 * write the parameters and their state in a few contiguous streams, not
 * in 256-byte pieces a matrix apart (which left the MLP's fused update
 * no faster than a separate one). */
static void emit_gemm_body_by_rows(Cg *cg, const Gemm *g) {
  emit_row_tiles(cg, g, TILE_ROWS, emit_gemm_row_tile, NULL);
}

static void keep_apart(Cg *cg, LLVMValueRef fn);
static void begin(Cg *cg, const char *name, LLVMTypeRef fty);

/* The kernel of g's shape and strides as a function of its three bases,
 * rows and depth: built once per module and called wherever a product
 * of that form runs (the forward pass of gradient, evaluate and predict
 * share it), so LLVM optimizes each kernel once. */
static LLVMTypeRef gemm_function_type(Cg *cg, const Gemm *g) {
  LLVMTypeRef args[9 + MAX_ADDENDS] = {cg->ptr, cg->ptr, cg->ptr, cg->i64,
                                       cg->i64};
  unsigned n = 5;
  for (int k = 0; k < g->nadd; k++)
    args[n++] = cg->ptr;
  if (g->update) {                /* params, state, step, hyper */
    args[n++] = cg->ptr;
    args[n++] = cg->ptr;
    args[n++] = cg->i64;
    args[n++] = cg->ptr;
  }
  return LLVMFunctionType(cg->voidt, args, n, 0);
}

static void load_hyper(Cg *cg, LLVMValueRef h, Hyper *hy);
static void step_hyper(Cg *cg, Hyper *hy, LLVMValueRef step);
static void fix_to_defaults(Cg *cg, Hyper *hy);

/* An updating kernel's hyperparameters, read once at its entry, as
 * vectors. */
static void kernel_hyper(Cg *cg, const Gemm *g) {
  Hyper *hy = &cg->kernel_hy;
  load_hyper(cg, g->hyper, hy);
  fix_to_defaults(cg, hy);
  step_hyper(cg, hy, g->step);
  for (int k = 0; k < HY_COUNT; k++)
    hy->v[k] = vec_splat(cg, hy->v[k]);
  hy->clr = vec_splat(cg, hy->clr);
  hy->bc1 = vec_splat(cg, hy->bc1);
  hy->sqrt_bc2 = vec_splat(cg, hy->sqrt_bc2);
}

static LLVMValueRef gemm_function(Cg *cg, const Gemm *g) {
  char name[200];
  int n = snprintf(name, sizeof name, "gemm_a%" PRId64 "_%" PRId64 "_b%"
                   PRId64 "_o%" PRId64 "_c%" PRId64 "%s", g->a_row,
                   g->a_step, g->b_row, g->out_row, g->cols,
                   g->accumulate ? "_acc" : "");
  for (int k = 0; k < g->nadd; k++)
    n += snprintf(name + n, sizeof name - (size_t)n, "_p%" PRId64,
                  g->add_row[k]);
  if (g->update)
    snprintf(name + n, sizeof name - (size_t)n, "_update");
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, name);
  if (fn)
    return fn;
  LLVMValueRef outer_fn = cg->fn;
  LLVMBasicBlockRef outer_entry = cg->entry,
                    outer_at = LLVMGetInsertBlock(cg->b);
  begin(cg, name, gemm_function_type(cg, g));
  fn = cg->fn;
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  keep_apart(cg, fn);
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (unsigned k = 1; k <= 3; k++)        /* out never overlaps a or b */
    LLVMAddAttributeAtIndex(fn, k,
                            LLVMCreateEnumAttribute(cg->ctx, noalias, 0));
  cg->in_kernel = true;
  Gemm body = *g;
  body.a_base = LLVMGetParam(fn, 0);
  body.b_base = LLVMGetParam(fn, 1);
  body.out_base = LLVMGetParam(fn, 2);
  body.rows = LLVMGetParam(fn, 3);
  body.depth = LLVMGetParam(fn, 4);
  unsigned n_args = 5;
  for (int k = 0; k < g->nadd; k++)
    body.add_base[k] = LLVMGetParam(fn, n_args++);
  if (g->update) {
    for (unsigned k = n_args + 1; k <= n_args + 2; k++)  /* params, state */
      LLVMAddAttributeAtIndex(fn, k,
                              LLVMCreateEnumAttribute(cg->ctx, noalias, 0));
    body.params = LLVMGetParam(fn, n_args++);
    body.state = LLVMGetParam(fn, n_args++);
    body.step = LLVMGetParam(fn, n_args++);
    body.hyper = LLVMGetParam(fn, n_args++);
    kernel_hyper(cg, &body);
    emit_gemm_body_by_rows(cg, &body);
  } else {
    emit_gemm_body(cg, &body);
  }
  LLVMBuildRetVoid(cg->b);
  cg->in_kernel = false;
  cg->fn = outer_fn;
  cg->entry = outer_entry;
  LLVMPositionBuilderAtEnd(cg->b, outer_at);
  return fn;
}

static void emit_gemm(Cg *cg, const Gemm *g) {
  LLVMValueRef fn = gemm_function(cg, g);
  LLVMValueRef args[9 + MAX_ADDENDS] = {g->a_base, g->b_base, g->out_base,
                                        g->rows, g->depth};
  unsigned n = 5;
  for (int k = 0; k < g->nadd; k++)
    args[n++] = g->add_base[k];
  if (g->update) {
    args[n++] = g->params;
    args[n++] = g->state;
    args[n++] = g->step;
    args[n++] = g->hyper;
  }
  LLVMBuildCall2(cg->b, gemm_function_type(cg, g), fn, args, n, "");
}

static LLVMValueRef batch_real(Cg *cg) {
  return LLVMBuildSIToFP(cg->b, cg->total, cg->real, "");
}

/* batch_sum(outer(g, x)): out[m,k] = sum over b of g[b,m] * x[b,k], row
 * by row, without the outer products of every example in memory. */
static void emit_outer_sum(Cg *cg, const IrValue *v, const IrValue *o) {
  const IrValue *g = o->args[0], *x = o->args[1];
  int64_t M = v->ty.dims[0], K = v->ty.dims[1];
  if (g->batched && x->batched) {
    Gemm gm = {
      .a_base = value_base(cg, g), .a_row = 1,
      .a_step = plan_example_stride(cg->plan, g),
      .b_base = value_base(cg, x), .b_row = plan_example_stride(cg->plan, x),
      .out_base = value_base(cg, v), .out_row = K,
      .rows = i64c(cg, M), .depth = cg->batch, .cols = K,
    };
    int k = cg->updating ? cg->plan->gemm_update[v->id] - 1 : -1;
    if (k >= 0) {
      gm.update = true;
      gm.params = gep(cg, cg->params, i64c(cg, cg->plan->param_offset[k]));
      gm.state = gep(cg, cg->state, i64c(cg, cg->plan->param_offset[k]));
      gm.step = cg->step;
      gm.hyper = cg->hyper;
    }
    emit_gemm(cg, &gm);
    return;
  }
  fill(cg, v, NULL, 0);
  Loop lm, lb, lk;
  LLVMValueRef m = loop_open(cg, &lm, i64c(cg, M));
  LLVMValueRef row = mul(cg, m, i64c(cg, K));
  LLVMValueRef b = loop_open(cg, &lb, cg->batch);
  LLVMValueRef gm = load(cg, g, g->batched ? b : NULL, m);
  LLVMValueRef k = loop_open(cg, &lk, i64c(cg, K));
  LLVMValueRef xk = load(cg, x, x->batched ? b : NULL, k);
  accumulate_at(cg, v, NULL, add(cg, row, k), f_mul(cg, gm, xk));
  loop_close(cg, &lk);
  loop_close(cg, &lb);
  loop_close(cg, &lm);
}

static void emit_across_batch(Cg *cg, const IrValue *v) {
  const IrValue *a = v->args[0];
  int64_t n = count(&v->ty);
  Loop li, lb;
  if (v->op == IR_BATCH_SUM && cg->plan->fused[a->id]) {
    emit_outer_sum(cg, v, a);
    return;
  }
  if (v->op == IR_UNBATCH) {
    LLVMValueRef b = loop_open(cg, &lb, cg->batch);
    LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
    LLVMValueRef x = load(cg, a, NULL, i);
    store(cg, v, b, i, v->mean ? f_div(cg, x, batch_real(cg)) : x);
    loop_close(cg, &li);
    loop_close(cg, &lb);
    return;
  }
  /* examples outside, elements inside: rows are read as they lie */
  fill(cg, v, NULL, 0);
  LLVMValueRef b = loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
  accumulate_at(cg, v, NULL, i, load(cg, a, a->batched ? b : NULL, i));
  loop_close(cg, &li);
  loop_close(cg, &lb);
  if (v->op != IR_BATCH_MEAN)
    return;
  i = loop_open(cg, &li, i64c(cg, n));
  store(cg, v, NULL, i, f_div(cg, load(cg, v, NULL, i), batch_real(cg)));
  loop_close(cg, &li);
}

static void emit_loop(Cg *cg, const IrValue *lv);

/* Step t of an outer sequence, for every example. */
static void emit_step_in(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *seq = v->args[0];
  int64_t n = count(&v->ty), steps = seq->ty.dims[0];
  LLVMValueRef t = cg->tv[v->loop->id];
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, n));
  LLVMValueRef at = add(cg, mul(cg, t, i64c(cg, n)), i);
  (void)steps;
  store(cg, v, b, i, load(cg, seq, b, at));
  loop_close(cg, &l);
}

/* Where a batched product goes: into its own buffer, or into a sum
 * that it is a term of (mark_gemm_sums): out (+)= the product + the
 * addends, each an example's vector or one vector for all (a bias). */
typedef struct Into {
  const IrValue *out;
  bool accumulate;
  int nadd;
  const IrValue *add[MAX_ADDENDS];
} Into;

/* y[b, m] = sum over k of x[b, k] * a[m, k]: the rows of a transposed
 * (packed once) or of w when a = transpose(w). */
static bool emit_matvec_gemm(Cg *cg, const IrValue *v, const Into *to) {
  const IrValue *a = v->args[0], *x = v->args[1];
  int64_t M = a->ty.dims[0], K = a->ty.dims[1];
  const IrValue *w = plan_transposed_source(cg->plan, a);
  if (!w && !cg->plan->pack_offset[a->id])
    return false;
  Gemm g = {
    .a_base = value_base(cg, x), .a_row = plan_example_stride(cg->plan, x),
    .a_step = 1,
    .b_base = w ? value_base(cg, w) : byte_gep(cg, cg->ws,
                                               cg->plan->pack_offset[a->id]),
    .b_row = M, .out_base = value_base(cg, to->out),
    .out_row = plan_example_stride(cg->plan, to->out),
    .rows = cg->batch, .depth = i64c(cg, K), .cols = M,
    .accumulate = to->accumulate, .nadd = to->nadd,
  };
  for (int k = 0; k < to->nadd; k++) {
    g.add_base[k] = value_base(cg, to->add[k]);
    g.add_row[k] = to->add[k]->batched
                       ? plan_example_stride(cg->plan, to->add[k]) : 0;
  }
  emit_gemm(cg, &g);
  return true;
}

static void emit_matvec_dot_tiles(Cg *cg, const IrValue *v, const Into *to);
static LLVMValueRef pack_pays(Cg *cg, const IrValue *a);

/* With a packed matrix, the GEMM when this call's batch is large enough
 * to pay for the pack (see PACK_MIN_ROWS), dot products otherwise. */
static void emit_matvec_into(Cg *cg, const IrValue *v, const Into *to) {
  const IrValue *a = v->args[0];
  if (plan_transposed_source(cg->plan, a) || !cg->plan->pack_offset[a->id]) {
    if (!emit_matvec_gemm(cg, v, to))
      emit_matvec_dot_tiles(cg, v, to);
    return;
  }
  LLVMValueRef pays = pack_pays(cg, a);
  LLVMBasicBlockRef after = if_open(cg, pays);
  emit_matvec_gemm(cg, v, to);
  if_close(cg, after);
  after = if_open(cg, LLVMBuildNot(cg->b, pays, ""));
  emit_matvec_dot_tiles(cg, v, to);
  if_close(cg, after);
}

static void emit_batched_matvec(Cg *cg, const IrValue *v) {
  Into own = {.out = v};
  emit_matvec_into(cg, v, &own);
}

/* A sum's terms (mark_gemm_sums): its products, then its addends; the
 * adds between them are fused.  False when it has too many of either. */
static bool gemm_sum_terms(const Cg *cg, const IrValue *v,
                           const IrValue **prod, int *nprod, Into *to) {
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    if (a->op == IR_ADD && cg->plan->fused[a->id]) {
      if (!gemm_sum_terms(cg, a, prod, nprod, to))
        return false;
    } else if (plan_batched_matvec(a) && cg->plan->fused[a->id]) {
      if (*nprod == MAX_PRODUCTS)
        return false;
      prod[(*nprod)++] = a;
    } else if (to->nadd < MAX_ADDENDS) {
      to->add[to->nadd++] = a;
    } else {
      return false;
    }
  }
  return true;
}

/* The first product's GEMM starts from the addends, the others add to
 * it: no buffer for any product, no pass over them to add them up. */
static void emit_gemm_sum(Cg *cg, const IrValue *v) {
  const IrValue *prod[MAX_PRODUCTS];
  int nprod = 0;
  Into to = {.out = v};
  if (!gemm_sum_terms(cg, v, prod, &nprod, &to))
    DIE("codegen: %%%d is not a sum of products", v->id);
  for (int i = 0; i < nprod; i++) {
    emit_matvec_into(cg, prod[i], &to);
    to.accumulate = true;
    to.nadd = 0;
  }
}

enum { DOT_ROWS = 4, DOT_COLS = 4 };

/* y[b, m] for R examples from b0 and C rows of a from m0: R*C vector
 * accumulators along k, then one horizontal sum each. */
static void emit_dot_tile(Cg *cg, const IrValue *v, const Into *to,
                          LLVMValueRef b0, int R, LLVMValueRef m0, int C) {
  const IrValue *a = v->args[0], *x = v->args[1];
  int64_t K = a->ty.dims[1], full = K / cg->lanes;
  int tail = (int)(K % cg->lanes);
  LLVMValueRef xb = value_base(cg, x), ab = value_base(cg, a);
  LLVMValueRef xrow[DOT_ROWS], arow[DOT_COLS], acc[DOT_ROWS][DOT_COLS];
  for (int r = 0; r < R; r++) {
    xrow[r] = gep(cg, xb, mul(cg, add(cg, b0, i64c(cg, r)),
                              i64c(cg, plan_example_stride(cg->plan, x))));
    for (int c = 0; c < C; c++)
      acc[r][c] = acc_new(cg, LLVMConstNull(cg->vec));
  }
  for (int c = 0; c < C; c++)
    arow[c] = gep(cg, ab, mul(cg, add(cg, m0, i64c(cg, c)), i64c(cg, K)));
  for (int pass = 0; pass < 2; pass++) {     /* whole vectors, then tail */
    if (pass == 1 && !tail)
      break;
    Loop lk;
    LLVMValueRef k = pass == 0 ? loop_open(cg, &lk, i64c(cg, full))
                               : i64c(cg, full);
    LLVMValueRef at = mul(cg, k, i64c(cg, cg->lanes));
    LLVMValueRef av[DOT_COLS];
    for (int c = 0; c < C; c++)
      av[c] = vec_load(cg, gep(cg, arow[c], at), pass ? tail : 0);
    for (int r = 0; r < R; r++) {
      LLVMValueRef xv = vec_load(cg, gep(cg, xrow[r], at), pass ? tail : 0);
      for (int c = 0; c < C; c++) {
        LLVMValueRef sum = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
        LLVMBuildStore(cg->b, vec_fma(cg, xv, av[c], sum), acc[r][c]);
      }
    }
    if (pass == 0)
      loop_close(cg, &lk);
  }
  LLVMTypeRef fty;
  LLVMValueRef reduce = intrinsic(cg, "llvm.vector.reduce.fadd", &cg->vec, 1,
                                  &fty);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) {
      LLVMValueRef args[2] = {realc(cg, 0),
                              LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "")};
      LLVMValueRef y = LLVMBuildCall2(cg->b, fty, reduce, args, 2, "");
      LLVMSetFastMathFlags(y, LLVMFastMathAllowReassoc);
      LLVMValueRef b = add(cg, b0, i64c(cg, r)), m = add(cg, m0, i64c(cg, c));
      if (to->accumulate)
        y = f_add(cg, load(cg, to->out, b, m), y);
      for (int k = 0; k < to->nadd; k++)
        y = f_add(cg, y, load(cg, to->add[k], to->add[k]->batched ? b : NULL,
                              m));
      store(cg, to->out, b, m, y);
    }
}

/* Every example for C rows of a from m0: tiles of DOT_ROWS examples, then
 * one by one. */
static void emit_dot_rows(Cg *cg, const IrValue *v, const Into *to,
                          LLVMValueRef m0, int C) {
  Loop lt, lr;
  LLVMValueRef tiles = LLVMBuildSDiv(cg->b, cg->batch, i64c(cg, DOT_ROWS),
                                     "");
  LLVMValueRef t = loop_open(cg, &lt, tiles);
  emit_dot_tile(cg, v, to, mul(cg, t, i64c(cg, DOT_ROWS)), DOT_ROWS, m0, C);
  loop_close(cg, &lt);
  LLVMValueRef done = mul(cg, tiles, i64c(cg, DOT_ROWS));
  LLVMValueRef r = loop_open(cg, &lr, LLVMBuildSub(cg->b, cg->batch, done,
                                                   ""));
  emit_dot_tile(cg, v, to, add(cg, done, r), 1, m0, C);
  loop_close(cg, &lr);
}

/* y = a x for every example with a's rows as they lie, no pack: dot
 * products along k, DOT_ROWS examples by DOT_COLS rows at a time. */
static void emit_matvec_dot_tiles(Cg *cg, const IrValue *v, const Into *to) {
  int64_t M = v->args[0]->ty.dims[0], groups = M / DOT_COLS;
  Loop lg;
  LLVMValueRef g = loop_open(cg, &lg, i64c(cg, groups));
  emit_dot_rows(cg, v, to, mul(cg, g, i64c(cg, DOT_COLS)), DOT_COLS);
  loop_close(cg, &lg);
  if (M % DOT_COLS)
    emit_dot_rows(cg, v, to, i64c(cg, groups * DOT_COLS),
                  (int)(M % DOT_COLS));
}

/* The [rows, cols] matrix at from, transposed into [cols, rows] at to,
 * in strips of one cache line of columns: each row's strip is one cache
 * line read, and the strip's output rows are as many lines written in
 * step, so neither side misses the cache element by element (a plain
 * strided loop cost 4% of an LSTM step). */
static void emit_transpose_into(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                                int64_t rows, int64_t cols) {
  int64_t strip = 64 / cg->bytes;
  int64_t strips = (cols + strip - 1) / strip;
  Loop ls, lr, lc;
  LLVMValueRef s = loop_open(cg, &ls, i64c(cg, strips));
  LLVMValueRef c0 = mul(cg, s, i64c(cg, strip));
  LLVMValueRef left = LLVMBuildSub(cg->b, i64c(cg, cols), c0, "");
  LLVMValueRef wide = LLVMBuildICmp(cg->b, LLVMIntSLT, left,
                                    i64c(cg, strip), "");
  LLVMValueRef width = sel(cg, wide, left, i64c(cg, strip));
  LLVMValueRef r = loop_open(cg, &lr, i64c(cg, rows));
  LLVMValueRef cc = loop_open(cg, &lc, width);
  LLVMValueRef c = add(cg, c0, cc);
  LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->real,
      gep(cg, from, add(cg, mul(cg, r, i64c(cg, cols)), c)), "");
  LLVMBuildStore(cg->b, x, gep(cg, to, add(cg, mul(cg, c, i64c(cg, rows)),
                                           r)));
  loop_close(cg, &lc);
  loop_close(cg, &lr);
  loop_close(cg, &ls);
}

/* a's transpose into its pack: [M, K] -> [K, M], when the call's batch
 * makes it pay. */
static void emit_pack(Cg *cg, const IrValue *a) {
  LLVMBasicBlockRef after = if_open(cg, pack_pays(cg, a));
  emit_transpose_into(cg, value_base(cg, a),
                      byte_gep(cg, cg->ws, cg->plan->pack_offset[a->id]),
                      a->ty.dims[0], a->ty.dims[1]);
  if_close(cg, after);
}


/* Whether this call multiplies a's pack by enough vectors to pay for it
 * (an i1): the compiled batch decides whether a is packed at all, the
 * call's batch (predict at batch 1, an empty shard) whether it is now. */
static LLVMValueRef pack_pays(Cg *cg, const IrValue *a) {
  LLVMValueRef rows = mul(cg, cg->batch, i64c(cg, cg->plan->pack_steps[a->id]));
  return LLVMBuildICmp(cg->b, LLVMIntSGE, rows, i64c(cg, PACK_MIN_ROWS), "");
}

/* emit(v, b) inside a loop over the examples, or once (b NULL) for a
 * value shared by the batch. */
static void for_examples(Cg *cg, const IrValue *v,
                         void (*emit)(Cg *, const IrValue *, LLVMValueRef)) {
  if (!v->batched) {
    emit(cg, v, NULL);
    return;
  }
  Loop lb;
  LLVMValueRef b = loop_open(cg, &lb, cg->batch);
  emit(cg, v, b);
  loop_close(cg, &lb);
}

static void emit_value(Cg *cg, const IrValue *v) {
  if (v->op == IR_LOOP) {
    emit_loop(cg, v);
    return;
  }
  if (cg->plan->gemm_root[v->id]) {
    emit_gemm_sum(cg, v);
    return;
  }
  if (plan_batched_matvec(v)) {
    emit_batched_matvec(cg, v);
    return;
  }
  if (v->nargs == 0 || v->op == IR_LOOP_OUT)
    return;                /* leaves are read where they are; loop outputs
                              are written by their loops */
  if (v->op == IR_BATCH_SUM || v->op == IR_BATCH_MEAN ||
      v->op == IR_UNBATCH) {
    emit_across_batch(cg, v);
    return;
  }
  if (cg->plan->step_view[v->id] || cg->plan->slice_of[v->id])
    return;                /* read in place */
  for_examples(cg, v, v->op == IR_STEP_IN ? emit_step_in : emit_example);
}

/* ---- time loops ---------------------------------------------------------- */

/* dst (per example) = src, a scalar, a shared value or one per example. */
static void copy_broadcast(Cg *cg, const IrValue *dst, const IrValue *src) {
  int64_t n = count(&dst->ty), m = count(&src->ty);
  Loop lb, li;
  LLVMValueRef b = loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
  LLVMValueRef x = load(cg, src, src->batched ? b : NULL,
                        m == 1 ? i64c(cg, 0) : i);
  store(cg, dst, b, i, x);
  loop_close(cg, &li);
  loop_close(cg, &lb);
}

static void emit_states(Cg *cg, const IrLoop *l, LLVMValueRef s,
                        LLVMValueRef t) {
  if (l->nstates == 0)
    return;
  LLVMValueRef first = LLVMBuildICmp(cg->b, LLVMIntEQ, s, i64c(cg, 0), "");
  LLVMBasicBlockRef after = if_open(cg, first);
  for (int k = 0; k < l->nstates; k++)
    copy_broadcast(cg, l->state_in[k], l->state_init[k]);
  if_close(cg, after);
  after = if_open(cg, LLVMBuildNot(cg->b, first, ""));
  LLVMValueRef prev = add(cg, t, i64c(cg, l->backward ? 1 : -1));
  for (int k = 0; k < l->nstates; k++) {
    /* next at the step before, or the state kept when that step was
     * past the example's length */
    const IrValue *in = l->state_in[k], *next = l->state_next[k];
    int64_t n = count(&in->ty), m = count(&next->ty);
    Loop lb, li;
    LLVMValueRef b = loop_open(cg, &lb, cg->batch);
    LLVMValueRef ok = l->length ? within(cg, l->length, b, prev) : NULL;
    LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
    cg->tv[l->id] = prev;
    LLVMValueRef x = load(cg, next, next->batched ? b : NULL,
                          m == 1 ? i64c(cg, 0) : i);
    if (ok)
      x = sel(cg, ok, x, load(cg, in, b, i));
    cg->tv[l->id] = t;
    store(cg, in, b, i, x);
    loop_close(cg, &li);
    loop_close(cg, &lb);
  }
  if_close(cg, after);
}

static void emit_outputs(Cg *cg, const IrLoop *l, LLVMValueRef s,
                         LLVMValueRef t) {
  LLVMValueRef first = LLVMBuildICmp(cg->b, LLVMIntEQ, s, i64c(cg, 0), "");
  for (int k = 0; k < l->nouts; k++) {
    const IrValue *step = l->out_step[k], *o = l->out[k];
    if (cg->plan->hoisted[step->id] || cg->plan->unused[o->id] ||
        cg->plan->stack_of[step->id] == o)
      continue;
    int64_t n = count(&step->ty);
    Loop lb, li;
    LLVMValueRef b = step->batched ? loop_open(cg, &lb, cg->batch) : NULL;
    LLVMValueRef ok = l->length && b ? within(cg, l->length, b, t) : NULL;
    LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
    LLVMValueRef x = load(cg, step, b, i);
    if (ok)
      x = sel(cg, ok, x, realc(cg, 0));
    switch (l->out_kind[k]) {
    case OUT_STACK:
      store(cg, o, b, add(cg, mul(cg, t, i64c(cg, n)), i), x);
      break;
    case OUT_SUM: {
      LLVMValueRef old = sel(cg, first, realc(cg, 0), load(cg, o, b, i));
      store(cg, o, b, i, f_add(cg, old, x));
      break;
    }
    case OUT_LAST:
      if (ok)      /* the step of the last valid step */
        x = sel(cg, LLVMBuildOr(cg->b, ok, first, ""), x, load(cg, o, b, i));
      store(cg, o, b, i, x);
      break;
    }
    loop_close(cg, &li);
    if (b)
      loop_close(cg, &lb);
  }
}

/* The value at step 0 (a body value) or the value (one outside). */
static LLVMValueRef step0_base(Cg *cg, const IrValue *v) {
  if (cg->plan->slice_of[v->id])
    return gep(cg, step0_base(cg, cg->plan->slice_of[v->id]),
               i64c(cg, cg->plan->slice_at[v->id]));
  if (cg->plan->step_view[v->id])
    return value_base(cg, v->args[0]);
  if (cg->plan->stack_of[v->id])
    return value_base(cg, cg->plan->stack_of[v->id]);
  return plan_in_body(v) ? byte_gep(cg, cg->ws, cg->plan->offset[v->id])
                    : value_base(cg, v);
}

/* v at step t of loop l: its slot, or its place in its sequence. */
static LLVMValueRef at_step(Cg *cg, const IrValue *v, const IrLoop *l,
                            LLVMValueRef t) {
  int64_t stride = plan_step_stride(cg->plan, v, l);
  return gep(cg, step0_base(cg, v), mul(cg, t, i64c(cg, stride)));
}

static void zero_reals(Cg *cg, LLVMValueRef p, int64_t n) {
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, i64c(cg, n));
  LLVMBuildStore(cg->b, realc(cg, 0), gep(cg, p, i));
  loop_close(cg, &l);
}

static void emit_transpose_into(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                                int64_t rows, int64_t cols);

/* A loop's output k, a sum over steps that was hoisted (mark_hoisted),
 * after the loop, step by step, as one GEMM a step accumulating into the
 * output: batch_sum(outer(g, x)) (a weight's gradient; each step's x rows
 * stay in L1 while every tile of the output reads them), or
 * batch_sum(g) (a bias's gradient) as a one-row GEMM of ones and g. */
static void emit_hoisted_sum(Cg *cg, const IrLoop *l, int k) {
  const IrValue *o = l->out_step[k]->args[0], *out = l->out[k];
  fill(cg, out, NULL, 0);
  LLVMValueRef some = LLVMBuildICmp(cg->b, LLVMIntSGT, cg->batch,
                                    i64c(cg, 0), "");
  LLVMBasicBlockRef after = if_open(cg, some);    /* not an empty shard */
  LLVMValueRef one = o->op == IR_OUTER ? NULL : acc_new(cg, realc(cg, 1));
  bool swap = cg->plan->swap_offset[out->id] != 0;
  LLVMValueRef swapped =
      swap ? byte_gep(cg, cg->ws, cg->plan->swap_offset[out->id]) : NULL;
  if (swap)
    zero_reals(cg, swapped, count(&out->ty));
  Loop lt;
  LLVMValueRef t = loop_open(cg, &lt, i64c(cg, l->steps));
  Gemm gm = {.out_base = value_base(cg, out), .depth = cg->batch,
             .accumulate = true};
  if (o->op == IR_OUTER) {
    const IrValue *g = o->args[0], *x = o->args[1];
    if (swap) {          /* out^T[k, m] = sum of x[b, k] g[b, m] */
      const IrValue *tmp = g;
      g = x;
      x = tmp;
      gm.out_base = swapped;
    }
    gm.a_base = at_step(cg, g, l, t);
    gm.a_row = 1;
    gm.a_step = plan_example_stride(cg->plan, g);
    gm.b_base = at_step(cg, x, l, t);
    gm.b_row = plan_example_stride(cg->plan, x);
    gm.out_row = gm.cols = out->ty.dims[swap ? 0 : 1];
    gm.rows = i64c(cg, out->ty.dims[swap ? 1 : 0]);
  } else {
    gm.a_base = one;                /* a(i, r) = 1 */
    gm.b_base = at_step(cg, o, l, t);
    gm.b_row = plan_example_stride(cg->plan, o);
    gm.cols = count(&o->ty);
    gm.rows = i64c(cg, 1);
  }
  emit_gemm(cg, &gm);
  loop_close(cg, &lt);
  if (swap)
    emit_transpose_into(cg, swapped, value_base(cg, out), out->ty.dims[1],
                        out->ty.dims[0]);
  if_close(cg, after);
}

/* The steps of a loop, forwards or backwards, its body inside. */
static void emit_loop(Cg *cg, const IrValue *lv) {
  const IrLoop *l = lv->loop;
  Loop ls;
  LLVMValueRef s = loop_open(cg, &ls, i64c(cg, l->steps));
  LLVMValueRef t = l->backward
      ? LLVMBuildSub(cg->b, i64c(cg, l->steps - 1), s, "") : s;
  cg->tv[l->id] = t;
  if (l->primal)
    cg->tv[l->primal->id] = t;
  emit_states(cg, l, s, t);
  for (int i = 0; i < l->body.n; i++) {
    const IrValue *v = l->body.v[i];
    if (!cg->plan->fused[v->id] && !cg->plan->hoisted[v->id] &&
        !cg->plan->inlined[v->id])
      emit_value(cg, v);
  }
  emit_outputs(cg, l, s, t);
  loop_close(cg, &ls);
  for (int k = 0; k < l->nouts; k++)
    if (cg->plan->hoisted[l->out_step[k]->id])
      emit_hoisted_sum(cg, l, k);
}

/* ---- the entry points -------------------------------------------------- */

/* 512-bit vectors where the target has them: LLVM would otherwise split
 * the GEMM kernels' vectors in two on CPUs it tunes for 256 bits. */
static void prefer_wide_vectors(Cg *cg, LLVMValueRef fn) {
  static const char *const keys[] = {"prefer-vector-width",
                                     "min-legal-vector-width"};
  for (int k = 0; k < 2; k++) {
    LLVMAttributeRef a = LLVMCreateStringAttribute(
        cg->ctx, keys[k], (unsigned)strlen(keys[k]), "512", 3);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
  }
}

static void begin(Cg *cg, const char *name, LLVMTypeRef fty) {
  cg->fn = LLVMAddFunction(cg->mod, name, fty);
  prefer_wide_vectors(cg, cg->fn);
  cg->entry = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, cg->entry);
}

/* The function being built's n arguments. */
static void args_of(Cg *cg, LLVMValueRef *p, unsigned n) {
  for (unsigned k = 0; k < n; k++)
    p[k] = LLVMGetParam(cg->fn, k);
}

/* The pointers of the inputs and (when targets is not NULL) targets. */
static void load_io(Cg *cg, LLVMValueRef inputs, LLVMValueRef targets) {
  const IrProgram *p = cg->p;
  cg->input_base = arena_array(LLVMValueRef, p->ninputs + 2);
  cg->target_base = arena_array(LLVMValueRef, p->ntargets + 1);
  bool varlen = false;
  for (int k = 0; k < p->ninputs; k++)
    varlen |= p->inputs[k].ty.varlen;
  for (int k = 0; k < p->ninputs + varlen; k++) {   /* lengths after them */
    LLVMValueRef i = i64c(cg, k);
    LLVMValueRef at = LLVMBuildGEP2(cg->b, cg->ptr, inputs, &i, 1, "");
    cg->input_base[k] = LLVMBuildLoad2(cg->b, cg->ptr, at, "");
  }
  for (int k = 0; targets && k < p->ntargets; k++) {
    LLVMValueRef i = i64c(cg, k);
    LLVMValueRef at = LLVMBuildGEP2(cg->b, cg->ptr, targets, &i, 1, "");
    cg->target_base[k] = LLVMBuildLoad2(cg->b, cg->ptr, at, "");
  }
}

static void set_batch(Cg *cg, LLVMValueRef batch32) {
  cg->batch = LLVMBuildSExt(cg->b, batch32, cg->i64, "");
  cg->total = cg->batch;
}

/* Which values a function computes: everything up to `last`, or only
 * what the output needs without the targets (predict). */
static bool *wanted(Cg *cg, int last, bool predict) {
  const IrProgram *p = cg->p;
  bool *want = arena_array(bool, p->nids + 1);
  if (predict && !p->output)
    return want;
  if (!predict && last < p->n) {       /* evaluate: the forward pass */
    for (int i = 0; i < last; i++)
      want[p->v[i]->id] = true;
    return want;
  }
  if (p->output)
    ir_mark_reads(p->output, want);
  if (predict)
    return want;
  /* the gradient: what the loss and the gradients read, nothing dead */
  ir_mark_reads(p->loss, want);
  for (int k = 0; p->grads && k < p->nparams; k++)
    ir_mark_reads(p->grads[k], want);
  return want;
}

/* Parameters are packed first; a computed matrix once it is known. */
static void emit_values(Cg *cg, const bool *want) {
  for (int i = 0; i < cg->p->n; i++) {
    const IrValue *v = cg->p->v[i];
    if (want[v->id] && v->op == IR_PARAM && cg->plan->pack_offset[v->id])
      emit_pack(cg, v);
  }
  for (int i = 0; i < cg->p->n; i++) {
    const IrValue *v = cg->p->v[i];
    if (!want[v->id] || cg->plan->fused[v->id] || cg->plan->inlined[v->id])
      continue;
    emit_value(cg, v);
    if (v->op != IR_PARAM && cg->plan->pack_offset[v->id])
      emit_pack(cg, v);
  }
}

static LLVMValueRef loss_double(Cg *cg) {
  LLVMValueRef l = load(cg, cg->p->loss, NULL, i64c(cg, 0));
  return cg->bytes == 8 ? l : LLVMBuildFPExt(cg->b, l, cg->f64, "");
}

static void write_outputs(Cg *cg, LLVMValueRef outputs) {
  const IrValue *o = cg->p->output;
  if (!o)
    return;
  int64_t n = count(&o->ty);
  Loop lb, li;
  LLVMValueRef b = loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = loop_open(cg, &li, i64c(cg, n));
  LLVMValueRef at = add(cg, mul(cg, b, i64c(cg, n)), i);
  LLVMBuildStore(cg->b, load(cg, o, b, i), gep(cg, outputs, at));
  loop_close(cg, &li);
  loop_close(cg, &lb);
}

static void write_grads(Cg *cg, LLVMValueRef grads) {
  const IrProgram *p = cg->p;
  for (int k = 0; k < p->nparams; k++) {
    const IrValue *g = p->grads[k];
    if (cg->plan->grad_param[g->id] == k + 1)
      continue;                         /* computed there */
    Loop l;
    LLVMValueRef i = loop_open(cg, &l, i64c(cg, count(&g->ty)));
    LLVMValueRef at = add(cg, i64c(cg, cg->plan->param_offset[k]), i);
    LLVMBuildStore(cg->b, load(cg, g, NULL, i), gep(cg, grads, at));
    loop_close(cg, &l);
  }
}

/* double gradient(params, inputs, targets, batch, grads, workspace) */
/* double gradient_shard(params, inputs, targets, count, total, grads,
 * workspace): gradient's sums over `count` examples, its means divided by
 * `total`, so that the shards of a batch add up to the batch's. */
static LLVMValueRef build_gradient_shard(Cg *cg) {
  LLVMTypeRef args[7] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->i32,
                         cg->ptr, cg->ptr};
  begin(cg, "gradient_shard", LLVMFunctionType(cg->f64, args, 7, 0));
  cg->params = LLVMGetParam(cg->fn, 0);
  set_batch(cg, LLVMGetParam(cg->fn, 3));
  cg->total = LLVMBuildSExt(cg->b, LLVMGetParam(cg->fn, 4), cg->i64, "");
  cg->ws = LLVMGetParam(cg->fn, 6);
  load_io(cg, LLVMGetParam(cg->fn, 1), LLVMGetParam(cg->fn, 2));
  cg->grads = LLVMGetParam(cg->fn, 5);
  emit_values(cg, wanted(cg, cg->p->n, false));
  write_grads(cg, cg->grads);
  cg->grads = NULL;
  LLVMBuildRet(cg->b, loss_double(cg));
  return cg->fn;
}

/* The backward pass is compiled once, in gradient_shard; gradient and
 * train_step call it (a third of the compile time of three copies). */
static void keep_apart(Cg *cg, LLVMValueRef fn) {
  unsigned kind = LLVMGetEnumAttributeKindForName("noinline", 8);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

static LLVMValueRef call_shard(Cg *cg, LLVMValueRef shard,
                               LLVMValueRef *args) {
  LLVMTypeRef types[7] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->i32,
                          cg->ptr, cg->ptr};
  LLVMTypeRef fty = LLVMFunctionType(cg->f64, types, 7, 0);
  return LLVMBuildCall2(cg->b, fty, shard, args, 7, "");
}

/* double gradient(params, inputs, targets, batch, grads, workspace) */
static LLVMValueRef build_gradient(Cg *cg, LLVMValueRef shard) {
  LLVMTypeRef args[6] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->ptr,
                         cg->ptr};
  begin(cg, "gradient", LLVMFunctionType(cg->f64, args, 6, 0));
  LLVMValueRef p[6];
  args_of(cg, p, 6);
  LLVMValueRef a[7] = {p[0], p[1], p[2], p[3], p[3], p[4], p[5]};
  LLVMBuildRet(cg->b, call_shard(cg, shard, a));
  return cg->fn;
}

/* double evaluate(params, inputs, targets, batch, outputs, workspace) */
static LLVMValueRef build_evaluate(Cg *cg) {
  LLVMTypeRef args[6] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->ptr,
                         cg->ptr};
  begin(cg, "evaluate", LLVMFunctionType(cg->f64, args, 6, 0));
  cg->params = LLVMGetParam(cg->fn, 0);
  set_batch(cg, LLVMGetParam(cg->fn, 3));
  cg->ws = LLVMGetParam(cg->fn, 5);
  load_io(cg, LLVMGetParam(cg->fn, 1), LLVMGetParam(cg->fn, 2));
  emit_values(cg, wanted(cg, cg->p->nforward, false));
  LLVMValueRef outputs = LLVMGetParam(cg->fn, 4);
  LLVMValueRef some = LLVMBuildIsNotNull(cg->b, outputs, "");
  LLVMBasicBlockRef after = if_open(cg, some);
  write_outputs(cg, outputs);
  if_close(cg, after);
  LLVMBuildRet(cg->b, loss_double(cg));
  return cg->fn;
}

/* void predict(params, inputs, batch, outputs, workspace): a call of
 * evaluate with targets of zeros (every kind of target reads zero as
 * valid), so that the forward pass is compiled once; the loss it also
 * computes costs a few operations per example. */
static LLVMValueRef build_predict(Cg *cg, LLVMValueRef evaluate) {
  LLVMTypeRef args[5] = {cg->ptr, cg->ptr, cg->i32, cg->ptr, cg->ptr};
  begin(cg, "predict", LLVMFunctionType(cg->voidt, args, 5, 0));
  LLVMValueRef ws = LLVMGetParam(cg->fn, 4);
  const Plan *pl = cg->plan;
  LLVMValueRef targets = byte_gep(cg, ws, pl->zero_targets);
  int64_t at = pl->zero_targets + (cg->p->ntargets * 8 + 63) / 64 * 64;
  LLVMValueRef zeros = byte_gep(cg, ws, at);
  int64_t zero_bytes = pl->ws_bytes - at;
  for (int k = 0; k < cg->p->ntargets; k++) {
    LLVMValueRef i = i64c(cg, k);
    LLVMBuildStore(cg->b, byte_gep(cg, ws, pl->target_zeros[k]),
                   LLVMBuildGEP2(cg->b, cg->ptr, targets, &i, 1, ""));
  }
  LLVMBuildMemSet(cg->b, zeros, LLVMConstInt(LLVMInt8TypeInContext(cg->ctx),
                                             0, 0), i64c(cg, zero_bytes), 1);
  LLVMValueRef call[6] = {LLVMGetParam(cg->fn, 0), LLVMGetParam(cg->fn, 1),
                          targets, LLVMGetParam(cg->fn, 2),
                          LLVMGetParam(cg->fn, 3), ws};
  LLVMTypeRef types[6] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->ptr,
                          cg->ptr};
  LLVMBuildCall2(cg->b, LLVMFunctionType(cg->f64, types, 6, 0), evaluate,
                 call, 6, "");
  LLVMBuildRetVoid(cg->b);
  return cg->fn;
}

/* ---- the optimizer ------------------------------------------------------ */

static void load_hyper(Cg *cg, LLVMValueRef h, Hyper *hy) {
  for (int k = 0; k < HY_COUNT; k++) {
    LLVMValueRef i = i64c(cg, k);
    LLVMValueRef at = LLVMBuildGEP2(cg->b, cg->f64, h, &i, 1, "");
    hy->d[k] = LLVMBuildLoad2(cg->b, cg->f64, at, "");
    hy->v[k] = cg->bytes == 8 ? hy->d[k]
               : LLVMBuildFPTrunc(cg->b, hy->d[k], cg->real, "");
    hy->on[k] = fcmp(cg, LLVMRealONE, hy->d[k], f64c(cg, 0));
  }
  hy->first = NULL;
}

static LLVMValueRef to_real(Cg *cg, LLVMValueRef d) {
  return cg->bytes == 8 ? d : LLVMBuildFPTrunc(cg->b, d, cg->real, "");
}

/* clip_norm: scale all gradients by max / (norm + 1e-6) when the global
 * norm is above max; clip_value: clamp each one (PyTorch's
 * clip_grad_norm_ and clip_grad_value_). */
static void emit_clip(Cg *cg, LLVMValueRef grads, const Hyper *hy) {
  LLVMValueRef n = i64c(cg, cg->plan->param_count);
  LLVMBasicBlockRef after = if_open(cg, fcmp(cg, LLVMRealOGT,
                                             hy->d[HY_CLIP_NORM],
                                             f64c(cg, 0)));
  LLVMValueRef ss = local(cg, cg->f64);
  LLVMBuildStore(cg->b, f64c(cg, 0), ss);
  Loop l;
  LLVMValueRef i = loop_open(cg, &l, n);
  LLVMValueRef g = LLVMBuildLoad2(cg->b, cg->real, gep(cg, grads, i), "");
  if (cg->bytes == 4)
    g = LLVMBuildFPExt(cg->b, g, cg->f64, "");
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->f64, ss, "");
  LLVMBuildStore(cg->b, LLVMBuildFAdd(cg->b, s, LLVMBuildFMul(cg->b, g, g,
                                                             ""), ""), ss);
  loop_close(cg, &l);
  LLVMValueRef norm = call1(cg, "llvm.sqrt",
                            LLVMBuildLoad2(cg->b, cg->f64, ss, ""));
  LLVMValueRef coef = LLVMBuildFDiv(cg->b, hy->d[HY_CLIP_NORM],
      LLVMBuildFAdd(cg->b, norm, f64c(cg, 1e-6), ""), "");
  LLVMBasicBlockRef inner = if_open(cg, fcmp(cg, LLVMRealOLT, coef,
                                             f64c(cg, 1)));
  LLVMValueRef c = to_real(cg, coef);
  i = loop_open(cg, &l, n);
  LLVMValueRef at = gep(cg, grads, i);
  LLVMBuildStore(cg->b, f_mul(cg, LLVMBuildLoad2(cg->b, cg->real, at, ""), c),
                 at);
  loop_close(cg, &l);
  if_close(cg, inner);
  if_close(cg, after);
  after = if_open(cg, fcmp(cg, LLVMRealOGT, hy->d[HY_CLIP_VALUE],
                           f64c(cg, 0)));
  LLVMValueRef mx = hy->v[HY_CLIP_VALUE];
  i = loop_open(cg, &l, n);
  at = gep(cg, grads, i);
  LLVMValueRef g2 = LLVMBuildLoad2(cg->b, cg->real, at, "");
  g2 = call2(cg, "llvm.minnum", call2(cg, "llvm.maxnum", g2,
             LLVMBuildFNeg(cg->b, mx, "")), mx);
  LLVMBuildStore(cg->b, g2, at);
  loop_close(cg, &l);
  if_close(cg, after);
}

/* The optimizer's loads, stores and constants: reals in the update
 * loops, vectors in a GEMM tile's epilogue (vec_tail >= 0). */
static LLVMValueRef ld(Cg *cg, LLVMValueRef p) {
  if (cg->vec_tail >= 0)
    return vec_load(cg, p, cg->vec_tail);
  return LLVMBuildLoad2(cg->b, cg->real, p, "");
}

static void st(Cg *cg, LLVMValueRef p, LLVMValueRef x) {
  if (cg->vec_tail >= 0)
    vec_store(cg, x, p, cg->vec_tail);
  else
    LLVMBuildStore(cg->b, x, p);
}

static LLVMValueRef one(Cg *cg) {
  return cg->vec_tail >= 0 ? vec_splat(cg, realc(cg, 1)) : realc(cg, 1);
}

static LLVMValueRef lerp(Cg *cg, LLVMValueRef a, LLVMValueRef old,
                         LLVMValueRef x) {        /* a*old + (1-a)*x */
  return f_add(cg, f_mul(cg, a, old), f_mul(cg, f_sub(cg, one(cg), a), x));
}

static LLVMValueRef update_sgd(Cg *cg, const Hyper *hy, LLVMValueRef g,
                               const Slot *s) {
  LLVMValueRef buf = f_add(cg, f_mul(cg, hy->v[HY_MOMENTUM], ld(cg, s->ptr[0])),
      f_mul(cg, f_sub(cg, one(cg), hy->v[HY_DAMPENING]), g));
  buf = sel(cg, hy->first, g, buf);
  LLVMValueRef has = hy->on[HY_MOMENTUM];
  st(cg, s->ptr[0], sel(cg, has, buf, ld(cg, s->ptr[0])));
  LLVMValueRef nest = f_add(cg, g, f_mul(cg, hy->v[HY_MOMENTUM], buf));
  LLVMValueRef step = sel(cg, hy->on[HY_NESTEROV], nest, buf);
  return f_mul(cg, hy->v[HY_LR], sel(cg, has, step, g));
}

static LLVMValueRef update_adagrad(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                   const Slot *s) {
  LLVMValueRef clr = hy->clr;
  LLVMValueRef sum = f_add(cg, ld(cg, s->ptr[0]), f_mul(cg, g, g));
  st(cg, s->ptr[0], sum);
  LLVMValueRef eps = hy->v[HY_EPS], sq = call1(cg, "llvm.sqrt", sum);
  LLVMValueRef inside = call1(cg, "llvm.sqrt", f_add(cg, sum, eps));
  LLVMValueRef denom = sel(cg, hy->on[HY_EPS_INSIDE_SQRT], inside,
                              f_add(cg, sq, eps));
  return f_div(cg, f_mul(cg, clr, g), denom);
}

static LLVMValueRef update_rmsprop(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                   const Slot *s) {
  LLVMValueRef a = hy->v[HY_ALPHA];
  LLVMValueRef sq = lerp(cg, a, ld(cg, s->ptr[0]), f_mul(cg, g, g));
  st(cg, s->ptr[0], sq);
  LLVMValueRef ga = lerp(cg, a, ld(cg, s->ptr[2]), g);
  LLVMValueRef centered = hy->on[HY_CENTERED];
  st(cg, s->ptr[2], sel(cg, centered, ga, ld(cg, s->ptr[2])));
  LLVMValueRef var = sel(cg, centered, f_sub(cg, sq, f_mul(cg, ga, ga)), sq);
  LLVMValueRef avg = f_add(cg, call1(cg, "llvm.sqrt", var), hy->v[HY_EPS]);
  LLVMValueRef buf = f_add(cg, f_mul(cg, hy->v[HY_MOMENTUM],
                                   ld(cg, s->ptr[1])), f_div(cg, g, avg));
  LLVMValueRef has = hy->on[HY_MOMENTUM];
  st(cg, s->ptr[1], sel(cg, has, buf, ld(cg, s->ptr[1])));
  return f_mul(cg, hy->v[HY_LR], sel(cg, has, buf, f_div(cg, g, avg)));
}

static LLVMValueRef update_adam(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                const Slot *s) {
  LLVMValueRef bc1 = hy->bc1, sqrt_bc2 = hy->sqrt_bc2;
  LLVMValueRef m = lerp(cg, hy->v[HY_BETA1], ld(cg, s->ptr[0]), g);
  LLVMValueRef v = lerp(cg, hy->v[HY_BETA2], ld(cg, s->ptr[1]),
                        f_mul(cg, g, g));
  st(cg, s->ptr[0], m);
  st(cg, s->ptr[1], v);
  LLVMValueRef vmax = fmaxr(cg, ld(cg, s->ptr[2]), v);
  LLVMValueRef ams = hy->on[HY_AMSGRAD];
  st(cg, s->ptr[2], sel(cg, ams, vmax, ld(cg, s->ptr[2])));
  LLVMValueRef vv = sel(cg, ams, vmax, v);
  LLVMValueRef denom = f_add(cg, f_div(cg, call1(cg, "llvm.sqrt", vv),
                                     sqrt_bc2), hy->v[HY_EPS]);
  return f_mul(cg, f_div(cg, hy->v[HY_LR], bc1), f_div(cg, m, denom));
}

/* What the optimizer derives from the step number. */
static void step_hyper(Cg *cg, Hyper *hy, LLVMValueRef step) {
  LLVMValueRef t = LLVMBuildSIToFP(cg->b, step, cg->f64, "");
  if (!hy->first)          /* else fixed (fix_flag) */
    hy->first = LLVMBuildICmp(cg->b, LLVMIntEQ, step, i64c(cg, 1), "");
  hy->clr = to_real(cg, LLVMBuildFDiv(cg->b, hy->d[HY_LR],
      LLVMBuildFAdd(cg->b, f64c(cg, 1), LLVMBuildFMul(cg->b,
          LLVMBuildFSub(cg->b, t, f64c(cg, 1), ""), hy->d[HY_LR_DECAY], ""),
          ""), ""));
  hy->bc1 = to_real(cg, LLVMBuildFSub(cg->b, f64c(cg, 1),
      call2(cg, "llvm.pow", hy->d[HY_BETA1], t), ""));
  hy->sqrt_bc2 = to_real(cg, call1(cg, "llvm.sqrt",
      LLVMBuildFSub(cg->b, f64c(cg, 1), call2(cg, "llvm.pow",
                                              hy->d[HY_BETA2], t), "")));
}

/* What an update loop runs over: the reals [begin, end) of the flat
 * parameter buffer, the state, and ngrads gradient buffers. */
typedef struct UpdateLoop {
  LLVMValueRef params, state, step, begin, end;
  const LLVMValueRef *grads;
  int ngrads;
} UpdateLoop;

static void emit_update_loop(Cg *cg, const UpdateLoop *u, const Hyper *hy);

static bool is_false(LLVMValueRef flag) {
  return LLVMIsAConstantInt(flag) && LLVMConstIntGetZExtValue(flag) == 0;
}

/* Flag k (-1: the first step) made a constant: off, its value is 0. */
static void fix_flag(Cg *cg, Hyper *hy, int k, bool on) {
  LLVMValueRef c = LLVMConstInt(LLVMInt1TypeInContext(cg->ctx), on, 0);
  if (k < 0) {
    hy->first = c;
    return;
  }
  hy->on[k] = c;
  if (!on) {
    hy->v[k] = realc(cg, 0);
    hy->d[k] = f64c(cg, 0);
  }
}

/* The flags an optimizer's rule tests (-1: the first step); a weight
 * decay of 0 is a flag too, as PyTorch skips the term then. */
static int optimizer_flags(const Cg *cg, int flags[5]) {
  int n = 0;
  flags[n++] = HY_WEIGHT_DECAY;
  switch (cg->p->train.optimizer) {
  case NETRT_SGD:
    flags[n++] = HY_MOMENTUM;
    flags[n++] = HY_NESTEROV;
    flags[n++] = -1;
    break;
  case NETRT_ADAGRAD:
    flags[n++] = HY_EPS_INSIDE_SQRT;
    break;
  case NETRT_RMSPROP:
    flags[n++] = HY_CENTERED;
    flags[n++] = HY_MOMENTUM;
    break;
  case NETRT_ADAM:
  case NETRT_ADAMW:
    flags[n++] = HY_AMSGRAD;
    break;
  }
  return n;
}

/* The flags gradient_update is compiled for: the optimizer's, and SGD's
 * dampening (0 drops a multiplication). */
static int fused_flags(const Cg *cg, int flags[6]) {
  int n = optimizer_flags(cg, flags);
  if (cg->p->train.optimizer == NETRT_SGD)
    flags[n++] = HY_DAMPENING;
  return n;
}

/* gradient_update's hyperparameters: its flags at the training block's
 * values, past the first step (train_step takes the other path when they
 * differ), so that its GEMMs' epilogues test nothing at run time. */
static void fix_to_defaults(Cg *cg, Hyper *hy) {
  const double *h = cg->p->train.hyper;
  int flags[6], n = fused_flags(cg, flags);
  for (int i = 0; i < n; i++)
    fix_flag(cg, hy, flags[i], flags[i] >= 0 && h[flags[i]] != 0);
}

/* Whether a step's flags are the training block's, past the first
 * step. */
static LLVMValueRef fits_defaults(Cg *cg, const Hyper *hy, LLVMValueRef step) {
  const double *h = cg->p->train.hyper;
  LLVMValueRef ok = LLVMConstInt(LLVMInt1TypeInContext(cg->ctx), 1, 0);
  int flags[6], n = fused_flags(cg, flags);
  for (int i = 0; i < n; i++) {
    LLVMValueRef same = flags[i] < 0
        ? LLVMBuildICmp(cg->b, LLVMIntNE, step, i64c(cg, 1), "")
        : fcmp(cg, h[flags[i]] != 0 ? LLVMRealONE : LLVMRealOEQ,
               hy->d[flags[i]], f64c(cg, 0));
    ok = LLVMBuildAnd(cg->b, ok, same, "");
  }
  return ok;
}

/* One step of the model's optimizer over the reals [begin, end) of the
 * flat parameter buffer, with PyTorch's update rules (torch.optim), on
 * the sum of ngrads gradient buffers (the threads' shards), added left
 * to right. */
static void emit_update(Cg *cg, LLVMValueRef params, LLVMValueRef state,
                        const LLVMValueRef *grads, int ngrads,
                        LLVMValueRef step, const Hyper *hy,
                        LLVMValueRef begin, LLVMValueRef end) {
  UpdateLoop u = {params, state, step, begin, end, grads, ngrads};
  Hyper stepped = *hy;
  step_hyper(cg, &stepped, step);
  if (LLVMIsAConstantInt(stepped.first)) {      /* fixed by the caller */
    emit_update_loop(cg, &u, &stepped);
    return;
  }
  /* the training block's flags past the first step, as constants: a loop
   * that tests them at every element ran 20% slower (the batch-5 MLP's
   * SGD); any other step in a loop that tests them */
  LLVMBasicBlockRef fixed = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                          "defaults");
  LLVMBasicBlockRef other = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                          "other");
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                          "after");
  LLVMBuildCondBr(cg->b, fits_defaults(cg, hy, step), fixed, other);
  LLVMPositionBuilderAtEnd(cg->b, fixed);
  Hyper defaults = stepped;
  fix_to_defaults(cg, &defaults);
  emit_update_loop(cg, &u, &defaults);
  LLVMBuildBr(cg->b, after);
  LLVMPositionBuilderAtEnd(cg->b, other);
  emit_update_loop(cg, &u, &stepped);
  LLVMBuildBr(cg->b, after);
  LLVMPositionBuilderAtEnd(cg->b, after);
}

/* The model's optimizer's step for the gradient g and the state s. */
static LLVMValueRef update_step(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                const Slot *s) {
  switch (cg->p->train.optimizer) {
  case NETRT_SGD: return update_sgd(cg, hy, g, s);
  case NETRT_ADAGRAD: return update_adagrad(cg, hy, g, s);
  case NETRT_RMSPROP: return update_rmsprop(cg, hy, g, s);
  case NETRT_ADAM:
  case NETRT_ADAMW: return update_adam(cg, hy, g, s);
  }
  UNREACHABLE();
}

/* The parameter at pp less the optimizer's step for its gradient g and
 * its state s: reals, or vectors in a GEMM tile's epilogue.  AdamW's
 * weight decay is decoupled: it shrinks the parameter, not the
 * gradient. */
static void emit_update_element(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                LLVMValueRef pp, const Slot *s) {
  bool decoupled = cg->p->train.optimizer == NETRT_ADAMW;
  LLVMValueRef p = ld(cg, pp), wd = hy->v[HY_WEIGHT_DECAY];
  LLVMValueRef decays = hy->on[HY_WEIGHT_DECAY];    /* PyTorch: if wd != 0 */
  if (!is_false(decays) && decoupled)
    p = sel(cg, decays, f_mul(cg, p, f_sub(cg, one(cg),
                                          f_mul(cg, hy->v[HY_LR], wd))), p);
  else if (!is_false(decays))
    g = sel(cg, decays, f_add(cg, g, f_mul(cg, wd, p)), g);
  st(cg, pp, f_sub(cg, p, update_step(cg, hy, g, s)));
}

static void emit_update_loop(Cg *cg, const UpdateLoop *u, const Hyper *hy) {
  Loop l;
  LLVMValueRef i = add(cg, u->begin, loop_open(cg, &l,
      LLVMBuildSub(cg->b, u->end, u->begin, "")));
  LLVMValueRef g = ld(cg, gep(cg, u->grads[0], i));
  for (int k = 1; k < u->ngrads; k++)
    g = f_add(cg, g, ld(cg, gep(cg, u->grads[k], i)));
  Slot s;
  for (int k = 0; k < 3; k++)
    s.ptr[k] = gep(cg, u->state,
                   add(cg, i, i64c(cg, k * cg->plan->param_count)));
  emit_update_element(cg, hy, g, gep(cg, u->params, i), &s);
  loop_close(cg, &l);
}

/* double gradient_update(params, state, inputs, targets, batch, step,
 * hyper, grads, workspace): gradient_shard over a whole batch whose
 * weight gradients' GEMMs apply the optimizer (plan_gemm_updates) to
 * their parameters; the other gradients go to grads. */
static LLVMTypeRef gradient_update_type(Cg *cg) {
  LLVMTypeRef args[9] = {cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->i32,
                         cg->i64, cg->ptr, cg->ptr, cg->ptr};
  return LLVMFunctionType(cg->f64, args, 9, 0);
}

static LLVMValueRef build_gradient_update(Cg *cg) {
  begin(cg, "gradient_update", gradient_update_type(cg));
  LLVMValueRef p[9];
  args_of(cg, p, 9);
  cg->params = p[0];
  cg->state = p[1];
  set_batch(cg, p[4]);
  cg->total = cg->batch;
  cg->step = p[5];
  cg->hyper = p[6];
  cg->ws = p[8];
  load_io(cg, p[2], p[3]);
  cg->grads = p[7];
  cg->updating = true;
  emit_values(cg, wanted(cg, cg->p->n, false));
  cg->updating = false;
  write_grads(cg, cg->grads);
  cg->grads = NULL;
  LLVMBuildRet(cg->b, loss_double(cg));
  return cg->fn;
}

/* The optimizer on the parameters whose gradients gradient_update left
 * in grads: each run of them in the flat buffer, one loop. */
static void update_the_rest(Cg *cg, LLVMValueRef params, LLVMValueRef state,
                            LLVMValueRef grads, LLVMValueRef step,
                            const Hyper *hy) {
  const IrProgram *p = cg->p;
  bool *in_gemm = arena_array(bool, p->nparams + 1);
  for (int k = 0; k < p->nparams; k++)
    in_gemm[k] = cg->plan->gemm_update[p->grads[k]->id] == k + 1;
  for (int k = 0; k < p->nparams;) {
    if (in_gemm[k]) {
      k++;
      continue;
    }
    int last = k;
    while (last + 1 < p->nparams && !in_gemm[last + 1])
      last++;
    const int64_t *at = cg->plan->param_offset;
    int64_t end = at[last] + type_numel(&p->params[last].ty);
    emit_update(cg, params, state, &grads, 1, step, hy, i64c(cg, at[k]),
                i64c(cg, end));
    k = last + 1;
  }
}

/* double train_step(params, state, inputs, targets, batch, step, hyper,
 *                   workspace) */
static LLVMValueRef build_train_step(Cg *cg, LLVMValueRef shard,
                                     LLVMValueRef update,
                                     LLVMValueRef gradient_update) {
  LLVMTypeRef args[8] = {cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->i32,
                         cg->i64, cg->ptr, cg->ptr};
  begin(cg, "train_step", LLVMFunctionType(cg->f64, args, 8, 0));
  LLVMValueRef p[8];
  args_of(cg, p, 8);
  LLVMValueRef grads = byte_gep(cg, p[7], cg->plan->grad_offset);
  LLVMValueRef result = local(cg, cg->f64);
  LLVMBasicBlockRef after = NULL;
  if (gradient_update) {
    Hyper hy;
    load_hyper(cg, p[6], &hy);
    LLVMValueRef fits = LLVMBuildAnd(cg->b, fits_defaults(cg, &hy, p[5]),
        LLVMBuildAnd(cg->b,           /* clipping needs every gradient */
            fcmp(cg, LLVMRealOLE, hy.d[HY_CLIP_NORM], f64c(cg, 0)),
            fcmp(cg, LLVMRealOLE, hy.d[HY_CLIP_VALUE], f64c(cg, 0)), ""),
        "");
    fix_to_defaults(cg, &hy);
    LLVMBasicBlockRef fused = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                            "in_gemm");
    LLVMBasicBlockRef apart = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn,
                                                            "apart");
    after = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, "done");
    LLVMBuildCondBr(cg->b, fits, fused, apart);
    LLVMPositionBuilderAtEnd(cg->b, fused);
    LLVMValueRef g[9] = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], grads,
                         p[7]};
    LLVMBuildStore(cg->b, LLVMBuildCall2(cg->b, gradient_update_type(cg),
                                         gradient_update, g, 9, ""), result);
    update_the_rest(cg, p[0], p[1], grads, p[5], &hy);
    LLVMBuildBr(cg->b, after);
    LLVMPositionBuilderAtEnd(cg->b, apart);
  }
  LLVMValueRef a[7] = {p[0], p[2], p[3], p[4], p[4], grads, p[7]};
  LLVMBuildStore(cg->b, call_shard(cg, shard, a), result);
  LLVMTypeRef utypes[5] = {cg->ptr, cg->ptr, cg->ptr, cg->i64, cg->ptr};
  LLVMValueRef u[5] = {p[0], p[1], grads, p[5], p[6]};
  LLVMBuildCall2(cg->b, LLVMFunctionType(cg->voidt, utypes, 5, 0), update, u,
                 5, "");
  if (after) {
    LLVMBuildBr(cg->b, after);
    LLVMPositionBuilderAtEnd(cg->b, after);
  }
  LLVMBuildRet(cg->b, LLVMBuildLoad2(cg->b, cg->f64, result, ""));
  return cg->fn;
}

/* void update(params, state, grads, step, hyper): train_step's clipping
 * and optimizer, for gradients computed elsewhere (in shards). */
static LLVMValueRef build_update(Cg *cg) {
  LLVMTypeRef args[5] = {cg->ptr, cg->ptr, cg->ptr, cg->i64, cg->ptr};
  begin(cg, "update", LLVMFunctionType(cg->voidt, args, 5, 0));
  cg->params = LLVMGetParam(cg->fn, 0);
  LLVMValueRef grads = LLVMGetParam(cg->fn, 2);
  Hyper hy;
  load_hyper(cg, LLVMGetParam(cg->fn, 4), &hy);
  emit_clip(cg, grads, &hy);
  emit_update(cg, cg->params, LLVMGetParam(cg->fn, 1), &grads, 1,
              LLVMGetParam(cg->fn, 3), &hy, i64c(cg, 0),
              i64c(cg, cg->plan->param_count));
  LLVMBuildRetVoid(cg->b);
  return cg->fn;
}

/* void clip(grads, hyper): update's clipping alone. */
static LLVMValueRef build_clip(Cg *cg) {
  LLVMTypeRef args[2] = {cg->ptr, cg->ptr};
  begin(cg, "clip", LLVMFunctionType(cg->voidt, args, 2, 0));
  Hyper hy;
  load_hyper(cg, LLVMGetParam(cg->fn, 1), &hy);
  emit_clip(cg, LLVMGetParam(cg->fn, 0), &hy);
  LLVMBuildRetVoid(cg->b);
  return cg->fn;
}

/* grads[0][begin, end) += grads[1..n-1][begin, end), left to right */
static void emit_add_up(Cg *cg, LLVMValueRef grads, LLVMValueRef n,
                        LLVMValueRef begin, LLVMValueRef end) {
  Loop lk, li;
  LLVMValueRef sum = LLVMBuildLoad2(cg->b, cg->ptr, grads, "");
  LLVMValueRef k = add(cg, loop_open(cg, &lk, LLVMBuildSub(cg->b, n,
                                                         i64c(cg, 1), "")),
                       i64c(cg, 1));
  LLVMValueRef from = LLVMBuildLoad2(cg->b, cg->ptr,
      LLVMBuildGEP2(cg->b, cg->ptr, grads, &k, 1, ""), "");
  LLVMValueRef i = add(cg, begin, loop_open(cg, &li, LLVMBuildSub(cg->b, end,
                                                                  begin, "")));
  st(cg, gep(cg, sum, i), f_add(cg, ld(cg, gep(cg, sum, i)),
                                ld(cg, gep(cg, from, i))));
  loop_close(cg, &li);
  loop_close(cg, &lk);
}

/* void update_range(params, state, grads, ngrads, step, hyper, begin,
 * end): update's optimizer step, unclipped, on the parameters' reals
 * [begin, end) and the sum of ngrads gradient buffers, so that threads
 * can share it.  Two buffers (two threads) are added as they are read;
 * more are first added up into the first. */
static LLVMValueRef build_update_range(Cg *cg) {
  LLVMTypeRef args[8] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->i64,
                         cg->ptr, cg->i64, cg->i64};
  begin(cg, "update_range", LLVMFunctionType(cg->voidt, args, 8, 0));
  LLVMValueRef p[8];
  args_of(cg, p, 8);
  cg->params = p[0];
  Hyper hy;
  load_hyper(cg, p[5], &hy);
  LLVMValueRef n = LLVMBuildSExt(cg->b, p[3], cg->i64, "");
  LLVMValueRef g[2], one = i64c(cg, 1);
  g[0] = LLVMBuildLoad2(cg->b, cg->ptr, p[2], "");
  LLVMBasicBlockRef two = if_open(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, n,
                                                    i64c(cg, 2), ""));
  g[1] = LLVMBuildLoad2(cg->b, cg->ptr,
                        LLVMBuildGEP2(cg->b, cg->ptr, p[2], &one, 1, ""), "");
  emit_update(cg, p[0], p[1], g, 2, p[4], &hy, p[6], p[7]);
  LLVMBuildRetVoid(cg->b);
  LLVMPositionBuilderAtEnd(cg->b, two);
  emit_add_up(cg, p[2], n, p[6], p[7]);
  emit_update(cg, p[0], p[1], g, 1, p[4], &hy, p[6], p[7]);
  LLVMBuildRetVoid(cg->b);
  return cg->fn;
}

/* ---- the descriptor (netrt.h's NetrtModel, field by field) ------------ */

typedef struct Desc {
  LLVMTypeRef tensor, hyper, train, model;
} Desc;

static LLVMTypeRef struct_of(Cg *cg, const char *name, LLVMTypeRef *f,
                             unsigned n) {
  LLVMTypeRef t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static void desc_types(Cg *cg, Desc *d) {
  LLVMTypeRef dims = LLVMArrayType2(cg->i64, NETRT_MAX_DIMS);
  LLVMTypeRef tf[] = {cg->ptr, cg->i32, cg->i32, cg->i32, dims, cg->i64,
                      cg->i64, cg->i32, cg->f64, cg->f64, cg->i64, cg->i64};
  d->tensor = struct_of(cg, "NetrtTensor", tf, 12);
  d->hyper = LLVMArrayType2(cg->f64, HY_COUNT);
  LLVMTypeRef rf[] = {cg->i32, d->hyper, cg->i64, cg->i64, cg->i64, cg->i64,
                      cg->i64, cg->ptr, cg->ptr};
  d->train = struct_of(cg, "NetrtTrain", rf, 9);
  LLVMTypeRef mf[] = {cg->i32, cg->ptr, cg->ptr, cg->i32, cg->i32, cg->i64,
                      cg->i64, cg->i64, cg->i64, cg->i32, cg->i32, cg->i32,
                      cg->ptr, cg->ptr, cg->ptr, d->tensor, d->train,
                      cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->ptr,
                      cg->ptr, cg->ptr, cg->i32, cg->i64};
  d->model = struct_of(cg, "NetrtModel", mf, 27);
}

static LLVMValueRef cstring(Cg *cg, const char *s) {
  LLVMValueRef str = LLVMConstStringInContext(cg->ctx, s, (unsigned)strlen(s),
                                              0);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(str), "str");
  LLVMSetInitializer(g, str);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  return g;
}

static LLVMValueRef i32c(Cg *cg, int v) {
  return LLVMConstInt(cg->i32, (unsigned long long)v, 1);
}

static LLVMValueRef tensor_const(Cg *cg, const Desc *d, const IrTensor *t,
                                 int64_t offset) {
  LLVMValueRef dims[NETRT_MAX_DIMS];
  for (int k = 0; k < NETRT_MAX_DIMS; k++)
    dims[k] = i64c(cg, k < t->ty.ndim ? t->ty.dims[k] : 0);
  int64_t field = 1;
  for (int k = 2; k < t->ty.ndim; k++)
    field *= t->ty.dims[k];
  int64_t fan_in = t->ty.ndim >= 2 ? t->ty.dims[1] * field
                   : t->ty.ndim ? t->ty.dims[0] : 1;
  int64_t fan_out = t->ty.ndim >= 2 ? t->ty.dims[0] * field : fan_in;
  LLVMValueRef f[] = {
    cstring(cg, t->name), i32c(cg, (int)t->ty.elem), i32c(cg, t->ty.ndim),
    i32c(cg, t->ty.varlen), LLVMConstArray2(cg->i64, dims, NETRT_MAX_DIMS),
    i64c(cg, count(&t->ty)), i64c(cg, offset), i32c(cg, (int)t->init.kind),
    f64c(cg, t->init.a), f64c(cg, t->init.b), i64c(cg, fan_in),
    i64c(cg, fan_out),
  };
  return LLVMConstNamedStruct(d->tensor, f, 12);
}

static LLVMValueRef tensor_array(Cg *cg, const Desc *d, const IrTensor *t,
                                 int n, const int64_t *offsets,
                                 const char *name) {
  if (n == 0)
    return LLVMConstNull(cg->ptr);
  LLVMValueRef *v = arena_array(LLVMValueRef, n);
  for (int i = 0; i < n; i++)
    v[i] = tensor_const(cg, d, &t[i], offsets ? offsets[i] : 0);
  LLVMValueRef arr = LLVMConstArray2(d->tensor, v, (uint64_t)n);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(arr), name);
  LLVMSetInitializer(g, arr);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  return g;
}

/* The training block's hyperparameters: NetrtTrain's defaults. */
static LLVMValueRef hyper_const(Cg *cg, const IrTrain *t) {
  LLVMValueRef v[HY_COUNT];
  for (int k = 0; k < HY_COUNT; k++)
    v[k] = f64c(cg, t->hyper[k]);
  return LLVMConstArray2(cg->f64, v, HY_COUNT);
}

static LLVMValueRef train_const(Cg *cg, const Desc *d) {
  const IrTrain *t = &cg->p->train;
  LLVMValueRef f[] = {
    i32c(cg, (int)t->optimizer), hyper_const(cg, t),
    i64c(cg, t->batch), i64c(cg, t->epochs), i64c(cg, t->seed),
    i64c(cg, t->shuffle), i64c(cg, t->validation),
    t->data ? cstring(cg, t->data) : LLVMConstNull(cg->ptr),
    cstring(cg, t->data_options),
  };
  return LLVMConstNamedStruct(d->train, f, 9);
}

/* "name:dims;..." over parameters, inputs and targets, and the dtype. */
static const char *signature(Cg *cg) {
  const IrProgram *p = cg->p;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out)
    DIE("open_memstream failed");
  const IrTensor *lists[3] = {p->params, p->inputs, p->targets};
  int ns[3] = {p->nparams, p->ninputs, p->ntargets};
  for (int l = 0; l < 3; l++)
    for (int i = 0; i < ns[l]; i++)
      fprintf(out, "%s:%s;", lists[l][i].name, type_str(&lists[l][i].ty));
  fprintf(out, "f%d", cg->bytes * 8);
  fclose(out);
  char *s = arena_strdup(buf);
  free(buf);
  return s;
}

static LLVMValueRef internal(LLVMValueRef fn) {
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  return fn;
}

static void build_descriptor(Cg *cg, LLVMValueRef fns[8]) {
  Desc d;
  desc_types(cg, &d);
  const IrProgram *p = cg->p;
  const Plan *pl = cg->plan;
  IrTensor out = {"output", p->output ? p->output->ty : type_scalar(),
                  {NETRT_INIT_ZEROS, 0, 0}};
  if (!p->output)
    out.ty = type_vector(0);      /* predict writes nothing */
  LLVMValueRef f[] = {
    i32c(cg, NETRT_ABI_VERSION), cstring(cg, p->name),
    cstring(cg, signature(cg)), i32c(cg, cg->bytes), i32c(cg, cg->o->batch),
    i64c(cg, pl->param_count), i64c(cg, pl->param_count * pl->slots),
    i64c(cg, pl->ws_bytes), i64c(cg, pl->flops),
    i32c(cg, p->nparams), i32c(cg, p->ninputs), i32c(cg, p->ntargets),
    tensor_array(cg, &d, p->params, p->nparams, pl->param_offset, "params"),
    tensor_array(cg, &d, p->inputs, p->ninputs, NULL, "inputs"),
    tensor_array(cg, &d, p->targets, p->ntargets, NULL, "targets"),
    tensor_const(cg, &d, &out, 0), train_const(cg, &d),
    fns[0], fns[1], fns[2], fns[3], fns[4], fns[5], fns[6], fns[7],
    i32c(cg, pl->param_terms), i64c(cg, p->min_steps),
  };
  const char *name = arena_printf("netc_model_%s", p->name);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, d.model, name);
  LLVMSetInitializer(g, LLVMConstNamedStruct(d.model, f, 27));
  LLVMSetGlobalConstant(g, 1);
  if (cg->o->main_model) {
    LLVMValueRef m = LLVMAddGlobal(cg->mod, cg->ptr, "netrt_main_model");
    LLVMSetInitializer(m, g);
    LLVMSetGlobalConstant(m, 1);
  }
}

/* The context, module, builder and types that every function uses. */
static void start_module(Cg *cg, const char *name, const CodegenOptions *o) {
  cg->o = o;
  cg->bytes = o->dtype_bytes;
  cg->ctx = o->context ? (LLVMContextRef)o->context : LLVMContextCreate();
  cg->mod = LLVMModuleCreateWithNameInContext(name, cg->ctx);
  cg->b = LLVMCreateBuilderInContext(cg->ctx);
  cg->real = cg->bytes == 8 ? LLVMDoubleTypeInContext(cg->ctx)
                            : LLVMFloatTypeInContext(cg->ctx);
  cg->f64 = LLVMDoubleTypeInContext(cg->ctx);
  cg->i64 = LLVMInt64TypeInContext(cg->ctx);
  cg->i32 = LLVMInt32TypeInContext(cg->ctx);
  cg->ptr = LLVMPointerTypeInContext(cg->ctx, 0);
  cg->voidt = LLVMVoidTypeInContext(cg->ctx);
  cg->vec_tail = -1;
  cg->lanes = cg_plan_target(o).lanes;
  cg->vec = LLVMVectorType(cg->real, (unsigned)cg->lanes);
}

/* In a module this large (the bidirectional LSTMs, LSTM-100 at batch
 * 500: 13,000 instructions before optimization), LLVM's unrolling of the
 * loops outside the GEMM kernels took compile time over a second and
 * bought nothing measurable; the small models' loops (a character RNN at
 * batch 1) run 10% faster unrolled.  A size measured on this machine's
 * models, not a law.  evaluate's loops are never unrolled: the forward
 * pass of validation and predict ran as fast without, and a character
 * RNN compiled in 0.8 s instead of 1.2. */
enum { UNROLL_MAX_INSTRUCTIONS = 12000 };

static long module_instructions(LLVMModuleRef mod) {
  long n = 0;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f;
       f = LLVMGetNextFunction(f))
    for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b;
         b = LLVMGetNextBasicBlock(b))
      for (LLVMValueRef i = LLVMGetFirstInstruction(b); i;
           i = LLVMGetNextInstruction(i))
        n++;
  return n;
}

/* llvm.loop.unroll.disable on the loops outside the kernels: those of
 * evaluate, and in a large module every one. */
static void limit_unrolling(Cg *cg) {
  bool large = module_instructions(cg->mod) >= UNROLL_MAX_INSTRUCTIONS;
  LLVMValueRef evaluate = LLVMGetNamedFunction(cg->mod, "evaluate");
  const char *key = "llvm.loop.unroll.disable";
  LLVMMetadataRef name = LLVMMDStringInContext2(cg->ctx, key, strlen(key));
  LLVMMetadataRef disable = LLVMMDNodeInContext2(cg->ctx, &name, 1);
  unsigned kind = LLVMGetMDKindIDInContext(cg->ctx, "llvm.loop", 9);
  for (int i = 0; i < cg->nlatches; i++) {
    LLVMValueRef fn = LLVMGetBasicBlockParent(
        LLVMGetInstructionParent(cg->latches[i]));
    if (!large && fn != evaluate)
      continue;
    LLVMMetadataRef self = LLVMTemporaryMDNode(cg->ctx, NULL, 0);
    LLVMMetadataRef ops[2] = {self, disable};
    LLVMMetadataRef loop = LLVMMDNodeInContext2(cg->ctx, ops, 2);
    LLVMMetadataReplaceAllUsesWith(self, loop);
    LLVMSetMetadata(cg->latches[i], kind,
                    LLVMMetadataAsValue(cg->ctx, loop));
  }
}

static CgModule *finish_module(Cg *cg, const char *symbol) {
  free(cg->latches);
  char *msg = NULL;
  if (LLVMVerifyModule(cg->mod, LLVMReturnStatusAction, &msg))
    DIE("invalid LLVM IR: %s", msg);
  LLVMDisposeMessage(msg);
  LLVMDisposeBuilder(cg->b);
  CgModule *m = calloc(1, sizeof *m);
  if (!m)
    DIE("out of memory");
  m->ctx = cg->ctx;
  m->mod = cg->mod;
  m->owns_context = !cg->o->context;
  m->descriptor = symbol;
  return m;
}

/* Every vector 512 bits wide, whatever the target (issue 16 derives it
 * from the target). */
PlanTarget cg_plan_target(const CodegenOptions *o) {
  return (PlanTarget){.bytes = o->dtype_bytes, .batch = o->batch,
                      .lanes = 64 / o->dtype_bytes, .tile_vecs = TILE_VECS};
}

CgModule *cg_module(const IrProgram *p, const Plan *plan,
                    const CodegenOptions *o) {
  Cg c = {0}, *cg = &c;
  cg->p = p;
  start_module(cg, p->name, o);
  PlanTarget t = cg_plan_target(o);
  if (plan->p != p || plan->bytes != t.bytes || plan->batch != t.batch ||
      plan->lanes != t.lanes || plan->tile_vecs != t.tile_vecs)
    DIE("codegen: the plan is not for this program and target");
  cg->plan = plan;
  cg->tv = arena_array(LLVMValueRef, p->nloops + 1);
  LLVMValueRef fns[8];
  LLVMValueRef shard = internal(build_gradient_shard(cg));
  keep_apart(cg, shard);
  fns[5] = internal(build_update(cg));
  fns[0] = internal(build_gradient(cg, shard));
  LLVMValueRef gradient_update = NULL;
  if (cg->plan->any_gemm_update) {
    gradient_update = internal(build_gradient_update(cg));
    keep_apart(cg, gradient_update);
  }
  fns[1] = internal(build_train_step(cg, shard, fns[5], gradient_update));
  fns[2] = internal(build_evaluate(cg));
  keep_apart(cg, fns[2]);
  fns[3] = internal(build_predict(cg, fns[2]));
  fns[4] = cg->plan->shards_add_up ? shard : LLVMConstNull(cg->ptr);
  fns[6] = internal(build_clip(cg));
  fns[7] = internal(build_update_range(cg));
  build_descriptor(cg, fns);
  limit_unrolling(cg);
  return finish_module(cg, arena_printf("netc_model_%s", p->name));
}

int64_t cg_gemm_workspace(const CgGemmShape *s, const CodegenOptions *o) {
  return s->trans_b ? s->n * s->k * o->dtype_bytes : 0;
}

/* The kernels a model's matrix products use, on one product alone: B
 * transposed is packed first, as a model packs a weight it multiplies. */
CgModule *cg_gemm_module(const CgGemmShape *s, const CodegenOptions *o) {
  Cg c = {0}, *cg = &c;
  static const Plan none;           /* a kernel alone has no values */
  cg->plan = &none;
  start_module(cg, "gemm", o);
  LLVMTypeRef args[4] = {cg->ptr, cg->ptr, cg->ptr, cg->ptr};
  begin(cg, CG_GEMM_SYMBOL, LLVMFunctionType(cg->voidt, args, 4, 0));
  LLVMValueRef a = LLVMGetParam(cg->fn, 0), b = LLVMGetParam(cg->fn, 1);
  cg->ws = LLVMGetParam(cg->fn, 3);
  if (s->trans_b) {
    emit_transpose_into(cg, b, cg->ws, s->n, s->k);
    b = cg->ws;
  }
  Gemm g = {
    .a_base = a, .a_row = s->trans_a ? 1 : s->k,
    .a_step = s->trans_a ? s->m : 1,
    .b_base = b, .b_row = s->n,
    .out_base = LLVMGetParam(cg->fn, 2), .out_row = s->n,
    .rows = i64c(cg, s->m), .depth = i64c(cg, s->k), .cols = s->n,
  };
  emit_gemm(cg, &g);
  LLVMBuildRetVoid(cg->b);
  return finish_module(cg, CG_GEMM_SYMBOL);
}

void cg_free(CgModule *m) {
  if (!m)
    return;
  if (m->mod)
    LLVMDisposeModule(m->mod);
  if (m->owns_context)
    LLVMContextDispose(m->ctx);
  free(m);
}
