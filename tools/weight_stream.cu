// What one launch can stream: for each weight size of the GEMM tools, launches back to back that
// only read the weight (each 16-byte word once, four in flight a thread, the best of eight grids),
// a device-to-device copy of it, and the Hopper product at m = 1, all cycling through cold copies
// as gemm90_check's cold table does. The read-only launch is the ceiling a decode-sized product of
// that weight can reach in one launch (docs/benchmarks.md). Build and run on an sm_90 machine:
//   nvcc -O3 -std=c++17 -Ikernels/include -gencode arch=compute_90a,code=sm_90a \
//        tools/weight_stream.cu -lcublas -lcuda -o weight_stream && ./weight_stream
#include "gemm90_bench.cuh"

// The size's own ceiling for a weight stream: every 16-byte word of w read once (the words of
// each thread in flight together), folded into one word a block so the loads stay live.
__global__ void stream_read(const uint4* w, long long words, unsigned* sink) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  unsigned acc = 0;
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  for (; i + 3 * stride < words; i += 4 * stride) {
    const uint4 a = __ldg(w + i), b = __ldg(w + i + stride), c = __ldg(w + i + 2 * stride), d = __ldg(w + i + 3 * stride);
    acc ^= a.x ^ a.y ^ a.z ^ a.w ^ b.x ^ b.y ^ b.z ^ b.w ^ c.x ^ c.y ^ c.z ^ c.w ^ d.x ^ d.y ^ d.z ^ d.w;
  }
  for (; i < words; i += stride) {
    const uint4 a = __ldg(w + i);
    acc ^= a.x ^ a.y ^ a.z ^ a.w;
  }
  if (acc == 0x9e3779b9u) sink[blockIdx.x] = acc;  // almost never: keeps the loads without a store
}

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  g_sms = prop.multiProcessorCount;
  std::printf("device %s, %d SMs, cc %d.%d\n", prop.name, g_sms, prop.major, prop.minor);
  Gemm g;
  const int shapes[][2] = {{2048, 2048}, {3072, 2048}, {4096, 4096}, {8192, 2048}, {2048, 8192}, {16384, 2048},
                           {14336, 4096}, {4096, 14336}, {128256, 2048}};
  unsigned* sink;
  CK(cudaMalloc(&sink, 1 << 20));
  std::printf("\n| N | K | weight MB | read-only kernel us (best grid) | its TB/s | cudaMemcpy D2D us | its TB/s (bytes once) | sm90 m=1 us | sm90 TB/s | sm90 / read-only |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto& s : shapes) {
    const int n = s[0], k = s[1];
    const double wbytes = 2.0 * n * k;
    ColdWeights ws(n, k);
    bf16* dst;
    CK(cudaMalloc(&dst, (size_t)wbytes));
    bf16* a = rand_dev(16LL * k, 4u);
    bf16* c;
    CK(cudaMalloc(&c, (size_t)16 * n * 2));
    float best = 1e30f;
    for (int per_sm : {2, 4, 8, 16}) {
      for (int threads : {256, 512}) {
        const int grid = per_sm * g_sms;
        float t = time_us([&] {
          stream_read<<<grid, threads>>>(reinterpret_cast<const uint4*>(ws.next()), (long long)(wbytes / 16), sink);
        });
        CK(cudaGetLastError());
        best = std::min(best, t);
      }
    }
    float tm = time_us([&] { CK(cudaMemcpyAsync(dst, ws.next(), (size_t)wbytes, cudaMemcpyDeviceToDevice)); });
    float tg = time_us([&] { g.run(a, ws.next(), c, 1, n, k); });
    std::printf("| %d | %d | %.1f | %.1f | %.2f | %.1f | %.2f | %.1f | %.2f | %.2f |\n", n, k, wbytes / 1e6, best,
                wbytes / best / 1e6, tm, wbytes / tm / 1e6, tg, wbytes / tg / 1e6, best / tg);
    CK(cudaFree(dst));
    CK(cudaFree(a));
    CK(cudaFree(c));
  }
  return 0;
}
