/* compiler/codegen_builders.c — the LLVM builders every part emits with.
 *
 * Calls of math functions (LLVM's intrinsics, the C library's), locals,
 * counted loops and branches; tanh, sigmoid and exp written out in float
 * so that their loops vectorize; and the vector loads, stores, splats and
 * FMAs that the GEMM kernels and the optimizer's tile epilogues use.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_internal.h"
#include "diag.h"

/* A math function of n reals: an LLVM intrinsic (llvm.fma.f32) or the C
 * library's (tanhf, tanh). */
LLVMValueRef cg_call_math(Cg *cg, const char *base, LLVMValueRef *x,
                          unsigned n) {
  LLVMTypeRef t = LLVMTypeOf(x[0]), args[3] = {t, t, t};
  bool vector = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
  bool is64 = (vector ? LLVMGetElementType(t) : t) == cg->f64;
  char name[64];
  if (vector)        /* llvm.sqrt.v16f32: intrinsics only */
    snprintf(name, sizeof name, "%s.v%u%s", base, LLVMGetVectorSize(t),
             is64 ? "f64" : "f32");
  else if (strncmp(base, "llvm.", 5) == 0)
    snprintf(name, sizeof name, "%s.%s", base, is64 ? "f64" : "f32");
  else
    snprintf(name, sizeof name, "%s%s", base, is64 ? "" : "f");
  LLVMTypeRef fty = LLVMFunctionType(t, args, n, 0);
  LLVMValueRef f = LLVMGetNamedFunction(cg->mod, name);
  if (!f)
    f = LLVMAddFunction(cg->mod, name, fty);
  return LLVMBuildCall2(cg->b, fty, f, x, n, "");
}

/* A variable of the entry block (mem2reg makes it a register). */
LLVMValueRef cg_local(Cg *cg, LLVMTypeRef t) {
  LLVMBasicBlockRef here = LLVMGetInsertBlock(cg->b);
  LLVMValueRef first = LLVMGetFirstInstruction(cg->f.entry);
  if (first)
    LLVMPositionBuilderBefore(cg->b, first);
  else
    LLVMPositionBuilderAtEnd(cg->b, cg->f.entry);
  LLVMValueRef v = LLVMBuildAlloca(cg->b, t, "");
  LLVMPositionBuilderAtEnd(cg->b, here);
  return v;
}

/* for (i = 0; i < n; i++) — the body goes between open and close. */
LLVMValueRef cg_loop_open(Cg *cg, Loop *l, LLVMValueRef n) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
  l->head = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn, "loop");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                         "body");
  l->exit = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn, "done");
  LLVMBuildBr(cg->b, l->head);
  LLVMPositionBuilderAtEnd(cg->b, l->head);
  l->i = LLVMBuildPhi(cg->b, cg->i64, "i");
  LLVMValueRef zero = i64c(cg, 0);
  LLVMAddIncoming(l->i, &zero, &pre, 1);
  LLVMValueRef more = LLVMBuildICmp(cg->b, LLVMIntSLT, l->i, n, "");
  LLVMBuildCondBr(cg->b, more, body, l->exit);
  LLVMPositionBuilderAtEnd(cg->b, body);
  return l->i;
}

void cg_loop_close(Cg *cg, Loop *l) {
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  LLVMValueRef next = add(cg, l->i, i64c(cg, 1));
  LLVMValueRef back = LLVMBuildBr(cg->b, l->head);
  if (!cg->f.kernel) {
    if (cg->nlatches == cg->latch_cap) {
      cg->latch_cap = cg->latch_cap ? 2 * cg->latch_cap : 256;
      cg->latches = realloc(cg->latches,
                            sizeof *cg->latches * (size_t)cg->latch_cap);
      if (!cg->latches)
        DIE("out of memory");
    }
    cg->latches[cg->nlatches++] = back;
  }
  LLVMAddIncoming(l->i, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(cg->b, l->exit);
}

/* if (cond) { ... } */
LLVMBasicBlockRef cg_if_open(Cg *cg, LLVMValueRef cond) {
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                         "then");
  LLVMBasicBlockRef after = LLVMAppendBasicBlockInContext(cg->ctx, cg->f.fn,
                                                          "after");
  LLVMBuildCondBr(cg->b, cond, then, after);
  LLVMPositionBuilderAtEnd(cg->b, then);
  return after;
}

void cg_if_close(Cg *cg, LLVMBasicBlockRef after) {
  LLVMBuildBr(cg->b, after);
  LLVMPositionBuilderAtEnd(cg->b, after);
}

/* ---- activations in float: arithmetic LLVM can vectorize ------------- *
 *
 * A call to the C library's expf or tanhf keeps a loop scalar: these are
 * written out instead (within 3 ulp of the library's).  Doubles keep the
 * library's functions: they are the precision of the gradient checks.
 */

static LLVMValueRef horner(Cg *cg, LLVMValueRef x, const double *c, int n) {
  LLVMValueRef p = realc(cg, c[n - 1]);
  for (int k = n - 2; k >= 0; k--)
    p = call3(cg, "llvm.fmuladd", p, x, realc(cg, c[k]));
  return p;
}

/* e^x for x in [-87, 88] (a sigmoid's or tanh's argument clamped):
 * 2^n * e^r with r = x - n ln 2 in [-ln2/2, ln2/2], ln 2 in two parts
 * (Cody and Waite), e^r by its Taylor series to r^7. */
static LLVMValueRef exp_f32(Cg *cg, LLVMValueRef x) {
  static const double taylor[8] = {1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24,
                                   1.0 / 120, 1.0 / 720, 1.0 / 5040};
  x = fmaxr(cg, call2(cg, "llvm.minnum", x, realc(cg, 88)), realc(cg, -87));
  LLVMValueRef n = call1(cg, "llvm.roundeven",
                         f_mul(cg, x, realc(cg, 1.4426950408889634)));
  LLVMValueRef r = call3(cg, "llvm.fmuladd", n, realc(cg, -0.693359375), x);
  r = call3(cg, "llvm.fmuladd", n, realc(cg, 2.12194440054690583e-4), r);
  LLVMValueRef bits = LLVMBuildFPToSI(cg->b, n, cg->i32, "");
  bits = LLVMBuildShl(cg->b, add(cg, bits, LLVMConstInt(cg->i32, 127, 0)),
                      LLVMConstInt(cg->i32, 23, 0), "");
  LLVMValueRef scale = LLVMBuildBitCast(cg->b, bits, cg->real, "");
  return f_mul(cg, horner(cg, r, taylor, 8), scale);
}

/* tanh: its odd Taylor series below |x| = 1/2 (8 terms: 2 ulp), and
 * 1 - 2 / (e^2|x| + 1) above, where that cannot cancel. */
static LLVMValueRef tanh_f32(Cg *cg, LLVMValueRef x) {
  static const double odd[8] = {1, -1.0 / 3, 2.0 / 15, -17.0 / 315,
                                62.0 / 2835, -1382.0 / 155925,
                                21844.0 / 6081075, -929569.0 / 638512875};
  LLVMValueRef ax = call1(cg, "llvm.fabs", x);
  LLVMValueRef small = f_mul(cg, x, horner(cg, f_mul(cg, x, x), odd, 8));
  LLVMValueRef e = exp_f32(cg, f_add(cg, ax, ax));
  LLVMValueRef big = f_sub(cg, realc(cg, 1), f_div(cg, realc(cg, 2),
                                  f_add(cg, e, realc(cg, 1))));
  big = call2(cg, "llvm.copysign", big, x);
  return sel(cg, fcmp(cg, LLVMRealOLT, ax, realc(cg, 0.5)), small, big);
}

LLVMValueRef cg_ftanh(Cg *cg, LLVMValueRef x) {
  return cg->bytes == 4 ? tanh_f32(cg, x) : call1(cg, "tanh", x);
}

LLVMValueRef cg_sigmoid(Cg *cg, LLVMValueRef x) {
  LLVMValueRef minus = LLVMBuildFNeg(cg->b, x, "");
  LLVMValueRef e = cg->bytes == 4 ? exp_f32(cg, minus) : fexp(cg, minus);
  return f_div(cg, realc(cg, 1), f_add(cg, realc(cg, 1), e));
}

LLVMValueRef cg_vec_splat(Cg *cg, LLVMValueRef x) {
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(cg->vec), x,
                                          i64c(cg, 0), "");
  LLVMTypeRef mask_t = LLVMVectorType(cg->i32, (unsigned)cg->lanes);
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(cg->vec),
                                LLVMConstNull(mask_t), "");
}

/* The first `lanes` lanes on, the rest off. */
static LLVMValueRef lane_mask(Cg *cg, int lanes) {
  LLVMTypeRef i1 = LLVMInt1TypeInContext(cg->ctx);
  LLVMValueRef bits[64];
  for (int i = 0; i < cg->lanes; i++)
    bits[i] = LLVMConstInt(i1, i < lanes, 0);
  return LLVMConstVector(bits, (unsigned)cg->lanes);
}

LLVMValueRef cg_intrinsic(Cg *cg, const char *name, LLVMTypeRef *types,
                          size_t ntypes, LLVMTypeRef *fty) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  *fty = LLVMIntrinsicGetType(cg->ctx, id, types, ntypes);
  return LLVMGetIntrinsicDeclaration(cg->mod, id, types, ntypes);
}

/* A vector at p, or its first `lanes` lanes (0: all) and zeros. */
LLVMValueRef cg_vec_load(Cg *cg, LLVMValueRef p, int lanes) {
  if (!lanes) {
    LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->vec, p, "");
    LLVMSetAlignment(x, (unsigned)cg->bytes);
    return x;
  }
  LLVMTypeRef types[2] = {cg->vec, cg->ptr}, fty;
  LLVMValueRef f = cg_intrinsic(cg, "llvm.masked.load", types, 2, &fty);
  LLVMValueRef args[4] = {p, LLVMConstInt(cg->i32, (unsigned)cg->bytes, 0),
                          lane_mask(cg, lanes), LLVMConstNull(cg->vec)};
  return LLVMBuildCall2(cg->b, fty, f, args, 4, "");
}

void cg_vec_store(Cg *cg, LLVMValueRef x, LLVMValueRef p, int lanes) {
  if (!lanes) {
    LLVMSetAlignment(LLVMBuildStore(cg->b, x, p), (unsigned)cg->bytes);
    return;
  }
  LLVMTypeRef types[2] = {cg->vec, cg->ptr}, fty;
  LLVMValueRef f = cg_intrinsic(cg, "llvm.masked.store", types, 2, &fty);
  LLVMValueRef args[4] = {x, p, LLVMConstInt(cg->i32, (unsigned)cg->bytes, 0),
                          lane_mask(cg, lanes)};
  LLVMBuildCall2(cg->b, fty, f, args, 4, "");
}

LLVMValueRef cg_vec_fma(Cg *cg, LLVMValueRef a, LLVMValueRef b,
                        LLVMValueRef c) {
  LLVMTypeRef fty;
  LLVMValueRef f = cg_intrinsic(cg, "llvm.fmuladd", &cg->vec, 1, &fty);
  LLVMValueRef args[3] = {a, b, c};
  return LLVMBuildCall2(cg->b, fty, f, args, 3, "");
}
