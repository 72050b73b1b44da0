/* compiler/ast.h — the syntax tree of a .net file.
 *
 * The parser builds it with the ast_* constructors; the checker (check.c)
 * never edits a parsed tree: it builds typed copies (see model.h), so one
 * layer body can be instantiated many times with different shapes.
 * Memory: every node lives in the arena (arena.h) until the process ends.
 */
#ifndef NETC_AST_H
#define NETC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

typedef struct Node Node;

typedef struct NodeList {
  Node **v;
  int n, cap;
} NodeList;

typedef enum NodeKind {
  /* expressions */
  ND_NUM,      /* 3, 0.5, 1e-3: num, is_int */
  ND_STR,      /* "text": str */
  ND_NAME,     /* hidden: name */
  ND_CALL,     /* f(a, k = v): name, list (ND_ARG) */
  ND_ARG,      /* k = v or v: name (may be NULL), lhs */
  ND_INDEX,    /* x[i, j]: lhs, list */
  ND_RANGE,    /* a .. b, both ends included: lhs, rhs */
  ND_BINARY,   /* a + b: op, lhs, rhs */
  ND_NEG,      /* -a: lhs */
  ND_TUPLE,    /* (a, b): list */
  ND_LIST,     /* [a, b]: list */
  ND_ERROR,    /* where the parser recovered from an error */
  ND_STEP,     /* typed only: the step index t or t-1 in x[t], h[t-1] */
  /* types */
  ND_TYPE,     /* float[dims]: name (element kind), list (ND_DIM) */
  ND_DIM,      /* a dimension: lhs; is_max for '<=' (a maximum length) */
  /* statements */
  ND_MODEL,    /* model NAME */
  ND_CONST,    /* const NAME = lhs */
  ND_DATA,     /* data call: lhs (ND_CALL) */
  ND_INPUT,    /* input NAME : type */
  ND_TARGET,   /* target NAME : type */
  ND_PARAM,    /* param NAME : type = lhs (init) [if rhs] */
  ND_EQ,       /* NAME = lhs, or NAME[var] = lhs with NAME[-1] = rhs */
  ND_LOSS,     /* loss lhs */
  ND_TRAIN,    /* train { list (ND_OPTION) } */
  ND_OPTION,   /* NAME lhs: one setting of the train block */
  ND_LAYER,    /* layer NAME(list of ND_LPARAM) { body; return lhs } */
  ND_LPARAM,   /* a layer parameter: NAME [: type] [= default (lhs)] */
  ND_FILE,     /* the whole file: list */
  ND_RETURN,   /* typed only: a layer instance's result, lhs */
} NodeKind;

struct Node {
  NodeKind kind;
  SrcLoc loc;          /* the whole construct */
  SrcLoc name_loc;     /* where `name` is written, for statements */
  const char *name;
  const char *str;
  double num;
  bool is_int;
  bool is_max;
  char op;             /* '+', '-', '*', '/', '@' */
  const char *var;     /* time variable of a step equation: h[t] */
  Node *lhs, *rhs;
  Node *type;          /* ND_TYPE of input, target, param, layer param */
  Node *with;          /* ND_INDEX target of `with h[-1] = ...` */
  NodeList list;
  NodeList body;       /* statements of a layer */
  int depth;           /* nesting depth of an expression */
  /* Set by the checker on the typed copies it builds (model.h). */
  struct Type *ty;
  struct Sym *sym;
  struct Instance *inst;
  const struct Builtin *fn;
  struct CallValue *opts;
  int step;            /* ND_STEP: 0 for x[t], -1 for h[t-1] */
};

/* Expressions nested deeper than this are refused with a diagnostic, so
 * every recursive walk over the tree is bounded. */
enum { AST_MAX_DEPTH = 200 };

void list_push(NodeList *l, Node *n);

Node *ast_new(NodeKind kind, SrcLoc loc);
Node *ast_num(double v, bool is_int, SrcLoc loc);
Node *ast_str(const char *s, SrcLoc loc);
Node *ast_name(const char *name, SrcLoc loc);
Node *ast_call(const char *name, SrcLoc name_loc, NodeList args, SrcLoc loc);
Node *ast_arg(const char *name, Node *value, SrcLoc loc);
Node *ast_index(Node *base, NodeList idx, SrcLoc loc);
Node *ast_range(Node *lo, Node *hi, SrcLoc loc);
Node *ast_binary(char op, Node *lhs, Node *rhs, SrcLoc loc);
Node *ast_neg(Node *operand, SrcLoc loc);
Node *ast_tuple(NodeList items, SrcLoc loc);
Node *ast_list(NodeList items, SrcLoc loc);
Node *ast_error(SrcLoc loc);
Node *ast_type(const char *elem, SrcLoc elem_loc, NodeList dims, SrcLoc loc);
Node *ast_dim(Node *size, bool is_max, SrcLoc loc);
Node *ast_stmt(NodeKind kind, const char *name, SrcLoc name_loc, SrcLoc loc);

const char *ast_kind_name(NodeKind kind);
void ast_dump(FILE *out, const Node *n);      /* S-expressions, untyped */
void ast_print_expr(FILE *out, const Node *n); /* back to source form */
char *ast_expr_string(const Node *n);          /* the same, in the arena */
const char *shortest_num(double v);  /* "%g" that reads back exactly */

#endif
