#!/usr/bin/env python3
"""Writes kernels/include/bi/wgmma.cuh: one specialisation per (element type, N) of the warpgroup
MMA, because every accumulator register must be named in the instruction's text.

    python3 tools/gen_wgmma.py > kernels/include/bi/wgmma.cuh
"""

SS_WIDTHS = (8, 16, 32, 64, 128, 256)  # Wgmma: both operands in shared memory
RS_WIDTHS = (64,)                       # WgmmaRs: A in registers, B MN-major
TYPES = (("__nv_bfloat16", "bf16"), ("__half", "f16"))

HEAD = """\
// Batch-invariant attention engine for DJL: the warpgroup MMA instructions (sm_90a) of the Hopper
// kernel families, m64nNk16 with fp32 accumulation: Wgmma with both operands in shared memory
// (K-major), WgmmaRs with A in registers and B transposed (MN-major, attention's P·V). One
// specialisation per (element type, N), written by tools/gen_wgmma.py, one asm statement each,
// because every accumulator register must be named in the instruction. Below them, the fences, the
// wait and the shared-memory matrix descriptor that go with them.
#pragma once

#include "bi/common.cuh"

namespace bi {
"""

TAIL = """
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\\n" ::: "memory"); }
// The accumulators are written by the asynchronous unit: the compiler must not assume otherwise.
template <int R> __device__ __forceinline__ void wgmma_pin(float (&d)[R]) {
#pragma unroll
  for (int i = 0; i < R; i++) asm volatile("" : "+f"(d[i])::"memory");
}
template <int N, int R> __device__ __forceinline__ void wgmma_wait(float (&d)[R]) {
  asm volatile("wgmma.wait_group.sync.aligned %0;\\n" ::"n"(N) : "memory");
  wgmma_pin(d);
}
// A register A operand is read by the asynchronous unit until the wait: kept live (and unchanged)
// up to it, so that the compiler neither reuses nor rewrites its registers earlier.
template <int R> __device__ __forceinline__ void wgmma_pin(uint32_t (&a)[R]) {
#pragma unroll
  for (int i = 0; i < R; i++) asm volatile("" : "+r"(a[i])::"memory");
}
// Ordinary (generic-proxy) shared-memory writes made visible to the tensor cores' async proxy.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\\n" ::: "memory"); }

// Matrix descriptor of a tile of 128-byte rows in the 128-byte swizzle, 8-row groups 1024 bytes
// apart (stride byte offset). K-major (rows along m or n, k along the row): the leading offset is
// unused (left at 16 bytes). MN-major (rows along k, 64 m or n values along the row) with N = 64,
// one swizzle atom wide: the leading offset (between atoms along n) is unused too; attention passes
// 1024 for it so that either reading of the two offsets finds the next 8 rows.
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr, uint32_t leading_bytes = 16) {
  return (static_cast<uint64_t>((addr & 0x3FFFF) >> 4)) | (static_cast<uint64_t>(leading_bytes >> 4) << 16) |
         (static_cast<uint64_t>(1024 >> 4) << 32) | (1ull << 62);
}

}  // namespace bi
"""


def regs(r):
    return ",".join("%%%d" % i for i in range(r))


def outs(r):
    return ", ".join('"+f"(d[%d])' % i for i in range(r))


def ss(t, tag, n):
    r = n // 2
    return f"""template <> struct Wgmma<{t}, {n}> {{
  __device__ static __forceinline__ void run(float (&d)[{r}], uint64_t da, uint64_t db, int scale_d) {{
    asm volatile(
        "{{\\n.reg .pred p;\\nsetp.ne.b32 p, %{r + 2}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k16.f32.{tag}.{tag} {{{regs(r)}}}, %{r}, %{r + 1}, p, 1, 1, 0, 0;\\n}}\\n"
        : {outs(r)}
        : "l"(da), "l"(db), "r"(scale_d));
  }}
}};
"""


def rs(t, tag, n):
    r = n // 2
    return f"""template <> struct WgmmaRs<{t}, {n}> {{
  __device__ static __forceinline__ void run(float (&d)[{r}], const uint32_t (&a)[4], uint64_t db) {{
    asm volatile(
        "{{\\n.reg .pred p;\\nsetp.ne.b32 p, 1, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{n}k16.f32.{tag}.{tag} {{{regs(r)}}}, {{%{r},%{r + 1},%{r + 2},%{r + 3}}}, %{r + 4}, p, 1, 1, 1;\\n}}\\n"
        : {outs(r)}
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
  }}
}};
"""


def main():
    out = [HEAD, "\ntemplate <typename T, int N> struct Wgmma;\n\n"]
    out += [ss(t, tag, n) for n in SS_WIDTHS for t, tag in TYPES]
    out.append("\ntemplate <typename T, int N> struct WgmmaRs;\n")
    out += [rs(t, tag, n) for n in RS_WIDTHS for t, tag in TYPES]
    out.append(TAIL)
    print("".join(out), end="")


if __name__ == "__main__":
    main()
