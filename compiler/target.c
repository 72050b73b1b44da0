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

/* ---- the CPU features an executable needs ------------------------------
 *
 * The instruction-set extensions that LLVM's code generator may use for
 * ordinary IR, so that a CPU without them cannot run the code: on x86-64
 * SSE3 to AVX-512 and the AVX-VNNI family, FMA, F16C, FMA4 and XOP, the
 * bit manipulations (POPCNT, LZCNT, BMI, BMI2, MOVBE, TBM) and GFNI; on
 * AArch64 FP, NEON, SVE and their extensions.  Not those that LLVM emits
 * only for their own intrinsics, which netc never calls (AMX, AES, SHA,
 * CRC32, RDRAND, SSE4A, ...), nor the system's (XSAVE, FSGSBASE, ...):
 * the code runs on a CPU without them, and the runtime need not refuse
 * it.  The runtime (rt_cpu.c) tests each of these names.
 *
 * A named CPU's come from the tables below: LLVM 19's, generated by
 * tools/cpu-features (LLVM-C has no call that lists them).  A CPU the
 * table does not know has the baseline (LLVM warns and takes a generic
 * CPU).  The host's CPU name gives its features, and the host's feature
 * string turns each on or off ("+avx2,-avx512f": LLVM's host features on
 * x86-64 name every feature, on AArch64 those /proc/cpuinfo lists).
 */

static const char *const x86_checked[] = {
  "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma",
  "f16c", "fma4", "xop", "bmi", "bmi2", "lzcnt", "movbe", "tbm", "gfni",
  "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512ifma",
  "avx512vbmi", "avx512vbmi2", "avx512vnni", "avx512bitalg",
  "avx512vpopcntdq", "avx512bf16", "avx512fp16", "avx512vp2intersect",
  "avxvnni", "avxifma", "avxvnniint8", "avxvnniint16", "avxneconvert",
  NULL,
};
static const char *const arm_checked[] = {
  "fp-armv8", "neon", "fullfp16", "rdm", "complxnum", "dotprod", "fp16fml",
  "bf16", "i8mm", "sve", "sve2", NULL,
};

typedef struct CpuFeatures {
  const char *cpus;       /* LLVM's names, space-separated */
  const char *features;   /* in the order of x86_checked or arm_checked */
} CpuFeatures;

/* Every x86 CPU LLVM 19 knows that has one of x86_checked. */
static const CpuFeatures x86_cpu_features[] = {
  {"alderlake gracemont meteorlake raptorlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avxvnni"},
  {"amdfam10 barcelona",
   "sse3,popcnt,lzcnt"},
  {"arrowlake grandridge sierraforest",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avxvnni,avxifma,avxvnniint8,avxneconvert"},
  {"arrowlake-s arrowlake_s clearwaterforest lunarlake pantherlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avxvnni,avxifma,avxvnniint8,avxvnniint16,avxneconvert"},
  {"athlon64-sse3 k8-sse3 nocona opteron-sse3 pentium_4_sse3 prescott yonah",
   "sse3"},
  {"atom bonnell",
   "sse3,ssse3,movbe"},
  {"atom_sse4_2 atom_sse4_2_movbe goldmont goldmont-plus goldmont_plus "
   "silvermont slm",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,movbe"},
  {"bdver1",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,fma4,xop,lzcnt"},
  {"bdver2 bdver3",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,fma,f16c,fma4,xop,bmi,lzcnt,tbm"},
  {"bdver4",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,fma4,xop,bmi,bmi2,"
   "lzcnt,movbe,tbm"},
  {"broadwell core-avx2 core_4th_gen_avx core_4th_gen_avx_tsx "
   "core_5th_gen_avx core_5th_gen_avx_tsx haswell skylake x86-64-v3 znver1 "
   "znver2 znver3",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe"},
  {"btver1",
   "sse3,ssse3,popcnt,lzcnt"},
  {"btver2",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,f16c,bmi,lzcnt,movbe"},
  {"cannonlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi"},
  {"cascadelake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512vnni"},
  {"cooperlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512vnni,avx512bf16"},
  {"core-avx-i core_3rd_gen_avx ivybridge",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,f16c"},
  {"core2 core_2_duo_ssse3",
   "sse3,ssse3"},
  {"core_2_duo_sse4_1 penryn",
   "sse3,ssse3,sse4.1"},
  {"core_2nd_gen_avx corei7-avx sandybridge",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx"},
  {"core_aes_pclmulqdq core_i7_sse4_2 corei7 nehalem westmere x86-64-v2",
   "sse3,ssse3,sse4.1,sse4.2,popcnt"},
  {"emeraldrapids graniterapids graniterapids-d graniterapids_d "
   "sapphirerapids",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,"
   "avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512bf16,"
   "avx512fp16,avxvnni"},
  {"icelake-client icelake-server icelake_client icelake_server rocketlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,"
   "avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq"},
  {"knl mic_avx512",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd"},
  {"knm",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd,avx512vpopcntdq"},
  {"skx skylake-avx512 skylake_avx512 x86-64-v4",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "avx512f,avx512cd,avx512bw,avx512dq,avx512vl"},
  {"tigerlake",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,"
   "avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512vp2intersect"},
  {"tremont",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,movbe,gfni"},
  {"znver4",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,"
   "avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512bf16"},
  {"znver5",
   "sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,"
   "gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,"
   "avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512bf16,"
   "avx512vp2intersect,avxvnni"},
  {NULL, NULL},
};

/* Every AArch64 CPU LLVM 19 knows, with its aliases. */
static const CpuFeatures arm_cpu_features[] = {
  {"a64fx",
   "fp-armv8,neon,fullfp16,rdm,complxnum,sve"},
  {"ampere1 ampere1a ampere1b",
   "fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,bf16,i8mm"},
  {"apple-a10 falkor thunderx2t99",
   "fp-armv8,neon,rdm"},
  {"apple-a11 carmel",
   "fp-armv8,neon,fullfp16,rdm"},
  {"apple-a12 apple-s4 apple-s5",
   "fp-armv8,neon,fullfp16,rdm,complxnum"},
  {"apple-a13 apple-a14 cortex-r82 cortex-r82ae tsv110 apple-m1",
   "fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml"},
  {"apple-a15 apple-a16 apple-a17 apple-m4 oryon-1 apple-m2 apple-m3 "
   "apple-latest",
   "fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml,bf16,i8mm"},
  {"apple-a7 cortex-a34 cortex-a35 cortex-a53 cortex-a57 cortex-a72 "
   "cortex-a73 exynos-m3 generic kryo thunderx thunderxt81 thunderxt83 "
   "thunderxt88 apple-a8 apple-a9 cyclone",
   "fp-armv8,neon"},
  {"cortex-a510 cortex-a520 cortex-a520ae cortex-a710 cortex-a715 "
   "cortex-a720 cortex-a720ae cortex-a725 cortex-x2 cortex-x3 cortex-x4 "
   "cortex-x925 neoverse-n2 neoverse-n3 neoverse-v2 neoverse-v3 "
   "neoverse-v3ae grace",
   "fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml,bf16,i8mm,sve,sve2"},
  {"cortex-a55 cortex-a65 cortex-a65ae cortex-a75 cortex-a76 cortex-a76ae "
   "cortex-a77 cortex-a78 cortex-a78ae cortex-a78c cortex-x1 cortex-x1c "
   "exynos-m4 exynos-m5 neoverse-e1 neoverse-n1",
   "fp-armv8,neon,fullfp16,rdm,dotprod"},
  {"neoverse-512tvb neoverse-v1",
   "fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml,bf16,i8mm,sve"},
  {"saphira",
   "fp-armv8,neon,rdm,complxnum,dotprod"},
  {"thunderx3t110",
   "fp-armv8,neon,rdm,complxnum"},
  {NULL, NULL},
};

/* The length of the item at p, up to sep or the end. */
static size_t item_length(const char *p, char sep) {
  size_t n = 0;
  while (p[n] && p[n] != sep)
    n++;
  return n;
}

/* Whether word is one of list's items, which sep separates. */
static bool has_item(const char *list, char sep, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; *p;) {
    size_t len = item_length(p, sep);
    if (len == n && strncmp(p, word, n) == 0)
      return true;
    p += len + (p[len] == sep);
  }
  return false;
}

static const char *cpu_row(const CpuFeatures *table, const char *cpu) {
  for (int i = 0; table[i].cpus; i++)
    if (has_item(table[i].cpus, ' ', cpu))
      return table[i].features;
  return "";
}

/* '+' or '-' when the feature string turns feature on or off (the last
 * time it names it), else 0. */
static char feature_sign(const char *features, const char *feature) {
  char sign = 0;
  size_t n = strlen(feature);
  for (const char *p = features; *p;) {
    size_t len = item_length(p, ',');
    if (len == n + 1 && (*p == '+' || *p == '-') &&
        strncmp(p + 1, feature, n) == 0)
      sign = *p;
    p += len + (p[len] == ',');
  }
  return sign;
}

const char *target_cpu_features(const Target *t) {
  bool x86 = starts_with(t->triple, "x86_64") ||
             starts_with(t->triple, "i386") || starts_with(t->triple, "i686");
  bool arm = starts_with(t->triple, "aarch64") ||
             starts_with(t->triple, "arm64");
  if (!x86 && !arm)
    return "";
  const char *const *checked = x86 ? x86_checked : arm_checked;
  const char *row = cpu_row(x86 ? x86_cpu_features : arm_cpu_features,
                            *t->cpu ? t->cpu : "generic");
  size_t size = 1;
  for (int i = 0; checked[i]; i++)
    size += strlen(checked[i]) + 1;
  char *out = arena_alloc(size), *o = out;
  for (int i = 0; checked[i]; i++) {
    char sign = feature_sign(t->features, checked[i]);
    if (sign == '+' || (sign == 0 && has_item(row, ',', checked[i])))
      o += sprintf(o, "%s%s", o > out ? "," : "", checked[i]);
  }
  return out;
}
