/* compiler/dump.c — printing the checked model (netc --dump=ast).
 *
 * Statements print one per line in the language's own syntax with their
 * types; expressions print as S-expressions with a type on every node.
 * Layer instances nest under the statement that calls them, so every
 * parameter appears with its full name, shape and initializer.
 */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "model.h"

static void indent(FILE *out, int level) {
  for (int i = 0; i < level; i++)
    fputs("  ", out);
}

static void print_value(FILE *out, const Value *v);

static void print_call_value(FILE *out, const CallValue *cv) {
  fprintf(out, "%s(", cv->spec->name);
  for (int i = 0; i < cv->nvals; i++) {
    fprintf(out, "%s%s = ", i ? ", " : "", cv->spec->opts[i].name);
    print_value(out, &cv->vals[i]);
  }
  fputc(')', out);
}

static void print_value(FILE *out, const Value *v) {
  switch (v->kind) {
  case VAL_NONE: fputs("none", out); return;
  case VAL_NUM:
    if (v->is_int)
      fprintf(out, "%.0f", v->num);
    else
      fputs(shortest_num(v->num), out);
    return;
  case VAL_STR: {
    Node s = {.kind = ND_STR, .str = v->str};
    ast_print_expr(out, &s);
    return;
  }
  case VAL_WORD: fputs(v->str, out); return;
  case VAL_RANGE: fprintf(out, "%.0f .. %.0f", v->lo, v->hi); return;
  case VAL_PAIR:
    fprintf(out, "(%s, ", shortest_num(v->lo));
    fprintf(out, "%s)", shortest_num(v->hi));
    return;
  case VAL_CALL: print_call_value(out, v->call); return;
  }
}

static void print_type(FILE *out, const Node *n) {
  if (n->ty)
    fprintf(out, " %s", type_str(n->ty));
}

static void print_texpr(FILE *out, const Node *n);

static void print_list(FILE *out, const NodeList *l) {
  for (int i = 0; i < l->n; i++) {
    fputc(' ', out);
    print_texpr(out, l->v[i]);
  }
}

static void print_ref(FILE *out, const Node *n) {
  fprintf(out, "(%s %s", n->sym->kind == SYM_SEQ ? "seq" :
          n->sym->kind == SYM_PARAM ? "param" : n->sym->kind == SYM_INPUT ?
          "input" : n->sym->kind == SYM_TARGET ? "target" :
          n->sym->kind == SYM_ARG ? "arg" : "tensor", n->sym->full);
  print_type(out, n);
  fputc(')', out);
}

/* A typed expression as an S-expression: (op type operands...). */
static void print_texpr(FILE *out, const Node *n) {
  switch (n->kind) {
  case ND_NUM:
    if (n->is_int)
      fprintf(out, "%.0f", n->num);
    else
      fputs(shortest_num(n->num), out);
    return;
  case ND_NAME:
    if (n->sym)
      print_ref(out, n);
    else
      fprintf(out, "(? %s)", n->name);
    return;
  case ND_STEP:
    fputs(n->step == 0 ? "t" : "t-1", out);
    return;
  case ND_RANGE:
    fprintf(out, "%.0f..%.0f", n->lhs->num, n->rhs->num);
    return;
  case ND_BINARY:
    fprintf(out, "(%c", n->op);
    print_type(out, n);
    fputc(' ', out);
    print_texpr(out, n->lhs);
    fputc(' ', out);
    print_texpr(out, n->rhs);
    fputc(')', out);
    return;
  case ND_NEG:
    fputs("(neg", out);
    print_type(out, n);
    fputc(' ', out);
    print_texpr(out, n->lhs);
    fputc(')', out);
    return;
  case ND_INDEX:
    fputs("(index", out);
    print_type(out, n);
    fputc(' ', out);
    print_texpr(out, n->lhs);
    print_list(out, &n->list);
    fputc(')', out);
    return;
  case ND_CALL:
    if (n->inst) {
      fprintf(out, "(%s %s", n->inst->layer, n->inst->path);
      print_type(out, n);
      fputc(')', out);
      return;
    }
    fprintf(out, "(%s", n->fn->name);
    print_type(out, n);
    print_list(out, &n->list);
    for (int i = 0; n->opts && i < n->opts->nvals; i++) {
      fprintf(out, " %s=", n->opts->spec->opts[i].name);
      print_value(out, &n->opts->vals[i]);
    }
    fputc(')', out);
    return;
  default:
    fprintf(out, "(%s)", ast_kind_name(n->kind));
    return;
  }
}

static void dump_body(FILE *out, const NodeList *body, int level);

static void dump_instances(FILE *out, const Node *e, int level);

static void dump_instance(FILE *out, const Instance *inst, int level) {
  indent(out, level);
  fprintf(out, "instance %s = %s(", inst->path, inst->layer);
  for (int i = 0; i < inst->args.n; i++) {
    const Node *a = inst->args.v[i];
    fprintf(out, "%s%s = ", i ? ", " : "", a->name);
    if (a->sym)
      fputs(type_str(a->lhs->ty), out);
    else
      print_texpr(out, a->lhs);
  }
  fputs(")\n", out);
  for (int i = 0; i < inst->args.n; i++)
    if (inst->args.v[i]->sym) {
      indent(out, level + 1);
      fprintf(out, "arg %s = ", inst->args.v[i]->sym->full);
      print_texpr(out, inst->args.v[i]->lhs);
      fputc('\n', out);
      dump_instances(out, inst->args.v[i]->lhs, level + 1);
    }
  dump_body(out, &inst->body, level + 1);
  dump_instances(out, inst->result, level + 1);
  indent(out, level + 1);
  fputs("return ", out);
  print_texpr(out, inst->result);
  fputc('\n', out);
}

/* The instances an expression calls, in the order they are written. */
static void dump_instances(FILE *out, const Node *e, int level) {
  if (!e)
    return;
  if (e->inst) {
    dump_instance(out, e->inst, level);
    return;
  }
  dump_instances(out, e->lhs, level);
  dump_instances(out, e->rhs, level);
  for (int i = 0; i < e->list.n; i++)
    dump_instances(out, e->list.v[i], level);
}

static void dump_param(FILE *out, const Node *st, int level) {
  const Sym *p = st->sym;
  indent(out, level);
  fprintf(out, "param %s : %s = ", p->full, type_str(&p->ty));
  print_call_value(out, p->init);
  if (p->absent)
    fputs("  # absent: reads as 0", out);
  fputc('\n', out);
}

static void dump_eq(FILE *out, const Node *st, int level) {
  const Sym *s = st->sym;
  dump_instances(out, st->rhs, level);
  dump_instances(out, st->lhs, level);
  indent(out, level);
  if (st->var) {
    fprintf(out, "%s[%s] : %s, step %s", s->full, st->var, type_str(&s->ty),
            type_str(&s->step));
    if (st->rhs) {
      fputs(", initial ", out);
      print_texpr(out, st->rhs);
    }
  } else {
    fprintf(out, "%s : %s", s->full, type_str(&s->ty));
  }
  fputs("\n", out);
  indent(out, level + 1);
  fputs("= ", out);
  print_texpr(out, st->lhs);
  fputc('\n', out);
}

static void dump_body(FILE *out, const NodeList *body, int level) {
  for (int i = 0; i < body->n; i++) {
    const Node *st = body->v[i];
    if (st->kind == ND_PARAM)
      dump_param(out, st, level);
    else
      dump_eq(out, st, level);
  }
}

int64_t model_param_count(const Model *m) {
  int64_t n = 0;
  for (int i = 0; i < m->params.n; i++)
    n += type_numel(&m->params.v[i]->ty);
  return n;
}

static void dump_header(FILE *out, const Model *m) {
  fprintf(out, "model %s\n", m->name);
  if (m->data) {
    fputs("data ", out);
    print_call_value(out, m->data);
    fputc('\n', out);
  }
  for (int i = 0; i < m->consts.n; i++) {
    fprintf(out, "const %s = ", m->consts.v[i]->name);
    print_value(out, &m->consts.v[i]->value);
    fputc('\n', out);
  }
  for (int i = 0; i < m->inputs.n; i++) {
    const Type *t = &m->inputs.v[i]->ty;
    fprintf(out, "input %s : %s", m->inputs.v[i]->name, type_str(t));
    if (t->varlen && m->min_steps > 1)   /* steps.c */
      fprintf(out, ", at least %" PRId64 " steps", m->min_steps);
    fputc('\n', out);
  }
  for (int i = 0; i < m->targets.n; i++)
    fprintf(out, "target %s : %s\n", m->targets.v[i]->name,
            type_str(&m->targets.v[i]->ty));
}

static void dump_train(FILE *out, const Model *m) {
  fputs("train\n", out);
  for (int i = 0; i < m->train->nvals; i++) {
    if (m->train->vals[i].kind == VAL_NONE)
      continue;
    fprintf(out, "  %s ", train_opts[i].name);
    print_value(out, &m->train->vals[i]);
    fputc('\n', out);
  }
}

static void dump_params(FILE *out, const Model *m) {
  fprintf(out, "parameters: %d tensors, %" PRId64 " values\n", m->params.n,
          model_param_count(m));
  for (int i = 0; i < m->params.n; i++) {
    const Sym *p = m->params.v[i];
    fprintf(out, "  %-24s %-20s %" PRId64 "\n", p->full, type_str(&p->ty),
            type_numel(&p->ty));
  }
}

void model_dump(FILE *out, const Model *m) {
  dump_header(out, m);
  dump_body(out, &m->body, 0);
  if (m->loss) {
    dump_instances(out, m->loss, 0);
    fprintf(out, "loss : %s%s\n", type_str(m->loss->ty),
            m->loss_per_example ? ", the mean over the batch" : "");
    fputs("  = ", out);
    print_texpr(out, m->loss);
    fputc('\n', out);
  }
  dump_train(out, m);
  dump_params(out, m);
}
