// Batch-invariant attention engine for DJL: merge of chunk states.
//
// One thread block per (query row, query head) of the requests that keep partial states. A row
// whose visible KV positions span several chunks folds the chunk states (o, lse) left to right,
// chunks the row saw nothing of (lse = -inf) skipped, as the CPU backend's StateMerge does
// (fold_weights / fold_value). Rows inside one chunk, and rows of fused tiles (the attention kernel
// folded them), were written by the attention kernel and are left alone.
#include "bi/attention_params.cuh"
#include "bi/common.cuh"

namespace bi {

// Threads of a merge block (CudaAttention.MERGE_THREADS): thread x folds columns x, x + 64, ...
constexpr int MERGE_THREADS = 64;

template <typename T, int D>
__device__ __forceinline__ void merge_body(const AttnParams& p) {
  static_assert(D % MERGE_THREADS == 0, "a thread folds whole columns");
  // launched as the attention kernel's dependent on Hopper: its states are complete only here
  dependents_may_start();
  dependent_wait();
  // Blocks cover only the rows of requests that keep partial states (merge_indptr): a batch of
  // long prefills (fused) and a few split decodes launches blocks for the decodes, not for every
  // query row of the batch.
  const int m = blockIdx.x / p.num_qo_heads;
  const int hq = blockIdx.x % p.num_qo_heads;
  if (m >= *p.num_merge_rows) return;
  // the request of this merge row: last r with merge_indptr[r] <= m (requests without merge rows
  // repeat their successor's offset, so the last one is the request that owns the row)
  int lo = 0, hi = p.batch - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (p.merge_indptr[mid] <= m) lo = mid; else hi = mid - 1;
  }
  const int r = lo;
  const int tok = m - p.merge_indptr[r];
  const int row = p.qo_indptr[r] + tok;
  const int qo_len = p.qo_indptr[r + 1] - p.qo_indptr[r];
  const int kv_len = p.kv_lens[r];
  int vlo, vhi;
  visible_range(p, qo_len, kv_len, tok, &vlo, &vhi);
  // rows that see one chunk (or none) were written by the attention kernel
  if (vhi <= vlo || vlo / p.split_size == (vhi - 1) / p.split_size) return;
  const int nsplits = (kv_len + p.split_size - 1) / p.split_size;
  const long long base = p.part_indptr[r] + ((long long)tok * p.num_qo_heads + hq) * nsplits;
  const int s0 = vlo / p.split_size;
  const int s1 = (vhi - 1) / p.split_size;
  // Each thread folds its columns over every state in order, with the states' loads issued a
  // group at a time ahead of the folds: a fold needs the lse before it knows whether it reads o,
  // so loading on demand put two dependent memory latencies on every link of the chain. A state
  // past s1 reads as lse = -inf, which the fold skips, as it skips o (any value) of such a state.
  constexpr int C = D / MERGE_THREADS;
  constexpr int GROUP = 16;
  float acc[C];
#pragma unroll
  for (int c = 0; c < C; c++) acc[c] = 0.f;
  float sa = -INFINITY;
  for (int s = s0; s <= s1; s += GROUP) {
    float lse[GROUP], ob[GROUP][C];
#pragma unroll
    for (int j = 0; j < GROUP; j++) {
      const bool in = s + j <= s1;
      const long long st = base + (in ? s + j : s0);
      lse[j] = in ? p.part_lse[st] : -INFINITY;
#pragma unroll
      for (int c = 0; c < C; c++) ob[j][c] = p.part_o[st * D + threadIdx.x + c * MERGE_THREADS];
    }
#pragma unroll
    for (int j = 0; j < GROUP; j++) {
      // past s1 the states are lse = -inf, which fold_weights would skip after computing the
      // weights its combination takes (it keeps no branch): a short row skips them here instead
      if (s + j <= s1) {
        const Fold f = fold_weights(sa, lse[j]);
#pragma unroll
        for (int c = 0; c < C; c++) acc[c] = fold_value(f, acc[c], ob[j][c]);
        sa = f.sa;
      }
    }
  }
  T* og = static_cast<T*>(p.o) + ((long long)row * p.num_qo_heads + hq) * D;
#pragma unroll
  for (int c = 0; c < C; c++) og[threadIdx.x + c * MERGE_THREADS] = from_float<T>(acc[c]);
  if (threadIdx.x == 0) p.lse[(long long)row * p.num_qo_heads + hq] = sa;
}

}  // namespace bi

#define BI_MERGE(TAG, T, D)                                     \
  extern "C" __global__ void __launch_bounds__(bi::MERGE_THREADS) bi_merge_##TAG##_d##D(const __grid_constant__ bi::AttnParams p) { \
    bi::merge_body<T, D>(p);                                                                   \
  }

BI_ATTN_VARIANTS(BI_MERGE)
