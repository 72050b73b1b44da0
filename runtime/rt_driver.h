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
 * Output that cannot be written is an error: a file's, and stdout's
 * (checked once, when the command returns).
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
  int predict;                 /* bench --predict: time inference */
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
/* Prints the JSON object j on stdout; 0, or rt_fail() when j failed.
 * A write that fails is reported when netrt_main() checks stdout. */
int rt_json_print(const RtOpts *o, RtJson *j);
/* Flushes rt_out(o), for a line to be seen now; a failure is kept for
 * netrt_main()'s check of stdout. */
void rt_out_flush(const RtOpts *o);
/* Prints text (words separated by spaces) from column col on, wrapped
 * before column 80 with the next lines indented to indent, and a
 * newline. */
void rt_wrap(FILE *f, const char *text, int col, int indent);

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
  struct RtShards *shards;     /* threads of training steps, or NULL */
} RtRun;

typedef struct RtShards RtShards;

/* ---- threads (rt_threads.c) ---- */

/* Training steps on `threads` threads from now on (one: nothing to do;
 * so too for a model without gradient_shard).  rt_run_free stops them.
 * More threads than rt_available_cores() get a warning on stderr, led by
 * prog. */
int rt_shards_start(RtRun *r, int threads, const char *prog, char *err,
                    size_t errsz);
/* The cores this process may run on: its CPU affinity, bounded by its
 * cgroup's CPU quota. */
int rt_available_cores(void);
void rt_shards_stop(RtRun *r);
/* One training step on the batch (n examples), r->step counted: the
 * model's train_step, or its shards on the run's threads. */
double rt_train_step(RtRun *r, const void *const *inputs,
                     const void *const *targets, int n, const NetrtHyper *h);
/* This thread's denormals flushed to zero (x86). */
void rt_flush_denormals(void);

/* Checks the descriptor and allocates zeroed buffers. */
int rt_run_alloc(RtRun *r, const NetrtModel *m, char *err, size_t errsz);
void rt_run_free(RtRun *r);
/* Fresh parameters and optimizer state from seed; step and epoch 0. */
int rt_run_init(RtRun *r, uint64_t seed, const NetrtHyper *h, char *err,
                size_t errsz);
/* Checkpoints: every parameter by name, "optimizer_state", "step" and
 * "rng" (the shuffling stream); metadata model, signature, epoch, seed.
 * Loading refuses another model's or another signature's checkpoint,
 * another format, a dtype not f32 or f64 or not the tensors', and reals
 * that are not finite (in the model's width: reals of the other width
 * are converted).  with_state also reads the
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
  const char *source;          /* "mnist", "csv", "synthetic2d", ... */
  char origin[512];            /* the main set's file, or the source */
  RtDataset main;              /* the training file (or the only one) */
  RtSplit split;
  RtDataset test;              /* the test set; count 0 if absent */
  char test_error[RT_ERRSZ];   /* why there is no test set, or "" */
} RtData;

/* Loads the model's data source (--data overrides its path), splits off
 * validation examples, and with want_test the test set: MNIST's (a
 * missing one is noted in test_error, not an error), or for the
 * generated sequence tasks one generated from another seed:
 *   index_recall  100 sequences like the training ones, from seed + 1
 *   binary_add    rt_binary_add_eval(): 100 pairs of every length 1 to
 *                 20 (to the longest trained length when above 20, and
 *                 to the model's maximum when below), from seed + 1
 * A generated task whose lengths exceed the steps the model's input
 * takes (its first dimension) is an error. */
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

/* A model with a varlen input (netrt.h) takes its examples padded with
 * zeros to max_steps = that input's dims[0], and each example's length
 * as a real in one more input buffer, in[ninputs], which the entry
 * points get with the others.  A dataset of shorter sequences is padded
 * further (zeros after its own max_steps).
 *
 * Per-step 0/1 targets (binary_add: binary[<=20], one per step) are
 * scored as bits when the output has one value per target value: a bit
 * is right when (output > threshold) == (target > 0.5), counting only
 * the steps t < the example's length.  The threshold: 0 for a binary
 * target, whose output is taken as a logit (the model's loss is
 * binary_cross_entropy_logits; the descriptor does not name the loss),
 * 0.5 for a float target, whose output is taken as the 0/1 value itself
 * (mse on probabilities). */
typedef struct RtBatch {
  const NetrtModel *m;
  int cap;                     /* max_batch */
  size_t *idx;                 /* (cap) example numbers */
  void **in;                   /* ninputs buffers of (cap, count) reals,
                                * then the lengths (cap) when varlen */
  void **tg;                   /* ntargets buffers */
  void *out;                   /* (cap, output.count) reals */
  int32_t *labels;             /* (cap) class labels, when has_labels */
  int32_t *pred;               /* (cap) predicted classes */
  int has_labels;              /* the last fill had class labels */
  int classes;                 /* > 0: output rows are class scores */
  int target_mode;             /* how a fill writes the target (rt_batch.c) */
  int64_t max_steps;           /* > 0: the inputs are varlen (see above) */
  int32_t *steps;              /* (cap) each example's length, varlen */
  int bits;                    /* per-step 0/1 targets, scored as bits */
  double bit_threshold;        /* an output above it is a 1 */
  int64_t bit_step;            /* target values per step */
} RtBatch;

int rt_batch_alloc(RtBatch *b, const NetrtModel *m, char *err,
                   size_t errsz);
void rt_batch_free(RtBatch *b);
/* Whether the dataset's examples fit the model's inputs and targets;
 * sets b->classes when accuracy is meaningful, b->bits when bit
 * accuracy is. */
int rt_batch_check(RtBatch *b, const RtDataset *ds, char *err,
                   size_t errsz);
/* rt_batch_check() of d's main set (its failure is an error), then of
 * its test set, which is dropped with a note in test_error when it
 * does not fit; and an example shorter than the model's min_steps
 * (netrt.h) is an error in the main set, naming it and d->origin, and
 * drops the test set. */
int rt_batch_check_data(RtBatch *b, RtData *d, char *err, size_t errsz);
/* Fills n examples, those of idx[0..n). */
void rt_batch_fill(RtBatch *b, const RtDataset *ds, const size_t *idx,
                   int n);
/* Random inputs and targets of the right kinds (gradcheck, bench); for
 * varlen inputs, lengths uniform in [min_steps, max_steps] and zeros past
 * them in the inputs and the varlen targets. */
void rt_batch_random(RtBatch *b, RtRng *r, int n);
/* Example i's length (varlen models; else nothing). */
void rt_batch_set_length(RtBatch *b, int i, int32_t steps);
/* The longest sequence whose bits are scored (b->bits): max_steps, or
 * the steps of the target. */
int64_t rt_batch_bit_lengths(const RtBatch *b);
/* b->pred from b->out: the argmax of each example's class scores. */
void rt_batch_argmax(RtBatch *b, int n);

static inline const void *const *rt_batch_inputs_of(const RtBatch *b) {
  return (const void *const *)b->in;
}

static inline const void *const *rt_batch_targets_of(const RtBatch *b) {
  return (const void *const *)b->tg;
}

/* ---- evaluation (rt_eval.c) ---- */

/* Bit accuracy by sequence length: right[L] of total[L] bits. */
typedef struct RtLengthAcc {
  int64_t max_len;
  uint64_t *right, *total;     /* (max_len + 1) */
} RtLengthAcc;

int rt_length_acc_init(RtLengthAcc *a, int64_t max_len);
void rt_length_acc_free(RtLengthAcc *a);
/* The accuracy at length L (NaN without bits of that length); the
 * longest length with bits; the lowest accuracy and its length (0 when
 * there is none). */
double rt_length_acc_at(const RtLengthAcc *a, int64_t L);
int64_t rt_length_acc_longest(const RtLengthAcc *a);
double rt_length_acc_min(const RtLengthAcc *a, int64_t *at);

typedef struct RtStats {
  double loss_sum;             /* sum of batch loss * batch size */
  uint64_t examples;
  uint64_t correct;            /* when the batch has classes */
  uint64_t bits, bits_right;   /* when it has per-step 0/1 targets */
  int has_acc;
  RtConfusion *confusion;      /* accumulated when not NULL */
  RtRecon *recon;              /* autoencoders: output against input */
  RtLengthAcc *by_length;      /* bit accuracy by length, when not NULL */
} RtStats;

double rt_stats_loss(const RtStats *s);
/* Accuracy: of the examples' classes, or of the bits (b->bits). */
double rt_stats_acc(const RtStats *s);
/* Adds the accuracy of the n examples in b (b->out holds their
 * outputs), when it has class labels or bits; the caller counts the
 * examples. */
void rt_stats_score(RtStats *s, RtBatch *b, int n);
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
