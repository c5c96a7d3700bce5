// Batch-invariant attention engine for DJL: layer normalisation and RMS normalisation of rows, and
// batch normalisation with running statistics.
//
// One row per warp when n <= ROW_WARP_MAX, else one row per 256-thread block (a choice made from
// n alone). Thread t accumulates elements t, t + G, ... in order and the partials meet in a fixed
// shuffle tree, so a row's bits do not depend on how many rows share the launch. Statistics are
// two-pass (mean, then the mean of squared deviations), in float (double for float64).
#include "bi/reduce_params.cuh"
#include "bi/accum.cuh"

namespace bi {

constexpr int NORM_THREADS = 256;
constexpr int NORM_WARP_MAX = 1024;

template <int G, typename A> __device__ A group_sum(A v, A* smem) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
  if (G == 32) return __shfl_sync(0xffffffffu, v, 0);
  const int warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    A w = lane < G / 32 ? smem[lane] : static_cast<A>(0);
#pragma unroll
    for (int d = G / 64; d > 0; d >>= 1) w += __shfl_down_sync(0xffffffffu, w, d);
    if (lane == 0) smem[G / 32] = w;
  }
  __syncthreads();
  return smem[G / 32];
}

__device__ __forceinline__ float root(float v) { return sqrtf(v); }
__device__ __forceinline__ double root(double v) { return sqrt(v); }

template <typename T, int G> __device__ void norm_row(const NormParams& p, long long row, int t, void* smem) {
  using A = typename Acc<T>::type;
  const int n = p.n;
  const T* x = static_cast<const T*>(p.x) + row * n;
  const T* g = static_cast<const T*>(p.gamma);
  const T* b = static_cast<const T*>(p.beta);
  T* y = static_cast<T*>(p.y) + row * n;
  A* red = static_cast<A*>(smem);
  if (p.rms) {
    A sq = 0;
    #pragma unroll 8
    for (int j = t; j < n; j += G) {
      A v = load_acc(x, j);
      sq += v * v;
    }
    A denom = root(group_sum<G>(sq, red) / static_cast<A>(n) + static_cast<A>(p.eps));
    #pragma unroll 8
    for (int j = t; j < n; j += G) {
      A v = load_acc(x, j) / denom;
      store_acc(y, j, g ? v * load_acc(g, j) : v);
    }
    return;
  }
  A sum = 0;
  #pragma unroll 8
  for (int j = t; j < n; j += G) sum += load_acc(x, j);
  const A mean = group_sum<G>(sum, red) / static_cast<A>(n);
  A sq = 0;
  #pragma unroll 8
  for (int j = t; j < n; j += G) {
    A d = load_acc(x, j) - mean;
    sq += d * d;
  }
  const A rstd = static_cast<A>(1) / root(group_sum<G>(sq, red) / static_cast<A>(n) + static_cast<A>(p.eps));
  #pragma unroll 8
  for (int j = t; j < n; j += G) {
    A v = (load_acc(x, j) - mean) * rstd;
    if (g) v *= load_acc(g, j);
    if (b) v += load_acc(b, j);
    store_acc(y, j, v);
  }
}

template <typename T> __device__ void norm_rows(const NormParams& p) {
  __shared__ double smem[NORM_THREADS / 32][NORM_THREADS / 32 + 1];
  if (p.n <= NORM_WARP_MAX) {
    const int warp = threadIdx.x >> 5;
    const long long row = static_cast<long long>(blockIdx.x) * (NORM_THREADS / 32) + warp;
    if (row < p.rows) norm_row<T, 32>(p, row, threadIdx.x & 31, smem[warp]);
  } else {
    norm_row<T, NORM_THREADS>(p, blockIdx.x, threadIdx.x, smem[0]);
  }
}

// Batch normalisation with running statistics (inference), element by element, rounded as the
// CPU backend rounds: ((x - mean) / sqrt(var + eps)) * gamma + beta, each step on its own (the
// _rn intrinsics keep the compiler from fusing a multiply and an add the CPU rounds twice).
__device__ __forceinline__ float bn_step(float v, float mean, float var, float eps, const float* g,
                                         const float* b, int ch) {
  float y = __fdiv_rn(__fsub_rn(v, mean), __fsqrt_rn(__fadd_rn(var, eps)));
  if (g) y = __fmul_rn(y, g[ch]);
  if (b) y = __fadd_rn(y, b[ch]);
  return y;
}
__device__ __forceinline__ double bn_step(double v, double mean, double var, float eps, const double* g,
                                          const double* b, int ch) {
  double y = __ddiv_rn(__dsub_rn(v, mean), __dsqrt_rn(__dadd_rn(var, static_cast<double>(eps))));
  if (g) y = __dmul_rn(y, g[ch]);
  if (b) y = __dadd_rn(y, b[ch]);
  return y;
}

template <typename T> __device__ void batch_norm(const NormParams& p) {
  using A = typename Acc<T>::type;
  const T* x = static_cast<const T*>(p.x);
  T* y = static_cast<T*>(p.y);
  const A* mean = static_cast<const A*>(p.mean);
  const A* var = static_cast<const A*>(p.var);
  const A* g = static_cast<const A*>(p.gamma);
  const A* b = static_cast<const A*>(p.beta);
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < p.rows;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int ch = static_cast<int>((i / p.inner) % p.channels);
    store_acc(y, i, bn_step(load_acc(x, i), mean[ch], var[ch], p.eps, g, b, ch));
  }
}

}  // namespace bi

#define BI_BATCH_NORM(TAG, T)                                                                   \
  extern "C" __global__ void __launch_bounds__(256) bi_batch_norm_##TAG(const __grid_constant__ bi::NormParams p) { \
    bi::batch_norm<T>(p);                                                                       \
  }

BI_BATCH_NORM(f32, float)
BI_BATCH_NORM(f16, __half)
BI_BATCH_NORM(bf16, __nv_bfloat16)
BI_BATCH_NORM(f64, double)

#define BI_NORM(TAG, T)                                                                         \
  extern "C" __global__ void __launch_bounds__(256) bi_norm_##TAG(const __grid_constant__ bi::NormParams p) { \
    bi::norm_rows<T>(p);                                                                        \
  }

BI_NORM(f32, float)
BI_NORM(f16, __half)
BI_NORM(bf16, __nv_bfloat16)
BI_NORM(f64, double)
