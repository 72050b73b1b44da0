/* compiler/shape.h — tensor types: an element kind and a per-example shape.
 *
 * The batch dimension is never part of a Type: the compiler adds it.
 * A sequence of varying length has varlen set and dims[0] its maximum.
 */
#ifndef NETC_SHAPE_H
#define NETC_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ElemKind {
  EL_FLOAT,    /* real values */
  EL_ONEHOT,   /* one-hot vectors, read as floats */
  EL_CLASS,    /* class labels; the last dim is the number of classes */
  EL_BINARY,   /* 0/1 targets, read as floats */
} ElemKind;

enum { MAX_DIMS = 6 };

typedef struct Type {
  ElemKind elem;
  int ndim;
  int64_t dims[MAX_DIMS];
  bool varlen;    /* dims[0] is a maximum length */
  bool unknown;   /* not inferred yet: only while a recurrence is inferred */
  bool reduced;   /* a batch-level scalar, the value of a loss function */
} Type;

Type type_scalar(void);
Type type_unknown(void);
Type type_vector(int64_t n);
int64_t type_numel(const Type *t);        /* per example; max for varlen */
bool type_same_shape(const Type *a, const Type *b);
bool type_equal(const Type *a, const Type *b);
Type type_drop_first(const Type *t);      /* the type of one step */
Type type_prepend(const Type *t, int64_t n, bool varlen);

/* NumPy broadcasting (dims compared right to left, 1 stretches); false
 * when the shapes are incompatible. */
bool type_broadcast(const Type *a, const Type *b, Type *out);

const char *type_str(const Type *t);      /* "float[<=20, 2]", arena */
const char *elem_name(ElemKind k);

#endif
