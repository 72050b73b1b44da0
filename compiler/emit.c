/* compiler/emit.c — writing what code generation produced.
 *
 * For now it only reports the LLVM library netc runs on; object files,
 * assembly, IR and JIT arrive with code generation.
 */
#include <config.h>

#include "emit.h"

#include <stdio.h>

#include <llvm-c/Core.h>

const char *emit_llvm_version(void) {
  static char buf[32];
  unsigned major, minor, patch;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(buf, sizeof buf, "%u.%u.%u", major, minor, patch);
  return buf;
}
