/* compiler/model.h — the checked model: the checker's output and the
 * lowering's input.
 *
 * Layer calls are instantiated: each call has an Instance with its own
 * typed copy of the layer's body, so lowering can inline it as written.
 * Every typed expression node has `ty`; names point at their Sym.
 */
#ifndef NETC_MODEL_H
#define NETC_MODEL_H

#include "ast.h"
#include "builtins.h"
#include "shape.h"

typedef enum SymKind {
  SYM_CONST,    /* a constant: value */
  SYM_INPUT,    /* an input of each example */
  SYM_TARGET,   /* a target of each example */
  SYM_PARAM,    /* a trained parameter; absent ones read as zeros */
  SYM_TENSOR,   /* defined by an equation */
  SYM_SEQ,      /* defined step by step: ty is the whole sequence */
  SYM_ARG,      /* a tensor argument of a layer instance */
} SymKind;

typedef enum SeqState {
  SEQ_UNCHECKED,   /* declared, its equation not reached yet */
  SEQ_INFERRING,   /* its step type is being inferred */
  SEQ_INFERRED,    /* a step type guessed ahead of its equation */
  SEQ_DONE,        /* checked */
} SeqState;

typedef struct Sym {
  SymKind kind;
  const char *name;      /* as written */
  const char *full;      /* with the instance path: h.Wx */
  Type ty;
  Value value;           /* SYM_CONST */
  bool dim_varlen;       /* SYM_CONST bound to a varying length */
  const Node *decl;      /* the statement or parameter that declares it */
  /* SYM_PARAM */
  CallValue *init;
  bool absent;
  /* SYM_SEQ */
  Type step;             /* the type of one step */
  bool recurrent;        /* has an initial state: reads x[t-1] */
  SeqState state;
  struct Scope *scope;
  bool poisoned;         /* its definition had errors: uses stay quiet */
} Sym;

typedef struct SymList {
  Sym **v;
  int n, cap;
} SymList;

typedef struct Instance {
  const char *layer;     /* the layer's name */
  const char *path;      /* prefix of its parameters' full names */
  const Node *decl;      /* ND_LAYER */
  NodeList args;         /* typed ND_ARG: name, sym (tensor) or lhs */
  NodeList body;         /* typed statements */
  Node *result;          /* typed expression of `return` */
} Instance;

typedef struct Model {
  const char *name;
  const SrcFile *file;
  CallValue *data;       /* NULL: no data source */
  SymList consts, inputs, targets, params;
  NodeList body;         /* typed top-level statements, in order */
  Node *loss;            /* typed; a scalar */
  bool loss_per_example; /* the loss is averaged over the batch */
  CallValue *train;      /* train_opts, defaults filled */
  CallValue *optimizer;
  CallValue *clip;       /* NULL: no clipping */
  int64_t min_steps;     /* the fewest steps of an example of a sequence
                            of varying length: the most a fixed step of
                            one needs (steps.c), at least 1 */
} Model;

void symlist_push(SymList *l, Sym *s);
void model_dump(FILE *out, const Model *m);
int64_t model_param_count(const Model *m);

#endif
