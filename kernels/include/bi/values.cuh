// Batch-invariant attention engine for DJL: reading and writing one element of any storage type
// exactly as the CPU backend's HostData does (getFloat/getDouble/getLong, setFloat/setDouble/
// setLong), so conversions give the same bits on both backends. The 16-bit float conversions keep
// NaN payloads as tensor/Half.java does and round every other value as it does (round to nearest
// even), by the hardware's conversion.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
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

// Integer arithmetic for NaN (its payload kept as Half.java keeps it), the hardware's
// round-to-nearest-even conversion for every other float: the bits of Half.java's integer form for
// all 2^32 inputs (tools/convert_check.cu), in a fraction of the instructions.
__device__ __forceinline__ uint16_t float_to_half_bits(float f) {
  const uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return (uint16_t)(((bits >> 16) & 0x8000u) | 0x7c00u | 0x200u | ((bits & 0x7fffffu) >> 13));
  }
  return __half_as_ushort(__float2half_rn(f));
}

__device__ __forceinline__ float bf16_bits_to_float(uint16_t b) { return __uint_as_float((uint32_t)b << 16); }

// NaN quieted with its payload's top bits kept; every other float by the hardware's
// round-to-nearest-even conversion (equal to Half.java's integer form for all 2^32 inputs:
// tools/convert_check.cu).
__device__ __forceinline__ uint16_t float_to_bf16_bits(float f) {
  const uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
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

// HostData.getFloat / getDouble / getLong of one stored value of a type known at compile time.
// The run-time-typed loads below and the contiguous kernels' typed loads both go through these,
// so the two paths convert alike. Booleans are read as signed bytes, as HostData reads them.
template <int T> __device__ __forceinline__ float val_f(typename Storage<T>::type s) {
  if constexpr (T == F32) {
    return s;
  } else if constexpr (T == F64) {
    return __double2float_rn(s);
  } else if constexpr (T == F16) {
    return half_bits_to_float(s);
  } else if constexpr (T == BF16) {
    return bf16_bits_to_float(s);
  } else if constexpr (T == I32) {
    return __int2float_rn(s);
  } else if constexpr (T == I64) {
    return __ll2float_rn(s);
  } else if constexpr (T == U8) {
    return (float)(uint8_t)s;
  } else {
    return (float)(int8_t)s;
  }
}
template <int T> __device__ __forceinline__ double val_d(typename Storage<T>::type s) {
  if constexpr (T == F64) {
    return s;
  } else if constexpr (T == I64) {
    return __ll2double_rn(s);
  } else {
    return (double)val_f<T>(s);
  }
}
template <int T> __device__ __forceinline__ long long val_l(typename Storage<T>::type s) {
  if constexpr (T == I64 || T == I32) {
    return s;
  } else if constexpr (T == I8 || T == BOOL) {
    return (int8_t)s;
  } else if constexpr (T == U8) {
    return (uint8_t)s;
  } else if constexpr (T == F64) {
    return jd2ll(s);
  } else {
    return jf2ll(val_f<T>(s));
  }
}

// HostData.getFloat
__device__ __forceinline__ float load_f(const void* p, int t, long long i) {
  switch (t) {
    case F32: return val_f<F32>(static_cast<const float*>(p)[i]);
    case F64: return val_f<F64>(static_cast<const double*>(p)[i]);
    case F16: return val_f<F16>(static_cast<const uint16_t*>(p)[i]);
    case BF16: return val_f<BF16>(static_cast<const uint16_t*>(p)[i]);
    case I32: return val_f<I32>(static_cast<const int*>(p)[i]);
    case I64: return val_f<I64>(static_cast<const long long*>(p)[i]);
    case U8: return val_f<U8>(static_cast<const uint8_t*>(p)[i]);
    default: return val_f<I8>(static_cast<const int8_t*>(p)[i]);
  }
}

// HostData.getDouble: exact for float64 and int64, through getFloat otherwise (as the CPU does).
__device__ __forceinline__ double load_d(const void* p, int t, long long i) {
  if (t == F64) return val_d<F64>(static_cast<const double*>(p)[i]);
  if (t == I64) return val_d<I64>(static_cast<const long long*>(p)[i]);
  return (double)load_f(p, t, i);
}

// HostData.getLong
__device__ __forceinline__ long long load_l(const void* p, int t, long long i) {
  switch (t) {
    case I64: return val_l<I64>(static_cast<const long long*>(p)[i]);
    case I32: return val_l<I32>(static_cast<const int*>(p)[i]);
    case I8:
    case BOOL: return val_l<I8>(static_cast<const int8_t*>(p)[i]);
    case U8: return val_l<U8>(static_cast<const uint8_t*>(p)[i]);
    case F64: return val_l<F64>(static_cast<const double*>(p)[i]);
    default: return jf2ll(load_f(p, t, i));
  }
}

// HostData.setFloat / setDouble / setLong: the stored value of a type known at compile time.
template <int T> __device__ __forceinline__ typename Storage<T>::type enc_d(double v);
template <int T> __device__ __forceinline__ typename Storage<T>::type enc_f(float v) {
  typedef typename Storage<T>::type S;
  if constexpr (T == F32) {
    return (S)v;
  } else if constexpr (T == F16) {
    return (S)float_to_half_bits(v);
  } else if constexpr (T == BF16) {
    return (S)float_to_bf16_bits(v);
  } else {
    return enc_d<T>((double)v);
  }
}
template <int T> __device__ __forceinline__ typename Storage<T>::type enc_d(double v) {
  typedef typename Storage<T>::type S;
  if constexpr (T == F64) {
    return (S)v;
  } else if constexpr (T == I64) {
    return (S)jd2ll(v);
  } else if constexpr (T == I32) {
    return (S)jd2i(v);
  } else if constexpr (T == I8 || T == U8) {
    return (S)(uint8_t)(unsigned long long)jd2ll(v);
  } else if constexpr (T == BOOL) {
    return (S)(v != 0.0 ? 1 : 0);
  } else {
    return enc_f<T>(__double2float_rn(v));
  }
}
template <int T> __device__ __forceinline__ typename Storage<T>::type enc_l(long long v) {
  typedef typename Storage<T>::type S;
  if constexpr (T == I64) {
    return (S)v;
  } else if constexpr (T == I32) {
    return (S)(uint32_t)(unsigned long long)v;
  } else if constexpr (T == I8 || T == U8) {
    return (S)(uint8_t)(unsigned long long)v;
  } else if constexpr (T == BOOL) {
    return (S)(v != 0 ? 1 : 0);
  } else {
    // HostData.setLong goes through setDouble: a double first, then the float type
    return enc_d<T>(__ll2double_rn(v));
  }
}

template <int T> __device__ __forceinline__ void store_f(void* p, long long i, float v) {
  static_cast<typename Storage<T>::type*>(p)[i] = enc_f<T>(v);
}
template <int T> __device__ __forceinline__ void store_d(void* p, long long i, double v) {
  static_cast<typename Storage<T>::type*>(p)[i] = enc_d<T>(v);
}
template <int T> __device__ __forceinline__ void store_l(void* p, long long i, long long v) {
  static_cast<typename Storage<T>::type*>(p)[i] = enc_l<T>(v);
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
