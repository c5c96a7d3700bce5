/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

/**
 * The engine's small public surface on a machine without a GPU: the device list, models and
 * managers on the default device, the training refusal, the GPU memory figures' accessors, and the
 * seed salts that keep two random calls apart.
 */
class EngineSurfaceTest {

    private final BiEngine engine = (BiEngine) Engine.getEngine(BiEngine.ENGINE_NAME);

    @Test
    void devicesWithoutGpuAreTheCpuOnly() {
        assertArrayEquals(new Device[] {Device.cpu()}, engine.getDevices());
        assertArrayEquals(new Device[] {Device.cpu()}, engine.getDevices(0));
        assertArrayEquals(new Device[] {Device.cpu()}, engine.getDevices(4));
        assertNull(engine.getAlternativeEngine());
        assertEquals(BiEngine.ENGINE_NAME + " " + engine.getVersion() + " (CPU backend)", engine.toString());
    }

    @Test
    void nullDeviceMeansTheDefault() {
        try (Model m = engine.newModel("m", null)) {
            assertEquals(Device.cpu(), m.getNDManager().getDevice());
            assertEquals("m", m.getName());
        }
        try (NDManager m = engine.newBaseManager(null)) {
            assertEquals(Device.cpu(), m.getDevice());
            assertEquals(BiEngine.ENGINE_NAME, m.getEngine().getEngineName());
        }
        try (NDManager m = engine.newBaseManager(Device.cpu())) {
            assertArrayEquals(new float[] {1, 2}, m.create(new float[] {1, 2}).toFloatArray());
        }
    }

    @Test
    void trainingIsRefusedByName() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, engine::newGradientCollector);
        assertTrue(e.getMessage().contains("newGradientCollector"), e.getMessage());
    }

    @Test
    void gpuMemoryNeedsAGpu() {
        assertThrows(IllegalArgumentException.class, () -> engine.getGpuMemory(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.getGpuMemory(Device.cpu()));
        assertTrue(e.getMessage().contains("cpu()"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> engine.getGpuMemory(Device.gpu(0)));
    }

    @Test
    void gpuMemoryReportsItsFigures() {
        GpuMemory g = new GpuMemory(new long[] {10, 20, 30, 40});
        assertEquals(10, g.getInUse());
        assertEquals(20, g.getPeakInUse());
        assertEquals(30, g.getCached());
        assertEquals(40, g.getCacheLimit());
        assertEquals("in use 10 B (peak 20), cached 30 B of a 40 B cap", g.toString());
    }

    @Test
    void seedSaltsDiffer() {
        long a = BiEngine.nextSeedSalt();
        long b = BiEngine.nextSeedSalt();
        assertNotEquals(a, b);
        assertNotEquals(0, a);
        // consecutive salts are one golden-ratio step apart, so they spread over all 64 bits
        assertEquals(0x9E3779B97F4A7C15L, b - a);
    }
}
