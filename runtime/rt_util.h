/* runtime/rt_util.h — helpers the runtime's files share (not an API).
 *
 * Every loader reports a problem by formatting one message into a buffer
 * the caller owns (err, errsz; err may be NULL) and returning -1; nothing
 * in the runtime's data side prints, exits or aborts on bad input.
 */
#ifndef NETC_RT_UTIL_H
#define NETC_RT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Formats into err[0..errsz) (truncating) when err is not NULL; returns
 * -1 so that callers can write `return rt_errorf(...)`. */
int rt_errorf(char *err, size_t errsz, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* `bytes` zeroed bytes (at least 64), aligned to a cache line for the
 * generated code's vector loads.  NULL when out of memory; free()
 * releases it. */
void *rt_alloc_zero(int64_t bytes);

/* a * b, or SIZE_MAX when it would overflow. */
size_t rt_mul_size(size_t a, size_t b);

#endif
