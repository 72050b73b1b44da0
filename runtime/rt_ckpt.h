/* runtime/rt_ckpt.h — checkpoints in the safetensors format.
 *
 * The file (the format of Hugging Face's safetensors, readable by its
 * Python library):
 *   8 bytes       N, the header's length, unsigned little-endian
 *   N bytes       a JSON object, padded with spaces: for each tensor
 *                   "name": {"dtype": "F32", "shape": [64, 784],
 *                            "data_offsets": [begin, end]}
 *                 and optionally "__metadata__": {"key": "value", ...}
 *   the data      each tensor's bytes, little-endian and row-major, at
 *                 [begin, end) counted from the end of the header; the
 *                 tensors cover the data exactly, without holes or
 *                 overlaps
 *
 * rt_ckpt_write() writes a temporary file in the checkpoint's directory,
 * fsyncs it, renames it over the checkpoint and fsyncs the directory: a
 * crash or a kill at any moment leaves either the previous checkpoint or
 * the new one, never a mix.  An interrupted write leaves its temporary
 * "NAME.tmpPID.N" beside it; the next write of NAME removes those whose
 * process PID no longer runs (on this machine: a directory shared with
 * another machine's writers of the same NAME is not supported).
 *
 * rt_ckpt_read() validates everything before it trusts anything: the
 * header length (at most 100 MB and inside the file), the header JSON
 * (rt_json_parse, strict: duplicate names are refused), every entry's
 * fields, dtypes and shapes, offsets inside the data and matching
 * dtype * shape, and that the tensors tile the data; a failure is one
 * message naming the file.
 *
 * Memory: rt_ckpt_read() allocates; rt_ckpt_free() releases everything,
 * including the names, values and data the RtCkpt points to.
 */
#ifndef NETC_RT_CKPT_H
#define NETC_RT_CKPT_H

#include <stddef.h>
#include <stdint.h>

#define RT_CKPT_MAX_DIMS 8

typedef enum RtDType {
  RT_DTYPE_F32,        /* "F32" */
  RT_DTYPE_F64,        /* "F64" */
  RT_DTYPE_I64,        /* "I64" (steps, RNG states as bit patterns) */
} RtDType;

size_t rt_dtype_size(RtDType t);           /* bytes per element */
const char *rt_dtype_name(RtDType t);      /* "F32", ... */

typedef struct RtTensor {
  const char *name;                /* UTF-8, unique, not "__metadata__" */
  RtDType dtype;
  int ndim;                        /* 0 (a scalar) to RT_CKPT_MAX_DIMS */
  int64_t shape[RT_CKPT_MAX_DIMS];
  const void *data;                /* numel elements, host byte order */
} RtTensor;

typedef struct RtMeta {
  const char *key, *value;         /* UTF-8 strings */
} RtMeta;

/* Writes the tensors (in this order) and the metadata to path: 0, or -1
 * with a message (the previous file at path is then untouched). */
int rt_ckpt_write(const char *path, const RtTensor *tensors, size_t count,
                  const RtMeta *meta, size_t nmeta, char *err,
                  size_t errsz);

typedef struct RtCkpt {
  char *path;
  size_t count;
  RtTensor *tensors;               /* in the order of their data */
  size_t nmeta;
  RtMeta *meta;                    /* in the header's order */
  void *storage;                   /* owns every name, value and datum */
} RtCkpt;

/* 0, or -1 with a message (then *ck holds nothing to free). */
int rt_ckpt_read(RtCkpt *ck, const char *path, char *err, size_t errsz);
void rt_ckpt_free(RtCkpt *ck);

const RtTensor *rt_ckpt_find(const RtCkpt *ck, const char *name);
const char *rt_ckpt_meta(const RtCkpt *ck, const char *key);

/* Copies tensor name into dst when it has exactly this dtype and shape;
 * otherwise -1 with a message such as "m.ckpt: tensor 'W1' has shape
 * [64, 784]; expected [128, 784]" or "m.ckpt: no tensor 'W1'". */
int rt_ckpt_get(const RtCkpt *ck, const char *name, RtDType dtype,
                int ndim, const int64_t *shape, void *dst, char *err,
                size_t errsz);

#endif
