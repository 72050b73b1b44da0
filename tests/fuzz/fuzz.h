/* tests/fuzz/fuzz.h — what the fuzz targets share.
 *
 * Each target (tests/fuzz/TARGET.c) defines LLVMFuzzerTestOneInput: one
 * input in, no output; a crash, a sanitizer report or a leak is the
 * finding.  The same file links with libFuzzer (tests/fuzz/fuzz.mk,
 * clang) or with tests/fuzz/replay.c (the regression replay, any C
 * compiler).
 *
 * The readers that take a path read the input from a file in a temporary
 * directory of the process's own (fuzz_file); the options a reader takes
 * beside the file come from the input's first bytes (fuzz_take_byte), so
 * that the fuzzer varies them too.
 */
#ifndef NETC_FUZZ_H
#define NETC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "rt_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The part of the input not consumed yet. */
typedef struct FuzzInput {
  const uint8_t *p;
  size_t n;
} FuzzInput;

/* The next byte of the input, or 0 when none is left. */
unsigned fuzz_take_byte(FuzzInput *in);

/* The next two bytes as a big-endian number, or 0 when none is left. */
unsigned fuzz_take_u16(FuzzInput *in);

/* The next n bytes (fewer when the input is shorter). */
FuzzInput fuzz_take(FuzzInput *in, size_t n);

/* The process's temporary directory, made on first use and removed at
 * exit. */
const char *fuzz_dir(void);

/* Writes bytes to the file `name` in fuzz_dir() and returns its path, to
 * free.  A harness that cannot write its file aborts, since every later
 * result would be meaningless. */
char *fuzz_file(const char *name, FuzzInput bytes);

/* The same, with the bytes compressed in a gzip stream. */
char *fuzz_gz_file(const char *name, FuzzInput bytes);

/* Fills batches of a loaded dataset's first and last examples through
 * every rt_batch_* function, so that a dataset whose fields disagree with
 * its arrays shows up under the sanitizers. */
void fuzz_fill_batches(const RtDataset *ds);

/* The idx targets' loads of the pair of files images and labels, with
 * MNIST's training names in fuzz_dir(): rt_load_idx, and for ten classes
 * rt_load_mnist of fuzz_dir(), then the batches of what they loaded. */
void fuzz_load_idx(const char *images, const char *labels, int classes);

#endif
