/* compiler/emit.h — output files; the only LLVM users with codegen. */
#ifndef NETC_EMIT_H
#define NETC_EMIT_H

/* The LLVM this netc is linked against, as "19.1.7". */
const char *emit_llvm_version(void);

#endif
