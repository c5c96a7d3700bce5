// Batch-invariant attention engine for DJL: reading and writing one element of any storage type
// exactly as the CPU backend's HostData does (getFloat/getDouble/getLong, setFloat/setDouble/
// setLong), so conversions give the same bits on both backends. The 16-bit float conversions are
// written out in integer arithmetic, like tensor/Half.java, so NaN payloads match too.
#pragma once

#include <stdint.h>

#include "bi/data_params.cuh"

namespace bi {

// Float-to-integer casts below are PTX cvt.rzi, which saturates like Java's (long) and (int) casts
// but turns NaN into the most negative integer where Java gives 0: the j* wrappers map NaN to 0.
// Integer wrap-around goes through unsigned types to stay defined in C++.
__device__ __forceinline__ long long jd2ll(double v) { return v != v ? 0LL : __double2ll_rz(v); }
__device__ __forceinline__ int jd2i(double v) { return v != v ? 0 : __double2int_rz(v); }
__device__ __forceinline__ long long jf2ll(float v) { return v != v ? 0LL : __float2ll_rz(v); }

__device__ __forceinline__ float half_bits_to_float(uint16_t h) {
  uint32_t bits = h;
  uint32_t sign = (bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  if (exp == 0x1f) return __uint_as_float(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0) return __uint_as_float(sign);
    float v = __fmul_rn((float)mant, 0x1p-24f);
    return sign != 0 ? -v : v;
  }
  return __uint_as_float(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

__device__ __forceinline__ uint16_t float_to_half_bits(float f) {
  uint32_t bits = __float_as_uint(f);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int exp = (int)((bits >> 23) & 0xffu);
  uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant != 0 ? 0x200u | (mant >> 13) : 0u));
  int e = exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u) != 0)) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u) != 0)) half++;
  return (uint16_t)(sign | half);
}

__device__ __forceinline__ float bf16_bits_to_float(uint16_t b) { return __uint_as_float((uint32_t)b << 16); }

__device__ __forceinline__ uint16_t float_to_bf16_bits(float f) {
  uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)((bits + rounding) >> 16);
}

// HostData.getFloat
__device__ __forceinline__ float load_f(const void* p, int t, long long i) {
  switch (t) {
    case F32: return static_cast<const float*>(p)[i];
    case F64: return __double2float_rn(static_cast<const double*>(p)[i]);
    case F16: return half_bits_to_float(static_cast<const uint16_t*>(p)[i]);
    case BF16: return bf16_bits_to_float(static_cast<const uint16_t*>(p)[i]);
    case I32: return __int2float_rn(static_cast<const int*>(p)[i]);
    case I64: return __ll2float_rn(static_cast<const long long*>(p)[i]);
    case U8: return (float)static_cast<const uint8_t*>(p)[i];
    default: return (float)static_cast<const int8_t*>(p)[i];
  }
}

// HostData.getDouble: exact for float64 and int64, through getFloat otherwise (as the CPU does).
__device__ __forceinline__ double load_d(const void* p, int t, long long i) {
  if (t == F64) return static_cast<const double*>(p)[i];
  if (t == I64) return __ll2double_rn(static_cast<const long long*>(p)[i]);
  return (double)load_f(p, t, i);
}

// HostData.getLong
__device__ __forceinline__ long long load_l(const void* p, int t, long long i) {
  switch (t) {
    case I64: return static_cast<const long long*>(p)[i];
    case I32: return static_cast<const int*>(p)[i];
    case I8:
    case BOOL: return static_cast<const int8_t*>(p)[i];
    case U8: return static_cast<const uint8_t*>(p)[i];
    case F64: return jd2ll(static_cast<const double*>(p)[i]);
    default: return jf2ll(load_f(p, t, i));
  }
}

// Storage of each type code.
template <int T> struct Storage;
template <> struct Storage<F32> { typedef float type; };
template <> struct Storage<F64> { typedef double type; };
template <> struct Storage<F16> { typedef uint16_t type; };
template <> struct Storage<BF16> { typedef uint16_t type; };
template <> struct Storage<I8> { typedef int8_t type; };
template <> struct Storage<U8> { typedef uint8_t type; };
template <> struct Storage<I32> { typedef int type; };
template <> struct Storage<I64> { typedef long long type; };
template <> struct Storage<BOOL> { typedef uint8_t type; };

// HostData.setDouble / setFloat / setLong for a storage type known at compile time.
template <int T> __device__ __forceinline__ void store_f(void* p, long long i, float v);
template <int T> __device__ __forceinline__ void store_d(void* p, long long i, double v) {
  typedef typename Storage<T>::type S;
  S* o = static_cast<S*>(p);
  if constexpr (T == F64) {
    o[i] = (S)v;
  } else if constexpr (T == I64) {
    o[i] = (S)jd2ll(v);
  } else if constexpr (T == I32) {
    o[i] = (S)jd2i(v);
  } else if constexpr (T == I8 || T == U8) {
    o[i] = (S)(uint8_t)(unsigned long long)jd2ll(v);
  } else if constexpr (T == BOOL) {
    o[i] = (S)(v != 0.0 ? 1 : 0);
  } else {
    store_f<T>(p, i, __double2float_rn(v));
  }
}
template <int T> __device__ __forceinline__ void store_f(void* p, long long i, float v) {
  typedef typename Storage<T>::type S;
  S* o = static_cast<S*>(p);
  if constexpr (T == F32) {
    o[i] = (S)v;
  } else if constexpr (T == F16) {
    o[i] = (S)float_to_half_bits(v);
  } else if constexpr (T == BF16) {
    o[i] = (S)float_to_bf16_bits(v);
  } else {
    store_d<T>(p, i, (double)v);
  }
}
template <int T> __device__ __forceinline__ void store_l(void* p, long long i, long long v) {
  typedef typename Storage<T>::type S;
  S* o = static_cast<S*>(p);
  if constexpr (T == I64) {
    o[i] = (S)v;
  } else if constexpr (T == I32) {
    o[i] = (S)(uint32_t)(unsigned long long)v;
  } else if constexpr (T == I8 || T == U8) {
    o[i] = (S)(uint8_t)(unsigned long long)v;
  } else if constexpr (T == BOOL) {
    o[i] = (S)(v != 0 ? 1 : 0);
  } else {
    // HostData.setLong goes through setDouble: a double first, then the float type
    store_d<T>(p, i, __ll2double_rn(v));
  }
}

// The element offset of output position i in an operand of the given strides.
// Rank 1 (what the launcher's axis merging makes of every contiguous operand) needs no division;
// otherwise a position and extent below 2^31 divide in 32 bits, several times cheaper than 64-bit
// division (a smaller position stays below 2^31 as it is divided down).
__device__ __forceinline__ long long strided_offset(long long i, int rank, const long long* shape,
                                                    const long long* stride) {
  if (rank == 1) return i * stride[0];
  long long off = 0;
  for (int d = rank - 1; d >= 0; d--) {
    long long c;
    if (i <= 0x7fffffffLL && shape[d] <= 0x7fffffffLL) {
      const unsigned int u = static_cast<unsigned int>(i), e = static_cast<unsigned int>(shape[d]);
      c = u % e;
      i = u / e;
    } else {
      c = i % shape[d];
      i /= shape[d];
    }
    off += c * stride[d];
  }
  return off;
}

__device__ __forceinline__ long long grid_start() { return blockIdx.x * (long long)blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_step() { return (long long)gridDim.x * blockDim.x; }

}  // namespace bi
