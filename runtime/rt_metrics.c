/* runtime/rt_metrics.c — accuracy, the confusion matrix, scikit-learn's
 * classification report, MSE and PSNR (see rt_metrics.h). */
#include <config.h>

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_metrics.h"

/* ---- classification ---- */

/* The i-th real of an array of floats or doubles, as a double: exact for
 * a float, so comparisons order floats as they would themselves. */
static double real_at(const void *reals, int real_bytes, size_t i) {
  if (real_bytes == 8)
    return ((const double *)reals)[i];
  return ((const float *)reals)[i];
}

void rt_argmax(const void *scores, int real_bytes, size_t rows, size_t cols,
               int32_t *out) {
  assert(real_bytes == 4 || real_bytes == 8);
  for (size_t i = 0; i < rows; i++) {
    size_t best = 0;
    double top = real_at(scores, real_bytes, i * cols);
    for (size_t j = 1; j < cols; j++) {
      double s = real_at(scores, real_bytes, i * cols + j);
      if (s > top || (isnan(top) && !isnan(s))) {
        best = j;
        top = s;
      }
    }
    out[i] = (int32_t)best;
  }
}

double rt_accuracy(const int32_t *truth, const int32_t *pred, size_t n) {
  size_t right = 0;
  for (size_t i = 0; i < n; i++)
    right += truth[i] == pred[i];
  return n ? (double)right / (double)n : 0.0;
}

int rt_confusion_init(RtConfusion *c, int classes) {
  c->classes = 0;
  c->counts = NULL;
  if (classes < 1 || (size_t)classes > SIZE_MAX / sizeof(uint64_t) /
      (size_t)classes)
    return -1;
  c->counts = calloc((size_t)classes * (size_t)classes, sizeof(uint64_t));
  if (!c->counts)
    return -1;
  c->classes = classes;
  return 0;
}

void rt_confusion_free(RtConfusion *c) {
  free(c->counts);
  c->counts = NULL;
  c->classes = 0;
}

void rt_confusion_reset(RtConfusion *c) {
  size_t k = (size_t)c->classes;
  if (c->counts)
    memset(c->counts, 0, k * k * sizeof *c->counts);
}

void rt_confusion_add(RtConfusion *c, const int32_t *truth,
                      const int32_t *pred, size_t n) {
  size_t k = (size_t)c->classes;
  for (size_t i = 0; i < n; i++) {
    assert(truth[i] >= 0 && truth[i] < c->classes);
    assert(pred[i] >= 0 && pred[i] < c->classes);
    c->counts[(size_t)truth[i] * k + (size_t)pred[i]]++;
  }
}

uint64_t rt_confusion_total(const RtConfusion *c) {
  size_t k = (size_t)c->classes;
  uint64_t total = 0;
  for (size_t i = 0; i < k * k; i++)
    total += c->counts[i];
  return total;
}

double rt_confusion_accuracy(const RtConfusion *c) {
  size_t k = (size_t)c->classes;
  uint64_t right = 0, total = rt_confusion_total(c);
  for (size_t i = 0; i < k; i++)
    right += c->counts[i * k + i];
  return total ? (double)right / (double)total : 0.0;
}

/* scikit-learn's _prf_divide with zero_division=0. */
static double ratio(uint64_t num, uint64_t den) {
  return den ? (double)num / (double)den : 0.0;
}

static RtClassStats class_stats(const RtConfusion *c, size_t cls) {
  size_t k = (size_t)c->classes;
  uint64_t tp = c->counts[cls * k + cls], actual = 0, predicted = 0;
  RtClassStats s;
  for (size_t j = 0; j < k; j++) {
    actual += c->counts[cls * k + j];
    predicted += c->counts[j * k + cls];
  }
  s.precision = ratio(tp, predicted);
  s.recall = ratio(tp, actual);
  s.f1 = ratio(2 * tp, actual + predicted);
  s.support = actual;
  return s;
}

void rt_class_stats(const RtConfusion *c, RtClassStats *per_class,
                    RtClassStats *macro, RtClassStats *weighted) {
  size_t k = (size_t)c->classes;
  uint64_t total = 0;
  memset(macro, 0, sizeof *macro);
  memset(weighted, 0, sizeof *weighted);
  for (size_t i = 0; i < k; i++) {
    RtClassStats s = per_class[i] = class_stats(c, i);
    total += s.support;
    macro->precision += s.precision;
    macro->recall += s.recall;
    macro->f1 += s.f1;
    weighted->precision += s.precision * (double)s.support;
    weighted->recall += s.recall * (double)s.support;
    weighted->f1 += s.f1 * (double)s.support;
  }
  macro->precision /= (double)k;
  macro->recall /= (double)k;
  macro->f1 /= (double)k;
  weighted->precision = total ? weighted->precision / (double)total : 0.0;
  weighted->recall = total ? weighted->recall / (double)total : 0.0;
  weighted->f1 = total ? weighted->f1 / (double)total : 0.0;
  macro->support = weighted->support = total;
}

/* A class's name: names[i], or its number. */
static const char *class_name(const char *const *names, size_t i,
                              char *buf, size_t n) {
  if (names && names[i])
    return names[i];
  snprintf(buf, n, "%zu", i);
  return buf;
}

/* The report's rows, formatted as Python's
 *   "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n" */
static void report_row(FILE *f, int width, const char *name,
                       const RtClassStats *s, int digits) {
  fprintf(f, "%*s  %9.*f %9.*f %9.*f %9llu\n", width, name, digits,
          s->precision, digits, s->recall, digits, s->f1,
          (unsigned long long)s->support);
}

int rt_classification_report(FILE *f, const RtConfusion *c,
                             const char *const *names, int digits) {
  size_t k = (size_t)c->classes;
  RtClassStats *s = malloc(k * sizeof *s), macro, weighted;
  int width = (int)strlen("weighted avg");
  char buf[24];
  if (!s)
    return -1;
  rt_class_stats(c, s, &macro, &weighted);
  for (size_t i = 0; i < k; i++) {
    int n = (int)strlen(class_name(names, i, buf, sizeof buf));
    width = n > width ? n : width;
  }
  width = digits > width ? digits : width;
  fprintf(f, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall",
          "f1-score", "support");
  for (size_t i = 0; i < k; i++)
    report_row(f, width, class_name(names, i, buf, sizeof buf), &s[i],
               digits);
  /* "accuracy": blank precision and recall columns, as Python formats
   * "{:>9.{digits}}" of "" */
  fprintf(f, "\n%*s  %9s %9s %9.*f %9llu\n", width, "accuracy", "", "",
          digits, rt_confusion_accuracy(c),
          (unsigned long long)macro.support);
  report_row(f, width, "macro avg", &macro, digits);
  report_row(f, width, "weighted avg", &weighted, digits);
  free(s);
  return 0;
}

void rt_confusion_print(FILE *f, const RtConfusion *c,
                        const char *const *names) {
  size_t k = (size_t)c->classes;
  int label = 0, cell = 1;
  char buf[24];
  for (size_t i = 0; i < k; i++) {
    int n = (int)strlen(class_name(names, i, buf, sizeof buf));
    label = n > label ? n : label;
    cell = n > cell ? n : cell;
  }
  for (size_t i = 0; i < k * k; i++) {
    int n = snprintf(buf, sizeof buf, "%llu",
                     (unsigned long long)c->counts[i]);
    cell = n > cell ? n : cell;
  }
  fprintf(f, "%*s", label, "");
  for (size_t j = 0; j < k; j++)
    fprintf(f, " %*s", cell, class_name(names, j, buf, sizeof buf));
  fputc('\n', f);
  for (size_t i = 0; i < k; i++) {
    fprintf(f, "%*s", label, class_name(names, i, buf, sizeof buf));
    for (size_t j = 0; j < k; j++)
      fprintf(f, " %*llu", cell, (unsigned long long)c->counts[i * k + j]);
    fputc('\n', f);
  }
}

/* ---- reconstruction ---- */

static double sse_f32(const float *a, const float *b, size_t n) {
  double sse = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    sse += d * d;
  }
  return sse;
}

static double sse_f64(const double *a, const double *b, size_t n) {
  double sse = 0;
  for (size_t i = 0; i < n; i++)
    sse += (a[i] - b[i]) * (a[i] - b[i]);
  return sse;
}

double rt_mse(const float *a, const float *b, size_t n) {
  return n ? sse_f32(a, b, n) / (double)n : 0.0;
}

double rt_psnr(double mse) {
  return mse > 0 ? 10.0 * log10(1.0 / mse) : INFINITY;
}

static void recon_example(RtRecon *r, double sse, size_t numel) {
  r->sse += sse;
  r->values += numel;
  r->psnr_sum += rt_psnr(numel ? sse / (double)numel : 0.0);
  r->examples++;
}

void rt_recon_add(RtRecon *r, const float *output, const float *target,
                  size_t examples, size_t numel) {
  for (size_t i = 0; i < examples; i++)
    recon_example(r, sse_f32(output + i * numel, target + i * numel, numel),
                  numel);
}

void rt_recon_add_f64(RtRecon *r, const double *output,
                      const double *target, size_t examples, size_t numel) {
  for (size_t i = 0; i < examples; i++)
    recon_example(r, sse_f64(output + i * numel, target + i * numel, numel),
                  numel);
}

double rt_recon_mse(const RtRecon *r) {
  return r->values ? r->sse / (double)r->values : 0.0;
}

double rt_recon_psnr(const RtRecon *r) {
  return rt_psnr(rt_recon_mse(r));
}

double rt_recon_psnr_mean(const RtRecon *r) {
  return r->examples ? r->psnr_sum / (double)r->examples : 0.0;
}
