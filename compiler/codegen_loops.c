/* compiler/codegen_loops.c — loops over time.
 *
 * An IR loop becomes a loop over its steps (counting down for a backward
 * loop) around its body's values: states from their initial values and
 * from the step before, outputs stacked, summed or kept as their kind
 * says, and the loop sums the plan hoists run after the loop as one GEMM
 * over every step and example.
 */
#include <config.h>

#include "codegen_internal.h"

/* Step t of an outer sequence, for every example. */
void cg_emit_step_in(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *seq = v->args[0];
  int64_t n = count(&v->ty), steps = seq->ty.dims[0];
  LLVMValueRef t = cg->tv[v->loop->id];
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, n));
  LLVMValueRef at = add(cg, mul(cg, t, i64c(cg, n)), i);
  (void)steps;
  cg_store(cg, v, b, i, cg_load(cg, seq, b, at));
  cg_loop_close(cg, &l);
}

/* dst (per example) = src, a scalar, a shared value or one per example. */
static void copy_broadcast(Cg *cg, const IrValue *dst, const IrValue *src) {
  int64_t n = count(&dst->ty), m = count(&src->ty);
  Loop lb, li;
  LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
  LLVMValueRef x = cg_load(cg, src, src->batched ? b : NULL,
                           m == 1 ? i64c(cg, 0) : i);
  cg_store(cg, dst, b, i, x);
  cg_loop_close(cg, &li);
  cg_loop_close(cg, &lb);
}

static void emit_states(Cg *cg, const IrLoop *l, LLVMValueRef s,
                        LLVMValueRef t) {
  if (l->nstates == 0)
    return;
  LLVMValueRef first = LLVMBuildICmp(cg->b, LLVMIntEQ, s, i64c(cg, 0), "");
  LLVMBasicBlockRef after = cg_if_open(cg, first);
  for (int k = 0; k < l->nstates; k++)
    copy_broadcast(cg, l->state_in[k], l->state_init[k]);
  cg_if_close(cg, after);
  after = cg_if_open(cg, LLVMBuildNot(cg->b, first, ""));
  LLVMValueRef prev = add(cg, t, i64c(cg, l->backward ? 1 : -1));
  for (int k = 0; k < l->nstates; k++) {
    /* next at the step before, or the state kept when that step was
     * past the example's length */
    const IrValue *in = l->state_in[k], *next = l->state_next[k];
    int64_t n = count(&in->ty), m = count(&next->ty);
    Loop lb, li;
    LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
    LLVMValueRef ok = l->length ? cg_within(cg, l->length, b, prev) : NULL;
    LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
    cg->tv[l->id] = prev;
    LLVMValueRef x = cg_load(cg, next, next->batched ? b : NULL,
                             m == 1 ? i64c(cg, 0) : i);
    if (ok)
      x = sel(cg, ok, x, cg_load(cg, in, b, i));
    cg->tv[l->id] = t;
    cg_store(cg, in, b, i, x);
    cg_loop_close(cg, &li);
    cg_loop_close(cg, &lb);
  }
  cg_if_close(cg, after);
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
    LLVMValueRef b = step->batched ? cg_loop_open(cg, &lb, cg->batch) : NULL;
    LLVMValueRef ok = l->length && b ? cg_within(cg, l->length, b, t) : NULL;
    LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
    LLVMValueRef x = cg_load(cg, step, b, i);
    if (ok)
      x = sel(cg, ok, x, realc(cg, 0));
    switch (l->out_kind[k]) {
    case OUT_STACK:
      cg_store(cg, o, b, add(cg, mul(cg, t, i64c(cg, n)), i), x);
      break;
    case OUT_SUM: {
      LLVMValueRef old = sel(cg, first, realc(cg, 0), cg_load(cg, o, b, i));
      cg_store(cg, o, b, i, f_add(cg, old, x));
      break;
    }
    case OUT_LAST:
      if (ok)      /* the step of the last valid step */
        x = sel(cg, LLVMBuildOr(cg->b, ok, first, ""), x, cg_load(cg, o, b, i));
      cg_store(cg, o, b, i, x);
      break;
    }
    cg_loop_close(cg, &li);
    if (b)
      cg_loop_close(cg, &lb);
  }
}

/* The value at step 0 (a body value) or the value (one outside). */
static LLVMValueRef step0_base(Cg *cg, const IrValue *v) {
  if (cg->plan->slice_of[v->id])
    return gep(cg, step0_base(cg, cg->plan->slice_of[v->id]),
               i64c(cg, cg->plan->slice_at[v->id]));
  if (cg->plan->step_view[v->id])
    return cg_value_base(cg, v->args[0]);
  if (cg->plan->stack_of[v->id])
    return cg_value_base(cg, cg->plan->stack_of[v->id]);
  return plan_in_body(v) ? byte_gep(cg, cg->ws, cg->plan->offset[v->id])
                    : cg_value_base(cg, v);
}

/* v at step t of loop l: its slot, or its place in its sequence. */
static LLVMValueRef at_step(Cg *cg, const IrValue *v, const IrLoop *l,
                            LLVMValueRef t) {
  int64_t stride = plan_step_stride(cg->plan, v, l);
  return gep(cg, step0_base(cg, v), mul(cg, t, i64c(cg, stride)));
}

static void zero_reals(Cg *cg, LLVMValueRef p, int64_t n) {
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, n));
  LLVMBuildStore(cg->b, realc(cg, 0), gep(cg, p, i));
  cg_loop_close(cg, &l);
}

/* A loop's output k, a sum over steps that was hoisted (mark_hoisted),
 * after the loop, step by step, as one GEMM a step accumulating into the
 * output: batch_sum(outer(g, x)) (a weight's gradient; each step's x rows
 * stay in L1 while every tile of the output reads them), or
 * batch_sum(g) (a bias's gradient) as a one-row GEMM of ones and g. */
static void emit_hoisted_sum(Cg *cg, const IrLoop *l, int k) {
  const IrValue *o = l->out_step[k]->args[0], *out = l->out[k];
  cg_fill(cg, out, NULL, 0);
  LLVMValueRef some = LLVMBuildICmp(cg->b, LLVMIntSGT, cg->batch,
                                    i64c(cg, 0), "");
  LLVMBasicBlockRef after = cg_if_open(cg, some);    /* not an empty shard */
  LLVMValueRef one = o->op == IR_OUTER ? NULL : cg_acc_new(cg, realc(cg, 1));
  bool swap = cg->plan->swap_offset[out->id] != 0;
  LLVMValueRef swapped =
      swap ? byte_gep(cg, cg->ws, cg->plan->swap_offset[out->id]) : NULL;
  if (swap)
    zero_reals(cg, swapped, count(&out->ty));
  Loop lt;
  LLVMValueRef t = cg_loop_open(cg, &lt, i64c(cg, l->steps));
  Gemm gm = {.out_base = cg_value_base(cg, out), .depth = cg->batch,
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
  cg_emit_gemm(cg, &gm);
  cg_loop_close(cg, &lt);
  if (swap)
    cg_emit_transpose_into(cg, swapped, cg_value_base(cg, out), out->ty.dims[1],
                           out->ty.dims[0]);
  cg_if_close(cg, after);
}

/* The steps of a loop, forwards or backwards, its body inside. */
void cg_emit_loop(Cg *cg, const IrValue *lv) {
  const IrLoop *l = lv->loop;
  Loop ls;
  LLVMValueRef s = cg_loop_open(cg, &ls, i64c(cg, l->steps));
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
      cg_emit_value(cg, v);
  }
  emit_outputs(cg, l, s, t);
  cg_loop_close(cg, &ls);
  for (int k = 0; k < l->nouts; k++)
    if (cg->plan->hoisted[l->out_step[k]->id])
      emit_hoisted_sum(cg, l, k);
}
