/* compiler/check_recur.c — step equations: h[t] = ... with h[-1] = ...
 *
 * Input: the step equations of a scope (ND_EQ with a step variable).
 * Output: each sequence's Sym with the type of one step and of the whole
 * sequence, and its typed equation with its initial state.
 *
 * Recurrences need one trick.  In an LSTM, i[t] reads h[t-1] before h's
 * own equation says what shape h has.  When a step equation reads a state
 * whose shape is not known yet, the checker infers it ahead of time: it
 * checks the state's equation speculatively (no diagnostics, nothing
 * recorded), treating states still being inferred as wildcards of unknown
 * shape.  The real check of every equation happens later, in order.
 */
#include <config.h>

#include <string.h>

#include "check_internal.h"

/* The initial state: written exactly `with h[-1] = value`. */
static Node *check_initial(Checker *c, Scope *s, const Node *st) {
  const Node *w = st->with;
  bool form = w->kind == ND_INDEX && w->lhs->kind == ND_NAME &&
              strcmp(w->lhs->name, st->name) == 0 && w->list.n == 1 &&
              w->list.v[0]->kind == ND_NEG &&
              w->list.v[0]->lhs->kind == ND_NUM && w->list.v[0]->lhs->num == 1;
  if (!form) {
    check_error(c, w->loc, "the initial state of '%s' is written "
                "'with %s[-1] = VALUE'", st->name, st->name);
    return NULL;
  }
  StepCtx saved = c->step;
  c->step = (StepCtx){0};
  Node *v = check_expr(c, s, st->rhs);
  c->step = saved;
  if (is_error(v) || is_unknown(v))
    return NULL;
  if (!is_const(v) && (v->ty->varlen || v->ty->reduced)) {
    check_error(c, st->rhs->loc, "the initial state must be a number or a "
                "tensor of one step's shape, got %s", type_str(v->ty));
    return NULL;
  }
  return v;
}

/* Checks a step equation's right-hand side; fills the sequence length
 * found in c->step.  Used both to infer and to check. */
static Node *check_step_rhs(Checker *c, Scope *s, const Node *st, Sym *seq) {
  StepCtx saved = c->step;
  c->step = (StepCtx){.var = st->var, .seq = seq};
  Node *v = check_expr(c, s, st->lhs);
  StepCtx found = c->step;
  c->step = saved;
  c->step.have_len = found.have_len;   /* handed back to the caller */
  c->step.len = found.len;
  c->step.varlen = found.varlen;
  return v;
}

/* Guesses the step type of a state ahead of its equation (see the comment
 * at the top of this file). */
static bool infer_seq(Checker *c, Scope *s, Sym *seq) {
  const Node *st = seq->decl;
  StepCtx saved = c->step;
  CallName *saved_names = c->names;
  int saved_nnames = c->nnames;
  c->speculative++;
  Type step = type_unknown();
  if (st->with && st->rhs) {
    Node *init = check_expr(c, s, st->rhs);
    if (!is_error(init) && !is_const(init) && !is_unknown(init))
      step = *init->ty;
  }
  Node *v = check_step_rhs(c, s, st, seq);
  if (step.unknown && !is_error(v) && !is_unknown(v) && !is_const(v))
    step = *v->ty;
  bool have_len = c->step.have_len;
  Type seq_ty = have_len ? type_prepend(&step, c->step.len, c->step.varlen)
                         : type_unknown();
  c->speculative--;
  c->step = saved;
  c->names = saved_names;
  c->nnames = saved_nnames;
  if (step.unknown)
    return false;
  step.elem = EL_FLOAT;
  step.reduced = false;
  seq->step = step;
  seq->ty = seq_ty;
  if (!have_len)
    seq->ty.unknown = true;
  seq->state = SEQ_INFERRED;
  return true;
}

/* Whether a sequence needs no more inference: checked, or inferred with
 * its length.  Nothing makes one unsettled again. */
static bool settled(const Sym *seq) {
  return seq->state == SEQ_DONE ||
         (seq->state == SEQ_INFERRED && !seq->ty.unknown);
}

static void drop_settled(SymList *l) {
  int kept = 0;
  for (int i = 0; i < l->n; i++)
    if (!settled(l->v[i]))
      l->v[kept++] = l->v[i];
  l->n = kept;
}

/* Infers what it can of the scope's sequences, in the order declared,
 * until a round changes nothing.  Each step equation calls it, so it
 * goes over the sequences still unsettled only, not the whole scope. */
static void infer_states(Checker *c, Scope *s) {
  SymList *u = &s->unsettled;
  for (int round = 0; round <= s->syms.n; round++) {
    drop_settled(u);
    bool changed = false;
    for (int i = 0; i < u->n; i++) {
      Sym *sym = u->v[i];
      if (sym->state == SEQ_UNCHECKED) {
        changed |= infer_seq(c, s, sym);
      } else if (sym->state == SEQ_INFERRED && sym->ty.unknown) {
        sym->state = SEQ_UNCHECKED;
        changed |= infer_seq(c, s, sym) && !sym->ty.unknown;
      }
    }
    if (!changed)
      break;
  }
}

void check_step_eq(Checker *c, Scope *s, const Node *st,
                   NodeList *out) {
  Sym *seq = check_scope_find_local(s, st->name);
  if (!seq || seq->kind != SYM_SEQ || seq->decl != st)
    return;    /* a duplicate name, reported when declared */
  infer_states(c, s);
  int errors = diag_error_count();
  Node *init = st->with ? check_initial(c, s, st) : NULL;
  check_name_calls(c, s, st->name, st->lhs, NULL);
  c->uninferred = NULL;
  Node *v = check_step_rhs(c, s, st, seq);
  if (c->uninferred && diag_error_count() == errors) {
    Sym *u = c->uninferred;
    check_error(c, c->uninferred_at->loc, "cannot infer the shape of one "
                "step of '%s'", u->name);
    check_note(c, u->decl->loc, "give the initial state a shape, for instance "
               "a parameter: with %s[-1] = %s0", u->name, u->name);
  }
  c->uninferred = NULL;
  bool have_len = c->step.have_len;
  int64_t len = c->step.len;
  bool varlen = c->step.varlen;
  c->step.have_len = false;
  seq->state = SEQ_DONE;
  seq->ty = type_unknown();
  seq->poisoned = true;    /* until it passes every check below */
  if (is_error(v) || (st->with && !init))
    return;
  if (is_const(v) || v->ty->reduced) {
    check_error(c, st->lhs->loc, "each step of '%s' must be a tensor, got %s",
                st->name, is_const(v) ? "a number" : "a loss");
    return;
  }
  if (!have_len) {
    check_error(c, st->name_loc, "cannot tell how many steps '%s' has: read a "
                "sequence at step %s, as in x[%s]", st->name, st->var, st->var);
    return;
  }
  Type step = *v->ty;
  step.elem = EL_FLOAT;
  if (init && !is_const(init) && !type_same_shape(init->ty, &step)) {
    check_error(c, st->rhs->loc, "the initial state is %s, but each step of "
                "'%s' is %s", type_str(init->ty), st->name, type_str(&step));
    return;
  }
  seq->step = step;
  seq->ty = type_prepend(&step, len, varlen);
  seq->poisoned = false;
  Node *n = check_typed(st, ND_EQ, seq->ty);
  n->var = st->var;
  n->sym = seq;
  n->lhs = v;
  n->rhs = init;
  list_push(out, n);
}

void check_declare_states(Checker *c, Scope *s, const NodeList *stmts) {
  for (int i = 0; i < stmts->n; i++) {
    const Node *st = stmts->v[i];
    if (st->kind != ND_EQ || !st->var)
      continue;
    Sym *sym = check_declare(c, s, SYM_SEQ, st, st->name, st->name_loc);
    if (sym)
      sym->recurrent = st->with != NULL;
  }
}
