/* runtime/rt_rng.c — xoshiro256** seeded by splitmix64 (see rt_rng.h).
 *
 * Reference: https://prng.di.unimi.it/ (public domain generators).
 */
#include <config.h>

#include <math.h>

#include "rt_rng.h"

#define TWO_PI 6.28318530717958647692

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void rt_rng_seed(RtRng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
  /* splitmix64 never returns four zeros in a row, but be explicit. */
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
    r->s[0] = 1;
}

uint64_t rt_rng_next(RtRng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double rt_rng_uniform(RtRng *r) {
  return (double)(rt_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Rejection sampling: draws below 2^64 mod n are thrown away so that
 * every residue is equally likely.  n == 0 gives 0. */
uint64_t rt_rng_below(RtRng *r, uint64_t n) {
  uint64_t threshold;
  if (n == 0)
    return 0;
  threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = rt_rng_next(r);
    if (x >= threshold)
      return x % n;
  }
}

/* One value per call (the second Box-Muller value is dropped), so that
 * the generator's state is only RtRng.s. */
double rt_rng_normal(RtRng *r) {
  double u1 = 1.0 - rt_rng_uniform(r);          /* (0, 1]: log is finite */
  double u2 = rt_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

void rt_shuffle(size_t *idx, size_t n, RtRng *r) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)rt_rng_below(r, i);
    size_t t = idx[i - 1];
    idx[i - 1] = idx[j];
    idx[j] = t;
  }
}

void rt_permutation(size_t *idx, size_t n, uint64_t seed) {
  RtRng r;
  rt_rng_seed(&r, seed);
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  rt_shuffle(idx, n, &r);
}
