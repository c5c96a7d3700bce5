/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The codes the data kernels share with the launcher, read from the kernel header itself: op
 * enums in Java's declaration order, storage type codes in {@link DataAbi}'s order, and the
 * 64-byte array fields of the params blocks.
 */
class DataAbiTest {

    private static String header() throws IOException {
        return Files.readString(Paths.get("../kernels/include/bi/data_params.cuh"));
    }

    /** The names of a C enum's constants, prefix stripped, in order. */
    private static List<String> cEnum(String src, String name, String prefix) {
        Matcher m = Pattern.compile("enum " + name + " : int \\{([^}]*)\\}").matcher(src);
        if (!m.find()) {
            throw new AssertionError("enum " + name + " not found in data_params.cuh");
        }
        List<String> out = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            String id = part.trim().split("[ =]")[0];
            if (!id.isEmpty()) {
                out.add(id.substring(prefix.length()));
            }
        }
        return out;
    }

    @Test
    void binaryOpsMirrorTheJavaEnum() throws IOException {
        List<String> java = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            java.add(op.name());
        }
        assertEquals(java, cEnum(header(), "BinOp", "OP_"));
    }

    @Test
    void unaryOpsMirrorTheJavaEnum() throws IOException {
        List<String> java = new ArrayList<>();
        for (UnaryOp op : UnaryOp.values()) {
            java.add(op.name());
        }
        assertEquals(java, cEnum(header(), "UnOp", "U_"));
    }

    @Test
    void storageTypeCodesMirrorTheHeader() throws IOException {
        List<String> c = cEnum(header(), "DType", "");
        String[] expect = {"F32", "F64", "F16", "BF16", "I8", "U8", "I32", "I64", "BOOL"};
        assertEquals(List.of(expect), c);
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16, DataType.INT8,
            DataType.UINT8, DataType.INT32, DataType.INT64, DataType.BOOLEAN};
        for (int i = 0; i < types.length; i++) {
            assertEquals(i, DataAbi.dtypeCode(types[i]), types[i].toString());
        }
        assertThrows(IllegalArgumentException.class, () -> DataAbi.dtypeCode(DataType.STRING));
        assertEquals("bi_elementwise_bf16", DataAbi.elementwiseKernel(DataType.BFLOAT16));
        assertEquals("bi_copy_bool", DataAbi.copyKernel(DataType.BOOLEAN));
        assertEquals("bi_gather_u8", DataAbi.gatherKernel(DataType.UINT8));
    }

    @Test
    void arrayFieldsAreWrittenWhole() {
        Params p = DataAbi.COPY.newParams();
        p.i64s(DataAbi.Copy.STRIDE_OUT, new long[] {5, -7});
        ByteBuffer kernelParams = ByteBuffer.wrap(bytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        int at = DataAbi.COPY.offset(DataAbi.Copy.STRIDE_OUT);
        assertEquals(144, at);
        assertEquals(5L, kernelParams.getLong(at));
        assertEquals(-7L, kernelParams.getLong(at + 8));
        assertEquals(0L, kernelParams.getLong(at + 56));
        assertThrows(IllegalArgumentException.class, () -> p.i64s(DataAbi.Copy.STRIDE_OUT, new long[9]));
        assertThrows(IllegalArgumentException.class, () -> p.i64(DataAbi.Copy.STRIDE_OUT, 1));
        assertThrows(IllegalArgumentException.class, () -> p.i64s(DataAbi.Copy.N, new long[1]));
    }

    private static byte[] bytes(Params p) {
        try {
            java.lang.reflect.Field f = Params.class.getDeclaredField("bytes");
            f.setAccessible(true);
            return (byte[]) f.get(p);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
