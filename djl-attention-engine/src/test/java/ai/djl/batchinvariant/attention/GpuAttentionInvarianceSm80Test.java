/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

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

    @BeforeAll
    static void sm80FamilyOnHopper() {
        GpuSupport.requireHopper();
        System.setProperty(GpuSupport.SM90_PROPERTY, "false");
    }

    @AfterAll
    static void restoreHopperFamily() {
        System.clearProperty(GpuSupport.SM90_PROPERTY);
    }
}
