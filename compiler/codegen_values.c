/* compiler/codegen_values.c — where values live, and the operations on
 * one example.
 *
 * A value's base pointer follows the plan: a parameter in the parameter
 * buffer, an input or target where the caller keeps it, a view in the
 * storage it reads, a gradient in place in the grads argument, anything
 * else at its workspace offset (a slot per step inside loops when the
 * plan keeps one).  Loads and stores go through broadcasts, slices and
 * inlined elementwise values.  The per-example operations (elementwise
 * arithmetic, products outside GEMMs, copies, scatters, add trees,
 * concatenations, reductions) are one loop nest each, shaped like the
 * interpreter's; cg_emit_example dispatches one value of one example.
 */
#include <config.h>

#include "arena.h"
#include "codegen_internal.h"
#include "diag.h"

/* ---- where values live ------------------------------------------------- */

LLVMValueRef cg_value_base(Cg *cg, const IrValue *v) {
  const Plan *pl = cg->plan;
  if (pl->slice_of && pl->slice_of[v->id])
    return gep(cg, cg_value_base(cg, pl->slice_of[v->id]),
               i64c(cg, pl->slice_at[v->id]));
  const IrValue *seq = pl->step_view && pl->step_view[v->id] ? v->args[0]
                      : pl->stack_of ? pl->stack_of[v->id] : NULL;
  if (seq)                                /* step t of example 0 */
    return gep(cg, cg_value_base(cg, seq),
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
  return gep(cg, cg_value_base(cg, v), i);
}

static LLVMValueRef elementwise_at(Cg *cg, const IrValue *v, LLVMValueRef b,
                                   LLVMValueRef i);

LLVMValueRef cg_load(Cg *cg, const IrValue *v, LLVMValueRef b,
                     LLVMValueRef idx) {
  if (cg->plan->inlined && cg->plan->inlined[v->id])
    return elementwise_at(cg, v, b, idx);
  if (v->op == IR_CONST)
    return realc(cg, v->num);
  if (v->op == IR_ZEROS)
    return realc(cg, 0);
  return LLVMBuildLoad2(cg->b, cg->real, elem_ptr(cg, v, b, idx), "");
}

void cg_store(Cg *cg, const IrValue *v, LLVMValueRef b, LLVMValueRef idx,
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

static void nest_open(Cg *cg, Nest *n, const Type *shape) {
  n->n = shape->ndim;
  for (int d = 0; d < n->n; d++)
    n->c[d] = cg_loop_open(cg, &n->l[d], i64c(cg, shape->dims[d]));
}

static void nest_close(Cg *cg, Nest *n) {
  for (int d = n->n - 1; d >= 0; d--)
    cg_loop_close(cg, &n->l[d]);
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

static LLVMValueRef unary_op(Cg *cg, IrOp op, LLVMValueRef x) {
  switch (op) {
  case IR_NEG: return LLVMBuildFNeg(cg->b, x, "");
  case IR_EXP: return fexp(cg, x);
  case IR_LOG: return flog(cg, x);
  case IR_SQRT: return call1(cg, "llvm.sqrt", x);
  case IR_ABS: return call1(cg, "llvm.fabs", x);
  case IR_TANH: return cg_ftanh(cg, x);
  case IR_SIGMOID: return cg_sigmoid(cg, x);
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
    return unary_op(cg, v->op, cg_load(cg, v->args[0], b, i));
  const IrValue *a = v->args[0], *c = v->args[1];
  LLVMValueRef x = cg_load(cg, a, b, broadcast_index(cg, &v->ty, &a->ty, i));
  LLVMValueRef y = cg_load(cg, c, b, broadcast_index(cg, &v->ty, &c->ty, i));
  return binary_op(cg, v->op, x, y);
}

static void emit_elementwise(Cg *cg, const IrValue *v, LLVMValueRef b) {
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, type_numel(&v->ty)));
  cg_store(cg, v, b, i, elementwise_at(cg, v, b, i));
  cg_loop_close(cg, &l);
}

/* sum over k < K of a(ia(k)) * c(ic(k)), with ia = abase + k * astep. */
static LLVMValueRef dot(Cg *cg, const IrValue *a, LLVMValueRef b,
                        LLVMValueRef abase, int64_t astep, const IrValue *c,
                        LLVMValueRef cbase, int64_t cstep, int64_t K) {
  LLVMValueRef acc = cg_local(cg, cg->real);
  LLVMBuildStore(cg->b, realc(cg, 0), acc);
  Loop l;
  LLVMValueRef k = cg_loop_open(cg, &l, i64c(cg, K));
  LLVMValueRef x =
      cg_load(cg, a, b, add(cg, abase, mul(cg, k, i64c(cg, astep))));
  LLVMValueRef y =
      cg_load(cg, c, b, add(cg, cbase, mul(cg, k, i64c(cg, cstep))));
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  LLVMBuildStore(cg->b, cg_sum_add(cg, s, f_mul(cg, x, y)), acc);
  cg_loop_close(cg, &l);
  return LLVMBuildLoad2(cg->b, cg->real, acc, "");
}

static void emit_matmul(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0], *c = v->args[1];
  if (a->ty.ndim == 2 && c->ty.ndim == 1) {            /* [M,K] @ [K] */
    int64_t M = a->ty.dims[0], K = a->ty.dims[1];
    Loop lm;
    LLVMValueRef m = cg_loop_open(cg, &lm, i64c(cg, M));
    LLVMValueRef s = dot(cg, a, b, mul(cg, m, i64c(cg, K)), 1, c,
                         i64c(cg, 0), 1, K);
    cg_store(cg, v, b, m, s);
    cg_loop_close(cg, &lm);
  } else if (a->ty.ndim == 2) {                         /* [M,K] @ [K,N] */
    int64_t M = a->ty.dims[0], K = a->ty.dims[1], N = c->ty.dims[1];
    Loop lm, ln;
    LLVMValueRef m = cg_loop_open(cg, &lm, i64c(cg, M));
    LLVMValueRef n = cg_loop_open(cg, &ln, i64c(cg, N));
    LLVMValueRef s = dot(cg, a, b, mul(cg, m, i64c(cg, K)), 1, c, n, N, K);
    cg_store(cg, v, b, add(cg, mul(cg, m, i64c(cg, N)), n), s);
    cg_loop_close(cg, &ln);
    cg_loop_close(cg, &lm);
  } else {                                              /* [K] @ [K,N] */
    int64_t K = c->ty.dims[0], N = c->ty.dims[1];
    Loop ln;
    LLVMValueRef n = cg_loop_open(cg, &ln, i64c(cg, N));
    LLVMValueRef s = dot(cg, a, b, i64c(cg, 0), 1, c, n, N, K);
    cg_store(cg, v, b, n, s);
    cg_loop_close(cg, &ln);
  }
}

static void emit_outer(Cg *cg, const IrValue *v, LLVMValueRef b) {
  int64_t M = v->ty.dims[0], K = v->ty.dims[1];
  Loop lm, lk;
  LLVMValueRef m = cg_loop_open(cg, &lm, i64c(cg, M));
  LLVMValueRef x = cg_load(cg, v->args[0], b, m);
  LLVMValueRef k = cg_loop_open(cg, &lk, i64c(cg, K));
  LLVMValueRef y = cg_load(cg, v->args[1], b, k);
  cg_store(cg, v, b, add(cg, mul(cg, m, i64c(cg, K)), k), f_mul(cg, x, y));
  cg_loop_close(cg, &lk);
  cg_loop_close(cg, &lm);
}

void cg_fill(Cg *cg, const IrValue *v, LLVMValueRef b, double x) {
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
  cg_store(cg, v, b, i, realc(cg, x));
  cg_loop_close(cg, &l);
}

void cg_accumulate_at(Cg *cg, const IrValue *v, LLVMValueRef b,
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
    LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, R * C));
    LLVMValueRef r = LLVMBuildSDiv(cg->b, i, i64c(cg, C), "");
    LLVMValueRef c = LLVMBuildSRem(cg->b, i, i64c(cg, C), "");
    cg_store(cg, v, b, add(cg, mul(cg, c, i64c(cg, R)), r),
             cg_load(cg, a, b, i));
    break;
  }
  case IR_RESHAPE: {
    LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
    cg_store(cg, v, b, i, cg_load(cg, a, b, i));
    break;
  }
  case IR_SLICE: {
    Type r = ir_storage(v->ty);
    Nest n;
    nest_open(cg, &n, &r);
    cg_store(cg, v, b, flat_index(cg, &r, n.c),
             cg_load(cg, a, b, slice_index(cg, v, &src, n.c)));
    nest_close(cg, &n);
    return;
  }
  case IR_REVERSE: {
    int64_t rows = a->ty.dims[0], row = count(&v->ty) / rows;
    Loop lt;
    LLVMValueRef t = cg_loop_open(cg, &lt, i64c(cg, rows));
    LLVMValueRef j = cg_loop_open(cg, &l, i64c(cg, row));
    LLVMValueRef rt = LLVMBuildSub(cg->b, i64c(cg, rows - 1), t, "");
    cg_store(cg, v, b, add(cg, mul(cg, t, i64c(cg, row)), j),
             cg_load(cg, a, b, add(cg, mul(cg, rt, i64c(cg, row)), j)));
    cg_loop_close(cg, &l);
    cg_loop_close(cg, &lt);
    return;
  }
  case IR_BROADCAST: {
    LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
    cg_store(cg, v, b, i,
             cg_load(cg, a, b, broadcast_index(cg, &v->ty, &a->ty, i)));
    break;
  }
  default: UNREACHABLE();
  }
  cg_loop_close(cg, &l);
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
  LLVMValueRef x = cg_load(cg, a, b, flat_index(cg, &r, n.c));
  if (overwrite)
    cg_store(cg, v, b, to, x);
  else
    cg_accumulate_at(cg, v, b, to, x);
  nest_close(cg, &n);
}

/* Values that add their argument's elements into place. */
static void emit_scatter_op(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  cg_fill(cg, v, b, 0);
  if (v->op == IR_UNSLICE) {
    put_unslice(cg, v, b, v, false);
    return;
  }
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&a->ty)));
  LLVMValueRef to = broadcast_index(cg, &a->ty, &v->ty, i);
  cg_accumulate_at(cg, v, b, to, cg_load(cg, a, b, i));
  cg_loop_close(cg, &l);
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
    cg_fill(cg, v, b, 0);
  for (int i = 0; i < n; i++) {
    if (leaf[i]->op == IR_UNSLICE && cg->plan->fused[leaf[i]->id]) {
      put_unslice(cg, v, b, leaf[i], disjoint);
      continue;
    }
    Loop l;
    LLVMValueRef at = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
    cg_accumulate_at(cg, v, b, at, cg_load(cg, leaf[i], b, at));
    cg_loop_close(cg, &l);
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
    cg_store(cg, v, b, flat_index(cg, &v->ty, c),
             cg_load(cg, a, b, flat_index(cg, &a->ty, n.c)));
    nest_close(cg, &n);
    at += a->ty.dims[v->axis];
  }
}

static void emit_reduce(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  int64_t n = type_numel(&a->ty);
  LLVMValueRef acc = cg_local(cg, cg->real);
  LLVMBuildStore(cg->b, realc(cg, 0), acc);
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, n));
  LLVMValueRef x = cg_load(cg, a, b, i);
  if (v->op == IR_SUMSQ)
    x = f_mul(cg, x, x);
  LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  LLVMBuildStore(cg->b, cg_sum_add(cg, s, x), acc);
  cg_loop_close(cg, &l);
  LLVMValueRef total = LLVMBuildLoad2(cg->b, cg->real, acc, "");
  if (v->op == IR_MEAN)
    total = f_div(cg, total, realc(cg, (double)n));
  cg_store(cg, v, b, i64c(cg, 0), total);
}

void cg_emit_example(Cg *cg, const IrValue *v, LLVMValueRef b) {
  switch (v->op) {
  case IR_MASK: cg_emit_mask(cg, v, b); return;
  case IR_PICK: case IR_UNPICK: cg_emit_pick(cg, v, b); return;
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
      cg_emit_reverse_masked(cg, v, b);
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
    cg_emit_softmax(cg, v, b);
    return;
  case IR_XENT: case IR_XENT_SOFT: case IR_NLL: case IR_SSE: case IR_MSE:
  case IR_BCE: case IR_BCE_LOGITS:
    cg_emit_loss(cg, v, b);
    return;
  case IR_LOSS_GRAD: cg_emit_loss_grad(cg, v, b); return;
  default:
    DIE("codegen: no code for %s", ir_op_name[v->op]);
  }
}
