/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link GenerationReliabilityTest} with the model on {@code Device.gpu(0)} and a bfloat16 KV
 * cache of 4-token pages: cancel (between steps, from a listener, a throwing listener, while
 * waiting) and a pool too small for all requests, every survivor bit-identical to its solo run
 * on the GPU.
 */
@Tag("gpu")
class GpuGenerationReliabilityTest extends GenerationReliabilityTest {

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        zoo = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(Fixtures.dir("tiny-llama"))
                .optDevice(Device.gpu(0))
                .optOption("dtype", "bfloat16")
                .optOption(LlamaModel.KV_CACHE_PAGES, "64")
                .optOption("page_size", "4")
                .build()
                .loadModel();
        model = Fixtures.model(zoo);
    }
}
