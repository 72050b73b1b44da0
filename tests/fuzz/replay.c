/* tests/fuzz/replay.c — runs a fuzz target's LLVMFuzzerTestOneInput on
 * each file named on the command line, without libFuzzer: the regression
 * replay (tests/fuzz-replay.sh) links it with each target and the normal
 * compiler.  Each file is read into a buffer of exactly its size, as
 * libFuzzer passes inputs, so that a sanitizer build catches reads past
 * the end.  Exit status: 0 when every input ran, 2 when a file could not
 * be read; a crash is the target's.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

/* The whole file in a new buffer of exactly its size (NULL, and *size 0,
 * for an empty file). */
static uint8_t *read_input(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  long n;
  *size = 0;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    perror(path);
    exit(2);
  }
  if (n > 0 && (!(buf = malloc((size_t)n)) ||
                fread(buf, 1, (size_t)n, f) != (size_t)n)) {
    fprintf(stderr, "%s: cannot read the file\n", path);
    exit(2);
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    size_t size;
    uint8_t *data = read_input(argv[i], &size);
    LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", size);
    free(data);
  }
  return 0;
}
