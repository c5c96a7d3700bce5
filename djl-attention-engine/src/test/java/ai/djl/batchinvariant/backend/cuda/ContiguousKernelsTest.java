/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi.Elementwise;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's choice between the contiguous and the strided element-wise kernels, without a GPU:
 * only operands laid out like the output or single values, of one type, take a contiguous kernel,
 * and only one the kernel file instantiates; the lists on both sides agree and the built module
 * carries every symbol.
 */
class ContiguousKernelsTest {

    private static final int F = DataAbi.MODE_FLOAT;
    private static final int D = DataAbi.MODE_DOUBLE;
    private static final int L = DataAbi.MODE_LONG;

    private static StridedArgs args(Shape out, Shape... in) {
        long[][] st = new long[3][];
        for (int i = 0; i < 3; i++) {
            st[i] = i < in.length ? StridedArgs.broadcast(in[i], out) : new long[out.dimension()];
        }
        return StridedArgs.of(out.getShape(), st);
    }

    private static String binary(Shape out, Shape a, Shape b, DataType ta, DataType tb, DataType to, int mode) {
        return ContiguousKernels.kernel(args(out, a, b), Elementwise.KIND_BINARY, null, ta, tb, to, mode);
    }

    @Test
    void sameShapesAndSingleValuesTakeTheContiguousKernel() {
        Shape m = new Shape(64, 33);
        DataType f32 = DataType.FLOAT32;
        assertEquals("bi_elementwise_contig_f32_f32_f", binary(m, m, m, f32, f32, f32, F));
        assertEquals("bi_elementwise_contig_f32_f32_f", binary(m, m, new Shape(), f32, f32, f32, F), "a rank-0 operand");
        assertEquals("bi_elementwise_contig_f32_f32_f", binary(m, new Shape(1, 1), m, f32, f32, f32, F));
        assertEquals("bi_elementwise_contig_f32_f32_f", binary(new Shape(1, 4), new Shape(4), new Shape(1, 4), f32,
                f32, f32, F), "leading axes of length 1");
        assertEquals("bi_elementwise_contig_f32_f32_f", binary(new Shape(), new Shape(), new Shape(), f32, f32, f32, F));
        assertEquals("bi_elementwise_contig_bf16_bool_d", binary(m, m, m, DataType.BFLOAT16, DataType.BFLOAT16,
                DataType.BOOLEAN, D));
        assertEquals("bi_elementwise_contig_i64_i64_l", binary(m, m, m, DataType.INT64, DataType.INT64,
                DataType.INT64, L));
        assertEquals("bi_elementwise_contig_f16_f16_f", ContiguousKernels.kernel(args(m, m), Elementwise.KIND_UNARY,
                UnaryOp.GELU, DataType.FLOAT16, null, DataType.FLOAT16, F));
        assertEquals("bi_elementwise_contig_f64_f64_d", ContiguousKernels.kernel(args(m, m), Elementwise.KIND_ELU,
                null, DataType.FLOAT64, null, DataType.FLOAT64, D));
    }

    @Test
    void everythingElseTakesTheStridedKernel() {
        Shape m = new Shape(64, 33);
        DataType f32 = DataType.FLOAT32;
        assertNull(binary(m, m, new Shape(33), f32, f32, f32, F), "a broadcast row");
        assertNull(binary(m, new Shape(64, 1), m, f32, f32, f32, F), "a broadcast column");
        assertNull(binary(m, m, m, f32, DataType.BFLOAT16, f32, F), "mixed input types");
        assertNull(binary(m, m, m, DataType.INT32, DataType.INT32, f32, F), "integer true division");
        assertNull(binary(m, m, m, DataType.INT32, DataType.INT32, DataType.BOOLEAN, D), "integer logic");
        assertNull(binary(m, m, m, DataType.INT8, DataType.INT8, DataType.INT8, L), "no int8 instantiation");
        assertNull(ContiguousKernels.kernel(args(m, m), Elementwise.KIND_UNARY, UnaryOp.SIN, f32, null, f32, F));
        assertNull(ContiguousKernels.kernel(args(m, m), Elementwise.KIND_UNARY, UnaryOp.ISNAN, f32, null,
                DataType.BOOLEAN, D));
        assertNull(ContiguousKernels.kernel(args(m, m), Elementwise.KIND_UNARY, UnaryOp.EXP, DataType.INT32, null,
                f32, F), "an integer exp writes float32");
        assertNull(ContiguousKernels.kernel(args(m, m), Elementwise.KIND_LEAKY_RELU, null, DataType.BFLOAT16, null,
                f32, F), "a bfloat16 activation writes float32");
        assertNull(ContiguousKernels.kernel(args(m, m, m, m), Elementwise.KIND_WHERE, null, f32, f32, f32, D));
        // a transposed operand: same size, another layout (no rank-1 walk)
        StridedArgs t = StridedArgs.of(new long[] {4, 8}, new long[] {1, 4}, new long[] {8, 1}, new long[2]);
        assertNull(ContiguousKernels.kernel(t, Elementwise.KIND_BINARY, null, f32, f32, f32, F));
    }

    @Test
    void aLaunchHasAThreadPerSixteenBytes() {
        assertEquals(4, ContiguousKernels.items(DataType.FLOAT32, DataType.FLOAT32, 16));
        assertEquals(5, ContiguousKernels.items(DataType.FLOAT32, DataType.FLOAT32, 17));
        assertEquals(2, ContiguousKernels.items(DataType.BFLOAT16, DataType.BFLOAT16, 16));
        assertEquals(4, ContiguousKernels.items(DataType.FLOAT32, DataType.BOOLEAN, 16), "the wider operand sets it");
        assertEquals(1, ContiguousKernels.items(DataType.BOOLEAN, DataType.BOOLEAN, 16));
        assertEquals(1, ContiguousKernels.items(DataType.FLOAT64, DataType.FLOAT64, 1));
    }

    private static String kernelFile() throws IOException {
        return Files.readString(Paths.get("../kernels/src/elementwise.cu"));
    }

    @Test
    void theKernelFileInstantiatesExactlyTheHostsList() throws IOException {
        Matcher m = Pattern.compile("^BI_CONTIGUOUS\\((\\w+), (\\w+), (\\w+),", Pattern.MULTILINE).matcher(kernelFile());
        List<String> c = new ArrayList<>();
        while (m.find()) {
            c.add("bi_elementwise_contig_" + m.group(1) + "_" + m.group(2) + "_" + m.group(3));
        }
        assertEquals(DataAbi.contiguousKernels(), c);
        byte[] module = KernelSymbols.fatbin("elementwise");
        for (String k : c) {
            KernelSymbols.assertHas(module, k);
        }
        assertThrows(AssertionError.class, () -> KernelSymbols.assertHas(module, "bi_elementwise_contig_i8_i8_l"));
    }

    @Test
    void theKernelsUnaryOpsAreTheHostsList() throws IOException {
        Matcher m = Pattern.compile("BI_UN_CASE\\(U_(\\w+)\\)").matcher(kernelFile());
        Set<UnaryOp> c = EnumSet.noneOf(UnaryOp.class);
        while (m.find()) {
            c.add(UnaryOp.valueOf(m.group(1)));
        }
        assertEquals(ContiguousKernels.UNARY, c);
    }
}
