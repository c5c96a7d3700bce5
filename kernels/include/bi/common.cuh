// Batch-invariant attention engine for DJL: device code shared by the kernel families.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

namespace bi {

// KV positions per tile. Tiles start at multiples of this absolute position in every backend; the
// online softmax rescales once per tile.
constexpr int KV_TILE = 64;
// Packed query rows (token x GQA head) per thread block: one 16-row MMA slab per warp.
constexpr int Q_TILE = 64;
constexpr int WARPS = 4;
constexpr int THREADS = WARPS * 32;

// 1 / x rounded to nearest, the bits of __fdiv_rn(1.f, x) for x in [2^-1, 2^32] and NaN: the
// division's own fast path (a reciprocal estimate, one Newton step, one correction), without its
// range check and the call to the slow path behind it. Callers keep x in that range: a fold's
// weight sum in [1, 2], a chunk's probability sum in [1 - 2^-23, 2^31] (its largest probability is
// 2^0 within rounding, each at most that), a sigmoid's 1 + e^-x up to 2^32 (ew_ops.cuh).
// tools/rcp_check.cu compares it with the division for every float.
__device__ __forceinline__ float rcp_rn(float x) {
  float y;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  y = __fmaf_rn(y, __fmaf_rn(-x, y, 1.f), y);
  return __fmaf_rn(y, __fmaf_rn(-x, y, 1.f), y);
}

constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

template <typename T> struct Pack2;
template <> struct Pack2<__nv_bfloat16> {
  __device__ static uint32_t from(float a, float b) {
    __nv_bfloat162 v = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  __device__ static float2 to(uint32_t u) {
    __nv_bfloat162 v = *reinterpret_cast<__nv_bfloat162*>(&u);
    return __bfloat1622float2(v);
  }
};
template <> struct Pack2<__half> {
  __device__ static uint32_t from(float a, float b) {
    __half2 v = __floats2half2_rn(a, b);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  __device__ static float2 to(uint32_t u) {
    __half2 v = *reinterpret_cast<__half2*>(&u);
    return __half22float2(v);
  }
};

template <typename T> __device__ __forceinline__ float to_float(T x);
template <> __device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <> __device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
template <> __device__ __forceinline__ __half from_float(float x) { return __float2half_rn(x); }

// Rotate-half RoPE of one pair (x, y) = (v[i], v[i + D/2]) by an angle of cosine c and sine s:
// (x c - y s, y c + x s), each product and sum rounded on its own (no contraction) and the results
// rounded to T. Attention (q, and k when the cache holds unrotated keys) and the KV append (keys
// stored rotated) share it, so a key rotated in either place has the same bits.
template <typename T> __device__ __forceinline__ void rope_pair(T& x, T& y, float c, float s) {
  const float a = to_float(x), b = to_float(y);
  x = from_float<T>(__fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s)));
  y = from_float<T>(__fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s)));
}

// D(16x8, f32) += A(16x16) * B(16x8), fp32 accumulate.
template <typename T> __device__ __forceinline__ void mma16816(float* d, const uint32_t* a, const uint32_t* b);
template <> __device__ __forceinline__ void mma16816<__nv_bfloat16>(float* d, const uint32_t* a, const uint32_t* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <> __device__ __forceinline__ void mma16816<__half>(float* d, const uint32_t* a, const uint32_t* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t* r, const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t* r, const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// 16-byte global->shared copy to a shared address, of `bytes` valid bytes (0 to 16) and zeros
// after them: the one cp.async every kernel's copies go through. L1 (.ca instead of .cg) keeps the
// line in L1 on the way, for small operands every block of an SM asks for again (a norm's gamma
// and beta), which then come from L1 instead of L2.
template <bool L1 = false> __device__ __forceinline__ void cp_async16_to(uint32_t dst, const void* src, int bytes) {
  if constexpr (L1) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
  } else {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
  }
}
// The same to a shared pointer; valid = false writes zeros (rows past the end of a request's KV).
template <bool L1 = false> __device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  int n = valid ? 16 : 0;
  cp_async16_to<L1>(smem_addr(dst), src, n);
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Programmatic dependent launch (compute capability 9.0; nothing on older devices, where the engine
// never launches a kernel that way). A kernel launched with it may start while the kernel ahead of
// it in the stream still runs: before dependent_wait it may read only what host copies wrote (the
// plan's tables), never an earlier kernel's output, and it writes nothing. Every block of such a
// kernel reaches dependent_wait before it exits, so that the grid's completion still implies its
// predecessor's and a kernel after it, launched either way, sees everything before it.
__device__ __forceinline__ void dependent_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
// Lets the next kernel of the stream, if launched as a dependent, be scheduled now (it still waits
// in dependent_wait for this grid's completion and memory).
__device__ __forceinline__ void dependents_may_start() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

}  // namespace bi
