// Batch-invariant attention engine for DJL: convolution (1 to 3 spatial axes, groups, stride,
// padding, dilation) and global pooling, one thread per output.
//
// Each output is one float64 sum in the CPU backend's order — input channels of its group, then
// kernel depth, height, width, taps that fall in the padding skipped, the bias last — each
// product and sum rounded on its own (_rn intrinsics: no fused multiply-add the CPU does not
// do), then rounded once to the output type as the CPU does. So a GPU output has the CPU
// backend's bits, and depends on nothing but its own receptive field.
#include "bi/conv_params.cuh"
#include "bi/values.cuh"

namespace bi {

__device__ __forceinline__ double conv_one(const ConvParams& p, long long id) {
  long long r = id;
  const int ow = static_cast<int>(r % p.out2);
  r /= p.out2;
  const int oh = static_cast<int>(r % p.out1);
  r /= p.out1;
  const int od = static_cast<int>(r % p.out0);
  r /= p.out0;
  const int oc = static_cast<int>(r % p.o);
  const long long ni = r / p.o;
  const long long in_plane = static_cast<long long>(p.in0) * p.in1 * p.in2;
  const int k_size = p.k0 * p.k1 * p.k2;
  double acc = 0.0;
  for (int ci = 0; ci < p.cg; ci++) {
    const long long x_base = (ni * p.c + static_cast<long long>(oc / p.og) * p.cg + ci) * in_plane;
    const long long w_base = (static_cast<long long>(oc) * p.cg + ci) * k_size;
    for (int kd = 0; kd < p.k0; kd++) {
      const int id = od * p.s0 - p.p0 + kd * p.d0;
      if (id < 0 || id >= p.in0) continue;
      for (int kh = 0; kh < p.k1; kh++) {
        const int ih = oh * p.s1 - p.p1 + kh * p.d1;
        if (ih < 0 || ih >= p.in1) continue;
        for (int kw = 0; kw < p.k2; kw++) {
          const int iw = ow * p.s2 - p.p2 + kw * p.d2;
          if (iw < 0 || iw >= p.in2) continue;
          const double wt = load_d(p.w, p.type_w, w_base + (kd * p.k1 + kh) * p.k2 + kw);
          const double xv = load_d(p.x, p.type_x, x_base + (static_cast<long long>(id) * p.in1 + ih) * p.in2 + iw);
          acc = __dadd_rn(acc, __dmul_rn(wt, xv));
        }
      }
    }
  }
  if (p.bias) acc = __dadd_rn(acc, load_d(p.bias, p.type_b, oc));
  return acc;
}

// The CPU's global pools: the plane in index order, NaN kept by max, the mean divided once.
__device__ __forceinline__ double pool_one(const ConvParams& p, long long id) {
  const long long base = id * p.plane;
  const bool max = p.kind == CONV_GLOBAL_MAX;
  double acc = max ? -INFINITY : 0.0;
  for (long long i = 0; i < p.plane; i++) {
    const double v = load_d(p.x, p.type_x, base + i);
    if (max) {
      if (v > acc || v != v) acc = v;
    } else {
      acc = __dadd_rn(acc, v);
    }
  }
  return max ? acc : __ddiv_rn(acc, static_cast<double>(p.plane));
}

template <int T> __device__ void conv_body(const ConvParams& p) {
  for (long long id = grid_start(); id < p.total; id += grid_step()) {
    const double v = p.kind == CONV_FORWARD ? conv_one(p, id) : pool_one(p, id);
    if constexpr (T == F64) {
      static_cast<double*>(p.y)[id] = v;
    } else {
      // the CPU rounds a float64 result to float32 first, then to the 16-bit type
      store_f<T>(p.y, id, __double2float_rn(v));
    }
  }
}

}  // namespace bi

#define BI_CONV(TAG, T) \
  extern "C" __global__ void bi_conv_##TAG(const __grid_constant__ bi::ConvParams p) { \
    bi::conv_body<T>(p);                                                                      \
  }

BI_CONV(f32, bi::F32)
BI_CONV(f64, bi::F64)
BI_CONV(f16, bi::F16)
BI_CONV(bf16, bi::BF16)
