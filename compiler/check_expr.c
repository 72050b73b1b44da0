/* compiler/check_expr.c — expressions: names, arithmetic and indexing.
 *
 * Input: an expression of the syntax tree and the scope it is in.
 * Output: its typed copy (constants folded, the steps of x[t] and h[t-1]
 * as ND_STEP indices), or an error node once the problem is reported.
 * Calls go on to check_builtin.c or check_layer.c.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "check_internal.h"

/* ---- expressions: names and arithmetic -------------------------------- */

static Node *ref(const Node *e, Sym *sym, Type ty) {
  Node *n = check_typed(e, ND_NAME, ty);
  n->sym = sym;
  return n;
}

static Node *check_name(Checker *c, Scope *s, const Node *e) {
  if (c->step.var && strcmp(e->name, c->step.var) == 0) {
    check_error(c, e->loc, "the step '%s' can only index a sequence, as in "
                "x[%s]", e->name, e->name);
    return check_failed(c, e);
  }
  Sym *sym = check_lookup(s, e->name);
  if (!sym) {
    if (c->speculative)
      return check_failed(c, e);
    if (check_layer_find(c, e->name) || builtin_find(e->name)) {
      check_error(c, e->loc, "'%s' is a %s: call it, as in %s(...)", e->name,
                  check_layer_find(c, e->name) ? "layer" : "function", e->name);
      return check_failed(c, e);
    }
    if (spec_find(init_specs, e->name)) {
      check_error(c, e->loc, "'%s' is an initializer: it can only follow "
                  "'param NAME : TYPE ='", e->name);
      return check_failed(c, e);
    }
    check_report_unknown(c, s, e);
    return check_failed(c, e);
  }
  if (sym->poisoned)
    return c->speculative ? check_failed(c, e) : ast_error(e->loc);
  switch (sym->kind) {
  case SYM_CONST:
    if (sym->dim_varlen) {
      check_error(c, e->loc, "'%s' is the length of a sequence of varying "
                  "length; it is not a constant", e->name);
      return check_failed(c, e);
    }
    return check_const_num(e, sym->value.num, sym->value.is_int);
  case SYM_SEQ:
    if (sym->state != SEQ_DONE) {
      if (!c->speculative && sym == c->step.seq)
        check_error(c, e->loc, "'%s' is used in its own definition; a "
                    "recurrence reads %s[%s-1]", e->name, e->name,
                    c->step.var ? c->step.var : "t");
      else if (!c->speculative)
        check_report_unknown(c, s, e);
      return check_failed(c, e);
    }
    return ref(e, sym, sym->ty);
  case SYM_PARAM:
    if (sym->absent)    /* param b : ... if false: b reads as zero */
      return check_const_num(e, 0, true);
    return ref(e, sym, sym->ty);
  default:
    return ref(e, sym, sym->ty);
  }
}

static Node *fold_binary(Checker *c, const Node *e, const Node *a,
                         const Node *b) {
  double x = a->num, y = b->num, v = 0;
  bool is_int = a->is_int && b->is_int;
  switch (e->op) {
  case '+': v = x + y; break;
  case '-': v = x - y; break;
  case '*': v = x * y; break;
  case '/':
    if (y == 0) {
      check_error(c, e->loc, "division by zero");
      return check_failed(c, e);
    }
    v = x / y;
    is_int = is_int && fmod(x, y) == 0;
    break;
  case '@':
    check_error(c, e->loc, "'@' multiplies tensors, not numbers; use '*'");
    return check_failed(c, e);
  }
  if (!isfinite(v)) {
    check_error(c, e->loc, "this constant is too large");
    return check_failed(c, e);
  }
  return check_const_num(e, v, is_int);
}

static bool check_float_operand(Checker *c, const Node *operand) {
  if (operand->ty && !operand->ty->unknown &&
      operand->ty->elem == EL_CLASS) {
    check_error(c, operand->loc, "class labels (%s) cannot be used in "
                "arithmetic; they are only a loss target",
                type_str(operand->ty));
    return false;
  }
  if (operand->ty && operand->ty->reduced)
    return true;
  return true;
}

static const char *op_verb(char op) {
  switch (op) {
  case '+': return "add";
  case '-': return "subtract";
  case '*': return "multiply";
  case '/': return "divide";
  }
  return "combine";
}

/* Shapes of a @ b: [m,k] @ [k] -> [m], [m,k] @ [k,n] -> [m,n],
 * [k] @ [k,n] -> [n]. */
static bool matmul_type(const Type *a, const Type *b, Type *out) {
  if (a->varlen || b->varlen)
    return false;
  if (a->ndim == 2 && b->ndim == 1 && a->dims[1] == b->dims[0]) {
    *out = type_vector(a->dims[0]);
    return true;
  }
  if (a->ndim == 2 && b->ndim == 2 && a->dims[1] == b->dims[0]) {
    *out = (Type){.elem = EL_FLOAT, .ndim = 2,
                  .dims = {a->dims[0], b->dims[1]}};
    return true;
  }
  if (a->ndim == 1 && b->ndim == 2 && a->dims[0] == b->dims[0]) {
    *out = type_vector(b->dims[1]);
    return true;
  }
  return false;
}

/* While inferring, an operand of unknown shape takes the shape the other
 * operand implies. */
static Type guess_type(char op, const Type *a, const Type *b) {
  if (op == '@') {
    if (!a->unknown && a->ndim == 2)
      return type_vector(a->dims[0]);
    return type_unknown();
  }
  if (a->unknown && b->unknown)
    return type_unknown();
  Type t = a->unknown ? *b : *a;
  t.elem = EL_FLOAT;
  t.reduced = false;
  return t;
}

static Node *binary_node(const Node *e, Node *a, Node *b, Type ty) {
  Node *n = check_typed(e, ND_BINARY, ty);
  n->op = e->op;
  n->lhs = a;
  n->rhs = b;
  return n;
}

/* A loss combines with numbers, other losses and per-example scalars
 * (which lowering averages over the batch), not with tensors. */
static bool check_reduced(Checker *c, const Node *e, const Node *a,
                          const Node *b, Type *out) {
  bool ra = a->ty->reduced, rb = b->ty->reduced;
  if (!ra && !rb)
    return false;
  const Node *other = ra ? b : a;
  if (e->op == '@' || (!is_const(other) && other->ty->ndim != 0)) {
    check_error(c, e->loc, "a loss can only be combined with numbers, scalars "
                "and other losses, not with %s", type_str(other->ty));
    *out = type_unknown();
    return true;
  }
  *out = type_scalar();
  out->reduced = true;
  return true;
}

static Node *check_binary(Checker *c, Scope *s, const Node *e) {
  Node *a = check_expr(c, s, e->lhs);
  Node *b = check_expr(c, s, e->rhs);
  if (is_error(a) || is_error(b))
    return check_failed(c, e);
  if (is_const(a) && is_const(b))
    return fold_binary(c, e, a, b);
  if (e->op == '+' && is_const(a) && a->num == 0)
    return b;
  if ((e->op == '+' || e->op == '-') && is_const(b) && b->num == 0)
    return a;
  if (!check_float_operand(c, a) || !check_float_operand(c, b))
    return check_failed(c, e);
  if (is_unknown(a) || is_unknown(b))
    return binary_node(e, a, b, guess_type(e->op, a->ty, b->ty));
  Type ty;
  if (check_reduced(c, e, a, b, &ty))
    return ty.unknown ? check_failed(c, e) : binary_node(e, a, b, ty);
  if (e->op == '@') {
    if (!matmul_type(a->ty, b->ty, &ty)) {
      check_error(c, e->loc, "cannot multiply %s by %s with '@'",
                  type_str(a->ty), type_str(b->ty));
      if (a->ty->ndim == 2 && b->ty->ndim >= 1 && !b->ty->varlen &&
          !a->ty->varlen)
        check_note(c, e->loc, "the columns of the left (%lld) must match the "
                   "rows of the right (%lld)", (long long)a->ty->dims[1],
                   (long long)b->ty->dims[0]);
      else if (a->ty->varlen || b->ty->varlen)
        check_note(c, e->loc, "to multiply each step, define it step by step: "
                   "y[t] = W @ x[t]");
      return check_failed(c, e);
    }
    return binary_node(e, a, b, ty);
  }
  if (!type_broadcast(a->ty, b->ty, &ty)) {
    check_error(c, e->loc, "cannot %s %s and %s: the shapes do not match",
                op_verb(e->op), type_str(a->ty), type_str(b->ty));
    return check_failed(c, e);
  }
  return binary_node(e, a, b, ty);
}

static Node *check_neg(Checker *c, Scope *s, const Node *e) {
  Node *a = check_expr(c, s, e->lhs);
  if (is_error(a))
    return a;
  if (is_const(a))
    return check_const_num(e, -a->num, a->is_int);
  if (!check_float_operand(c, a))
    return check_failed(c, e);
  Type ty = *a->ty;
  ty.elem = EL_FLOAT;
  Node *n = check_typed(e, ND_NEG, ty);
  n->lhs = a;
  return n;
}

/* ---- expressions: indexing and steps --------------------------------- */

/* Is e the step variable, possibly plus or minus an integer?  Sets the
 * offset: 0 for t, -1 for t-1. */
static bool step_offset(const Checker *c, const Node *e, int64_t *offset) {
  if (!c->step.var)
    return false;
  if (e->kind == ND_NAME && strcmp(e->name, c->step.var) == 0) {
    *offset = 0;
    return true;
  }
  if (e->kind == ND_BINARY && (e->op == '-' || e->op == '+') &&
      e->lhs->kind == ND_NAME && strcmp(e->lhs->name, c->step.var) == 0 &&
      e->rhs->kind == ND_NUM && e->rhs->is_int) {
    *offset = e->op == '-' ? -(int64_t)e->rhs->num : (int64_t)e->rhs->num;
    return true;
  }
  return false;
}

static bool mentions(const Node *e, const char *var) {
  if (!e || !var)
    return false;
  if (e->kind == ND_NAME)
    return strcmp(e->name, var) == 0;
  if (mentions(e->lhs, var) || mentions(e->rhs, var))
    return true;
  for (int i = 0; i < e->list.n; i++)
    if (mentions(e->list.v[i], var))
      return true;
  return false;
}

static void note_length(Checker *c, const Node *at, const Type *seq) {
  if (seq->unknown || seq->ndim == 0)
    return;
  StepCtx *st = &c->step;
  if (!st->have_len) {
    st->have_len = true;
    st->len = seq->dims[0];
    st->varlen = seq->varlen;
    st->len_from = at;
    return;
  }
  if (st->len != seq->dims[0] || st->varlen != seq->varlen) {
    check_error(c, at->loc, "'%s' has %s%lld steps, but '%s' has %s%lld",
                ast_expr_string(at), seq->varlen ? "up to " : "",
                (long long)seq->dims[0], ast_expr_string(st->len_from),
                st->varlen ? "up to " : "", (long long)st->len);
  }
}

/* The type of one step of a state read at t-1, or at t before its own
 * equation, as far as it is known. */
static Type state_step(const Sym *sym) {
  if (sym->state == SEQ_DONE || sym->state == SEQ_INFERRED)
    return sym->step;
  return type_unknown();
}

static bool check_step_of_seq(Checker *c, Scope *s, const Node *e, Sym *sym,
                              int64_t off, Type *step) {
  (void)s;
  const char *var = c->step.var;
  if (off == 0) {
    if (sym == c->step.seq) {
      check_error(c, e->loc, "'%s[%s]' is defined in terms of itself; a "
                  "recurrence reads the previous step, %s[%s-1]", sym->name,
                  var, sym->name, var);
      return false;
    }
    if (sym->state != SEQ_DONE && !c->speculative) {
      check_error(c, e->loc, "'%s' is used before it is defined", sym->name);
      check_note(c, sym->decl->name_loc, "'%s' is defined here; only %s[%s-1] "
                 "can be read ahead of its equation", sym->name, sym->name,
                 var);
      return false;
    }
  } else if (!sym->recurrent) {
    check_error(c, e->loc, "'%s[%s-1]' needs an initial state", sym->name, var);
    check_note(c, sym->decl->loc, "add 'with %s[-1] = 0' (or another initial "
               "value) to the equation of '%s'", sym->name, sym->name);
    return false;
  }
  *step = state_step(sym);
  if (step->unknown && !c->speculative) {
    /* Reported after the statement, unless another error explains it. */
    if (!c->uninferred) {
      c->uninferred = sym;
      c->uninferred_at = e;
    }
    return false;
  }
  if (sym->state == SEQ_DONE || sym->state == SEQ_INFERRED)
    note_length(c, e, &sym->ty);
  return true;
}

/* base[t] or base[t-1] inside a step equation. */
static Node *check_step_base(Checker *c, Scope *s, const Node *e,
                             int64_t off, Type *step, Node **base) {
  const Node *b = e->lhs;
  const char *var = c->step.var;
  if (off != 0 && off != -1) {
    check_error(c, e->list.v[0]->loc, "a step equation reads %s[%s] or the "
                "previous step %s[%s-1], nothing further", b->kind == ND_NAME ?
                b->name : "x", var, b->kind == ND_NAME ? b->name : "h", var);
    return NULL;
  }
  Sym *sym = b->kind == ND_NAME ? check_lookup(s, b->name) : NULL;
  if (sym && sym->poisoned)
    return NULL;
  if (sym && sym->kind == SYM_SEQ && sym->scope == s) {
    if (!check_step_of_seq(c, s, e, sym, off, step))
      return NULL;
    *base = ref(b, sym, sym->ty);
    return *base;
  }
  if (off != 0) {
    check_error(c, e->loc, "'%s' reads before the first step; only a state "
                "with an initial value can be read at %s-1",
                ast_expr_string(e), var);
    return NULL;
  }
  Node *bn = check_expr(c, s, b);
  if (is_error(bn))
    return NULL;
  if (is_unknown(bn)) {
    *step = type_unknown();
    *base = bn;
    return bn;
  }
  if (is_const(bn) || bn->ty->ndim == 0) {
    check_error(c, b->loc, "'%s' is not a sequence: it has no steps to index",
                ast_expr_string(b));
    return NULL;
  }
  note_length(c, b, bn->ty);
  *step = type_drop_first(bn->ty);
  *base = bn;
  return bn;
}

/* One index into dimension `dim` of ty: an integer or a range.  Writes
 * the typed index to *out and narrows ty. */
static bool check_one_index(Checker *c, Scope *s, const Node *ix, Type *ty,
                            int dim, Node **out) {
  if (mentions(ix, c->step.var)) {
    check_error(c, ix->loc, "the step '%s' can only be the first index, as in "
                "x[%s] or h[%s-1]", c->step.var, c->step.var, c->step.var);
    return false;
  }
  int64_t n = ty->dims[dim];
  bool varlen = dim == 0 && ty->varlen;
  if (ix->kind == ND_RANGE) {
    int64_t lo, hi;
    if (!check_const_int(c, s, ix->lhs, &lo, "the start of a range") ||
        !check_const_int(c, s, ix->rhs, &hi, "the end of a range"))
      return false;
    if (varlen) {
      check_error(c, ix->loc, "a range cannot index a sequence of varying "
                  "length");
      return false;
    }
    if (lo < 0)
      lo += n;
    if (hi < 0)
      hi += n;
    if (lo < 0 || hi >= n || lo > hi) {
      check_error(c, ix->loc, "the range %s is outside the %lld elements of "
                  "dimension %d", ast_expr_string(ix), (long long)n, dim + 1);
      return false;
    }
    *out = ast_range(check_const_num(ix->lhs, (double)lo, true),
                     check_const_num(ix->rhs, (double)hi, true), ix->loc);
    ty->dims[dim] = hi - lo + 1;
    if (dim == 0)
      ty->varlen = false;
    return true;
  }
  int64_t i;
  if (!check_const_int(c, s, ix, &i, "an index"))
    return false;
  if (i < -n || i >= n) {
    check_error(c, ix->loc, "index %lld is out of range for a dimension of "
                "%s%lld", (long long)i, varlen ? "at most " : "", (long long)n);
    return false;
  }
  if (i < 0 && !varlen)
    i += n;
  *out = check_const_num(ix, (double)i, true);
  ty->dims[dim] = -1;   /* removed below */
  return true;
}

static Type drop_indexed(const Type *ty) {
  Type r = *ty;
  int k = 0;
  for (int i = 0; i < ty->ndim; i++)
    if (ty->dims[i] >= 0)
      r.dims[k++] = ty->dims[i];
  r.varlen = ty->varlen && ty->dims[0] >= 0;
  r.ndim = k;
  return r;
}

static Node *check_index(Checker *c, Scope *s, const Node *e) {
  int64_t off;
  Node *base = NULL;
  Type ty;
  int first = 0;
  Node *n = check_typed(e, ND_INDEX, type_unknown());
  if (e->list.n > 0 && step_offset(c, e->list.v[0], &off)) {
    if (!check_step_base(c, s, e, off, &ty, &base))
      return check_failed(c, e);
    Node *st = check_typed(e->list.v[0], ND_STEP, type_scalar());
    st->step = (int)off;
    list_push(&n->list, st);
    first = 1;
  } else {
    base = check_expr(c, s, e->lhs);
    if (is_error(base))
      return base;
    if (is_const(base)) {
      check_error(c, e->loc, "a number cannot be indexed");
      return check_failed(c, e);
    }
    ty = *base->ty;
  }
  n->lhs = base;
  if (ty.unknown) {
    *n->ty = ty;
    return n;
  }
  if (e->list.n - first > ty.ndim) {
    check_error(c, e->loc, "too many indices: %s has %d dimension%s",
                type_str(base->ty), base->ty->ndim,
                base->ty->ndim == 1 ? "" : "s");
    return check_failed(c, e);
  }
  Type narrowed = ty;
  for (int i = first; i < e->list.n; i++) {
    Node *ix;
    if (!check_one_index(c, s, e->list.v[i], &narrowed, i - first, &ix))
      return check_failed(c, e);
    list_push(&n->list, ix);
  }
  *n->ty = drop_indexed(&narrowed);
  return n;
}

static Node *check_call(Checker *c, Scope *s, const Node *e) {
  const Node *layer = check_layer_find(c, e->name);
  if (layer)
    return check_layer_call(c, s, e, layer);
  const Builtin *fn = builtin_find(e->name);
  if (fn)
    return check_builtin(c, s, e, fn);
  if (spec_find(init_specs, e->name)) {
    check_error(c, e->name_loc, "'%s' is an initializer: it can only follow "
                "'param NAME : TYPE ='", e->name);
  } else if (spec_find(optimizer_specs, e->name)) {
    check_error(c, e->name_loc, "'%s' is an optimizer: it belongs in the train "
                "block, as 'optimizer %s(...)'", e->name, e->name);
  } else if (spec_find(data_specs, e->name)) {
    check_error(c, e->name_loc, "'%s' is a data source: write 'data %s(...)' "
                "as a statement", e->name, e->name);
  } else {
    const char *hint = check_suggest(c, s, e->name);
    if (hint)
      check_error(c, e->name_loc, "unknown function or layer '%s'; did you "
                  "mean '%s'?", e->name, hint);
    else
      check_error(c, e->name_loc, "unknown function or layer '%s'", e->name);
  }
  return check_failed(c, e);
}

Node *check_expr(Checker *c, Scope *s, const Node *e) {
  switch (e->kind) {
  case ND_NUM: return check_const_num(e, e->num, e->is_int);
  case ND_NAME: return check_name(c, s, e);
  case ND_BINARY: return check_binary(c, s, e);
  case ND_NEG: return check_neg(c, s, e);
  case ND_INDEX: return check_index(c, s, e);
  case ND_CALL: return check_call(c, s, e);
  case ND_ERROR: return check_failed(c, e);
  case ND_STR:
    check_error(c, e->loc, "a string can only be an option, as in "
                "mnist(path = \"data\")");
    return check_failed(c, e);
  case ND_RANGE:
    check_error(c, e->loc, "a range can only be an index or an option, as in "
                "x[0 .. 3]");
    return check_failed(c, e);
  case ND_TUPLE:
  case ND_LIST:
    check_error(c, e->loc, "a %s can only be an option", e->kind == ND_TUPLE ?
                "tuple" : "list");
    return check_failed(c, e);
  default:
    DIE("check_expr: unexpected %s", ast_kind_name(e->kind));
  }
}
