/* bench/dnnl_rnn.c — oneDNN's fused RNN primitives: one training step of
 * a recurrent layer alone, the library baseline for netc's RNN models.
 *
 * A step is the forward pass in training mode and the backward pass, the
 * weights' gradients included: no head, no loss, no optimizer.  f32, the
 * initial state zero, the output sequence the only output (the models
 * read its last step).  The cells are netc's layers: rnn (tanh), lstm,
 * gru (oneDNN's linear-before-reset GRU, PyTorch's), and the
 * bidirectional birnn, bilstm, bigru (the two directions concatenated).
 *
 * Weights are given to oneDNN in the formats it picks (format "any") and
 * reordered to them once, before timing, as oneDNN recommends for speed:
 * a real training loop would reorder after each optimizer update, so
 * this is oneDNN at its best.  oneDNN always computes the gradient of the
 * input sequence as well, which the models do not need.
 *
 * Output: one JSON object per line on stdout, per case and thread count:
 *   {"suite":"onednn","name":"lstm h=128 b=64","cell":"lstm","hidden":128,
 *    "batch":64,"steps":28,"input":28,"threads":1,"iterations":300,
 *    "seconds":1.00,"steps_per_second":300.1,"samples_per_second":19206}
 * "steps" is the sequence length; "steps_per_second" counts training
 * steps (forward and backward of one batch).
 */
#define _POSIX_C_SOURCE 200809L

#include <dnnl.h>
#include <dnnl_debug.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"

enum { MAX_THREAD_COUNTS = 16, MAX_ARGS = 16, MIN_ITERATIONS = 3 };

typedef enum Cell { CELL_RNN, CELL_LSTM, CELL_GRU } Cell;

typedef struct Case {
  const char *cell;      /* netc's layer: rnn lstm gru birnn bilstm bigru */
  int hidden, batch, steps, input;
} Case;

/* The recurrent layers of the F models (models/mnist_*.net): MNIST read
 * as 28 steps of 28 pixels. */
static const Case DEFAULT_CASES[] = {
  {"rnn", 128, 64, 28, 28},      /* mnist_rnn */
  {"lstm", 128, 64, 28, 28},     /* mnist_lstm */
  {"gru", 128, 64, 28, 28},      /* mnist_gru */
  {"bilstm", 128, 64, 28, 28},   /* mnist_bilstm */
  {"lstm", 64, 64, 28, 28},      /* mnist_lstm64 */
  {"lstm", 100, 500, 28, 28},    /* mnist_lstm100_b500 */
  {"gru", 128, 500, 28, 28},     /* mnist_gru_b500 */
  {"rnn", 128, 500, 28, 28},     /* mnist_rnn_b500 */
  {"bilstm", 128, 500, 28, 28},  /* mnist_bilstm_b500 */
  {"birnn", 128, 500, 28, 28},   /* mnist_birnn_b500 */
};

/* What a case's cell name says to oneDNN. */
typedef struct CellKind {
  Cell cell;
  int directions;        /* 1, or 2 concatenated */
  int gates;             /* weight blocks per direction */
  int bias_gates;        /* bias blocks: one more for LBR GRU */
} CellKind;

/* The memory descriptors of one layer, as the user states them. */
typedef struct Descs {
  dnnl_memory_desc_t src, weights_layer, weights_iter, bias, dst;
  dnnl_memory_desc_t diff_src, diff_weights_layer, diff_weights_iter;
  dnnl_memory_desc_t diff_bias, diff_dst;
} Descs;

/* Primitives ready to run, with every memory they touch. */
typedef struct Layer {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_primitive_desc_t fwd_pd, bwd_pd;
  dnnl_primitive_t fwd, bwd;
  dnnl_exec_arg_t fwd_args[MAX_ARGS], bwd_args[MAX_ARGS];
  int nfwd, nbwd;
  dnnl_memory_t owned[2 * MAX_ARGS];   /* destroyed with the layer */
  int nowned;
  dnnl_memory_t diff_weights[3];       /* zeroed before each backward */
} Layer;

static void check(dnnl_status_t status, const char *call) {
  if (status == dnnl_success)
    return;
  fprintf(stderr, "dnnl_rnn: %s failed: %s\n", call, dnnl_status2str(status));
  exit(1);
}
#define DNNL(call) check((call), #call)

static bool cell_kind(const char *name, CellKind *k) {
  bool bi = strncmp(name, "bi", 2) == 0;
  const char *cell = bi ? name + 2 : name;
  int directions = bi ? 2 : 1;
  if (strcmp(cell, "rnn") == 0)
    *k = (CellKind){CELL_RNN, directions, 1, 1};
  else if (strcmp(cell, "lstm") == 0)
    *k = (CellKind){CELL_LSTM, directions, 4, 4};
  else if (strcmp(cell, "gru") == 0)
    *k = (CellKind){CELL_GRU, directions, 3, 4};
  else
    return false;
  return true;
}

static dnnl_memory_desc_t desc(int ndims, const dnnl_dims_t dims,
                               dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  DNNL(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag));
  return md;
}

/* Data in plain layouts (time, batch, channels); weights in "any". */
static Descs layer_descs(const Case *c, const CellKind *k) {
  int64_t T = c->steps, N = c->batch, C = c->input, H = c->hidden;
  int64_t D = k->directions, G = k->gates;
  dnnl_dims_t src = {T, N, C}, dst = {T, N, D * H};
  dnnl_dims_t wl = {1, D, C, G, H}, wi = {1, D, H, G, H};
  dnnl_dims_t bias = {1, D, k->bias_gates, H};
  Descs d;
  d.src = d.diff_src = desc(3, src, dnnl_tnc);
  d.dst = d.diff_dst = desc(3, dst, dnnl_tnc);
  d.weights_layer = d.diff_weights_layer = desc(5, wl, dnnl_format_tag_any);
  d.weights_iter = d.diff_weights_iter = desc(5, wi, dnnl_format_tag_any);
  d.bias = d.diff_bias = desc(4, bias, dnnl_ldgo);
  return d;
}

static dnnl_rnn_direction_t direction(const CellKind *k) {
  return k->directions == 2 ? dnnl_bidirectional_concat
                            : dnnl_unidirectional_left2right;
}

/* The initial and final states are absent (NULL): zero, and unused. */
static void rnn_descs(const CellKind *k, const Descs *d, dnnl_rnn_desc_t *fwd,
                      dnnl_rnn_desc_t *bwd) {
  DNNL(dnnl_vanilla_rnn_forward_desc_init(
      fwd, dnnl_forward_training, dnnl_eltwise_tanh, direction(k), &d->src,
      NULL, &d->weights_layer, &d->weights_iter, &d->bias, &d->dst, NULL, 0,
      0.0f, 0.0f));
  DNNL(dnnl_vanilla_rnn_backward_desc_init(
      bwd, dnnl_backward, dnnl_eltwise_tanh, direction(k), &d->src, NULL,
      &d->weights_layer, &d->weights_iter, &d->bias, &d->dst, NULL,
      &d->diff_src, NULL, &d->diff_weights_layer, &d->diff_weights_iter,
      &d->diff_bias, &d->diff_dst, NULL, 0, 0.0f, 0.0f));
}

static void lstm_descs(const CellKind *k, const Descs *d,
                       dnnl_rnn_desc_t *fwd, dnnl_rnn_desc_t *bwd) {
  DNNL(dnnl_lstm_forward_desc_init(
      fwd, dnnl_forward_training, direction(k), &d->src, NULL, NULL,
      &d->weights_layer, &d->weights_iter, &d->bias, &d->dst, NULL, NULL,
      0));
  DNNL(dnnl_lstm_backward_desc_init(
      bwd, dnnl_backward, direction(k), &d->src, NULL, NULL,
      &d->weights_layer, &d->weights_iter, &d->bias, &d->dst, NULL, NULL,
      &d->diff_src, NULL, NULL, &d->diff_weights_layer,
      &d->diff_weights_iter, &d->diff_bias, &d->diff_dst, NULL, NULL, 0));
}

static void gru_descs(const CellKind *k, const Descs *d, dnnl_rnn_desc_t *fwd,
                      dnnl_rnn_desc_t *bwd) {
  DNNL(dnnl_lbr_gru_forward_desc_init(
      fwd, dnnl_forward_training, direction(k), &d->src, NULL,
      &d->weights_layer, &d->weights_iter, &d->bias, &d->dst, NULL, 0));
  DNNL(dnnl_lbr_gru_backward_desc_init(
      bwd, dnnl_backward, direction(k), &d->src, NULL, &d->weights_layer,
      &d->weights_iter, &d->bias, &d->dst, NULL, &d->diff_src, NULL,
      &d->diff_weights_layer, &d->diff_weights_iter, &d->diff_bias,
      &d->diff_dst, NULL, 0));
}

static void op_descs(const CellKind *k, const Descs *d, dnnl_rnn_desc_t *fwd,
                     dnnl_rnn_desc_t *bwd) {
  switch (k->cell) {
  case CELL_RNN: rnn_descs(k, d, fwd, bwd); break;
  case CELL_LSTM: lstm_descs(k, d, fwd, bwd); break;
  case CELL_GRU: gru_descs(k, d, fwd, bwd); break;
  }
}

static const dnnl_memory_desc_t *arg_desc(const_dnnl_primitive_desc_t pd,
                                          int arg) {
  return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}

static dnnl_memory_t new_memory(Layer *l, const dnnl_memory_desc_t *md) {
  dnnl_memory_t m;
  DNNL(dnnl_memory_create(&m, md, l->engine, DNNL_MEMORY_ALLOCATE));
  l->owned[l->nowned++] = m;
  return m;
}

static size_t memory_bytes(dnnl_memory_t m) {
  const dnnl_memory_desc_t *md;
  DNNL(dnnl_memory_get_memory_desc(m, &md));
  return dnnl_memory_desc_get_size(md);
}

static float *memory_floats(dnnl_memory_t m) {
  void *p;
  DNNL(dnnl_memory_get_data_handle(m, &p));
  return p;
}

/* Values in [-0.1, 0.1]: tanh and the gates stay off their flat ends. */
static void fill_random(dnnl_memory_t m) {
  float *x = memory_floats(m);
  size_t n = memory_bytes(m) / sizeof(float);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.2f * (float)rand() / (float)RAND_MAX - 0.1f;
}

static void reorder(Layer *l, dnnl_memory_t from, dnnl_memory_t to) {
  const dnnl_memory_desc_t *from_md, *to_md;
  DNNL(dnnl_memory_get_memory_desc(from, &from_md));
  DNNL(dnnl_memory_get_memory_desc(to, &to_md));
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t r;
  DNNL(dnnl_reorder_primitive_desc_create(&pd, from_md, l->engine, to_md,
                                          l->engine, NULL));
  DNNL(dnnl_primitive_create(&r, pd));
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  DNNL(dnnl_primitive_execute(r, l->stream, 2, args));
  DNNL(dnnl_stream_wait(l->stream));
  dnnl_primitive_destroy(r);
  dnnl_primitive_desc_destroy(pd);
}

static void add_arg(dnnl_exec_arg_t *args, int *n, int arg, dnnl_memory_t m) {
  args[(*n)++] = (dnnl_exec_arg_t){arg, m};
}

/* Random weights in oneDNN's plain ldigo, reordered to what the forward
 * and the backward primitives chose (the same memory when they agree). */
static void add_weights(Layer *l, int arg, const dnnl_memory_desc_t *user) {
  dnnl_memory_t plain = new_memory(l, user);
  fill_random(plain);
  const dnnl_memory_desc_t *f = arg_desc(l->fwd_pd, arg);
  const dnnl_memory_desc_t *b = arg_desc(l->bwd_pd, arg);
  dnnl_memory_t fwd = new_memory(l, f);
  reorder(l, plain, fwd);
  dnnl_memory_t bwd = fwd;
  if (!dnnl_memory_desc_equal(f, b)) {
    bwd = new_memory(l, b);
    reorder(l, plain, bwd);
  }
  add_arg(l->fwd_args, &l->nfwd, arg, fwd);
  add_arg(l->bwd_args, &l->nbwd, arg, bwd);
}

/* A memory both passes read or write: the input, output, bias and the
 * workspace the forward pass leaves for the backward one. */
static void add_shared(Layer *l, int arg, bool random) {
  const dnnl_memory_desc_t *f = arg_desc(l->fwd_pd, arg);
  if (!dnnl_memory_desc_equal(f, arg_desc(l->bwd_pd, arg))) {
    fprintf(stderr, "dnnl_rnn: forward and backward disagree on the "
            "layout of argument %d\n", arg);
    exit(1);
  }
  dnnl_memory_t m = new_memory(l, f);
  if (random)
    fill_random(m);
  add_arg(l->fwd_args, &l->nfwd, arg, m);
  add_arg(l->bwd_args, &l->nbwd, arg, m);
}

static dnnl_memory_t add_backward(Layer *l, int arg, bool random) {
  dnnl_memory_t m = new_memory(l, arg_desc(l->bwd_pd, arg));
  if (random)
    fill_random(m);
  add_arg(l->bwd_args, &l->nbwd, arg, m);
  return m;
}

static void bind_memories(Layer *l, const Descs *d) {
  add_shared(l, DNNL_ARG_SRC_LAYER, true);
  add_shared(l, DNNL_ARG_BIAS, true);
  add_shared(l, DNNL_ARG_DST_LAYER, false);
  add_shared(l, DNNL_ARG_WORKSPACE, false);
  dnnl_dims_t wl, wi;
  memcpy(wl, d->weights_layer.dims, sizeof wl);
  memcpy(wi, d->weights_iter.dims, sizeof wi);
  dnnl_memory_desc_t user_wl = desc(5, wl, dnnl_ldigo);
  dnnl_memory_desc_t user_wi = desc(5, wi, dnnl_ldigo);
  add_weights(l, DNNL_ARG_WEIGHTS_LAYER, &user_wl);
  add_weights(l, DNNL_ARG_WEIGHTS_ITER, &user_wi);
  add_backward(l, DNNL_ARG_DIFF_DST_LAYER, true);
  add_backward(l, DNNL_ARG_DIFF_SRC_LAYER, false);
  l->diff_weights[0] = add_backward(l, DNNL_ARG_DIFF_WEIGHTS_LAYER, false);
  l->diff_weights[1] = add_backward(l, DNNL_ARG_DIFF_WEIGHTS_ITER, false);
  l->diff_weights[2] = add_backward(l, DNNL_ARG_DIFF_BIAS, false);
}

/* Primitives for case c, made after the thread count is set: oneDNN sizes
 * its scratchpad for the threads it will use. */
static Layer *layer_new(const Case *c, const CellKind *k) {
  Layer *l = calloc(1, sizeof *l);
  if (!l) {
    fprintf(stderr, "dnnl_rnn: out of memory\n");
    exit(1);
  }
  DNNL(dnnl_engine_create(&l->engine, dnnl_cpu, 0));
  DNNL(dnnl_stream_create(&l->stream, l->engine, dnnl_stream_default_flags));
  Descs d = layer_descs(c, k);
  dnnl_rnn_desc_t fwd, bwd;
  op_descs(k, &d, &fwd, &bwd);
  DNNL(dnnl_primitive_desc_create(&l->fwd_pd, &fwd, NULL, l->engine, NULL));
  DNNL(dnnl_primitive_desc_create(&l->bwd_pd, &bwd, NULL, l->engine,
                                  l->fwd_pd));
  DNNL(dnnl_primitive_create(&l->fwd, l->fwd_pd));
  DNNL(dnnl_primitive_create(&l->bwd, l->bwd_pd));
  bind_memories(l, &d);
  return l;
}

static void layer_free(Layer *l) {
  for (int i = 0; i < l->nowned; i++)
    dnnl_memory_destroy(l->owned[i]);
  dnnl_primitive_destroy(l->fwd);
  dnnl_primitive_destroy(l->bwd);
  dnnl_primitive_desc_destroy(l->fwd_pd);
  dnnl_primitive_desc_destroy(l->bwd_pd);
  dnnl_stream_destroy(l->stream);
  dnnl_engine_destroy(l->engine);
  free(l);
}

/* One training step of the layer.  oneDNN adds the weights' gradients
 * to what the diff memories hold, so they start from zero each step. */
static void train_step(Layer *l) {
  for (int i = 0; i < 3; i++)
    memset(memory_floats(l->diff_weights[i]), 0,
           memory_bytes(l->diff_weights[i]));
  DNNL(dnnl_primitive_execute(l->fwd, l->stream, l->nfwd, l->fwd_args));
  DNNL(dnnl_primitive_execute(l->bwd, l->stream, l->nbwd, l->bwd_args));
  DNNL(dnnl_stream_wait(l->stream));
}

/* Steps until `seconds` have passed (and at least MIN_ITERATIONS). */
static long time_steps(Layer *l, double seconds, double *elapsed) {
  long n = 0;
  double start = bench_now(), t = start;
  while (n < MIN_ITERATIONS || t - start < seconds) {
    train_step(l);
    n++;
    t = bench_now();
  }
  *elapsed = t - start;
  return n;
}

static void bench_case(const Case *c, int threads, double seconds) {
  CellKind k;
  if (!cell_kind(c->cell, &k)) {
    fprintf(stderr, "dnnl_rnn: unknown cell '%s'\n", c->cell);
    exit(2);
  }
  omp_set_num_threads(threads);
  Layer *l = layer_new(c, &k);
  double elapsed;
  time_steps(l, seconds / 5, &elapsed);          /* warm-up */
  long n = time_steps(l, seconds, &elapsed);
  double per_second = (double)n / elapsed;
  printf("{\"suite\":\"onednn\",\"name\":\"%s h=%d b=%d\",\"cell\":\"%s\","
         "\"hidden\":%d,\"batch\":%d,\"steps\":%d,\"input\":%d,"
         "\"threads\":%d,\"iterations\":%ld,\"seconds\":%.3f,"
         "\"steps_per_second\":%.2f,\"samples_per_second\":%.1f}\n",
         c->cell, c->hidden, c->batch, c->cell, c->hidden, c->batch,
         c->steps, c->input, threads, n, elapsed, per_second,
         per_second * c->batch);
  fflush(stdout);
  layer_free(l);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: dnnl_rnn [options]\n"
          "\n"
          "Times one training step (forward and backward, weights' "
          "gradients\n"
          "included) of oneDNN's fused RNN layers, f32, and prints one JSON\n"
          "object per line per case and thread count.  Without --cell,\n"
          "--hidden, --batch, --steps or --input: the recurrent layers of\n"
          "the F models (MNIST as 28 steps of 28 pixels).\n"
          "\n"
          "options:\n"
          "  --cell C        rnn, lstm, gru, birnn, bilstm or bigru "
          "(default lstm)\n"
          "  --hidden H      hidden units per direction (default 128)\n"
          "  --batch B       examples per step (default 64)\n"
          "  --steps T       sequence length (default 28)\n"
          "  --input I       features per time step (default 28)\n"
          "  --threads LIST  comma-separated thread counts (default 1,2)\n"
          "  --seconds S     time per case and thread count, after a "
          "warm-up\n"
          "                  (default 1)\n"
          "  -h, --help      print this help\n");
}

static int parse_size(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 1 || v > 1000000)
    bad_usage("bad size '%s' (a positive integer)", s);
  return (int)v;
}

/* Options of one case: true when an option was for the case. */
static bool parse_case_option(const char *opt, const char *value, Case *c) {
  if (strcmp(opt, "--cell") == 0) {
    CellKind k;
    if (!cell_kind(value, &k))
      bad_usage("unknown cell '%s' (rnn lstm gru birnn bilstm bigru)",
                value);
    c->cell = value;
  } else if (strcmp(opt, "--hidden") == 0) {
    c->hidden = parse_size(value);
  } else if (strcmp(opt, "--batch") == 0) {
    c->batch = parse_size(value);
  } else if (strcmp(opt, "--steps") == 0) {
    c->steps = parse_size(value);
  } else if (strcmp(opt, "--input") == 0) {
    c->input = parse_size(value);
  } else {
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  bench_prog = "dnnl_rnn";
  int threads[MAX_THREAD_COUNTS] = {1, 2}, nthreads = 2;
  double seconds = 1.0;
  Case one = {"lstm", 128, 64, 28, 28};
  bool custom = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (!value) {
      bad_usage("unknown option or missing value: '%s'", a);
    } else if (strcmp(a, "--threads") == 0) {
      nthreads = parse_threads(value, threads, MAX_THREAD_COUNTS, 1024);
    } else if (strcmp(a, "--seconds") == 0) {
      seconds = parse_seconds(value, 3600);
    } else if (parse_case_option(a, value, &one)) {
      custom = true;
    } else {
      bad_usage("unknown option '%s'", a);
    }
    i++;
  }
  int ncases = custom ? 1
                      : (int)(sizeof DEFAULT_CASES / sizeof DEFAULT_CASES[0]);
  const Case *cases = custom ? &one : DEFAULT_CASES;
  for (int i = 0; i < ncases; i++)
    for (int t = 0; t < nthreads; t++)
      bench_case(&cases[i], threads[t], seconds);
  return 0;
}
