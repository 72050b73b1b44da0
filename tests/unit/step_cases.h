/* tests/unit/step_cases.h — models that read fixed steps of a sequence of
 * varying length, x : float[<=6, 2], each with the fewest steps its
 * examples need (compiler/steps.c): test_frontend checks the checker's
 * count, varlen_steps the interpreter and generated code at it. */
#ifndef NETC_TEST_STEP_CASES_H
#define NETC_TEST_STEP_CASES_H

#include "arena.h"

enum { STEP_CASE_MAX = 6 };     /* x's longest sequence */

static const struct {
  const char *what, *model;
  int64_t steps;
} step_cases[] = {
  {"x[3] of an input", "loss mse(x[3], y)", 4},
  {"x[-5] of an input, from each one's end", "loss mse(x[-5], y)", 5},
  {"h[3] of a recurrence", "h = rnn(x, 2)\nloss mse(h[3], y)", 4},
  {"h[-5] of a recurrence", "h = rnn(x, 2)\nloss mse(h[-5], y)", 5},
  {"s[2] of a sequence computed from it", "s = sigmoid(x)\n"
   "loss mse(s[2], y)", 3},
  {"reverse(x)[3]", "loss mse(reverse(x)[3], y)", 4},
  {"x[4, 1] in a step equation, elsewhere than the loss",
   "p[t] = x[t] * x[4, 1]\nloss mse(p[-1], y)", 5},
  {"x[2] in a layer", "layer third(s : float[<=n, m]) { return s[2] }\n"
   "loss mse(third(x), y)", 3},
  {"the largest of several", "loss mse(x[1] + x[-2] + x[5], y)", 6},
  {"only h[-1] and x[t]", "h[t] = x[t] + h[t-1]   with h[-1] = 0\n"
   "loss mse(h[-1], y)", 1},
  {"x[0]", "loss mse(x[0], y)", 1},
};

#define NSTEP_CASES ((int)(sizeof step_cases / sizeof step_cases[0]))

/* Case i as a whole model. */
static inline const char *step_case_text(int i) {
  return arena_printf("input x : float[<=%d, 2]\ntarget y : float[2]\n%s\n",
                      STEP_CASE_MAX, step_cases[i].model);
}

#endif
