// The Java launcher's decisions for the Hopper GEMM (CudaGemm.java: split count and range, tile
// choice, a split a block or inside each block, the copy engine's tensor maps), mirrored in C++
// for tools/gemm90_check.cu, with the kernels it launches (gemm.cu's sum kernel, gemm_sm90.cu).
#pragma once

#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../kernels/src/gemm.cu"
#include "../kernels/src/gemm_sm90.cu"

#define CK(x)                                                                                   \
  do {                                                                                          \
    cudaError_t e_ = (x);                                                                       \
    if (e_ != cudaSuccess) {                                                                    \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(2);                                                                             \
    }                                                                                           \
  } while (0)
#define CB(x)                                                                                   \
  do {                                                                                          \
    cublasStatus_t s_ = (x);                                                                    \
    if (s_ != CUBLAS_STATUS_SUCCESS) {                                                          \
      std::fprintf(stderr, "%s:%d %s: cublas %d\n", __FILE__, __LINE__, #x, (int)s_);          \
      std::exit(2);                                                                             \
    }                                                                                           \
  } while (0)

using bf16 = __nv_bfloat16;
static int g_sms = 132;
static int g_split_override = 0;

// CudaGemm.splits / splitK
static int splits_of(int n, int k) {
  if (k < 512) return 1;
  int tiles_n = (n + 63) / 64;
  int want = (2 * g_sms + tiles_n - 1) / tiles_n;
  int most = std::min(8, k / 256);
  return std::max(1, std::min(want, most));
}
static int split_k_of(int k, int splits) {
  int per = (k + splits - 1) / splits;
  return (per + 63) / 64 * 64;
}
// HopperTiles.sm90Splits / sm90SplitK: more than one split only for narrow weights long in k
static int g_sm90_min_split_k = 2048;
static int sm90_splits_of(int n, int k) {
  int cols = (n + 31) / 32, s = 1;
  if (2 * cols > g_sms || k < 8192) return 1;
  while (s * 2 <= 4 && (long long)cols * s * 2 <= 2LL * g_sms && k / (s * 2) >= g_sm90_min_split_k) s *= 2;
  return s;
}
static int sm90_split_k_of(int k, int splits) {
  int per = (k + splits - 1) / splits;
  return (per + 255) / 256 * 256;
}
// 0: the launcher's choice; 1: a split a block (partials, then the ordered sum); 2: every split
// inside each block (a running total)
static int g_force_mode = 0;

// the Hopper tiles, widest first, and HopperTiles.sm90Tile's choice among them: of the tiles that
// cover the product in one wave, the one with the most tiles (ties to the shorter), else the widest
// (at m <= 16: 16 x 32)
typedef void (*TmaKernel)(const bi::GemmParams, const bi::TmaMap, const bi::TmaMap, const bi::TmaMap);
struct Variant {
  int bm, bn, smem;
  int tma_smem;  // the copy-engine kernel's: the pipeline's and its store's chunk buffers
  void (*fn)(const bi::GemmParams);
  TmaKernel tma;  // the tile fed by the copy engine (Gemm::run_tma), where there is one
  const char* name;
};
#define V(BM, NW, KSUB, BN) \
  {BM, BN, bi::HTile<BM, NW, KSUB>::SMEM_BYTES, 0, bi_gemm90_bf16_nk_##BM##x##BN, nullptr, #BM "x" #BN}
#define VT(BM, NW, KSUB, BN)                                                                                 \
  {BM, BN, bi::HTile<BM, NW, KSUB>::SMEM_BYTES,                                                           \
   bi::HTile<BM, NW, KSUB>::SMEM_BYTES + bi::HEpi<BM, NW, KSUB>::BYTES, bi_gemm90_bf16_nk_##BM##x##BN,     \
   bi_gemm90_bf16_nk_##BM##x##BN##_tma, #BM "x" #BN}
static const Variant VARIANTS[] = {VT(128, 256, 1, 256), VT(64, 128, 1, 256), VT(64, 64, 2, 128), V(64, 32, 2, 64),
                                   V(64, 16, 4, 32),     V(16, 16, 2, 32),    V(16, 8, 4, 16)};
static const int NV = sizeof(VARIANTS) / sizeof(VARIANTS[0]);
static int g_force_variant = -1;
static bool g_tma = true;  // tiles fed by the copy engine where they have it, as the engine runs them with tensor maps
static bool g_tma_store = true;  // their plain stores through c's tensor map (p.c_map), as the engine runs them

// a warpgroup's columns: 128-row tiles stack the warpgroups along m, the others side by side
static int wg_columns(const Variant& v) { return v.bm == 128 ? v.bn : v.bn / 2; }

// HopperTiles.sm90OneWave: of the tiles that cover the product in one wave, the one with the most
// tiles (ties to the shorter); -1 if none. Splits inside a block need <= 128 columns a warpgroup.
static int one_wave(int m, int n, int blocks_per_tile, bool in_block) {
  int best = -1;
  long long best_tiles = 0;
  for (int i = 0; i < NV; i++) {
    const Variant& v = VARIANTS[i];
    if (in_block && wg_columns(v) > 128) continue;
    long long tiles = (long long)((m + v.bm - 1) / v.bm) * ((n + v.bn - 1) / v.bn) * blocks_per_tile;
    if (tiles <= g_sms && tiles >= best_tiles) {
      best = i;
      best_tiles = tiles;
    }
  }
  return best;
}

// HopperTiles.sm90FewerWaves: of 128 x 256 and 64 x 256, the one whose whole waves cost less (a half
// tile at SM90_HALF_TILE_COST of the wide one's time, the wide one's scaled by wide_cost)
static long long waves_of(int m, int n, int blocks_per_tile, const Variant& v) {
  long long tiles = (long long)((m + v.bm - 1) / v.bm) * ((n + v.bn - 1) / v.bn) * blocks_per_tile;
  return (tiles + g_sms - 1) / g_sms;
}
static int fewer_waves(int m, int n, int blocks_per_tile, double wide_cost) {
  return waves_of(m, n, blocks_per_tile, VARIANTS[1]) * 0.58 < waves_of(m, n, blocks_per_tile, VARIANTS[0]) * wide_cost
             ? 1
             : 0;
}

// HopperTiles.sm90Tile: one_wave, else 16 x 32 at m <= 16, else the widest allowed; 128 x 256 gives
// way to 64 x 256 where that runs fewer (weighted) waves
static const Variant& pick(int m, int n, int blocks_per_tile = 1, bool in_block = false, double wide_cost = 1.0) {
  if (g_force_variant >= 0) return VARIANTS[g_force_variant];
  int best = one_wave(m, n, blocks_per_tile, in_block);
  if (best < 0) {
    if (m <= 16) return VARIANTS[NV - 2];
    for (int i = 0; i < NV && best < 0; i++)
      if (!in_block || wg_columns(VARIANTS[i]) <= 128) best = i;
  }
  if (best < 0) return VARIANTS[NV - 1];
  return VARIANTS[best == 0 ? fewer_waves(m, n, blocks_per_tile, wide_cost) : best];
}

// HopperTiles.sm90SplitsInBlockTile: pick's choice, unless a copy-engine tile (the first three) with at
// most 128 columns a warpgroup covers the product in one wave (the one with the most tiles)
static const Variant& pick_in_block(int m, int n) {
  const Variant& picked = pick(m, n, 1, false, 1.2);
  for (int i = 2; i >= 0; i--) {
    const Variant& v = VARIANTS[i];
    if (&v == &picked) return picked;
    long long tiles = (long long)((m + v.bm - 1) / v.bm) * ((n + v.bn - 1) / v.bn);
    if (wg_columns(v) <= 128 && tiles <= g_sms) return v;
  }
  return picked;
}

static CUtensorMap make_map(const void* base, int rows, int k, int box_rows) {
  CUtensorMap map;
  cuuint64_t dims[2] = {(cuuint64_t)k, (cuuint64_t)rows};
  cuuint64_t strides[1] = {(cuuint64_t)k * 2};
  cuuint32_t box[2] = {64, (cuuint32_t)box_rows};
  cuuint32_t estr[2] = {1, 1};
  CUresult r = cuTensorMapEncodeTiled(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(base), dims, strides,
                                      box, estr, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                                      CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) {
    std::printf("cuTensorMapEncodeTiled failed: %d\n", (int)r);
    std::exit(1);
  }
  return map;
}

struct Gemm {
  const void *ma_base = nullptr, *mb_base = nullptr;
  int mm = -1, mn = -1, mk = -1;
  CUtensorMap ma, mb, mc;
  int mbm = -1, mbn = -1;
  const void* mc_base = nullptr;
  int mcm = -1, mcn = -1;
  void run_tma(const Variant& v, bi::GemmParams p, const bf16* a, const bf16* w, int m, int n, int k,
               int zsplits) {
    if (a != ma_base || w != mb_base || m != mm || n != mn || k != mk || v.bm != mbm || v.bn != mbn) {
      ma = make_map(a, m, k, v.bm);
      mb = make_map(w, n, k, v.bn);
      ma_base = a, mb_base = w, mm = m, mn = n, mk = k, mbm = v.bm, mbn = v.bn;
    }
    // the plain store through c's map (CudaGemm: no partials, bias or activation; rows of 16 bytes)
    p.c_map = g_tma_store && p.partial == nullptr && p.bias == nullptr && p.act == 0 && n % 8 == 0 &&
              ((uintptr_t)p.c & 15) == 0;
    if (p.c_map && (p.c != mc_base || m != mcm || n != mcn)) {
      mc = make_map(p.c, m, n, 64);
      mc_base = p.c, mcm = m, mcn = n;
    }
    CK(cudaFuncSetAttribute(v.tma, cudaFuncAttributeMaxDynamicSharedMemorySize, v.tma_smem));
    // persistent: at most one block an SM, each taking every gridDim.x-th tile
    dim3 grid(std::min(((m + v.bm - 1) / v.bm) * ((n + v.bn - 1) / v.bn), g_sms), 1, zsplits);
    v.tma<<<grid, bi::W_THREADS, v.tma_smem>>>(p, *reinterpret_cast<const bi::TmaMap*>(&ma),
                                               *reinterpret_cast<const bi::TmaMap*>(&mb),
                                               *reinterpret_cast<const bi::TmaMap*>(p.c_map ? &mc : &ma));
  }
  float* partial = nullptr;
  size_t partial_bytes = 0;
  float* ws = nullptr;  // the running totals of the widest tile's in-block splits
  size_t ws_bytes = 0;
  char last[32] = "";  // the last launch's tile, with its splits (a block each, or inside each block)
  void run(const bf16* a, const bf16* w, bf16* c, int m, int n, int k, bool sm80 = false) {
    bi::GemmParams p{};
    // each family's split policy (CudaGemm.run), unless forced
    int splits = g_split_override > 0 ? g_split_override : sm80 ? splits_of(n, k) : sm90_splits_of(n, k);
    int sk = sm80 ? split_k_of(k, splits) : sm90_split_k_of(k, splits);
    splits = (k + sk - 1) / sk;
    long long tiles80 = (long long)((m + 127) / 128) * ((n + 127) / 128);
    bool per_block = splits > 1 && (sm80 ? tiles80 < g_sms
                                         : 16LL * m * splits <= k && (one_wave(m, n, splits, false) >= 0 || m <= 16));
    if (!sm80 && splits > 1 && g_force_mode > 0) per_block = g_force_mode == 1;
    // in-block splits on the widest tile keep their totals in a workspace, on the copy engine only
    const bool tma_ok = g_tma && k % 8 == 0 && ((uintptr_t)a & 15) == 0 && ((uintptr_t)w & 15) == 0;
    const bool wide_ok = tma_ok && k % 64 == 0;
    // in-block splits on the widest tile keep their running total in memory (HopperTiles.SM90_WIDE_TOTALS_COST)
    const Variant& v = per_block ? pick(m, n, splits, false)
                       : splits > 1 && wide_ok && g_force_variant < 0 ? pick_in_block(m, n)
                                                                      : pick(m, n, 1, splits > 1 && !wide_ok, splits > 1 ? 1.2 : 1.0);
    // a forced tile without room for a running total (threads' copies) takes its splits a block each
    if (!sm80 && splits > 1 && !per_block && wg_columns(v) > 128 && !wide_ok) per_block = true;
    const bool totals_in_memory = !sm80 && splits > 1 && !per_block && wg_columns(v) > 128;
    if (totals_in_memory) {
      size_t wsb = (size_t)g_sms * (v.bn / 2) * 256 * 4;
      if (wsb > ws_bytes) {
        if (ws) CK(cudaFree(ws));
        CK(cudaMalloc(&ws, wsb));
        ws_bytes = wsb;
      }
    }
    // splits inside a copy-engine block: whole stages only
    const int stage_k = v.bm == 16 ? 0 : (v.bn == 128 ? 128 : 64);
    const bool whole = splits == 1 || per_block || (stage_k > 0 && k % stage_k == 0 && sk % stage_k == 0);
    if (splits == 1) {
      std::snprintf(last, sizeof last, "%s", v.name);
    } else {
      std::snprintf(last, sizeof last, "%s /%d %s", v.name, splits, per_block ? "blocks" : "in");
    }
    size_t need = per_block ? (size_t)m * n * splits * 4 : 0;
    if (need > partial_bytes) {
      if (partial) CK(cudaFree(partial));
      CK(cudaMalloc(&partial, need));
      partial_bytes = need;
    }
    p.a = a;
    p.b = w;
    p.bias = nullptr;
    p.c = c;
    p.partial = per_block ? partial : nullptr;
    p.sc = (long long)m * n;
    p.m = m;
    p.n = n;
    p.k = k;
    p.batch1 = 1;
    p.batches = 1;
    p.b_nk = 1;
    p.splits = splits;
    p.split_k = sk;
    p.act = 0;
    p.split_ws = totals_in_memory ? ws : nullptr;
    if (sm80) {
      dim3 grid((m + 127) / 128, (n + 127) / 128, per_block ? splits : 1);
      int smem = 4 * (128 * 40 + 128 * 40) * 2;
      CK(cudaFuncSetAttribute(bi_gemm_bf16_nk_128x128, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
      bi_gemm_bf16_nk_128x128<<<grid, 256, smem>>>(p);
    } else if (tma_ok && v.tma != nullptr && whole) {
      run_tma(v, p, a, w, m, n, k, per_block ? splits : 1);
    } else {
      dim3 grid(((m + v.bm - 1) / v.bm) * ((n + v.bn - 1) / v.bn), 1, per_block ? splits : 1);
      CK(cudaFuncSetAttribute(v.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, v.smem));
      v.fn<<<grid, bi::H_THREADS, v.smem>>>(p);
    }
    CK(cudaGetLastError());
    if (per_block) {
      long long out = (long long)m * n;
      bi_gemm_sum_bf16<<<(unsigned)std::min<long long>(65535, (out + 255) / 256), 256>>>(p);
      CK(cudaGetLastError());
    }
  }
};
