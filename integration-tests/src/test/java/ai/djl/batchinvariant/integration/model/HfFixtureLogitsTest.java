/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * Each fixture loaded through DJL's Criteria: logits at every prompt position against
 * transformers' float32 logits (1e-4 of the row's largest logit) and the 12-token greedy
 * continuation equal to transformers'.
 */
class HfFixtureLogitsTest {

    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-sharded", "tiny-qwen2"})
    void predictorLogitsMatchTransformers(String name) throws Exception {
        Fixtures f = Fixtures.expected(name);
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir(name));
                Predictor<NDList, NDList> p = zoo.newPredictor()) {
            NDManager m = zoo.getNDManager();
            NDArray ids = m.create(f.prompt, new Shape(f.prompt.length));
            NDArray out = p.predict(new NDList(ids)).head();
            int v = f.logits[0].length;
            assertEquals(new Shape(f.prompt.length, v), out.getShape());
            float[] flat = out.toFloatArray();
            double worst = 0;
            for (int i = 0; i < f.prompt.length; i++) {
                float[] row = java.util.Arrays.copyOfRange(flat, i * v, (i + 1) * v);
                worst = Math.max(worst, Fixtures.relErr(row, f.logits[i]));
            }
            System.out.printf("%s: prompt logits max relative error %.3g%n", name, worst);
            assertTrue(worst <= TOL, name + ": relative error " + worst + " > " + TOL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-llama-sharded", "tiny-qwen2"})
    void greedyContinuationMatchesTransformers(String name) throws Exception {
        Fixtures f = Fixtures.expected(name);
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir(name))) {
            LlamaModel model = Fixtures.model(zoo);
            try (KvCacheManager cache = model.newKvCache(16)) {
                Generator g = new Generator(model, cache, 3, 4);
                Generator.Request r = g.submit(f.prompt, SamplingConfig.greedy(f.greedy.length), true, null);
                g.runToCompletion();
                assertArrayEquals(f.greedy, r.getTokens(), name + " greedy tokens");
                List<float[]> pl = r.getPromptLogits();
                assertEquals(f.prompt.length, pl.size());
                for (int i = 0; i < pl.size(); i++) {
                    double e = Fixtures.relErr(pl.get(i), f.logits[i]);
                    assertTrue(e <= TOL, name + " chunked-prefill position " + i + ": relative error " + e);
                }
                assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
            }
        }
    }
}
