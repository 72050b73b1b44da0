/* runtime/rt_sample.c — the sample command: a text model writes text.
 *
 * A model whose data source is a text reads T one-hot steps (its input
 * onehot[T, vocab]) and scores the next character at every step (its
 * output [T, vocab], logits).  Sampling starts from the characters of
 * --start, feeds the characters so far as the first steps of one example
 * (rows of zeros after them), reads the scores at the last character's
 * step, picks the next character (the arg-max at temperature 0, else a
 * draw from softmax(logits / temperature)) and repeats until the text
 * has min(--length, T + 1) characters.  This needs a causal model (each
 * step's output depends only on the steps before it), which the
 * recurrent models are: the zero rows then change nothing.
 */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_driver.h"
#include "rt_seq.h"

#define SAMPLE_SALT 0x53414d504c45u    /* "SAMPLE": the draws' stream */

typedef struct Sampler {
  RtRun run;
  RtBatch batch;
  RtData data;
  int64_t steps;               /* T */
  int vocab;
  int32_t *cls;                /* (steps + 1) classes of the text */
  char *text;                  /* (steps + 2) its bytes, NUL-terminated */
  double *prob;                /* (vocab) scratch for softmax */
} Sampler;

static void sampler_close(Sampler *s) {
  rt_batch_free(&s->batch);
  rt_run_free(&s->run);
  rt_data_close(&s->data);
  free(s->cls);
  free(s->text);
  free(s->prob);
}

/* "[14, 12]" */
static void dims_text(char *buf, size_t n, const NetrtTensor *t) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int d = 0; d < t->ndim && k < n; d++)
    k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, d ? ", " : "",
                          t->dims[d]);
  if (k < n)
    snprintf(buf + k, n - k, "]");
}

/* The input must be onehot[T, vocab] and the output [T, vocab]. */
static int check_shapes(Sampler *s, const NetrtModel *m, char *err,
                        size_t errsz) {
  const NetrtTensor *in = &m->inputs[0], *out = &m->output;
  int64_t v = s->data.main.classes;
  char got[128];
  if (m->ninputs != 1 || in->ndim != 2 || in->dims[1] != v ||
      in->count != in->dims[0] * v) {
    dims_text(got, sizeof got, in);
    snprintf(err, errsz, "sample needs one input of T steps of %" PRId64
             " one-hot characters (onehot[T, vocab]); input '%s' is %s",
             v, in->name, got);
    return -1;
  }
  s->steps = in->dims[0];
  if (out->ndim != 2 || out->dims[0] != s->steps || out->dims[1] != v ||
      out->count != s->steps * v) {
    dims_text(got, sizeof got, out);
    snprintf(err, errsz, "sample needs an output of the next character's "
             "scores at every step, [T, vocab] = [%" PRId64 ", %" PRId64
             "]; the model's output is %s", s->steps, v, got);
    return -1;
  }
  s->vocab = (int)v;
  return 0;
}

static int sampler_params(Sampler *s, const RtOpts *o, char *err,
                          size_t errsz) {
  const NetrtModel *m = s->run.m;
  if (o->load)
    return rt_run_load(&s->run, o->load, 0, err, errsz);
  fprintf(stderr, "%s: note: no --load: sampling from the initial "
          "parameters (seed %" PRIu64 ")\n", o->prog, rt_setting_seed(m, o));
  return rt_run_init(&s->run, rt_setting_seed(m, o), &o->hyper, err, errsz);
}

static int sampler_open(Sampler *s, const NetrtModel *m, const RtOpts *o) {
  char err[RT_ERRSZ];
  memset(s, 0, sizeof *s);
  if (rt_run_alloc(&s->run, m, err, sizeof err) ||
      rt_data_open(&s->data, m, o, 0, 0, err, sizeof err) ||
      check_shapes(s, m, err, sizeof err) ||
      rt_batch_alloc(&s->batch, m, err, sizeof err) ||
      sampler_params(s, o, err, sizeof err)) {
    sampler_close(s);
    return rt_fail(o, "%s", err);
  }
  s->cls = calloc((size_t)s->steps + 1, sizeof *s->cls);
  s->text = calloc((size_t)s->steps + 2, 1);
  s->prob = calloc((size_t)s->vocab, sizeof *s->prob);
  if (!s->cls || !s->text || !s->prob) {
    sampler_close(s);
    return rt_fail(o, "out of memory");
  }
  return 0;
}

/* The scores of the character after the first n of s->cls (n <= T):
 * row n - 1 of the output, left in s->batch.out. */
static const void *next_scores(Sampler *s, int64_t n) {
  const NetrtModel *m = s->run.m;
  RtBatch *b = &s->batch;
  int bytes = m->dtype_bytes;
  for (int64_t i = 0; i < m->inputs[0].count; i++)
    rt_real_set(b->in[0], bytes, i, 0.0);
  for (int64_t t = 0; t < n; t++)
    rt_real_set(b->in[0], bytes, t * s->vocab + s->cls[t], 1.0);
  rt_batch_set_length(b, 0, (int32_t)n);   /* a varlen input's length */
  /* evaluate writes what predict writes; the targets (zeros) only make
   * a loss, which is ignored.  It is called rather than predict, whose
   * code for recurrent models leaves out values that netc moves out of
   * the time loop. */
  if (m->ntargets > 0)
    m->evaluate(s->run.params, rt_batch_inputs_of(b),
                rt_batch_targets_of(b), 1, b->out, s->run.work);
  else
    m->predict(s->run.params, rt_batch_inputs_of(b), 1, b->out,
               s->run.work);
  return (const char *)b->out + (size_t)((n - 1) * s->vocab) * (size_t)bytes;
}

/* The next class from the scores: arg-max (the first of equals) at
 * temperature 0, else a draw from softmax(scores / temperature). */
static int32_t pick(Sampler *s, const void *scores, double temperature,
                    RtRng *rng) {
  int bytes = s->run.m->dtype_bytes, best = 0;
  for (int k = 1; k < s->vocab; k++)
    if (rt_real_get(scores, bytes, k) > rt_real_get(scores, bytes, best))
      best = k;
  if (temperature <= 0)
    return best;
  double top = rt_real_get(scores, bytes, best), sum = 0;
  for (int k = 0; k < s->vocab; k++) {
    s->prob[k] = exp((rt_real_get(scores, bytes, k) - top) / temperature);
    sum += s->prob[k];
  }
  double u = rt_rng_uniform(rng) * sum;
  for (int k = 0; k < s->vocab; k++) {
    if (u < s->prob[k])
      return k;
    u -= s->prob[k];
  }
  return best;                 /* rounding left u at the very end */
}

static int sample_json(const RtOpts *o, const char *start,
                       const char *text) {
  RtJson j;
  rt_json_init(&j);
  rt_json_object_begin(&j);
  rt_json_key(&j, "command");
  rt_json_string(&j, "sample");
  rt_json_key(&j, "start");
  rt_json_string(&j, start);
  rt_json_key(&j, "text");
  rt_json_string(&j, text);
  rt_json_object_end(&j);
  int rc = rt_json_print(o, &j);
  rt_json_free(&j);
  return rc;
}

/* The start's classes into s->cls; its length in *len. */
static int start_classes(Sampler *s, const RtOpts *o, const char *start,
                         size_t *len) {
  char err[RT_ERRSZ];
  *len = strlen(start);
  if ((int64_t)*len > s->steps + 1)
    return rt_fail(o, "--start: %zu characters; the model reads at most "
                   "%" PRId64 " steps, so a text has at most %" PRId64
                   " characters", *len, s->steps, s->steps + 1);
  if (rt_text_indices(&s->data.main, start, *len, s->cls, err, sizeof err))
    return rt_fail(o, "--start: %s", err);
  return 0;
}

int rt_cmd_sample(const NetrtModel *m, RtOpts *o) {
  Sampler s;
  RtRng rng;
  char first[2] = "";
  size_t len;
  const char *data = m->train.data;
  if (!data || strcmp(data, "text"))
    return rt_fail(o, "sample needs a text model (data text(...) in the "
                   "model file); this model's data source is %s",
                   data ? data : "none");
  if (o->temperature < 0)
    return rt_fail(o, "--temperature %g: must be 0 (arg-max) or more",
                   o->temperature);
  if (sampler_open(&s, m, o))
    return 1;
  const RtDataset *ds = &s.data.main;
  first[0] = (char)ds->vocab[ds->u8[0]];
  const char *start = o->start ? o->start : first;
  if (start_classes(&s, o, start, &len)) {
    sampler_close(&s);
    return 1;
  }
  int64_t want = s.steps + 1;
  if (o->length > want)
    fprintf(stderr, "%s: note: --length %" PRId64 ": the model reads %"
            PRId64 " steps, so the text stops at %" PRId64 " characters\n",
            o->prog, o->length, s.steps, want);
  else if (o->length >= 0)
    want = o->length;
  rt_rng_seed(&rng, rt_setting_seed(m, o) ^ SAMPLE_SALT);
  int64_t n = (int64_t)len;
  for (; n < want; n++) {
    const void *scores = next_scores(&s, n);
    s.cls[n] = pick(&s, scores, o->temperature, &rng);
  }
  for (int64_t t = 0; t < n; t++)
    s.text[t] = (char)ds->vocab[s.cls[t]];
  s.text[n] = '\0';
  fprintf(rt_out(o), "%s\n", s.text);
  int rc = o->json ? sample_json(o, start, s.text) : 0;
  sampler_close(&s);
  return rc;
}
