/* compiler/plan.c — the plan of the generated code, decided on the IR.
 *
 * Input: an IrProgram with its backward pass, and the target's facts
 * (PlanTarget); output: a Plan (plan.h).  Every decision code generation
 * takes before it builds an LLVM value is taken here, on the IR alone:
 * which values are computed inside their readers (fusion, inlining, GEMM
 * sums), which loop sums become one GEMM after the loop (hoisting),
 * which values are read in place in another's storage (views), which
 * weight gradients update their parameters in their GEMMs' tiles, and
 * the workspace's layout.  Each value the plan leaves alone gets its own
 * buffer: one slot, or one per step for body values read at other steps.
 * `netc --dump=plan` prints it (plan_dump).
 */
#include <config.h>

#include "plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "arena.h"

/* A loop's body values keep one slot per step. */
bool plan_in_body(const IrValue *v) {
  return v->loop && v->op != IR_LOOP && v->op != IR_LOOP_OUT;
}

int64_t plan_slot_bytes(const Plan *pl, const IrValue *v) {
  int64_t n = ir_count(&v->ty) * (v->batched ? pl->batch : 1);
  return (n * pl->bytes + 63) / 64 * 64;
}

/* Elements between one example's value and the next's. */
int64_t plan_example_stride(const Plan *pl, const IrValue *v) {
  if (pl->slice_of && pl->slice_of[v->id])
    return plan_example_stride(pl, pl->slice_of[v->id]);
  if (pl->step_view && pl->step_view[v->id])
    return ir_count(&v->args[0]->ty);
  if (pl->stack_of && pl->stack_of[v->id])
    return ir_count(&pl->stack_of[v->id]->ty);
  return ir_count(&v->ty);
}

/* A shared matrix times a vector of every example. */
bool plan_batched_matvec(const IrValue *v) {
  const IrValue *a = v->args[0], *c = v->args[1];
  return v->op == IR_MATMUL && v->batched && !a->batched && c->batched &&
         a->ty.ndim == 2 && c->ty.ndim == 1;
}

/* Values kept in the workspace, not in a loop's per-step slots. */
bool plan_stored_once(const Plan *pl, const IrValue *v) {
  return (v->op == IR_PARAM || v->nargs > 0) && !plan_in_body(v) &&
         !pl->fused[v->id] && v->op != IR_LOOP;
}

/* transpose(w) @ x reads w's rows as they are. */
const IrValue *plan_transposed_source(const Plan *pl, const IrValue *a) {
  if (a->op == IR_TRANSPOSE && plan_stored_once(pl, a->args[0]) &&
      !a->args[0]->batched)
    return a->args[0];
  return NULL;
}

/* Reals between a value's slots at consecutive steps of loop l (it is
 * one of l's body values or of its primal's), or 0: the same value at
 * every step.  -1: neither. */
int64_t plan_step_stride(const Plan *pl, const IrValue *v, const IrLoop *l) {
  if (!plan_in_body(v))
    return 0;
  if (v->loop != l && v->loop != l->primal)
    return -1;
  if (pl->slice_of && pl->slice_of[v->id])
    return plan_step_stride(pl, pl->slice_of[v->id], l);
  if ((pl->step_view && pl->step_view[v->id]) ||
      (pl->stack_of && pl->stack_of[v->id]))
    return ir_count(&v->ty);
  if (pl->per_step && !pl->per_step[v->id])
    return -1;
  return plan_slot_bytes(pl, v) / pl->bytes;
}

/* A weight gradient [M, K] with short rows (an input projection's: K is
 * the 28 pixels of an MNIST row) fills a fraction of each vector of its
 * GEMM's tiles and few accumulators; its transpose [K, M] has long rows
 * and full tiles.  It is summed transposed, then transposed once (the
 * LSTM's W_x gradient went from 7.3% of a step to 5.7%). */
bool plan_narrow_gradient(const Plan *pl, const IrValue *out) {
  int64_t M = out->ty.dims[0], K = out->ty.dims[1];
  int64_t width = (int64_t)pl->tile.vecs * pl->lanes;
  return K < width && M >= width && M % pl->lanes == 0;
}

bool plan_swapped_sum(const Plan *pl, const IrLoop *l, int k) {
  return pl->hoisted[l->out_step[k]->id] &&
         l->out_step[k]->args[0]->op == IR_OUTER &&
         plan_narrow_gradient(pl, l->out[k]);
}

/* A dot product shorter than this spends too much of itself on its final
 * horizontal sum (the autoencoder's decoder, 12% slower unpacked). */
enum { DOT_MIN_DEPTH = 256 };

/* The matrices of batched products that need their transpose packed:
 * those multiplied by enough vectors in a call (the batch times the
 * steps of the loop the product is in).  A product outside loops reads
 * its matrix once a call, and with long rows the dot-product tiles do as
 * well as the packed GEMM there without the pack (the MLP of C: 0.89
 * million training samples/s either way at batch 128, predict at batch
 * 64 1.8 million against 1.5): those are not packed. */
static void mark_packs(Plan *pl, const IrBlock *b, bool *packed) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      mark_packs(pl, &v->loop->body, packed);
      continue;
    }
    int64_t steps = v->loop ? v->loop->steps : 1;
    const IrValue *a = v->nargs ? v->args[0] : NULL;
    if (plan_batched_matvec(v) && !plan_transposed_source(pl, a) &&
        plan_stored_once(pl, a) && pl->batch * steps >= PACK_MIN_ROWS &&
        (v->loop || a->ty.dims[1] < DOT_MIN_DEPTH)) {
      if (!packed[a->id] || steps < pl->pack_steps[a->id])
        pl->pack_steps[a->id] = steps;
      packed[a->id] = true;
    }
  }
}
/* Whether v gets storage of its own in the workspace: leaves are read
 * where they are, and the plan computes others elsewhere. */
static bool has_slot(const Plan *pl, const IrValue *v) {
  return !((v->nargs == 0 && v->op != IR_STATE) || pl->fused[v->id] ||
           pl->hoisted[v->id] || pl->unused[v->id] || pl->inlined[v->id] ||
           pl->step_view[v->id] || pl->stack_of[v->id] ||
           pl->slice_of[v->id]);
}

/* Its slot's bytes, or every step's slots. */
static int64_t slot_span(const Plan *pl, const IrValue *v) {
  return plan_slot_bytes(pl, v) * (pl->per_step[v->id] ? v->loop->steps : 1);
}

static int64_t place(Plan *pl, const IrBlock *b, int64_t at) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      at = place(pl, &v->loop->body, at);
      continue;
    }
    if (!has_slot(pl, v))
      continue;
    pl->offset[v->id] = at;
    at += slot_span(pl, v);
  }
  return at;
}

/* Target k for a whole batch. */
static int64_t zero_target_bytes(const Plan *pl, int k) {
  return type_numel(&pl->p->targets[k].ty) * pl->batch * pl->bytes;
}

static int64_t place_swapped_sums(Plan *pl, const IrBlock *b, int64_t at) {
  for (int i = 0; i < b->n; i++) {
    const IrLoop *l = b->v[i]->op == IR_LOOP ? b->v[i]->loop : NULL;
    if (!l)
      continue;
    at = place_swapped_sums(pl, &l->body, at);
    for (int k = 0; k < l->nouts; k++)
      if (plan_swapped_sum(pl, l, k)) {
        pl->swap_offset[l->out[k]->id] = at;
        at += (ir_count(&l->out[k]->ty) * pl->bytes + 63) / 64 * 64;
      }
  }
  return at;
}

static void plan_workspace(Plan *pl) {
  const IrProgram *p = pl->p;
  pl->offset = arena_array(int64_t, p->nids + 1);
  IrBlock top = {p->v, p->n, p->cap};
  int64_t at = place(pl, &top, 0);
  pl->swap_offset = arena_array(int64_t, p->nids + 1);
  at = place_swapped_sums(pl, &top, at);
  bool *packed = arena_array(bool, p->nids + 1);
  pl->pack_offset = arena_array(int64_t, p->nids + 1);
  pl->pack_steps = arena_array(int64_t, p->nids + 1);
  mark_packs(pl, &top, packed);
  for (int i = 0; i < p->n; i++) {
    const IrValue *v = p->v[i];
    if (!packed[v->id])
      continue;
    pl->pack_offset[v->id] = at;
    at += (ir_count(&v->ty) * pl->bytes + 63) / 64 * 64;
  }
  pl->grad_offset = at;
  at += (pl->param_count * pl->bytes + 63) / 64 * 64;
  pl->zero_targets = at;
  at += (p->ntargets * 8 + 63) / 64 * 64;
  pl->target_zeros = arena_array(int64_t, p->ntargets + 1);
  for (int k = 0; k < p->ntargets; k++) {
    pl->target_zeros[k] = at;
    at += (zero_target_bytes(pl, k) + 63) / 64 * 64;
  }
  pl->ws_bytes = at;
}

/* How many reads each value has: as an argument, a loop's output at each
 * step, a state's first and next value. */
static void count_uses(const IrBlock *b, int *uses) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    for (int a = 0; a < v->nargs; a++)
      uses[v->args[a]->id]++;
    if (v->op != IR_LOOP)
      continue;
    const IrLoop *l = v->loop;
    count_uses(&l->body, uses);
    for (int k = 0; k < l->nouts; k++)
      uses[l->out_step[k]->id]++;
    for (int k = 0; k < l->nstates; k++) {
      uses[l->state_next[k]->id]++;
      uses[l->state_init[k]->id]++;
    }
  }
}

/* Outer products whose only use is a batch sum are computed there. */
static void mark_fusion(Plan *pl, const IrBlock *b, const int *uses) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i], *a = v->nargs ? v->args[0] : NULL;
    if (v->op == IR_LOOP)
      mark_fusion(pl, &v->loop->body, uses);
    else if (v->op == IR_BATCH_SUM && a->op == IR_OUTER && uses[a->id] == 1 &&
             a->loop == v->loop)
      pl->fused[a->id] = true;
  }
}

/* How many batched products read each transpose's source through it. */
static void count_reads_through(const Plan *pl, const IrBlock *b, int *reads) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      count_reads_through(pl, &v->loop->body, reads);
    else if (plan_batched_matvec(v) && plan_transposed_source(pl, v->args[0]))
      reads[v->args[0]->id]++;
  }
}

/* A transpose that only such products read is never written out: each
 * of them reads its source's rows instead (a materialized 512 x 128
 * transpose, strided stores, cost 4% of an LSTM step). */
static void mark_read_through(Plan *pl, const IrBlock *b, const int *uses,
                              const int *reads) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      mark_read_through(pl, &v->loop->body, uses, reads);
    else if (v->op == IR_TRANSPOSE && reads[v->id] == uses[v->id])
      pl->fused[v->id] = true;
  }
}

/* A step_in of a sequence that has its own storage (an input, a target,
 * a value stored once) reads step t in place: its example stride is the
 * sequence's.  Copying x[t] for every step and example cost as much as
 * some of the gate arithmetic. */
static void mark_step_view(Plan *pl, const IrValue *v) {
  const IrValue *seq = v->args[0];
  pl->step_view[v->id] = seq->batched == v->batched &&
      (seq->op == IR_INPUT || seq->op == IR_TARGET ||
       (plan_stored_once(pl, seq) && !pl->inlined[seq->id] &&
        !pl->add_tree[seq->id] && !pl->unused[seq->id]));
}

/* Where the slice v starts in its argument, in reals, when it is one
 * contiguous part of it (every sliced dim an index but the last, which
 * may be a range); -1 when it is not. */
static int64_t contiguous_slice_at(const IrValue *v) {
  const Type *src = &v->args[0]->ty;
  int64_t at = 0;
  for (int d = 0; d < src->ndim; d++) {
    if (d < v->nslice - 1 && !v->drop[d])
      return -1;
    at = at * src->dims[d] + (d < v->nslice ? v->lo[d] : 0);
  }
  return at;
}

/* Whether v has storage of its own that a slice can read in place. */
static bool addressable(const Plan *pl, const IrValue *v) {
  if (v->op == IR_INPUT || v->op == IR_TARGET || v->op == IR_PARAM)
    return true;
  return v->nargs > 0 && v->op != IR_LOOP && !pl->fused[v->id] &&
         !pl->inlined[v->id] && !pl->add_tree[v->id] &&
         !pl->hoisted[v->id] && !pl->unused[v->id];
}

/* A contiguous slice of a value with storage reads it in place: a
 * gate's part of a cell's pre-activations was copied out at every step
 * (three copies cost 4% of a GRU step). */
static void mark_slice_view(Plan *pl, const IrValue *v) {
  const IrValue *src = v->args[0];
  int64_t at = contiguous_slice_at(v);
  if (pl->fused[v->id] || pl->unused[v->id] || at < 0 ||
      src->batched != v->batched || !addressable(pl, src))
    return;
  pl->slice_of[v->id] = src;
  pl->slice_at[v->id] = at;
}

/* Values read in place in another's storage: step_ins and slices. */
static void mark_views(Plan *pl, const IrBlock *b) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      mark_views(pl, &v->loop->body);
    else if (v->op == IR_STEP_IN)
      mark_step_view(pl, v);
    else if (v->op == IR_SLICE)
      mark_slice_view(pl, v);
  }
}

/* A slice read at other steps than its own (mark_per_step) is its
 * argument's storage read at those steps: the argument keeps every step
 * too.  From the last value back, so that slices of slices pass it on. */
static void keep_slice_sources(Plan *pl, const IrBlock *b) {
  for (int i = b->n - 1; i >= 0; i--) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      keep_slice_sources(pl, &v->loop->body);
    else if (pl->slice_of[v->id] && pl->per_step[v->id] &&
             plan_in_body(pl->slice_of[v->id]))
      pl->per_step[pl->slice_of[v->id]->id] = true;
  }
}

/* A body value that a stacked output of its loop copies at every step is
 * computed in place in that output instead (step t of example b at the
 * output's own address), when nothing else decides what the output holds:
 * no lengths (padding steps stack zeros), one output per value. */
static bool stackable(const Plan *pl, const IrLoop *l, int k) {
  const IrValue *v = l->out_step[k], *o = l->out[k];
  return l->out_kind[k] == OUT_STACK && !l->length && v->loop == l &&
         plan_in_body(v) && v->batched && o->batched && v->nargs > 0 &&
         v->op != IR_STATE && !pl->unused[o->id] && !pl->fused[v->id] &&
         !pl->hoisted[v->id] && !pl->inlined[v->id] &&
         !pl->step_view[v->id] && !pl->stack_of[v->id] &&
         !pl->slice_of[v->id] &&
         ir_count(&o->ty) == ir_count(&v->ty) * l->steps;
}

static void mark_stack_views(Plan *pl, const IrBlock *b) {
  for (int i = 0; i < b->n; i++) {
    const IrLoop *l = b->v[i]->op == IR_LOOP ? b->v[i]->loop : NULL;
    if (!l)
      continue;
    mark_stack_views(pl, &l->body);
    for (int k = 0; k < l->nouts; k++)
      if (stackable(pl, l, k))
        pl->stack_of[l->out_step[k]->id] = l->out[k];
  }
}

static bool hoistable_outer(const Plan *pl, const IrLoop *l, int k,
                            const int *uses) {
  const IrValue *v = l->out_step[k], *o = v->nargs ? v->args[0] : NULL;
  if (l->out_kind[k] != OUT_SUM || v->op != IR_BATCH_SUM || uses[v->id] != 1
      || !pl->fused[o->id])
    return false;
  const IrValue *g = o->args[0], *x = o->args[1];
  return g->batched && x->batched && g->ty.ndim == 1 && x->ty.ndim == 1 &&
         plan_step_stride(pl, g, l) >= 0 && plan_step_stride(pl, x, l) >= 0;
}

/* Output k sums batch_sum(g) over the steps (a bias's gradient): after
 * the loop, step by step, as a one-row GEMM of ones and g, whose
 * register tiles read g once instead of loading and storing the sum for
 * every example. */
static bool hoistable_sum(const Plan *pl, const IrLoop *l, int k,
                          const int *uses) {
  const IrValue *v = l->out_step[k], *g = v->nargs ? v->args[0] : NULL;
  return l->out_kind[k] == OUT_SUM && v->op == IR_BATCH_SUM &&
         uses[v->id] == 1 && !l->length && g->batched && g->ty.ndim == 1 &&
         v->ty.ndim == 1 && plan_step_stride(pl, g, l) >= 0;
}

static void mark_hoisted(Plan *pl, const IrBlock *b, const int *uses) {
  for (int i = 0; i < b->n; i++) {
    const IrLoop *l = b->v[i]->op == IR_LOOP ? b->v[i]->loop : NULL;
    if (!l)
      continue;
    mark_hoisted(pl, &l->body, uses);
    for (int k = 0; k < l->nouts; k++)
      if (hoistable_outer(pl, l, k, uses) || hoistable_sum(pl, l, k, uses))
        pl->hoisted[l->out_step[k]->id] = true;
  }
}

/* Body values read at another step than their own: by another loop (a
 * backward loop reads its primal's), as a state's next value (read at
 * the step after), or by a GEMM hoisted after the loop. */
static void mark_per_step(Plan *pl, const IrBlock *b) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    for (int a = 0; a < v->nargs; a++)
      if (plan_in_body(v->args[a]) && v->args[a]->loop != v->loop)
        pl->per_step[v->args[a]->id] = true;
    if (v->op != IR_LOOP)
      continue;
    const IrLoop *l = v->loop;
    mark_per_step(pl, &l->body);
    for (int k = 0; k < l->nstates; k++)
      pl->per_step[l->state_next[k]->id] = true;
    for (int k = 0; k < l->nouts; k++) {
      if (!pl->hoisted[l->out_step[k]->id])
        continue;
      const IrValue *o = l->out_step[k]->args[0];
      if (o->op == IR_OUTER)
        pl->per_step[o->args[0]->id] = pl->per_step[o->args[1]->id] = true;
      else
        pl->per_step[o->id] = true;     /* a hoisted batch_sum's operand */
    }
  }
}

/* An add or unslice that only the add `to` reads, shaped as it is. */
static bool absorbable(const IrValue *a, const IrValue *to, const int *uses) {
  return (a->op == IR_ADD || a->op == IR_UNSLICE) && uses[a->id] == 1 &&
         a->loop == to->loop && a->batched == to->batched &&
         type_same_shape(&a->ty, &to->ty) && a->ty.elem == to->ty.elem;
}

/* Whether the add tree under v holds an unslice; absorbs its nodes. */
static bool absorb_tree(Plan *pl, const IrValue *v, const int *uses) {
  bool unslices = false;
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    if (!absorbable(a, v, uses))
      continue;
    if (a->op == IR_ADD && !absorb_tree(pl, a, uses))
      continue;
    pl->fused[a->id] = true;
    unslices = true;
  }
  return unslices;
}

static bool has_unslice(const IrValue *v, const int *uses) {
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    if (absorbable(a, v, uses) &&
        (a->op == IR_UNSLICE || has_unslice(a, uses)))
      return true;
  }
  return false;
}

/* From the last value back, so that the outermost add takes the tree. */
static void mark_add_trees(Plan *pl, const IrBlock *b, const int *uses) {
  for (int i = b->n - 1; i >= 0; i--) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      mark_add_trees(pl, &v->loop->body, uses);
    else if (v->op == IR_ADD && !pl->fused[v->id] && has_unslice(v, uses)) {
      pl->add_tree[v->id] = true;
      absorb_tree(pl, v, uses);
    }
  }
}

/* Whether a, a term of the sum v, can be added in by v's GEMMs as it
 * lies: one vector per example or one for all (a bias), with storage of
 * its own (an elementwise term is kept from being inlined, see
 * mark_inlined). */
static bool gemm_addend(const Plan *pl, const IrValue *a, const IrValue *v) {
  bool shaped = a->batched ? type_same_shape(&a->ty, &v->ty)
                           : ir_count(&a->ty) == ir_count(&v->ty);
  return shaped && a->ty.elem == v->ty.elem && !pl->fused[a->id] &&
         !pl->add_tree[a->id] &&
         (a->op == IR_PARAM || a->op == IR_INPUT || a->op == IR_STATE ||
          (a->nargs > 0 && a->op != IR_LOOP));
}

/* The terms under the add v: an add read only by its parent (same loop
 * and shape) is part of the sum; a product read only by it is a GEMM;
 * anything else an addend.  Counts them; false if a term cannot be one.
 * With fuse, also marks the inner adds and the products fused (a second
 * walk, once the sum is known to qualify). */
static bool gemm_sum_shape(Plan *pl, const IrValue *v, const IrValue *root,
                           const int *uses, bool fuse, int *nprod,
                           int *nadd) {
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    bool inner = a->loop == root->loop && uses[a->id] == 1 &&
                 !pl->fused[a->id] && !pl->add_tree[a->id] &&
                 type_same_shape(&a->ty, &root->ty);
    if (inner && a->op == IR_ADD && a->batched) {
      if (!gemm_sum_shape(pl, a, root, uses, fuse, nprod, nadd))
        return false;
      pl->fused[a->id] |= fuse;
    } else if (inner && plan_batched_matvec(a)) {
      (*nprod)++;
      pl->fused[a->id] |= fuse;
    } else if (gemm_addend(pl, a, root)) {
      (*nadd)++;
    } else {
      return false;
    }
  }
  return true;
}

/* A sum of batched products and other terms (z = W x + b, an LSTM's
 * x W_x + h W_h + biases, a dense layer's W x + b) is computed by the
 * products' GEMMs in its own buffer: the first starts its accumulators
 * from the other terms, the next ones add to it.  The products had a
 * buffer each and a pass over all of them added them up.  From the last
 * value back, so that the outermost add takes the sum. */
static void mark_gemm_sums(Plan *pl, const IrBlock *b, const int *uses) {
  for (int i = b->n - 1; i >= 0; i--) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      mark_gemm_sums(pl, &v->loop->body, uses);
      continue;
    }
    if (v->op != IR_ADD || !v->batched || v->ty.ndim != 1 ||
        pl->fused[v->id] || pl->add_tree[v->id])
      continue;
    int nprod = 0, nadd = 0;
    if (!gemm_sum_shape(pl, v, v, uses, false, &nprod, &nadd) ||
        nprod == 0 || nprod > MAX_PRODUCTS || nadd > MAX_ADDENDS)
      continue;
    pl->gemm_root[v->id] = true;
    gemm_sum_shape(pl, v, v, uses, true, &nprod, &nadd);
  }
}

static bool elementwise(IrOp op) {
  switch (op) {
  case IR_NEG: case IR_EXP: case IR_LOG: case IR_SQRT: case IR_ABS:
  case IR_TANH: case IR_SIGMOID: case IR_RELU: case IR_ADD: case IR_SUB:
  case IR_MUL: case IR_DIV: case IR_TANH_GRAD: case IR_SIGMOID_GRAD:
  case IR_RELU_GRAD: case IR_ABS_GRAD:
    return true;
  default:
    return false;
  }
}

/* An elementwise value read only by an elementwise value of its shape, in
 * the same loop and example by example as it is, needs no buffer: the
 * reader computes it where it loads it (chains of gate arithmetic). */
static void mark_inlined(Plan *pl, const IrBlock *b, const int *uses) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      mark_inlined(pl, &v->loop->body, uses);
      continue;
    }
    if (!elementwise(v->op) || pl->fused[v->id] || pl->add_tree[v->id] ||
        pl->gemm_root[v->id])
      continue;
    for (int k = 0; k < v->nargs; k++) {
      const IrValue *a = v->args[k];
      bool same = type_same_shape(&a->ty, &v->ty) &&
                  a->batched == v->batched && a->loop == v->loop;
      for (int j = 0; same && j < a->nargs; j++)
        same = type_same_shape(&a->args[j]->ty, &a->ty) ||
               type_numel(&a->args[j]->ty) == 1;
      if (same && elementwise(a->op) && uses[a->id] == 1 &&
          !pl->add_tree[a->id] && !pl->fused[a->id] && !pl->gemm_root[a->id])
        pl->inlined[a->id] = true;
    }
  }
}

/* A gradient stored once in the workspace, as large as its parameter and
 * the gradient of no other, is written straight into gradient_shard's
 * grads argument: no copy of every gradient at the end of a step. */
static bool in_place_gradient(const Plan *pl, const IrValue *g, int k) {
  return g->nargs > 0 && plan_stored_once(pl, g) && !g->batched &&
         !pl->inlined[g->id] && !pl->unused[g->id] &&
         !pl->step_view[g->id] && !pl->stack_of[g->id] &&
         !pl->slice_of[g->id] && !pl->grad_param[g->id] &&
         ir_count(&g->ty) == type_numel(&pl->p->params[k].ty);
}

static void plan_fusion(Plan *pl) {
  const IrProgram *p = pl->p;
  int *uses = arena_array(int, p->nids + 1);
  pl->fused = arena_array(bool, p->nids + 1);
  IrBlock top = {p->v, p->n, p->cap};
  count_uses(&top, uses);
  for (int k = 0; p->grads && k < p->nparams; k++)
    uses[p->grads[k]->id]++;
  if (p->output)
    uses[p->output->id]++;
  mark_fusion(pl, &top, uses);
  int *reads = arena_array(int, p->nids + 1);
  count_reads_through(pl, &top, reads);
  mark_read_through(pl, &top, uses, reads);
  pl->hoisted = arena_array(bool, p->nids + 1);
  mark_hoisted(pl, &top, uses);
  pl->add_tree = arena_array(bool, p->nids + 1);
  mark_add_trees(pl, &top, uses);
  pl->gemm_root = arena_array(bool, p->nids + 1);
  mark_gemm_sums(pl, &top, uses);
  pl->inlined = arena_array(bool, p->nids + 1);
  mark_inlined(pl, &top, uses);
  pl->unused = arena_array(bool, p->nids + 1);
  for (int i = 0; i < p->n; i++)
    if (p->v[i]->op == IR_LOOP_OUT && uses[p->v[i]->id] == 0)
      pl->unused[p->v[i]->id] = true;
  pl->step_view = arena_array(bool, p->nids + 1);
  pl->slice_of = arena_array(const IrValue *, p->nids + 1);
  pl->slice_at = arena_array(int64_t, p->nids + 1);
  mark_views(pl, &top);
  pl->stack_of = arena_array(const IrValue *, p->nids + 1);
  mark_stack_views(pl, &top);
  pl->per_step = arena_array(bool, p->nids + 1);
  mark_per_step(pl, &top);
  keep_slice_sources(pl, &top);
  pl->grad_param = arena_array(int, p->nids + 1);
  for (int k = 0; p->grads && k < p->nparams; k++)
    if (in_place_gradient(pl, p->grads[k], k))
      pl->grad_param[p->grads[k]->id] = k + 1;
}

/* The values computed from parameter k where they are read: those
 * without an example in them (its transpose) and those computed inside
 * their reader (fused, inlined). */
static void mark_param_views(const Plan *pl, const IrBlock *b, bool *view) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP)
      mark_param_views(pl, &v->loop->body, view);
    bool from = false;
    for (int a = 0; a < v->nargs; a++)
      from |= view[v->args[a]->id];
    if (from && (!v->batched || pl->fused[v->id] || pl->inlined[v->id]))
      view[v->id] = true;
  }
}

static bool block_reads(const IrBlock *b, const bool *view) {
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    for (int a = 0; a < v->nargs; a++)
      if (view[v->args[a]->id])
        return true;
    if (v->op != IR_LOOP)
      continue;
    for (int k = 0; k < v->loop->nstates; k++)
      if (view[v->loop->state_init[k]->id])
        return true;
    if (block_reads(&v->loop->body, view))
      return true;
  }
  return false;
}

/* Parameter k's gradient g can update it in its GEMM's tiles: it is
 * one batch sum of outer products of examples' vectors, computed in
 * place, and nothing after it reads the parameter. */
static bool gemm_can_update(const Plan *pl, int k) {
  const IrProgram *p = pl->p;
  const IrValue *g = p->grads[k];
  if (pl->grad_param[g->id] != k + 1 || g->op != IR_BATCH_SUM ||
      g->args[0]->op != IR_OUTER || !pl->fused[g->args[0]->id] ||
      !g->args[0]->args[0]->batched || !g->args[0]->args[1]->batched)
    return false;
  int at = 0;
  while (at < p->n && p->v[at] != g)
    at++;
  if (at == p->n)
    return false;
  const IrValue *param = NULL;
  for (int i = 0; i < p->n && !param; i++)
    if (p->v[i]->op == IR_PARAM && p->v[i]->index == k)
      param = p->v[i];
  if (!param)
    return false;
  bool *view = arena_array(bool, p->nids + 1);
  view[param->id] = true;
  IrBlock top = {p->v, p->n, p->cap};
  mark_param_views(pl, &top, view);
  IrBlock after = {p->v + at + 1, p->n - at - 1, 0};
  return !block_reads(&after, view);
}

/* train_step without clipping applies the optimizer in the GEMMs that
 * sum weight gradients (the MLP's 784-wide layer: no gradient written
 * and read again, the step 25% faster), when that covers most of the
 * parameters: else the backward pass is not compiled twice. */
static void plan_gemm_updates(Plan *pl) {
  const IrProgram *p = pl->p;
  pl->gemm_update = arena_array(int, p->nids + 1);
  int64_t covered = 0;
  for (int k = 0; p->grads && k < p->nparams; k++)
    if (gemm_can_update(pl, k)) {
      pl->gemm_update[p->grads[k]->id] = k + 1;
      covered += type_numel(&p->params[k].ty);
    }
  pl->any_gemm_update = covered > 0 && 2 * covered >= pl->param_count;
  if (!pl->any_gemm_update)
    memset(pl->gemm_update, 0, sizeof *pl->gemm_update * (size_t)(p->nids + 1));
}

/* Shards add up when nothing per example depends on a sum over the
 * batch: d loss / d a batch mean must be a constant (the loss is a sum of
 * batch means and sums, plus terms of the parameters alone). */
static bool depends_on_batch(const IrValue *v, const bool *dep) {
  for (int a = 0; a < v->nargs; a++)
    if (dep[v->args[a]->id])
      return true;
  return false;
}

static bool mark_batch_dependence(const IrBlock *b, bool *dep) {
  bool additive = true;
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      const IrLoop *l = v->loop;
      for (int pass = 0; pass < 2; pass++) {    /* states feed back */
        for (int k = 0; k < l->nstates; k++)
          dep[l->state_in[k]->id] |= dep[l->state_init[k]->id] ||
                                     dep[l->state_next[k]->id];
        additive &= mark_batch_dependence(&l->body, dep);
      }
      for (int k = 0; k < l->nouts; k++)
        dep[l->out[k]->id] = dep[l->out_step[k]->id];
      continue;
    }
    bool from = depends_on_batch(v, dep);
    dep[v->id] = from || v->op == IR_BATCH_SUM || v->op == IR_BATCH_MEAN;
    if (v->batched && from)
      additive = false;
  }
  return additive;
}

static bool shards_add_up(const IrProgram *p) {
  bool *dep = arena_array(bool, p->nids + 1);
  IrBlock top = {p->v, p->n, p->cap};
  return mark_batch_dependence(&top, dep);
}

/* Whether the loss has a term without examples in it (an L2 penalty, a
 * constant): then an empty shard's loss and gradient are not zero, and
 * the threads must take them off.  A loss made of batch sums and means by
 * adding, subtracting, negating and scaling by constants has none; any
 * other form is taken to have some. */
static bool loss_has_param_terms(const IrValue *v) {
  switch (v->op) {
  case IR_BATCH_SUM:
  case IR_BATCH_MEAN:
    return false;
  case IR_ADD:
  case IR_SUB:
    return loss_has_param_terms(v->args[0]) ||
           loss_has_param_terms(v->args[1]);
  case IR_NEG:
    return loss_has_param_terms(v->args[0]);
  case IR_MUL:
    if (v->args[0]->op == IR_CONST)
      return loss_has_param_terms(v->args[1]);
    if (v->args[1]->op == IR_CONST)
      return loss_has_param_terms(v->args[0]);
    return true;
  default:
    return true;
  }
}

/* Multiply-adds count twice; everything else once per element; a loop's
 * body once per step. */
static int64_t block_flops(const IrBlock *b, int batch) {
  int64_t total = 0;
  for (int i = 0; i < b->n; i++) {
    const IrValue *v = b->v[i];
    if (v->op == IR_LOOP) {
      total += v->loop->steps * block_flops(&v->loop->body, batch);
      continue;
    }
    int64_t n = type_numel(&v->ty);
    if (v->op == IR_MATMUL)
      n *= 2 * v->args[0]->ty.dims[v->args[0]->ty.ndim - 1];
    else if (v->op == IR_OUTER)
      n *= 2;
    else if (v->nargs == 0 || v->op == IR_LOOP_OUT)
      n = 0;
    total += n * (v->batched ? batch : 1);
  }
  return total;
}

static int64_t flops(const IrProgram *p, int batch) {
  IrBlock top = {p->v, p->n, p->cap};
  return block_flops(&top, batch);
}

/* The values the gradient computes: what the loss, the output and the
 * gradients read; and those evaluate computes, the forward pass. */
static void plan_live(Plan *pl) {
  const IrProgram *p = pl->p;
  pl->live = arena_array(bool, p->nids + 1);
  if (p->output)
    ir_mark_reads(p->output, pl->live);
  ir_mark_reads(p->loss, pl->live);
  for (int k = 0; p->grads && k < p->nparams; k++)
    ir_mark_reads(p->grads[k], pl->live);
  if (p->nforward == p->n) {
    pl->forward = pl->live;
    return;
  }
  pl->forward = arena_array(bool, p->nids + 1);
  for (int i = 0; i < p->nforward; i++)
    pl->forward[p->v[i]->id] = true;
}

/* The parameters one after the other in the parameter buffer, in the
 * order of the program's list. */
static void plan_parameters(Plan *pl) {
  const IrProgram *p = pl->p;
  pl->param_offset = arena_array(int64_t, p->nparams + 1);
  for (int k = 0; k < p->nparams; k++) {
    pl->param_offset[k] = pl->param_count;
    pl->param_count += type_numel(&p->params[k].ty);
  }
  pl->slots = 3;
}

Plan *plan_program(const IrProgram *p, const PlanTarget *t) {
  Plan *pl = arena_new(Plan);
  pl->p = p;
  pl->bytes = t->bytes;
  pl->batch = t->batch;
  pl->lanes = t->lanes;
  pl->vector_regs = t->vector_regs;
  pl->tile = t->tile;
  plan_parameters(pl);
  plan_fusion(pl);
  plan_workspace(pl);
  plan_gemm_updates(pl);
  plan_live(pl);
  pl->shards_add_up = shards_add_up(p);
  pl->param_terms = loss_has_param_terms(p->loss);
  pl->flops = flops(p, t->batch);
  return pl;
}

/* ---- netc --dump=plan ------------------------------------------------- */

static void say(FILE *out, bool *first, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One phrase of a value's line, after a colon or a comma. */
static void say(FILE *out, bool *first, const char *fmt, ...) {
  fputs(*first ? ": " : ", ", out);
  *first = false;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
}

static const char *param_name(const Plan *pl, int k1) {
  return pl->p->params[k1 - 1].name;
}

/* A leaf's name, as --dump=ir prints it. */
static const char *leaf_name(const Plan *pl, const IrValue *v) {
  const IrProgram *p = pl->p;
  switch (v->op) {
  case IR_PARAM: return p->params[v->index].name;
  case IR_INPUT: return p->inputs[v->index].name;
  case IR_TARGET: return p->targets[v->index].name;
  default: return NULL;
  }
}

/* What the plan computes inside something else, or reads elsewhere. */
static void dump_placement(FILE *out, const Plan *pl, const IrValue *v,
                           bool *first) {
  int id = v->id;
  if (pl->fused[id]) say(out, first, "fused into its reader");
  if (pl->inlined[id]) say(out, first, "inlined into its reader");
  if (pl->hoisted[id]) say(out, first, "hoisted after L%d", v->loop->id);
  if (pl->unused[id]) say(out, first, "unused");
  if (pl->gemm_root[id]) say(out, first, "gemm sum");
  if (pl->add_tree[id]) say(out, first, "add tree");
  if (pl->step_view[id])
    say(out, first, "view of %%%d at the step", v->args[0]->id);
  if (pl->slice_of[id])
    say(out, first, "view of %%%d at %" PRId64, pl->slice_of[id]->id,
        pl->slice_at[id]);
  if (pl->stack_of[id])
    say(out, first, "in place in %%%d", pl->stack_of[id]->id);
}

/* Where it lives, and what else the workspace holds for it. */
static void dump_storage(FILE *out, const Plan *pl, const IrValue *v,
                         bool *first) {
  int id = v->id;
  if (has_slot(pl, v) && pl->per_step[id] && v->loop)
    say(out, first, "at %" PRId64 ", %" PRId64 " bytes x %" PRId64 " step%s",
        pl->offset[id], plan_slot_bytes(pl, v), v->loop->steps,
        v->loop->steps == 1 ? "" : "s");
  else if (has_slot(pl, v))
    say(out, first, "at %" PRId64 ", %" PRId64 " bytes", pl->offset[id],
        plan_slot_bytes(pl, v));
  if (pl->grad_param[id])
    say(out, first, "gradient of %s in place",
        param_name(pl, pl->grad_param[id]));
  if (pl->gemm_update[id])
    say(out, first, "updates %s in its gemm",
        param_name(pl, pl->gemm_update[id]));
  if (pl->pack_offset[id])
    say(out, first, "packed at %" PRId64 " (loops of %" PRId64 " step%s)",
        pl->pack_offset[id], pl->pack_steps[id],
        pl->pack_steps[id] == 1 ? "" : "s");
  if (pl->swap_offset[id])
    say(out, first, "summed transposed at %" PRId64, pl->swap_offset[id]);
}

static void dump_block(FILE *out, const Plan *pl, const IrBlock *b,
                       int indent);

static void dump_value(FILE *out, const Plan *pl, const IrValue *v,
                       int indent) {
  fprintf(out, "%*s%%%d %s", indent, "", v->id, ir_op_name[v->op]);
  if (leaf_name(pl, v))
    fprintf(out, " %s", leaf_name(pl, v));
  if (v->op == IR_LOOP) {
    fprintf(out, " L%d%s:\n", v->loop->id, pl->live[v->id] ? "" : " (dead)");
    dump_block(out, pl, &v->loop->body, indent + 2);
    return;
  }
  bool first = true;
  if (!pl->live[v->id] && !plan_in_body(v))   /* a loop runs its body */
    say(out, &first, "dead");
  dump_placement(out, pl, v, &first);
  dump_storage(out, pl, v, &first);
  if (first && v->nargs == 0 && v->op != IR_STATE)
    say(out, &first, "read where it is");
  fputc('\n', out);
}

static void dump_block(FILE *out, const Plan *pl, const IrBlock *b,
                       int indent) {
  for (int i = 0; i < b->n; i++)
    dump_value(out, pl, b->v[i], indent);
}

static void dump_parameters(FILE *out, const Plan *pl) {
  const IrProgram *p = pl->p;
  fprintf(out, "parameters: %" PRId64 " reals, %d optimizer slots each\n",
          pl->param_count, pl->slots);
  for (int k = 0; k < p->nparams; k++)
    fprintf(out, "  %s at %" PRId64 "\n", p->params[k].name,
            pl->param_offset[k]);
}

static void dump_workspace(FILE *out, const Plan *pl) {
  fprintf(out, "workspace: %" PRId64 " bytes\n", pl->ws_bytes);
  fprintf(out, "  gradients at %" PRId64 "\n", pl->grad_offset);
  fprintf(out, "  predict's targets at %" PRId64, pl->zero_targets);
  for (int k = 0; k < pl->p->ntargets; k++)
    fprintf(out, ", %s's zeros at %" PRId64, pl->p->targets[k].name,
            pl->target_zeros[k]);
  fputc('\n', out);
}

void plan_dump(FILE *out, const Plan *pl) {
  const IrProgram *p = pl->p;
  fprintf(out, "plan %s: f%d, batch %d, vectors of %d, %d registers, "
          "tiles of %d rows by %d vectors\n", p->name ? p->name : "?",
          pl->bytes * 8, pl->batch, pl->lanes, pl->vector_regs,
          pl->tile.rows, pl->tile.vecs);
  dump_parameters(out, pl);
  fputs("values:\n", out);
  IrBlock top = {p->v, p->n, p->cap};
  dump_block(out, pl, &top, 2);
  dump_workspace(out, pl);
  fprintf(out, "gemm updates: %s\n", pl->any_gemm_update ? "yes" : "no");
  fprintf(out, "shards add up: %s\n", pl->shards_add_up ? "yes" : "no");
  fprintf(out, "loss terms without examples: %s\n",
          pl->param_terms ? "yes" : "no");
  fprintf(out, "flops per step: %" PRId64 "\n", pl->flops);
}
