// Batch-invariant attention engine for DJL: C = A B (or A Wᵀ) with bias and activation, batched.
//
// Why it is batch-invariant: an output element is one accumulation over k in a fixed order —
// k tiles at absolute positions 0, BK, 2BK, ... inside each split-K range, the same MMA (or FMA)
// sequence within a tile — and nothing of that order depends on m. The split-K count and range
// are chosen by the launcher from (n, k, dtype, device) only, and the splits' fp32 partials are
// summed in split order by a second kernel; there are no atomics. A row's position inside its
// m tile changes which thread computes it, never how.
//
// Kernels by role: gemm_mma (fp16/bf16 on tensor cores, mma.sync m16n8k16 fed by ldmatrix from a
// cp.async pipeline, fp32 accumulation),
// gemm_fma (float32 and float64 on FMA units: no TF32), gemm_splitk_sum (ordered partial sum
// and epilogue). Variants by template: element type and weight layout ([n][k] or [k][n]).
#include "bi/gemm_common.cuh"

namespace bi {

constexpr int GEMM_BM = 64;
constexpr int GEMM_BN = 64;
constexpr int MMA_BK = 32;
constexpr int FMA_BK = 16;

// Tensor-core tile kernel: BM x BN outputs per 256-thread block, k tiles of MMA_BK through a
// GEMM_STAGES-deep cp.async pipeline, fragments by ldmatrix. BM and BN only decide which thread
// computes an output: its value is the same m16n8k16 sequence over the same k tiles whatever
// they are, so the launcher may pick them from the shape.
constexpr int GEMM_STAGES = 4;
constexpr int GEMM_THREADS = 256;

template <typename T, bool NK, int BM, int BN> struct MmaTile {
  static constexpr int WARPS_M = BM / 32;
  static constexpr int WARPS_N = 8 / WARPS_M;
  static constexpr int WN = BN / WARPS_N;
  static constexpr int NI = WN / 8;
  static constexpr int A_LD = MMA_BK + 8;                       // halves per A row (80 bytes)
  static constexpr int B_LD = NK ? MMA_BK + 8 : BN + 8;         // [n][k] or [k][n] rows
  static constexpr int A_ELEMS = BM * A_LD;
  static constexpr int B_ELEMS = NK ? BN * B_LD : MMA_BK * B_LD;
  static constexpr int STAGE = A_ELEMS + B_ELEMS;
  static constexpr int SMEM_BYTES = GEMM_STAGES * STAGE * 2;
};

template <typename T, bool NK, int BM, int BN>
__device__ __forceinline__ void mma_load_stage(const GemmParams& p, T* sm, const T* A, const T* B, int m0, int n0,
                                               int k0, int ke, bool vec_a, bool vec_b) {
  using Tile = MmaTile<T, NK, BM, BN>;
  T* As = sm;
  T* Bs = sm + Tile::A_ELEMS;
  const int tid = threadIdx.x;
#pragma unroll
  for (int c = tid; c < BM * (MMA_BK / 8); c += GEMM_THREADS) {
    const int r = c / (MMA_BK / 8), kc = (c % (MMA_BK / 8)) * 8;
    const int gm = m0 + r, gk = k0 + kc;
    T* dst = As + r * Tile::A_LD + kc;
    const T* src = A + static_cast<long long>(min(gm, p.m - 1)) * p.k + min(gk, p.k - 1);
    if (vec_a) {
      cp_async16_n(dst, src, gm < p.m ? max(0, min(8, ke - gk)) * 2 : 0);
    } else {
#pragma unroll
      for (int i = 0; i < 8; i++) dst[i] = (gm < p.m && gk + i < ke) ? src[i] : static_cast<T>(0.f);
    }
  }
  if (NK) {
#pragma unroll
    for (int c = tid; c < BN * (MMA_BK / 8); c += GEMM_THREADS) {
      const int r = c / (MMA_BK / 8), kc = (c % (MMA_BK / 8)) * 8;
      const int gn = n0 + r, gk = k0 + kc;
      T* dst = Bs + r * Tile::B_LD + kc;
      const T* src = B + static_cast<long long>(min(gn, p.n - 1)) * p.k + min(gk, p.k - 1);
      if (vec_b) {
        cp_async16_n(dst, src, gn < p.n ? max(0, min(8, ke - gk)) * 2 : 0);
      } else {
#pragma unroll
        for (int i = 0; i < 8; i++) dst[i] = (gn < p.n && gk + i < ke) ? src[i] : static_cast<T>(0.f);
      }
    }
  } else {
#pragma unroll
    for (int c = tid; c < MMA_BK * (BN / 8); c += GEMM_THREADS) {
      const int kr = c / (BN / 8), nc = (c % (BN / 8)) * 8;
      const int gk = k0 + kr, gn = n0 + nc;
      T* dst = Bs + kr * Tile::B_LD + nc;
      const T* src = B + static_cast<long long>(min(gk, p.k - 1)) * p.n + min(gn, p.n - 1);
      if (vec_b) {
        cp_async16_n(dst, src, gk < ke ? max(0, min(8, p.n - gn)) * 2 : 0);
      } else {
#pragma unroll
        for (int i = 0; i < 8; i++) dst[i] = (gk < ke && gn + i < p.n) ? src[i] : static_cast<T>(0.f);
      }
    }
  }
}

// The k range [kb, ke) of this block's tile, k tiles at absolute multiples of MMA_BK through one
// continuous pipeline. Each split's tiles accumulate into acc from zero; where a split ends (a
// multiple of split_k, itself a multiple of MMA_BK, so no tile straddles two) acc is added to
// total and restarted, and once more after the last tile.
template <typename T, bool NK, int BM, int BN>
__device__ __forceinline__ void mma_range(const GemmParams& p, T* smem, const T* A, const T* B, int m0, int n0,
                                          int kb, int ke, bool vec_a, bool vec_b,
                                          float (&acc)[2][MmaTile<T, NK, BM, BN>::NI][4],
                                          float (&total)[2][MmaTile<T, NK, BM, BN>::NI][4]) {
  using Tile = MmaTile<T, NK, BM, BN>;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp / Tile::WARPS_N, wn = warp % Tile::WARPS_N;
  const int tiles = (ke - kb + MMA_BK - 1) / MMA_BK;
#pragma unroll
  for (int s = 0; s < GEMM_STAGES - 1; s++) {
    if (s < tiles) {
      mma_load_stage<T, NK, BM, BN>(p, smem + s * Tile::STAGE, A, B, m0, n0, kb + s * MMA_BK, ke, vec_a, vec_b);
    }
    cp_async_commit();
  }
  for (int t = 0; t < tiles; t++) {
    cp_async_wait<GEMM_STAGES - 2>();
    __syncthreads();
    const int next = t + GEMM_STAGES - 1;
    if (next < tiles) {
      mma_load_stage<T, NK, BM, BN>(p, smem + (next % GEMM_STAGES) * Tile::STAGE, A, B, m0, n0,
                                    kb + next * MMA_BK, ke, vec_a, vec_b);
    }
    cp_async_commit();
    if (t > 0 && (kb + t * MMA_BK) % p.split_k == 0) {
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < Tile::NI; j++)
#pragma unroll
          for (int r = 0; r < 4; r++) {
            total[i][j][r] += acc[i][j][r];
            acc[i][j][r] = 0.f;
          }
    }
    const T* As = smem + (t % GEMM_STAGES) * Tile::STAGE;
    const T* Bs = As + Tile::A_ELEMS;
#pragma unroll
    for (int ks = 0; ks < MMA_BK; ks += 16) {
      uint32_t a[2][4], b[Tile::NI][2];
#pragma unroll
      for (int mi = 0; mi < 2; mi++) {
        const int r = wm * 32 + mi * 16 + (lane & 15);
        ldmatrix_x4(a[mi], As + r * Tile::A_LD + ks + (lane >> 4) * 8);
      }
#pragma unroll
      for (int ni = 0; ni < Tile::NI; ni += 2) {
        uint32_t r4[4];
        if (NK) {
          const int nr = wn * Tile::WN + ni * 8 + (lane & 7) + (lane >> 4) * 8;
          ldmatrix_x4(r4, Bs + nr * Tile::B_LD + ks + ((lane >> 3) & 1) * 8);
        } else {
          ldmatrix_x4_trans(r4, Bs + (ks + (lane & 15)) * Tile::B_LD + wn * Tile::WN + ni * 8 + (lane >> 4) * 8);
        }
        b[ni][0] = r4[0];
        b[ni][1] = r4[1];
        b[ni + 1][0] = r4[2];
        b[ni + 1][1] = r4[3];
      }
#pragma unroll
      for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int ni = 0; ni < Tile::NI; ni++) mma16816<T>(acc[mi][ni], a[mi], b[ni]);
    }
  }
  cp_async_wait<0>();
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < Tile::NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) total[i][j][r] += acc[i][j][r];
}

// Without a partial buffer one block walks every split in order, each from a fresh accumulator
// added to the running total: ((0 + p0) + p1) + ..., the very sum the split-K kernel forms from
// the splits' partials, so the two launch shapes give the same bits.
template <typename T, bool NK, int BM, int BN> __device__ void gemm_mma(const GemmParams& p) {
  using Tile = MmaTile<T, NK, BM, BN>;
  extern __shared__ __align__(16) unsigned char gemm_smem[];
  T* smem = reinterpret_cast<T*>(gemm_smem);
  const Slice q = slice_of(p);
  const T* A = static_cast<const T*>(p.a) + q.a_off;
  const T* B = static_cast<const T*>(p.b) + q.b_off;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int wm = warp / Tile::WARPS_N, wn = warp % Tile::WARPS_N;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const bool vec_a = (p.k % 8 == 0) && ((reinterpret_cast<uintptr_t>(A) & 15) == 0);
  const bool vec_b = NK ? (p.k % 8 == 0) && ((reinterpret_cast<uintptr_t>(B) & 15) == 0)
                        : (p.n % 8 == 0) && ((reinterpret_cast<uintptr_t>(B) & 15) == 0);
  float acc[2][Tile::NI][4];
  float total[2][Tile::NI][4];
  const bool in_block = p.partial == nullptr;
  const int s_first = in_block ? 0 : q.s;
  const int s_last = in_block ? p.splits - 1 : q.s;
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < Tile::NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) total[i][j][r] = 0.f;
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < Tile::NI; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;
  mma_range<T, NK, BM, BN>(p, smem, A, B, m0, n0, s_first * p.split_k, min(p.k, (s_last + 1) * p.split_k), vec_a,
                           vec_b, acc, total);
#pragma unroll
  for (int mi = 0; mi < 2; mi++)
#pragma unroll
    for (int ni = 0; ni < Tile::NI; ni++)
#pragma unroll
      for (int r = 0; r < 4; r++) {
        const int row = m0 + wm * 32 + mi * 16 + (lane >> 2) + (r >= 2 ? 8 : 0);
        const int col = n0 + wn * Tile::WN + ni * 8 + (lane & 3) * 2 + (r & 1);
        emit<T, float>(p, q.z, q.s, row, col, total[mi][ni][r]);
      }
}

// float32 / float64: each output one FMA chain over k in increasing order per split, 4x4 outputs
// per thread; splits walked in-block (no partial buffer) or one per block, as in gemm_mma.
template <typename T, bool NK> __device__ void gemm_fma(const GemmParams& p) {
  __shared__ T xs[FMA_BK][GEMM_BM + 4];
  __shared__ T ws[FMA_BK][GEMM_BN + 4];
  const Slice q = slice_of(p);
  const T* A = static_cast<const T*>(p.a) + q.a_off;
  const T* B = static_cast<const T*>(p.b) + q.b_off;
  const int tid = threadIdx.x;
  const int m0 = blockIdx.x * GEMM_BM, n0 = blockIdx.y * GEMM_BN;
  const int tr = (tid / 16) * 4, tc = (tid % 16) * 4;
  const bool in_block = p.partial == nullptr;
  T total[4][4];
  T acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) total[i][j] = 0;
  for (int s = in_block ? 0 : q.s; s <= (in_block ? p.splits - 1 : q.s); s++) {
    const int kb = s * p.split_k;
    const int ke = min(p.k, kb + p.split_k);
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
      for (int j = 0; j < 4; j++) acc[i][j] = 0;
    for (int k0 = kb; k0 < ke; k0 += FMA_BK) {
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int idx = tid + e * 256;
        const int r = idx / FMA_BK, kk = idx % FMA_BK, gk = k0 + kk;
        xs[kk][r] = (m0 + r < p.m && gk < ke) ? A[static_cast<long long>(m0 + r) * p.k + gk] : static_cast<T>(0);
        if (NK) {
          ws[kk][r] = (n0 + r < p.n && gk < ke) ? B[static_cast<long long>(n0 + r) * p.k + gk] : static_cast<T>(0);
        } else {
          // [k][n]: consecutive threads read consecutive n of one k row
          const int kr = idx / GEMM_BN, nc = idx % GEMM_BN, gkr = k0 + kr;
          ws[kr][nc] = (n0 + nc < p.n && gkr < ke) ? B[static_cast<long long>(gkr) * p.n + n0 + nc] : static_cast<T>(0);
        }
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < FMA_BK; kk++) {
        T a[4], b[4];
#pragma unroll
        for (int i = 0; i < 4; i++) a[i] = xs[kk][tr + i];
#pragma unroll
        for (int j = 0; j < 4; j++) b[j] = ws[kk][tc + j];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
          for (int j = 0; j < 4; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
      for (int j = 0; j < 4; j++) total[i][j] += acc[i][j];
  }
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) emit<T, T>(p, q.z, q.s, m0 + tr + i, n0 + tc + j, in_block ? total[i][j] : acc[i][j]);
}

// Sums the splits' partials of each output in split order, then the shared epilogue.
template <typename T> __device__ void gemm_splitk_sum(const GemmParams& p) {
  const long long per = static_cast<long long>(p.m) * p.n;
  const long long total = per * p.batches;
  for (long long id = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; id < total;
       id += static_cast<long long>(gridDim.x) * blockDim.x) {
    float v = 0.f;
    for (int s = 0; s < p.splits; s++) v += p.partial[s * total + id];
    const long long z = id / per, e = id % per;
    finish<T, float>(p, z, static_cast<int>(e / p.n), static_cast<int>(e % p.n), v);
  }
}

}  // namespace bi

#define BI_GEMM_ENTRY(NAME, BODY, T, NK, THREADS)                                               \
  extern "C" __global__ void __launch_bounds__(THREADS) NAME(const __grid_constant__ bi::GemmParams p) { \
    bi::BODY<T, NK>(p);                                                                         \
  }
#define BI_GEMM_MMA_TILE(NAME, T, NK, BM, BN)                                                   \
  extern "C" __global__ void __launch_bounds__(bi::GEMM_THREADS) NAME(const __grid_constant__ bi::GemmParams p) { \
    bi::gemm_mma<T, NK, BM, BN>(p);                                                             \
  }
#define BI_GEMM_MMA(TAG, T)                                                                     \
  BI_GEMM_MMA_TILE(bi_gemm_##TAG##_nk_64x128, T, true, 64, 128)                                \
  BI_GEMM_MMA_TILE(bi_gemm_##TAG##_nk_128x128, T, true, 128, 128)                              \
  BI_GEMM_MMA_TILE(bi_gemm_##TAG##_kn_64x128, T, false, 64, 128)                               \
  BI_GEMM_MMA_TILE(bi_gemm_##TAG##_kn_128x128, T, false, 128, 128)
#define BI_GEMM_FMA(TAG, T)                                                                     \
  BI_GEMM_ENTRY(bi_gemm_##TAG##_nk, gemm_fma, T, true, 256)                                    \
  BI_GEMM_ENTRY(bi_gemm_##TAG##_kn, gemm_fma, T, false, 256)
#define BI_GEMM_SUM(TAG, T)                                                                     \
  extern "C" __global__ void __launch_bounds__(256) bi_gemm_sum_##TAG(const __grid_constant__ bi::GemmParams p) { \
    bi::gemm_splitk_sum<T>(p);                                                                  \
  }

BI_GEMM_MMA(bf16, __nv_bfloat16)
BI_GEMM_MMA(f16, __half)
BI_GEMM_FMA(f32, float)
BI_GEMM_FMA(f64, double)
BI_GEMM_SUM(bf16, __nv_bfloat16)
BI_GEMM_SUM(f16, __half)
BI_GEMM_SUM(f32, float)
