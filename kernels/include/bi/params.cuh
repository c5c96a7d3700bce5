// Batch-invariant attention engine for DJL: how kernel parameter structs are declared. Each
// kernel family has one struct, listed field by field in an X-macro, so the struct, the ABI dump
// that the Java mirror is tested against, and nothing else, are generated from one list.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <vector_types.h>

#define BI_DECLARE_FIELD(type, name) type name;

namespace bi {

// A tensor map for Hopper's copy engine (the driver's CUtensorMap: 128 opaque bytes, 64-byte
// aligned), encoded by the host and passed by value inside a params struct or beside it.
struct alignas(64) TmaMap {
  unsigned long long opaque[16];
};

}  // namespace bi
