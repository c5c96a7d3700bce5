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
 * where with a one-byte condition and values of one type ({@link BroadcastKernels#select}, through
 * {@link CpuElementwise#where}) against the element loop through index arrays ({@link
 * CpuElementwise#whereByElement}), bytes equal, for every storage type and broadcast layouts: a
 * condition, value or both broadcast, scalars, rank 5, runs longer than a work item. int64 values
 * beyond 2^53 come through exactly on both paths. Inverse case: the output of a condition read with another
 * operand's layout differs.
 */
class WhereRunsTest {

    private final Random rnd = new Random(17);

    /** {condition, a, b} shapes. */
    private static final Shape[][] TRIPLES = {
        {new Shape(64, 33), new Shape(64, 33), new Shape(64, 33)},
        {new Shape(64, 33), new Shape(33), new Shape()},
        {new Shape(64, 1), new Shape(64, 33), new Shape(1, 33)},
        {new Shape(33), new Shape(64, 33), new Shape(64, 1)},
        {new Shape(), new Shape(5, 7), new Shape(5, 7)},
        {new Shape(2, 1, 3, 1, 4), new Shape(1, 5, 3, 2, 1), new Shape(4)},
        {new Shape(3, 70_000), new Shape(3, 70_000), new Shape(70_000)},
        {new Shape(1, 1), new Shape(1), new Shape()},
    };

    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16,
        DataType.BFLOAT16, DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN};

    @Test
    void runsMatchTheElementLoopForEveryType() {
        for (Shape[] s : TRIPLES) {
            Shape out = Strided.broadcast(Strided.broadcast(s[0], s[1]), s[2]);
            Tensor c = mask(s[0]);
            for (DataType type : TYPES) {
                Tensor a = values(s[1], type);
                Tensor b = values(s[2], type);
                Tensor got = CpuElementwise.INSTANCE.where(c, a, b);
                Tensor want = CpuElementwise.whereByElement(c, a, b, out, type);
                assertEquals(want.getShape(), got.getShape());
                assertEquals(want.getDataType(), got.getDataType());
                assertEquals(bytes(want), bytes(got), type + " " + s[0] + " " + s[1] + " " + s[2]);
            }
        }
    }

    @Test
    void int64BeyondDoublesComesThroughExactly() {
        long big = (1L << 60) + 1;
        Tensor c = Tensor.host(new Shape(2), DataType.BOOLEAN, new byte[] {1, 0});
        Tensor a = Tensor.host(new Shape(2), DataType.INT64, new long[] {big, 0});
        Tensor b = Tensor.host(new Shape(), DataType.INT64, new long[] {-big});
        long[] got = (long[]) CpuElementwise.INSTANCE.where(c, a, b).hostData();
        assertEquals(big, got[0]);
        assertEquals(-big, got[1]);
        // values of two integer types and a float condition: the element loop, exact too
        Tensor fc = Tensor.host(new Shape(2), DataType.FLOAT32, new float[] {0f, 2f});
        Tensor small = Tensor.host(new Shape(), DataType.INT32, new int[] {-3});
        long[] mixed = (long[]) CpuElementwise.INSTANCE.where(fc, small, a).hostData();
        assertEquals(big, mixed[0]);
        assertEquals(-3, mixed[1]);
    }

    @Test
    void theSameCheckCatchesAConditionReadWithAnotherLayout() {
        Shape[] s = TRIPLES[2];
        Shape out = Strided.broadcast(Strided.broadcast(s[0], s[1]), s[2]);
        Tensor c = mask(s[0]);
        Tensor a = values(s[1], DataType.FLOAT32);
        Tensor b = values(s[2], DataType.FLOAT32);
        // the (64, 1) condition taken as a (1, 33)-shaped row's worth: a different selection
        Tensor wrong = Tensor.host(new Shape(1, 33), DataType.BOOLEAN, java.util.Arrays.copyOf((byte[]) c.hostData(), 33));
        assertNotEquals(bytes(CpuElementwise.whereByElement(c, a, b, out, DataType.FLOAT32)),
                bytes(CpuElementwise.INSTANCE.where(wrong, a, b)));
    }

    private Tensor mask(Shape shape) {
        byte[] m = new byte[(int) shape.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) (rnd.nextBoolean() ? 1 : 0);
        }
        return Tensor.host(shape, DataType.BOOLEAN, m);
    }

    private Tensor values(Shape shape, DataType type) {
        int n = (int) shape.size();
        float[] v = KernelReference.data(rnd, n, 0.05);
        Object d = HostData.allocate(type, n);
        for (int i = 0; i < n; i++) {
            double x = HostData.isFloating(type) ? v[i] : Float.isFinite(v[i]) ? Math.rint(v[i] * 40) : 7;
            HostData.setDouble(d, type, i, x);
        }
        return Tensor.host(shape, type, d);
    }

    private static ByteBuffer bytes(Tensor t) {
        return HostData.toByteBuffer(t.hostData(), t.getDataType(), t.size32());
    }
}
