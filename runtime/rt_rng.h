/* runtime/rt_rng.h — a deterministic random number generator.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64: the same
 * seed gives the same stream on every platform and compiler.  The state is
 * four 64-bit words and nothing else (no cached normal draw), so saving
 * RtRng.s in a checkpoint and restoring it continues the stream exactly.
 * Nothing here allocates.
 */
#ifndef NETC_RT_RNG_H
#define NETC_RT_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct RtRng {
  uint64_t s[4];       /* never all zero */
} RtRng;

void rt_rng_seed(RtRng *r, uint64_t seed);
uint64_t rt_rng_next(RtRng *r);             /* 64 random bits */
double rt_rng_uniform(RtRng *r);            /* [0, 1), 53-bit resolution */
uint64_t rt_rng_below(RtRng *r, uint64_t n); /* [0, n), unbiased; 0: 0 */
double rt_rng_normal(RtRng *r);             /* N(0, 1), Box-Muller */

/* Fisher-Yates shuffle of idx[0..n). */
void rt_shuffle(size_t *idx, size_t n, RtRng *r);
/* idx[0..n) = a permutation of 0..n-1 that depends only on seed. */
void rt_permutation(size_t *idx, size_t n, uint64_t seed);

#endif
