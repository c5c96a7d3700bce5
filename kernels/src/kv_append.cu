// Batch-invariant attention engine for DJL: writing new tokens' keys and values into a paged
// KV cache on the device. One thread block per (token, KV head): a straight copy of one head
// vector to the pool offset the host computed from the page table (no arithmetic on the values).
#include <stdint.h>

extern "C" __global__ void bi_kv_append(const uint4* __restrict__ src_k, const uint4* __restrict__ src_v,
                                        uint4* __restrict__ dst_k, uint4* __restrict__ dst_v,
                                        const long long* __restrict__ dst_offsets, int vectors, int count) {
  const int item = blockIdx.x;
  if (item >= count) return;
  const long long dst = dst_offsets[item];  // in 16-byte vectors
  const long long src = (long long)item * vectors;
  for (int i = threadIdx.x; i < vectors; i += blockDim.x) {
    dst_k[dst + i] = src_k[src + i];
    dst_v[dst + i] = src_v[src + i];
  }
}
