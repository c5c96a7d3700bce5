// Batch-invariant attention engine for DJL: the single-pass row kernels' common parts (softmax in
// reduce.cu, layer and RMS norm in norm.cu) for float32, float16 and bfloat16 rows.
//
// A row of n <= G * V * W elements is cut into 16-byte chunks of W = 16 / sizeof(T) elements;
// thread t of the row's group of G threads owns chunks t, t + G, ..., t + (V - 1) * G (its slots
// 0 .. V - 1), so each of its V loads is one coalesced sweep of the group. A thread combines the
// elements it owns in slot order, element order within a slot; the G partials meet in a fixed tree
// (shuffles within each warp, then the warps' partials in a second shuffle tree). The owner of an
// element and the order of every sum are fixed by the variant (G, V), which the host picks from n
// and the dtype alone: a row has the same bits alone and in a batch.
//
// When n is a multiple of W and every pointer is 16-byte aligned (always, for the engine's
// allocations), a row is read once with 16-byte loads and held in registers. Otherwise the same
// loops run over memory, element by element, a pass per statistic: the same owners, order and
// formulas, so the same bits, only slower.
#pragma once

#include "bi/accum.cuh"

namespace bi {

constexpr unsigned FULL_MASK = 0xffffffffu;

// Threads per block of a variant: eight one-warp rows per block for G = 32, else one row per block.
template <int G> __host__ __device__ constexpr int row_block() { return G == 32 ? 256 : G; }

// 16 bytes of a row, kept raw: 4 registers a chunk whatever the type, converted to float where
// used, which keeps a 16-bit row in half the registers it would take as floats.
template <typename T> struct alignas(16) Chunk {
  static constexpr int W = 16 / sizeof(T);
  T e[W];
};

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// The first element of thread t's slot k in a G-thread group.
template <typename T, int G> __device__ __forceinline__ int slot_start(int k, int t) {
  return (k * G + t) * Chunk<T>::W;
}

// The chunk at element e0 (n a multiple of W: a chunk is wholly inside the row or past its end),
// zero bits past the end.
template <typename T> __device__ __forceinline__ Chunk<T> chunk_load(const T* p, int e0, int n) {
  Chunk<T> c{};
  if (e0 < n) c = *reinterpret_cast<const Chunk<T>*>(p + e0);
  return c;
}

// Element w of a chunk as a float (load_acc's conversion).
template <typename T> __device__ __forceinline__ float at(const Chunk<T>& c, int w) { return load_acc(c.e, w); }

// Stores W floats as the chunk at element e0 (store_acc's rounding) if it is inside the row.
template <typename T> __device__ __forceinline__ void chunk_store(T* p, int e0, int n, const float* v) {
  if (e0 < n) {
    Chunk<T> c;
#pragma unroll
    for (int w = 0; w < Chunk<T>::W; w++) store_acc(c.e, w, v[w]);
    *reinterpret_cast<Chunk<T>*>(p + e0) = c;
  }
}

// A thread's V slots of a row.
template <typename T, int G, int V> __device__ __forceinline__ void row_load(const T* x, int n, int t, Chunk<T>* c) {
#pragma unroll
  for (int k = 0; k < V; k++) c[k] = chunk_load(x, slot_start<T, G>(k, t), n);
}

struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return __fadd_rn(a, b); }
};
struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return jmax(a, b); }
};

// Combines the partials of a G-thread group in a fixed tree; every thread of the group gets the
// result. G > 32 (one group per block) meets in `smem`, 32 floats that no other reduction of the
// block may use until every thread has passed this call's barrier: the kernels alternate two such
// scratch areas from one reduction to the next.
template <int G, typename Op> __device__ __forceinline__ float group_reduce(float v, float* smem, Op op) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = op(v, __shfl_down_sync(FULL_MASK, v, d));
  if constexpr (G == 32) {
    return __shfl_sync(FULL_MASK, v, 0);
  } else {
    constexpr int NW = G / 32;
    const int lane = threadIdx.x & 31;
    if (lane == 0) smem[threadIdx.x >> 5] = v;
    __syncthreads();
    // each warp combines the NW partials alike (lanes >= NW only pad the shuffles)
    float w = smem[lane < NW ? lane : 0];
#pragma unroll
    for (int d = NW / 2; d > 0; d >>= 1) w = op(w, __shfl_down_sync(FULL_MASK, w, d));
    return __shfl_sync(FULL_MASK, w, 0);
  }
}

// Hands out a block's two 32-float scratch areas (shared memory) alternately, one per group
// reduction of a row.
struct Scratch {
  float (*red)[32];
  int next;
  __device__ __forceinline__ float* take() {
    float* s = red[next];
    next ^= 1;
    return s;
  }
};

// The row of this thread's group: one row per block, or per warp (eight to a block) for G = 32.
// The launch has a group for every row; a warp or block past the last row returns at once (for
// G = 32 no block barrier is used, so warps may leave alone).
template <int G> __device__ __forceinline__ long long this_row() {
  return static_cast<long long>(blockIdx.x) * (row_block<G>() / G) + threadIdx.x / G;
}

// The streaming path's loop over a thread's elements, in the register path's order: slot k, then
// element w of the slot, those before n only. Not unrolled: it holds no row.
template <typename T, int G, int V, typename F> __device__ __forceinline__ void for_owned(int n, int t, F f) {
  constexpr int W = Chunk<T>::W;
#pragma unroll 1
  for (int k = 0; k < V; k++) {
    const int e0 = slot_start<T, G>(k, t);
#pragma unroll 1
    for (int w = 0; w < W && e0 + w < n; w++) f(e0 + w);
  }
}

}  // namespace bi
