/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.batchinvariant.backend.cuda.CudaAttention;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Shared set-up of the GPU suites: skip without a device, poison kernel outputs with NaN; suites
 * that extend it get a host manager for the duration of the class.
 */
abstract class GpuSupport {

    static NDManager manager;

    @BeforeAll
    static void setUpGpuSuite() {
        requireGpu();
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    @AfterAll
    static void tearDownGpuSuite() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    /** The system property that turns the Hopper kernel families off on compute capability 9.0. */
    static final String SM90_PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.CUDA_SM90;

    /** Skips the calling test class unless device 0 has compute capability 9.0. */
    static void requireHopper() {
        assumeTrue(CudaRuntime.device(0).getComputeCapability() == 90, "not a compute capability 9.0 device");
    }

    /** Skips the calling test class unless a CUDA device is usable; turns output poisoning on. */
    static void requireGpu() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
    }
}
