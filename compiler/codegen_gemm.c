/* compiler/codegen_gemm.c — the GEMM kernels and the products that run
 * on them.
 *
 * Register-tiled kernels written with LLVM vectors, one LLVM function
 * per distinct kernel (its strides, width, addends, and whether its
 * tiles apply the optimizer), called wherever a product of that form
 * runs; the batched matrix-vector products, GEMM sums and batch sums of
 * outer products that the plan gives them; the dot-product tiles used
 * where a pack does not pay; transposes and packs.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codegen_internal.h"
#include "diag.h"

/* ---- GEMM micro-kernels ------------------------------------------------- *
 *
 * The products that carry nearly all the arithmetic: a shared matrix
 * times a vector of every example (dense layers, the gates of a cell and
 * their adjoints), and the batch sum of outer products (weight
 * gradients).  Both run as register tiles: R rows by C vectors of
 * accumulators, one vector load of the matrix per C*R multiply-adds, the
 * batch a run-time count, every other size a constant, the last vector
 * of a row masked.
 */

/* A finished tile's vector x of the gradient at row i, column j: the
 * optimizer's step on the parameter and state there. */
static void emit_tile_update(Cg *cg, const Gemm *g, LLVMValueRef i,
                             LLVMValueRef j, LLVMValueRef x, int tail) {
  LLVMValueRef at = add(cg, mul(cg, i, i64c(cg, g->out_row)), j);
  Slot s = {.tail = tail};
  for (int k = 0; k < 3; k++)
    s.ptr[k] = gep(cg, g->state,
                   add(cg, at, i64c(cg, k * cg->plan->param_count)));
  cg_emit_update_element(cg, &cg->kernel_hy, x, gep(cg, g->params, at), &s);
}

/* Where the tile of C vectors from column j0 (the last `tail` lanes
 * wide) finds row k of b: in b as it lies, or in the panel of its
 * columns, which starts at j0 * depth and holds rows as wide as the
 * tile (the panels are the tile's width but the last, which holds the
 * columns left). */
static LLVMValueRef b_tile_row(Cg *cg, const Gemm *g, LLVMValueRef k,
                               LLVMValueRef j0, int C, int tail) {
  if (!g->b_panels)
    return gep(cg, g->b_base, add(cg, mul(cg, k, i64c(cg, g->b_row)), j0));
  int64_t width = (int64_t)(C - 1) * cg->lanes + (tail ? tail : cg->lanes);
  LLVMValueRef panel = gep(cg, g->b_base, mul(cg, j0, g->depth));
  return gep(cg, panel, mul(cg, k, i64c(cg, width)));
}

/* R rows from i0 by C vectors from column j0, the last `tail` lanes
 * wide (0: full). */
static void emit_gemm_tile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                           LLVMValueRef j0, int C, int tail) {
  LLVMValueRef acc[MAX_TILE_ROWS][MAX_TILE_VECS];
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef orow = gep(cg, g->out_base, mul(cg, i, i64c(cg, g->out_row)));
    for (int c = 0; c < C; c++) {
      int lanes = c == C - 1 ? tail : 0;
      LLVMValueRef j = add(cg, j0, i64c(cg, c * cg->lanes));
      LLVMValueRef x = g->accumulate ? cg_vec_load(cg, gep(cg, orow, j), lanes)
                                     : LLVMConstNull(cg->vec);
      for (int k = 0; k < g->nadd; k++) {
        LLVMValueRef arow = gep(cg, g->add_base[k],
                                mul(cg, i, i64c(cg, g->add_row[k])));
        x = LLVMBuildFAdd(cg->b, x, cg_vec_load(cg, gep(cg, arow, j), lanes),
                          "");
      }
      acc[r][c] = cg_acc_new(cg, x);
    }
  }
  Loop lk;
  LLVMValueRef k = cg_loop_open(cg, &lk, g->depth);
  LLVMValueRef brow = b_tile_row(cg, g, k, j0, C, tail);
  LLVMValueRef bv[MAX_TILE_VECS];
  for (int c = 0; c < C; c++)
    bv[c] = cg_vec_load(cg, gep(cg, brow, i64c(cg, c * cg->lanes)),
                        c == C - 1 ? tail : 0);
  LLVMValueRef arow = gep(cg, g->a_base, mul(cg, k, i64c(cg, g->a_step)));
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->real,
        gep(cg, arow, mul(cg, i, i64c(cg, g->a_row))), "");
    LLVMValueRef xs = cg_vec_splat(cg, x);
    for (int c = 0; c < C; c++) {
      LLVMValueRef s = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
      LLVMBuildStore(cg->b, cg_vec_fma(cg, xs, bv[c], s), acc[r][c]);
    }
  }
  cg_loop_close(cg, &lk);
  for (int r = 0; r < R; r++) {
    LLVMValueRef i = add(cg, i0, i64c(cg, r));
    LLVMValueRef orow = gep(cg, g->out_base, mul(cg, i, i64c(cg, g->out_row)));
    for (int c = 0; c < C; c++) {
      LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
      LLVMValueRef j = add(cg, j0, i64c(cg, c * cg->lanes));
      if (g->update)
        emit_tile_update(cg, g, i, j, x, c == C - 1 ? tail : 0);
      else
        cg_vec_store(cg, x, gep(cg, orow, j), c == C - 1 ? tail : 0);
    }
  }
}

/* One tile of R rows from i0, of the columns arg says. */
typedef void EmitRowTile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                         const void *arg);

/* Rows in tiles of R, then what is left (fewer than R) in tiles of the
 * powers of two below R, largest first, so no row runs with a single
 * row's accumulators unless one row is left. */
static void emit_row_tiles(Cg *cg, const Gemm *g, int R, EmitRowTile *tile,
                           const void *arg) {
  Loop lt;
  LLVMValueRef tiles = LLVMBuildSDiv(cg->b, g->rows, i64c(cg, R), "");
  LLVMValueRef t = cg_loop_open(cg, &lt, tiles);
  tile(cg, g, mul(cg, t, i64c(cg, R)), R, arg);
  cg_loop_close(cg, &lt);
  LLVMValueRef done = cg_local(cg, cg->i64);
  LLVMBuildStore(cg->b, mul(cg, tiles, i64c(cg, R)), done);
  int part = 1;
  while (2 * part < R)
    part *= 2;
  for (; part >= 1; part /= 2) {
    LLVMValueRef i0 = LLVMBuildLoad2(cg->b, cg->i64, done, "");
    LLVMValueRef left = LLVMBuildSub(cg->b, g->rows, i0, "");
    LLVMBasicBlockRef after = cg_if_open(cg,
        LLVMBuildICmp(cg->b, LLVMIntSGE, left, i64c(cg, part), ""));
    tile(cg, g, i0, part, arg);
    LLVMBuildStore(cg->b, add(cg, i0, i64c(cg, part)), done);
    cg_if_close(cg, after);
  }
}

/* C vectors of columns from j0, the last tail lanes wide (0: full). */
typedef struct Cols {
  LLVMValueRef j0;
  int C, tail;
} Cols;

static void emit_cols_tile(Cg *cg, const Gemm *g, LLVMValueRef i0, int R,
                           const void *arg) {
  const Cols *c = arg;
  emit_gemm_tile(cg, g, i0, R, c->j0, c->C, c->tail);
}

/* A block of C vectors of columns down every row, in tiles of as many
 * rows as C vectors take (plan_tile_rows). */
static void emit_gemm_rows(Cg *cg, const Gemm *g, LLVMValueRef j0, int C,
                           int tail) {
  Cols c = {j0, C, tail};
  emit_row_tiles(cg, g, plan_tile_rows(cg->vector_regs, cg->tile, C),
                 emit_cols_tile, &c);
}

/* The full-width column blocks in a loop (one copy of the tiles' code,
 * not one per block: a kernel of 512 columns was eight), then the rest. */
static void emit_gemm_body(Cg *cg, const Gemm *g) {
  int V = cg->tile.vecs;
  int64_t width = V * cg->lanes, blocks = g->cols / width;
  if (blocks == 1) {
    emit_gemm_rows(cg, g, i64c(cg, 0), V, 0);
  } else if (blocks > 1) {
    Loop lj;
    LLVMValueRef j = cg_loop_open(cg, &lj, i64c(cg, blocks));
    emit_gemm_rows(cg, g, mul(cg, j, i64c(cg, width)), V, 0);
    cg_loop_close(cg, &lj);
  }
  int64_t j0 = blocks * width, left = g->cols - j0;
  if (left > 0)
    emit_gemm_rows(cg, g, i64c(cg, j0),
                   (int)((left + cg->lanes - 1) / cg->lanes),
                   (int)(left % cg->lanes));
}

/* Rows [i0, i0 + R) across every column block. */
static void emit_gemm_row_tile(Cg *cg, const Gemm *g, LLVMValueRef i0,
                               int R, const void *unused) {
  (void)unused;
  int V = cg->tile.vecs;
  int64_t width = V * cg->lanes, blocks = g->cols / width;
  if (blocks > 0) {
    Loop lj;
    LLVMValueRef j = cg_loop_open(cg, &lj, i64c(cg, blocks));
    emit_gemm_tile(cg, g, i0, R, mul(cg, j, i64c(cg, width)), V, 0);
    cg_loop_close(cg, &lj);
  }
  int64_t j0 = blocks * width, left = g->cols - j0;
  if (left > 0)
    emit_gemm_tile(cg, g, i0, R, i64c(cg, j0),
                   (int)((left + cg->lanes - 1) / cg->lanes),
                   (int)(left % cg->lanes));
}

/* An updating GEMM walks its output row by row: its tiles then read and
 * write the parameters and their state in a few contiguous streams, not
 * in 256-byte pieces a matrix apart (which left the MLP's fused update
 * no faster than a separate one). */
static void emit_gemm_body_by_rows(Cg *cg, const Gemm *g) {
  emit_row_tiles(cg, g, cg->tile.rows, emit_gemm_row_tile, NULL);
}

/* The kernel of g's shape and strides as a function of its three bases,
 * rows and depth: built once per module and called wherever a product
 * of that form runs (the forward pass of gradient, evaluate and predict
 * share it), so LLVM optimizes each kernel once. */
static LLVMTypeRef gemm_function_type(Cg *cg, const Gemm *g) {
  LLVMTypeRef args[9 + MAX_ADDENDS] = {cg->ptr, cg->ptr, cg->ptr, cg->i64,
                                       cg->i64};
  unsigned n = 5;
  for (int k = 0; k < g->nadd; k++)
    args[n++] = cg->ptr;
  if (g->update) {                /* params, state, step, hyper */
    args[n++] = cg->ptr;
    args[n++] = cg->ptr;
    args[n++] = cg->i64;
    args[n++] = cg->ptr;
  }
  return LLVMFunctionType(cg->voidt, args, n, 0);
}

/* An updating kernel's hyperparameters, read once at its entry, as
 * vectors. */
static void kernel_hyper(Cg *cg, const Gemm *g) {
  Hyper *hy = &cg->kernel_hy;
  cg_load_hyper(cg, g->hyper, hy);
  cg_fix_to_defaults(cg, hy);
  cg_step_hyper(cg, hy, g->step);
  for (int k = 0; k < HY_COUNT; k++)
    hy->v[k] = cg_vec_splat(cg, hy->v[k]);
  hy->clr = cg_vec_splat(cg, hy->clr);
  hy->bc1 = cg_vec_splat(cg, hy->bc1);
  hy->sqrt_bc2 = cg_vec_splat(cg, hy->sqrt_bc2);
}

static LLVMValueRef gemm_function(Cg *cg, const Gemm *g) {
  char name[200];
  int n = snprintf(name, sizeof name, "gemm_a%" PRId64 "_%" PRId64 "_b%"
                   PRId64 "_o%" PRId64 "_c%" PRId64 "%s", g->a_row,
                   g->a_step, g->b_row, g->out_row, g->cols,
                   g->accumulate ? "_acc" : "");
  for (int k = 0; k < g->nadd; k++)
    n += snprintf(name + n, sizeof name - (size_t)n, "_p%" PRId64,
                  g->add_row[k]);
  if (g->update)
    snprintf(name + n, sizeof name - (size_t)n, "_update");
  if (g->b_panels)
    snprintf(name + strlen(name), sizeof name - strlen(name), "_panels");
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, name);
  if (fn)
    return fn;
  Building outer = cg->f;
  LLVMBasicBlockRef outer_at = LLVMGetInsertBlock(cg->b);
  cg_begin(cg, name, gemm_function_type(cg, g));
  cg->f.kernel = true;
  fn = cg->f.fn;
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  cg_keep_apart(cg, fn);
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (unsigned k = 1; k <= 3; k++)        /* out never overlaps a or b */
    LLVMAddAttributeAtIndex(fn, k,
                            LLVMCreateEnumAttribute(cg->ctx, noalias, 0));
  Gemm body = *g;
  body.a_base = LLVMGetParam(fn, 0);
  body.b_base = LLVMGetParam(fn, 1);
  body.out_base = LLVMGetParam(fn, 2);
  body.rows = LLVMGetParam(fn, 3);
  body.depth = LLVMGetParam(fn, 4);
  unsigned n_args = 5;
  for (int k = 0; k < g->nadd; k++)
    body.add_base[k] = LLVMGetParam(fn, n_args++);
  if (g->update) {
    for (unsigned k = n_args + 1; k <= n_args + 2; k++)  /* params, state */
      LLVMAddAttributeAtIndex(fn, k,
                              LLVMCreateEnumAttribute(cg->ctx, noalias, 0));
    body.params = LLVMGetParam(fn, n_args++);
    body.state = LLVMGetParam(fn, n_args++);
    body.step = LLVMGetParam(fn, n_args++);
    body.hyper = LLVMGetParam(fn, n_args++);
    kernel_hyper(cg, &body);
    emit_gemm_body_by_rows(cg, &body);
  } else {
    emit_gemm_body(cg, &body);
  }
  LLVMBuildRetVoid(cg->b);
  cg->f = outer;
  LLVMPositionBuilderAtEnd(cg->b, outer_at);
  return fn;
}

static void call_gemm(Cg *cg, const Gemm *g) {
  LLVMValueRef fn = gemm_function(cg, g);
  LLVMValueRef args[9 + MAX_ADDENDS] = {g->a_base, g->b_base, g->out_base,
                                        g->rows, g->depth};
  unsigned n = 5;
  for (int k = 0; k < g->nadd; k++)
    args[n++] = g->add_base[k];
  if (g->update) {
    args[n++] = g->params;
    args[n++] = g->state;
    args[n++] = g->step;
    args[n++] = g->hyper;
  }
  LLVMBuildCall2(cg->b, gemm_function_type(cg, g), fn, args, n, "");
}

static LLVMValueRef min_i64(Cg *cg, LLVMValueRef a, LLVMValueRef b) {
  return sel(cg, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b);
}

/* The most a size can be: its value if a constant, else the compiled
 * batch (a run-time size is the call's batch). */
static int64_t size_bound(const Cg *cg, LLVMValueRef size) {
  return LLVMIsAConstantInt(size) ? LLVMConstIntGetSExtValue(size)
                                  : cg->o->batch;
}

/* A GEMM deeper than its depth block (plan_depth_block) runs block by
 * block: the first as asked, the others adding to the output.  Not one
 * that updates its parameter in its tiles, which needs the whole sum,
 * nor one with B in panels (the panels' rows are the whole depth). */
void cg_emit_gemm(Cg *cg, const Gemm *g) {
  int64_t block = plan_depth_block(&cg->target, size_bound(cg, g->rows));
  if (g->update || g->b_panels || size_bound(cg, g->depth) <= block) {
    call_gemm(cg, g);
    return;
  }
  LLVMValueRef kc = i64c(cg, block);
  Gemm part = *g;
  part.depth = min_i64(cg, g->depth, kc);
  call_gemm(cg, &part);
  part.accumulate = true;
  part.nadd = 0;
  Loop lb;
  LLVMValueRef rest = LLVMBuildSDiv(cg->b, LLVMBuildSub(cg->b, g->depth,
                                                        i64c(cg, 1), ""),
                                    kc, "");
  LLVMValueRef k0 = mul(cg, add(cg, cg_loop_open(cg, &lb, rest),
                                i64c(cg, 1)), kc);
  part.a_base = gep(cg, g->a_base, mul(cg, k0, i64c(cg, g->a_step)));
  part.b_base = gep(cg, g->b_base, mul(cg, k0, i64c(cg, g->b_row)));
  part.depth = min_i64(cg, LLVMBuildSub(cg->b, g->depth, k0, ""), kc);
  call_gemm(cg, &part);
  cg_loop_close(cg, &lb);
}

static LLVMValueRef batch_real(Cg *cg) {
  return LLVMBuildSIToFP(cg->b, cg->total, cg->real, "");
}

/* batch_sum(outer(g, x)): out[m,k] = sum over b of g[b,m] * x[b,k], row
 * by row, without the outer products of every example in memory. */
static void emit_outer_sum(Cg *cg, const IrValue *v, const IrValue *o) {
  const IrValue *g = o->args[0], *x = o->args[1];
  int64_t M = v->ty.dims[0], K = v->ty.dims[1];
  if (g->batched && x->batched) {
    Gemm gm = {
      .a_base = cg_value_base(cg, g), .a_row = 1,
      .a_step = plan_example_stride(cg->plan, g),
      .b_base = cg_value_base(cg, x), .b_row = plan_example_stride(cg->plan, x),
      .out_base = cg_value_base(cg, v), .out_row = K,
      .rows = i64c(cg, M), .depth = cg->batch, .cols = K,
    };
    int k = cg->f.updates ? cg->plan->gemm_update[v->id] - 1 : -1;
    if (k >= 0) {
      gm.update = true;
      gm.params = gep(cg, cg->params, i64c(cg, cg->plan->param_offset[k]));
      gm.state = gep(cg, cg->state, i64c(cg, cg->plan->param_offset[k]));
      gm.step = cg->step;
      gm.hyper = cg->hyper;
    }
    cg_emit_gemm(cg, &gm);
    return;
  }
  cg_fill(cg, v, NULL, 0);
  Loop lm, lb, lk;
  LLVMValueRef m = cg_loop_open(cg, &lm, i64c(cg, M));
  LLVMValueRef row = mul(cg, m, i64c(cg, K));
  LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
  LLVMValueRef gm = cg_load(cg, g, g->batched ? b : NULL, m);
  LLVMValueRef k = cg_loop_open(cg, &lk, i64c(cg, K));
  LLVMValueRef xk = cg_load(cg, x, x->batched ? b : NULL, k);
  cg_accumulate_at(cg, v, NULL, add(cg, row, k), f_mul(cg, gm, xk));
  cg_loop_close(cg, &lk);
  cg_loop_close(cg, &lb);
  cg_loop_close(cg, &lm);
}

void cg_emit_across_batch(Cg *cg, const IrValue *v) {
  const IrValue *a = v->args[0];
  int64_t n = count(&v->ty);
  Loop li, lb;
  if (v->op == IR_BATCH_SUM && cg->plan->fused[a->id]) {
    emit_outer_sum(cg, v, a);
    return;
  }
  if (v->op == IR_UNBATCH) {
    LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
    LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
    LLVMValueRef x = cg_load(cg, a, NULL, i);
    cg_store(cg, v, b, i, v->mean ? f_div(cg, x, batch_real(cg)) : x);
    cg_loop_close(cg, &li);
    cg_loop_close(cg, &lb);
    return;
  }
  /* examples outside, elements inside: rows are read as they lie */
  cg_fill(cg, v, NULL, 0);
  LLVMValueRef b = cg_loop_open(cg, &lb, cg->batch);
  LLVMValueRef i = cg_loop_open(cg, &li, i64c(cg, n));
  cg_accumulate_at(cg, v, NULL, i, cg_load(cg, a, a->batched ? b : NULL, i));
  cg_loop_close(cg, &li);
  cg_loop_close(cg, &lb);
  if (v->op != IR_BATCH_MEAN)
    return;
  i = cg_loop_open(cg, &li, i64c(cg, n));
  cg_store(cg, v, NULL, i, f_div(cg, cg_load(cg, v, NULL, i), batch_real(cg)));
  cg_loop_close(cg, &li);
}

/* y[b, m] = sum over k of x[b, k] * a[m, k]: the rows of a transposed
 * (packed once) or of w when a = transpose(w). */
static bool emit_matvec_gemm(Cg *cg, const IrValue *v, const Into *to) {
  const IrValue *a = v->args[0], *x = v->args[1];
  int64_t M = a->ty.dims[0], K = a->ty.dims[1];
  const IrValue *w = plan_transposed_source(cg->plan, a);
  if (!w && !cg->plan->pack_offset[a->id])
    return false;
  Gemm g = {
    .a_base = cg_value_base(cg, x), .a_row = plan_example_stride(cg->plan, x),
    .a_step = 1,
    .b_base = w ? cg_value_base(cg, w) : byte_gep(cg, cg->ws,
                                                  cg->plan->pack_offset[a->id]),
    .b_row = M, .b_panels = !w, .out_base = cg_value_base(cg, to->out),
    .out_row = plan_example_stride(cg->plan, to->out),
    .rows = cg->batch, .depth = i64c(cg, K), .cols = M,
    .accumulate = to->accumulate, .nadd = to->nadd,
  };
  for (int k = 0; k < to->nadd; k++) {
    g.add_base[k] = cg_value_base(cg, to->add[k]);
    g.add_row[k] = to->add[k]->batched
                       ? plan_example_stride(cg->plan, to->add[k]) : 0;
  }
  cg_emit_gemm(cg, &g);
  return true;
}

static void emit_matvec_dot_tiles(Cg *cg, const IrValue *v, const Into *to);
static LLVMValueRef pack_pays(Cg *cg, const IrValue *a);

/* With a packed matrix, the GEMM when this call's batch is large enough
 * to pay for the pack (see PACK_MIN_ROWS), dot products otherwise. */
static void emit_matvec_into(Cg *cg, const IrValue *v, const Into *to) {
  const IrValue *a = v->args[0];
  if (plan_transposed_source(cg->plan, a) || !cg->plan->pack_offset[a->id]) {
    if (!emit_matvec_gemm(cg, v, to))
      emit_matvec_dot_tiles(cg, v, to);
    return;
  }
  LLVMValueRef pays = pack_pays(cg, a);
  LLVMBasicBlockRef after = cg_if_open(cg, pays);
  emit_matvec_gemm(cg, v, to);
  cg_if_close(cg, after);
  after = cg_if_open(cg, LLVMBuildNot(cg->b, pays, ""));
  emit_matvec_dot_tiles(cg, v, to);
  cg_if_close(cg, after);
}

void cg_emit_batched_matvec(Cg *cg, const IrValue *v) {
  Into own = {.out = v};
  emit_matvec_into(cg, v, &own);
}

/* A sum's terms (mark_gemm_sums): its products, then its addends; the
 * adds between them are fused.  False when it has too many of either. */
static bool gemm_sum_terms(const Cg *cg, const IrValue *v,
                           const IrValue **prod, int *nprod, Into *to) {
  for (int k = 0; k < 2; k++) {
    const IrValue *a = v->args[k];
    if (a->op == IR_ADD && cg->plan->fused[a->id]) {
      if (!gemm_sum_terms(cg, a, prod, nprod, to))
        return false;
    } else if (plan_batched_matvec(a) && cg->plan->fused[a->id]) {
      if (*nprod == MAX_PRODUCTS)
        return false;
      prod[(*nprod)++] = a;
    } else if (to->nadd < MAX_ADDENDS) {
      to->add[to->nadd++] = a;
    } else {
      return false;
    }
  }
  return true;
}

/* The first product's GEMM starts from the addends, the others add to
 * it: no buffer for any product, no pass over them to add them up. */
void cg_emit_gemm_sum(Cg *cg, const IrValue *v) {
  const IrValue *prod[MAX_PRODUCTS];
  int nprod = 0;
  Into to = {.out = v};
  if (!gemm_sum_terms(cg, v, prod, &nprod, &to))
    DIE("codegen: %%%d is not a sum of products", v->id);
  for (int i = 0; i < nprod; i++) {
    emit_matvec_into(cg, prod[i], &to);
    to.accumulate = true;
    to.nadd = 0;
  }
}

enum { DOT_ROWS = 4, DOT_COLS = 4 };

/* Examples per dot-product tile: DOT_COLS rows of a are DOT_COLS vector
 * registers, and each example's accumulators DOT_COLS more; at most
 * DOT_ROWS examples, as many as the registers take (2 with 16). */
static int dot_tile_rows(const Cg *cg) {
  int rows = (cg->vector_regs - 2 - DOT_COLS) / DOT_COLS;
  return rows < 1 ? 1 : rows > DOT_ROWS ? DOT_ROWS : rows;
}

/* y[b, m] for R examples from b0 and C rows of a from m0: R*C vector
 * accumulators along k, then one horizontal sum each. */
static void emit_dot_tile(Cg *cg, const IrValue *v, const Into *to,
                          LLVMValueRef b0, int R, LLVMValueRef m0, int C) {
  const IrValue *a = v->args[0], *x = v->args[1];
  int64_t K = a->ty.dims[1], full = K / cg->lanes;
  int tail = (int)(K % cg->lanes);
  LLVMValueRef xb = cg_value_base(cg, x), ab = cg_value_base(cg, a);
  LLVMValueRef xrow[DOT_ROWS], arow[DOT_COLS], acc[DOT_ROWS][DOT_COLS];
  for (int r = 0; r < R; r++) {
    xrow[r] = gep(cg, xb, mul(cg, add(cg, b0, i64c(cg, r)),
                              i64c(cg, plan_example_stride(cg->plan, x))));
    for (int c = 0; c < C; c++)
      acc[r][c] = cg_acc_new(cg, LLVMConstNull(cg->vec));
  }
  for (int c = 0; c < C; c++)
    arow[c] = gep(cg, ab, mul(cg, add(cg, m0, i64c(cg, c)), i64c(cg, K)));
  for (int pass = 0; pass < 2; pass++) {     /* whole vectors, then tail */
    if (pass == 1 && !tail)
      break;
    Loop lk;
    LLVMValueRef k = pass == 0 ? cg_loop_open(cg, &lk, i64c(cg, full))
                               : i64c(cg, full);
    LLVMValueRef at = mul(cg, k, i64c(cg, cg->lanes));
    LLVMValueRef av[DOT_COLS];
    for (int c = 0; c < C; c++)
      av[c] = cg_vec_load(cg, gep(cg, arow[c], at), pass ? tail : 0);
    for (int r = 0; r < R; r++) {
      LLVMValueRef xv = cg_vec_load(cg, gep(cg, xrow[r], at), pass ? tail : 0);
      for (int c = 0; c < C; c++) {
        LLVMValueRef sum = LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "");
        LLVMBuildStore(cg->b, cg_vec_fma(cg, xv, av[c], sum), acc[r][c]);
      }
    }
    if (pass == 0)
      cg_loop_close(cg, &lk);
  }
  LLVMTypeRef fty;
  LLVMValueRef reduce = cg_intrinsic(cg, "llvm.vector.reduce.fadd", &cg->vec, 1,
                                     &fty);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) {
      LLVMValueRef args[2] = {realc(cg, 0),
                              LLVMBuildLoad2(cg->b, cg->vec, acc[r][c], "")};
      LLVMValueRef y = LLVMBuildCall2(cg->b, fty, reduce, args, 2, "");
      LLVMSetFastMathFlags(y, LLVMFastMathAllowReassoc);
      LLVMValueRef b = add(cg, b0, i64c(cg, r)), m = add(cg, m0, i64c(cg, c));
      if (to->accumulate)
        y = f_add(cg, cg_load(cg, to->out, b, m), y);
      for (int k = 0; k < to->nadd; k++)
        y = f_add(cg, y, cg_load(cg, to->add[k], to->add[k]->batched ? b : NULL,
                                 m));
      cg_store(cg, to->out, b, m, y);
    }
}

/* Every example for C rows of a from m0: tiles of dot_tile_rows
 * examples, then one by one. */
static void emit_dot_rows(Cg *cg, const IrValue *v, const Into *to,
                          LLVMValueRef m0, int C) {
  Loop lt, lr;
  int R = dot_tile_rows(cg);
  LLVMValueRef tiles = LLVMBuildSDiv(cg->b, cg->batch, i64c(cg, R), "");
  LLVMValueRef t = cg_loop_open(cg, &lt, tiles);
  emit_dot_tile(cg, v, to, mul(cg, t, i64c(cg, R)), R, m0, C);
  cg_loop_close(cg, &lt);
  LLVMValueRef done = mul(cg, tiles, i64c(cg, R));
  LLVMValueRef r = cg_loop_open(cg, &lr, LLVMBuildSub(cg->b, cg->batch, done,
                                                      ""));
  emit_dot_tile(cg, v, to, add(cg, done, r), 1, m0, C);
  cg_loop_close(cg, &lr);
}

/* y = a x for every example with a's rows as they lie, no pack: dot
 * products along k, a few examples by DOT_COLS rows at a time. */
static void emit_matvec_dot_tiles(Cg *cg, const IrValue *v, const Into *to) {
  int64_t M = v->args[0]->ty.dims[0], groups = M / DOT_COLS;
  Loop lg;
  LLVMValueRef g = cg_loop_open(cg, &lg, i64c(cg, groups));
  emit_dot_rows(cg, v, to, mul(cg, g, i64c(cg, DOT_COLS)), DOT_COLS);
  cg_loop_close(cg, &lg);
  if (M % DOT_COLS)
    emit_dot_rows(cg, v, to, i64c(cg, groups * DOT_COLS),
                  (int)(M % DOT_COLS));
}

/* The [rows, cols] matrix at from, transposed into [cols, rows] at to,
 * in strips of one cache line of columns: each row's strip is one cache
 * line read, and the strip's output rows are as many lines written in
 * step, so neither side misses the cache element by element (a plain
 * strided loop cost 4% of an LSTM step). */
void cg_emit_transpose_into(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                            int64_t rows, int64_t cols) {
  int64_t strip = 64 / cg->bytes;
  int64_t strips = (cols + strip - 1) / strip;
  Loop ls, lr, lc;
  LLVMValueRef s = cg_loop_open(cg, &ls, i64c(cg, strips));
  LLVMValueRef c0 = mul(cg, s, i64c(cg, strip));
  LLVMValueRef left = LLVMBuildSub(cg->b, i64c(cg, cols), c0, "");
  LLVMValueRef wide = LLVMBuildICmp(cg->b, LLVMIntSLT, left,
                                    i64c(cg, strip), "");
  LLVMValueRef width = sel(cg, wide, left, i64c(cg, strip));
  LLVMValueRef r = cg_loop_open(cg, &lr, i64c(cg, rows));
  LLVMValueRef cc = cg_loop_open(cg, &lc, width);
  LLVMValueRef c = add(cg, c0, cc);
  LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->real,
      gep(cg, from, add(cg, mul(cg, r, i64c(cg, cols)), c)), "");
  LLVMBuildStore(cg->b, x, gep(cg, to, add(cg, mul(cg, c, i64c(cg, rows)),
                                           r)));
  cg_loop_close(cg, &lc);
  cg_loop_close(cg, &lr);
  cg_loop_close(cg, &ls);
}

/* The panel of the [rows, cols] matrix at from whose transpose's
 * columns are j0 .. j0 + width: to[j0 * cols + k * width + c] =
 * from[(j0 + c) * cols + k].  Each row of from is read in order; the
 * writes, a panel row apart, stay within the panel, which is as small as
 * the kernel's tile is wide (8 KiB for 16 floats by 128). */
static void emit_pack_panel(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                            LLVMValueRef j0, int64_t width, int64_t cols) {
  LLVMValueRef panel = gep(cg, to, mul(cg, j0, i64c(cg, cols)));
  Loop lc, lk;
  LLVMValueRef c = cg_loop_open(cg, &lc, i64c(cg, width));
  LLVMValueRef row = gep(cg, from, mul(cg, add(cg, j0, c), i64c(cg, cols)));
  LLVMValueRef k = cg_loop_open(cg, &lk, i64c(cg, cols));
  LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->real, gep(cg, row, k), "");
  LLVMBuildStore(cg->b, x, gep(cg, panel, add(cg, mul(cg, k,
                                                      i64c(cg, width)), c)));
  cg_loop_close(cg, &lk);
  cg_loop_close(cg, &lc);
}

/* The transpose of the [rows, cols] matrix at from, [cols, rows], in
 * the panels a GEMM kernel reads (Gemm.b_panels): the columns of a tile
 * of the transpose, one after another for every row, so that the kernel
 * reads its part of b in order, not a row of the whole matrix apart
 * (rows a power of two of bytes apart share a few cache sets: a 512-wide
 * panel's 128 rows did not stay in L1). */
void cg_emit_pack_panels(Cg *cg, LLVMValueRef from, LLVMValueRef to,
                         int64_t rows, int64_t cols) {
  int64_t width = (int64_t)cg->tile.vecs * cg->lanes, panels = rows / width;
  if (panels > 0) {
    Loop lp;
    LLVMValueRef p = cg_loop_open(cg, &lp, i64c(cg, panels));
    emit_pack_panel(cg, from, to, mul(cg, p, i64c(cg, width)), width, cols);
    cg_loop_close(cg, &lp);
  }
  if (rows % width)
    emit_pack_panel(cg, from, to, i64c(cg, panels * width), rows % width,
                    cols);
}

/* a's transpose into its pack, in panels: [M, K] -> [K, M], when the
 * call's batch makes it pay. */
void cg_emit_pack(Cg *cg, const IrValue *a) {
  LLVMBasicBlockRef after = cg_if_open(cg, pack_pays(cg, a));
  cg_emit_pack_panels(cg, cg_value_base(cg, a),
                      byte_gep(cg, cg->ws, cg->plan->pack_offset[a->id]),
                      a->ty.dims[0], a->ty.dims[1]);
  cg_if_close(cg, after);
}

/* Whether this call multiplies a's pack by enough vectors to pay for it
 * (an i1): the compiled batch decides whether a is packed at all, the
 * call's batch (predict at batch 1, an empty shard) whether it is now. */
static LLVMValueRef pack_pays(Cg *cg, const IrValue *a) {
  LLVMValueRef rows = mul(cg, cg->batch, i64c(cg, cg->plan->pack_steps[a->id]));
  return LLVMBuildICmp(cg->b, LLVMIntSGE, rows, i64c(cg, PACK_MIN_ROWS), "");
}
