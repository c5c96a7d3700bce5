// Batch-invariant attention engine for DJL: the Hopper GEMM's block tiles (gemm_sm90.cu) — k tile
// and thread constants, and each tile's pipeline stages and shared memory.
#pragma once

namespace bi {

constexpr int H_BK = 64;
constexpr int H_THREADS = 256;
constexpr int H_ROW_BYTES = H_BK * 2;  // one swizzled 128-byte row per k tile
constexpr int H_MMA_ROWS = 64;  // rows one wgmma multiplies

// A block tile: BM = 128 stacks the two warpgroups along m (64 rows each, NW columns), BM = 64
// puts them side by side along n (64 rows, NW columns each), BM = 16 likewise with 16 real rows
// (two blocks an SM); KSUB k tiles of 64 per stage.
template <int BM, int NW, int KSUB> struct HTile {
  static constexpr int BLOCKS_PER_SM = BM == 16 ? 2 : 1;
  static constexpr int SMEM_BUDGET = 200 * 1024 / BLOCKS_PER_SM;
  static constexpr int BN = BM == 128 ? NW : 2 * NW;
  static constexpr int BK = KSUB * H_BK;
  static constexpr int A_BYTES = KSUB * BM * H_ROW_BYTES;
  static constexpr int B_BYTES = KSUB * BN * H_ROW_BYTES;
  static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
  static constexpr int STAGES = SMEM_BUDGET / STAGE_BYTES < 16 ? SMEM_BUDGET / STAGE_BYTES : 16;
  // stages copied ahead of the one multiplied: all but that one and the one the previous step's
  // (possibly unfinished) MMAs read, so a refill needs no second barrier
  static constexpr int AHEAD = STAGES - 2;
  // + 1 KB so the tiles start on the 1024-byte boundary the 128-byte swizzle is defined from
  static constexpr int SMEM_BYTES = STAGES * STAGE_BYTES + 1024;
  static_assert(STAGES >= 3, "the pipeline needs three stages");
  // a running total of in-block splits beside the accumulators: not for 128 accumulators a thread
  // (the copy-engine tile keeps it in a workspace instead; the threads' copies are not run so)
  static constexpr bool SPLITS_IN_BLOCK = NW <= 128;
  static_assert(SMEM_BYTES * BLOCKS_PER_SM <= 227 * 1024, "the pipeline must fit the SM's shared memory");
  // the 64 rows read from a stage's last A k tile must end inside that stage
  static_assert((KSUB - 1) * BM * H_ROW_BYTES + H_MMA_ROWS * H_ROW_BYTES <= STAGE_BYTES, "A reads stay in the stage");
};

// threads of a copy-engine block: two MMA warpgroups and the one that asks for copies
constexpr int W_THREADS = 384;

}  // namespace bi
