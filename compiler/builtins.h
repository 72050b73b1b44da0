/* compiler/builtins.h — what the language knows by name: builtin
 * functions, loss functions, initializers, optimizers, data sources and
 * the settings of the train block, each with its options and defaults.
 *
 * One table per kind, so the checker, the dumps and the docs agree.
 */
#ifndef NETC_BUILTINS_H
#define NETC_BUILTINS_H

#include <stdbool.h>

/* A constant value of an option, after checking. */
typedef enum ValueKind {
  VAL_NONE,    /* not given and no default: required */
  VAL_NUM,     /* num, is_int */
  VAL_STR,     /* str */
  VAL_WORD,    /* an identifier such as sum or mean: str */
  VAL_RANGE,   /* lo .. hi, inclusive integers */
  VAL_PAIR,    /* (lo, hi) */
  VAL_CALL,    /* a call such as adam(lr = 0.1): str (name), call */
} ValueKind;

typedef struct CallValue CallValue;

typedef struct Value {
  ValueKind kind;
  double num;
  bool is_int;
  const char *str;
  double lo, hi;
  CallValue *call;
} Value;

typedef enum OptType {
  OT_NUM,      /* any number */
  OT_INT,      /* an integer */
  OT_BOOL,     /* true or false (1 or 0) */
  OT_STR,      /* a string */
  OT_WORD,     /* one of the words in `words` */
  OT_RANGE,    /* lo .. hi */
  OT_PAIR,     /* (a, b) */
  OT_CALL,     /* one of the calls of the table `calls` */
} OptType;

typedef enum OptCheck {
  CK_ANY,
  CK_POS,      /* > 0 */
  CK_NONNEG,   /* >= 0 */
  CK_UNIT,     /* in [0, 1] */
  CK_UNIT_OPEN,/* in [0, 1) */
} OptCheck;

typedef struct CallSpec CallSpec;

typedef struct OptSpec {
  const char *name;
  OptType type;
  Value dflt;          /* VAL_NONE: the option must be given */
  OptCheck check;
  const char *words;   /* OT_WORD: "sum|mean" */
  const CallSpec *calls; /* OT_CALL: table ending with a NULL name */
  double max;          /* OT_INT, OT_RANGE: the largest value (and -max
                          the smallest); the checker says so past it */
} OptSpec;

/* Something called with options: an optimizer, a data source, an
 * initializer, clip.  Positional arguments fill options in order. */
struct CallSpec {
  const char *name;
  const char *alias_of;  /* an alias names the spec it stands for */
  const OptSpec *opts;   /* ends with a NULL name */
  const char *doc;
};

struct CallValue {
  const CallSpec *spec;
  Value *vals;           /* one per option of spec, defaults filled */
  int nvals;
};

extern const CallSpec optimizer_specs[];
extern const CallSpec data_specs[];
extern const CallSpec init_specs[];
extern const CallSpec clip_specs[];
extern const OptSpec train_opts[];

const CallSpec *spec_find(const CallSpec *table, const char *name);
const char *spec_names(const CallSpec *table);   /* "a, b, c" for hints */
const char *opt_names(const OptSpec *opts);
int opt_index(const OptSpec *opts, const char *name);
int opt_count(const OptSpec *opts);
const Value *call_value(const CallValue *cv, const char *name);

/* Builtin tensor functions. */
typedef enum BuiltinKind {
  BK_UNARY,      /* elementwise, one tensor */
  BK_SOFTMAX,    /* over the last dim */
  BK_REDUCE,     /* to a scalar */
  BK_CONCAT,
  BK_REVERSE,
  BK_FLATTEN,
  BK_RESHAPE,
  BK_TRANSPOSE,
  BK_CONV,
  BK_MAXPOOL,
  BK_BATCHNORM,
  BK_LOSS,       /* a loss function: a batch-level scalar */
} BuiltinKind;

typedef enum LossTarget {
  LT_CLASS_OR_SOFT, /* class labels, or floats of the same shape */
  LT_CLASS,         /* class labels only */
  LT_SAME,          /* a tensor of the same shape */
} LossTarget;

typedef struct Builtin {
  const char *name;
  BuiltinKind kind;
  int ntensors;          /* tensor arguments; -1: one or more */
  const OptSpec *opts;   /* further arguments */
  LossTarget target;     /* BK_LOSS */
  const char *doc;
} Builtin;

extern const Builtin builtins[];
const Builtin *builtin_find(const char *name);

#endif
