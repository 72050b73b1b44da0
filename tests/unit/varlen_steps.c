/* tests/unit/varlen_steps.c — the fixed steps of sequences of varying
 * length (compiler/steps.c) in the interpreter and in generated code,
 * for each model of step_cases.h: the compiled model's descriptor
 * carries the fewest steps (netrt.h's min_steps, which the runtime
 * checks its data against); a batch whose shortest example has exactly
 * that many runs, the same loss and predictions in both, and noise past
 * each example's length changes neither; one step shorter, the
 * interpreter refuses the batch, naming the example. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "emit.h"
#include "frontend.h"
#include "interp.h"
#include "netrt.h"
#include "step_cases.h"

enum { BATCH = 2 };

typedef struct Batch {
  double **params;
  double *x, *y, len[BATCH];
  double *inputs[2], *targets[1];
} Batch;

/* Example 0 at the longest, example 1 `shortest` long; past each
 * length zeros, as netrt.h wants, or noise. */
static void fill(Batch *b, const IrProgram *p, int64_t shortest, bool noise) {
  int64_t per = STEP_CASE_MAX * 2;
  b->len[0] = STEP_CASE_MAX;
  b->len[1] = (double)shortest;
  for (int e = 0; e < BATCH; e++)
    for (int64_t i = 0; i < per; i++)
      b->x[e * per + i] = i / 2 < (int64_t)b->len[e] ? 0.1 * (double)i - 0.3
                          : noise ? 3 * sin(11.0 * (double)i) + 1 : 0;
  for (int i = 0; i < 2 * BATCH; i++)
    b->y[i] = 0.25 * i;
  for (int k = 0; k < p->nparams; k++) {
    int64_t n = type_numel(&p->params[k].ty);
    for (int64_t i = 0; i < n; i++)
      b->params[k][i] = 0.3 * sin(7.0 * (double)(i + k));
  }
}

static Batch *new_batch(const IrProgram *p) {
  Batch *b = calloc(1, sizeof *b);
  b->x = calloc(STEP_CASE_MAX * 2 * BATCH, sizeof(double));
  b->y = calloc(2 * BATCH, sizeof(double));
  b->params = calloc((size_t)p->nparams + 1, sizeof(double *));
  for (int k = 0; k < p->nparams; k++)
    b->params[k] = calloc((size_t)type_numel(&p->params[k].ty),
                          sizeof(double));
  b->inputs[0] = b->x;
  b->inputs[1] = b->len;
  b->targets[0] = b->y;
  return b;
}

static void free_batch(Batch *b, const IrProgram *p) {
  for (int k = 0; k < p->nparams; k++)
    free(b->params[k]);
  free(b->params);
  free(b->x);
  free(b->y);
  free(b);
}

/* The generated code's loss of batch b (f64), its predictions in out. */
static double generated_loss(const NetrtModel *m, const Batch *b,
                             double *out) {
  double *flat = calloc((size_t)m->param_count + 1, sizeof(double));
  for (int k = 0; k < m->nparams; k++)
    memcpy(flat + m->params[k].offset, b->params[k],
           sizeof(double) * (size_t)m->params[k].count);
  void *ws = calloc(1, (size_t)m->workspace_bytes + 64);
  const void *in[2] = {b->x, b->len}, *tg[1] = {b->y};
  double loss = m->evaluate(flat, in, tg, BATCH, out, ws);
  free(ws);
  free(flat);
  return loss;
}

/* Runs batch b in both; the largest difference of loss and predictions. */
static double run_both(const IrProgram *p, const NetrtModel *m, Batch *b,
                       double *loss) {
  Interp *it = interp_new(p, BATCH);
  if (!interp_run(it, b->params, b->inputs, b->targets)) {
    printf("# interp: %s\n", interp_error(it));
    interp_free(it);
    return INFINITY;
  }
  double out[2 * BATCH];
  *loss = interp_loss(it);
  double worst = fabs(generated_loss(m, b, out) - *loss);
  const double *want = interp_value(it, p->output);
  for (int i = 0; i < 2 * BATCH; i++)
    worst = fmax(worst, fabs(out[i] - want[i]));
  interp_free(it);
  return worst;
}

static void at_fewest(int i, const IrProgram *p, const NetrtModel *m) {
  const char *what = step_cases[i].what;
  int64_t need = step_cases[i].steps;
  Batch *b = new_batch(p);
  fill(b, p, need, false);
  double clean, noisy;
  double e = run_both(p, m, b, &clean);
  ok(e < 1e-12, "%s: examples of %lld steps run, generated code as the "
     "interpreter (difference %.1e)", what, (long long)need, e);
  fill(b, p, need, true);
  e = run_both(p, m, b, &noisy);
  e = fmax(e, fabs(noisy - clean));
  ok(e < 1e-12, "%s: and noise past the lengths changes nothing "
     "(difference %.1e)", what, e);
  free_batch(b, p);
}

static void one_shorter(int i, const IrProgram *p) {
  int64_t need = step_cases[i].steps;
  if (need <= 1)
    return;
  Batch *b = new_batch(p);
  fill(b, p, need - 1, false);
  Interp *it = interp_new(p, BATCH);
  bool ran = interp_run(it, b->params, b->inputs, b->targets);
  char want[128];
  snprintf(want, sizeof want, "example 1 has %lld step%s; the model needs "
           "sequences of at least %lld steps", (long long)need - 1,
           need == 2 ? "" : "s", (long long)need);
  ok(!ran && strcmp(interp_error(it), want) == 0, "%s: the interpreter "
     "refuses an example of %lld steps: %s", step_cases[i].what,
     (long long)need - 1, interp_error(it));
  interp_free(it);
  free_batch(b, p);
}

static void check_case(int i) {
  diag_reset();
  const char *text = step_case_text(i);
  const SrcFile *src = src_from_string("case.net", text, strlen(text));
  Model *model = frontend_check(src, NULL, 0);
  IrProgram *p = model ? lower_model(model) : NULL;
  if (!ok(p && p->min_steps == step_cases[i].steps, "%s: the program "
          "reads examples of at least %lld steps", step_cases[i].what,
          (long long)step_cases[i].steps))
    return;
  ir_grad(p);
  CodegenOptions cgo = {.dtype_bytes = 8, .batch = BATCH};
  EmitOptions eo = {.kind = EMIT_EXECUTABLE, .opt_level = 2};
  const void *desc;
  Jit *jit = emit_jit(p, &cgo, &eo, &desc);
  if (!ok(jit != NULL, "%s: compiles in memory", step_cases[i].what))
    return;
  const NetrtModel *m = desc;
  ok(m->min_steps == step_cases[i].steps, "%s: its descriptor says so "
     "(min_steps %lld)", step_cases[i].what, (long long)m->min_steps);
  at_fewest(i, p, m);
  one_shorter(i, p);
  emit_jit_free(jit);
}

int main(void) {
  for (int i = 0; i < NSTEP_CASES; i++)
    check_case(i);
  arena_free_all();
  return tap_done();
}
