/* compiler/check_options.c — constant expressions and the options of
 * calls.
 *
 * Input: an expression that must be a number, or the arguments of a call
 * to look up in a table of CallSpecs (initializers, optimizers, data
 * sources, the train block, a builtin function's options).
 * Output: the number, or a CallValue whose every option is checked
 * against its OptSpec (type, range, bound) and defaults filled in;
 * errors via check_error().
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "arena.h"
#include "check_internal.h"

/* ---- constants -------------------------------------------------------- */

bool check_const_value(Checker *c, Scope *s, const Node *e, double *v,
                       bool *is_int, const char *what) {
  Node *r = check_expr(c, s, e);
  if (is_error(r) || is_unknown(r))
    return false;
  if (!is_const(r)) {
    check_error(c, e->loc, "%s must be a number, not a tensor (%s)", what,
                type_str(r->ty));
    return false;
  }
  *v = r->num;
  *is_int = r->is_int;
  return true;
}

bool check_const_int(Checker *c, Scope *s, const Node *e, int64_t *out,
                     const char *what) {
  double v;
  bool is_int;
  if (!check_const_value(c, s, e, &v, &is_int, what))
    return false;
  if (v != floor(v) || fabs(v) > 9007199254740992.0) {
    check_error(c, e->loc, "%s must be an integer, got %g", what, v);
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
    check_error(c, at->loc, "'%s' must be positive, got %g", o->name, v);
    return false;
  case CK_NONNEG:
    if (v >= 0)
      return true;
    check_error(c, at->loc, "'%s' must not be negative, got %g", o->name, v);
    return false;
  case CK_UNIT:
    if (v >= 0 && v <= 1)
      return true;
    check_error(c, at->loc, "'%s' must be between 0 and 1, got %g", o->name, v);
    return false;
  case CK_UNIT_OPEN:
    if (v >= 0 && v < 1)
      return true;
    check_error(c, at->loc, "'%s' must be at least 0 and below 1, got %g",
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
    check_error(c, at->loc, "'%s' must be at most %.0f, got %s", o->name,
                o->max, got);
  else
    check_error(c, at->loc, "'%s' must be at least %.0f, got %s", o->name,
                -o->max, got);
  return false;
}

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
  if (!check_const_value(c, s, e, &v, &is_int, arena_printf("'%s'", o->name)))
    return false;
  if (o->type == OT_INT && v != floor(v)) {
    check_error(c, e->loc, "'%s' must be an integer, got %g", o->name, v);
    return false;
  }
  if (o->type == OT_BOOL && v != 0 && v != 1) {
    check_error(c, e->loc, "'%s' must be true or false, got %g", o->name, v);
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
    check_error(c, e->loc, "'%s' must be a pair such as (0.9, 0.999)", o->name);
    return false;
  }
  double a, b;
  bool ia, ib;
  if (!check_const_value(c, s, e->list.v[0], &a, &ia, o->name) ||
      !check_const_value(c, s, e->list.v[1], &b, &ib, o->name))
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
    check_error(c, e->loc, "'%s' must be a range such as 3 .. 10", o->name);
    return false;
  }
  int64_t lo, hi;
  if (!check_const_int(c, s, e->lhs, &lo, "the start of a range") ||
      !check_const_int(c, s, e->rhs, &hi, "the end of a range"))
    return false;
  if (lo > hi) {
    check_error(c, e->loc, "the range %lld .. %lld is empty", (long long)lo,
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
      check_error(c, e->loc, "'%s' must be a string", o->name);
      return false;
    }
    *out = (Value){.kind = VAL_STR, .str = e->str};
    return true;
  case OT_WORD:
    if (e->kind != ND_NAME || !word_allowed(o->words, e->name)) {
      check_error(c, e->loc, "'%s' must be one of: %s", o->name, o->words);
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
bool check_fill_options(Checker *c, Scope *s, const NodeList *args,
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
        check_error(c, a->name_loc, "unknown option '%s' for %s", a->name,
                    owner);
        if (n)
          check_note(c, a->name_loc, "%s takes: %s", owner, opt_names(opts));
        ok = false;
        continue;
      }
    } else {
      k = pos++;
      if (k >= n) {
        check_error(c, a->loc, "too many arguments for %s (it takes %d)", owner,
                    n + first);
        ok = false;
        continue;
      }
    }
    if (given[k]) {
      check_error(c, a->loc, "option '%s' of %s is given twice", opts[k].name,
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
      check_error(c, at, "%s needs the option '%s'", owner, opts[k].name);
      ok = false;
    }
  return ok;
}

CallValue *check_new_call_value(const CallSpec *spec) {
  CallValue *cv = arena_new(CallValue);
  cv->spec = spec;
  cv->nvals = opt_count(spec->opts);
  cv->vals = arena_array(Value, cv->nvals + 1);
  for (int i = 0; i < cv->nvals; i++)
    cv->vals[i] = spec->opts[i].dflt;
  return cv;
}

/* name(args) or a bare name, looked up in a table of CallSpecs. */
CallValue *check_call_value(Checker *c, Scope *s, const Node *call,
                            const CallSpec *table, const char *what) {
  if (call->kind != ND_CALL && call->kind != ND_NAME) {
    if (!is_error(call))
      check_error(c, call->loc, "expected %s such as %s(...)", what,
                  table->name);
    return NULL;
  }
  const CallSpec *spec = spec_find(table, call->name);
  if (!spec) {
    check_error(c, call->name_loc, "unknown %s '%s'", what, call->name);
    check_note(c, call->name_loc, "known: %s", spec_names(table));
    return NULL;
  }
  spec = resolve_alias(table, spec);
  CallValue *cv = check_new_call_value(spec);
  static const NodeList none;
  const NodeList *args = call->kind == ND_CALL ? &call->list : &none;
  if (!check_fill_options(c, s, args, 0, spec->name, spec->opts, cv, call->loc))
    return NULL;
  return cv;
}
