/* runtime/rt_eval.c — evaluation over a dataset, and the eval and predict
 * commands.
 *
 * A dataset is evaluated in batches of the compiled size (the last one
 * smaller); the loss reported is the mean of the batch losses weighted
 * by their sizes, which is the mean over examples for a loss averaged
 * over its batch.
 *
 * Accuracy is that of the predicted classes, or for per-step 0/1 targets
 * (binary_add) the bit accuracy: the share of right bits over the steps
 * within each example's length (rt_driver.h says when a bit is right:
 * outputs of a binary target are taken as logits, a 1 above 0).  eval
 * then prints it for every length, and its minimum over the lengths.
 */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_driver.h"

double rt_stats_loss(const RtStats *s) {
  return s->examples ? s->loss_sum / (double)s->examples : NAN;
}

double rt_stats_acc(const RtStats *s) {
  if (s->bits)
    return (double)s->bits_right / (double)s->bits;
  return s->has_acc && s->examples ? (double)s->correct / (double)s->examples
                                   : NAN;
}

/* ---- bit accuracy by length ---- */

int rt_length_acc_init(RtLengthAcc *a, int64_t max_len) {
  size_t n = (size_t)(max_len > 0 ? max_len : 0) + 1;
  a->max_len = max_len > 0 ? max_len : 0;
  a->right = calloc(n, sizeof *a->right);
  a->total = calloc(n, sizeof *a->total);
  if (a->right && a->total)
    return 0;
  rt_length_acc_free(a);
  return -1;
}

void rt_length_acc_free(RtLengthAcc *a) {
  free(a->right);
  free(a->total);
  memset(a, 0, sizeof *a);
}

double rt_length_acc_at(const RtLengthAcc *a, int64_t L) {
  if (L < 1 || L > a->max_len || !a->total[L])
    return NAN;
  return (double)a->right[L] / (double)a->total[L];
}

int64_t rt_length_acc_longest(const RtLengthAcc *a) {
  int64_t L = a->max_len;
  while (L > 0 && !a->total[L])
    L--;
  return L;
}

double rt_length_acc_min(const RtLengthAcc *a, int64_t *at) {
  double lo = NAN;
  *at = 0;
  for (int64_t L = 1; L <= a->max_len; L++) {
    double v = rt_length_acc_at(a, L);
    if (!isnan(v) && !(v >= lo)) {
      lo = v;
      *at = L;
    }
  }
  return lo;
}

/* The bits of the n examples in b: output position j of example i is
 * scored for the steps t < its length (j < length * bit_step). */
static void add_bits(RtStats *s, const RtBatch *b, int n) {
  const NetrtModel *m = b->m;
  const NetrtTensor *t = &m->targets[0];
  int bytes = m->dtype_bytes;
  for (int i = 0; i < n; i++) {
    int64_t L = b->max_steps > 0 ? b->steps[i] : t->count / b->bit_step;
    int64_t used = L * b->bit_step, right = 0;
    if (used > t->count)
      used = t->count;
    for (int64_t j = 0; j < used; j++) {
      int64_t at = (int64_t)i * t->count + j;
      int y = rt_real_get(b->tg[0], bytes, at) > 0.5;
      int p = rt_real_get(b->out, bytes, at) > b->bit_threshold;
      right += p == y;
    }
    s->bits += (uint64_t)used;
    s->bits_right += (uint64_t)right;
    if (s->by_length && L >= 1 && L <= s->by_length->max_len) {
      s->by_length->right[L] += (uint64_t)right;
      s->by_length->total[L] += (uint64_t)used;
    }
  }
  s->has_acc = 1;
}

int rt_is_autoencoder(const NetrtModel *m) {
  return m->ntargets == 0 && m->ninputs == 1 &&
         m->output.count == m->inputs[0].count;
}

static void add_recon(RtRecon *rc, const RtBatch *b, int n) {
  const NetrtModel *m = b->m;
  size_t numel = (size_t)m->output.count;
  if (m->dtype_bytes == 8)
    rt_recon_add_f64(rc, b->out, b->in[0], (size_t)n, numel);
  else
    rt_recon_add(rc, b->out, b->in[0], (size_t)n, numel);
}

static void add_classes(RtStats *s, RtBatch *b, int n) {
  rt_batch_argmax(b, n);
  for (int i = 0; i < n; i++)
    s->correct += b->pred[i] == b->labels[i];
  if (s->confusion)
    rt_confusion_add(s->confusion, b->labels, b->pred, (size_t)n);
  s->has_acc = 1;
}

void rt_stats_score(RtStats *s, RtBatch *b, int n) {
  if (b->classes > 0 && b->has_labels)
    add_classes(s, b, n);
  else if (b->bits)
    add_bits(s, b, n);
}

int rt_eval_view(RtRun *r, RtBatch *b, const RtView *v, RtStats *s) {
  const NetrtModel *m = r->m;
  if (!v->count)
    return -1;
  for (size_t done = 0; done < v->count;) {
    int n = v->count - done < (size_t)b->cap ? (int)(v->count - done)
                                             : b->cap;
    for (int i = 0; i < n; i++)
      b->idx[i] = v->begin + done + (size_t)i;
    rt_batch_fill(b, v->ds, b->idx, n);
    double loss = m->evaluate(r->params, rt_batch_inputs_of(b),
                              rt_batch_targets_of(b), n, b->out, r->work);
    s->loss_sum += loss * n;
    s->examples += (uint64_t)n;
    rt_stats_score(s, b, n);
    if (s->recon)
      add_recon(s->recon, b, n);
    done += (size_t)n;
  }
  return 0;
}

/* ---- what eval and predict share ---- */

typedef struct Session {
  RtRun run;
  RtBatch batch;
  RtData data;
  RtView view;
} Session;

static void session_close(Session *s) {
  rt_batch_free(&s->batch);
  rt_run_free(&s->run);
  rt_data_close(&s->data);
}

static int session_params(Session *s, const RtOpts *o, char *err,
                          size_t errsz) {
  const NetrtModel *m = s->run.m;
  if (o->load)
    return rt_run_load(&s->run, o->load, 0, err, errsz);
  fprintf(stderr, "%s: note: no --load: using the initial parameters "
          "(seed %" PRIu64 ")\n", o->prog, rt_setting_seed(m, o));
  return rt_run_init(&s->run, rt_setting_seed(m, o), &o->hyper, err, errsz);
}

static int session_open(Session *s, const NetrtModel *m, const RtOpts *o) {
  char err[RT_ERRSZ];
  int64_t val = o->validation >= 0 ? o->validation : m->train.validation;
  memset(s, 0, sizeof *s);
  if (rt_run_alloc(&s->run, m, err, sizeof err) ||
      rt_batch_alloc(&s->batch, m, err, sizeof err) ||
      session_params(s, o, err, sizeof err) ||
      rt_data_open(&s->data, m, o, val, 1, err, sizeof err) ||
      rt_batch_check_data(&s->batch, &s->data, err, sizeof err) ||
      rt_data_view(&s->data, o->split ? o->split
                                      : rt_data_default_split(&s->data),
                   &s->view, err, sizeof err)) {
    session_close(s);
    return rt_fail(o, "%s", err);
  }
  s->batch.cap = (int)rt_setting_batch(m, o);
  return 0;
}

/* ---- eval ---- */

static void json_stats(RtJson *j, const char *key, const RtClassStats *c) {
  if (key)
    rt_json_key(j, key);
  rt_json_object_begin(j);
  rt_json_key(j, "precision");
  rt_json_double(j, c->precision);
  rt_json_key(j, "recall");
  rt_json_double(j, c->recall);
  rt_json_key(j, "f1");
  rt_json_double(j, c->f1);
  rt_json_key(j, "support");
  rt_json_uint(j, c->support);
  rt_json_object_end(j);
}

static int json_classes(RtJson *j, const RtConfusion *c) {
  int k = c->classes;
  RtClassStats *per = calloc((size_t)k, sizeof *per), macro, weighted;
  if (!per)
    return -1;
  rt_class_stats(c, per, &macro, &weighted);
  rt_json_key(j, "confusion");
  rt_json_array_begin(j);
  for (int t = 0; t < k; t++) {
    rt_json_array_begin(j);
    for (int p = 0; p < k; p++)
      rt_json_uint(j, c->counts[(size_t)t * (size_t)k + (size_t)p]);
    rt_json_array_end(j);
  }
  rt_json_array_end(j);
  rt_json_key(j, "classes");
  rt_json_array_begin(j);
  for (int t = 0; t < k; t++)
    json_stats(j, NULL, &per[t]);
  rt_json_array_end(j);
  json_stats(j, "macro_avg", &macro);
  json_stats(j, "weighted_avg", &weighted);
  free(per);
  return 0;
}

/* "bit_accuracy": lengths 1 to the longest scored (null for a length
 * without examples), "min_bit_accuracy" over them, "bits" in all. */
static void json_bits(RtJson *j, const RtLengthAcc *a, const RtStats *st) {
  int64_t at;
  rt_json_key(j, "bits");
  rt_json_uint(j, st->bits);
  rt_json_key(j, "bit_accuracy");
  rt_json_array_begin(j);
  for (int64_t L = 1; L <= rt_length_acc_longest(a); L++)
    rt_json_double(j, rt_length_acc_at(a, L));
  rt_json_array_end(j);
  rt_json_key(j, "min_bit_accuracy");
  rt_json_double(j, rt_length_acc_min(a, &at));
  rt_json_key(j, "min_bit_accuracy_length");
  rt_json_int(j, at);
}

static void text_bits(FILE *f, const RtLengthAcc *a) {
  int64_t at;
  fprintf(f, "\nlength  bit accuracy\n");
  for (int64_t L = 1; L <= rt_length_acc_longest(a); L++)
    if (a->total[L])
      fprintf(f, "%6" PRId64 "  %.4f (%" PRIu64 " of %" PRIu64 ")\n", L,
              rt_length_acc_at(a, L), a->right[L], a->total[L]);
  double lo = rt_length_acc_min(a, &at);
  if (at)
    fprintf(f, "min     %.4f (length %" PRId64 ")\n", lo, at);
}

static int eval_json(const RtOpts *o, const Session *s, const RtStats *st) {
  RtJson j;
  int rc = 0;
  rt_json_init(&j);
  rt_json_object_begin(&j);
  rt_json_key(&j, "command");
  rt_json_string(&j, "eval");
  rt_json_key(&j, "model");
  rt_json_string(&j, s->run.m->name);
  rt_json_key(&j, "split");
  rt_json_string(&j, s->view.name);
  rt_json_key(&j, "examples");
  rt_json_uint(&j, st->examples);
  rt_json_key(&j, "loss");
  rt_json_double(&j, rt_stats_loss(st));
  rt_json_key(&j, "accuracy");
  rt_json_double(&j, rt_stats_acc(st));
  if (st->confusion && json_classes(&j, st->confusion))
    rc = rt_fail(o, "out of memory");
  if (st->by_length)
    json_bits(&j, st->by_length, st);
  if (st->recon) {
    rt_json_key(&j, "mse");
    rt_json_double(&j, rt_recon_mse(st->recon));
    rt_json_key(&j, "psnr");
    rt_json_double(&j, rt_recon_psnr(st->recon));
    rt_json_key(&j, "psnr_mean");
    rt_json_double(&j, rt_recon_psnr_mean(st->recon));
  }
  rt_json_object_end(&j);
  if (!rc)
    rc = rt_json_print(o, &j);
  rt_json_free(&j);
  return rc;
}

static int eval_text(const RtOpts *o, const Session *s, const RtStats *st) {
  FILE *f = rt_out(o);
  fprintf(f, "%s: %" PRIu64 " examples (%s)\n", s->run.m->name,
          st->examples, s->view.name);
  fprintf(f, "loss      %.6f\n", rt_stats_loss(st));
  if (st->bits)
    fprintf(f, "bit accuracy  %.4f (%" PRIu64 " of %" PRIu64 " bits)\n",
            rt_stats_acc(st), st->bits_right, st->bits);
  else if (st->has_acc)
    fprintf(f, "accuracy  %.4f (%" PRIu64 " of %" PRIu64 ")\n",
            rt_stats_acc(st), st->correct, st->examples);
  if (st->by_length)
    text_bits(f, st->by_length);
  if (st->recon)
    fprintf(f, "mse       %.6g\npsnr      %.2f dB (mean per example "
            "%.2f dB)\n", rt_recon_mse(st->recon),
            rt_recon_psnr(st->recon), rt_recon_psnr_mean(st->recon));
  if (!st->confusion)
    return 0;
  fprintf(f, "\nconfusion matrix (rows: true class, columns: "
          "predicted)\n");
  rt_confusion_print(f, st->confusion, NULL);
  fputc('\n', f);
  if (rt_classification_report(f, st->confusion, NULL, 2))
    return rt_fail(o, "out of memory");
  return 0;
}

int rt_cmd_eval(const NetrtModel *m, RtOpts *o) {
  Session s;
  RtConfusion conf = {0};
  RtRecon recon = {0};
  RtLengthAcc lengths = {0};
  RtStats st = {0};
  int rc;
  if (session_open(&s, m, o))
    return 1;
  if ((s.batch.classes > 0 && rt_confusion_init(&conf, s.batch.classes)) ||
      (s.batch.bits &&
       rt_length_acc_init(&lengths, rt_batch_bit_lengths(&s.batch)))) {
    session_close(&s);
    return rt_fail(o, "out of memory");
  }
  if (s.batch.classes > 0)
    st.confusion = &conf;
  if (s.batch.bits)
    st.by_length = &lengths;
  if (rt_is_autoencoder(m))
    st.recon = &recon;
  if (rt_eval_view(&s.run, &s.batch, &s.view, &st))
    rc = rt_fail(o, "the %s set is empty", s.view.name);
  else
    rc = eval_text(o, &s, &st);
  if (!rc && o->json)
    rc = eval_json(o, &s, &st);
  rt_confusion_free(&conf);
  rt_length_acc_free(&lengths);
  session_close(&s);
  return rc;
}

/* ---- predict ---- */

/* The outputs of an example of `steps` steps: those of its steps when
 * the output is varlen, else all. */
static int64_t valid_outputs(const NetrtModel *m, int64_t steps) {
  const NetrtTensor *t = &m->output;
  if (!t->varlen || t->ndim < 1 || t->dims[0] < 1 || steps > t->dims[0])
    return t->count;
  return steps * (t->count / t->dims[0]);
}

static void print_prediction(const RtOpts *o, const RtBatch *b, int i,
                             size_t index, RtJson *j) {
  FILE *f = rt_out(o);
  const NetrtModel *m = b->m;
  int64_t count = m->output.count;
  rt_json_object_begin(j);
  rt_json_key(j, "index");
  rt_json_uint(j, index);
  fprintf(f, "%zu:", index);
  if (b->max_steps > 0) {
    fprintf(f, " length %" PRId32, b->steps[i]);
    rt_json_key(j, "length");
    rt_json_int(j, b->steps[i]);
    count = valid_outputs(m, b->steps[i]);
  }
  if (b->classes > 0) {
    fprintf(f, " class %d", b->pred[i]);
    rt_json_key(j, "class");
    rt_json_int(j, b->pred[i]);
    if (b->has_labels) {
      fprintf(f, " (label %d)", b->labels[i]);
      rt_json_key(j, "label");
      rt_json_int(j, b->labels[i]);
    }
  }
  rt_json_key(j, "output");
  rt_json_array_begin(j);
  const char *lead = b->classes > 0 ? "  scores"
                     : b->max_steps > 0 ? "  outputs" : "";
  fputs(lead, f);
  for (int64_t k = 0; k < count; k++) {
    double v = rt_real_get(b->out, m->dtype_bytes,
                           (int64_t)i * m->output.count + k);
    fprintf(f, " %.6g", v);
    rt_json_double(j, v);
  }
  rt_json_array_end(j);
  rt_json_object_end(j);
  fputc('\n', f);
}

static void predict_view(const RtOpts *o, Session *s, size_t count,
                         RtJson *j) {
  const NetrtModel *m = s->run.m;
  RtBatch *b = &s->batch;
  for (size_t done = 0; done < count;) {
    int n = count - done < (size_t)b->cap ? (int)(count - done) : b->cap;
    for (int i = 0; i < n; i++)
      b->idx[i] = s->view.begin + done + (size_t)i;
    rt_batch_fill(b, s->view.ds, b->idx, n);
    m->predict(s->run.params, rt_batch_inputs_of(b), n, b->out,
               s->run.work);
    rt_batch_argmax(b, n);
    for (int i = 0; i < n; i++)
      print_prediction(o, b, i, done + (size_t)i, j);
    done += (size_t)n;
  }
}

int rt_cmd_predict(const NetrtModel *m, RtOpts *o) {
  Session s;
  RtJson j;
  int rc = 0;
  if (session_open(&s, m, o))
    return 1;
  size_t count = o->count >= 0 ? (size_t)o->count : 10;
  if (count > s.view.count)
    count = s.view.count;
  rt_json_init(&j);
  rt_json_object_begin(&j);
  rt_json_key(&j, "command");
  rt_json_string(&j, "predict");
  rt_json_key(&j, "split");
  rt_json_string(&j, s.view.name);
  rt_json_key(&j, "predictions");
  rt_json_array_begin(&j);
  predict_view(o, &s, count, &j);
  rt_json_array_end(&j);
  rt_json_object_end(&j);
  if (o->json)
    rc = rt_json_print(o, &j);
  rt_json_free(&j);
  session_close(&s);
  return rc;
}
