// Batch-invariant attention engine for DJL: C = A B (or A Wᵀ) with bias and activation, batched.
//
// Why it is batch-invariant: an output element is one accumulation over k in a fixed order —
// k tiles at absolute positions 0, BK, 2BK, ... inside each split-K range, the same MMA (or FMA)
// sequence within a tile — and nothing of that order depends on m. The split-K count and range
// are chosen by the launcher from (n, k, dtype, device) only, and the splits' fp32 partials are
// summed in split order by a second kernel; there are no atomics. A row's position inside its
// m tile changes which thread computes it, never how.
//
// Kernels by role: gemm_mma (fp16/bf16 on tensor cores, mma.sync m16n8k16, fp32 accumulation),
// gemm_fma (float32 and float64 on FMA units: no TF32), gemm_splitk_sum (ordered partial sum
// and epilogue). Variants by template: element type and weight layout ([n][k] or [k][n]).
#include "bi/common.cuh"
#include "bi/gemm_params.cuh"
#include "bi/values.cuh"

namespace bi {

constexpr int GEMM_BM = 64;
constexpr int GEMM_BN = 64;
constexpr int MMA_BK = 32;
constexpr int FMA_BK = 16;

__device__ __forceinline__ float activate(float v, int act) {
  switch (act) {
    case ACT_RELU: return v > 0.f ? v : (v != v ? v : 0.f);
    case ACT_GELU: return 0.5f * v * (1.f + erff(v * 0.70710678118654752f));
    case ACT_SILU: return v / (1.f + expf(-v));
    default: return v;
  }
}
__device__ __forceinline__ double activate(double v, int act) {
  switch (act) {
    case ACT_RELU: return v > 0.0 ? v : (v != v ? v : 0.0);
    case ACT_GELU: return 0.5 * v * (1.0 + erf(v * 0.70710678118654752));
    case ACT_SILU: return v / (1.0 + exp(-v));
    default: return v;
  }
}

// The epilogue every path shares: + bias, activation, rounding to the output type.
template <typename T, typename A>
__device__ __forceinline__ void finish(const GemmParams& p, long long z, int row, int col, A v) {
  if (p.bias) v += static_cast<A>(load_acc(static_cast<const T*>(p.bias), col));
  store_acc(static_cast<T*>(p.c) + z * p.sc, static_cast<long long>(row) * p.n + col,
            static_cast<typename Acc<T>::type>(activate(v, p.act)));
}

// One output element's accumulated value: written finished, or as split s's fp32 partial.
template <typename T, typename A>
__device__ __forceinline__ void emit(const GemmParams& p, long long z, int s, int row, int col, A v) {
  if (row >= p.m || col >= p.n) return;
  if (p.splits > 1) {
    p.partial[((static_cast<long long>(s) * p.batches + z) * p.m + row) * p.n + col] = static_cast<float>(v);
  } else {
    finish<T, A>(p, z, row, col, v);
  }
}

struct Slice {
  long long z;
  int s, kb, ke;
  long long a_off, b_off;
};

__device__ __forceinline__ Slice slice_of(const GemmParams& p) {
  Slice q;
  q.z = blockIdx.z / p.splits;
  q.s = blockIdx.z % p.splits;
  const long long z0 = q.z / p.batch1, z1 = q.z % p.batch1;
  q.kb = q.s * p.split_k;
  q.ke = min(p.k, q.kb + p.split_k);
  q.a_off = z0 * p.sa0 + z1 * p.sa1;
  q.b_off = z0 * p.sb0 + z1 * p.sb1;
  return q;
}

// 8 consecutive elements of a row into shared memory, zeros past the row's or the range's end.
template <typename T>
__device__ __forceinline__ void load8(T* dst, const T* row, bool row_ok, int k, int end, bool vec) {
  if (vec && row_ok && k + 8 <= end) {
    *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(row + k);
  } else {
#pragma unroll
    for (int i = 0; i < 8; i++) dst[i] = (row_ok && k + i < end) ? row[k + i] : static_cast<T>(0.f);
  }
}

template <typename T, bool NK> __device__ void gemm_mma(const GemmParams& p) {
  constexpr int PAD = 8;
  __shared__ alignas(16) T As[GEMM_BM][MMA_BK + PAD];
  __shared__ alignas(16) T Bs[GEMM_BN][MMA_BK + PAD];
  const Slice q = slice_of(p);
  const T* A = static_cast<const T*>(p.a) + q.a_off;
  const T* B = static_cast<const T*>(p.b) + q.b_off;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp >> 1, wn = warp & 1;
  const int m0 = blockIdx.x * GEMM_BM, n0 = blockIdx.y * GEMM_BN;
  const bool vec_a = (p.k % 8 == 0) && ((reinterpret_cast<uintptr_t>(A) & 15) == 0);
  const bool vec_b = NK ? vec_a && ((reinterpret_cast<uintptr_t>(B) & 15) == 0)
                        : (p.n % 8 == 0) && ((reinterpret_cast<uintptr_t>(B) & 15) == 0);
  float acc[2][4][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 4; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

  for (int k0 = q.kb; k0 < q.ke; k0 += MMA_BK) {
#pragma unroll
    for (int e = 0; e < 2; e++) {
      const int c = tid + e * 128;
      const int r = c >> 2, kk = (c & 3) * 8;
      const int gm = m0 + r;
      load8(&As[r][kk], A + static_cast<long long>(min(gm, p.m - 1)) * p.k, gm < p.m, k0 + kk, q.ke, vec_a);
      if (NK) {
        const int gn = n0 + r;
        load8(&Bs[r][kk], B + static_cast<long long>(min(gn, p.n - 1)) * p.k, gn < p.n, k0 + kk, q.ke, vec_b);
      } else {
        // [k][n]: 8 consecutive n of one k row, stored transposed so fragments read k pairs
        const int kr = c >> 3, nn = (c & 7) * 8;
        const int gk = k0 + kr;
        T v[8];
        load8(v, B + static_cast<long long>(min(gk, p.k - 1)) * p.n, gk < q.ke, n0 + nn, p.n, vec_b);
#pragma unroll
        for (int i = 0; i < 8; i++) Bs[nn + i][kr] = v[i];
      }
    }
    __syncthreads();
#pragma unroll
    for (int ks = 0; ks < MMA_BK; ks += 16) {
      const int kc = ks + (lane & 3) * 2;
      uint32_t a[2][4], b[4][2];
#pragma unroll
      for (int mi = 0; mi < 2; mi++) {
        const int r = wm * 32 + mi * 16 + (lane >> 2);
        a[mi][0] = *reinterpret_cast<const uint32_t*>(&As[r][kc]);
        a[mi][1] = *reinterpret_cast<const uint32_t*>(&As[r + 8][kc]);
        a[mi][2] = *reinterpret_cast<const uint32_t*>(&As[r][kc + 8]);
        a[mi][3] = *reinterpret_cast<const uint32_t*>(&As[r + 8][kc + 8]);
      }
#pragma unroll
      for (int ni = 0; ni < 4; ni++) {
        const int nr = wn * 32 + ni * 8 + (lane >> 2);
        b[ni][0] = *reinterpret_cast<const uint32_t*>(&Bs[nr][kc]);
        b[ni][1] = *reinterpret_cast<const uint32_t*>(&Bs[nr][kc + 8]);
      }
#pragma unroll
      for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int ni = 0; ni < 4; ni++) mma16816<T>(acc[mi][ni], a[mi], b[ni]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int mi = 0; mi < 2; mi++)
#pragma unroll
    for (int ni = 0; ni < 4; ni++)
#pragma unroll
      for (int r = 0; r < 4; r++) {
        const int row = m0 + wm * 32 + mi * 16 + (lane >> 2) + (r >= 2 ? 8 : 0);
        const int col = n0 + wn * 32 + ni * 8 + (lane & 3) * 2 + (r & 1);
        emit<T, float>(p, q.z, q.s, row, col, acc[mi][ni][r]);
      }
}

// float32 / float64: each output one FMA chain over k in increasing order, 4x4 outputs per thread.
template <typename T, bool NK> __device__ void gemm_fma(const GemmParams& p) {
  __shared__ T xs[FMA_BK][GEMM_BM + 4];
  __shared__ T ws[FMA_BK][GEMM_BN + 4];
  const Slice q = slice_of(p);
  const T* A = static_cast<const T*>(p.a) + q.a_off;
  const T* B = static_cast<const T*>(p.b) + q.b_off;
  const int tid = threadIdx.x;
  const int m0 = blockIdx.x * GEMM_BM, n0 = blockIdx.y * GEMM_BN;
  const int tr = (tid / 16) * 4, tc = (tid % 16) * 4;
  T acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0;
  for (int k0 = q.kb; k0 < q.ke; k0 += FMA_BK) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      const int idx = tid + e * 256;
      const int r = idx / FMA_BK, kk = idx % FMA_BK, gk = k0 + kk;
      xs[kk][r] = (m0 + r < p.m && gk < q.ke) ? A[static_cast<long long>(m0 + r) * p.k + gk] : static_cast<T>(0);
      if (NK) {
        ws[kk][r] = (n0 + r < p.n && gk < q.ke) ? B[static_cast<long long>(n0 + r) * p.k + gk] : static_cast<T>(0);
      } else {
        // [k][n]: consecutive threads read consecutive n of one k row
        const int kr = idx / GEMM_BN, nc = idx % GEMM_BN, gkr = k0 + kr;
        ws[kr][nc] = (n0 + nc < p.n && gkr < q.ke) ? B[static_cast<long long>(gkr) * p.n + n0 + nc] : static_cast<T>(0);
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
    for (int j = 0; j < 4; j++) emit<T, T>(p, q.z, q.s, m0 + tr + i, n0 + tc + j, acc[i][j]);
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
#define BI_GEMM_MMA(TAG, T)                                                                     \
  BI_GEMM_ENTRY(bi_gemm_##TAG##_nk, gemm_mma, T, true, 128)                                    \
  BI_GEMM_ENTRY(bi_gemm_##TAG##_kn, gemm_mma, T, false, 128)
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
