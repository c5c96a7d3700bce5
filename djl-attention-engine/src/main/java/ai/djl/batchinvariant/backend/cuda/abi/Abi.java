/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import ai.djl.batchinvariant.backend.cuda.abi.ParamsLayout.Kind;
import ai.djl.ndarray.types.DataType;

/**
 * The one registry of the kernels' binary interface: each family's params struct (mirrored from
 * {@code kernels/include/bi/*_params.cuh}, field indices as constants) and every kernel symbol
 * the backend loads. Nothing else in the backend spells a kernel name or a field position.
 */
public final class Abi {

    /** Fields of {@code bi::AttnParams} (attention and merge kernels), in declaration order. */
    public static final class Attn {
        public static final int Q = 0;
        public static final int K = 1;
        public static final int V = 2;
        public static final int O = 3;
        public static final int LSE = 4;
        public static final int PART_O = 5;
        public static final int PART_LSE = 6;
        public static final int ITEMS = 7;
        public static final int NUM_ITEMS = 8;
        public static final int QO_INDPTR = 9;
        public static final int KV_INDPTR = 10;
        public static final int KV_INDICES = 11;
        public static final int KV_LENS = 12;
        public static final int PART_INDPTR = 13;
        public static final int MERGE_INDPTR = 14;
        public static final int ROPE_COS = 15;
        public static final int ROPE_SIN = 16;
        public static final int ALIBI = 17;
        public static final int NUM_MERGE_ROWS = 18;
        public static final int PAGED = 19;
        public static final int PAGE_SIZE = 20;
        public static final int STRIDE_PAGE = 21;
        public static final int STRIDE_SLOT = 22;
        public static final int STRIDE_HEAD = 23;
        public static final int NUM_QO_HEADS = 24;
        public static final int NUM_KV_HEADS = 25;
        public static final int SPLIT_SIZE = 26;
        public static final int CAUSAL = 27;
        public static final int WINDOW_LEFT = 28;
        public static final int POS_MODE = 29;
        public static final int SM_SCALE = 30;
        public static final int SOFT_CAP = 31;
        public static final int BATCH = 32;
        public static final int SPLIT_INV = 33;
        public static final int SPLIT_ROT = 34;
        public static final int SPLIT_LIM = 35;
        public static final int KV_TMA = 36;
        public static final int K_MAP = 37;
        public static final int V_MAP = 38;

        private Attn() {}
    }

    /** Fields of {@code bi::KvAppendParams}. */
    public static final class KvAppend {
        public static final int SRC_K = 0;
        public static final int SRC_V = 1;
        public static final int DST_K = 2;
        public static final int DST_V = 3;
        public static final int DST_OFFSETS = 4;
        public static final int VECTORS = 5;
        public static final int COUNT = 6;
        public static final int ROPE_COS = 7;
        public static final int ROPE_SIN = 8;
        public static final int POSITIONS = 9;

        private KvAppend() {}
    }

    /** Fields of {@code bi::GemmParams}. */
    public static final class Gemm {
        public static final int A = 0;
        public static final int B = 1;
        public static final int BIAS = 2;
        public static final int C = 3;
        public static final int PARTIAL = 4;
        public static final int SA0 = 5;
        public static final int SA1 = 6;
        public static final int SB0 = 7;
        public static final int SB1 = 8;
        public static final int SC = 9;
        public static final int M = 10;
        public static final int N = 11;
        public static final int K = 12;
        public static final int BATCH1 = 13;
        public static final int BATCHES = 14;
        public static final int B_NK = 15;
        public static final int SPLITS = 16;
        public static final int SPLIT_K = 17;
        public static final int ACT = 18;
        public static final int SPLIT_WS = 19;
        public static final int C_MAP = 20;

        private Gemm() {}
    }

    /** Fields of {@code bi::ReduceParams}. */
    public static final class Reduce {
        public static final int IN = 0;
        public static final int OUT = 1;
        public static final int OUTER = 2;
        public static final int N = 3;
        public static final int INNER = 4;
        public static final int KIND = 5;

        private Reduce() {}
    }

    /** Fields of {@code bi::NormParams}. */
    public static final class Norm {
        public static final int X = 0;
        public static final int GAMMA = 1;
        public static final int BETA = 2;
        public static final int Y = 3;
        public static final int ROWS = 4;
        public static final int N = 5;
        public static final int RMS = 6;
        public static final int EPS = 7;
        public static final int MEAN = 8;
        public static final int VAR = 9;
        public static final int INNER = 10;
        public static final int CHANNELS = 11;
        public static final int ROUND_FIRST = 12;
        public static final int RESIDUAL = 13;
        public static final int SUM_OUT = 14;

        private Norm() {}
    }

    /** Fields of {@code bi::ConvParams}. */
    public static final class Conv {
        public static final int X = 0;
        public static final int W = 1;
        public static final int BIAS = 2;
        public static final int Y = 3;
        public static final int TOTAL = 4;
        public static final int PLANE = 5;
        public static final int KIND = 6;
        public static final int TYPE_X = 7;
        public static final int TYPE_W = 8;
        public static final int TYPE_B = 9;
        public static final int C = 10;
        public static final int O = 11;
        public static final int CG = 12;
        public static final int OG = 13;
        public static final int IN0 = 14;
        public static final int IN1 = 15;
        public static final int IN2 = 16;
        public static final int K0 = 17;
        public static final int K1 = 18;
        public static final int K2 = 19;
        public static final int S0 = 20;
        public static final int S1 = 21;
        public static final int S2 = 22;
        public static final int P0 = 23;
        public static final int P1 = 24;
        public static final int P2 = 25;
        public static final int D0 = 26;
        public static final int D1 = 27;
        public static final int D2 = 28;
        public static final int OUT0 = 29;
        public static final int OUT1 = 30;
        public static final int OUT2 = 31;
        /** {@code bi::ConvKind} values. */
        public static final int KIND_FORWARD = 0;
        public static final int KIND_GLOBAL_AVG = 1;
        public static final int KIND_GLOBAL_MAX = 2;

        private Conv() {}
    }

    /** Layout of {@code bi::AttnParams}. */
    public static final ParamsLayout ATTN = new ParamsLayout("AttnParams",
            new String[] {"q", "k", "v", "o", "lse", "part_o", "part_lse", "items", "num_items", "qo_indptr",
                "kv_indptr", "kv_indices", "kv_lens", "part_indptr", "merge_indptr", "rope_cos", "rope_sin", "alibi",
                "num_merge_rows",
                "paged", "page_size", "stride_page", "stride_slot", "stride_head", "num_qo_heads", "num_kv_heads",
                "split_size", "causal", "window_left", "pos_mode", "sm_scale", "soft_cap", "batch",
                "split_inv", "split_rot", "split_lim", "kv_tma", "k_map", "v_map"},
            ParamsLayout.kinds(19, Kind.PTR, 11, Kind.I32, 2, Kind.F32, 5, Kind.I32, 2, Kind.MAP));

    /** Layout of {@code bi::KvAppendParams}. */
    public static final ParamsLayout KV_APPEND = new ParamsLayout("KvAppendParams",
            new String[] {"src_k", "src_v", "dst_k", "dst_v", "dst_offsets", "vectors", "count", "rope_cos", "rope_sin",
                "positions"},
            ParamsLayout.kinds(5, Kind.PTR, 2, Kind.I32, 3, Kind.PTR));

    /** Layout of {@code bi::GemmParams}. */
    public static final ParamsLayout GEMM = new ParamsLayout("GemmParams",
            new String[] {"a", "b", "bias", "c", "partial", "sa0", "sa1", "sb0", "sb1", "sc", "m", "n", "k", "batch1",
                "batches", "b_nk", "splits", "split_k", "act", "split_ws", "c_map"},
            ParamsLayout.kinds(5, Kind.PTR, 5, Kind.I64, 9, Kind.I32, 1, Kind.PTR, 1, Kind.I32));

    /** Layout of {@code bi::ReduceParams}. */
    public static final ParamsLayout REDUCE = new ParamsLayout("ReduceParams",
            new String[] {"in", "out", "outer", "n", "inner", "kind"}, ParamsLayout.kinds(2, Kind.PTR, 3, Kind.I64, 1, Kind.I32));

    /** Layout of {@code bi::NormParams}. */
    public static final ParamsLayout NORM = new ParamsLayout("NormParams",
            new String[] {"x", "gamma", "beta", "y", "rows", "n", "rms", "eps", "mean", "var", "inner", "channels",
                "round_first", "residual", "sum_out"},
            ParamsLayout.kinds(4, Kind.PTR, 1, Kind.I64, 2, Kind.I32, 1, Kind.F32, 2, Kind.PTR, 1, Kind.I64, 2, Kind.I32,
                    2, Kind.PTR));

    /** Layout of {@code bi::ConvParams}. */
    public static final ParamsLayout CONV = new ParamsLayout("ConvParams", new String[] {"x", "w", "bias", "y", "total", "plane", "kind", "type_x", "type_w", "type_b", "c", "o", "cg", "og", "in0", "in1", "in2", "k0", "k1", "k2", "s0", "s1", "s2", "p0", "p1", "p2", "d0", "d1", "d2", "out0", "out1", "out2"},
            ParamsLayout.kinds(4, Kind.PTR, 2, Kind.I64, 26, Kind.I32));

    /** Every layout, for the ABI test. */
    public static final ParamsLayout[] ALL = {ATTN, KV_APPEND, GEMM, REDUCE, NORM, CONV, DataAbi.ELEMENTWISE,
        DataAbi.COPY, DataAbi.GATHER};

    /** Kernel module (fatbin) of the attention kernels. */
    public static final String MODULE_ATTENTION = "attention";
    /** Kernel module of the state merge. */
    public static final String MODULE_MERGE = "merge";
    /** Kernel module of KV append. */
    public static final String MODULE_KV_APPEND = "kv_append";
    /** Kernel module of convolution and global pooling. */
    public static final String MODULE_CONV = "conv";
    /** Kernel module of the GEMM family. */
    public static final String MODULE_GEMM = "gemm";
    /** Kernel module of the Hopper (sm_90a) GEMM kernels, present where nvcc built it. */
    public static final String MODULE_GEMM_SM90 = "gemm_sm90";
    /** Kernel module of the Hopper (sm_90a) attention kernels, present where nvcc built it. */
    public static final String MODULE_ATTENTION_SM90 = "attention_sm90";
    /** Kernel module of reductions, arg-extremes and softmax. */
    public static final String MODULE_REDUCE = "reduce";
    /** Kernel module of layer and RMS normalisation. */
    public static final String MODULE_NORM = "norm";

    private Abi() {}

    private static String tag(DataType t) {
        switch (t) {
            case FLOAT32:
                return "f32";
            case FLOAT16:
                return "f16";
            case BFLOAT16:
                return "bf16";
            case FLOAT64:
                return "f64";
            case INT8:
                return "i8";
            case UINT8:
            case BOOLEAN:
                return "u8";
            case INT32:
                return "i32";
            case INT64:
                return "i64";
            default:
                throw new IllegalArgumentException("no kernel variant for dtype " + t);
        }
    }

    /**
     * Returns the attention kernel of a variant.
     *
     * @param type float16 or bfloat16
     * @param headDim 64, 128 or 256
     * @return the symbol
     */
    public static String attentionKernel(DataType type, int headDim) {
        return "bi_attention_" + tag(type) + "_d" + headDim;
    }

    /**
     * Returns the Hopper (sm_90a) attention kernel of a variant.
     *
     * @param type float16 or bfloat16
     * @param headDim 64, 128 or 256
     * @param pages16 the variant for paged KV whose page size is a multiple of 16 (a warp's 16
     *     consecutive positions in one page: one page lookup a warp a tile); the same bits
     * @return the symbol
     */
    public static String attention90Kernel(DataType type, int headDim, boolean pages16) {
        return "bi_attention90_" + (pages16 ? "pages16_" : "") + tag(type) + "_d" + headDim;
    }

    /**
     * Returns the merge kernel of a variant.
     *
     * @param type float16 or bfloat16
     * @param headDim 64, 128 or 256
     * @return the symbol
     */
    public static String mergeKernel(DataType type, int headDim) {
        return "bi_merge_" + tag(type) + "_d" + headDim;
    }

    /** The KV append kernel. */
    public static final String KV_APPEND_KERNEL = "bi_kv_append";

    /**
     * Returns the KV append that stores keys rotated ({@code BI_KV_APPEND_ROPE} in kv_append.cu).
     *
     * @param type float16 or bfloat16
     * @return the symbol
     */
    public static String kvAppendRopeKernel(DataType type) {
        return "bi_kv_append_rope_" + tag(type);
    }

    /**
     * Returns a GEMM kernel: tensor cores for float16/bfloat16 (with an output tile of
     * {@code tileM} x 128), FMA for float32/float64 (64 x 64 tiles; tileM is ignored).
     *
     * @param type the element type
     * @param weightNk true when the right operand is stored [n][k] (a linear layer's weight)
     * @param tileM 64 or 128 output rows per block (tensor-core kernels)
     * @return the symbol
     */
    public static String gemmKernel(DataType type, boolean weightNk, int tileM) {
        String base = "bi_gemm_" + tag(type) + (weightNk ? "_nk" : "_kn");
        boolean tensorCores = type == DataType.FLOAT16 || type == DataType.BFLOAT16;
        return tensorCores ? base + "_" + tileM + "x128" : base;
    }

    /**
     * Returns a Hopper GEMM kernel (warpgroup MMA, [n][k] weight): float16 or bfloat16 with an
     * output tile of {@code tileM} x {@code tileN}.
     *
     * @param type float16 or bfloat16
     * @param tileM 128 or 64
     * @param tileN 256, 128 or 32 (with tileM 64), 256 (with tileM 128)
     * @return the symbol
     */
    public static String gemmSm90Kernel(DataType type, int tileM, int tileN) {
        return "bi_gemm90_" + tag(type) + "_nk_" + tileM + "x" + tileN;
    }

    /**
     * Returns a Hopper GEMM tile fed by the copy engine (384 threads; arguments: the params struct,
     * then the tensor maps of A and of the [n][k] weight).
     *
     * @param type float16 or bfloat16
     * @param tileM 128 or 64
     * @param tileN 256 or 128 (with tileM 64), 256 (with tileM 128)
     * @return the symbol
     */
    public static String gemmSm90TmaKernel(DataType type, int tileM, int tileN) {
        return gemmSm90Kernel(type, tileM, tileN) + "_tma";
    }

    /**
     * Returns the kernel that sums split-K partials in split order and applies the epilogue.
     *
     * @param type the output type (float32, float16 or bfloat16)
     * @return the symbol
     */
    public static String gemmSumKernel(DataType type) {
        return "bi_gemm_sum_" + tag(type);
    }

    /**
     * Returns a reduction kernel.
     *
     * @param type the input type (booleans read as uint8)
     * @param rows true for a reduction over the trailing axes (one warp or block per output),
     *     false for a strided one (one thread per output)
     * @return the symbol
     */
    public static String reduceKernel(DataType type, boolean rows) {
        return "bi_reduce_" + (rows ? "rows_" : "cols_") + tag(type);
    }

    /**
     * Returns the long-row reduction kernel of a type (rows longer than reduce.cu's ROW_BLOCK_MAX,
     * one row per block of {@link #REDUCE_LONG_THREADS}).
     *
     * @param type the input type
     * @return the symbol
     */
    public static String reduceLongRowsKernel(DataType type) {
        return "bi_reduce_long_rows_" + tag(type);
    }

    /** Longest row the 256-thread row kernel reduces (reduce.cu's ROW_BLOCK_MAX). */
    public static final int REDUCE_ROW_BLOCK_MAX = 8192;
    /** Threads of the long-row kernel (reduce.cu's LONG_THREADS). */
    public static final int REDUCE_LONG_THREADS = 1024;

    /**
     * Returns the row-normalisation kernel of a type.
     *
     * @param type float32, float16, bfloat16 or float64
     * @return the symbol
     */
    public static String normKernel(DataType type) {
        return "bi_norm_" + tag(type);
    }

    /**
     * Returns a single-pass row-normalisation kernel ({@code BI_NORM_ROWS} in norm.cu).
     *
     * @param type float32, float16 or bfloat16
     * @param maxRow the variant's longest row (a power of two, 512 to 32768)
     * @param rms true for RMS norm, false for layer norm
     * @return the symbol
     */
    public static String normRowsKernel(DataType type, int maxRow, boolean rms) {
        return (rms ? "bi_rms_norm_rows_" : "bi_layer_norm_rows_") + tag(type) + "_" + maxRow;
    }

    /**
     * Returns a single-pass softmax kernel ({@code BI_SOFTMAX_ROWS} in reduce.cu).
     *
     * @param type float32, float16 or bfloat16
     * @param maxRow the variant's longest row (a power of two, 512 to 32768)
     * @param log true for log-softmax
     * @return the symbol
     */
    public static String softmaxRowsKernel(DataType type, int maxRow, boolean log) {
        return (log ? "bi_log_softmax_rows_" : "bi_softmax_rows_") + tag(type) + "_" + maxRow;
    }

    /**
     * Returns the batch-normalisation kernel of a type.
     *
     * @param type float32, float16, bfloat16 or float64
     * @return the symbol
     */
    public static String batchNormKernel(DataType type) {
        return "bi_batch_norm_" + tag(type);
    }

    /**
     * Returns the convolution / global-pooling kernel writing an output type.
     *
     * @param out float32, float64, float16 or bfloat16
     * @return the symbol
     */
    public static String convKernel(DataType out) {
        return "bi_conv_" + tag(out);
    }
}
