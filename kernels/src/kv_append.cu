// Batch-invariant attention engine for DJL: writing new tokens' keys and values into a paged
// KV cache on the device. One thread block per (token, KV head): a straight copy of one head
// vector to the pool offset the host computed from the page table (no arithmetic on the values).
#include "bi/small_params.cuh"

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
