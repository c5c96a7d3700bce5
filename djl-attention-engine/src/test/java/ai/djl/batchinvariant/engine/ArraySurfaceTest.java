/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * The array's own surface through DJL's API: names, ownership moves between managers, the
 * gradient refusals, raw bytes in native order, writes from buffers, copies versus views
 * ({@code toDevice} / {@code toType} without a copy return the array itself), content equality,
 * the flat cumulative sum of rank-0 and empty arrays, batch products and dot.
 */
class ArraySurfaceTest extends EngineTestBase {

    @Test
    void namesAndOwnership() {
        NDArray a = manager.create(new float[] {1, 2});
        assertEquals(SparseFormat.DENSE, a.getSparseFormat());
        a.setName("w");
        assertEquals("w", a.getName());
        assertEquals("w", a.duplicate().getName());
        assertEquals(a.getUid().hashCode(), a.hashCode());
        try (NDManager other = manager.newSubManager()) {
            a.attach(other);
            assertSame(other, a.getManager());
        }
        assertTrue(a.isReleased(), "closing the new owner releases the array");
        NDArray b = manager.create(new float[] {3});
        b.detach();
        manager.close();
        assertFalse(b.isReleased(), "a detached array outlives its old manager");
        b.close();
        assertTrue(b.isReleased());
        assertEquals("This array is already closed", b.toString());
        openManager();
        NDArray c = manager.create(new float[] {4});
        try (NDManager scope = manager.newSubManager()) {
            c.tempAttach(scope);
            assertSame(scope, c.getManager());
        }
        assertFalse(c.isReleased(), "a temporary attachment returns the array to its owner");
        assertSame(manager, c.getManager());
    }

    @Test
    void gradientsAreRefused() {
        NDArray a = manager.create(new float[] {1, 2});
        assertFalse(a.hasGradient());
        assertSame(a, a.stopGradient());
        a.setRequiresGradient(true);
        assertFalse(a.hasGradient());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, a::getGradient);
        assertTrue(e.getMessage().contains("getGradient"), e.getMessage());
    }

    @Test
    void bytesAndBufferWrites() {
        NDArray a = manager.create(new float[] {1.5f, -2f});
        ByteBuffer bb = a.toByteBuffer();
        assertEquals(ByteOrder.nativeOrder(), bb.order());
        assertEquals(8, bb.remaining());
        assertEquals(1.5f, bb.getFloat(0));
        assertEquals(-2f, bb.getFloat(4));
        a.set(FloatBuffer.wrap(new float[] {7, 8}));
        assertArrayEquals(new float[] {7, 8}, a.toFloatArray());
        NDArray l = manager.zeros(new Shape(2), DataType.INT64);
        l.set(IntBuffer.wrap(new int[] {-3, 9}));
        assertArrayEquals(new long[] {-3, 9}, l.toLongArray());
        assertThrows(RuntimeException.class, () -> manager.zeros(new Shape(2), DataType.INT32).set(
                java.nio.LongBuffer.wrap(new long[] {1, 2})));
        NDArray m = manager.arange(6f).reshape(2, 3);
        m.set(new NDIndex("1"), x -> x.mul(10));
        assertArrayEquals(new float[] {0, 1, 2, 30, 40, 50}, m.toFloatArray());
    }

    @Test
    void copiesAndViews() {
        NDArray a = manager.create(new float[] {1, 2, 3});
        assertSame(a, a.toDevice(Device.cpu(), false));
        NDArray copy = a.toDevice(Device.cpu(), true);
        assertNotSame(a, copy);
        copy.set(FloatBuffer.wrap(new float[] {0, 0, 0}));
        assertArrayEquals(new float[] {1, 2, 3}, a.toFloatArray());
        assertSame(a, a.toType(DataType.FLOAT32, false));
        NDArray t = a.toType(DataType.FLOAT32, true);
        assertNotSame(a, t);
        assertArrayEquals(new float[] {1, 2, 3}, t.toFloatArray());
        assertArrayEquals(new int[] {1, 2, 3}, a.toType(DataType.INT32, false).toIntArray());
        NDArray d = a.duplicate();
        d.set(FloatBuffer.wrap(new float[] {9, 9, 9}));
        assertArrayEquals(new float[] {1, 2, 3}, a.toFloatArray());
    }

    @Test
    void contentEquality() {
        NDArray a = manager.create(new float[] {2, 2});
        assertTrue(a.contentEquals(2));
        assertFalse(a.contentEquals(3));
        assertFalse(manager.zeros(new Shape(0)).contentEquals(0));
        assertTrue(a.contentEquals(manager.create(new float[] {2, 2})));
        assertFalse(a.contentEquals(manager.create(new float[] {2, 3})));
        assertFalse(a.contentEquals(manager.create(new float[] {2, 2}, new Shape(2, 1))));
        assertFalse(a.contentEquals(manager.create(new double[] {2, 2})));
        assertFalse(a.contentEquals((NDArray) null));
        assertEquals(a, manager.create(new float[] {2, 2}));
        assertNotEquals(a, "a string");
    }

    @Test
    void flatCumSumKeepsScalarsAndEmptyArrays() {
        NDArray m = manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2));
        NDArray c = m.cumSum();
        assertEquals(new Shape(4), c.getShape());
        assertArrayEquals(new long[] {1, 3, 6, 10}, c.toLongArray());
        NDArray s = manager.create(5);
        NDArray sc = s.cumSum();
        assertEquals(DataType.INT32, sc.getDataType());
        assertEquals(5, sc.toIntArray()[0]);
        NDArray e = manager.zeros(new Shape(0), DataType.INT32).cumSum();
        assertEquals(DataType.INT32, e.getDataType());
        assertEquals(0, e.size());
        NDArray f = manager.create(2.5f).cumSum();
        assertEquals(DataType.FLOAT32, f.getDataType());
        assertEquals(2.5f, f.toFloatArray()[0]);
    }

    @Test
    void batchProductsAndDot() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 2, 2));
        NDArray b = manager.create(new float[] {1, 0, 0, 1, 0, 1, 1, 0}, new Shape(2, 2, 2));
        // identity, then a column swap
        assertArrayEquals(new float[] {1, 2, 3, 4, 6, 5, 8, 7}, a.batchMatMul(b).toFloatArray());
        NDArray v = manager.create(new float[] {1, 2, 3});
        assertEquals(14f, v.dot(v).getFloat());
        assertThrows(IllegalArgumentException.class, () -> a.batchMatMul(manager.ones(new Shape(2, 3, 2))));
    }
}
