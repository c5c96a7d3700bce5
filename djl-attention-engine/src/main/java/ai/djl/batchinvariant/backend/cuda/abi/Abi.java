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
        public static final int ROPE_COS = 14;
        public static final int ROPE_SIN = 15;
        public static final int ALIBI = 16;
        public static final int NUM_ROWS = 17;
        public static final int PAGED = 18;
        public static final int PAGE_SIZE = 19;
        public static final int STRIDE_PAGE = 20;
        public static final int STRIDE_SLOT = 21;
        public static final int STRIDE_HEAD = 22;
        public static final int NUM_QO_HEADS = 23;
        public static final int NUM_KV_HEADS = 24;
        public static final int SPLIT_SIZE = 25;
        public static final int CAUSAL = 26;
        public static final int WINDOW_LEFT = 27;
        public static final int POS_MODE = 28;
        public static final int SM_SCALE = 29;
        public static final int SOFT_CAP = 30;
        public static final int BATCH = 31;

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

        private KvAppend() {}
    }

    /** Fields of {@code bi::LinearParams}. */
    public static final class Linear {
        public static final int X = 0;
        public static final int W = 1;
        public static final int BIAS = 2;
        public static final int Y = 3;
        public static final int M = 4;
        public static final int N = 5;
        public static final int K = 6;

        private Linear() {}
    }

    /** Fields of {@code bi::CastParams}. */
    public static final class Cast {
        public static final int IN = 0;
        public static final int OUT = 1;
        public static final int N = 2;

        private Cast() {}
    }

    /** Layout of {@code bi::AttnParams}. */
    public static final ParamsLayout ATTN = new ParamsLayout("AttnParams",
            new String[] {"q", "k", "v", "o", "lse", "part_o", "part_lse", "items", "num_items", "qo_indptr",
                "kv_indptr", "kv_indices", "kv_lens", "part_indptr", "rope_cos", "rope_sin", "alibi", "num_rows",
                "paged", "page_size", "stride_page", "stride_slot", "stride_head", "num_qo_heads", "num_kv_heads",
                "split_size", "causal", "window_left", "pos_mode", "sm_scale", "soft_cap", "batch"},
            kinds(18, Kind.PTR, 11, Kind.I32, 2, Kind.F32, 1, Kind.I32));

    /** Layout of {@code bi::KvAppendParams}. */
    public static final ParamsLayout KV_APPEND = new ParamsLayout("KvAppendParams",
            new String[] {"src_k", "src_v", "dst_k", "dst_v", "dst_offsets", "vectors", "count"},
            kinds(5, Kind.PTR, 2, Kind.I32));

    /** Layout of {@code bi::LinearParams}. */
    public static final ParamsLayout LINEAR = new ParamsLayout("LinearParams",
            new String[] {"x", "w", "bias", "y", "m", "n", "k"}, kinds(4, Kind.PTR, 3, Kind.I32));

    /** Layout of {@code bi::CastParams}. */
    public static final ParamsLayout CAST = new ParamsLayout("CastParams", new String[] {"in", "out", "n"},
            kinds(2, Kind.PTR, 1, Kind.I64));

    /** Every layout, for the ABI test. */
    public static final ParamsLayout[] ALL = {ATTN, KV_APPEND, LINEAR, CAST, DataAbi.ELEMENTWISE, DataAbi.COPY,
        DataAbi.GATHER};

    /** Kernel module (fatbin) of the attention kernels. */
    public static final String MODULE_ATTENTION = "attention";
    /** Kernel module of the state merge. */
    public static final String MODULE_MERGE = "merge";
    /** Kernel module of KV append. */
    public static final String MODULE_KV_APPEND = "kv_append";
    /** Kernel module of linear. */
    public static final String MODULE_LINEAR = "linear";
    /** Kernel module of casts. */
    public static final String MODULE_CAST = "cast";

    private Abi() {}

    private static Kind[] kinds(Object... runs) {
        int n = 0;
        for (int i = 0; i < runs.length; i += 2) {
            n += (Integer) runs[i];
        }
        Kind[] k = new Kind[n];
        int at = 0;
        for (int i = 0; i < runs.length; i += 2) {
            for (int j = 0; j < (Integer) runs[i]; j++) {
                k[at++] = (Kind) runs[i + 1];
            }
        }
        return k;
    }

    private static String tag(DataType t) {
        switch (t) {
            case FLOAT32:
                return "f32";
            case FLOAT16:
                return "f16";
            case BFLOAT16:
                return "bf16";
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
     * Returns the merge kernel of a variant.
     *
     * @param type float16 or bfloat16
     * @param headDim 64, 128 or 256
     * @return the symbol
     */
    public static String mergeKernel(DataType type, int headDim) {
        return "bi_merge_" + tag(type) + "_d" + headDim;
    }

    /**
     * Returns the cast kernel between two types.
     *
     * @param from the source type
     * @param to the target type
     * @return the symbol
     */
    public static String castKernel(DataType from, DataType to) {
        return "bi_cast_" + tag(from) + "_" + tag(to);
    }

    /** The KV append kernel. */
    public static final String KV_APPEND_KERNEL = "bi_kv_append";

    /** The float32 linear kernel. */
    public static final String LINEAR_KERNEL = "bi_linear_f32";
}
