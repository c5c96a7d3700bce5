// Batch-invariant attention engine for DJL: C = A Wᵀ (linear's [n][k] weight) on Hopper's
// warpgroup tensor cores, fp16/bf16 operands with fp32 accumulation. Built for sm_90a only and
// chosen at run time on compute capability 9.0; the sm_80 family (gemm.cu) stays for the rest.
//
// Why it is batch-invariant: every output element is one chain of wgmma k16 steps over k in
// increasing order — 64-wide k tiles at absolute positions, four steps each — from a fresh fp32
// accumulator, over one split of k. The split count is the launcher's function of (n, k) and the
// device (HopperTiles.sm90Splits: one, except for narrow weights long in k, whose decode products are
// bound by the chain's length). Splits run a block each into fp32 partials that gemm.cu's ordered
// sum kernel adds in split order, or one after another inside each block into a running total
// formed in the same order, so both give the same bits. The tile shape follows m (wide tiles when
// many rows fill the device, narrow ones that spread the weight stream over every SM when few do):
// it decides which thread holds an output and the instruction's width N, never the element's own
// k chain.
//
// Tiles of 16 rows serve decode-sized products: the instruction still multiplies 64 rows, but only
// the first 16 of each k tile are stored in shared memory (2 KB instead of 8 KB), and the other 48
// rows it reads are whatever follows in the same stage — values that reach only the accumulators of
// warps 1 to 3, which are never stored. That leaves room for deep pipelines in two blocks an SM,
// and 16-column tiles put a 2048-wide weight on 128 SMs instead of 64.
//
// Data path of the 128 x 256, 64 x 256 and 64 x 128 tiles when the host passes tensor maps
// (gemm_wgmma_tma): the copy engine (TMA) writes each stage, asked by one thread of a third
// warpgroup, on an mbarrier pipeline — 12-25% faster at m >= 1024 than the threads' own copies
// below, with the same shared memory image and so the same bits — and, given a map of C, takes
// the plain stores too (gemm_sm90_store.cuh), so the MMA warpgroups go on to their next tile.
// Otherwise (and for every other tile):
// all 256 threads (two warpgroups) copy later stages with 16-byte cp.async into
// 128-byte-swizzled shared memory, STAGES deep, while the tensor cores run on the current one;
// wgmma reads both operands from shared memory through matrix descriptors. A stage holds KSUB
// k tiles of 64 (narrow tiles take more k per stage, so fewer loop trips carry the weight stream).
// Rows past m or n are not copied at all: their (stale) values reach only outputs that are never
// stored; k16 steps wholly past the end of k are not issued, so every tile shape runs the same
// steps.
#include "bi/gemm_common.cuh"
#include "bi/gemm_sm90_store.cuh"
#include "bi/gemm_sm90_tile.cuh"
#include "bi/tma.cuh"
#include "bi/wgmma.cuh"

namespace bi {

// The copies of one operand's tiles (ROWS x 64 k of a row-major [rows][k] matrix) that this
// thread issues, with everything but the k offset worked out once: thread t copies 16-byte chunk
// t%8 of rows t/8, t/8 + 32, ... — rows 32 apart share the swizzle (it depends on row % 8) and are
// 32 k apart in memory. Rows past the end are skipped, k past the range's end zero-filled (a stale
// value there would meet a valid one in the product); cp.async when rows are 16-byte aligned,
// else element loads and shared stores.
template <typename T, int ROWS, int THREADS = H_THREADS> struct HLoader {
  static constexpr int PER_THREAD = ROWS * 8 < THREADS ? 1 : ROWS * 8 / THREADS;
  static_assert(ROWS * 8 % THREADS == 0 || THREADS % (ROWS * 8) == 0, "whole chunks per thread");
  const T* src;      // this thread's first chunk at k = 0
  uint32_t soff;     // its byte offset in a stage's tile
  long long stride;  // elements between this thread's rows
  int rows;          // rows of this thread that exist
  int c8;            // its chunk's first k in the tile

  // tid: this thread's index among the THREADS that copy
  __device__ __forceinline__ HLoader(const T* base, int rows_left, int k, int tid) {
    const int r = tid >> 3, c = tid & 7;
    c8 = c * 8;
    src = base + static_cast<long long>(r) * k + c8;
    soff = r * H_ROW_BYTES + ((c ^ (r & 7)) << 4);
    stride = static_cast<long long>(THREADS / 8) * k;
    rows = rows_left <= r || r >= ROWS ? 0 : (rows_left - r + THREADS / 8 - 1) / (THREADS / 8);
  }

  // A k tile wholly before ke (every tile of a stage but those of a ragged last one), 16-byte
  // aligned: every chunk is 16 bytes of the row, so neither the byte count nor the address needs
  // the clamps load<true> works out for each copy (the decode-sized tiles were instruction-bound).
  __device__ __forceinline__ void load_full(uint32_t tile, int k0) const {
    const T* g = src + k0;
#pragma unroll
    for (int j = 0; j < PER_THREAD; j++) {
      if (j < rows) cp_async16_to(tile + soff + j * (THREADS / 8) * H_ROW_BYTES, g + j * stride, 16);
    }
  }

  template <bool VEC>
  __device__ __forceinline__ void load(uint32_t tile, uint8_t* tile_ptr, int k0, int ke) const {
    const int gk = k0 + c8;
    const int bytes = max(0, min(8, ke - gk)) * 2;
    const T* g = src + (bytes > 0 ? k0 : 0);
#pragma unroll
    for (int j = 0; j < PER_THREAD; j++) {
      if (j < rows) {
        const uint32_t dst = tile + soff + j * (THREADS / 8) * H_ROW_BYTES;
        if (VEC) {
          cp_async16_to(dst, g + j * stride, bytes);
        } else {
          T* e = reinterpret_cast<T*>(tile_ptr + soff + j * (THREADS / 8) * H_ROW_BYTES);
#pragma unroll
          for (int x = 0; x < 8; x++) e[x] = gk + x < ke ? src[j * stride + k0 + x] : static_cast<T>(0.f);
        }
      }
    }
  }
};

// Tile id -> (m tile, n tile), m tiles grouped by 8 so that blocks running together share their
// weight columns and input rows in L2.
__device__ __forceinline__ void tile_of(int id, int tiles_m, int tiles_n, int& tm, int& tn) {
  constexpr int GROUP = 8;
  const int per_group = GROUP * tiles_n;
  const int first = (id / per_group) * GROUP;
  const int size = min(tiles_m - first, GROUP);
  tm = first + (id % per_group) % size;
  tn = (id % per_group) / size;
}

// One stage: KSUB k tiles of each operand, k tile j of A at j * BM rows, of B at j * BN rows.
template <typename T, int BM, int NW, int KSUB, bool VEC, typename LA, typename LB>
__device__ __forceinline__ void h_stage(uint8_t* smem, uint32_t sbase, int stage, const LA& load_a, const LB& load_b,
                                        int k0, int ke) {
  using Tile = HTile<BM, NW, KSUB>;
  const int so = stage * Tile::STAGE_BYTES;
  if (VEC && k0 + Tile::BK <= ke) {  // block-uniform: every stage but a ragged last one
#pragma unroll
    for (int j = 0; j < KSUB; j++) {
      load_a.load_full(sbase + so + j * BM * H_ROW_BYTES, k0 + j * H_BK);
      load_b.load_full(sbase + so + Tile::A_BYTES + j * Tile::BN * H_ROW_BYTES, k0 + j * H_BK);
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < KSUB; j++) {
    const int a = so + j * BM * H_ROW_BYTES, b = so + Tile::A_BYTES + j * Tile::BN * H_ROW_BYTES;
    load_a.template load<VEC>(sbase + a, smem + a, k0 + j * H_BK, ke);
    load_b.template load<VEC>(sbase + b, smem + b, k0 + j * H_BK, ke);
  }
}

// The MMAs of one stage: its k16 steps (in the last stage, TAIL, only those that start before ke),
// k tile kk/4, 32 bytes further along its (swizzled) rows per step; the chain's first step
// discards the accumulator (scale-d 0). Then this warpgroup's previous stage is waited for.
template <typename T, int BM, int NW, int KSUB, bool TAIL>
__device__ __forceinline__ void h_mma_stage(float (&acc)[NW / 2], uint32_t stage, uint32_t a_off, uint32_t b_off,
                                            int k0, int ke, bool first) {
  using Tile = HTile<BM, NW, KSUB>;
  const uint64_t da = smem_desc(stage + a_off), db = smem_desc(stage + b_off);
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < Tile::BK / 16; kk++) {
    if (!TAIL || k0 + kk * 16 < ke) {
      const int j = kk / 4, x = (kk % 4) * 32;
      Wgmma<T, NW>::run(acc, desc_add(da, j * BM * H_ROW_BYTES + x), desc_add(db, j * Tile::BN * H_ROW_BYTES + x),
                        first && kk == 0 ? 0 : 1);
    }
  }
  wgmma_commit();
  wgmma_wait<1>(acc);
}

// Stage t of the k loop: wait for its copies, refill the stage step t - 2 read, issue its k16
// steps (in the last stage, TAIL, only those that start before ke). One block barrier a step: a
// second one, to refill the stage of step t - 1 as soon as it was done, had cost up to 18% of the
// large products (tools/gemm90_check.cu against cuBLAS, docs/benchmarks-gpu-ops.md).
template <typename T, int BM, int NW, int KSUB, bool VEC, bool TAIL>
__device__ __forceinline__ void h_step(float (&acc)[NW / 2], uint8_t* smem, uint32_t sbase,
                                       const HLoader<T, BM>& load_a,
                                       const HLoader<T, HTile<BM, NW, KSUB>::BN>& load_b, int kb, int ke, int t,
                                       int stages, uint32_t a_off, uint32_t b_off) {
  using Tile = HTile<BM, NW, KSUB>;
  cp_async_wait<Tile::AHEAD - 1>();
  fence_proxy_async();
  __syncthreads();
  const uint32_t stage = sbase + (t % Tile::STAGES) * Tile::STAGE_BYTES;
  const int k0 = kb + t * Tile::BK;
  // every warpgroup has passed step t - 1's wait, so the MMAs of step t - 2 are done everywhere:
  // refill their stage before this step's MMAs are issued (one barrier a step)
  const int next = t + Tile::AHEAD;
  if (next < stages) {
    h_stage<T, BM, NW, KSUB, VEC>(smem, sbase, next % Tile::STAGES, load_a, load_b, kb + next * Tile::BK, ke);
  }
  cp_async_commit();
  // on return this warpgroup's previous step is done (its stage is refilled one step later)
  h_mma_stage<T, BM, NW, KSUB, TAIL>(acc, stage, a_off, b_off, k0, ke, t == 0);
}

// The k loop of one block: [kb, ke) into acc. VEC (16-byte copies) is a template parameter so
// that each instantiation's loop body stays small enough for the instruction cache.
template <typename T, int BM, int NW, int KSUB, bool VEC>
__device__ __forceinline__ void h_mainloop(float (&acc)[NW / 2], uint8_t* smem, uint32_t sbase,
                                           const HLoader<T, BM>& load_a,
                                           const HLoader<T, HTile<BM, NW, KSUB>::BN>& load_b, int kb, int ke) {
  using Tile = HTile<BM, NW, KSUB>;
  const int wg = threadIdx.x >> 7;
  const int stages = (ke - kb + Tile::BK - 1) / Tile::BK;
#pragma unroll
  for (int s = 0; s < Tile::AHEAD; s++) {
    if (s < stages) h_stage<T, BM, NW, KSUB, VEC>(smem, sbase, s, load_a, load_b, kb + s * Tile::BK, ke);
    cp_async_commit();
  }
  const uint32_t a_off = BM == 128 ? wg * 64 * H_ROW_BYTES : 0;
  const uint32_t b_off = Tile::A_BYTES + (BM == 128 ? 0 : wg * NW * H_ROW_BYTES);
  // every stage but the last issues all its steps unconditionally (a conditional wgmma makes the
  // compiler fence the accumulators); the last stage is peeled
  for (int t = 0; t + 1 < stages; t++) {
    h_step<T, BM, NW, KSUB, VEC, false>(acc, smem, sbase, load_a, load_b, kb, ke, t, stages, a_off, b_off);
  }
  if (stages > 0) {
    h_step<T, BM, NW, KSUB, VEC, true>(acc, smem, sbase, load_a, load_b, kb, ke, stages - 1, stages, a_off, b_off);
  }
  cp_async_wait<0>();
  wgmma_wait<0>(acc);
  if (stages == 0) {
#pragma unroll
    for (int i = 0; i < NW / 2; i++) acc[i] = 0.f;
  }
}

// Whether a launch runs every split inside each block (no partial buffer): split s from a fresh
// accumulator over [s * split_k, (s + 1) * split_k), added to a running total in split order —
// ((0 + p0) + p1) + ..., the sum gemm.cu's split-K kernel forms from the partials of one split a
// block, so the two launch shapes give the same bits.
__device__ __forceinline__ bool splits_in_block(const GemmParams& p) { return p.partial == nullptr && p.splits > 1; }

template <int NW> __device__ __forceinline__ void add_split(float (&total)[NW / 2], const float (&acc)[NW / 2]) {
#pragma unroll
  for (int i = 0; i < NW / 2; i++) total[i] = __fadd_rn(total[i], acc[i]);
}

// The same running total where a thread's 128 accumulators leave no room for a second set (the
// 128 x 256 copy-engine tile): kept in this block's slice of p.split_ws, [NW / 2][256] floats
// (coalesced, and written and read back by the same thread, so it stays in L2 between splits).
// After split r the total is stored there, or, after the last, left in acc for the store (acc is
// dead until the next chain's first step discards it, so it is written unconditionally: no
// warp-dependent path around the accumulators). The loads are unconditional too (the first split
// discards what they read) and issued WS_BATCH at a time, the first batch while the split's last
// MMAs run: a load behind a branch, consumed at once, waited out its latency 128 times (2.6x the
// time of one chain at m = 4096).
constexpr int WS_BATCH = 64;

__device__ __forceinline__ void ws_load(float (&prev)[WS_BATCH], const float* ws, int b) {
#pragma unroll
  for (int j = 0; j < WS_BATCH; j++) prev[j] = __ldcg(ws + (b + j) * 256);
}

template <int NW>
__device__ __forceinline__ void add_split_ws(float (&acc)[NW / 2], float (&prev)[WS_BATCH], float* ws, bool first,
                                             bool last) {
#pragma unroll
  for (int b = 0; b < NW / 2; b += WS_BATCH) {
    if (b > 0) ws_load(prev, ws, b);
#pragma unroll
    for (int j = 0; j < WS_BATCH; j++) {
      const float v = __fadd_rn(first ? 0.f : prev[j], acc[b + j]);
      if (!last) __stcg(ws + (b + j) * 256, v);
      acc[b + j] = v;
    }
  }
}

template <typename T, int BM, int NW, int KSUB> __device__ void gemm_wgmma(const GemmParams& p) {
  using Tile = HTile<BM, NW, KSUB>;
  extern __shared__ __align__(1024) uint8_t h_smem_raw[];
  const uint32_t raw = smem_addr(h_smem_raw);
  uint8_t* smem = h_smem_raw + ((1024 - (raw & 1023)) & 1023);
  const uint32_t sbase = smem_addr(smem);
  const Slice q = slice_of(p);
  const int tiles_m = (p.m + BM - 1) / BM, tiles_n = (p.n + Tile::BN - 1) / Tile::BN;
  int tm, tn;
  tile_of(blockIdx.x, tiles_m, tiles_n, tm, tn);
  const int m0 = tm * BM, n0 = tn * Tile::BN;
  const T* A = static_cast<const T*>(p.a) + q.a_off + static_cast<long long>(m0) * p.k;
  const T* B = static_cast<const T*>(p.b) + q.b_off + static_cast<long long>(n0) * p.k;
  const bool vec = (p.k % 8 == 0) && ((reinterpret_cast<uintptr_t>(p.a) & 15) == 0) && (q.a_off % 8 == 0) &&
                   ((reinterpret_cast<uintptr_t>(p.b) & 15) == 0) && (q.b_off % 8 == 0);
  const HLoader<T, BM> load_a(A, p.m - m0, p.k, threadIdx.x);
  const HLoader<T, Tile::BN> load_b(B, p.n - n0, p.k, threadIdx.x);
  float acc[NW / 2];
#pragma unroll
  for (int i = 0; i < NW / 2; i++) acc[i] = 0.f;
  if (splits_in_block(p)) {
    if constexpr (HTile<BM, NW, KSUB>::SPLITS_IN_BLOCK) {
      float total[NW / 2];
#pragma unroll
      for (int i = 0; i < NW / 2; i++) total[i] = 0.f;
      for (int s = 0; s < p.splits; s++) {
        // both warpgroups are past the previous split's last stage before its stages are refilled
        if (s > 0) __syncthreads();
        const int kb = s * p.split_k, ke = min(p.k, kb + p.split_k);
        if (vec) {
          h_mainloop<T, BM, NW, KSUB, true>(acc, smem, sbase, load_a, load_b, kb, ke);
        } else {
          h_mainloop<T, BM, NW, KSUB, false>(acc, smem, sbase, load_a, load_b, kb, ke);
        }
        add_split<NW>(total, acc);
      }
      h_store<T, BM, NW>(p, q, total, m0, n0, threadIdx.x);
    } else {
      __trap();  // the host never runs splits inside a block of this tile
    }
    return;
  }
  if (vec) {
    h_mainloop<T, BM, NW, KSUB, true>(acc, smem, sbase, load_a, load_b, q.kb, q.ke);
  } else {
    h_mainloop<T, BM, NW, KSUB, false>(acc, smem, sbase, load_a, load_b, q.kb, q.ke);
  }
  h_store<T, BM, NW>(p, q, acc, m0, n0, threadIdx.x);
}

// ---- Large products: the copy engine (TMA) feeding two MMA warpgroups ----
// The same tiles, stages and k chain as gemm_wgmma<BM, NW, KSUB>, so the same bits; only the copies
// change. One thread of a third warpgroup asks the tensor memory accelerator for each stage's
// boxes (64 k by the tile's rows of A, by its columns of B, KSUB of each, written
// 128-byte-swizzled as HLoader writes them; out of bounds reads as zero), which
// completes the stage's "full" mbarrier by its byte count; the MMA warpgroups wait on it, multiply,
// and release the stage on an "empty" mbarrier once the wgmma reading it has completed. The tensor
// maps come from the host (cuTensorMapEncodeTiled). A tile's plain store goes through c's map
// (gemm_sm90_store.cuh's store_tile).

// A stage's release by the MMA warpgroups: one arrival a warp, once its wgmma reading the stage
// has completed (the "empty" mbarrier counts the eight MMA warps).
__device__ __forceinline__ void release_stage(uint32_t bar) {
  if ((threadIdx.x & 31) == 0) mbar_arrive(bar);
}

// Step t of a tile, the block's g-th stage use overall (stages and barrier phases run on across
// the tiles of a persistent block).
template <typename T, int BM, int NW, int KSUB, bool TAIL>
__device__ __forceinline__ void tma_step(float (&acc)[NW / 2], uint32_t sbase, uint32_t full, uint32_t empty, int wg,
                                         int kb, int ke, int t, int g) {
  using Tile = HTile<BM, NW, KSUB>;
  const int s = g % Tile::STAGES;
  mbar_wait(full + 8 * s, (g / Tile::STAGES) & 1);
  const uint32_t a_off = BM == 128 ? wg * 64 * H_ROW_BYTES : 0;
  const uint32_t b_off = Tile::A_BYTES + (BM == 128 ? 0 : wg * NW * H_ROW_BYTES);
  h_mma_stage<T, BM, NW, KSUB, TAIL>(acc, sbase + s * Tile::STAGE_BYTES, a_off, b_off, kb + t * Tile::BK, ke, t == 0);
  // the tile's step t - 1 has completed its wgmma group: its stage may be refilled
  if (t > 0) release_stage(empty + 8 * ((g - 1) % Tile::STAGES));
}

// The MMA warpgroups of a copy-engine block: for each of its tiles, the chain over this block's
// split, or (IN_BLOCK) every split's chain in turn added to a running total, ((0 + p0) + p1) + ....
// Stage uses g run on across tiles and splits, as the producer's do.
template <typename T, int BM, int NW, int KSUB, bool IN_BLOCK>
__device__ __forceinline__ void tma_consume(const GemmParams& p, const Slice& q, const TmaMap& tc, uint32_t sbase,
                                            uint32_t full, uint32_t empty, int tiles_m, int tiles_n) {
  using Tile = HTile<BM, NW, KSUB>;
  const uint32_t epi = sbase + Tile::STAGES * Tile::STAGE_BYTES;
  const int wg = threadIdx.x >> 7;
  const int tiles = tiles_m * tiles_n;
  int g = 0;
  if constexpr (IN_BLOCK) {
    // whole stages only (the host's condition): no chain is empty and no step conditional — a
    // peeled last stage of conditional steps inside the split loop makes ptxas serialise the
    // wgmma instructions (C7520)
    if (p.k % Tile::BK != 0 || p.split_k % Tile::BK != 0) __trap();
    if (!Tile::SPLITS_IN_BLOCK && p.split_ws == nullptr) __trap();
    float* ws = p.split_ws + static_cast<long long>(blockIdx.x) * (NW / 2) * 256 + threadIdx.x;
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
      int tm, tn;
      tile_of(tile, tiles_m, tiles_n, tm, tn);
      // the running total in registers beside the accumulators, or in the workspace
      float total[Tile::SPLITS_IN_BLOCK ? NW / 2 : 1];
#pragma unroll
      for (int i = 0; i < (Tile::SPLITS_IN_BLOCK ? NW / 2 : 1); i++) total[i] = 0.f;
      float acc[NW / 2];
      for (int r = 0; r < p.splits; r++) {
        const int kb = r * p.split_k, ke = min(p.k, kb + p.split_k);
        const int steps = (ke - kb) / Tile::BK;
        for (int t = 0; t < steps; t++, g++) {
          tma_step<T, BM, NW, KSUB, false>(acc, sbase, full, empty, wg, kb, ke, t, g);
        }
        if constexpr (Tile::SPLITS_IN_BLOCK) {
          wgmma_wait<0>(acc);
          release_stage(empty + 8 * ((g - 1) % Tile::STAGES));  // the split's last stage
          add_split<NW>(total, acc);
        } else {
          // the total's first half is read while the split's last MMAs run
          float prev[WS_BATCH];
          ws_load(prev, ws, 0);
          wgmma_wait<0>(acc);
          release_stage(empty + 8 * ((g - 1) % Tile::STAGES));  // the split's last stage
          add_split_ws<NW>(acc, prev, ws, r == 0, r + 1 == p.splits);
        }
      }
      if constexpr (Tile::SPLITS_IN_BLOCK) {
        store_tile<T, BM, NW, KSUB>(p, q, tc, epi, total, tm * BM, tn * Tile::BN);
      } else {
        store_tile<T, BM, NW, KSUB>(p, q, tc, epi, acc, tm * BM, tn * Tile::BN);
      }
    }
  } else {
    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
      int tm, tn;
      tile_of(tile, tiles_m, tiles_n, tm, tn);
      float acc[NW / 2];
#pragma unroll
      for (int i = 0; i < NW / 2; i++) acc[i] = 0.f;
      const int steps = (q.ke - q.kb + Tile::BK - 1) / Tile::BK;
      for (int t = 0; t + 1 < steps; t++, g++) {
        tma_step<T, BM, NW, KSUB, false>(acc, sbase, full, empty, wg, q.kb, q.ke, t, g);
      }
      if (steps > 0) {
        tma_step<T, BM, NW, KSUB, true>(acc, sbase, full, empty, wg, q.kb, q.ke, steps - 1, g);
        g++;
      }
      wgmma_wait<0>(acc);
      if (steps > 0) release_stage(empty + 8 * ((g - 1) % Tile::STAGES));  // the tile's last stage
      if (steps == 0) {
#pragma unroll
        for (int i = 0; i < NW / 2; i++) acc[i] = 0.f;
      }
      store_tile<T, BM, NW, KSUB>(p, q, tc, epi, acc, tm * BM, tn * Tile::BN);
    }
  }
  // the shared memory of the last tensor stores stays until they have completed
  if (p.c_map && (threadIdx.x & 127) == 0) bulk_wait_all();
}

// Persistent: a block takes tiles blockIdx.x, blockIdx.x + gridDim.x, ... (at most one a block when
// the tiles fit one wave), so the copies of a tile's first stages overlap the previous tile's last
// MMAs and its store. Which tile a block takes changes no output's arithmetic.
template <typename T, int BM, int NW, int KSUB>
__device__ void gemm_wgmma_tma(const GemmParams& p, const TmaMap& ta, const TmaMap& tb, const TmaMap& tc) {
  using Tile = HTile<BM, NW, KSUB>;
  extern __shared__ __align__(1024) uint8_t h_smem_raw[];
  __shared__ __align__(8) uint64_t bars[2 * Tile::STAGES];
  const uint32_t raw = smem_addr(h_smem_raw);
  const uint32_t sbase = raw + ((1024 - (raw & 1023)) & 1023);
  const uint32_t full = smem_addr(bars), empty = full + 8 * Tile::STAGES;
  if (threadIdx.x == 0) {
    for (int s = 0; s < Tile::STAGES; s++) {
      mbar_init(full + 8 * s, 1);     // the producer's arrive, then the stage's bytes
      mbar_init(empty + 8 * s, 8);    // one arrival per MMA warp
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();
  const Slice q = slice_of(p);
  const int tiles_m = (p.m + BM - 1) / BM, tiles_n = (p.n + Tile::BN - 1) / Tile::BN;
  const int tiles = tiles_m * tiles_n;
  // the k ranges a tile's chains run over: this block's split, or every split in turn
  const bool in_block = splits_in_block(p);
  const int ranges = in_block ? p.splits : 1;
  // the producer's thread needs few registers; the MMA warpgroups take them (the 128 x 256 tile's
  // in-block splits hold a running total's address and index beside 128 accumulators a thread:
  // without this, 36 bytes of them spill inside its k loop)
  if (threadIdx.x >= 256) {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n" ::: "memory");
    if (threadIdx.x == 256) {
      int g = 0;
      for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        int tm, tn;
        tile_of(tile, tiles_m, tiles_n, tm, tn);
        for (int r = 0; r < ranges; r++) {
          const int kb = in_block ? r * p.split_k : q.kb, ke = in_block ? min(p.k, kb + p.split_k) : q.ke;
          const int steps = (ke - kb + Tile::BK - 1) / Tile::BK;
          for (int t = 0; t < steps; t++, g++) {
            const int s = g % Tile::STAGES;
            if (g >= Tile::STAGES) mbar_wait(empty + 8 * s, ((g / Tile::STAGES) - 1) & 1);
            const uint32_t stage = sbase + s * Tile::STAGE_BYTES;
            const int k0 = kb + t * Tile::BK;
            mbar_expect_bytes(full + 8 * s, Tile::STAGE_BYTES);
#pragma unroll
            for (int j = 0; j < KSUB; j++) {
              tma_load(stage + j * BM * H_ROW_BYTES, ta, k0 + j * H_BK, tm * BM, full + 8 * s);
              tma_load(stage + Tile::A_BYTES + j * Tile::BN * H_ROW_BYTES, tb, k0 + j * H_BK, tn * Tile::BN,
                       full + 8 * s);
            }
          }
        }
      }
    }
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n" ::: "memory");
  if (in_block) {
    tma_consume<T, BM, NW, KSUB, true>(p, q, tc, sbase, full, empty, tiles_m, tiles_n);
  } else {
    tma_consume<T, BM, NW, KSUB, false>(p, q, tc, sbase, full, empty, tiles_m, tiles_n);
  }
}

}  // namespace bi

// named by output tile, BM x BN
#define BI_GEMM_SM90_TILE(TAG, T, BM, NW, KSUB, WIDTH)                                          \
  extern "C" __global__ void __launch_bounds__(bi::H_THREADS, bi::HTile<BM, NW, KSUB>::BLOCKS_PER_SM) \
      bi_gemm90_##TAG##_nk_##BM##x##WIDTH(const __grid_constant__ bi::GemmParams p) {           \
    static_assert(bi::HTile<BM, NW, KSUB>::BN == WIDTH, "tile name");                           \
    bi::gemm_wgmma<T, BM, NW, KSUB>(p);                                                         \
  }
#define BI_GEMM_SM90(TAG, T)                                                                    \
  BI_GEMM_SM90_TILE(TAG, T, 128, 256, 1, 256)                                                   \
  BI_GEMM_SM90_TILE(TAG, T, 64, 128, 1, 256)                                                    \
  BI_GEMM_SM90_TILE(TAG, T, 64, 64, 2, 128)                                                     \
  BI_GEMM_SM90_TILE(TAG, T, 64, 32, 2, 64)                                                      \
  BI_GEMM_SM90_TILE(TAG, T, 64, 16, 4, 32)                                                      \
  BI_GEMM_SM90_TILE(TAG, T, 16, 16, 2, 32)                                                      \
  BI_GEMM_SM90_TILE(TAG, T, 16, 8, 4, 16)

BI_GEMM_SM90(bf16, __nv_bfloat16)
BI_GEMM_SM90(f16, __half)

// the 64-row and wider tiles fed by the copy engine (384 threads; tensor maps of A and the [n][k]
// weight, boxes of 64 k by the tile's rows and columns, and of c, boxes of 64 x 64, where p.c_map;
// shared memory: the pipeline's, then HEpi's chunk buffers)
#define BI_GEMM_SM90_TMA_TILE(TAG, T, BM, NW, KSUB, WIDTH)                                      \
  extern "C" __global__ void __launch_bounds__(bi::W_THREADS, 1) bi_gemm90_##TAG##_nk_##BM##x##WIDTH##_tma( \
      const __grid_constant__ bi::GemmParams p, const __grid_constant__ bi::TmaMap ta,          \
      const __grid_constant__ bi::TmaMap tb, const __grid_constant__ bi::TmaMap tc) {           \
    static_assert(bi::HTile<BM, NW, KSUB>::BN == WIDTH, "tile name");                           \
    bi::gemm_wgmma_tma<T, BM, NW, KSUB>(p, ta, tb, tc);                                         \
  }
#define BI_GEMM_SM90_TMA(TAG, T)                                                                \
  BI_GEMM_SM90_TMA_TILE(TAG, T, 128, 256, 1, 256)                                               \
  BI_GEMM_SM90_TMA_TILE(TAG, T, 64, 128, 1, 256)                                                \
  BI_GEMM_SM90_TMA_TILE(TAG, T, 64, 64, 2, 128)
BI_GEMM_SM90_TMA(bf16, __nv_bfloat16)
BI_GEMM_SM90_TMA(f16, __half)
