/* tests/runtime/test_data.c — rt_rng and rt_data on data the test writes:
 * tiny idx files (plain, gzip, corrupt, truncated at every length, with
 * wrong magic numbers, counts and sizes), CSV files with good and bad
 * cells, and gzipped CSV files that inflate past the memory allowed, the
 * synthetic spirals, the validation split and batches. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rt_data.h"
#include "rt_rng.h"
#include "rt_test.h"

static char err[512];

/* ---- random numbers ---- */

static void test_rng_values(void) {
  /* First outputs for seed 42, from a separate Python transcription of
   * splitmix64 and xoshiro256** (public-domain reference code). */
  static const uint64_t want[3] = {0x15780b2e0c2ec716u, 0x6104d9866d113a7eu,
                                   0xae17533239e499a1u};
  RtRng r, a, b;
  int same = 1, differ = 0;
  rt_rng_seed(&r, 42);
  for (int i = 0; i < 3; i++) {
    uint64_t got = rt_rng_next(&r);
    ok(got == want[i], "xoshiro256** output %d for seed 42", i);
  }
  rt_rng_seed(&a, 7);
  rt_rng_seed(&b, 7);
  rt_rng_seed(&r, 8);
  for (int i = 0; i < 1000; i++) {
    uint64_t x = rt_rng_next(&a);
    same &= x == rt_rng_next(&b);
    differ |= x != rt_rng_next(&r);
  }
  ok(same, "the same seed gives the same stream");
  ok(differ, "another seed gives another stream");
}

static void test_rng_distributions(void) {
  enum { N = 200000 };
  RtRng r;
  double sum = 0, sum2 = 0, umin = 1, umax = 0;
  long bucket[10] = {0};
  int in_range = 1;
  rt_rng_seed(&r, 1);
  for (int i = 0; i < N; i++) {
    double u = rt_rng_uniform(&r);
    umin = u < umin ? u : umin;
    umax = u > umax ? u : umax;
    sum += u;
  }
  ok(umin >= 0 && umax < 1, "uniform draws lie in [0, 1)");
  ok(fabs(sum / N - 0.5) < 0.005, "uniform mean %.4f", sum / N);
  sum = 0;
  for (int i = 0; i < N; i++) {
    double z = rt_rng_normal(&r);
    sum += z;
    sum2 += z * z;
  }
  ok(fabs(sum / N) < 0.01, "normal mean %.4f", sum / N);
  ok(fabs(sum2 / N - 1) < 0.02, "normal variance %.4f", sum2 / N);
  for (int i = 0; i < N; i++) {
    uint64_t k = rt_rng_below(&r, 10);
    in_range &= k < 10;
    bucket[k < 10 ? k : 0]++;
  }
  ok(in_range, "below(10) stays below 10");
  for (int k = 0; k < 10; k++)
    if (labs(bucket[k] - N / 10) > N / 100)
      in_range = 0;
  ok(in_range, "below(10) fills its ten values evenly");
  ok(rt_rng_below(&r, 1) == 0, "below(1) is 0");
}

static int is_permutation(const size_t *p, size_t n) {
  char *seen = calloc(n ? n : 1, 1);
  int okay = seen != NULL;
  for (size_t i = 0; okay && i < n; i++) {
    okay = p[i] < n && !seen[p[i]];
    if (okay)
      seen[p[i]] = 1;
  }
  free(seen);
  return okay;
}

static void test_permutation(void) {
  enum { N = 1000 };
  size_t a[N], b[N], c[N], one = 5;
  RtRng r;
  rt_permutation(a, N, 3);
  rt_permutation(b, N, 3);
  rt_permutation(c, N, 4);
  ok(is_permutation(a, N), "a permutation of 0..999");
  ok(memcmp(a, b, sizeof a) == 0, "the same seed, the same permutation");
  ok(memcmp(a, c, sizeof a) != 0, "another seed, another permutation");
  rt_rng_seed(&r, 1);
  rt_shuffle(&one, 1, &r);
  rt_shuffle(NULL, 0, &r);
  ok(one == 5, "shuffling one element or none changes nothing");
}

/* ---- idx files ---- */

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static unsigned char pixel(size_t image, size_t k) {
  return (unsigned char)((image * 37 + k * 11) & 0xff);
}

/* An idx3 images file in a new buffer: magic, count, rows, cols and
 * `images` images of pixel() values (count may lie). */
static unsigned char *images_file(uint32_t magic, uint32_t count,
                                  uint32_t rows, uint32_t cols,
                                  size_t images, size_t *n) {
  size_t per = (size_t)rows * cols;
  unsigned char *b = malloc(16 + images * per);
  put_be32(b, magic);
  put_be32(b + 4, count);
  put_be32(b + 8, rows);
  put_be32(b + 12, cols);
  for (size_t i = 0; i < images; i++)
    for (size_t k = 0; k < per; k++)
      b[16 + i * per + k] = pixel(i, k);
  *n = 16 + images * per;
  return b;
}

static unsigned char *labels_file(uint32_t magic, uint32_t count,
                                  const unsigned char *labels, size_t m,
                                  size_t *n) {
  unsigned char *b = malloc(8 + m);
  put_be32(b, magic);
  put_be32(b + 4, count);
  memcpy(b + 8, labels, m);
  *n = 8 + m;
  return b;
}

static const unsigned char tiny_labels[4] = {0, 1, 2, 1};

/* Four 3x2 images with classes 0..2 at in_dir(images), in_dir(labels). */
static void write_tiny(const char *images, const char *labels, int gz) {
  size_t n;
  unsigned char *b = images_file(2051, 4, 3, 2, 4, &n);
  (gz ? write_gz : write_bytes)(in_dir(images), b, n);
  free(b);
  b = labels_file(2049, 4, tiny_labels, 4, &n);
  (gz ? write_gz : write_bytes)(in_dir(labels), b, n);
  free(b);
}

static int tiny_pixels_right(const RtDataset *ds) {
  for (size_t i = 0; i < 4; i++)
    for (size_t k = 0; k < 6; k++)
      if (ds->u8[i * 6 + k] != pixel(i, k))
        return 0;
  return 1;
}

static void test_idx_good(void) {
  RtDataset ds;
  int gz;
  for (gz = 0; gz < 2; gz++) {
    const char *kind = gz ? "gzip" : "plain";
    write_tiny("im", "lb", gz);
    ok(rt_load_idx(&ds, in_dir("im"), in_dir("lb"), 3, err, sizeof err) ==
       0, "%s idx files load", kind);
    ok(ds.count == 4 && ds.input_numel == 6 && ds.input_ndim == 2 &&
       ds.input_shape[0] == 3 && ds.input_shape[1] == 2,
       "%s: 4 examples of 3x2", kind);
    ok(ds.input_kind == RT_INPUT_U8 && ds.target_kind == RT_TARGET_CLASS &&
       ds.classes == 3, "%s: bytes in, 3 classes out", kind);
    ok(tiny_pixels_right(&ds), "%s: every pixel", kind);
    ok(ds.labels[0] == 0 && ds.labels[1] == 1 && ds.labels[2] == 2 &&
       ds.labels[3] == 1, "%s: every label", kind);
    rt_dataset_free(&ds);
    ok(ds.u8 == NULL && ds.count == 0, "%s: freed and emptied", kind);
  }
}

static void write_mnist(const char *dir, const char *set, int gz) {
  static const unsigned char labels[5] = {7, 2, 1, 0, 4};
  char name[128];
  size_t n;
  unsigned char *b = images_file(2051, 5, 28, 28, 5, &n);
  mkdir(in_dir(dir), 0777);
  snprintf(name, sizeof name, "%s/%s-images-idx3-ubyte%s", dir, set,
           gz ? ".gz" : "");
  (gz ? write_gz : write_bytes)(in_dir(name), b, n);
  free(b);
  b = labels_file(2049, 5, labels, 5, &n);
  snprintf(name, sizeof name, "%s/%s-labels-idx1-ubyte%s", dir, set,
           gz ? ".gz" : "");
  (gz ? write_gz : write_bytes)(in_dir(name), b, n);
  free(b);
}

static void test_mnist(void) {
  RtDataset ds;
  char dir[600];
  float x[2 * 784];
  size_t idx[2] = {4, 0};
  int right = 1;
  write_mnist("mnist", "train", 0);
  write_mnist("mnist", "t10k", 1);
  ok(rt_load_mnist(&ds, in_dir("mnist"), RT_MNIST_TRAIN, err, sizeof err)
     == 0, "MNIST training files, plain");
  ok(ds.count == 5 && ds.input_numel == 784 && ds.classes == 10 &&
     ds.labels[0] == 7 && ds.labels[4] == 4, "5 examples, 784 pixels");
  rt_batch_inputs(&ds, idx, 2, x);
  for (size_t k = 0; k < 784; k++)
    right &= x[k] == pixel(4, k) / 255.0f && x[784 + k] == pixel(0, k) /
             255.0f;
  ok(right, "a batch holds the pixels / 255, in the order asked");
  ok(x[784] == 0.0f && x[785] == 11 / 255.0f, "pixel values in [0, 1]");
  ds.u8_mean = 0.1307;
  ds.u8_std = 0.3081;
  rt_batch_inputs(&ds, idx, 2, x);
  ok(fabsf(x[784] + 0.1307f / 0.3081f) < 1e-6f &&
     fabsf(x[785] - (11 / 255.0f - 0.1307f) / 0.3081f) < 1e-6f,
     "standardized pixels: (pixel / 255 - mean) / std");
  rt_dataset_free(&ds);
  snprintf(dir, sizeof dir, "%s/", in_dir("mnist"));
  ok(rt_load_mnist(&ds, dir, RT_MNIST_TEST, err, sizeof err) == 0,
     "MNIST test files, gzip only, directory with a trailing slash");
  ok(ds.count == 5 && ds.labels[1] == 2, "t10k read");
  rt_dataset_free(&ds);
  ok(rt_load_mnist(&ds, in_dir("none"), RT_MNIST_TRAIN, err, sizeof err)
     == -1, "a missing directory fails");
  has(err, "none/train-images-idx3-ubyte' nor '", "names both files");
  has(err, "tools/fetch-mnist", "and says how to get them");
  ok(ds.count == 0 && ds.u8 == NULL, "a failed load leaves nothing");
}

/* Loads idx files from the buffers; returns the loader's result. */
static int load_buffers(const unsigned char *im, size_t nim,
                        const unsigned char *lb, size_t nlb, int gz,
                        int classes) {
  RtDataset ds;
  int rc;
  (gz ? write_gz : write_bytes)(in_dir("bi"), im, nim);
  (gz ? write_gz : write_bytes)(in_dir("bl"), lb, nlb);
  rc = rt_load_idx(&ds, in_dir("bi"), in_dir("bl"), classes, err,
                   sizeof err);
  rt_dataset_free(&ds);
  return rc;
}

static void idx_case(uint32_t im_magic, uint32_t im_count, uint32_t rows,
                     uint32_t lb_magic, uint32_t lb_count, const char *phrase,
                     const char *what) {
  size_t nim, nlb;
  unsigned char *im = images_file(im_magic, im_count, rows, 2, 4, &nim);
  unsigned char *lb = labels_file(lb_magic, lb_count, tiny_labels, 4, &nlb);
  ok(load_buffers(im, nim, lb, nlb, 0, 3) == -1, "%s: refused", what);
  has(err, phrase, "%s: message", what);
  free(im);
  free(lb);
}

static void test_idx_headers(void) {
  idx_case(2049, 4, 3, 2049, 4, "bad magic number 2049 (0x00000801): an idx "
           "images file starts with 2051", "labels magic in images");
  has(err, "this is a labels file", "... and a hint");
  idx_case(2051, 4, 3, 2051, 4, "this is an images file",
           "images magic in labels");
  idx_case(0x12345678, 4, 3, 2049, 4, "bad magic number 305419896",
           "a foreign magic number");
  idx_case(2051, 4, 3, 2049, 3, "bi holds 4 images but", "count mismatch");
  has(err, "bl holds 3 labels", "... names both counts");
  idx_case(2051, 0, 3, 2049, 0, "holds no images", "zero images");
  idx_case(2051, 4, 0, 2049, 4, "images of 0x2 pixels; each side must be",
           "zero rows");
  idx_case(2051, 4, 5000, 2049, 4, "each side must be 1 to 4096",
           "huge rows");
  idx_case(2051, 0xffffffffu, 28, 2049, 0xffffffffu, "truncated: holds 224 "
           "of the", "a header promising 4 billion images");
}

static void test_idx_contents(void) {
  size_t nim, nlb;
  unsigned char *im = images_file(2051, 4, 3, 2, 4, &nim);
  unsigned char bad_labels[4] = {0, 3, 1, 1};
  unsigned char *lb = labels_file(2049, 4, bad_labels, 4, &nlb);
  unsigned char *longer = malloc(nim + 1);
  ok(load_buffers(im, nim, lb, nlb, 0, 3) == -1, "label 3 of 3 classes");
  has(err, "label 3 of example 1 (counting from 0) is not a class 0..2",
      "names the label and the example");
  free(lb);
  lb = labels_file(2049, 4, tiny_labels, 4, &nlb);
  memcpy(longer, im, nim);
  longer[nim] = 0;
  ok(load_buffers(longer, nim + 1, lb, nlb, 1, 3) == -1,
     "a byte after the last image");
  has(err, "longer than its header says: bytes follow the last image",
      "trailing bytes");
  ok(load_buffers(im, nim, lb, nlb, 0, 300) == -1, "300 classes");
  has(err, "1 to 256 classes", "idx labels are bytes");
  ok(rt_load_idx(&(RtDataset){0}, test_dir, in_dir("bl"), 3, err,
                 sizeof err) == -1, "a directory as the images file");
  has(err, "read error", "is a read error");
  free(im);
  free(lb);
  free(longer);
}

/* Truncates the images file, then the labels file, at every length. */
static void test_idx_truncated(int gz) {
  size_t nim, nlb, bad = 0;
  unsigned char *im = images_file(2051, 4, 3, 2, 4, &nim);
  unsigned char *lb = labels_file(2049, 4, tiny_labels, 4, &nlb);
  for (size_t n = 0; n < nim; n++)
    if (load_buffers(im, n, lb, nlb, gz, 3) != -1 ||
        (!strstr(err, "truncated") && !strstr(err, "empty")))
      bad++, printf("# images cut at %zu: %s\n", n, err);
  for (size_t n = 0; n < nlb; n++)
    if (load_buffers(im, nim, lb, n, gz, 3) != -1 ||
        (!strstr(err, "truncated") && !strstr(err, "empty")))
      bad++, printf("# labels cut at %zu: %s\n", n, err);
  ok(bad == 0, "%s files cut at each of %zu lengths: 'truncated'",
     gz ? "gzip" : "plain", nim + nlb);
  free(im);
  free(lb);
}

/* A gzip file cut short or with a byte changed: an error, or (a change in
 * a field gzip ignores) the right data. */
static void test_gzip_damage(void) {
  size_t nim, nlb, ngz = 0, bad = 0, refused = 0;
  unsigned char *im = images_file(2051, 4, 3, 2, 4, &nim);
  unsigned char *lb = labels_file(2049, 4, tiny_labels, 4, &nlb);
  unsigned char *gz;
  write_bytes(in_dir("bl"), lb, nlb);
  write_gz(in_dir("gz"), im, nim);
  gz = read_bytes(in_dir("gz"), &ngz);
  for (size_t i = 0; gz && i < ngz; i++) {
    RtDataset ds;
    int rc;
    gz[i] ^= 0x55;
    write_bytes(in_dir("bi"), gz, ngz);
    gz[i] ^= 0x55;
    rc = rt_load_idx(&ds, in_dir("bi"), in_dir("bl"), 3, err, sizeof err);
    if (rc == -1)
      refused++;
    if (rc == -1 ? err[0] == '\0' : !tiny_pixels_right(&ds))
      bad++, printf("# byte %zu changed: rc %d\n", i, rc);
    rt_dataset_free(&ds);
  }
  ok(gz && bad == 0, "each of %zu gzip bytes changed: an error or the "
     "right data", ngz);
  ok(refused > ngz / 2, "%zu of them refused", refused);
  bad = 0;
  for (size_t n = 0; gz && n < ngz; n++) {
    RtDataset ds;
    write_bytes(in_dir("bi"), gz, n);
    if (rt_load_idx(&ds, in_dir("bi"), in_dir("bl"), 3, err, sizeof err) !=
        -1 || (!strstr(err, "truncated") && !strstr(err, "empty")))
      bad++, printf("# gzip file cut at %zu: %s\n", n, err);
    rt_dataset_free(&ds);
  }
  ok(gz && bad == 0, "the gzip file cut at each of %zu lengths: "
     "'truncated'", ngz);
  free(gz);
  free(im);
  free(lb);
}

/* ---- CSV ---- */

/* text as d.csv, loaded for a model of reals of `bytes` bytes. */
static int load_csv_as(RtDataset *ds, const char *text, int features,
                       int classes, int label, int header, int bytes) {
  write_text(in_dir("d.csv"), text);
  return rt_load_csv(ds, in_dir("d.csv"), features, classes, label, header,
                     bytes, err, sizeof err);
}

static int load_csv_text(RtDataset *ds, const char *text, int features,
                         int classes, int label, int header) {
  return load_csv_as(ds, text, features, classes, label, header, 4);
}

static void test_csv_good(void) {
  static const char text[] =
    "a,b,c,label\n1,2,3,0\n4.5, 5 ,\"6\",2\r\n\n  \n-1e-3,0,7,1.0\n";
  RtDataset ds;
  unsigned char *gz;
  size_t n;
  ok(load_csv_text(&ds, text, 3, 3, -1, 1) == 0, "CSV with a header, "
     "CRLF, blank lines, spaces, quotes");
  ok(ds.count == 3 && ds.input_numel == 3 && ds.input_kind == RT_INPUT_F32 &&
     ds.classes == 3, "3 rows of 3 features");
  ok(ds.f32[0] == 1 && ds.f32[3] == 4.5f && ds.f32[4] == 5 &&
     ds.f32[5] == 6 && ds.f32[6] == -1e-3f && ds.f32[8] == 7, "features");
  ok(ds.labels[0] == 0 && ds.labels[1] == 2 && ds.labels[2] == 1, "labels");
  rt_dataset_free(&ds);
  write_gz(in_dir("d.csv.gz"), text, strlen(text));
  ok(rt_load_csv(&ds, in_dir("d.csv.gz"), 3, 3, -1, 1, 4, err,
                 sizeof err) == 0 && ds.count == 3 && ds.labels[1] == 2,
     "the same CSV gzipped");
  rt_dataset_free(&ds);
  gz = read_bytes(in_dir("d.csv.gz"), &n);
  write_bytes(in_dir("cut.csv.gz"), gz, n - 4);
  free(gz);
  ok(rt_load_csv(&ds, in_dir("cut.csv.gz"), 3, 3, -1, 1, 4, err,
                 sizeof err) == -1, "the gzipped CSV cut short");
  has(err, "truncated: the gzip stream ends early", "says so");
  ok(load_csv_text(&ds, "2,0.5,0.25\n1,1,1", 0, 3, 0, 0) == 0,
     "label first, features counted, no final newline");
  ok(ds.count == 2 && ds.input_numel == 2 && ds.labels[0] == 2 &&
     ds.f32[0] == 0.5f && ds.f32[1] == 0.25f && ds.labels[1] == 1,
     "features after the label");
  rt_dataset_free(&ds);
  ok(load_csv_text(&ds, "1,2,0.5\n3,4,-2.25\n", 2, 0, -1, 0) == 0 &&
     ds.target_kind == RT_TARGET_FLOAT && ds.target_numel == 1 &&
     ds.targets[1] == -2.25f, "classes 0: a float target");
  rt_dataset_free(&ds);
}

static void csv_error(const char *text, int features, int classes,
                      int label, int header, const char *phrase) {
  RtDataset ds;
  int rc = load_csv_text(&ds, text, features, classes, label, header);
  ok(rc == -1 && ds.count == 0 && ds.f32 == NULL, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
  rt_dataset_free(&ds);
}

static void test_csv_errors(void) {
  char want[700];
  snprintf(want, sizeof want, "%s:2:3: field 2: 'abc' is not a number",
           in_dir("d.csv"));
  csv_error("1,2,0\n3,abc,1\n", 2, 2, -1, 0, want);
  csv_error("x,y\n1,2,0\n\n3, ,1\n", 2, 2, -1, 1, "d.csv:4:3: field 2 is "
            "empty");
  csv_error("1,2,0\n1,2,3,0\n", 2, 4, -1, 0, "d.csv:2:8: 4 fields, "
            "expected 3 (2 features and a label)");
  csv_error("1,2\n", 2, 4, -1, 0, "2 fields, expected 3");
  csv_error("1,2,5\n", 2, 3, -1, 0, "d.csv:1:5: field 3: label 5 is not "
            "a class 0..2");
  csv_error("1,2,1.5\n", 2, 3, -1, 0, "label 1.5 is not a class");
  csv_error("1,2,-1\n", 2, 3, -1, 0, "label -1 is not a class");
  csv_error("nan,2,1\n", 2, 3, -1, 0, "field 1: 'nan' is not a finite "
            "number");
  csv_error("1,2e999,1\n", 2, 3, -1, 0, "'2e999' is not a finite number");
  csv_error("1,\x01\xff,1\n", 2, 3, -1, 0, "'?" "?' is not a number");
  csv_error("", 2, 3, -1, 0, "no data lines");
  csv_error("a,b,c\n\n", 2, 3, -1, 1, "no data lines after the header");
  csv_error("1,2,0\n", 2, 3, 5, 0, "label column 5 is outside the 3 "
            "columns");
  csv_error("1,2,0\n", 2, 3, -4, 0, "label column -4 is outside");
  csv_error("1\n", 0, 3, -1, 0, "at least one feature and a label");
  csv_error("1,2,0\n", -1, 3, -1, 0, "must not be negative");
  csv_error("x,y,label\n1,2,0\n", 2, 3, -1, 0, "d.csv:1:1: field 1: 'x' "
            "is not a number (a first line of column names needs header = "
            "true)");
  ok(rt_load_csv(&(RtDataset){0}, in_dir("missing.csv"), 2, 3, -1, 0, 4,
                 err, sizeof err) == -1, "a missing CSV file");
  has(err, "cannot open", "says it cannot open it");
}

/* A value's range is the model's reals': floats refuse what only
 * doubles hold, and an f64 model gets the file's doubles as they are. */
static void test_csv_precision(void) {
  static const char text[] = "0.1,1e39,-1e300,0\n2,3,4,1\n";
  const size_t idx[2] = {0, 1};
  double in[6], tg[2];
  float in32[6];
  RtDataset ds;
  csv_error("1,2,0\n3,1e39,1\n", 2, 2, -1, 0, "d.csv:2:3: field 2: '1e39' "
            "is beyond the range of the model's f32 reals (at most "
            "3.40282e+38 in magnitude)");
  csv_error("1,-3.5e38,0\n", 2, 2, -1, 0, "'-3.5e38' is beyond the range");
  csv_error("1,2,4e38\n", 2, 0, -1, 0, "d.csv:1:5: field 3: '4e38' is "
            "beyond the range of the model's f32 reals");
  ok(load_csv_text(&ds, "3.4e38,-3.4e38,1e-50\n", 2, 0, -1, 0) == 0 &&
     ds.f32[0] == 3.4e38f && ds.targets[0] == 0,
     "f32: up to FLT_MAX; a value below the smallest float becomes 0");
  rt_dataset_free(&ds);
  ok(load_csv_as(&ds, text, 3, 2, -1, 0, 8) == 0 &&
     ds.input_kind == RT_INPUT_F64 && ds.f32 == NULL && ds.count == 2,
     "f64: 1e39 and -1e300 are in range, stored as doubles");
  rt_batch_inputs_f64(&ds, idx, 2, in);
  ok(in[0] == 0.1 && in[1] == 1e39 && in[2] == -1e300 && in[5] == 4,
     "the f64 batch holds the file's values exactly");
  rt_batch_inputs(&ds, idx + 1, 1, in32);
  ok(in32[0] == 2 && in32[2] == 4, "a float batch of an f64 dataset");
  rt_dataset_free(&ds);
  ok(load_csv_as(&ds, "1,2,0.1\n3,4,1e300\n", 2, 0, -1, 0, 8) == 0 &&
     ds.targets == NULL, "f64: float targets as doubles");
  rt_batch_targets_f64(&ds, idx, 2, tg);
  ok(tg[0] == 0.1 && tg[1] == 1e300, "the targets exactly");
  rt_dataset_free(&ds);
  ok(load_csv_as(&ds, "1,2,0\n", 2, 2, -1, 0, 2) == -1, "reals of 2 "
     "bytes");
  has(err, "4 (f32) or 8 (f64)", "are refused");
}

/* Lines cut across the reader's chunks and the arrays grown on the
 * way: 5000 rows, every value where it belongs. */
static void test_csv_many_rows(void) {
  size_t cap = 5000 * 40, len = 0;
  char *text = malloc(cap);
  RtDataset ds;
  int right = 1;
  for (int i = 0; i < 5000; i++)
    len += (size_t)snprintf(text + len, cap - len, "%d, %g,%d\n", i,
                            i * 0.5, i % 3);
  write_gz(in_dir("many.csv.gz"), text, len);
  free(text);
  ok(rt_load_csv(&ds, in_dir("many.csv.gz"), 2, 3, -1, 0, 4, err,
                 sizeof err) == 0 && ds.count == 5000, "5000 rows, gzipped");
  for (size_t i = 0; i < ds.count && right; i++)
    right = ds.f32[2 * i] == (float)i && ds.f32[2 * i + 1] == i * 0.5f &&
            ds.labels[i] == (int32_t)(i % 3);
  ok(right, "each row's values and label");
  rt_dataset_free(&ds);
}

/* A gzip file of a row, `repeat` times `piece`, and a row. */
static void write_bomb(const char *path, const char *piece, int repeat) {
  gzFile f = gzopen(path, "wb1");
  unsigned n = (unsigned)strlen(piece);
  int good = f && gzputs(f, "1,2,0\n") > 0;
  for (int i = 0; i < repeat && good; i++)
    good = gzwrite(f, piece, n) == (int)n;
  if (!good || gzputs(f, "\n3,4,1\n") < 0 || gzclose(f) != Z_OK) {
    printf("Bail out! cannot write %s\n", path);
    exit(1);
  }
}

/* The address space this process uses now, in bytes; 0 if unknown. */
static size_t address_space(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f && fscanf(f, "%lu", &pages) != 1)
    pages = 0;
  if (f)
    fclose(f);
  return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Loads path in a child whose address space may grow by 48 MiB at most:
 * 0 when it loaded `count` examples, else 1 with the message in err
 * (the child's, through a pipe). */
static int load_limited(const char *path, size_t count) {
  int fd[2], status = 1;
  ssize_t got;
  pid_t pid;
  if (pipe(fd) < 0 || (pid = fork()) < 0)
    return -1;
  if (pid == 0) {
    struct rlimit lim = {0};
    RtDataset ds;
    lim.rlim_cur = lim.rlim_max = address_space() + (48u << 20);
    setrlimit(RLIMIT_AS, &lim);
    strcpy(err, "(loaded, but not the examples expected)");
    if (rt_load_csv(&ds, path, 2, 2, -1, 0, 4, err, sizeof err) == 0 &&
        ds.count == count)
      _exit(0);
    if (write(fd[1], err, strlen(err) + 1) < 0)
      _exit(2);
    _exit(1);
  }
  close(fd[1]);
  got = read(fd[0], err, sizeof err - 1);
  err[got > 0 ? got : 0] = '\0';
  close(fd[0]);
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Why the address space cannot be bounded here, or NULL. */
static const char *no_limit(void) {
#if defined(__SANITIZE_ADDRESS__)
  return "AddressSanitizer reserves terabytes of address space";
#else
  return address_space() ? NULL : "no /proc/self/statm";
#endif
}

/* Files that decompress to far more than the memory allowed: the reader
 * parses as it decompresses, so that blank lines cost nothing; a line
 * too long, or more examples than fit, are refused with a message. */
static void test_csv_bombs(void) {
  char *piece = malloc((1u << 20) + 1);
  if (!piece || no_limit()) {
    ok(1, "# SKIP %s", piece ? no_limit() : "out of memory");
    free(piece);
    return;
  }
  memset(piece, ' ', 1u << 20);
  piece[1u << 20] = '\0';
  piece[(1u << 20) - 1] = '\n';
  write_bomb(in_dir("blank.csv.gz"), piece, 256);
  if (!ok(load_limited(in_dir("blank.csv.gz"), 2) == 0,
          "256 MiB of blank lines gzipped, in 48 MiB: the 2 rows"))
    printf("# %s\n", err);
  memset(piece, '0', 1u << 20);
  write_bomb(in_dir("long.csv.gz"), piece, 256);
  ok(load_limited(in_dir("long.csv.gz"), 2) == 1, "a line of 256 MiB");
  has(err, "long.csv.gz:2: the line is longer than 16 MiB: not a CSV "
      "file of numbers", "refused when it passes 16 MiB");
  for (size_t i = 0; i < 1u << 20; i += 8)
    memcpy(piece + i, "0,0e0,1\n", 8);
  write_bomb(in_dir("rows.csv.gz"), piece, 256);
  ok(load_limited(in_dir("rows.csv.gz"), 2) == 1,
     "33 million rows in 48 MiB");
  has(err, "out of memory after", "out of memory, saying where");
  free(piece);
}

/* ---- synthetic spirals ---- */

/* Accuracy of 1-nearest-neighbour on the last 500 points from the first
 * 5000: near 1 when the arms are apart. */
static double nearest_neighbour(const RtDataset *ds) {
  size_t right = 0;
  for (size_t q = ds->count - 500; q < ds->count; q++) {
    double best = INFINITY;
    int32_t label = -1;
    for (size_t i = 0; i < 5000; i++) {
      double dx = ds->f32[2 * q] - ds->f32[2 * i];
      double dy = ds->f32[2 * q + 1] - ds->f32[2 * i + 1];
      if (dx * dx + dy * dy < best)
        best = dx * dx + dy * dy, label = ds->labels[i];
    }
    right += label == ds->labels[q];
  }
  return right / 500.0;
}

static void test_synthetic(void) {
  RtDataset a, b, c;
  size_t count[3] = {0}, far = 0;
  ok(rt_synthetic2d(&a, 60000, 2, 1, err, sizeof err) == 0,
     "60,000 spiral points");
  ok(a.count == 60000 && a.input_numel == 2 && a.classes == 2 &&
     a.input_kind == RT_INPUT_F32, "2 features, 2 classes");
  for (size_t i = 0; i < a.count; i++) {
    count[a.labels[i] & 1]++;
    far += hypot(a.f32[2 * i], a.f32[2 * i + 1]) > 1.5 + 6 * 0.12;
  }
  ok(count[0] == 30000 && count[1] == 30000, "balanced classes");
  ok(far == 0, "every point within the arms' radius plus noise");
  ok(nearest_neighbour(&a) > 0.95, "1-NN accuracy %.3f: the arms are apart",
     nearest_neighbour(&a));
  rt_synthetic2d(&b, 60000, 2, 1, err, sizeof err);
  ok(memcmp(a.f32, b.f32, 60000 * 2 * sizeof(float)) == 0 &&
     memcmp(a.labels, b.labels, 60000 * sizeof(int32_t)) == 0,
     "the same seed, the same points");
  rt_dataset_free(&b);
  rt_synthetic2d(&b, 60000, 2, 2, err, sizeof err);
  ok(memcmp(a.f32, b.f32, 60000 * 2 * sizeof(float)) != 0,
     "another seed, other points");
  rt_synthetic2d(&c, 10, 3, 1, err, sizeof err);
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < c.count; i++)
    count[c.labels[i]]++;
  ok(count[0] == 4 && count[1] == 3 && count[2] == 3, "3 arms take turns");
  rt_dataset_free(&c);
  ok(rt_synthetic2d(&c, 0, 2, 1, err, sizeof err) == -1 &&
     strstr(err, "at least 1"), "no points: refused");
  ok(rt_synthetic2d(&c, 10, 0, 1, err, sizeof err) == -1,
     "no classes: refused");
  rt_dataset_free(&a);
  rt_dataset_free(&b);
  rt_dataset_free(&c);
}

/* ---- split and batches ---- */

static void test_split(void) {
  RtDataset ds = {0};
  RtSplit s;
  ds.count = 60000;
  ok(rt_split(&ds, 10000, &s, err, sizeof err) == 0 &&
     s.train_count == 50000 && s.val_begin == 50000 && s.val_count == 10000,
     "60,000 split 50,000 / 10,000");
  ok(rt_split(&ds, 0, &s, err, sizeof err) == 0 && s.train_count == 60000 &&
     s.val_count == 0, "no validation");
  ok(rt_split(&ds, 60000, &s, err, sizeof err) == -1, "all validation");
  has(err, "leaves none of the 60000 to train on", "says why");
}

static void test_batches(void) {
  RtDataset ds;
  size_t idx[3] = {2, 0, 2};
  float x[9], t[9];
  double xd[9], td[9];
  int32_t y[3];
  load_csv_text(&ds, "1,2,3,0\n4,5,6,1\n7,8,9,2\n", 3, 3, -1, 0);
  rt_batch_inputs(&ds, idx, 3, x);
  rt_batch_inputs_f64(&ds, idx, 3, xd);
  rt_batch_labels(&ds, idx, 3, y);
  rt_batch_targets(&ds, idx, 3, t);
  rt_batch_targets_f64(&ds, idx, 3, td);
  ok(x[0] == 7 && x[3] == 1 && x[8] == 9 && xd[4] == 2 && xd[6] == 7,
     "inputs follow the indices (float and double)");
  ok(y[0] == 2 && y[1] == 0 && y[2] == 2, "labels follow the indices");
  ok(t[0] == 0 && t[2] == 1 && t[3] == 1 && t[4] == 0 && t[8] == 1 &&
     td[2] == 1 && td[3] == 1 && td[5] == 0, "one-hot targets");
  rt_dataset_free(&ds);
  load_csv_text(&ds, "1,0.5\n2,0.25\n", 1, 0, -1, 0);
  rt_batch_targets(&ds, idx + 1, 1, t);
  rt_batch_targets_f64(&ds, idx + 1, 1, td);
  ok(t[0] == 0.5f && td[0] == 0.5, "float targets");
  rt_dataset_free(&ds);
  write_tiny("im", "lb", 0);
  rt_load_idx(&ds, in_dir("im"), in_dir("lb"), 3, err, sizeof err);
  rt_batch_inputs_f64(&ds, idx + 1, 1, xd);
  ok(xd[1] == 11 / 255.0 && xd[5] == 55 / 255.0, "bytes / 255 in double");
  rt_dataset_free(&ds);
}

int main(void) {
  make_test_dir();
  test_rng_values();
  test_rng_distributions();
  test_permutation();
  test_idx_good();
  test_mnist();
  test_idx_headers();
  test_idx_contents();
  test_idx_truncated(0);
  test_idx_truncated(1);
  test_gzip_damage();
  test_csv_good();
  test_csv_errors();
  test_csv_precision();
  test_csv_many_rows();
  test_csv_bombs();
  test_synthetic();
  test_split();
  test_batches();
  remove_test_dir();
  return tap_done();
}
