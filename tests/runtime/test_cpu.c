/* tests/runtime/test_cpu.c — rt_cpu: the lists of a descriptor's CPU
 * features split into those this CPU has, lacks and that the runtime
 * cannot test, under NETRT_CPU_FEATURES (separators, an empty list, a
 * name it does not know), netrt_cpu_lacks()'s buffer (cut at a whole
 * name, none at all), and on x86-64 Linux cpuid's answers against
 * /proc/cpuinfo. */
#include <config.h>

#include "netrt.h"
#include "rt_cpu.h"
#include "rt_test.h"

/* Two features this runtime tests, and the list "A,frobnicate,B". */
#if defined(__x86_64__) || defined(__i386__)
#define FEATURE_A "avx2"
#define FEATURE_B "fma"
#define TESTS_FEATURES 1
#elif defined(__aarch64__) && defined(__linux__)
#define FEATURE_A "neon"
#define FEATURE_B "sve"
#define TESTS_FEATURES 1
#else
#define FEATURE_A "neon"
#define FEATURE_B "sve"
#define TESTS_FEATURES 0
#endif

static const char *const list = FEATURE_A ",frobnicate," FEATURE_B;
static char buf[256];

static RtCpuHas cpu_has(const char *name) {
  return rt_cpu_has(name, strlen(name));
}

static void test_unknown(void) {
  setenv("NETRT_CPU_FEATURES", "frobnicate", 1);
  ok(cpu_has("frobnicate") == RT_CPU_UNTESTED, "a name the runtime does not "
     "know is untested, even when NETRT_CPU_FEATURES lists it");
  ok(rt_cpu_list(list, RT_CPU_UNTESTED, buf, sizeof buf) ==
     (TESTS_FEATURES ? 1 : 3), "untested: %s", buf);
  NetrtModel m = {.cpu_features = "frobnicate"};
  ok(netrt_cpu_lacks(&m, buf, sizeof buf) == 0 && !*buf,
     "an untested feature is not refused");
}

static void test_override(void) {
  if (!TESTS_FEATURES) {
    printf("ok %d - # SKIP this runtime tests no feature here\n", ++tap_n);
    return;
  }
  setenv("NETRT_CPU_FEATURES", FEATURE_A, 1);
  ok(cpu_has(FEATURE_A) == RT_CPU_HAS, "NETRT_CPU_FEATURES=" FEATURE_A
     ": has " FEATURE_A);
  ok(cpu_has(FEATURE_B) == RT_CPU_LACKS, "... lacks " FEATURE_B);
  ok(rt_cpu_list(list, RT_CPU_LACKS, buf, sizeof buf) == 1, "one lacking");
  is_str(buf, FEATURE_B, "... named");
  ok(rt_cpu_list(list, -1, buf, sizeof buf) == 3, "all three listed");
  is_str(buf, FEATURE_A ", frobnicate, " FEATURE_B, "... in their order");
  setenv("NETRT_CPU_FEATURES", " ," FEATURE_B "  " FEATURE_A ",", 1);
  ok(cpu_has(FEATURE_A) == RT_CPU_HAS && cpu_has(FEATURE_B) == RT_CPU_HAS,
     "commas and spaces separate NETRT_CPU_FEATURES's names");
  setenv("NETRT_CPU_FEATURES", FEATURE_A "x", 1);
  ok(cpu_has(FEATURE_A) == RT_CPU_LACKS, "a name is matched whole");
  setenv("NETRT_CPU_FEATURES", "", 1);
  NetrtModel m = {.cpu_features = list};
  ok(netrt_cpu_lacks(&m, buf, sizeof buf) == 2, "an empty "
     "NETRT_CPU_FEATURES: the CPU has none");
  is_str(buf, FEATURE_A ", " FEATURE_B, "... both named");
}

static void test_buffer(void) {
  NetrtModel none = {.cpu_features = NULL};
  strcpy(buf, "junk");
  ok(netrt_cpu_lacks(&none, buf, sizeof buf) == 0 && !*buf,
     "no list: nothing lacking, an empty string");
  if (!TESTS_FEATURES)
    return;
  setenv("NETRT_CPU_FEATURES", "", 1);
  NetrtModel m = {.cpu_features = FEATURE_A "," FEATURE_B "," FEATURE_A};
  char small[sizeof FEATURE_A ", " FEATURE_B];
  ok(netrt_cpu_lacks(&m, small, sizeof small) == 3,
     "a small buffer: still the count of all");
  is_str(small, FEATURE_A ", " FEATURE_B, "... the names that fit");
  char one[3] = "xy";
  ok(netrt_cpu_lacks(&m, one, sizeof one) == 3 && !*one,
     "a buffer too small for one name: empty");
  ok(netrt_cpu_lacks(&m, NULL, 0) == 3, "no buffer: the count only");
}

/* Whether /proc/cpuinfo's first flags line has flag; -1 without one. */
static int cpuinfo_has(const char *flag) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[8192];
  int found = -1;
  while (f && found < 0 && fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5))
      continue;
    line[strcspn(line, "\n")] = ' ';
    char want[64];
    snprintf(want, sizeof want, " %s ", flag);
    found = strstr(line, want) != NULL;
  }
  if (f)
    fclose(f);
  return found;
}

static void test_cpuid(void) {
#if defined(__x86_64__) && defined(__linux__)
  static const char *const pairs[][2] = {
    {"sse4.2", "sse4_2"}, {"avx", "avx"}, {"avx2", "avx2"},
    {"fma", "fma"}, {"bmi2", "bmi2"}, {"avx512f", "avx512f"},
    {"avx512bw", "avx512bw"}, {"avx512vnni", "avx512_vnni"},
    {"gfni", "gfni"},
  };
  unsetenv("NETRT_CPU_FEATURES");
  if (cpuinfo_has("sse2") < 0) {
    printf("ok %d - # SKIP no /proc/cpuinfo\n", ++tap_n);
    return;
  }
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    int want = cpuinfo_has(pairs[i][1]);
    ok((cpu_has(pairs[i][0]) == RT_CPU_HAS) == want, "%s: cpuid %s it, as "
       "/proc/cpuinfo", pairs[i][0], want ? "has" : "lacks");
  }
#else
  printf("ok %d - # SKIP not x86-64 Linux\n", ++tap_n);
#endif
}

int main(void) {
  test_unknown();
  test_override();
  test_buffer();
  test_cpuid();
  return tap_done();
}
