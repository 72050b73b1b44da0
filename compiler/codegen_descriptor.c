/* compiler/codegen_descriptor.c — the model's descriptor.
 *
 * netrt.h's NetrtModel, field by field, as a constant of the module: the
 * shapes and names of the parameters, inputs and targets, their
 * initializers, the training block's defaults, the entry points, and
 * what the plan says of the workspace and the threads.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codegen_internal.h"
#include "diag.h"

typedef struct Desc {
  LLVMTypeRef tensor, hyper, train, model;
} Desc;

static LLVMTypeRef struct_of(Cg *cg, const char *name, LLVMTypeRef *f,
                             unsigned n) {
  LLVMTypeRef t = LLVMStructCreateNamed(cg->ctx, name);
  LLVMStructSetBody(t, f, n, 0);
  return t;
}

static void desc_types(Cg *cg, Desc *d) {
  LLVMTypeRef dims = LLVMArrayType2(cg->i64, NETRT_MAX_DIMS);
  LLVMTypeRef tf[] = {cg->ptr, cg->i32, cg->i32, cg->i32, dims, cg->i64,
                      cg->i64, cg->i32, cg->f64, cg->f64, cg->i64, cg->i64};
  d->tensor = struct_of(cg, "NetrtTensor", tf, 12);
  d->hyper = LLVMArrayType2(cg->f64, HY_COUNT);
  LLVMTypeRef rf[] = {cg->i32, d->hyper, cg->i64, cg->i64, cg->i64, cg->i64,
                      cg->i64, cg->ptr, cg->ptr};
  d->train = struct_of(cg, "NetrtTrain", rf, 9);
  LLVMTypeRef mf[] = {cg->i32, cg->ptr, cg->ptr, cg->i32, cg->i32, cg->i64,
                      cg->i64, cg->i64, cg->i64, cg->i32, cg->i32, cg->i32,
                      cg->ptr, cg->ptr, cg->ptr, d->tensor, d->train,
                      cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->ptr, cg->ptr,
                      cg->ptr, cg->ptr, cg->i32, cg->i64, cg->ptr, cg->ptr};
  d->model = struct_of(cg, "NetrtModel", mf, 29);
}

static LLVMValueRef cstring(Cg *cg, const char *s) {
  LLVMValueRef str = LLVMConstStringInContext(cg->ctx, s, (unsigned)strlen(s),
                                              0);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(str), "str");
  LLVMSetInitializer(g, str);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  return g;
}

static LLVMValueRef i32c(Cg *cg, int v) {
  return LLVMConstInt(cg->i32, (unsigned long long)v, 1);
}

static LLVMValueRef tensor_const(Cg *cg, const Desc *d, const IrTensor *t,
                                 int64_t offset) {
  LLVMValueRef dims[NETRT_MAX_DIMS];
  for (int k = 0; k < NETRT_MAX_DIMS; k++)
    dims[k] = i64c(cg, k < t->ty.ndim ? t->ty.dims[k] : 0);
  int64_t field = 1;
  for (int k = 2; k < t->ty.ndim; k++)
    field *= t->ty.dims[k];
  int64_t fan_in = t->ty.ndim >= 2 ? t->ty.dims[1] * field
                   : t->ty.ndim ? t->ty.dims[0] : 1;
  int64_t fan_out = t->ty.ndim >= 2 ? t->ty.dims[0] * field : fan_in;
  LLVMValueRef f[] = {
    cstring(cg, t->name), i32c(cg, (int)t->ty.elem), i32c(cg, t->ty.ndim),
    i32c(cg, t->ty.varlen), LLVMConstArray2(cg->i64, dims, NETRT_MAX_DIMS),
    i64c(cg, count(&t->ty)), i64c(cg, offset), i32c(cg, (int)t->init.kind),
    f64c(cg, t->init.a), f64c(cg, t->init.b), i64c(cg, fan_in),
    i64c(cg, fan_out),
  };
  return LLVMConstNamedStruct(d->tensor, f, 12);
}

static LLVMValueRef tensor_array(Cg *cg, const Desc *d, const IrTensor *t,
                                 int n, const int64_t *offsets,
                                 const char *name) {
  if (n == 0)
    return LLVMConstNull(cg->ptr);
  LLVMValueRef *v = arena_array(LLVMValueRef, n);
  for (int i = 0; i < n; i++)
    v[i] = tensor_const(cg, d, &t[i], offsets ? offsets[i] : 0);
  LLVMValueRef arr = LLVMConstArray2(d->tensor, v, (uint64_t)n);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(arr), name);
  LLVMSetInitializer(g, arr);
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  return g;
}

/* The training block's hyperparameters: NetrtTrain's defaults. */
static LLVMValueRef hyper_const(Cg *cg, const IrTrain *t) {
  LLVMValueRef v[HY_COUNT];
  for (int k = 0; k < HY_COUNT; k++)
    v[k] = f64c(cg, t->hyper[k]);
  return LLVMConstArray2(cg->f64, v, HY_COUNT);
}

static LLVMValueRef train_const(Cg *cg, const Desc *d) {
  const IrTrain *t = &cg->p->train;
  LLVMValueRef f[] = {
    i32c(cg, (int)t->optimizer), hyper_const(cg, t),
    i64c(cg, t->batch), i64c(cg, t->epochs), i64c(cg, t->seed),
    i64c(cg, t->shuffle), i64c(cg, t->validation),
    t->data ? cstring(cg, t->data) : LLVMConstNull(cg->ptr),
    cstring(cg, t->data_options),
  };
  return LLVMConstNamedStruct(d->train, f, 9);
}

/* "name:dims;..." over parameters, inputs and targets, and the dtype. */
static const char *signature(Cg *cg) {
  const IrProgram *p = cg->p;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (!out)
    DIE("open_memstream failed");
  const IrTensor *lists[3] = {p->params, p->inputs, p->targets};
  int ns[3] = {p->nparams, p->ninputs, p->ntargets};
  for (int l = 0; l < 3; l++)
    for (int i = 0; i < ns[l]; i++)
      fprintf(out, "%s:%s;", lists[l][i].name, type_str(&lists[l][i].ty));
  fprintf(out, "f%d", cg->bytes * 8);
  fclose(out);
  char *s = arena_strdup(buf);
  free(buf);
  return s;
}

void cg_build_descriptor(Cg *cg, LLVMValueRef fns[8]) {
  Desc d;
  desc_types(cg, &d);
  const IrProgram *p = cg->p;
  const Plan *pl = cg->plan;
  IrTensor out = {"output", p->output ? p->output->ty : type_scalar(),
                  {NETRT_INIT_ZEROS, 0, 0}};
  if (!p->output)
    out.ty = type_vector(0);      /* predict writes nothing */
  LLVMValueRef f[] = {
    i32c(cg, NETRT_ABI_VERSION), cstring(cg, p->name),
    cstring(cg, signature(cg)), i32c(cg, cg->bytes), i32c(cg, cg->o->batch),
    i64c(cg, pl->param_count), i64c(cg, pl->param_count * pl->slots),
    i64c(cg, pl->ws_bytes), i64c(cg, pl->flops),
    i32c(cg, p->nparams), i32c(cg, p->ninputs), i32c(cg, p->ntargets),
    tensor_array(cg, &d, p->params, p->nparams, pl->param_offset, "params"),
    tensor_array(cg, &d, p->inputs, p->ninputs, NULL, "inputs"),
    tensor_array(cg, &d, p->targets, p->ntargets, NULL, "targets"),
    tensor_const(cg, &d, &out, 0), train_const(cg, &d),
    fns[0], fns[1], fns[2], fns[3], fns[4], fns[5], fns[6], fns[7],
    i32c(cg, pl->param_terms), i64c(cg, p->min_steps),
    cstring(cg, target_name(cg->o->target)),
    cstring(cg, target_cpu_features(cg->o->target)),
  };
  const char *name = arena_printf("netc_model_%s", p->name);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, d.model, name);
  LLVMSetInitializer(g, LLVMConstNamedStruct(d.model, f, 29));
  LLVMSetGlobalConstant(g, 1);
  if (cg->o->main_model) {
    LLVMValueRef m = LLVMAddGlobal(cg->mod, cg->ptr, "netrt_main_model");
    LLVMSetInitializer(m, g);
    LLVMSetGlobalConstant(m, 1);
  }
}
