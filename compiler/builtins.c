/* compiler/builtins.c — the tables of builtins.h.  Option names and
 * defaults of optimizers and initializers are PyTorch's. */
#include <config.h>

#include "builtins.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"

#define NUM(v) {.kind = VAL_NUM, .num = (v)}
#define INT(v) {.kind = VAL_NUM, .num = (v), .is_int = true}
#define STR(s) {.kind = VAL_STR, .str = (s)}
#define WORD(s) {.kind = VAL_WORD, .str = (s)}
#define PAIR(a, b) {.kind = VAL_PAIR, .lo = (a), .hi = (b)}
#define RANGE(a, b) {.kind = VAL_RANGE, .lo = (a), .hi = (b)}
#define REQUIRED {.kind = VAL_NONE}
#define END {NULL, 0, REQUIRED, 0, NULL, NULL, 0}

/* The largest integer options (OptSpec.max).  The runtime holds most of
 * them in an int; a batch's buffers are the batch times a tensor of up
 * to 2^31 values, which 2^20 examples keep far within 64-bit byte
 * counts; a seed may be any integer a number holds exactly. */
#define BOUND_INT 2147483647.0          /* 2^31 - 1 */
#define BOUND_BATCH 1048576.0           /* 2^20 */
#define BOUND_SEED 9007199254740992.0   /* 2^53 */

static const OptSpec sgd_opts[] = {
  {"lr", OT_NUM, REQUIRED, CK_POS, NULL, NULL, 0},
  {"momentum", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"dampening", OT_NUM, NUM(0), CK_UNIT, NULL, NULL, 0},
  {"weight_decay", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"nesterov", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec adagrad_opts[] = {
  {"lr", OT_NUM, NUM(0.01), CK_POS, NULL, NULL, 0},
  {"lr_decay", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"weight_decay", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"initial_accumulator_value", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"eps", OT_NUM, NUM(1e-10), CK_NONNEG, NULL, NULL, 0},
  /* m += g*g; p -= lr * g / sqrt(m + eps), the update of the classic
   * character-RNN code, instead of PyTorch's g / (sqrt(m) + eps). */
  {"eps_inside_sqrt", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec rmsprop_opts[] = {
  {"lr", OT_NUM, NUM(0.01), CK_POS, NULL, NULL, 0},
  {"alpha", OT_NUM, NUM(0.99), CK_UNIT, NULL, NULL, 0},
  {"eps", OT_NUM, NUM(1e-8), CK_NONNEG, NULL, NULL, 0},
  {"weight_decay", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"momentum", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"centered", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec adam_opts[] = {
  {"lr", OT_NUM, NUM(0.001), CK_POS, NULL, NULL, 0},
  {"betas", OT_PAIR, PAIR(0.9, 0.999), CK_UNIT_OPEN, NULL, NULL, 0},
  {"eps", OT_NUM, NUM(1e-8), CK_NONNEG, NULL, NULL, 0},
  {"weight_decay", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  {"amsgrad", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec adamw_opts[] = {
  {"lr", OT_NUM, NUM(0.001), CK_POS, NULL, NULL, 0},
  {"betas", OT_PAIR, PAIR(0.9, 0.999), CK_UNIT_OPEN, NULL, NULL, 0},
  {"eps", OT_NUM, NUM(1e-8), CK_NONNEG, NULL, NULL, 0},
  {"weight_decay", OT_NUM, NUM(0.01), CK_NONNEG, NULL, NULL, 0},
  {"amsgrad", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

const CallSpec optimizer_specs[] = {
  {"sgd", NULL, sgd_opts, "stochastic gradient descent"},
  {"adagrad", NULL, adagrad_opts, "Adagrad"},
  {"rmsprop", NULL, rmsprop_opts, "RMSprop"},
  {"adam", NULL, adam_opts, "Adam"},
  {"adamw", NULL, adamw_opts, "Adam with decoupled weight decay"},
  {NULL, NULL, NULL, NULL},
};

static const OptSpec mnist_opts[] = {
  {"path", OT_STR, STR("data/mnist"), CK_ANY, NULL, NULL, 0},
  /* (pixel / 255 - 0.1307) / 0.3081, MNIST's mean and deviation */
  {"normalize", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec csv_opts[] = {
  {"path", OT_STR, REQUIRED, CK_ANY, NULL, NULL, 0},
  {"features", OT_INT, REQUIRED, CK_POS, NULL, NULL, BOUND_INT},
  {"classes", OT_INT, REQUIRED, CK_POS, NULL, NULL, BOUND_INT},
  {"label", OT_INT, INT(-1), CK_ANY, NULL, NULL, BOUND_INT},
  {"header", OT_BOOL, INT(0), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec synthetic2d_opts[] = {
  {"points", OT_INT, INT(60000), CK_POS, NULL, NULL, BOUND_INT},
  {"classes", OT_INT, INT(2), CK_POS, NULL, NULL, BOUND_INT},
  {"seed", OT_INT, INT(1), CK_NONNEG, NULL, NULL, BOUND_SEED},
  END,
};

static const OptSpec text_opts[] = {
  {"text", OT_STR, STR(""), CK_ANY, NULL, NULL, 0},
  {"file", OT_STR, STR(""), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec index_recall_opts[] = {
  /* k = 1: the first digit */
  {"k", OT_INT, INT(2), CK_POS, NULL, NULL, BOUND_INT},
  {"lengths", OT_RANGE, RANGE(3, 10), CK_POS, NULL, NULL, BOUND_INT},
  {"count", OT_INT, INT(800), CK_POS, NULL, NULL, BOUND_INT},
  {"seed", OT_INT, INT(1), CK_NONNEG, NULL, NULL, BOUND_SEED},
  END,
};

static const OptSpec binary_add_opts[] = {
  {"lengths", OT_RANGE, RANGE(1, 20), CK_POS, NULL, NULL, BOUND_INT},
  {"count", OT_INT, INT(250), CK_POS, NULL, NULL, BOUND_INT},
  {"seed", OT_INT, INT(1), CK_NONNEG, NULL, NULL, BOUND_SEED},
  END,
};

const CallSpec data_specs[] = {
  {"mnist", NULL, mnist_opts, "MNIST digits: 784 pixels in [0, 1], 10 classes"},
  {"csv", NULL, csv_opts, "numeric features and a label column"},
  {"synthetic2d", NULL, synthetic2d_opts, "points in the plane in classes"},
  {"text", NULL, text_opts, "next-character prediction on a text"},
  {"index_recall", NULL, index_recall_opts, "the digit at index k"},
  {"binary_add", NULL, binary_add_opts, "adding two binary numbers"},
  {NULL, NULL, NULL, NULL},
};

static const OptSpec no_opts[] = {END};

static const OptSpec constant_opts[] = {
  {"value", OT_NUM, REQUIRED, CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec uniform_opts[] = {
  {"low", OT_NUM, NUM(0), CK_ANY, NULL, NULL, 0},
  {"high", OT_NUM, NUM(1), CK_ANY, NULL, NULL, 0},
  END,
};

static const OptSpec normal_opts[] = {
  {"mean", OT_NUM, NUM(0), CK_ANY, NULL, NULL, 0},
  {"std", OT_NUM, NUM(1), CK_NONNEG, NULL, NULL, 0},
  END,
};

static const OptSpec gain_opts[] = {
  {"gain", OT_NUM, NUM(1), CK_POS, NULL, NULL, 0},
  END,
};

const CallSpec init_specs[] = {
  {"zeros", NULL, no_opts, "all zeros"},
  {"ones", NULL, no_opts, "all ones"},
  {"constant", NULL, constant_opts, "every value the same"},
  {"uniform", NULL, uniform_opts, "uniform in [low, high)"},
  {"normal", NULL, normal_opts, "normal with mean and std"},
  {"xavier_uniform", NULL, gain_opts,
   "uniform in +-gain*sqrt(6/(fan_in+fan_out))"},
  {"xavier", "xavier_uniform", gain_opts, "xavier_uniform"},
  {"xavier_normal", NULL, gain_opts,
   "normal, std gain*sqrt(2/(fan_in+fan_out))"},
  {"kaiming_uniform", NULL, no_opts, "uniform in +-sqrt(6/fan_in)"},
  {"he_uniform", "kaiming_uniform", no_opts, "kaiming_uniform"},
  {"kaiming_normal", NULL, no_opts, "normal, std sqrt(2/fan_in)"},
  {"he_normal", "kaiming_normal", no_opts, "kaiming_normal"},
  {NULL, NULL, NULL, NULL},
};

static const OptSpec clip_opts[] = {
  {"max", OT_NUM, REQUIRED, CK_POS, NULL, NULL, 0},
  END,
};

const CallSpec clip_specs[] = {
  {"norm", NULL, clip_opts, "scale gradients to a global norm of at most max"},
  {"value", NULL, clip_opts, "clamp each gradient to [-max, max]"},
  {NULL, NULL, NULL, NULL},
};

const OptSpec train_opts[] = {
  {"optimizer", OT_CALL, REQUIRED, CK_ANY, NULL, optimizer_specs, 0},
  {"batch", OT_INT, INT(32), CK_POS, NULL, NULL, BOUND_BATCH},
  {"epochs", OT_INT, INT(10), CK_POS, NULL, NULL, BOUND_INT},
  {"seed", OT_INT, INT(1), CK_NONNEG, NULL, NULL, BOUND_SEED},
  {"shuffle", OT_BOOL, INT(1), CK_ANY, NULL, NULL, 0},
  {"validation", OT_INT, INT(0), CK_NONNEG, NULL, NULL, BOUND_INT},
  {"clip", OT_CALL, REQUIRED, CK_ANY, NULL, clip_specs, 0},
  {"l2", OT_NUM, NUM(0), CK_NONNEG, NULL, NULL, 0},
  END,
};

static const OptSpec axis_opts[] = {
  {"axis", OT_INT, INT(-1), CK_ANY, NULL, NULL, BOUND_INT},
  END,
};

static const OptSpec reduce_opts[] = {
  {"steps", OT_WORD, WORD("mean"), CK_ANY, "mean|sum", NULL, 0},
  {"batch", OT_WORD, WORD("mean"), CK_ANY, "mean|sum", NULL, 0},
  END,
};

static const OptSpec conv_opts[] = {
  {"stride", OT_INT, INT(1), CK_POS, NULL, NULL, BOUND_INT},
  {"padding", OT_INT, INT(0), CK_NONNEG, NULL, NULL, BOUND_INT},
  END,
};

static const OptSpec pool_opts[] = {
  {"size", OT_INT, INT(2), CK_POS, NULL, NULL, BOUND_INT},
  END,
};

const Builtin builtins[] = {
  {"tanh", BK_UNARY, 1, no_opts, 0, "hyperbolic tangent"},
  {"sigmoid", BK_UNARY, 1, no_opts, 0, "1 / (1 + exp(-x))"},
  {"relu", BK_UNARY, 1, no_opts, 0, "max(x, 0)"},
  {"exp", BK_UNARY, 1, no_opts, 0, "e^x"},
  {"log", BK_UNARY, 1, no_opts, 0, "natural logarithm"},
  {"sqrt", BK_UNARY, 1, no_opts, 0, "square root"},
  {"abs", BK_UNARY, 1, no_opts, 0, "absolute value"},
  {"softmax", BK_SOFTMAX, 1, no_opts, 0, "softmax over the last dim"},
  {"log_softmax", BK_SOFTMAX, 1, no_opts, 0, "log of softmax, last dim"},
  {"sum", BK_REDUCE, 1, no_opts, 0, "sum of all elements"},
  {"mean", BK_REDUCE, 1, no_opts, 0, "mean of all elements"},
  {"l2", BK_REDUCE, 1, no_opts, 0, "sum of squares"},
  {"concat", BK_CONCAT, -1, axis_opts, 0, "join along the last dim"},
  {"reverse", BK_REVERSE, 1, no_opts, 0, "reverse the steps"},
  {"flatten", BK_FLATTEN, 1, no_opts, 0, "to one dimension"},
  {"reshape", BK_RESHAPE, 1, no_opts, 0, "to the shape given as a list"},
  {"transpose", BK_TRANSPOSE, 1, no_opts, 0, "swap the two dims"},
  {"conv", BK_CONV, 3, conv_opts, 0, "2-D convolution (x, W, b)"},
  {"maxpool", BK_MAXPOOL, 1, pool_opts, 0, "max over size x size windows"},
  {"batch_norm", BK_BATCHNORM, 3, no_opts, 0, "normalize per channel"},
  {"cross_entropy", BK_LOSS, 2, reduce_opts, LT_CLASS_OR_SOFT,
   "softmax cross-entropy of logits"},
  {"nll", BK_LOSS, 2, reduce_opts, LT_CLASS, "negative log-likelihood"},
  {"mse", BK_LOSS, 2, reduce_opts, LT_SAME, "mean squared error"},
  {"sse", BK_LOSS, 2, reduce_opts, LT_SAME, "sum of squared error"},
  {"binary_cross_entropy", BK_LOSS, 2, reduce_opts, LT_SAME,
   "cross-entropy of probabilities"},
  {"binary_cross_entropy_logits", BK_LOSS, 2, reduce_opts, LT_SAME,
   "cross-entropy of sigmoid(logits)"},
  {NULL, 0, 0, NULL, 0, NULL},
};

const Builtin *builtin_find(const char *name) {
  for (const Builtin *b = builtins; b->name; b++)
    if (strcmp(b->name, name) == 0)
      return b;
  return NULL;
}

const CallSpec *spec_find(const CallSpec *table, const char *name) {
  for (const CallSpec *s = table; s->name; s++)
    if (strcmp(s->name, name) == 0)
      return s;
  return NULL;
}

const char *spec_names(const CallSpec *table) {
  char buf[512] = "";
  size_t n = 0;
  for (const CallSpec *s = table; s->name; s++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "",
                          s->name);
  return arena_strdup(buf);
}

const char *opt_names(const OptSpec *opts) {
  char buf[512] = "";
  size_t n = 0;
  for (const OptSpec *o = opts; o->name; o++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "",
                          o->name);
  return arena_strdup(buf);
}

int opt_index(const OptSpec *opts, const char *name) {
  for (int i = 0; opts[i].name; i++)
    if (strcmp(opts[i].name, name) == 0)
      return i;
  return -1;
}

int opt_count(const OptSpec *opts) {
  int n = 0;
  while (opts[n].name)
    n++;
  return n;
}

const Value *call_value(const CallValue *cv, const char *name) {
  int i = opt_index(cv->spec->opts, name);
  return i < 0 ? NULL : &cv->vals[i];
}
