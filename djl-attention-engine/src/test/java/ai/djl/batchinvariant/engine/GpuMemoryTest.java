/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU allocator's figures are observable and follow the arrays, its cache respects the cap,
 * and an allocation the device cannot hold fails naming the bytes and leaves the engine usable.
 */
@Tag("gpu")
class GpuMemoryTest {

    private static final String CAP = "ai.djl.batchinvariant.gpu_cache_limit_mb";

    private static BiEngine engine() {
        Assumptions.assumeTrue(Backends.gpuCount() > 0, "needs a CUDA device");
        return (BiEngine) Engine.getEngine("BatchInvariant");
    }

    @Test
    void figuresFollowArraysAndTheCapHolds() {
        BiEngine e = engine();
        try (NDManager m = e.newBaseManager(Device.gpu(0))) {
            GpuMemory before = e.getGpuMemory(Device.gpu(0));
            NDArray a = m.zeros(new Shape(1 << 20), DataType.FLOAT32);
            GpuMemory held = e.getGpuMemory(Device.gpu(0));
            assertTrue(held.getInUse() >= before.getInUse() + (4L << 20), held.toString());
            assertTrue(held.getPeakInUse() >= held.getInUse(), held.toString());
            a.close();
            GpuMemory after = e.getGpuMemory(Device.gpu(0));
            assertTrue(held.getInUse() - after.getInUse() >= 4L << 20, after.toString());
            System.setProperty(CAP, "0");
            try {
                NDArray b = m.zeros(new Shape(1 << 20), DataType.FLOAT32);
                long cachedBefore = e.getGpuMemory(Device.gpu(0)).getCached();
                b.close();
                // with a cap of 0 nothing more is kept
                assertTrue(e.getGpuMemory(Device.gpu(0)).getCached() <= cachedBefore);
                assertEquals(0, e.getGpuMemory(Device.gpu(0)).getCacheLimit());
            } finally {
                System.clearProperty(CAP);
            }
        }
    }

    @Test
    void outOfMemoryNamesTheBytesAndLeavesTheEngineUsable() {
        BiEngine e = engine();
        try (NDManager m = e.newBaseManager(Device.gpu(0))) {
            EngineException x = assertThrows(EngineException.class,
                    () -> m.zeros(new Shape(1L << 40), DataType.FLOAT32));
            assertTrue(x.getMessage().contains("asked for " + (4L << 40) + " bytes"), x.getMessage());
            NDArray ok = m.ones(new Shape(4), DataType.FLOAT32);
            float[] v = ok.toDevice(Device.cpu(), false).toFloatArray();
            assertEquals(1f, v[3]);
        }
    }
}
