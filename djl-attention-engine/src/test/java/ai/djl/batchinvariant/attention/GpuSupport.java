/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.batchinvariant.backend.cuda.CudaAttention;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;

/** Shared set-up of the GPU suites: skip without a device, poison kernel outputs with NaN. */
final class GpuSupport {

    private GpuSupport() {}

    /** Skips the calling test class unless a CUDA device is usable; turns output poisoning on. */
    static void requireGpu() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
    }
}
