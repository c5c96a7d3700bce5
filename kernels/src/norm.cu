// Batch-invariant attention engine for DJL: layer normalisation and RMS normalisation of rows, and
// batch normalisation with running statistics.
//
// Rows of float32, float16 and bfloat16 up to 32768 elements are read once, held in registers
// (bi_norm_rows_*: one variant per row-length class, see rows.cuh); longer rows and float64 take
// the multi-pass kernel bi_norm_*: one row per warp when n <= NORM_WARP_MAX, else one row per
// 256-thread block, thread t accumulating elements t, t + G, ... in order. Either way the variant
// is chosen from n alone and the partials meet in a fixed shuffle tree, so a row's bits do not
// depend on how many rows share the launch. Statistics are two-pass (mean, then the mean of
// squared deviations), in float (double for float64).
#include "bi/reduce_params.cuh"
#include "bi/accum.cuh"
#include "bi/rows.cuh"
#include "bi/values.cuh"

namespace bi {

// a + b as the element-wise add stores it in T (values.cuh's rounding, NaN quieted alike), so a
// fused residual add gives the bits of the add kernel's output.
template <typename T> __device__ __forceinline__ T add_as(float a, float b);
template <> __device__ __forceinline__ float add_as<float>(float a, float b) { return __fadd_rn(a, b); }
template <> __device__ __forceinline__ __half add_as<__half>(float a, float b) {
  return __ushort_as_half(float_to_half_bits(__fadd_rn(a, b)));
}
template <> __device__ __forceinline__ __nv_bfloat16 add_as<__nv_bfloat16>(float a, float b) {
  return __ushort_as_bfloat16(float_to_bf16_bits(__fadd_rn(a, b)));
}

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
      if (p.round_first) v = round_as<T>(v);
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

// One row per group of G threads (rows.cuh): RMS norm x * (1 / sqrt(mean(x^2) + eps)) (the CPU
// backend divides by the root instead: backends differ in bits by contract), layer norm (x - mean) * (1 / sqrt(mean((x - mean)^2) + eps)), then times
// gamma, plus beta. Each rounding step is written out (_rn) so that no path of the compiler's can
// fuse two of them differently. Register path: the row read once with 16-byte loads. Its sums run
// over every held element, those past the end (zeros, or made zero) adding exactly nothing (a sum
// is never -0), so they equal the streaming path's sums over the row's elements only.
template <typename T, int G, int V, bool RMS>
__device__ __forceinline__ void norm_row_regs(const NormParams& p, const T* x, T* y, const T* res, T* sum, int t,
                                              Scratch& scratch) {
  constexpr int W = Chunk<T>::W;
  const int n = p.n;
  const float fn = static_cast<float>(n);
  const T* g = static_cast<const T*>(p.gamma);
  const T* b = static_cast<const T*>(p.beta);
  // Blocks of up to 8 KB of gamma (and as much beta: rows of 64 and 128 threads): the thread's
  // chunks of them are asked for with its row, into its own shared-memory slots, so the output
  // pass finds them there instead of waiting on L2 after the reductions (holding them in registers
  // spills; larger blocks would give up blocks an SM). The copies keep them in L1 on the way: every
  // row's block asks for the same gamma and beta, which as L2 reads were as many bytes as the rows
  // (bfloat16 layer norm of 4,096 rows: 27.1 -> 26.3 us). Same values, same bits.
  constexpr bool STAGE = V * row_block<G>() * 16 <= 8192;
  constexpr int SLOTS = STAGE ? V * row_block<G>() : 1;
  __shared__ Chunk<T> g_staged[SLOTS];
  __shared__ Chunk<T> b_staged[STAGE && !RMS ? SLOTS : 1];
  if constexpr (STAGE) {
#pragma unroll
    for (int k = 0; k < V; k++) {
      const int e0 = slot_start<T, G>(k, t);
      if (g) cp_async16<true>(&g_staged[k * row_block<G>() + threadIdx.x], g + (e0 < n ? e0 : 0), e0 < n);
      if (!RMS && b) cp_async16<true>(&b_staged[k * row_block<G>() + threadIdx.x], b + (e0 < n ? e0 : 0), e0 < n);
    }
    cp_async_commit();
  }
  Chunk<T> c[V];
  row_load<T, G, V>(x, n, t, c);
  if (res != nullptr) {
    // the row normalised is x + res, stored first (zeros past the end stay zeros)
#pragma unroll
    for (int k = 0; k < V; k++) {
      const int e0 = slot_start<T, G>(k, t);
      const Chunk<T> r = chunk_load(res, e0, n);
#pragma unroll
      for (int w = 0; w < W; w++) c[k].e[w] = add_as<T>(at(c[k], w), at(r, w));
      if (e0 < n) *reinterpret_cast<Chunk<T>*>(sum + e0) = c[k];
    }
  }
  float shift = 0.0f;
  float scale;
  if constexpr (RMS) {
    float sq = 0.0f;
#pragma unroll
    for (int k = 0; k < V; k++) {
#pragma unroll
      for (int w = 0; w < W; w++) {
        // a chunk past the end holds zeros: fma(0, 0, sq) == sq, sq never being -0
        sq = __fmaf_rn(at(c[k], w), at(c[k], w), sq);
      }
    }
    sq = group_reduce<G>(sq, scratch.take(), SumOp());
    scale = __frcp_rn(__fsqrt_rn(__fadd_rn(__fdiv_rn(sq, fn), p.eps)));
  } else {
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < V; k++) {
#pragma unroll
      for (int w = 0; w < W; w++) {
        sum = __fadd_rn(sum, at(c[k], w));  // zeros past the end add nothing (sum is never -0)
      }
    }
    shift = __fdiv_rn(group_reduce<G>(sum, scratch.take(), SumOp()), fn);
    float sq = 0.0f;
#pragma unroll
    for (int k = 0; k < V; k++) {
#pragma unroll
      for (int w = 0; w < W; w++) {
        const float d = slot_start<T, G>(k, t) < n ? __fsub_rn(at(c[k], w), shift) : 0.0f;
        sq = __fmaf_rn(d, d, sq);
      }
    }
    sq = group_reduce<G>(sq, scratch.take(), SumOp());
    scale = __frcp_rn(__fsqrt_rn(__fadd_rn(__fdiv_rn(sq, fn), p.eps)));
  }
  if constexpr (STAGE) cp_async_wait<0>();  // the thread's own copies: no barrier
#pragma unroll
  for (int k = 0; k < V; k++) {
    const int e0 = slot_start<T, G>(k, t);
    const int slot = k * row_block<G>() + threadIdx.x;
    const Chunk<T> gc = !g ? Chunk<T>{} : STAGE ? g_staged[slot] : chunk_load(g, e0, n);
    const Chunk<T> bc = RMS || !b ? Chunk<T>{} : STAGE ? b_staged[slot] : chunk_load(b, e0, n);
    float o[W];
#pragma unroll
    for (int w = 0; w < W; w++) {
      float r = RMS ? __fmul_rn(at(c[k], w), scale) : __fmul_rn(__fsub_rn(at(c[k], w), shift), scale);
      if (p.round_first) r = round_as<T>(r);
      if (g) r = __fmul_rn(r, at(gc, w));
      if (!RMS && b) r = __fadd_rn(r, at(bc, w));
      o[w] = r;
    }
    chunk_store(y, e0, n, o);
  }
}

// Streaming path (n not a multiple of W, or a pointer not 16-byte aligned): the same owners,
// order and formulas over memory, element by element.
template <typename T, int G, int V, bool RMS>
__device__ __forceinline__ void norm_row_stream(const NormParams& p, const T* x, T* y, const T* res, T* sum, int t,
                                                Scratch& scratch) {
  const int n = p.n;
  const float fn = static_cast<float>(n);
  // element e of the row normalised: x, or x + res (computed again in each pass, stored in the first)
  auto in = [&](int e) {
    if (res == nullptr) return load_acc(x, e);
    const T v = add_as<T>(load_acc(x, e), load_acc(res, e));
    return load_acc(&v, 0);
  };
  if (res != nullptr) for_owned<T, G, V>(n, t, [&](int e) { sum[e] = add_as<T>(load_acc(x, e), load_acc(res, e)); });
  float shift = 0.0f;
  float scale;
  if constexpr (RMS) {
    float sq = 0.0f;
    for_owned<T, G, V>(n, t, [&](int e) { sq = __fmaf_rn(in(e), in(e), sq); });
    sq = group_reduce<G>(sq, scratch.take(), SumOp());
    scale = __frcp_rn(__fsqrt_rn(__fadd_rn(__fdiv_rn(sq, fn), p.eps)));
  } else {
    float total = 0.0f;
    for_owned<T, G, V>(n, t, [&](int e) { total = __fadd_rn(total, in(e)); });
    shift = __fdiv_rn(group_reduce<G>(total, scratch.take(), SumOp()), fn);
    float sq = 0.0f;
    for_owned<T, G, V>(n, t, [&](int e) {
      const float d = __fsub_rn(in(e), shift);
      sq = __fmaf_rn(d, d, sq);
    });
    sq = group_reduce<G>(sq, scratch.take(), SumOp());
    scale = __frcp_rn(__fsqrt_rn(__fadd_rn(__fdiv_rn(sq, fn), p.eps)));
  }
  const T* g = static_cast<const T*>(p.gamma);
  const T* b = static_cast<const T*>(p.beta);
  for_owned<T, G, V>(n, t, [&](int e) {
    float r = RMS ? __fmul_rn(in(e), scale) : __fmul_rn(__fsub_rn(in(e), shift), scale);
    if (p.round_first) r = round_as<T>(r);
    if (g) r = __fmul_rn(r, load_acc(g, e));
    if (!RMS && b) r = __fadd_rn(r, load_acc(b, e));
    store_acc(y, e, r);
  });
}

template <typename T, int G, int V, bool RMS> __device__ void norm_rows_regs(const NormParams& p) {
  __shared__ float red[2][32];
  const long long row = this_row<G>();
  if (row >= p.rows) return;
  Scratch scratch{red, 0};
  const int n = p.n;
  const int t = threadIdx.x % G;
  const T* x = static_cast<const T*>(p.x) + row * n;
  T* y = static_cast<T*>(p.y) + row * n;
  const T* res = p.residual == nullptr ? nullptr : static_cast<const T*>(p.residual) + row * n;
  T* sum = p.sum_out == nullptr ? nullptr : static_cast<T*>(p.sum_out) + row * n;
  if (n % Chunk<T>::W == 0 && aligned16(p.x) && aligned16(p.y) && aligned16(p.gamma) && aligned16(p.beta) &&
      aligned16(p.residual) && aligned16(p.sum_out)) {
    norm_row_regs<T, G, V, RMS>(p, x, y, res, sum, t, scratch);
  } else {
    norm_row_stream<T, G, V, RMS>(p, x, y, res, sum, t, scratch);
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

// The register-row variants: BI_NORM_ROWS(tag, type, longest row, G, V), one RMS-norm and one
// layer-norm kernel each; RowVariants.java picks one from the row length and dtype alone and a
// test checks that the two lists agree. 64 registers at most: a 1024-thread block fits, and
// smaller blocks run at least 1024 threads an SM.
#define BI_NORM_ROWS(TAG, T, NMAX, G, V)                                                        \
  static_assert((G) * (V) * (16 / sizeof(T)) == (NMAX), "variant size");                       \
  extern "C" __global__ void __maxnreg__(64) bi_rms_norm_rows_##TAG##_##NMAX(const __grid_constant__ bi::NormParams p) { \
    bi::norm_rows_regs<T, G, V, true>(p);                                                       \
  }                                                                                             \
  extern "C" __global__ void __maxnreg__(64) bi_layer_norm_rows_##TAG##_##NMAX(const __grid_constant__ bi::NormParams p) { \
    bi::norm_rows_regs<T, G, V, false>(p);                                                      \
  }

BI_NORM_ROWS(f32, float, 512, 32, 4)
BI_NORM_ROWS(f32, float, 1024, 64, 4)
BI_NORM_ROWS(f32, float, 2048, 128, 4)
BI_NORM_ROWS(f32, float, 4096, 256, 4)
BI_NORM_ROWS(f32, float, 8192, 512, 4)
BI_NORM_ROWS(f32, float, 16384, 1024, 4)
BI_NORM_ROWS(f32, float, 32768, 1024, 8)
BI_NORM_ROWS(f16, __half, 1024, 32, 4)
BI_NORM_ROWS(f16, __half, 2048, 64, 4)
BI_NORM_ROWS(f16, __half, 4096, 128, 4)
BI_NORM_ROWS(f16, __half, 8192, 256, 4)
BI_NORM_ROWS(f16, __half, 16384, 512, 4)
BI_NORM_ROWS(f16, __half, 32768, 1024, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 1024, 32, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 2048, 64, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 4096, 128, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 8192, 256, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 16384, 512, 4)
BI_NORM_ROWS(bf16, __nv_bfloat16, 32768, 1024, 4)
