// Batch-invariant attention engine for DJL: one strided copy with type conversion, the data
// movement behind transpose, broadcast, repeat, tile, slice, flip, concat, toType and slice
// assignment. Output position i of the iteration shape reads in[in_offset + sum c_d stride_in[d]]
// and writes out[out_offset + sum c_d stride_out[d]]; strides may be 0 (broadcast) or negative
// (flip). Conversions follow the CPU backend's toType (values.cuh).
#include "bi/data_params.cuh"
#include "bi/values.cuh"

namespace bi {

// A copy without conversion whose last axis is contiguous on both sides in whole 16-byte pieces
// (every offset and outer stride a multiple of them, both pointers 16-byte aligned): slices of
// rows, concatenation along the last axis, copies of contiguous arrays. It moves 16 bytes per
// step; the bytes are the element copy's.
template <int T> __device__ __forceinline__ bool wide_copy(const CopyParams& p) {
  typedef typename Storage<T>::type S;
  constexpr int VEC = 16 / sizeof(S);
  if (p.mode != C_RAW || p.in == nullptr || p.rank < 1) return false;
  const int last = p.rank - 1;
  bool ok = p.stride_in[last] == 1 && p.stride_out[last] == 1 && p.shape[last] % VEC == 0 &&
            p.in_offset % VEC == 0 && p.out_offset % VEC == 0 &&
            ((reinterpret_cast<uintptr_t>(p.in) | reinterpret_cast<uintptr_t>(p.out)) & 15) == 0;
  for (int d = 0; d < last; d++) ok = ok && p.stride_in[d] % VEC == 0 && p.stride_out[d] % VEC == 0;
  if (!ok) return false;
  // element i = c * VEC starts a run of VEC elements contiguous in both arrays
  for (long long c = grid_start(); c < p.n / VEC; c += grid_step()) {
    const long long i = c * VEC;
    const long long o = p.out_offset + strided_offset(i, p.rank, p.shape, p.stride_out);
    const long long s = p.in_offset + strided_offset(i, p.rank, p.shape, p.stride_in);
    *reinterpret_cast<uint4*>(static_cast<S*>(p.out) + o) = *reinterpret_cast<const uint4*>(static_cast<const S*>(p.in) + s);
  }
  return true;
}

template <int T>
__device__ void copy_body(const CopyParams& p) {
  typedef typename Storage<T>::type S;
  if constexpr (sizeof(S) <= 8) {
    if (wide_copy<T>(p)) return;
  }
  double fill = __longlong_as_double(p.fill_bits);
  for (long long i = grid_start(); i < p.n; i += grid_step()) {
    long long o = p.out_offset + strided_offset(i, p.rank, p.shape, p.stride_out);
    if (p.in == nullptr) {
      store_d<T>(p.out, o, fill);
      continue;
    }
    long long s = p.in_offset + strided_offset(i, p.rank, p.shape, p.stride_in);
    switch (p.mode) {
      case C_RAW:
        static_cast<S*>(p.out)[o] = static_cast<const S*>(p.in)[s];
        break;
      case C_LONG:
        store_l<T>(p.out, o, load_l(p.in, p.type_in, s));
        break;
      case C_DOUBLE:
        store_d<T>(p.out, o, load_d(p.in, p.type_in, s));
        break;
      default:
        store_f<T>(p.out, o, load_f(p.in, p.type_in, s));
        break;
    }
  }
}

}  // namespace bi

#define BI_COPY(NAME, T) \
  extern "C" __global__ void NAME(const __grid_constant__ bi::CopyParams p) { bi::copy_body<T>(p); }

BI_COPY(bi_copy_f32, bi::F32)
BI_COPY(bi_copy_f64, bi::F64)
BI_COPY(bi_copy_f16, bi::F16)
BI_COPY(bi_copy_bf16, bi::BF16)
BI_COPY(bi_copy_i8, bi::I8)
BI_COPY(bi_copy_u8, bi::U8)
BI_COPY(bi_copy_i32, bi::I32)
BI_COPY(bi_copy_i64, bi::I64)
BI_COPY(bi_copy_bool, bi::BOOL)
