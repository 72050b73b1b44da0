/* examples/embed.c — a C program that embeds a model compiled by netc.
 *
 *   netc -c -o xor.o xor.net          # writes xor.o and xor.h
 *   cc -I<netc's include dir> embed.c xor.o -lm
 *
 * The object file needs nothing but the C math library: the program owns
 * the buffers and calls the model's entry points (runtime/netrt.h).  It
 * trains on the four XOR examples and prints TAP, so `make check` runs it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "xor.h"

int main(void) {
  const NetrtModel *m = &netc_model_xor;
  float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  float y[4] = {0, 1, 1, 0};
  float *params = calloc((size_t)m->param_count, sizeof(float));
  float *state = calloc((size_t)m->state_count, sizeof(float));
  void *workspace = calloc(1, (size_t)m->workspace_bytes);
  float *out = calloc(4 * (size_t)m->output.count, sizeof(float));
  if (!params || !state || !workspace || !out)
    return 1;
  srand(7);                         /* small random weights to start */
  for (int64_t i = 0; i < m->param_count; i++)
    params[i] = (float)rand() / RAND_MAX - 0.5f;
  const void *inputs[1] = {x}, *targets[1] = {y};
  NetrtHyper hyper = m->train.hyper; /* adam(lr = 0.05) from xor.net */
  double first = 0, loss = 0;
  for (int step = 1; step <= 500; step++) {
    loss = m->train_step(params, state, inputs, targets, 4, step, &hyper,
                         workspace);
    if (step == 1)
      first = loss;
  }
  printf("1..2\n");
  printf("%sok 1 - the loss falls from %.4f to %.4f\n",
         loss < first / 10 ? "" : "not ", first, loss);
  m->predict(params, inputs, 4, out, workspace);
  int right = 0;
  for (int i = 0; i < 4; i++)
    right += (out[i] > 0) == (y[i] > 0.5f);
  printf("%sok 2 - %d of 4 XOR examples predicted right\n",
         right == 4 ? "" : "not ", right);
  free(params);
  free(state);
  free(workspace);
  free(out);
  return right == 4 ? 0 : 1;
}
