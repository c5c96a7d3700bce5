// Batch-invariant attention engine for DJL: prints the layout of every kernel parameter struct
// as the device compiler sees it, one "Struct.field offset size" line per field and one
// "Struct sizeof" line per struct. The build stores the output as a resource; a Java test checks
// the launcher's mirror against it.
#include <cstdio>

#include "bi/attention_params.cuh"
#include "bi/conv_params.cuh"
#include "bi/gemm_params.cuh"
#include "bi/reduce_params.cuh"
#include "bi/small_params.cuh"
#include "bi/data_params.cuh"

#define BI_DUMP_FIELD(S) [](const char* name, size_t off, size_t size) { std::printf(#S ".%s %zu %zu\n", name, off, size); }
#define BI_DUMP(S, FIELDS)                                                           \
  do {                                                                               \
    auto f = BI_DUMP_FIELD(S);                                                       \
    FIELDS(BI_ONE)                                                                   \
    std::printf(#S " %zu\n", sizeof(bi::S));                                         \
  } while (0)

int main() {
#define BI_ONE(type, name) f(#name, offsetof(bi::AttnParams, name), sizeof(type));
  BI_DUMP(AttnParams, BI_ATTN_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::KvAppendParams, name), sizeof(type));
  BI_DUMP(KvAppendParams, BI_KV_APPEND_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::GemmParams, name), sizeof(type));
  BI_DUMP(GemmParams, BI_GEMM_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::ReduceParams, name), sizeof(type));
  BI_DUMP(ReduceParams, BI_REDUCE_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::NormParams, name), sizeof(type));
  BI_DUMP(NormParams, BI_NORM_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::ElementwiseParams, name), sizeof(type));
  BI_DUMP(ElementwiseParams, BI_ELEMENTWISE_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::CopyParams, name), sizeof(type));
  BI_DUMP(CopyParams, BI_COPY_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::GatherParams, name), sizeof(type));
  BI_DUMP(GatherParams, BI_GATHER_FIELDS);
#undef BI_ONE
#define BI_ONE(type, name) f(#name, offsetof(bi::ConvParams, name), sizeof(type));
  BI_DUMP(ConvParams, BI_CONV_FIELDS);
#undef BI_ONE
  return 0;
}
