/* tests/runtime/test_cli.c — every hyperparameter of netrt.h's list
 * (NETRT_HYPERPARAMETERS) is an option of the executables: train --help
 * lists it, train's parser takes it, and bench hands its value, in its
 * own field and no other, to the model's train_step.  The model is a stub
 * descriptor whose train_step records the hyperparameters it is given.
 */
#include <config.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_test.h"
#include "netrt.h"

static NetrtHyper seen;      /* what the last train_step was given */
static int steps_seen;

static double stub_gradient(const void *params, const void *const *inputs,
                            const void *const *targets, int batch,
                            void *grads, void *workspace) {
  (void)params, (void)inputs, (void)targets, (void)batch, (void)grads;
  (void)workspace;
  return 0;
}

static double stub_train_step(void *params, void *state,
                              const void *const *inputs,
                              const void *const *targets, int batch,
                              int64_t step, const NetrtHyper *hyper,
                              void *workspace) {
  (void)params, (void)state, (void)inputs, (void)targets, (void)batch;
  (void)step, (void)workspace;
  seen = *hyper;
  steps_seen++;
  return 0;
}

static double stub_evaluate(const void *params, const void *const *inputs,
                            const void *const *targets, int batch,
                            void *outputs, void *workspace) {
  (void)params, (void)inputs, (void)targets, (void)batch, (void)outputs;
  (void)workspace;
  return 0;
}

static void stub_predict(const void *params, const void *const *inputs,
                         int batch, void *outputs, void *workspace) {
  (void)params, (void)inputs, (void)batch, (void)outputs, (void)workspace;
}

static const NetrtTensor stub_params[] = {
  {.name = "w", .ndim = 1, .dims = {1}, .count = 1, .fan_in = 1,
   .fan_out = 1},
};
static const NetrtTensor stub_inputs[] = {
  {.name = "x", .ndim = 1, .dims = {1}, .count = 1},
};
static const NetrtTensor stub_targets[] = {
  {.name = "y", .ndim = 1, .dims = {1}, .count = 1},
};

/* Defaults unlike any value an option below sets. */
static const NetrtModel stub = {
  .abi_version = NETRT_ABI_VERSION, .name = "stub", .signature = "stub",
  .dtype_bytes = 8, .max_batch = 2, .param_count = 1, .state_count = 3,
  .workspace_bytes = 64, .nparams = 1, .ninputs = 1, .ntargets = 1,
  .params = stub_params, .inputs = stub_inputs, .targets = stub_targets,
  .output = {.name = "output", .ndim = 1, .dims = {1}, .count = 1},
  .train = {.optimizer = NETRT_ADAM, .batch = 2, .epochs = 1, .seed = 1,
            .hyper = {.lr = 0.5, .beta1 = 0.5, .beta2 = 0.5}},
  .gradient = stub_gradient, .train_step = stub_train_step,
  .evaluate = stub_evaluate, .predict = stub_predict,
};

static char output[1 << 16];

/* netrt_main on the stub with argv (NULL-terminated), its stdout and
 * stderr caught in `output`. */
static int run(const char **argv) {
  int argc = 0;
  while (argv[argc])
    argc++;
  const char *path = in_dir("out");
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (saved_out < 0 || saved_err < 0 || fd < 0) {
    printf("Bail out! cannot redirect the output\n");
    exit(1);
  }
  dup2(fd, 1);
  dup2(fd, 2);
  close(fd);
  int rc = netrt_main(&stub, argc, (char **)argv);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  size_t n = 0;
  unsigned char *text = read_bytes(path, &n);
  n = n < sizeof output - 1 ? n : sizeof output - 1;
  memcpy(output, text ? (char *)text : "", text ? n : 0);
  output[text ? n : 0] = 0;
  free(text);
  return rc;
}

/* --help's line of the option: "--lr X" for a value, "--nesterov " for a
 * flag (the help text follows it). */
static void check_listed(const char *help, const char *option, bool real) {
  char line[128];
  snprintf(line, sizeof line, "  --%s%s", option, real ? " X" : " ");
  has(help, line, "train --help lists --%s", option);
}

static void check_parsed(const char *option, bool real) {
  char arg[128];
  snprintf(arg, sizeof arg, "--%s", option);
  const char *with[] = {"stub", "train", arg, "0.25", "--help", NULL};
  const char *flag[] = {"stub", "train", arg, "--help", NULL};
  ok(run(real ? with : flag) == 0, "train takes %s%s", arg,
     real ? " 0.25" : "");
  if (!real)
    return;
  const char *bad[] = {"stub", "train", arg, "abc", NULL};
  ok(run(bad) == 1 && strstr(output, "is not a finite number"),
     "train refuses %s abc", arg);
}

/* bench --OPTION VALUE: train_step gets VALUE in field k, the model's
 * defaults in the others. */
static void check_delivered(int k, const char *option, bool real) {
  char arg[128];
  snprintf(arg, sizeof arg, "--%s", option);
  const char *with[] = {"stub", "bench", "--steps", "1", "--warmup", "0",
                        arg, "0.25", NULL};
  const char *flag[] = {"stub", "bench", "--steps", "1", "--warmup", "0",
                        arg, NULL};
  steps_seen = 0;
  int rc = run(real ? with : flag);
  NetrtHyper want = stub.train.hyper;
  int i = 0;
#define SET_WANTED(ID, field, ...) \
  if (i++ == k) \
    want.field = real ? 0.25 : 1;
  NETRT_HYPERPARAMETERS(SET_WANTED)
#undef SET_WANTED
  ok(rc == 0 && steps_seen == 1 && !memcmp(&seen, &want, sizeof want),
     "bench %s reaches train_step in its field alone", arg);
}

int main(void) {
  make_test_dir();
  const char *help_argv[] = {"stub", "train", "--help", NULL};
  ok(run(help_argv) == 0, "train --help");
  static char help[sizeof output];
  memcpy(help, output, sizeof help);
  int k = 0;
#define CHECK_OPTION(ID, field, option, kind, ...) \
  check_listed(help, option, !strcmp(#kind, "REAL")); \
  check_parsed(option, !strcmp(#kind, "REAL")); \
  check_delivered(k++, option, !strcmp(#kind, "REAL"));
  NETRT_HYPERPARAMETERS(CHECK_OPTION)
#undef CHECK_OPTION
  ok(k == NETRT_HYPER_COUNT, "%d hyperparameters, all options", k);
  remove_test_dir();
  return tap_done();
}
