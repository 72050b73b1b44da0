/* compiler/parser.y — the grammar of .net files (docs/language.md §2).
 *
 * Statements need no terminator: no expression can be followed by a token
 * that starts a statement, so the grammar stays LALR(1) without newlines.
 * Errors recover at statement level: a production `error '}'` inside an
 * expression would swallow the rest of the file after an unclosed '('.
 * Actions only call ast_* constructors; meaning is the checker's job.
 */
%define api.pure full
%define api.prefix {netc_yy}
%define parse.error custom
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {Parser *p}

%code requires {
#include "ast.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
typedef struct Parser {
  const SrcFile *file;
  Node *root;
} Parser;
}

%code provides {
int netc_yylex(NETC_YYSTYPE *val, NETC_YYLTYPE *loc, yyscan_t scanner);
const char *parse_token_name(int token);
}

%code {
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "lexer.h"
#include "parse.h"

typedef NETC_YYLTYPE YYLTYPE;
static SrcLoc loc(const Parser *p, YYLTYPE l);
static void yyerror(YYLTYPE *l, yyscan_t scanner, Parser *p, const char *msg);
static NodeList one(Node *n);
static NodeList push(NodeList l, Node *n);
static NodeList prepend(Node *n, NodeList l);
static Node *stmt(Parser *p, NodeKind k, const char *name, YYLTYPE nl,
                  YYLTYPE l);
}

%union {
  Node *node;
  NodeList list;
  const char *str;
  struct { double value; int is_int; } num;
}

%token MODEL "model" CONST "const" DATA "data" INPUT "input"
%token TARGET "target" PARAM "param" LAYER "layer" RETURN "return"
%token WITH "with" LOSS "loss" TRAIN "train" IF "if"
%token DOTDOT ".." LE "<="
%token <str> IDENT "identifier" STRING "string"
%token <num> INT "integer" FLOAT "number"

%type <node> stmt body_stmt param equation layer lparam type dim option
%type <node> expr postfix primary call arg
%type <list> stmts body lparams dims options args exprs

%nonassoc DOTDOT
%left '+' '-'
%left '*' '/' '@'
%precedence UNARY

%%

file
  : stmts                     { p->root = ast_new(ND_FILE, loc(p, @$));
                                p->root->list = $1; }
  ;

stmts
  : %empty                    { $$ = (NodeList){0}; }
  | stmts stmt                { $$ = $2 ? push($1, $2) : $1; }
  ;

stmt
  : "model" IDENT             { $$ = stmt(p, ND_MODEL, $2, @2, @$); }
  | "const" IDENT '=' expr    { $$ = stmt(p, ND_CONST, $2, @2, @$);
                                $$->lhs = $4; }
  | "data" call               { $$ = stmt(p, ND_DATA, NULL, @1, @$);
                                $$->lhs = $2; }
  | "input" IDENT ':' type    { $$ = stmt(p, ND_INPUT, $2, @2, @$);
                                $$->type = $4; }
  | "target" IDENT ':' type   { $$ = stmt(p, ND_TARGET, $2, @2, @$);
                                $$->type = $4; }
  | param
  | equation
  | "loss" expr               { $$ = stmt(p, ND_LOSS, NULL, @1, @$);
                                $$->lhs = $2; }
  | "train" '{' options '}'   { $$ = stmt(p, ND_TRAIN, NULL, @1, @$);
                                $$->list = $3; }
  | "train" '{' error '}'     { $$ = NULL; }
  | layer
  | error                     { $$ = NULL; }
  ;

param
  : "param" IDENT ':' type '=' expr
                              { $$ = stmt(p, ND_PARAM, $2, @2, @$);
                                $$->type = $4; $$->lhs = $6; }
  | "param" IDENT ':' type '=' expr "if" expr
                              { $$ = stmt(p, ND_PARAM, $2, @2, @$);
                                $$->type = $4; $$->lhs = $6; $$->rhs = $8; }
  ;

/* h = e, or a sequence defined step by step: h[t] = e with h[-1] = e0 */
equation
  : IDENT '=' expr            { $$ = stmt(p, ND_EQ, $1, @1, @$);
                                $$->lhs = $3; }
  | IDENT '[' IDENT ']' '=' expr
                              { $$ = stmt(p, ND_EQ, $1, @1, @$);
                                $$->var = $3; $$->lhs = $6; }
  | IDENT '[' IDENT ']' '=' expr "with" postfix '=' expr
                              { $$ = stmt(p, ND_EQ, $1, @1, @$);
                                $$->var = $3; $$->lhs = $6;
                                $$->with = $8; $$->rhs = $10; }
  ;

layer
  : "layer" IDENT '(' lparams ')' '{' body "return" expr '}'
                              { $$ = stmt(p, ND_LAYER, $2, @2, @$);
                                $$->list = $4; $$->body = $7;
                                $$->lhs = $9; }
  | "layer" IDENT '(' error ')' '{' body "return" expr '}'
                              { $$ = NULL; }
  ;

lparams
  : %empty                    { $$ = (NodeList){0}; }
  | lparam                    { $$ = one($1); }
  | lparams ',' lparam        { $$ = push($1, $3); }
  ;

lparam
  : IDENT                     { $$ = stmt(p, ND_LPARAM, $1, @1, @$); }
  | IDENT ':' type            { $$ = stmt(p, ND_LPARAM, $1, @1, @$);
                                $$->type = $3; }
  | IDENT '=' expr            { $$ = stmt(p, ND_LPARAM, $1, @1, @$);
                                $$->lhs = $3; }
  ;

body
  : %empty                    { $$ = (NodeList){0}; }
  | body body_stmt            { $$ = $2 ? push($1, $2) : $1; }
  ;

body_stmt
  : param
  | equation
  | "const" IDENT '=' expr    { $$ = stmt(p, ND_CONST, $2, @2, @$);
                                $$->lhs = $4; }
  | error                     { $$ = NULL; }
  ;

type
  : IDENT                     { $$ = ast_type($1, loc(p, @1), (NodeList){0},
                                              loc(p, @$)); }
  | IDENT '[' dims ']'        { $$ = ast_type($1, loc(p, @1), $3,
                                              loc(p, @$)); }
  ;

dims
  : dim                       { $$ = one($1); }
  | dims ',' dim              { $$ = push($1, $3); }
  ;

dim
  : expr                      { $$ = ast_dim($1, false, loc(p, @$)); }
  | "<=" expr                 { $$ = ast_dim($2, true, loc(p, @$)); }
  ;

options
  : %empty                    { $$ = (NodeList){0}; }
  | options option            { $$ = push($1, $2); }
  ;

/* batch 64, or batch = 64 */
option
  : IDENT expr                { $$ = stmt(p, ND_OPTION, $1, @1, @$);
                                $$->lhs = $2; }
  | IDENT '=' expr            { $$ = stmt(p, ND_OPTION, $1, @1, @$);
                                $$->lhs = $3; }
  | "data" call               { $$ = stmt(p, ND_OPTION, "data", @1, @$);
                                $$->lhs = $2; }
  ;

expr
  : expr '+' expr             { $$ = ast_binary('+', $1, $3, loc(p, @$)); }
  | expr '-' expr             { $$ = ast_binary('-', $1, $3, loc(p, @$)); }
  | expr '*' expr             { $$ = ast_binary('*', $1, $3, loc(p, @$)); }
  | expr '/' expr             { $$ = ast_binary('/', $1, $3, loc(p, @$)); }
  | expr '@' expr             { $$ = ast_binary('@', $1, $3, loc(p, @$)); }
  | expr ".." expr            { $$ = ast_range($1, $3, loc(p, @$)); }
  | '-' expr %prec UNARY      { $$ = ast_neg($2, loc(p, @$)); }
  | postfix
  ;

postfix
  : primary
  | postfix '[' exprs ']'     { $$ = ast_index($1, $3, loc(p, @$)); }
  ;

primary
  : INT                       { $$ = ast_num($1.value, 1, loc(p, @$)); }
  | FLOAT                     { $$ = ast_num($1.value, 0, loc(p, @$)); }
  | STRING                    { $$ = ast_str($1, loc(p, @$)); }
  | IDENT                     { $$ = ast_name($1, loc(p, @$)); }
  | call
  | '(' expr ')'              { $$ = $2; }
  | '(' expr ',' exprs ')'    { $$ = ast_tuple(prepend($2, $4), loc(p, @$)); }
  | '[' exprs ']'             { $$ = ast_list($2, loc(p, @$)); }
  ;

call
  : IDENT '(' ')'             { $$ = ast_call($1, loc(p, @1), (NodeList){0},
                                              loc(p, @$)); }
  | IDENT '(' args ')'        { $$ = ast_call($1, loc(p, @1), $3,
                                              loc(p, @$)); }
  ;

args
  : arg                       { $$ = one($1); }
  | args ',' arg              { $$ = push($1, $3); }
  ;

arg
  : expr                      { $$ = ast_arg(NULL, $1, loc(p, @$)); }
  | IDENT '=' expr            { $$ = ast_arg($1, $3, loc(p, @$));
                                $$->name_loc = loc(p, @1); }
  ;

exprs
  : expr                      { $$ = one($1); }
  | exprs ',' expr            { $$ = push($1, $3); }
  ;

%%

static SrcLoc loc(const Parser *p, YYLTYPE l) {
  return (SrcLoc){p->file, l.first_line, l.first_column, l.last_line,
                  l.last_column};
}

static void yyerror(YYLTYPE *l, yyscan_t scanner, Parser *p,
                    const char *msg) {
  (void)scanner;
  if (strcmp(msg, "memory exhausted") == 0)   /* the parser's stack */
    diag_error(loc(p, *l), "nested too deeply (more than %d levels)",
               YYMAXDEPTH);
  else
    diag_error(loc(p, *l), "%s", msg);
}

/* A token as a message names it: keywords and punctuation quoted. */
static const char *symbol_text(yysymbol_kind_t k) {
  const char *name = yysymbol_name(k);
  if (k >= YYSYMBOL_MODEL && k <= YYSYMBOL_LE)
    return arena_printf("'%s'", name);
  return name;
}

static bool expects(const yysymbol_kind_t *v, int n, yysymbol_kind_t k) {
  for (int i = 0; i < n; i++)
    if (v[i] == k)
      return true;
  return false;
}

/* "unexpected X, expected Y or Z"; when a whole expression could start
 * here, "expected an expression" instead of a list of its first tokens. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
                                 Parser *p) {
  (void)scanner;
  yysymbol_kind_t want[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, want, YYNTOKENS);
  yysymbol_kind_t got = yypcontext_token(ctx);
  char msg[512];
  int len = snprintf(msg, sizeof msg, "unexpected %s", symbol_text(got));
  bool expr = expects(want, n, YYSYMBOL_INT) &&
              expects(want, n, YYSYMBOL_IDENT);
  if (expr && n > 4)
    snprintf(msg + len, sizeof msg - (size_t)len, ", expected an expression");
  else if (n > 0 && n <= 5)
    for (int i = 0; i < n; i++)
      len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s",
                      i == 0 ? ", expected " : i == n - 1 ? " or " : ", ",
                      symbol_text(want[i]));
  diag_error(loc(p, *yypcontext_location(ctx)), "%s", msg);
  return 0;
}

static NodeList one(Node *n) {
  NodeList l = {0};
  list_push(&l, n);
  return l;
}

static NodeList push(NodeList l, Node *n) {
  list_push(&l, n);
  return l;
}

static NodeList prepend(Node *n, NodeList l) {
  NodeList out = one(n);
  for (int i = 0; i < l.n; i++)
    list_push(&out, l.v[i]);
  return out;
}

static Node *stmt(Parser *p, NodeKind k, const char *name, YYLTYPE nl,
                  YYLTYPE l) {
  return ast_stmt(k, name, loc(p, nl), loc(p, l));
}

const char *parse_token_name(int token) {
  if (token > 0 && token < 256) {
    static char one_char[256][4];
    snprintf(one_char[token], sizeof one_char[token], "'%c'", token);
    return one_char[token];
  }
  return yysymbol_name(YYTRANSLATE(token));
}
