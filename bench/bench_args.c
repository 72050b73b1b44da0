/* bench/bench_args.c — see bench_args.h. */
#define _POSIX_C_SOURCE 200809L

#include "bench_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

const char *bench_prog = "bench";

_Noreturn void bad_usage(const char *fmt, const char *what) {
  fprintf(stderr, "%s: ", bench_prog);
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\n(%s --help lists the options)\n", bench_prog);
  exit(2);
}

int parse_threads(const char *list, int *counts, int max, int limit) {
  int n = 0;
  const char *p = list;
  while (*p) {
    char *end;
    long t = strtol(p, &end, 10);
    if (end == p || t < 1 || t > limit || n == max ||
        (*end != ',' && *end != '\0'))
      bad_usage("bad thread list '%s' (e.g. 1,2)", list);
    counts[n++] = (int)t;
    p = *end ? end + 1 : end;
  }
  if (n == 0)
    bad_usage("empty thread list '%s'", list);
  return n;
}

double parse_seconds(const char *s, double limit) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !(v > 0 && v < limit))
    bad_usage("bad number of seconds '%s'", s);
  return v;
}

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
