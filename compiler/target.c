/* compiler/target.c — what a triple and a CPU give the kernels.
 *
 * Input: a target triple, LLVM's CPU name and, for the host, LLVM's
 * feature string; output: a Target (target.h) with the vector width and
 * registers the kernels plan for, the FMA units and the caches.  The
 * host's features say what it has; a CPU named with -march= is looked up
 * in a table of LLVM's names, since LLVM-C has no call that lists a named
 * CPU's features.  A CPU the table does not know gets its architecture's
 * baseline (SSE2 on x86-64, NEON on AArch64), which runs everywhere.
 */
#include <config.h>

#include "target.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

typedef struct IsaFacts {
  const char *isa;
  int vector_bits, vector_regs, fma_units;
} IsaFacts;

static const IsaFacts isa_facts[] = {
  {"avx512", 512, 32, 2},
  {"avx2", 256, 16, 2},
  {"avx", 256, 16, 0},
  {"sse2", 128, 16, 0},
  {"neon", 128, 32, 2},
  {"generic", 128, 16, 0},
};

/* LLVM's x86 CPU names by the widest vectors with FMA they have; any
 * other x86 name is taken as the SSE2 baseline. */
static const char *const x86_avx512[] = {
  "skylake-avx512", "cascadelake", "cooperlake", "cannonlake",
  "icelake-client", "icelake-server", "tigerlake", "rocketlake",
  "sapphirerapids", "emeraldrapids", "graniterapids", "graniterapids-d",
  "diamondrapids", "znver4", "znver5", "x86-64-v4", "knl", "knm", NULL,
};
static const char *const x86_avx2[] = {
  "haswell", "broadwell", "skylake", "alderlake", "raptorlake",
  "meteorlake", "arrowlake", "arrowlake-s", "lunarlake", "pantherlake",
  "gracemont", "sierraforest", "grandridge", "clearwaterforest",
  "znver1", "znver2", "znver3", "x86-64-v3", "bdver4", NULL,
};
static const char *const x86_avx[] = {
  "sandybridge", "ivybridge", "btver2", "bdver1", "bdver2", "bdver3",
  NULL,
};
/* AArch64 cores that issue four vector FMAs a cycle. */
static const char *const arm_four_fma[] = {
  "apple-m1", "apple-m2", "apple-m3", "apple-m4", "neoverse-v1",
  "neoverse-v2", "neoverse-v3", NULL,
};

static bool listed(const char *const *names, const char *cpu) {
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], cpu) == 0)
      return true;
  return false;
}

/* Whether an LLVM feature string turns feature on ("+avx2"). */
static bool has_feature(const char *features, const char *feature) {
  size_t n = strlen(feature);
  for (const char *p = features; (p = strstr(p, feature)); p += n)
    if (p > features && p[-1] == '+' && (p[n] == ',' || p[n] == '\0') &&
        (p - 1 == features || p[-2] == ','))
      return true;
  return false;
}

static const char *x86_isa_of_features(const char *features) {
  if (has_feature(features, "avx512f"))
    return "avx512";
  if (has_feature(features, "avx2") && has_feature(features, "fma"))
    return "avx2";
  if (has_feature(features, "avx"))
    return "avx";
  return "sse2";
}

static const char *x86_isa_of_cpu(const char *cpu) {
  if (listed(x86_avx512, cpu))
    return "avx512";
  if (listed(x86_avx2, cpu))
    return "avx2";
  if (listed(x86_avx, cpu))
    return "avx";
  return "sse2";
}

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const IsaFacts *facts_of(const char *isa) {
  for (size_t i = 0; i < sizeof isa_facts / sizeof isa_facts[0]; i++)
    if (strcmp(isa_facts[i].isa, isa) == 0)
      return &isa_facts[i];
  return &isa_facts[sizeof isa_facts / sizeof isa_facts[0] - 1];
}

/* Typical caches of a core of the kind, until sysfs says otherwise. */
static void typical_caches(Target *t) {
  bool arm = strcmp(t->isa, "neon") == 0;
  t->l1d = (arm ? 64 : 32) * 1024;
  t->l2 = 1024 * 1024;
  t->l3 = 32 * 1024 * 1024;
  t->caches_measured = false;
}

Target target_describe(const char *triple, const char *cpu,
                       const char *features, bool host) {
  Target t = {.triple = arena_strdup(triple), .cpu = arena_strdup(cpu),
              .features = arena_strdup(features ? features : ""),
              .host = host};
  bool x86 = starts_with(triple, "x86_64") || starts_with(triple, "i386") ||
             starts_with(triple, "i686");
  bool arm = starts_with(triple, "aarch64") || starts_with(triple, "arm64");
  if (x86)
    t.isa = *t.features ? x86_isa_of_features(t.features)
                        : x86_isa_of_cpu(cpu);
  else
    t.isa = arm ? "neon" : "generic";
  const IsaFacts *f = facts_of(t.isa);
  t.vector_bits = f->vector_bits;
  t.vector_regs = f->vector_regs;
  t.fma_units = arm && listed(arm_four_fma, cpu) ? 4 : f->fma_units;
  typical_caches(&t);
  return t;
}

/* "48K", "1024K", "32M" in bytes; 0 when it is none of those. */
static int64_t cache_size(const char *s) {
  char *end;
  long long n = strtoll(s, &end, 10);
  if (end == s || n <= 0)
    return 0;
  if (*end == 'K')
    return n * 1024;
  if (*end == 'M')
    return n * 1024 * 1024;
  return *end == '\n' || *end == '\0' ? n : 0;
}

/* The first line of dir/name, or "" when it cannot be read. */
static const char *first_line(const char *dir, const char *name) {
  static char buf[64];
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  buf[0] = '\0';
  if (f) {
    if (!fgets(buf, sizeof buf, f))
      buf[0] = '\0';
    fclose(f);
  }
  buf[strcspn(buf, "\n")] = '\0';
  return buf;
}

void target_read_host_caches(Target *t, const char *sysfs_cpu0) {
  for (int i = 0; i < 16; i++) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cache/index%d", sysfs_cpu0, i);
    int level = atoi(first_line(dir, "level"));
    bool data = strcmp(first_line(dir, "type"), "Instruction") != 0;
    int64_t size = cache_size(first_line(dir, "size"));
    if (level == 0 || !data || size == 0)
      continue;
    int64_t *at = level == 1 ? &t->l1d : level == 2 ? &t->l2 : &t->l3;
    *at = size;
    t->caches_measured = true;
  }
}

const char *target_name(const Target *t) {
  return arena_printf("%s %s %s %d-bit", t->triple,
                      *t->cpu ? t->cpu : "generic", t->isa, t->vector_bits);
}

static void print_size(FILE *out, const char *name, int64_t bytes) {
  if (bytes % (1024 * 1024) == 0)
    fprintf(out, "  %s %" PRId64 " MiB\n", name, bytes / (1024 * 1024));
  else
    fprintf(out, "  %s %" PRId64 " KiB\n", name, bytes / 1024);
}

void target_print(FILE *out, const Target *t) {
  fprintf(out, "triple %s\n", t->triple);
  fprintf(out, "cpu %s%s\n", *t->cpu ? t->cpu : "generic",
          t->host ? " (this machine)" : "");
  fprintf(out, "vectors %s: %d bits, %d registers\n", t->isa,
          t->vector_bits, t->vector_regs);
  fprintf(out, "fma units %d\n", t->fma_units);
  fprintf(out, "caches (%s):\n", t->caches_measured
          ? "this machine's, from sysfs" : "typical, not measured");
  print_size(out, "l1d", t->l1d);
  print_size(out, "l2", t->l2);
  print_size(out, "l3", t->l3);
}
