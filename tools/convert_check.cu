// Checks, for every float bit pattern and bit for bit, the short forms the element-wise kernels
// use against the forms they replaced: float_to_half_bits and float_to_bf16_bits (values.cuh: the
// hardware's conversion, NaN by integer arithmetic) against their integer forms (below), and
// sigmoid_f (ew_ops.cuh: the division's fast path where 1 + e^-x <= 2^32) against
// __fdiv_rn(1, 1 + e^-x). Any difference fails the run (exit status 1).
//
//   nvcc -O3 -std=c++17 -Ikernels/include -arch=sm_90 -o /tmp/convert_check tools/convert_check.cu && /tmp/convert_check
#include <cstdio>
#include <cstdint>

#include "bi/ew_ops.cuh"

constexpr int CHECKS = 3;

// float_to_half_bits as it was, in integer arithmetic as tensor/Half.java computes it.
__device__ uint16_t half_reference(float f) {
  uint32_t bits = __float_as_uint(f);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int exp = (int)((bits >> 23) & 0xffu);
  uint32_t mant = bits & 0x7fffffu;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant != 0 ? 0x200u | (mant >> 13) : 0u));
  int e = exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u) != 0)) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u) != 0)) half++;
  return (uint16_t)(sign | half);
}

// float_to_bf16_bits as it was, in integer arithmetic as tensor/Half.java rounds.
__device__ uint16_t bf16_reference(float f) {
  uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)((bits + rounding) >> 16);
}

__global__ void check(unsigned long long* counts, unsigned int* first) {
  const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < (1ull << 32); i += stride) {
    const unsigned int bits = (unsigned int)i;
    const float x = __uint_as_float(bits);
    const bool bad[CHECKS] = {
        bi::float_to_half_bits(x) != half_reference(x),
        bi::float_to_bf16_bits(x) != bf16_reference(x),
        __float_as_uint(bi::sigmoid_f(x)) != __float_as_uint(__fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-x)))),
    };
    for (int c = 0; c < CHECKS; c++) {
      if (bad[c] && atomicAdd(&counts[c], 1ull) == 0) first[c] = bits;
    }
  }
}

int main() {
  unsigned long long* counts;
  unsigned int* first;
  if (cudaMallocManaged(&counts, CHECKS * sizeof(unsigned long long)) != cudaSuccess ||
      cudaMallocManaged(&first, CHECKS * sizeof(unsigned int)) != cudaSuccess) {
    std::printf("allocation failed\n");
    return 2;
  }
  for (int c = 0; c < CHECKS; c++) counts[c] = first[c] = 0;
  check<<<4096, 256>>>(counts, first);
  const cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    std::printf("kernel failed: %s\n", cudaGetErrorString(e));
    return 2;
  }
  const char* names[CHECKS] = {"float_to_half_bits", "float_to_bf16_bits", "sigmoid_f"};
  bool ok = true;
  for (int c = 0; c < CHECKS; c++) {
    std::printf("%-20s differences over all 2^32 floats: %llu", names[c], counts[c]);
    if (counts[c] != 0) std::printf(" (first 0x%08x)", first[c]);
    std::printf("\n");
    ok = ok && counts[c] == 0;
  }
  std::printf("%s\n", ok ? "all equal" : "FAILED");
  return ok ? 0 : 1;
}
