/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seeded sampling against float64 formulas written here: token frequencies over many seeds
 * follow softmax(logits / T) restricted to the top k, and top-p never leaves the nucleus. Also the
 * predictor's (B, S) batch gives each row the bits it gets alone.
 */
class SamplingDistributionTest {

    @Test
    void frequenciesFollowTheTruncatedSoftmax() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        int n = 1500;
        float temp = 0.01f;
        int k = 4;
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-llama"))) {
            LlamaModel m = Fixtures.model(zoo);
            try (KvCacheManager c = m.newKvCache(n)) {
                Generator g = new Generator(m, c, f.prompt.length, n);
                List<Generator.Request> rs = new ArrayList<>();
                for (int s = 0; s < n; s++) {
                    rs.add(g.submit(f.prompt, SamplingConfig.greedy(1).withSampling(temp, k, 1f, 1000 + s), false,
                            null));
                }
                g.runToCompletion();
                float[] logits = rs.get(0).getLogits().get(0);
                Integer[] order = new Integer[logits.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
                double[] p = new double[k];
                double sum = 0;
                for (int i = 0; i < k; i++) {
                    p[i] = Math.exp((logits[order[i]] - (double) logits[order[0]]) / temp);
                    sum += p[i];
                }
                int[] count = new int[logits.length];
                for (Generator.Request r : rs) {
                    assertArrayEquals(logits, r.getLogits().get(0), "same prompt, same logits bits");
                    count[r.getTokens()[0]]++;
                }
                for (int i = 0; i < k; i++) {
                    double expect = n * p[i] / sum;
                    double sigma = Math.sqrt(n * (p[i] / sum) * (1 - p[i] / sum)) + 1;
                    int got = count[order[i]];
                    count[order[i]] = 0;
                    assertTrue(Math.abs(got - expect) <= 5 * sigma,
                            "rank " + i + ": " + got + " draws, expected " + expect);
                }
                assertTrue(Arrays.stream(count).sum() == 0, "a token outside the top " + k + " was drawn");
            }
        }
    }

    @Test
    void topPStaysInsideTheNucleus() throws Exception {
        Fixtures f = Fixtures.expected("tiny-qwen2");
        float temp = 0.06f;
        float topP = 0.8f;
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-qwen2"))) {
            LlamaModel m = Fixtures.model(zoo);
            try (KvCacheManager c = m.newKvCache(400)) {
                Generator g = new Generator(m, c, 8, 400);
                List<Generator.Request> rs = new ArrayList<>();
                for (int s = 0; s < 300; s++) {
                    rs.add(g.submit(f.prompt, SamplingConfig.greedy(1).withSampling(temp, 0, topP, s), false, null));
                }
                g.runToCompletion();
                float[] l = rs.get(0).getLogits().get(0);
                double[] e = new double[l.length];
                double max = Double.NEGATIVE_INFINITY;
                for (float x : l) {
                    max = Math.max(max, x);
                }
                double sum = 0;
                for (int i = 0; i < l.length; i++) {
                    e[i] = Math.exp((l[i] - max) / temp);
                    sum += e[i];
                }
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (Generator.Request r : rs) {
                    int t = r.getTokens()[0];
                    seen.add(t);
                    // the mass strictly above t must be below top_p, else t is outside the nucleus
                    double above = 0;
                    for (int i = 0; i < l.length; i++) {
                        if (l[i] > l[t]) {
                            above += e[i] / sum;
                        }
                    }
                    assertTrue(above < topP + 1e-9, "token " + t + " lies outside the top-p nucleus");
                }
                assertTrue(seen.size() > 1, "the nucleus should hold several tokens: " + seen);
            }
        }
    }

    @Test
    void predictorBatchRowsEqualSingleRows() throws Exception {
        int[][] rows = {{1, 17, 93, 5, 42, 8}, {9, 9, 9, 100, 3, 0}, {127, 64, 2, 2, 50, 11}};
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-qwen2"));
                Predictor<NDList, NDList> p = zoo.newPredictor()) {
            int[] flat = new int[18];
            for (int r = 0; r < 3; r++) {
                System.arraycopy(rows[r], 0, flat, r * 6, 6);
            }
            float[] batch = p.predict(new NDList(zoo.getNDManager().create(flat, new Shape(3, 6)))).head()
                    .toFloatArray();
            int per = batch.length / 3;
            for (int r = 0; r < 3; r++) {
                float[] one = p.predict(new NDList(zoo.getNDManager().create(rows[r], new Shape(6)))).head()
                        .toFloatArray();
                assertArrayEquals(one, Arrays.copyOfRange(batch, r * per, (r + 1) * per), "row " + r);
            }
        }
    }
}
