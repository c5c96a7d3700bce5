// Batch-invariant attention engine for DJL: the parameters of the attention kernels. The entry
// points take them one by one (BI_ATTN_PARAMS, in this order: the Java launcher passes them so)
// and gather them into an AttnParams.
#pragma once

#include <stdint.h>

namespace bi {

struct AttnParams {
  const void* q;            // [total_qo][Hq][D]
  const void* k;            // page pool or ragged rows
  const void* v;
  void* o;                  // [total_qo][Hq][D]
  float* lse;               // [total_qo][Hq], natural log
  float* part_o;            // partial states of rows whose visible range spans several chunks
  float* part_lse;
  const int4* items;        // work items (request, kv head, first token of the q tile, chunk)
  const int* num_items;     // device scalar: items to run (the grid may be larger, for graphs)
  const int* qo_indptr;     // [B+1]
  const int* kv_indptr;     // [B+1]: page ranges (paged) or first KV row (ragged)
  const int* kv_indices;    // page numbers (paged)
  const int* kv_lens;       // [B]
  const int* part_indptr;   // [B+1]: first partial state of each request
  const float* rope_cos;    // [position][D/2]
  const float* rope_sin;
  const float* alibi;       // [Hq]
  const int* num_rows;      // device scalar: total_qo (merge kernel)
  int paged;
  int page_size;
  int stride_page;          // elements between pages
  int stride_slot;          // elements between positions in a page (ragged: between rows)
  int stride_head;          // elements between KV heads
  int num_qo_heads;
  int num_kv_heads;
  int split_size;           // tokens per chunk (2^30 when splitting is off)
  int causal;
  int window_left;          // -1: off
  int pos_mode;             // 0 none, 1 RoPE, 2 ALiBi
  float sm_scale;
  float soft_cap;           // 0: off
  int batch;
};

// The KV positions row `token` of a request (qo_len rows, kv_len keys) may see: [lo, hi).
__device__ __forceinline__ void visible_range(const AttnParams& p, int qo_len, int kv_len, int token,
                                              int* lo, int* hi) {
  int pos = kv_len - qo_len + token;
  int h = p.causal ? min(pos + 1, kv_len) : kv_len;
  int l = p.window_left >= 0 ? max(0, pos - p.window_left) : 0;
  *lo = l;
  *hi = max(h, l);
}

}  // namespace bi

#define BI_ATTN_PARAMS                                                                          \
  const void *q, const void *k, const void *v, void *o, float *lse, float *part_o, float *part_lse, \
      const int4 *items, const int *num_items, const int *qo_indptr, const int *kv_indptr,          \
      const int *kv_indices, const int *kv_lens, const int *part_indptr, const float *rope_cos,     \
      const float *rope_sin, const float *alibi, const int *num_rows, int paged, int page_size,     \
      int stride_page, int stride_slot, int stride_head, int num_qo_heads, int num_kv_heads,        \
      int split_size, int causal, int window_left, int pos_mode, float sm_scale, float soft_cap,    \
      int batch

#define BI_ATTN_GATHER                                                                          \
  bi::AttnParams p{q,         k,         v,         o,           lse,          part_o,           \
                   part_lse,  items,     num_items, qo_indptr,   kv_indptr,    kv_indices,       \
                   kv_lens,   part_indptr, rope_cos, rope_sin,   alibi,        num_rows,         \
                   paged,     page_size, stride_page, stride_slot, stride_head, num_qo_heads,    \
                   num_kv_heads, split_size, causal, window_left, pos_mode,   sm_scale,          \
                   soft_cap,  batch}

// Every (dtype, head dim) variant of the attention kernel families: X(tag, type, head_dim).
#define BI_ATTN_VARIANTS(X)          \
  X(bf16, __nv_bfloat16, 64)         \
  X(bf16, __nv_bfloat16, 128)        \
  X(bf16, __nv_bfloat16, 256)        \
  X(f16, __half, 64)                 \
  X(f16, __half, 128)                \
  X(f16, __half, 256)
