/* runtime/rt_seq.c — the sequence data sources: a text for next-character
 * prediction, index recall and binary addition (see rt_seq.h).  Input:
 * a text (in memory or in a file) or the generators' options and seed;
 * output: an RtDataset padded to its longest length, with lengths.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_rng.h"
#include "rt_seq.h"
#include "rt_util.h"

#define DIGITS 10
#define EVAL_SALT 0x9e3779b97f4a7c15u  /* eval's stream differs from a
                                         * training set's of the same seed */

/* ---- shared ---- */

/* Whether count rows of numel 4-byte values overflow a size. */
static int too_big(size_t count, size_t numel) {
  return rt_mul_size(rt_mul_size(count, numel), 4) == SIZE_MAX;
}

/* Allocates a sequence dataset whose count, max_steps, step_numel,
 * classes and kinds are set, zero-filled, and sets its shape. */
static int seq_alloc(RtDataset *ds, const char *what, char *err,
                     size_t errsz) {
  size_t count = ds->count, steps = ds->max_steps;
  size_t label_steps = ds->target_kind == RT_TARGET_STEP_CLASS ? steps : 1;
  ds->input_numel = rt_mul_size(steps, ds->step_numel);
  ds->input_ndim = 2;
  ds->input_shape[0] = steps;
  ds->input_shape[1] = ds->step_numel;
  if (ds->target_kind == RT_TARGET_FLOAT)
    ds->target_numel = steps;
  else if (ds->target_kind == RT_TARGET_STEP_CLASS)
    ds->target_numel = rt_mul_size(steps, (size_t)ds->classes);
  if (too_big(count, ds->input_numel) || too_big(count, steps) ||
      ds->target_numel == SIZE_MAX) {
    memset(ds, 0, sizeof *ds);
    return rt_errorf(err, errsz, "%s: %zu sequences of %zu steps do not "
                     "fit in memory", what, count, steps);
  }
  ds->lengths = calloc(count, sizeof *ds->lengths);
  if (ds->input_kind == RT_INPUT_ONEHOT)
    ds->u8 = calloc(count * steps, sizeof *ds->u8);
  else
    ds->f32 = calloc(count * ds->input_numel, sizeof *ds->f32);
  if (ds->target_kind == RT_TARGET_FLOAT)
    ds->targets = calloc(count * steps, sizeof *ds->targets);
  else
    ds->labels = calloc(count * label_steps, sizeof *ds->labels);
  if (ds->lengths && (ds->u8 || ds->f32) && (ds->targets || ds->labels))
    return 0;
  rt_dataset_free(ds);
  return rt_errorf(err, errsz, "%s: out of memory for %zu sequence%s of "
                   "%zu steps", what, count, count == 1 ? "" : "s", steps);
}

/* The options every generated source shares. */
static int check_lengths(const char *what, int min_len, int max_len,
                         size_t count, char *err, size_t errsz) {
  if (min_len < 1)
    return rt_errorf(err, errsz, "%s: lengths %d..%d: a sequence needs at "
                     "least 1 step (min_len >= 1)", what, min_len, max_len);
  if (max_len < min_len)
    return rt_errorf(err, errsz, "%s: lengths %d..%d: the longest "
                     "(max_len) is shorter than the shortest (min_len)",
                     what, min_len, max_len);
  if (max_len > RT_SEQ_MAX_STEPS)
    return rt_errorf(err, errsz, "%s: lengths %d..%d: at most %d steps",
                     what, min_len, max_len, RT_SEQ_MAX_STEPS);
  if (count == 0)
    return rt_errorf(err, errsz, "%s: count 0: at least 1 sequence is "
                     "needed", what);
  return 0;
}

/* A length uniform in [min_len, max_len]. */
static int32_t draw_length(RtRng *r, int min_len, int max_len) {
  uint64_t span = (uint64_t)(max_len - min_len) + 1;
  return (int32_t)(min_len + (int64_t)rt_rng_below(r, span));
}

/* ---- text ---- */

/* Byte c for a message: 'c' when printable, else its escape or code. */
static const char *show_byte(unsigned char c, char buf[16]) {
  if (c == '\n')
    return "'\\n'";
  if (c == '\t')
    return "'\\t'";
  if (c >= 0x20 && c < 0x7f && c != '\'')
    snprintf(buf, 16, "'%c'", c);
  else
    snprintf(buf, 16, "byte 0x%02x", c);
  return buf;
}

/* The bytes of b[0..n) in double quotes, escaped, into out[0..outsz). */
static const char *show_bytes(const uint8_t *b, size_t n, char *out,
                              size_t outsz) {
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n && o + 6 < outsz; i++) {
    unsigned char c = b[i];
    if (c == '\n')
      o += (size_t)snprintf(out + o, outsz - o, "\\n");
    else if (c == '"' || c == '\\')
      o += (size_t)snprintf(out + o, outsz - o, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      out[o++] = (char)c;
    else
      o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
  }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

/* The distinct bytes of v[0..n) ascending in vocab; index[b] = the class
 * of byte b, or -1.  Returns the vocabulary's size. */
static int build_vocab(const unsigned char *v, size_t n, uint8_t *vocab,
                       int *index) {
  int seen[256] = {0}, size = 0;
  for (size_t i = 0; i < n; i++)
    seen[v[i]] = 1;
  for (int b = 0; b < 256; b++) {
    index[b] = seen[b] ? size : -1;
    if (seen[b])
      vocab[size++] = (uint8_t)b;
  }
  return size;
}

static int check_text(const char *what, const unsigned char *text,
                      size_t len, char *err, size_t errsz) {
  const unsigned char *nul = memchr(text, '\0', len);
  if (len < 2)
    return rt_errorf(err, errsz, "%s: a text of %zu character%s: "
                     "predicting one character from another needs at "
                     "least 2", what, len, len == 1 ? "" : "s");
  if (nul)
    return rt_errorf(err, errsz, "%s: holds a NUL byte (at byte %zu, "
                     "counting from 0); text reads plain text", what,
                     (size_t)(nul - text));
  return 0;
}

/* The text's steps and targets, once the vocabulary holds every byte. */
static void fill_text(RtDataset *ds, const unsigned char *text, size_t len,
                      const int *index) {
  size_t T = len - 1;
  ds->lengths[0] = (int32_t)T;
  for (size_t t = 0; t < T; t++) {
    ds->u8[t] = (uint8_t)index[text[t]];
    ds->labels[t] = index[text[t + 1]];
  }
}

static int make_text(RtDataset *ds, const char *what, const char *text,
                     size_t len, const char *voc, size_t voc_len, char *err,
                     size_t errsz) {
  const unsigned char *s = (const unsigned char *)text;
  uint8_t vocab[256];
  int index[256], size;
  char b[16];
  memset(ds, 0, sizeof *ds);
  if (check_text(what, s, len, err, errsz) < 0)
    return -1;
  if (len - 1 > (size_t)RT_SEQ_MAX_STEPS)
    return rt_errorf(err, errsz, "%s: a text of %zu bytes: at most %d "
                     "steps (%d bytes)", what, len, RT_SEQ_MAX_STEPS,
                     RT_SEQ_MAX_STEPS + 1);
  size = build_vocab(voc ? (const unsigned char *)voc : s,
                     voc ? voc_len : len, vocab, index);
  for (size_t i = 0; i < len; i++)
    if (index[s[i]] < 0)
      return rt_errorf(err, errsz, "%s: character %s at byte %zu "
                       "(counting from 0) is not in the vocabulary",
                       what, show_byte(s[i], b), i);
  ds->count = 1;
  ds->max_steps = len - 1;
  ds->step_numel = (size_t)size;
  ds->classes = size;
  ds->input_kind = RT_INPUT_ONEHOT;
  ds->target_kind = RT_TARGET_STEP_CLASS;
  if (seq_alloc(ds, what, err, errsz) < 0)
    return -1;
  ds->vocab = malloc((size_t)size);
  if (!ds->vocab) {
    rt_dataset_free(ds);
    return rt_errorf(err, errsz, "%s: out of memory", what);
  }
  memcpy(ds->vocab, vocab, (size_t)size);
  fill_text(ds, s, len, index);
  return 0;
}

int rt_text(RtDataset *ds, const char *text, size_t len, char *err,
            size_t errsz) {
  return make_text(ds, "text", text, len, NULL, 0, err, errsz);
}

int rt_text_vocab(RtDataset *ds, const char *text, size_t len,
                  const char *vocab, size_t vocab_len, char *err,
                  size_t errsz) {
  return make_text(ds, "text", text, len, vocab, vocab_len, err, errsz);
}

/* The whole regular file (at most RT_TEXT_MAX_BYTES) in a new buffer. */
static int read_text_file(const char *path, char **out, size_t *len,
                          char *err, size_t errsz) {
  struct stat sb;
  FILE *f;
  size_t cap;
  *out = NULL;
  if (stat(path, &sb) != 0)
    return rt_errorf(err, errsz, "cannot open '%s': %s", path,
                     strerror(errno));
  if (!S_ISREG(sb.st_mode))
    return rt_errorf(err, errsz, "'%s' is not a regular file", path);
  if (sb.st_size > (off_t)RT_TEXT_MAX_BYTES)
    return rt_errorf(err, errsz, "'%s' is larger than 16 MB (%lld bytes)",
                     path, (long long)sb.st_size);
  f = fopen(path, "rb");
  if (!f)
    return rt_errorf(err, errsz, "cannot open '%s': %s", path,
                     strerror(errno));
  cap = (size_t)sb.st_size + 1;           /* one more: did it grow? */
  *out = malloc(cap);
  if (!*out) {
    fclose(f);
    return rt_errorf(err, errsz, "'%s': out of memory", path);
  }
  errno = 0;
  *len = fread(*out, 1, cap, f);
  if (ferror(f) || *len == cap) {
    int e = errno;
    fclose(f);
    free(*out);
    *out = NULL;
    if (*len == cap)
      return rt_errorf(err, errsz, "'%s' grew while it was read", path);
    return rt_errorf(err, errsz, "'%s': read error: %s", path,
                     strerror(e ? e : EIO));
  }
  fclose(f);
  return 0;
}

int rt_text_file(RtDataset *ds, const char *path, char *err, size_t errsz) {
  char *text;
  size_t len = 0;
  int rc;
  memset(ds, 0, sizeof *ds);
  if (read_text_file(path, &text, &len, err, errsz) < 0)
    return -1;
  rc = make_text(ds, path, text, len, NULL, 0, err, errsz);
  free(text);
  return rc;
}

int rt_text_index(const RtDataset *ds, unsigned char c) {
  for (int i = 0; ds->vocab && i < ds->classes; i++)
    if (ds->vocab[i] == c)
      return i;
  return -1;
}

int rt_text_indices(const RtDataset *ds, const char *s, size_t len,
                    int32_t *out, char *err, size_t errsz) {
  char b[16], v[256 * 4 + 3];
  if (!ds->vocab)
    return rt_errorf(err, errsz, "the data is not a text: it has no "
                     "vocabulary");
  for (size_t i = 0; i < len; i++) {
    int c = rt_text_index(ds, (unsigned char)s[i]);
    if (c < 0)
      return rt_errorf(err, errsz, "character %s at position %zu "
                       "(counting from 0) is not in the text's vocabulary "
                       "of %d: %s", show_byte((unsigned char)s[i], b), i,
                       ds->classes, show_bytes(ds->vocab,
                       (size_t)ds->classes, v, sizeof v));
    out[i] = c;
  }
  return 0;
}

/* ---- experiment G: index recall ---- */

static void fill_recall(RtDataset *ds, int k, int min_len, int max_len,
                        uint64_t seed) {
  RtRng r;
  rt_rng_seed(&r, seed);
  for (size_t i = 0; i < ds->count; i++) {
    uint8_t *d = ds->u8 + i * ds->max_steps;
    ds->lengths[i] = draw_length(&r, min_len, max_len);
    for (int32_t t = 0; t < ds->lengths[i]; t++)
      d[t] = (uint8_t)rt_rng_below(&r, DIGITS);
    ds->labels[i] = d[k - 1];
  }
}

int rt_index_recall(RtDataset *ds, int k, int min_len, int max_len,
                    size_t count, uint64_t seed, char *err, size_t errsz) {
  memset(ds, 0, sizeof *ds);
  if (check_lengths("index_recall", min_len, max_len, count, err, errsz))
    return -1;
  if (k < 1)
    return rt_errorf(err, errsz, "index_recall: k = %d: positions count "
                     "from 1 (k = 1 is the first digit)", k);
  if (k > min_len)
    return rt_errorf(err, errsz, "index_recall: digit %d is not in every "
                     "sequence: the shortest has %d digit%s (k must be 1 "
                     "to min_len)", k, min_len, min_len == 1 ? "" : "s");
  ds->count = count;
  ds->max_steps = (size_t)max_len;
  ds->step_numel = DIGITS;
  ds->classes = DIGITS;
  ds->input_kind = RT_INPUT_ONEHOT;
  ds->target_kind = RT_TARGET_CLASS;
  if (seq_alloc(ds, "index_recall", err, errsz) < 0)
    return -1;
  fill_recall(ds, k, min_len, max_len, seed);
  return 0;
}

/* ---- experiment H: binary addition ---- */

/* Example i of length L: bits 0..L-2 of a and b drawn at random (bit L-1
 * stays 0: both are below 2^(L-1)) and the bits of a + b, by carries. */
static void add_pair(RtDataset *ds, size_t i, int32_t L, RtRng *r) {
  float *x = ds->f32 + i * ds->input_numel;
  float *y = ds->targets + i * ds->target_numel;
  unsigned carry = 0;
  ds->lengths[i] = L;
  for (int op = 0; op < 2; op++) {
    uint64_t w = 0;
    for (int32_t j = 0; j + 1 < L; j++) {
      if (j % 64 == 0)
        w = rt_rng_next(r);
      x[2 * j + op] = (float)(w >> (j % 64) & 1);
    }
  }
  for (int32_t j = 0; j < L; j++) {
    unsigned s = (unsigned)x[2 * j] + (unsigned)x[2 * j + 1] + carry;
    y[j] = (float)(s & 1);
    carry = s >> 1;
  }
  assert(carry == 0);
}

static int binary_alloc(RtDataset *ds, size_t count, int max_len,
                        const char *what, char *err, size_t errsz) {
  ds->count = count;
  ds->max_steps = (size_t)max_len;
  ds->step_numel = 2;
  ds->input_kind = RT_INPUT_F32;
  ds->target_kind = RT_TARGET_FLOAT;
  return seq_alloc(ds, what, err, errsz);
}

int rt_binary_add(RtDataset *ds, int min_len, int max_len, size_t count,
                  uint64_t seed, char *err, size_t errsz) {
  RtRng r;
  memset(ds, 0, sizeof *ds);
  if (check_lengths("binary_add", min_len, max_len, count, err, errsz) ||
      binary_alloc(ds, count, max_len, "binary_add", err, errsz))
    return -1;
  rt_rng_seed(&r, seed);
  for (size_t i = 0; i < count; i++)
    add_pair(ds, i, draw_length(&r, min_len, max_len), &r);
  return 0;
}

int rt_binary_add_eval(RtDataset *ds, int max_len, size_t per_length,
                       uint64_t seed, char *err, size_t errsz) {
  const char *what = "binary_add evaluation";
  size_t count = rt_mul_size((size_t)(max_len > 0 ? max_len : 0),
                             per_length);
  RtRng r;
  memset(ds, 0, sizeof *ds);
  if (per_length == 0)
    return rt_errorf(err, errsz, "%s: 0 pairs per length: at least 1 is "
                     "needed", what);
  if (check_lengths(what, 1, max_len, count, err, errsz) ||
      binary_alloc(ds, count, max_len, what, err, errsz))
    return -1;
  rt_rng_seed(&r, seed ^ EVAL_SALT);
  for (size_t i = 0; i < count; i++)
    add_pair(ds, i, (int32_t)(i / per_length) + 1, &r);
  return 0;
}
