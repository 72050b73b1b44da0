/* compiler/main.c — the netc driver: options, then the pipeline.
 *
 *   read -> parse (lexer.l, parser.y) -> check (check.c)
 *        -> lower (lower.c) -> differentiate (grad.c) -> dump
 *
 * Code generation (lower, grad, plan, codegen, emit) joins the pipeline
 * in the next release; until then netc checks models and prints their
 * intermediate forms.
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
#include "codegen.h"
#include "emit.h"
#include "frontend.h"
#include "ir.h"
#include "lexer.h"
#include "netrt.h"
#include "outfile.h"
#include "parse.h"

typedef enum Action {
  ACT_COMPILE,
  ACT_CHECK,
  ACT_DUMP_TOKENS,
  ACT_DUMP_PARSE,
  ACT_DUMP_AST,
  ACT_DUMP_IR,
  ACT_DUMP_GRAD,
} Action;

typedef struct Options {
  Action action;
  bool jit;                 /* netc run FILE COMMAND...: in memory */
  int run_argc;             /* the command and its options */
  char **run_argv;
  const char *input;
  Define defines[64];
  int ndefines;
  EmitOptions emit;
  int dtype_bytes;
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
    "  --target=TRIPLE     the target triple (the host's)\n"
    "  -O0, -O1, -O2, -O3  the optimization level (-O2)\n"
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
  else {
    diag_fatal_noloc("--dump=%s: expected tokens, parse, ast, ir or grad",
                     what);
    return 0;
  }
  return 1;
}

enum {
  OPT_CHECK = 256, OPT_DUMP, OPT_VERSION, OPT_PRELUDE, OPT_EMIT_LLVM,
  OPT_DTYPE, OPT_MARCH, OPT_TARGET,
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
    {NULL, 0, NULL, 0},
  };
  int c;
  opterr = 0;
  if (argc > 1 && strcmp(argv[1], "run") == 0) {
    o->jit = true;
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
    case 'O':
      if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '3') {
        diag_fatal_noloc("-O%s: expected -O0, -O1, -O2 or -O3", optarg);
        return 1;
      }
      o->emit.opt_level = optarg[0] - '0';
      break;
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

/* lower -> differentiate; the code is specialized to the model's batch */
static IrProgram *differentiate(const Options *o, const Model *m,
                                CodegenOptions *cgo) {
  IrProgram *p = lower_model(m);
  if (!p)
    return NULL;
  ir_grad(p);
  int64_t batch = (int64_t)call_value(m->train, "batch")->num;
  *cgo = (CodegenOptions){.dtype_bytes = o->dtype_bytes, .batch = (int)batch,
                          .main_model = !o->jit &&
                                        o->emit.kind == EMIT_EXECUTABLE};
  return p;
}

/* netc run: compile in memory and hand the model to libnetrt's commands,
 * as a compiled executable would. */
static int run_in_memory(const Options *o, const Model *m) {
  CodegenOptions cgo;
  IrProgram *p = differentiate(o, m, &cgo);
  if (!p)
    return 1;
  const void *desc;
  Jit *jit = emit_jit(p, &cgo, &o->emit, &desc);
  if (!jit)
    return 1;
  int status = netrt_main(desc, o->run_argc, o->run_argv);
  emit_jit_free(jit);
  return status;
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

/* lower -> differentiate -> generate -> emit */
static int compile(const Options *o, const Model *m) {
  EmitOptions eo = o->emit;
  eo.output = output_name(o);
  const char *header = eo.kind == EMIT_OBJECT && strcmp(eo.output, "-") != 0
                           ? header_name(eo.output) : NULL;
  if (check_outputs(o, &eo, header))
    return 1;
  CodegenOptions cgo;
  IrProgram *p = differentiate(o, m, &cgo);
  if (!p)
    return 1;
  CgModule *mod = cg_module(p, &cgo);
  int status = emit_module(mod, &eo);
  cg_free(mod);
  if (status == 0 && header)
    status = emit_header(header, m->name, o->input);
  return status;
}

static int print_dump(FILE *out, const Options *o, const SrcFile *src) {
  switch (o->action) {
  case ACT_DUMP_TOKENS:
    lex_dump_tokens(out, src);
    return diag_exit_code();
  case ACT_DUMP_PARSE:
    ast_dump(out, parse_file(src));
    return diag_exit_code();
  default:
    break;
  }
  Model *m = frontend_check(src, (Define *)o->defines, o->ndefines);
  if (!m)
    return 1;
  if (o->action == ACT_DUMP_AST) {
    model_dump(out, m);
    return 0;
  }
  IrProgram *p = lower_model(m);
  if (!p)
    return 1;
  if (o->action == ACT_DUMP_GRAD)
    ir_grad(p);
  ir_dump(out, p);
  return 0;
}

/* A dump is printed into memory, then written to stdout by outfile.c, so
 * that a write that fails says why. */
static int dump(const Options *o, const SrcFile *src) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out)
    DIE("open_memstream failed");
  int status = print_dump(out, o, src);
  if (fclose(out) != 0)
    DIE("cannot finish a dump in memory");
  if (outfile_write("-", buf, len) != 0)
    status = 1;
  free(buf);
  return status;
}

static int run(const Options *o) {
  SrcFile *src = src_read(o->input);
  if (!src)
    return 1;
  if (o->action != ACT_CHECK && o->action != ACT_COMPILE)
    return dump(o, src);
  Model *m = frontend_check(src, (Define *)o->defines, o->ndefines);
  if (!m)
    return 1;
  if (o->action == ACT_CHECK)
    return 0;
  return o->jit ? run_in_memory(o, m) : compile(o, m);
}

int main(int argc, char **argv) {
  Options o = {.action = ACT_COMPILE, .dtype_bytes = 4};
  o.emit.kind = EMIT_EXECUTABLE;
  o.emit.opt_level = 2;    /* as fast as -O3 here, a third less to compile */
  diag_set_color(isatty(STDERR_FILENO) && !getenv("NO_COLOR"));
  int status = parse_options(&o, argc, argv);
  if (status < 0)
    status = run(&o);
  if (status == 0)        /* dumps, --help: a full disk is an error too */
    status = outfile_flush_stdout();
  else
    fflush(stdout);
  arena_free_all();
  return status;
}
