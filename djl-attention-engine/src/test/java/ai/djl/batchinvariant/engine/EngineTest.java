/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/** The engine's SPI surface and memory lifecycle (options: {@code config.EngineOptionsTest}). */
class EngineTest {

    @Test
    void providerRegistersTheEngine() {
        Engine e = Engine.getEngine("BatchInvariant");
        assertEquals("BatchInvariant", e.getEngineName());
        assertEquals(10, e.getRank());
        assertTrue(e.getVersion().matches("\\d+\\.\\d+\\.\\d+.*"), e.getVersion());
        assertFalse(e.hasCapability(StandardCapabilities.CUDA));
        assertFalse(e.hasCapability(StandardCapabilities.MKL));
        assertEquals(Device.cpu(), e.defaultDevice());
        assertEquals(0, e.getGpuCount());
        try (Model m = e.newModel("m", null)) {
            assertEquals(Device.cpu(), m.getNDManager().getDevice());
        }
    }

    @Test
    void defaultEnginePropertySelectsIt() {
        String old = System.getProperty("ai.djl.default_engine");
        System.setProperty("ai.djl.default_engine", "BatchInvariant");
        try {
            assertEquals("BatchInvariant", Engine.getInstance().getEngineName());
        } finally {
            if (old == null) {
                System.clearProperty("ai.djl.default_engine");
            } else {
                System.setProperty("ai.djl.default_engine", old);
            }
        }
    }

    @Test
    void gpuDeviceIsRefusedClearly() {
        Engine e = Engine.getEngine("BatchInvariant");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.newBaseManager(Device.gpu()));
        assertTrue(ex.getMessage().contains("gpu(0)"), ex.getMessage());
    }

    @Test
    void arraysAreReleasedWithTheirManager() {
        NDManager m = Engine.getEngine("BatchInvariant").newBaseManager();
        NDArray a = m.create(new float[] {1, 2, 3});
        NDManager sub = m.newSubManager();
        NDArray b = sub.ones(new Shape(4));
        sub.close();
        assertTrue(b.isReleased());
        assertFalse(a.isReleased());
        m.close();
        assertTrue(a.isReleased());
        assertThrows(IllegalStateException.class, a::toFloatArray);
    }

    @Test
    void allDataTypesRoundTrip() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDArray f = m.create(new float[] {1.5f, -2.25f, 3f, 0.1f});
            for (DataType t : new DataType[] {DataType.FLOAT16, DataType.BFLOAT16, DataType.INT32, DataType.INT64,
                    DataType.INT8, DataType.BOOLEAN, DataType.FLOAT32}) {
                NDArray c = f.toType(t, false);
                assertEquals(t, c.getDataType());
                NDArray back = m.create(c.toByteBuffer(), c.getShape(), t).toType(DataType.FLOAT32, false);
                float[] v = back.toFloatArray();
                assertEquals(4, v.length);
                if (t == DataType.FLOAT16 || t == DataType.BFLOAT16) {
                    assertEquals(1.5f, v[0]);
                    assertEquals(-2.25f, v[1]);
                }
            }
            assertArrayEquals(new long[] {1, 0, 1}, m.create(new boolean[] {true, false, true}).toType(DataType.INT64, false).toLongArray());
        }
    }

    @Test
    void missingOpsNameThemselves() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2});
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> a.fft(2));
            assertTrue(e.getMessage().contains("fft"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class, () -> a.getNDArrayInternal().randomFlipLeftRight());
            assertTrue(e.getMessage().contains("randomFlipLeftRight"), e.getMessage());
        }
    }

    @Test
    void internTakesTheStorageAndClosesTheReplacedArray() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            NDArray b = m.create(new float[] {4, 5, 6});
            a.intern(b);
            assertTrue(b.isReleased(), "DJL: the array used for the replacement is killed");
            assertFalse(a.isReleased());
            assertArrayEquals(new float[] {4, 5, 6}, a.toFloatArray());
        }
    }

    @Test
    void refusedIndexingNamesTheMethodCalled() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            // a boolean mask with one value per selected element would need a scatter
            NDArray mask = m.create(new boolean[] {true, true});
            NDArray rows = m.create(new float[] {9, 9, 8, 8}, new Shape(2, 2));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> a.set(new ai.djl.ndarray.index.NDIndex("{}", mask), rows));
            assertTrue(e.getMessage().contains("NDArray.set"), e.getMessage());
        }
    }
}
