/* tests/fuzz/frontend.c — fuzz target: the front end on a model file,
 * every stage netc runs and every dump it prints: tokens, parse (and its
 * dump), check (and --dump=ast), lower (--dump=ir), differentiate
 * (--dump=grad).  With NETC_FUZZ_CODEGEN set in the environment (f32,
 * or f64 for doubles), a model that gets through also becomes an LLVM
 * module (cg_module, which verifies it).  That is off by default: LLVM
 * costs a fifth of the executions a second and a third more memory,
 * better spent on the stages before it, which every input reaches.
 *
 * Input: the model's text, as it is, named fuzz.net (so a data source's
 * file is looked up in the current directory).
 *
 * The diagnostics go to stderr as netc prints them (libFuzzer's
 * -close_fd_mask=2 silences them), and the dumps to /dev/null.  Between
 * inputs the diagnostics' counters are reset and the arena freed; the
 * prelude is parsed again for each input rather than through
 * frontend_prelude(), whose tree would not survive the arena.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtins.h"
#include "check.h"
#include "codegen.h"
#include "emit.h"
#include "frontend.h"
#include "fuzz.h"
#include "ir.h"
#include "lexer.h"
#include "parse.h"

static FILE *dumps(void) {
  static FILE *null;
  if (!null && !(null = fopen("/dev/null", "w"))) {
    perror("/dev/null");
    abort();
  }
  return null;
}

static const Node *parse_prelude(void) {
  const SrcFile *f = src_from_string("<prelude>", prelude_source,
                                     strlen(prelude_source));
  const Node *prelude = parse_file(f);
  if (diag_error_count())
    DIE("the prelude does not parse");
  return prelude;
}

/* netc's code generation, for a batch that an int holds: main.c casts
 * the batch to int unchecked (issue 14 bounds it), which a fuzzer
 * would report again and again. */
static void generate(const Model *m, const IrProgram *p, int dtype_bytes) {
  double batch = call_value(m->train, "batch")->num;
  if (!(batch >= 1 && batch <= INT_MAX))
    return;
  Target host = emit_target(&(EmitOptions){.kind = EMIT_OBJECT});
  CodegenOptions o = {.dtype_bytes = dtype_bytes, .batch = (int)batch,
                      .target = &host};
  PlanTarget t = cg_plan_target(&o);
  cg_free(cg_module(p, plan_program(p, &t), &o));
}

/* 0: no code generation; else the bytes of a real. */
static int codegen_dtype(void) {
  const char *v = getenv("NETC_FUZZ_CODEGEN");
  if (!v || !*v)
    return 0;
  return strcmp(v, "f64") == 0 ? 8 : 4;
}

/* parse -> check -> lower -> differentiate, each stage dumped; a stage
 * that reports errors ends the run, as in netc. */
static void check_and_lower(const SrcFile *src, int dtype_bytes) {
  const Node *prelude = parse_prelude();
  const Node *tree = parse_file(src);
  ast_dump(dumps(), tree);
  if (diag_error_count())
    return;
  Model *m = check_model(tree, prelude, NULL, 0);
  if (diag_error_count())
    return;
  model_dump(dumps(), m);
  IrProgram *p = lower_model(m);
  if (!p)
    return;
  ir_dump(dumps(), p);
  ir_grad(p);
  ir_dump(dumps(), p);
  if (dtype_bytes)
    generate(m, p, dtype_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int dtype_bytes = -1;
  if (dtype_bytes < 0)
    dtype_bytes = codegen_dtype();
  diag_reset();
  const SrcFile *src = src_from_string("fuzz.net", (const char *)data, size);
  lex_dump_tokens(dumps(), src);
  diag_reset();
  check_and_lower(src, dtype_bytes);
  diag_reset();
  arena_free_all();
  return 0;
}
