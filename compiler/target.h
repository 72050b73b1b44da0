/* compiler/target.h — the machine the code is generated for, in the
 * terms the plan and the kernels need: vector width, vector registers,
 * FMA units, caches.  The one place in the compiler that knows ISAs
 * (target.c); no LLVM here (emit.c asks LLVM for the host's CPU and
 * features and passes them in). */
#ifndef NETC_TARGET_H
#define NETC_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Target {
  const char *triple;        /* normalized, "x86_64-pc-linux-gnu" */
  const char *cpu;           /* LLVM's name: "znver4", "haswell", "" */
  const char *features;      /* the host's feature string, or "" */
  bool host;                 /* the machine netc runs on */
  const char *isa;           /* what the kernels use: "avx512", "avx2",
                                "avx", "sse2", "neon", "generic" */
  int vector_bits;           /* of the registers the kernels use */
  int vector_regs;
  int fma_units;             /* vector FMAs a cycle (0: no FMA) */
  int64_t l1d, l2, l3;       /* bytes of cache per core (l3: shared) */
  bool caches_measured;      /* read from sysfs; else typical sizes */
} Target;

/* The facts of a triple and CPU, from the CPU's name or, for the host,
 * from its LLVM feature string ("+avx2,+fma,-avx512f,..."). */
Target target_describe(const char *triple, const char *cpu,
                       const char *features, bool host);
/* The host's caches from sysfs (cpu0's), where it has them. */
void target_read_host_caches(Target *t, const char *sysfs_cpu0);
/* One line: "x86_64-pc-linux-gnu znver4 avx512 512-bit" (the
 * descriptor's target, which `info` prints). */
const char *target_name(const Target *t);
/* netc --print-target. */
void target_print(FILE *out, const Target *t);

/* ---- the CPU features an executable needs ---- */

/* The instruction-set extensions that code generated for t may use, so
 * that a CPU must have them to run it: LLVM's names, comma-separated,
 * in target.c's order ("sse3,ssse3,...,avx512vl"); "" for the
 * architecture's baseline.  The descriptor records them (cpu_features),
 * and the runtime refuses a CPU that lacks one. */
const char *target_cpu_features(const Target *t);

#endif
