/* compiler/codegen_optimizer.c — the optimizer's update, and the entry
 * points that apply it.
 *
 * The hyperparameters as a step reads them (netrt.h's NetrtHyper),
 * clipping, each optimizer's rule on reals or on the vectors of a GEMM
 * tile's epilogue, the update loops specialized to the training block's
 * flags, and train_step, update, clip, update_range and gradient_update.
 */
#include <config.h>

#include "arena.h"
#include "codegen_internal.h"

void cg_load_hyper(Cg *cg, LLVMValueRef h, Hyper *hy) {
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
  LLVMBasicBlockRef after = cg_if_open(cg, fcmp(cg, LLVMRealOGT,
                                                hy->d[HY_CLIP_NORM],
                                                f64c(cg, 0)));
  LLVMValueRef ss = cg_local(cg, cg->f64);
  LLVMBuildStore(cg->b, f64c(cg, 0), ss);
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, n);
  LLVMValueRef g = LLVMBuildLoad2(cg->b, cg->real, gep(cg, grads, i), "");
  if (cg->bytes == 4)
    g = LLVMBuildFPExt(cg->b, g, cg->f64, "");
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->f64, ss, "");
  LLVMBuildStore(cg->b, LLVMBuildFAdd(cg->b, s, LLVMBuildFMul(cg->b, g, g,
                                                             ""), ""), ss);
  cg_loop_close(cg, &l);
  LLVMValueRef norm = call1(cg, "llvm.sqrt",
                            LLVMBuildLoad2(cg->b, cg->f64, ss, ""));
  LLVMValueRef coef = LLVMBuildFDiv(cg->b, hy->d[HY_CLIP_NORM],
      LLVMBuildFAdd(cg->b, norm, f64c(cg, 1e-6), ""), "");
  LLVMBasicBlockRef inner = cg_if_open(cg, fcmp(cg, LLVMRealOLT, coef,
                                                f64c(cg, 1)));
  LLVMValueRef c = to_real(cg, coef);
  i = cg_loop_open(cg, &l, n);
  LLVMValueRef at = gep(cg, grads, i);
  LLVMBuildStore(cg->b, f_mul(cg, LLVMBuildLoad2(cg->b, cg->real, at, ""), c),
                 at);
  cg_loop_close(cg, &l);
  cg_if_close(cg, inner);
  cg_if_close(cg, after);
  after = cg_if_open(cg, fcmp(cg, LLVMRealOGT, hy->d[HY_CLIP_VALUE],
                              f64c(cg, 0)));
  LLVMValueRef mx = hy->v[HY_CLIP_VALUE];
  i = cg_loop_open(cg, &l, n);
  at = gep(cg, grads, i);
  LLVMValueRef g2 = LLVMBuildLoad2(cg->b, cg->real, at, "");
  g2 = call2(cg, "llvm.minnum", call2(cg, "llvm.maxnum", g2,
             LLVMBuildFNeg(cg->b, mx, "")), mx);
  LLVMBuildStore(cg->b, g2, at);
  cg_loop_close(cg, &l);
  cg_if_close(cg, after);
}

static LLVMValueRef load_real(Cg *cg, LLVMValueRef p) {
  return LLVMBuildLoad2(cg->b, cg->real, p, "");
}

/* The optimizer's loads, stores and constants, as the slot s it updates
 * says: reals in the update loops, vectors in a GEMM tile's epilogue. */
static LLVMValueRef ld(Cg *cg, const Slot *s, LLVMValueRef p) {
  if (s->tail >= 0)
    return cg_vec_load(cg, p, s->tail);
  return load_real(cg, p);
}

static void st(Cg *cg, const Slot *s, LLVMValueRef p, LLVMValueRef x) {
  if (s->tail >= 0)
    cg_vec_store(cg, x, p, s->tail);
  else
    LLVMBuildStore(cg->b, x, p);
}

static LLVMValueRef one(Cg *cg, const Slot *s) {
  return s->tail >= 0 ? cg_vec_splat(cg, realc(cg, 1)) : realc(cg, 1);
}

/* a*old + (1-a)*x */
static LLVMValueRef lerp(Cg *cg, const Slot *s, LLVMValueRef a,
                         LLVMValueRef old, LLVMValueRef x) {
  return f_add(cg, f_mul(cg, a, old), f_mul(cg, f_sub(cg, one(cg, s), a), x));
}

static LLVMValueRef update_sgd(Cg *cg, const Hyper *hy, LLVMValueRef g,
                               const Slot *s) {
  LLVMValueRef buf = f_add(cg,
      f_mul(cg, hy->v[HY_MOMENTUM], ld(cg, s, s->ptr[0])),
      f_mul(cg, f_sub(cg, one(cg, s), hy->v[HY_DAMPENING]), g));
  buf = sel(cg, hy->first, g, buf);
  LLVMValueRef has = hy->on[HY_MOMENTUM];
  st(cg, s, s->ptr[0], sel(cg, has, buf, ld(cg, s, s->ptr[0])));
  LLVMValueRef nest = f_add(cg, g, f_mul(cg, hy->v[HY_MOMENTUM], buf));
  LLVMValueRef step = sel(cg, hy->on[HY_NESTEROV], nest, buf);
  return f_mul(cg, hy->v[HY_LR], sel(cg, has, step, g));
}

static LLVMValueRef update_adagrad(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                   const Slot *s) {
  LLVMValueRef clr = hy->clr;
  LLVMValueRef sum = f_add(cg, ld(cg, s, s->ptr[0]), f_mul(cg, g, g));
  st(cg, s, s->ptr[0], sum);
  LLVMValueRef eps = hy->v[HY_EPS], sq = call1(cg, "llvm.sqrt", sum);
  LLVMValueRef inside = call1(cg, "llvm.sqrt", f_add(cg, sum, eps));
  LLVMValueRef denom = sel(cg, hy->on[HY_EPS_INSIDE_SQRT], inside,
                              f_add(cg, sq, eps));
  return f_div(cg, f_mul(cg, clr, g), denom);
}

static LLVMValueRef update_rmsprop(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                   const Slot *s) {
  LLVMValueRef a = hy->v[HY_ALPHA];
  LLVMValueRef sq = lerp(cg, s, a, ld(cg, s, s->ptr[0]), f_mul(cg, g, g));
  st(cg, s, s->ptr[0], sq);
  LLVMValueRef ga = lerp(cg, s, a, ld(cg, s, s->ptr[2]), g);
  LLVMValueRef centered = hy->on[HY_CENTERED];
  st(cg, s, s->ptr[2], sel(cg, centered, ga, ld(cg, s, s->ptr[2])));
  LLVMValueRef var = sel(cg, centered, f_sub(cg, sq, f_mul(cg, ga, ga)), sq);
  LLVMValueRef avg = f_add(cg, call1(cg, "llvm.sqrt", var), hy->v[HY_EPS]);
  LLVMValueRef buf = f_add(cg, f_mul(cg, hy->v[HY_MOMENTUM],
                                   ld(cg, s, s->ptr[1])), f_div(cg, g, avg));
  LLVMValueRef has = hy->on[HY_MOMENTUM];
  st(cg, s, s->ptr[1], sel(cg, has, buf, ld(cg, s, s->ptr[1])));
  return f_mul(cg, hy->v[HY_LR], sel(cg, has, buf, f_div(cg, g, avg)));
}

static LLVMValueRef update_adam(Cg *cg, const Hyper *hy, LLVMValueRef g,
                                const Slot *s) {
  LLVMValueRef bc1 = hy->bc1, sqrt_bc2 = hy->sqrt_bc2;
  LLVMValueRef m = lerp(cg, s, hy->v[HY_BETA1], ld(cg, s, s->ptr[0]), g);
  LLVMValueRef v = lerp(cg, s, hy->v[HY_BETA2], ld(cg, s, s->ptr[1]),
                        f_mul(cg, g, g));
  st(cg, s, s->ptr[0], m);
  st(cg, s, s->ptr[1], v);
  LLVMValueRef vmax = fmaxr(cg, ld(cg, s, s->ptr[2]), v);
  LLVMValueRef ams = hy->on[HY_AMSGRAD];
  st(cg, s, s->ptr[2], sel(cg, ams, vmax, ld(cg, s, s->ptr[2])));
  LLVMValueRef vv = sel(cg, ams, vmax, v);
  LLVMValueRef denom = f_add(cg, f_div(cg, call1(cg, "llvm.sqrt", vv),
                                     sqrt_bc2), hy->v[HY_EPS]);
  return f_mul(cg, f_div(cg, hy->v[HY_LR], bc1), f_div(cg, m, denom));
}

/* What the optimizer derives from the step number. */
void cg_step_hyper(Cg *cg, Hyper *hy, LLVMValueRef step) {
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
void cg_fix_to_defaults(Cg *cg, Hyper *hy) {
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
  cg_step_hyper(cg, &stepped, step);
  if (LLVMIsAConstantInt(stepped.first)) {      /* fixed by the caller */
    emit_update_loop(cg, &u, &stepped);
    return;
  }
  /* the training block's flags past the first step, as constants: a loop
   * that tests them at every element ran 20% slower (the batch-5 MLP's
   * SGD); any other step in a loop that tests them */
  LLVMBasicBlockRef fixed = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                          "defaults");
  LLVMBasicBlockRef other = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                          "other");
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                          "after");
  LLVMBuildCondBr(cg->b, fits_defaults(cg, hy, step), fixed, other);
  LLVMPositionBuilderAtEnd(cg->b, fixed);
  Hyper defaults = stepped;
  cg_fix_to_defaults(cg, &defaults);
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
void cg_emit_update_element(Cg *cg, const Hyper *hy, LLVMValueRef g,
                            LLVMValueRef pp, const Slot *s) {
  bool decoupled = cg->p->train.optimizer == NETRT_ADAMW;
  LLVMValueRef p = ld(cg, s, pp), wd = hy->v[HY_WEIGHT_DECAY];
  LLVMValueRef decays = hy->on[HY_WEIGHT_DECAY];    /* PyTorch: if wd != 0 */
  if (!is_false(decays) && decoupled)
    p = sel(cg, decays, f_mul(cg, p, f_sub(cg, one(cg, s),
                                          f_mul(cg, hy->v[HY_LR], wd))), p);
  else if (!is_false(decays))
    g = sel(cg, decays, f_add(cg, g, f_mul(cg, wd, p)), g);
  st(cg, s, pp, f_sub(cg, p, update_step(cg, hy, g, s)));
}

static void emit_update_loop(Cg *cg, const UpdateLoop *u, const Hyper *hy) {
  Loop l;
  LLVMValueRef i = add(cg, u->begin, cg_loop_open(cg, &l,
      LLVMBuildSub(cg->b, u->end, u->begin, "")));
  LLVMValueRef g = load_real(cg, gep(cg, u->grads[0], i));
  for (int k = 1; k < u->ngrads; k++)
    g = f_add(cg, g, load_real(cg, gep(cg, u->grads[k], i)));
  Slot s = {.tail = -1};
  for (int k = 0; k < 3; k++)
    s.ptr[k] = gep(cg, u->state,
                   add(cg, i, i64c(cg, k * cg->plan->param_count)));
  cg_emit_update_element(cg, hy, g, gep(cg, u->params, i), &s);
  cg_loop_close(cg, &l);
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

LLVMValueRef cg_build_gradient_update(Cg *cg) {
  cg_begin(cg, "gradient_update", gradient_update_type(cg));
  LLVMValueRef p[9];
  cg_args_of(cg, p, 9);
  cg->params = p[0];
  cg->state = p[1];
  cg_set_batch(cg, p[4]);
  cg->total = cg->batch;
  cg->step = p[5];
  cg->hyper = p[6];
  cg->ws = p[8];
  cg_load_io(cg, p[2], p[3]);
  cg->grads = p[7];
  cg->f.updates = true;
  cg_emit_values(cg, cg->plan->live);
  cg_write_grads(cg, cg->grads);
  cg->grads = NULL;
  LLVMBuildRet(cg->b, cg_loss_double(cg));
  return cg->f.fn;
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
LLVMValueRef cg_build_train_step(Cg *cg, LLVMValueRef shard,
                                 LLVMValueRef update,
                                 LLVMValueRef gradient_update) {
  LLVMTypeRef args[8] = {cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->i32,
                         cg->i64, cg->ptr, cg->ptr};
  cg_begin(cg, "train_step", LLVMFunctionType(cg->f64, args, 8, 0));
  LLVMValueRef p[8];
  cg_args_of(cg, p, 8);
  LLVMValueRef grads = byte_gep(cg, p[7], cg->plan->grad_offset);
  LLVMValueRef result = cg_local(cg, cg->f64);
  LLVMBasicBlockRef after = NULL;
  if (gradient_update) {
    Hyper hy;
    cg_load_hyper(cg, p[6], &hy);
    LLVMValueRef fits = LLVMBuildAnd(cg->b, fits_defaults(cg, &hy, p[5]),
        LLVMBuildAnd(cg->b,           /* clipping needs every gradient */
            fcmp(cg, LLVMRealOLE, hy.d[HY_CLIP_NORM], f64c(cg, 0)),
            fcmp(cg, LLVMRealOLE, hy.d[HY_CLIP_VALUE], f64c(cg, 0)), ""),
        "");
    cg_fix_to_defaults(cg, &hy);
    LLVMBasicBlockRef fused = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                            "in_gemm");
    LLVMBasicBlockRef apart = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                            "apart");
    after = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn, "done");
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
  LLVMBuildStore(cg->b, cg_call_shard(cg, shard, a), result);
  LLVMTypeRef utypes[5] = {cg->ptr, cg->ptr, cg->ptr, cg->i64, cg->ptr};
  LLVMValueRef u[5] = {p[0], p[1], grads, p[5], p[6]};
  LLVMBuildCall2(cg->b, LLVMFunctionType(cg->voidt, utypes, 5, 0), update, u,
                 5, "");
  if (after) {
    LLVMBuildBr(cg->b, after);
    LLVMPositionBuilderAtEnd(cg->b, after);
  }
  LLVMBuildRet(cg->b, LLVMBuildLoad2(cg->b, cg->f64, result, ""));
  return cg->f.fn;
}

/* void update(params, state, grads, step, hyper): train_step's clipping
 * and optimizer, for gradients computed elsewhere (in shards). */
LLVMValueRef cg_build_update(Cg *cg) {
  LLVMTypeRef args[5] = {cg->ptr, cg->ptr, cg->ptr, cg->i64, cg->ptr};
  cg_begin(cg, "update", LLVMFunctionType(cg->voidt, args, 5, 0));
  cg->params = LLVMGetParam(cg->f.fn, 0);
  LLVMValueRef grads = LLVMGetParam(cg->f.fn, 2);
  Hyper hy;
  cg_load_hyper(cg, LLVMGetParam(cg->f.fn, 4), &hy);
  emit_clip(cg, grads, &hy);
  emit_update(cg, cg->params, LLVMGetParam(cg->f.fn, 1), &grads, 1,
              LLVMGetParam(cg->f.fn, 3), &hy, i64c(cg, 0),
              i64c(cg, cg->plan->param_count));
  LLVMBuildRetVoid(cg->b);
  return cg->f.fn;
}

/* void clip(grads, hyper): update's clipping alone. */
LLVMValueRef cg_build_clip(Cg *cg) {
  LLVMTypeRef args[2] = {cg->ptr, cg->ptr};
  cg_begin(cg, "clip", LLVMFunctionType(cg->voidt, args, 2, 0));
  Hyper hy;
  cg_load_hyper(cg, LLVMGetParam(cg->f.fn, 1), &hy);
  emit_clip(cg, LLVMGetParam(cg->f.fn, 0), &hy);
  LLVMBuildRetVoid(cg->b);
  return cg->f.fn;
}

/* grads[0][begin, end) += grads[1..n-1][begin, end), left to right */
static void emit_add_up(Cg *cg, LLVMValueRef grads, LLVMValueRef n,
                        LLVMValueRef begin, LLVMValueRef end) {
  Loop lk, li;
  LLVMValueRef sum = LLVMBuildLoad2(cg->b, cg->ptr, grads, "");
  LLVMValueRef k = add(cg, cg_loop_open(cg, &lk, LLVMBuildSub(cg->b, n,
                                                            i64c(cg, 1), "")),
                       i64c(cg, 1));
  LLVMValueRef from = LLVMBuildLoad2(cg->b, cg->ptr,
      LLVMBuildGEP2(cg->b, cg->ptr, grads, &k, 1, ""), "");
  LLVMValueRef i = add(cg, begin, cg_loop_open(cg, &li,
      LLVMBuildSub(cg->b, end, begin, "")));
  LLVMValueRef x = load_real(cg, gep(cg, from, i));
  LLVMValueRef total = f_add(cg, load_real(cg, gep(cg, sum, i)), x);
  LLVMBuildStore(cg->b, total, gep(cg, sum, i));
  cg_loop_close(cg, &li);
  cg_loop_close(cg, &lk);
}

/* void update_range(params, state, grads, ngrads, step, hyper, begin,
 * end): update's optimizer step, unclipped, on the parameters' reals
 * [begin, end) and the sum of ngrads gradient buffers, so that threads
 * can share it.  Two buffers (two threads) are added as they are read;
 * more are first added up into the first. */
LLVMValueRef cg_build_update_range(Cg *cg) {
  LLVMTypeRef args[8] = {cg->ptr, cg->ptr, cg->ptr, cg->i32, cg->i64,
                         cg->ptr, cg->i64, cg->i64};
  cg_begin(cg, "update_range", LLVMFunctionType(cg->voidt, args, 8, 0));
  LLVMValueRef p[8];
  cg_args_of(cg, p, 8);
  cg->params = p[0];
  Hyper hy;
  cg_load_hyper(cg, p[5], &hy);
  LLVMValueRef n = LLVMBuildSExt(cg->b, p[3], cg->i64, "");
  LLVMValueRef g[2], one = i64c(cg, 1);
  g[0] = LLVMBuildLoad2(cg->b, cg->ptr, p[2], "");
  LLVMBasicBlockRef two = cg_if_open(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, n,
                                                       i64c(cg, 2), ""));
  g[1] = LLVMBuildLoad2(cg->b, cg->ptr,
                        LLVMBuildGEP2(cg->b, cg->ptr, p[2], &one, 1, ""), "");
  emit_update(cg, p[0], p[1], g, 2, p[4], &hy, p[6], p[7]);
  LLVMBuildRetVoid(cg->b);
  LLVMPositionBuilderAtEnd(cg->b, two);
  emit_add_up(cg, p[2], n, p[6], p[7]);
  emit_update(cg, p[0], p[1], g, 1, p[4], &hy, p[6], p[7]);
  LLVMBuildRetVoid(cg->b);
  return cg->f.fn;
}
