// Batch-invariant attention engine for DJL: batch prefill/decode attention over a paged KV cache on
// Hopper's warpgroup tensor cores (wgmma). Built for sm_90a only and chosen at run time on compute
// capability 9.0 for every attention call, prefill and decode alike; attention.cu (mma.sync) stays
// for the other devices.
//
// The work items, the KV tiles a row meets, the online softmax and the stores are those of every
// attention kernel (attention_common.cuh). One warpgroup per block holds the item's 64 packed rows
// (warp w rows 16w..16w+15, the fragment layout of mma.sync), so decode (a token's GQA heads) and
// prefill (several tokens) run the same instructions on a row. Per 64-position tile:
//   S = Q Kᵀ: D/16 wgmma m64n64k16 steps in increasing head-dim order from a zeroed accumulator,
//             both operands in shared memory (K-major);
//   O += P V: 4 steps in increasing position order per 64 output columns, P from registers (the
//             score accumulator is already the A fragment), V in shared memory read transposed.
// A block's warps all join every wgmma (it is warpgroup-wide): rows past the request's end have
// zero queries and are never stored, so they cost time and nothing else.
//
// Order: tile t's scores are issued; while they run, the warps issue the copies that refill the
// stages tiles t - 1 and t - 2 are done with, the output takes the rescale tile t - 1's softmax
// asked for, then tile t - 1's P·V is issued and tile t's softmax runs while the tensor
// cores still add it (a fused tile's chunk fold follows that P·V). Every value sees the same
// operations in the same order as in a kernel that finishes each tile before the next (a fused
// tile's chunk fold included), so both families keep one per-row arithmetic.
//
// Data path: 16-byte cp.async copies into 128-byte-swizzled tiles ([64 rows][64 columns] per
// 128-byte row, head_dim/64 of them side by side); copy group g brings K of tile g and V of tile
// g - 1 (V is needed a tile after K), STAGES - 1 groups ahead of the tensor cores. With pages of
// 16k positions a warp copies 16 consecutive rows of one page from one page lookup (RunRows: no
// shuffled 64-bit offsets, no per-row page lookups); otherwise each row's address comes from the
// page table (KvRows). The same bytes land either way. Two blocks per SM at head_dim 128 (three at
// 64) so that one block's softmax also overlaps another's MMAs.
#include "bi/attention_common.cuh"
#include "bi/wgmma.cuh"

namespace bi {

// Shared layout of one head_dim-D tile of 64 rows: D/64 swizzled [64][64] sub-tiles.
template <int D>
struct SwizzledTile {
  static constexpr int SUB_BYTES = 64 * 128;
  static constexpr int BYTES = 64 * D * 2;
  // element offset of (row, col) in the tile
  __device__ static __forceinline__ int at(int row, int col) {
    return ((col >> 6) * SUB_BYTES + row * 128 + ((((col >> 3) & 7) ^ (row & 7)) << 4)) / 2 + (col & 7);
  }
};

template <int D>
struct H90 {
  using Tile = SwizzledTile<D>;
  // blocks per SM as the registers allow: head_dim 64 three (three stages), 128 two, 256 one; a
  // fourth stage at head_dim 64 would leave shared memory for two blocks only
  static constexpr int BUDGET = D <= 64 ? 60 * 1024 : D <= 128 ? 100 * 1024 : 200 * 1024;
  static constexpr int STAGE_BYTES = 2 * Tile::BYTES;  // K and V
  static constexpr int FIT = (BUDGET - Tile::BYTES) / STAGE_BYTES;
  static constexpr int STAGES = FIT < 4 ? FIT : 4;
  // + 1 KB so the tiles start on the 1024-byte boundary the swizzle is defined from
  static constexpr int SMEM_BYTES = Tile::BYTES + STAGES * STAGE_BYTES + 1024;
  static_assert(STAGES >= 2, "the pipeline needs two stages");
  // the blocks per SM that shared memory allows, promised to the register allocator
  static constexpr int BLOCKS = D <= 64 ? 3 : D <= 128 ? 2 : 1;
};

template <bool B> struct Flag {
  static constexpr bool value = B;
};

// A warp's part of one of K and V of a paged tile whose page size is a multiple of 16: its 16
// consecutive positions lie in one page, so one page lookup a warp a tile finds them, and each copy
// is a constant step from the thread's first row in both memories. Lane l copies 16-byte chunk
// l % (D/8) of rows 16 w + l / (D/8) + WR i. Rows past the request's end are zero-filled from
// addresses of their own page (or of page 0 when all 16 are past it): inside the pool.
template <int D>
struct RunRows {
  static constexpr int CHUNKS = D / 8;
  static constexpr int WR = 32 / CHUNKS;  // rows a warp copies a pass
  static constexpr int N = 16 / WR;       // rows a thread copies
  long long off;  // element offset of the thread's first row and chunk
  int rem;        // rows from the thread's first to the request's end

  __device__ __forceinline__ RunRows(const AttnParams& p, const PageView& pv, const Item& it, int tile_start) {
    const int a = (threadIdx.x & 31) / CHUNKS;
    const int pos = tile_start + 16 * (int)(threadIdx.x >> 5);
    rem = it.kv_len - pos - a;
    const int ordinal = pv.shift >= 0 ? pos >> pv.shift : pos / p.page_size;
    const int page = pos < it.kv_len ? pv.pages[ordinal - pv.first] : 0;
    off = (long long)page * p.stride_page + (long long)(pos - ordinal * p.page_size + a) * p.stride_slot +
          (long long)it.h * p.stride_head + (threadIdx.x % CHUNKS) * 8;
  }

  // Issues the copies into the shared tile at `tile` (laid out as SwizzledTile); rows past the
  // request's end are zero-filled.
  template <typename T, typename Tile>
  __device__ __forceinline__ void copy(const T* base, uint32_t tile, int stride_slot) const {
    const int ch = threadIdx.x % CHUNKS;
    const int a = (threadIdx.x & 31) / CHUNKS;
    // row 16 w + a + WR i has (row & 7) = a ^ (WR i & 7): its swizzled chunk is c ^ (WR i & 7)
    const uint32_t first = tile + (ch >> 3) * Tile::SUB_BYTES + (16 * (threadIdx.x >> 5) + a) * 128;
    const uint32_t c = (ch & 7) ^ a;
    const T* src = base + off;
    const long long step = (long long)WR * stride_slot;
#pragma unroll
    for (int i = 0; i < N; i++) {
      const uint32_t dst = first + WR * i * 128 + ((c ^ ((WR * i) & 7)) << 4);
      cp_async16_to(dst, src + i * step, WR * i < rem ? 16 : 0);
    }
  }
};

// RUNS: the variant for pages of 16k positions (RunRows), launched only for them.
template <typename T, int D, bool RUNS>
__device__ __forceinline__ void attention90(const AttnParams& p) {
  // Where a merge follows (the plan keeps partial states), it may take free SM slots now and waits
  // there for this grid's end. Otherwise the next kernel is scheduled as this grid ends: placed
  // earlier, it would fill the slots left free beside this grid's blocks, two to an SM where the
  // grid leaves an SM idle, instead of one to an SM on an idle device.
  if (*p.num_merge_rows > 0) dependents_may_start();
  if (blockIdx.x >= *p.num_items) {
    dependent_wait();
    return;
  }
  using L = H90<D>;
  using Tile = SwizzledTile<D>;
  constexpr int S = L::STAGES;
  extern __shared__ __align__(1024) uint8_t a90_smem_raw[];
  const uint32_t raw = smem_addr(a90_smem_raw);
  uint8_t* smem = a90_smem_raw + ((1024 - (raw & 1023)) & 1023);
  const uint32_t sq = smem_addr(smem);
  const uint32_t skv = sq + Tile::BYTES;  // stage j: K at skv + j * STAGE_BYTES, V after it
  // a shared address as the element pointer the copies take
  auto stage = [&](uint32_t addr) { return reinterpret_cast<T*>(smem + (addr - sq)); };
  // tile t's K and V (the stage t % S)
  auto k_at = [&](int t) { return skv + (uint32_t)(t % S) * L::STAGE_BYTES; };
  auto v_at = [&](int t) { return k_at(t) + Tile::BYTES; };
  __shared__ int row_pos[64];
  __shared__ int staged_pages[STAGED_PAGES];

  // The item and its page numbers come from the plan's tables (host copies), so a dependent launch
  // finds them while the kernel ahead still runs; the queries and keys may be that kernel's output.
  const Item it = item_of(p);
  const int n = it.num_tiles;
  const PageView pv = stage_pages(p, it, staged_pages);
  dependent_wait();

  load_q_tile<T, D, Tile>(p, it, reinterpret_cast<T*>(smem), row_pos);
  cp_async_commit();

  // copy group g: K of tile g and V of tile g - 1 (a tile's P·V runs beside the next tile's
  // scores, so its V is needed a tile later than its K); V's rows are those K's found a group
  // earlier
  KvRows<D> last(-1);
  auto load_group = [&](int g) {
    if constexpr (RUNS) {
      // V's rows are found again rather than kept from the last group (registers)
      const int kt = it.first_tile + g * KV_TILE;
      if (g >= 1 && g <= n) {
        RunRows<D>(p, pv, it, kt - KV_TILE).template copy<T, Tile>(static_cast<const T*>(p.v), v_at(g - 1),
                                                                  p.stride_slot);
      }
      if (g < n) RunRows<D>(p, pv, it, kt).template copy<T, Tile>(static_cast<const T*>(p.k), k_at(g), p.stride_slot);
    } else {
      if (g >= 1 && g <= n) last.template copy<T, Tile>(static_cast<const T*>(p.v), stage(v_at(g - 1)));
      if (g < n) {
        last = KvRows<D>(p, pv, it, it.first_tile + g * KV_TILE);
        last.template copy<T, Tile>(static_cast<const T*>(p.k), stage(k_at(g)));
      }
    }
    cp_async_commit();
  };
#pragma unroll
  for (int g = 0; g < S - 1; g++) load_group(g);

  Rows rw = rows_of(p, it);
  float o[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; i++) o[i] = 0.f;
  Folded<D> fo(it);

  if (p.pos_mode == 1 || p.pos_mode == 3) {
    cp_async_wait<S - 1>();
    __syncthreads();
    rope_rows<T, D, Tile>(p, reinterpret_cast<T*>(smem), 64, row_pos);
  }

  float s[32];     // the tile's scores, then its probabilities
  uint32_t pr[16]; // the last tile's probabilities, the A operand of its P·V

  // O += P V of tile t: per 64 output columns, 4 steps of 16 positions (2048 bytes of rows apart)
  auto add_pv = [&](int t) {
    const uint64_t dv = smem_desc(v_at(t), 1024);
    wgmma_fence();
#pragma unroll
    for (int kb = 0; kb < 4; kb++) {
#pragma unroll
      for (int half = 0; half < D / 64; half++) {
        WgmmaRs<T, 64>::run(*reinterpret_cast<float(*)[32]>(&o[32 * half]),
                            *reinterpret_cast<const uint32_t(*)[4]>(&pr[4 * kb]),
                            desc_add(dv, half * Tile::SUB_BYTES + kb * 2048));
      }
    }
    wgmma_commit();
  };

  // The factors tile t's softmax asks the output to take: applied in the next step once that step's
  // scores are issued, so that the tensor cores compute while the warps rescale.
  float scale[2];

  // Tile t: its scores are issued; the output takes the last tile's rescale and the last tile's
  // P·V is issued while they run; then the softmax turns the scores into probabilities
  // while the tensor cores still add that P·V. The first tile has no P·V before it (a separate copy
  // of the step, so that no branch separates a wgmma from its wait).
  auto step = [&](int t, auto first) {
    constexpr bool FIRST = decltype(first)::value;
    const int kt = it.first_tile + t * KV_TILE;
    const uint32_t ck = k_at(t);
    // copy group t (K of tile t, V of tile t - 1) has landed for every thread and is visible to the
    // tensor cores, and every warp is done with tile t - 1's scores and tile t - 2's P·V
    cp_async_wait<S - 2>();
    fence_proxy_async();
    __syncthreads();
    if (p.pos_mode == 1) {
      __shared__ int kpos[64];
      if (threadIdx.x < 64) kpos[threadIdx.x] = kt + (int)threadIdx.x < it.kv_len ? kt + (int)threadIdx.x : -1;
      __syncthreads();
      rope_rows<T, D, Tile>(p, stage(ck), 64, kpos);
      fence_proxy_async();
      __syncthreads();
    }
    // S = Q K^T: head_dim/16 steps, 64-column sub-tile kk/4, 32 bytes further along its rows per step
#pragma unroll
    for (int i = 0; i < 32; i++) s[i] = 0.f;
    const uint64_t dq = smem_desc(sq), dk = smem_desc(ck);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
      const uint32_t x = (kk / 4) * Tile::SUB_BYTES + (kk % 4) * 32;
      Wgmma<T, 64>::run(s, desc_add(dq, x), desc_add(dk, x), 1);
    }
    wgmma_commit();
    // refill the stages tile t - 1's K and tile t - 2's V used (neither is tile t's K nor tile
    // t - 1's V, which the tensor cores read now): the copies' addresses are found while the
    // scores run instead of before them
    load_group(t + S - 1);
    if constexpr (FIRST) {
      wgmma_wait<0>(s);
    } else {
      rescale_output<D>(o, scale);
      add_pv(t - 1);
      wgmma_wait<1>(s);
    }

    // a fused tile entering its next chunk restarts the softmax here and folds the last chunk's
    // state once that chunk's last P·V is in
    float pm[2], pl[2];
    const bool opens = fo.opens_chunk(p, t, kt);
    if (opens) fo.restart(rw, pm, pl);
    // every warp runs it, rows of the request or not: a warp-dependent branch around registers the
    // MMAs use makes the compiler serialise the wgmma instructions
    tile_probs(p, rw, s, kt, scale);
    if constexpr (!FIRST) {
      wgmma_wait<0>(o);
      wgmma_pin(pr);
    }
    if (opens) fo.fold_at(p, it, kt, pm, pl, o);
#pragma unroll
    for (int kb = 0; kb < 4; kb++) probs_fragment<T>(s, kb, *reinterpret_cast<uint32_t(*)[4]>(&pr[4 * kb]));
  };

  if (n > 0) {
    step(0, Flag<true>());
    for (int t = 1; t < n; t++) step(t, Flag<false>());
    // the last tile's P·V, once its V (copy group n) is in
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    rescale_output<D>(o, scale);
    add_pv(n - 1);
    wgmma_wait<0>(o);
  }
  cp_async_wait<0>();
  finish_rows<T, D>(p, it, rw, o, fo);
}

}  // namespace bi

#define BI_ATTENTION90(TAG, T, D)                                                            \
  extern "C" __global__ void __launch_bounds__(bi::THREADS, bi::H90<D>::BLOCKS)            \
      bi_attention90_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) {                 \
    bi::attention90<T, D, false>(p);                                                         \
  }                                                                                          \
  extern "C" __global__ void __launch_bounds__(bi::THREADS, bi::H90<D>::BLOCKS)            \
      bi_attention90_pages16_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) {         \
    bi::attention90<T, D, true>(p);                                                          \
  }

BI_ATTN_VARIANTS(BI_ATTENTION90)
