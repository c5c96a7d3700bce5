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
 * {@link DecodeGraphModelTest} on {@code Device.gpu(0)} with float32 weights and activations and
 * a float16 KV cache ({@code compute_dtype=float32}): the replayed step's casts to and from the
 * cache's type give the eager bits too.
 */
@Tag("gpu")
class GpuDecodeGraphFloat32ModelTest extends DecodeGraphModelTest {

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        open(Device.gpu(0), "float16", "float32");
    }
}
