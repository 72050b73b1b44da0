/* runtime/rt_data.h — datasets: loaders, the validation split, batches.
 *
 * A dataset is kept compact: MNIST's pixels stay bytes (47 MB for the
 * training set instead of 188 MB of floats) and become floats in [0, 1]
 * only when a batch is filled.  Examples are rows: example i's input is
 * input_numel values at i * input_numel.
 *
 * Sequences (text, index_recall, binary_add: rt_seq.h) have a step count
 * per example (lengths != NULL), from 1 to max_steps, and are stored
 * padded to max_steps: example i's steps start at i * max_steps (times
 * the values per step), and everything past its length is zero.  One-hot
 * inputs are stored as one class index per step (RT_INPUT_ONEHOT) and
 * become one-hot rows of step_numel floats when a batch is filled.  A
 * batch holds every example padded to max_steps (input_numel values =
 * max_steps * step_numel): padded positions are zeros in the inputs and
 * the targets, and rt_batch_lengths() says where each example ends (the
 * compiled code masks the rest).  For fixed-size data lengths is NULL and
 * max_steps and step_numel are 0.
 *
 * Errors: every loader returns 0, or -1 with one message (naming the file,
 * and the line and column for CSV) in the caller's buffer err[0..errsz);
 * err may be NULL.  A loader never prints, exits or crashes on bad input,
 * and on failure leaves *ds empty (nothing to free, freeing is harmless).
 *
 * Memory: a loader allocates the dataset's arrays; rt_dataset_free()
 * releases them.  Batches are written to buffers the caller owns.
 */
#ifndef NETC_RT_DATA_H
#define NETC_RT_DATA_H

#include <stddef.h>
#include <stdint.h>

#define RT_DATA_MAX_DIMS 4

typedef enum RtInputKind {
  RT_INPUT_U8,         /* bytes; a batch holds byte / 255 */
  RT_INPUT_F32,        /* floats, batched as they are */
  RT_INPUT_F64,        /* doubles: a CSV file read for an f64 model */
  RT_INPUT_ONEHOT,     /* u8: one class index per step, (count, max_steps);
                        * a batch holds one-hot rows of step_numel floats,
                        * rows of zeros past the example's length */
} RtInputKind;

typedef enum RtTargetKind {
  RT_TARGET_CLASS,     /* one class index per example */
  RT_TARGET_FLOAT,     /* target_numel floats per example */
  RT_TARGET_STEP_CLASS,  /* one class index per step: labels holds
                          * (count, max_steps), 0 past the length */
} RtTargetKind;

typedef struct RtDataset {
  size_t count;                    /* examples */
  size_t input_numel;              /* values in one example's input */
  int input_ndim;                  /* MNIST: 2 (28, 28); CSV, 2-D: 1 */
  size_t input_shape[RT_DATA_MAX_DIMS];
  RtInputKind input_kind;
  uint8_t *u8;                     /* (count, input_numel), RT_INPUT_U8;
                                    * (count, max_steps), RT_INPUT_ONEHOT */
  float *f32;                      /* (count, input_numel), RT_INPUT_F32 */
  double *f64;                     /* (count, input_numel), RT_INPUT_F64 */
  RtTargetKind target_kind;
  int classes;                     /* the class targets: 0..classes-1 */
  int32_t *labels;                 /* (count), RT_TARGET_CLASS;
                                    * (count, max_steps), _STEP_CLASS */
  size_t target_numel;             /* RT_TARGET_FLOAT: floats per example;
                                    * RT_TARGET_STEP_CLASS: max_steps *
                                    * classes (the one-hot targets) */
  float *targets;                  /* (count, target_numel), RT_TARGET_FLOAT */
  double *targets_f64;             /* in its place for an f64 model's CSV */
  /* Sequences (see above); all zero or NULL for fixed-size data. */
  int32_t *lengths;                /* (count): steps, 1..max_steps */
  size_t max_steps;                /* the padded length of every example */
  size_t step_numel;               /* input values per step */
  uint8_t *vocab;                  /* text: (classes) the byte of each
                                    * class, ascending; else NULL */
  double u8_mean, u8_std;          /* RT_INPUT_U8: when u8_std > 0, a
                                    * batch holds (byte/255 - mean) / std */
} RtDataset;

typedef enum RtMnistSet {
  RT_MNIST_TRAIN,      /* train-images-idx3-ubyte, 60,000 examples */
  RT_MNIST_TEST,       /* t10k-images-idx3-ubyte, 10,000 examples */
} RtMnistSet;

/* MNIST from dir: <set>-images-idx3-ubyte and <set>-labels-idx1-ubyte,
 * each plain or with .gz (plain is tried first).  Checks the magic
 * numbers (2051 images, 2049 labels), that both files count the same
 * examples, 28x28 images, labels below 10, and that the files hold
 * exactly what their headers promise (truncation, trailing bytes,
 * corrupt gzip data).  Input: RT_INPUT_U8, shape (28, 28). */
int rt_load_mnist(RtDataset *ds, const char *dir, RtMnistSet set,
                  char *err, size_t errsz);

/* Any pair of idx files of the same layout: images of any size up to
 * 4096x4096, labels below classes (1 to 256). */
int rt_load_idx(RtDataset *ds, const char *images_path,
                const char *labels_path, int classes, char *err,
                size_t errsz);

/* A comma-separated file (plain or gzip) with one example per line:
 * features numeric columns and one label column.  label_column counts
 * from 0; a negative one counts from the end (-1: the last column).
 * features == 0 takes every column but the label, as the first data line
 * has them.  classes > 0: the label is a whole number in 0..classes-1
 * ("3" or "3.0"); classes == 0: it is a float target (regression).
 * header != 0 skips the first line.  Blank lines are skipped, fields may
 * carry spaces and double quotes around them, and a number must be
 * finite in the model's reals, real_bytes wide: 4, floats (a value
 * beyond FLT_MAX is an error), or 8, doubles.  Errors read
 * "path:line:column: field N: ...".  The file is parsed as it is read
 * (and decompressed): memory holds the examples and one line, of at most
 * 16 MiB.  Input: RT_INPUT_F32 (RT_INPUT_F64 and targets_f64 for
 * doubles), shape (features). */
int rt_load_csv(RtDataset *ds, const char *path, int features, int classes,
                int label_column, int header, int real_bytes, char *err,
                size_t errsz);

/* Experiment I's data: classes interleaved spiral arms in the plane, one
 * turn each, radius up to 1.5, with Gaussian noise (sd 0.12) on both
 * coordinates.  Arm c holds the points
 *   t = sqrt(u), u uniform in [0, 1)   (uniform density over the disc)
 *   a = 2 pi (c / classes + t)
 *   (x, y) = 1.5 t (cos a, sin a) + 0.12 (n1, n2),  n1, n2 ~ N(0, 1)
 * Classes take turns (example i is in arm i % classes) and the examples
 * are then shuffled, so any tail of the dataset is a fair validation set.
 * Why spirals: a 2-64-2 relu MLP (Adam 1e-3, batch 128, 50,000 training
 * points) passes 98% validation accuracy in about 5 epochs and ends near
 * 99% after 20, while the same MLP with sigmoid units sits at about 75%
 * (the best a few linear cuts do) for 12 to 14 epochs before it learns:
 * the behaviour experiment I reports.  Deterministic in seed.
 * Input: RT_INPUT_F32, shape (2); target: classes. */
int rt_synthetic2d(RtDataset *ds, size_t points, int classes, uint64_t seed,
                   char *err, size_t errsz);

void rt_dataset_free(RtDataset *ds);

/* The validation split: the first train_count examples train and the
 * last val_count validate (MNIST's convention: 50,000 / 10,000).  Fails
 * when validation leaves no training example. */
typedef struct RtSplit {
  size_t train_count;              /* examples 0..train_count-1 */
  size_t val_begin, val_count;     /* examples val_begin.. */
} RtSplit;

int rt_split(const RtDataset *ds, size_t validation, RtSplit *split,
             char *err, size_t errsz);

/* Batches: n examples named by idx[0..n) (each below ds->count), one row
 * each.  inputs: (n, input_numel), one-hot steps expanded and sequences
 * padded with zeros.  labels: (n, rt_label_numel(ds)) class indices: one
 * per example, or one per step (RT_TARGET_STEP_CLASS, 0 past the
 * length).  targets: (n, classes) one-hot rows for a class dataset,
 * (n, max_steps, classes) one-hot rows for a per-step class one (rows of
 * zeros past the length), (n, target_numel) for a float one.  lengths:
 * (n) steps of each example.  The _f64 forms fill doubles (models
 * compiled with --dtype=f64). */
void rt_batch_inputs(const RtDataset *ds, const size_t *idx, size_t n,
                     float *out);
void rt_batch_inputs_f64(const RtDataset *ds, const size_t *idx, size_t n,
                         double *out);
void rt_batch_labels(const RtDataset *ds, const size_t *idx, size_t n,
                     int32_t *out);
void rt_batch_targets(const RtDataset *ds, const size_t *idx, size_t n,
                      float *out);
void rt_batch_targets_f64(const RtDataset *ds, const size_t *idx, size_t n,
                          double *out);

/* Class labels per example: 1 (RT_TARGET_CLASS), max_steps
 * (RT_TARGET_STEP_CLASS) or 0 (float targets). */
size_t rt_label_numel(const RtDataset *ds);

/* The labels as reals, (n, rt_label_numel(ds)): what a class[...]
 * target of the model holds. */
void rt_batch_label_values(const RtDataset *ds, const size_t *idx, size_t n,
                           float *out);
void rt_batch_label_values_f64(const RtDataset *ds, const size_t *idx,
                               size_t n, double *out);

/* The steps of example i: its length for a sequence; for fixed-size data
 * the input's first dimension when it has two or more (MNIST read as
 * rows: 28), else 1. */
size_t rt_example_steps(const RtDataset *ds, size_t i);

/* out[k] = rt_example_steps(ds, idx[k]) for k < n. */
void rt_batch_lengths(const RtDataset *ds, const size_t *idx, size_t n,
                      int32_t *out);

#endif
