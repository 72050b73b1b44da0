/* tests/fuzz/idx.c — fuzz target: the idx reader on plain files,
 * rt_load_idx and (for ten classes) rt_load_mnist on the same pair, then
 * batches of what it loaded.
 *
 * Input: byte 0 the classes less one (1 to 256 classes), bytes 1-2 the
 * images file's length n (big-endian), then the images file (n bytes, or
 * what is left), then the labels file (the rest).  The files take MNIST's
 * training names, so that rt_load_mnist finds them in fuzz_dir().
 */
#include <config.h>

#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzInput in = {data, size};
  int classes = (int)fuzz_take_byte(&in) + 1;
  FuzzInput images = fuzz_take(&in, fuzz_take_u16(&in));
  char *images_path = fuzz_file("train-images-idx3-ubyte", images);
  char *labels_path = fuzz_file("train-labels-idx1-ubyte", in);
  fuzz_load_idx(images_path, labels_path, classes);
  free(images_path);
  free(labels_path);
  return 0;
}
