/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The fused decoder ops on gpu(0) ({@link FusedOpsCheck}): the kernels against the composed kernels. */
@Tag("gpu")
class GpuFusedOpsTest {

    @Test
    void fusedKernelsGiveTheComposedBits() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            FusedOpsCheck.all(m);
        }
    }
}
