/* bench/interp_bench.c — the unspecialized reference path: the loss and
 * every parameter's gradient of a model, computed by the reference
 * interpreter (compiler/interp.c) in double precision, with shapes known
 * only at run time.  The floor that generated code is measured against.
 *
 * Input: a .net file, read, checked, lowered and differentiated as
 * tests/unit/gradcheck.c does; inputs, targets and parameters drawn from a
 * fixed seed (full-length sequences for inputs of varying length).
 * Output: one JSON object per line on stdout:
 *   {"suite":"reference","name":"mlp","file":"models/mlp.net","batch":128,
 *    "threads":1,"iterations":40,"seconds":1.02,"loss":295.1,
 *    "steps_per_second":39.2,"samples_per_second":5017.6}
 * A step is one batch: the forward pass, the loss and the backward pass.
 * One untimed step comes first.
 */
#include <config.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "arena.h"
#include "frontend.h"
#include "interp.h"

enum { MIN_ITERATIONS = 3 };

typedef struct Options {
  const char *file;
  int batch;              /* 0: the model's own */
  double seconds;         /* at least this long, and MIN_ITERATIONS */
  double max_seconds;     /* but stop after this long, one step done */
} Options;

/* Everything interp_run reads, for one batch. */
typedef struct Batch {
  double **params, **inputs, **targets;
} Batch;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static double uniform(void) {     /* splitmix64, in [0, 1) */
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static void *allocate(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "interp_bench: out of memory\n");
    exit(1);
  }
  return p;
}

/* Reals per example: class labels are one number per position. */
static int64_t count(const Type *t) {
  Type s = *t;
  if (s.elem == EL_CLASS)
    s.ndim--;
  return type_numel(&s);
}

/* Examples for one input or target: labels, bits or values in (0, 1). */
static double *examples(const Type *t, int batch) {
  int64_t n = count(t) * batch;
  double *x = allocate((size_t)n, sizeof(double));
  int64_t classes = t->ndim ? t->dims[t->ndim - 1] : 1;
  for (int64_t i = 0; i < n; i++) {
    double u = uniform();
    x[i] = t->elem == EL_CLASS ? floor(u * (double)classes)
           : t->elem == EL_BINARY ? (u < 0.5) : 0.05 + 0.9 * u;
  }
  return x;
}

/* Sequences of varying length: every one at its longest, so the step
 * costs what a batch of full-length sequences costs.  The lengths follow
 * the inputs (netrt.h). */
static double *full_lengths(const IrProgram *p, int batch) {
  int64_t steps = 0;
  for (int k = 0; k < p->ninputs; k++)
    if (p->inputs[k].ty.varlen)
      steps = p->inputs[k].ty.dims[0];
  if (!steps)
    return NULL;
  double *len = allocate((size_t)batch, sizeof(double));
  for (int b = 0; b < batch; b++)
    len[b] = (double)steps;
  return len;
}

static Batch random_batch(const IrProgram *p, int batch) {
  Batch d = {allocate((size_t)p->nparams + 1, sizeof(double *)),
             allocate((size_t)p->ninputs + 2, sizeof(double *)),
             allocate((size_t)p->ntargets + 1, sizeof(double *))};
  for (int k = 0; k < p->nparams; k++) {
    int64_t n = type_numel(&p->params[k].ty);
    d.params[k] = allocate((size_t)n, sizeof(double));
    for (int64_t i = 0; i < n; i++)
      d.params[k][i] = 0.2 * (uniform() - 0.5);
  }
  for (int k = 0; k < p->ninputs; k++)
    d.inputs[k] = examples(&p->inputs[k].ty, batch);
  d.inputs[p->ninputs] = full_lengths(p, batch);
  for (int k = 0; k < p->ntargets; k++)
    d.targets[k] = examples(&p->targets[k].ty, batch);
  return d;
}

static void batch_free(const IrProgram *p, Batch *d) {
  for (int k = 0; k < p->nparams; k++)
    free(d->params[k]);
  for (int k = 0; k <= p->ninputs; k++)
    free(d->inputs[k]);
  for (int k = 0; k < p->ntargets; k++)
    free(d->targets[k]);
  free(d->params);
  free(d->inputs);
  free(d->targets);
}

/* The model's IR with its backward pass; NULL after errors (reported). */
static IrProgram *differentiated(const char *file) {
  SrcFile *src = src_read(file);
  Model *m = src ? frontend_check(src, NULL, 0) : NULL;
  IrProgram *p = m ? lower_model(m) : NULL;
  if (p)
    ir_grad(p);
  return p;
}

static int model_batch(const IrProgram *p) {
  return (int)p->train.batch;
}

/* Steps until o->seconds have passed and MIN_ITERATIONS are done, or
 * o->max_seconds have passed. */
static long time_steps(Interp *it, const Batch *d, const Options *o,
                       double *elapsed) {
  long n = 0;
  double start = bench_now(), t = start;
  while ((n < MIN_ITERATIONS || t - start < o->seconds) &&
         (n == 0 || t - start < o->max_seconds)) {
    interp_run(it, d->params, d->inputs, d->targets);
    n++;
    t = bench_now();
  }
  *elapsed = t - start;
  return n;
}

/* s as a JSON string: quotes and backslashes escaped, controls dropped. */
static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      putchar('\\');
    if ((unsigned char)*s >= 0x20)
      putchar(*s);
  }
  putchar('"');
}

static void print_row(const IrProgram *p, const Options *o, int batch,
                      long n, double elapsed, double loss) {
  double per_second = (double)n / elapsed;
  printf("{\"suite\":\"reference\",\"name\":");
  print_json_string(p->name);
  printf(",\"file\":");
  print_json_string(o->file);
  printf(",\"batch\":%d,\"threads\":1,\"iterations\":%ld,"
         "\"seconds\":%.3f,", batch, n, elapsed);
  if (isfinite(loss))           /* JSON has no NaN */
    printf("\"loss\":%.6g,", loss);
  else
    printf("\"loss\":null,");
  printf("\"steps_per_second\":%.4g,\"samples_per_second\":%.4g}\n",
         per_second, per_second * batch);
}

static int bench(const Options *o) {
  IrProgram *p = differentiated(o->file);
  if (!p) {
    fprintf(stderr, "interp_bench: %s: not benchmarked (errors above)\n",
            o->file);
    return 1;
  }
  int batch = o->batch ? o->batch : model_batch(p);
  Batch d = random_batch(p, batch);
  Interp *it = interp_new(p, batch);
  /* Untimed: the first step also pays for touching fresh buffers. */
  interp_run(it, d.params, d.inputs, d.targets);
  double elapsed;
  long n = time_steps(it, &d, o, &elapsed);
  print_row(p, o, batch, n, elapsed, interp_loss(it));
  interp_free(it);
  batch_free(p, &d);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: interp_bench [options] MODEL.net\n"
          "\n"
          "Times the reference interpreter (f64, shapes known only at run\n"
          "time) computing a model's loss and gradients on random data, and\n"
          "prints one JSON object.  After one untimed step, it runs at least\n"
          "3 steps and --seconds, but stops after --max-seconds.\n"
          "\n"
          "options:\n"
          "  --batch N        examples per step (default: the model's batch)\n"
          "  --seconds S      least time to run (default 1)\n"
          "  --max-seconds S  most time to run, one step at least "
          "(default 30)\n"
          "  -h, --help       print this help\n");
}

static int parse_batch(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 1 || v > 1000000)
    bad_usage("bad batch '%s' (a positive integer)", s);
  return (int)v;
}

static Options parse_options(int argc, char **argv) {
  Options o = {NULL, 0, 1.0, 30.0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--batch") == 0 && has_value) {
      o.batch = parse_batch(argv[++i]);
    } else if (strcmp(a, "--seconds") == 0 && has_value) {
      o.seconds = parse_seconds(argv[++i], 86400);
    } else if (strcmp(a, "--max-seconds") == 0 && has_value) {
      o.max_seconds = parse_seconds(argv[++i], 86400);
    } else if (a[0] == '-' || o.file) {
      bad_usage("unknown option, missing value or second model: '%s'", a);
    } else {
      o.file = a;
    }
  }
  if (!o.file)
    bad_usage("%s", "no model file given");
  return o;
}

int main(int argc, char **argv) {
  bench_prog = "interp_bench";
  Options o = parse_options(argc, argv);
  int status = bench(&o);
  arena_free_all();
  return status;
}
