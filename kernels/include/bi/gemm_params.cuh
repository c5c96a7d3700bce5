// Batch-invariant attention engine for DJL: the parameters of the GEMM family (C = A B or A Wᵀ,
// with bias and activation epilogues, and the ordered sum of split-K partials).
#pragma once

#include "bi/params.cuh"

namespace bi {

// Activations of the epilogue, as the Java launcher numbers them.
// ACT_SWIGLU (Hopper family, one split, no bias): the weight's rows hold a SwiGLU layer's gate and
// up projections in alternating blocks of 8, and the output (n / 2 columns) is the gate of each pair.
enum GemmAct : int { ACT_NONE = 0, ACT_RELU = 1, ACT_GELU = 2, ACT_SILU = 3, ACT_SWIGLU = 4 };

// The batch index z of a launch splits as z = z0 * batch1 + z1; operand offsets are
// z0 * s?0 + z1 * s?1 elements (a stride of 0 broadcasts an operand over that level).
#define BI_GEMM_FIELDS(X)                                                                       \
  X(const void*, a)          /* [m][k] per batch, row-major */                                  \
  X(const void*, b)          /* [n][k] when b_nk (linear's weight), else [k][n] */              \
  X(const void*, bias)       /* [n] in the output type, or null */                              \
  X(void*, c)                /* [m][n] per batch */                                             \
  X(float*, partial)         /* [splits][batch][m][n] fp32: one split per block; null: all in-block */ \
  X(long long, sa0)                                                                             \
  X(long long, sa1)                                                                             \
  X(long long, sb0)                                                                             \
  X(long long, sb1)                                                                             \
  X(long long, sc)           /* output batch stride (m * n) */                                  \
  X(int, m)                                                                                     \
  X(int, n)                                                                                     \
  X(int, k)                                                                                     \
  X(int, batch1)                                                                                \
  X(int, batches)            /* batch0 * batch1 */                                              \
  X(int, b_nk)                                                                                  \
  X(int, splits)             /* split-K count: a function of (n, k, dtype, device) only */      \
  X(int, split_k)            /* k elements per split, a multiple of the k tile */               \
  X(int, act)                                                                                   \
  X(float*, split_ws)        /* the 128 x 256 copy-engine tile's running totals of in-block splits: */ \
                             /* [gridDim.x][128][256] fp32, or null */                     \
  X(int, c_map)              /* 1: a copy-engine kernel's third tensor map describes c ([m][n], */ \
                             /* boxes of 64 x 64), and its plain stores go through it */

struct GemmParams {
  BI_GEMM_FIELDS(BI_DECLARE_FIELD)
};

}  // namespace bi
