/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The manager's creation methods against values worked out here: arange with fractional,
 * negative and integer steps, eye with diagonal offsets, linspace with and without the end
 * point, and the random generators checked by their moments and ranges over many draws (mean,
 * variance, every integer of a small range drawn, nothing outside it), odd sizes included.
 */
class ManagerCreationValuesTest extends EngineTestBase {

    @Test
    void arangeCountsCeilOfTheSpanOverTheStep() {
        assertArrayEquals(new float[] {0, 0.5f, 1, 1.5f}, manager.arange(0f, 2f, 0.5f).toFloatArray());
        assertArrayEquals(new float[] {0, 0.75f, 1.5f}, manager.arange(0f, 2f, 0.75f).toFloatArray());
        assertArrayEquals(new float[] {3, 1, -1}, manager.arange(3f, -2f, -2f).toFloatArray());
        assertEquals(0, manager.arange(2f, 1f, 1f).size());
        NDArray i = manager.arange(1f, 10f, 3f, DataType.INT32);
        assertEquals(DataType.INT32, i.getDataType());
        assertArrayEquals(new int[] {1, 4, 7}, i.toIntArray());
        assertArrayEquals(new long[] {5, 4, 3}, manager.arange(5f, 2f, -1f, DataType.INT64).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> manager.arange(0f, 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> manager.arange(0f, 1f, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> manager.arange(0f, 3f, 0.5f, DataType.INT32));
    }

    @Test
    void eyeWithOffsets() {
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, manager.eye(2, 3, 0, DataType.FLOAT32).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 1}, manager.eye(2, 3, 1, DataType.FLOAT32).toFloatArray());
        assertArrayEquals(new int[] {0, 0, 0, 1, 0, 0, 0, 1, 0}, manager.eye(3, 3, -1, DataType.INT32).toIntArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, manager.eye(2, 2, 2, DataType.FLOAT32).toFloatArray());
        assertEquals(new Shape(3, 2), manager.eye(3, 2, 0, DataType.FLOAT64).getShape());
    }

    @Test
    void linspaceEndpoints() {
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1}, manager.linspace(0f, 1f, 5).toFloatArray());
        assertArrayEquals(new float[] {0, 0.2f, 0.4f, 0.6f, 0.8f}, manager.linspace(0f, 1f, 5, false).toFloatArray(),
                1e-7f);
        assertArrayEquals(new float[] {4}, manager.linspace(4f, 9f, 1).toFloatArray());
        assertEquals(0, manager.linspace(4f, 9f, 0).size());
        assertArrayEquals(new float[] {2, -1, -4}, manager.linspace(2f, -4f, 3).toFloatArray());
    }

    @Test
    void randomUniformCoversItsRange() {
        int n = 20001;
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            double[] v = manager.randomUniform(-2f, 6f, new Shape(n), t).toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            double mean = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double x : v) {
                mean += x / n;
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            double var = 0;
            for (double x : v) {
                var += (x - mean) * (x - mean) / n;
            }
            assertTrue(min >= -2 && max <= 6, min + " .. " + max);
            assertTrue(min < -1.9 && max > 5.9, min + " .. " + max);
            // uniform on [a, b): mean (a + b) / 2, variance (b - a)^2 / 12
            assertEquals(2, mean, 0.1, t.toString());
            assertEquals(64 / 12.0, var, 0.3, t.toString());
        }
    }

    @Test
    void randomNormalHasItsMoments() {
        int n = 20001;
        double[] v = manager.randomNormal(3f, 0.5f, new Shape(n), DataType.FLOAT64).toDoubleArray();
        double mean = 0;
        for (double x : v) {
            mean += x / n;
        }
        double var = 0;
        int within = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean) / n;
            within += Math.abs(x - 3) < 0.5 ? 1 : 0;
        }
        assertEquals(3, mean, 0.02);
        assertEquals(0.25, var, 0.02);
        // 68.3% within one standard deviation
        assertEquals(0.683, within / (double) n, 0.02);
        NDArray f = manager.randomNormal(0f, 1f, new Shape(3, 3), DataType.FLOAT32);
        assertEquals(new Shape(3, 3), f.getShape());
        float[] fv = f.toFloatArray();
        assertTrue(fv[8] != 0 && fv[7] != fv[8], "the last, unpaired element is drawn too");
    }

    @Test
    void randomIntegerDrawsEveryValueOfItsRange() {
        for (DataType t : new DataType[] {DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8}) {
            long[] v = manager.randomInteger(3, 8, new Shape(5000), t).toType(DataType.INT64, false).toLongArray();
            int[] seen = new int[5];
            for (long x : v) {
                assertTrue(x >= 3 && x < 8, t + ": " + x);
                seen[(int) (x - 3)]++;
            }
            for (int i = 0; i < 5; i++) {
                assertTrue(seen[i] > 800, t + " value " + (i + 3) + " drawn " + seen[i] + " times");
            }
        }
        long[] b = manager.randomInteger(0, 2, new Shape(1000), DataType.BOOLEAN).toType(DataType.INT64, false)
                .toLongArray();
        long ones = java.util.Arrays.stream(b).sum();
        assertTrue(ones > 400 && ones < 600, "booleans: " + ones);
        assertThrows(IllegalArgumentException.class, () -> manager.randomInteger(0, 300, new Shape(2), DataType.INT8));
    }

    @Test
    void typedAndByteBuffersFillTheArray() {
        BiNDManager bm = (BiNDManager) manager;
        assertArrayEquals(new long[] {3, -4}, bm.create(java.nio.IntBuffer.wrap(new int[] {3, -4}), new Shape(2),
                DataType.INT64).toLongArray());
        assertArrayEquals(new double[] {0.5, 2}, bm.create(FloatBuffer.wrap(new float[] {0.5f, 2}), new Shape(2),
                DataType.FLOAT64).toDoubleArray());
        assertArrayEquals(new long[] {1L << 40}, bm.create(java.nio.LongBuffer.wrap(new long[] {1L << 40}),
                new Shape(1), DataType.INT64).toLongArray());
        assertArrayEquals(new double[] {-1.25}, bm.create(java.nio.DoubleBuffer.wrap(new double[] {-1.25}),
                new Shape(1), DataType.FLOAT64).toDoubleArray());
        assertArrayEquals(new int[] {-7, 9}, bm.create(java.nio.ShortBuffer.wrap(new short[] {-7, 9}), new Shape(2),
                DataType.INT32).toIntArray());
        // float16 bits 0x3C00 = 1.0 and 0xC000 = -2.0, taken as raw bits
        NDArray h = bm.create(java.nio.ShortBuffer.wrap(new short[] {0x3C00, (short) 0xC000}), new Shape(2),
                DataType.FLOAT16);
        assertArrayEquals(new float[] {1, -2}, h.toType(DataType.FLOAT32, false).toFloatArray());
        // only the first elements are read, from the buffer's position, which is left as it was
        java.nio.IntBuffer ib = java.nio.IntBuffer.wrap(new int[] {5, 6, 7});
        ib.position(1);
        assertArrayEquals(new int[] {6, 7}, bm.create(ib, new Shape(2), DataType.INT32).toIntArray());
        assertEquals(1, ib.position());
        assertThrows(IllegalArgumentException.class,
                () -> bm.create(FloatBuffer.wrap(new float[] {1}), new Shape(2), DataType.FLOAT32));
        assertThrows(IllegalArgumentException.class,
                () -> bm.create(ByteBuffer.allocate(7), new Shape(2), DataType.FLOAT32));
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        bb.putInt(0, 11).putInt(4, -12);
        assertArrayEquals(new int[] {11, -12}, bm.create(bb, new Shape(2), DataType.INT32).toIntArray());
        assertEquals(new Shape(2, 0), bm.create(FloatBuffer.allocate(0), new Shape(2, 0), DataType.FLOAT32)
                .getShape());
    }

    @Test
    void fromAndDirectBuffers() {
        NDArray a = manager.create(new float[] {1, 2});
        assertSame(a, manager.from(a));
        assertEquals(null, manager.from(null));
        ByteBuffer bb = manager.allocateDirect(16);
        assertEquals(ByteOrder.nativeOrder(), bb.order());
        assertEquals(16, bb.capacity());
        assertTrue(bb.isDirect());
        BiNDManager bm = (BiNDManager) manager;
        assertSame(bm.getOptions(), bm.getOptions());
        ai.djl.batchinvariant.config.EngineOptions o = bm.getOptions();
        bm.setOptions(o);
        assertSame(o, bm.getOptions());
        assertArrayEquals(new float[] {7, 7, 7}, manager.full(new Shape(3), 7f).toFloatArray());
        assertArrayEquals(new int[] {-3, -3}, manager.full(new Shape(2), -3.9f, DataType.INT32).toIntArray());
        assertThrows(IllegalArgumentException.class, () -> manager.full(new Shape(2), 300f, DataType.INT8));
    }
}
