/* runtime/rt_driver.h — what the executable's commands share (internal).
 *
 * The commands (rt_cli.c dispatches them) are built from four pieces:
 *   RtOpts   the parsed command line, with the model's defaults applied
 *   RtRun    a model's buffers (parameters, optimizer state, workspace),
 *            its step, epoch, seed and shuffling stream; checkpoints
 *   RtData   the model's data source, loaded, with its validation split
 *   RtBatch  one batch's buffers in the model's real type
 * Reals are dtype_bytes wide (4: float, 8: double); rt_real_get/set read
 * and write one of them whatever the width.
 *
 * Messages: a command reports an error with rt_fail() ("PROG: error:
 * ...", exit status 1).  Human-readable results go to rt_out(o): stdout,
 * or stderr under --json so that stdout holds exactly one JSON object.
 *
 * Memory: every _alloc/_open has its _free/_close; each frees whatever
 * part was set up, so a half-built value is freed like a whole one.
 */
#ifndef NETC_RT_DRIVER_H
#define NETC_RT_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netrt.h"
#include "rt_data.h"
#include "rt_json.h"
#include "rt_metrics.h"
#include "rt_rng.h"

enum { RT_ERRSZ = 1024 };

/* ---- the command line ---- */

typedef struct RtOpts {
  const char *prog;            /* for messages: argv[0]'s base name */
  const char *command;         /* "train", ... */
  int json;                    /* --json */
  int quiet;                   /* --quiet: no per-epoch lines */
  const char *load, *save, *resume, *log, *data, *split;
  int64_t epochs, batch, seed, threads, validation;   /* -1: unset */
  int64_t count, steps, warmup, samples;              /* -1: unset */
  int shuffle;                 /* -1 unset, 0 --no-shuffle, 1 --shuffle */
  int no_train_acc;            /* --no-train-acc */
  double tolerance;            /* gradcheck; < 0: unset */
  const char *start;           /* sample: --start, or NULL */
  int64_t length;              /* sample: --length; -1: unset */
  double temperature;          /* sample: --temperature (default 0) */
  NetrtHyper hyper;            /* the model's, then the options' */
} RtOpts;

/* The output for human-readable text (stdout, stderr under --json). */
FILE *rt_out(const RtOpts *o);
/* Prints "PROG: error: ..." on stderr; returns 1, the exit status. */
int rt_fail(const RtOpts *o, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
/* Prints the JSON object j on stdout; 0, or rt_fail() when j failed. */
int rt_json_print(const RtOpts *o, RtJson *j);

const char *rt_optimizer_name(NetrtOptimizer opt);
/* The settings after the options: option, else the model's train block. */
int64_t rt_setting_batch(const NetrtModel *m, const RtOpts *o);
uint64_t rt_setting_seed(const NetrtModel *m, const RtOpts *o);

/* ---- reals ---- */

static inline double rt_real_get(const void *buf, int bytes, int64_t i) {
  return bytes == 8 ? ((const double *)buf)[i] : ((const float *)buf)[i];
}

static inline void rt_real_set(void *buf, int bytes, int64_t i, double v) {
  if (bytes == 8)
    ((double *)buf)[i] = v;
  else
    ((float *)buf)[i] = (float)v;
}

/* Seconds on a monotonic clock. */
double rt_now(void);

/* ---- a model's buffers and checkpoints (rt_run.c) ---- */

typedef struct RtRun {
  const NetrtModel *m;
  void *params;                /* (param_count) reals */
  void *state;                 /* (state_count) reals */
  void *work;                  /* workspace_bytes */
  int64_t step;                /* training steps taken */
  int64_t epoch;               /* epochs completed */
  uint64_t seed;
  RtRng rng;                   /* shuffling stream */
} RtRun;

/* Checks the descriptor and allocates zeroed buffers. */
int rt_run_alloc(RtRun *r, const NetrtModel *m, char *err, size_t errsz);
void rt_run_free(RtRun *r);
/* Fresh parameters and optimizer state from seed; step and epoch 0. */
int rt_run_init(RtRun *r, uint64_t seed, const NetrtHyper *h, char *err,
                size_t errsz);
/* Checkpoints: every parameter by name, "optimizer_state", "step" and
 * "rng" (the shuffling stream); metadata model, signature, epoch, seed.
 * Loading refuses another model's or another signature's checkpoint;
 * reals of the other width are converted.  with_state also reads the
 * optimizer state, step, epoch, seed and stream (--resume). */
int rt_run_save(const RtRun *r, const char *path, char *err, size_t errsz);
int rt_run_load(RtRun *r, const char *path, int with_state, char *err,
                size_t errsz);

/* ---- data (rt_run.c) ---- */

typedef struct RtView {
  const RtDataset *ds;
  size_t begin, count;         /* examples begin..begin+count-1 */
  const char *name;            /* "train", "validation", "test", "all" */
} RtView;

typedef struct RtData {
  const char *source;          /* "mnist", "csv", "synthetic2d" */
  RtDataset main;              /* the training file (or the only one) */
  RtSplit split;
  RtDataset test;              /* mnist's test set; count 0 if absent */
  char test_error[RT_ERRSZ];   /* why there is no test set, or "" */
} RtData;

/* Loads the model's data source (--data overrides its path), splits off
 * validation examples, and for mnist with want_test the test set (a
 * missing test set is noted in test_error, not an error). */
int rt_data_open(RtData *d, const NetrtModel *m, const RtOpts *o,
                 int64_t validation, int want_test, char *err,
                 size_t errsz);
void rt_data_close(RtData *d);
/* A part by name: "train", "validation", "test" or "all". */
int rt_data_view(const RtData *d, const char *name, RtView *v, char *err,
                 size_t errsz);
/* The default of eval and predict: mnist's test set, else validation
 * when there is one, else all. */
const char *rt_data_default_split(const RtData *d);

/* ---- batches (rt_batch.c) ---- */

typedef struct RtBatch {
  const NetrtModel *m;
  int cap;                     /* max_batch */
  size_t *idx;                 /* (cap) example numbers */
  void **in;                   /* ninputs buffers of (cap, count) reals */
  void **tg;                   /* ntargets buffers */
  void *out;                   /* (cap, output.count) reals */
  int32_t *labels;             /* (cap) class labels, when has_labels */
  int32_t *pred;               /* (cap) predicted classes */
  int has_labels;              /* the last fill had class labels */
  int classes;                 /* > 0: output rows are class scores */
  int target_mode;             /* how a fill writes the target (rt_batch.c) */
} RtBatch;

int rt_batch_alloc(RtBatch *b, const NetrtModel *m, char *err,
                   size_t errsz);
void rt_batch_free(RtBatch *b);
/* Whether the dataset's examples fit the model's inputs and targets;
 * sets b->classes when accuracy is meaningful. */
int rt_batch_check(RtBatch *b, const RtDataset *ds, char *err,
                   size_t errsz);
/* Fills n examples, those of idx[0..n). */
void rt_batch_fill(RtBatch *b, const RtDataset *ds, const size_t *idx,
                   int n);
/* Random inputs and targets of the right kinds (gradcheck, bench). */
void rt_batch_random(RtBatch *b, RtRng *r, int n);
/* b->pred from b->out: the argmax of each example's class scores. */
void rt_batch_argmax(RtBatch *b, int n);

static inline const void *const *rt_batch_inputs_of(const RtBatch *b) {
  return (const void *const *)b->in;
}

static inline const void *const *rt_batch_targets_of(const RtBatch *b) {
  return (const void *const *)b->tg;
}

/* ---- evaluation (rt_eval.c) ---- */

typedef struct RtStats {
  double loss_sum;             /* sum of batch loss * batch size */
  uint64_t examples;
  uint64_t correct;            /* when the batch has classes */
  int has_acc;
  RtConfusion *confusion;      /* accumulated when not NULL */
  RtRecon *recon;              /* autoencoders: output against input */
} RtStats;

double rt_stats_loss(const RtStats *s);
double rt_stats_acc(const RtStats *s);
/* Runs evaluate over the examples of v in batches of cap: 0, or -1 when
 * the view is empty. */
int rt_eval_view(RtRun *r, RtBatch *b, const RtView *v, RtStats *s);
/* Whether the model reconstructs its input (no targets, output of the
 * input's size): eval then reports MSE and PSNR. */
int rt_is_autoencoder(const NetrtModel *m);

/* ---- commands ---- */

int rt_cmd_train(const NetrtModel *m, RtOpts *o);
int rt_cmd_eval(const NetrtModel *m, RtOpts *o);
int rt_cmd_predict(const NetrtModel *m, RtOpts *o);
int rt_cmd_gradcheck(const NetrtModel *m, RtOpts *o);
int rt_cmd_bench(const NetrtModel *m, RtOpts *o);
int rt_cmd_info(const NetrtModel *m, RtOpts *o);
int rt_cmd_sample(const NetrtModel *m, RtOpts *o);

#endif
