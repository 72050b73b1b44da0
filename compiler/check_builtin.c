/* compiler/check_builtin.c — calls of builtin functions.
 *
 * Input: a call of a function of builtins.h (tanh, concat, conv,
 * cross_entropy, ...) with its arguments still unchecked.
 * Output: the typed ND_CALL with its options and the shape of its
 * result, or the folded constant of a unary function of a number.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "arena.h"
#include "check_internal.h"

/* ---- expressions: builtin functions ----------------------------------- */

static Node *fold_unary(Checker *c, const Node *e, const Builtin *fn,
                        double x) {
  double v;
  const char *f = fn->name;
  if ((strcmp(f, "log") == 0 && x <= 0) || (strcmp(f, "sqrt") == 0 && x < 0)) {
    check_error(c, e->loc, "%s(%g) is not a real number", f, x);
    return check_failed(c, e);
  }
  if (strcmp(f, "tanh") == 0) v = tanh(x);
  else if (strcmp(f, "sigmoid") == 0) v = 1 / (1 + exp(-x));
  else if (strcmp(f, "relu") == 0) v = x > 0 ? x : 0;
  else if (strcmp(f, "exp") == 0) v = exp(x);
  else if (strcmp(f, "log") == 0) v = log(x);
  else if (strcmp(f, "sqrt") == 0) v = sqrt(x);
  else v = fabs(x);
  if (!isfinite(v)) {
    check_error(c, e->loc, "this constant is too large");
    return check_failed(c, e);
  }
  return check_const_num(e, v, false);
}

static const char *ordinal(int i) {
  static const char *words[] = {"first", "second", "third", "fourth"};
  return i < 4 ? words[i] : "an";
}

/* The leading positional arguments that are tensors. */
static bool check_tensor_args(Checker *c, Scope *s, const Node *e,
                              const Builtin *fn, Node *call, int *consumed) {
  int want = fn->ntensors, have = 0;
  bool ok = true;
  for (int i = 0; i < e->list.n; i++) {
    const Node *a = e->list.v[i];
    if (a->name || (want >= 0 && have == want))
      break;
    if (fn->kind == BK_RESHAPE && have == 1)
      break;
    Node *t = check_expr(c, s, a->lhs);
    if (is_error(t)) {
      ok = false;
    } else if (is_const(t) && fn->kind != BK_UNARY) {
      check_error(c, a->loc, "the %s argument of %s must be a tensor, not a "
                  "number", ordinal(have), fn->name);
      ok = false;
    }
    list_push(&call->list, t);
    have++;
  }
  *consumed = have;
  if (!ok)
    return false;
  if ((want >= 0 && have < want) || (want < 0 && have < 1)) {
    check_error(c, e->loc, "%s takes %s%d tensor argument%s, got %d", fn->name,
                want < 0 ? "at least " : "", want < 0 ? 1 : want,
                want == 1 || want < 0 ? "" : "s", have);
    return false;
  }
  return true;
}

static bool no_class(Checker *c, const Node *t, const char *fn) {
  if (t->ty->elem == EL_CLASS) {
    check_error(c, t->loc, "%s cannot take class labels (%s); they are only "
                "a loss target", fn, type_str(t->ty));
    return false;
  }
  return true;
}

static bool builtin_concat(Checker *c, const Node *e, Node *call, Type *out) {
  const Value *axis_v = call_value(call->opts, "axis");
  const Type *first = call->list.v[0]->ty;
  int axis = (int)axis_v->num;
  if (axis < 0)
    axis += first->ndim;
  if (first->ndim == 0 || axis < 0 || axis >= first->ndim) {
    check_error(c, e->loc, "concat axis %d is outside the %d dimensions of %s",
                (int)axis_v->num, first->ndim, type_str(first));
    return false;
  }
  Type r = *first;
  r.elem = EL_FLOAT;
  for (int i = 1; i < call->list.n; i++) {
    const Type *t = call->list.v[i]->ty;
    bool ok = t->ndim == first->ndim && t->varlen == first->varlen;
    for (int d = 0; ok && d < t->ndim; d++)
      ok = d == axis || t->dims[d] == first->dims[d];
    if (!ok) {
      check_error(c, call->list.v[i]->loc, "cannot concatenate %s and %s along "
                  "dimension %d", type_str(first), type_str(t), axis + 1);
      return false;
    }
    r.dims[axis] += t->dims[axis];
  }
  *out = r;
  return true;
}

static bool builtin_reshape(Checker *c, Scope *s, const Node *e, Node *call,
                            int consumed, Type *out) {
  const Type *t = call->list.v[0]->ty;
  const Node *shape = consumed < e->list.n ? e->list.v[consumed]->lhs : NULL;
  if (!shape || shape->kind != ND_LIST || consumed + 1 != e->list.n) {
    check_error(c, e->loc, "reshape takes a tensor and a shape, as in "
                "reshape(x, [4, 7])");
    return false;
  }
  if (t->varlen) {
    check_error(c, e->loc, "a sequence of varying length cannot be reshaped");
    return false;
  }
  if (shape->list.n > MAX_DIMS || shape->list.n == 0) {
    check_error(c, shape->loc, "a shape has 1 to %d dimensions", MAX_DIMS);
    return false;
  }
  Type r = {.elem = EL_FLOAT, .ndim = shape->list.n};
  for (int i = 0; i < shape->list.n; i++)
    if (!check_const_int(c, s, shape->list.v[i], &r.dims[i], "a dimension"))
      return false;
    else if (r.dims[i] <= 0) {
      check_error(c, shape->list.v[i]->loc, "a dimension must be positive");
      return false;
    }
  if (type_numel(&r) != type_numel(t)) {
    check_error(c, e->loc, "cannot reshape %s (%lld values) to %s "
                "(%lld values)", type_str(t), (long long)type_numel(t),
                type_str(&r), (long long)type_numel(&r));
    return false;
  }
  *out = r;
  return true;
}

static bool builtin_conv(Checker *c, const Node *e, Node *call, Type *out) {
  const Type *x = call->list.v[0]->ty, *w = call->list.v[1]->ty,
             *b = call->list.v[2]->ty;
  if (x->ndim != 3 || x->varlen || w->ndim != 4 || b->ndim != 1 ||
      w->dims[1] != x->dims[0] || b->dims[0] != w->dims[0] ||
      w->dims[2] != w->dims[3]) {
    check_error(c, e->loc, "conv takes x float[c, h, w], W float[k, c, s, s] "
                "and b float[k]; got %s, %s and %s", type_str(x), type_str(w),
                type_str(b));
    return false;
  }
  int64_t stride = (int64_t)call_value(call->opts, "stride")->num;
  int64_t pad = (int64_t)call_value(call->opts, "padding")->num;
  int64_t k = w->dims[2];
  int64_t oh = (x->dims[1] + 2 * pad - k) / stride + 1;
  int64_t ow = (x->dims[2] + 2 * pad - k) / stride + 1;
  if (x->dims[1] + 2 * pad < k || x->dims[2] + 2 * pad < k) {
    check_error(c, e->loc, "a %lldx%lld kernel does not fit in %s",
                (long long)k, (long long)k, type_str(x));
    return false;
  }
  *out = (Type){.elem = EL_FLOAT, .ndim = 3, .dims = {w->dims[0], oh, ow}};
  return true;
}

static bool builtin_maxpool(Checker *c, const Node *e, Node *call,
                            Type *out) {
  const Type *x = call->list.v[0]->ty;
  int64_t k = (int64_t)call_value(call->opts, "size")->num;
  if (x->ndim != 3 || x->varlen || x->dims[1] < k || x->dims[2] < k) {
    check_error(c, e->loc, "maxpool with size %lld takes float[c, h, w] with "
                "h and w at least %lld, got %s", (long long)k, (long long)k,
                type_str(x));
    return false;
  }
  *out = (Type){.elem = EL_FLOAT, .ndim = 3,
                .dims = {x->dims[0], x->dims[1] / k, x->dims[2] / k}};
  return true;
}

static bool builtin_batchnorm(Checker *c, const Node *e, Node *call,
                              Type *out) {
  const Type *x = call->list.v[0]->ty, *g = call->list.v[1]->ty,
             *b = call->list.v[2]->ty;
  if (x->ndim < 1 || x->varlen || g->ndim != 1 || b->ndim != 1 ||
      g->dims[0] != x->dims[0] || b->dims[0] != x->dims[0]) {
    check_error(c, e->loc, "batch_norm takes x float[c, ...], gamma float[c] "
                "and beta float[c]; got %s, %s and %s", type_str(x),
                type_str(g), type_str(b));
    return false;
  }
  *out = *x;
  out->elem = EL_FLOAT;
  return true;
}

/* Does a prediction match its target?  A trailing dimension of 1 on the
 * prediction is allowed: dense(h[t], 1) against binary[<=20]. */
bool check_same_up_to_trailing_one(const Type *p, const Type *t) {
  if (type_same_shape(p, t))
    return true;
  if (p->ndim == t->ndim + 1 && p->dims[p->ndim - 1] == 1) {
    Type q = *p;
    q.ndim--;
    return type_same_shape(&q, t);
  }
  return false;
}

static bool builtin_loss(Checker *c, const Node *e, const Builtin *fn,
                         Node *call, Type *out) {
  const Node *pred = call->list.v[0], *target = call->list.v[1];
  const Type *p = pred->ty, *t = target->ty;
  if (p->elem == EL_CLASS) {
    check_error(c, pred->loc, "the first argument of %s is the prediction; "
                "class labels (%s) go second", fn->name, type_str(p));
    return false;
  }
  bool ok;
  if (t->elem == EL_CLASS)
    ok = fn->target != LT_SAME && type_same_shape(p, t);
  else
    ok = fn->target != LT_CLASS && check_same_up_to_trailing_one(p, t);
  if (!ok) {
    if (fn->target == LT_CLASS && t->elem != EL_CLASS)
      check_error(c, target->loc, "%s needs class labels as its target, got %s",
                  fn->name, type_str(t));
    else if (fn->target == LT_SAME && t->elem == EL_CLASS)
      check_error(c, target->loc, "%s compares with values of the same shape, "
                  "not class labels (%s)", fn->name, type_str(t));
    else
      check_error(c, e->loc, "%s of %s against %s: the shapes do not match",
                  fn->name, type_str(p), type_str(t));
    if (t->elem == EL_CLASS && !type_same_shape(p, t))
      check_note(c, target->loc, "class labels %s need one score per class: "
                 "a prediction of shape %s", type_str(t),
                 type_str(&(Type){.elem = EL_FLOAT, .ndim = t->ndim,
                            .varlen = t->varlen,
                            .dims = {t->dims[0], t->dims[1], t->dims[2],
                                     t->dims[3], t->dims[4], t->dims[5]}}));
    return false;
  }
  *out = type_scalar();
  out->reduced = true;
  return true;
}

static bool builtin_type(Checker *c, Scope *s, const Node *e,
                         const Builtin *fn, Node *call, int consumed,
                         Type *out) {
  const Type *x = call->list.v[0]->ty;
  switch (fn->kind) {
  case BK_UNARY:
    *out = *x;
    out->elem = EL_FLOAT;
    return true;
  case BK_SOFTMAX:
    if (x->ndim == 0) {
      check_error(c, e->loc, "%s needs at least one dimension, got a scalar",
                  fn->name);
      return false;
    }
    *out = *x;
    out->elem = EL_FLOAT;
    return true;
  case BK_REDUCE:
    *out = type_scalar();
    return true;
  case BK_CONCAT:
    return builtin_concat(c, e, call, out);
  case BK_REVERSE:
    if (x->ndim == 0) {
      check_error(c, e->loc, "reverse needs a sequence, got a scalar");
      return false;
    }
    *out = *x;
    return true;
  case BK_FLATTEN:
    if (x->varlen) {
      check_error(c, e->loc, "a sequence of varying length cannot be "
                  "flattened");
      return false;
    }
    *out = type_vector(type_numel(x));
    return true;
  case BK_RESHAPE:
    return builtin_reshape(c, s, e, call, consumed, out);
  case BK_TRANSPOSE:
    if (x->ndim != 2 || x->varlen) {
      check_error(c, e->loc, "transpose takes a matrix, got %s", type_str(x));
      return false;
    }
    *out = (Type){.elem = EL_FLOAT, .ndim = 2,
                  .dims = {x->dims[1], x->dims[0]}};
    return true;
  case BK_CONV:
    return builtin_conv(c, e, call, out);
  case BK_MAXPOOL:
    return builtin_maxpool(c, e, call, out);
  case BK_BATCHNORM:
    return builtin_batchnorm(c, e, call, out);
  case BK_LOSS:
    return builtin_loss(c, e, fn, call, out);
  }
  return false;
}

Node *check_builtin(Checker *c, Scope *s, const Node *e,
                    const Builtin *fn) {
  Node *call = check_typed(e, ND_CALL, type_unknown());
  call->fn = fn;
  int consumed;
  if (!check_tensor_args(c, s, e, fn, call, &consumed))
    return check_failed(c, e);
  if (fn->kind == BK_UNARY && is_const(call->list.v[0]))
    return fold_unary(c, e, fn, call->list.v[0]->num);
  CallSpec *spec = arena_new(CallSpec);
  spec->name = fn->name;
  spec->opts = fn->opts;
  call->opts = check_new_call_value(spec);
  if (fn->kind != BK_RESHAPE &&
      !check_fill_options(c, s, &e->list, consumed, fn->name, fn->opts,
                          call->opts, e->loc))
    return check_failed(c, e);
  for (int i = 0; i < call->list.n; i++) {
    Node *a = call->list.v[i];
    if (is_unknown(a))
      return call;
    if (fn->kind != BK_LOSS || i == 0)
      if (!no_class(c, a, fn->name))
        return check_failed(c, e);
    if (a->ty->reduced) {
      check_error(c, a->loc, "%s cannot take a loss", fn->name);
      return check_failed(c, e);
    }
  }
  if (!builtin_type(c, s, e, fn, call, consumed, call->ty))
    return check_failed(c, e);
  return call;
}
