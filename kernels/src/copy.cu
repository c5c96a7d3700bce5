// Batch-invariant attention engine for DJL: one strided copy with type conversion, the data
// movement behind transpose, broadcast, repeat, tile, slice, flip, concat, toType and slice
// assignment. Output position i of the iteration shape reads in[in_offset + sum c_d stride_in[d]]
// and writes out[out_offset + sum c_d stride_out[d]]; strides may be 0 (broadcast) or negative
// (flip). Conversions follow the CPU backend's toType (values.cuh).
#include "bi/data_params.cuh"
#include "bi/values.cuh"

namespace bi {

template <int T>
__device__ void copy_body(const CopyParams& p) {
  typedef typename Storage<T>::type S;
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
