// Checks bi::rcp_rn (common.cuh) against the IEEE division __fdiv_rn(1.f, x) for every
// float bit pattern, bit for bit. The attention kernels rely on it only for x in [2^-1, 2^32] and
// NaN (chunk probability sums and fold weight sums): there it must never differ. Elsewhere the
// differences are counted and printed for the record (denormal and huge x take the division's slow
// path, which rcp_rn leaves out).
//
//   nvcc -O3 -std=c++17 -Ikernels/include -arch=sm_90 -o /tmp/rcp_check tools/rcp_check.cu && /tmp/rcp_check
#include <cstdio>
#include <cstdint>

#include "bi/common.cuh"

// counts: [0] in the used range, [1] NaN, [2] elsewhere; first mismatch of each
__global__ void check(unsigned long long* counts, unsigned int* first) {
  const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < (1ull << 32); i += stride) {
    const unsigned int bits = (unsigned int)i;
    const float x = __uint_as_float(bits);
    const float a = bi::rcp_rn(x);
    const float b = __fdiv_rn(1.f, x);
    if (__float_as_uint(a) == __float_as_uint(b)) continue;
    const int cls = x != x ? 1 : (x >= 0.5f && x <= 4294967296.f) ? 0 : 2;
    if (atomicAdd(&counts[cls], 1ull) == 0) first[cls] = bits;
  }
}

int main() {
  unsigned long long* counts;
  unsigned int* first;
  if (cudaMallocManaged(&counts, 3 * sizeof(unsigned long long)) != cudaSuccess ||
      cudaMallocManaged(&first, 3 * sizeof(unsigned int)) != cudaSuccess) {
    std::printf("allocation failed\n");
    return 2;
  }
  for (int c = 0; c < 3; c++) counts[c] = 0, first[c] = 0;
  check<<<4096, 256>>>(counts, first);
  cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    std::printf("kernel failed: %s\n", cudaGetErrorString(e));
    return 2;
  }
  const char* names[3] = {"x in [2^-1, 2^32]", "NaN", "elsewhere"};
  for (int c = 0; c < 3; c++) {
    std::printf("%-18s %llu mismatches", names[c], counts[c]);
    if (counts[c]) std::printf(" (first 0x%08x)", first[c]);
    std::printf("\n");
  }
  const bool ok = counts[0] == 0 && counts[1] == 0;
  std::printf("%s\n", ok ? "rcp_rn equals __fdiv_rn(1, x) wherever the kernels use it" : "MISMATCH in the used range");
  return ok ? 0 : 1;
}
