/* compiler/emit.h — writing the generated module: object files, assembly,
 * LLVM IR, executables linked with libnetrt, and a C header; or loading
 * it into a JIT (netc run). */
#ifndef NETC_EMIT_H
#define NETC_EMIT_H

#include "codegen.h"

typedef enum EmitKind {
  EMIT_OBJECT,      /* -c */
  EMIT_ASSEMBLY,    /* -S */
  EMIT_LLVM,        /* --emit-llvm */
  EMIT_EXECUTABLE,  /* the default */
} EmitKind;

typedef struct EmitOptions {
  EmitKind kind;
  const char *output;       /* a path, or "-" for stdout (-S, --emit-llvm) */
  const char *cpu;          /* -march=; NULL: the host's */
  const char *triple;       /* --target=; NULL: the host's */
  int opt_level;            /* 0 to 3 */
} EmitOptions;

/* The LLVM this netc is linked against, as "19.1.7". */
const char *emit_llvm_version(void);

/* The machine -march= and --target= name (the host without them): what
 * codegen plans its vectors for (CodegenOptions.target).  A triple LLVM
 * does not know reports an error and gives the host's. */
Target emit_target(const EmitOptions *o);

/* Optimizes and writes m; 0, or 1 after reporting an error. */
int emit_module(CgModule *m, const EmitOptions *o);

/* netc run, in memory.  The module is built in the JIT's LLVM context:
 * emit_jit_context puts it in cgo->context before cg_module, then
 * emit_jit_module optimizes the module and loads it, taking over the
 * module and the context.  *symbol is then the address of the module's
 * cg_descriptor_name (a model's NetrtModel, or netc_gemm).  NULL after
 * reporting an error.  The code lives until emit_jit_free. */
typedef struct JitContext JitContext;
typedef struct Jit Jit;
JitContext *emit_jit_context(CodegenOptions *cgo);
Jit *emit_jit_module(CgModule *m, JitContext *c, const EmitOptions *o,
                     const void **symbol);
void emit_jit_free(Jit *j);

/* The three steps in one call, for the tests and bench/: cg_module or
 * cg_gemm_module in memory. */
Jit *emit_jit(const IrProgram *p, CodegenOptions *cgo, const EmitOptions *o,
              const void **descriptor);
Jit *emit_jit_gemm(const CgGemmShape *s, CodegenOptions *cgo,
                   const EmitOptions *o, const void **fn);

/* Whether the header of -c may be written at path: 0 when there is no
 * file there, or one that netc wrote; else 1 after reporting an error
 * (netc never replaces a header it did not write). */
int emit_check_header(const char *path);

/* model.h beside an object file: the descriptor's declaration. */
int emit_header(const char *path, const char *model_name,
                const char *source);

#endif
