/* tests/tap.h — a tiny TAP producer for C unit tests (STYLE.md R14).
 *
 *   ok(n == 3, "three nodes");
 *   is_str(got, "float[3]", "type of %s", name);
 *   return tap_done();     (prints the plan; exit status 1 on any failure)
 */
#ifndef NETC_TAP_H
#define NETC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
  tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static int tap_vok(int pass, const char *file, int line, const char *fmt,
                   va_list ap) {
  printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
  vprintf(fmt, ap);
  putchar('\n');
  if (!pass) {
    tap_fail++;
    printf("#   at %s:%d\n", file, line);
  }
  return pass;
}

static int tap_ok(int pass, const char *file, int line, const char *fmt,
                  ...) {
  va_list ap;
  va_start(ap, fmt);
  pass = tap_vok(pass, file, line, fmt, ap);
  va_end(ap);
  return pass;
}

/* Prints each string's lines behind "#   got: " / "#  want: " on mismatch,
 * so a multi-line dump reads like a diff. */
static void tap_show(const char *label, const char *s) {
  if (!s) {
    printf("# %6s: (null)\n", label);
    return;
  }
  do {
    const char *nl = strchr(s, '\n');
    int len = nl ? (int)(nl - s) : (int)strlen(s);
    printf("# %6s: %.*s\n", label, len, s);
    s = nl ? nl + 1 : NULL;
  } while (s && *s);
}

static int tap_is_str(const char *got, const char *want, const char *file,
                      int line, const char *fmt, ...) {
  int pass = got && want ? strcmp(got, want) == 0 : got == want;
  va_list ap;
  va_start(ap, fmt);
  tap_vok(pass, file, line, fmt, ap);
  va_end(ap);
  if (!pass) {
    tap_show("got", got);
    tap_show("want", want);
  }
  return pass;
}

static int tap_done(void) {
  printf("1..%d\n", tap_n);
  return tap_fail != 0;
}

#endif
