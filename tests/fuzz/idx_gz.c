/* tests/fuzz/idx_gz.c — fuzz target: the idx reader on gzip files,
 * rt_load_idx and (for ten classes) rt_load_mnist, which finds the .gz
 * files when there are no plain ones, then batches of what it loaded.
 *
 * Input: as tests/fuzz/idx.c's.  A file that starts with gzip's magic
 * bytes (1f 8b) is written as it is, so that the fuzzer reaches corrupt,
 * cut and concatenated streams; any other is compressed here, so that it
 * also reaches the idx layer through well-formed gzip.
 */
#include <config.h>

#include <stdlib.h>

#include "fuzz.h"

static char *write_gzip(const char *name, FuzzInput part) {
  if (part.n >= 2 && part.p[0] == 0x1f && part.p[1] == 0x8b)
    return fuzz_file(name, part);
  return fuzz_gz_file(name, part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzInput in = {data, size};
  int classes = (int)fuzz_take_byte(&in) + 1;
  FuzzInput images = fuzz_take(&in, fuzz_take_u16(&in));
  char *images_path = write_gzip("train-images-idx3-ubyte.gz", images);
  char *labels_path = write_gzip("train-labels-idx1-ubyte.gz", in);
  fuzz_load_idx(images_path, labels_path, classes);
  free(images_path);
  free(labels_path);
  return 0;
}
