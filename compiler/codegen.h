/* compiler/codegen.h — the tensor IR to an LLVM module (LLVM-C). */
#ifndef NETC_CODEGEN_H
#define NETC_CODEGEN_H

#include "ir.h"
#include "plan.h"
#include "target.h"

typedef struct CodegenOptions {
  int dtype_bytes;       /* 4: float, 8: double */
  int batch;             /* the batch the code is specialized to */
  bool main_model;       /* also define netrt_main_model (executables) */
  const Target *target;  /* the machine the vectors are planned for
                            (emit_target) */
  PlanTile tile;         /* --tile=: the GEMM register tile; rows 0: the
                            one the target's registers give */
  void *context;         /* an LLVMContextRef to build in (the JIT's), or
                            NULL for a context of the module's own */
} CodegenOptions;

typedef struct CgModule CgModule;   /* owns an LLVM context and module */

/* What the plan needs to know of the code these options generate: the
 * reals' width, the batch, the kernels' vectors and tiles. */
PlanTarget cg_plan_target(const CodegenOptions *o);
/* p must have its gradients (ir_grad); plan is plan_program(p,
 * cg_plan_target(o)). */
CgModule *cg_module(const IrProgram *p, const Plan *plan,
                    const CodegenOptions *o);
void cg_free(CgModule *m);
const char *cg_descriptor_name(const CgModule *m);

/* One matrix product alone, with the kernels models use (for bench/ and
 * the kernel's tests): C = op(A) op(B), row-major, op(A) m x k and op(B)
 * k x n, A stored k x m when trans_a and B stored n x k when trans_b.
 * The module defines
 *   void netc_gemm(const real *a, const real *b, real *c, void *ws)
 * with ws of cg_gemm_workspace bytes (B's transpose is packed there). */
#define CG_GEMM_SYMBOL "netc_gemm"
typedef struct CgGemmShape {
  int64_t m, n, k;
  bool trans_a, trans_b;
} CgGemmShape;

CgModule *cg_gemm_module(const CgGemmShape *s, const CodegenOptions *o);
int64_t cg_gemm_workspace(const CgGemmShape *s, const CodegenOptions *o);

#endif
