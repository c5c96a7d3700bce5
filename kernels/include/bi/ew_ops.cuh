// Batch-invariant attention engine for DJL: the arithmetic of the element-wise family, one
// element at a time, as the CPU backend computes it (bin_* for binary ops, un_* for unary ops, in
// float, double or 64-bit integer arithmetic). Composite formulas use the _rn intrinsics so that
// the compiler cannot contract them into FMAs, which the CPU backend never does. Shared by the
// strided kernels and the contiguous ones, so both give the same bits.
#pragma once

#include "bi/common.cuh"
#include "bi/data_params.cuh"
#include "bi/values.cuh"

namespace bi {

// Java's Math.max/min: NaN wins, and +0.0 > -0.0.
__device__ __forceinline__ float jmax(float a, float b) {
  if (a != a) return a;
  if (a == 0.0f && b == 0.0f && __float_as_uint(a) == 0x80000000u) return b;
  return a >= b ? a : b;
}
__device__ __forceinline__ float jmin(float a, float b) {
  if (a != a) return a;
  if (a == 0.0f && b == 0.0f && __float_as_uint(b) == 0x80000000u) return b;
  return a <= b ? a : b;
}
__device__ __forceinline__ double jmax(double a, double b) {
  if (a != a) return a;
  if (a == 0.0 && b == 0.0 && __double_as_longlong(a) == (long long)0x8000000000000000ull) return b;
  return a >= b ? a : b;
}
__device__ __forceinline__ double jmin(double a, double b) {
  if (a != a) return a;
  if (a == 0.0 && b == 0.0 && __double_as_longlong(b) == (long long)0x8000000000000000ull) return b;
  return a <= b ? a : b;
}

// Java's Math.pow where it departs from C's pow: a NaN exponent, and +-1 to an infinite power,
// give NaN (C gives 1).
__device__ __forceinline__ double jpow(double a, double b) {
  if (b != b || (fabs(a) == 1.0 && isinf(b))) return __longlong_as_double(0x7ff8000000000000ll);
  return pow(a, b);
}

__device__ __forceinline__ double bin_d(int op, double a, double b) {
  switch (op) {
    case OP_ADD: return __dadd_rn(a, b);
    case OP_SUB: return __dsub_rn(a, b);
    case OP_MUL: return __dmul_rn(a, b);
    case OP_DIV: return __ddiv_rn(a, b);
    case OP_MOD: {
      double r = fmod(a, b);
      return r != 0.0 && (r < 0.0) != (b < 0.0) ? __dadd_rn(r, b) : r;
    }
    case OP_POW: return jpow(a, b);
    case OP_MAX: return jmax(a, b);
    case OP_MIN: return jmin(a, b);
    case OP_CLIP_LO: return a < b ? b : a;
    case OP_CLIP_HI: return a > b ? b : a;
    case OP_EQ: return a == b ? 1.0 : 0.0;
    case OP_NEQ: return a != b ? 1.0 : 0.0;
    case OP_GT: return a > b ? 1.0 : 0.0;
    case OP_GTE: return a >= b ? 1.0 : 0.0;
    case OP_LT: return a < b ? 1.0 : 0.0;
    case OP_LTE: return a <= b ? 1.0 : 0.0;
    case OP_AND: return a != 0.0 && b != 0.0 ? 1.0 : 0.0;
    case OP_OR: return a != 0.0 || b != 0.0 ? 1.0 : 0.0;
    default: return (a != 0.0) != (b != 0.0) ? 1.0 : 0.0;
  }
}

__device__ __forceinline__ float bin_f(int op, float a, float b) {
  switch (op) {
    case OP_ADD: return __fadd_rn(a, b);
    case OP_SUB: return __fsub_rn(a, b);
    case OP_MUL: return __fmul_rn(a, b);
    case OP_DIV: return __fdiv_rn(a, b);
    case OP_MOD: {
      float r = fmodf(a, b);
      return r != 0.0f && (r < 0.0f) != (b < 0.0f) ? __fadd_rn(r, b) : r;
    }
    case OP_POW: return __double2float_rn(jpow((double)a, (double)b));
    case OP_MAX: return jmax(a, b);
    case OP_MIN: return jmin(a, b);
    case OP_CLIP_LO: return a < b ? b : a;
    case OP_CLIP_HI: return a > b ? b : a;
    default: return __double2float_rn(bin_d(op, (double)a, (double)b));
  }
}

// Elementwise.intPow: by squaring, wrapping; negative exponents give 1/x truncated.
__device__ __forceinline__ long long int_pow(long long base, long long e) {
  if (e < 0) {
    if (base == 1) return 1;
    if (base == -1) return (e & 1) == 0 ? 1 : -1;
    return 0;
  }
  unsigned long long result = 1;
  unsigned long long b = (unsigned long long)base;
  unsigned long long x = (unsigned long long)e;
  while (x != 0) {
    if ((x & 1) != 0) result *= b;
    x >>= 1;
    if (x != 0) b *= b;
  }
  return (long long)result;
}

__device__ __forceinline__ long long bin_l(int op, long long a, long long b, int* error) {
  unsigned long long ua = (unsigned long long)a;
  unsigned long long ub = (unsigned long long)b;
  switch (op) {
    case OP_ADD: return (long long)(ua + ub);
    case OP_SUB: return (long long)(ua - ub);
    case OP_MUL: return (long long)(ua * ub);
    case OP_DIV: {
      if (b == 0) {
        *error = 1;
        return 0;
      }
      if (b == -1) return (long long)(0ull - ua);
      long long q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    }
    case OP_MOD: {
      if (b == 0) {
        *error = 1;
        return 0;
      }
      if (b == -1) return 0;
      long long r = a % b;
      return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
    }
    case OP_POW: return int_pow(a, b);
    case OP_MAX:
    case OP_CLIP_LO: return a > b ? a : b;
    case OP_MIN:
    case OP_CLIP_HI: return a < b ? a : b;
    default: return jd2ll(bin_d(op, __ll2double_rn(a), __ll2double_rn(b)));
  }
}

constexpr double SQRT1_2 = 0.7071067811865476;
constexpr double SELU_ALPHA = 1.6732632423543772848170429916717;
constexpr double SELU_SCALE = 1.0507009873554804934193349852946;
constexpr double LN2_D = 0.6931471805599453;

__device__ __forceinline__ double gelu_d(double x) {
  if (isinf(x)) return x > 0 ? x : __longlong_as_double(0x7ff8000000000000ll);
  return __dmul_rn(__dmul_rn(0.5, x), erfc(__dmul_rn(-x, SQRT1_2)));
}

__device__ __forceinline__ double selu_d(double x) {
  return __dmul_rn(SELU_SCALE, x > 0 ? x : __dmul_rn(SELU_ALPHA, expm1(x)));
}

__device__ __forceinline__ double sign_d(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }

// Float64Math.log2: exact for normal powers of two.
__device__ __forceinline__ double log2_d(double x) {
  if (x > 0 && !isinf(x)) {
    long long bits = __double_as_longlong(x);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    if (x == ldexp(1.0, e)) return (double)e;
  }
  return __ddiv_rn(log(x), LN2_D);
}

__device__ __forceinline__ double un_d(int op, double x) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_LOG2: return log2_d(x);
    case U_LOG10: return log10(x);
    case U_SQRT: return __dsqrt_rn(x);
    case U_SQUARE: return __dmul_rn(x, x);
    case U_TANH: return tanh(x);
    case U_SIGMOID: return __ddiv_rn(1.0, __dadd_rn(1.0, exp(-x)));
    case U_RELU: return x < 0 ? 0.0 : x;
    case U_GELU: return gelu_d(x);
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_TAN: return tan(x);
    case U_FLOOR: return floor(x);
    case U_CEIL: return ceil(x);
    case U_ROUND: return rint(x);
    case U_TRUNC: return trunc(x);
    case U_SIGN: return sign_d(x);
    case U_ERF: return erf(x);
    case U_SOFTPLUS: return x > 20 ? x : log1p(exp(x));
    case U_CBRT: return cbrt(x);
    default: return selu_d(x);
  }
}

// 1 / (1 + e^-x), the IEEE division's bits: where 1 + e^-x <= 2^32 (x > -22.2, nearly every input)
// by the division's fast path alone (rcp_rn: equal there for every float, tools/rcp_check.cu), the
// division itself beyond that and for NaN. The division's range check and slow-path call were a
// large part of the SwiGLU gate's instructions, which bound the 16-bit gate below the copy rate.
__device__ __forceinline__ float sigmoid_f(float x) {
  const float d = __fadd_rn(1.0f, expf(-x));
  return d <= 4294967296.0f ? rcp_rn(d) : __fdiv_rn(1.0f, d);
}

__device__ __forceinline__ float un_f(int op, float x) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabsf(x);
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_LOG2: return __double2float_rn(__ddiv_rn(log((double)x), LN2_D));
    case U_LOG10: return __double2float_rn(log10((double)x));
    case U_SQRT: return __double2float_rn(__dsqrt_rn((double)x));
    case U_SQUARE: return __fmul_rn(x, x);
    case U_TANH: return tanhf(x);
    case U_SIGMOID: return sigmoid_f(x);
    case U_RELU: return x < 0 ? 0.0f : x;
    case U_GELU: return __double2float_rn(gelu_d((double)x));
    case U_SIN: return __double2float_rn(sin((double)x));
    case U_COS: return __double2float_rn(cos((double)x));
    case U_TAN: return __double2float_rn(tan((double)x));
    case U_FLOOR: return floorf(x);
    case U_CEIL: return ceilf(x);
    case U_ROUND: return rintf(x);
    case U_TRUNC: return truncf(x);
    case U_SIGN: return x > 0 ? 1.0f : x < 0 ? -1.0f : 0.0f;
    case U_ERF: return __double2float_rn(erf((double)x));
    case U_SOFTPLUS: return x > 20.0f ? x : logf(__fadd_rn(1.0f, expf(x)));
    case U_CBRT: return __double2float_rn(cbrt((double)x));
    default: return __double2float_rn(selu_d((double)x));
  }
}

__device__ __forceinline__ long long un_l(int op, long long x) {
  unsigned long long ux = (unsigned long long)x;
  switch (op) {
    case U_NEG: return (long long)(0ull - ux);
    case U_ABS: return x < 0 ? (long long)(0ull - ux) : x;
    case U_SQUARE: return (long long)(ux * ux);
    case U_RELU: return x > 0 ? x : 0;
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    default: return x;
  }
}

// One output of the SwiGLU gate (silu(g) * u) as the composed ops compute it: g * sigmoid(g) in
// the arithmetic type (the unary kernels' sigmoid), rounded to the storage type, times u, rounded
// again. Shared by the gate kernel and the GEMM epilogue that applies it to a product's columns.
template <int T, int MODE>
__device__ __forceinline__ typename Storage<T>::type silu_mul_one(typename Storage<T>::type gs,
                                                                  typename Storage<T>::type us) {
  if constexpr (MODE == C_DOUBLE) {
    const double g = val_d<T>(gs);
    return enc_d<T>(bin_d(OP_MUL, val_d<T>(enc_d<T>(bin_d(OP_MUL, g, un_d(U_SIGMOID, g)))), val_d<T>(us)));
  } else {
    const float g = val_f<T>(gs);
    return enc_f<T>(bin_f(OP_MUL, val_f<T>(enc_f<T>(bin_f(OP_MUL, g, un_f(U_SIGMOID, g)))), val_f<T>(us)));
  }
}

}  // namespace bi
