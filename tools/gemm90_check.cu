// Stand-alone check and timing of the Hopper GEMM kernels (kernels/src/gemm_sm90.cu) beside
// cuBLAS in one process, without the Java side: correctness against a float64 reference on the
// device, row bits independent of M, and CUDA-event timings. The launcher (gemm90_launch.cuh)
// mirrors CudaGemm.java and HopperTiles.java; gemm90_bench.cuh holds the inputs and the timer. Build and run on an sm_90 machine:
//   nvcc -O3 -std=c++17 -Ikernels/include -gencode arch=compute_90a,code=sm_90a \
//        tools/gemm90_check.cu -lcublas -lcuda -o gemm90_check && ./gemm90_check
#include "gemm90_bench.cuh"

__global__ void ref_kernel(const bf16* a, const bf16* w, double* out, int m, int n, int k) {
  int col = blockIdx.x * blockDim.x + threadIdx.x, row = blockIdx.y;
  if (col >= n || row >= m) return;
  double s = 0;
  for (int i = 0; i < k; i++) s += (double)__bfloat162float(a[(long long)row * k + i]) * (double)__bfloat162float(w[(long long)col * k + i]);
  out[(long long)row * n + col] = s;
}

// correctness: ‖out − ref‖ / ‖ref‖ against float64, every output written (poisoned first)
static bool check_accuracy(Gemm& g, int m, int n, int k, bool sm80) {
  bf16* a = rand_dev((long long)m * k, 11u + m);
  bf16* w = rand_dev((long long)n * k, 97u + n);
  bf16* c;
  double* ref;
  CK(cudaMalloc(&c, (size_t)m * n * 2));
  CK(cudaMalloc(&ref, (size_t)m * n * 8));
  CK(cudaMemset(c, 0xFF, (size_t)m * n * 2));  // NaN poison
  g.run(a, w, c, m, n, k, sm80);
  ref_kernel<<<dim3((n + 127) / 128, m), 128>>>(a, w, ref, m, n, k);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  std::vector<uint16_t> hc((size_t)m * n);
  std::vector<double> hr((size_t)m * n);
  CK(cudaMemcpy(hc.data(), c, hc.size() * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hr.data(), ref, hr.size() * 8, cudaMemcpyDeviceToHost));
  double num = 0, den = 0;
  long long bad = 0;
  for (size_t i = 0; i < hc.size(); i++) {
    uint32_t u = (uint32_t)hc[i] << 16;
    float v;
    std::memcpy(&v, &u, 4);
    if (!std::isfinite(v)) bad++;
    num += (v - hr[i]) * (v - hr[i]);
    den += hr[i] * hr[i];
  }
  double rel = std::sqrt(num / std::max(den, 1e-300));
  bool ok = bad == 0 && rel < 8e-3;
  std::printf("accuracy %s m=%d n=%d k=%d: rel err %.3e, unwritten/non-finite %lld -> %s\n", sm80 ? "sm80" : "sm90",
              m, n, k, rel, bad, ok ? "ok" : "FAIL");
  CK(cudaFree(a));
  CK(cudaFree(w));
  CK(cudaFree(c));
  CK(cudaFree(ref));
  return ok;
}

// invariance: the first M rows of the product equal, bit for bit, the same rows of a 4097-row one
static bool check_invariance(Gemm& g, int n, int k) {
  const int big = 4097;
  const int ms[] = {1, 2, 3, 7, 16, 64, 255, 1024, 4097};
  bf16* a = rand_dev((long long)big * k, 5u);
  bf16* w = rand_dev((long long)n * k, 6u);
  bf16 *cb, *cm;
  CK(cudaMalloc(&cb, (size_t)big * n * 2));
  CK(cudaMalloc(&cm, (size_t)big * n * 2));
  g.run(a, w, cb, big, n, k);
  std::vector<uint16_t> hb((size_t)big * n), hm((size_t)big * n);
  CK(cudaMemcpy(hb.data(), cb, hb.size() * 2, cudaMemcpyDeviceToHost));
  // rows [from, from + m) of A run alone (on whatever the globals force), compared bit for bit with
  // the same rows of the 4097-row product; the output is poisoned first unless told otherwise
  auto differ = [&](int m, int from = 0, bool poison = true) {
    if (poison) CK(cudaMemset(cm, 0xFF, (size_t)m * n * 2));
    g.run(a + (long long)from * k, w, cm, m, n, k);
    CK(cudaMemcpy(hm.data(), cm, (size_t)m * n * 2, cudaMemcpyDeviceToHost));
    long long d = 0;
    for (long long i = 0; i < (long long)m * n; i++) d += hm[i] != hb[(long long)from * n + i];
    return d;
  };
  bool all = true;
  for (int m : ms) {
    const long long diff = differ(m);
    all &= diff == 0;
    if (diff) std::printf("invariance n=%d k=%d M=%d: %lld outputs differ from the 4097-row product -> FAIL\n", n, k, m, diff);
  }
  // a row alone at an offset inside A (a view): row 4000 solo
  all &= differ(1, 4000) == 0;
  // every tile shape forced on the same 300 rows: the same bits
  for (int vi = 0; vi < NV; vi++) {
    g_force_variant = vi;
    const long long d2 = differ(300);
    g_force_variant = -1;
    if (d2) std::printf("invariance n=%d k=%d: tile %s forced: %lld outputs differ -> FAIL\n", n, k, VARIANTS[vi].name, d2);
    all &= d2 == 0;
  }
  // the copy-engine tiles' stores through c's tensor map and through the threads, on the same 300
  // and 4097 rows: the same bits
  for (int vi = 0; vi < 3; vi++) {
    for (int rows : {300, 4097}) {
      g_force_variant = vi;
      g_tma_store = false;
      const long long d4 = differ(rows);
      g_tma_store = true;
      g_force_variant = -1;
      if (d4) std::printf("invariance n=%d k=%d M=%d: tile %s, threads' stores: %lld outputs differ -> FAIL\n", n, k,
                          rows, VARIANTS[vi].name, d4);
      all &= d4 == 0;
    }
  }
  // both ways of running the splits (a block each; inside each block) on the same 300 rows
  const int splits = sm90_splits_of(n, k);
  for (int mode = 1; mode <= 2 && splits > 1; mode++) {
    g_force_mode = mode;
    const long long d3 = differ(300);
    g_force_mode = 0;
    if (d3) std::printf("invariance n=%d k=%d: %s forced: %lld outputs differ -> FAIL\n", n, k, g.last, d3);
    all &= d3 == 0;
  }
  std::printf("invariance n=%d k=%d (%d split%s): M in {1..4097}, row 4000 alone, every tile shape, stores through "
              "the copy engine and the threads%s -> %s\n", n, k,
              splits, splits > 1 ? "s" : "", splits > 1 ? ", splits a block each and inside each block" : "",
              all ? "bit-identical" : "FAIL");
  // inverse case: a different split count must change bits (not poisoned: an output left unwritten
  // must not count as changed)
  g_split_override = splits == 2 ? 3 : 2;
  const long long changed = differ(64, 0, false);
  g_split_override = 0;
  std::printf("inverse (split count changed): %lld of %lld outputs differ -> %s\n", changed, 64LL * n,
              changed > 0 ? "ok" : "FAIL");
  CK(cudaFree(a));
  CK(cudaFree(w));
  CK(cudaFree(cb));
  CK(cudaFree(cm));
  return all && changed > 0;
}

// the sm_80 family (mma.sync m16n8k16) with one split against the Hopper family (wgmma): the same
// k16 steps in the same order from a zeroed accumulator; counts the outputs whose bits differ
static long long compare_families(Gemm& g, int m, int n, int k) {
  bf16* a = rand_dev((long long)m * k, 21u);
  bf16* w = rand_dev((long long)n * k, 22u);
  bf16 *c90, *c80;
  CK(cudaMalloc(&c90, (size_t)m * n * 2));
  CK(cudaMalloc(&c80, (size_t)m * n * 2));
  g.run(a, w, c90, m, n, k);
  g_split_override = 1;
  g.run(a, w, c80, m, n, k, true);
  g_split_override = 0;
  std::vector<uint16_t> h90((size_t)m * n), h80((size_t)m * n);
  CK(cudaMemcpy(h90.data(), c90, h90.size() * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(h80.data(), c80, h80.size() * 2, cudaMemcpyDeviceToHost));
  long long d = 0;
  for (size_t i = 0; i < h90.size(); i++) d += h90[i] != h80[i];
  std::printf("families m=%d n=%d k=%d: sm80 (one split) vs sm90: %lld of %lld outputs differ\n", m, n, k, d,
              (long long)m * n);
  CK(cudaFree(a));
  CK(cudaFree(w));
  CK(cudaFree(c90));
  CK(cudaFree(c80));
  return d;
}

__global__ void neg_kernel(bf16* x, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] = __float2bfloat16(-1.0f - (float)(i % 7));
}

// a zero input row against all-negative weights sums only -0 products: every tile shape must
// give the same zero (a padded k16 step must not turn a -0 into +0 in one shape only)
static bool check_negative_zero(Gemm& g, int n, int k) {
  bf16 *a, *w, *c;
  CK(cudaMalloc(&a, (size_t)k * 2));
  CK(cudaMalloc(&w, (size_t)n * k * 2));
  CK(cudaMalloc(&c, (size_t)n * 2));
  CK(cudaMemset(a, 0, (size_t)k * 2));
  neg_kernel<<<256, 256>>>(w, (long long)n * k);
  CK(cudaGetLastError());
  bool ok = true;
  std::vector<uint16_t> h(n), first(n);
  for (int vi = 0; vi < NV; vi++) {
    g_force_variant = vi;
    CK(cudaMemset(c, 0x11, (size_t)n * 2));
    g.run(a, w, c, 1, n, k);
    CK(cudaMemcpy(h.data(), c, (size_t)n * 2, cudaMemcpyDeviceToHost));
    if (vi == 0) first = h;
    for (int j = 0; j < n; j++) ok &= h[j] == first[j] && (h[j] & 0x7FFF) == 0;
  }
  g_force_variant = -1;
  std::printf("signed zero n=%d k=%d: every tile shape gives the same zero (0x%04x) -> %s\n", n, k, first[0],
              ok ? "ok" : "FAIL");
  CK(cudaFree(a));
  CK(cudaFree(w));
  CK(cudaFree(c));
  return ok;
}

// the split paths against float64 on a weight that splits in four (n = 512, k = 8192, and a k
// that is no multiple of a stage): every split inside each block on the copy-engine tiles (the
// widest with its totals in the workspace), on the threads' copies, and a split a block
static bool check_splits(Gemm& g) {
  bool ok = true;
  const int tiles[] = {0, 1, 2, 3, 5};  // 128x256, 64x256 and 64x128 (copy engine), 64x64, 16x32
  g_force_mode = 2;
  for (int vi : tiles) {
    g_force_variant = vi;
    ok &= check_accuracy(g, 300, 512, 8192, false);
    ok &= check_accuracy(g, 70, 512, 8200, false);
  }
  g_force_variant = 0;  // more tiles than SMs: persistent blocks carry their totals from tile to tile
  ok &= check_accuracy(g, 2100, 2048, 8192, false);
  g_force_variant = -1;
  g_force_mode = 1;
  ok &= check_accuracy(g, 300, 512, 8192, false);
  g_force_mode = 0;
  return ok;
}

static cublasHandle_t g_cublas;

int main(int argc, char** argv) {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  g_sms = prop.multiProcessorCount;
  std::printf("device %s, %d SMs, cc %d.%d\n", prop.name, g_sms, prop.major, prop.minor);
  Gemm g;
  if (argc == 5 && std::strcmp(argv[1], "--profile") == 0) {  // one shape, for a profiler
    int m = std::atoi(argv[2]), n = std::atoi(argv[3]), k = std::atoi(argv[4]);
    bf16* a = rand_dev((long long)m * k, 1u);
    bf16* w = rand_dev((long long)n * k, 2u);
    bf16* c;
    CK(cudaMalloc(&c, (size_t)m * n * 2));
    for (int i = 0; i < 3; i++) g.run(a, w, c, m, n, k);
    CK(cudaDeviceSynchronize());
    return 0;
  }
  bool ok = true;
  if (argc > 1 && std::strcmp(argv[1], "--small") == 0) {  // small shapes, for the sanitizers
    ok &= check_accuracy(g, 77, 1001, 1000, false);
    ok &= check_accuracy(g, 130, 257, 1003, false);
    for (int vi = 0; vi < NV; vi++) {
      g_force_variant = vi;
      ok &= check_accuracy(g, 70, 300, 520, false);
    }
    for (int vi = 0; vi < 3; vi++) {  // the copy-engine tiles' stores through c's map, boxes cut at m and n
      g_force_variant = vi;
      ok &= check_accuracy(g, 70, 328, 520, false);
    }
    g_force_variant = 0;  // more tiles than SMs: persistent copy-engine blocks take several
    ok &= check_accuracy(g, 1100, 4000, 520, false);
    g_force_variant = -1;
    g_split_override = 3;
    ok &= check_accuracy(g, 100, 1000, 1000, false);
    g_split_override = 0;
    ok &= check_splits(g);
    ok &= check_negative_zero(g, 300, 1003);
    std::printf("checks: %s\n", ok ? "all passed" : "FAILED");
    return ok ? 0 : 1;
  }
  ok &= check_accuracy(g, 1, 4096, 4096, false);
  ok &= check_accuracy(g, 77, 1001, 1000, false);   // n, k not multiples of the tiles
  ok &= check_accuracy(g, 130, 257, 1003, false);   // k % 8 != 0: element loads
  ok &= check_accuracy(g, 1024, 2048, 8192, false);
  ok &= check_accuracy(g, 4097, 4096, 4096, false);
  g_split_override = 3;
  ok &= check_accuracy(g, 100, 1000, 1000, false);  // forced splits: partials and the ordered sum
  g_split_override = 0;
  ok &= check_accuracy(g, 300, 2048, 2048, true);   // the sm_80 family, same reference
  ok &= check_splits(g);
  ok &= check_invariance(g, 4096, 4096);
  ok &= check_invariance(g, 2048, 8192);
  ok &= check_invariance(g, 1000, 1003);
  ok &= check_invariance(g, 512, 1088);
  ok &= check_negative_zero(g, 300, 1088);
  ok &= check_negative_zero(g, 300, 1003);
  if (argc > 1 && std::strcmp(argv[1], "--families") == 0) {
    compare_families(g, 300, 2048, 8192);
    compare_families(g, 77, 1001, 1003);
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--check-only") == 0) return ok ? 0 : 1;
  if (argc > 1 && std::strcmp(argv[1], "--large") == 0) {  // the picked tile, threads' copies against the copy engine
    CB(cublasCreate(&g_cublas));
    const int shapes[][2] = {{4096, 4096}, {2048, 2048}, {8192, 2048}, {2048, 8192}, {14336, 4096}, {4096, 14336},
                             {128256, 2048}};
    const int ms[] = {256, 512, 1024, 4096, 8192};
    std::printf("\n| N | K | M | tile | threads' copies us | copy engine us | cuBLAS us | threads / cuBLAS | engine / cuBLAS |\n");
    std::printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for_shapes(shapes, 8192, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        if ((long long)m * n > 8192LL * 14336) continue;
        g_tma = false;
        float t0 = time_us([&] { g.run(a, w, c, m, n, k); });
        g_tma = true;
        float t1 = time_us([&] { g.run(a, w, c, m, n, k); });
        float one = 1.f, zero = 0.f;
        float tc = time_us([&] {
          CB(cublasGemmEx(g_cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k, &zero,
                          c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        });
        std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f | %.2f | %.2f |\n", n, k, m, g.last, t0, t1, tc,
                    tc / t0, tc / t1);
      }
    });
    return ok ? 0 : 1;
  }
  if (argc > 1 && std::strcmp(argv[1], "--store") == 0) {  // the picked tile: the threads' stores against the copy engine's
    CB(cublasCreate(&g_cublas));
    const int shapes[][2] = {{4096, 4096}, {2048, 2048}, {8192, 2048}, {2048, 8192}, {14336, 4096}, {4096, 14336},
                             {3072, 2048}, {16384, 2048}, {128256, 2048}};
    const int ms[] = {256, 512, 1024, 1536, 4096, 8192};
    std::printf("\n| N | K | M | tile | threads' stores us | copy-engine stores us | cuBLAS us | threads / cuBLAS | engine / cuBLAS |\n");
    std::printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for_shapes(shapes, 8192, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        if ((long long)m * n > 8192LL * 14336) continue;
        float one = 1.f, zero = 0.f;
        float t0 = 1e30f, t1 = 1e30f, tc = 1e30f;
        for (int round = 0; round < 2; round++) {  // alternated, the better of two rounds each
          g_tma_store = false;
          t0 = std::min(t0, time_us([&] { g.run(a, w, c, m, n, k); }));
          g_tma_store = true;
          t1 = std::min(t1, time_us([&] { g.run(a, w, c, m, n, k); }));
          tc = std::min(tc, time_us([&] {
            CB(cublasGemmEx(g_cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k,
                            &zero, c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
          }));
        }
        std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f | %.2f | %.2f |\n", n, k, m, g.last, t0, t1, tc, tc / t0,
                    tc / t1);
      }
    });
    return ok ? 0 : 1;
  }
  if (argc > 1 && std::strcmp(argv[1], "--waves") == 0) {  // products of several waves: 128 x 256 against 64 x 256
    CB(cublasCreate(&g_cublas));
    const int shapes[][2] = {{4096, 4096}, {2048, 2048}, {8192, 2048}, {2048, 8192}, {14336, 4096}, {4096, 14336},
                             {3072, 2048}, {16384, 2048}, {128256, 2048}};
    const int ms[] = {512, 768, 1024, 1536, 2048, 3072, 4096, 8192};
    std::printf("\n| N | K | M | picked | 128x256 us | 64x256 us | cuBLAS us |\n|---:|---:|---:|---|---:|---:|---:|\n");
    for_shapes(shapes, 8192, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        if ((long long)m * n > 8192LL * 14336) continue;
        g.run(a, w, c, m, n, k);
        char picked[32];
        std::snprintf(picked, sizeof picked, "%s", g.last);
        float t[2] = {1e30f, 1e30f}, tc = 1e30f;
        float one = 1.f, zero = 0.f;
        for (int round = 0; round < 2; round++) {
          for (int vi = 0; vi < 2; vi++) {
            g_force_variant = vi;
            t[vi] = std::min(t[vi], time_us([&] { g.run(a, w, c, m, n, k); }));
          }
          g_force_variant = -1;
          tc = std::min(tc, time_us([&] {
            CB(cublasGemmEx(g_cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k,
                            &zero, c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
          }));
        }
        std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f |\n", n, k, m, picked, t[0], t[1], tc);
      }
    });
    return ok ? 0 : 1;
  }
  if (argc > 1 && std::strcmp(argv[1], "--splits") == 0) {  // the split weights: one chain, a block each, inside each block
    CB(cublasCreate(&g_cublas));
    if (argc > 2) g_split_override = std::atoi(argv[2]);  // a split count other than the policy's
    const int shapes[][2] = {{2048, 8192}, {1024, 8192}, {4096, 14336}};
    const int ms[] = {1, 8, 16, 64, 128, 256, 512, 1024, 4096, 8192};
    std::printf("\n| N | K | M | picked | picked us | one chain us | a block each us | inside each block us | cuBLAS us | picked / cuBLAS |\n");
    std::printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for_shapes(shapes, 8192, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        if ((long long)m * n > 8192LL * 14336) continue;
        float tp = time_us([&] { g.run(a, w, c, m, n, k); });
        char picked[32];
        std::snprintf(picked, sizeof picked, "%s", g.last);
        const int forced = g_split_override;
        g_split_override = 1;
        float t1 = time_us([&] { g.run(a, w, c, m, n, k); });
        g_split_override = forced;
        g_force_mode = 1;
        float tb = time_us([&] { g.run(a, w, c, m, n, k); });
        g_force_mode = 2;
        float ti = time_us([&] { g.run(a, w, c, m, n, k); });
        g_force_mode = 0;
        float one = 1.f, zero = 0.f;
        float tc = time_us([&] {
          CB(cublasGemmEx(g_cublas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k, &zero,
                          c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        });
        std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f |\n", n, k, m, picked, tp, t1, tb, ti,
                    tc, tc / tp);
      }
    });
    return ok ? 0 : 1;
  }
  if (argc > 1 && std::strcmp(argv[1], "--splits-small") == 0) {  // decode sizes: split counts x tiles, a block each
    const int shapes[][2] = {{2048, 8192}, {1024, 8192}, {2048, 4096}};
    const int ms[] = {1, 16, 64, 128};
    const int vs[] = {3, 4, 5, 6};  // 64x64, 64x32, 16x32, 16x16
    std::printf("\n| N | K | M | one chain us |");
    for (int sp : {2, 4})
      for (int vi : vs) std::printf(" /%d %s us |", sp, VARIANTS[vi].name);
    std::printf("\n|---:|---:|---:|---:|");
    for (int i = 0; i < 8; i++) std::printf("---:|");
    std::printf("\n");
    for_shapes(shapes, 128, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        g_sm90_min_split_k = 1 << 30;
        std::printf("| %d | %d | %d | %.1f |", n, k, m, time_us([&] { g.run(a, w, c, m, n, k); }));
        g_sm90_min_split_k = 2048;
        g_force_mode = 1;
        for (int sp : {2, 4}) {
          g_split_override = sp;
          for (int vi : vs) {
            g_force_variant = vi;
            std::printf(" %.1f |", time_us([&] { g.run(a, w, c, m, n, k); }));
          }
        }
        g_force_variant = -1;
        g_split_override = 0;
        g_force_mode = 0;
        std::printf("\n");
      }
    });
    return ok ? 0 : 1;
  }
  if (argc > 1 && std::strcmp(argv[1], "--sweep") == 0) {  // every tile shape forced, small m
    const int shapes[][2] = {{2048, 2048}, {3072, 2048}, {4096, 4096}, {8192, 2048}, {16384, 2048}, {2048, 8192},
                             {14336, 4096}, {4096, 14336}, {128256, 2048}};
    const int ms[] = {1, 8, 16, 32, 64, 128, 256, 512};
    std::printf("\n| N | K | M | picked |");
    for (int vi = 0; vi < NV; vi++) std::printf(" %s us |", VARIANTS[vi].name);
    std::printf("\n|---:|---:|---:|---|");
    for (int vi = 0; vi < NV; vi++) std::printf("---:|");
    std::printf("\n");
    for_shapes(shapes, 512, [&](int n, int k, bf16* a, bf16* w, bf16* c) {
      for (int m : ms) {
        g.run(a, w, c, m, n, k);
        std::printf("| %d | %d | %d | %s |", n, k, m, g.last);
        for (int vi = 0; vi < NV; vi++) {
          g_force_variant = vi;
          std::printf(" %.1f |", time_us([&] { g.run(a, w, c, m, n, k); }));
        }
        g_force_variant = -1;
        std::printf("\n");
      }
    });
    return ok ? 0 : 1;
  }

  cublasHandle_t h;
  CB(cublasCreate(&h));
  const int shapes[][2] = {{4096, 4096}, {2048, 2048}, {3072, 2048}, {8192, 2048}, {16384, 2048}, {2048, 8192},
                           {128256, 2048}, {14336, 4096}, {4096, 14336}};
  const int ms[] = {1, 8, 16, 64, 256, 1024, 4096, 8192};
  // "warm": the same weights every launch (up to 50 MB of them stay in L2 between launches);
  // "cold": launches cycle through copies of the weights, 256 MB at least, so each launch reads its
  // weights from device memory as a model's layers do
  std::printf("\n| N | K | M | tile | sm90 us | sm90 TFLOP/s | cuBLAS us | cuBLAS TFLOP/s | sm90/cuBLAS | cold sm90 us | cold weights TB/s | cold cuBLAS us | cold cuBLAS TB/s | cold sm90/cuBLAS |\n");
  std::printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto& s : shapes) {
    int n = s[0], k = s[1];
    const double wbytes = 2.0 * n * k;
    ColdWeights ws(n, k);
    bf16* a = rand_dev(8192LL * k, 4u);
    bf16* c;
    CK(cudaMalloc(&c, (size_t)8192 * n * 2));
    for (int m : ms) {
      if ((long long)m * n > 8192LL * 14336) continue;
      float one = 1.f, zero = 0.f;
      auto ours = [&](bf16* w) { g.run(a, w, c, m, n, k); };
      auto cub = [&](bf16* w) {
        CB(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one, w, CUDA_R_16BF, k, a, CUDA_R_16BF, k, &zero, c,
                        CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      };
      float t90 = time_us([&] { ours(ws.first()); });
      float tcb = time_us([&] { cub(ws.first()); });
      float c90 = m <= 256 ? time_us([&] { ours(ws.next()); }) : 0.f;
      float ccb = m <= 256 ? time_us([&] { cub(ws.next()); }) : 0.f;
      double fl = 2.0 * m * n * k;
      ours(ws.first());
      std::printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f | %.1f | %.2f |", n, k, m, g.last, t90,
                  fl / t90 / 1e6, tcb, fl / tcb / 1e6, tcb / t90);
      if (m <= 256) {
        std::printf(" %.1f | %.2f | %.1f | %.2f | %.2f |\n", c90, wbytes / c90 / 1e6, ccb, wbytes / ccb / 1e6, ccb / c90);
      } else {
        std::printf(" | | | | |\n");
      }
    }
    CK(cudaFree(a));
    CK(cudaFree(c));
  }
  std::printf("\nchecks: %s\n", ok ? "all passed" : "FAILED");
  return ok ? 0 : 1;
}
