// Batch-invariant attention engine for DJL: writing new tokens' keys and values into a paged
// KV cache on the device. The head vector of each (token, KV head) item goes to the pool offset
// the host computed from the page table; threads are spread over items and their 16-byte vectors
// (a head vector is only 8 or 16 of them), KV_APPEND_THREADS a block. bi_kv_append copies both
// vectors unchanged; bi_kv_append_rope_* stores the key rotated at the token's position
// (rope_pair, the rotation the attention kernels apply to keys of an unrotated cache), one thread
// per rotated pair, and copies the value.
#include "bi/small_params.cuh"
#include "bi/common.cuh"

extern "C" __global__ void bi_kv_append(const __grid_constant__ bi::KvAppendParams p) {
  const long long g = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long item = g / p.vectors;
  if (item >= p.count) return;
  const int i = static_cast<int>(g - item * p.vectors);
  const long long dst = p.dst_offsets[item] + i;  // in 16-byte vectors
  const long long src = item * p.vectors + i;
  p.dst_k[dst] = p.src_k[src];
  p.dst_v[dst] = p.src_v[src];
}

namespace bi {

template <typename T> __device__ void kv_append_rope(const KvAppendParams& p) {
  constexpr int PER = 16 / sizeof(T);
  const int half = p.vectors * PER / 2;
  const long long g = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long item = g / half;
  if (item >= p.count) return;
  const int i = static_cast<int>(g - item * half);
  const long long dst = p.dst_offsets[item];
  const long long src = item * p.vectors;
  const T* sk = reinterpret_cast<const T*>(p.src_k + src);
  T* dk = reinterpret_cast<T*>(p.dst_k + dst);
  const long long row = static_cast<long long>(p.positions[item]) * half;
  T x = sk[i], y = sk[i + half];
  rope_pair(x, y, p.rope_cos[row + i], p.rope_sin[row + i]);
  dk[i] = x;
  dk[i + half] = y;
  // half >= vectors: the item's first threads copy its value vectors
  if (i < p.vectors) p.dst_v[dst + i] = p.src_v[src + i];
}

}  // namespace bi

#define BI_KV_APPEND_ROPE(TAG, T)                                                               \
  extern "C" __global__ void bi_kv_append_rope_##TAG(const __grid_constant__ bi::KvAppendParams p) { \
    bi::kv_append_rope<T>(p);                                                                   \
  }

BI_KV_APPEND_ROPE(bf16, __nv_bfloat16)
BI_KV_APPEND_ROPE(f16, __half)
