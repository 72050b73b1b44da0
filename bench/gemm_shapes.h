/* bench/gemm_shapes.h — the matrix products of the models, as the GEMM
 * benchmarks (gemm_blas for OpenBLAS, gemm_netc for netc's kernels) name
 * them: MxNxK[:tA][:tB], C = op(A) op(B) in row-major, op(A) M x K and
 * op(B) K x N, tA and tB N (as stored) or T (transposed). */
#ifndef NETC_BENCH_GEMM_SHAPES_H
#define NETC_BENCH_GEMM_SHAPES_H

#include <stdbool.h>
#include <stddef.h>

enum { MAX_SHAPES = 256 };

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

#endif
