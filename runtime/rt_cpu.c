/* runtime/rt_cpu.c — the CPU features a model needs, tested on this CPU:
 * netrt_cpu_lacks() and rt_cpu_has() (rt_cpu.h says how).
 *
 * The names are those of compiler/target.c's x86_checked and
 * arm_checked; each comes with the cpuid bit or the HWCAP bits that
 * LLVM's own detection of the host reads for it, so that code built for
 * this machine's CPU passes here.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netrt.h"
#include "rt_cpu.h"

#if defined(__x86_64__) || defined(__i386__)

#include <cpuid.h>

enum { EAX, EBX, ECX, EDX };

/* The registers the OS must save for the instructions (XCR0's bits). */
typedef enum OsState {
  STATE_SSE,           /* always */
  STATE_YMM,           /* AVX: XCR0 bits 1, 2 */
  STATE_ZMM,           /* AVX-512: also bits 5, 6, 7 */
} OsState;

typedef struct CpuBit {
  const char *name;
  unsigned leaf, subleaf;
  int reg, bit;
  OsState state;
} CpuBit;

static const CpuBit cpu_bits[] = {
  {"sse3", 1, 0, ECX, 0, STATE_SSE},
  {"ssse3", 1, 0, ECX, 9, STATE_SSE},
  {"sse4.1", 1, 0, ECX, 19, STATE_SSE},
  {"sse4.2", 1, 0, ECX, 20, STATE_SSE},
  {"popcnt", 1, 0, ECX, 23, STATE_SSE},
  {"avx", 1, 0, ECX, 28, STATE_YMM},
  {"avx2", 7, 0, EBX, 5, STATE_YMM},
  {"fma", 1, 0, ECX, 12, STATE_YMM},
  {"f16c", 1, 0, ECX, 29, STATE_YMM},
  {"fma4", 0x80000001, 0, ECX, 16, STATE_YMM},
  {"xop", 0x80000001, 0, ECX, 11, STATE_YMM},
  {"bmi", 7, 0, EBX, 3, STATE_SSE},
  {"bmi2", 7, 0, EBX, 8, STATE_SSE},
  {"lzcnt", 0x80000001, 0, ECX, 5, STATE_SSE},
  {"movbe", 1, 0, ECX, 22, STATE_SSE},
  {"tbm", 0x80000001, 0, ECX, 21, STATE_SSE},
  {"gfni", 7, 0, ECX, 8, STATE_SSE},
  {"avx512f", 7, 0, EBX, 16, STATE_ZMM},
  {"avx512cd", 7, 0, EBX, 28, STATE_ZMM},
  {"avx512bw", 7, 0, EBX, 30, STATE_ZMM},
  {"avx512dq", 7, 0, EBX, 17, STATE_ZMM},
  {"avx512vl", 7, 0, EBX, 31, STATE_ZMM},
  {"avx512ifma", 7, 0, EBX, 21, STATE_ZMM},
  {"avx512vbmi", 7, 0, ECX, 1, STATE_ZMM},
  {"avx512vbmi2", 7, 0, ECX, 6, STATE_ZMM},
  {"avx512vnni", 7, 0, ECX, 11, STATE_ZMM},
  {"avx512bitalg", 7, 0, ECX, 12, STATE_ZMM},
  {"avx512vpopcntdq", 7, 0, ECX, 14, STATE_ZMM},
  {"avx512bf16", 7, 1, EAX, 5, STATE_ZMM},
  {"avx512fp16", 7, 0, EDX, 23, STATE_ZMM},
  {"avx512vp2intersect", 7, 0, EDX, 8, STATE_ZMM},
  {"avxvnni", 7, 1, EAX, 4, STATE_YMM},
  {"avxifma", 7, 1, EAX, 23, STATE_YMM},
  {"avxvnniint8", 7, 1, EDX, 4, STATE_YMM},
  {"avxvnniint16", 7, 1, EDX, 10, STATE_YMM},
  {"avxneconvert", 7, 1, EDX, 5, STATE_YMM},
  {NULL, 0, 0, 0, 0, STATE_SSE},
};

/* cpuid(leaf, subleaf) into r; 0 when the CPU has no such leaf. */
static int cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
  memset(r, 0, 4 * sizeof r[0]);
  if (subleaf > 0 &&
      (!cpuid(leaf, 0, r) || r[EAX] < subleaf))   /* the last subleaf */
    return 0;
  return __get_cpuid_count(leaf, subleaf, &r[EAX], &r[EBX], &r[ECX],
                           &r[EDX]);
}

/* Whether the OS saves the registers (xgetbv, where OSXSAVE allows it). */
static int os_saves(OsState state) {
  unsigned r[4];
  if (state == STATE_SSE)
    return 1;
  if (!cpuid(1, 0, r) || !(r[ECX] & (1u << 27)))
    return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  (void)hi;
  if ((lo & 0x6) != 0x6)
    return 0;
#ifdef __APPLE__
  return 1;      /* macOS turns ZMM state on at the first use */
#else
  return state == STATE_YMM || (lo & 0xe0) == 0xe0;
#endif
}

static const CpuBit *cpu_bit(const char *name, size_t len) {
  for (int i = 0; cpu_bits[i].name; i++)
    if (strlen(cpu_bits[i].name) == len &&
        strncmp(cpu_bits[i].name, name, len) == 0)
      return &cpu_bits[i];
  return NULL;
}

static int testable(const char *name, size_t len) {
  return cpu_bit(name, len) != NULL;
}

static int cpu_reports(const char *name, size_t len) {
  const CpuBit *b = cpu_bit(name, len);
  unsigned r[4];
  return cpuid(b->leaf, b->subleaf, r) && (r[b->reg] >> b->bit & 1) &&
         os_saves(b->state);
}

#elif defined(__aarch64__) && defined(__linux__)

#include <sys/auxv.h>

typedef struct CpuBit {
  const char *name;
  unsigned long type;          /* AT_HWCAP or AT_HWCAP2 */
  unsigned long bits;          /* all of them */
} CpuBit;

static const CpuBit cpu_bits[] = {
  {"fp-armv8", AT_HWCAP, 1ul << 0},               /* HWCAP_FP */
  {"neon", AT_HWCAP, 1ul << 1},                   /* HWCAP_ASIMD */
  {"fullfp16", AT_HWCAP, 1ul << 9 | 1ul << 10},   /* FPHP, ASIMDHP */
  {"rdm", AT_HWCAP, 1ul << 12},                   /* HWCAP_ASIMDRDM */
  {"complxnum", AT_HWCAP, 1ul << 14},             /* HWCAP_FCMA */
  {"dotprod", AT_HWCAP, 1ul << 20},               /* HWCAP_ASIMDDP */
  {"fp16fml", AT_HWCAP, 1ul << 23},               /* HWCAP_ASIMDFHM */
  {"sve", AT_HWCAP, 1ul << 22},                   /* HWCAP_SVE */
  {"bf16", AT_HWCAP2, 1ul << 14},                 /* HWCAP2_BF16 */
  {"i8mm", AT_HWCAP2, 1ul << 13},                 /* HWCAP2_I8MM */
  {"sve2", AT_HWCAP2, 1ul << 1},                  /* HWCAP2_SVE2 */
  {NULL, 0, 0},
};

static const CpuBit *cpu_bit(const char *name, size_t len) {
  for (int i = 0; cpu_bits[i].name; i++)
    if (strlen(cpu_bits[i].name) == len &&
        strncmp(cpu_bits[i].name, name, len) == 0)
      return &cpu_bits[i];
  return NULL;
}

static int testable(const char *name, size_t len) {
  return cpu_bit(name, len) != NULL;
}

static int cpu_reports(const char *name, size_t len) {
  const CpuBit *b = cpu_bit(name, len);
  return (getauxval(b->type) & b->bits) == b->bits;
}

#else

/* An architecture whose features this runtime does not know. */
static int testable(const char *name, size_t len) {
  (void)name;
  (void)len;
  return 0;
}

static int cpu_reports(const char *name, size_t len) {
  (void)name;
  (void)len;
  return 0;
}

#endif

size_t rt_cpu_item(const char *p) {
  return strcspn(p, ", \t\n");
}

/* Whether the list (NETRT_CPU_FEATURES) has the len bytes at name. */
static int listed(const char *list, const char *name, size_t len) {
  for (const char *p = list; *p;) {
    size_t n = rt_cpu_item(p);
    if (n == len && strncmp(p, name, len) == 0)
      return 1;
    p += n;
    p += strspn(p, ", \t\n");
  }
  return 0;
}

RtCpuHas rt_cpu_has(const char *name, size_t len) {
  if (!testable(name, len))
    return RT_CPU_UNTESTED;
  const char *test = getenv("NETRT_CPU_FEATURES");
  int has = test ? listed(test, name, len) : cpu_reports(name, len);
  return has ? RT_CPU_HAS : RT_CPU_LACKS;
}

/* Appends ", " and the len bytes at s to buf (n bytes) when they fit;
 * *at is the string's length, n once one did not fit (the string then
 * stops there). */
static void append(char *buf, size_t n, size_t *at, const char *s,
                   size_t len) {
  const char *sep = *at ? ", " : "";
  size_t want = strlen(sep) + len;
  if (*at + want >= n) {
    *at = n;
    return;
  }
  memcpy(buf + *at, sep, strlen(sep));
  memcpy(buf + *at + strlen(sep), s, len);
  *at += want;
  buf[*at] = '\0';
}

int rt_cpu_list(const char *features, int has, char *buf, size_t n) {
  size_t at = 0;
  int count = 0;
  if (n)
    buf[0] = '\0';
  for (const char *p = features ? features : ""; *p;) {
    size_t len = rt_cpu_item(p);
    if (len && (has < 0 || (int)rt_cpu_has(p, len) == has)) {
      append(buf, n, &at, p, len);
      count++;
    }
    p += len;
    p += strspn(p, ", \t\n");
  }
  return count;
}

int netrt_cpu_lacks(const NetrtModel *model, char *buf, size_t n) {
  return rt_cpu_list(model->cpu_features, RT_CPU_LACKS, buf, n);
}
