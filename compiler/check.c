/* compiler/check.c — name resolution, layer instantiation and shapes.
 *
 * Input: the parsed file and the parsed prelude (never modified).
 * Output: a Model (model.h) of typed copies; errors via diag_error().
 *
 * This file is the entry point: it collects the layers, checks the
 * statements in order (check_stmt.c, and the files that check their
 * parts: see check_internal.h), binds the data source, and finishes the
 * model with the train block's defaults and the parameters in the order
 * they are written.
 */
#include <config.h>

#include "check.h"

#include <string.h>

#include "arena.h"
#include "check_internal.h"

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
    m->train = check_new_call_value(&train_spec);
  }
  Value *opt = &m->train->vals[opt_index(train_opts, "optimizer")];
  if (opt->kind == VAL_CALL) {
    m->optimizer = opt->call;
  } else {
    m->optimizer = check_new_call_value(spec_find(optimizer_specs, "sgd"));
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
    const Node *old = check_layer_find(c, st->name);
    if (old && (user || old->loc.file == st->loc.file)) {
      check_error(c, st->name_loc, "layer %s is already defined", st->name);
      check_note(c, old->name_loc, "the first definition is here");
      continue;
    }
    if (old)
      continue;  /* the file's own layer replaces the prelude's */
    if (builtin_find(st->name)) {
      check_error(c, st->name_loc, "'%s' is a builtin function; choose another "
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
    check_scope_add(c->top, sym);
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
    check_bind_data(&c, data);
  if (file->list.n == 0 && diag_error_count() == 0)
    check_error(&c, (SrcLoc){c.m->file, 1, 1, 1, 1}, "the file holds no "
                "statements; a model needs at least an input and a loss");
  SrcLoc end = {c.m->file, 1, 1, 1, 1};
  if (!c.m->loss && diag_error_count() == 0 && file->list.n > 0)
    check_error(&c, end, "the model has no loss; add one, such as "
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
