// Batch-invariant attention engine for DJL: the parameter structs of the KV-append family
// (KV append). One struct per family; see params.cuh.
#pragma once

#include "bi/params.cuh"

namespace bi {

#define BI_KV_APPEND_FIELDS(X)                                                          \
  X(const uint4*, src_k)                                                                \
  X(const uint4*, src_v)                                                                \
  X(uint4*, dst_k)                                                                      \
  X(uint4*, dst_v)                                                                      \
  X(const long long*, dst_offsets) /* per (token, KV head), in 16-byte vectors */       \
  X(int, vectors)                  /* 16-byte vectors per head */                       \
  X(int, count)                    /* (token, KV head) pairs */                         \
  X(const float*, rope_cos)        /* [position][D/2]: keys stored rotated (or null) */ \
  X(const float*, rope_sin)                                                             \
  X(const int*, positions)         /* per (token, KV head): the token's position */

struct KvAppendParams {
  BI_KV_APPEND_FIELDS(BI_DECLARE_FIELD)
};

}  // namespace bi
