/* runtime/rt_train.c — the training loop and the train command.
 *
 * train: load the data and split off the validation set; start from the
 * seed or from a checkpoint (--resume: parameters, optimizer state, step,
 * epoch and the shuffling stream); then for every epoch shuffle, step
 * through the batches, evaluate the validation set, write a row of the
 * log and a checkpoint; and at the end evaluate MNIST's test set.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_train.h"
#include "rt_util.h"

/* ---- progress ---- */

static void format_time(char *buf, size_t n, double s) {
  long t = s > 0 && s < 1e8 ? (long)(s + 0.5) : 0;
  if (t >= 3600)
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void rt_progress_draw(RtProgress *p, double loss, int force) {
  double now = rt_now();
  if (!p->enabled || (!force && now - p->last < 0.2))
    return;
  p->last = now;
  double rate = p->done / (now - p->start > 1e-9 ? now - p->start : 1e-9);
  char left[32];
  format_time(left, sizeof left, (double)(p->total - p->done) / rate);
  fprintf(stderr, "\r\033[Kepoch %" PRId64 "/%" PRId64 "  %3.0f%%  "
          "%.0f examples/s  %s left  loss %.4g", p->epoch, p->epochs,
          100.0 * (double)p->done / (double)(p->total ? p->total : 1),
          rate, left, loss);
  fflush(stderr);
}

void rt_progress_clear(RtProgress *p) {
  if (p->enabled) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
}

/* ---- one epoch ---- */

/* The accuracy of the batch before the step: classes, or bits. */
static void batch_score(RtRun *r, RtBatch *b, int n, RtStats *s) {
  r->m->predict(r->params, rt_batch_inputs_of(b), n, b->out, r->work);
  rt_stats_score(s, b, n);
  s->examples += (uint64_t)n;
}

static void epoch_order(RtRun *r, const RtView *v, size_t *order,
                        int shuffle) {
  for (size_t i = 0; i < v->count; i++)
    order[i] = v->begin + i;
  if (shuffle)
    rt_shuffle(order, v->count, &r->rng);
}

int rt_train_epoch(RtRun *r, RtBatch *b, const RtView *v, size_t *order,
                   const RtTrainConfig *c, RtProgress *p, RtEpoch *e,
                   char *err, size_t errsz) {
  double sum = 0, start = rt_now();
  RtStats st = {0};
  int acc = c->train_acc && (b->classes > 0 || b->bits);
  epoch_order(r, v, order, c->shuffle);
  for (size_t done = 0; done < v->count;) {
    int n = v->count - done < (size_t)c->batch ? (int)(v->count - done)
                                               : c->batch;
    rt_batch_fill(b, v->ds, order + done, n);
    acc = acc && (b->has_labels || b->bits);
    if (acc)
      batch_score(r, b, n, &st);
    double loss = rt_train_step(r, rt_batch_inputs_of(b),
                                rt_batch_targets_of(b), n, &c->hyper);
    if (!isfinite(loss))
      return rt_errorf(err, errsz, "the loss is %s at epoch %" PRId64
                       ", step %" PRId64 " (batch %zu of the epoch): "
                       "training stopped", isnan(loss) ? "NaN"
                       : loss > 0 ? "+inf" : "-inf", e->epoch, r->step,
                       done / (size_t)c->batch + 1);
    sum += loss * n;
    done += (size_t)n;
    p->done += (uint64_t)n;
    rt_progress_draw(p, loss, 0);
  }
  e->train_loss = v->count ? sum / (double)v->count : NAN;
  e->train_acc = acc ? rt_stats_acc(&st) : NAN;
  e->seconds = rt_now() - start;
  return 0;
}

/* ---- the train command ---- */

typedef struct Trainer {
  const NetrtModel *m;
  RtOpts *o;
  RtRun run;
  RtBatch batch;
  RtData data;
  RtView train, val;
  size_t *order;
  FILE *log;
  RtTrainConfig cfg;
  int64_t epochs, first_epoch;
  RtEpoch *history;            /* (epochs) */
  int nhistory;
  RtStats test;
  RtLengthAcc test_lengths;    /* bit accuracy by length */
  int tested;
  double seconds;
  double saved_at;             /* when the last checkpoint was written */
  char err[RT_ERRSZ];
} Trainer;

/* The log is still open here only after an error: that error is the
 * one to report, not the log's. */
static void trainer_close(Trainer *t) {
  if (t->log)
    fclose(t->log);
  free(t->order);
  free(t->history);
  rt_length_acc_free(&t->test_lengths);
  rt_batch_free(&t->batch);
  rt_run_free(&t->run);
  rt_data_close(&t->data);
}

/* Flushes the log and checks that every byte written to it arrived: 0,
 * or -1 with "PATH: cannot write: CAUSE" in t->err. */
static int flush_log(Trainer *t) {
  int failed = fflush(t->log) != 0, e = errno;
  if (!failed && !ferror(t->log))
    return 0;
  return rt_errorf(t->err, sizeof t->err, "%s: cannot write: %s", t->o->log,
                   failed ? strerror(e) : "a write failed");
}

static int open_log(Trainer *t) {
  const char *path = t->o->log;
  int append = 0;
  if (!path)
    return 0;
  if (t->o->resume) {
    FILE *f = fopen(path, "r");
    append = f && fgetc(f) != EOF;
    if (f)
      fclose(f);
  }
  t->log = fopen(path, append ? "a" : "w");
  if (!t->log)
    return rt_errorf(t->err, sizeof t->err, "%s: cannot write: %s", path,
                     strerror(errno));
  if (!append)
    fputs("epoch,train_loss,train_acc,val_loss,val_acc,seconds\n", t->log);
  /* A log that cannot be written fails now, not after the first epoch. */
  return flush_log(t);
}

/* The end of a run: the log's last bytes must reach the file. */
static int close_log(Trainer *t) {
  FILE *f = t->log;
  int rc;
  if (!f)
    return 0;
  rc = flush_log(t);
  t->log = NULL;
  if (fclose(f) != 0 && rc == 0)
    rc = rt_errorf(t->err, sizeof t->err, "%s: cannot write: %s",
                   t->o->log, strerror(errno));
  return rc;
}

static int start_params(Trainer *t) {
  RtOpts *o = t->o;
  uint64_t seed = rt_setting_seed(t->m, o);
  if (!o->resume)
    return rt_run_init(&t->run, seed, &o->hyper, t->err, sizeof t->err);
  if (rt_run_load(&t->run, o->resume, 1, t->err, sizeof t->err))
    return -1;
  if (o->seed >= 0 && (uint64_t)o->seed != t->run.seed)
    fprintf(stderr, "%s: note: --seed ignored: resuming the run of seed "
            "%" PRIu64 "\n", o->prog, t->run.seed);
  return 0;
}

static void configure(Trainer *t) {
  const NetrtModel *m = t->m;
  RtOpts *o = t->o;
  t->epochs = o->epochs >= 0 ? o->epochs : m->train.epochs;
  t->cfg.batch = (int)rt_setting_batch(m, o);
  t->cfg.shuffle = o->shuffle >= 0 ? o->shuffle : m->train.shuffle != 0;
  t->cfg.train_acc = !o->no_train_acc;
  t->cfg.hyper = o->hyper;
}

static int trainer_open(Trainer *t, const NetrtModel *m, RtOpts *o) {
  char *err = t->err;
  size_t n = sizeof t->err;
  memset(t, 0, sizeof *t);
  t->m = m;
  t->o = o;
  configure(t);
  int64_t val = o->validation >= 0 ? o->validation : m->train.validation;
  if (rt_run_alloc(&t->run, m, err, n) ||
      rt_batch_alloc(&t->batch, m, err, n) ||
      rt_data_open(&t->data, m, o, val, 1, err, n) ||
      rt_batch_check_data(&t->batch, &t->data, err, n) ||
      rt_data_view(&t->data, "train", &t->train, err, n) ||
      rt_data_view(&t->data, "validation", &t->val, err, n) ||
      start_params(t) || open_log(t) ||
      rt_shards_start(&t->run, o->threads > 0 ? (int)o->threads : 1, o->prog,
                      err, n))
    return -1;
  rt_flush_denormals();
  t->first_epoch = t->run.epoch;
  t->order = calloc(t->train.count, sizeof *t->order);
  t->history = calloc(t->epochs > 0 ? (size_t)t->epochs : 1,
                      sizeof *t->history);
  if (!t->order || !t->history)
    return rt_errorf(err, n, "out of memory");
  return 0;
}

static void log_value(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, ",%.9g", v);
  else
    fputc(',', f);
}

/* One row, flushed: a run stopped later keeps the epochs it logged, and
 * a log that stops being written stops the run. */
static int write_log(Trainer *t, const RtEpoch *e) {
  if (!t->log)
    return 0;
  fprintf(t->log, "%" PRId64, e->epoch);
  log_value(t->log, e->train_loss);
  log_value(t->log, e->train_acc);
  log_value(t->log, e->val_loss);
  log_value(t->log, e->val_acc);
  fprintf(t->log, ",%.3f\n", e->seconds);
  return flush_log(t);
}

static void print_epoch(const Trainer *t, const RtEpoch *e) {
  FILE *f = rt_out(t->o);
  const char *acc = t->batch.bits ? "bit acc" : "acc";
  if (t->o->quiet)
    return;
  fprintf(f, "epoch %" PRId64 "/%" PRId64 "  train loss %.6f", e->epoch,
          t->epochs, e->train_loss);
  if (isfinite(e->train_acc))
    fprintf(f, " %s %.2f%%", acc, 100 * e->train_acc);
  if (isfinite(e->val_loss))
    fprintf(f, "  val loss %.6f", e->val_loss);
  if (isfinite(e->val_acc))
    fprintf(f, " %s %.2f%%", acc, 100 * e->val_acc);
  fprintf(f, "  %.2f s\n", e->seconds);
  rt_out_flush(t->o);
}

static void validate(Trainer *t, RtEpoch *e) {
  RtStats s = {0};
  e->val_loss = e->val_acc = NAN;
  if (rt_eval_view(&t->run, &t->batch, &t->val, &s))
    return;
  e->val_loss = rt_stats_loss(&s);
  e->val_acc = rt_stats_acc(&s);
}

static int run_epoch(Trainer *t, RtProgress *p) {
  RtEpoch *e = &t->history[t->nhistory];
  double start = rt_now();
  e->epoch = p->epoch = t->run.epoch + 1;
  if (rt_train_epoch(&t->run, &t->batch, &t->train, t->order, &t->cfg, p,
                     e, t->err, sizeof t->err))
    return -1;
  validate(t, e);
  e->seconds = rt_now() - start;
  t->run.epoch++;
  t->nhistory++;
  rt_progress_clear(p);
  if (write_log(t, e))
    return -1;
  print_epoch(t, e);
  /* A checkpoint at the last epoch, and on the way at most every 10 s:
   * a model of 10,000 tiny epochs must not write 10,000 files. */
  bool last = t->run.epoch >= t->epochs;
  if (t->o->save && (last || rt_now() - t->saved_at >= 10)) {
    if (rt_run_save(&t->run, t->o->save, t->err, sizeof t->err))
      return -1;
    t->saved_at = rt_now();
  }
  return 0;
}

static void summary(const Trainer *t, const RtProgress *p) {
  if (p->enabled)
    return;
  fprintf(stderr, "%s: trained %d epoch%s (%" PRIu64 " examples, step %"
          PRId64 ") in %.2f s: %.0f examples/s\n", t->o->prog, t->nhistory,
          t->nhistory == 1 ? "" : "s", p->done, t->run.step, t->seconds,
          t->seconds > 0 ? p->done / t->seconds : 0.0);
}

static void test_set(Trainer *t) {
  RtView v;
  char err[RT_ERRSZ];
  if (!t->data.test.count) {
    if (*t->data.test_error)
      fprintf(stderr, "%s: note: no test set: %s\n", t->o->prog,
              t->data.test_error);
    return;
  }
  if (t->batch.bits &&
      !rt_length_acc_init(&t->test_lengths,
                          rt_batch_bit_lengths(&t->batch)))
    t->test.by_length = &t->test_lengths;
  if (rt_data_view(&t->data, "test", &v, err, sizeof err) ||
      rt_eval_view(&t->run, &t->batch, &v, &t->test))
    return;
  t->tested = 1;
  FILE *f = rt_out(t->o);
  fprintf(f, "test loss %.6f", rt_stats_loss(&t->test));
  if (t->test.has_acc)
    fprintf(f, " %s %.2f%%", t->batch.bits ? "bit acc" : "acc",
            100 * rt_stats_acc(&t->test));
  if (t->test.by_length) {
    int64_t at;
    double lo = rt_length_acc_min(&t->test_lengths, &at);
    if (at)
      fprintf(f, ", at least %.2f%% at every length", 100 * lo);
    if (at && lo < 1)
      fprintf(f, " (the least at %" PRId64 ")", at);
  }
  fprintf(f, " (%" PRIu64 " examples)\n", t->test.examples);
}

/* Nothing to train: say so, and still write --save, so that
 * `train --epochs 0 --save FILE` gives the initial parameters (to compare
 * with another tool from the same start). */
static int save_untrained(Trainer *t) {
  fprintf(stderr, "%s: note: nothing to train: the run is at epoch "
          "%" PRId64 " of %" PRId64 "\n", t->o->prog, t->run.epoch,
          t->epochs);
  if (t->o->save && rt_run_save(&t->run, t->o->save, t->err, sizeof t->err))
    return -1;
  return 0;
}

static int train_loop(Trainer *t) {
  RtProgress p = {0};
  p.enabled = isatty(STDERR_FILENO);
  p.start = rt_now();
  p.epochs = t->epochs;
  if (t->epochs > t->run.epoch)
    p.total = (uint64_t)(t->epochs - t->run.epoch) * t->train.count;
  else if (save_untrained(t))
    return -1;
  while (t->run.epoch < t->epochs) {
    if (run_epoch(t, &p)) {
      rt_progress_clear(&p);
      return -1;
    }
  }
  t->seconds = rt_now() - p.start;
  summary(t, &p);
  test_set(t);
  return 0;
}

/* ---- JSON ---- */

static void json_num(RtJson *j, const char *key, double v) {
  rt_json_key(j, key);
  rt_json_double(j, v);
}

static void json_epoch(RtJson *j, const char *key, const RtEpoch *e) {
  if (key)
    rt_json_key(j, key);
  rt_json_object_begin(j);
  rt_json_key(j, "epoch");
  rt_json_int(j, e->epoch);
  json_num(j, "train_loss", e->train_loss);
  json_num(j, "train_acc", e->train_acc);
  json_num(j, "val_loss", e->val_loss);
  json_num(j, "val_acc", e->val_acc);
  json_num(j, "seconds", e->seconds);
  rt_json_object_end(j);
}

static void json_settings(RtJson *j, const Trainer *t) {
  const RtOpts *o = t->o;
  rt_json_key(j, "command");
  rt_json_string(j, "train");
  rt_json_key(j, "model");
  rt_json_string(j, t->m->name);
  rt_json_key(j, "optimizer");
  rt_json_string(j, rt_optimizer_name(t->m->train.optimizer));
  json_num(j, "lr", t->cfg.hyper.lr);
  rt_json_key(j, "batch");
  rt_json_int(j, t->cfg.batch);
  rt_json_key(j, "epochs");
  rt_json_int(j, t->epochs);
  rt_json_key(j, "seed");
  rt_json_uint(j, t->run.seed);
  rt_json_key(j, "threads");
  rt_json_int(j, o->threads > 0 ? o->threads : 1);
  rt_json_key(j, "shuffle");
  rt_json_bool(j, t->cfg.shuffle);
  rt_json_key(j, "train_examples");
  rt_json_uint(j, t->train.count);
  rt_json_key(j, "validation_examples");
  rt_json_uint(j, t->val.count);
  rt_json_key(j, "start_epoch");
  rt_json_int(j, t->first_epoch);
}

static int train_json(const Trainer *t) {
  RtJson j;
  rt_json_init(&j);
  rt_json_object_begin(&j);
  json_settings(&j, t);
  rt_json_key(&j, "steps");
  rt_json_int(&j, t->run.step);
  rt_json_key(&j, "history");
  rt_json_array_begin(&j);
  for (int i = 0; i < t->nhistory; i++)
    json_epoch(&j, NULL, &t->history[i]);
  rt_json_array_end(&j);
  if (t->nhistory)
    json_epoch(&j, "final", &t->history[t->nhistory - 1]);
  rt_json_key(&j, "test");
  if (t->tested) {
    rt_json_object_begin(&j);
    json_num(&j, "loss", rt_stats_loss(&t->test));
    json_num(&j, "accuracy", rt_stats_acc(&t->test));
    if (t->test.by_length) {
      int64_t at;
      json_num(&j, "min_bit_accuracy",
               rt_length_acc_min(&t->test_lengths, &at));
    }
    rt_json_key(&j, "examples");
    rt_json_uint(&j, t->test.examples);
    rt_json_object_end(&j);
  } else {
    rt_json_null(&j);
  }
  json_num(&j, "seconds", t->seconds);
  rt_json_object_end(&j);
  int rc = rt_json_print(t->o, &j);
  rt_json_free(&j);
  return rc;
}

int rt_cmd_train(const NetrtModel *m, RtOpts *o) {
  Trainer t;
  int rc = 0;
  if (trainer_open(&t, m, o) || train_loop(&t) || close_log(&t))
    rc = rt_fail(o, "%s", t.err);
  else if (o->json)
    rc = train_json(&t);
  trainer_close(&t);
  return rc;
}
