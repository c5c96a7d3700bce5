/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The 16-bit compute path (weights, activations and KV cache in float16 or bfloat16, as
 * transformers runs a model loaded in that type), here on the CPU through {@code compute_dtype}:
 * each fixture's prompt logits against transformers' float32 logits within that type's rounding,
 * and the greedy continuation equal to transformers'.
 */
class HalfPrecisionModelTest {

    static ZooModel<NDList, NDList> load(String name, Device device, String dtype) throws Exception {
        return Fixtures.load(Fixtures.dir(name), device, dtype, dtype);
    }

    /** Prompt logits through chunked prefill and the greedy tokens, against transformers. */
    static void check(String name, Device device, String dtype, double tol) throws Exception {
        Fixtures f = Fixtures.expected(name);
        try (ZooModel<NDList, NDList> zoo = load(name, device, dtype)) {
            LlamaModel model = Fixtures.model(zoo);
            assertEquals("float16".equals(dtype) ? DataType.FLOAT16 : DataType.BFLOAT16, model.getComputeType());
            assertEquals(model.getComputeType(), model.getCacheType());
            try (KvCacheManager cache = model.newKvCache(16)) {
                Generator.Request r = f.generateGreedy(model, cache);
                double worst = f.promptLogitsError(r);
                System.out.printf("[half] %s %s on %s: prompt logits max relative error %.3g%n", name, dtype, device,
                        worst);
                assertTrue(worst <= tol, name + " " + dtype + ": relative error " + worst + " > " + tol);
                assertArrayEquals(f.greedy, r.getTokens(), name + " " + dtype + " greedy tokens");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama,float16,4e-3", "tiny-qwen2,float16,4e-3", "tiny-llama,bfloat16,3e-2",
        "tiny-qwen2,bfloat16,3e-2"})
    void logitsAndGreedyTokensMatchTransformers(String name, String dtype, double tol) throws Exception {
        check(name, Device.cpu(), dtype, tol);
    }
}
