/* compiler/check_scope.c — the checker's diagnostics, typed nodes and
 * scopes.
 *
 * Input: names as statements declare them and expressions use them.
 * Output: Syms in their Scope, found again by check_lookup(), and for a name
 * not found the diagnostic that explains it best (defined further down,
 * not visible in a layer, a near miss).  check_error() and check_note()
 * stay quiet while the checker infers (Checker.speculative).
 */
#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "arena.h"
#include "check_internal.h"

/* ---- diagnostics ---------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
void check_error(Checker *c, SrcLoc at, const char *fmt, ...) {
  if (c->speculative)
    return;
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_ERROR, at, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void check_note(Checker *c, SrcLoc at, const char *fmt, ...) {
  if (c->speculative)
    return;
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_NOTE, at, fmt, ap);
  va_end(ap);
}

Node *check_typed(const Node *from, NodeKind kind, Type ty) {
  Node *n = ast_new(kind, from->loc);
  n->name_loc = from->name_loc;
  n->name = from->name;
  n->ty = arena_new(Type);
  *n->ty = ty;
  return n;
}

/* The result of a failed check: an error node that later checks pass
 * over quietly, or, while inferring, a wildcard. */
Node *check_failed(Checker *c, const Node *at) {
  if (c->speculative)
    return check_typed(at, ND_NAME, type_unknown());
  Node *n = ast_error(at->loc);
  return n;
}

Node *check_const_num(const Node *at, double v, bool is_int) {
  Node *n = check_typed(at, ND_NUM, type_scalar());
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

Sym *check_scope_find_local(const Scope *s, const char *name) {
  return names_get(&s->names, name);
}

void check_scope_add(Scope *s, Sym *sym) {
  symlist_push(&s->syms, sym);
  names_put(&s->names, sym->name, sym);
  if (sym->kind == SYM_SEQ)
    symlist_push(&s->unsettled, sym);
}

const Node *check_layer_find(const Checker *c, const char *name) {
  return names_get(&c->layer_names, name);
}

const char *check_kind_word(SymKind k) {
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

Sym *check_declare(Checker *c, Scope *s, SymKind kind, const Node *decl,
                   const char *name, SrcLoc at) {
  Sym *old = check_scope_find_local(s, name);
  if (old) {
    check_error(c, at, "'%s' is already defined", name);
    check_note(c, old->decl->name_loc, "the %s '%s' is defined here",
               check_kind_word(old->kind), name);
    return NULL;
  }
  if (check_layer_find(c, name) || builtin_find(name)) {
    check_error(c, at, "'%s' is the name of a %s; choose another name", name,
                builtin_find(name) ? "builtin function" : "layer");
    return NULL;
  }
  Sym *sym = arena_new(Sym);
  sym->kind = kind;
  sym->name = name;
  sym->full = arena_printf("%s%s", s->path, name);
  sym->decl = decl;
  sym->scope = s;
  check_scope_add(s, sym);
  return sym;
}

/* Declares a name whose definition failed, so that its uses do not
 * report the same problem again as unknown names. */
void check_poison(Checker *c, Scope *s, SymKind kind, const Node *decl) {
  if (c->speculative || !decl->name || check_scope_find_local(s, decl->name))
    return;
  Sym *sym = arena_new(Sym);
  sym->kind = kind;
  sym->name = decl->name;
  sym->full = arena_printf("%s%s", s->path, decl->name);
  sym->decl = decl;
  sym->scope = s;
  sym->poisoned = true;
  sym->ty = type_unknown();
  check_scope_add(s, sym);
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

const char *check_suggest(const Checker *c, const Scope *s,
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

void check_report_unknown(Checker *c, const Scope *s, const Node *e) {
  const Node *later = defined_later(s, e->name);
  if (later) {
    check_error(c, e->loc, "'%s' is used before it is defined", e->name);
    check_note(c, later->name_loc, "'%s' is defined here", e->name);
    return;
  }
  if (s->layer) {
    Sym *outer = s->parent ? check_scope_find_local(s->parent, e->name) : NULL;
    if (outer) {
      check_error(c, e->loc, "'%s' is not visible inside layer '%s'", e->name,
                  s->layer);
      check_note(c, outer->decl->name_loc,
                 "layers see their arguments, their own definitions and "
                 "constants; pass '%s' as an argument", e->name);
      return;
    }
  }
  const char *hint = check_suggest(c, s, e->name);
  if (hint)
    check_error(c, e->loc, "unknown name '%s'; did you mean '%s'?", e->name,
                hint);
  else
    check_error(c, e->loc, "unknown name '%s'", e->name);
}

/* Looks a name up: the scope, then, from a layer, the top level's
 * constants.  Tensors of the top level are not visible in layers. */
Sym *check_lookup(const Scope *s, const char *name) {
  Sym *sym = check_scope_find_local(s, name);
  if (sym)
    return sym;
  if (s->parent) {
    sym = check_scope_find_local(s->parent, name);
    if (sym && sym->kind == SYM_CONST)
      return sym;
  }
  return NULL;
}
