/* compiler/codegen.c — the tensor IR to LLVM, through the LLVM-C API:
 * the module's life cycle and the model's entry points.
 *
 * Input: an IrProgram with its backward pass and its Plan (plan.c);
 * output: an LLVM module that defines the model's entry points and its
 * descriptor (runtime/netrt.h).  Every shape is a constant in the
 * generated loops, so LLVM folds the index arithmetic and vectorizes;
 * only the batch size is a run-time value (a smaller last batch),
 * bounded by the batch compiled for.  The plan says which values are
 * computed inside others, which are read in place, and where the rest
 * live in one workspace; codegen follows it and decides none of it.
 * One loop nest per stored value, shaped like the reference
 * interpreter's (interp.c), so the two can be compared value by value.
 *
 * The parts (codegen_internal.h lists what they share): builders,
 * values, losses, gemm, loops, optimizer, descriptor; this file builds
 * gradient_shard, gradient, evaluate and predict, and the module.
 */
#include <config.h>

#include "codegen.h"

#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/DebugInfo.h>

#include "arena.h"
#include "codegen_internal.h"
#include "diag.h"

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

/* emit(v, b) inside a loop over the examples, or once (b NULL) for a
 * value shared by the batch. */
static void for_examples(Cg *cg, const IrValue *v,
                         void (*emit)(Cg *, const IrValue *, LLVMValueRef)) {
  if (!v->batched) {
    emit(cg, v, NULL);
    return;
  }
  Loop lb;
  LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
  emit(cg, v, b);
  cg_loop_close(cg, &lb);
}

void cg_emit_value(Cg *cg, const IrValue *v) {
  if (v->op == IR_LOOP) {
    cg_emit_loop(cg, v);
    return;
  }
  if (cg->plan->gemm_root[v->id]) {
    cg_emit_gemm_sum(cg, v);
    return;
  }
  if (plan_batched_matvec(v)) {
    cg_emit_batched_matvec(cg, v);
    return;
  }
  if (v->nargs == 0 || v->op == IR_LOOP_OUT)
    return;                /* leaves are read where they are; loop outputs
                              are written by their loops */
  if (v->op == IR_BATCH_SUM || v->op == IR_BATCH_MEAN ||
      v->op == IR_UNBATCH) {
    cg_emit_across_batch(cg, v);
    return;
  }
  if (cg->plan->step_view[v->id] || cg->plan->slice_of[v->id])
    return;                /* read in place */
  for_examples(cg, v, v->op == IR_STEP_IN ? cg_emit_step_in : cg_emit_example);
}

/* ---- the entry points -------------------------------------------------- */

/* The kernels' vector width for LLVM's vectorizer too: on CPUs it tunes
 * for 256 bits it would otherwise split 512-bit vectors in two. */
static void prefer_wide_vectors(Cg *cg, LLVMValueRef fn) {
  static const char *const keys[] = {"prefer-vector-width",
                                     "min-legal-vector-width"};
  char bits[16];
  int n = snprintf(bits, sizeof bits, "%d", cg->lanes * cg->bytes * 8);
  for (int k = 0; k < 2; k++) {
    LLVMAttributeRef a = LLVMCreateStringAttribute(
        cg->ctx, keys[k], (unsigned)strlen(keys[k]), bits, (unsigned)n);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
  }
}

void cg_begin(Cg *cg, const char *name, LLVMTypeRef fty) {
  cg->f = (Building){.fn = LLVMAddFunction(cg->mod, name, fty)};
  prefer_wide_vectors(cg, cg->f.fn);
  cg->f.entry = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, cg->f.entry);
}

/* The function being built's n arguments. */
void cg_args_of(Cg *cg, LLVMValueRef *p, unsigned n) {
  for (unsigned k = 0; k < n; k++)
    p[k] = LLVMGetParam(cg->f.fn, k);
}

/* The pointers of the inputs and (when targets is not NULL) targets. */
void cg_load_io(Cg *cg, LLVMValueRef inputs, LLVMValueRef targets) {
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

void cg_set_batch(Cg *cg, LLVMValueRef batch32) {
  cg->batch = LLVMBuildSExt(cg->b, batch32, cg->i64, "");
  cg->total = cg->batch;
}

/* Parameters are packed first; a computed matrix once it is known. */
void cg_emit_values(Cg *cg, const bool *want) {
  for (int i = 0; i < cg->p->n; i++) {
    const IrValue *v = cg->p->v[i];
    if (want[v->id] && v->op == IR_PARAM && cg->plan->pack_offset[v->id])
      cg_emit_pack(cg, v);
  }
  for (int i = 0; i < cg->p->n; i++) {
    const IrValue *v = cg->p->v[i];
    if (!want[v->id] || cg->plan->fused[v->id] || cg->plan->inlined[v->id])
      continue;
    cg_emit_value(cg, v);
    if (v->op != IR_PARAM && cg->plan->pack_offset[v->id])
      cg_emit_pack(cg, v);
  }
}

LLVMValueRef cg_loss_double(Cg *cg) {
  LLVMValueRef l = cg_load(cg, cg->p->loss, NULL, i64c(cg, 0));
  return cg->bytes == 8 ? l : LLVMBuildFPExt(cg->b, l, cg->f64, "");
}

static void write_outputs(Cg *cg, LLVMValueRef outputs) {
  const IrValue *o = cg->p->output;
  if (!o)
    return;
  int64_t n = count(&o->ty);
  Loop lb, li;
  LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
  LLVMValueRef at = add(cg, mul(cg, b, i64c(cg, n)), i);
  LLVMBuildStore(cg->b, cg_load(cg, o, b, i), gep(cg, outputs, at));
  cg_loop_close(cg, &li);
  cg_loop_close(cg, &lb);
}

void cg_write_grads(Cg *cg, LLVMValueRef grads) {
  const IrProgram *p = cg->p;
  for (int k = 0; k < p->nparams; k++) {
    const IrValue *g = p->grads[k];
    if (cg->plan->grad_param[g->id] == k + 1)
      continue;                         /* computed there */
    Loop l;
    LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&g->ty)));
    LLVMValueRef at = add(cg, i64c(cg, cg->plan->param_offset[k]), i);
    LLVMBuildStore(cg->b, cg_load(cg, g, NULL, i), gep(cg, grads, at));
    cg_loop_close(cg, &l);
  }
}

/* double gradient(params, inputs, targets, batch, grads, workspace) */
/* double gradient_shard(params, inputs, targets, count, total, grads,
 * workspace): gradient's sums over `count` examples, its means divided by
 * `total`, so that the shards of a batch add up to the batch's. */
static LLVMValueRef build_gradient_shard(Cg *cg) {
  LLVMTypeRef args[7] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->i32,
                         cg->ptr, cg->ptr};
  cg_begin(cg, "gradient_shard", LLVMFunctionType(cg->f64, args, 7, 0));
  cg->params = LLVMGetParam(cg->f.fn, 0);
  cg_set_batch(cg, LLVMGetParam(cg->f.fn, 3));
  cg->total = LLVMBuildSExt(cg->b, LLVMGetParam(cg->f.fn, 4), cg->i64, "");
  cg->ws = LLVMGetParam(cg->f.fn, 6);
  cg_load_io(cg, LLVMGetParam(cg->f.fn, 1), LLVMGetParam(cg->f.fn, 2));
  cg->grads = LLVMGetParam(cg->f.fn, 5);
  cg_emit_values(cg, cg->plan->live);
  cg_write_grads(cg, cg->grads);
  cg->grads = NULL;
  LLVMBuildRet(cg->b, cg_loss_double(cg));
  return cg->f.fn;
}

/* The backward pass is compiled once, in gradient_shard; gradient and
 * train_step call it (a third of the compile time of three copies). */
void cg_keep_apart(Cg *cg, LLVMValueRef fn) {
  unsigned kind = LLVMGetEnumAttributeKindForName("noinline", 8);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

LLVMValueRef cg_call_shard(Cg *cg, LLVMValueRef shard,
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
  cg_begin(cg, "gradient", LLVMFunctionType(cg->f64, args, 6, 0));
  LLVMValueRef p[6];
  cg_args_of(cg, p, 6);
  LLVMValueRef a[7] = {p[0], p[1], p[2], p[3], p[3], p[4], p[5]};
  LLVMBuildRet(cg->b, cg_call_shard(cg, shard, a));
  return cg->f.fn;
}

/* double evaluate(params, inputs, targets, batch, outputs, workspace) */
static LLVMValueRef build_evaluate(Cg *cg) {
  LLVMTypeRef args[6] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->ptr,
                         cg->ptr};
  cg_begin(cg, "evaluate", LLVMFunctionType(cg->f64, args, 6, 0));
  cg->params = LLVMGetParam(cg->f.fn, 0);
  cg_set_batch(cg, LLVMGetParam(cg->f.fn, 3));
  cg->ws = LLVMGetParam(cg->f.fn, 5);
  cg_load_io(cg, LLVMGetParam(cg->f.fn, 1), LLVMGetParam(cg->f.fn, 2));
  cg_emit_values(cg, cg->plan->forward);
  LLVMValueRef outputs = LLVMGetParam(cg->f.fn, 4);
  LLVMValueRef some = LLVMBuildIsNotNull(cg->b, outputs, "");
  LLVMBasicBlockRef after = cg_if_open(cg, some);
  write_outputs(cg, outputs);
  cg_if_close(cg, after);
  LLVMBuildRet(cg->b, cg_loss_double(cg));
  return cg->f.fn;
}

/* void predict(params, inputs, batch, outputs, workspace): a call of
 * evaluate with targets of zeros (every kind of target reads zero as
 * valid), so that the forward pass is compiled once; the loss it also
 * computes costs a few operations per example. */
static LLVMValueRef build_predict(Cg *cg, LLVMValueRef evaluate) {
  LLVMTypeRef args[5] = {cg->ptr, cg->ptr, cg->i32, cg->ptr, cg->ptr};
  cg_begin(cg, "predict", LLVMFunctionType(cg->voidt, args, 5, 0));
  LLVMValueRef ws = LLVMGetParam(cg->f.fn, 4);
  const Plan *pl = cg->plan;
  LLVMValueRef targets = byte_gep(cg, ws, pl->zero_targets);
  int64_t at = cg->p->ntargets ? pl->target_zeros[0] : pl->ws_bytes;
  LLVMValueRef zeros = byte_gep(cg, ws, at);
  int64_t zero_bytes = pl->ws_bytes - at;
  for (int k = 0; k < cg->p->ntargets; k++) {
    LLVMValueRef i = i64c(cg, k);
    LLVMBuildStore(cg->b, byte_gep(cg, ws, pl->target_zeros[k]),
                   LLVMBuildGEP2(cg->b, cg->ptr, targets, &i, 1, ""));
  }
  LLVMBuildMemSet(cg->b, zeros, LLVMConstInt(LLVMInt8TypeInContext(cg->ctx),
                                             0, 0), i64c(cg, zero_bytes), 1);
  LLVMValueRef call[6] = {LLVMGetParam(cg->f.fn, 0), LLVMGetParam(cg->f.fn, 1),
                          targets, LLVMGetParam(cg->f.fn, 2),
                          LLVMGetParam(cg->f.fn, 3), ws};
  LLVMTypeRef types[6] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->ptr,
                          cg->ptr};
  LLVMBuildCall2(cg->b, LLVMFunctionType(cg->f64, types, 6, 0), evaluate,
                 call, 6, "");
  LLVMBuildRetVoid(cg->b);
  return cg->f.fn;
}

static LLVMValueRef internal(LLVMValueRef fn) {
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  return fn;
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
  PlanTarget t = cg_plan_target(o);
  cg->lanes = t.lanes;
  cg->vector_regs = t.vector_regs;
  cg->tile = t.tile;
  cg->target = t;
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

/* The kernels' vectors and registers are the target's, and so is the
 * register tile unless --tile= names one. */
PlanTarget cg_plan_target(const CodegenOptions *o) {
  if (!o->target)
    DIE("codegen: no target");
  int regs = o->target->vector_regs;
  return (PlanTarget){.bytes = o->dtype_bytes, .batch = o->batch,
                      .lanes = o->target->vector_bits / 8 / o->dtype_bytes,
                      .vector_regs = regs,
                      .tile = o->tile.rows ? o->tile
                                           : plan_register_tile(regs),
                      .l1d = o->target->l1d, .l2 = o->target->l2};
}

CgModule *cg_module(const IrProgram *p, const Plan *plan,
                    const CodegenOptions *o) {
  Cg c = {0}, *cg = &c;
  cg->p = p;
  start_module(cg, p->name, o);
  PlanTarget t = cg_plan_target(o);
  if (plan->p != p || plan->bytes != t.bytes || plan->batch != t.batch ||
      plan->lanes != t.lanes || plan->vector_regs != t.vector_regs ||
      plan->tile.rows != t.tile.rows || plan->tile.vecs != t.tile.vecs)
    DIE("codegen: the plan is not for this program and target");
  cg->plan = plan;
  cg->tv = arena_array(LLVMValueRef, p->nloops + 1);
  LLVMValueRef fns[8];
  LLVMValueRef shard = internal(build_gradient_shard(cg));
  cg_keep_apart(cg, shard);
  fns[5] = internal(cg_build_update(cg));
  fns[0] = internal(build_gradient(cg, shard));
  LLVMValueRef gradient_update = NULL;
  if (cg->plan->any_gemm_update) {
    gradient_update = internal(cg_build_gradient_update(cg));
    cg_keep_apart(cg, gradient_update);
  }
  fns[1] = internal(cg_build_train_step(cg, shard, fns[5], gradient_update));
  fns[2] = internal(build_evaluate(cg));
  cg_keep_apart(cg, fns[2]);
  fns[3] = internal(build_predict(cg, fns[2]));
  fns[4] = cg->plan->shards_add_up ? shard : LLVMConstNull(cg->ptr);
  fns[6] = internal(cg_build_clip(cg));
  fns[7] = internal(cg_build_update_range(cg));
  cg_build_descriptor(cg, fns);
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
  cg_begin(cg, CG_GEMM_SYMBOL, LLVMFunctionType(cg->voidt, args, 4, 0));
  LLVMValueRef a = LLVMGetParam(cg->f.fn, 0), b = LLVMGetParam(cg->f.fn, 1);
  cg->ws = LLVMGetParam(cg->f.fn, 3);
  if (s->trans_b) {
    cg_emit_pack_panels(cg, b, cg->ws, s->n, s->k);
    b = cg->ws;
  }
  Gemm g = {
    .a_base = a, .a_row = s->trans_a ? 1 : s->k,
    .a_step = s->trans_a ? s->m : 1,
    .b_base = b, .b_row = s->n, .b_panels = s->trans_b,
    .out_base = LLVMGetParam(cg->f.fn, 2), .out_row = s->n,
    .rows = i64c(cg, s->m), .depth = i64c(cg, s->k), .cols = s->n,
  };
  cg_emit_gemm(cg, &g);
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
