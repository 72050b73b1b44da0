/* compiler/ast.c — constructors and printers for the syntax tree. */
#include <config.h>

#include "ast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

void list_push(NodeList *l, Node *n) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 4;
    Node **v = arena_array(Node *, cap);
    if (l->n)
      memcpy(v, l->v, sizeof(Node *) * (size_t)l->n);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = n;
}

Node *ast_new(NodeKind kind, SrcLoc loc) {
  Node *n = arena_new(Node);
  n->kind = kind;
  n->loc = loc;
  n->name_loc = loc;
  n->depth = 1;
  return n;
}

/* Depth is tracked as the tree is built: a chain such as 1+1+...+1 is
 * shallow on the parser's stack but deep as a tree. */
static Node *with_depth(Node *n, int child_depth) {
  n->depth = child_depth + 1;
  if (n->depth <= AST_MAX_DEPTH)
    return n;
  /* Reported once: the error node is "too deep" itself, so the levels
   * around it fold into it quietly. */
  if (child_depth <= AST_MAX_DEPTH)
    diag_error(n->loc, "expression is nested too deeply (more than %d levels)",
               AST_MAX_DEPTH);
  Node *e = ast_error(n->loc);
  e->depth = AST_MAX_DEPTH + 1;
  return e;
}

static int max_depth(const NodeList *l) {
  int d = 0;
  for (int i = 0; i < l->n; i++)
    if (l->v[i]->depth > d)
      d = l->v[i]->depth;
  return d;
}

Node *ast_num(double v, bool is_int, SrcLoc loc) {
  Node *n = ast_new(ND_NUM, loc);
  n->num = v;
  n->is_int = is_int;
  return n;
}

Node *ast_str(const char *s, SrcLoc loc) {
  Node *n = ast_new(ND_STR, loc);
  n->str = s;
  return n;
}

Node *ast_name(const char *name, SrcLoc loc) {
  Node *n = ast_new(ND_NAME, loc);
  n->name = name;
  return n;
}

Node *ast_call(const char *name, SrcLoc name_loc, NodeList args, SrcLoc loc) {
  Node *n = ast_new(ND_CALL, loc);
  n->name = name;
  n->name_loc = name_loc;
  n->list = args;
  return with_depth(n, max_depth(&args));
}

Node *ast_arg(const char *name, Node *value, SrcLoc loc) {
  Node *n = ast_new(ND_ARG, loc);
  n->name = name;
  n->lhs = value;
  n->name_loc = loc;
  return with_depth(n, value->depth);
}

Node *ast_index(Node *base, NodeList idx, SrcLoc loc) {
  Node *n = ast_new(ND_INDEX, loc);
  n->lhs = base;
  n->list = idx;
  int d = max_depth(&idx);
  return with_depth(n, base->depth > d ? base->depth : d);
}

Node *ast_range(Node *lo, Node *hi, SrcLoc loc) {
  Node *n = ast_new(ND_RANGE, loc);
  n->lhs = lo;
  n->rhs = hi;
  return with_depth(n, lo->depth > hi->depth ? lo->depth : hi->depth);
}

Node *ast_binary(char op, Node *lhs, Node *rhs, SrcLoc loc) {
  Node *n = ast_new(ND_BINARY, loc);
  n->op = op;
  n->lhs = lhs;
  n->rhs = rhs;
  return with_depth(n, lhs->depth > rhs->depth ? lhs->depth : rhs->depth);
}

Node *ast_neg(Node *operand, SrcLoc loc) {
  Node *n = ast_new(ND_NEG, loc);
  n->lhs = operand;
  return with_depth(n, operand->depth);
}

Node *ast_tuple(NodeList items, SrcLoc loc) {
  Node *n = ast_new(ND_TUPLE, loc);
  n->list = items;
  return with_depth(n, max_depth(&items));
}

Node *ast_list(NodeList items, SrcLoc loc) {
  Node *n = ast_new(ND_LIST, loc);
  n->list = items;
  return with_depth(n, max_depth(&items));
}

Node *ast_error(SrcLoc loc) {
  Node *n = ast_new(ND_ERROR, loc);
  return n;
}

Node *ast_type(const char *elem, SrcLoc elem_loc, NodeList dims, SrcLoc loc) {
  Node *n = ast_new(ND_TYPE, loc);
  n->name = elem;
  n->name_loc = elem_loc;
  n->list = dims;
  return with_depth(n, max_depth(&dims));
}

Node *ast_dim(Node *size, bool is_max, SrcLoc loc) {
  Node *n = ast_new(ND_DIM, loc);
  n->lhs = size;
  n->is_max = is_max;
  return with_depth(n, size->depth);
}

Node *ast_stmt(NodeKind kind, const char *name, SrcLoc name_loc, SrcLoc loc) {
  Node *n = ast_new(kind, loc);
  n->name = name;
  n->name_loc = name_loc;
  return n;
}

const char *ast_kind_name(NodeKind kind) {
  static const char *names[] = {
    [ND_NUM] = "num", [ND_STR] = "str", [ND_NAME] = "name",
    [ND_CALL] = "call", [ND_ARG] = "arg", [ND_INDEX] = "index",
    [ND_RANGE] = "range", [ND_BINARY] = "binary", [ND_NEG] = "neg",
    [ND_TUPLE] = "tuple", [ND_LIST] = "list", [ND_ERROR] = "error",
    [ND_TYPE] = "type", [ND_DIM] = "dim", [ND_MODEL] = "model",
    [ND_CONST] = "const", [ND_DATA] = "data", [ND_INPUT] = "input",
    [ND_TARGET] = "target", [ND_PARAM] = "param", [ND_EQ] = "eq",
    [ND_LOSS] = "loss", [ND_TRAIN] = "train", [ND_OPTION] = "option",
    [ND_LAYER] = "layer", [ND_LPARAM] = "lparam", [ND_FILE] = "file",
    [ND_STEP] = "step", [ND_RETURN] = "return",
  };
  return names[kind];
}

/* The shortest %g form that reads back as the same double. */
const char *shortest_num(double v) {
  static char buf[32];
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  return buf;
}

/* Numbers print so that they read back as the same value. */
static void print_num(FILE *out, double v, bool is_int) {
  if (is_int)
    fprintf(out, "%.0f", v);
  else if (v == floor(v) && fabs(v) < 1e15)
    fprintf(out, "%.1f", v);
  else
    fprintf(out, "%s", shortest_num(v));
}

static void print_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", out);
    else if (c == '\t')
      fputs("\\t", out);
    else if (c < 32 || c > 126)
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static void print_list(FILE *out, const NodeList *l, const char *sep) {
  for (int i = 0; i < l->n; i++) {
    if (i)
      fputs(sep, out);
    ast_print_expr(out, l->v[i]);
  }
}

static int precedence(const Node *n) {
  if (n->kind == ND_RANGE)
    return 1;
  if (n->kind == ND_BINARY)
    return n->op == '+' || n->op == '-' ? 2 : 3;
  if (n->kind == ND_NEG)
    return 4;
  return 5;
}

static void print_operand(FILE *out, const Node *n, int min_prec) {
  int paren = precedence(n) < min_prec;
  if (paren)
    fputc('(', out);
  ast_print_expr(out, n);
  if (paren)
    fputc(')', out);
}

/* Prints an expression or a type in the syntax of the language, with the
 * parentheses that its tree needs. */
void ast_print_expr(FILE *out, const Node *n) {
  switch (n->kind) {
  case ND_NUM: print_num(out, n->num, n->is_int); return;
  case ND_STR: print_string(out, n->str); return;
  case ND_NAME: fputs(n->name, out); return;
  case ND_ERROR: fputs("<error>", out); return;
  case ND_CALL:
    fprintf(out, "%s(", n->name);
    print_list(out, &n->list, ", ");
    fputc(')', out);
    return;
  case ND_ARG:
    if (n->name)
      fprintf(out, "%s = ", n->name);
    ast_print_expr(out, n->lhs);
    return;
  case ND_INDEX:
    print_operand(out, n->lhs, 5);
    fputc('[', out);
    print_list(out, &n->list, ", ");
    fputc(']', out);
    return;
  case ND_RANGE:
    print_operand(out, n->lhs, 2);
    fputs(" .. ", out);
    print_operand(out, n->rhs, 2);
    return;
  case ND_BINARY: {
    int p = precedence(n);
    print_operand(out, n->lhs, p);
    fprintf(out, " %c ", n->op);
    print_operand(out, n->rhs, p + 1);
    return;
  }
  case ND_NEG:
    fputc('-', out);
    print_operand(out, n->lhs, 4);
    return;
  case ND_TUPLE:
    fputc('(', out);
    print_list(out, &n->list, ", ");
    fputc(')', out);
    return;
  case ND_LIST:
    fputc('[', out);
    print_list(out, &n->list, ", ");
    fputc(']', out);
    return;
  case ND_TYPE:
    fputs(n->name, out);
    if (n->list.n) {
      fputc('[', out);
      print_list(out, &n->list, ", ");
      fputc(']', out);
    }
    return;
  case ND_DIM:
    if (n->is_max)
      fputs("<=", out);
    ast_print_expr(out, n->lhs);
    return;
  default:
    fprintf(out, "<%s>", ast_kind_name(n->kind));
    return;
  }
}

char *ast_expr_string(const Node *n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out)
    DIE("open_memstream failed");
  ast_print_expr(out, n);
  fclose(out);
  char *s = arena_strndup(buf, len);
  free(buf);
  return s;
}

static void indent(FILE *out, int level) {
  for (int i = 0; i < level; i++)
    fputs("  ", out);
}

static void dump_stmt(FILE *out, const Node *n, int level);

static void dump_body(FILE *out, const NodeList *body, int level) {
  for (int i = 0; i < body->n; i++)
    dump_stmt(out, body->v[i], level);
}

static void dump_expr_field(FILE *out, const char *label, const Node *e) {
  if (!e)
    return;
  fprintf(out, " (%s ", label);
  ast_print_expr(out, e);
  fputc(')', out);
}

/* One statement per line: (kind name fields...), layer bodies indented. */
static void dump_stmt(FILE *out, const Node *n, int level) {
  indent(out, level);
  fprintf(out, "(%s", ast_kind_name(n->kind));
  if (n->name)
    fprintf(out, " %s", n->name);
  if (n->var)
    fprintf(out, "[%s]", n->var);
  fprintf(out, " @%d:%d", n->loc.line, n->loc.col);
  dump_expr_field(out, "type", n->type);
  switch (n->kind) {
  case ND_EQ:
    dump_expr_field(out, "value", n->lhs);
    dump_expr_field(out, "initial", n->rhs);
    break;
  case ND_PARAM:
    dump_expr_field(out, "init", n->lhs);
    dump_expr_field(out, "if", n->rhs);
    break;
  case ND_LPARAM:
    dump_expr_field(out, "default", n->lhs);
    break;
  case ND_TRAIN:
    fputc('\n', out);
    dump_body(out, &n->list, level + 1);
    indent(out, level);
    break;
  case ND_LAYER:
    fputc('\n', out);
    dump_body(out, &n->list, level + 1);
    dump_body(out, &n->body, level + 1);
    indent(out, level + 1);
    fputs("(return", out);
    dump_expr_field(out, "value", n->lhs);
    fputs(")\n", out);
    indent(out, level);
    break;
  default:
    dump_expr_field(out, "value", n->lhs);
    break;
  }
  fputs(")\n", out);
}

void ast_dump(FILE *out, const Node *file) {
  for (int i = 0; i < file->list.n; i++)
    dump_stmt(out, file->list.v[i], 0);
}
