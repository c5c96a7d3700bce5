// Batch-invariant attention engine for DJL: y = x W^T + b in float32 (DJL's Linear).
//
// 64x64 output tiles, 16-wide k steps, 4x4 outputs per thread. Each output element is one
// thread's fused multiply-add chain over k in increasing order, the same chain whatever M is and
// wherever the row sits in its tile: no split-K, no tile size chosen from the shapes.
#include "bi/small_params.cuh"

namespace bi {

constexpr int LBM = 64;
constexpr int LBN = 64;
constexpr int LBK = 16;

__device__ __forceinline__ void linear_body(const float* __restrict__ x, const float* __restrict__ w,
                                            const float* __restrict__ bias, float* __restrict__ y, int m, int n,
                                            int k) {
  __shared__ float xs[LBK][LBM + 4];
  __shared__ float ws[LBK][LBN + 4];
  const int tid = threadIdx.x;
  const int row0 = blockIdx.y * LBM;
  const int col0 = blockIdx.x * LBN;
  const int tr = (tid / 16) * 4;  // this thread's 4 rows and 4 columns within the tile
  const int tc = (tid % 16) * 4;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0.f;

  for (int k0 = 0; k0 < k; k0 += LBK) {
    // 64 rows x 16 k of x and of W, 4 elements per thread each, stored k-major
#pragma unroll
    for (int e = 0; e < 4; e++) {
      int idx = tid + e * 256;
      int r = idx / LBK;
      int kk = idx % LBK;
      int gk = k0 + kk;
      xs[kk][r] = (row0 + r < m && gk < k) ? x[(long long)(row0 + r) * k + gk] : 0.f;
      ws[kk][r] = (col0 + r < n && gk < k) ? w[(long long)(col0 + r) * k + gk] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < LBK; kk++) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = xs[kk][tr + i];
#pragma unroll
      for (int j = 0; j < 4; j++) b[j] = ws[kk][tc + j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; i++) {
    int r = row0 + tr + i;
    if (r >= m) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int c = col0 + tc + j;
      if (c < n) y[(long long)r * n + c] = bias ? acc[i][j] + bias[c] : acc[i][j];
    }
  }
}

}  // namespace bi

extern "C" __global__ void __launch_bounds__(256) bi_linear_f32(const __grid_constant__ bi::LinearParams p) {
  bi::linear_body(p.x, p.w, p.bias, p.y, p.m, p.n, p.k);
}
