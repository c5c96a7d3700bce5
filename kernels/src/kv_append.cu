// Batch-invariant attention engine for DJL: writing new tokens' keys and values into a paged
// KV cache on the device. One thread block per (token, KV head): the head vector goes to the pool
// offset the host computed from the page table. bi_kv_append copies both vectors unchanged;
// bi_kv_append_rope_* stores the key rotated at the token's position (rope_pair, the rotation the
// attention kernels apply to keys of an unrotated cache) and copies the value.
#include "bi/small_params.cuh"
#include "bi/common.cuh"

extern "C" __global__ void bi_kv_append(const __grid_constant__ bi::KvAppendParams p) {
  const int item = blockIdx.x;
  if (item >= p.count) return;
  const long long dst = p.dst_offsets[item];  // in 16-byte vectors
  const long long src = (long long)item * p.vectors;
  for (int i = threadIdx.x; i < p.vectors; i += blockDim.x) {
    p.dst_k[dst + i] = p.src_k[src + i];
    p.dst_v[dst + i] = p.src_v[src + i];
  }
}

namespace bi {

template <typename T> __device__ void kv_append_rope(const KvAppendParams& p) {
  const int item = blockIdx.x;
  if (item >= p.count) return;
  const long long dst = p.dst_offsets[item];
  const long long src = (long long)item * p.vectors;
  constexpr int PER = 16 / sizeof(T);
  const int half = p.vectors * PER / 2;
  const T* sk = reinterpret_cast<const T*>(p.src_k + src);
  T* dk = reinterpret_cast<T*>(p.dst_k + dst);
  const long long row = static_cast<long long>(p.positions[item]) * half;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    T x = sk[i], y = sk[i + half];
    rope_pair(x, y, p.rope_cos[row + i], p.rope_sin[row + i]);
    dk[i] = x;
    dk[i + half] = y;
  }
  for (int i = threadIdx.x; i < p.vectors; i += blockDim.x) p.dst_v[dst + i] = p.src_v[src + i];
}

}  // namespace bi

#define BI_KV_APPEND_ROPE(TAG, T)                                                               \
  extern "C" __global__ void bi_kv_append_rope_##TAG(const __grid_constant__ bi::KvAppendParams p) { \
    bi::kv_append_rope<T>(p);                                                                   \
  }

BI_KV_APPEND_ROPE(bf16, __nv_bfloat16)
BI_KV_APPEND_ROPE(f16, __half)
