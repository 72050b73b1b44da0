/* bench/gemm_shapes.c — see gemm_shapes.h. */
#include "gemm_shapes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"

/* The shapes the models multiply, batch-major (rows are examples). */
static const char *const MODEL_SHAPES[] = {
  /* LSTM-128, batch 64, 28 steps of 28 features (F) */
  "64x512x128",       /* forward, one step: h W_h */
  "64x512x28",        /* forward, one step: x W_x */
  "1792x512x28",      /* x W_x hoisted over all 28 steps */
  "64x128x512",       /* backward, one step: d h = d z W_h */
  "512x128x64:T",     /* d W_h, one step: d z^T h */
  "512x128x1792:T",   /* d W_h over all steps at once */
  /* GRU-128 and RNN-128, batch 64 (F) */
  "64x384x128",
  "64x128x128",
  /* LSTM-64, batch 64 (F) */
  "64x256x64",
  /* LSTM-100, GRU-128 and RNN-128 at batch 500 (F) */
  "500x400x100",
  "500x384x128",
  "500x128x128",
  /* MLP 784-64-10, batch 128 (C, models/mlp.net) */
  "128x64x784",       /* forward: x W1 */
  "128x10x64",        /* forward: h W2 */
  "128x64x10",        /* backward: d h = d z W2 */
  "10x64x128:T",      /* d W2 = d z^T h */
  "64x784x128:T",     /* d W1 = d h^T x */
  /* a large square one: what OpenBLAS reaches at its best */
  "1024x1024x1024",
};

/* One dimension of a shape, up to 'x', ':' or the end. */
static bool parse_dim(const char **p, int *dim) {
  char *end;
  long v = strtol(*p, &end, 10);
  if (end == *p || v < 1 || v > 65536)
    return false;
  *dim = (int)v;
  *p = end;
  return true;
}

/* ":N" or ":T" (either case); true when nothing is left to read. */
static bool parse_trans(const char **p, bool *trans) {
  if (**p == '\0')
    return true;
  if (**p != ':')
    return false;
  char c = (*p)[1];
  if (c != 'N' && c != 'n' && c != 'T' && c != 't')
    return false;
  *trans = c == 'T' || c == 't';
  *p += 2;
  return true;
}

Shape parse_shape(const char *spec) {
  Shape s = {0};
  const char *p = spec;
  bool ok = parse_dim(&p, &s.m) && *p++ == 'x' && parse_dim(&p, &s.n) &&
            *p++ == 'x' && parse_dim(&p, &s.k) &&
            parse_trans(&p, &s.trans_a) && parse_trans(&p, &s.trans_b) &&
            *p == '\0';
  if (!ok)
    bad_usage("bad shape '%s' (MxNxK[:N|T][:N|T], e.g. 512x128x64:T)",
              spec);
  return s;
}

/* "512x128x64:T", the way the default list spells it. */
void shape_name(const Shape *s, char *buf, size_t size) {
  int n = snprintf(buf, size, "%dx%dx%d", s->m, s->n, s->k);
  if (s->trans_a || s->trans_b)
    n += snprintf(buf + n, size - (size_t)n, ":%c", s->trans_a ? 'T' : 'N');
  if (s->trans_b)
    snprintf(buf + n, size - (size_t)n, ":T");
}

int model_shapes(Shape *shapes) {
  int n = (int)(sizeof MODEL_SHAPES / sizeof MODEL_SHAPES[0]);
  for (int i = 0; i < n; i++)
    shapes[i] = parse_shape(MODEL_SHAPES[i]);
  return n;
}

void list_model_shapes(void) {
  int n = (int)(sizeof MODEL_SHAPES / sizeof MODEL_SHAPES[0]);
  for (int i = 0; i < n; i++)
    printf("%s\n", MODEL_SHAPES[i]);
}

double shape_flops(const Shape *s) {
  return 2.0 * s->m * (double)s->n * s->k;
}

void parse_gemm_args(int argc, char **argv, bool with_threads,
                     void (*usage)(FILE *), GemmArgs *a) {
  *a = (GemmArgs){.seconds = 0.2, .threads = {1, 2}, .nthreads = 2};
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(s, "--list") == 0) {
      list_model_shapes();
      exit(0);
    } else if (with_threads && strcmp(s, "--threads") == 0 && i + 1 < argc) {
      a->nthreads = parse_threads(argv[++i], a->threads, MAX_THREAD_COUNTS,
                                  1024);
    } else if (strcmp(s, "--seconds") == 0 && i + 1 < argc) {
      a->seconds = parse_seconds(argv[++i], 3600);
    } else if (s[0] >= '0' && s[0] <= '9' && a->nshapes < MAX_SHAPES) {
      a->shapes[a->nshapes++] = parse_shape(s);
    } else {
      bad_usage("unknown option, missing value or too many shapes: '%s'",
                s);
    }
  }
  if (a->nshapes == 0)
    a->nshapes = model_shapes(a->shapes);
}

float *random_matrix(size_t elems) {
  size_t bytes = (elems * sizeof(float) + 63) / 64 * 64;
  float *x = aligned_alloc(64, bytes ? bytes : 64);
  if (!x) {
    fprintf(stderr, "%s: out of memory\n", bench_prog);
    exit(1);
  }
  for (size_t i = 0; i < elems; i++)
    x[i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
  return x;
}

long time_calls(void (*call)(void *), void *ctx, double seconds,
                double *elapsed) {
  long calls = 0;
  double start = bench_now(), t = start;
  while (calls < 3 || t - start < seconds) {
    call(ctx);
    calls++;
    t = bench_now();
  }
  *elapsed = t - start;
  return calls;
}

/* Row i of op(A) op(B) in double precision, into row[0..n). */
static void reference_row(const Shape *s, const float *a, const float *b,
                          int i, double *row) {
  for (int j = 0; j < s->n; j++)
    row[j] = 0;
  for (int r = 0; r < s->k; r++) {
    double x = s->trans_a ? a[(size_t)r * s->m + i]
                          : a[(size_t)i * s->k + r];
    for (int j = 0; j < s->n; j++)
      row[j] += x * (s->trans_b ? b[(size_t)j * s->k + r]
                                : b[(size_t)r * s->n + j]);
  }
}

double gemm_max_error(const Shape *s, const float *a, const float *b,
                      const float *c) {
  double *row = malloc((size_t)s->n * sizeof *row);
  if (!row) {
    fprintf(stderr, "%s: out of memory\n", bench_prog);
    exit(1);
  }
  double worst = 0, largest = 0;
  for (int i = 0; i < s->m; i++) {
    reference_row(s, a, b, i, row);
    for (int j = 0; j < s->n; j++) {
      worst = fmax(worst, fabs(c[(size_t)i * s->n + j] - row[j]));
      largest = fmax(largest, fabs(row[j]));
    }
  }
  free(row);
  return worst / fmax(largest, 1e-30);
}

void gemm_print_row(const GemmRow *r) {
  const Shape *s = r->shape;
  char name[64];
  shape_name(s, name, sizeof name);
  printf("{\"suite\":\"gemm\",\"name\":\"%s %s\",\"m\":%d,\"n\":%d,"
         "\"k\":%d,\"trans_a\":%s,\"trans_b\":%s,\"threads\":%d,"
         "\"core\":\"%s\",\"calls\":%ld,\"seconds_per_call\":%.4g,"
         "\"gflops\":%.2f,", r->lib, name, s->m, s->n, s->k,
         s->trans_a ? "true" : "false", s->trans_b ? "true" : "false",
         r->threads, r->core, r->calls, r->seconds_per_call,
         shape_flops(s) / r->seconds_per_call / 1e9);
  if (r->compile_seconds >= 0)
    printf("\"compile_seconds\":%.3g,", r->compile_seconds);
  printf("\"max_error\":%.2g}\n", r->max_error);
  fflush(stdout);
}

bool gemm_row_right(const GemmRow *r) {
  if (r->max_error <= GEMM_TOLERANCE)
    return true;
  char name[64];
  shape_name(r->shape, name, sizeof name);
  fprintf(stderr, "%s: error: %s on %d thread%s: the product is wrong "
          "(relative error %.2g, more than %g)\n", bench_prog, name,
          r->threads, r->threads == 1 ? "" : "s", r->max_error,
          GEMM_TOLERANCE);
  return false;
}
