// Batch-invariant attention engine for DJL: the parameter structs of the element-wise, copy and
// gather families, and the codes they share with the Java launcher (backend/cuda/abi/Abi.java).
// Every code below mirrors a Java declaration order; a Java test reads this file to check it.
#pragma once

#include "bi/params.cuh"

// Shapes and strides of up to 8 axes travel inside the params struct (a global typedef, so that
// the ABI dump can name it in sizeof).
typedef long long i64x8[8];

namespace bi {

constexpr int MAX_RANK = 8;

// Storage types (Abi.dtypeCode): mirrors DTYPE_CODES in Abi.java.
enum DType : int { F32 = 0, F64 = 1, F16 = 2, BF16 = 3, I8 = 4, U8 = 5, I32 = 6, I64 = 7, BOOL = 8 };

// How arithmetic is carried out, as the CPU backend decides it per call (TypeRules.Compute).
enum Compute : int { C_LONG = 0, C_FLOAT = 1, C_DOUBLE = 2, C_RAW = 3 };

// Element-wise kernel kinds (Abi.EwKind).
enum EwKind : int { EW_UNARY = 0, EW_BINARY = 1, EW_WHERE = 2, EW_LEAKY_RELU = 3, EW_ELU = 4, EW_ALL_EQUAL = 5 };

// BinaryOp's declaration order.
enum BinOp : int {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_MAX, OP_MIN, OP_CLIP_LO, OP_CLIP_HI,
  OP_EQ, OP_NEQ, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_AND, OP_OR, OP_XOR
};

// UnaryOp's declaration order.
enum UnOp : int {
  U_NEG, U_ABS, U_EXP, U_LOG, U_LOG2, U_LOG10, U_SQRT, U_SQUARE, U_TANH, U_SIGMOID, U_RELU, U_GELU,
  U_SIN, U_COS, U_TAN, U_FLOOR, U_CEIL, U_ROUND, U_TRUNC, U_SIGN, U_ERF, U_NOT, U_ISNAN, U_ISINF,
  U_SOFTPLUS, U_CBRT, U_SELU
};

// Gather kernel kinds (Abi.GatherKind).
enum GatherKind : int { G_GATHER = 0, G_ONE_HOT = 1, G_SEQUENCE_MASK = 2 };

#define BI_ELEMENTWISE_FIELDS(X)                                                        \
  X(const void*, a)                                                                     \
  X(const void*, b)                                                                     \
  X(const void*, c)        /* where's condition */                                      \
  X(void*, out)            /* n contiguous elements of the kernel's type */             \
  X(int*, error)           /* integer modulo by zero / allEqual's "differs" flag */     \
  X(i64x8, shape)          /* output shape; rank entries used */                        \
  X(i64x8, stride_a)       /* element strides per output axis; 0 broadcasts */          \
  X(i64x8, stride_b)                                                                    \
  X(i64x8, stride_c)                                                                    \
  X(long long, n)                                                                       \
  X(long long, value_bits) /* allEqual's double */                                      \
  X(int, rank)                                                                          \
  X(int, kind)             /* EwKind */                                                 \
  X(int, op)               /* UnOp or BinOp */                                          \
  X(int, type_a)                                                                        \
  X(int, type_b)                                                                        \
  X(int, type_c)                                                                        \
  X(int, mode)             /* Compute */                                                \
  X(int, flags)            /* bit 0: gelu(+inf) is NaN */                               \
  X(float, alpha)

struct ElementwiseParams {
  BI_ELEMENTWISE_FIELDS(BI_DECLARE_FIELD)
};

#define BI_COPY_FIELDS(X)                                                               \
  X(const void*, in)       /* null: write fill_bits' double everywhere */               \
  X(void*, out)                                                                         \
  X(i64x8, shape)          /* iteration shape; rank entries used */                     \
  X(i64x8, stride_in)      /* element strides, may be 0 or negative */                  \
  X(i64x8, stride_out)                                                                  \
  X(long long, in_offset)  /* elements */                                               \
  X(long long, out_offset)                                                              \
  X(long long, n)                                                                       \
  X(long long, fill_bits)                                                               \
  X(int, rank)                                                                          \
  X(int, type_in)                                                                       \
  X(int, mode)             /* Compute: C_RAW copies bits */                             \
  X(int, pad)

struct CopyParams {
  BI_COPY_FIELDS(BI_DECLARE_FIELD)
};

#define BI_GATHER_FIELDS(X)                                                             \
  X(const void*, src)                                                                   \
  X(const void*, index)                                                                 \
  X(void*, out)                                                                         \
  X(unsigned long long*, bad) /* check kernel: smallest order key of a bad index */     \
  X(i64x8, shape)          /* output shape (check kernel: unused) */                    \
  X(i64x8, stride_src)     /* per output axis */                                        \
  X(i64x8, stride_idx)     /* per output axis */                                        \
  X(i64x8, axis_stride)    /* per index component: the source stride it moves along */  \
  X(i64x8, axis_len)       /* per index component: that axis' length */                 \
  X(long long, n)          /* output elements (check kernel: index elements) */         \
  X(long long, idx_step)   /* index elements between components k and k + 1 */          \
  X(long long, on_bits)    /* oneHot's on value / sequenceMask's value, as a double */  \
  X(long long, off_bits)   /* oneHot's off value */                                     \
  X(int, rank)                                                                          \
  X(int, parts)            /* index components: 1, or gatherNd's leading extent */      \
  X(int, type_index)                                                                    \
  X(int, kind)             /* GatherKind */

struct GatherParams {
  BI_GATHER_FIELDS(BI_DECLARE_FIELD)
};

}  // namespace bi
