// Batch-invariant attention engine for DJL: the parameters of the convolution and pooling family
// (conv.cu). Spatial geometry is given as three axes (depth, height, width); lower ranks have
// leading extents of 1.
#pragma once

#include "bi/params.cuh"

namespace bi {

enum ConvKind : int { CONV_FORWARD = 0, CONV_GLOBAL_AVG = 1, CONV_GLOBAL_MAX = 2 };

#define BI_CONV_FIELDS(X)                                                                      \
  X(const void*, x)          /* (N, C, *in) */                                                 \
  X(const void*, w)          /* (O, C / groups, *kernel) */                                    \
  X(const void*, bias)       /* (O) or null */                                                 \
  X(void*, y)                /* (N, O, *out), or (N, C) for the global pools */                \
  X(long long, total)        /* outputs */                                                     \
  X(long long, plane)        /* global pools: elements per (n, c) plane */                     \
  X(int, kind)                                                                                 \
  X(int, type_x)             /* storage type codes of data_params.cuh */                       \
  X(int, type_w)                                                                               \
  X(int, type_b)                                                                               \
  X(int, c)                                                                                    \
  X(int, o)                                                                                    \
  X(int, cg)                 /* input channels per group */                                    \
  X(int, og)                 /* output channels per group */                                   \
  X(int, in0) X(int, in1) X(int, in2)                                                          \
  X(int, k0) X(int, k1) X(int, k2)                                                             \
  X(int, s0) X(int, s1) X(int, s2)                                                             \
  X(int, p0) X(int, p1) X(int, p2)                                                             \
  X(int, d0) X(int, d1) X(int, d2)                                                             \
  X(int, out0) X(int, out1) X(int, out2)

struct ConvParams {
  BI_CONV_FIELDS(BI_DECLARE_FIELD)
};

}  // namespace bi
