/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

/** The fused decoder ops on the CPU backend ({@link FusedOpsCheck}). */
class FusedOpsTest {

    @Test
    void fusedOpsGiveTheComposedBits() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            FusedOpsCheck.all(m);
        }
    }
}
