/* runtime/rt_train.h — the training loop: epochs of shuffled batches
 * through the model's train_step.
 *
 * An epoch shuffles the training examples with the run's stream (when
 * asked), restarting from their natural order, so that the order depends
 * only on the stream's state: a run resumed from a checkpoint sees the
 * same batches as one never interrupted.  The last batch of an epoch may
 * be smaller; its actual size is passed to train_step.
 */
#ifndef NETC_RT_TRAIN_H
#define NETC_RT_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "rt_driver.h"

typedef struct RtEpoch {
  int64_t epoch;               /* 1 for the first */
  double train_loss;           /* mean of batch losses, weighted by size */
  double train_acc;            /* NaN without class targets */
  double val_loss, val_acc;    /* NaN without a validation set */
  double seconds;
} RtEpoch;

/* Progress on a terminal: examples done of total, rate and time left. */
typedef struct RtProgress {
  int enabled;                 /* draw the line (stderr is a tty) */
  double start, last;          /* rt_now() at the start, last drawing */
  uint64_t done, total;        /* examples in this run */
  int64_t epoch, epochs;
} RtProgress;

typedef struct RtTrainConfig {
  int batch;                   /* examples per step, <= max_batch */
  int shuffle;
  int train_acc;               /* measure accuracy (one predict a batch) */
  NetrtHyper hyper;
} RtTrainConfig;

/* One epoch over the examples of v; r->step counts the steps.  order
 * holds v->count example numbers (scratch).  0, or -1 with a message
 * naming the epoch and the step when the loss is not finite. */
int rt_train_epoch(RtRun *r, RtBatch *b, const RtView *v, size_t *order,
                   const RtTrainConfig *c, RtProgress *p, RtEpoch *e,
                   char *err, size_t errsz);

void rt_progress_draw(RtProgress *p, double loss, int force);
void rt_progress_clear(RtProgress *p);

#endif
