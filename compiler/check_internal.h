/* compiler/check_internal.h — what the parts of the checker share.
 *
 * The checker (check.h: the parsed file to a Model) is split by what it
 * checks: check.c (the entry point and finishing the model),
 * check_scope.c, check_options.c, check_expr.c, check_builtin.c,
 * check_layer.c, check_stmt.c, check_recur.c and check_data.c.  This
 * header holds the Checker's state and the functions one part calls in
 * another; only those files include it.
 */
#ifndef NETC_CHECK_INTERNAL_H
#define NETC_CHECK_INTERNAL_H

#include "check.h"
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

/* How the layer calls of one statement are named (see check_name_calls). */
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

static inline bool is_error(const Node *n) { return n->kind == ND_ERROR; }
static inline bool is_unknown(const Node *n) { return n->ty && n->ty->unknown; }
static inline bool is_const(const Node *n) { return n->kind == ND_NUM; }

/* check_scope.c: diagnostics, quiet while inferring; typed nodes; names */
__attribute__((format(printf, 3, 4)))
void check_error(Checker *c, SrcLoc at, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void check_note(Checker *c, SrcLoc at, const char *fmt, ...);
Node *check_typed(const Node *from, NodeKind kind, Type ty);
Node *check_failed(Checker *c, const Node *at);
Node *check_const_num(const Node *at, double v, bool is_int);
Sym *check_scope_find_local(const Scope *s, const char *name);
void check_scope_add(Scope *s, Sym *sym);
const Node *check_layer_find(const Checker *c, const char *name);
const char *check_kind_word(SymKind k);
Sym *check_declare(Checker *c, Scope *s, SymKind kind, const Node *decl,
                   const char *name, SrcLoc at);
void check_poison(Checker *c, Scope *s, SymKind kind, const Node *decl);
const char *check_suggest(const Checker *c, const Scope *s, const char *name);
void check_report_unknown(Checker *c, const Scope *s, const Node *e);
Sym *check_lookup(const Scope *s, const char *name);

/* check_options.c: constant values and the options of calls */
bool check_const_value(Checker *c, Scope *s, const Node *e, double *v,
                       bool *is_int, const char *what);
bool check_const_int(Checker *c, Scope *s, const Node *e, int64_t *out,
                     const char *what);
bool check_fill_options(Checker *c, Scope *s, const NodeList *args,
                        int first, const char *owner, const OptSpec *opts,
                        CallValue *cv, SrcLoc at);
CallValue *check_new_call_value(const CallSpec *spec);
CallValue *check_call_value(Checker *c, Scope *s, const Node *call,
                            const CallSpec *table, const char *what);

/* check_expr.c: expressions */
Node *check_expr(Checker *c, Scope *s, const Node *e);

/* check_builtin.c: calls of builtin functions */
Node *check_builtin(Checker *c, Scope *s, const Node *e,
                    const Builtin *fn);
bool check_same_up_to_trailing_one(const Type *p, const Type *t);

/* check_layer.c: calls of layers, and the names of their instances */
Node *check_layer_call(Checker *c, Scope *s, const Node *e,
                       const Node *layer);
void check_name_calls(Checker *c, const Scope *s, const char *stmt_name,
                      const Node *e, const Node *e2);

/* check_stmt.c: statements */
void check_stmts(Checker *c, Scope *s, const NodeList *stmts,
                 NodeList *out);

/* check_recur.c: step equations, and inferring the shapes of states */
void check_declare_states(Checker *c, Scope *s, const NodeList *stmts);
void check_step_eq(Checker *c, Scope *s, const Node *st, NodeList *out);

/* check_data.c: the data source, and what it gives the model */
void check_data(Checker *c, const Node *st);
void check_bind_data(Checker *c, const Node *data);

#endif
