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
 * numbers), and after the inputs each example's length when they are
 * sequences of varying length (netrt.h). */
Interp *interp_new(const IrProgram *p, int batch);
/* Evaluates every value.  false, with interp_error() naming the example,
 * when one is shorter than p->min_steps: it lacks a step the program
 * reads, and nothing is evaluated. */
bool interp_run(Interp *in, double *const *params, double *const *inputs,
                double *const *targets);
const char *interp_error(const Interp *in);   /* "" after a success */
const double *interp_value(const Interp *in, const IrValue *v);
double interp_loss(const Interp *in);
void interp_free(Interp *in);

#endif
