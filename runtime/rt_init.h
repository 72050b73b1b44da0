/* runtime/rt_init.h — a model's starting parameters and optimizer state.
 *
 * Each parameter tensor is filled as its descriptor says, with the
 * formulas of torch.nn.init and the fan_in / fan_out the descriptor
 * carries (computed as PyTorch computes them):
 *   zeros, ones, constant(a)
 *   uniform(a, b)          U[a, b)
 *   normal(a, b)           N(a, b^2)
 *   xavier_uniform(gain a) U[-g, g),  g = a sqrt(6 / (fan_in + fan_out))
 *   xavier_normal(gain a)  N(0, s^2), s = a sqrt(2 / (fan_in + fan_out))
 *   kaiming_uniform        U[-g, g),  g = sqrt(6 / fan_in)
 *   kaiming_normal         N(0, s^2), s = sqrt(2 / fan_in)
 * (Kaiming with PyTorch's defaults: a = 0, mode fan_in, gain sqrt(2).)
 * The draws come from rt_rng, one stream per tensor derived from the seed
 * and the tensor's name: the same seed gives the same values on every
 * machine, and adding or removing one parameter changes no other.
 *
 * Nothing here allocates.
 */
#ifndef NETC_RT_INIT_H
#define NETC_RT_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "netrt.h"

/* Fills params (param_count reals of m->dtype_bytes): 0, or -1 with a
 * message (an unknown initializer, a fan of 0 for Xavier or Kaiming). */
int rt_init_params(const NetrtModel *m, void *params, uint64_t seed,
                   char *err, size_t errsz);

/* One tensor: count reals of bytes each, from stream seed. */
int rt_init_tensor(const NetrtTensor *t, void *dst, int bytes,
                   uint64_t seed, char *err, size_t errsz);

/* The optimizer state before the first step: zeros, except Adagrad's
 * accumulators (state slot 0, the first param_count reals), which start
 * at h->initial_accumulator_value. */
void rt_init_state(const NetrtModel *m, void *state, const NetrtHyper *h);

#endif
