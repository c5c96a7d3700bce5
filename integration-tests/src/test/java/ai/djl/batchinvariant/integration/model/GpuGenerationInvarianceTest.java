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
 * {@link GenerationInvarianceTest} with the model on {@code Device.gpu(0)} and a bfloat16 KV
 * cache: the needle's tokens and logit bits alone and in batches, prefill = decode, and the AUTO
 * inverse case, through the GPU kernels (GEMM, norms, attention) and the host fallback for the
 * rest.
 */
@Tag("gpu")
class GpuGenerationInvarianceTest extends GenerationInvarianceTest {

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        zoo = Fixtures.load(Fixtures.dir("tiny-llama"), Device.gpu(0), "bfloat16");
        model = Fixtures.model(zoo);
    }
}
