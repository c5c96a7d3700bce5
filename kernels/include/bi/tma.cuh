// Batch-invariant attention engine for DJL: Hopper's asynchronous-copy primitives (sm_90a) — shared
// memory mbarriers (initialise, arrive, arrive with an expected byte count, arrive once a thread's
// cp.async copies land, wait on a phase), named barriers for one warpgroup, and
// the tensor memory accelerator's 2-D tile load, which completes its bytes on an mbarrier, and its
// 2-D tile store from shared memory, tracked in bulk groups of the issuing thread. The tensor map
// is built by the host (cuTensorMapEncodeTiled) and passed as a __grid_constant__ kernel argument.
#pragma once

#include "bi/common.cuh"
#include "bi/params.cuh"

namespace bi {

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
// An arrival on `bar` once every cp.async this thread has issued so far has landed (counted in the
// barrier's expected arrivals: no increment of its pending count).
__device__ __forceinline__ void cp_async_mbar_arrive(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
// Named barrier `id` (1 to 15; 0 is __syncthreads') over N threads, a multiple of 32: a barrier of
// some warpgroups while the others go their own way.
template <int N> __device__ __forceinline__ void named_sync(int id) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "n"(N) : "memory");
}

// box (x = k, y = row) of a 2-D map into shared memory, counted on `bar`
__device__ __forceinline__ void tma_load(uint32_t dst, const TmaMap& map, int x, int y, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(
          dst),
      "l"(reinterpret_cast<uint64_t>(&map)), "r"(x), "r"(y), "r"(bar)
      : "memory");
}

// box (x = column, y = row) of a 2-D map written from shared memory at `src` (elements past the
// map's bounds are not written)
__device__ __forceinline__ void tma_store(const TmaMap& map, int x, int y, uint32_t src) {
  asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%2, %3}], [%1];\n" ::"l"(
                   reinterpret_cast<uint64_t>(&map)),
               "r"(src), "r"(x), "r"(y)
               : "memory");
}
__device__ __forceinline__ void bulk_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
// until at most N of this thread's latest bulk groups still read their shared memory
template <int N> __device__ __forceinline__ void bulk_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
}
// until every bulk group of this thread has completed
__device__ __forceinline__ void bulk_wait_all() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

}  // namespace bi
