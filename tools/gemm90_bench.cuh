// The stand-alone GEMM tools' inputs and timer (gemm90_check.cu, weight_stream.cu): random bfloat16
// arrays on the device, weights cycled through copies so that each launch reads its own from
// device memory, and CUDA-event timing of back-to-back launches.
#pragma once

#include "gemm90_launch.cuh"

__global__ void fill_kernel(bf16* x, long long n, unsigned seed) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    unsigned h = (unsigned)(i * 2654435761ull) ^ seed;
    h ^= h >> 16;
    h *= 0x7feb352d;
    h ^= h >> 15;
    h *= 0x846ca68b;
    h ^= h >> 16;
    x[i] = __float2bfloat16((h & 0xFFFFFF) / 8388608.0f - 1.0f);
  }
}

static bf16* rand_dev(long long n, unsigned seed) {
  bf16* p;
  CK(cudaMalloc(&p, std::max<long long>(n, 1) * 2));
  fill_kernel<<<1024, 256>>>(p, n, seed);
  CK(cudaGetLastError());
  return p;
}

template <typename F> static float time_us(F f, int reps = 10) {
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<float> ts;
  f();
  CK(cudaDeviceSynchronize());
  for (int r = 0; r < 9; r++) {
    CK(cudaEventRecord(e0));
    for (int i = 0; i < reps; i++) f();
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    ts.push_back(ms * 1000 / reps);
  }
  std::sort(ts.begin(), ts.end());
  CK(cudaEventDestroy(e0));
  CK(cudaEventDestroy(e1));
  return ts[4];
}

// For each (n, k) of `shapes`: random weights [n][k], inputs [max_m][k] and an output, handed to
// f(n, k, a, w, c), then freed.
template <int NS, typename F> static void for_shapes(const int (&shapes)[NS][2], long long max_m, F f) {
  for (auto& s : shapes) {
    int n = s[0], k = s[1];
    bf16* w = rand_dev((long long)n * k, 3u);
    bf16* a = rand_dev(max_m * k, 4u);
    bf16* c;
    CK(cudaMalloc(&c, (size_t)max_m * n * 2));
    f(n, k, a, w, c);
    CK(cudaFree(w));
    CK(cudaFree(a));
    CK(cudaFree(c));
  }
}

// A weight's "cold" copies: at least 256 MB of them, so a launch that takes the next one reads it
// from device memory as a model's layers do (warm launches of up to 50 MB hit L2).
struct ColdWeights {
  std::vector<bf16*> ws;
  int at = 0;
  ColdWeights(int n, int k) : ws(std::max(1, (int)std::ceil(256e6 / (2.0 * n * k)))) {
    for (size_t i = 0; i < ws.size(); i++) ws[i] = rand_dev((long long)n * k, 3u + (unsigned)i);
  }
  ~ColdWeights() {
    for (bf16* w : ws) CK(cudaFree(w));
  }
  bf16* first() const { return ws[0]; }
  bf16* next() { return ws[at++ % ws.size()]; }
};
