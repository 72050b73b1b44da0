/* compiler/check.h — names, layers and shapes: AST to checked Model. */
#ifndef NETC_CHECK_H
#define NETC_CHECK_H

#include "model.h"

typedef struct Define {
  const char *name;
  double value;
  bool is_int;
  bool used;
} Define;

/* Checks a parsed file against the prelude's layers.  Reports problems
 * with diag_error() and returns the model, complete only when
 * diag_error_count() is still zero. */
Model *check_model(const Node *file, const Node *prelude, Define *defines,
                   int ndefines);

#endif
