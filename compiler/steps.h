/* compiler/steps.h — the fewest steps a model's examples must have
 * (steps.c). */
#ifndef NETC_STEPS_H
#define NETC_STEPS_H

#include "model.h"

/* Sets m->min_steps from the fixed steps m reads of its sequences of
 * varying length; reports each read that needs more steps than the
 * data source of `file` declares it draws. */
void steps_check(Model *m, const Node *file);

#endif
