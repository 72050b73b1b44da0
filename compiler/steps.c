/* compiler/steps.c — the fewest steps each example must have, for the
 * fixed steps a model reads of its sequences of varying length.
 *
 * h[3] is the fourth step of every example, and h[-5] the fifth from
 * each one's own end: an example shorter than that has no such step.
 * All the sequences of varying length in a model have each example's
 * one length (netrt.h), the inputs' and everything computed from them,
 * so the model needs every example to be as long as its largest such
 * read: i + 1 steps for h[i], i steps for h[-i].  Reads of the step t
 * (x[t], h[t-1]) are within every length, and ranges cannot index these
 * sequences (check_expr.c).
 *
 * Where the data source declares the lengths it draws (index_recall and
 * binary_add: lengths = a .. b), a read that needs more than a steps is
 * an error at its index.  Otherwise the model keeps the minimum
 * (Model.min_steps) for the code it compiles to: the runtime and the
 * interpreter refuse a shorter example.
 *
 * Input: a checked Model without errors, and its parsed file (for the
 * data statement's place).  Output: m->min_steps, and errors.
 */
#include <config.h>

#include "steps.h"

#include <string.h>

/* The layer calls walked into, innermost first. */
typedef struct Calls {
  const Node *call;
  const struct Calls *outer;
} Calls;

typedef struct Walk {
  Model *m;
  const Value *lengths;    /* the data source's, or NULL */
  const Node *data;        /* the data statement, for the note */
  const Calls *calls;
} Walk;

static void walk_expr(Walk *w, const Node *e);

/* The steps an example needs for index e to exist: 0 when e reads no
 * fixed step of a sequence of varying length. */
static int64_t steps_needed(const Node *e) {
  if (e->list.n == 0 || !e->lhs->ty || !e->lhs->ty->varlen)
    return 0;
  const Node *first = e->list.v[0];
  if (first->kind != ND_NUM)       /* the step t or t-1 */
    return 0;
  int64_t i = (int64_t)first->num;
  return i >= 0 ? i + 1 : -i;
}

/* Where the data source's shortest length comes from. */
static void note_lengths(const Walk *w) {
  const Node *call = w->data->lhs;
  for (int i = 0; i < call->list.n; i++) {
    const Node *a = call->list.v[i];
    if (a->name && strcmp(a->name, "lengths") == 0) {
      diag_note(a->loc, "the lengths are given here");
      return;
    }
  }
  diag_note(call->loc, "%s draws sequences of %.0f to %.0f steps",
            call->name, w->lengths->lo, w->lengths->hi);
}

static void too_short(const Walk *w, const Node *e, int64_t need) {
  diag_error(e->loc, "'%s' needs sequences of at least %lld steps, but "
             "%s's can be as short as %.0f", ast_expr_string(e),
             (long long)need, w->data->lhs->name, w->lengths->lo);
  for (const Calls *c = w->calls; c; c = c->outer)
    diag_note(c->call->loc, "in %s, called here", c->call->inst->layer);
  note_lengths(w);
}

static void walk_index(Walk *w, const Node *e) {
  int64_t need = steps_needed(e);
  if (need > w->m->min_steps)
    w->m->min_steps = need;
  if (w->lengths && (double)need > w->lengths->lo)
    too_short(w, e, need);
}

static void walk_body(Walk *w, const NodeList *body) {
  for (int i = 0; i < body->n; i++) {
    const Node *st = body->v[i];
    if (st->kind != ND_EQ)
      continue;
    walk_expr(w, st->lhs);
    walk_expr(w, st->rhs);         /* the initial state */
  }
}

static void walk_instance(Walk *w, const Node *call) {
  const Instance *inst = call->inst;
  for (int i = 0; i < inst->args.n; i++)
    walk_expr(w, inst->args.v[i]->lhs);
  Calls in = {call, w->calls};
  w->calls = &in;
  walk_body(w, &inst->body);
  walk_expr(w, inst->result);
  w->calls = in.outer;
}

static void walk_expr(Walk *w, const Node *e) {
  if (!e)
    return;
  if (e->inst) {
    walk_instance(w, e);
    return;
  }
  if (e->kind == ND_INDEX)
    walk_index(w, e);
  walk_expr(w, e->lhs);
  walk_expr(w, e->rhs);
  for (int i = 0; i < e->list.n; i++)
    walk_expr(w, e->list.v[i]);
}

static const Node *data_statement(const Node *file) {
  for (int i = 0; i < file->list.n; i++)
    if (file->list.v[i]->kind == ND_DATA)
      return file->list.v[i];
  return NULL;
}

void steps_check(Model *m, const Node *file) {
  Walk w = {.m = m};
  w.data = data_statement(file);
  if (m->data && w.data)
    w.lengths = call_value(m->data, "lengths");
  m->min_steps = 1;
  walk_body(&w, &m->body);
  walk_expr(&w, m->loss);
}
