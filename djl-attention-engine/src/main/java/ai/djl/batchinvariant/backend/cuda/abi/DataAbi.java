/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import ai.djl.batchinvariant.backend.cuda.abi.ParamsLayout.Kind;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * The binary interface of the element-wise, copy and gather families ({@code
 * kernels/include/bi/data_params.cuh}): field indices, layouts, kernel symbols and the storage
 * type codes. Kept beside {@link Abi}, which lists these layouts among {@link Abi#ALL}.
 */
public final class DataAbi {

    /** Fields of {@code bi::ElementwiseParams}. */
    public static final class Elementwise {
        public static final int A = 0;
        public static final int B = 1;
        public static final int C = 2;
        public static final int OUT = 3;
        public static final int ERROR = 4;
        public static final int SHAPE = 5;
        public static final int STRIDE_A = 6;
        public static final int STRIDE_B = 7;
        public static final int STRIDE_C = 8;
        public static final int N = 9;
        public static final int VALUE_BITS = 10;
        public static final int RANK = 11;
        public static final int KIND = 12;
        public static final int OP = 13;
        public static final int TYPE_A = 14;
        public static final int TYPE_B = 15;
        public static final int TYPE_C = 16;
        public static final int MODE = 17;
        public static final int FLAGS = 18;
        public static final int ALPHA = 19;

        /** {@code bi::EwKind}: what the kernel computes. */
        public static final int KIND_UNARY = 0;
        public static final int KIND_BINARY = 1;
        public static final int KIND_WHERE = 2;
        public static final int KIND_LEAKY_RELU = 3;
        public static final int KIND_ELU = 4;
        public static final int KIND_ALL_EQUAL = 5;

        private Elementwise() {}
    }

    /** Fields of {@code bi::CopyParams}. */
    public static final class Copy {
        public static final int IN = 0;
        public static final int OUT = 1;
        public static final int SHAPE = 2;
        public static final int STRIDE_IN = 3;
        public static final int STRIDE_OUT = 4;
        public static final int IN_OFFSET = 5;
        public static final int OUT_OFFSET = 6;
        public static final int N = 7;
        public static final int FILL_BITS = 8;
        public static final int RANK = 9;
        public static final int TYPE_IN = 10;
        public static final int MODE = 11;

        private Copy() {}
    }

    /** Fields of {@code bi::GatherParams}. */
    public static final class Gather {
        public static final int SRC = 0;
        public static final int INDEX = 1;
        public static final int OUT = 2;
        public static final int BAD = 3;
        public static final int SHAPE = 4;
        public static final int STRIDE_SRC = 5;
        public static final int STRIDE_IDX = 6;
        public static final int AXIS_STRIDE = 7;
        public static final int AXIS_LEN = 8;
        public static final int N = 9;
        public static final int IDX_STEP = 10;
        public static final int ON_BITS = 11;
        public static final int OFF_BITS = 12;
        public static final int RANK = 13;
        public static final int PARTS = 14;
        public static final int TYPE_INDEX = 15;
        public static final int KIND = 16;

        /** {@code bi::GatherKind}. */
        public static final int KIND_GATHER = 0;
        public static final int KIND_ONE_HOT = 1;
        public static final int KIND_SEQUENCE_MASK = 2;

        private Gather() {}
    }

    /** {@code bi::Compute}: arithmetic in long, float, double, or a bit copy. */
    public static final int MODE_LONG = 0;
    /** Arithmetic in float32. */
    public static final int MODE_FLOAT = 1;
    /** Arithmetic in float64. */
    public static final int MODE_DOUBLE = 2;
    /** A copy of the storage bits (same type in and out). */
    public static final int MODE_RAW = 3;

    /** Layout of {@code bi::ElementwiseParams}. */
    public static final ParamsLayout ELEMENTWISE = new ParamsLayout("ElementwiseParams",
            new String[] {"a", "b", "c", "out", "error", "shape", "stride_a", "stride_b", "stride_c", "n",
                "value_bits", "rank", "kind", "op", "type_a", "type_b", "type_c", "mode", "flags", "alpha"},
            ParamsLayout.kinds(5, Kind.PTR, 4, Kind.I64X8, 2, Kind.I64, 8, Kind.I32, 1, Kind.F32));

    /** Layout of {@code bi::CopyParams}. */
    public static final ParamsLayout COPY = new ParamsLayout("CopyParams",
            new String[] {"in", "out", "shape", "stride_in", "stride_out", "in_offset", "out_offset", "n",
                "fill_bits", "rank", "type_in", "mode", "pad"},
            ParamsLayout.kinds(2, Kind.PTR, 3, Kind.I64X8, 4, Kind.I64, 4, Kind.I32));

    /** Layout of {@code bi::GatherParams}. */
    public static final ParamsLayout GATHER = new ParamsLayout("GatherParams",
            new String[] {"src", "index", "out", "bad", "shape", "stride_src", "stride_idx", "axis_stride",
                "axis_len", "n", "idx_step", "on_bits", "off_bits", "rank", "parts", "type_index", "kind"},
            ParamsLayout.kinds(4, Kind.PTR, 5, Kind.I64X8, 4, Kind.I64, 4, Kind.I32));

    /** Kernel module of the element-wise family. */
    public static final String MODULE_ELEMENTWISE = "elementwise";
    /** Kernel module of the strided copy. */
    public static final String MODULE_COPY = "copy";
    /** Kernel module of gathers. */
    public static final String MODULE_GATHER = "gather";
    /** The index check run before a gather. */
    public static final String GATHER_CHECK_KERNEL = "bi_gather_check";

    /** Storage types in {@code bi::DType} order. */
    private static final DataType[] DTYPE_CODES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16,
        DataType.BFLOAT16, DataType.INT8, DataType.UINT8, DataType.INT32, DataType.INT64, DataType.BOOLEAN};
    private static final String[] TAGS = {"f32", "f64", "f16", "bf16", "i8", "u8", "i32", "i64", "bool"};

    private DataAbi() {}

    /**
     * Returns a storage type's {@code bi::DType} code.
     *
     * @param t the type
     * @return the code
     * @throws IllegalArgumentException for a type without kernels
     */
    public static int dtypeCode(DataType t) {
        for (int i = 0; i < DTYPE_CODES.length; i++) {
            if (DTYPE_CODES[i] == t) {
                return i;
            }
        }
        throw new IllegalArgumentException("no kernel variant for dtype " + t);
    }

    /**
     * Returns the element-wise kernel writing a type.
     *
     * @param out the output type
     * @return the symbol
     */
    public static String elementwiseKernel(DataType out) {
        return "bi_elementwise_" + TAGS[dtypeCode(out)];
    }

    /**
     * Returns the SwiGLU gate kernel of a floating type ({@code BI_SILU_MUL} in elementwise.cu).
     *
     * @param type float32, float64, float16 or bfloat16
     * @return the kernel name
     */
    public static String siluMulKernel(DataType type) {
        return "bi_silu_mul_" + TAGS[dtypeCode(type)];
    }

    /**
     * The contiguous element-wise kernels ({@code BI_CONTIGUOUS} in elementwise.cu): input type,
     * output type and arithmetic of each, in the kernel file's order.
     */
    private static final Object[][] CONTIGUOUS = {
        {DataType.FLOAT32, DataType.FLOAT32, MODE_FLOAT}, {DataType.FLOAT16, DataType.FLOAT16, MODE_FLOAT},
        {DataType.BFLOAT16, DataType.BFLOAT16, MODE_FLOAT}, {DataType.FLOAT64, DataType.FLOAT64, MODE_DOUBLE},
        {DataType.INT32, DataType.INT32, MODE_LONG}, {DataType.INT64, DataType.INT64, MODE_LONG},
        {DataType.FLOAT32, DataType.BOOLEAN, MODE_DOUBLE}, {DataType.FLOAT16, DataType.BOOLEAN, MODE_DOUBLE},
        {DataType.BFLOAT16, DataType.BOOLEAN, MODE_DOUBLE}, {DataType.FLOAT64, DataType.BOOLEAN, MODE_DOUBLE},
        {DataType.INT32, DataType.BOOLEAN, MODE_LONG}, {DataType.INT64, DataType.BOOLEAN, MODE_LONG},
        {DataType.BOOLEAN, DataType.BOOLEAN, MODE_DOUBLE}};
    private static final String[] MODE_TAGS = {"l", "f", "d"};

    /**
     * Returns the contiguous element-wise kernel of a type combination: every input of type
     * {@code in}, the output of type {@code out}, arithmetic {@code mode}.
     *
     * @param in the inputs' type
     * @param out the output type
     * @param mode {@link #MODE_LONG}, {@link #MODE_FLOAT} or {@link #MODE_DOUBLE}
     * @return the symbol, or null where elementwise.cu has no such instantiation
     */
    public static String contiguousKernel(DataType in, DataType out, int mode) {
        for (Object[] c : CONTIGUOUS) {
            if (c[0] == in && c[1] == out && (Integer) c[2] == mode) {
                return "bi_elementwise_contig_" + TAGS[dtypeCode(in)] + "_" + TAGS[dtypeCode(out)] + "_"
                        + MODE_TAGS[mode];
            }
        }
        return null;
    }

    /**
     * Returns every contiguous element-wise kernel, in elementwise.cu's order.
     *
     * @return the symbols
     */
    public static List<String> contiguousKernels() {
        List<String> out = new ArrayList<>();
        for (Object[] c : CONTIGUOUS) {
            out.add(contiguousKernel((DataType) c[0], (DataType) c[1], (Integer) c[2]));
        }
        return out;
    }

    /**
     * Returns the copy kernel writing a type.
     *
     * @param out the output type
     * @return the symbol
     */
    public static String copyKernel(DataType out) {
        return "bi_copy_" + TAGS[dtypeCode(out)];
    }

    /**
     * Returns the gather kernel of a storage type.
     *
     * @param out the output type
     * @return the symbol
     */
    public static String gatherKernel(DataType out) {
        return "bi_gather_" + TAGS[dtypeCode(out)];
    }
}
