/* runtime/rt_cpu.h — whether this CPU has the features a model's code
 * needs (internal; netrt.h's netrt_cpu_lacks() is the API).
 *
 * A feature is named as LLVM names it ("avx2", "avx512f", "sve"), as
 * the descriptor's cpu_features lists them.  This runtime tests those of
 * the architecture it was built for: on x86-64 with cpuid, and xgetbv
 * for the registers the operating system saves (a CPU with AVX-512 under
 * an OS that does not save the ZMM registers cannot run AVX-512 code);
 * on AArch64 Linux with getauxval(AT_HWCAP, AT_HWCAP2).  Any other name
 * is untested, and never refused.
 *
 * For tests, the environment variable NETRT_CPU_FEATURES replaces what
 * the CPU reports: when it is set, the CPU has exactly the features it
 * lists (separated by commas or spaces; empty: none), among those the
 * runtime tests.
 */
#ifndef NETC_RT_CPU_H
#define NETC_RT_CPU_H

#include <stddef.h>

typedef enum RtCpuHas {
  RT_CPU_HAS,
  RT_CPU_LACKS,
  RT_CPU_UNTESTED,   /* a name this runtime cannot test */
} RtCpuHas;

/* Whether this CPU has the feature named by the len bytes at name. */
RtCpuHas rt_cpu_has(const char *name, size_t len);

/* The length of the item at p, up to a comma, a space or the end. */
size_t rt_cpu_item(const char *p);

/* The features of a list ("a,b"; NULL as "") for which rt_cpu_has() is
 * has (every one when has is -1), into buf (n bytes) as "a, b" ("" when
 * none; a list that does not fit stops at the last whole name); returns
 * how many. */
int rt_cpu_list(const char *features, int has, char *buf, size_t n);

#endif
