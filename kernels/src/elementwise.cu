// Batch-invariant attention engine for DJL: element-wise operations with broadcasting (unary,
// binary, where, leaky ReLU, ELU, allEqual), one kernel per output storage type. The operation,
// the operand types and the arithmetic type are runtime parameters chosen by the host exactly as
// the CPU backend chooses them; each element is computed as the CPU computes it. Composite
// formulas use the _rn intrinsics so that the compiler cannot contract them into FMAs, which
// the CPU backend never does.
#include "bi/ew_ops.cuh"

namespace bi {

template <int T>
__device__ void unary_one(const ElementwiseParams& p, long long i, long long ia) {
  int op = p.op;
  if (op == U_NOT || op == U_ISNAN || op == U_ISINF) {
    double v = load_d(p.a, p.type_a, ia);
    bool r = op == U_NOT ? v == 0.0 : op == U_ISNAN ? isnan(v) : isinf(v);
    store_l<T>(p.out, i, r ? 1 : 0);
  } else if (p.mode == C_LONG) {
    store_l<T>(p.out, i, un_l(op, load_l(p.a, p.type_a, ia)));
  } else if (p.mode == C_DOUBLE) {
    store_d<T>(p.out, i, un_d(op, load_d(p.a, p.type_a, ia)));
  } else {
    float x = load_f(p.a, p.type_a, ia);
    // PyTorch's oneDNN gelu gives NaN at +infinity for float32/bfloat16 arrays of several elements
    float r = (p.flags & 1) != 0 && op == U_GELU && x == __int_as_float(0x7f800000) ? __int_as_float(0x7fc00000)
                                                                                     : un_f(op, x);
    store_f<T>(p.out, i, r);
  }
}

template <int T>
__device__ void binary_one(const ElementwiseParams& p, long long i, long long ia, long long ib) {
  if (p.mode == C_LONG) {
    store_l<T>(p.out, i, bin_l(p.op, load_l(p.a, p.type_a, ia), load_l(p.b, p.type_b, ib), p.error));
  } else if (p.mode == C_DOUBLE) {
    store_d<T>(p.out, i, bin_d(p.op, load_d(p.a, p.type_a, ia), load_d(p.b, p.type_b, ib)));
  } else {
    store_f<T>(p.out, i, bin_f(p.op, load_f(p.a, p.type_a, ia), load_f(p.b, p.type_b, ib)));
  }
}

template <int T>
__device__ void elementwise_body(const ElementwiseParams& p) {
  for (long long i = grid_start(); i < p.n; i += grid_step()) {
    long long ia = strided_offset(i, p.rank, p.shape, p.stride_a);
    switch (p.kind) {
      case EW_UNARY:
        unary_one<T>(p, i, ia);
        break;
      case EW_BINARY:
        binary_one<T>(p, i, ia, strided_offset(i, p.rank, p.shape, p.stride_b));
        break;
      case EW_WHERE: {
        bool pick = load_d(p.c, p.type_c, strided_offset(i, p.rank, p.shape, p.stride_c)) != 0.0;
        long long ib = strided_offset(i, p.rank, p.shape, p.stride_b);
        // integer outputs by value (int64 past 2^53 exact), the others through doubles, as the CPU
        if (p.mode == C_LONG) {
          store_l<T>(p.out, i, pick ? load_l(p.a, p.type_a, ia) : load_l(p.b, p.type_b, ib));
        } else {
          store_d<T>(p.out, i, pick ? load_d(p.a, p.type_a, ia) : load_d(p.b, p.type_b, ib));
        }
        break;
      }
      case EW_LEAKY_RELU:
        if (p.mode == C_DOUBLE) {
          double x = load_d(p.a, p.type_a, ia);
          store_d<T>(p.out, i, x > 0 ? x : __dmul_rn(x, (double)p.alpha));
        } else {
          float x = load_f(p.a, p.type_a, ia);
          store_f<T>(p.out, i, x > 0 ? x : __fmul_rn(p.alpha, x));
        }
        break;
      case EW_ELU:
        if (p.mode == C_DOUBLE) {
          double x = load_d(p.a, p.type_a, ia);
          store_d<T>(p.out, i, x > 0 ? x : __dmul_rn((double)p.alpha, expm1(x)));
        } else {
          float x = load_f(p.a, p.type_a, ia);
          store_f<T>(p.out, i, x > 0 ? x : __fmul_rn(p.alpha, __fsub_rn(expf(x), 1.0f)));
        }
        break;
      default:  // EW_ALL_EQUAL: every writer stores the same flag, so the race is benign
        if (load_d(p.a, p.type_a, ia) != __longlong_as_double(p.value_bits)) *p.error = 1;
        break;
    }
  }
}

}  // namespace bi

#define BI_ELEMENTWISE(NAME, T) \
  extern "C" __global__ void NAME(const __grid_constant__ bi::ElementwiseParams p) { bi::elementwise_body<T>(p); }

BI_ELEMENTWISE(bi_elementwise_f32, bi::F32)
BI_ELEMENTWISE(bi_elementwise_f64, bi::F64)
BI_ELEMENTWISE(bi_elementwise_f16, bi::F16)
BI_ELEMENTWISE(bi_elementwise_bf16, bi::BF16)
BI_ELEMENTWISE(bi_elementwise_i8, bi::I8)
BI_ELEMENTWISE(bi_elementwise_u8, bi::U8)
BI_ELEMENTWISE(bi_elementwise_i32, bi::I32)
BI_ELEMENTWISE(bi_elementwise_i64, bi::I64)
BI_ELEMENTWISE(bi_elementwise_bool, bi::BOOL)

// ---------------------------------------------------------------------------------------------
// Contiguous kernels: every operand laid out like the output (or one value broadcast: stride 0,
// a rank-0 or size-1 operand), all inputs of one storage type TI, the output of type TO, the
// arithmetic MODE fixed. The host picks the instantiation once per call (no per-element type
// decoding, no strided offsets) and the op once per launch (a switch outside the element loop).
// Elements are read and written 16 bytes at a time (the widest operand's width) when every
// pointer is 16-byte aligned, one at a time otherwise and for the tail. Each element goes through
// the functions the strided kernels use (val_* / enc_* conversions, bin_* / un_* arithmetic), so
// both kernels give the same bits for every op and type.
namespace bi {

template <int MODE> struct ModeValue;
template <> struct ModeValue<C_FLOAT> { typedef float type; };
template <> struct ModeValue<C_DOUBLE> { typedef double type; };
template <> struct ModeValue<C_LONG> { typedef long long type; };

// load_f / load_d / load_l and store_f / store_d / store_l of a storage type known here.
template <int T, int MODE> __device__ __forceinline__ typename ModeValue<MODE>::type dec(typename Storage<T>::type s) {
  if constexpr (MODE == C_FLOAT) {
    return val_f<T>(s);
  } else if constexpr (MODE == C_DOUBLE) {
    return val_d<T>(s);
  } else {
    return val_l<T>(s);
  }
}
template <int T, int MODE> __device__ __forceinline__ typename Storage<T>::type enc(typename ModeValue<MODE>::type v) {
  if constexpr (MODE == C_FLOAT) {
    return enc_f<T>(v);
  } else if constexpr (MODE == C_DOUBLE) {
    return enc_d<T>(v);
  } else {
    return enc_l<T>(v);
  }
}

// binary_one's arithmetic for one op.
template <int MODE, int OP> struct BinFn {
  int* error;
  __device__ __forceinline__ typename ModeValue<MODE>::type operator()(typename ModeValue<MODE>::type a,
                                                                        typename ModeValue<MODE>::type b) const {
    if constexpr (MODE == C_FLOAT) {
      return bin_f(OP, a, b);
    } else if constexpr (MODE == C_DOUBLE) {
      return bin_d(OP, a, b);
    } else {
      return bin_l(OP, a, b, error);
    }
  }
};

// unary_one's arithmetic for one op (not the boolean tests), gelu's +inf rule included.
template <int MODE, int OP> struct UnFn {
  int flags;
  __device__ __forceinline__ typename ModeValue<MODE>::type operator()(typename ModeValue<MODE>::type x) const {
    if constexpr (MODE == C_FLOAT) {
      if (OP == U_GELU && (flags & 1) != 0 && x == __int_as_float(0x7f800000)) return __int_as_float(0x7fc00000);
      return un_f(OP, x);
    } else if constexpr (MODE == C_DOUBLE) {
      return un_d(OP, x);
    } else {
      return un_l(OP, x);
    }
  }
};

// leaky ReLU (ELU = false) and ELU, as elementwise_body computes them.
template <int MODE, bool ELU> struct ActFn {
  float alpha;
  __device__ __forceinline__ typename ModeValue<MODE>::type operator()(typename ModeValue<MODE>::type x) const {
    if constexpr (MODE == C_DOUBLE) {
      if (ELU) return x > 0 ? x : __dmul_rn((double)alpha, expm1(x));
      return x > 0 ? x : __dmul_rn(x, (double)alpha);
    } else {
      if (ELU) return x > 0 ? x : __fmul_rn(alpha, __fsub_rn(expf(x), 1.0f));
      return x > 0 ? x : __fmul_rn(alpha, x);
    }
  }
};

template <typename S, int N> struct alignas(sizeof(S) * N) Pack {
  S e[N];
};

template <int TI, int TO, int MODE> struct Contig {
  typedef typename Storage<TI>::type SI;
  typedef typename Storage<TO>::type SO;
  // elements a thread takes at a time: 16 bytes of the widest operand
  static constexpr int VEC = 16 / (sizeof(SI) > sizeof(SO) ? sizeof(SI) : sizeof(SO));
  typedef Pack<SI, VEC> PI;
  typedef Pack<SO, VEC> PO;

  // out[i] = f(a[i]) (ARITY 1) or f(a[i], b[i]) (ARITY 2) for i < n; an operand of stride 0 is its
  // first element broadcast. WIDE: 16 bytes at a time, VEC copies of f inlined; ops whose
  // arithmetic is long (double-precision library functions, pow, modulo) go one element at a
  // time instead, so that their copies do not set the register count of the whole kernel.
  template <int ARITY, bool WIDE, typename F> __device__ static void run(const ElementwiseParams& p, F f) {
    const SI* a = static_cast<const SI*>(p.a);
    const SI* b = static_cast<const SI*>(p.b);
    SO* o = static_cast<SO*>(p.out);
    const bool sa = p.stride_a[0] == 0;
    const bool sb = ARITY == 2 && p.stride_b[0] == 0;
    const auto a0 = dec<TI, MODE>(a[0]);
    const auto b0 = ARITY == 2 ? dec<TI, MODE>(b[0]) : a0;
    long long done = 0;
    const bool aligned = ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(o) |
                           (ARITY == 2 ? reinterpret_cast<uintptr_t>(b) : 0)) & 15) == 0;
    if (WIDE && aligned) {
      const long long chunks = p.n / VEC;
      // the launch has about a thread a chunk: unrolling this loop would only add code
#pragma unroll 1
      for (long long c = grid_start(); c < chunks; c += grid_step()) {
        const PI va = sa ? PI{} : reinterpret_cast<const PI*>(a)[c];
        PI vb{};
        if constexpr (ARITY == 2) vb = sb ? PI{} : reinterpret_cast<const PI*>(b)[c];
        PO r;
#pragma unroll
        for (int k = 0; k < VEC; k++) {
          const auto x = sa ? a0 : dec<TI, MODE>(va.e[k]);
          if constexpr (ARITY == 2) {
            r.e[k] = enc<TO, MODE>(f(x, sb ? b0 : dec<TI, MODE>(vb.e[k])));
          } else {
            r.e[k] = enc<TO, MODE>(f(x));
          }
        }
        reinterpret_cast<PO*>(o)[c] = r;
      }
      done = chunks * VEC;
    }
#pragma unroll 1
    for (long long i = done + grid_start(); i < p.n; i += grid_step()) {
      const auto x = sa ? a0 : dec<TI, MODE>(a[i]);
      if constexpr (ARITY == 2) {
        o[i] = enc<TO, MODE>(f(x, sb ? b0 : dec<TI, MODE>(b[i])));
      } else {
        o[i] = enc<TO, MODE>(f(x));
      }
    }
  }
};

// Ops computed 16 bytes at a time (see Contig::run).
__host__ __device__ constexpr bool wide_binary(int op) { return op != OP_MOD && op != OP_POW; }
__host__ __device__ constexpr bool wide_unary(int op) {
  return op != U_LOG2 && op != U_LOG10 && op != U_GELU && op != U_ERF && op != U_SOFTPLUS && op != U_CBRT &&
         op != U_SELU;
}

#define BI_BIN_CASE(OP) \
  case OP: C::template run<2, wide_binary(OP)>(p, BinFn<MODE, OP>{p.error}); break;
#define BI_UN_CASE(OP) \
  case OP: C::template run<1, wide_unary(OP)>(p, UnFn<MODE, OP>{p.flags}); break;

template <int TI, int TO, int MODE> __device__ void contiguous_body(const ElementwiseParams& p) {
  typedef Contig<TI, TO, MODE> C;
  if (p.kind == EW_BINARY) {
    if constexpr (TO == BOOL) {
      switch (p.op) {
        BI_BIN_CASE(OP_EQ) BI_BIN_CASE(OP_NEQ) BI_BIN_CASE(OP_GT) BI_BIN_CASE(OP_GTE) BI_BIN_CASE(OP_LT)
        BI_BIN_CASE(OP_LTE) BI_BIN_CASE(OP_AND) BI_BIN_CASE(OP_OR) BI_BIN_CASE(OP_XOR)
        default: break;
      }
    } else {
      switch (p.op) {
        BI_BIN_CASE(OP_ADD) BI_BIN_CASE(OP_SUB) BI_BIN_CASE(OP_MUL) BI_BIN_CASE(OP_DIV) BI_BIN_CASE(OP_MOD)
        BI_BIN_CASE(OP_POW) BI_BIN_CASE(OP_MAX) BI_BIN_CASE(OP_MIN) BI_BIN_CASE(OP_CLIP_LO) BI_BIN_CASE(OP_CLIP_HI)
        default: break;
      }
    }
  } else if constexpr (TO == TI && TO != BOOL) {
    if (p.kind == EW_UNARY) {
      // every unary op but the boolean tests and sin/cos/tan (their argument reduction needs a
      // stack frame): the host's list, DataAbi.CONTIGUOUS_UNARY, is checked against this one
      switch (p.op) {
        BI_UN_CASE(U_NEG) BI_UN_CASE(U_ABS) BI_UN_CASE(U_EXP) BI_UN_CASE(U_LOG) BI_UN_CASE(U_LOG2)
        BI_UN_CASE(U_LOG10) BI_UN_CASE(U_SQRT) BI_UN_CASE(U_SQUARE) BI_UN_CASE(U_TANH) BI_UN_CASE(U_SIGMOID)
        BI_UN_CASE(U_RELU) BI_UN_CASE(U_GELU) BI_UN_CASE(U_FLOOR) BI_UN_CASE(U_CEIL) BI_UN_CASE(U_ROUND)
        BI_UN_CASE(U_TRUNC) BI_UN_CASE(U_SIGN) BI_UN_CASE(U_ERF) BI_UN_CASE(U_SOFTPLUS) BI_UN_CASE(U_CBRT)
        BI_UN_CASE(U_SELU)
        default: break;
      }
    } else if constexpr (TI == F32 || TI == F64) {
      if (p.kind == EW_LEAKY_RELU) C::template run<1, true>(p, ActFn<MODE, false>{p.alpha});
      if (p.kind == EW_ELU) C::template run<1, MODE != C_DOUBLE>(p, ActFn<MODE, true>{p.alpha});
    }
  }
}

#undef BI_BIN_CASE
#undef BI_UN_CASE

}  // namespace bi

// BI_CONTIGUOUS(input tag, output tag, mode tag, input type, output type, mode): the
// instantiations DataAbi.contiguousKernel names; a test checks that the two lists agree.
#define BI_CONTIGUOUS(TI_TAG, TO_TAG, M_TAG, TI, TO, MODE)                                      \
  extern "C" __global__ void bi_elementwise_contig_##TI_TAG##_##TO_TAG##_##M_TAG(                \
      const __grid_constant__ bi::ElementwiseParams p) {                                        \
    bi::contiguous_body<TI, TO, MODE>(p);                                                       \
  }

BI_CONTIGUOUS(f32, f32, f, bi::F32, bi::F32, bi::C_FLOAT)
BI_CONTIGUOUS(f16, f16, f, bi::F16, bi::F16, bi::C_FLOAT)
BI_CONTIGUOUS(bf16, bf16, f, bi::BF16, bi::BF16, bi::C_FLOAT)
BI_CONTIGUOUS(f64, f64, d, bi::F64, bi::F64, bi::C_DOUBLE)
BI_CONTIGUOUS(i32, i32, l, bi::I32, bi::I32, bi::C_LONG)
BI_CONTIGUOUS(i64, i64, l, bi::I64, bi::I64, bi::C_LONG)
BI_CONTIGUOUS(f32, bool, d, bi::F32, bi::BOOL, bi::C_DOUBLE)
BI_CONTIGUOUS(f16, bool, d, bi::F16, bi::BOOL, bi::C_DOUBLE)
BI_CONTIGUOUS(bf16, bool, d, bi::BF16, bi::BOOL, bi::C_DOUBLE)
BI_CONTIGUOUS(f64, bool, d, bi::F64, bi::BOOL, bi::C_DOUBLE)
BI_CONTIGUOUS(i32, bool, l, bi::I32, bi::BOOL, bi::C_LONG)
BI_CONTIGUOUS(i64, bool, l, bi::I64, bi::BOOL, bi::C_LONG)
BI_CONTIGUOUS(bool, bool, d, bi::BOOL, bi::BOOL, bi::C_DOUBLE)

// ---------------------------------------------------------------------------------------------
// The gate of a SwiGLU feed-forward layer: rows of 2h (h = shape[0]) hold g and u in alternating
// blocks of b = shape[1] elements (b = h: [g | u]; b = 8: a stacked weight interleaved so that a
// GEMM tile holds both); out element j of a row = silu_mul_one(g, u) of block j / b, offset j % b
// (ew_ops.cuh). Blocks whose elements are 16-byte aligned go 16 bytes at a time.
namespace bi {

// Chunks a thread of the gate's vector path takes at once (CudaElementwise.GATE_CHUNKS).
constexpr int GATE_CHUNKS = 2;

template <int T, int MODE> __device__ void silu_mul_body(const ElementwiseParams& p) {
  typedef typename Storage<T>::type S;
  constexpr int VEC = 16 / sizeof(S);
  typedef Pack<S, VEC> P;
  const long long h = p.shape[0], b = p.shape[1];
  const S* x = static_cast<const S*>(p.a);
  S* o = static_cast<S*>(p.out);
  // element j of row r: g at r * 2h + 2b * (j / b) + j % b, u b further
  auto g_of = [&](long long i) {
    const long long r = i / h, j = i - r * h, blk = j / b;
    return r * 2 * h + blk * 2 * b + (j - blk * b);
  };
  if (b % VEC == 0 && ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(o)) & 15) == 0) {
    // chunk c of VEC outputs: row r, chunk jc of the row, carried from one grid step to the next
    // (64-bit divisions once a thread: two of them a chunk had made the gate instruction-bound).
    // A thread takes GATE_CHUNKS chunks a grid step apart together, every load before any
    // arithmetic: one chunk at a time left too few bytes in flight to hide the loads behind the
    // 16-bit gate's per-element arithmetic (the launcher sizes the grid so that the device stays
    // full). Each output's arithmetic is the same whatever the grid, so are its bits.
    const long long chunks = p.n / VEC;
    const unsigned hv = static_cast<unsigned>(h / VEC), bv = static_cast<unsigned>(b / VEC);
    const long long step = grid_step();
    long long c = grid_start();
    if (c >= chunks) return;
    long long r = c / hv;
    unsigned jc = static_cast<unsigned>(c - r * hv);
    const long long dr = step / hv;
    const unsigned dj = static_cast<unsigned>(step - dr * hv);
    auto advance = [&](long long& row, unsigned& col) {
      row += dr;
      col += dj;
      if (col >= hv) {  // dj < hv: one wrap at most
        col -= hv;
        row++;
      }
    };
    auto g_index = [&](long long row, unsigned col) {
      const unsigned blk = col / bv, off = col - blk * bv;
      return row * 2 * h + static_cast<long long>(blk) * 2 * b + static_cast<long long>(off) * VEC;
    };
    static_assert(GATE_CHUNKS == 2, "the loop below takes two chunks");
#pragma unroll 1
    for (; c < chunks; c += GATE_CHUNKS * step) {
      long long r2 = r;
      unsigned jc2 = jc;
      advance(r2, jc2);
      // past the end (every thread of a grid that covers the chunks once: small gates) the second
      // chunk's loads repeat the first's: no branch around the loads, which are all issued
      // before any arithmetic
      const bool second = c + step < chunks;
      const long long gi = g_index(r, jc), gi2 = second ? g_index(r2, jc2) : gi;
      const P g = *reinterpret_cast<const P*>(x + gi), u = *reinterpret_cast<const P*>(x + gi + b);
      const P g2 = *reinterpret_cast<const P*>(x + gi2), u2 = *reinterpret_cast<const P*>(x + gi2 + b);
      P out;
#pragma unroll
      for (int k = 0; k < VEC; k++) out.e[k] = silu_mul_one<T, MODE>(g.e[k], u.e[k]);
      reinterpret_cast<P*>(o)[c] = out;
      if (second) {
#pragma unroll
        for (int k = 0; k < VEC; k++) out.e[k] = silu_mul_one<T, MODE>(g2.e[k], u2.e[k]);
        reinterpret_cast<P*>(o)[c + step] = out;
      }
      r = r2;
      jc = jc2;
      advance(r, jc);
    }
    return;
  }
#pragma unroll 1
  for (long long i = grid_start(); i < p.n; i += grid_step()) {
    const long long gi = g_of(i);
    o[i] = silu_mul_one<T, MODE>(x[gi], x[gi + b]);
  }
}

}  // namespace bi

#define BI_SILU_MUL(TAG, T, MODE)                                                               \
  extern "C" __global__ void bi_silu_mul_##TAG(const __grid_constant__ bi::ElementwiseParams p) { \
    bi::silu_mul_body<T, MODE>(p);                                                              \
  }

BI_SILU_MUL(f32, bi::F32, bi::C_FLOAT)
BI_SILU_MUL(f16, bi::F16, bi::C_FLOAT)
BI_SILU_MUL(bf16, bi::BF16, bi::C_FLOAT)
BI_SILU_MUL(f64, bi::F64, bi::C_DOUBLE)
