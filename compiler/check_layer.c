/* compiler/check_layer.c — calls of layers.
 *
 * Input: a call of a layer of the file or of the prelude.
 * Output: an ND_CALL with its Instance: the arguments bound (tensors,
 * dimension variables, constants), a typed copy of the layer's body and
 * result, and the instance's path ("h.dense1") that check_name_calls() gives
 * each layer call of a statement.
 */
#include <config.h>

#include <string.h>

#include "arena.h"
#include "check_internal.h"

/* ---- layers ------------------------------------------------------------ */

/* Binds the dimensions of a layer parameter's type to an argument's type:
 * a name not yet bound in the layer becomes a dimension variable. */
static bool bind_dims(Checker *c, Scope *ls, const Node *lp, const Node *arg,
                      const char *layer) {
  const Node *ty = lp->type;
  const Type *at = arg->ty;
  bool elem_ok = strcmp(ty->name, "float") == 0 ? at->elem != EL_CLASS
                 : strcmp(ty->name, elem_name(at->elem)) == 0;
  if (!elem_ok || ty->list.n != at->ndim) {
    check_error(c, arg->loc, "argument '%s' of %s must be %s, got %s", lp->name,
                layer, ast_expr_string(ty), type_str(at));
    check_note(c, lp->loc, "'%s' is declared here", lp->name);
    return false;
  }
  for (int i = 0; i < ty->list.n; i++) {
    const Node *d = ty->list.v[i]->lhs;
    bool varlen = i == 0 && at->varlen;
    if (d->kind == ND_NAME && !check_scope_find_local(ls, d->name)) {
      Sym *sym = check_declare(c, ls, SYM_CONST, lp, d->name, d->loc);
      if (!sym)
        return false;
      sym->value = (Value){.kind = VAL_NUM, .num = (double)at->dims[i],
                           .is_int = true};
      sym->dim_varlen = varlen;
      continue;
    }
    int64_t want;
    if (!check_const_int(c, ls, d, &want, "a dimension"))
      return false;
    if (want != at->dims[i] || varlen) {
      check_error(c, arg->loc, "argument '%s' of %s must be %s, got %s",
                  lp->name, layer, ast_expr_string(ty), type_str(at));
      check_note(c, d->loc, "dimension %d must be %lld", i + 1,
                 (long long)want);
      return false;
    }
  }
  return true;
}

static const Node *find_arg(const Node *call, const Node *layer, int k,
                            bool *bad) {
  const Node *lp = layer->list.v[k];
  int pos = 0;
  for (int i = 0; i < call->list.n; i++) {
    const Node *a = call->list.v[i];
    if (a->name) {
      if (strcmp(a->name, lp->name) == 0)
        return a;
      continue;
    }
    if (pos++ == k)
      return a;
  }
  (void)bad;
  return NULL;
}

static bool check_call_shape(Checker *c, const Node *call,
                             const Node *layer) {
  int npos = 0;
  bool ok = true;
  for (int i = 0; i < call->list.n; i++) {
    const Node *a = call->list.v[i];
    if (!a->name) {
      npos++;
      continue;
    }
    int k = -1;
    for (int j = 0; j < layer->list.n; j++)
      if (strcmp(layer->list.v[j]->name, a->name) == 0)
        k = j;
    if (k < 0) {
      check_error(c, a->name_loc, "layer %s has no parameter '%s'", layer->name,
                  a->name);
      check_note(c, layer->name_loc, "%s is defined here", layer->name);
      ok = false;
    } else if (k < npos) {
      check_error(c, a->name_loc, "'%s' is given twice", a->name);
      ok = false;
    }
  }
  if (npos > layer->list.n) {
    check_error(c, call->loc, "%s takes %d argument%s, got %d", layer->name,
                layer->list.n, layer->list.n == 1 ? "" : "s", npos);
    check_note(c, layer->name_loc, "%s is defined here", layer->name);
    ok = false;
  }
  return ok;
}

/* Binds one layer parameter: a tensor, or a constant (given or default). */
static bool bind_arg(Checker *c, Scope *caller, Scope *ls, const Node *call,
                     const Node *layer, int k, Instance *inst) {
  const Node *lp = layer->list.v[k];
  bool bad = false;
  const Node *a = find_arg(call, layer, k, &bad);
  Node *bound = ast_new(ND_ARG, a ? a->loc : call->loc);
  bound->name = lp->name;
  if (!a && !lp->lhs) {
    check_error(c, call->loc, "missing argument '%s' in call to %s", lp->name,
                layer->name);
    check_note(c, lp->loc, "'%s' is declared here", lp->name);
    return false;
  }
  Node *v = a ? check_expr(c, caller, a->lhs) : check_expr(c, ls, lp->lhs);
  if (is_error(v) || is_unknown(v))
    return false;
  bound->lhs = v;
  list_push(&inst->args, bound);
  if (lp->type) {
    if (is_const(v) || v->ty->reduced) {
      check_error(c, v->loc, "argument '%s' of %s must be a tensor of type %s",
                  lp->name, layer->name, ast_expr_string(lp->type));
      return false;
    }
    if (!bind_dims(c, ls, lp, v, layer->name))
      return false;
    Sym *sym = check_declare(c, ls, SYM_ARG, lp, lp->name, lp->name_loc);
    if (!sym)
      return false;
    sym->ty = *v->ty;
    bound->sym = sym;
    return true;
  }
  if (!is_const(v)) {
    check_error(c, v->loc, "argument '%s' of %s must be a constant, got %s",
                lp->name, layer->name, type_str(v->ty));
    check_note(c, lp->loc, "'%s' has no type, so it is a constant; write "
               "'%s : TYPE' for a tensor", lp->name, lp->name);
    return false;
  }
  Sym *sym = check_declare(c, ls, SYM_CONST, lp, lp->name, lp->name_loc);
  if (!sym)
    return false;
  sym->value = (Value){.kind = VAL_NUM, .num = v->num, .is_int = v->is_int};
  return true;
}

static const char *call_path(const Checker *c, const Scope *s,
                             const Node *call) {
  for (int i = 0; i < c->nnames; i++)
    if (c->names[i].call == call)
      return c->names[i].path;
  return arena_printf("%s%s", s->path, call->name);
}

static Node *instantiate(Checker *c, Scope *s, const Node *e,
                         const Node *layer, Instance *inst) {
  Scope *ls = arena_new(Scope);
  ls->parent = c->top;
  ls->path = arena_printf("%s.", inst->path);
  ls->layer = layer->name;
  ls->stmts = &layer->body;
  for (int k = 0; k < layer->list.n; k++)
    if (!bind_arg(c, s, ls, e, layer, k, inst))
      return check_failed(c, e);
  StepCtx saved_step = c->step;
  CallName *saved_names = c->names;
  int saved_nnames = c->nnames;
  c->step = (StepCtx){0};
  c->layer_stack[c->nlayer_stack++] = layer;
  int errors = diag_error_count();
  check_stmts(c, ls, &layer->body, &inst->body);
  check_name_calls(c, ls, NULL, layer->lhs, NULL);
  Node *result = check_expr(c, ls, layer->lhs);
  if (diag_error_count() > errors)
    check_note(c, e->loc, "in %s, called here", layer->name);
  c->nlayer_stack--;
  c->step = saved_step;
  c->names = saved_names;
  c->nnames = saved_nnames;
  if (is_error(result) || is_unknown(result))
    return check_failed(c, e);
  if (is_const(result)) {
    check_error(c, layer->lhs->loc, "layer %s returns a number; a layer "
                "returns a tensor", layer->name);
    return check_failed(c, e);
  }
  inst->result = result;
  Node *n = check_typed(e, ND_CALL, *result->ty);
  n->inst = inst;
  return n;
}

Node *check_layer_call(Checker *c, Scope *s, const Node *e,
                       const Node *layer) {
  for (int i = 0; i < c->nlayer_stack; i++)
    if (c->layer_stack[i] == layer) {
      check_error(c, e->loc, "layer %s calls itself; layers cannot be "
                  "recursive", layer->name);
      return check_failed(c, e);
    }
  if (c->nlayer_stack == MAX_LAYER_DEPTH) {
    check_error(c, e->loc, "layers are nested more than %d deep",
                MAX_LAYER_DEPTH);
    return check_failed(c, e);
  }
  if (!check_call_shape(c, e, layer))
    return check_failed(c, e);
  if (++c->ninstances > MAX_INSTANCES) {
    if (c->ninstances == MAX_INSTANCES + 1)
      diag_error(e->loc, "the model instantiates layers more than %d times; "
                 "it is too large or too deeply nested", MAX_INSTANCES);
    return check_failed(c, e);
  }
  Instance *inst = arena_new(Instance);
  inst->layer = layer->name;
  inst->decl = layer;
  inst->path = call_path(c, s, e);
  return instantiate(c, s, e, layer, inst);
}

/* Names the layer calls of one statement: alone in `h = lstm(x, 8)` the
 * call is "h"; several are "h.dense1", "h.dense2", "h.lstm" (numbered
 * when a layer is called more than once), in the order they are written. */
static void collect_calls(const Checker *c, const Node *e, NodeList *out) {
  if (!e)
    return;
  if (e->kind == ND_CALL && check_layer_find(c, e->name))
    list_push(out, (Node *)e);
  if (e->lhs)
    collect_calls(c, e->lhs, out);
  if (e->rhs)
    collect_calls(c, e->rhs, out);
  for (int i = 0; i < e->list.n; i++)
    collect_calls(c, e->list.v[i], out);
}

void check_name_calls(Checker *c, const Scope *s, const char *stmt_name,
                      const Node *e, const Node *e2) {
  NodeList calls = {0};
  collect_calls(c, e, &calls);
  collect_calls(c, e2, &calls);
  c->names = arena_array(CallName, calls.n + 1);
  c->nnames = calls.n;
  size_t plen = strlen(s->path);
  const char *prefix = stmt_name ? arena_printf("%s%s", s->path, stmt_name)
                                 : arena_strndup(s->path, plen ? plen - 1 : 0);
  for (int i = 0; i < calls.n; i++) {
    const char *layer = calls.v[i]->name;
    int same = 0, nth = 0;
    for (int j = 0; j < calls.n; j++)
      if (strcmp(calls.v[j]->name, layer) == 0) {
        same++;
        if (j <= i)
          nth++;
      }
    const char *sep = *prefix ? "." : "";
    c->names[i].call = calls.v[i];
    if (stmt_name && calls.n == 1)
      c->names[i].path = prefix;
    else if (same == 1)
      c->names[i].path = arena_printf("%s%s%s", prefix, sep, layer);
    else
      c->names[i].path = arena_printf("%s%s%s%d", prefix, sep, layer, nth);
  }
}
