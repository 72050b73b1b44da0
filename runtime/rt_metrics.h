/* runtime/rt_metrics.h — classification and reconstruction metrics.
 *
 * Classification: a confusion matrix accumulated batch by batch, and from
 * it accuracy and each class's precision, recall, F1 and support with
 * macro and weighted averages, defined as scikit-learn defines them
 * (precision_recall_fscore_support with zero_division=0: a ratio whose
 * denominator is 0 is 0) and printed as its classification_report prints
 * them, column for column.
 *
 * Reconstruction (autoencoders, inputs in [0, 1]): mean squared error and
 * PSNR = 10 log10(1 / MSE) dB, both over the whole set and as the mean of
 * each example's PSNR (an image reconstructed exactly has an infinite
 * PSNR, and so then has the mean).
 *
 * Memory: rt_confusion_init() allocates, rt_confusion_free() releases;
 * nothing else allocates beyond the call.
 */
#ifndef NETC_RT_METRICS_H
#define NETC_RT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- classification ---- */

/* The class with the largest score in each row of scores (rows, cols),
 * reals of real_bytes each (4: float, 8: double): the first one on ties;
 * a NaN never wins over a number. */
void rt_argmax(const void *scores, int real_bytes, size_t rows, size_t cols,
               int32_t *out);

/* The fraction of n predictions equal to the truth (0 when n is 0). */
double rt_accuracy(const int32_t *truth, const int32_t *pred, size_t n);

typedef struct RtConfusion {
  int classes;
  uint64_t *counts;            /* (classes, classes): [true][predicted] */
} RtConfusion;

/* 0, or -1 when classes < 1 or out of memory. */
int rt_confusion_init(RtConfusion *c, int classes);
void rt_confusion_free(RtConfusion *c);
void rt_confusion_reset(RtConfusion *c);
/* Counts n pairs; each class must be in 0..classes-1. */
void rt_confusion_add(RtConfusion *c, const int32_t *truth,
                      const int32_t *pred, size_t n);
uint64_t rt_confusion_total(const RtConfusion *c);
double rt_confusion_accuracy(const RtConfusion *c);

typedef struct RtClassStats {
  double precision;            /* tp / (tp + fp) */
  double recall;               /* tp / (tp + fn) */
  double f1;                   /* 2 tp / (2 tp + fp + fn) */
  uint64_t support;            /* examples of the class: tp + fn */
} RtClassStats;

/* per_class: (classes).  macro: the plain mean over classes; weighted:
 * the mean weighted by support.  Their support is the total.  Every
 * class counts, even one that neither occurs nor is predicted
 * (scikit-learn's labels=range(classes)). */
void rt_class_stats(const RtConfusion *c, RtClassStats *per_class,
                    RtClassStats *macro, RtClassStats *weighted);

/* scikit-learn's classification_report(y_true, y_pred, labels=range(K),
 * target_names=names, digits=digits), byte for byte: names may be NULL
 * (then the class numbers), digits is usually 2.  -1 when out of
 * memory. */
int rt_classification_report(FILE *f, const RtConfusion *c,
                             const char *const *names, int digits);

/* The matrix as a table: a row per true class, a column per predicted
 * one, with names (or class numbers) as headings. */
void rt_confusion_print(FILE *f, const RtConfusion *c,
                        const char *const *names);

/* ---- reconstruction ---- */

/* Mean of (a[i] - b[i])^2 over n values (0 when n is 0). */
double rt_mse(const float *a, const float *b, size_t n);
/* 10 log10(1 / mse) dB: the PSNR of values in [0, 1]; +inf at 0. */
double rt_psnr(double mse);

typedef struct RtRecon {
  double sse;                  /* summed squared error */
  uint64_t values;             /* values compared */
  double psnr_sum;             /* over examples (may be +inf) */
  uint64_t examples;
} RtRecon;                     /* zero it to start */

/* Adds examples rows of numel values: output against target. */
void rt_recon_add(RtRecon *r, const float *output, const float *target,
                  size_t examples, size_t numel);
void rt_recon_add_f64(RtRecon *r, const double *output,
                      const double *target, size_t examples, size_t numel);
double rt_recon_mse(const RtRecon *r);
double rt_recon_psnr(const RtRecon *r);        /* of the overall MSE */
double rt_recon_psnr_mean(const RtRecon *r);   /* mean per example */

#endif
