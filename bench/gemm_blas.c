/* bench/gemm_blas.c — OpenBLAS's cblas_sgemm on the GEMM shapes of the
 * models, the yardstick for the matrix products in generated code.
 *
 * Input: shapes on the command line as MxNxK[:tA][:tB] (C = op(A) op(B),
 * op(A) M x K, op(B) K x N, row-major; tA and tB are N or T), or by
 * default the shapes of the models (below) and 1024x1024x1024.
 * Output: one JSON object per line on stdout, per shape and thread count:
 *   {"suite":"gemm","name":"openblas 64x512x128","m":64,"n":512,"k":128,
 *    "trans_a":false,"trans_b":false,"threads":1,"core":"SkylakeX",
 *    "calls":9000,"seconds_per_call":2.2e-05,"gflops":190.3,
 *    "max_error":2.9e-07}
 * Each product is checked once against the product in double precision
 * (gemm_max_error); exit status 1 when one is wrong.
 *
 * "core" is the kernel set OpenBLAS chose at load time.  OpenBLAS 0.3.21
 * (Debian 12) does not know AMD's AVX-512 CPUs and takes Haswell's AVX2
 * kernels there, at half the peak: OPENBLAS_CORETYPE=SkylakeX in the
 * environment picks its AVX-512 ones.  We warn rather than re-exec, so
 * that what is measured is what a program linked with it gets.
 */
#define _POSIX_C_SOURCE 200809L

#include <cblas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "gemm_shapes.h"

/* OpenBLAS's own; declared here too in case cblas.h is another BLAS's. */
void openblas_set_num_threads(int threads);
char *openblas_get_config(void);
char *openblas_get_corename(void);

static void usage(FILE *out) {
  fprintf(out,
          "usage: gemm_blas [--threads LIST] [--seconds S] [SHAPE...]\n"
          "\n"
          "Times OpenBLAS's cblas_sgemm, C = op(A) op(B) in row-major f32,\n"
          "and prints one JSON object per line per shape and thread count.\n"
          "\n"
          "SHAPE is MxNxK[:tA][:tB]: op(A) is M x K, op(B) is K x N, and tA,\n"
          "tB are N (as stored, the default) or T (transposed); for example\n"
          "64x512x128 or 512x128x64:T or 64x128x512:N:T.  Without shapes:\n"
          "the GEMM shapes of the models and 1024x1024x1024.\n"
          "\n"
          "options:\n"
          "  --threads LIST  comma-separated OpenBLAS thread counts "
          "(default 1,2)\n"
          "  --seconds S     time per shape and thread count, after a "
          "warm-up\n"
          "                  (default 0.2)\n"
          "  --list          print the default shapes and stop\n"
          "  -h, --help      print this help\n");
}

typedef struct Operands {
  const Shape *shape;
  float *a, *b, *c;
} Operands;

static void sgemm(const Shape *s, const Operands *o) {
  int lda = s->trans_a ? s->m : s->k;     /* A is K x M when transposed */
  int ldb = s->trans_b ? s->k : s->n;     /* B is N x K when transposed */
  cblas_sgemm(CblasRowMajor, s->trans_a ? CblasTrans : CblasNoTrans,
              s->trans_b ? CblasTrans : CblasNoTrans, s->m, s->n, s->k,
              1.0f, o->a, lda, o->b, ldb, 0.0f, o->c, s->n);
}

static void call_sgemm(void *ctx) {
  const Operands *o = ctx;
  sgemm(o->shape, o);
}

/* false when the product is wrong */
static bool bench_shape(const Shape *s, int threads, double seconds) {
  Operands o = {s, random_matrix((size_t)s->m * (size_t)s->k),
                random_matrix((size_t)s->k * (size_t)s->n),
                random_matrix((size_t)s->m * (size_t)s->n)};
  openblas_set_num_threads(threads);
  sgemm(s, &o);
  GemmRow row = {"openblas", s, threads, openblas_get_corename(), 0, 0, -1,
                 gemm_max_error(s, o.a, o.b, o.c)};
  double elapsed;
  time_calls(call_sgemm, &o, seconds / 4, &elapsed);      /* warm-up */
  row.calls = time_calls(call_sgemm, &o, seconds, &elapsed);
  row.seconds_per_call = elapsed / (double)row.calls;
  gemm_print_row(&row);
  free(o.a);
  free(o.b);
  free(o.c);
  return gemm_row_right(&row);
}

/* OpenBLAS's AVX-512 kernel sets, as openblas_get_corename() names them. */
static bool avx512_core(const char *core) {
  const char *const names[] = {"SkylakeX", "Cooperlake", "SapphireRapids",
                               "Zen4", "Zen5"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(core, names[i]) == 0)
      return true;
  return false;
}

static void warn_if_avx2_on_avx512(void) {
  __builtin_cpu_init();
  const char *core = openblas_get_corename();
  if (!__builtin_cpu_supports("avx512f") || avx512_core(core))
    return;
  fprintf(stderr,
          "gemm_blas: warning: the CPU has AVX-512 but OpenBLAS chose %s's "
          "kernels;\n  OPENBLAS_CORETYPE=SkylakeX in the environment selects "
          "its AVX-512 ones\n", core);
}

int main(int argc, char **argv) {
  bench_prog = "gemm_blas";
  GemmArgs a;
  parse_gemm_args(argc, argv, true, usage, &a);
  fprintf(stderr, "gemm_blas: %s\n", openblas_get_config());
  warn_if_avx2_on_avx512();
  bool right = true;
  for (int i = 0; i < a.nshapes; i++)
    for (int t = 0; t < a.nthreads; t++)
      right &= bench_shape(&a.shapes[i], a.threads[t], a.seconds);
  return right ? 0 : 1;
}
