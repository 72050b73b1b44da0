/* compiler/plan_tile.c — the GEMM kernels' register tiles, derived from
 * the target's vector registers.
 *
 * A kernel's tile keeps R rows by C vectors of the output in registers
 * while it runs down the depth: each step loads C vectors of B and
 * broadcasts R elements of A, then does R*C fused multiply-adds.  As in
 * BLIS's analytical model (Low et al., "Analytical Modeling Is Enough for
 * High-Performance BLIS", 2016), the tile must fit the registers (R*C
 * accumulators, the C vectors of B, one register for A's broadcast and
 * one spare, for a mask of the last vector or B's next load), must have
 * enough accumulators to hide the FMA's latency (R*C chains of dependent
 * FMAs, at least MIN_ACCUMULATORS), and among those it loads the fewest
 * values per multiply-add, (R + C) / (R*C).  The vectors across are a
 * power of two, since the models' widths are multiples of the vectors'
 * (128 units, 4 gates of 128): a tile of 3 or 5 vectors leaves columns
 * over where one of 2 or 4 divides them.  16 registers (AVX2, SSE2)
 * give 6 rows by 2 vectors; 32 (AVX-512, NEON) 6 by 4, which trained
 * the MNIST LSTM 10% faster than 14 by 2 on a Zen 4 (6,640 samples/s
 * against 6,001, one thread).  No LLVM, no ISA: only the register count
 * (target.c gives it).
 */
#include <config.h>

#include <stdlib.h>

#include "plan.h"

enum { RESERVED_REGS = 2 };   /* A's broadcast and a spare */

static int rows_that_fit(int vector_regs, int vecs) {
  int rows = (vector_regs - RESERVED_REGS - vecs) / vecs;
  if (rows > MAX_TILE_ROWS)
    rows = MAX_TILE_ROWS;
  return rows < 1 ? 1 : rows;
}

enum { MIN_ACCUMULATORS = 8 };   /* 2 FMA units at a latency of 4 */

/* Whether a tile of rows by vecs loads fewer values per multiply-add
 * than one of the other's, or as few with more accumulators. */
static bool loads_less(int rows, int vecs, PlanTile than) {
  long mine = (long)(rows + vecs) * than.rows * than.vecs;
  long theirs = (long)(than.rows + than.vecs) * rows * vecs;
  return mine < theirs ||
         (mine == theirs && rows * vecs > than.rows * than.vecs);
}

PlanTile plan_register_tile(int vector_regs) {
  PlanTile best = {0, 0};
  for (int vecs = 2; vecs <= MAX_TILE_VECS; vecs *= 2) {
    int rows = rows_that_fit(vector_regs, vecs);
    if (rows * vecs + vecs + RESERVED_REGS > vector_regs ||
        rows * vecs < MIN_ACCUMULATORS)
      continue;
    if (!best.rows || loads_less(rows, vecs, best))
      best = (PlanTile){rows, vecs};
  }
  if (!best.rows)              /* too few registers for any: the least */
    best = (PlanTile){rows_that_fit(vector_regs, 2), 2};
  return best;
}

/* Fewer vectors leave registers for more rows, up to the full tile's
 * accumulators: one vector's tile (a ten-class layer's columns) needs
 * several rows to keep the FMA units busy, since each row's accumulator
 * is a chain of dependent FMAs. */
int plan_tile_rows(int vector_regs, PlanTile full, int vecs) {
  if (vecs >= full.vecs)
    return full.rows;
  int rows = rows_that_fit(vector_regs, vecs);
  int same = full.rows * full.vecs / vecs;
  return rows < same ? rows : same;
}

/* A kernel runs down the depth for one tile after another: the column
 * blocks outside, the rows' tiles inside, so that each tile reads the
 * same part of B, depth by tile width, which must stay in L1, while A,
 * depth by rows, streams past once per column block and must stay in
 * L2.  A GEMM deeper than both allow (a weight's gradient summed over
 * every step at once, 512x128x1792) runs in blocks of the depth, each
 * adding to the output: in one pass its A came from L3, eight times on
 * AVX2 (0.66x OpenBLAS), in blocks of 256 from L2. */
int64_t plan_depth_block(const PlanTarget *t, int64_t rows) {
  int64_t width = (int64_t)t->tile.vecs * t->lanes * t->bytes;
  int64_t by_l1 = t->l1d / 2 / width;
  int64_t by_l2 = t->l2 / 2 / (rows > 0 ? rows * t->bytes : 1);
  int64_t block = by_l1 < by_l2 ? by_l1 : by_l2;
  block -= block % 16;
  return block < 32 ? 32 : block;
}

bool plan_parse_tile(const char *s, PlanTile *t) {
  char *end;
  long rows = strtol(s, &end, 10);
  if (end == s || (*end != 'x' && *end != 'X'))
    return false;
  const char *v = end + 1;
  long vecs = strtol(v, &end, 10);
  if (end == v || *end || rows < 1 || rows > MAX_TILE_ROWS || vecs < 1 ||
      vecs > MAX_TILE_VECS)
    return false;
  *t = (PlanTile){(int)rows, (int)vecs};
  return true;
}
