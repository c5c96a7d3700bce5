// Batch-invariant attention engine for DJL: batch prefill/decode attention over a paged KV cache.
//
// One thread block per work item (request, KV head, tile of 64 packed query rows, KV chunk). A
// packed row is (token, GQA head): decode packs a token's query heads, prefill packs several
// tokens' heads, and both run this same kernel, so a row's arithmetic never depends on how many
// rows share its block. Each of the 4 warps owns 16 rows and the whole 64-position KV tile; KV
// tiles start at multiples of 64 and chunks at multiples of the split size, both absolute
// positions; the online softmax rescales once per tile. A tile that a row cannot see is an exact
// no-op for that row (scale 1, probabilities 0). A row whose visible positions lie in one chunk
// is finished here; the others leave a partial state that merge.cu folds left to right.
#include "bi/attention_params.cuh"
#include "bi/common.cuh"

namespace bi {

template <int D>
struct Layout {
  static constexpr int STRIDE = D + 8;  // elements per smem row: 16-byte pad, conflict-free ldmatrix
  static constexpr int TILE_ELEMS = 64 * STRIDE;
  static constexpr int SMEM_BYTES = 5 * TILE_ELEMS * 2;  // Q + double-buffered K and V
};

// Page numbers of the positions a block reads, staged in shared memory once per block so that
// issuing a tile's copies does not wait on page-table loads.
constexpr int STAGED_PAGES = 512;

struct PageView {
  const int* pages;  // shared (staged) or global page numbers, indexed by page ordinal - first
  int first;         // ordinal of pages[0] in the request's page list
  int shift;         // log2(page_size), or -1 when the page size is not a power of two
};

template <typename T, int D>
__device__ __forceinline__ void load_kv_tile(const AttnParams& p, const PageView& pv, int r, int h, int kv_len,
                                             int tile_start, T* sk, T* sv) {
  constexpr int CHUNKS = D / 8;              // 16-byte chunks per row
  constexpr int ROWS_PER_PASS = THREADS / CHUNKS;
  constexpr int STRIDE = Layout<D>::STRIDE;
  const T* kbase = static_cast<const T*>(p.k);
  const T* vbase = static_cast<const T*>(p.v);
  const int ch = threadIdx.x % CHUNKS;
  // each thread keeps one chunk column, so a row's address is computed once per thread
#pragma unroll
  for (int row = threadIdx.x / CHUNKS; row < 64; row += ROWS_PER_PASS) {
    int pos = tile_start + row;
    bool valid = pos < kv_len;
    long long off = 0;
    if (valid) {
      if (p.paged) {
        int ordinal = pv.shift >= 0 ? pos >> pv.shift : pos / p.page_size;
        int slot = pv.shift >= 0 ? pos & (p.page_size - 1) : pos % p.page_size;
        int page = pv.pages[ordinal - pv.first];
        off = (long long)page * p.stride_page + (long long)slot * p.stride_slot;
      } else {
        off = (long long)(p.kv_indptr[r] + pos) * p.stride_slot;
      }
      off += (long long)h * p.stride_head + ch * 8;
    }
    cp_async16(sk + row * STRIDE + ch * 8, kbase + off, valid);
    cp_async16(sv + row * STRIDE + ch * 8, vbase + off, valid);
  }
}

// Rotates rows of a shared tile in place (rotate-half RoPE) at positions first_pos + row.
template <typename T, int D>
__device__ __forceinline__ void rope_rows(const AttnParams& p, T* s, int rows, const int* row_pos) {
  constexpr int HALF = D / 2;
  constexpr int STRIDE = Layout<D>::STRIDE;
  for (int e = threadIdx.x; e < rows * HALF; e += THREADS) {
    int row = e / HALF;
    int i = e % HALF;
    int pos = row_pos[row];
    if (pos < 0) continue;
    float c = p.rope_cos[(long long)pos * HALF + i];
    float sn = p.rope_sin[(long long)pos * HALF + i];
    float x = to_float(s[row * STRIDE + i]);
    float y = to_float(s[row * STRIDE + i + HALF]);
    s[row * STRIDE + i] = from_float<T>(x * c - y * sn);
    s[row * STRIDE + i + HALF] = from_float<T>(y * c + x * sn);
  }
}

template <typename T, int D>
__device__ __forceinline__ void attention_kernel(const AttnParams& p) {
  if (blockIdx.x >= *p.num_items) return;
  constexpr int STRIDE = Layout<D>::STRIDE;
  constexpr int NB = D / 8;  // 8-wide output column blocks
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* sq = reinterpret_cast<T*>(smem_raw);
  T* sk = sq + Layout<D>::TILE_ELEMS;
  T* sv = sk + 2 * Layout<D>::TILE_ELEMS;
  __shared__ int row_pos[64];

  const int4 w = p.items[blockIdx.x];
  const int r = w.x, h = w.y, t0 = w.z, s = w.w;
  const int G = p.num_qo_heads / p.num_kv_heads;
  const int tokens = Q_TILE / G;
  const int qo_start = p.qo_indptr[r];
  const int qo_len = p.qo_indptr[r + 1] - qo_start;
  const int kv_len = p.kv_lens[r];
  const long long split_lo = (long long)s * p.split_size;
  const int c_lo = (int)min((long long)kv_len, split_lo);
  const int c_hi = (int)min((long long)kv_len, split_lo + p.split_size);
  const int tok_end = min(t0 + tokens, qo_len);

  // the union of the block's rows' visible ranges, overall and inside this chunk
  int u_lo = c_hi, u_hi = c_lo, v_lo = kv_len, v_hi = 0;
  for (int t = t0; t < tok_end; t++) {
    int lo, hi;
    visible_range(p, qo_len, kv_len, t, &lo, &hi);
    u_lo = min(u_lo, max(lo, c_lo));
    u_hi = max(u_hi, min(hi, c_hi));
    if (lo < hi) {
      v_lo = min(v_lo, lo);
      v_hi = max(v_hi, hi);
    }
  }
  // rows that see nothing at all are written by the block of the tile's first chunk only
  const int first_split = v_lo < v_hi ? v_lo / p.split_size : 0;

  // load the query tile: packed row -> (token, head)
  const T* qg = static_cast<const T*>(p.q);
  for (int c = threadIdx.x; c < 64 * (D / 8); c += THREADS) {
    int row = c / (D / 8);
    int ch = c % (D / 8);
    int tok = t0 + row / G;
    bool valid = tok < qo_len;
    long long off = valid ? ((long long)(qo_start + tok) * p.num_qo_heads + h * G + row % G) * D + ch * 8 : 0;
    cp_async16(sq + row * STRIDE + ch * 8, qg + off, valid);
  }
  if (threadIdx.x < 64) {
    int tok = t0 + threadIdx.x / G;
    row_pos[threadIdx.x] = tok < qo_len ? kv_len - qo_len + tok : -1;
  }
  cp_async_commit();

  const int first_tile = u_lo < u_hi ? (u_lo / KV_TILE) * KV_TILE : 0;
  const int num_tiles = u_lo < u_hi ? (u_hi - first_tile + KV_TILE - 1) / KV_TILE : 0;
  __shared__ int staged_pages[STAGED_PAGES];
  PageView pv;
  pv.shift = (p.page_size & (p.page_size - 1)) == 0 ? __ffs(p.page_size) - 1 : -1;
  pv.first = 0;
  pv.pages = p.paged ? p.kv_indices + p.kv_indptr[r] : nullptr;
  if (p.paged && num_tiles > 0) {
    int first = first_tile / p.page_size;
    int last = (min(kv_len, first_tile + num_tiles * KV_TILE) - 1) / p.page_size;
    if (last - first + 1 <= STAGED_PAGES) {
      for (int i = threadIdx.x; i <= last - first; i += THREADS) {
        staged_pages[i] = pv.pages[first + i];
      }
      __syncthreads();
      pv.pages = staged_pages;
      pv.first = first;
    }
  }
  if (num_tiles > 0) {
    load_kv_tile<T, D>(p, pv, r, h, kv_len, first_tile, sk, sv);
  }
  cp_async_commit();

  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int g = lane >> 2;
  const int tq = lane & 3;
  // the two rows this thread holds, and their positions / visible ranges
  int my_row[2] = {warp * 16 + g, warp * 16 + g + 8};
  int my_pos[2], my_lo[2], my_hi[2];
  float slope[2];
  bool warp_active = t0 + (warp * 16) / G < qo_len;
  for (int i = 0; i < 2; i++) {
    int tok = t0 + my_row[i] / G;
    if (tok < qo_len) {
      visible_range(p, qo_len, kv_len, tok, &my_lo[i], &my_hi[i]);
      my_pos[i] = kv_len - qo_len + tok;
    } else {
      my_lo[i] = 0;
      my_hi[i] = 0;
      my_pos[i] = 0;
    }
    my_lo[i] = max(my_lo[i], c_lo);
    my_hi[i] = min(my_hi[i], c_hi);
    slope[i] = p.pos_mode == 2 ? p.alibi[h * G + my_row[i] % G] : 0.f;
  }

  float o[NB][4];
#pragma unroll
  for (int i = 0; i < NB; i++) {
    o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  }
  float m[2] = {-INFINITY, -INFINITY};
  float l[2] = {0.f, 0.f};

  cp_async_wait<1>();
  __syncthreads();
  if (p.pos_mode == 1) {
    rope_rows<T, D>(p, sq, 64, row_pos);
  }

  for (int it = 0; it < num_tiles; it++) {
    const int kt = first_tile + it * KV_TILE;
    T* ck = sk + (it & 1) * Layout<D>::TILE_ELEMS;
    T* cv = sv + (it & 1) * Layout<D>::TILE_ELEMS;
    if (it + 1 < num_tiles) {
      load_kv_tile<T, D>(p, pv, r, h, kv_len, kt + KV_TILE, sk + ((it + 1) & 1) * Layout<D>::TILE_ELEMS,
                         sv + ((it + 1) & 1) * Layout<D>::TILE_ELEMS);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    if (p.pos_mode == 1) {
      __shared__ int kpos[64];
      if (threadIdx.x < 64) kpos[threadIdx.x] = kt + (int)threadIdx.x < kv_len ? kt + (int)threadIdx.x : -1;
      __syncthreads();
      rope_rows<T, D>(p, ck, 64, kpos);
      __syncthreads();
    }

    if (warp_active) {
      // S = Q K^T for this warp's 16 rows and the 64 positions of the tile
      float sc[8][4];
#pragma unroll
      for (int i = 0; i < 8; i++) sc[i][0] = sc[i][1] = sc[i][2] = sc[i][3] = 0.f;
#pragma unroll
      for (int kk = 0; kk < D / 16; kk++) {
        uint32_t a[4];
        ldmatrix_x4(a, sq + (warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * STRIDE + kk * 16 + (lane >> 4) * 8);
#pragma unroll
        for (int nb = 0; nb < 8; nb += 2) {
          uint32_t b[4];
          ldmatrix_x4(b, ck + (nb * 8 + (lane & 7) + ((lane >> 4) << 3)) * STRIDE + kk * 16 + ((lane >> 3) & 1) * 8);
          mma16816<T>(sc[nb], a, b);
          mma16816<T>(sc[nb + 1], a, b + 2);
        }
      }
      // logits in the log2 domain, masked; row maxima over the quad
      float mx[2] = {-INFINITY, -INFINITY};
      const bool whole = kt >= max(my_lo[0], my_lo[1]) && kt + KV_TILE <= min(my_hi[0], my_hi[1]);
      if (whole && p.pos_mode != 2 && p.soft_cap <= 0.f) {
        // every position visible to both rows: the same arithmetic as below, without the masks
#pragma unroll
        for (int nb = 0; nb < 8; nb++) {
#pragma unroll
          for (int e = 0; e < 4; e++) {
            float x = (sc[nb][e] * p.sm_scale) * LOG2E;
            sc[nb][e] = x;
            mx[e >> 1] = fmaxf(mx[e >> 1], x);
          }
        }
      } else {
#pragma unroll
        for (int nb = 0; nb < 8; nb++) {
#pragma unroll
          for (int e = 0; e < 4; e++) {
            int i = e >> 1;
            int j = kt + nb * 8 + tq * 2 + (e & 1);
            float x = sc[nb][e] * p.sm_scale;
            if (p.pos_mode == 2) x += slope[i] * (float)(j - my_pos[i]);
            if (p.soft_cap > 0.f) x = p.soft_cap * tanhf(x / p.soft_cap);
            x *= LOG2E;
            bool vis = j >= my_lo[i] && j < my_hi[i];
            sc[nb][e] = vis ? x : -INFINITY;
            mx[i] = fmaxf(mx[i], sc[nb][e]);
          }
        }
      }
      float scale[2];
#pragma unroll
      for (int i = 0; i < 2; i++) {
        mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffff, mx[i], 1));
        mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffff, mx[i], 2));
        float mnew = fmaxf(m[i], mx[i]);
        // a row that has seen nothing yet keeps zeros: no (-inf) - (-inf)
        float muse = mnew == -INFINITY ? 0.f : mnew;
        scale[i] = exp2f(m[i] - muse);
        m[i] = mnew;
        mx[i] = muse;
      }
      float rs[2] = {0.f, 0.f};
#pragma unroll
      for (int nb = 0; nb < 8; nb++) {
#pragma unroll
        for (int e = 0; e < 4; e++) {
          float pe = exp2f(sc[nb][e] - mx[e >> 1]);
          sc[nb][e] = pe;
          rs[e >> 1] += pe;
        }
      }
#pragma unroll
      for (int i = 0; i < 2; i++) {
        rs[i] += __shfl_xor_sync(0xffffffff, rs[i], 1);
        rs[i] += __shfl_xor_sync(0xffffffff, rs[i], 2);
        l[i] = l[i] * scale[i] + rs[i];
      }
#pragma unroll
      for (int nb = 0; nb < NB; nb++) {
        o[nb][0] *= scale[0];
        o[nb][1] *= scale[0];
        o[nb][2] *= scale[1];
        o[nb][3] *= scale[1];
      }
      // O += P V
#pragma unroll
      for (int kb = 0; kb < 4; kb++) {
        uint32_t a[4];
        a[0] = Pack2<T>::from(sc[2 * kb][0], sc[2 * kb][1]);
        a[1] = Pack2<T>::from(sc[2 * kb][2], sc[2 * kb][3]);
        a[2] = Pack2<T>::from(sc[2 * kb + 1][0], sc[2 * kb + 1][1]);
        a[3] = Pack2<T>::from(sc[2 * kb + 1][2], sc[2 * kb + 1][3]);
#pragma unroll
        for (int db = 0; db < NB; db += 2) {
          uint32_t b[4];
          ldmatrix_x4_trans(b, cv + (kb * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * STRIDE + db * 8 + (lane >> 4) * 8);
          mma16816<T>(o[db], a, b);
          mma16816<T>(o[db + 1], a, b + 2);
        }
      }
    }
    __syncthreads();
  }
  cp_async_wait<0>();

  if (!warp_active) return;
  const int nsplits = (kv_len + p.split_size - 1) / p.split_size;
#pragma unroll
  for (int i = 0; i < 2; i++) {
    int tok = t0 + my_row[i] / G;
    if (tok >= qo_len) continue;
    int hq = h * G + my_row[i] % G;
    long long qrow = qo_start + tok;
    int lo, hi;
    visible_range(p, qo_len, kv_len, tok, &lo, &hi);
    bool single = hi <= lo || (lo / p.split_size) == ((hi - 1) / p.split_size);
    // a row inside one chunk is finished by that chunk's block alone; the tile's other chunks'
    // blocks computed nothing for it (and must not overwrite it)
    if (single && s != (hi <= lo ? first_split : lo / p.split_size)) continue;
    float inv = l[i] > 0.f ? 1.f / l[i] : 0.f;
    float lse = l[i] > 0.f ? (m[i] + log2f(l[i])) * LN2 : -INFINITY;
    if (single) {
      T* og = static_cast<T*>(p.o) + (qrow * p.num_qo_heads + hq) * D;
#pragma unroll
      for (int nb = 0; nb < NB; nb++) {
        *reinterpret_cast<uint32_t*>(og + nb * 8 + tq * 2) = Pack2<T>::from(o[nb][2 * i] * inv, o[nb][2 * i + 1] * inv);
      }
      if (tq == 0) p.lse[qrow * p.num_qo_heads + hq] = lse;
    } else {
      long long st = p.part_indptr[r] + ((long long)tok * p.num_qo_heads + hq) * nsplits + s;
      float* po = p.part_o + st * D;
#pragma unroll
      for (int nb = 0; nb < NB; nb++) {
        *reinterpret_cast<float2*>(po + nb * 8 + tq * 2) = make_float2(o[nb][2 * i] * inv, o[nb][2 * i + 1] * inv);
      }
      if (tq == 0) p.part_lse[st] = lse;
    }
  }
}

}  // namespace bi

// Two blocks per SM is what shared memory allows for d128 anyway; saying so lets ptxas keep
// every variant spill-free (without it, the params-struct entry spilled 24 bytes at d128).
#define BI_ATTENTION(TAG, T, D)                                                              \
  extern "C" __global__ void __launch_bounds__(bi::THREADS, 2)                              \
      bi_attention_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) {                   \
    bi::attention_kernel<T, D>(p);                                                           \
  }

BI_ATTN_VARIANTS(BI_ATTENTION)
