/* tests/unit/test_frontend.c — the front end's stages through their APIs:
 * types and broadcasting, the parser's tree and locations, the checker's
 * model, the steps its sequences of varying length need, diagnostics
 * captured through the diagnostic sink, and the train block lowered into
 * the IR (its optimizers' options against netrt.h's hyperparameters). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "arena.h"
#include "check.h"
#include "frontend.h"
#include "ir.h"
#include "parse.h"
#include "step_cases.h"

typedef struct Captured {
  int n;
  DiagLevel level[32];
  int line[32], col[32];
  char msg[32][256];
} Captured;

static void capture(const Diag *d, void *ctx) {
  Captured *c = ctx;
  if (c->n == 32)
    return;
  c->level[c->n] = d->level;
  c->line[c->n] = d->at.line;
  c->col[c->n] = d->at.col;
  snprintf(c->msg[c->n], sizeof c->msg[c->n], "%s", d->msg);
  c->n++;
}

/* Checks source text with diagnostics going to *cap. */
static Model *check_text(const char *text, Captured *cap) {
  memset(cap, 0, sizeof *cap);
  diag_reset();
  diag_set_sink(capture, cap);
  const SrcFile *f = src_from_string("t.net", text, strlen(text));
  return frontend_check(f, NULL, 0);
}

static Type shape(int ndim, int64_t a, int64_t b) {
  Type t = {.elem = EL_FLOAT, .ndim = ndim, .dims = {a, b}};
  return t;
}

static void test_types(void) {
  Type a = shape(2, 3, 4), b = shape(1, 4, 0), out;
  ok(type_broadcast(&a, &b, &out) && out.ndim == 2 && out.dims[1] == 4,
     "float[3, 4] + float[4] broadcasts to float[3, 4]");
  b = shape(1, 3, 0);
  ok(!type_broadcast(&a, &b, &out), "float[3, 4] + float[3] does not");
  Type s = type_scalar();
  ok(type_broadcast(&a, &s, &out) && type_same_shape(&out, &a),
     "a scalar broadcasts to anything");
  Type v = shape(2, 10, 2);
  v.varlen = true;
  is_str(type_str(&v), "float[<=10, 2]", "a varying length prints as <=");
  Type w = shape(2, 10, 2);
  ok(!type_broadcast(&v, &w, &out),
     "a varying length does not line up with a fixed one");
  Type step = type_drop_first(&v);
  is_str(type_str(&step), "float[2]", "one step of float[<=10, 2]");
  is_str(shortest_num(0.1), "0.1", "0.1 prints as 0.1");
  is_str(shortest_num(1e-8), "1e-08", "1e-8 prints briefly");
}

static void test_parser(void) {
  Captured cap;
  diag_reset();
  diag_set_sink(capture, &cap);
  memset(&cap, 0, sizeof cap);
  const char *text = "h[t] = tanh(W @ x[t] + b) with h[-1] = 0\n"
                     "loss mse(h, y)\n";
  const SrcFile *f = src_from_string("p.net", text, strlen(text));
  Node *file = parse_file(f);
  ok(cap.n == 0 && file->list.n == 2, "two statements, no error");
  Node *eq = file->list.v[0];
  ok(eq->kind == ND_EQ && strcmp(eq->var, "t") == 0 && eq->with,
     "a step equation with its initial state");
  is_str(ast_expr_string(eq->lhs), "tanh(W @ x[t] + b)",
         "the right side prints back as written");
  ok(eq->lhs->loc.line == 1 && eq->lhs->loc.col == 8 &&
     eq->lhs->loc.end_col == 25, "its location spans 1:8 to 1:25");
  const char *bad = "a = (1 +\nb = 2\nc = 3 *\nd = 4\n";
  f = src_from_string("bad.net", bad, strlen(bad));
  parse_file(f);
  ok(cap.n == 2, "two syntax errors are reported, got %d", cap.n);
  ok(cap.line[0] == 2 && cap.col[0] == 3 && cap.line[1] == 4 &&
     cap.col[1] == 3, "at 2:3 and 4:3 (got %d:%d and %d:%d)", cap.line[0],
     cap.col[0], cap.line[1], cap.col[1]);
}

static const char *mlp =
    "input x : float[4]\n"
    "target y : class[3]\n"
    "h = relu(dense(x, 5))\n"
    "loss cross_entropy(dense(h, 3), y)\n"
    "train { optimizer adam(lr = 0.01) batch 8 }\n";

static void test_checker(void) {
  Captured cap;
  Model *m = check_text(mlp, &cap);
  ok(m && cap.n == 0, "the MLP checks");
  if (!m)
    return;
  ok(m->params.n == 4, "4 parameter tensors (got %d)", m->params.n);
  is_str(m->params.v[0]->full, "h.W", "the first is h.W");
  is_str(type_str(&m->params.v[0]->ty), "float[5, 4]", "h.W is float[5, 4]");
  is_str(m->params.v[2]->full, "loss.W", "the loss's dense is loss.W");
  ok(model_param_count(m) == 5 * 4 + 5 + 3 * 5 + 3, "43 values");
  is_str(m->optimizer->spec->name, "adam", "the optimizer is adam");
  ok(call_value(m->optimizer, "lr")->num == 0.01, "with lr 0.01");
  ok(call_value(m->optimizer, "betas")->hi == 0.999,
     "and PyTorch's default betas");
  ok(!m->loss_per_example, "cross_entropy is a batch-level loss");
}

static void test_diagnostics(void) {
  Captured cap;
  Model *m = check_text("input x : float[4]\n"
                        "target y : class[3]\n"
                        "loss cross_entropy(dense(x, 4), y)\n", &cap);
  ok(!m && cap.n >= 1, "a shape mismatch is an error");
  ok(cap.level[0] == DIAG_ERROR && cap.line[0] == 3 && cap.col[0] == 6,
     "at 3:6 (got %d:%d)", cap.line[0], cap.col[0]);
  ok(strstr(cap.msg[0], "float[4] against class[3]") != NULL,
     "naming both shapes: %s", cap.msg[0]);
  m = check_text("input x : float[4]\ntarget y : class[4]\n"
                 "h[t] = h[t-1] + x[t-1] with h[-1] = 0\n"
                 "loss cross_entropy(dense(x, 4), y)\n", &cap);
  ok(!m && cap.n == 1 && strstr(cap.msg[0], "reads before the first step"),
     "an input read at t-1: %s", cap.n ? cap.msg[0] : "-");
  m = check_text("layer f(x : float[n]) { return g(x) }\n"
                 "layer g(x : float[n]) { return f(x) }\n"
                 "input x : float[4]\ntarget y : class[4]\n"
                 "loss cross_entropy(f(x), y)\n", &cap);
  ok(!m && cap.n >= 1 && strstr(cap.msg[0], "calls itself"),
     "mutual recursion is caught: %s", cap.n ? cap.msg[0] : "-");
  diag_set_sink(NULL, NULL);
}

static void test_steps(void) {
  Captured cap;
  for (int i = 0; i < NSTEP_CASES; i++) {
    Model *m = check_text(step_case_text(i), &cap);
    ok(m && m->min_steps == step_cases[i].steps, "%s needs %lld steps "
       "(got %lld%s%s)", step_cases[i].what,
       (long long)step_cases[i].steps, m ? (long long)m->min_steps : -1LL,
       cap.n ? ": " : "", cap.n ? cap.msg[0] : "");
  }
  Model *m = check_text("input x : float[6, 2]\ntarget y : float[2]\n"
                        "loss mse(x[3] + x[-5], y)\n", &cap);
  ok(m && m->min_steps == 1, "a sequence of fixed length needs no minimum");
  diag_set_sink(NULL, NULL);
}

/* The hyperparameter an optimizer's option sets, or -1; a pair names two
 * (betas: beta1 and beta2), and which one `second` says. */
static int option_hyper(const OptSpec *o, bool second) {
  if (o->type != OT_PAIR)
    return ir_hyper_find(o->name);
  char name[64];
  snprintf(name, sizeof name, "%.*s%d", (int)strlen(o->name) - 1, o->name,
           second ? 2 : 1);
  return ir_hyper_find(name);
}

/* Every option of every optimizer of the language is a hyperparameter of
 * netrt.h's list, and every hyperparameter the list says an optimizer
 * reads is one of its options. */
static void test_optimizer_options(void) {
  for (const CallSpec *s = optimizer_specs; s->name; s++) {
    int o = -1;
    for (int k = NETRT_SGD; k <= NETRT_ADAMW; k++)
      if (strcmp(ir_optimizer_name((NetrtOptimizer)k), s->name) == 0)
        o = k;
    ok(o >= 0, "optimizer %s is one of netrt.h's", s->name);
    bool set[HY_COUNT] = {false}, known = true;
    for (const OptSpec *opt = s->opts; opt->name; opt++)
      for (int second = 0; second <= (opt->type == OT_PAIR); second++) {
        int k = option_hyper(opt, second);
        known &= k >= 0;
        if (k >= 0)
          set[k] = true;
      }
    ok(known, "%s: every option is in NETRT_HYPERPARAMETERS", s->name);
    bool covered = true;
    for (int k = 0; o >= 0 && k < HY_COUNT; k++)
      if (ir_hyper_used_by[k] & (1u << o) && !set[k]) {
        covered = false;
        printf("# %s reads %s but has no option for it\n", s->name,
               ir_hyper_name[k]);
      }
    ok(covered, "%s: an option for each hyperparameter it reads", s->name);
  }
}

/* The train block in the IR: the optimizer, its options' values (the
 * given, the defaults, a pair), clipping, the penalty, the settings. */
static void test_train_lowering(void) {
  Captured cap;
  Model *m = check_text(
      "data synthetic2d(points = 100)\n"
      "input x : float[2]\n"
      "target y : class[2]\n"
      "param W : float[2, 2] = normal(0.5, 2)\n"
      "loss cross_entropy(W @ x, y)\n"
      "train { optimizer adamw(lr = 0.01, betas = (0.8, 0.9), amsgrad = "
      "true) clip value(3) l2 0.5 batch 8 epochs 2 seed 7 shuffle false "
      "validation 10 }\n", &cap);
  IrProgram *p = m ? lower_model(m) : NULL;
  ok(p != NULL, "the adamw model lowers");
  if (!p)
    return;
  const IrTrain *t = &p->train;
  ok(t->optimizer == NETRT_ADAMW, "the optimizer is NETRT_ADAMW");
  ok(t->hyper[HY_LR] == 0.01 && t->hyper[HY_BETA1] == 0.8 &&
     t->hyper[HY_BETA2] == 0.9 && t->hyper[HY_AMSGRAD] == 1,
     "lr, betas and amsgrad as given");
  ok(t->hyper[HY_WEIGHT_DECAY] == 0.01 && t->hyper[HY_EPS] == 1e-8,
     "weight_decay and eps at adamw's defaults");
  ok(t->hyper[HY_MOMENTUM] == 0 && t->hyper[HY_CLIP_NORM] == 0,
     "what adamw and clip value do not set is 0");
  ok(t->clip == IR_CLIP_VALUE && t->hyper[HY_CLIP_VALUE] == 3,
     "clip value 3");
  ok(t->l2 == 0.5 && t->batch == 8 && t->epochs == 2 && t->seed == 7 &&
     !t->shuffle && t->validation == 10, "l2 and the run's settings");
  is_str(t->data, "synthetic2d", "the data source");
  is_str(t->data_options, "points=100\nclasses=2\nseed=1\n",
         "its options, defaults filled");
  is_str(p->name, "t", "the model's name");
  ok(p->params[0].init.kind == NETRT_INIT_NORMAL &&
     p->params[0].init.a == 0.5 && p->params[0].init.b == 2,
     "W starts normal(0.5, 2)");
}

int main(void) {
  test_types();
  test_parser();
  test_checker();
  test_diagnostics();
  test_steps();
  test_optimizer_options();
  test_train_lowering();
  arena_free_all();
  return tap_done();
}
