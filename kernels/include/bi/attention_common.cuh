// Batch-invariant attention engine for DJL: what every attention kernel shares, whatever its
// tensor-core instructions (attention.cu: mma.sync for sm_80; attention_sm90.cu: wgmma for
// sm_90a). A block runs one work item (request, KV head, tile of 64 packed query rows, KV chunk);
// a packed row is (token, GQA head). The pieces here fix a row's arithmetic: which KV tiles it
// meets (64 positions at absolute multiples of 64, inside its chunk), the online softmax of one
// tile on the thread's two rows, and how a finished row or chunk state is written. A kernel only
// supplies the scores of a tile and the P·V product, so a row's result never depends on how many
// rows share its block.
//
// Fragment layout (both MMA kinds): warp w owns rows 16w + lane/4 and 16w + lane/4 + 8; a tile's
// scores are s[4 * nb + e] for 8-column block nb (column 8 nb + 2 (lane % 4) + e % 2, the second
// row when e >= 2), and the output accumulator is o[4 * nb + e] the same way over head_dim.
#pragma once

#include "bi/attention_params.cuh"
#include "bi/common.cuh"

namespace bi {

// The chunk field of a fused item (AttentionWork.ALL_CHUNKS): the block runs every chunk of its
// tile in turn and folds the chunk states itself.
constexpr int ALL_CHUNKS = -1;
// Largest head dimension with fused tiles (AttentionWork.MAX_FUSED_HEAD_DIM).
constexpr int MAX_FUSED_HEAD_DIM = 128;

// Page numbers of the positions a block reads, staged in shared memory once per block so that
// issuing a tile's copies does not wait on page-table loads.
constexpr int STAGED_PAGES = 512;

struct PageView {
  const int* pages;  // shared (staged) or global page numbers, indexed by page ordinal - first
  int first;         // ordinal of pages[0] in the request's page list
  int shift;         // log2(page_size), or -1 when the page size is not a power of two
};

// A block's work item and the KV tiles its rows need.
struct Item {
  int r, h, t0, s;    // request, KV head, first token of the tile, chunk (ALL_CHUNKS: fused)
  int G;              // query heads per KV head
  int qo_start, qo_len, kv_len;
  int c_lo, c_hi;     // the chunk's positions [c_lo, c_hi)
  int first_split;    // the chunk that writes rows seeing nothing at all
  int first_tile, num_tiles;
};

__device__ __forceinline__ Item item_of(const AttnParams& p) {
  Item it;
  const int4 w = p.items[blockIdx.x];
  it.r = w.x;
  it.h = w.y;
  it.t0 = w.z;
  it.s = w.w;
  it.G = p.num_qo_heads / p.num_kv_heads;
  const int tokens = Q_TILE / it.G;
  it.qo_start = p.qo_indptr[it.r];
  it.qo_len = p.qo_indptr[it.r + 1] - it.qo_start;
  it.kv_len = p.kv_lens[it.r];
  if (it.s == ALL_CHUNKS) {
    it.c_lo = 0;
    it.c_hi = it.kv_len;
  } else {
    const long long split_lo = (long long)it.s * p.split_size;
    it.c_lo = (int)min((long long)it.kv_len, split_lo);
    it.c_hi = (int)min((long long)it.kv_len, split_lo + p.split_size);
  }
  const int tok_end = min(it.t0 + tokens, it.qo_len);
  // the union of the block's rows' visible ranges, overall and inside this chunk
  int u_lo = it.c_hi, u_hi = it.c_lo, v_lo = it.kv_len, v_hi = 0;
  for (int t = it.t0; t < tok_end; t++) {
    int lo, hi;
    visible_range(p, it.qo_len, it.kv_len, t, &lo, &hi);
    u_lo = min(u_lo, max(lo, it.c_lo));
    u_hi = max(u_hi, min(hi, it.c_hi));
    if (lo < hi) {
      v_lo = min(v_lo, lo);
      v_hi = max(v_hi, hi);
    }
  }
  it.first_split = v_lo < v_hi ? v_lo / p.split_size : 0;
  it.first_tile = u_lo < u_hi ? (u_lo / KV_TILE) * KV_TILE : 0;
  it.num_tiles = u_lo < u_hi ? (u_hi - it.first_tile + KV_TILE - 1) / KV_TILE : 0;
  return it;
}

// Stages the page numbers of the item's tiles in `staged` when they fit (every thread of the block
// calls it, however many the block has).
__device__ __forceinline__ PageView stage_pages(const AttnParams& p, const Item& it, int* staged) {
  PageView pv;
  pv.shift = (p.page_size & (p.page_size - 1)) == 0 ? __ffs(p.page_size) - 1 : -1;
  pv.first = 0;
  pv.pages = p.paged ? p.kv_indices + p.kv_indptr[it.r] : nullptr;
  if (p.paged && it.num_tiles > 0) {
    int first = it.first_tile / p.page_size;
    int last = (min(it.kv_len, it.first_tile + it.num_tiles * KV_TILE) - 1) / p.page_size;
    if (last - first + 1 <= STAGED_PAGES) {
      for (int i = threadIdx.x; i <= last - first; i += blockDim.x) {
        staged[i] = pv.pages[first + i];
      }
      __syncthreads();
      pv.pages = staged;
      pv.first = first;
    }
  }
  return pv;
}

// Element offset of KV position `pos` of head h (its first element), or -1 past the request's end.
__device__ __forceinline__ long long kv_offset(const AttnParams& p, const PageView& pv, const Item& it, int pos) {
  if (pos >= it.kv_len) return -1;
  long long off;
  if (p.paged) {
    int ordinal = pv.shift >= 0 ? pos >> pv.shift : pos / p.page_size;
    int slot = pv.shift >= 0 ? pos & (p.page_size - 1) : pos % p.page_size;
    int page = pv.pages[ordinal - pv.first];
    off = (long long)page * p.stride_page + (long long)slot * p.stride_slot;
  } else {
    off = (long long)(p.kv_indptr[it.r] + pos) * p.stride_slot;
  }
  return off + (long long)it.h * p.stride_head;
}

// Element offset of packed query row `row`'s first element, or -1 past the request's rows.
__device__ __forceinline__ long long q_offset(const AttnParams& p, const Item& it, int row, int d) {
  int tok = it.t0 + row / it.G;
  if (tok >= it.qo_len) return -1;
  return ((long long)(it.qo_start + tok) * p.num_qo_heads + it.h * it.G + row % it.G) * d;
}

// Issues the copies of the query tile (packed row -> (token, head); rows past the request are
// zero-filled) into a shared tile laid out by L::at (element offset of (row, column)), and
// records each row's position (-1 past the request).
template <typename T, int D, typename L>
__device__ __forceinline__ void load_q_tile(const AttnParams& p, const Item& it, T* sq, int* row_pos) {
  const T* qg = static_cast<const T*>(p.q);
  for (int c = threadIdx.x; c < 64 * (D / 8); c += THREADS) {
    int row = c / (D / 8);
    int ch = c % (D / 8);
    long long off = q_offset(p, it, row, D);
    cp_async16(sq + L::at(row, ch * 8), qg + (off >= 0 ? off + ch * 8 : 0), off >= 0);
  }
  if (threadIdx.x < 64) {
    int tok = it.t0 + threadIdx.x / it.G;
    row_pos[threadIdx.x] = tok < it.qo_len ? it.kv_len - it.qo_len + tok : -1;
  }
}

// The rows of a KV tile a thread copies: with CHUNKS = D / 8 16-byte columns a row, thread x (of
// the THREADS that copy: a block's, or a producer warpgroup's, x counted from its first) copies
// column x % CHUNKS of rows x / CHUNKS + (THREADS / CHUNKS) i. A warp's threads copy 16 distinct
// rows, so each of its lanes finds one row's address (kv_offset: page lookup, strides) and the
// others take it by shuffle instead of each finding all of theirs.
template <int D>
struct KvRows {
  static constexpr int CHUNKS = D / 8;
  static constexpr int PASS = THREADS / CHUNKS;  // rows the block copies a pass
  static constexpr int WARP_ROWS = 32 / CHUNKS;  // rows a warp copies a pass
  static constexpr int N = 64 / PASS;            // rows a thread copies
  static_assert(WARP_ROWS * N == 16, "a warp copies 16 rows of a tile");
  long long mine;  // element offset of row ((lane % 16) % WARP_ROWS) + PASS ((lane % 16) / WARP_ROWS) of the warp's

  __device__ __forceinline__ KvRows(const AttnParams& p, const PageView& pv, const Item& it, int tile_start, int x) {
    const int l = x % 16;
    const int first = (x / 32) * WARP_ROWS;
    mine = kv_offset(p, pv, it, tile_start + first + l % WARP_ROWS + PASS * (l / WARP_ROWS));
  }
  __device__ __forceinline__ explicit KvRows(long long found) : mine(found) {}

  // Issues thread x's copies of one of K and V (base: its pool) into the shared tile at address
  // dst, laid out by L::at (in elements of T); positions past the request's end are zero-filled (a
  // probability of 0 must not meet a stale NaN).
  template <typename T, typename L>
  __device__ __forceinline__ void copy(const T* base, uint32_t dst, int x) const {
    const int ch = x % CHUNKS;
    const int a = (x % 32) / CHUNKS;
    const int row0 = x / CHUNKS;
    // rows PASS apart: with PASS a multiple of 8 the shared layouts (padded rows; 128-byte swizzle
    // over 8-row groups) put them a fixed distance apart, found once
    const uint32_t to = dst + (uint32_t)sizeof(T) * L::at(row0, ch * 8);
    const uint32_t step = (uint32_t)sizeof(T) * (L::at(row0 + PASS, ch * 8) - L::at(row0, ch * 8));
    // head_dim 256 (16 rows a thread): fully unrolled, the addresses outlive the registers
#pragma unroll 8
    for (int i = 0; i < N; i++) {
      const long long off = __shfl_sync(0xffffffff, mine, a + WARP_ROWS * i);
      const bool valid = off >= 0;
      const uint32_t at =
          PASS % 8 == 0 ? to + i * step : dst + (uint32_t)sizeof(T) * L::at(row0 + PASS * i, ch * 8);
      cp_async16_to(at, base + (valid ? off + ch * 8 : 0), valid ? 16 : 0);
    }
  }
};

// Issues the copies of the KV tile at tile_start (K and V, 64 positions) into shared tiles laid
// out by L::at.
template <typename T, int D, typename L>
__device__ __forceinline__ void load_kv_tile(const AttnParams& p, const PageView& pv, const Item& it,
                                             int tile_start, T* sk, T* sv) {
  const KvRows<D> rows(p, pv, it, tile_start, threadIdx.x);
  rows.template copy<T, L>(static_cast<const T*>(p.k), smem_addr(sk), threadIdx.x);
  rows.template copy<T, L>(static_cast<const T*>(p.v), smem_addr(sv), threadIdx.x);
}

// Rotates rows of a shared tile in place (rotate-half RoPE) at positions row_pos[row]; L::at
// gives the element offset of (row, column) in the kernel's shared layout.
template <typename T, int D, typename L>
__device__ __forceinline__ void rope_rows(const AttnParams& p, T* s, int rows, const int* row_pos) {
  constexpr int HALF = D / 2;
  for (int e = threadIdx.x; e < rows * HALF; e += THREADS) {
    int row = e / HALF;
    int i = e % HALF;
    int pos = row_pos[row];
    if (pos < 0) continue;
    rope_pair(s[L::at(row, i)], s[L::at(row, i + HALF)], p.rope_cos[(long long)pos * HALF + i],
              p.rope_sin[(long long)pos * HALF + i]);
  }
}

// The two rows a thread holds and their online-softmax state. What only ALiBi or the stores need
// (a row's position, its slope) is found where it is needed (rows_pos, row_slope), not kept in
// registers through the tile loop.
struct Rows {
  int lo[2], hi[2];  // visible positions inside the chunk
  float m[2], l[2];
  bool warp_active;  // whether the warp holds any row of the request
};

// Packed row i (0 or 1) of this thread in the block's 64.
__device__ __forceinline__ int row_of(int i) { return ((threadIdx.x / 32) % 4) * 16 + ((threadIdx.x % 32) >> 2) + 8 * i; }

// The KV position of the thread's row i (0 past the request's rows, which are never stored).
__device__ __forceinline__ int row_pos_of(const Item& it, int i) {
  const int tok = it.t0 + row_of(i) / it.G;
  return tok < it.qo_len ? it.kv_len - it.qo_len + tok : 0;
}

// The ALiBi slope of the thread's row i.
__device__ __forceinline__ float row_slope(const AttnParams& p, const Item& it, int i) {
  return p.alibi[it.h * it.G + row_of(i) % it.G];
}

__device__ __forceinline__ Rows rows_of(const AttnParams& p, const Item& it) {
  const int warp = (threadIdx.x / 32) % 4;
  Rows rw;
  rw.warp_active = it.t0 + (warp * 16) / it.G < it.qo_len;
  for (int i = 0; i < 2; i++) {
    int tok = it.t0 + row_of(i) / it.G;
    if (tok < it.qo_len) {
      visible_range(p, it.qo_len, it.kv_len, tok, &rw.lo[i], &rw.hi[i]);
    } else {
      // a row past the request is never stored: it "sees" the whole chunk, so that it never keeps
      // its thread off the unmasked path (decode blocks hold a few rows of 64)
      rw.lo[i] = it.c_lo;
      rw.hi[i] = it.c_hi;
    }
    rw.lo[i] = max(rw.lo[i], it.c_lo);
    rw.hi[i] = min(rw.hi[i], it.c_hi);
    rw.m[i] = -INFINITY;
    rw.l[i] = 0.f;
  }
  return rw;
}

// 2^x on the special-function unit, subnormal results flushed to zero (a probability below 2^-126
// of the row maximum's): one instruction, where exp2f adds a range fix-up around it.
__device__ __forceinline__ float ex2_ftz(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// One KV tile (positions kt..kt+63) of the online softmax, first half: turns the raw scores s
// into probabilities, updates the row maxima and sums, and returns in scale the factor the output
// accumulator takes before this tile's P·V (rescale_output). A position a row cannot see gets
// probability 0 and leaves the row's state exactly as it was. It does not touch the output, so a
// kernel may run it while the tensor cores still add the last tile's P·V.
//
// Plain scores (no ALiBi, no soft cap, a positive scale) stay raw until the exponent: the row
// maximum is taken over raw scores and scaled once (rounding is monotone, so it is the maximum of
// the scaled scores), and each probability is 2^(s c - m) with c = sm_scale log2(e), one fused
// multiply-add and one ex2 an element. ALiBi and the soft cap transform each score first.
__device__ __forceinline__ void tile_probs(const AttnParams& p, const Item& it, Rows& rw, float (&s)[32], int kt,
                                           float (&scale)[2]) {
  const int tq = threadIdx.x & 3;
  float mx[2] = {-INFINITY, -INFINITY};
  const bool plain = p.pos_mode != 2 && p.soft_cap <= 0.f && p.sm_scale > 0.f;
  const float c = p.sm_scale * LOG2E;
  const bool whole = kt >= max(rw.lo[0], rw.lo[1]) && kt + KV_TILE <= min(rw.hi[0], rw.hi[1]);
  if (plain) {
    if (whole) {
      // every position visible to both rows: the same arithmetic as below, without the masks
#pragma unroll
      for (int k = 0; k < 32; k++) mx[(k >> 1) & 1] = fmaxf(mx[(k >> 1) & 1], s[k]);
    } else {
#pragma unroll
      for (int nb = 0; nb < 8; nb++) {
#pragma unroll
        for (int e = 0; e < 4; e++) {
          int i = e >> 1;
          int j = kt + nb * 8 + tq * 2 + (e & 1);
          s[4 * nb + e] = j >= rw.lo[i] && j < rw.hi[i] ? s[4 * nb + e] : -INFINITY;
          mx[i] = fmaxf(mx[i], s[4 * nb + e]);
        }
      }
    }
  } else {
    const bool alibi = p.pos_mode == 2;
    const float slope[2] = {alibi ? row_slope(p, it, 0) : 0.f, alibi ? row_slope(p, it, 1) : 0.f};
    const int pos[2] = {row_pos_of(it, 0), row_pos_of(it, 1)};
#pragma unroll
    for (int nb = 0; nb < 8; nb++) {
#pragma unroll
      for (int e = 0; e < 4; e++) {
        int i = e >> 1;
        int j = kt + nb * 8 + tq * 2 + (e & 1);
        float x = s[4 * nb + e] * p.sm_scale;
        if (alibi) x += slope[i] * (float)(j - pos[i]);
        if (p.soft_cap > 0.f) x = p.soft_cap * tanhf(x / p.soft_cap);
        x *= LOG2E;
        bool vis = j >= rw.lo[i] && j < rw.hi[i];
        s[4 * nb + e] = vis ? x : -INFINITY;
        mx[i] = fmaxf(mx[i], s[4 * nb + e]);
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 2; i++) {
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffff, mx[i], 1));
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffff, mx[i], 2));
    if (plain) mx[i] *= c;
    float mnew = fmaxf(rw.m[i], mx[i]);
    // a row that has seen nothing yet keeps zeros: no (-inf) - (-inf)
    float muse = mnew == -INFINITY ? 0.f : mnew;
    scale[i] = exp2f(rw.m[i] - muse);
    rw.m[i] = mnew;
    mx[i] = muse;
  }
  float rs[2] = {0.f, 0.f};
  const float cs = plain ? c : 1.f;
#pragma unroll
  for (int nb = 0; nb < 8; nb++) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      float pe = ex2_ftz(fmaf(s[4 * nb + e], cs, -mx[e >> 1]));
      s[4 * nb + e] = pe;
      rs[e >> 1] += pe;
    }
  }
#pragma unroll
  for (int i = 0; i < 2; i++) {
    rs[i] += __shfl_xor_sync(0xffffffff, rs[i], 1);
    rs[i] += __shfl_xor_sync(0xffffffff, rs[i], 2);
    rw.l[i] = rw.l[i] * scale[i] + rs[i];
  }
}

// Second half: the output accumulator o (head_dim / 2 values) rescaled to the tile's row maxima.
template <int D>
__device__ __forceinline__ void rescale_output(float (&o)[D / 2], const float (&scale)[2]) {
#pragma unroll
  for (int nb = 0; nb < D / 8; nb++) {
    o[4 * nb] *= scale[0];
    o[4 * nb + 1] *= scale[0];
    o[4 * nb + 2] *= scale[1];
    o[4 * nb + 3] *= scale[1];
  }
}

// Both halves, for a kernel that adds P·V after them.
template <int D>
__device__ __forceinline__ void softmax_tile(const AttnParams& p, const Item& it, Rows& rw, float (&s)[32],
                                             float (&o)[D / 2], int kt) {
  float scale[2];
  tile_probs(p, it, rw, s, kt, scale);
  rescale_output<D>(o, scale);
}

// The probabilities of k16 step kb of a tile (positions 16 kb .. 16 kb + 15) as the A operand
// fragment of a 16x16 MMA.
template <typename T>
__device__ __forceinline__ void probs_fragment(const float (&s)[32], int kb, uint32_t (&a)[4]) {
  a[0] = Pack2<T>::from(s[8 * kb], s[8 * kb + 1]);
  a[1] = Pack2<T>::from(s[8 * kb + 2], s[8 * kb + 3]);
  a[2] = Pack2<T>::from(s[8 * kb + 4], s[8 * kb + 5]);
  a[3] = Pack2<T>::from(s[8 * kb + 6], s[8 * kb + 7]);
}

// A row's normalised chunk state as the kernels write it: output scale 1/l and natural-log lse.
__device__ __forceinline__ void chunk_state(float m, float l, float* inv, float* lse) {
  *inv = l > 0.f ? rcp_rn(l) : 0.f;
  *lse = l > 0.f ? (m + log2f(l)) * LN2 : -INFINITY;
}

// Fused tiles, at the end of each chunk: folds the chunk state of the thread's rows (row maxima m,
// sums l, output o, zeroed after) into the running (acc, sa) exactly as merge.cu folds written
// states. FIRST: every running state is still empty (sa = -inf: a fused tile's first chunk
// boundary), where fold_value is kind 1 or 0 for every value — the chunk's output times 1/l, or the
// empty acc where the chunk saw no key — so a multiply and a select a value give its bits instead
// of five operations and two selects.
template <int D, bool FIRST = false>
__device__ __forceinline__ void fold_state(const float (&m)[2], const float (&l)[2], float (&o)[D / 2],
                                           float (&acc)[D / 2], float (&sa)[2]) {
#pragma unroll
  for (int i = 0; i < 2; i++) {
    float inv, sb;
    chunk_state(m[i], l[i], &inv, &sb);
    const bool seen = sb != -INFINITY;
    const Fold f = FIRST ? Fold{} : fold_weights(sa[i], sb);
#pragma unroll
    for (int nb = 0; nb < D / 8; nb++) {
#pragma unroll
      for (int e = 0; e < 2; e++) {
        const int x = 4 * nb + 2 * i + e;
        if constexpr (FIRST) {
          acc[x] = seen ? o[x] * inv : acc[x];
        } else {
          acc[x] = fold_value(f, acc[x], o[x] * inv);
        }
        o[x] = 0.f;
      }
    }
    sa[i] = FIRST ? (seen ? sb : sa[i]) : f.sa;
  }
}

// Writes the thread's rows of a fused tile: the folded output and lse (every row is finished).
template <typename T, int D>
__device__ __forceinline__ void store_fused(const AttnParams& p, const Item& it, const Rows& rw,
                                            const float (&acc)[D / 2], const float (&sa)[2]) {
  const int tq = threadIdx.x & 3;
#pragma unroll
  for (int i = 0; i < 2; i++) {
    int tok = it.t0 + row_of(i) / it.G;
    if (tok >= it.qo_len) continue;
    long long at = (long long)(it.qo_start + tok) * p.num_qo_heads + it.h * it.G + row_of(i) % it.G;
    T* og = static_cast<T*>(p.o) + at * D;
#pragma unroll
    for (int nb = 0; nb < D / 8; nb++) {
      *reinterpret_cast<uint32_t*>(og + nb * 8 + tq * 2) = Pack2<T>::from(acc[4 * nb + 2 * i], acc[4 * nb + 2 * i + 1]);
    }
    if (tq == 0) p.lse[at] = sa[i];
  }
}

// Writes the thread's rows: a row inside one chunk is finished by that chunk's block alone (the
// tile's other chunks' blocks computed nothing for it and must not overwrite it); a row spanning
// chunks leaves this chunk's normalised state for merge.cu.
template <typename T, int D>
__device__ __forceinline__ void store_rows(const AttnParams& p, const Item& it, const Rows& rw,
                                           const float (&o)[D / 2]) {
  const int tq = threadIdx.x & 3;
  const int nsplits = (it.kv_len + p.split_size - 1) / p.split_size;
#pragma unroll
  for (int i = 0; i < 2; i++) {
    int tok = it.t0 + row_of(i) / it.G;
    if (tok >= it.qo_len) continue;
    int hq = it.h * it.G + row_of(i) % it.G;
    long long qrow = it.qo_start + tok;
    int lo, hi;
    visible_range(p, it.qo_len, it.kv_len, tok, &lo, &hi);
    bool single = hi <= lo || (lo / p.split_size) == ((hi - 1) / p.split_size);
    if (single && it.s != (hi <= lo ? it.first_split : lo / p.split_size)) continue;
    float inv, lse;
    chunk_state(rw.m[i], rw.l[i], &inv, &lse);
    if (single) {
      T* og = static_cast<T*>(p.o) + (qrow * p.num_qo_heads + hq) * D;
#pragma unroll
      for (int nb = 0; nb < D / 8; nb++) {
        *reinterpret_cast<uint32_t*>(og + nb * 8 + tq * 2) =
            Pack2<T>::from(o[4 * nb + 2 * i] * inv, o[4 * nb + 2 * i + 1] * inv);
      }
      if (tq == 0) p.lse[qrow * p.num_qo_heads + hq] = lse;
    } else {
      long long st = p.part_indptr[it.r] + ((long long)tok * p.num_qo_heads + hq) * nsplits + it.s;
      float* po = p.part_o + st * D;
#pragma unroll
      for (int nb = 0; nb < D / 8; nb++) {
        *reinterpret_cast<float2*>(po + nb * 8 + tq * 2) =
            make_float2(o[4 * nb + 2 * i] * inv, o[4 * nb + 2 * i + 1] * inv);
      }
      if (tq == 0) p.part_lse[st] = lse;
    }
  }
}

// The chunk states a fused tile has folded so far (registers only where AttentionWork fuses).
template <int D>
struct Folded {
  static constexpr bool FUSABLE = D <= MAX_FUSED_HEAD_DIM;
  float acc[FUSABLE ? D / 2 : 1];
  float sa[2];
  bool fused;

  __device__ __forceinline__ explicit Folded(const Item& it) : fused(FUSABLE && it.s == ALL_CHUNKS) {
#pragma unroll
    for (int i = 0; i < (FUSABLE ? D / 2 : 1); i++) acc[i] = 0.f;
    sa[0] = sa[1] = -INFINITY;
  }

  // Whether tile kt (the t-th of the block) opens the next chunk of a fused tile. Uniform over the
  // block.
  __device__ __forceinline__ bool opens_chunk(const AttnParams& p, int t, int kt) const {
    return FUSABLE && fused && t > 0 && chunk_starts(p, kt);
  }

  // A chunk's end in two steps (a kernel whose last P·V is still running when the tile's scores
  // are ready runs the tile's probabilities between them): restart() moves the running softmax
  // state to (m, l), fold() folds it with the finished output.
  __device__ __forceinline__ void restart(Rows& rw, float (&m)[2], float (&l)[2]) const {
#pragma unroll
    for (int i = 0; i < 2; i++) {
      m[i] = rw.m[i];
      l[i] = rw.l[i];
    }
    restart_rows(rw);
  }
  // the rows' online softmax from the start
  __device__ __forceinline__ static void restart_rows(Rows& rw) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
      rw.m[i] = -INFINITY;
      rw.l[i] = 0.f;
    }
  }
  __device__ __forceinline__ void fold(const float (&m)[2], const float (&l)[2], float (&o)[D / 2]) {
    if constexpr (FUSABLE) fold_state<D>(m, l, o, acc, sa);
  }
  // fold() at the tile's first chunk boundary (block-uniform: no chunk start lies between the
  // item's first tile and kt), where every row's running state is still empty
  __device__ __forceinline__ void fold_at(const AttnParams& p, const Item& it, int kt, const float (&m)[2],
                                          const float (&l)[2], float (&o)[D / 2]) {
    if constexpr (FUSABLE) {
      if (kt - p.split_size <= it.first_tile) {
        fold_state<D, true>(m, l, o, acc, sa);
      } else {
        fold_state<D>(m, l, o, acc, sa);
      }
    }
  }

  // Before tile kt: a fused tile entering its next chunk folds the last one's state and restarts
  // the online softmax.
  __device__ __forceinline__ void at_tile(const AttnParams& p, Rows& rw, float (&o)[D / 2], int t, int kt) {
    if (opens_chunk(p, t, kt)) {
      fold(rw.m, rw.l, o);
      restart_rows(rw);
    }
  }
};

// The block's last step: a fused tile folds its last chunk and writes every row; otherwise the
// rows of this chunk are written (finished, or as partial states for merge.cu).
template <typename T, int D>
__device__ __forceinline__ void finish_rows(const AttnParams& p, const Item& it, Rows& rw, float (&o)[D / 2],
                                            Folded<D>& fo) {
  if (!rw.warp_active) return;
  if constexpr (Folded<D>::FUSABLE) {
    if (fo.fused) {
      fo.fold(rw.m, rw.l, o);
      store_fused<T, D>(p, it, rw, fo.acc, fo.sa);
      return;
    }
  }
  store_rows<T, D>(p, it, rw, o);
}

}  // namespace bi
