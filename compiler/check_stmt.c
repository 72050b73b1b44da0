/* compiler/check_stmt.c — statements.
 *
 * Input: the statements of the file or of a layer's body, in order.
 * Output: typed statements appended to a list (parameters, equations),
 * their Syms declared in the scope, and the model's name, constants,
 * inputs, targets, loss and train block.  Step equations go on to
 * check_recur.c, the data source to check_data.c.
 */
#include <config.h>

#include <string.h>

#include "arena.h"
#include "check_internal.h"

/* ---- statements -------------------------------------------------------- */

static bool elem_kind(const char *name, ElemKind *k) {
  static const ElemKind kinds[] = {EL_FLOAT, EL_ONEHOT, EL_CLASS, EL_BINARY};
  for (int i = 0; i < 4; i++)
    if (strcmp(name, elem_name(kinds[i])) == 0) {
      *k = kinds[i];
      return true;
    }
  return false;
}

/* TYPE of an input, a target or a parameter. */
static bool check_type(Checker *c, Scope *s, const Node *tn, bool is_param,
                       Type *out) {
  Type t = {0};
  if (!elem_kind(tn->name, &t.elem)) {
    check_error(c, tn->name_loc, "unknown type '%s'; types are float, onehot, "
                "class and binary", tn->name);
    return false;
  }
  if (is_param && t.elem != EL_FLOAT) {
    check_error(c, tn->name_loc, "a parameter is float, not %s", tn->name);
    return false;
  }
  if (tn->list.n > MAX_DIMS) {
    check_error(c, tn->loc, "a tensor has at most %d dimensions", MAX_DIMS);
    return false;
  }
  t.ndim = tn->list.n;
  for (int i = 0; i < tn->list.n; i++) {
    const Node *d = tn->list.v[i];
    if (d->is_max && (i > 0 || is_param)) {
      check_error(c, d->loc, "only the first dimension of an input or a target "
                  "can be a maximum length ('<=')");
      return false;
    }
    if (!check_const_int(c, s, d->lhs, &t.dims[i], "a dimension"))
      return false;
    if (t.dims[i] <= 0 || t.dims[i] > ((int64_t)1 << 31)) {
      check_error(c, d->lhs->loc, "a dimension must be between 1 and 2^31, got "
                  "%lld", (long long)t.dims[i]);
      return false;
    }
    t.varlen |= d->is_max;
  }
  if (t.elem != EL_FLOAT && t.ndim == 0) {
    check_error(c, tn->loc, "%s needs its number of classes or values, as in "
                "%s[10]", tn->name, tn->name);
    return false;
  }
  if (type_numel(&t) > ((int64_t)1 << 31)) {
    check_error(c, tn->loc, "%s has more than 2^31 values", type_str(&t));
    return false;
  }
  *out = t;
  return true;
}

static bool check_init(Checker *c, Scope *s, const Node *st, const Type *t,
                       CallValue **out) {
  CallValue *cv = check_call_value(c, s, st->lhs, init_specs, "initializer");
  if (!cv)
    return false;
  const char *name = cv->spec->name;
  if ((strncmp(name, "xavier", 6) == 0 || strncmp(name, "kaiming", 7) == 0) &&
      t->ndim < 2) {
    check_error(c, st->lhs->loc, "%s needs a parameter of 2 or more dimensions "
                "(it uses fan-in and fan-out), got %s", name, type_str(t));
    return false;
  }
  if (strcmp(name, "uniform") == 0 &&
      !(call_value(cv, "low")->num < call_value(cv, "high")->num)) {
    check_error(c, st->lhs->loc, "uniform(low, high) needs low below high");
    return false;
  }
  *out = cv;
  return true;
}

static void check_param(Checker *c, Scope *s, const Node *st, NodeList *out) {
  Type t;
  if (!check_type(c, s, st->type, true, &t)) {
    check_poison(c, s, SYM_PARAM, st);
    return;
  }
  bool absent = false;
  if (st->rhs) {
    double v;
    bool is_int;
    if (!check_const_value(c, s, st->rhs, &v, &is_int, "the condition")) {
      check_poison(c, s, SYM_PARAM, st);
      return;
    }
    absent = v == 0;
  }
  CallValue *init;
  if (!check_init(c, s, st, &t, &init)) {
    check_poison(c, s, SYM_PARAM, st);
    return;
  }
  Sym *sym = check_declare(c, s, SYM_PARAM, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = t;
  sym->init = init;
  sym->absent = absent;
  Node *n = check_typed(st, ND_PARAM, t);
  n->sym = sym;
  list_push(out, n);
}

static Define *find_define(Checker *c, const char *name) {
  for (int i = 0; i < c->ndefines; i++)
    if (strcmp(c->defines[i].name, name) == 0)
      return &c->defines[i];
  return NULL;
}

static void check_const(Checker *c, Scope *s, const Node *st) {
  double v;
  bool is_int;
  Define *d = s == c->top ? find_define(c, st->name) : NULL;
  if (d) {
    d->used = true;
    v = d->value;
    is_int = d->is_int;
  } else if (!check_const_value(c, s, st->lhs, &v, &is_int,
                                arena_printf("constant '%s'", st->name))) {
    check_poison(c, s, SYM_CONST, st);
    return;
  }
  Sym *sym = check_declare(c, s, SYM_CONST, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->value = (Value){.kind = VAL_NUM, .num = v, .is_int = is_int};
  if (s == c->top)
    symlist_push(&c->m->consts, sym);
}

static void check_plain_eq(Checker *c, Scope *s, const Node *st,
                           NodeList *out) {
  check_name_calls(c, s, st->name, st->lhs, NULL);
  Node *v = check_expr(c, s, st->lhs);
  if (is_error(v)) {
    check_poison(c, s, SYM_TENSOR, st);
    return;
  }
  if (is_const(v)) {
    check_error(c, st->loc, "'%s' is a number; write 'const %s = ...' for a "
                "constant", st->name, st->name);
    check_poison(c, s, SYM_TENSOR, st);
    return;
  }
  Sym *sym = check_declare(c, s, SYM_TENSOR, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = *v->ty;
  Node *n = check_typed(st, ND_EQ, *v->ty);
  n->sym = sym;
  n->lhs = v;
  list_push(out, n);
}

static void check_stmt(Checker *c, Scope *s, const Node *st, NodeList *out);

void check_stmts(Checker *c, Scope *s, const NodeList *stmts,
                 NodeList *out) {
  check_declare_states(c, s, stmts);
  for (int i = 0; i < stmts->n && !diag_too_many(); i++)
    check_stmt(c, s, stmts->v[i], out);
}

/* ---- the top level ----------------------------------------------------- */

static void check_model_name(Checker *c, const Node *st) {
  if (c->model_stmt) {
    check_error(c, st->loc, "the model is already named '%s'", c->m->name);
    check_note(c, c->model_stmt->loc, "named here");
    return;
  }
  c->model_stmt = st;
  c->m->name = st->name;
}

static void check_io(Checker *c, const Node *st) {
  Type t;
  SymKind kind = st->kind == ND_INPUT ? SYM_INPUT : SYM_TARGET;
  if (!check_type(c, c->top, st->type, false, &t)) {
    check_poison(c, c->top, kind, st);
    return;
  }
  if (st->kind == ND_INPUT && t.elem == EL_CLASS) {
    check_error(c, st->type->loc, "an input cannot be class labels; use "
                "onehot[...] for one-hot vectors");
    check_poison(c, c->top, kind, st);
    return;
  }
  Sym *sym = check_declare(c, c->top, kind, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = t;
  symlist_push(kind == SYM_INPUT ? &c->m->inputs : &c->m->targets, sym);
}

static void check_loss(Checker *c, const Node *st) {
  if (c->m->loss) {
    check_error(c, st->loc, "the model already has a loss; add the terms in "
                "one statement: loss a + b");
    return;
  }
  check_name_calls(c, c->top, "loss", st->lhs, NULL);
  Node *v = check_expr(c, c->top, st->lhs);
  if (is_error(v))
    return;
  if (is_const(v)) {
    check_error(c, st->lhs->loc, "the loss is a constant; it must depend on "
                "the model");
    return;
  }
  if (v->ty->ndim != 0) {
    check_error(c, st->lhs->loc, "the loss must be a scalar, got %s",
                type_str(v->ty));
    check_note(c, st->lhs->loc, "use a loss function such as "
               "cross_entropy(...) or reduce with sum(...) or mean(...)");
    return;
  }
  c->m->loss = v;
  c->m->loss_per_example = !v->ty->reduced;
}

static void check_train(Checker *c, const Node *st) {
  static const CallSpec train_spec = {"train", NULL, train_opts, NULL};
  if (c->m->train) {
    check_error(c, st->loc, "the model already has a train block");
    return;
  }
  CallValue *cv = check_new_call_value(&train_spec);
  NodeList args = {0};
  for (int i = 0; i < st->list.n; i++) {
    const Node *o = st->list.v[i];
    if (strcmp(o->name, "data") == 0) {
      check_error(c, o->loc, "the data source is a statement of its own: write "
                  "'data %s(...)' outside the train block", o->lhs->name);
      continue;
    }
    Node *a = ast_arg(o->name, o->lhs, o->loc);
    a->name_loc = o->name_loc;
    list_push(&args, a);
  }
  check_fill_options(c, c->top, &args, 0, "the train block", train_opts, cv,
                     st->loc);
  c->m->train = cv;
}

static void check_stmt(Checker *c, Scope *s, const Node *st, NodeList *out) {
  switch (st->kind) {
  case ND_MODEL: check_model_name(c, st); return;
  case ND_CONST: check_const(c, s, st); return;
  case ND_DATA: check_data(c, st); return;
  case ND_INPUT:
  case ND_TARGET: check_io(c, st); return;
  case ND_PARAM: check_param(c, s, st, out); return;
  case ND_EQ:
    if (st->var)
      check_step_eq(c, s, st, out);
    else
      check_plain_eq(c, s, st, out);
    return;
  case ND_LOSS: check_loss(c, st); return;
  case ND_TRAIN: check_train(c, st); return;
  case ND_LAYER: return;     /* instantiated where called */
  default:
    DIE("check_stmt: unexpected %s", ast_kind_name(st->kind));
  }
}
