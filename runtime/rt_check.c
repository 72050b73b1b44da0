/* runtime/rt_check.c — the gradcheck and bench commands.
 *
 * gradcheck compares model->gradient with central differences of
 * model->evaluate on a random batch, min(4, max_batch) examples of the
 * right kinds (rt_batch_random).  For each parameter tensor it checks up
 * to --samples elements (all of a small tensor, else distinct random
 * ones).  The numeric gradient n of element x is Richardson's
 * extrapolation (4 D(h/2) - D(h)) / 3 of the central difference
 * D(h) = (f(x + h) - f(x - h)) / (2h), with a step relative to the
 * element, h = h0 max(|x|, 1), h0 = 1e-3 for double models and 1e-2 for
 * float ones (each D divides by the steps the stored reals took).
 *
 * The loss is computed with rounding errors, which central differences
 * divide by h: a loss of 138 in f64, or of 39 in f32, puts an error of
 * the size of the smaller gradients into n.  So the loss's own noise e
 * is measured (see loss_noise), and n is the better of two steps, with
 * a bound A on its error (see numeric_grad): the relative error of an
 * element is
 *   |a - n| / max(|a|, |n|, A / tolerance, 1e-2 max|a|, 1e-30)
 * with max|a| over the tensor, so that a difference within the noise
 * never fails and one well above it always does.
 *
 * bench times train_step on one random batch after a warm-up; with
 * --predict, predict on that batch, cut into parts on --threads threads
 * (see Predictors below).
 */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rt_driver.h"
#include "rt_util.h"

/* ---- gradcheck ---- */

typedef struct Check {
  RtRun run;
  RtBatch batch;
  void *grads;                 /* (param_count) reals */
  int n;                       /* examples in the batch */
  double h, tolerance, loss;
  double noise;                /* the loss's rounding error, measured */
  int64_t samples;
  RtRng rng;
} Check;

typedef struct TensorResult {
  int64_t checked, worst;      /* worst: element of the largest error */
  double error, analytic, numeric;
  double noise;                /* what the noise allowed at the worst */
} TensorResult;

static double loss_at(Check *c) {
  const NetrtModel *m = c->run.m;
  return m->evaluate(c->run.params, rt_batch_inputs_of(&c->batch),
                     rt_batch_targets_of(&c->batch), c->n, NULL,
                     c->run.work);
}

/* D(h) at real i of the parameter buffer, which it leaves as it was. */
static double central(Check *c, int64_t i, double h) {
  void *p = c->run.params;
  int bytes = c->run.m->dtype_bytes;
  double x = rt_real_get(p, bytes, i);
  rt_real_set(p, bytes, i, x + h);
  double xp = rt_real_get(p, bytes, i), fp = loss_at(c);
  rt_real_set(p, bytes, i, x - h);
  double xm = rt_real_get(p, bytes, i), fm = loss_at(c);
  rt_real_set(p, bytes, i, x);
  return xp != xm ? (fp - fm) / (xp - xm) : NAN;
}

/* The step at real i: relative to its magnitude, so that it moves a
 * large weight as much, in its own terms, as a small one. */
static double step_at(const Check *c, int64_t i) {
  double x = rt_real_get(c->run.params, c->run.m->dtype_bytes, i);
  return c->h * fmax(fabs(x), 1);
}

/* Richardson's extrapolation at step h: error h^4 (and the noise). */
static double richardson(Check *c, int64_t i, double h) {
  return (4 * central(c, i, h / 2) - central(c, i, h)) / 3;
}

/* A numeric gradient and how far off it may be. */
typedef struct Numeric {
  double value, allowed;
} Numeric;

/* The numeric gradient of real i at step h and at h/4, and the one of
 * the two whose error bound is the smaller: the loss's noise e becomes
 * 3e/s in an extrapolation at step s, and the difference of the two
 * bounds the truncation of the one at h (the one at h/4 has at most a
 * sixteenth of it, rather its 256th).  A summed loss over a long
 * sequence in f32 needs the small step (its truncation at h is 50% of
 * some gradients), a loss of 800 the large one (its noise). */
static Numeric numeric_grad(Check *c, int64_t i, double h) {
  double wide = richardson(c, i, h), narrow = richardson(c, i, h / 4);
  double noise = 3 * c->noise / h, apart = fabs(wide - narrow);
  double wide_bound = 2 * noise + apart;
  double narrow_bound = 2 * 4 * noise + apart / 16;
  if (wide_bound <= narrow_bound)
    return (Numeric){wide, wide_bound};
  return (Numeric){narrow, narrow_bound};
}

/* The loss's rounding error, measured: f at x + k d for k = -3..3, with
 * d so small that f is a straight line there to within far less than
 * its rounding; the largest distance of the seven from the line that
 * best fits them.  Measured at a real of every tensor, the largest; at
 * least one unit in the last place of the loss. */
static double noise_at(Check *c, int64_t i) {
  void *p = c->run.params;
  int bytes = c->run.m->dtype_bytes;
  double x = rt_real_get(p, bytes, i), d = step_at(c, i) * 1e-3;
  double k[7], f[7], mk = 0, mf = 0, skk = 0, skf = 0, worst = 0;
  for (int j = 0; j < 7; j++) {
    rt_real_set(p, bytes, i, x + (j - 3) * d);
    k[j] = rt_real_get(p, bytes, i) - x;
    f[j] = loss_at(c);
    mk += k[j] / 7;
    mf += f[j] / 7;
  }
  rt_real_set(p, bytes, i, x);
  for (int j = 0; j < 7; j++) {
    skk += (k[j] - mk) * (k[j] - mk);
    skf += (k[j] - mk) * (f[j] - mf);
  }
  double slope = skk > 0 ? skf / skk : 0;
  for (int j = 0; j < 7; j++)
    worst = fmax(worst, fabs(f[j] - mf - slope * (k[j] - mk)));
  return worst;
}

static double loss_noise(Check *c) {
  const NetrtModel *m = c->run.m;
  double ulp = fabs(c->loss) * (m->dtype_bytes == 8 ? 0x1p-52 : 0x1p-23);
  double noise = ulp;
  for (int i = 0; i < m->nparams; i++)
    if (m->params[i].count > 0)
      noise = fmax(noise, noise_at(c, m->params[i].offset +
                                   m->params[i].count / 2));
  return noise;
}

/* The k-th element to check: all when they fit, else distinct draws. */
static int64_t pick(Check *c, const NetrtTensor *t, int64_t k,
                    const int64_t *chosen) {
  if (t->count <= c->samples)
    return k;
  for (;;) {
    int64_t e = (int64_t)rt_rng_below(&c->rng, (uint64_t)t->count), j = 0;
    while (j < k && chosen[j] != e)
      j++;
    if (j == k)
      return e;
  }
}

static void check_tensor(Check *c, const NetrtTensor *t, int64_t *chosen,
                         TensorResult *r) {
  int bytes = c->run.m->dtype_bytes;
  double gmax = 0;
  memset(r, 0, sizeof *r);
  for (int64_t k = 0; k < t->count; k++)
    gmax = fmax(gmax, fabs(rt_real_get(c->grads, bytes, t->offset + k)));
  r->checked = t->count < c->samples ? t->count : c->samples;
  for (int64_t k = 0; k < r->checked; k++) {
    int64_t e = chosen[k] = pick(c, t, k, chosen);
    double h = step_at(c, t->offset + e);
    double a = rt_real_get(c->grads, bytes, t->offset + e);
    Numeric num = numeric_grad(c, t->offset + e, h);
    double n = num.value, noise = num.allowed;
    double floor = fmax(noise / fmax(c->tolerance, 1e-30), 1e-2 * gmax);
    double den = fmax(fmax(fabs(a), fabs(n)), fmax(floor, 1e-30));
    double err = fabs(a - n) / den;
    if (!(err <= r->error)) {           /* NaN counts as the worst */
      r->error = isnan(err) ? INFINITY : err;
      r->worst = e;
      r->analytic = a;
      r->numeric = n;
      r->noise = noise;
    }
  }
}

static int check_open(Check *c, const NetrtModel *m, const RtOpts *o,
                      char *err, size_t errsz) {
  uint64_t seed = rt_setting_seed(m, o);
  int small = m->max_batch < 4 ? m->max_batch : 4;
  memset(c, 0, sizeof *c);
  c->n = o->batch > 0 ? (int)o->batch : small;
  c->h = m->dtype_bytes == 8 ? 1e-3 : 1e-2;  /* Richardson: error h^4 */
  /* f32's differences are less exact than f64's beyond the noise too:
   * the steps are larger, and so is the truncation, or a relu's kink
   * that a step crosses (the autoencoder's worst element is 1e-2 off) */
  c->tolerance = o->tolerance >= 0 ? o->tolerance
                 : m->dtype_bytes == 8 ? 1e-6 : 5e-2;
  c->samples = o->samples > 0 ? o->samples : 20;
  rt_rng_seed(&c->rng, seed ^ 0x4752414443484bu);    /* "GRADCHK" */
  if (rt_run_alloc(&c->run, m, err, errsz) ||
      rt_batch_alloc(&c->batch, m, err, errsz))
    return -1;
  c->grads = calloc(m->param_count > 0 ? (size_t)m->param_count : 1,
                    (size_t)m->dtype_bytes);
  if (!c->grads)
    return rt_errorf(err, errsz, "out of memory");
  if (o->load ? rt_run_load(&c->run, o->load, 0, err, errsz)
              : rt_run_init(&c->run, seed, &o->hyper, err, errsz))
    return -1;
  rt_batch_random(&c->batch, &c->rng, c->n);
  c->loss = m->gradient(c->run.params, rt_batch_inputs_of(&c->batch),
                        rt_batch_targets_of(&c->batch), c->n, c->grads,
                        c->run.work);
  if (!isfinite(c->loss))
    return rt_errorf(err, errsz, "the loss of the random batch is %g",
                     c->loss);
  c->noise = loss_noise(c);
  return 0;
}

static void check_close(Check *c) {
  free(c->grads);
  rt_batch_free(&c->batch);
  rt_run_free(&c->run);
}

static void result_json(RtJson *j, const NetrtTensor *t,
                        const TensorResult *r) {
  rt_json_object_begin(j);
  rt_json_key(j, "name");
  rt_json_string(j, t->name);
  rt_json_key(j, "count");
  rt_json_int(j, t->count);
  rt_json_key(j, "checked");
  rt_json_int(j, r->checked);
  rt_json_key(j, "max_rel_error");
  rt_json_double(j, r->error);
  rt_json_key(j, "worst_index");
  rt_json_int(j, r->worst);
  rt_json_key(j, "analytic");
  rt_json_double(j, r->analytic);
  rt_json_key(j, "numeric");
  rt_json_double(j, r->numeric);
  rt_json_key(j, "noise");
  rt_json_double(j, r->noise);
  rt_json_object_end(j);
}

static void gradcheck_head(const RtOpts *o, const Check *c, RtJson *j) {
  const NetrtModel *m = c->run.m;
  fprintf(rt_out(o), "%s: gradcheck in %s, batch %d, step %g, loss %.9g "
          "(rounding %.2g), tolerance %g\n", m->name,
          m->dtype_bytes == 8 ? "f64" : "f32", c->n, c->h, c->loss, c->noise,
          c->tolerance);
  rt_json_object_begin(j);
  rt_json_key(j, "command");
  rt_json_string(j, "gradcheck");
  rt_json_key(j, "model");
  rt_json_string(j, m->name);
  rt_json_key(j, "dtype_bytes");
  rt_json_int(j, m->dtype_bytes);
  rt_json_key(j, "batch");
  rt_json_int(j, c->n);
  rt_json_key(j, "step");
  rt_json_double(j, c->h);
  rt_json_key(j, "tolerance");
  rt_json_double(j, c->tolerance);
  rt_json_key(j, "loss");
  rt_json_double(j, c->loss);
  rt_json_key(j, "loss_noise");
  rt_json_double(j, c->noise);
}

/* The largest error of all, and where. */
typedef struct Worst {
  double error;
  const char *name;
  int64_t element;
} Worst;

/* Checks every tensor; returns how many fail. */
static int gradcheck_all(const RtOpts *o, Check *c, int64_t *chosen,
                         RtJson *j, Worst *worst) {
  const NetrtModel *m = c->run.m;
  FILE *f = rt_out(o);
  int failed = 0;
  rt_json_key(j, "params");
  rt_json_array_begin(j);
  for (int i = 0; i < m->nparams; i++) {
    TensorResult r;
    check_tensor(c, &m->params[i], chosen, &r);
    int bad = !(r.error <= c->tolerance);
    failed += bad;
    if (!worst->name || r.error > worst->error)
      *worst = (Worst){r.error, m->params[i].name, r.worst};
    fprintf(f, "  %-24s %5" PRId64 " of %-7" PRId64 " max rel error %.3e"
            "%s\n", m->params[i].name, r.checked, m->params[i].count,
            r.error, bad ? "  FAIL" : "");
    if (bad)
      fprintf(f, "    worst at element %" PRId64 ": analytic %.9g, "
              "numeric %.9g (rounding allows %.2g)\n", r.worst, r.analytic,
              r.numeric, r.noise);
    result_json(j, &m->params[i], &r);
  }
  rt_json_array_end(j);
  return failed;
}

int rt_cmd_gradcheck(const NetrtModel *m, RtOpts *o) {
  Check c;
  char err[RT_ERRSZ];
  RtJson j;
  Worst worst = {0, NULL, 0};
  int64_t *chosen = NULL;
  int bad = check_open(&c, m, o, err, sizeof err);
  if (!bad && !(chosen = calloc((size_t)c.samples, sizeof *chosen)))
    bad = rt_errorf(err, sizeof err, "out of memory");
  if (bad) {
    check_close(&c);
    return rt_fail(o, "%s", err);
  }
  rt_json_init(&j);
  gradcheck_head(o, &c, &j);
  int failed = gradcheck_all(o, &c, chosen, &j, &worst);
  rt_json_key(&j, "max_rel_error");
  rt_json_double(&j, worst.error);
  rt_json_key(&j, "worst_param");
  rt_json_string(&j, worst.name ? worst.name : "");
  rt_json_key(&j, "worst_index");
  rt_json_int(&j, worst.element);
  rt_json_key(&j, "passed");
  rt_json_bool(&j, !failed);
  rt_json_object_end(&j);
  if (worst.name)
    fprintf(rt_out(o), "%s: max relative error %.3e at %s[%" PRId64 "]: "
            "%s\n", m->name, worst.error, worst.name, worst.element,
            failed ? "FAILED" : "passed");
  else
    fprintf(rt_out(o), "%s: no parameters to check: passed\n", m->name);
  int rc = o->json ? rt_json_print(o, &j) : 0;
  if (failed)
    fprintf(stderr, "%s: error: %d parameter tensor%s over the tolerance "
            "%g\n", o->prog, failed, failed == 1 ? "" : "s", c.tolerance);
  rt_json_free(&j);
  free(chosen);
  check_close(&c);
  return rc || failed ? 1 : 0;
}

/* ---- bench ---- */

/* What bench measured: n examples a step or call, `steps` of them in
 * secs; for --predict, the threads that ran and how far their
 * predictions were from one thread's. */
typedef struct BenchResult {
  int n;
  int64_t steps;
  double secs;
  int threads_used;
  double max_rel_diff;
} BenchResult;

static void bench_json(const RtOpts *o, const NetrtModel *m,
                       const BenchResult *b, double flops) {
  RtJson j;
  double sps = b->steps / b->secs;
  rt_json_init(&j);
  rt_json_object_begin(&j);
  rt_json_key(&j, "command");
  rt_json_string(&j, "bench");
  rt_json_key(&j, "model");
  rt_json_string(&j, m->name);
  rt_json_key(&j, "mode");
  rt_json_string(&j, o->predict ? "predict" : "train");
  rt_json_key(&j, "steps");
  rt_json_int(&j, b->steps);
  rt_json_key(&j, "batch");
  rt_json_int(&j, b->n);
  rt_json_key(&j, "threads");
  rt_json_int(&j, o->threads > 0 ? o->threads : 1);
  rt_json_key(&j, "seconds");
  rt_json_double(&j, b->secs);
  rt_json_key(&j, "steps_per_second");
  rt_json_double(&j, sps);
  rt_json_key(&j, "samples_per_second");
  rt_json_double(&j, sps * b->n);
  if (o->predict) {
    rt_json_key(&j, "threads_used");
    rt_json_int(&j, b->threads_used);
    rt_json_key(&j, "max_rel_diff_one_thread");
    rt_json_double(&j, b->max_rel_diff);
  } else {
    rt_json_key(&j, "gflops");
    rt_json_double(&j, flops * 1e-9);
  }
  rt_json_object_end(&j);
  rt_json_print(o, &j);
  rt_json_free(&j);
}

static void bench_report(const RtOpts *o, const NetrtModel *m,
                         const BenchResult *b) {
  double sps = b->steps / b->secs, flops = (double)m->flops_per_step *
                                           b->n / m->max_batch * sps;
  int64_t threads = o->threads > 0 ? o->threads : 1;
  /* predict's FLOPs are not counted */
  if (o->predict)
    fprintf(rt_out(o), "%s: %" PRId64 " predictions of %d examples in "
            "%.4f s: %.1f calls/s, %.0f samples/s, %.3f ms/call (threads "
            "%d)\n", m->name, b->steps, b->n, b->secs, sps, sps * b->n,
            1e3 / sps, b->threads_used);
  else
    fprintf(rt_out(o), "%s: %" PRId64 " steps of %d examples in %.4f s: "
            "%.1f steps/s, %.0f samples/s, %.3f ms/step, %.2f GFLOP/s "
            "(threads %" PRId64 ")\n", m->name, b->steps, b->n, b->secs,
            sps, sps * b->n, 1e3 / sps, flops * 1e-9, threads);
  if (o->json)
    bench_json(o, m, b, flops);
}

/* ---- bench --predict ---- */

enum { PREDICT_MAX_THREADS = 64 };

/* bench --predict on threads: each calls predict on its part of the
 * batch (its examples' inputs and outputs, a workspace of its own), and
 * every call ends at a barrier of all the threads, so that each timed
 * call predicts the whole batch.  The barrier spins, yielding the core:
 * a call takes from microseconds (the MLP) to a millisecond or two. */
typedef struct PredictPart {
  struct Predictors *owner;
  const void **inputs;         /* ninputs, then the lengths when varlen */
  void *out;
  void *work;
  int count;
  pthread_t thread;
} PredictPart;

typedef struct Predictors {
  const NetrtModel *m;
  const void *params;
  int nparts;
  int64_t calls;               /* each thread's, the warm-up included */
  atomic_int go;               /* 1: every thread started; -1: stop */
  atomic_int arrived, generation;
  PredictPart part[PREDICT_MAX_THREADS];
} Predictors;

/* --threads, but no more than the examples, the cores or the most;
 * NETRT_CORES stands for the cores, as for training (rt_threads.c). */
static int predict_threads(const RtOpts *o, int n) {
  int64_t t = o->threads > 0 ? o->threads : 1;
  const char *s = getenv("NETRT_CORES");
  int cores = s && *s ? (atoi(s) > 0 ? atoi(s) : 1) : rt_available_cores();
  if (t > n)
    t = n;
  if (t > cores)
    t = cores;
  return t > PREDICT_MAX_THREADS ? PREDICT_MAX_THREADS : (int)t;
}

static void predict_barrier(Predictors *p) {
  int generation = atomic_load(&p->generation);
  if (atomic_fetch_add(&p->arrived, 1) == p->nparts - 1) {
    atomic_store(&p->arrived, 0);
    atomic_fetch_add(&p->generation, 1);
    return;
  }
  while (atomic_load(&p->generation) == generation)
    sched_yield();
}

static void predict_part(Predictors *p, PredictPart *w) {
  p->m->predict(p->params, w->inputs, w->count, w->out, w->work);
}

static void *predict_worker(void *arg) {
  PredictPart *w = arg;
  Predictors *p = w->owner;
  int go;
  while ((go = atomic_load(&p->go)) == 0)
    sched_yield();
  if (go < 0)
    return NULL;
  rt_flush_denormals();
  for (int64_t c = 0; c < p->calls; c++) {
    predict_part(p, w);
    predict_barrier(p);
  }
  return NULL;
}

/* Part i's examples (the first n % nparts take one more), where its
 * inputs and outputs start, its workspace (part 0: the run's). */
static int predict_cut(Predictors *p, RtRun *r, RtBatch *b, int n) {
  const NetrtModel *m = p->m;
  const void *const *inputs = rt_batch_inputs_of(b);
  size_t bytes = (size_t)m->dtype_bytes;
  int varlen = 0, first = 0, ok = 1;
  for (int k = 0; k < m->ninputs; k++)
    varlen |= m->inputs[k].varlen != 0;
  for (int i = 0; i < p->nparts; i++) {
    PredictPart *w = &p->part[i];
    w->owner = p;
    w->count = n / p->nparts + (i < n % p->nparts);
    w->inputs = calloc((size_t)m->ninputs + 1, sizeof *w->inputs);
    w->work = i == 0 ? r->work : rt_alloc_zero(m->workspace_bytes);
    if (!w->inputs || !w->work) {
      ok = 0;
      continue;
    }
    for (int k = 0; k < m->ninputs; k++)
      w->inputs[k] = (const char *)inputs[k] + (size_t)first *
                     (size_t)m->inputs[k].count * bytes;
    if (varlen)            /* the lengths, one real per example */
      w->inputs[m->ninputs] = (const char *)inputs[m->ninputs] +
                              (size_t)first * bytes;
    w->out = (char *)b->out + (size_t)first * (size_t)m->output.count *
                              bytes;
    first += w->count;
  }
  return ok ? 0 : -1;
}

static void predict_free(Predictors *p) {
  for (int i = 0; i < p->nparts; i++) {
    free(p->part[i].inputs);
    if (i > 0)
      free(p->part[i].work);
  }
  free(p);
}

/* Every thread's calls; the seconds of those past the warm-up, or -1
 * when a thread could not start. */
static double predict_run(Predictors *p, int64_t warmup) {
  int started = 1;
  while (started < p->nparts &&
         pthread_create(&p->part[started].thread, NULL, predict_worker,
                        &p->part[started]) == 0)
    started++;
  atomic_store(&p->go, started < p->nparts ? -1 : 1);
  double start = rt_now();
  for (int64_t c = 0; started == p->nparts && c < p->calls; c++) {
    if (c == warmup)
      start = rt_now();
    predict_part(p, &p->part[0]);
    if (p->nparts > 1)
      predict_barrier(p);
  }
  double secs = rt_now() - start;
  for (int i = 1; i < started; i++)
    pthread_join(p->part[i].thread, NULL);
  return started < p->nparts ? -1 : secs;
}

/* The largest |x - y| over the largest |y|, over count reals. */
static double max_rel_diff(const void *x, const void *y, int64_t count,
                           int bytes) {
  double worst = 0, largest = 0;
  for (int64_t i = 0; i < count; i++) {
    double a = rt_real_get(x, bytes, i), b = rt_real_get(y, bytes, i);
    worst = fmax(worst, fabs(a - b));
    largest = fmax(largest, fabs(b));
  }
  return worst / fmax(largest, 1e-30);
}

/* Times predict on the random batch b of n examples, on threads, then
 * checks the threads' last predictions against one thread's. */
static int bench_predict(const NetrtModel *m, const RtOpts *o, RtRun *r,
                         RtBatch *b, BenchResult *res, int64_t warmup) {
  int64_t count = (int64_t)res->n * m->output.count;
  double tolerance = m->dtype_bytes == 8 ? 1e-12 : 1e-5;
  void *one = rt_alloc_zero(count * m->dtype_bytes);
  Predictors *p = calloc(1, sizeof *p);
  if (p) {
    p->m = m;
    p->params = r->params;
    p->nparts = predict_threads(o, res->n);
    p->calls = warmup + res->steps;
    atomic_init(&p->go, 0);
    atomic_init(&p->arrived, 0);
    atomic_init(&p->generation, 0);
  }
  if (!one || !p || predict_cut(p, r, b, res->n)) {
    free(one);
    if (p)
      predict_free(p);
    return rt_fail(o, "out of memory for bench --predict's threads");
  }
  m->predict(r->params, rt_batch_inputs_of(b), res->n, one, r->work);
  res->threads_used = p->nparts;
  res->secs = predict_run(p, warmup);
  res->max_rel_diff = max_rel_diff(b->out, one, count, m->dtype_bytes);
  predict_free(p);
  free(one);
  if (res->secs < 0)
    return rt_fail(o, "cannot start %d threads", res->threads_used);
  if (!(res->max_rel_diff <= tolerance))
    return rt_fail(o, "bench --predict: the predictions of %d threads "
                   "differ from one thread's by %.3g (more than %g)",
                   res->threads_used, res->max_rel_diff, tolerance);
  return 0;
}

/* ---- bench: training steps ---- */

static void bench_train(RtRun *r, RtBatch *b, BenchResult *res,
                        int64_t warmup, const NetrtHyper *h) {
  double start = 0;
  for (int64_t s = 1; s <= warmup + res->steps; s++) {
    if (s == warmup + 1)
      start = rt_now();
    rt_train_step(r, rt_batch_inputs_of(b), rt_batch_targets_of(b), res->n,
                  h);
  }
  res->secs = rt_now() - start;
}

int rt_cmd_bench(const NetrtModel *m, RtOpts *o) {
  RtRun r;
  RtBatch b;
  RtRng rng;
  char err[RT_ERRSZ];
  uint64_t seed = rt_setting_seed(m, o);
  BenchResult res = {(int)rt_setting_batch(m, o),
                     o->steps > 0 ? o->steps : 100, 0, 1, 0};
  int64_t warmup = o->warmup >= 0 ? o->warmup : 10;
  int threads = o->threads > 0 && !o->predict ? (int)o->threads : 1;
  memset(&b, 0, sizeof b);
  if (rt_run_alloc(&r, m, err, sizeof err) ||
      rt_batch_alloc(&b, m, err, sizeof err) ||
      rt_run_init(&r, seed, &o->hyper, err, sizeof err) ||
      rt_shards_start(&r, threads, o->prog, err, sizeof err)) {
    rt_batch_free(&b);
    rt_run_free(&r);
    return rt_fail(o, "%s", err);
  }
  rt_rng_seed(&rng, seed);
  rt_batch_random(&b, &rng, res.n);
  rt_flush_denormals();
  int rc = 0;
  if (o->predict)
    rc = bench_predict(m, o, &r, &b, &res, warmup);
  else
    bench_train(&r, &b, &res, warmup, &o->hyper);
  if (!rc) {
    res.secs = res.secs > 0 ? res.secs : 1e-9;
    bench_report(o, m, &res);
  }
  rt_batch_free(&b);
  rt_run_free(&r);
  return rc;
}
