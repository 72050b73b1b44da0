/* runtime/rt_cli.c — the executable's command line: netrt_main() reads
 * the command and its GNU-style long options (--name VALUE or
 * --name=VALUE), applies them over the model's defaults and runs the
 * command.  Every command takes --help and --json.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_driver.h"

/* ---- shared helpers ---- */

FILE *rt_out(const RtOpts *o) {
  return o->json ? stderr : stdout;
}

/* The cause of stdout's first failed flush: stdio's error flag says only
 * that a write failed, and a failed flush may empty the buffer, so that
 * the last one succeeds. */
static int stdout_errno;

static void flush_stdout(void) {
  if (fflush(stdout) != 0 && !stdout_errno)
    stdout_errno = errno;
}

void rt_out_flush(const RtOpts *o) {
  if (rt_out(o) == stdout)
    flush_stdout();
  else
    fflush(rt_out(o));
}

int rt_fail(const RtOpts *o, const char *fmt, ...) {
  va_list ap;
  flush_stdout();
  fprintf(stderr, "%s: error: ", o->prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

int rt_json_print(const RtOpts *o, RtJson *j) {
  const char *text = rt_json_text(j);
  if (!text)
    return rt_fail(o, "cannot write the JSON output: %s",
                   rt_json_error(j) ? rt_json_error(j) : "incomplete");
  puts(text);
  return 0;
}

double rt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *rt_optimizer_name(NetrtOptimizer opt) {
  switch (opt) {
  case NETRT_SGD: return "sgd";
  case NETRT_ADAGRAD: return "adagrad";
  case NETRT_RMSPROP: return "rmsprop";
  case NETRT_ADAM: return "adam";
  case NETRT_ADAMW: return "adamw";
  }
  return "unknown";
}

int64_t rt_setting_batch(const NetrtModel *m, const RtOpts *o) {
  int64_t b = o->batch >= 0 ? o->batch : m->train.batch;
  return b < 1 || b > m->max_batch ? m->max_batch : b;
}

uint64_t rt_setting_seed(const NetrtModel *m, const RtOpts *o) {
  return (uint64_t)(o->seed >= 0 ? o->seed : m->train.seed);
}

/* ---- option tables ---- */

typedef enum OptKind {
  OPT_SET,             /* no value: the int gets `value` */
  OPT_BOOL,            /* no value: the hyperparameter (a double) gets 1 */
  OPT_INT,             /* a whole number >= min */
  OPT_REAL,            /* a finite number */
  OPT_STR,
  OPT_HELP,            /* --help, which parse_args() handles first */
} OptKind;

typedef struct OptSpec {
  const char *name;            /* without "--" */
  OptKind kind;
  size_t offset;               /* of the field in RtOpts */
  int64_t value;               /* OPT_SET: the value; OPT_INT: minimum */
  const char *arg;             /* the value's name in --help */
  const char *help;
} OptSpec;

#define F(field) offsetof(RtOpts, field)
#define H(field) offsetof(RtOpts, hyper.field)

static const OptSpec train_opts[] = {
  {"epochs", OPT_INT, F(epochs), 0, "N", "epochs to train (in all, with "
   "--resume)"},
  {"batch", OPT_INT, F(batch), 1, "N", "examples per batch, at most the "
   "compiled one"},
  {"seed", OPT_INT, F(seed), 0, "N", "random seed: weights, shuffling"},
  {"threads", OPT_INT, F(threads), 1, "N", "threads to use"},
  {"data", OPT_STR, F(data), 0, "PATH", "the model's data from PATH, or "
   "an MNIST directory or a CSV file for a model without one"},
  {"validation", OPT_INT, F(validation), 0, "N", "examples held out for "
   "validation"},
  {"shuffle", OPT_SET, F(shuffle), 1, NULL, "shuffle every epoch"},
  {"no-shuffle", OPT_SET, F(shuffle), 0, NULL, "keep the data's order"},
  {"save", OPT_STR, F(save), 0, "FILE", "checkpoint at the end and every 10 s"},
  {"resume", OPT_STR, F(resume), 0, "FILE", "continue from a checkpoint"},
  {"log", OPT_STR, F(log), 0, "FILE", "write per-epoch figures as CSV"},
  {"no-train-acc", OPT_SET, F(no_train_acc), 1, NULL, "no training "
   "accuracy (saves a forward pass)"},
  {"quiet", OPT_SET, F(quiet), 1, NULL, "no per-epoch lines"},
  {NULL, 0, 0, 0, NULL, NULL},
};

/* Every hyperparameter of netrt.h's list, in its order: --lr X, and a
 * flag such as --nesterov without a value. */
#define ARG_REAL "X"
#define ARG_BOOL NULL
#define HYPER_OPTION(ID, field, option, kind, used_by, help) \
  {option, OPT_##kind, H(field), 0, ARG_##kind, help},
static const OptSpec hyper_opts[] = {
  NETRT_HYPERPARAMETERS(HYPER_OPTION)
  {NULL, 0, 0, 0, NULL, NULL},
};
#undef HYPER_OPTION
#undef ARG_REAL
#undef ARG_BOOL

static const OptSpec eval_opts[] = {
  {"load", OPT_STR, F(load), 0, "FILE", "the checkpoint to evaluate"},
  {"data", OPT_STR, F(data), 0, "PATH", "the model's data from PATH, or "
   "an MNIST directory or a CSV file for a model without one"},
  {"split", OPT_STR, F(split), 0, "NAME", "train, validation, test or all"
   " (default: the first that exists of test, validation, all)"},
  {"validation", OPT_INT, F(validation), 0, "N", "examples held out for "
   "validation"},
  {"batch", OPT_INT, F(batch), 1, "N", "examples per call"},
  {"seed", OPT_INT, F(seed), 0, "N", "weights' seed when no --load"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static const OptSpec predict_opts[] = {
  {"count", OPT_INT, F(count), 0, "N", "examples to predict (default 10)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static const OptSpec gradcheck_opts[] = {
  {"load", OPT_STR, F(load), 0, "FILE", "check at a checkpoint's "
   "parameters"},
  {"seed", OPT_INT, F(seed), 0, "N", "seed of the weights, the batch and "
   "the samples"},
  {"tolerance", OPT_REAL, F(tolerance), 0, "X", "largest relative error "
   "allowed (default 5e-2 for float models, 1e-6 for double)"},
  {"samples", OPT_INT, F(samples), 1, "N", "elements checked per tensor "
   "(default 20)"},
  {"batch", OPT_INT, F(batch), 1, "N", "examples in the batch "
   "(default 4)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static const OptSpec bench_opts[] = {
  {"steps", OPT_INT, F(steps), 1, "N", "timed steps (default 100)"},
  {"predict", OPT_SET, F(predict), 1, NULL, "time predict (inference) "
   "instead of training steps, each call's batch cut over the threads"},
  {"warmup", OPT_INT, F(warmup), 0, "N", "untimed steps first "
   "(default 10)"},
  {"batch", OPT_INT, F(batch), 1, "N", "examples per step"},
  {"threads", OPT_INT, F(threads), 1, "N", "threads to use"},
  {"seed", OPT_INT, F(seed), 0, "N", "seed of the weights and the data"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static const OptSpec sample_opts[] = {
  {"load", OPT_STR, F(load), 0, "FILE", "the checkpoint to sample from "
   "(default: the initial weights of --seed)"},
  {"start", OPT_STR, F(start), 0, "TEXT", "the first characters, each "
   "in the text's vocabulary (default: the text's first character)"},
  {"length", OPT_INT, F(length), 1, "N", "characters in all, the start "
   "included (default and most: T + 1, the model's steps plus one)"},
  {"temperature", OPT_REAL, F(temperature), 0, "X", "0: the most likely "
   "character (default); above 0: draw from softmax(logits / X)"},
  {"seed", OPT_INT, F(seed), 0, "N", "seed of the draws, and of the "
   "weights when no --load"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static const OptSpec common_opts[] = {
  {"json", OPT_SET, F(json), 1, NULL, "print the figures as one JSON "
   "object on stdout"},
  {"help", OPT_HELP, 0, 0, NULL, "show this help"},
  {NULL, 0, 0, 0, NULL, NULL},
};

#undef F
#undef H

typedef struct Command {
  const char *name;
  int (*run)(const NetrtModel *m, RtOpts *o);
  int runs_model;              /* calls the model's entry points */
  const char *summary;
  const OptSpec *groups[4];    /* NULL-terminated */
} Command;

static const Command commands[] = {
  {"train", rt_cmd_train, 1, "train the model, validate, save checkpoints",
   {train_opts, hyper_opts, common_opts}},
  {"eval", rt_cmd_eval, 1, "loss, accuracy, confusion matrix, per-class "
   "report", {eval_opts, common_opts}},
  {"predict", rt_cmd_predict, 1, "the predictions for the first examples",
   {predict_opts, eval_opts, common_opts}},
  {"info", rt_cmd_info, 0, "parameters, sizes, optimizer, training "
   "defaults", {common_opts}},
  {"gradcheck", rt_cmd_gradcheck, 1, "gradients against central "
   "differences", {gradcheck_opts, common_opts}},
  {"bench", rt_cmd_bench, 1, "time training steps (or predict) on random "
   "data",
   {bench_opts, hyper_opts, common_opts}},
  {"sample", rt_cmd_sample, 1, "generate text from a start string (text "
   "models)", {sample_opts, common_opts}},
};

enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

/* ---- help ---- */

static void usage(FILE *f, const char *prog, const NetrtModel *m) {
  fprintf(f, "usage: %s COMMAND [options]\n\n", prog);
  fprintf(f, "The model '%s', compiled by netc, with its runtime.\n\n",
          m->name);
  fprintf(f, "commands:\n");
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n'%s COMMAND --help' lists a command's options.\n", prog);
}

/* Prints text from column `col` on, wrapped before column 80 with the
 * next lines indented to `indent`. */
void rt_wrap(FILE *f, const char *text, int col, int indent) {
  while (*text) {
    int len = (int)strcspn(text, " ");
    if (col > indent && col + 1 + len > 79) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', f);
      col++;
    }
    fprintf(f, "%.*s", len, text);
    col += len;
    text += len;
    while (*text == ' ')
      text++;
  }
  fputc('\n', f);
}

static void option_help(FILE *f, const OptSpec *s) {
  char left[64];
  snprintf(left, sizeof left, "--%s%s%s", s->name, s->arg ? " " : "",
           s->arg ? s->arg : "");
  if (strlen(left) > 26)
    fprintf(f, "  %s\n%29s", left, "");
  else
    fprintf(f, "  %-26s ", left);
  rt_wrap(f, s->help, 29, 29);
}

static void model_defaults(FILE *f, const NetrtModel *m) {
  const NetrtTrain *t = &m->train;
  char text[512];
  snprintf(text, sizeof text, "The model's settings: optimizer %s, lr %g, "
           "batch %" PRId64 " (compiled for %d), epochs %" PRId64 ", seed %"
           PRId64 ", data %s.", rt_optimizer_name(t->optimizer), t->hyper.lr,
           t->batch, m->max_batch, t->epochs, t->seed,
           t->data ? t->data : "(none)");
  fputc('\n', f);
  rt_wrap(f, text, 0, 0);
}

static void command_help(FILE *f, const char *prog, const Command *c,
                         const NetrtModel *m) {
  fprintf(f, "usage: %s %s [options]\n\n%c%s.\n\noptions:\n", prog,
          c->name, c->summary[0] - 'a' + 'A', c->summary + 1);
  for (int g = 0; c->groups[g]; g++)
    for (const OptSpec *s = c->groups[g]; s->name; s++)
      option_help(f, s);
  model_defaults(f, m);
}

/* ---- parsing ---- */

static const OptSpec *find_option(const Command *c, const char *name,
                                  size_t len) {
  for (int g = 0; c->groups[g]; g++)
    for (const OptSpec *s = c->groups[g]; s->name; s++)
      if (strlen(s->name) == len && !strncmp(s->name, name, len))
        return s;
  return NULL;
}

static int set_value(RtOpts *o, const OptSpec *s, const char *v) {
  char *end, *field = (char *)o + s->offset;
  errno = 0;
  if (s->kind == OPT_STR) {
    if (!*v)
      return rt_fail(o, "--%s: an empty value", s->name);
    *(const char **)field = v;
  } else if (s->kind == OPT_INT) {
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
      return rt_fail(o, "--%s: '%s' is not a whole number", s->name, v);
    if (x < s->value)
      return rt_fail(o, "--%s: %lld is below %" PRId64, s->name, x,
                     s->value);
    *(int64_t *)field = x;
  } else {
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x))
      return rt_fail(o, "--%s: '%s' is not a finite number", s->name, v);
    *(double *)field = x;
  }
  return 0;
}

/* argv[*i] is "--name" or "--name=value"; a value may follow. */
static int parse_option(RtOpts *o, const Command *c, int argc, char **argv,
                        int *i) {
  const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
  size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
  const OptSpec *s = find_option(c, arg, len);
  if (!s)
    return rt_fail(o, "unknown option '--%.*s' for '%s' (see '%s %s "
                   "--help')", (int)len, arg, c->name, o->prog, c->name);
  if (s->kind == OPT_SET || s->kind == OPT_BOOL || s->kind == OPT_HELP) {
    if (eq || s->kind == OPT_HELP)
      return rt_fail(o, "--%s takes no value", s->name);
    if (s->kind == OPT_SET)
      *(int *)((char *)o + s->offset) = (int)s->value;
    else
      *(double *)((char *)o + s->offset) = 1.0;
    return 0;
  }
  if (!eq && *i + 1 >= argc)
    return rt_fail(o, "--%s needs a value (%s)", s->name, s->arg);
  return set_value(o, s, eq ? eq + 1 : argv[++*i]);
}

static void opts_init(RtOpts *o, const NetrtModel *m, const char *prog,
                      const char *command) {
  memset(o, 0, sizeof *o);
  o->prog = prog;
  o->command = command;
  o->epochs = o->batch = o->seed = o->threads = o->validation = -1;
  o->count = o->steps = o->warmup = o->samples = o->length = -1;
  o->shuffle = -1;
  o->tolerance = -1.0;
  o->hyper = m->train.hyper;
}

/* 0 to run, 1 on an error, 2 after --help. */
static int parse_args(RtOpts *o, const Command *c, const NetrtModel *m,
                      int argc, char **argv) {
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      command_help(stdout, o->prog, c, m);
      return 2;
    }
    if (strncmp(argv[i], "--", 2) || !argv[i][2])
      return rt_fail(o, "unexpected argument '%s' (see '%s %s --help')",
                     argv[i], o->prog, c->name);
    if (parse_option(o, c, argc, argv, &i))
      return 1;
  }
  if (o->batch > m->max_batch)
    return rt_fail(o, "--batch %" PRId64 ": the model was compiled for "
                   "batches of at most %d", o->batch, m->max_batch);
  return 0;
}

static const char *base_name(const char *path) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  return slash ? slash + 1 : path && *path ? path : "netrt";
}

/* ---- the CPU ---- */

/* "znver4 (x86_64-pc-linux-gnu)" from the descriptor's target, "x86_64-pc-
 * linux-gnu znver4 avx512 512-bit". */
static void built_for(const NetrtModel *m, char *buf, size_t n) {
  const char *triple = m->target ? m->target : "";
  int tlen = (int)strcspn(triple, " ");
  const char *cpu = triple + tlen + (triple[tlen] == ' ');
  int clen = (int)strcspn(cpu, " ");
  if (tlen && clen)
    snprintf(buf, n, "%.*s (%.*s)", clen, cpu, tlen, triple);
  else
    snprintf(buf, n, "another CPU");
}

/* Before the first instruction of the model's code: on a CPU without a
 * feature the code needs, it would die of SIGILL. */
static int check_cpu(const RtOpts *o, const NetrtModel *m) {
  char lacks[512], cpu[256];
  if (netrt_cpu_lacks(m, lacks, sizeof lacks) == 0)
    return 0;
  built_for(m, cpu, sizeof cpu);
  return rt_fail(o, "this executable was built for %s and needs %s, which "
                 "this CPU lacks; rebuild it with netc -march=native or a "
                 "-march= the machine has", cpu, lacks);
}

static int run_command(const NetrtModel *m, const char *prog, int argc,
                       char **argv) {
  RtOpts o;
  opts_init(&o, m, prog, NULL);
  if (argc < 2) {
    usage(stderr, prog, m);
    return 1;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(stdout, prog, m);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("%s: model %s, netrt ABI %d\n", prog, m->name,
           NETRT_ABI_VERSION);
    return 0;
  }
  for (int i = 0; i < NCOMMANDS; i++) {
    if (strcmp(argv[1], commands[i].name))
      continue;
    opts_init(&o, m, prog, commands[i].name);
    int rc = parse_args(&o, &commands[i], m, argc, argv);
    if (rc)
      return rc == 2 ? 0 : 1;
    if (commands[i].runs_model && check_cpu(&o, m))
      return 1;
    return commands[i].run(m, &o);
  }
  return rt_fail(&o, "unknown command '%s' (see '%s --help')", argv[1],
                 prog);
}

/* Most of a command's output sits in stdout's buffer until now (stdout
 * is fully buffered when it is not a terminal): a full disk or a closed
 * pipe shows only when it is flushed, and must not exit 0. */
int netrt_main(const NetrtModel *m, int argc, char **argv) {
  const char *prog = base_name(argc > 0 ? argv[0] : NULL);
  int rc = run_command(m, prog, argc, argv);
  flush_stdout();
  if (!ferror(stdout))
    return rc;
  fprintf(stderr, "%s: error: standard output: cannot write: %s\n", prog,
          stdout_errno ? strerror(stdout_errno) : "a write failed");
  return 1;
}
