/* bench/gemm_blis.c — BLIS's sgemm on the GEMM shapes of the models, on
 * one thread: a second BLAS beside bench/gemm_blas's OpenBLAS.
 *
 * Input: shapes as gemm_blas takes them (MxNxK[:tA][:tB], see
 * gemm_shapes.h), by default the models'.  Each product is BLIS's typed
 * API, bli_sgemm, with the row-major strides of A, B and C (row stride
 * the leading dimension, column stride 1) and BLIS_TRANSPOSE for tA and
 * tB; it is checked once against the product in double precision
 * (gemm_max_error), then timed as gemm_blas times OpenBLAS.
 * Output: one JSON object per line on stdout, per shape:
 *   {"suite":"gemm","name":"blis 64x512x128","m":64,"n":512,"k":128,
 *    "trans_a":false,"trans_b":false,"threads":1,"core":"skx",
 *    "calls":9000,"seconds_per_call":2.2e-05,"gflops":190.3,
 *    "max_error":2.9e-07}
 * Exit status 1 when a product is wrong.
 *
 * One thread: Debian's libblis-dev brings the OpenMP build of BLIS 0.9
 * (libblis-openmp-dev; the pthread and serial ones are its other
 * choices), whose threads bli_thread_set_num_threads(1) sets to one
 * whatever BLIS_NUM_THREADS or OMP_NUM_THREADS say; "threads" is what
 * bli_thread_get_num_threads() reads back.  "core" is the configuration
 * BLIS chose at load time: BLIS 0.9 does not know AMD's AVX-512 CPUs and
 * takes zen3's AVX2 kernels there; BLIS_ARCH_TYPE=skx in the environment
 * picks its AVX-512 ones (bench/run sets it, as it sets
 * OPENBLAS_CORETYPE).  We warn rather than re-exec, so that what is
 * measured is what a program linked with it gets.
 */
#define _POSIX_C_SOURCE 200809L

#include <blis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"
#include "gemm_shapes.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: gemm_blis [--seconds S] [SHAPE...]\n"
          "\n"
          "Times BLIS's bli_sgemm, C = op(A) op(B) in row-major f32 on one\n"
          "thread, checks each product against one in double precision,\n"
          "and prints one JSON object per line per shape.\n"
          "\n"
          "SHAPE is MxNxK[:tA][:tB] as for gemm_blas: op(A) is M x K, op(B)\n"
          "is K x N, tA and tB are N (as stored, the default) or T\n"
          "(transposed).  Without shapes: the GEMM shapes of the models.\n"
          "\n"
          "options:\n"
          "  --seconds S     time per shape, after a warm-up (default 0.2)\n"
          "  --list          print the default shapes and stop\n"
          "  -h, --help      print this help\n"
          "\n"
          "BLIS_ARCH_TYPE in the environment names the kernels BLIS takes\n"
          "(skx, zen3, haswell, ...); BLIS_ARCH_DEBUG=1 says why it took\n"
          "them.\n");
}

typedef struct Operands {
  const Shape *shape;
  float *a, *b, *c;
} Operands;

static void sgemm(const Shape *s, const Operands *o) {
  float one = 1.0f, zero = 0.0f;
  inc_t rsa = s->trans_a ? s->m : s->k;   /* A is K x M when transposed */
  inc_t rsb = s->trans_b ? s->k : s->n;   /* B is N x K when transposed */
  bli_sgemm(s->trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
            s->trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->m, s->n,
            s->k, &one, o->a, rsa, 1, o->b, rsb, 1, &zero, o->c, s->n, 1);
}

static void call_sgemm(void *ctx) {
  const Operands *o = ctx;
  sgemm(o->shape, o);
}

/* false when the product is wrong */
static bool bench_shape(const Shape *s, double seconds, const char *core) {
  Operands o = {s, random_matrix((size_t)s->m * (size_t)s->k),
                random_matrix((size_t)s->k * (size_t)s->n),
                random_matrix((size_t)s->m * (size_t)s->n)};
  sgemm(s, &o);
  GemmRow row = {"blis", s, (int)bli_thread_get_num_threads(), core, 0, 0,
                 -1, gemm_max_error(s, o.a, o.b, o.c)};
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

static void warn_if_avx2_on_avx512(const char *core) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || strcmp(core, "skx") == 0 ||
      strcmp(core, "knl") == 0)
    return;
  fprintf(stderr,
          "gemm_blis: warning: the CPU has AVX-512 but BLIS chose %s's "
          "kernels;\n  BLIS_ARCH_TYPE=skx in the environment selects its "
          "AVX-512 ones\n", core);
}

int main(int argc, char **argv) {
  bench_prog = "gemm_blis";
  GemmArgs a;
  parse_gemm_args(argc, argv, false, usage, &a);
  bli_thread_set_num_threads(1);
  const char *core = bli_arch_string(bli_arch_query_id());
  fprintf(stderr, "gemm_blis: BLIS %s, %s, threading: %s, %ld thread\n",
          bli_info_get_version_str(), core,
          bli_info_get_enable_openmp() ? "OpenMP"
          : bli_info_get_enable_pthreads() ? "pthreads" : "none",
          (long)bli_thread_get_num_threads());
  warn_if_avx2_on_avx512(core);
  bool right = true;
  for (int i = 0; i < a.nshapes; i++)
    right &= bench_shape(&a.shapes[i], a.seconds, core);
  return right ? 0 : 1;
}
