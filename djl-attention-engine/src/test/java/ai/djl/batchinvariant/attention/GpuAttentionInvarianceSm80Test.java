/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.config.EngineOptions;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The GPU invariance suite once more on a compute capability 9.0 device with the Hopper kernels
 * turned off ({@code cuda_sm90=false}), so that the sm_80 attention family keeps its invariance
 * checks where the test machines are Hopper devices.
 */
@Tag("gpu")
class GpuAttentionInvarianceSm80Test extends GpuAttentionInvarianceTest {

    private static final String PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.CUDA_SM90;

    @BeforeAll
    static void sm80FamilyOnHopper() {
        assumeTrue(CudaRuntime.device(0).getComputeCapability() == 90, "not a compute capability 9.0 device");
        System.setProperty(PROPERTY, "false");
    }

    @AfterAll
    static void restoreHopperFamily() {
        System.clearProperty(PROPERTY);
    }
}
