// Batch-invariant attention engine for DJL: reductions (sum, mean, max, min, prod), arg-extremes
// and softmax over one axis group, the input viewed as [outer][n][inner].
//
// Row kernels (the reduced axes are the array's last ones, inner == 1): an output's n elements
// are reduced by a fixed group of threads, one warp when n <= ROW_WARP_MAX, a block of 256 up to
// ROW_BLOCK_MAX and a block of 1024 beyond; thread t accumulates elements t, t + G, t + 2G, ... in
// order and the G partials meet in a fixed shuffle tree. Both choices depend on n alone, so an output's bits do not depend on
// how many outputs share the launch. Column kernels (inner > 1): one thread per output walks its n
// elements in index order, the CPU backend's order. Softmax rows of float32, float16 and bfloat16
// up to 32768 elements are read once and held in registers (bi_softmax_rows_*, rows.cuh): one
// variant per row-length class, picked by the host from n and the dtype alone.
#include "bi/reduce_params.cuh"
#include "bi/accum.cuh"
#include "bi/rows.cuh"

namespace bi {

constexpr int RED_THREADS = 256;
constexpr int ROW_WARP_MAX = 1024;
// Rows longer than ROW_BLOCK_MAX = 8192 (the host's Abi.REDUCE_ROW_BLOCK_MAX, which picks the
// kernel) are reduced by a block of LONG_THREADS (bi_reduce_long_rows_*).
constexpr int LONG_THREADS = 1024;

template <typename A> struct Pair { A v; long long i; };

__device__ __forceinline__ float ex(float v) { return expf(v); }
// out of line: inlined into both softmax loops it pushes the float64 row kernel into spills
__device__ __noinline__ double ex(double v) { return exp(v); }
__device__ __forceinline__ float ln(float v) { return logf(v); }
__device__ __forceinline__ double ln(double v) { return log(v); }

template <typename A> __device__ __forceinline__ A identity(int kind) {
  switch (kind) {
    case RED_MAX: return Acc<A>::floating ? static_cast<A>(-INFINITY) : static_cast<A>(-9223372036854775807LL - 1);
    case RED_MIN: return Acc<A>::floating ? static_cast<A>(INFINITY) : static_cast<A>(9223372036854775807LL);
    case RED_PROD: return static_cast<A>(1);
    default: return static_cast<A>(0);
  }
}

template <typename A> __device__ __forceinline__ A combine(int kind, A a, A b) {
  switch (kind) {
    case RED_MAX: return jmax(a, b);
    case RED_MIN: return jmin(a, b);
    case RED_PROD: return a * b;
    default: return a + b;
  }
}

// Arg-extremes follow the CPU's scan: the first index of the largest (smallest) non-NaN value,
// compared as double; index 0 wins when it holds NaN. i < 0 marks "no candidate yet".
__device__ __forceinline__ Pair<double> better(bool max, Pair<double> a, Pair<double> b) {
  if (b.i < 0) return a;
  if (a.i < 0) return b;
  if (max ? a.v > b.v : a.v < b.v) return a;
  if (max ? b.v > a.v : b.v < a.v) return b;
  return a.i < b.i ? a : b;
}

template <typename A> __device__ __forceinline__ A shfl_down(A v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }

// Reduces the partials of a group of G threads (G = 32: this warp; G = RED_THREADS: the block)
// in a fixed tree; every thread of the group gets the result.
template <int G, typename A> __device__ A group_reduce(int kind, A v, A* smem) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = combine(kind, v, shfl_down(v, d));
  if (G == 32) return __shfl_sync(0xffffffffu, v, 0);
  const int warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    A w = lane < G / 32 ? smem[lane] : identity<A>(kind);
#pragma unroll
    for (int d = G / 64; d > 0; d >>= 1) w = combine(kind, w, shfl_down(w, d));
    if (lane == 0) smem[G / 32] = w;
  }
  __syncthreads();
  return smem[G / 32];
}

template <int G> __device__ Pair<double> group_best(bool max, Pair<double> p, Pair<double>* smem) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) {
    Pair<double> o{shfl_down(p.v, d), shfl_down(p.i, d)};
    p = better(max, p, o);
  }
  if (G == 32) return Pair<double>{__shfl_sync(0xffffffffu, p.v, 0), __shfl_sync(0xffffffffu, p.i, 0)};
  const int warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) smem[warp] = p;
  __syncthreads();
  if (warp == 0) {
    Pair<double> w = lane < G / 32 ? smem[lane] : Pair<double>{0.0, -1};
#pragma unroll
    for (int d = G / 64; d > 0; d >>= 1) {
      Pair<double> o{shfl_down(w.v, d), shfl_down(w.i, d)};
      w = better(max, w, o);
    }
    if (lane == 0) smem[G / 32] = w;
  }
  __syncthreads();
  return smem[G / 32];
}

// Stores a value reduction: integer sums and products widen to int64 (as the CPU backend does);
// everything else keeps the input type.
template <typename T> __device__ __forceinline__ void store_value(void* out, long long o, int kind,
                                                                 typename Acc<T>::type v) {
  if (!Acc<T>::floating && (kind == RED_SUM || kind == RED_PROD)) {
    static_cast<long long*>(out)[o] = static_cast<long long>(v);
  } else {
    store_acc(static_cast<T*>(out), o, v);
  }
}

// Visits j = t, t + G, t + 2G, ... < n in that order, calling f(j, x[j]); the values are loaded
// U at a time before any is used, so that a thread keeps U loads in flight (a long row is read by
// few blocks, and one load at a time leaves them waiting on memory latency). What f accumulates,
// and in which order, is the plain loop's.
template <int G, int U, typename T, typename F>
__device__ __forceinline__ void for_strided(const T* x, long long n, int t, F f) {
  using A = typename Acc<T>::type;
  for (long long j0 = t; j0 < n; j0 += static_cast<long long>(U) * G) {
    A v[U];
#pragma unroll
    for (int u = 0; u < U; u++) {
      const long long j = j0 + static_cast<long long>(u) * G;
      v[u] = j < n ? load_acc(x, j) : static_cast<A>(0);
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      const long long j = j0 + static_cast<long long>(u) * G;
      if (j < n) f(j, v[u]);
    }
  }
}

// One output of a row reduction by a group of G threads, t = this thread's rank in the group.
template <typename T, int G> __device__ void row_one(const ReduceParams& p, long long row, int t, void* smem) {
  using A = typename Acc<T>::type;
  // loads in flight per thread; fewer for the 64-bit integer accumulators (registers)
  constexpr int U = Acc<T>::floating ? 8 : 4;
  const T* x = static_cast<const T*>(p.in) + row * p.n;
  const int kind = p.kind;
  if (kind == RED_ARGMAX || kind == RED_ARGMIN) {
    const bool max = kind == RED_ARGMAX;
    Pair<double> best{0.0, -1};
    for_strided<G, U>(x, p.n, t, [&](long long j, A a) {
      double v = static_cast<double>(a);
      if (!is_nan(v)) best = better(max, best, Pair<double>{v, j});
    });
    best = group_best<G>(max, best, static_cast<Pair<double>*>(smem));
    if (t == 0) {
      bool first_nan = is_nan(static_cast<double>(load_acc(x, 0)));
      static_cast<long long*>(p.out)[row] = first_nan || best.i < 0 ? 0 : best.i;
    }
    return;
  }
  if constexpr (Acc<T>::floating) {
  if (kind == RED_SOFTMAX || kind == RED_LOG_SOFTMAX) {
    T* y = static_cast<T*>(p.out) + row * p.n;
    A mx = identity<A>(RED_MAX);
    for_strided<G, U>(x, p.n, t, [&](long long, A v) { mx = jmax(mx, v); });
    mx = group_reduce<G>(RED_MAX, mx, static_cast<A*>(smem));
    A sum = 0;
    for_strided<G, U>(x, p.n, t, [&](long long, A v) { sum += ex(v - mx); });
    sum = group_reduce<G>(RED_SUM, sum, static_cast<A*>(smem));
    if (kind == RED_LOG_SOFTMAX) {
      A lse = mx + ln(sum);
      for_strided<G, U>(x, p.n, t, [&](long long j, A v) { store_acc(y, j, v - lse); });
    } else {
      A inv = static_cast<A>(1) / sum;
      for_strided<G, U>(x, p.n, t, [&](long long j, A v) { store_acc(y, j, ex(v - mx) * inv); });
    }
    return;
  }
  }
  A acc = identity<A>(kind);
  for_strided<G, U>(x, p.n, t, [&](long long, A v) { acc = combine(kind, acc, v); });
  acc = group_reduce<G>(kind, acc, static_cast<A*>(smem));
  if (t == 0) {
    if (kind == RED_MEAN) acc = acc / static_cast<A>(p.n);
    store_value<T>(p.out, row, kind, acc);
  }
}

template <typename T> __device__ void reduce_rows(const ReduceParams& p) {
  __shared__ Pair<double> smem[RED_THREADS / 32 + 1][RED_THREADS / 32 + 1];
  if (p.n <= ROW_WARP_MAX) {
    const int warp = threadIdx.x >> 5;
    const long long row = static_cast<long long>(blockIdx.x) * (RED_THREADS / 32) + warp;
    if (row < p.outer) row_one<T, 32>(p, row, threadIdx.x & 31, smem[warp]);
  } else {
    row_one<T, RED_THREADS>(p, blockIdx.x, threadIdx.x, smem[0]);
  }
}

// Rows longer than ROW_BLOCK_MAX (vocabulary-sized logits): one row per block of LONG_THREADS.
template <typename T> __device__ void reduce_long_rows(const ReduceParams& p) {
  __shared__ Pair<double> smem[LONG_THREADS / 32 + 1];
  row_one<T, LONG_THREADS>(p, blockIdx.x, threadIdx.x, smem);
}

// The largest of two values, NaN if either is: one instruction (two 16-bit lanes at once for
// the 16-bit types). Not Java's max: the sign of a zero maximum may differ and a NaN's payload is
// lost, neither of which moves a softmax output — x - (+0) and x - (-0) are equal but for x = ±0,
// whose exp is 1 either way; log-softmax adds the maximum to log(sum), so ±0 + v is v, and
// ±0 + (+0) is +0; a NaN anywhere makes every output the canonical NaN either way.
__device__ __forceinline__ float max_nan(float a, float b) {
  float r;
  asm("max.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
  return r;
}

// A chunk's maximum (every element inside the row), folded into m.
template <typename T> __device__ __forceinline__ float chunk_max(const Chunk<T>& c, float m) {
  if constexpr (sizeof(T) == 2) {
    using T2 = typename std::conditional<std::is_same<T, __half>::value, __half2, __nv_bfloat162>::type;
    const T2* p = reinterpret_cast<const T2*>(c.e);
    T2 v = p[0];
#pragma unroll
    for (int w = 1; w < Chunk<T>::W / 2; w++) v = __hmax2_nan(v, p[w]);
    return max_nan(m, max_nan(load_acc(&v.x, 0), load_acc(&v.y, 0)));
  } else {
#pragma unroll
    for (int w = 0; w < Chunk<T>::W; w++) m = max_nan(m, at(c, w));
    return m;
  }
}

// Softmax / log-softmax of one row per G-thread group (rows.cuh), the row kernel's formulas: the
// maximum, the sum of exp(x - max), then x - (max + log(sum)) or exp(x - max) * (1 / sum).
// Register path: the row read once with 16-byte loads. Softmax keeps the exponentials from the sum
// to the store (a chunk's raw values are dead once its exponentials exist, so the 32 a thread may
// hold fit the 64 registers); log-softmax needs the row itself at the end. Chunks past the end
// enter neither the maximum nor the sum, so both equal the streaming path's.
template <typename T, int G, int V, bool LOG>
__device__ __forceinline__ void softmax_row_regs(const T* x, T* y, int n, int t, Scratch& scratch) {
  constexpr int W = Chunk<T>::W;
  Chunk<T> c[V];
  row_load<T, G, V>(x, n, t, c);
  float mx = -INFINITY;
#pragma unroll
  for (int k = 0; k < V; k++) {
    if (slot_start<T, G>(k, t) < n) mx = chunk_max(c[k], mx);
  }
  mx = group_reduce<G>(mx, scratch.take(), MaxOp());
  constexpr bool KEEP = !LOG;
  float e[KEEP ? V * W : 1];
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < V; k++) {
    if (slot_start<T, G>(k, t) < n) {
#pragma unroll
      for (int w = 0; w < W; w++) {
        const float ex = expf(__fsub_rn(at(c[k], w), mx));
        if constexpr (KEEP) e[k * W + w] = ex;
        sum = __fadd_rn(sum, ex);
      }
    }
  }
  sum = group_reduce<G>(sum, scratch.take(), SumOp());
  const float lse = __fadd_rn(mx, logf(sum));
  const float inv = __frcp_rn(sum);
#pragma unroll
  for (int k = 0; k < V; k++) {
    float o[W];
#pragma unroll
    for (int w = 0; w < W; w++) {
      if constexpr (LOG) {
        o[w] = __fsub_rn(at(c[k], w), lse);
      } else {
        o[w] = __fmul_rn(e[k * W + w], inv);
      }
    }
    chunk_store(y, slot_start<T, G>(k, t), n, o);
  }
}

// Streaming path (n not a multiple of W, or a pointer not 16-byte aligned): the same owners,
// order and formulas over memory, element by element.
template <typename T, int G, int V, bool LOG>
__device__ __forceinline__ void softmax_row_stream(const T* x, T* y, int n, int t, Scratch& scratch) {
  float mx = -INFINITY;
  for_owned<T, G, V>(n, t, [&](int e) { mx = jmax(mx, load_acc(x, e)); });
  mx = group_reduce<G>(mx, scratch.take(), MaxOp());
  float sum = 0.0f;
  for_owned<T, G, V>(n, t, [&](int e) { sum = __fadd_rn(sum, expf(__fsub_rn(load_acc(x, e), mx))); });
  sum = group_reduce<G>(sum, scratch.take(), SumOp());
  const float lse = __fadd_rn(mx, logf(sum));
  const float inv = __frcp_rn(sum);
  for_owned<T, G, V>(n, t, [&](int e) {
    const float v = load_acc(x, e);
    store_acc(y, e, LOG ? __fsub_rn(v, lse) : __fmul_rn(expf(__fsub_rn(v, mx)), inv));
  });
}

template <typename T, int G, int V, bool LOG> __device__ void softmax_rows(const ReduceParams& p) {
  __shared__ float red[2][32];
  const long long row = this_row<G>();
  if (row >= p.outer) return;
  Scratch scratch{red, 0};
  const int n = static_cast<int>(p.n);
  const int t = threadIdx.x % G;
  const T* x = static_cast<const T*>(p.in) + row * n;
  T* y = static_cast<T*>(p.out) + row * n;
  if (n % Chunk<T>::W == 0 && aligned16(p.in) && aligned16(p.out)) {
    softmax_row_regs<T, G, V, LOG>(x, y, n, t, scratch);
  } else {
    softmax_row_stream<T, G, V, LOG>(x, y, n, t, scratch);
  }
}

// One thread per (outer, inner) output, its n elements in index order.
template <typename T> __device__ void reduce_columns(const ReduceParams& p) {
  using A = typename Acc<T>::type;
  const long long id = static_cast<long long>(blockIdx.x) * RED_THREADS + threadIdx.x;
  if (id >= p.outer * p.inner) return;
  const long long o = id / p.inner;
  const long long i = id % p.inner;
  const T* x = static_cast<const T*>(p.in) + o * p.n * p.inner + i;
  const long long s = p.inner;
  const int kind = p.kind;
  if (kind == RED_ARGMAX || kind == RED_ARGMIN) {
    const bool max = kind == RED_ARGMAX;
    double bv = static_cast<double>(load_acc(x, 0));
    long long bi = 0;
    for (long long j = 1; j < p.n; j++) {
      double v = static_cast<double>(load_acc(x, j * s));
      if (max ? v > bv : v < bv) { bv = v; bi = j; }
    }
    static_cast<long long*>(p.out)[id] = bi;
    return;
  }
  if constexpr (Acc<T>::floating) {
  if (kind == RED_SOFTMAX || kind == RED_LOG_SOFTMAX) {
    T* y = static_cast<T*>(p.out) + o * p.n * p.inner + i;
    A mx = identity<A>(RED_MAX);
    for (long long j = 0; j < p.n; j++) mx = jmax(mx, load_acc(x, j * s));
    A sum = 0;
    for (long long j = 0; j < p.n; j++) sum += ex(load_acc(x, j * s) - mx);
    if (kind == RED_LOG_SOFTMAX) {
      A lse = mx + ln(sum);
      for (long long j = 0; j < p.n; j++) store_acc(y, j * s, load_acc(x, j * s) - lse);
    } else {
      A inv = static_cast<A>(1) / sum;
      for (long long j = 0; j < p.n; j++) store_acc(y, j * s, ex(load_acc(x, j * s) - mx) * inv);
    }
    return;
  }
  }
  A acc = identity<A>(kind);
  for (long long j = 0; j < p.n; j++) acc = combine(kind, acc, load_acc(x, j * s));
  if (kind == RED_MEAN) acc = acc / static_cast<A>(p.n);
  store_value<T>(p.out, id, kind, acc);
}

}  // namespace bi

#define BI_REDUCE(TAG, T)                                                                       \
  extern "C" __global__ void __launch_bounds__(256) bi_reduce_rows_##TAG(const __grid_constant__ bi::ReduceParams p) { \
    bi::reduce_rows<T>(p);                                                                      \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(256) bi_reduce_cols_##TAG(const __grid_constant__ bi::ReduceParams p) { \
    bi::reduce_columns<T>(p);                                                                   \
  }                                                                                             \
  extern "C" __global__ void __launch_bounds__(bi::LONG_THREADS) bi_reduce_long_rows_##TAG(     \
      const __grid_constant__ bi::ReduceParams p) {                                             \
    bi::reduce_long_rows<T>(p);                                                                 \
  }

BI_REDUCE(f32, float)
BI_REDUCE(f16, __half)
BI_REDUCE(bf16, __nv_bfloat16)
BI_REDUCE(f64, double)
BI_REDUCE(i8, signed char)
BI_REDUCE(u8, unsigned char)
BI_REDUCE(i32, int)
BI_REDUCE(i64, long long)

// The register-row softmax variants: BI_SOFTMAX_ROWS(tag, type, longest row, G, V), the same
// list as norm.cu's; RowVariants.java picks one from the row length and dtype alone. 64 registers
// at most: a 1024-thread block fits, and smaller blocks run at least 1024 threads an SM.
#define BI_SOFTMAX_ROWS(TAG, T, NMAX, G, V)                                                     \
  static_assert((G) * (V) * (16 / sizeof(T)) == (NMAX), "variant size");                       \
  extern "C" __global__ void __maxnreg__(64) bi_softmax_rows_##TAG##_##NMAX(const __grid_constant__ bi::ReduceParams p) { \
    bi::softmax_rows<T, G, V, false>(p);                                                        \
  }                                                                                             \
  extern "C" __global__ void __maxnreg__(64) bi_log_softmax_rows_##TAG##_##NMAX(const __grid_constant__ bi::ReduceParams p) { \
    bi::softmax_rows<T, G, V, true>(p);                                                         \
  }

BI_SOFTMAX_ROWS(f32, float, 512, 32, 4)
BI_SOFTMAX_ROWS(f32, float, 1024, 64, 4)
BI_SOFTMAX_ROWS(f32, float, 2048, 128, 4)
BI_SOFTMAX_ROWS(f32, float, 4096, 256, 4)
BI_SOFTMAX_ROWS(f32, float, 8192, 512, 4)
BI_SOFTMAX_ROWS(f32, float, 16384, 1024, 4)
BI_SOFTMAX_ROWS(f32, float, 32768, 1024, 8)
BI_SOFTMAX_ROWS(f16, __half, 1024, 32, 4)
BI_SOFTMAX_ROWS(f16, __half, 2048, 64, 4)
BI_SOFTMAX_ROWS(f16, __half, 4096, 128, 4)
BI_SOFTMAX_ROWS(f16, __half, 8192, 256, 4)
BI_SOFTMAX_ROWS(f16, __half, 16384, 512, 4)
BI_SOFTMAX_ROWS(f16, __half, 32768, 1024, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 1024, 32, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 2048, 64, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 4096, 128, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 8192, 256, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 16384, 512, 4)
BI_SOFTMAX_ROWS(bf16, __nv_bfloat16, 32768, 1024, 4)
