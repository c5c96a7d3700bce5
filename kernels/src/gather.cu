// Batch-invariant attention engine for DJL: gathers by integer index (take, gather/pick,
// takeAlong, embedding, gatherNd), oneHot and sequenceMask, one kernel per storage type, plus
// the index check that runs before any gather. The check kernel records the smallest "order
// key" of an out-of-range index with atomicMin (an integer minimum: the same answer in any
// order); the host reads that one word and throws the CPU backend's message, so the gather
// itself only ever sees valid indices.
#include "bi/data_params.cuh"
#include "bi/values.cuh"

namespace bi {

template <int T>
__device__ void gather_body(const GatherParams& p) {
  typedef typename Storage<T>::type S;
  const S* src = static_cast<const S*>(p.src);
  S* out = static_cast<S*>(p.out);
  for (long long i = grid_start(); i < p.n; i += grid_step()) {
    switch (p.kind) {
      case G_GATHER: {
        long long s = 0;
        long long x = 0;
        long long rem = i;
        for (int d = p.rank - 1; d >= 0; d--) {
          long long c = rem % p.shape[d];
          rem /= p.shape[d];
          s += c * p.stride_src[d];
          x += c * p.stride_idx[d];
        }
        for (int k = 0; k < p.parts; k++) {
          long long v = load_l(p.index, p.type_index, x + k * p.idx_step);
          s += (v < 0 ? v + p.axis_len[k] : v) * p.axis_stride[k];
        }
        out[i] = src[s];
        break;
      }
      case G_ONE_HOT: {
        long long depth = p.shape[1];
        long long c = load_l(p.index, p.type_index, i / depth);
        store_d<T>(p.out, i, (i % depth) == c ? __longlong_as_double(p.on_bits) : __longlong_as_double(p.off_bits));
        break;
      }
      default: {  // G_SEQUENCE_MASK over (batch, time, inner)
        long long inner = p.shape[2];
        long long steps = p.shape[1];
        long long t = (i / inner) % steps;
        long long len = load_l(p.index, p.type_index, i / (inner * steps));
        if (t >= len) {
          store_d<T>(p.out, i, __longlong_as_double(p.on_bits));
        } else {
          out[i] = src[i];
        }
        break;
      }
    }
  }
}

// Index element q belongs to component k = q / idx_step; its order key is the position the CPU
// backend would check it at: (q % idx_step) * parts + k.
__device__ void check_body(const GatherParams& p) {
  for (long long q = grid_start(); q < p.n; q += grid_step()) {
    long long k = p.parts == 1 ? 0 : q / p.idx_step;
    long long len = p.axis_len[k];
    long long v = load_l(p.index, p.type_index, q);
    if (v < -len || v >= len) {
      atomicMin(p.bad, (unsigned long long)((q % p.idx_step) * p.parts + k));
    }
  }
}

}  // namespace bi

extern "C" __global__ void bi_gather_check(const __grid_constant__ bi::GatherParams p) { bi::check_body(p); }

#define BI_GATHER(NAME, T) \
  extern "C" __global__ void NAME(const __grid_constant__ bi::GatherParams p) { bi::gather_body<T>(p); }

BI_GATHER(bi_gather_f32, bi::F32)
BI_GATHER(bi_gather_f64, bi::F64)
BI_GATHER(bi_gather_f16, bi::F16)
BI_GATHER(bi_gather_bf16, bi::BF16)
BI_GATHER(bi_gather_i8, bi::I8)
BI_GATHER(bi_gather_u8, bi::U8)
BI_GATHER(bi_gather_i32, bi::I32)
BI_GATHER(bi_gather_i64, bi::I64)
BI_GATHER(bi_gather_bool, bi::BOOL)
