/* compiler/interp.h — the reference path: the tensor IR evaluated with
 * plain loops over shapes known only at run time, in double precision.
 *
 * It is the oracle that generated code is tested against, the evaluator
 * of gradient checks, and the unspecialized baseline of the benchmarks.
 */
#ifndef NETC_INTERP_H
#define NETC_INTERP_H

#include "ir.h"

typedef struct Interp Interp;

/* Buffers for every value of p at batch size `batch`; free with
 * interp_free.  Parameters: one array each, as shaped.  Inputs and
 * targets: `batch` examples one after the other (class labels as
 * numbers). */
Interp *interp_new(const IrProgram *p, int batch);
void interp_run(Interp *in, double *const *params, double *const *inputs,
                double *const *targets);
const double *interp_value(const Interp *in, const IrValue *v);
double interp_loss(const Interp *in);
void interp_free(Interp *in);

#endif
