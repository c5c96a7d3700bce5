// Batch-invariant attention engine for DJL: the parameters of the attention family (attention
// and merge kernels). Every entry point takes one AttnParams by value (__grid_constant__); the
// Java launcher fills the same bytes from its mirror of this layout.
#pragma once

#include "bi/params.cuh"
#ifdef __CUDACC__
#include "bi/common.cuh"  // rcp_rn
#endif

namespace bi {

// One row per field: (C type, name). The struct below, the ABI dump (abi/abi_dump.cu) and, through
// that dump's test, the Java mirror (backend/cuda/abi/Abi.java) all follow this list.
#define BI_ATTN_FIELDS(X)                                                                        \
  X(const void*, q)            /* [total_qo][Hq][D] */                                           \
  X(const void*, k)            /* page pool or ragged rows */                                    \
  X(const void*, v)                                                                              \
  X(void*, o)                  /* [total_qo][Hq][D] */                                           \
  X(float*, lse)               /* [total_qo][Hq], natural log */                                 \
  X(float*, part_o)            /* partial states of rows whose visible keys span chunks */       \
  X(float*, part_lse)                                                                            \
  X(const int4*, items)        /* work items (request, kv head, first token of the tile, chunk) */ \
  X(const int*, num_items)     /* device scalar: items to run (a graph's grid may be larger) */  \
  X(const int*, qo_indptr)     /* [B+1] */                                                       \
  X(const int*, kv_indptr)     /* [B+1]: page ranges (paged) or first KV row (ragged) */         \
  X(const int*, kv_indices)    /* page numbers (paged) */                                        \
  X(const int*, kv_lens)       /* [B] */                                                         \
  X(const int*, part_indptr)   /* [B+1]: first partial state of each request */                  \
  X(const int*, merge_indptr)  /* [B+1]: first merge row of each request (rows of requests that  \
                                  keep partial states; none for the others) */                   \
  X(const float*, rope_cos)    /* [position][D/2] */                                             \
  X(const float*, rope_sin)                                                                      \
  X(const float*, alibi)       /* [Hq] */                                                        \
  X(const int*, num_merge_rows) /* device scalar: merge rows (a graph's grid may be larger) */  \
  X(int, paged)                                                                                  \
  X(int, page_size)                                                                              \
  X(int, stride_page)          /* elements between pages */                                      \
  X(int, stride_slot)          /* elements between positions in a page (ragged: rows) */         \
  X(int, stride_head)          /* elements between KV heads */                                   \
  X(int, num_qo_heads)                                                                           \
  X(int, num_kv_heads)                                                                           \
  X(int, split_size)           /* tokens per chunk (2^30 when splitting is off) */               \
  X(int, causal)                                                                                 \
  X(int, window_left)          /* -1: off */                                                     \
  X(int, pos_mode)             /* 0 none, 1 RoPE (q and k), 2 ALiBi, 3 RoPE of q (keys rotated   \
                                  when appended) */                                               \
  X(float, sm_scale)                                                                             \
  X(float, soft_cap)           /* 0: off */                                                      \
  X(int, batch)                                                                                  \
  X(unsigned, split_inv)       /* the chunk-boundary test without a remainder (chunk_starts):    \
                                  inverse of split_size's odd part modulo 2^32, */               \
  X(int, split_rot)            /* the power of two in split_size, */                             \
  X(unsigned, split_lim)       /* and (2^32 - 1) / split_size */                                \
  X(int, kv_tma)               /* 1: k_map and v_map hold the pools' tensor maps (Hopper, pages  \
                                  of 16k positions): whole runs of 16 positions come by the copy \
                                  engine */                                                       \
  X(bi::TmaMap, k_map)         /* the pool as [elements / stride_slot][stride_slot], boxes of 64 \
                                  columns by 16 rows, 128-byte swizzled */                        \
  X(bi::TmaMap, v_map)

struct AttnParams {
  BI_ATTN_FIELDS(BI_DECLARE_FIELD)
};

#ifdef __CUDACC__
// The KV positions row `token` of a request (qo_len rows, kv_len keys) may see: [lo, hi).
__device__ __forceinline__ void visible_range(const AttnParams& p, int qo_len, int kv_len, int token,
                                              int* lo, int* hi) {
  int pos = kv_len - qo_len + token;
  int h = p.causal ? min(pos + 1, kv_len) : kv_len;
  int l = p.window_left >= 0 ? max(0, pos - p.window_left) : 0;
  *lo = l;
  *hi = max(h, l);
}

// Whether position x (0 <= x < 2^32) is a multiple of split_size, without a remainder (a runtime
// divisor costs about 20 instructions): x is a multiple of d = d0 2^k (d0 odd) iff x times d0's
// inverse modulo 2^32, rotated right by k, is at most (2^32 - 1) / d (Granlund and Montgomery; the
// host fills the three constants, which the instructions read from the constant bank).
__device__ __forceinline__ bool chunk_starts(const AttnParams& p, int x) {
  const unsigned y = (unsigned)x * p.split_inv;
  return __funnelshift_r(y, y, p.split_rot) <= p.split_lim;
}

// Left-to-right fold of chunk states (normalised output, natural-log lse): the merge kernel's
// arithmetic, shared with the attention kernels that fold in the block, so both give the same bits.
// Non-contractible intrinsics: no FMA may appear in one and not the other.
struct Fold {
  float wa, wb, inv, sa;  // weights of the running and the new state, 1 / their sum, the new lse
  int kind;               // 0 skip the new state, 1 take it as the first, 2 combine
};

// The weights of one fold. The combination is computed on every path and the kind picks the
// results (no branch, no call), so a chain of folds is one straight run of instructions in which
// the compiler overlaps a link's value folds with the next link's weights; kind 2 gets exactly the
// values it always had, the others ignore them.
__device__ __forceinline__ Fold fold_weights(float sa, float sb) {
  Fold f;
  f.kind = sb == -INFINITY ? 0 : sa == -INFINITY ? 1 : 2;
  const float mm = fmaxf(sa, sb);
  const float wa = expf(sa - mm);
  const float wb = expf(sb - mm);
  const float sum = __fadd_rn(wa, wb);
  const bool both = f.kind == 2;
  f.wa = both ? wa : 0.f;
  f.wb = both ? wb : 0.f;
  f.inv = both ? rcp_rn(sum) : 0.f;
  f.sa = both ? __fadd_rn(mm, logf(sum)) : f.kind == 1 ? sb : sa;
  return f;
}

__device__ __forceinline__ float fold_value(const Fold& f, float acc, float ob) {
  const float both = __fmul_rn(__fadd_rn(__fmul_rn(acc, f.wa), __fmul_rn(ob, f.wb)), f.inv);
  return f.kind == 2 ? both : f.kind == 1 ? ob : acc;
}

#endif

}  // namespace bi

// Every (dtype, head dim) variant of the attention kernel families: X(tag, type, head_dim).
#define BI_ATTN_VARIANTS(X)          \
  X(bf16, __nv_bfloat16, 64)         \
  X(bf16, __nv_bfloat16, 128)        \
  X(bf16, __nv_bfloat16, 256)        \
  X(f16, __half, 64)                 \
  X(f16, __half, 128)                \
  X(f16, __half, 256)
