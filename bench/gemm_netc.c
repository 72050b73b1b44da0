/* bench/gemm_netc.c — netc's own GEMM kernels (the register-tiled
 * micro-kernels codegen emits for a model's matrix products) on the
 * models' shapes, beside bench/gemm_blas's OpenBLAS rows.
 *
 * Input: shapes as gemm_blas takes them (MxNxK[:tA][:tB], see
 * gemm_shapes.h), by default the models'.  Each shape is compiled in
 * memory by libnetc (cg_gemm_module: the same tile emitter a model's
 * code calls, at -O3 for the host), checked once against a product in
 * double precision, then timed.  B transposed is packed first inside the
 * timed call, as a model packs a weight it multiplies.
 * Output: one JSON object per line on stdout, per shape:
 *   {"suite":"gemm","name":"netc 64x512x128","m":64,"n":512,"k":128,
 *    "trans_a":false,"trans_b":false,"threads":1,"core":"netc",
 *    "calls":9000,"seconds_per_call":2.2e-05,"gflops":190.3,
 *    "compile_seconds":0.02,"max_error":3.1e-07}
 * The kernels run on one thread: a model's threads split its batch.
 * Exit status 1 when a product is wrong (max_error above
 * GEMM_TOLERANCE, 1e-4).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bench_args.h"
#include "emit.h"
#include "gemm_shapes.h"

typedef void GemmFn(const float *a, const float *b, float *c, void *ws);

typedef struct Operands {
  GemmFn *fn;
  float *a, *b, *c;
  void *ws;
} Operands;

static void usage(FILE *out) {
  fprintf(out,
          "usage: gemm_netc [-march=CPU] [--tile=RxV] [--seconds S] "
          "[SHAPE...]\n"
          "\n"
          "Times the GEMM kernels netc generates, C = op(A) op(B) in\n"
          "row-major f32 on one thread, and prints one JSON object per line\n"
          "per shape.\n"
          "\n"
          "SHAPE is MxNxK[:tA][:tB] as for gemm_blas: op(A) is M x K, op(B)\n"
          "is K x N, tA and tB are N (as stored, the default) or T\n"
          "(transposed).  Without shapes: the GEMM shapes of the models.\n"
          "\n"
          "options:\n"
          "  -march=CPU      compile for CPU, as netc -march= does (the\n"
          "                  host's); the host must be able to run it\n"
          "  --tile=RxV      the register tile, as netc --tile= (the\n"
          "                  target's)\n"
          "  --seconds S     time per shape, after a warm-up (default 0.2)\n"
          "  --list          print the default shapes and stop\n"
          "  -h, --help      print this help\n");
}

static void call_gemm(void *ctx) {
  const Operands *o = ctx;
  o->fn(o->a, o->b, o->c, o->ws);
}

/* -march= and --tile=, taken out of the arguments before the shapes. */
static const char *march;
static PlanTile tile;

static void take_kernel_options(int *argc, char **argv) {
  int n = 1;
  for (int i = 1; i < *argc; i++) {
    if (strncmp(argv[i], "-march=", 7) == 0) {
      march = argv[i] + 7;
    } else if (strncmp(argv[i], "--tile=", 7) == 0) {
      if (!plan_parse_tile(argv[i] + 7, &tile)) {
        fprintf(stderr, "gemm_netc: %s: expected ROWSxVECTORS\n", argv[i]);
        exit(2);
      }
    } else {
      argv[n++] = argv[i];
    }
  }
  *argc = n;
}

static GemmFn *compile(const Shape *s, Jit **jit, int64_t *ws_bytes) {
  CgGemmShape g = {s->m, s->n, s->k, s->trans_a, s->trans_b};
  EmitOptions eo = {.kind = EMIT_EXECUTABLE, .opt_level = 3, .cpu = march};
  static Target target;
  target = emit_target(&eo);
  CodegenOptions cgo = {.dtype_bytes = 4, .batch = s->m, .target = &target,
                        .tile = tile};
  const void *fn = NULL;
  *jit = emit_jit_gemm(&g, &cgo, &eo, &fn);
  if (!*jit) {
    fprintf(stderr, "gemm_netc: cannot compile %dx%dx%d\n", s->m, s->n,
            s->k);
    exit(1);
  }
  *ws_bytes = cg_gemm_workspace(&g, &cgo);
  return (GemmFn *)(uintptr_t)fn;
}

/* false when the product is wrong */
static bool bench_shape(const Shape *s, double seconds) {
  double t0 = bench_now();
  Jit *jit;
  int64_t ws_bytes;
  GemmFn *fn = compile(s, &jit, &ws_bytes);
  double compile_seconds = bench_now() - t0;
  Operands o = {fn, random_matrix((size_t)s->m * (size_t)s->k),
                random_matrix((size_t)s->k * (size_t)s->n),
                random_matrix((size_t)s->m * (size_t)s->n),
                random_matrix((size_t)ws_bytes / sizeof(float) + 16)};
  fn(o.a, o.b, o.c, o.ws);
  GemmRow row = {"netc", s, 1, "netc", 0, 0, compile_seconds,
                 gemm_max_error(s, o.a, o.b, o.c)};
  double elapsed;
  time_calls(call_gemm, &o, seconds / 4, &elapsed);      /* warm-up */
  row.calls = time_calls(call_gemm, &o, seconds, &elapsed);
  row.seconds_per_call = elapsed / (double)row.calls;
  gemm_print_row(&row);
  free(o.a);
  free(o.b);
  free(o.c);
  free(o.ws);
  emit_jit_free(jit);
  return gemm_row_right(&row);
}

int main(int argc, char **argv) {
  bench_prog = "gemm_netc";
  GemmArgs a;
  take_kernel_options(&argc, argv);
  parse_gemm_args(argc, argv, false, usage, &a);
  bool right = true;
  for (int i = 0; i < a.nshapes; i++)
    right &= bench_shape(&a.shapes[i], a.seconds);
  arena_free_all();
  return right ? 0 : 1;
}
