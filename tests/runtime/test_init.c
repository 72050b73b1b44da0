/* tests/runtime/test_init.c — parameter initializers (rt_init): bounds
 * and moments of each torch.nn.init formula on a large tensor, both real
 * widths, determinism in the seed, and Adagrad's starting accumulator.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "rt_driver.h"
#include "rt_init.h"

enum { ROWS = 200, COLS = 300, COUNT = ROWS * COLS };

static NetrtTensor tensor(NetrtInit init, double a, double b) {
  return (NetrtTensor){.name = "W", .ndim = 2, .dims = {ROWS, COLS},
                       .count = COUNT, .init = init, .init_a = a,
                       .init_b = b, .fan_in = COLS, .fan_out = ROWS};
}

typedef struct Moments {
  double min, max, mean, sd;
} Moments;

static Moments moments(const void *buf, int bytes, int64_t n) {
  Moments m = {INFINITY, -INFINITY, 0, 0};
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = rt_real_get(buf, bytes, i);
    m.min = fmin(m.min, v);
    m.max = fmax(m.max, v);
    sum += v;
    sq += v * v;
  }
  m.mean = sum / (double)n;
  m.sd = sqrt(sq / (double)n - m.mean * m.mean);
  return m;
}

/* Uniform in [lo, hi): inside, reaching both ends, sd (hi - lo)/sqrt 12. */
static void check_uniform(const char *what, const void *buf, int bytes,
                          double lo, double hi) {
  Moments m = moments(buf, bytes, COUNT);
  double w = hi - lo;
  ok(m.min >= lo && m.max < hi + 1e-7 * fabs(hi), "%s (%d bytes): in "
     "[%g, %g)", what, bytes, lo, hi);
  ok(m.min < lo + 1e-3 * w && m.max > hi - 1e-3 * w, "%s: fills the range",
     what);
  ok(fabs(m.mean - (lo + hi) / 2) < 0.01 * w &&
     fabs(m.sd - w / sqrt(12)) < 0.01 * w, "%s: mean %g, sd %g", what,
     m.mean, m.sd);
}

static void check_normal(const char *what, const void *buf, int bytes,
                         double mean, double sd) {
  Moments m = moments(buf, bytes, COUNT);
  ok(fabs(m.mean - mean) < 0.02 * sd && fabs(m.sd - sd) < 0.02 * sd,
     "%s (%d bytes): mean %g, sd %g (want %g, %g)", what, bytes, m.mean,
     m.sd, mean, sd);
}

static void fill(NetrtTensor t, void *buf, int bytes) {
  char err[256];
  ok(rt_init_tensor(&t, buf, bytes, 7, err, sizeof err) == 0,
     "initializer %d fills", (int)t.init);
}

static void test_formulas(int bytes, void *buf) {
  double xu = sqrt(6.0 / (ROWS + COLS)), xn = sqrt(2.0 / (ROWS + COLS));
  fill(tensor(NETRT_INIT_UNIFORM, -0.5, 2.0), buf, bytes);
  check_uniform("uniform(-0.5, 2)", buf, bytes, -0.5, 2.0);
  fill(tensor(NETRT_INIT_NORMAL, 1.0, 0.25), buf, bytes);
  check_normal("normal(1, 0.25)", buf, bytes, 1.0, 0.25);
  fill(tensor(NETRT_INIT_XAVIER_UNIFORM, 2.0, 0), buf, bytes);
  check_uniform("xavier_uniform(gain 2)", buf, bytes, -2 * xu, 2 * xu);
  fill(tensor(NETRT_INIT_XAVIER_NORMAL, 1.0, 0), buf, bytes);
  check_normal("xavier_normal", buf, bytes, 0, xn);
  fill(tensor(NETRT_INIT_KAIMING_UNIFORM, 0, 0), buf, bytes);
  check_uniform("kaiming_uniform", buf, bytes, -sqrt(6.0 / COLS),
                sqrt(6.0 / COLS));
  fill(tensor(NETRT_INIT_KAIMING_NORMAL, 0, 0), buf, bytes);
  check_normal("kaiming_normal", buf, bytes, 0, sqrt(2.0 / COLS));
  fill(tensor(NETRT_INIT_CONSTANT, 0.5, 0), buf, bytes);
  Moments m = moments(buf, bytes, COUNT);
  ok(m.min == 0.5 && m.max == 0.5, "constant(0.5)");
  fill(tensor(NETRT_INIT_ONES, 0, 0), buf, bytes);
  m = moments(buf, bytes, COUNT);
  ok(m.min == 1 && m.max == 1, "ones");
}

static void test_errors(void) {
  char err[256];
  float v[4];
  NetrtTensor t = {.name = "b", .ndim = 1, .dims = {4}, .count = 4,
                   .init = NETRT_INIT_XAVIER_UNIFORM, .init_a = 1};
  ok(rt_init_tensor(&t, v, 4, 1, err, sizeof err) == -1 &&
     strstr(err, "'b'") && strstr(err, "fan_in"),
     "xavier on a vector is refused: %s", err);
  t.init = (NetrtInit)99;
  ok(rt_init_tensor(&t, v, 4, 1, err, sizeof err) == -1,
     "an unknown initializer is refused: %s", err);
}

/* A model of two tensors: the seed decides, each tensor has its own
 * stream, Adagrad's accumulators start at their setting. */
static void test_model(void) {
  NetrtTensor p[2] = {tensor(NETRT_INIT_NORMAL, 0, 1),
                      tensor(NETRT_INIT_NORMAL, 0, 1)};
  p[1].name = "V";
  p[1].offset = COUNT;
  NetrtModel m = {.name = "m", .dtype_bytes = 4, .param_count = 2 * COUNT,
                  .state_count = 2 * COUNT, .nparams = 2, .params = p};
  NetrtHyper h = {.initial_accumulator_value = 0.1};
  float *a = calloc(2 * COUNT, sizeof *a), *b = calloc(2 * COUNT, 4);
  char err[256];
  rt_init_params(&m, a, 5, err, sizeof err);
  rt_init_params(&m, b, 5, err, sizeof err);
  ok(!memcmp(a, b, 2 * COUNT * sizeof *a), "the same seed, the same "
     "values");
  ok(memcmp(a, a + COUNT, COUNT * sizeof *a), "each tensor its stream");
  rt_init_params(&m, b, 6, err, sizeof err);
  ok(memcmp(a, b, COUNT * sizeof *a), "another seed, other values");
  m.train.optimizer = NETRT_ADAGRAD;
  rt_init_state(&m, b, &h);
  ok(b[0] == 0.1f && b[COUNT - 1] == 0.1f && b[2 * COUNT - 1] == 0.1f,
     "adagrad's accumulators start at initial_accumulator_value");
  m.train.optimizer = NETRT_ADAM;
  m.state_count = 3;
  b[3] = 9;
  rt_init_state(&m, b, &h);
  ok(b[0] == 0 && b[2] == 0 && b[3] == 9, "other state starts at zero, "
     "within state_count");
  free(a);
  free(b);
}

int main(void) {
  double *buf = malloc(COUNT * sizeof *buf);
  test_formulas(4, buf);
  test_formulas(8, buf);
  test_errors();
  test_model();
  free(buf);
  return tap_done();
}
