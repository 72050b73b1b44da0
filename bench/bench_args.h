/* bench/bench_args.h — what the native benchmark programs share: a usage
 * error, a list of thread counts, seconds, and the clock. */
#ifndef NETC_BENCH_ARGS_H
#define NETC_BENCH_ARGS_H

/* The program's name in messages; main() sets it first. */
extern const char *bench_prog;

/* "PROG: " fmt (with what) on stderr, a pointer to --help, exit 2. */
_Noreturn void bad_usage(const char *fmt, const char *what);
/* "1,2,4" -> counts (each in 1..limit, at most max of them); how many. */
int parse_threads(const char *list, int *counts, int max, int limit);
/* A number of seconds in (0, limit). */
double parse_seconds(const char *s, double limit);
/* Seconds on the monotonic clock. */
double bench_now(void);

#endif
