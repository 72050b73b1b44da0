/* compiler/codegen_losses.c — softmax, the losses and their gradients,
 * and the operations on sequences of varying length.
 *
 * Each loss is computed per example over its positions (rows of classes,
 * or elements), masked past an example's length; its gradient with
 * respect to the prediction (or the target) is written in one pass.
 * Masks, picks at each example's own step, and the reversal of each
 * example's own steps serve the recurrences over varying lengths.
 */
#include <config.h>

#include <math.h>

#include "codegen_internal.h"

/* A running value in a local: *acc = f(*acc, x). */
LLVMValueRef cg_acc_new(Cg *cg, LLVMValueRef init) {
  LLVMValueRef acc = cg_local(cg, LLVMTypeOf(init));
  LLVMBuildStore(cg->b, init, acc);
  return acc;
}

static LLVMValueRef acc_get(Cg *cg, LLVMValueRef acc) {
  return LLVMBuildLoad2(cg->b, cg->real, acc, "");
}

/* Sums may be reordered (reassoc), so that LLVM vectorizes reductions. */
LLVMValueRef cg_sum_add(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef s = LLVMBuildFAdd(cg->b, a, b, "");
  LLVMSetFastMathFlags(s, LLVMFastMathAllowReassoc);
  return s;
}

static void acc_add(Cg *cg, LLVMValueRef acc, LLVMValueRef x) {
  LLVMBuildStore(cg->b, cg_sum_add(cg, acc_get(cg, acc), x), acc);
}

/* log(sum(exp(row))) of C elements of a at base. */
static LLVMValueRef row_lse(Cg *cg, const IrValue *a, LLVMValueRef b,
                            LLVMValueRef base, int64_t C) {
  LLVMValueRef mx = cg_acc_new(cg, cg_load(cg, a, b, base));
  Loop l;
  LLVMValueRef c = cg_loop_open(cg, &l, i64c(cg, C));
  LLVMBuildStore(cg->b, fmaxr(cg, acc_get(cg, mx),
                              cg_load(cg, a, b, add(cg, base, c))), mx);
  cg_loop_close(cg, &l);
  LLVMValueRef m = acc_get(cg, mx), s = cg_acc_new(cg, realc(cg, 0));
  c = cg_loop_open(cg, &l, i64c(cg, C));
  acc_add(cg, s, fexp(cg, f_sub(cg, cg_load(cg, a, b, add(cg, base, c)), m)));
  cg_loop_close(cg, &l);
  return f_add(cg, m, flog(cg, acc_get(cg, s)));
}

/* softmax, log_softmax and their adjoints, row by row over the last dim */
void cg_emit_softmax(Cg *cg, const IrValue *v, LLVMValueRef b) {
  int64_t C = v->ty.dims[v->ty.ndim - 1], rows = type_numel(&v->ty) / C;
  const IrValue *x = v->args[0], *y = v->nargs > 1 ? v->args[1] : NULL;
  Loop lr, l;
  LLVMValueRef r = cg_loop_open(cg, &lr, i64c(cg, rows));
  LLVMValueRef base = mul(cg, r, i64c(cg, C));
  if (v->op == IR_SOFTMAX || v->op == IR_LOG_SOFTMAX) {
    LLVMValueRef lse = row_lse(cg, x, b, base, C);
    LLVMValueRef c = cg_loop_open(cg, &l, i64c(cg, C));
    LLVMValueRef i = add(cg, base, c);
    LLVMValueRef z = f_sub(cg, cg_load(cg, x, b, i), lse);
    cg_store(cg, v, b, i, v->op == IR_SOFTMAX ? fexp(cg, z) : z);
    cg_loop_close(cg, &l);
  } else {
    LLVMValueRef s = cg_acc_new(cg, realc(cg, 0));
    LLVMValueRef c = cg_loop_open(cg, &l, i64c(cg, C));
    LLVMValueRef i = add(cg, base, c), g = cg_load(cg, x, b, i);
    acc_add(cg, s, v->op == IR_SOFTMAX_GRAD ? f_mul(cg, g, cg_load(cg, y, b, i))
                                            : g);
    cg_loop_close(cg, &l);
    LLVMValueRef sum = acc_get(cg, s);
    c = cg_loop_open(cg, &l, i64c(cg, C));
    i = add(cg, base, c);
    g = cg_load(cg, x, b, i);
    LLVMValueRef yi = cg_load(cg, y, b, i);
    cg_store(cg, v, b, i, v->op == IR_SOFTMAX_GRAD
             ? f_mul(cg, yi, f_sub(cg, g, sum))
             : f_sub(cg, g, f_mul(cg, fexp(cg, yi), sum)));
    cg_loop_close(cg, &l);
  }
  cg_loop_close(cg, &lr);
}

/* The label of row r as an index, and whether it is a valid class. */
static LLVMValueRef label(Cg *cg, const IrValue *t, LLVMValueRef b,
                          LLVMValueRef r, int64_t C, LLVMValueRef *valid) {
  LLVMValueRef l = cg_load(cg, t, b, r);
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
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, cg_load(cg, length, b, i64c(cg, 0)),
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

void cg_emit_loss(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *z = v->args[0], *t = v->args[1];
  int64_t P = ir_positions(v->op, &z->ty);
  LLVMValueRef live = live_positions(cg, v, &z->ty, P, b,
                                     v->masked ? v->args[2] : NULL);
  LLVMValueRef s = cg_acc_new(cg, realc(cg, 0));
  Loop l;
  LLVMValueRef r = cg_loop_open(cg, &l, live);
  if (ir_per_class(v->op)) {
    int64_t C = z->ty.dims[z->ty.ndim - 1];
    LLVMValueRef base = mul(cg, r, i64c(cg, C)), term;
    if (v->op == IR_XENT_SOFT) {
      LLVMValueRef lse = row_lse(cg, z, b, base, C);
      LLVMValueRef ts = cg_acc_new(cg, realc(cg, 0));
      Loop lc;
      LLVMValueRef c = cg_loop_open(cg, &lc, i64c(cg, C));
      LLVMValueRef i = add(cg, base, c);
      acc_add(cg, ts, f_mul(cg, cg_load(cg, t, b, i),
                           f_sub(cg, lse, cg_load(cg, z, b, i))));
      cg_loop_close(cg, &lc);
      term = acc_get(cg, ts);
    } else {
      LLVMValueRef valid, li = label(cg, t, b, r, C, &valid);
      LLVMValueRef zl = cg_load(cg, z, b, add(cg, base, li));
      term = v->op == IR_XENT ? f_sub(cg, row_lse(cg, z, b, base, C), zl)
                              : LLVMBuildFNeg(cg->b, zl, "");
      term = sel(cg, valid, term, realc(cg, NAN));
    }
    acc_add(cg, s, term);
  } else {
    acc_add(cg, s, elem_loss(cg, v->op, cg_load(cg, z, b, r),
                             cg_load(cg, t, b, r)));
  }
  cg_loop_close(cg, &l);
  LLVMValueRef total = acc_get(cg, s);
  if (v->mean)
    total = f_div(cg, total, count_real(cg, live));
  cg_store(cg, v, b, i64c(cg, 0), total);
}

static void emit_class_loss_grad(Cg *cg, const IrValue *v, LLVMValueRef b,
                                 LLVMValueRef gs, LLVMValueRef P) {
  const IrValue *z = v->args[1], *t = v->args[2];
  IrOp op = v->of;
  int64_t C = z->ty.dims[z->ty.ndim - 1];
  Loop lr, lc;
  LLVMValueRef r = cg_loop_open(cg, &lr, P);
  LLVMValueRef base = mul(cg, r, i64c(cg, C));
  LLVMValueRef lse = row_lse(cg, z, b, base, C), mass = realc(cg, 1);
  if (op == IR_XENT_SOFT) {
    LLVMValueRef m = cg_acc_new(cg, realc(cg, 0));
    LLVMValueRef c = cg_loop_open(cg, &lc, i64c(cg, C));
    acc_add(cg, m, cg_load(cg, t, b, add(cg, base, c)));
    cg_loop_close(cg, &lc);
    mass = acc_get(cg, m);
  }
  LLVMValueRef valid = NULL, li = NULL;
  if (op != IR_XENT_SOFT)
    li = label(cg, t, b, r, C, &valid);
  LLVMValueRef c = cg_loop_open(cg, &lc, i64c(cg, C));
  LLVMValueRef i = add(cg, base, c), zi = cg_load(cg, z, b, i), d;
  LLVMValueRef onehot = op == IR_XENT_SOFT ? cg_load(cg, t, b, i)
      : LLVMBuildUIToFP(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, c, li, ""),
                        cg->real, "");
  if (v->index == 1)
    d = LLVMBuildFNeg(cg->b, f_sub(cg, zi, lse), "");
  else if (op == IR_NLL)
    d = LLVMBuildFNeg(cg->b, onehot, "");
  else
    d = f_sub(cg, f_mul(cg, fexp(cg, f_sub(cg, zi, lse)), mass), onehot);
  cg_store(cg, v, b, i, f_mul(cg, gs, d));
  cg_loop_close(cg, &lc);
  cg_loop_close(cg, &lr);
}

void cg_emit_loss_grad(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *z = v->args[1], *t = v->args[2];
  int64_t P = ir_positions(v->of, &z->ty);
  LLVMValueRef live = live_positions(cg, v, &z->ty, P, b,
                                     v->masked ? v->args[3] : NULL);
  LLVMValueRef gs = cg_load(cg, v->args[0], b, i64c(cg, 0));
  if (v->mean)
    gs = f_div(cg, gs, count_real(cg, live));
  if (v->masked)
    cg_fill(cg, v, b, 0);
  if (ir_per_class(v->of)) {
    emit_class_loss_grad(cg, v, b, gs, live);
    return;
  }
  LLVMValueRef one = realc(cg, 1);
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, live);
  LLVMValueRef p = cg_load(cg, z, b, i), y = cg_load(cg, t, b, i), d;
  switch (v->of) {
  case IR_SSE: case IR_MSE:
    d = f_mul(cg, realc(cg, v->index ? -2 : 2), f_sub(cg, p, y));
    break;
  case IR_BCE:
    d = v->index ? f_sub(cg, flog(cg, f_sub(cg, one, p)), flog(cg, p))
                 : f_div(cg, f_sub(cg, p, y), f_mul(cg, p, f_sub(cg, one, p)));
    break;
  default:
    d = v->index ? LLVMBuildFNeg(cg->b, p, "")
                 : f_sub(cg, cg_sigmoid(cg, p), y);
    break;
  }
  cg_store(cg, v, b, i, f_mul(cg, gs, d));
  cg_loop_close(cg, &l);
}

/* step t of each example, against its length */
LLVMValueRef cg_within(Cg *cg, const IrValue *length, LLVMValueRef b,
                       LLVMValueRef t) {
  LLVMValueRef len = cg_load(cg, length, b, i64c(cg, 0));
  LLVMValueRef tr = LLVMBuildSIToFP(cg->b, t, cg->real, "");
  return fcmp(cg, LLVMRealOLT, tr, len);
}

void cg_emit_mask(Cg *cg, const IrValue *v, LLVMValueRef b) {
  LLVMValueRef ok = cg_within(cg, v->args[1], b, cg->tv[v->loop->id]);
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
  cg_store(cg, v, b, i,
           sel(cg, ok, cg_load(cg, v->args[0], b, i), realc(cg, 0)));
  cg_loop_close(cg, &l);
}

/* PICK: row len + lo of a sequence; UNPICK: that row of zeros, set. */
void cg_emit_pick(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const Type *seq = v->op == IR_PICK ? &v->args[0]->ty : &v->ty;
  int64_t row = count(seq) / seq->dims[0];
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, cg_load(cg, v->args[1], b,
                                     i64c(cg, 0)), cg->i64, "");
  LLVMValueRef t = add(cg, len, i64c(cg, v->lo[0]));
  t = sel(cg, LLVMBuildICmp(cg->b, LLVMIntSLT, t, i64c(cg, 0), ""),
          i64c(cg, 0), t);
  LLVMValueRef at = mul(cg, t, i64c(cg, row));
  if (v->op == IR_UNPICK)
    cg_fill(cg, v, b, 0);
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, row));
  if (v->op == IR_PICK)
    cg_store(cg, v, b, i, cg_load(cg, v->args[0], b, add(cg, at, i)));
  else
    cg_store(cg, v, b, add(cg, at, i), cg_load(cg, v->args[0], b, i));
  cg_loop_close(cg, &l);
}

/* REVERSE of each example's own steps; zeros past them. */
void cg_emit_reverse_masked(Cg *cg, const IrValue *v, LLVMValueRef b) {
  const IrValue *a = v->args[0];
  int64_t rows = a->ty.dims[0], row = count(&v->ty) / rows;
  LLVMValueRef len = LLVMBuildFPToSI(cg->b, cg_load(cg, v->args[1], b,
                                     i64c(cg, 0)), cg->i64, "");
  Loop l;
  LLVMValueRef i = cg_loop_open(cg, &l, i64c(cg, count(&v->ty)));
  LLVMValueRef t = LLVMBuildSDiv(cg->b, i, i64c(cg, row), "");
  LLVMValueRef j = LLVMBuildSRem(cg->b, i, i64c(cg, row), "");
  LLVMValueRef ok = LLVMBuildICmp(cg->b, LLVMIntSLT, t, len, "");
  LLVMValueRef src = LLVMBuildSub(cg->b, LLVMBuildSub(cg->b, len,
                                  i64c(cg, 1), ""), t, "");
  src = sel(cg, ok, src, i64c(cg, 0));
  LLVMValueRef x = cg_load(cg, a, b, add(cg, mul(cg, src, i64c(cg, row)), j));
  cg_store(cg, v, b, i, sel(cg, ok, x, realc(cg, 0)));
  cg_loop_close(cg, &l);
}
