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
 * {@link GenerationConcurrencyTest} with the model on {@code Device.gpu(0)} and a bfloat16 KV
 * cache: eight submitting threads, every answer bit-identical to its solo run on the GPU (the
 * 1000-request case also carries tag {@code long}).
 */
@Tag("gpu")
class GpuGenerationConcurrencyTest extends GenerationConcurrencyTest {

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        zoo = Fixtures.load(Fixtures.dir("tiny-llama"), Device.gpu(0), "bfloat16");
        model = Fixtures.model(zoo);
    }
}
