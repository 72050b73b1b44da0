/* runtime/rt_util.c — error formatting and overflow-checked sizes. */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "rt_util.h"

int rt_errorf(char *err, size_t errsz, const char *fmt, ...) {
  va_list ap;
  if (!err || errsz == 0)
    return -1;
  va_start(ap, fmt);
  vsnprintf(err, errsz, fmt, ap);
  va_end(ap);
  return -1;
}

size_t rt_mul_size(size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a)
    return SIZE_MAX;
  return a * b;
}
