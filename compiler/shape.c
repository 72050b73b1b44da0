/* compiler/shape.c — operations on tensor types. */
#include <config.h>

#include "shape.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"

Type type_scalar(void) { return (Type){.elem = EL_FLOAT}; }

Type type_unknown(void) { return (Type){.elem = EL_FLOAT, .unknown = true}; }

Type type_vector(int64_t n) {
  Type t = {.elem = EL_FLOAT, .ndim = 1};
  t.dims[0] = n;
  return t;
}

/* Saturates at INT64_MAX, so that absurd declared shapes compare as too
 * large instead of overflowing. */
int64_t type_numel(const Type *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dims[i] > 0 && n > INT64_MAX / t->dims[i])
      return INT64_MAX;
    n *= t->dims[i];
  }
  return n;
}

bool type_same_shape(const Type *a, const Type *b) {
  if (a->ndim != b->ndim || a->varlen != b->varlen)
    return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

bool type_equal(const Type *a, const Type *b) {
  return a->elem == b->elem && type_same_shape(a, b);
}

Type type_drop_first(const Type *t) {
  Type s = *t;
  s.varlen = false;
  if (s.ndim == 0)
    return s;
  memmove(s.dims, s.dims + 1, sizeof(int64_t) * (size_t)(s.ndim - 1));
  s.ndim--;
  return s;
}

Type type_prepend(const Type *t, int64_t n, bool varlen) {
  Type s = *t;
  if (s.ndim == MAX_DIMS)
    return s;
  memmove(s.dims + 1, s.dims, sizeof(int64_t) * (size_t)s.ndim);
  s.dims[0] = n;
  s.ndim++;
  s.varlen = varlen;
  return s;
}

bool type_broadcast(const Type *a, const Type *b, Type *out) {
  const Type *big = a->ndim >= b->ndim ? a : b;
  const Type *small = big == a ? b : a;
  Type r = *big;
  r.elem = EL_FLOAT;
  r.reduced = false;
  int off = big->ndim - small->ndim;
  for (int i = 0; i < small->ndim; i++) {
    int64_t x = big->dims[off + i], y = small->dims[i];
    if (x == y)
      continue;
    if (x != 1 && y != 1)
      return false;
    r.dims[off + i] = x == 1 ? y : x;
  }
  /* A sequence of varying length only lines up with another one. */
  bool small_varlen_lead = small->varlen && off == 0;
  if (big->varlen != small_varlen_lead && small->ndim == big->ndim)
    return false;
  if (small->varlen && off != 0)
    return false;
  *out = r;
  return true;
}

const char *elem_name(ElemKind k) {
  switch (k) {
  case EL_FLOAT: return "float";
  case EL_ONEHOT: return "onehot";
  case EL_CLASS: return "class";
  case EL_BINARY: return "binary";
  }
  return "?";
}

const char *type_str(const Type *t) {
  if (t->unknown)
    return "<unknown>";
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%s", elem_name(t->elem));
  if (t->ndim > 0) {
    n += snprintf(buf + n, sizeof buf - (size_t)n, "[");
    for (int i = 0; i < t->ndim; i++)
      n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s%lld",
                    i ? ", " : "", i == 0 && t->varlen ? "<=" : "",
                    (long long)t->dims[i]);
    snprintf(buf + n, sizeof buf - (size_t)n, "]");
  }
  return arena_strdup(buf);
}
