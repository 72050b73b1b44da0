/* tests/fuzz/fuzz_util.c — the fuzz targets' helpers (fuzz.h): taking
 * option bytes off the input, writing the input to a temporary file for
 * the readers that take a path, filling batches of what a reader
 * loaded, and the idx targets' loads. */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"

/* Examples this large are loaded but not batched: a batch of them would
 * cost milliseconds, and the fuzzer's speed is its strength. */
enum { MAX_BATCHED_VALUES = 1 << 18 };

unsigned fuzz_take_byte(FuzzInput *in) {
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

unsigned fuzz_take_u16(FuzzInput *in) {
  unsigned hi = fuzz_take_byte(in);
  return hi << 8 | fuzz_take_byte(in);
}

FuzzInput fuzz_take(FuzzInput *in, size_t n) {
  FuzzInput part = {in->p, n < in->n ? n : in->n};
  in->p += part.n;
  in->n -= part.n;
  return part;
}

static char dir[4096];

static void remove_dir(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[sizeof dir + 256];
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  if (d)
    closedir(d);
  rmdir(dir);
}

/* $TMPDIR, else memory (/dev/shm) when the system has it: the readers
 * run six times as many inputs a second there as in a /tmp on disk. */
static const char *tmp_parent(void) {
  const char *tmp = getenv("TMPDIR");
  struct stat st;
  if (tmp && *tmp)
    return tmp;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
      access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return "/tmp";
}

const char *fuzz_dir(void) {
  if (dir[0])
    return dir;
  snprintf(dir, sizeof dir, "%s/netc-fuzz.XXXXXX", tmp_parent());
  if (!mkdtemp(dir)) {
    perror("fuzz: cannot make a temporary directory");
    abort();
  }
  atexit(remove_dir);
  return dir;
}

static char *path_of(const char *name) {
  char *path = malloc(strlen(fuzz_dir()) + strlen(name) + 2);
  if (!path)
    abort();
  sprintf(path, "%s/%s", fuzz_dir(), name);
  return path;
}

char *fuzz_file(const char *name, FuzzInput bytes) {
  char *path = path_of(name);
  FILE *f = fopen(path, "wb");
  if (!f || (bytes.n && fwrite(bytes.p, 1, bytes.n, f) != bytes.n) ||
      fclose(f) != 0) {
    perror(path);
    abort();
  }
  return path;
}

char *fuzz_gz_file(const char *name, FuzzInput bytes) {
  char *path = path_of(name);
  gzFile f = gzopen(path, "wb1");
  if (!f || (bytes.n && gzwrite(f, bytes.p, (unsigned)bytes.n) == 0) ||
      gzclose(f) != Z_OK) {
    fprintf(stderr, "%s: cannot write the gzip file\n", path);
    abort();
  }
  return path;
}

/* rt_batch_targets' values per example. */
static size_t target_values(const RtDataset *ds) {
  if (ds->target_kind == RT_TARGET_FLOAT)
    return ds->target_numel;
  return rt_label_numel(ds) * (size_t)ds->classes;
}

/* n bytes of exactly that size, so that the sanitizers catch a write
 * past them; a harness out of memory aborts. */
static void *alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    abort();
  return p;
}

static void fill_labels(const RtDataset *ds, const size_t *idx, size_t n) {
  size_t k = rt_label_numel(ds);
  int32_t *labels = alloc(n * k * sizeof *labels);
  float *values = alloc(n * k * sizeof *values);
  double *values64 = alloc(n * k * sizeof *values64);
  rt_batch_labels(ds, idx, n, labels);
  rt_batch_label_values(ds, idx, n, values);
  rt_batch_label_values_f64(ds, idx, n, values64);
  free(labels);
  free(values);
  free(values64);
}

static void fill_inputs_and_targets(const RtDataset *ds, const size_t *idx,
                                    size_t n) {
  size_t m = ds->input_numel, t = target_values(ds);
  float *in = alloc(n * m * sizeof *in);
  double *in64 = alloc(n * m * sizeof *in64);
  float *tg = alloc(n * t * sizeof *tg);
  double *tg64 = alloc(n * t * sizeof *tg64);
  int32_t lengths[2];
  rt_batch_inputs(ds, idx, n, in);
  rt_batch_inputs_f64(ds, idx, n, in64);
  rt_batch_targets(ds, idx, n, tg);
  rt_batch_targets_f64(ds, idx, n, tg64);
  rt_batch_lengths(ds, idx, n, lengths);
  free(in);
  free(in64);
  free(tg);
  free(tg64);
}

void fuzz_fill_batches(const RtDataset *ds) {
  size_t idx[2] = {0, ds->count - 1};
  size_t n = ds->count > 1 ? 2 : 1;
  if (ds->count == 0 || ds->input_numel > MAX_BATCHED_VALUES ||
      target_values(ds) > MAX_BATCHED_VALUES)
    return;
  fill_inputs_and_targets(ds, idx, n);
  if (rt_label_numel(ds) > 0)
    fill_labels(ds, idx, n);
}

void fuzz_load_idx(const char *images, const char *labels, int classes) {
  RtDataset ds;
  char err[512];
  if (rt_load_idx(&ds, images, labels, classes, err, sizeof err) == 0)
    fuzz_fill_batches(&ds);
  rt_dataset_free(&ds);
  if (classes == 10 &&
      rt_load_mnist(&ds, fuzz_dir(), RT_MNIST_TRAIN, err, sizeof err) == 0)
    fuzz_fill_batches(&ds);
  rt_dataset_free(&ds);
}
