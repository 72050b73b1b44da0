/* compiler/check.c — name resolution, layer instantiation and shapes.
 *
 * Input: the parsed file and the parsed prelude (never modified).
 * Output: a Model (model.h) of typed copies; errors via diag_error().
 *
 * Recurrences need one trick.  In an LSTM, i[t] reads h[t-1] before h's
 * own equation says what shape h has.  When a step equation reads a state
 * whose shape is not known yet, the checker infers it ahead of time: it
 * checks the state's equation speculatively (no diagnostics, nothing
 * recorded), treating states still being inferred as wildcards of unknown
 * shape.  The real check of every equation happens later, in order.
 */
#include <config.h>

#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "names.h"

enum {
  MAX_LAYER_DEPTH = 32,
  /* Instances checked in all, speculative ones included: inferring a
   * recurrence re-checks the layers it calls, so a pathological nesting of
   * recurrent layers could otherwise take exponential time. */
  MAX_INSTANCES = 20000,
};

typedef struct Scope {
  struct Scope *parent;    /* layers: the top level, for constants only */
  SymList syms;            /* in the order declared */
  NameTable names;         /* the same, by name */
  SymList unsettled;       /* its sequences still to infer (infer_states) */
  const char *path;        /* prefix of full names: "" or "h." */
  const char *layer;       /* the layer being instantiated, or NULL */
  const NodeList *stmts;   /* its statements, for "defined later" notes */
} Scope;

/* How the layer calls of one statement are named (see name_calls). */
typedef struct CallName {
  const Node *call;
  const char *path;
} CallName;

typedef struct StepCtx {
  const char *var;         /* the step variable, NULL outside steps */
  Sym *seq;                /* the sequence being defined */
  bool have_len;
  int64_t len;             /* the number of steps found so far */
  bool varlen;
  const Node *len_from;    /* where the length was found */
} StepCtx;

typedef struct Checker {
  Model *m;
  Scope *top;
  const Node *file;
  NodeList layers;         /* ND_LAYER, the file's first */
  NameTable layer_names;   /* the same, by name */
  Define *defines;
  int ndefines;
  int speculative;         /* > 0: inferring, so silent and unrecorded */
  const Node *layer_stack[MAX_LAYER_DEPTH];
  int nlayer_stack;
  StepCtx step;
  CallName *names;         /* naming of the current statement's calls */
  int nnames;
  const Node *model_stmt;
  int ninstances;
  Sym *uninferred;         /* a state read at t-1 whose shape is unknown */
  const Node *uninferred_at;
} Checker;

static Node *check_expr(Checker *c, Scope *s, const Node *e);
static void check_stmts(Checker *c, Scope *s, const NodeList *stmts,
                        NodeList *out);

/* ---- diagnostics ---------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void error(Checker *c, SrcLoc at, const char *fmt, ...) {
  if (c->speculative)
    return;
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_ERROR, at, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void note(Checker *c, SrcLoc at, const char *fmt, ...) {
  if (c->speculative)
    return;
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_NOTE, at, fmt, ap);
  va_end(ap);
}

static Node *typed(const Node *from, NodeKind kind, Type ty) {
  Node *n = ast_new(kind, from->loc);
  n->name_loc = from->name_loc;
  n->name = from->name;
  n->ty = arena_new(Type);
  *n->ty = ty;
  return n;
}

/* The result of a failed check: an error node that later checks pass
 * over quietly, or, while inferring, a wildcard. */
static Node *failed(Checker *c, const Node *at) {
  if (c->speculative)
    return typed(at, ND_NAME, type_unknown());
  Node *n = ast_error(at->loc);
  return n;
}

static bool is_error(const Node *n) { return n->kind == ND_ERROR; }
static bool is_unknown(const Node *n) { return n->ty && n->ty->unknown; }
static bool is_const(const Node *n) { return n->kind == ND_NUM; }

static Node *const_num(const Node *at, double v, bool is_int) {
  Node *n = typed(at, ND_NUM, type_scalar());
  n->num = v;
  n->is_int = is_int;
  return n;
}

/* ---- names ------------------------------------------------------------ */

void symlist_push(SymList *l, Sym *s) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 8;
    Sym **v = arena_array(Sym *, cap);
    if (l->n)
      memcpy(v, l->v, sizeof(Sym *) * (size_t)l->n);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = s;
}

static Sym *scope_find_local(const Scope *s, const char *name) {
  return names_get(&s->names, name);
}

static void scope_add(Scope *s, Sym *sym) {
  symlist_push(&s->syms, sym);
  names_put(&s->names, sym->name, sym);
  if (sym->kind == SYM_SEQ)
    symlist_push(&s->unsettled, sym);
}

static const Node *layer_find(const Checker *c, const char *name) {
  return names_get(&c->layer_names, name);
}

static const char *kind_word(SymKind k) {
  switch (k) {
  case SYM_CONST: return "constant";
  case SYM_INPUT: return "input";
  case SYM_TARGET: return "target";
  case SYM_PARAM: return "parameter";
  case SYM_TENSOR: return "tensor";
  case SYM_SEQ: return "sequence";
  case SYM_ARG: return "argument";
  }
  return "name";
}

static Sym *declare(Checker *c, Scope *s, SymKind kind, const Node *decl,
                    const char *name, SrcLoc at) {
  Sym *old = scope_find_local(s, name);
  if (old) {
    error(c, at, "'%s' is already defined", name);
    note(c, old->decl->name_loc, "the %s '%s' is defined here",
         kind_word(old->kind), name);
    return NULL;
  }
  if (layer_find(c, name) || builtin_find(name)) {
    error(c, at, "'%s' is the name of a %s; choose another name", name,
          builtin_find(name) ? "builtin function" : "layer");
    return NULL;
  }
  Sym *sym = arena_new(Sym);
  sym->kind = kind;
  sym->name = name;
  sym->full = arena_printf("%s%s", s->path, name);
  sym->decl = decl;
  sym->scope = s;
  scope_add(s, sym);
  return sym;
}

/* Declares a name whose definition failed, so that its uses do not
 * report the same problem again as unknown names. */
static void poison(Checker *c, Scope *s, SymKind kind, const Node *decl) {
  if (c->speculative || !decl->name || scope_find_local(s, decl->name))
    return;
  Sym *sym = arena_new(Sym);
  sym->kind = kind;
  sym->name = decl->name;
  sym->full = arena_printf("%s%s", s->path, decl->name);
  sym->decl = decl;
  sym->scope = s;
  sym->poisoned = true;
  sym->ty = type_unknown();
  scope_add(s, sym);
}

/* Edit distance, for "did you mean" hints on misspelled names. */
static int distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 40 || lb > 40)
    return 99;
  int d[41][41];
  for (int i = 0; i <= la; i++)
    d[i][0] = i;
  for (int j = 0; j <= lb; j++)
    d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

static void consider(const char *name, const char *cand, const char **best,
                     int *best_d) {
  int d = distance(name, cand);
  if (d < *best_d && d <= 2 && 2 * d < (int)strlen(name)) {
    *best = cand;
    *best_d = d;
  }
}

static const char *suggest(const Checker *c, const Scope *s,
                           const char *name) {
  const char *best = NULL;
  int best_d = 3;
  for (const Scope *sc = s; sc; sc = sc->parent)
    for (int i = 0; i < sc->syms.n; i++)
      consider(name, sc->syms.v[i]->name, &best, &best_d);
  for (int i = 0; i < c->layers.n; i++)
    consider(name, c->layers.v[i]->name, &best, &best_d);
  for (const Builtin *b = builtins; b->name; b++)
    consider(name, b->name, &best, &best_d);
  return best;
}

/* A statement of this scope that defines `name` further down, if any. */
static const Node *defined_later(const Scope *s, const char *name) {
  if (!s->stmts)
    return NULL;
  for (int i = 0; i < s->stmts->n; i++) {
    const Node *st = s->stmts->v[i];
    if ((st->kind == ND_EQ || st->kind == ND_PARAM || st->kind == ND_CONST ||
         st->kind == ND_INPUT || st->kind == ND_TARGET) &&
        st->name && strcmp(st->name, name) == 0)
      return st;
  }
  return NULL;
}

static void report_unknown(Checker *c, const Scope *s, const Node *e) {
  const Node *later = defined_later(s, e->name);
  if (later) {
    error(c, e->loc, "'%s' is used before it is defined", e->name);
    note(c, later->name_loc, "'%s' is defined here", e->name);
    return;
  }
  if (s->layer) {
    Sym *outer = s->parent ? scope_find_local(s->parent, e->name) : NULL;
    if (outer) {
      error(c, e->loc, "'%s' is not visible inside layer '%s'", e->name,
            s->layer);
      note(c, outer->decl->name_loc,
           "layers see their arguments, their own definitions and "
           "constants; pass '%s' as an argument", e->name);
      return;
    }
  }
  const char *hint = suggest(c, s, e->name);
  if (hint)
    error(c, e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
  else
    error(c, e->loc, "unknown name '%s'", e->name);
}

/* Looks a name up: the scope, then, from a layer, the top level's
 * constants.  Tensors of the top level are not visible in layers. */
static Sym *lookup(const Scope *s, const char *name) {
  Sym *sym = scope_find_local(s, name);
  if (sym)
    return sym;
  if (s->parent) {
    sym = scope_find_local(s->parent, name);
    if (sym && sym->kind == SYM_CONST)
      return sym;
  }
  return NULL;
}

/* ---- constants -------------------------------------------------------- */

static bool const_value(Checker *c, Scope *s, const Node *e, double *v,
                        bool *is_int, const char *what) {
  Node *r = check_expr(c, s, e);
  if (is_error(r) || is_unknown(r))
    return false;
  if (!is_const(r)) {
    error(c, e->loc, "%s must be a number, not a tensor (%s)", what,
          type_str(r->ty));
    return false;
  }
  *v = r->num;
  *is_int = r->is_int;
  return true;
}

static bool const_int(Checker *c, Scope *s, const Node *e, int64_t *out,
                      const char *what) {
  double v;
  bool is_int;
  if (!const_value(c, s, e, &v, &is_int, what))
    return false;
  if (v != floor(v) || fabs(v) > 9007199254740992.0) {
    error(c, e->loc, "%s must be an integer, got %g", what, v);
    return false;
  }
  *out = (int64_t)v;
  return true;
}

static bool check_range_value(Checker *c, const Node *at, const OptSpec *o,
                              double v) {
  switch (o->check) {
  case CK_ANY: return true;
  case CK_POS:
    if (v > 0)
      return true;
    error(c, at->loc, "'%s' must be positive, got %g", o->name, v);
    return false;
  case CK_NONNEG:
    if (v >= 0)
      return true;
    error(c, at->loc, "'%s' must not be negative, got %g", o->name, v);
    return false;
  case CK_UNIT:
    if (v >= 0 && v <= 1)
      return true;
    error(c, at->loc, "'%s' must be between 0 and 1, got %g", o->name, v);
    return false;
  case CK_UNIT_OPEN:
    if (v >= 0 && v < 1)
      return true;
    error(c, at->loc, "'%s' must be at least 0 and below 1, got %g",
          o->name, v);
    return false;
  }
  return true;
}

/* An integer option within its bound (OptSpec.max), so that every use
 * of it, in the generated code and the runtime, can take it as it is. */
static bool check_bound(Checker *c, const Node *at, const OptSpec *o,
                        double v) {
  if (fabs(v) <= o->max)
    return true;
  /* every digit of an integer, up to where %g is shorter */
  const char *got = arena_printf(fabs(v) < 1e17 ? "%.0f" : "%g", v);
  if (v > 0)
    error(c, at->loc, "'%s' must be at most %.0f, got %s", o->name, o->max,
          got);
  else
    error(c, at->loc, "'%s' must be at least %.0f, got %s", o->name,
          -o->max, got);
  return false;
}

static CallValue *check_call_value(Checker *c, Scope *s, const Node *call,
                                   const CallSpec *table, const char *what);

static bool word_allowed(const char *words, const char *w) {
  size_t n = strlen(w);
  for (const char *p = words; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, w, n) == 0)
      return true;
    if (!bar)
      break;
    p = bar + 1;
  }
  return false;
}

static bool value_num(Checker *c, Scope *s, const Node *e, const OptSpec *o,
                      Value *out) {
  double v;
  bool is_int;
  if (!const_value(c, s, e, &v, &is_int, arena_printf("'%s'", o->name)))
    return false;
  if (o->type == OT_INT && v != floor(v)) {
    error(c, e->loc, "'%s' must be an integer, got %g", o->name, v);
    return false;
  }
  if (o->type == OT_BOOL && v != 0 && v != 1) {
    error(c, e->loc, "'%s' must be true or false, got %g", o->name, v);
    return false;
  }
  if (!check_range_value(c, e, o, v) ||
      (o->type == OT_INT && !check_bound(c, e, o, v)))
    return false;
  *out = (Value){.kind = VAL_NUM, .num = v,
                 .is_int = o->type != OT_NUM || is_int};
  return true;
}

static bool value_pair(Checker *c, Scope *s, const Node *e, const OptSpec *o,
                       Value *out) {
  if (e->kind != ND_TUPLE || e->list.n != 2) {
    error(c, e->loc, "'%s' must be a pair such as (0.9, 0.999)", o->name);
    return false;
  }
  double a, b;
  bool ia, ib;
  if (!const_value(c, s, e->list.v[0], &a, &ia, o->name) ||
      !const_value(c, s, e->list.v[1], &b, &ib, o->name))
    return false;
  if (!check_range_value(c, e->list.v[0], o, a) ||
      !check_range_value(c, e->list.v[1], o, b))
    return false;
  *out = (Value){.kind = VAL_PAIR, .lo = a, .hi = b};
  return true;
}

static bool value_range(Checker *c, Scope *s, const Node *e, const OptSpec *o,
                        Value *out) {
  if (e->kind != ND_RANGE) {
    error(c, e->loc, "'%s' must be a range such as 3 .. 10", o->name);
    return false;
  }
  int64_t lo, hi;
  if (!const_int(c, s, e->lhs, &lo, "the start of a range") ||
      !const_int(c, s, e->rhs, &hi, "the end of a range"))
    return false;
  if (lo > hi) {
    error(c, e->loc, "the range %lld .. %lld is empty", (long long)lo,
          (long long)hi);
    return false;
  }
  if (!check_range_value(c, e, o, (double)lo) ||
      !check_bound(c, e->lhs, o, (double)lo) ||
      !check_bound(c, e->rhs, o, (double)hi))
    return false;
  *out = (Value){.kind = VAL_RANGE, .lo = (double)lo, .hi = (double)hi};
  return true;
}

/* Checks one option's value against its spec. */
static bool check_value(Checker *c, Scope *s, const Node *e, const OptSpec *o,
                        Value *out) {
  switch (o->type) {
  case OT_NUM:
  case OT_INT:
  case OT_BOOL:
    return value_num(c, s, e, o, out);
  case OT_STR:
    if (e->kind != ND_STR) {
      error(c, e->loc, "'%s' must be a string", o->name);
      return false;
    }
    *out = (Value){.kind = VAL_STR, .str = e->str};
    return true;
  case OT_WORD:
    if (e->kind != ND_NAME || !word_allowed(o->words, e->name)) {
      error(c, e->loc, "'%s' must be one of: %s", o->name, o->words);
      return false;
    }
    *out = (Value){.kind = VAL_WORD, .str = e->name};
    return true;
  case OT_RANGE:
    return value_range(c, s, e, o, out);
  case OT_PAIR:
    return value_pair(c, s, e, o, out);
  case OT_CALL: {
    CallValue *cv = check_call_value(c, s, e, o->calls, o->name);
    if (!cv)
      return false;
    *out = (Value){.kind = VAL_CALL, .str = cv->spec->name, .call = cv};
    return true;
  }
  }
  return false;
}

static const CallSpec *resolve_alias(const CallSpec *table,
                                     const CallSpec *spec) {
  return spec->alias_of ? spec_find(table, spec->alias_of) : spec;
}

/* Fills a CallValue from named and positional arguments, in the order of
 * the spec's options; reports unknown, repeated and missing options. */
static bool fill_options(Checker *c, Scope *s, const NodeList *args,
                         int first, const char *owner, const OptSpec *opts,
                         CallValue *cv, SrcLoc at) {
  int n = opt_count(opts);
  bool *given = arena_array(bool, n + 1);
  bool ok = true;
  int pos = 0;
  for (int i = first; i < args->n; i++) {
    const Node *a = args->v[i];
    const Node *val = a->kind == ND_ARG ? a->lhs : a;
    int k;
    if (a->kind == ND_ARG && a->name) {
      k = opt_index(opts, a->name);
      if (k < 0) {
        error(c, a->name_loc, "unknown option '%s' for %s", a->name, owner);
        if (n)
          note(c, a->name_loc, "%s takes: %s", owner, opt_names(opts));
        ok = false;
        continue;
      }
    } else {
      k = pos++;
      if (k >= n) {
        error(c, a->loc, "too many arguments for %s (it takes %d)", owner,
              n + first);
        ok = false;
        continue;
      }
    }
    if (given[k]) {
      error(c, a->loc, "option '%s' of %s is given twice", opts[k].name,
            owner);
      ok = false;
      continue;
    }
    given[k] = true;
    ok &= check_value(c, s, val, &opts[k], &cv->vals[k]);
  }
  for (int k = 0; k < n; k++)
    if (!given[k] && opts[k].dflt.kind == VAL_NONE &&
        opts[k].type != OT_CALL) {
      error(c, at, "%s needs the option '%s'", owner, opts[k].name);
      ok = false;
    }
  return ok;
}

static CallValue *new_call_value(const CallSpec *spec) {
  CallValue *cv = arena_new(CallValue);
  cv->spec = spec;
  cv->nvals = opt_count(spec->opts);
  cv->vals = arena_array(Value, cv->nvals + 1);
  for (int i = 0; i < cv->nvals; i++)
    cv->vals[i] = spec->opts[i].dflt;
  return cv;
}

/* name(args) or a bare name, looked up in a table of CallSpecs. */
static CallValue *check_call_value(Checker *c, Scope *s, const Node *call,
                                   const CallSpec *table, const char *what) {
  if (call->kind != ND_CALL && call->kind != ND_NAME) {
    if (!is_error(call))
      error(c, call->loc, "expected %s such as %s(...)", what, table->name);
    return NULL;
  }
  const CallSpec *spec = spec_find(table, call->name);
  if (!spec) {
    error(c, call->name_loc, "unknown %s '%s'", what, call->name);
    note(c, call->name_loc, "known: %s", spec_names(table));
    return NULL;
  }
  spec = resolve_alias(table, spec);
  CallValue *cv = new_call_value(spec);
  static const NodeList none;
  const NodeList *args = call->kind == ND_CALL ? &call->list : &none;
  if (!fill_options(c, s, args, 0, spec->name, spec->opts, cv, call->loc))
    return NULL;
  return cv;
}

/* ---- expressions: names and arithmetic -------------------------------- */

static Node *ref(const Node *e, Sym *sym, Type ty) {
  Node *n = typed(e, ND_NAME, ty);
  n->sym = sym;
  return n;
}

static Node *check_name(Checker *c, Scope *s, const Node *e) {
  if (c->step.var && strcmp(e->name, c->step.var) == 0) {
    error(c, e->loc, "the step '%s' can only index a sequence, as in x[%s]",
          e->name, e->name);
    return failed(c, e);
  }
  Sym *sym = lookup(s, e->name);
  if (!sym) {
    if (c->speculative)
      return failed(c, e);
    if (layer_find(c, e->name) || builtin_find(e->name)) {
      error(c, e->loc, "'%s' is a %s: call it, as in %s(...)", e->name,
            layer_find(c, e->name) ? "layer" : "function", e->name);
      return failed(c, e);
    }
    if (spec_find(init_specs, e->name)) {
      error(c, e->loc, "'%s' is an initializer: it can only follow "
            "'param NAME : TYPE ='", e->name);
      return failed(c, e);
    }
    report_unknown(c, s, e);
    return failed(c, e);
  }
  if (sym->poisoned)
    return c->speculative ? failed(c, e) : ast_error(e->loc);
  switch (sym->kind) {
  case SYM_CONST:
    if (sym->dim_varlen) {
      error(c, e->loc, "'%s' is the length of a sequence of varying length; "
            "it is not a constant", e->name);
      return failed(c, e);
    }
    return const_num(e, sym->value.num, sym->value.is_int);
  case SYM_SEQ:
    if (sym->state != SEQ_DONE) {
      if (!c->speculative && sym == c->step.seq)
        error(c, e->loc, "'%s' is used in its own definition; a recurrence "
              "reads %s[%s-1]", e->name, e->name,
              c->step.var ? c->step.var : "t");
      else if (!c->speculative)
        report_unknown(c, s, e);
      return failed(c, e);
    }
    return ref(e, sym, sym->ty);
  case SYM_PARAM:
    if (sym->absent)    /* param b : ... if false: b reads as zero */
      return const_num(e, 0, true);
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
      error(c, e->loc, "division by zero");
      return failed(c, e);
    }
    v = x / y;
    is_int = is_int && fmod(x, y) == 0;
    break;
  case '@':
    error(c, e->loc, "'@' multiplies tensors, not numbers; use '*'");
    return failed(c, e);
  }
  if (!isfinite(v)) {
    error(c, e->loc, "this constant is too large");
    return failed(c, e);
  }
  return const_num(e, v, is_int);
}

static bool check_float_operand(Checker *c, const Node *operand) {
  if (operand->ty && !operand->ty->unknown &&
      operand->ty->elem == EL_CLASS) {
    error(c, operand->loc, "class labels (%s) cannot be used in arithmetic; "
          "they are only a loss target", type_str(operand->ty));
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
  Node *n = typed(e, ND_BINARY, ty);
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
    error(c, e->loc, "a loss can only be combined with numbers, scalars "
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
    return failed(c, e);
  if (is_const(a) && is_const(b))
    return fold_binary(c, e, a, b);
  if (e->op == '+' && is_const(a) && a->num == 0)
    return b;
  if ((e->op == '+' || e->op == '-') && is_const(b) && b->num == 0)
    return a;
  if (!check_float_operand(c, a) || !check_float_operand(c, b))
    return failed(c, e);
  if (is_unknown(a) || is_unknown(b))
    return binary_node(e, a, b, guess_type(e->op, a->ty, b->ty));
  Type ty;
  if (check_reduced(c, e, a, b, &ty))
    return ty.unknown ? failed(c, e) : binary_node(e, a, b, ty);
  if (e->op == '@') {
    if (!matmul_type(a->ty, b->ty, &ty)) {
      error(c, e->loc, "cannot multiply %s by %s with '@'", type_str(a->ty),
            type_str(b->ty));
      if (a->ty->ndim == 2 && b->ty->ndim >= 1 && !b->ty->varlen &&
          !a->ty->varlen)
        note(c, e->loc, "the columns of the left (%lld) must match the rows "
             "of the right (%lld)", (long long)a->ty->dims[1],
             (long long)b->ty->dims[0]);
      else if (a->ty->varlen || b->ty->varlen)
        note(c, e->loc, "to multiply each step, define it step by step: "
             "y[t] = W @ x[t]");
      return failed(c, e);
    }
    return binary_node(e, a, b, ty);
  }
  if (!type_broadcast(a->ty, b->ty, &ty)) {
    error(c, e->loc, "cannot %s %s and %s: the shapes do not match",
          op_verb(e->op), type_str(a->ty), type_str(b->ty));
    return failed(c, e);
  }
  return binary_node(e, a, b, ty);
}

static Node *check_neg(Checker *c, Scope *s, const Node *e) {
  Node *a = check_expr(c, s, e->lhs);
  if (is_error(a))
    return a;
  if (is_const(a))
    return const_num(e, -a->num, a->is_int);
  if (!check_float_operand(c, a))
    return failed(c, e);
  Type ty = *a->ty;
  ty.elem = EL_FLOAT;
  Node *n = typed(e, ND_NEG, ty);
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
    error(c, at->loc, "'%s' has %s%lld steps, but '%s' has %s%lld",
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
      error(c, e->loc, "'%s[%s]' is defined in terms of itself; a recurrence "
            "reads the previous step, %s[%s-1]", sym->name, var, sym->name,
            var);
      return false;
    }
    if (sym->state != SEQ_DONE && !c->speculative) {
      error(c, e->loc, "'%s' is used before it is defined", sym->name);
      note(c, sym->decl->name_loc, "'%s' is defined here; only %s[%s-1] can "
           "be read ahead of its equation", sym->name, sym->name, var);
      return false;
    }
  } else if (!sym->recurrent) {
    error(c, e->loc, "'%s[%s-1]' needs an initial state", sym->name, var);
    note(c, sym->decl->loc, "add 'with %s[-1] = 0' (or another initial "
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
    error(c, e->list.v[0]->loc, "a step equation reads %s[%s] or the "
          "previous step %s[%s-1], nothing further", b->kind == ND_NAME ?
          b->name : "x", var, b->kind == ND_NAME ? b->name : "h", var);
    return NULL;
  }
  Sym *sym = b->kind == ND_NAME ? lookup(s, b->name) : NULL;
  if (sym && sym->poisoned)
    return NULL;
  if (sym && sym->kind == SYM_SEQ && sym->scope == s) {
    if (!check_step_of_seq(c, s, e, sym, off, step))
      return NULL;
    *base = ref(b, sym, sym->ty);
    return *base;
  }
  if (off != 0) {
    error(c, e->loc, "'%s' reads before the first step; only a state with "
          "an initial value can be read at %s-1", ast_expr_string(e), var);
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
    error(c, b->loc, "'%s' is not a sequence: it has no steps to index",
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
    error(c, ix->loc, "the step '%s' can only be the first index, as in "
          "x[%s] or h[%s-1]", c->step.var, c->step.var, c->step.var);
    return false;
  }
  int64_t n = ty->dims[dim];
  bool varlen = dim == 0 && ty->varlen;
  if (ix->kind == ND_RANGE) {
    int64_t lo, hi;
    if (!const_int(c, s, ix->lhs, &lo, "the start of a range") ||
        !const_int(c, s, ix->rhs, &hi, "the end of a range"))
      return false;
    if (varlen) {
      error(c, ix->loc, "a range cannot index a sequence of varying length");
      return false;
    }
    if (lo < 0)
      lo += n;
    if (hi < 0)
      hi += n;
    if (lo < 0 || hi >= n || lo > hi) {
      error(c, ix->loc, "the range %s is outside the %lld elements of "
            "dimension %d", ast_expr_string(ix), (long long)n, dim + 1);
      return false;
    }
    *out = ast_range(const_num(ix->lhs, (double)lo, true),
                     const_num(ix->rhs, (double)hi, true), ix->loc);
    ty->dims[dim] = hi - lo + 1;
    if (dim == 0)
      ty->varlen = false;
    return true;
  }
  int64_t i;
  if (!const_int(c, s, ix, &i, "an index"))
    return false;
  if (i < -n || i >= n) {
    error(c, ix->loc, "index %lld is out of range for a dimension of %s%lld",
          (long long)i, varlen ? "at most " : "", (long long)n);
    return false;
  }
  if (i < 0 && !varlen)
    i += n;
  *out = const_num(ix, (double)i, true);
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
  Node *n = typed(e, ND_INDEX, type_unknown());
  if (e->list.n > 0 && step_offset(c, e->list.v[0], &off)) {
    if (!check_step_base(c, s, e, off, &ty, &base))
      return failed(c, e);
    Node *st = typed(e->list.v[0], ND_STEP, type_scalar());
    st->step = (int)off;
    list_push(&n->list, st);
    first = 1;
  } else {
    base = check_expr(c, s, e->lhs);
    if (is_error(base))
      return base;
    if (is_const(base)) {
      error(c, e->loc, "a number cannot be indexed");
      return failed(c, e);
    }
    ty = *base->ty;
  }
  n->lhs = base;
  if (ty.unknown) {
    *n->ty = ty;
    return n;
  }
  if (e->list.n - first > ty.ndim) {
    error(c, e->loc, "too many indices: %s has %d dimension%s",
          type_str(base->ty), base->ty->ndim, base->ty->ndim == 1 ? "" : "s");
    return failed(c, e);
  }
  Type narrowed = ty;
  for (int i = first; i < e->list.n; i++) {
    Node *ix;
    if (!check_one_index(c, s, e->list.v[i], &narrowed, i - first, &ix))
      return failed(c, e);
    list_push(&n->list, ix);
  }
  *n->ty = drop_indexed(&narrowed);
  return n;
}

/* ---- expressions: builtin functions ----------------------------------- */

static Node *fold_unary(Checker *c, const Node *e, const Builtin *fn,
                        double x) {
  double v;
  const char *f = fn->name;
  if ((strcmp(f, "log") == 0 && x <= 0) || (strcmp(f, "sqrt") == 0 && x < 0)) {
    error(c, e->loc, "%s(%g) is not a real number", f, x);
    return failed(c, e);
  }
  if (strcmp(f, "tanh") == 0) v = tanh(x);
  else if (strcmp(f, "sigmoid") == 0) v = 1 / (1 + exp(-x));
  else if (strcmp(f, "relu") == 0) v = x > 0 ? x : 0;
  else if (strcmp(f, "exp") == 0) v = exp(x);
  else if (strcmp(f, "log") == 0) v = log(x);
  else if (strcmp(f, "sqrt") == 0) v = sqrt(x);
  else v = fabs(x);
  if (!isfinite(v)) {
    error(c, e->loc, "this constant is too large");
    return failed(c, e);
  }
  return const_num(e, v, false);
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
      error(c, a->loc, "the %s argument of %s must be a tensor, not a number",
            ordinal(have), fn->name);
      ok = false;
    }
    list_push(&call->list, t);
    have++;
  }
  *consumed = have;
  if (!ok)
    return false;
  if ((want >= 0 && have < want) || (want < 0 && have < 1)) {
    error(c, e->loc, "%s takes %s%d tensor argument%s, got %d", fn->name,
          want < 0 ? "at least " : "", want < 0 ? 1 : want,
          want == 1 || want < 0 ? "" : "s", have);
    return false;
  }
  return true;
}

static bool no_class(Checker *c, const Node *t, const char *fn) {
  if (t->ty->elem == EL_CLASS) {
    error(c, t->loc, "%s cannot take class labels (%s); they are only a loss "
          "target", fn, type_str(t->ty));
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
    error(c, e->loc, "concat axis %d is outside the %d dimensions of %s",
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
      error(c, call->list.v[i]->loc, "cannot concatenate %s and %s along "
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
    error(c, e->loc, "reshape takes a tensor and a shape, as in "
          "reshape(x, [4, 7])");
    return false;
  }
  if (t->varlen) {
    error(c, e->loc, "a sequence of varying length cannot be reshaped");
    return false;
  }
  if (shape->list.n > MAX_DIMS || shape->list.n == 0) {
    error(c, shape->loc, "a shape has 1 to %d dimensions", MAX_DIMS);
    return false;
  }
  Type r = {.elem = EL_FLOAT, .ndim = shape->list.n};
  for (int i = 0; i < shape->list.n; i++)
    if (!const_int(c, s, shape->list.v[i], &r.dims[i], "a dimension"))
      return false;
    else if (r.dims[i] <= 0) {
      error(c, shape->list.v[i]->loc, "a dimension must be positive");
      return false;
    }
  if (type_numel(&r) != type_numel(t)) {
    error(c, e->loc, "cannot reshape %s (%lld values) to %s (%lld values)",
          type_str(t), (long long)type_numel(t), type_str(&r),
          (long long)type_numel(&r));
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
    error(c, e->loc, "conv takes x float[c, h, w], W float[k, c, s, s] and "
          "b float[k]; got %s, %s and %s", type_str(x), type_str(w),
          type_str(b));
    return false;
  }
  int64_t stride = (int64_t)call_value(call->opts, "stride")->num;
  int64_t pad = (int64_t)call_value(call->opts, "padding")->num;
  int64_t k = w->dims[2];
  int64_t oh = (x->dims[1] + 2 * pad - k) / stride + 1;
  int64_t ow = (x->dims[2] + 2 * pad - k) / stride + 1;
  if (x->dims[1] + 2 * pad < k || x->dims[2] + 2 * pad < k) {
    error(c, e->loc, "a %lldx%lld kernel does not fit in %s",
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
    error(c, e->loc, "maxpool with size %lld takes float[c, h, w] with h and "
          "w at least %lld, got %s", (long long)k, (long long)k,
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
    error(c, e->loc, "batch_norm takes x float[c, ...], gamma float[c] and "
          "beta float[c]; got %s, %s and %s", type_str(x), type_str(g),
          type_str(b));
    return false;
  }
  *out = *x;
  out->elem = EL_FLOAT;
  return true;
}

/* Does a prediction match its target?  A trailing dimension of 1 on the
 * prediction is allowed: dense(h[t], 1) against binary[<=20]. */
static bool same_up_to_trailing_one(const Type *p, const Type *t) {
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
    error(c, pred->loc, "the first argument of %s is the prediction; class "
          "labels (%s) go second", fn->name, type_str(p));
    return false;
  }
  bool ok;
  if (t->elem == EL_CLASS)
    ok = fn->target != LT_SAME && type_same_shape(p, t);
  else
    ok = fn->target != LT_CLASS && same_up_to_trailing_one(p, t);
  if (!ok) {
    if (fn->target == LT_CLASS && t->elem != EL_CLASS)
      error(c, target->loc, "%s needs class labels as its target, got %s",
            fn->name, type_str(t));
    else if (fn->target == LT_SAME && t->elem == EL_CLASS)
      error(c, target->loc, "%s compares with values of the same shape, not "
            "class labels (%s)", fn->name, type_str(t));
    else
      error(c, e->loc, "%s of %s against %s: the shapes do not match",
            fn->name, type_str(p), type_str(t));
    if (t->elem == EL_CLASS && !type_same_shape(p, t))
      note(c, target->loc, "class labels %s need one score per class: "
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
      error(c, e->loc, "%s needs at least one dimension, got a scalar",
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
      error(c, e->loc, "reverse needs a sequence, got a scalar");
      return false;
    }
    *out = *x;
    return true;
  case BK_FLATTEN:
    if (x->varlen) {
      error(c, e->loc, "a sequence of varying length cannot be flattened");
      return false;
    }
    *out = type_vector(type_numel(x));
    return true;
  case BK_RESHAPE:
    return builtin_reshape(c, s, e, call, consumed, out);
  case BK_TRANSPOSE:
    if (x->ndim != 2 || x->varlen) {
      error(c, e->loc, "transpose takes a matrix, got %s", type_str(x));
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

static Node *check_builtin(Checker *c, Scope *s, const Node *e,
                           const Builtin *fn) {
  Node *call = typed(e, ND_CALL, type_unknown());
  call->fn = fn;
  int consumed;
  if (!check_tensor_args(c, s, e, fn, call, &consumed))
    return failed(c, e);
  if (fn->kind == BK_UNARY && is_const(call->list.v[0]))
    return fold_unary(c, e, fn, call->list.v[0]->num);
  CallSpec *spec = arena_new(CallSpec);
  spec->name = fn->name;
  spec->opts = fn->opts;
  call->opts = new_call_value(spec);
  if (fn->kind != BK_RESHAPE &&
      !fill_options(c, s, &e->list, consumed, fn->name, fn->opts,
                    call->opts, e->loc))
    return failed(c, e);
  for (int i = 0; i < call->list.n; i++) {
    Node *a = call->list.v[i];
    if (is_unknown(a))
      return call;
    if (fn->kind != BK_LOSS || i == 0)
      if (!no_class(c, a, fn->name))
        return failed(c, e);
    if (a->ty->reduced) {
      error(c, a->loc, "%s cannot take a loss", fn->name);
      return failed(c, e);
    }
  }
  if (!builtin_type(c, s, e, fn, call, consumed, call->ty))
    return failed(c, e);
  return call;
}

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
    error(c, arg->loc, "argument '%s' of %s must be %s, got %s", lp->name,
          layer, ast_expr_string(ty), type_str(at));
    note(c, lp->loc, "'%s' is declared here", lp->name);
    return false;
  }
  for (int i = 0; i < ty->list.n; i++) {
    const Node *d = ty->list.v[i]->lhs;
    bool varlen = i == 0 && at->varlen;
    if (d->kind == ND_NAME && !scope_find_local(ls, d->name)) {
      Sym *sym = declare(c, ls, SYM_CONST, lp, d->name, d->loc);
      if (!sym)
        return false;
      sym->value = (Value){.kind = VAL_NUM, .num = (double)at->dims[i],
                           .is_int = true};
      sym->dim_varlen = varlen;
      continue;
    }
    int64_t want;
    if (!const_int(c, ls, d, &want, "a dimension"))
      return false;
    if (want != at->dims[i] || varlen) {
      error(c, arg->loc, "argument '%s' of %s must be %s, got %s", lp->name,
            layer, ast_expr_string(ty), type_str(at));
      note(c, d->loc, "dimension %d must be %lld", i + 1, (long long)want);
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
      error(c, a->name_loc, "layer %s has no parameter '%s'", layer->name,
            a->name);
      note(c, layer->name_loc, "%s is defined here", layer->name);
      ok = false;
    } else if (k < npos) {
      error(c, a->name_loc, "'%s' is given twice", a->name);
      ok = false;
    }
  }
  if (npos > layer->list.n) {
    error(c, call->loc, "%s takes %d argument%s, got %d", layer->name,
          layer->list.n, layer->list.n == 1 ? "" : "s", npos);
    note(c, layer->name_loc, "%s is defined here", layer->name);
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
    error(c, call->loc, "missing argument '%s' in call to %s", lp->name,
          layer->name);
    note(c, lp->loc, "'%s' is declared here", lp->name);
    return false;
  }
  Node *v = a ? check_expr(c, caller, a->lhs) : check_expr(c, ls, lp->lhs);
  if (is_error(v) || is_unknown(v))
    return false;
  bound->lhs = v;
  list_push(&inst->args, bound);
  if (lp->type) {
    if (is_const(v) || v->ty->reduced) {
      error(c, v->loc, "argument '%s' of %s must be a tensor of type %s",
            lp->name, layer->name, ast_expr_string(lp->type));
      return false;
    }
    if (!bind_dims(c, ls, lp, v, layer->name))
      return false;
    Sym *sym = declare(c, ls, SYM_ARG, lp, lp->name, lp->name_loc);
    if (!sym)
      return false;
    sym->ty = *v->ty;
    bound->sym = sym;
    return true;
  }
  if (!is_const(v)) {
    error(c, v->loc, "argument '%s' of %s must be a constant, got %s",
          lp->name, layer->name, type_str(v->ty));
    note(c, lp->loc, "'%s' has no type, so it is a constant; write "
         "'%s : TYPE' for a tensor", lp->name, lp->name);
    return false;
  }
  Sym *sym = declare(c, ls, SYM_CONST, lp, lp->name, lp->name_loc);
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

static void name_calls(Checker *c, const Scope *s, const char *stmt_name,
                       const Node *e, const Node *e2);

static Node *instantiate(Checker *c, Scope *s, const Node *e,
                         const Node *layer, Instance *inst) {
  Scope *ls = arena_new(Scope);
  ls->parent = c->top;
  ls->path = arena_printf("%s.", inst->path);
  ls->layer = layer->name;
  ls->stmts = &layer->body;
  for (int k = 0; k < layer->list.n; k++)
    if (!bind_arg(c, s, ls, e, layer, k, inst))
      return failed(c, e);
  StepCtx saved_step = c->step;
  CallName *saved_names = c->names;
  int saved_nnames = c->nnames;
  c->step = (StepCtx){0};
  c->layer_stack[c->nlayer_stack++] = layer;
  int errors = diag_error_count();
  check_stmts(c, ls, &layer->body, &inst->body);
  name_calls(c, ls, NULL, layer->lhs, NULL);
  Node *result = check_expr(c, ls, layer->lhs);
  if (diag_error_count() > errors)
    note(c, e->loc, "in %s, called here", layer->name);
  c->nlayer_stack--;
  c->step = saved_step;
  c->names = saved_names;
  c->nnames = saved_nnames;
  if (is_error(result) || is_unknown(result))
    return failed(c, e);
  if (is_const(result)) {
    error(c, layer->lhs->loc, "layer %s returns a number; a layer returns "
          "a tensor", layer->name);
    return failed(c, e);
  }
  inst->result = result;
  Node *n = typed(e, ND_CALL, *result->ty);
  n->inst = inst;
  return n;
}

static Node *check_layer_call(Checker *c, Scope *s, const Node *e,
                              const Node *layer) {
  for (int i = 0; i < c->nlayer_stack; i++)
    if (c->layer_stack[i] == layer) {
      error(c, e->loc, "layer %s calls itself; layers cannot be recursive",
            layer->name);
      return failed(c, e);
    }
  if (c->nlayer_stack == MAX_LAYER_DEPTH) {
    error(c, e->loc, "layers are nested more than %d deep", MAX_LAYER_DEPTH);
    return failed(c, e);
  }
  if (!check_call_shape(c, e, layer))
    return failed(c, e);
  if (++c->ninstances > MAX_INSTANCES) {
    if (c->ninstances == MAX_INSTANCES + 1)
      diag_error(e->loc, "the model instantiates layers more than %d times; "
                 "it is too large or too deeply nested", MAX_INSTANCES);
    return failed(c, e);
  }
  Instance *inst = arena_new(Instance);
  inst->layer = layer->name;
  inst->decl = layer;
  inst->path = call_path(c, s, e);
  return instantiate(c, s, e, layer, inst);
}

static Node *check_call(Checker *c, Scope *s, const Node *e) {
  const Node *layer = layer_find(c, e->name);
  if (layer)
    return check_layer_call(c, s, e, layer);
  const Builtin *fn = builtin_find(e->name);
  if (fn)
    return check_builtin(c, s, e, fn);
  if (spec_find(init_specs, e->name)) {
    error(c, e->name_loc, "'%s' is an initializer: it can only follow "
          "'param NAME : TYPE ='", e->name);
  } else if (spec_find(optimizer_specs, e->name)) {
    error(c, e->name_loc, "'%s' is an optimizer: it belongs in the train "
          "block, as 'optimizer %s(...)'", e->name, e->name);
  } else if (spec_find(data_specs, e->name)) {
    error(c, e->name_loc, "'%s' is a data source: write 'data %s(...)' as a "
          "statement", e->name, e->name);
  } else {
    const char *hint = suggest(c, s, e->name);
    if (hint)
      error(c, e->name_loc, "unknown function or layer '%s'; did you mean "
            "'%s'?", e->name, hint);
    else
      error(c, e->name_loc, "unknown function or layer '%s'", e->name);
  }
  return failed(c, e);
}

static Node *check_expr(Checker *c, Scope *s, const Node *e) {
  switch (e->kind) {
  case ND_NUM: return const_num(e, e->num, e->is_int);
  case ND_NAME: return check_name(c, s, e);
  case ND_BINARY: return check_binary(c, s, e);
  case ND_NEG: return check_neg(c, s, e);
  case ND_INDEX: return check_index(c, s, e);
  case ND_CALL: return check_call(c, s, e);
  case ND_ERROR: return failed(c, e);
  case ND_STR:
    error(c, e->loc, "a string can only be an option, as in "
          "mnist(path = \"data\")");
    return failed(c, e);
  case ND_RANGE:
    error(c, e->loc, "a range can only be an index or an option, as in "
          "x[0 .. 3]");
    return failed(c, e);
  case ND_TUPLE:
  case ND_LIST:
    error(c, e->loc, "a %s can only be an option", e->kind == ND_TUPLE ?
          "tuple" : "list");
    return failed(c, e);
  default:
    DIE("check_expr: unexpected %s", ast_kind_name(e->kind));
  }
}

/* Names the layer calls of one statement: alone in `h = lstm(x, 8)` the
 * call is "h"; several are "h.dense1", "h.dense2", "h.lstm" (numbered
 * when a layer is called more than once), in the order they are written. */
static void collect_calls(const Checker *c, const Node *e, NodeList *out) {
  if (!e)
    return;
  if (e->kind == ND_CALL && layer_find(c, e->name))
    list_push(out, (Node *)e);
  if (e->lhs)
    collect_calls(c, e->lhs, out);
  if (e->rhs)
    collect_calls(c, e->rhs, out);
  for (int i = 0; i < e->list.n; i++)
    collect_calls(c, e->list.v[i], out);
}

static void name_calls(Checker *c, const Scope *s, const char *stmt_name,
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
    error(c, tn->name_loc, "unknown type '%s'; types are float, onehot, "
          "class and binary", tn->name);
    return false;
  }
  if (is_param && t.elem != EL_FLOAT) {
    error(c, tn->name_loc, "a parameter is float, not %s", tn->name);
    return false;
  }
  if (tn->list.n > MAX_DIMS) {
    error(c, tn->loc, "a tensor has at most %d dimensions", MAX_DIMS);
    return false;
  }
  t.ndim = tn->list.n;
  for (int i = 0; i < tn->list.n; i++) {
    const Node *d = tn->list.v[i];
    if (d->is_max && (i > 0 || is_param)) {
      error(c, d->loc, "only the first dimension of an input or a target "
            "can be a maximum length ('<=')");
      return false;
    }
    if (!const_int(c, s, d->lhs, &t.dims[i], "a dimension"))
      return false;
    if (t.dims[i] <= 0 || t.dims[i] > ((int64_t)1 << 31)) {
      error(c, d->lhs->loc, "a dimension must be between 1 and 2^31, got "
            "%lld", (long long)t.dims[i]);
      return false;
    }
    t.varlen |= d->is_max;
  }
  if (t.elem != EL_FLOAT && t.ndim == 0) {
    error(c, tn->loc, "%s needs its number of classes or values, as in "
          "%s[10]", tn->name, tn->name);
    return false;
  }
  if (type_numel(&t) > ((int64_t)1 << 31)) {
    error(c, tn->loc, "%s has more than 2^31 values", type_str(&t));
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
    error(c, st->lhs->loc, "%s needs a parameter of 2 or more dimensions "
          "(it uses fan-in and fan-out), got %s", name, type_str(t));
    return false;
  }
  if (strcmp(name, "uniform") == 0 &&
      !(call_value(cv, "low")->num < call_value(cv, "high")->num)) {
    error(c, st->lhs->loc, "uniform(low, high) needs low below high");
    return false;
  }
  *out = cv;
  return true;
}

static void check_param(Checker *c, Scope *s, const Node *st, NodeList *out) {
  Type t;
  if (!check_type(c, s, st->type, true, &t)) {
    poison(c, s, SYM_PARAM, st);
    return;
  }
  bool absent = false;
  if (st->rhs) {
    double v;
    bool is_int;
    if (!const_value(c, s, st->rhs, &v, &is_int, "the condition")) {
      poison(c, s, SYM_PARAM, st);
      return;
    }
    absent = v == 0;
  }
  CallValue *init;
  if (!check_init(c, s, st, &t, &init)) {
    poison(c, s, SYM_PARAM, st);
    return;
  }
  Sym *sym = declare(c, s, SYM_PARAM, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = t;
  sym->init = init;
  sym->absent = absent;
  Node *n = typed(st, ND_PARAM, t);
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
  } else if (!const_value(c, s, st->lhs, &v, &is_int,
                          arena_printf("constant '%s'", st->name))) {
    poison(c, s, SYM_CONST, st);
    return;
  }
  Sym *sym = declare(c, s, SYM_CONST, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->value = (Value){.kind = VAL_NUM, .num = v, .is_int = is_int};
  if (s == c->top)
    symlist_push(&c->m->consts, sym);
}

static void check_plain_eq(Checker *c, Scope *s, const Node *st,
                           NodeList *out) {
  name_calls(c, s, st->name, st->lhs, NULL);
  Node *v = check_expr(c, s, st->lhs);
  if (is_error(v)) {
    poison(c, s, SYM_TENSOR, st);
    return;
  }
  if (is_const(v)) {
    error(c, st->loc, "'%s' is a number; write 'const %s = ...' for a "
          "constant", st->name, st->name);
    poison(c, s, SYM_TENSOR, st);
    return;
  }
  Sym *sym = declare(c, s, SYM_TENSOR, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = *v->ty;
  Node *n = typed(st, ND_EQ, *v->ty);
  n->sym = sym;
  n->lhs = v;
  list_push(out, n);
}

/* The initial state: written exactly `with h[-1] = value`. */
static Node *check_initial(Checker *c, Scope *s, const Node *st) {
  const Node *w = st->with;
  bool form = w->kind == ND_INDEX && w->lhs->kind == ND_NAME &&
              strcmp(w->lhs->name, st->name) == 0 && w->list.n == 1 &&
              w->list.v[0]->kind == ND_NEG &&
              w->list.v[0]->lhs->kind == ND_NUM && w->list.v[0]->lhs->num == 1;
  if (!form) {
    error(c, w->loc, "the initial state of '%s' is written 'with %s[-1] = "
          "VALUE'", st->name, st->name);
    return NULL;
  }
  StepCtx saved = c->step;
  c->step = (StepCtx){0};
  Node *v = check_expr(c, s, st->rhs);
  c->step = saved;
  if (is_error(v) || is_unknown(v))
    return NULL;
  if (!is_const(v) && (v->ty->varlen || v->ty->reduced)) {
    error(c, st->rhs->loc, "the initial state must be a number or a tensor "
          "of one step's shape, got %s", type_str(v->ty));
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

static void check_step_eq(Checker *c, Scope *s, const Node *st,
                          NodeList *out) {
  Sym *seq = scope_find_local(s, st->name);
  if (!seq || seq->kind != SYM_SEQ || seq->decl != st)
    return;    /* a duplicate name, reported when declared */
  infer_states(c, s);
  int errors = diag_error_count();
  Node *init = st->with ? check_initial(c, s, st) : NULL;
  name_calls(c, s, st->name, st->lhs, NULL);
  c->uninferred = NULL;
  Node *v = check_step_rhs(c, s, st, seq);
  if (c->uninferred && diag_error_count() == errors) {
    Sym *u = c->uninferred;
    error(c, c->uninferred_at->loc, "cannot infer the shape of one step of "
          "'%s'", u->name);
    note(c, u->decl->loc, "give the initial state a shape, for instance a "
         "parameter: with %s[-1] = %s0", u->name, u->name);
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
    error(c, st->lhs->loc, "each step of '%s' must be a tensor, got %s",
          st->name, is_const(v) ? "a number" : "a loss");
    return;
  }
  if (!have_len) {
    error(c, st->name_loc, "cannot tell how many steps '%s' has: read a "
          "sequence at step %s, as in x[%s]", st->name, st->var, st->var);
    return;
  }
  Type step = *v->ty;
  step.elem = EL_FLOAT;
  if (init && !is_const(init) && !type_same_shape(init->ty, &step)) {
    error(c, st->rhs->loc, "the initial state is %s, but each step of '%s' "
          "is %s", type_str(init->ty), st->name, type_str(&step));
    return;
  }
  seq->step = step;
  seq->ty = type_prepend(&step, len, varlen);
  seq->poisoned = false;
  Node *n = typed(st, ND_EQ, seq->ty);
  n->var = st->var;
  n->sym = seq;
  n->lhs = v;
  n->rhs = init;
  list_push(out, n);
}

static void declare_states(Checker *c, Scope *s, const NodeList *stmts) {
  for (int i = 0; i < stmts->n; i++) {
    const Node *st = stmts->v[i];
    if (st->kind != ND_EQ || !st->var)
      continue;
    Sym *sym = declare(c, s, SYM_SEQ, st, st->name, st->name_loc);
    if (sym)
      sym->recurrent = st->with != NULL;
  }
}

static void check_stmt(Checker *c, Scope *s, const Node *st, NodeList *out);

static void check_stmts(Checker *c, Scope *s, const NodeList *stmts,
                        NodeList *out) {
  declare_states(c, s, stmts);
  for (int i = 0; i < stmts->n && !diag_too_many(); i++)
    check_stmt(c, s, stmts->v[i], out);
}

/* ---- the top level ----------------------------------------------------- */

static void check_model_name(Checker *c, const Node *st) {
  if (c->model_stmt) {
    error(c, st->loc, "the model is already named '%s'", c->m->name);
    note(c, c->model_stmt->loc, "named here");
    return;
  }
  c->model_stmt = st;
  c->m->name = st->name;
}

/* Where a data source's file lives: beside the model file. */
static const char *beside(const Checker *c, const char *path) {
  const char *model = c->m->file->name;
  const char *slash = strrchr(model, '/');
  if (path[0] == '/' || !slash)
    return path;
  return arena_printf("%.*s/%s", (int)(slash - model), model, path);
}

enum { MAX_TEXT = 16 << 20 };

static bool read_text_file(Checker *c, const Node *at, const char *path,
                           const char **text) {
  const char *full = beside(c, path);
  struct stat sb;
  if (stat(full, &sb) != 0) {
    error(c, at->loc, "cannot open '%s': %s", full, strerror(errno));
    return false;
  }
  if (!S_ISREG(sb.st_mode) || sb.st_size > MAX_TEXT) {
    error(c, at->loc, "'%s' is %s", full, S_ISREG(sb.st_mode) ?
          "larger than 16 MB" : "not a regular file");
    return false;
  }
  FILE *fp = fopen(full, "rb");
  if (!fp) {
    error(c, at->loc, "cannot open '%s': %s", full, strerror(errno));
    return false;
  }
  size_t cap = 4096, len = 0;
  char *buf = arena_alloc(cap);
  size_t got;
  while (len <= MAX_TEXT &&
         (got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
    len += got;
    if (cap - len - 1 == 0) {
      char *grown = arena_alloc(cap * 2);
      memcpy(grown, buf, len);
      buf = grown;
      cap *= 2;
    }
  }
  fclose(fp);
  buf[len] = '\0';
  if (strlen(buf) != len) {
    error(c, at->loc, "'%s' holds NUL bytes; text() reads plain text", full);
    return false;
  }
  *text = buf;
  return true;
}

static void define_data_const(Checker *c, const Node *st, const char *name,
                              int64_t v) {
  Sym *sym = declare(c, c->top, SYM_CONST, st, name, st->loc);
  if (!sym)
    return;
  sym->value = (Value){.kind = VAL_NUM, .num = (double)v, .is_int = true};
  symlist_push(&c->m->consts, sym);
}

/* After a failed text(), vocab and T exist but say nothing more. */
static void poison_text_consts(Checker *c, const Node *st) {
  static const char *names[] = {"vocab", "T"};
  for (int i = 0; i < 2; i++) {
    Node *decl = ast_stmt(ND_CONST, names[i], st->loc, st->loc);
    poison(c, c->top, SYM_CONST, decl);
  }
}

/* text(...) defines vocab (distinct characters) and T (steps). */
static void check_text_source(Checker *c, const Node *st, CallValue *cv) {
  const char *text = call_value(cv, "text")->str;
  const char *file = call_value(cv, "file")->str;
  if (*text && *file) {
    error(c, st->lhs->loc, "text takes a text or a file, not both");
    poison_text_consts(c, st);
    return;
  }
  if (*file && !read_text_file(c, st->lhs, file, &text)) {
    poison_text_consts(c, st);
    return;
  }
  /* The shapes depend on this very text: the compiled model carries it
   * rather than a path that could change before it runs. */
  cv->vals[opt_index(cv->spec->opts, "text")].str = text;
  cv->vals[opt_index(cv->spec->opts, "file")].str = "";
  size_t len = strlen(text);
  if (len < 2) {
    error(c, st->lhs->loc, "text needs at least 2 characters to predict "
          "one from another");
    poison_text_consts(c, st);
    return;
  }
  bool seen[256] = {0};
  int64_t vocab = 0;
  for (size_t i = 0; i < len; i++)
    if (!seen[(unsigned char)text[i]]) {
      seen[(unsigned char)text[i]] = true;
      vocab++;
    }
  define_data_const(c, st, "vocab", vocab);
  define_data_const(c, st, "T", (int64_t)len - 1);
}

static void check_data(Checker *c, const Node *st) {
  if (c->m->data) {
    error(c, st->loc, "the model already has a data source");
    return;
  }
  CallValue *cv = check_call_value(c, c->top, st->lhs, data_specs,
                                   "data source");
  if (!cv)
    return;
  c->m->data = cv;
  const char *name = cv->spec->name;
  if (strcmp(name, "text") == 0)
    check_text_source(c, st, cv);
  if (strcmp(name, "index_recall") == 0) {
    const Value *k = call_value(cv, "k"), *lengths = call_value(cv, "lengths");
    if (k->num > lengths->lo)   /* k counts from 1, as the task states */
      error(c, st->lhs->loc, "digit %g is not in every sequence: the "
            "shortest has %g digits", k->num, lengths->lo);
  }
}

static void check_io(Checker *c, const Node *st) {
  Type t;
  SymKind kind = st->kind == ND_INPUT ? SYM_INPUT : SYM_TARGET;
  if (!check_type(c, c->top, st->type, false, &t)) {
    poison(c, c->top, kind, st);
    return;
  }
  if (st->kind == ND_INPUT && t.elem == EL_CLASS) {
    error(c, st->type->loc, "an input cannot be class labels; use "
          "onehot[...] for one-hot vectors");
    poison(c, c->top, kind, st);
    return;
  }
  Sym *sym = declare(c, c->top, kind, st, st->name, st->name_loc);
  if (!sym)
    return;
  sym->ty = t;
  symlist_push(kind == SYM_INPUT ? &c->m->inputs : &c->m->targets, sym);
}

static void check_loss(Checker *c, const Node *st) {
  if (c->m->loss) {
    error(c, st->loc, "the model already has a loss; add the terms in one "
          "statement: loss a + b");
    return;
  }
  name_calls(c, c->top, "loss", st->lhs, NULL);
  Node *v = check_expr(c, c->top, st->lhs);
  if (is_error(v))
    return;
  if (is_const(v)) {
    error(c, st->lhs->loc, "the loss is a constant; it must depend on the "
          "model");
    return;
  }
  if (v->ty->ndim != 0) {
    error(c, st->lhs->loc, "the loss must be a scalar, got %s",
          type_str(v->ty));
    note(c, st->lhs->loc, "use a loss function such as cross_entropy(...) "
         "or reduce with sum(...) or mean(...)");
    return;
  }
  c->m->loss = v;
  c->m->loss_per_example = !v->ty->reduced;
}

static void check_train(Checker *c, const Node *st) {
  static const CallSpec train_spec = {"train", NULL, train_opts, NULL};
  if (c->m->train) {
    error(c, st->loc, "the model already has a train block");
    return;
  }
  CallValue *cv = new_call_value(&train_spec);
  NodeList args = {0};
  for (int i = 0; i < st->list.n; i++) {
    const Node *o = st->list.v[i];
    if (strcmp(o->name, "data") == 0) {
      error(c, o->loc, "the data source is a statement of its own: write "
            "'data %s(...)' outside the train block", o->lhs->name);
      continue;
    }
    Node *a = ast_arg(o->name, o->lhs, o->loc);
    a->name_loc = o->name_loc;
    list_push(&args, a);
  }
  fill_options(c, c->top, &args, 0, "the train block", train_opts, cv,
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

/* ---- what the data source gives --------------------------------------- */

typedef struct Provided {
  Type ty;
  bool any_shape;   /* mnist: any shape of 784 values */
} Provided;

static Type seq_type(ElemKind elem, int64_t len, bool varlen, int64_t n) {
  Type t = {.elem = elem, .ndim = n ? 2 : 1, .varlen = varlen};
  t.dims[0] = len;
  t.dims[1] = n;
  return t;
}

static int data_provides(const Checker *c, Provided *in, int *nin,
                         Provided *tg) {
  const CallValue *cv = c->m->data;
  const char *name = cv->spec->name;
  *nin = 1;
  if (strcmp(name, "mnist") == 0) {
    in[0] = (Provided){type_vector(784), true};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1, .dims = {10}}, false};
  } else if (strcmp(name, "csv") == 0 || strcmp(name, "synthetic2d") == 0) {
    int64_t f = strcmp(name, "csv") == 0 ?
        (int64_t)call_value(cv, "features")->num : 2;
    in[0] = (Provided){type_vector(f), false};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1,
                        .dims = {(int64_t)call_value(cv, "classes")->num}},
                       false};
  } else if (strcmp(name, "text") == 0) {
    const Sym *vocab = lookup(c->top, "vocab"), *T = lookup(c->top, "T");
    if (!vocab || !T)
      return 0;
    int64_t v = (int64_t)vocab->value.num, n = (int64_t)T->value.num;
    in[0] = (Provided){seq_type(EL_ONEHOT, n, false, v), false};
    tg[0] = (Provided){seq_type(EL_CLASS, n, false, v), false};
  } else if (strcmp(name, "index_recall") == 0) {
    int64_t max = (int64_t)call_value(cv, "lengths")->hi;
    in[0] = (Provided){seq_type(EL_ONEHOT, max, true, 10), false};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1, .dims = {10}}, false};
  } else {   /* binary_add */
    int64_t max = (int64_t)call_value(cv, "lengths")->hi;
    in[0] = (Provided){seq_type(EL_FLOAT, max, true, 2), false};
    tg[0] = (Provided){seq_type(EL_BINARY, max, true, 0), false};
  }
  return 1;
}

static bool elem_fits(ElemKind declared, ElemKind given) {
  if (declared == given)
    return true;
  return declared == EL_FLOAT && (given == EL_ONEHOT || given == EL_BINARY);
}

static void bind_one(Checker *c, const Sym *sym, const Provided *p,
                     const Node *data) {
  const Type *t = &sym->ty;
  bool ok = elem_fits(t->elem, p->ty.elem);
  if (p->any_shape)
    ok = ok && !t->varlen && type_numel(t) == type_numel(&p->ty);
  else
    ok = ok && (type_same_shape(t, &p->ty) ||
                (p->ty.elem == EL_BINARY &&
                 same_up_to_trailing_one(t, &p->ty)));
  if (ok)
    return;
  if (p->any_shape)
    error(c, sym->decl->type->loc, "%s '%s' is %s, but %s gives %lld "
          "values per example", kind_word(sym->kind), sym->name,
          type_str(t), c->m->data->spec->name,
          (long long)type_numel(&p->ty));
  else
    error(c, sym->decl->type->loc, "%s '%s' is %s, but %s gives %s",
          kind_word(sym->kind), sym->name, type_str(t),
          c->m->data->spec->name, type_str(&p->ty));
  note(c, data->loc, "the data source is here");
}

static void bind_data(Checker *c, const Node *data) {
  Provided in[2], tg[2];
  int nin;
  if (!data_provides(c, in, &nin, tg))
    return;
  const Model *m = c->m;
  if (m->inputs.n != nin)
    error(c, m->inputs.n ? m->inputs.v[nin]->decl->loc : data->loc,
          "%s gives %d input, but the model declares %d",
          m->data->spec->name, nin, m->inputs.n);
  else
    bind_one(c, m->inputs.v[0], &in[0], data);
  if (m->targets.n > 1)
    error(c, m->targets.v[1]->decl->loc, "%s gives 1 target, but the model "
          "declares %d", m->data->spec->name, m->targets.n);
  else if (m->targets.n == 1)
    bind_one(c, m->targets.v[0], &tg[0], data);
}

/* ---- finishing --------------------------------------------------------- */

static void collect_params(Model *m, const NodeList *body);

static void collect_expr_params(Model *m, const Node *e) {
  if (!e)
    return;
  if (e->inst) {
    for (int i = 0; i < e->inst->args.n; i++)
      collect_expr_params(m, e->inst->args.v[i]->lhs);
    collect_params(m, &e->inst->body);
    collect_expr_params(m, e->inst->result);
    return;
  }
  collect_expr_params(m, e->lhs);
  collect_expr_params(m, e->rhs);
  for (int i = 0; i < e->list.n; i++)
    collect_expr_params(m, e->list.v[i]);
}

/* Parameters in the order they are written, instances inlined. */
static void collect_params(Model *m, const NodeList *body) {
  for (int i = 0; i < body->n; i++) {
    const Node *st = body->v[i];
    if (st->kind == ND_PARAM) {
      if (!st->sym->absent)
        symlist_push(&m->params, st->sym);
      continue;
    }
    collect_expr_params(m, st->rhs);
    collect_expr_params(m, st->lhs);
  }
}

static void finish_train(Checker *c) {
  Model *m = c->m;
  if (!m->train) {
    static const CallSpec train_spec = {"train", NULL, train_opts, NULL};
    m->train = new_call_value(&train_spec);
  }
  Value *opt = &m->train->vals[opt_index(train_opts, "optimizer")];
  if (opt->kind == VAL_CALL) {
    m->optimizer = opt->call;
  } else {
    m->optimizer = new_call_value(spec_find(optimizer_specs, "sgd"));
    m->optimizer->vals[opt_index(m->optimizer->spec->opts, "lr")] =
        (Value){.kind = VAL_NUM, .num = 0.01};
    *opt = (Value){.kind = VAL_CALL, .str = "sgd", .call = m->optimizer};
  }
  Value *clip = &m->train->vals[opt_index(train_opts, "clip")];
  m->clip = clip->kind == VAL_CALL ? clip->call : NULL;
  int v = opt_index(train_opts, "validation");
  bool given = false;
  if (c->file)
    for (int i = 0; i < c->file->list.n; i++) {
      const Node *st = c->file->list.v[i];
      for (int j = 0; st->kind == ND_TRAIN && j < st->list.n; j++)
        given |= strcmp(st->list.v[j]->name, "validation") == 0;
    }
  if (!given && m->data && strcmp(m->data->spec->name, "mnist") == 0)
    m->train->vals[v] = (Value){.kind = VAL_NUM, .num = 10000, .is_int = 1};
}

static const char *model_name_from_file(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  char *name = arena_strndup(base, n);
  for (char *p = name; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')))
      *p = '_';
  return *name ? name : "model";
}

static void collect_layers(Checker *c, const Node *file, bool user) {
  for (int i = 0; i < file->list.n; i++) {
    const Node *st = file->list.v[i];
    if (st->kind != ND_LAYER)
      continue;
    const Node *old = layer_find(c, st->name);
    if (old && (user || old->loc.file == st->loc.file)) {
      error(c, st->name_loc, "layer %s is already defined", st->name);
      note(c, old->name_loc, "the first definition is here");
      continue;
    }
    if (old)
      continue;  /* the file's own layer replaces the prelude's */
    if (builtin_find(st->name)) {
      error(c, st->name_loc, "'%s' is a builtin function; choose another "
            "name for the layer", st->name);
      continue;
    }
    list_push(&c->layers, (Node *)st);
    names_put(&c->layer_names, st->name, (Node *)st);
  }
}

static void declare_truth(Checker *c, const Node *file) {
  static const char *names[] = {"false", "true"};
  for (int v = 0; v < 2; v++) {
    Sym *sym = arena_new(Sym);
    sym->kind = SYM_CONST;
    sym->name = sym->full = names[v];
    sym->decl = file;
    sym->value = (Value){.kind = VAL_NUM, .num = v, .is_int = true};
    scope_add(c->top, sym);
  }
}

Model *check_model(const Node *file, const Node *prelude, Define *defines,
                   int ndefines) {
  Checker c = {0};
  c.m = arena_new(Model);
  c.m->file = file->loc.file;
  c.file = file;
  c.defines = defines;
  c.ndefines = ndefines;
  c.top = arena_new(Scope);
  c.top->path = "";
  c.top->stmts = &file->list;
  collect_layers(&c, file, true);
  if (prelude)
    collect_layers(&c, prelude, false);
  declare_truth(&c, file);
  check_stmts(&c, c.top, &file->list, &c.m->body);
  if (!c.m->name)
    c.m->name = model_name_from_file(c.m->file ? c.m->file->name : "model");
  const Node *data = NULL;
  for (int i = 0; i < file->list.n; i++)
    if (file->list.v[i]->kind == ND_DATA)
      data = file->list.v[i];
  if (c.m->data && data && diag_error_count() == 0)
    bind_data(&c, data);
  if (file->list.n == 0 && diag_error_count() == 0)
    error(&c, (SrcLoc){c.m->file, 1, 1, 1, 1}, "the file holds no "
          "statements; a model needs at least an input and a loss");
  SrcLoc end = {c.m->file, 1, 1, 1, 1};
  if (!c.m->loss && diag_error_count() == 0 && file->list.n > 0)
    error(&c, end, "the model has no loss; add one, such as "
          "'loss cross_entropy(logits, label)'");
  for (int i = 0; i < ndefines; i++)
    if (!defines[i].used)
      diag_fatal_noloc("-D %s: the model has no constant '%s'",
                       defines[i].name, defines[i].name);
  finish_train(&c);
  collect_params(c.m, &c.m->body);
  collect_expr_params(c.m, c.m->loss);
  return c.m;
}
