/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Strided copies ({@link CpuShapes#strided}: transpose, broadcast, slices, flips) against the
 * gather through one offset per element ({@link CpuShapes#gather} of {@link Strided#offsets}),
 * bytes equal, for every storage type: permutations of rank 2 to 4, broadcast strides of 0, a
 * flip's negative strides (rows of 10, 16 and 37, one axis and both), stepped slices, rank 0, an empty dimension, rows long enough for the
 * threads, float32 transposes of the last two axes (copied 16 rows at a time) with partial tiles. Inverse case: a transpose copied with its strides swapped differs.
 */
class StridedCopyTest {

    private final Random rnd = new Random(29);

    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16,
        DataType.BFLOAT16, DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN};

    @Test
    void stridedViewsMatchTheGatherForEveryType() {
        for (DataType type : TYPES) {
            // transposes
            check(tensor(new Shape(7, 5), type), new long[] {5, 7}, new int[] {1, 5}, 0);
            check(tensor(new Shape(2, 3, 4, 5), type), new long[] {5, 2, 4, 3}, new int[] {1, 60, 5, 20}, 0);
            check(tensor(new Shape(300, 700), type), new long[] {700, 300}, new int[] {1, 700}, 0);
            // the last two axes of a batch swapped, rows not a multiple of the 16-row tile
            check(tensor(new Shape(2, 3, 40), type), new long[] {2, 40, 3}, new int[] {120, 1, 40}, 0);
            check(tensor(new Shape(3, 37, 21), type), new long[] {3, 21, 37}, new int[] {777, 1, 21}, 0);
            // a broadcast row and column
            check(tensor(new Shape(1, 9), type), new long[] {6, 9}, new int[] {0, 1}, 0);
            check(tensor(new Shape(6, 1), type), new long[] {6, 9}, new int[] {1, 0}, 0);
            // a flip of the last axis, a stepped slice, rank 0, an empty dimension
            check(tensor(new Shape(4, 10), type), new long[] {4, 10}, new int[] {10, -1}, 9);
            // longer flips (float32 reverses 8 at a time in a register): tails, exact multiples, both axes
            check(tensor(new Shape(5, 37), type), new long[] {5, 37}, new int[] {37, -1}, 36);
            check(tensor(new Shape(3, 16), type), new long[] {3, 16}, new int[] {16, -1}, 15);
            check(tensor(new Shape(5, 37), type), new long[] {5, 37}, new int[] {-37, -1}, 184);
            check(tensor(new Shape(8, 10), type), new long[] {3, 4}, new int[] {30, 2}, 11);
            check(tensor(new Shape(), type), new long[0], new int[0], 0);
            check(tensor(new Shape(3, 4), type), new long[] {0, 4}, new int[] {4, 1}, 0);
        }
    }

    @Test
    void aTransposeCopiedWithItsStridesSwappedIsCaught() {
        Tensor t = tensor(new Shape(7, 5), DataType.FLOAT32);
        Tensor want = CpuShapes.gather(t, new Shape(5, 7), Strided.offsets(new Shape(5, 7), new int[] {1, 5}, 0));
        Tensor wrong = CpuShapes.strided(t, new long[] {5, 7}, new int[] {7, 1}, 0, new Shape(5, 7));
        assertNotEquals(bytes(want), bytes(wrong));
    }

    private static void check(Tensor t, long[] dims, int[] strides, int base) {
        Shape shape = new Shape(dims);
        Tensor want = CpuShapes.gather(t, shape, Strided.offsets(shape, strides, base));
        Tensor got = CpuShapes.strided(t, dims, strides, base, shape);
        assertEquals(bytes(want), bytes(got), t.getDataType() + " " + t.getShape() + " as " + shape);
    }

    private Tensor tensor(Shape shape, DataType type) {
        int n = (int) shape.size();
        Object d = HostData.allocate(type, n);
        for (int i = 0; i < n; i++) {
            HostData.setDouble(d, type, i, type == DataType.BOOLEAN ? rnd.nextInt(2) : rnd.nextInt(200) - 100.5);
        }
        return Tensor.host(shape, type, d);
    }

    private static ByteBuffer bytes(Tensor t) {
        return HostData.toByteBuffer(t.borrowHostData(), t.getDataType(), t.size32());
    }
}
