/* tests/runtime/test_seq.c — rt_seq's sequence sources and the padded
 * batches rt_data fills from them: a text's vocabulary, steps and
 * targets (inline and from a file), index recall's digits and targets,
 * binary addition's bits (the sums really add up), determinism in the
 * seed, one-hot expansion, zeros past each example's length, and the
 * errors, each with its message. */
#include <config.h>

#include <stdint.h>
#include <sys/stat.h>

#include "rt_data.h"
#include "rt_seq.h"
#include "rt_test.h"

static char err[1200];

/* ---- text ---- */

static const char guy[] = "You are a good guy";

/* Sorted distinct bytes of guy: ' ' Y a d e g o r u y, so Y is 1, o 6. */
static const int32_t guy_in[17] = {1, 6, 8, 0, 2, 7, 4, 0, 2, 0, 5, 6, 6,
                                   3, 0, 5, 8};
static const int32_t guy_out[17] = {6, 8, 0, 2, 7, 4, 0, 2, 0, 5, 6, 6, 3,
                                    0, 5, 8, 9};

static int guy_right(const RtDataset *ds) {
  int right = ds->count == 1 && ds->max_steps == 17 && ds->lengths[0] == 17;
  for (int t = 0; right && t < 17; t++)
    right = ds->u8[t] == guy_in[t] && ds->labels[t] == guy_out[t];
  return right;
}

static void test_text(void) {
  RtDataset ds;
  int32_t idx4[4];
  ok(rt_text(&ds, guy, strlen(guy), err, sizeof err) == 0, "a text loads");
  ok(ds.classes == 10 && ds.step_numel == 10, "\"%s\": vocab 10", guy);
  ok(ds.max_steps == 17 && ds.input_numel == 170 && ds.input_ndim == 2 &&
     ds.input_shape[0] == 17 && ds.input_shape[1] == 10, "T 17: [17, 10]");
  ok(ds.input_kind == RT_INPUT_ONEHOT &&
     ds.target_kind == RT_TARGET_STEP_CLASS && ds.target_numel == 170 &&
     rt_label_numel(&ds) == 17, "one-hot in, a class per step out");
  ok(ds.vocab && memcmp(ds.vocab, " Yadegoruy", 10) == 0,
     "the vocabulary: the distinct bytes ascending");
  ok(guy_right(&ds), "inputs: characters 0..16; targets: 1..17");
  ok(rt_text_index(&ds, 'g') == 5 && rt_text_index(&ds, ' ') == 0 &&
     rt_text_index(&ds, 'y') == 9 && rt_text_index(&ds, 'z') == -1,
     "a character's index is its rank; unknown: -1");
  ok(rt_text_indices(&ds, "good", 4, idx4, err, sizeof err) == 0 &&
     idx4[0] == 5 && idx4[1] == 6 && idx4[2] == 6 && idx4[3] == 3,
     "\"good\" -> 5 6 6 3");
  ok(rt_text_indices(&ds, "gaze", 4, idx4, err, sizeof err) == -1,
     "\"gaze\": z is unknown");
  has(err, "character 'z' at position 2 (counting from 0) is not in the "
      "text's vocabulary of 10: \" Yadegoruy\"", "names it and the "
      "vocabulary");
  rt_dataset_free(&ds);
  ok(ds.vocab == NULL && ds.lengths == NULL && ds.count == 0,
     "freed and emptied");
}

static void text_error(const char *text, size_t len, const char *phrase) {
  RtDataset ds;
  ok(rt_text(&ds, text, len, err, sizeof err) == -1 && ds.count == 0 &&
     ds.u8 == NULL, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
}

static void test_text_errors(void) {
  RtDataset ds = {0};
  int32_t one;
  text_error("Y", 1, "text: a text of 1 character: predicting one "
             "character from another needs at least 2");
  text_error("", 0, "a text of 0 characters");
  text_error("ab\0c", 4, "holds a NUL byte (at byte 2, counting from 0)");
  ok(rt_text_indices(&ds, "a", 1, &one, err, sizeof err) == -1,
     "indices of a dataset without a vocabulary");
  has(err, "not a text", "says so");
}

static void test_text_vocab(void) {
  RtDataset ds;
  ok(rt_text_vocab(&ds, "abba", 4, "cba!", 4, err, sizeof err) == 0,
     "a declared vocabulary");
  ok(ds.classes == 4 && memcmp(ds.vocab, "!abc", 4) == 0 &&
     ds.step_numel == 4, "sorted, with characters the text lacks");
  ok(ds.u8[0] == 1 && ds.u8[1] == 2 && ds.u8[2] == 2 &&
     ds.labels[0] == 2 && ds.labels[2] == 1, "ranks in the declared one");
  rt_dataset_free(&ds);
  ok(rt_text_vocab(&ds, "ab\ncd", 5, "abcd", 4, err, sizeof err) == -1,
     "a character outside the declared vocabulary");
  has(err, "character '\\n' at byte 2 (counting from 0) is not in the "
      "vocabulary", "names it");
}

static void test_text_file(void) {
  RtDataset ds;
  write_text(in_dir("guy.txt"), guy);
  ok(rt_text_file(&ds, in_dir("guy.txt"), err, sizeof err) == 0 &&
     ds.classes == 10 && guy_right(&ds), "the same text from a file");
  rt_dataset_free(&ds);
  write_text(in_dir("nl.txt"), "ab\n");
  ok(rt_text_file(&ds, in_dir("nl.txt"), err, sizeof err) == 0 &&
     ds.classes == 3 && ds.vocab[0] == '\n' && ds.max_steps == 2,
     "a final newline is a character");
  rt_dataset_free(&ds);
  write_text(in_dir("one.txt"), "x");
  ok(rt_text_file(&ds, in_dir("one.txt"), err, sizeof err) == -1,
     "a file of 1 character");
  has(err, "one.txt: a text of 1 character", "names the file");
  write_bytes(in_dir("nul.txt"), "ab\0", 3);
  ok(rt_text_file(&ds, in_dir("nul.txt"), err, sizeof err) == -1,
     "a file with a NUL byte");
  has(err, "nul.txt: holds a NUL byte", "says so");
  ok(rt_text_file(&ds, in_dir("missing.txt"), err, sizeof err) == -1,
     "a missing file");
  has(err, "cannot open '", "cannot open it");
  ok(rt_text_file(&ds, test_dir, err, sizeof err) == -1, "a directory");
  has(err, "is not a regular file", "says so");
  write_text(in_dir("big.txt"), "");
  ok(truncate(in_dir("big.txt"), (off_t)RT_TEXT_MAX_BYTES + 1) == 0 &&
     rt_text_file(&ds, in_dir("big.txt"), err, sizeof err) == -1 &&
     ds.count == 0, "a file of 16 MB and 1 byte");
  has(err, "is larger than 16 MB (16777217 bytes)", "says so");
}

/* ---- batches of a text ---- */

static void test_text_batches(void) {
  RtDataset ds;
  size_t zero = 0;
  float x[170], y[170], lv[17];
  double xd[170], yd[170];
  int32_t lab[17], len;
  int right = 1;
  rt_text(&ds, guy, strlen(guy), err, sizeof err);
  rt_batch_inputs(&ds, &zero, 1, x);
  rt_batch_inputs_f64(&ds, &zero, 1, xd);
  rt_batch_targets(&ds, &zero, 1, y);
  rt_batch_targets_f64(&ds, &zero, 1, yd);
  rt_batch_labels(&ds, &zero, 1, lab);
  rt_batch_label_values(&ds, &zero, 1, lv);
  rt_batch_lengths(&ds, &zero, 1, &len);
  for (int t = 0; t < 17; t++)
    for (int c = 0; c < 10; c++) {
      right &= x[t * 10 + c] == (c == guy_in[t]);
      right &= xd[t * 10 + c] == (c == guy_in[t]);
      right &= y[t * 10 + c] == (c == guy_out[t]);
      right &= yd[t * 10 + c] == (c == guy_out[t]);
    }
  ok(right, "one-hot inputs and targets (float and double)");
  right = len == 17;
  for (int t = 0; t < 17; t++)
    right &= lab[t] == guy_out[t] && lv[t] == (float)guy_out[t];
  ok(right, "labels per step, as indices and as reals; length 17");
  ds.lengths[0] = 5;                /* as if it were a shorter example */
  rt_batch_inputs(&ds, &zero, 1, x);
  rt_batch_targets(&ds, &zero, 1, y);
  rt_batch_targets_f64(&ds, &zero, 1, yd);
  right = 1;
  for (int j = 0; j < 170; j++)
    right &= j < 50 ? x[j] == (j % 10 == guy_in[j / 10]) &&
             y[j] == (j % 10 == guy_out[j / 10]) : !x[j] && !y[j] && !yd[j];
  ok(right, "one-hot rows of zeros past a length of 5");
  rt_dataset_free(&ds);
}

/* ---- experiment G: index recall ---- */

static void test_recall(void) {
  RtDataset a, b;
  int in_range = 1, right = 1, seen[11] = {0}, digits = 1, pad = 1;
  ok(rt_index_recall(&a, 2, 3, 10, 800, 1, err, sizeof err) == 0,
     "800 sequences, k 2, lengths 3..10");
  ok(a.count == 800 && a.max_steps == 10 && a.step_numel == 10 &&
     a.input_numel == 100 && a.input_kind == RT_INPUT_ONEHOT &&
     a.target_kind == RT_TARGET_CLASS && a.classes == 10 &&
     rt_label_numel(&a) == 1, "onehot[<=10, 10] in, class[10] out");
  for (size_t i = 0; i < a.count; i++) {
    const uint8_t *d = a.u8 + i * 10;
    int32_t L = a.lengths[i];
    in_range &= L >= 3 && L <= 10;
    seen[L >= 3 && L <= 10 ? L : 0]++;
    right &= a.labels[i] == d[1];
    for (int t = 0; t < 10; t++) {
      digits &= d[t] < 10;
      pad &= t < L || d[t] == 0;
    }
  }
  ok(in_range, "every length in 3..10");
  for (int L = 3; L <= 10; L++)
    in_range &= seen[L] > 800 / 8 / 2;
  ok(in_range, "every length drawn, about evenly");
  ok(right, "each target is the 2nd digit");
  ok(digits && pad, "digits 0..9, zeros past the length");
  rt_index_recall(&b, 2, 3, 10, 800, 1, err, sizeof err);
  ok(memcmp(a.u8, b.u8, 8000) == 0 && memcmp(a.lengths, b.lengths,
     800 * sizeof(int32_t)) == 0 && memcmp(a.labels, b.labels,
     800 * sizeof(int32_t)) == 0, "the same seed, the same data");
  rt_dataset_free(&b);
  rt_index_recall(&b, 2, 3, 10, 800, 2, err, sizeof err);
  ok(memcmp(a.u8, b.u8, 8000) != 0, "another seed, other data");
  rt_dataset_free(&b);
  rt_index_recall(&b, 3, 3, 3, 50, 7, err, sizeof err);
  right = 1;
  for (size_t i = 0; i < b.count; i++)
    right &= b.lengths[i] == 3 && b.labels[i] == b.u8[i * 3 + 2];
  ok(right && b.max_steps == 3, "a fixed length 3, k 3: the last digit");
  rt_dataset_free(&b);
  rt_dataset_free(&a);
}

static void recall_error(int k, int lo, int hi, size_t count,
                         const char *phrase) {
  RtDataset ds;
  ok(rt_index_recall(&ds, k, lo, hi, count, 1, err, sizeof err) == -1 &&
     ds.count == 0 && ds.u8 == NULL, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
}

static void test_recall_errors(void) {
  recall_error(4, 3, 10, 800, "index_recall: digit 4 is not in every "
               "sequence: the shortest has 3 digits (k must be 1 to "
               "min_len)");
  recall_error(0, 3, 10, 800, "index_recall: k = 0: positions count from "
               "1");
  recall_error(1, 0, 10, 800, "index_recall: lengths 0..10: a sequence "
               "needs at least 1 step (min_len >= 1)");
  recall_error(1, 5, 4, 800, "index_recall: lengths 5..4: the longest "
               "(max_len) is shorter than the shortest (min_len)");
  recall_error(1, 3, 10, 0, "index_recall: count 0: at least 1 sequence "
               "is needed");
  recall_error(1, 3, RT_SEQ_MAX_STEPS + 1, 1, "at most 16777216 steps");
  recall_error(1, 3, 10, SIZE_MAX / 4, "sequences of 10 steps do not fit in "
               "memory");
}

/* ---- experiment H: binary addition ---- */

/* The integer of the bits x[stride * t + off] for t < L, least
 * significant first (L <= 64). */
static uint64_t number(const float *x, int32_t L, int stride, int off) {
  uint64_t v = 0;
  for (int32_t t = L - 1; t >= 0; t--)
    v = v << 1 | (x[stride * t + off] != 0.0f);
  return v;
}

/* Whether every example of ds adds up: a + b == sum, a and b below
 * 2^(L-1), every value 0 or 1, zeros past the length. */
static int sums_right(const RtDataset *ds) {
  size_t S = ds->max_steps;
  for (size_t i = 0; i < ds->count; i++) {
    const float *x = ds->f32 + i * S * 2, *y = ds->targets + i * S;
    int32_t L = ds->lengths[i];
    uint64_t a = number(x, L, 2, 0), b = number(x, L, 2, 1);
    uint64_t half = (uint64_t)1 << (L - 1);
    if (L < 1 || L > 64 || a + b != number(y, L, 1, 0) || a >= half ||
        b >= half)
      return 0;
    for (size_t t = 0; t < S; t++)
      if ((x[2 * t] != 0 && x[2 * t] != 1) || (y[t] != 0 && y[t] != 1) ||
          (t >= (size_t)L && (x[2 * t] || x[2 * t + 1] || y[t])))
        return 0;
  }
  return 1;
}

static void test_binary(void) {
  RtDataset a, b;
  int in_range = 1, seen[21] = {0}, carries = 0;
  ok(rt_binary_add(&a, 1, 20, 250, 1, err, sizeof err) == 0,
     "250 pairs of lengths 1..20");
  ok(a.count == 250 && a.max_steps == 20 && a.step_numel == 2 &&
     a.input_numel == 40 && a.input_kind == RT_INPUT_F32 &&
     a.target_kind == RT_TARGET_FLOAT && a.target_numel == 20,
     "float[<=20, 2] in, binary[<=20] out");
  for (size_t i = 0; i < a.count; i++) {
    int32_t L = a.lengths[i];
    in_range &= L >= 1 && L <= 20;
    seen[L >= 1 && L <= 20 ? L : 0]++;
    carries += L > 1 && a.targets[i * 20 + L - 1] == 1;
  }
  ok(in_range && seen[0] == 0, "every length in 1..20");
  ok(sums_right(&a), "a + b == sum for every pair, operands below "
     "2^(L-1), zeros past the length");
  ok(carries > 50, "%d sums carry into their top bit", carries);
  rt_binary_add(&b, 1, 20, 250, 1, err, sizeof err);
  ok(memcmp(a.f32, b.f32, 250 * 40 * sizeof(float)) == 0 &&
     memcmp(a.targets, b.targets, 250 * 20 * sizeof(float)) == 0 &&
     memcmp(a.lengths, b.lengths, 250 * sizeof(int32_t)) == 0,
     "the same seed, the same pairs");
  rt_dataset_free(&b);
  rt_binary_add(&b, 1, 20, 250, 9, err, sizeof err);
  ok(memcmp(a.f32, b.f32, 250 * 40 * sizeof(float)) != 0,
     "another seed, other pairs");
  rt_dataset_free(&b);
  ok(rt_binary_add(&b, 60, 64, 300, 3, err, sizeof err) == 0 &&
     sums_right(&b), "lengths 60..64 add up too");
  rt_dataset_free(&b);
  ok(rt_binary_add(&b, 7, 7, 10, 3, err, sizeof err) == 0 &&
     b.max_steps == 7 && b.lengths[9] == 7 && sums_right(&b),
     "a fixed length 7");
  rt_dataset_free(&b);
  rt_dataset_free(&a);
}

/* Adds two L-bit numbers of bits, as a reference beyond 64 bits. */
static int long_sums_right(const RtDataset *ds) {
  for (size_t i = 0; i < ds->count; i++) {
    const float *x = ds->f32 + i * ds->input_numel;
    const float *y = ds->targets + i * ds->target_numel;
    int32_t L = ds->lengths[i];
    int carry = 0;
    if (x[2 * (L - 1)] != 0 || x[2 * (L - 1) + 1] != 0)
      return 0;
    for (int32_t t = 0; t < L; t++) {
      int s = (int)x[2 * t] + (int)x[2 * t + 1] + carry;
      if (y[t] != (float)(s % 2))
        return 0;
      carry = s / 2;
    }
  }
  return 1;
}

static void test_binary_long(void) {
  RtDataset ds;
  ok(rt_binary_add(&ds, 100, 200, 20, 5, err, sizeof err) == 0 &&
     long_sums_right(&ds), "lengths 100..200: the sums' bits");
  rt_dataset_free(&ds);
}

static void test_binary_eval(void) {
  RtDataset ds, train;
  int right = 1;
  ok(rt_binary_add_eval(&ds, RT_BINARY_EVAL_MAX_LEN,
                        RT_BINARY_EVAL_PER_LENGTH, 1, err, sizeof err) ==
     0, "the evaluation set");
  ok(ds.count == 2000 && ds.max_steps == 20, "100 pairs of each length "
     "1..20");
  for (size_t i = 0; i < ds.count; i++)
    right &= ds.lengths[i] == (int32_t)(i / 100) + 1;
  ok(right, "grouped by length");
  ok(sums_right(&ds), "they add up");
  rt_binary_add(&train, 20, 20, 100, 1, err, sizeof err);
  ok(memcmp(train.f32, ds.f32 + 1900 * 40, 100 * 40 * sizeof(float)) != 0,
     "other pairs than a training set of the same seed");
  rt_dataset_free(&train);
  rt_dataset_free(&ds);
  ok(rt_binary_add_eval(&ds, 20, 0, 1, err, sizeof err) == -1,
     "0 pairs per length");
  has(err, "binary_add evaluation: 0 pairs per length", "says so");
  ok(rt_binary_add_eval(&ds, 0, 100, 1, err, sizeof err) == -1 &&
     ds.count == 0, "lengths 1..0");
  has(err, "lengths 1..0", "says so");
}

static void binary_error(int lo, int hi, size_t count, const char *phrase) {
  RtDataset ds;
  ok(rt_binary_add(&ds, lo, hi, count, 1, err, sizeof err) == -1 &&
     ds.count == 0 && ds.f32 == NULL, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
}

static void test_binary_errors(void) {
  binary_error(0, 20, 250, "binary_add: lengths 0..20: a sequence needs "
               "at least 1 step");
  binary_error(-3, 20, 250, "lengths -3..20");
  binary_error(10, 3, 250, "binary_add: lengths 10..3: the longest "
               "(max_len) is shorter than the shortest (min_len)");
  binary_error(1, 20, 0, "binary_add: count 0: at least 1 sequence is "
               "needed");
  binary_error(1, 20, SIZE_MAX / 8, "sequences of 20 steps do not fit in "
               "memory");
}

/* ---- padded batches ---- */

static void test_padded_batches(void) {
  RtDataset ds;
  size_t idx[3], S = 10;
  float x[300], y[30], lv[3];
  double xd[300], yd[30];
  int32_t len[3], lab[3];
  int right = 1;
  rt_index_recall(&ds, 1, 3, 10, 200, 4, err, sizeof err);
  idx[0] = idx[1] = idx[2] = SIZE_MAX;
  for (size_t i = 0; i < ds.count; i++) {   /* a short, a long, a middle */
    int32_t L = ds.lengths[i];
    if (L == 3 && idx[0] == SIZE_MAX)
      idx[0] = i;
    else if (L == 10 && idx[1] == SIZE_MAX)
      idx[1] = i;
    else if (L == 6 && idx[2] == SIZE_MAX)
      idx[2] = i;
  }
  ok(idx[0] != SIZE_MAX && idx[1] != SIZE_MAX && idx[2] != SIZE_MAX,
     "examples of lengths 3, 10 and 6");
  rt_batch_inputs(&ds, idx, 3, x);
  rt_batch_inputs_f64(&ds, idx, 3, xd);
  rt_batch_lengths(&ds, idx, 3, len);
  rt_batch_targets(&ds, idx, 3, y);
  rt_batch_targets_f64(&ds, idx, 3, yd);
  rt_batch_labels(&ds, idx, 3, lab);
  rt_batch_label_values(&ds, idx, 3, lv);
  ok(len[0] == 3 && len[1] == 10 && len[2] == 6, "lengths filled");
  for (size_t e = 0; e < 3; e++)
    for (size_t t = 0; t < S; t++)
      for (size_t c = 0; c < 10; c++) {
        float want = t < (size_t)len[e] &&
                     ds.u8[idx[e] * S + t] == c ? 1.0f : 0.0f;
        right &= x[e * 100 + t * 10 + c] == want;
        right &= xd[e * 100 + t * 10 + c] == want;
      }
  ok(right, "one-hot steps, rows of zeros past each length");
  right = 1;
  for (size_t e = 0; e < 3; e++) {
    right &= lab[e] == ds.u8[idx[e] * S] && lv[e] == (float)lab[e];
    for (size_t c = 0; c < 10; c++)
      right &= y[e * 10 + c] == (c == (size_t)lab[e]) &&
               yd[e * 10 + c] == (c == (size_t)lab[e]);
  }
  ok(right, "one label per example, and its one-hot row");
  rt_dataset_free(&ds);
  rt_binary_add(&ds, 2, 8, 50, 4, err, sizeof err);
  idx[0] = 0;
  idx[1] = 1;
  rt_batch_inputs(&ds, idx, 2, x);
  rt_batch_targets_f64(&ds, idx, 2, yd);
  rt_batch_lengths(&ds, idx, 2, len);
  right = 1;
  for (size_t e = 0; e < 2; e++)
    for (size_t t = (size_t)len[e]; t < 8; t++)
      right &= x[e * 16 + 2 * t] == 0 && x[e * 16 + 2 * t + 1] == 0 &&
               yd[e * 8 + t] == 0;
  ok(right && len[0] == ds.lengths[0] && len[1] == ds.lengths[1],
     "binary_add: zeros past each length in inputs and targets");
  rt_dataset_free(&ds);
}

/* Fixed-size data keeps its meaning: no lengths, steps from its shape. */
static void test_fixed_data(void) {
  RtDataset ds;
  size_t idx[2] = {0, 1};
  int32_t len[2];
  rt_synthetic2d(&ds, 10, 2, 1, err, sizeof err);
  rt_batch_lengths(&ds, idx, 2, len);
  ok(ds.lengths == NULL && ds.max_steps == 0 && len[0] == 1 &&
     len[1] == 1 && rt_label_numel(&ds) == 1,
     "flat data: no lengths, 1 step, 1 label");
  ds.input_ndim = 2;                  /* as MNIST read as 28 rows */
  ds.input_shape[0] = 28;
  ok(rt_example_steps(&ds, 3) == 28, "2-D data: its rows are its steps");
  rt_dataset_free(&ds);
}

int main(void) {
  make_test_dir();
  test_text();
  test_text_errors();
  test_text_vocab();
  test_text_file();
  test_text_batches();
  test_recall();
  test_recall_errors();
  test_binary();
  test_binary_long();
  test_binary_eval();
  test_binary_errors();
  test_padded_batches();
  test_fixed_data();
  remove_test_dir();
  return tap_done();
}
