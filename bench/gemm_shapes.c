/* bench/gemm_shapes.c — see gemm_shapes.h. */
#include "gemm_shapes.h"

#include <stdio.h>
#include <stdlib.h>

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
