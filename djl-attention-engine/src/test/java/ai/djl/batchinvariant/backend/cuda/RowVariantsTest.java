/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's choice of single-pass row kernel, without a GPU: the variant depends on the row
 * length and dtype only, holds the row, and is one the kernel files instantiate (same threads per
 * row), whose symbols the built kernels carry.
 */
class RowVariantsTest {

    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16};

    @Test
    void theVariantIsTheSmallestThatHoldsTheRow() {
        assertEquals(512, RowVariants.maxRow(DataType.FLOAT32, 1));
        assertEquals(512, RowVariants.maxRow(DataType.FLOAT32, 512));
        assertEquals(1024, RowVariants.maxRow(DataType.FLOAT32, 513));
        assertEquals(4096, RowVariants.maxRow(DataType.FLOAT32, 4096));
        assertEquals(8192, RowVariants.maxRow(DataType.FLOAT32, 4097));
        assertEquals(32768, RowVariants.maxRow(DataType.FLOAT32, 32768));
        assertEquals(0, RowVariants.maxRow(DataType.FLOAT32, 32769));
        assertEquals(1024, RowVariants.maxRow(DataType.BFLOAT16, 1));
        assertEquals(2048, RowVariants.maxRow(DataType.FLOAT16, 1025));
        assertEquals(0, RowVariants.maxRow(DataType.BFLOAT16, 0));
        assertEquals(0, RowVariants.maxRow(DataType.FLOAT64, 100), "float64 keeps the multi-pass kernels");
        assertEquals(0, RowVariants.maxRow(DataType.INT32, 100));
        for (DataType t : TYPES) {
            for (long n = 1; n <= RowVariants.MAX_ROW; n += 97) {
                int m = RowVariants.maxRow(t, n);
                assertTrue(m >= n && (m == RowVariants.maxRow(t, 1) || m / 2 < n), t + " n=" + n + ": " + m);
                int g = RowVariants.groupThreads(t, m);
                assertTrue(g >= 32 && g <= 1024 && Integer.bitCount(g) == 1, "threads a row " + g);
            }
        }
    }

    @Test
    void launchesCoverEveryRow() {
        assertEquals(256, RowVariants.blockThreads(32));
        assertEquals(128, RowVariants.blockThreads(128));
        assertEquals(1, RowVariants.blocks(1, 32));
        assertEquals(1, RowVariants.blocks(8, 32));
        assertEquals(2, RowVariants.blocks(9, 32));
        assertEquals(4096, RowVariants.blocks(4096, 256));
        assertThrows(IllegalArgumentException.class, () -> RowVariants.blocks(1L << 40, 1024));
    }

    /** BI_NORM_ROWS / BI_SOFTMAX_ROWS lines of a kernel file: {tag, longest row, G, V}. */
    private static List<String[]> variants(String file, String macro) throws IOException {
        String src = Files.readString(Paths.get("../kernels/src/" + file));
        Matcher m = Pattern.compile("^" + macro + "\\((\\w+), [\\w:]+, (\\d+), (\\d+), (\\d+)\\)$", Pattern.MULTILINE)
                .matcher(src);
        List<String[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
        }
        return out;
    }

    private static DataType type(String tag) {
        switch (tag) {
            case "f32": return DataType.FLOAT32;
            case "f16": return DataType.FLOAT16;
            default: return DataType.BFLOAT16;
        }
    }

    /** Every variant the host can pick, as the kernel macro would spell it. */
    private static List<String> hostVariants() {
        List<String> out = new ArrayList<>();
        for (DataType t : TYPES) {
            for (int m = RowVariants.maxRow(t, 1); m > 0 && m <= RowVariants.MAX_ROW; m *= 2) {
                int g = RowVariants.groupThreads(t, m);
                int w = 16 / t.getNumOfBytes();
                out.add(Abi.normKernel(t).substring("bi_norm_".length()) + " " + m + " " + g + " " + m / (g * w));
            }
        }
        return out;
    }

    @Test
    void theKernelFilesInstantiateExactlyTheHostsVariants() throws IOException {
        for (String[] fm : new String[][] {{"norm.cu", "BI_NORM_ROWS"}, {"reduce.cu", "BI_SOFTMAX_ROWS"}}) {
            List<String> c = new ArrayList<>();
            for (String[] v : variants(fm[0], fm[1])) {
                c.add(v[0] + " " + v[1] + " " + v[2] + " " + v[3]);
                assertEquals(Integer.parseInt(v[1]), RowVariants.maxRow(type(v[0]), Integer.parseInt(v[1])));
            }
            assertEquals(hostVariants(), c, fm[0]);
        }
    }

    @Test
    void theBuiltKernelsCarryEveryRowSymbol() throws IOException {
        byte[] norm = KernelSymbols.fatbin("norm");
        byte[] reduce = KernelSymbols.fatbin("reduce");
        int count = 0;
        for (DataType t : TYPES) {
            for (int m = RowVariants.maxRow(t, 1); m > 0 && m <= RowVariants.MAX_ROW; m *= 2) {
                for (boolean flag : new boolean[] {false, true}) {
                    KernelSymbols.assertHas(norm, Abi.normRowsKernel(t, m, flag));
                    KernelSymbols.assertHas(reduce, Abi.softmaxRowsKernel(t, m, flag));
                    count += 2;
                }
            }
        }
        assertEquals(76, count);
        // the inverse case: a variant that does not exist is not found
        assertThrows(AssertionError.class, () -> KernelSymbols.assertHas(norm, Abi.normRowsKernel(DataType.FLOAT32,
                65536, true)));
    }
}
