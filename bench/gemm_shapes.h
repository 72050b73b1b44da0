/* bench/gemm_shapes.h — what the GEMM benchmarks (gemm_blas for
 * OpenBLAS, gemm_netc for netc's kernels) share: the matrix products of
 * the models, named MxNxK[:tA][:tB] (C = op(A) op(B) in row-major, op(A)
 * M x K and op(B) K x N, tA and tB N as stored or T transposed), their
 * command line, random operands, the timing loop, the product in double
 * precision that each checks its result against, and the JSON row each
 * prints. */
#ifndef NETC_BENCH_GEMM_SHAPES_H
#define NETC_BENCH_GEMM_SHAPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { MAX_SHAPES = 256, MAX_THREAD_COUNTS = 16 };

typedef struct Shape {
  int m, n, k;
  bool trans_a, trans_b;
} Shape;

/* "512x128x64:T" -> its shape; a usage error (exit 2) when malformed. */
Shape parse_shape(const char *spec);
/* The shape as parse_shape reads it, "512x128x64:T". */
void shape_name(const Shape *s, char *buf, size_t size);
/* The models' shapes into shapes[] (MAX_SHAPES); how many. */
int model_shapes(Shape *shapes);
/* The models' shapes, one per line on stdout. */
void list_model_shapes(void);
/* 2 m n k. */
double shape_flops(const Shape *s);

typedef struct GemmArgs {
  Shape shapes[MAX_SHAPES];
  int nshapes;
  double seconds;                      /* per shape, after a warm-up */
  int threads[MAX_THREAD_COUNTS], nthreads;
} GemmArgs;

/* The command line: --help and --list (which print and exit 0),
 * --seconds S, --threads LIST when with_threads, then shapes (the
 * models' when none); a usage error exits 2. */
void parse_gemm_args(int argc, char **argv, bool with_threads,
                     void (*usage)(FILE *), GemmArgs *a);
/* elems floats in [-1, 1), 64-byte aligned; exits when out of memory. */
float *random_matrix(size_t elems);
/* call(ctx) until `seconds` have passed, at least 3 times: how many
 * calls, and in *elapsed the seconds they took. */
long time_calls(void (*call)(void *), void *ctx, double seconds,
                double *elapsed);

/* The largest relative error a product may have: above it, the program
 * says the product is wrong and exits 1. */
#define GEMM_TOLERANCE 1e-4

/* The largest |C - op(A) op(B)| over the largest |op(A) op(B)|, the
 * product taken in double precision: A, B and C as the shape lays them
 * out in row-major. */
double gemm_max_error(const Shape *s, const float *a, const float *b,
                      const float *c);

/* One timed shape, as a JSON line on stdout:
 *   {"suite":"gemm","name":"LIB SHAPE","m":..,"n":..,"k":..,
 *    "trans_a":..,"trans_b":..,"threads":..,"core":CORE,"calls":..,
 *    "seconds_per_call":..,"gflops":..,["compile_seconds":..,]
 *    "max_error":..}
 * compile_seconds only when it is 0 or more. */
typedef struct GemmRow {
  const char *lib;             /* netc, openblas, blis, xsmm */
  const Shape *shape;
  int threads;
  const char *core;            /* the kernels the library chose */
  long calls;
  double seconds_per_call;
  double compile_seconds;      /* netc's compile, libxsmm's JIT; < 0: none */
  double max_error;            /* gemm_max_error of the result */
} GemmRow;
void gemm_print_row(const GemmRow *r);
/* Whether r's product is right (max_error <= GEMM_TOLERANCE); a message
 * on stderr when it is not. */
bool gemm_row_right(const GemmRow *r);

#endif
