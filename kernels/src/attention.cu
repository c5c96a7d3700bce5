// Batch-invariant attention engine for DJL: batch prefill/decode attention over a paged KV cache,
// mma.sync (sm_80 and later; on sm_90a devices attention_sm90.cu runs instead).
//
// One thread block per work item (request, KV head, tile of 64 packed query rows, KV chunk). A
// packed row is (token, GQA head): decode packs a token's query heads, prefill packs several
// tokens' heads, and both run this same kernel, so a row's arithmetic never depends on how many
// rows share its block. Each of the 4 warps owns 16 rows and the whole 64-position KV tile; KV
// tiles start at multiples of 64 and chunks at multiples of the split size, both absolute
// positions; the online softmax rescales once per tile (attention_common.cuh). A tile that a row
// cannot see is an exact no-op for that row (scale 1, probabilities 0). A row whose visible
// positions lie in one chunk is finished here; the others leave a partial state that merge.cu
// folds left to right.
#include "bi/attention_common.cuh"

namespace bi {

template <int D>
struct Layout {
  static constexpr int STRIDE = D + 8;  // elements per smem row: 16-byte pad, conflict-free ldmatrix
  static constexpr int TILE_ELEMS = 64 * STRIDE;
  static constexpr int SMEM_BYTES = 5 * TILE_ELEMS * 2;  // Q + double-buffered K and V
  __device__ static __forceinline__ int at(int row, int col) { return row * STRIDE + col; }
};

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
  __shared__ int staged_pages[STAGED_PAGES];

  const Item it = item_of(p);

  load_q_tile<T, D, Layout<D>>(p, it, sq, row_pos);
  cp_async_commit();

  const PageView pv = stage_pages(p, it, staged_pages);
  if (it.num_tiles > 0) {
    load_kv_tile<T, D, Layout<D>>(p, pv, it, it.first_tile, sk, sv);
  }
  cp_async_commit();

  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  Rows rw = rows_of(p, it);

  float o[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; i++) o[i] = 0.f;
  Folded<D> fo(it);

  cp_async_wait<1>();
  __syncthreads();
  if (p.pos_mode == 1 || p.pos_mode == 3) {
    rope_rows<T, D, Layout<D>>(p, sq, 64, row_pos);
  }

  for (int t = 0; t < it.num_tiles; t++) {
    const int kt = it.first_tile + t * KV_TILE;
    T* ck = sk + (t & 1) * Layout<D>::TILE_ELEMS;
    T* cv = sv + (t & 1) * Layout<D>::TILE_ELEMS;
    if (t + 1 < it.num_tiles) {
      load_kv_tile<T, D, Layout<D>>(p, pv, it, kt + KV_TILE, sk + ((t + 1) & 1) * Layout<D>::TILE_ELEMS,
                         sv + ((t + 1) & 1) * Layout<D>::TILE_ELEMS);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    if (p.pos_mode == 1) {
      __shared__ int kpos[64];
      if (threadIdx.x < 64) kpos[threadIdx.x] = kt + (int)threadIdx.x < it.kv_len ? kt + (int)threadIdx.x : -1;
      __syncthreads();
      rope_rows<T, D, Layout<D>>(p, ck, 64, kpos);
      __syncthreads();
    }

    if (rw.warp_active) {
      // a fused tile entering its next chunk: fold the last one's state, restart the softmax
      fo.at_tile(p, rw, o, t, kt);
      // S = Q K^T for this warp's 16 rows and the 64 positions of the tile
      float sc[32];
#pragma unroll
      for (int i = 0; i < 32; i++) sc[i] = 0.f;
#pragma unroll
      for (int kk = 0; kk < D / 16; kk++) {
        uint32_t a[4];
        ldmatrix_x4(a, sq + (warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * STRIDE + kk * 16 + (lane >> 4) * 8);
#pragma unroll
        for (int nb = 0; nb < 8; nb += 2) {
          uint32_t b[4];
          ldmatrix_x4(b, ck + (nb * 8 + (lane & 7) + ((lane >> 4) << 3)) * STRIDE + kk * 16 + ((lane >> 3) & 1) * 8);
          mma16816<T>(&sc[4 * nb], a, b);
          mma16816<T>(&sc[4 * nb + 4], a, b + 2);
        }
      }
      softmax_tile<D>(p, it, rw, sc, o, kt);
      // O += P V
#pragma unroll
      for (int kb = 0; kb < 4; kb++) {
        uint32_t a[4];
        probs_fragment<T>(sc, kb, a);
#pragma unroll
        for (int db = 0; db < NB; db += 2) {
          uint32_t b[4];
          ldmatrix_x4_trans(b, cv + (kb * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * STRIDE + db * 8 + (lane >> 4) * 8);
          mma16816<T>(&o[4 * db], a, b);
          mma16816<T>(&o[4 * db + 4], a, b + 2);
        }
      }
    }
    __syncthreads();
  }
  cp_async_wait<0>();
  finish_rows<T, D>(p, it, rw, o, fo);
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
