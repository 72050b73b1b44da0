/* tests/runtime/rt_test.h — helpers for the runtime's unit tests: a
 * temporary directory that the test removes at the end, files written
 * plain or gzipped, and an assertion that a message holds a phrase.
 */
#ifndef NETC_RT_TEST_H
#define NETC_RT_TEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../tap.h"

/* ok() that the string has the phrase, printing the string otherwise. */
#define has(str, phrase, ...) \
  tap_has((str), (phrase), __FILE__, __LINE__, __VA_ARGS__)

static int tap_has(const char *str, const char *phrase, const char *file,
                   int line, const char *fmt, ...) {
  int pass = str && strstr(str, phrase) != NULL;
  va_list ap;
  va_start(ap, fmt);
  tap_vok(pass, file, line, fmt, ap);
  va_end(ap);
  if (!pass) {
    tap_show("got", str);
    tap_show("want", phrase);
  }
  return pass;
}

static char test_dir[256];

/* A fresh directory under $TMPDIR (or /tmp); exits when it cannot. */
static const char *make_test_dir(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(test_dir, sizeof test_dir, "%s/netc-rt-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(test_dir)) {
    printf("Bail out! cannot create %s\n", test_dir);
    exit(1);
  }
  return test_dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_test_dir(void) {
  if (test_dir[0])
    nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* test_dir/name in a rotating set of buffers (valid for 8 calls). */
static const char *in_dir(const char *name) {
  static char buf[8][512];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", test_dir, name);
  return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
    printf("Bail out! cannot write %s\n", path);
    exit(1);
  }
}

static void write_gz(const char *path, const void *data, size_t n) {
  gzFile f = gzopen(path, "wb");
  if (!f || (n && gzwrite(f, data, (unsigned)n) != (int)n) ||
      gzclose(f) != Z_OK) {
    printf("Bail out! cannot write %s\n", path);
    exit(1);
  }
}

static void write_text(const char *path, const char *text) {
  write_bytes(path, text, strlen(text));
}

/* The whole file in a new buffer (NULL if missing); *n its size. */
static unsigned char *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *p;
  long size;
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  rewind(f);
  p = malloc(size > 0 ? (size_t)size : 1);
  *n = p ? fread(p, 1, (size_t)size, f) : 0;
  fclose(f);
  return p;
}

#endif
