// Batch-invariant attention engine for DJL: what every GEMM kernel shares once its accumulation is
// done — the epilogue (bias, activation, rounding to the output type), the split-K partial store,
// and the decomposition of grid z into (batch, split) — so the sm_80 and sm_90a families write the
// same outputs from the same sums.
#pragma once

#include "bi/accum.cuh"
#include "bi/common.cuh"
#include "bi/gemm_params.cuh"

namespace bi {

__device__ __forceinline__ float activate(float v, int act) {
  switch (act) {
    case ACT_RELU: return v > 0.f ? v : (v != v ? v : 0.f);
    case ACT_GELU: return 0.5f * v * (1.f + erff(v * 0.70710678118654752f));
    case ACT_SILU: return v / (1.f + expf(-v));
    default: return v;
  }
}
__device__ __forceinline__ double activate(double v, int act) {
  switch (act) {
    case ACT_RELU: return v > 0.0 ? v : (v != v ? v : 0.0);
    case ACT_GELU: return 0.5 * v * (1.0 + erf(v * 0.70710678118654752));
    case ACT_SILU: return v / (1.0 + exp(-v));
    default: return v;
  }
}

// The epilogue every path shares: + bias, activation, rounding to the output type.
template <typename T, typename A>
__device__ __forceinline__ void finish(const GemmParams& p, long long z, int row, int col, A v) {
  if (p.bias) v += static_cast<A>(load_acc(static_cast<const T*>(p.bias), col));
  store_acc(static_cast<T*>(p.c) + z * p.sc, static_cast<long long>(row) * p.n + col,
            static_cast<typename Acc<T>::type>(activate(v, p.act)));
}

// One output element's accumulated value: written finished, or (with a partial buffer, one split
// per block) as split s's fp32 partial.
template <typename T, typename A>
__device__ __forceinline__ void emit(const GemmParams& p, long long z, int s, int row, int col, A v) {
  if (row >= p.m || col >= p.n) return;
  if (p.partial) {
    p.partial[((static_cast<long long>(s) * p.batches + z) * p.m + row) * p.n + col] = static_cast<float>(v);
  } else {
    finish<T, A>(p, z, row, col, v);
  }
}

struct Slice {
  long long z;
  int s, kb, ke;
  long long a_off, b_off;
};

__device__ __forceinline__ Slice slice_of(const GemmParams& p) {
  Slice q;
  // with a partial buffer each block runs one split (grid z = batches x splits), else all of them
  const int per = p.partial ? p.splits : 1;
  q.z = blockIdx.z / per;
  q.s = blockIdx.z % per;
  const long long z0 = q.z / p.batch1, z1 = q.z % p.batch1;
  q.kb = q.s * p.split_k;
  q.ke = min(p.k, q.kb + p.split_k);
  q.a_off = z0 * p.sa0 + z1 * p.sa1;
  q.b_off = z0 * p.sb0 + z1 * p.sb1;
  return q;
}

// 16-byte global->shared copy of `bytes` valid bytes (0 to 16), the rest zero-filled.
__device__ __forceinline__ void cp_async16_n(void* dst, const void* src, int bytes) {
  cp_async16_to(smem_addr(dst), src, bytes);
}

}  // namespace bi
