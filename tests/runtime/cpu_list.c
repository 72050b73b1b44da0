/* tests/runtime/cpu_list.c — which of a list of CPU features this CPU
 * has, lacks and that the runtime cannot test, one line each:
 *
 *   cpu_list sve,neon,avx2     has: neon / lacks: sve / untested: avx2
 *
 * tests/cpu-check.sh builds it with rt_cpu.c alone for AArch64 and runs
 * it under qemu-aarch64's CPU models. */
#include <config.h>

#include <stdio.h>

#include "rt_cpu.h"

int main(int argc, char **argv) {
  static const char *const label[] = {"has", "lacks", "untested"};
  static const RtCpuHas which[] = {RT_CPU_HAS, RT_CPU_LACKS,
                                   RT_CPU_UNTESTED};
  char buf[1024];
  if (argc != 2) {
    fprintf(stderr, "usage: cpu_list FEATURE,...\n");
    return 2;
  }
  for (int i = 0; i < 3; i++) {
    rt_cpu_list(argv[1], (int)which[i], buf, sizeof buf);
    printf("%s: %s\n", label[i], buf);
  }
  return 0;
}
