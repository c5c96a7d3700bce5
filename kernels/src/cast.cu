// Batch-invariant attention engine for DJL: float32 <-> float16/bfloat16 conversion (round to
// nearest even), element by element.
#include "bi/common.cuh"
#include "bi/small_params.cuh"

namespace bi {

template <typename From, typename To>
__device__ __forceinline__ To convert(From v);
template <> __device__ __forceinline__ __nv_bfloat16 convert(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half convert(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ float convert(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ float convert(__half v) { return __half2float(v); }

template <typename From, typename To>
__device__ __forceinline__ void cast_body(const From* in, To* out, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    out[i] = convert<From, To>(in[i]);
  }
}

}  // namespace bi

#define BI_CAST(NAME, FROM, TO) \
  extern "C" __global__ void NAME(const __grid_constant__ bi::CastParams p) {              \
    bi::cast_body<FROM, TO>(static_cast<const FROM*>(p.in), static_cast<TO*>(p.out), p.n); \
  }

BI_CAST(bi_cast_f32_bf16, float, __nv_bfloat16)
BI_CAST(bi_cast_f32_f16, float, __half)
BI_CAST(bi_cast_bf16_f32, __nv_bfloat16, float)
BI_CAST(bi_cast_f16_f32, __half, float)
