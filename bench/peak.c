/* bench/peak.c — the machine's measured single-precision FMA peak.
 *
 * Each thread runs a loop of independent vector FMAs, enough chains of
 * them to cover the FMA latency on two ports, for a fixed time: AVX-512
 * when the CPU has it, else AVX2 with FMA.  The result is the ceiling
 * that the GEMM and model benchmarks are read against.
 *
 * Output: one JSON object per line on stdout, one per thread count:
 *   {"suite":"peak","name":"fma_f32","isa":"avx512f","threads":1,
 *    "seconds":0.30,"gflops":241.3}
 */
#define _POSIX_C_SOURCE 200809L

#include <immintrin.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"

/* Independent chains: a 4-cycle FMA latency on two ports needs at least
 * 8.  AVX2 has 16 registers, two of which hold the constants. */
enum {
  ACCUMULATORS_AVX512 = 16,
  ACCUMULATORS_AVX2 = 12,
  CHUNK = 1 << 16,        /* iterations between two looks at the clock */
  MAX_THREADS = 256,
};

/* Multiplier and addend keep every accumulator bounded and normal: it
 * converges to ADDEND / (1 - MULTIPLIER) without denormals or overflow. */
static const float MULTIPLIER = 0.999f;
static const float ADDEND = 1e-3f;

typedef struct Isa {
  const char *name;
  int lanes;                      /* floats per vector */
  int accumulators;
  float (*run)(long iterations);  /* returns a sum, to keep the work live */
} Isa;

typedef struct Worker {
  pthread_t thread;
  const Isa *isa;
  double deadline;        /* CLOCK_MONOTONIC seconds */
  long iterations;        /* done, out */
  float sink;
} Worker;

__attribute__((target("avx512f")))
static float run_avx512(long iterations) {
  __m512 acc[ACCUMULATORS_AVX512];
  __m512 m = _mm512_set1_ps(MULTIPLIER), c = _mm512_set1_ps(ADDEND);
  for (int k = 0; k < ACCUMULATORS_AVX512; k++)
    acc[k] = _mm512_set1_ps((float)k);
  for (long i = 0; i < iterations; i++)
#pragma GCC unroll 16
    for (int k = 0; k < ACCUMULATORS_AVX512; k++)
      acc[k] = _mm512_fmadd_ps(acc[k], m, c);
  __m512 sum = acc[0];
  for (int k = 1; k < ACCUMULATORS_AVX512; k++)
    sum = _mm512_add_ps(sum, acc[k]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma")))
static float run_avx2(long iterations) {
  __m256 acc[ACCUMULATORS_AVX2];
  __m256 m = _mm256_set1_ps(MULTIPLIER), c = _mm256_set1_ps(ADDEND);
  for (int k = 0; k < ACCUMULATORS_AVX2; k++)
    acc[k] = _mm256_set1_ps((float)k);
  for (long i = 0; i < iterations; i++)
#pragma GCC unroll 16
    for (int k = 0; k < ACCUMULATORS_AVX2; k++)
      acc[k] = _mm256_fmadd_ps(acc[k], m, c);
  __m256 sum = acc[0];
  for (int k = 1; k < ACCUMULATORS_AVX2; k++)
    sum = _mm256_add_ps(sum, acc[k]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] +
         lanes[6] + lanes[7];
}

static const Isa AVX512 = {"avx512f", 16, ACCUMULATORS_AVX512, run_avx512};
static const Isa AVX2 = {"avx2", 8, ACCUMULATORS_AVX2, run_avx2};

static bool has_avx512(void) { return __builtin_cpu_supports("avx512f"); }

static bool has_avx2(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The widest the CPU has, or the one asked for (NULL: the CPU lacks it). */
static const Isa *pick_isa(const char *wanted) {
  __builtin_cpu_init();
  if (!wanted)
    return has_avx512() ? &AVX512 : has_avx2() ? &AVX2 : NULL;
  if (strcmp(wanted, "avx512f") == 0)
    return has_avx512() ? &AVX512 : NULL;
  return has_avx2() ? &AVX2 : NULL;
}

static void *work(void *arg) {
  Worker *w = arg;
  float sink = 0;
  while (bench_now() < w->deadline) {
    sink += w->isa->run(CHUNK);
    w->iterations += CHUNK;
  }
  w->sink = sink;
  return NULL;
}

/* GFLOP/s of `threads` loops side by side for about `seconds`. */
static double measure(const Isa *isa, int threads, double seconds) {
  Worker w[MAX_THREADS];
  double start = bench_now();
  for (int t = 0; t < threads; t++) {
    w[t] = (Worker){.isa = isa, .deadline = start + seconds};
    if (pthread_create(&w[t].thread, NULL, work, &w[t]) != 0) {
      fprintf(stderr, "peak: cannot start thread %d\n", t);
      exit(1);
    }
  }
  double flops = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(w[t].thread, NULL);
    flops += 2.0 * isa->lanes * isa->accumulators * (double)w[t].iterations;
  }
  return flops / (bench_now() - start) / 1e9;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: peak [--threads LIST] [--seconds S] [--isa ISA]\n"
          "\n"
          "Measures the single-precision FMA peak (GFLOP/s) on each thread\n"
          "count and prints one JSON object per line.\n"
          "\n"
          "options:\n"
          "  --threads LIST  comma-separated thread counts (default 1,2)\n"
          "  --seconds S     time per thread count (default 0.3)\n"
          "  --isa ISA       avx512f or avx2 (default: the widest the CPU "
          "has)\n"
          "  -h, --help      print this help\n");
}

int main(int argc, char **argv) {
  bench_prog = "peak";
  int threads[64] = {1, 2}, nthreads = 2;
  double seconds = 0.3;
  const char *wanted = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
      nthreads = parse_threads(argv[++i], threads, 64, MAX_THREADS);
    } else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
      seconds = parse_seconds(argv[++i], 3600);
    } else if (strcmp(a, "--isa") == 0 && i + 1 < argc) {
      wanted = argv[++i];
      if (strcmp(wanted, "avx512f") != 0 && strcmp(wanted, "avx2") != 0)
        bad_usage("unknown ISA '%s' (avx512f or avx2)", wanted);
    } else {
      bad_usage("unknown option or missing value: '%s'", a);
    }
  }
  const Isa *isa = pick_isa(wanted);
  if (!isa) {
    fprintf(stderr, "peak: this CPU lacks %s\n",
            wanted ? wanted : "both AVX-512 and AVX2 with FMA");
    return 1;
  }
  for (int k = 0; k < nthreads; k++) {
    double gflops = measure(isa, threads[k], seconds);
    printf("{\"suite\":\"peak\",\"name\":\"fma_f32\",\"isa\":\"%s\","
           "\"threads\":%d,\"seconds\":%.3f,\"gflops\":%.2f}\n",
           isa->name, threads[k], seconds, gflops);
    fflush(stdout);
  }
  return 0;
}
