// Batch-invariant attention engine for DJL: Hopper's asynchronous-copy primitives (sm_90a) — shared
// memory mbarriers (initialise, arrive, arrive with an expected byte count, wait on a phase) and
// the tensor memory accelerator's 2-D tile load, which completes its bytes on an mbarrier. The
// tensor map is built by the host (cuTensorMapEncodeTiled) and passed as a __grid_constant__
// kernel argument.
#pragma once

#include "bi/common.cuh"

namespace bi {

struct alignas(64) TmaMap {
  unsigned long long opaque[16];
};

__device__ __forceinline__ void mbar_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
__device__ __forceinline__ void mbar_expect_bytes(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 0;
  while (!done) {
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  }
}
// box (x = k, y = row) of a 2-D map into shared memory, counted on `bar`
__device__ __forceinline__ void tma_load(uint32_t dst, const TmaMap& map, int x, int y, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(
          dst),
      "l"(reinterpret_cast<uint64_t>(&map)), "r"(x), "r"(y), "r"(bar)
      : "memory");
}

}  // namespace bi
