// Batch-invariant attention engine for DJL: batch prefill/decode attention over a paged KV cache on
// Hopper's warpgroup tensor cores (wgmma). Built for sm_90a only and chosen at run time on compute
// capability 9.0 for every attention call, prefill and decode alike; attention.cu (mma.sync) stays
// for the other devices.
//
// The work items, the KV tiles a row meets, the online softmax and the stores are those of every
// attention kernel (attention_common.cuh). A block has two warpgroups with one role each (warp
// specialisation): the first multiplies and holds the item's 64 packed rows (warp w rows
// 16w..16w+15, the fragment layout of mma.sync), so decode (a token's GQA heads) and prefill
// (several tokens) run the same instructions on a row; the second copies K and V. Per 64-position
// tile the multiplying warpgroup runs:
//   S = Q Kᵀ: D/16 wgmma m64n64k16 steps in increasing head-dim order from a zeroed accumulator,
//             both operands in shared memory (K-major);
//   O += P V: 4 steps in increasing position order per 64 output columns, P from registers (the
//             score accumulator is already the A fragment), V in shared memory read transposed.
// Its warps all join every wgmma (it is warpgroup-wide): rows past the request's end have zero
// queries and are never stored, so they cost time and nothing else.
//
// Order: tile t's scores are issued; while they run, the output takes the rescale tile t - 1's
// softmax asked for, then tile t - 1's P·V is issued and tile t's softmax runs while the tensor
// cores still add it (a fused tile's chunk fold follows that P·V). Every value sees the same
// operations in the same order as in a kernel that finishes each tile before the next (a fused
// tile's chunk fold included), so both families keep one per-row arithmetic.
//
// Data path: an mbarrier pipeline of STAGES stages, each a K and a V tile, 128-byte swizzled
// ([64 rows][64 columns] per 128-byte row, head_dim/64 of them side by side). The copying
// warpgroup fills tile t's K, then its V, as soon as the multiplying warpgroup has released what
// the stage held (K once its scores are in, V once its P·V is: V is needed a tile after K), with
// 16-byte cp.async copies that arrive on the stage's "full" barriers as they land; it never waits
// for the tensor cores, and they never wait on a copy's issue. With pages of 16k positions a warp
// copies 16 consecutive rows of one page from one page lookup (RunRows: no shuffled 64-bit offsets,
// no per-row page lookups), and where the host passed the pools' tensor maps (p.kv_tma) a run
// wholly inside its request comes by the copy engine instead (TMA: one box a 64 columns, its bytes
// counted on the same barrier; the last run of a request, zero-filled past its end, stays with the
// threads); otherwise each row's address comes from the page table (KvRows). The same bytes land
// every way. setmaxnreg gives the copying threads 32 registers and the
// multiplying ones 224, so two blocks fit an SM (one at head_dim 256) and one block's softmax also
// overlaps another's MMAs.
#include "bi/attention_common.cuh"
#include "bi/tma.cuh"
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
  // two blocks an SM up to head_dim 128 (each its query tile and up to four stages), one at 256
  static constexpr int BUDGET = D <= 128 ? 100 * 1024 : 200 * 1024;
  static constexpr int STAGE_BYTES = 2 * Tile::BYTES;  // K and V
  static constexpr int FIT = (BUDGET - Tile::BYTES) / STAGE_BYTES;
  static constexpr int STAGES = FIT < 4 ? FIT : 4;
  // + 1 KB so the tiles start on the 1024-byte boundary the swizzle is defined from
  static constexpr int SMEM_BYTES = Tile::BYTES + STAGES * STAGE_BYTES + 1024;
  static_assert(STAGES >= 2, "the pipeline needs two stages");
  // the blocks per SM that shared memory allows, promised to the register allocator
  static constexpr int BLOCKS = D <= 128 ? 2 : 1;
  // registers a thread after the warpgroups' split (setmaxnreg): the copies need few, the rows'
  // accumulators many. Two blocks an SM: 2 x 128 x (32 + 224) fills the register file; one block
  // keeps the 255 the launch gives every thread.
  static constexpr int PRODUCER_REGS = 32;
  static constexpr int CONSUMER_REGS = BLOCKS == 2 ? 224 : 0;
};

template <bool B> struct Flag {
  static constexpr bool value = B;
};

// A warp's part of one of K and V of a paged tile whose page size is a multiple of 16: its 16
// consecutive positions lie in one page, so one page lookup a warp a tile finds them, and each copy
// is a constant step from the thread's first row in both memories. Thread x of the copying
// warpgroup (lane l of warp w = x / 32) copies 16-byte chunk l % (D/8) of rows 16 w + l / (D/8) + WR i. Rows past the request's end are zero-filled from
// addresses of their own page (or of page 0 when all 16 are past it): inside the pool.
template <int D>
struct RunRows {
  static constexpr int CHUNKS = D / 8;
  static constexpr int WR = 32 / CHUNKS;  // rows a warp copies a pass
  static constexpr int N = 16 / WR;       // rows a thread copies
  long long off;  // element offset of the thread's first row and chunk
  int rem;        // rows from the thread's first to the request's end
  bool whole;     // all 16 of the warp's positions exist

  __device__ __forceinline__ RunRows(const AttnParams& p, const PageView& pv, const Item& it, int tile_start, int x) {
    const int a = (x & 31) / CHUNKS;
    const int pos = tile_start + 16 * (x >> 5);
    rem = it.kv_len - pos - a;
    whole = it.kv_len - pos >= 16;
    const int ordinal = pv.shift >= 0 ? pos >> pv.shift : pos / p.page_size;
    const int page = pos < it.kv_len ? pv.pages[ordinal - pv.first] : 0;
    off = (long long)page * p.stride_page + (long long)(pos - ordinal * p.page_size + a) * p.stride_slot +
          (long long)it.h * p.stride_head + (x % CHUNKS) * 8;
  }

  // Issues the copies into the shared tile at `tile` (laid out as SwizzledTile); rows past the
  // request's end are zero-filled.
  template <typename T, typename Tile>
  __device__ __forceinline__ void copy(const T* base, uint32_t tile, int stride_slot, int x) const {
    const int ch = x % CHUNKS;
    const int a = (x & 31) / CHUNKS;
    // row 16 w + a + WR i has (row & 7) = a ^ (WR i & 7): its swizzled chunk is c ^ (WR i & 7)
    const uint32_t first = tile + (ch >> 3) * Tile::SUB_BYTES + (16 * (x >> 5) + a) * 128;
    const uint32_t c = (ch & 7) ^ a;
    const T* src = base + off;
    const long long step = (long long)WR * stride_slot;
#pragma unroll
    for (int i = 0; i < N; i++) {
      const uint32_t dst = first + WR * i * 128 + ((c ^ ((WR * i) & 7)) << 4);
      cp_async16_to(dst, src + i * step, WR * i < rem ? 16 : 0);
    }
  }

  // The same rows by the copy engine: lane 0 asks for D / 64 boxes of 64 columns by the warp's 16
  // rows from the pool's map (its rows are the pool's runs of stride_slot elements, so the first
  // row's element offset gives both coordinates), written 128-byte swizzled as copy() writes them
  // (the box's 2048 bytes start on a 1024-byte boundary); their bytes complete the stage's
  // barrier, on which the warp's other lanes arrive at once.
  template <typename Tile>
  __device__ __forceinline__ void box(const TmaMap& map, uint32_t tile, uint32_t bar, int stride_slot, int x) const {
    if ((x & 31) == 0) {
      mbar_expect_bytes(bar, 16 * D * 2);
      // lane 0's offset is the warp's first row's, at column 0
      const int y = (int)(off / stride_slot), c = (int)(off % stride_slot);
#pragma unroll
      for (int half = 0; half < D / 64; half++) {
        tma_load(tile + half * Tile::SUB_BYTES + 16 * (x >> 5) * 128, map, c + half * 64, y, bar);
      }
    } else {
      mbar_arrive(bar);
    }
  }
};

// Roles of the block's two warpgroups: the first multiplies (its threads hold the rows, as in every
// attention kernel, so the shared helpers index it by threadIdx.x), the second copies K and V.
constexpr int A90_THREADS = 2 * THREADS;
constexpr int A90_PRODUCER = THREADS;  // threadIdx.x of the copying warpgroup's first thread
// named barrier of the multiplying warpgroup (0 is the block's)
constexpr int A90_CONSUMER_BAR = 1;

__device__ __forceinline__ void consumer_sync() { named_sync<THREADS>(A90_CONSUMER_BAR); }

// The pipeline's mbarriers, S of each kind from `base` (8 bytes each): a stage's K landed, its V
// landed (the copying warpgroup's 128 threads arrive), its K released, its V released (the
// multiplying warpgroup's 128).
template <int S>
struct A90Bars {
  uint32_t full_k, full_v, empty_k, empty_v;
  __device__ __forceinline__ explicit A90Bars(uint32_t base)
      : full_k(base), full_v(base + 8 * S), empty_k(base + 16 * S), empty_v(base + 24 * S) {}
};

// The copying warpgroup: tile t's K, then its V, into stage t % S as soon as the multiplying
// warpgroup has released what the stage held (K of tile t - S once its scores are in, V of tile
// t - S once its P·V is); each thread's copies arrive on the stage's "full" barrier when they land.
template <typename T, int D, bool RUNS>
__device__ __forceinline__ void a90_produce(const AttnParams& p, const Item& it, const PageView& pv, uint32_t sq,
                                            const A90Bars<H90<D>::STAGES>& b) {
  using L = H90<D>;
  using Tile = SwizzledTile<D>;
  constexpr int S = L::STAGES;
  if constexpr (L::CONSUMER_REGS > 0) {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(L::PRODUCER_REGS) : "memory");
  }
  const int x = threadIdx.x - A90_PRODUCER;
  const uint32_t skv = sq + Tile::BYTES;
  for (int t = 0; t < it.num_tiles; t++) {
    const int s = t % S;
    const uint32_t released = ((t / S) & 1) ^ 1;  // the phase that tile t - S's release completed
    const uint32_t k_at = skv + (uint32_t)s * L::STAGE_BYTES, v_at = k_at + Tile::BYTES;
    const int kt = it.first_tile + t * KV_TILE;
    // one of K and V into the stage once released: by the copy engine (box) or the threads
    auto fill = [&](const auto& rows, bool box, uint32_t empty, uint32_t full, const void* pool, const TmaMap& map,
                    uint32_t at) {
      if (t >= S) mbar_wait(empty + 8 * s, released);
      if constexpr (RUNS) {
        if (box) {
          rows.template box<Tile>(map, at, full + 8 * s, p.stride_slot, x);
          return;
        }
        rows.template copy<T, Tile>(static_cast<const T*>(pool), at, p.stride_slot, x);
      } else {
        rows.template copy<T, Tile>(static_cast<const T*>(pool), at, x);
      }
      cp_async_mbar_arrive(full + 8 * s);
    };
    if constexpr (RUNS) {
      const RunRows<D> rows(p, pv, it, kt, x);
      // a warp's 16 positions whole (none past the request's end) come by the copy engine where
      // the host gave the pools' maps; the others by the threads, zero-filled past the end
      const bool box = p.kv_tma && rows.whole;
      fill(rows, box, b.empty_k, b.full_k, p.k, p.k_map, k_at);
      fill(rows, box, b.empty_v, b.full_v, p.v, p.v_map, v_at);
    } else {
      const KvRows<D> rows(p, pv, it, kt, x);
      fill(rows, false, b.empty_k, b.full_k, p.k, p.k_map, k_at);
      fill(rows, false, b.empty_v, b.full_v, p.v, p.v_map, v_at);
    }
  }
  cp_async_wait<0>();
}

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
  // tile t's K and V (the stage t % S)
  auto k_at = [&](int t) { return skv + (uint32_t)(t % S) * L::STAGE_BYTES; };
  auto v_at = [&](int t) { return k_at(t) + Tile::BYTES; };
  __shared__ int row_pos[64];
  __shared__ int staged_pages[STAGED_PAGES];
  __shared__ __align__(8) uint64_t a90_bars[4 * S];
  const A90Bars<S> b(smem_addr(a90_bars));
  if (threadIdx.x == 0) {
#pragma unroll
    for (int s = 0; s < S; s++) {
      mbar_init(b.full_k + 8 * s, THREADS);
      mbar_init(b.full_v + 8 * s, THREADS);
      mbar_init(b.empty_k + 8 * s, THREADS);
      mbar_init(b.empty_v + 8 * s, THREADS);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }

  // The item and its page numbers come from the plan's tables (host copies), so a dependent launch
  // finds them while the kernel ahead still runs; the queries and keys may be that kernel's output.
  // The item lives in shared memory: its fields are read where used instead of holding registers
  // through the tile loop (both warpgroups' registers are counted to the last).
  __shared__ Item item;
  if (threadIdx.x == 0) item = item_of(p);
  __syncthreads();  // the item and the barriers' initialisation, visible to both warpgroups
  const Item& it = item;
  const int n = it.num_tiles;
  __shared__ PageView page_view;  // the same for every thread; kept out of the copies' registers
  const PageView pv = stage_pages(p, it, staged_pages);
  if (threadIdx.x == 0) page_view = pv;
  __syncthreads();
  dependent_wait();
  if (threadIdx.x >= A90_PRODUCER) {
    a90_produce<T, D, RUNS>(p, it, page_view, sq, b);
    return;
  }
  if constexpr (L::CONSUMER_REGS > 0) {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(L::CONSUMER_REGS) : "memory");
  }

  load_q_tile<T, D, Tile>(p, it, reinterpret_cast<T*>(smem), row_pos);
  cp_async_commit();

  Rows rw = rows_of(p, it);
  float o[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; i++) o[i] = 0.f;
  Folded<D> fo(it);

  cp_async_wait<0>();
  if (p.pos_mode == 1 || p.pos_mode == 3) {
    consumer_sync();
    rope_rows<T, D, Tile>(p, reinterpret_cast<T*>(smem), 64, row_pos);
  }
  fence_proxy_async();
  consumer_sync();

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
  // a stage's K or V given back to the copying warpgroup once this warpgroup's wgmma reading it is
  // done: every thread arrives, so that its own shared stores into the stage (RoPE of the keys)
  // are ordered before the copies that refill it by the barrier itself
  auto release = [&](uint32_t bar, int t) { mbar_arrive(bar + 8 * (t % S)); };

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
    // tile t's K and tile t - 1's V have landed (the copies of the producer's every thread), and
    // are visible to the tensor cores
    mbar_wait(b.full_k + 8 * (t % S), (t / S) & 1);
    if constexpr (!FIRST) mbar_wait(b.full_v + 8 * ((t - 1) % S), ((t - 1) / S) & 1);
    fence_proxy_async();
    if (p.pos_mode == 1) {
      __shared__ int kpos[64];
      consumer_sync();  // every warp is past the last tile's rotation
      if (threadIdx.x < 64) kpos[threadIdx.x] = kt + (int)threadIdx.x < it.kv_len ? kt + (int)threadIdx.x : -1;
      consumer_sync();
      rope_rows<T, D, Tile>(p, reinterpret_cast<T*>(smem + (ck - sq)), 64, kpos);
      fence_proxy_async();
      consumer_sync();
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
    if constexpr (FIRST) {
      wgmma_wait<0>(s);
    } else {
      rescale_output<D>(o, scale);
      add_pv(t - 1);
      wgmma_wait<1>(s);
    }
    release(b.empty_k, t);

    // a fused tile entering its next chunk restarts the softmax here and folds the last chunk's
    // state once that chunk's last P·V is in
    float pm[2], pl[2];
    const bool opens = fo.opens_chunk(p, t, kt);
    if (opens) fo.restart(rw, pm, pl);
    // every warp runs it, rows of the request or not: a warp-dependent branch around registers the
    // MMAs use makes the compiler serialise the wgmma instructions
    tile_probs(p, it, rw, s, kt, scale);
    if constexpr (!FIRST) {
      wgmma_wait<0>(o);
      wgmma_pin(pr);
      release(b.empty_v, t - 1);
    }
    if (opens) fo.fold_at(p, it, kt, pm, pl, o);
#pragma unroll
    for (int kb = 0; kb < 4; kb++) probs_fragment<T>(s, kb, *reinterpret_cast<uint32_t(*)[4]>(&pr[4 * kb]));
  };

  if (n > 0) {
    step(0, Flag<true>());
    for (int t = 1; t < n; t++) step(t, Flag<false>());
    // the last tile's P·V, once its V is in
    mbar_wait(b.full_v + 8 * ((n - 1) % S), ((n - 1) / S) & 1);
    fence_proxy_async();
    rescale_output<D>(o, scale);
    add_pv(n - 1);
    wgmma_wait<0>(o);
  }
  finish_rows<T, D>(p, it, rw, o, fo);
}

}  // namespace bi

#define BI_ATTENTION90(TAG, T, D)                                                            \
  extern "C" __global__ void __launch_bounds__(bi::A90_THREADS, bi::H90<D>::BLOCKS)        \
      bi_attention90_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) {                 \
    bi::attention90<T, D, false>(p);                                                         \
  }                                                                                          \
  extern "C" __global__ void __launch_bounds__(bi::A90_THREADS, bi::H90<D>::BLOCKS)        \
      bi_attention90_pages16_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) {         \
    bi::attention90<T, D, true>(p);                                                          \
  }

BI_ATTN_VARIANTS(BI_ATTENTION90)
