/* runtime/rt_init.c — parameter initializers and the optimizer's starting
 * state (see rt_init.h). */
#include <config.h>

#include <math.h>
#include <string.h>

#include "rt_driver.h"
#include "rt_init.h"
#include "rt_rng.h"
#include "rt_util.h"

/* FNV-1a: a stream per tensor name. */
static uint64_t name_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; s && *s; s++)
    h = (h ^ (unsigned char)*s) * 0x100000001b3u;
  return h;
}

static void fill_const(void *dst, int bytes, int64_t n, double v) {
  for (int64_t i = 0; i < n; i++)
    rt_real_set(dst, bytes, i, v);
}

static void fill_uniform(void *dst, int bytes, int64_t n, double lo,
                         double hi, RtRng *r) {
  for (int64_t i = 0; i < n; i++)
    rt_real_set(dst, bytes, i, lo + (hi - lo) * rt_rng_uniform(r));
}

static void fill_normal(void *dst, int bytes, int64_t n, double mean,
                        double sd, RtRng *r) {
  for (int64_t i = 0; i < n; i++)
    rt_real_set(dst, bytes, i, mean + sd * rt_rng_normal(r));
}

/* The fan a formula divides by, which PyTorch refuses when it is 0
 * (a tensor with fewer than 2 dimensions). */
static int check_fan(const NetrtTensor *t, int64_t fan, const char *what,
                     char *err, size_t errsz) {
  if (fan > 0)
    return 0;
  return rt_errorf(err, errsz, "parameter '%s': %s needs fan_in and "
                   "fan_out, which a tensor of %d dimension%s lacks",
                   t->name, what, t->ndim, t->ndim == 1 ? "" : "s");
}

int rt_init_tensor(const NetrtTensor *t, void *dst, int bytes,
                   uint64_t seed, char *err, size_t errsz) {
  RtRng r;
  int64_t n = t->count;
  int64_t fans = t->fan_in > 0 && t->fan_out > 0 ? t->fan_in + t->fan_out
                                                 : 0;
  rt_rng_seed(&r, seed);
  switch (t->init) {
  case NETRT_INIT_ZEROS: fill_const(dst, bytes, n, 0.0); return 0;
  case NETRT_INIT_ONES: fill_const(dst, bytes, n, 1.0); return 0;
  case NETRT_INIT_CONSTANT: fill_const(dst, bytes, n, t->init_a); return 0;
  case NETRT_INIT_UNIFORM:
    fill_uniform(dst, bytes, n, t->init_a, t->init_b, &r);
    return 0;
  case NETRT_INIT_NORMAL:
    fill_normal(dst, bytes, n, t->init_a, t->init_b, &r);
    return 0;
  case NETRT_INIT_XAVIER_UNIFORM: {
    if (check_fan(t, fans, "xavier_uniform", err, errsz))
      return -1;
    double g = t->init_a * sqrt(6.0 / (double)fans);
    fill_uniform(dst, bytes, n, -g, g, &r);
    return 0;
  }
  case NETRT_INIT_XAVIER_NORMAL:
    if (check_fan(t, fans, "xavier_normal", err, errsz))
      return -1;
    fill_normal(dst, bytes, n, 0.0, t->init_a * sqrt(2.0 / (double)fans),
                &r);
    return 0;
  case NETRT_INIT_KAIMING_UNIFORM: {
    if (check_fan(t, t->fan_in, "kaiming_uniform", err, errsz))
      return -1;
    double g = sqrt(6.0 / (double)t->fan_in);
    fill_uniform(dst, bytes, n, -g, g, &r);
    return 0;
  }
  case NETRT_INIT_KAIMING_NORMAL:
    if (check_fan(t, t->fan_in, "kaiming_normal", err, errsz))
      return -1;
    fill_normal(dst, bytes, n, 0.0, sqrt(2.0 / (double)t->fan_in), &r);
    return 0;
  }
  return rt_errorf(err, errsz, "parameter '%s': unknown initializer %d",
                   t->name, (int)t->init);
}

int rt_init_params(const NetrtModel *m, void *params, uint64_t seed,
                   char *err, size_t errsz) {
  int bytes = m->dtype_bytes;
  memset(params, 0, (size_t)m->param_count * (size_t)bytes);
  for (int i = 0; i < m->nparams; i++) {
    const NetrtTensor *t = &m->params[i];
    char *dst = (char *)params + (size_t)t->offset * (size_t)bytes;
    uint64_t stream = name_hash(t->name) ^ (seed * 0x9e3779b97f4a7c15u);
    if (rt_init_tensor(t, dst, bytes, stream, err, errsz))
      return -1;
  }
  return 0;
}

void rt_init_state(const NetrtModel *m, void *state, const NetrtHyper *h) {
  int bytes = m->dtype_bytes;
  memset(state, 0, (size_t)m->state_count * (size_t)bytes);
  if (m->train.optimizer == NETRT_ADAGRAD && m->state_count >= m->param_count)
    fill_const(state, bytes, m->param_count, h->initial_accumulator_value);
}
