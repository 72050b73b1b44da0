/* tests/fuzz/csv.c — fuzz target: rt_load_csv, the CSV reader (plain or
 * gzip), then batches of what it loaded.
 *
 * Input: 4 option bytes, then the file.
 *   byte 0  features (0: every column but the label)
 *   byte 1  classes (0: a float target)
 *   byte 2  the label column, a signed byte (-1: the last column)
 *   byte 3  bit 0: the first line is a header; bit 1: the model's reals
 *           are f64 (else f32), which the values are range-checked in
 */
#include <config.h>

#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzInput in = {data, size};
  int features = (int)fuzz_take_byte(&in);
  int classes = (int)fuzz_take_byte(&in);
  int label_column = (int)(int8_t)fuzz_take_byte(&in);
  int flags = (int)fuzz_take_byte(&in);
  int header = flags & 1, real_bytes = flags & 2 ? 8 : 4;
  char *path = fuzz_file("data.csv", in);
  RtDataset ds;
  char err[512];
  if (rt_load_csv(&ds, path, features, classes, label_column, header,
                  real_bytes, err, sizeof err) == 0)
    fuzz_fill_batches(&ds);
  rt_dataset_free(&ds);
  free(path);
  return 0;
}
