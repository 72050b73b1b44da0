/* tests/fuzz/text.c — fuzz target: rt_text_file, the text reader of
 * next-character prediction, then batches of what it loaded, and start
 * strings looked up in its vocabulary as `sample --start` looks them up:
 * the text's own first bytes, and a string that holds bytes the text may
 * lack (the error message lists the whole vocabulary).
 *
 * Input: the file, as it is.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rt_seq.h"

enum { START = 16 };       /* the bytes looked up as a start string */

static void look_up(const RtDataset *ds, const char *s, size_t n) {
  int32_t classes[START];
  char err[2048];
  rt_text_indices(ds, s, n < START ? n : START, classes, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char absent[] = "Th\xff\x01\n";
  FuzzInput in = {data, size};
  char *path = fuzz_file("text.txt", in);
  RtDataset ds;
  char err[512];
  if (rt_text_file(&ds, path, err, sizeof err) == 0) {
    fuzz_fill_batches(&ds);
    look_up(&ds, (const char *)data, size);
    look_up(&ds, absent, strlen(absent));
  }
  rt_dataset_free(&ds);
  free(path);
  return 0;
}
