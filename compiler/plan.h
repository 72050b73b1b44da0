/* compiler/plan.h — what code generation will do, decided before it
 * builds anything: which values are computed inside their readers,
 * which products become GEMMs and where they put their results, which
 * values are read in place in another's storage, and where everything
 * else lives in the workspace.  No LLVM here (plan.c). */
#ifndef NETC_PLAN_H
#define NETC_PLAN_H

#include <stdio.h>

#include "ir.h"

/* A GEMM's register tile: rows of the output by vectors of its
 * columns, one accumulator register each. */
typedef struct PlanTile {
  int rows, vecs;
} PlanTile;

/* The facts of the target and the compilation the plan depends on. */
typedef struct PlanTarget {
  int bytes;            /* of a real: 4 (f32) or 8 (f64) */
  int batch;            /* the batch the code is specialized to */
  int lanes;            /* reals in the GEMM kernels' vectors */
  int vector_regs;      /* the target's vector registers */
  PlanTile tile;        /* the GEMM kernels' full register tile */
  int64_t l1d, l2;      /* bytes of cache per core */
} PlanTarget;

/* The largest a tile may be (the kernels' arrays of accumulators). */
enum { MAX_TILE_ROWS = 16, MAX_TILE_VECS = 8 };

/* The register tile for a target of vector_regs registers, from the
 * registers alone (plan.c says how). */
PlanTile plan_register_tile(int vector_regs);
/* The rows of a tile of vecs vectors, fewer than the full tile's (the
 * columns left after the full tiles). */
int plan_tile_rows(int vector_regs, PlanTile full, int vecs);
/* The depth a GEMM of `rows` rows runs in one pass (plan_tile.c says
 * why): deeper ones run in blocks of it. */
int64_t plan_depth_block(const PlanTarget *t, int64_t rows);
/* Parses "6x2" (--tile=); false if it is not a tile the kernels take. */
bool plan_parse_tile(const char *s, PlanTile *t);

/* The most products and other terms one GEMM sum takes (the kernels'
 * arguments). */
enum { MAX_ADDENDS = 3, MAX_PRODUCTS = 8 };

/* Packing a matrix costs about what multiplying it by PACK_MIN_ROWS
 * vectors costs. */
enum { PACK_MIN_ROWS = 12 };

/* Arrays by value id (0..nids) unless they say otherwise. */
typedef struct Plan {
  const IrProgram *p;
  int bytes, batch, lanes, vector_regs;
  PlanTile tile;
  /* the parameter buffer: parameter k at param_offset[k] reals */
  int64_t *param_offset;       /* by parameter */
  int64_t param_count;
  int slots;                   /* optimizer state per parameter value */
  /* computed where they are read, with no storage of their own */
  bool *fused;                 /* inside the value that uses it */
  bool *inlined;               /* elementwise values computed where their
                                  one elementwise reader loads them */
  bool *add_tree;              /* a sum of unslices (an adjoint gathered
                                  from its slices' adjoints): one buffer */
  bool *gemm_root;             /* a sum of products and addends computed
                                  by the products' GEMMs (mark_gemm_sums) */
  bool *hoisted;               /* a loop's summed weight gradient: one
                                  GEMM over every step, after the loop */
  bool *unused;                /* loop outputs nothing reads: not written */
  /* read in place in another value's storage */
  bool *step_view;             /* a step_in read in its sequence */
  const IrValue **slice_of;    /* a slice read in this value (a contiguous
                                  part of it), or NULL */
  int64_t *slice_at;           /* where in that value, in reals */
  const IrValue **stack_of;    /* a body value computed in place in this
                                  stacked loop output, or NULL */
  bool *per_step;              /* a body value kept at every step (read by
                                  a backward loop, a hoisted GEMM or the
                                  next step); the others reuse one slot */
  int *grad_param;             /* k + 1 when it is parameter k's gradient,
                                  computed in place in the grads argument
                                  of gradient_shard; 0: not */
  /* the workspace, in bytes */
  int64_t *offset;             /* each stored value's */
  int64_t *pack_offset;        /* its transpose packed for GEMMs; 0: none */
  int64_t *pack_steps;         /* the fewest steps of the loops the packed
                                  value's products are in (1: none) */
  int64_t *swap_offset;        /* by loop output: the transpose its hoisted
                                  weight gradient is summed in; 0: none */
  int64_t grad_offset;         /* the gradients of a whole step */
  int64_t zero_targets;        /* predict's targets: pointers to ... */
  int64_t *target_zeros;       /* by target: ... its batch of zeros, up
                                  to the end of the workspace */
  int64_t ws_bytes;
  /* train_step with the optimizer in its weight gradients' GEMMs */
  int *gemm_update;            /* k + 1 when it is parameter k's gradient,
                                  which its GEMM's tiles apply as they
                                  finish; 0: not */
  bool any_gemm_update;
  /* the values each entry point computes */
  bool *live;                  /* the gradient's: what the loss, the output
                                  and the gradients read (nothing dead) */
  bool *forward;               /* evaluate's: the forward pass */
  /* what the runtime's threads may do with the entry points */
  bool shards_add_up;          /* shards' gradients sum to the batch's */
  bool param_terms;            /* the loss has terms without examples */
  int64_t flops;               /* of one step at the compiled batch */
} Plan;

/* p must have its gradients (ir_grad). */
Plan *plan_program(const IrProgram *p, const PlanTarget *t);
/* netc --dump=plan: a stable text form of the plan (docs/ir.md). */
void plan_dump(FILE *out, const Plan *pl);

/* Questions about a value that both the plan and code generation ask. */
bool plan_in_body(const IrValue *v);
bool plan_batched_matvec(const IrValue *v);
bool plan_stored_once(const Plan *pl, const IrValue *v);
const IrValue *plan_transposed_source(const Plan *pl, const IrValue *a);
int64_t plan_slot_bytes(const Plan *pl, const IrValue *v);
int64_t plan_example_stride(const Plan *pl, const IrValue *v);
int64_t plan_step_stride(const Plan *pl, const IrValue *v, const IrLoop *l);
bool plan_narrow_gradient(const Plan *pl, const IrValue *out);
bool plan_swapped_sum(const Plan *pl, const IrLoop *l, int k);

#endif
