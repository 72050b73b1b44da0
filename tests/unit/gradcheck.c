/* tests/unit/gradcheck.c FILE... — the backward pass of grad.c against
 * central differences, both evaluated by the reference interpreter in
 * double precision.  One TAP line per parameter of each model: the largest
 * relative error over (a sample of) its elements must stay below 1e-6.
 * Steps of 1e-4 keep rounding (1e-16 * loss / step) small for losses
 * summed over a batch; extrapolation removes the step's own error.
 * Inputs, targets and parameters are drawn from a fixed seed. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "arena.h"
#include "frontend.h"
#include "interp.h"

enum { BATCH = 3, SAMPLES = 24 };
static double EPS = 1e-4;
static const double LIMIT = 1e-6;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static double uniform(void) {     /* splitmix64, in [0, 1) */
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static int64_t count(const Type *t) {
  Type s = *t;
  if (s.elem == EL_CLASS)
    s.ndim--;
  return type_numel(&s);
}

/* Examples for one input or target: labels, bits or values in (0, 1). */
static double *examples(const Type *t) {
  int64_t n = count(t) * BATCH;
  double *x = malloc(sizeof(double) * (size_t)n);
  int64_t classes = t->ndim ? t->dims[t->ndim - 1] : 1;
  for (int64_t i = 0; i < n; i++) {
    double u = uniform();
    x[i] = t->elem == EL_CLASS ? floor(u * (double)classes)
           : t->elem == EL_BINARY ? (u < 0.5) : 0.05 + 0.9 * u;
  }
  return x;
}

static void fill_past(double *x, const Type *t, const double *len,
                      bool garbage) {
  int64_t per = count(t), row = per / t->dims[0];
  for (int b = 0; b < BATCH; b++)
    for (int64_t i = (int64_t)len[b] * row; i < per; i++)
      x[b * per + i] = garbage ? 3 * uniform() - 1 : 0;
}

static void zero_past(double *x, const Type *t, const double *len) {
  fill_past(x, t, len, false);
}

static void pad(const IrProgram *p, double **in, double **tg);

/* What lies past each sequence's length changes no loss and no gradient:
 * fill the padding with noise and compare. */
static void check_padding(const IrProgram *p, double **params, double **in,
                          double **tg, Interp *clean, const char *file) {
  if (!in[p->ninputs])
    return;
  const double *len = in[p->ninputs];
  for (int k = 0; k < p->ninputs; k++)
    if (p->inputs[k].ty.varlen)
      fill_past(in[k], &p->inputs[k].ty, len, true);
  for (int k = 0; k < p->ntargets; k++)
    if (p->targets[k].ty.varlen && p->targets[k].ty.elem != EL_CLASS)
      fill_past(tg[k], &p->targets[k].ty, len, true);
  Interp *noisy = interp_new(p, BATCH);
  interp_run(noisy, params, in, tg);
  double worst = fabs(interp_loss(noisy) - interp_loss(clean));
  for (int k = 0; k < p->nparams; k++) {
    const double *a = interp_value(clean, p->grads[k]);
    const double *b = interp_value(noisy, p->grads[k]);
    for (int64_t i = 0; i < type_numel(&p->params[k].ty); i++)
      worst = fmax(worst, fabs(a[i] - b[i]));
  }
  ok(worst < 1e-12, "%s: noise past each sequence's length changes neither "
     "the loss nor a gradient (largest change %.1e)", file, worst);
  interp_free(noisy);
  pad(p, in, tg);        /* back to zeros for what follows */
}

/* Sequences of varying length: random lengths after the inputs
 * (netrt.h), from the fewest the model reads to the most, and zeros past
 * them, as the runtime pads batches. */
static void pad(const IrProgram *p, double **in, double **tg) {
  int64_t steps = 0;
  for (int k = 0; k < p->ninputs; k++)
    if (p->inputs[k].ty.varlen)
      steps = p->inputs[k].ty.dims[0];
  if (!steps)
    return;
  double *len = in[p->ninputs];
  if (!len) {
    int64_t lengths = steps - p->min_steps + 1;
    len = malloc(sizeof(double) * BATCH);
    for (int b = 0; b < BATCH; b++)
      len[b] = b == 0 ? (double)steps
                      : (double)p->min_steps +
                        floor(uniform() * (double)lengths);
    in[p->ninputs] = len;
  }
  for (int k = 0; k < p->ninputs; k++)
    if (p->inputs[k].ty.varlen)
      zero_past(in[k], &p->inputs[k].ty, len);
  for (int k = 0; k < p->ntargets; k++)
    if (p->targets[k].ty.varlen)
      zero_past(tg[k], &p->targets[k].ty, len);
}

/* Example b's slice of a batch's inputs or targets (and its length). */
static double **example_of(const IrProgram *p, double **from, int b,
                           bool inputs) {
  int n = inputs ? p->ninputs : p->ntargets;
  const IrTensor *t = inputs ? p->inputs : p->targets;
  double **one = calloc((size_t)n + 2, sizeof(double *));
  for (int k = 0; k < n; k++)
    one[k] = from[k] + count(&t[k].ty) * b;
  if (inputs && from[n])
    one[n] = from[n] + b;
  return one;
}

/* A padded batch is the sum or the mean of its examples run one by one,
 * each at batch 1 with its own length: so are its loss and gradients. */
static void check_one_by_one(const IrProgram *p, double **params,
                             double **in, double **tg, Interp *batch,
                             const char *file) {
  if (!in[p->ninputs])
    return;
  double sum = 0, *grad[p->nparams];
  for (int k = 0; k < p->nparams; k++)
    grad[k] = calloc((size_t)type_numel(&p->params[k].ty), sizeof(double));
  for (int b = 0; b < BATCH; b++) {
    double **in1 = example_of(p, in, b, true);
    double **tg1 = example_of(p, tg, b, false);
    Interp *one = interp_new(p, 1);
    interp_run(one, params, in1, tg1);
    sum += interp_loss(one);
    for (int k = 0; k < p->nparams; k++)
      for (int64_t i = 0; i < type_numel(&p->params[k].ty); i++)
        grad[k][i] += interp_value(one, p->grads[k])[i];
    interp_free(one);
    free(in1);
    free(tg1);
  }
  double loss = interp_loss(batch);
  double scale = fabs(loss - sum / BATCH) < fabs(loss - sum) ? 1.0 / BATCH
                                                              : 1.0;
  double worst = fabs(loss - scale * sum) / fmax(fabs(loss), 1e-300);
  for (int k = 0; k < p->nparams; k++) {
    /* Per tensor, relative to its largest element: small elements are
     * differences of large terms summed in another order. */
    const double *g = interp_value(batch, p->grads[k]);
    double diff = 0, largest = 1e-300;
    for (int64_t i = 0; i < type_numel(&p->params[k].ty); i++) {
      diff = fmax(diff, fabs(g[i] - scale * grad[k][i]));
      largest = fmax(largest, fabs(g[i]));
    }
    worst = fmax(worst, diff / largest);
    free(grad[k]);
  }
  ok(worst < 1e-12, "%s: the padded batch's loss and gradients are the %s "
     "of its examples run one by one (largest relative difference %.1e)",
     file, scale == 1.0 ? "sum" : "mean", worst);
}

static double loss_at(const IrProgram *p, double **params, double **in,
                      double **tg) {
  Interp *it = interp_new(p, BATCH);
  interp_run(it, params, in, tg);
  double l = interp_loss(it);
  interp_free(it);
  return l;
}

/* d loss / d *x by central differences at steps h and h/2, combined
 * (Richardson) so that the error of the step is of order h^4. */
static double central(const IrProgram *p, double **params, double **in,
                      double **tg, double *x) {
  double keep = *x, d[2];
  for (int k = 0; k < 2; k++) {
    double h = k ? EPS / 2 : EPS;
    *x = keep + h;
    double up = loss_at(p, params, in, tg);
    *x = keep - h;
    double down = loss_at(p, params, in, tg);
    d[k] = (up - down) / (2 * h);
  }
  *x = keep;
  return (4 * d[1] - d[0]) / 3;
}

static void check_param(const IrProgram *p, int k, double **params,
                        double **in, double **tg, const double *analytic,
                        const char *file) {
  int64_t n = type_numel(&p->params[k].ty);
  double worst = 0, largest = 0;
  int64_t worst_at = 0;
  for (int64_t i = 0; i < n; i++)
    largest = fmax(largest, fabs(analytic[i]));
  for (int s = 0; s < SAMPLES && s < n; s++) {
    int64_t i = n <= SAMPLES ? s : (int64_t)(uniform() * (double)n);
    double numeric = central(p, params, in, tg, &params[k][i]);
    /* Relative to the element, or for an element much smaller than the
     * tensor's largest, to a hundredth of that: central differences
     * cannot resolve more than the loss's rounding allows. */
    double scale = fmax(fmax(fabs(numeric), fabs(analytic[i])),
                        fmax(1e-2 * largest, 1e-6));
    double err = fabs(numeric - analytic[i]) / scale;
    if (!(err <= worst)) {
      worst = err;
      worst_at = i;
    }
  }
  ok(worst < LIMIT, "%s: d loss / d %s: max relative error %.2e (at %lld)",
     file, p->params[k].name, worst, (long long)worst_at);
}

static void check_file(const char *path) {
  diag_reset();
  SrcFile *src = src_read(path);
  Model *m = src ? frontend_check(src, NULL, 0) : NULL;
  IrProgram *p = m ? lower_model(m) : NULL;
  if (!ok(p != NULL, "%s compiles to the IR", path))
    return;
  ir_grad(p);
  double **params = calloc((size_t)p->nparams + 1, sizeof(double *));
  double **in = calloc((size_t)p->ninputs + 2, sizeof(double *));
  double **tg = calloc((size_t)p->ntargets + 1, sizeof(double *));
  for (int k = 0; k < p->nparams; k++) {
    int64_t n = type_numel(&p->params[k].ty);
    params[k] = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
      params[k][i] = uniform() - 0.5;
  }
  for (int k = 0; k < p->ninputs; k++)
    in[k] = examples(&p->inputs[k].ty);
  for (int k = 0; k < p->ntargets; k++)
    tg[k] = examples(&p->targets[k].ty);
  pad(p, in, tg);
  Interp *it = interp_new(p, BATCH);
  bool ran = interp_run(it, params, in, tg);
  ok(ran && isfinite(interp_loss(it)), "%s: the loss is finite (%g)%s%s",
     path, interp_loss(it), ran ? "" : ": ", interp_error(it));
  for (int k = 0; k < p->nparams; k++)
    check_param(p, k, params, in, tg, interp_value(it, p->grads[k]), path);
  check_one_by_one(p, params, in, tg, it, path);
  check_padding(p, params, in, tg, it, path);
  interp_free(it);
  for (int k = 0; k < p->nparams; k++)
    free(params[k]);
  for (int k = 0; k <= p->ninputs; k++)
    free(in[k]);
  for (int k = 0; k < p->ntargets; k++)
    free(tg[k]);
  free(params);
  free(in);
  free(tg);
}

int main(int argc, char **argv) {
  if (getenv("GRADCHECK_EPS"))
    EPS = atof(getenv("GRADCHECK_EPS"));
  for (int i = 1; i < argc; i++)
    check_file(argv[i]);
  arena_free_all();
  return tap_done();
}
