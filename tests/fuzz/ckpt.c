/* tests/fuzz/ckpt.c — fuzz target: rt_ckpt_read, the safetensors
 * checkpoint reader, then every tensor it read copied out with
 * rt_ckpt_get (with its own shape, and with a shape one longer to reach
 * the mismatch message), and the metadata the runtime looks up.
 *
 * Input: the file, as it is.
 */
#include <config.h>

#include <stdlib.h>

#include "fuzz.h"
#include "rt_ckpt.h"

static size_t tensor_bytes(const RtTensor *t) {
  size_t n = rt_dtype_size(t->dtype);
  for (int i = 0; i < t->ndim; i++)
    n *= (size_t)t->shape[i];
  return n;
}

/* Into a buffer of exactly the tensor's size: the sanitizers catch a
 * copy past it. */
static void copy_out(const RtCkpt *ck, const RtTensor *t) {
  size_t bytes = tensor_bytes(t);
  void *dst = malloc(bytes ? bytes : 1);
  int64_t longer[RT_CKPT_MAX_DIMS + 1] = {0};
  char err[512];
  if (!dst)
    abort();
  rt_ckpt_get(ck, t->name, t->dtype, t->ndim, t->shape, dst, err,
              sizeof err);
  for (int i = 0; i < t->ndim; i++)
    longer[i] = t->shape[i];
  longer[t->ndim] = 1;
  rt_ckpt_get(ck, t->name, t->dtype, t->ndim + 1, longer, dst, err,
              sizeof err);
  free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzInput in = {data, size};
  char *path = fuzz_file("model.ckpt", in);
  RtCkpt ck;
  char err[512];
  if (rt_ckpt_read(&ck, path, err, sizeof err) == 0) {
    for (size_t i = 0; i < ck.count; i++)
      copy_out(&ck, &ck.tensors[i]);
    rt_ckpt_meta(&ck, "format");
    rt_ckpt_meta(&ck, "dtype");
    rt_ckpt_find(&ck, "no such tensor");
  }
  rt_ckpt_free(&ck);
  free(path);
  return 0;
}
