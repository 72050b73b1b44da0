/* tests/unit/gemm_kernel.c — the GEMM kernels codegen emits for a model's
 * matrix products, each compiled alone (cg_gemm_module, in memory), on
 * shapes that reach every case of the tiling: whole tiles, leftover rows,
 * leftover and masked columns, a depth of one, depths run in blocks, A
 * and B transposed (B packed in panels); in f32 and f64 against the
 * product in double precision.  For the host's CPU, for 256-bit and
 * 128-bit vectors where the host can run them (-march=haswell, x86-64),
 * and with register tiles of other shapes (--tile). */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "arena.h"
#include "emit.h"

typedef void GemmFn(const void *a, const void *b, void *c, void *ws);

static uint64_t rng = 0x853c49e6748fea9bu;

static double uniform(void) {     /* splitmix64, in [-1, 1) */
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (double)((z ^ (z >> 31)) >> 11) / 4503599627370496.0 - 1.0;
}

static double get(const void *p, int bytes, size_t i) {
  return bytes == 8 ? ((const double *)p)[i] : ((const float *)p)[i];
}

/* n random reals, returned both in the dtype and in double */
static void *random_reals(size_t n, int bytes, double **dbl) {
  void *p = calloc(n + 16, (size_t)bytes);
  *dbl = calloc(n + 1, sizeof(double));
  for (size_t i = 0; i < n; i++) {
    double x = uniform();
    if (bytes == 8)
      ((double *)p)[i] = x;
    else
      ((float *)p)[i] = (float)x;
    (*dbl)[i] = get(p, bytes, i);
  }
  return p;
}

/* The largest error over the largest element of the exact product. */
static double product_error(const CgGemmShape *s, const double *a,
                            const double *b, const void *c, int bytes) {
  double worst = 0, largest = 0;
  for (int64_t i = 0; i < s->m; i++)
    for (int64_t j = 0; j < s->n; j++) {
      double sum = 0;
      for (int64_t r = 0; r < s->k; r++)
        sum += (s->trans_a ? a[r * s->m + i] : a[i * s->k + r]) *
               (s->trans_b ? b[j * s->k + r] : b[r * s->n + j]);
      worst = fmax(worst, fabs(get(c, bytes, (size_t)(i * s->n + j)) - sum));
      largest = fmax(largest, fabs(sum));
    }
  return worst / fmax(largest, 1e-300);
}

/* The code the kernels are generated as: the CPU (NULL: the host's)
 * and the register tile (rows 0: the target's). */
typedef struct Kernels {
  const char *cpu;
  PlanTile tile;
  char name[48];
} Kernels;

static void check(const CgGemmShape *s, int bytes, const Kernels *kn) {
  CodegenOptions cgo = {.dtype_bytes = bytes, .batch = (int)s->m,
                        .tile = kn->tile};
  EmitOptions eo = {.kind = EMIT_EXECUTABLE, .opt_level = 2, .cpu = kn->cpu};
  const void *fn = NULL;
  Jit *jit = emit_jit_gemm(s, &cgo, &eo, &fn);
  const char *dt = bytes == 8 ? "f64" : "f32";
  if (!ok(jit != NULL, "%s %s %ldx%ldx%ld%s%s compiles", kn->name, dt,
          (long)s->m, (long)s->n, (long)s->k, s->trans_a ? ":T" : ":N",
          s->trans_b ? ":T" : ":N"))
    return;
  double *a, *b;
  void *ca = random_reals((size_t)(s->m * s->k), bytes, &a);
  void *cb = random_reals((size_t)(s->k * s->n), bytes, &b);
  /* a canary after C: the masked stores must not write past it */
  size_t cn = (size_t)(s->m * s->n);
  void *c = calloc(cn + 16, (size_t)bytes);
  for (size_t i = cn; i < cn + 16; i++)
    bytes == 8 ? (void)(((double *)c)[i] = 7) : (void)(((float *)c)[i] = 7);
  void *ws = calloc(1, (size_t)cg_gemm_workspace(s, &cgo) + 64);
  ((GemmFn *)(uintptr_t)fn)(ca, cb, c, ws);
  double e = product_error(s, a, b, c, bytes);
  bool canary = true;
  for (size_t i = cn; i < cn + 16; i++)
    canary &= get(c, bytes, i) == 7;
  /* a sum of k terms of f32 rounds at about sqrt(k) * 6e-8 */
  double tol = (bytes == 8 ? 1e-14 : 1e-6) * fmax(1, sqrt(s->k / 64.0));
  ok(e <= tol && canary,
     "%s %s %ldx%ldx%ld%s%s: error %.2g, nothing written past C", kn->name,
     dt, (long)s->m, (long)s->n, (long)s->k, s->trans_a ? ":T" : ":N",
     s->trans_b ? ":T" : ":N", e);
  free(a);
  free(b);
  free(ca);
  free(cb);
  free(c);
  free(ws);
  emit_jit_free(jit);
}

/* Whether this machine runs code for cpu (x86-64 only). */
static bool runs_here(const char *cpu) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (strcmp(cpu, "haswell") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return strcmp(cpu, "x86-64") == 0;
#else
  (void)cpu;
  return false;
#endif
}

static void check_all(const int64_t (*shapes)[3], size_t n,
                      const Kernels *kn, bool f64) {
  for (size_t i = 0; i < n; i++)
    for (int t = 0; t < 4; t++) {
      CgGemmShape s = {shapes[i][0], shapes[i][1], shapes[i][2], t & 1,
                       (t & 2) != 0};
      check(&s, 4, kn);
      if (f64)
        check(&s, 8, kn);
    }
}

int main(void) {
  /* m: whole tiles and leftovers, and taller tiles where n is one
   * vector; n: whole column blocks, whole and masked vectors; k: one,
   * short, long, and deeper than a depth block (plan_depth_block: at
   * most 256 here) */
  static const int64_t shapes[][3] = {
    {1, 1, 1},   {3, 5, 2},    {4, 16, 1},  {5, 17, 3},   {8, 64, 7},
    {9, 65, 8},  {64, 512, 28}, {13, 130, 33}, {2, 200, 129}, {6, 48, 64},
    {13, 10, 64}, {16, 7, 5},  {23, 16, 3}, {128, 10, 64}, {7, 37, 1300},
    {33, 70, 600}, {2, 9, 577},
  };
  /* the cases of other tiles: leftover rows and columns, deep */
  static const int64_t few[][3] = {
    {5, 17, 3}, {13, 130, 33}, {23, 16, 3}, {7, 37, 1300}, {33, 70, 600},
  };
  size_t all = sizeof shapes / sizeof shapes[0];
  Kernels host = {.name = "host"};
  check_all(shapes, all, &host, true);
  static const char *const cpus[] = {"haswell", "x86-64"};
  for (int c = 0; c < 2; c++) {
    Kernels kn = {.cpu = cpus[c]};
    snprintf(kn.name, sizeof kn.name, "-march=%s", cpus[c]);
    if (runs_here(cpus[c]))
      check_all(shapes, all, &kn, true);
    else
      printf("ok %d - # SKIP this machine cannot run -march=%s\n",
             ++tap_n, cpus[c]);
  }
  static const PlanTile tiles[] = {{1, 1}, {3, 5}, {16, 1}, {2, 8}};
  for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
    Kernels kn = {.tile = tiles[t]};
    snprintf(kn.name, sizeof kn.name, "--tile=%dx%d", tiles[t].rows,
             tiles[t].vecs);
    check_all(few, sizeof few / sizeof few[0], &kn, t == 0);
  }
  arena_free_all();
  return tap_done();
}
