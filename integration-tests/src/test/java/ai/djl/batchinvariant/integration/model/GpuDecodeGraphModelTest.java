/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.dispatch.Backends;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link DecodeGraphModelTest} on {@code Device.gpu(0)} in bfloat16 (weights, activations and
 * KV cache): every decode step of the graph model is a CUDA graph replay (recorded once per
 * batch-size bucket; a recording failure would leave the count at 0 and fail), and its logits,
 * greedy tokens and log-probabilities are the eager step's bits.
 */
@Tag("gpu")
class GpuDecodeGraphModelTest extends DecodeGraphModelTest {

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        open(Device.gpu(0), "bfloat16", "bfloat16");
    }
}
