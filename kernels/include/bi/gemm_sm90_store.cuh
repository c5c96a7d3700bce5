// Batch-invariant attention engine for DJL: the Hopper GEMM's stores (gemm_sm90.cu) — the
// accumulator fragments' rounding stores with their epilogues (bias, activation, partials, the
// SwiGLU gate), and the copy-engine tiles' store through shared memory and c's tensor map. Where an
// output goes never changes its value: every path rounds the same fp32 sum once.
#pragma once

#include "bi/ew_ops.cuh"
#include "bi/gemm_common.cuh"
#include "bi/gemm_sm90_tile.cuh"
#include "bi/tma.cuh"
#include "bi/wgmma.cuh"

namespace bi {

template <typename T> struct EwTag;
template <> struct EwTag<__nv_bfloat16> { static constexpr int value = BF16; };
template <> struct EwTag<__half> { static constexpr int value = F16; };

// The ACT_SWIGLU store: register block 2j of 8 columns holds gate values, block 2j + 1 the up
// values of the same outputs; each pair is rounded to T as a plain store would round it, then
// gated by silu_mul_one (the siluMul kernel's arithmetic), so the output has the bits of the
// product followed by siluMul over blocks of 8.
template <typename T, int NW>
__device__ __forceinline__ void store_swiglu(const GemmParams& p, long long z, const float (&acc)[NW / 2], int row0,
                                             int col0) {
  constexpr int TAG = EwTag<T>::value;
  const int half_n = p.n >> 1;
  uint16_t* c = static_cast<uint16_t*>(p.c) + z * p.sc;
#pragma unroll
  for (int i = 0; i < NW / 2; i += 2) {
    if (((i >> 2) & 1) == 0) {
      const int row = row0 + ((i & 2) ? 8 : 0), col = col0 + (i >> 2) * 8;
      if (row < p.m && col < p.n) {
        const uint32_t g = Pack2<T>::from(acc[i], acc[i + 1]), u = Pack2<T>::from(acc[i + 4], acc[i + 5]);
        const uint32_t h0 = silu_mul_one<TAG, C_FLOAT>(static_cast<uint16_t>(g), static_cast<uint16_t>(u));
        const uint32_t h1 = silu_mul_one<TAG, C_FLOAT>(static_cast<uint16_t>(g >> 16), static_cast<uint16_t>(u >> 16));
        *reinterpret_cast<uint32_t*>(c + static_cast<long long>(row) * half_n + (col >> 4) * 8 + (col & 7)) =
            h0 | (h1 << 16);
      }
    }
  }
}

// Outputs that need more than a rounding store (bias, activation, a split's partial, the last
// odd column): out of line, so the common store stays compact.
template <typename T> __device__ __noinline__ void h_emit(const GemmParams& p, long long z, int s, int row, int col,
                                                          float v) {
  emit<T, float>(p, z, s, row, col, v);
}

// The store of a block's outputs; tid is the thread's index among the two MMA warpgroups.
template <typename T, int BM, int NW>
__device__ __forceinline__ void h_store(const GemmParams& p, const Slice& q, const float (&acc)[NW / 2], int m0, int n0,
                                        int tid) {
  // accumulator fragment: warp w of the warpgroup holds rows 16w..16w+15; register i is row
  // lane/4 (+8 when i%4 >= 2), column 8*(i/4) + 2*(lane%4) + i%2
  const int wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const int row0 = m0 + (BM == 128 ? wg * 64 : 0) + warp * 16 + (lane >> 2);
  const int col0 = n0 + (BM == 128 ? 0 : wg * NW) + (lane & 3) * 2;
  if (BM < H_MMA_ROWS && warp * 16 >= BM) return;  // rows the tile does not own
  if constexpr (NW >= 16) {  // gate and up blocks of 8 columns side by side in one warpgroup
    if (p.act == ACT_SWIGLU) {
      store_swiglu<T, NW>(p, q.z, acc, row0, col0);
      return;
    }
  }
  const bool plain = p.partial == nullptr && p.bias == nullptr && p.act == ACT_NONE && (p.n % 2 == 0) &&
                     (p.sc % 2 == 0) && ((reinterpret_cast<uintptr_t>(p.c) & 3) == 0);
  T* c = static_cast<T*>(p.c) + q.z * p.sc;
  // every output of this thread inside the product: a store each from two row pointers, with no
  // test and no out-of-line call between them (where the tests and calls were interleaved, each
  // store reloaded its operands from the parameter bank: 15% of the MMA warps' samples in a
  // 4096-cube product, the tensor cores idle meanwhile)
  if (plain && row0 + 8 < p.m && col0 + (NW / 8 - 1) * 8 + 1 < p.n) {
    uint32_t* r0 = reinterpret_cast<uint32_t*>(c + static_cast<long long>(row0) * p.n + col0);
    uint32_t* r8 = reinterpret_cast<uint32_t*>(c + static_cast<long long>(row0 + 8) * p.n + col0);
#pragma unroll
    for (int i = 0; i < NW / 2; i += 4) {
      r0[(i >> 2) * 4] = Pack2<T>::from(acc[i], acc[i + 1]);
      r8[(i >> 2) * 4] = Pack2<T>::from(acc[i + 2], acc[i + 3]);
    }
    return;
  }
#pragma unroll
  for (int i = 0; i < NW / 2; i += 2) {
    const int row = row0 + ((i & 2) ? 8 : 0), col = col0 + (i >> 2) * 8;
    if (plain && row < p.m && col + 1 < p.n) {
      *reinterpret_cast<uint32_t*>(c + static_cast<long long>(row) * p.n + col) = Pack2<T>::from(acc[i], acc[i + 1]);
    } else if (row < p.m && col < p.n) {
      h_emit<T>(p, q.z, q.s, row, col, acc[i]);
      h_emit<T>(p, q.z, q.s, row, col + 1, acc[i + 1]);
    }
  }
}

// The copy-engine tiles' store (p.c_map): a warpgroup's 64 rows x NW columns leave in chunks of
// 64 x 64, each written to shared memory as the copy engine's 128-byte-swizzled box (32-bit stores,
// no bank conflict) and sent by one thread as a tensor store, while the warpgroup goes on to its
// next tile: the tensor cores wait for a few shared stores instead of 64 global ones a thread, whose
// 16-byte pieces of 32-byte sectors backed up behind every block's at once. A warpgroup has PER_WG
// chunk buffers behind the pipeline's stages, as many as the SM's shared memory leaves (up to its
// NW / 64 chunks).
template <int BM, int NW, int KSUB> struct HEpi {
  static constexpr int CHUNK_BYTES = 64 * H_ROW_BYTES;
  static constexpr int FREE = 227 * 1024 - HTile<BM, NW, KSUB>::SMEM_BYTES - 1024;  // static shared kept aside
  static constexpr int FIT = FREE / (2 * CHUNK_BYTES);
  static constexpr int PER_WG = NW / 64 < FIT ? NW / 64 : FIT;
  static constexpr int BYTES = 2 * PER_WG * CHUNK_BYTES;
  static_assert(NW % 64 == 0 && PER_WG >= 1, "a chunk buffer a warpgroup at least");
};

__device__ __forceinline__ void st_shared_u32(uint32_t addr, uint32_t v) {
  asm volatile("st.shared.u32 [%0], %1;\n" ::"r"(addr), "r"(v) : "memory");
}

// tid: the thread's index among the two MMA warpgroups; epi: the chunk buffers (1024-aligned)
template <typename T, int BM, int NW, int KSUB>
__device__ __forceinline__ void copy_engine_store(const TmaMap& tc, uint32_t epi, const float (&acc)[NW / 2], int m0,
                                               int n0, int tid) {
  using Epi = HEpi<BM, NW, KSUB>;
  const int wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const int row = warp * 16 + (lane >> 2);  // and row + 8: the same swizzle (row % 8)
  const uint32_t lane_off = row * H_ROW_BYTES + (lane & 3) * 4;
  const int wrow0 = m0 + (BM == 128 ? wg * 64 : 0), wcol0 = n0 + (BM == 128 ? 0 : wg * NW);
#pragma unroll
  for (int j = 0; j < NW / 64; j++) {
    const uint32_t buf = epi + (wg * Epi::PER_WG + j % Epi::PER_WG) * Epi::CHUNK_BYTES;
    // the buffer's last tensor store (PER_WG chunks ago, in this tile or an earlier one) has read it
    if ((tid & 127) == 0) bulk_wait_read<Epi::PER_WG - 1>();
    named_sync<128>(1 + wg);
#pragma unroll
    for (int b = 0; b < 8; b++) {
      const int i = (j * 8 + b) * 4;  // the registers of 8-column block j * 8 + b
      const uint32_t a = buf + lane_off + ((b ^ (row & 7)) << 4);
      st_shared_u32(a, Pack2<T>::from(acc[i], acc[i + 1]));
      st_shared_u32(a + 8 * H_ROW_BYTES, Pack2<T>::from(acc[i + 2], acc[i + 3]));
    }
    fence_proxy_async();  // the shared stores, visible to the copy engine
    named_sync<128>(1 + wg);
    if ((tid & 127) == 0) {
      tma_store(tc, wcol0 + j * 64, wrow0, buf);
      bulk_commit();
    }
  }
}

// A tile's store: through the copy engine where the host gave c's map, else h_store.
template <typename T, int BM, int NW, int KSUB>
__device__ __forceinline__ void store_tile(const GemmParams& p, const Slice& q, const TmaMap& tc, uint32_t epi,
                                               const float (&acc)[NW / 2], int m0, int n0) {
  if (p.c_map) {
    copy_engine_store<T, BM, NW, KSUB>(tc, epi, acc, m0, n0, threadIdx.x);
  } else {
    h_store<T, BM, NW>(p, q, acc, m0, n0, threadIdx.x);
  }
}

}  // namespace bi
