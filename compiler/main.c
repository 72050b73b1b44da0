/* compiler/main.c — the netc driver: options, then the pipeline.
 *
 *   read -> parse (lexer.l, parser.y) -> check (check.c, steps.c)
 *        -> lower (lower.c) -> differentiate (grad.c) -> plan (plan.c)
 *        -> generate (codegen*.c) -> emit (emit.c)
 *
 * run_pipeline() is that pipeline, for every action.  netc FILE.net writes
 * an executable linked with libnetrt; -c an object file and its C
 * header, -S assembly, --emit-llvm LLVM IR.  netc run FILE.net COMMAND
 * generates the module in the JIT's context instead, has emit.c load it
 * and runs libnetrt's command on it, as the executable would.  --check
 * stops after checking; each --dump=FORM prints one stage's result on
 * stdout and stops after that stage (tokens, parse, ast, ir, grad,
 * plan); any stage that reports an error stops the run with exit
 * status 1.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "ast.h"
#include "codegen.h"
#include "emit.h"
#include "frontend.h"
#include "ir.h"
#include "lexer.h"
#include "netrt.h"
#include "outfile.h"

/* What the run does; a dump names the stage it stops after. */
typedef enum Action {
  ACT_COMPILE,              /* a file, or with netc run the JIT */
  ACT_CHECK,
  ACT_DUMP_TOKENS,
  ACT_DUMP_PARSE,
  ACT_DUMP_AST,
  ACT_DUMP_IR,
  ACT_DUMP_GRAD,
  ACT_DUMP_PLAN,
} Action;

typedef struct Options {
  Action action;
  bool jit;                 /* netc run FILE COMMAND...: in memory */
  bool print_target;        /* --print-target: print it, no input */
  int run_argc;             /* the command and its options */
  char **run_argv;
  const char *input;
  Define defines[64];
  int ndefines;
  EmitOptions emit;
  int dtype_bytes;
  PlanTile tile;            /* --tile=; rows 0: the target's */
} Options;

static const char usage[] =
    "usage: netc [options] FILE.net\n"
    "       netc run [options] FILE.net COMMAND [command options]\n"
    "\n"
    "netc compiles a neural-network model file into code specialized to\n"
    "every shape in it, and links it with libnetrt into an executable\n"
    "that trains, evaluates and runs the model (see docs/netc.md).\n"
    "\n"
    "output (default: an executable named after the model file):\n"
    "  -o FILE             the output file\n"
    "  -c                  an object file and a C header FILE.h (an\n"
    "                      existing FILE.h that netc did not write is\n"
    "                      never replaced: that is an error)\n"
    "  -S                  assembly\n"
    "  --emit-llvm         LLVM IR\n"
    "  --dtype=f32|f64     the precision of the generated code (f32)\n"
    "  -march=CPU          the CPU to generate code for (the host's)\n"
    "  --target=TRIPLE     the target triple (the host's); another\n"
    "                      machine's executable links with its cross\n"
    "                      compiler (TRIPLE-gcc, or $NETC_CC_TRIPLE with\n"
    "                      - as _) and its libnetrt (tools/setup --cross\n"
    "                      for aarch64-linux-gnu)\n"
    "  --tile=RxV          the GEMM kernels' register tile, R rows by V\n"
    "                      vectors (the one the target's registers give)\n"
    "  -O0, -O1, -O2, -O3  the optimization level (-O2)\n"
    "  --print-target      print what -march= and --target= (or this\n"
    "                      machine) give the kernels, then stop\n"
    "\n"
    "netc run compiles in memory and runs a command of the executable:\n"
    "train, eval, predict, info, gradcheck or bench (COMMAND --help).\n"
    "\n"
    "checking and dumps:\n"
    "  --check             parse and check the model, print nothing more\n"
    "  --dump=tokens       print the tokens, one per line\n"
    "  --dump=parse        print the syntax tree as parsed\n"
    "  --dump=ast          print the checked model: every shape, every\n"
    "                      parameter with its full name and initializer\n"
    "  --dump=ir           print the tensor IR of the forward pass\n"
    "  --dump=grad         print the IR with the backward pass appended\n"
    "  --dump=plan         print the code generator's plan: what each\n"
    "                      value's code does and where it lives\n"
    "  -D NAME=VALUE       override the constant NAME (a number, true or\n"
    "                      false); may be repeated\n"
    "  --prelude           print the prelude, the layers every model sees\n"
    "  -h, --help          print this help\n"
    "  --version           print the version\n"
    "\n"
    "Exit status: 0 when the model is fine, 1 after any error.\n"
    "The language: docs/language.md; this command: docs/netc.md.\n";

/* Writes text to stdout with every write checked; the exit status. */
static int print(const char *text) {
  return outfile_write("-", text, strlen(text));
}

static int parse_define(Options *o, const char *arg) {
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg) {
    diag_fatal_noloc("-D %s: expected NAME=VALUE", arg);
    return 0;
  }
  if (o->ndefines == (int)(sizeof o->defines / sizeof o->defines[0])) {
    diag_fatal_noloc("too many -D options");
    return 0;
  }
  Define *d = &o->defines[o->ndefines];
  d->name = arena_strndup(arg, (size_t)(eq - arg));
  const char *v = eq + 1;
  if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
    d->value = v[0] == 't';
    d->is_int = true;
  } else {
    char *end;
    errno = 0;
    d->value = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || !isfinite(d->value)) {
      diag_fatal_noloc("-D %s: '%s' is not a number", d->name, v);
      return 0;
    }
    d->is_int = strpbrk(v, ".eE") == NULL;
    if (d->is_int && fabs(d->value) > 9007199254740992.0) {
      diag_fatal_noloc("-D %s: integer '%s' is too large (the limit is "
                       "2^53)", d->name, v);   /* as in a model file */
      return 0;
    }
  }
  for (int i = 0; i < o->ndefines; i++)
    if (strcmp(o->defines[i].name, d->name) == 0) {
      diag_fatal_noloc("-D %s is given twice", d->name);
      return 0;
    }
  o->ndefines++;
  return 1;
}

static int parse_dump(Options *o, const char *what) {
  if (strcmp(what, "tokens") == 0)
    o->action = ACT_DUMP_TOKENS;
  else if (strcmp(what, "parse") == 0)
    o->action = ACT_DUMP_PARSE;
  else if (strcmp(what, "ast") == 0)
    o->action = ACT_DUMP_AST;
  else if (strcmp(what, "ir") == 0)
    o->action = ACT_DUMP_IR;
  else if (strcmp(what, "grad") == 0)
    o->action = ACT_DUMP_GRAD;
  else if (strcmp(what, "plan") == 0)
    o->action = ACT_DUMP_PLAN;
  else {
    diag_fatal_noloc("--dump=%s: expected tokens, parse, ast, ir, grad or "
                     "plan", what);
    return 0;
  }
  return 1;
}

enum {
  OPT_CHECK = 256, OPT_DUMP, OPT_VERSION, OPT_PRELUDE, OPT_EMIT_LLVM,
  OPT_DTYPE, OPT_MARCH, OPT_TARGET, OPT_PRINT_TARGET, OPT_TILE,
};

static int parse_dtype(Options *o, const char *what) {
  if (strcmp(what, "f32") == 0)
    o->dtype_bytes = 4;
  else if (strcmp(what, "f64") == 0)
    o->dtype_bytes = 8;
  else {
    diag_fatal_noloc("--dtype=%s: expected f32 or f64", what);
    return 0;
  }
  return 1;
}

static bool parse_tile(Options *o, const char *s) {
  if (plan_parse_tile(s, &o->tile))
    return true;
  diag_fatal_noloc("--tile=%s: expected ROWSxVECTORS, from 1x1 to %dx%d",
                   s, MAX_TILE_ROWS, MAX_TILE_VECS);
  return false;
}

static int parse_opt_level(Options *o, const char *level) {
  if (strlen(level) != 1 || level[0] < '0' || level[0] > '3') {
    diag_fatal_noloc("-O%s: expected -O0, -O1, -O2 or -O3", level);
    return 0;
  }
  o->emit.opt_level = level[0] - '0';
  return 1;
}

/* What -march= and --target= (or the host) give the kernels, and the
 * vectors and tiles the plan takes from it. */
static int print_target(const Options *o) {
  Target t = emit_target(&o->emit);
  if (diag_error_count())
    return 1;
  target_print(stdout, &t);
  CodegenOptions f32 = {.dtype_bytes = 4, .batch = 1, .target = &t,
                        .tile = o->tile};
  CodegenOptions f64 = f32;
  f64.dtype_bytes = 8;
  PlanTarget floats = cg_plan_target(&f32), doubles = cg_plan_target(&f64);
  printf("kernels: vectors of %d floats or %d doubles, register tiles of "
         "%d rows by %d vectors (%d by %d floats)\n", floats.lanes,
         doubles.lanes, floats.tile.rows, floats.tile.vecs, floats.tile.rows,
         floats.tile.vecs * floats.lanes);
  const char *features = target_cpu_features(&t);
  printf("cpu features: %s\n", *features ? features
         : "none beyond the baseline");
  return 0;
}

/* The arguments after the options: the model file, and for netc run
 * the command with its own options.  -1 to go on, else the exit status. */
static int take_operands(Options *o, int argc, char **argv) {
  if (o->jit && optind < argc) {     /* the rest belongs to the command */
    o->input = argv[optind];
    o->run_argc = argc - optind;
    o->run_argv = argv + optind;
    return -1;
  }
  if (optind != argc - 1) {
    diag_fatal_noloc(optind == argc ? "no input file; see netc --help"
                                    : "expected one input file");
    return 1;
  }
  o->input = argv[optind];
  return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(Options *o, int argc, char **argv) {
  static const struct option longopts[] = {
    {"check", no_argument, NULL, OPT_CHECK},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"prelude", no_argument, NULL, OPT_PRELUDE},
    {"emit-llvm", no_argument, NULL, OPT_EMIT_LLVM},
    {"dtype", required_argument, NULL, OPT_DTYPE},
    {"march", required_argument, NULL, OPT_MARCH},
    {"target", required_argument, NULL, OPT_TARGET},
    {"print-target", no_argument, NULL, OPT_PRINT_TARGET},
    {"tile", required_argument, NULL, OPT_TILE},
    {NULL, 0, NULL, 0},
  };
  int c;
  opterr = 0;
  if (argc > 1 && strcmp(argv[1], "run") == 0) {
    o->jit = true;           /* then parse as if "run" were the program */
    argv[1] = argv[0];
    argc--;
    argv++;
  }
  const char *shortopts = o->jit ? "+:hD:O:" : ":hD:o:cSO:";
  for (int i = 1; i < argc; i++)     /* -march= is spelled as C compilers do */
    if (strncmp(argv[i], "-march=", 7) == 0)
      argv[i] = arena_printf("-%s", argv[i]);
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (c) {
    case 'o': o->emit.output = optarg; break;
    case 'c': o->emit.kind = EMIT_OBJECT; break;
    case 'S': o->emit.kind = EMIT_ASSEMBLY; break;
    case OPT_EMIT_LLVM: o->emit.kind = EMIT_LLVM; break;
    case OPT_DTYPE: if (!parse_dtype(o, optarg)) return 1; break;
    case OPT_MARCH: o->emit.cpu = optarg; break;
    case OPT_TARGET: o->emit.triple = optarg; break;
    case OPT_PRINT_TARGET: o->print_target = true; break;
    case OPT_TILE: if (!parse_tile(o, optarg)) return 1; break;
    case 'O': if (!parse_opt_level(o, optarg)) return 1; break;
    case OPT_CHECK: o->action = ACT_CHECK; break;
    case OPT_DUMP: if (!parse_dump(o, optarg)) return 1; break;
    case 'D': if (!parse_define(o, optarg)) return 1; break;
    case 'h': return print(usage);
    case OPT_VERSION:
      return print(arena_printf("netc %s (LLVM %s)\n", PACKAGE_VERSION,
                                emit_llvm_version()));
    case OPT_PRELUDE: return print(prelude_source);
    case ':':
      diag_fatal_noloc("option '%s' needs a value", argv[optind - 1]);
      return 1;
    default:
      diag_fatal_noloc("unknown option '%s'; see netc --help",
                       argv[optind - 1]);
      return 1;
    }
  }
  if (o->print_target)
    return print_target(o);
  return take_operands(o, argc, argv);
}

/* The output's name: -o, else the model file's name without .net (and
 * with .o, .s or .ll for the other outputs). */
static const char *output_name(const Options *o) {
  if (o->emit.output)
    return o->emit.output;
  const char *base = strrchr(o->input, '/');
  base = base ? base + 1 : o->input;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  static const char *ext[] = {".o", ".s", ".ll", ""};
  const char *name = arena_printf("%.*s%s", (int)n, base,
                                  ext[o->emit.kind]);
  if (o->emit.kind == EMIT_EXECUTABLE && strcmp(name, o->input) == 0)
    name = arena_printf("%s.out", name);
  return name;
}

static const char *header_name(const char *object) {
  size_t n = strlen(object);
  if (n > 2 && strcmp(object + n - 2, ".o") == 0)
    n -= 2;
  return arena_printf("%.*s.h", (int)n, object);
}

/* Whether path is the model file itself, by device and inode: ./m.net,
 * a link to it and m.net are one file. */
static bool is_input(const Options *o, const char *path) {
  struct stat in, out;
  return strcmp(path, "-") != 0 && stat(o->input, &in) == 0 &&
         stat(path, &out) == 0 && in.st_dev == out.st_dev &&
         in.st_ino == out.st_ino;
}

/* Refuses outputs that cannot be written before generating any code:
 * an executable to stdout, a file that would overwrite the model, and a
 * header that netc did not write. */
static int check_outputs(const Options *o, const EmitOptions *eo,
                         const char *header) {
  if (eo->kind == EMIT_EXECUTABLE && strcmp(eo->output, "-") == 0) {
    diag_fatal_noloc("-o -: an executable cannot go to standard output");
    return 1;
  }
  const char *paths[] = {eo->output, header};
  for (int i = 0; i < 2; i++)
    if (paths[i] && is_input(o, paths[i])) {
      diag_fatal_noloc("the %s '%s' would overwrite the model file '%s'; "
                       "name another output with -o", i ? "header" :
                       "output", paths[i], o->input);
      return 1;
    }
  return header ? emit_check_header(header) : 0;
}

/* Where a compiled model goes. */
typedef struct Outputs {
  EmitOptions emit;         /* the options, with the output's name */
  const char *header;       /* -c: the C header beside the object; NULL */
} Outputs;

/* Names the outputs and checks that they can be written; the status. */
static int name_outputs(const Options *o, Outputs *out) {
  out->emit = o->emit;
  out->emit.output = output_name(o);
  bool object_file = out->emit.kind == EMIT_OBJECT &&
                     strcmp(out->emit.output, "-") != 0;
  out->header = object_file ? header_name(out->emit.output) : NULL;
  return check_outputs(o, &out->emit, out->header);
}

/* ---- dumps ------------------------------------------------------------ */

/* A dump is printed into memory, then written to stdout by outfile.c, so
 * that a write that fails says why. */
typedef struct Dump {
  FILE *out;
  char *buf;
  size_t len;
} Dump;

static FILE *open_dump(Dump *d) {
  *d = (Dump){0};
  d->out = open_memstream(&d->buf, &d->len);
  if (!d->out)
    DIE("open_memstream failed");
  return d->out;
}

/* Writes the dump out; status, the stage's, or 1 when the write fails. */
static int write_dump(Dump *d, int status) {
  if (fclose(d->out) != 0)
    DIE("cannot finish a dump in memory");
  if (outfile_write("-", d->buf, d->len) != 0)
    status = 1;
  free(d->buf);
  return status;
}

/* The tokens and the parsed tree print even after errors: they show
 * where the lexer and the parser went wrong. */
static int dump_tokens(const SrcFile *src) {
  Dump d;
  lex_dump_tokens(open_dump(&d), src);
  return write_dump(&d, diag_exit_code());
}

static int dump_tree(const Node *tree) {
  Dump d;
  ast_dump(open_dump(&d), tree);
  return write_dump(&d, diag_exit_code());
}

static int dump_model(const Model *m) {
  Dump d;
  model_dump(open_dump(&d), m);
  return write_dump(&d, 0);
}

static int dump_ir(const IrProgram *p) {
  Dump d;
  ir_dump(open_dump(&d), p);
  return write_dump(&d, 0);
}

static int dump_plan(const Plan *plan) {
  Dump d;
  plan_dump(open_dump(&d), plan);
  return write_dump(&d, 0);
}

/* ---- the back end ----------------------------------------------------- */

/* The code is specialized to the model's batch; an executable's module
 * also defines the model its main runs. */
static CodegenOptions codegen_options(const Options *o,
                                      const IrProgram *p,
                                      const Target *target) {
  return (CodegenOptions){.dtype_bytes = o->dtype_bytes,
                          .batch = (int)p->train.batch, .target = target,
                          .tile = o->tile,
                          .main_model = !o->jit &&
                                        o->emit.kind == EMIT_EXECUTABLE};
}

/* The module to its outputs: the file, and -c's header. */
static int write_outputs(const Outputs *out, const Options *o,
                         const Model *m, CgModule *mod) {
  int status = emit_module(mod, &out->emit);
  cg_free(mod);
  if (status == 0 && out->header)
    status = emit_header(out->header, m->name, o->input);
  return status;
}

/* netc run: the module into the JIT, and libnetrt's command on it, as a
 * compiled executable would run it. */
static int run_in_memory(const Options *o, CgModule *mod, JitContext *jc) {
  const void *desc;
  Jit *jit = emit_jit_module(mod, jc, &o->emit, &desc);
  if (!jit)
    return 1;
  int status = netrt_main(desc, o->run_argc, o->run_argv);
  emit_jit_free(jit);
  return status;
}

/* ---- the pipeline ----------------------------------------------------- */

static bool compiles_to_files(const Options *o) {
  return o->action == ACT_COMPILE && !o->jit;
}

/* read -> parse -> check -> lower -> differentiate -> plan -> generate
 * -> emit.
 * Each stage takes the previous one's result; a dump stops the run after
 * the stage it prints, and a stage that reports errors stops it too. */
static int run_pipeline(const Options *o) {
  SrcFile *src = src_read(o->input);
  if (!src)
    return 1;
  if (o->action == ACT_DUMP_TOKENS)
    return dump_tokens(src);
  const Node *tree = frontend_parse(src);
  if (o->action == ACT_DUMP_PARSE)
    return dump_tree(tree);
  if (diag_error_count())
    return 1;
  Model *m = frontend_check_tree(tree, (Define *)o->defines, o->ndefines);
  if (!m)
    return 1;
  if (o->action == ACT_DUMP_AST)
    return dump_model(m);
  if (o->action == ACT_CHECK)
    return 0;
  Outputs out = {0};    /* unwritable ones refused before any codegen */
  if (compiles_to_files(o) && name_outputs(o, &out))
    return 1;
  IrProgram *p = lower_model(m);
  if (!p)
    return 1;
  if (o->action == ACT_DUMP_IR)
    return dump_ir(p);
  ir_grad(p);
  if (o->action == ACT_DUMP_GRAD)
    return dump_ir(p);
  Target target = emit_target(&o->emit);
  if (diag_error_count())
    return 1;
  CodegenOptions cgo = codegen_options(o, p, &target);
  PlanTarget facts = cg_plan_target(&cgo);
  Plan *plan = plan_program(p, &facts);
  if (o->action == ACT_DUMP_PLAN)
    return dump_plan(plan);
  JitContext *jit_context = o->jit ? emit_jit_context(&cgo) : NULL;
  CgModule *mod = cg_module(p, plan, &cgo);
  return o->jit ? run_in_memory(o, mod, jit_context)
                : write_outputs(&out, o, m, mod);
}

int main(int argc, char **argv) {
  Options o = {.action = ACT_COMPILE, .dtype_bytes = 4};
  o.emit.kind = EMIT_EXECUTABLE;
  o.emit.opt_level = 2;    /* as fast as -O3 here, a third less to compile */
  diag_set_color(isatty(STDERR_FILENO) && !getenv("NO_COLOR"));
  int status = parse_options(&o, argc, argv);
  if (status < 0)
    status = run_pipeline(&o);
  if (status == 0)        /* dumps, --help: a full disk is an error too */
    status = outfile_flush_stdout();
  else
    fflush(stdout);
  arena_free_all();
  return status;
}
