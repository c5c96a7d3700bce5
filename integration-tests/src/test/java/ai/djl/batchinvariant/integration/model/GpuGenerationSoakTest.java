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
 * {@link GenerationSoakTest} with the model on {@code Device.gpu(0)} and a bfloat16 KV cache,
 * for {@code soak.seconds} (default 60; {@code -Dsoak.seconds=1800} for the 30-minute soak):
 * answers bit-identical to the first round's, and the device allocator's bytes in use in the second
 * half of the run within 1 MiB of the most seen in the first half (no upward trend), its cache
 * under its cap.
 */
@Tag("gpu")
class GpuGenerationSoakTest extends GenerationSoakTest {

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        zoo = Fixtures.load(Fixtures.dir("tiny-llama"), Device.gpu(0), "bfloat16");
        model = Fixtures.model(zoo);
    }

    @Override
    long seconds() {
        return Long.getLong("soak.seconds", 60);
    }

    @Override
    long[] memory() {
        return Backends.gpuMemoryStats(0);
    }

    @Override
    long slackBytes(long[] baseline) {
        // every round closes its pool: what stays in use is the weights and nothing per request
        return 1L << 20;
    }

    @Override
    String where() {
        return "gpu(0)";
    }
}
