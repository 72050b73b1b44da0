/* bench/gemm_xsmm.c — libxsmm's JIT kernels on the GEMM shapes of the
 * models, on one thread: code generated for one shape, as netc's is.
 *
 * Input: shapes as gemm_blas takes them (MxNxK[:tA][:tB], see
 * gemm_shapes.h), by default the models'.  For each shape the kernel is
 * dispatched once (libxsmm_smmdispatch, which generates it), outside the
 * timed loop, then called.  libxsmm is column-major: the row-major
 * C = op(A) op(B), M x N, is the column-major C^T = op(B)^T op(A)^T,
 * N x M, so the kernel is asked for m = N, n = M, k = K with B's data
 * as its first operand and A's as its second, and a transposed A or B
 * becomes a transposed second or first operand.  libxsmm 1.17 generates
 * no kernel whose first operand is transposed (a row-major B^T): then B
 * is transposed with libxsmm_otrans into a buffer inside the timed call,
 * as gemm_netc packs a transposed B, and "core" says "+otrans".  Each
 * product is checked once against the product in double precision
 * (gemm_max_error).
 * Output: one JSON object per line on stdout, per shape:
 *   {"suite":"gemm","name":"xsmm 64x512x128","m":64,"n":512,"k":128,
 *    "trans_a":false,"trans_b":false,"threads":1,"core":"cpx",
 *    "calls":9000,"seconds_per_call":2.2e-05,"gflops":190.3,
 *    "compile_seconds":0.0004,"max_error":2.9e-07}
 * "core" is the instruction set libxsmm generates for
 * (libxsmm_get_target_arch; LIBXSMM_TARGET in the environment sets it),
 * compile_seconds the dispatch.  Exit status 1 when a product is wrong
 * or libxsmm has no kernel for a shape (the other shapes still run).
 */
#define _POSIX_C_SOURCE 200809L

#include <libxsmm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_args.h"
#include "gemm_shapes.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: gemm_xsmm [--seconds S] [SHAPE...]\n"
          "\n"
          "Times libxsmm's JIT kernels, C = op(A) op(B) in row-major f32 on\n"
          "one thread (a kernel generated per shape before the timing),\n"
          "checks each product against one in double precision, and\n"
          "prints one JSON object per line per shape.\n"
          "\n"
          "SHAPE is MxNxK[:tA][:tB] as for gemm_blas: op(A) is M x K, op(B)\n"
          "is K x N, tA and tB are N (as stored, the default) or T\n"
          "(transposed).  Without shapes: the GEMM shapes of the models.\n"
          "\n"
          "options:\n"
          "  --seconds S     time per shape, after a warm-up (default 0.2)\n"
          "  --list          print the default shapes and stop\n"
          "  -h, --help      print this help\n");
}

typedef struct Operands {
  const Shape *shape;
  libxsmm_smmfunction kernel;
  float *a, *b, *c;
  float *b_packed;             /* B^T transposed back, or NULL */
} Operands;

/* The column-major kernel of the shape: m = N, n = M, k = K, first
 * operand B (N x K as stored, or K x N when transposed), second A. */
static libxsmm_smmfunction dispatch(const Shape *s, bool trans_first) {
  libxsmm_blasint m = s->n, n = s->m, k = s->k;
  libxsmm_blasint lda = trans_first ? k : m, ldb = s->trans_a ? n : k;
  libxsmm_blasint ldc = m;
  float alpha = 1.0f, beta = 0.0f;
  int flags = (trans_first ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) |
              (s->trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
  int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  return libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta,
                             &flags, &prefetch);
}

static void call_kernel(void *ctx) {
  const Operands *o = ctx;
  const Shape *s = o->shape;
  const float *b = o->b;
  if (o->b_packed) {
    /* B^T, N x K row-major, is K x N column-major: into B, N x K */
    libxsmm_otrans(o->b_packed, o->b, sizeof(float), s->k, s->n, s->k,
                   s->n);
    b = o->b_packed;
  }
  o->kernel(b, o->a, o->c);
}

/* false when the product is wrong or there is no kernel */
static bool bench_shape(const Shape *s, double seconds, const char *arch) {
  char core[64];
  Operands o = {s, NULL, random_matrix((size_t)s->m * (size_t)s->k),
                random_matrix((size_t)s->k * (size_t)s->n),
                random_matrix((size_t)s->m * (size_t)s->n), NULL};
  double t0 = bench_now();
  o.kernel = dispatch(s, s->trans_b);
  if (!o.kernel && s->trans_b) {
    o.kernel = dispatch(s, false);
    o.b_packed = random_matrix((size_t)s->k * (size_t)s->n);
  }
  double compile_seconds = bench_now() - t0;
  snprintf(core, sizeof core, "%s%s", arch, o.b_packed ? "+otrans" : "");
  bool right = o.kernel != NULL;
  if (!right) {
    shape_name(s, core, sizeof core);
    fprintf(stderr, "gemm_xsmm: error: %s: libxsmm generated no kernel\n",
            core);
  } else {
    call_kernel(&o);
    GemmRow row = {"xsmm", s, 1, core, 0, 0, compile_seconds,
                   gemm_max_error(s, o.a, o.b, o.c)};
    double elapsed;
    time_calls(call_kernel, &o, seconds / 4, &elapsed);     /* warm-up */
    row.calls = time_calls(call_kernel, &o, seconds, &elapsed);
    row.seconds_per_call = elapsed / (double)row.calls;
    gemm_print_row(&row);
    right = gemm_row_right(&row);
  }
  free(o.a);
  free(o.b);
  free(o.c);
  free(o.b_packed);
  return right;
}

int main(int argc, char **argv) {
  bench_prog = "gemm_xsmm";
  GemmArgs a;
  parse_gemm_args(argc, argv, false, usage, &a);
  libxsmm_init();
  const char *arch = libxsmm_get_target_arch();
  fprintf(stderr, "gemm_xsmm: libxsmm %s, kernels for %s\n",
          LIBXSMM_CONFIG_VERSION, arch);
  bool right = true;
  for (int i = 0; i < a.nshapes; i++)
    right &= bench_shape(&a.shapes[i], a.seconds, arch);
  libxsmm_finalize();
  return right ? 0 : 1;
}
