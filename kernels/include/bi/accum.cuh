// Batch-invariant attention engine for DJL: element types as the reduction families read and
// write them, with the CPU backend's comparison rules (NaN propagates through max/min; +0 wins a
// max and -0 a min over equal zeros), so the order of a max or min never shows in its bits.
#pragma once

#include "bi/common.cuh"

namespace bi {

// Accumulator of each storage type: float for the 16- and 32-bit floats, double for float64,
// 64-bit integers for the integer and boolean types (booleans are stored as bytes).
template <typename T> struct Acc { using type = long long; static constexpr bool floating = false; };
template <> struct Acc<float> { using type = float; static constexpr bool floating = true; };
template <> struct Acc<__half> { using type = float; static constexpr bool floating = true; };
template <> struct Acc<__nv_bfloat16> { using type = float; static constexpr bool floating = true; };
template <> struct Acc<double> { using type = double; static constexpr bool floating = true; };

template <typename T> __device__ __forceinline__ typename Acc<T>::type load_acc(const T* p, long long i) {
  return static_cast<typename Acc<T>::type>(p[i]);
}
template <> __device__ __forceinline__ float load_acc(const __half* p, long long i) { return __half2float(p[i]); }
template <> __device__ __forceinline__ float load_acc(const __nv_bfloat16* p, long long i) {
  return __bfloat162float(p[i]);
}

template <typename T> __device__ __forceinline__ void store_as(T* p, long long i, double v) { p[i] = static_cast<T>(v); }
template <typename T> __device__ __forceinline__ void store_acc(T* p, long long i, typename Acc<T>::type v) {
  p[i] = static_cast<T>(v);
}
template <> __device__ __forceinline__ void store_acc(__half* p, long long i, float v) { p[i] = __float2half_rn(v); }
template <> __device__ __forceinline__ void store_acc(__nv_bfloat16* p, long long i, float v) {
  p[i] = __float2bfloat16_rn(v);
}

// A value rounded to storage type T and read back: what a store and a later load make of it.
template <typename T, typename A> __device__ __forceinline__ A round_as(A v) { return v; }
template <> __device__ __forceinline__ float round_as<__half, float>(float v) { return __half2float(__float2half_rn(v)); }
template <> __device__ __forceinline__ float round_as<__nv_bfloat16, float>(float v) {
  return __bfloat162float(__float2bfloat16_rn(v));
}

template <typename A> __device__ __forceinline__ bool is_nan(A v) { return v != v; }

// Java's Math.max / Math.min on floats, integers compare plainly.
template <typename A> __device__ __forceinline__ A jmax(A a, A b) {
  if (is_nan(a)) return a;
  if (is_nan(b)) return b;
  if (a > b) return a;
  if (b > a) return b;
  return signbit(static_cast<double>(a)) ? b : a;
}
template <typename A> __device__ __forceinline__ A jmin(A a, A b) {
  if (is_nan(a)) return a;
  if (is_nan(b)) return b;
  if (a < b) return a;
  if (b < a) return b;
  return signbit(static_cast<double>(a)) ? a : b;
}

}  // namespace bi
