/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Use after close is refused (every entry point of a closed array or manager throws
 * {@link IllegalStateException}), the engine provider hands out one engine, the write counter
 * moves on in-place writes, and repeat / tile in all their overloads against hand-written results
 * (repeat along every axis, zero to 17 times, against an index loop too).
 */
class LifecycleAndRepeatTest extends EngineTestBase {

    @Test
    void closedArraysRefuseUse() {
        NDArray a = manager.create(new float[] {1, 2});
        a.close();
        assertThrows(IllegalStateException.class, a::getShape);
        assertThrows(IllegalStateException.class, a::getDataType);
        assertThrows(IllegalStateException.class, a::toByteBuffer);
        assertThrows(IllegalStateException.class, () -> a.set(FloatBuffer.wrap(new float[] {3, 4})));
        assertThrows(IllegalStateException.class, () -> a.add(1));
        assertThrows(IllegalStateException.class, () -> a.reshape(2, 1));
        NDArray b = manager.create(new float[] {1, 2});
        assertThrows(IllegalStateException.class, () -> b.add(a));
    }

    @Test
    void closedManagersRefuseCreation() {
        NDManager m = manager.newSubManager();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.create(new float[] {1}));
        assertThrows(IllegalStateException.class, () -> m.zeros(new Shape(2)));
        assertThrows(IllegalStateException.class, () -> m.full(new Shape(2), 1f));
        assertThrows(IllegalStateException.class, () -> m.arange(3f));
        assertThrows(IllegalStateException.class, () -> m.eye(2));
        assertThrows(IllegalStateException.class, () -> m.linspace(0f, 1f, 3));
        assertThrows(IllegalStateException.class, () -> m.randomUniform(0f, 1f, new Shape(2)));
        assertThrows(IllegalStateException.class, () -> m.randomNormal(new Shape(2)));
        assertThrows(IllegalStateException.class, () -> m.randomInteger(0, 3, new Shape(2), DataType.INT32));
        assertThrows(IllegalStateException.class, () -> m.create(new Shape(2), DataType.FLOAT32));
    }

    @Test
    void byteBuffersAreCheckedAndDecoded() {
        ByteBuffer bb = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
        bb.putFloat(0, 1.5f).putFloat(4, -3f);
        assertArrayEquals(new float[] {1.5f, -3f}, manager.create(bb, new Shape(2), DataType.FLOAT32).toFloatArray());
        assertThrows(RuntimeException.class, () -> ValueArgs.checkBuffer(ByteBuffer.allocate(4), DataType.FLOAT32, 4));
        ValueArgs.checkBuffer(ByteBuffer.allocate(8), DataType.BFLOAT16, 4);
        // the boundaries of a random integer range: from = the largest value, to - 1 = the smallest
        ValueArgs.checkRandomRange(127, 128, DataType.INT8);
        ValueArgs.checkRandomRange(-128, -127, DataType.INT8);
        ValueArgs.checkRandomRange(1, 2, DataType.BOOLEAN);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(2, 2, DataType.BOOLEAN));
    }

    @Test
    void oneEngineFromTheProvider() {
        BiEngineProvider p = new BiEngineProvider();
        assertEquals("BatchInvariant", p.getEngineName());
        assertEquals(10, p.getEngineRank());
        assertSame(p.getEngine(), p.getEngine());
        assertSame(p.getEngine(), new BiEngineProvider().getEngine());
        assertEquals("BatchInvariant", p.getEngine().getEngineName());
    }

    @Test
    void stackLeavesOnlyItsResultInTheManager() {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {1, 2});
            NDArray b = m.create(new float[] {3, 4});
            NDArray s = a.stack(b, 1);
            assertArrayEquals(new float[] {1, 3, 2, 4}, s.toFloatArray());
            // no views of the inputs left behind (they would hold the inputs' storage)
            assertEquals(3, m.getManagedArrays().size());
            a.close();
            b.close();
            assertEquals(1, m.getManagedArrays().size());
            assertArrayEquals(new float[] {1, 3, 2, 4}, s.toFloatArray());
        }
    }

    @Test
    void versionMovesOnInPlaceWrites() {
        BiNDArray a = (BiNDArray) manager.create(new float[] {1, 2});
        int v0 = a.version();
        a.addi(1);
        assertNotEquals(v0, a.version());
        assertArrayEquals(new float[] {2, 3}, a.toFloatArray());
        String s = a.toString();
        assertTrue(s.contains("2.") && s.contains("3."), s);
    }

    @Test
    void repeatOverloads() {
        NDArray a = manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2));
        assertArrayEquals(new int[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, a.repeat(2).toIntArray());
        assertEquals(new Shape(4, 4), a.repeat(2).getShape());
        NDArray r = a.repeat(new long[] {1, 3});
        assertEquals(new Shape(2, 6), r.getShape());
        assertArrayEquals(new int[] {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, r.toIntArray());
        NDArray d = a.repeat(new Shape(4, 2));
        assertEquals(new Shape(4, 2), d.getShape());
        assertArrayEquals(new int[] {1, 2, 1, 2, 3, 4, 3, 4}, d.toIntArray());
        NDArray none = a.repeat(new long[0]);
        assertNotSame(a, none);
        assertArrayEquals(a.toIntArray(), none.toIntArray());
        assertThrows(IllegalArgumentException.class, () -> manager.create(5).repeat(2));
    }

    @Test
    void repeatAlongEveryAxisMatchesAnIndexLoop() {
        int[] dims = {3, 5, 7};
        float[] src = new float[105];
        for (int i = 0; i < src.length; i++) {
            src[i] = i * 0.5f - 7f;
        }
        NDArray a = manager.create(src, new Shape(3, 5, 7));
        for (int axis = 0; axis < 3; axis++) {
            for (int r : new int[] {0, 1, 3, 17}) {
                float[] got = a.repeat(axis, r).toFloatArray();
                int[] od = dims.clone();
                od[axis] *= r;
                assertEquals(od[0] * od[1] * od[2], got.length, "axis " + axis + " repeats " + r);
                for (int i = 0; i < od[0]; i++) {
                    for (int j = 0; j < od[1]; j++) {
                        for (int k = 0; k < od[2]; k++) {
                            int[] c = {i, j, k};
                            c[axis] /= r;
                            assertEquals(src[(c[0] * 5 + c[1]) * 7 + c[2]], got[(i * od[1] + j) * od[2] + k],
                                    "axis " + axis + " repeats " + r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void tileOverloads() {
        NDArray a = manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2));
        assertArrayEquals(new int[] {1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}, a.tile(2).toIntArray());
        assertEquals(new Shape(4, 4), a.tile(2).getShape());
        NDArray t = a.tile(1, 3);
        assertEquals(new Shape(2, 6), t.getShape());
        assertArrayEquals(new int[] {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}, t.toIntArray());
        NDArray u = a.tile(-2, 2);
        assertEquals(new Shape(4, 2), u.getShape());
        NDArray s = a.tile(new Shape(2, 2, 4));
        assertEquals(new Shape(2, 2, 4), s.getShape());
        assertArrayEquals(new int[] {1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}, s.toIntArray());
        NDArray scalar = manager.create(7).tile(3);
        assertEquals(new Shape(3), scalar.getShape());
        assertArrayEquals(new int[] {7, 7, 7}, scalar.toIntArray());
    }
}
