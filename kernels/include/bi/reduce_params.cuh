// Batch-invariant attention engine for DJL: the parameters of the row-reduction families
// (reductions, arg-extremes and softmax in reduce.cu; layer and RMS normalisation in norm.cu).
// An input is viewed as [outer][n][inner]; each output reduces one (outer, inner) line of n
// elements in an order fixed by n alone.
#pragma once

#include "bi/params.cuh"

namespace bi {

// Reduction kinds, as the Java launcher numbers them.
enum ReduceKind : int {
  RED_SUM = 0, RED_MEAN = 1, RED_MAX = 2, RED_MIN = 3, RED_PROD = 4,
  RED_ARGMAX = 5, RED_ARGMIN = 6, RED_SOFTMAX = 7, RED_LOG_SOFTMAX = 8
};

#define BI_REDUCE_FIELDS(X)                                                                     \
  X(const void*, in)                                                                            \
  X(void*, out)              /* [outer][inner], or [outer][n][inner] for softmax */             \
  X(long long, outer)                                                                           \
  X(long long, n)                                                                               \
  X(long long, inner)                                                                           \
  X(int, kind)

struct ReduceParams {
  BI_REDUCE_FIELDS(BI_DECLARE_FIELD)
};

#define BI_NORM_FIELDS(X)                                                                       \
  X(const void*, x)          /* [rows][n] */                                                    \
  X(const void*, gamma)      /* [n] or null */                                                  \
  X(const void*, beta)       /* [n] or null (layer norm only) */                                \
  X(void*, y)                /* [rows][n] */                                                    \
  X(long long, rows)                                                                            \
  X(int, n)                                                                                     \
  X(int, rms)                /* 1: RMS norm, 0: layer norm */                                   \
  X(float, eps)                                                                                 \
  X(const void*, mean)       /* batch norm: running statistics [channels], float32 (float64 for \
                                float64 input), like gamma and beta */                          \
  X(const void*, var)                                                                           \
  X(long long, inner)        /* batch norm: elements per channel step; rows = all elements */   \
  X(int, channels)                                                                              \
  X(int, round_first)        /* 1: the normalised value is rounded to the storage type before   \
                                gamma multiplies it (transformers' order for 16-bit types) */  \
  X(const void*, residual)   /* [rows][n] or null: the row normalised is x + residual ... */     \
  X(void*, sum_out)          /* ... stored here as the element-wise add stores it */

struct NormParams {
  BI_NORM_FIELDS(BI_DECLARE_FIELD)
};

}  // namespace bi
