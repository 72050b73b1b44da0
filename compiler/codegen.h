/* compiler/codegen.h — the tensor IR to an LLVM module (LLVM-C). */
#ifndef NETC_CODEGEN_H
#define NETC_CODEGEN_H

#include "ir.h"

typedef struct CodegenOptions {
  int dtype_bytes;       /* 4: float, 8: double */
  int batch;             /* the batch the code is specialized to */
  bool main_model;       /* also define netrt_main_model (executables) */
  void *context;         /* an LLVMContextRef to build in (the JIT's), or
                            NULL for a context of the module's own */
} CodegenOptions;

typedef struct CgModule CgModule;   /* owns an LLVM context and module */

/* p must have its gradients (ir_grad). */
CgModule *cg_module(const IrProgram *p, const CodegenOptions *o);
void cg_free(CgModule *m);
const char *cg_descriptor_name(const CgModule *m);

#endif
