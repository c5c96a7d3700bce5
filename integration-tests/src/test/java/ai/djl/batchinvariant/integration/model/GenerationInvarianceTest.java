/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A needle request's prompt logits, per-token logits and tokens are the same bits alone and
 * inside batches of other requests of different lengths that join at different steps, whatever
 * the prefill chunk (1, 3 or the whole prompt); prefill logits equal decode logits; and the
 * inverse: with the AUTO split policy the same comparison sees differences.
 */
class GenerationInvarianceTest extends LoadedModelTest {

    static int[] prompt(Random rnd, int len) {
        int[] p = new int[len];
        for (int i = 0; i < len; i++) {
            p[i] = rnd.nextInt(128);
        }
        return p;
    }

    /** What one request produced. */
    static final class Result {
        final int[] tokens;
        final List<float[]> logits;
        final List<float[]> promptLogits;

        Result(Generator.Request r) {
            tokens = r.getTokens();
            logits = r.getLogits();
            promptLogits = r.getPromptLogits();
        }

        void assertSame(Result o, String what) {
            assertArrayEquals(tokens, o.tokens, what + ": tokens");
            assertEquals(logits.size(), o.logits.size(), what);
            for (int i = 0; i < logits.size(); i++) {
                assertArrayEquals(logits.get(i), o.logits.get(i), what + ": logits of token " + i);
            }
            assertEquals(promptLogits.size(), o.promptLogits.size(), what);
            for (int i = 0; i < promptLogits.size(); i++) {
                assertArrayEquals(promptLogits.get(i), o.promptLogits.get(i), what + ": prompt logits " + i);
            }
        }

        boolean bitsEqual(Result o) {
            for (int i = 0; i < logits.size(); i++) {
                if (!java.util.Arrays.equals(logits.get(i), o.logits.get(i))) {
                    return false;
                }
            }
            for (int i = 0; i < promptLogits.size(); i++) {
                if (!java.util.Arrays.equals(promptLogits.get(i), o.promptLogits.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    static Result alone(LlamaModel m, int[] needle, SamplingConfig c, int chunk) {
        try (KvCacheManager cache = m.newKvCache(64)) {
            Generator g = new Generator(m, cache, chunk, 1);
            Generator.Request r = g.submit(needle, c, true, null);
            g.runToCompletion();
            return new Result(r);
        }
    }

    /**
     * Runs the needle among {@code others} other requests (random lengths and sampling), some
     * submitted before it, some joining at later steps.
     */
    static Result inBatch(LlamaModel m, int[] needle, SamplingConfig c, int chunk, int others, long seed,
            int maxOtherLen) {
        Random rnd = new Random(seed);
        try (KvCacheManager cache = m.newKvCache(1024)) {
            Generator g = new Generator(m, cache, chunk, 64);
            int before = rnd.nextInt(others + 1);
            for (int i = 0; i < before; i++) {
                g.submit(prompt(rnd, 1 + rnd.nextInt(maxOtherLen)), SamplingConfig.greedy(1 + rnd.nextInt(12))
                        .withSampling(rnd.nextFloat(), rnd.nextInt(10), 0.5f + rnd.nextFloat() / 2, rnd.nextLong()),
                        false, null);
            }
            for (int s = 0; s < rnd.nextInt(3); s++) {
                g.step();
            }
            Generator.Request r = g.submit(needle, c, true, null);
            int late = others - before;
            while (g.step()) {
                if (late > 0 && rnd.nextBoolean()) {
                    g.submit(prompt(rnd, 1 + rnd.nextInt(maxOtherLen)), SamplingConfig.greedy(1 + rnd.nextInt(8)),
                            rnd.nextBoolean(), null);
                    late--;
                }
            }
            assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
            return new Result(r);
        }
    }

    @Test
    void needleIsBitIdenticalAloneAndInBatches() {
        int[] needle = prompt(new Random(7), 19);
        SamplingConfig greedy = SamplingConfig.greedy(10);
        SamplingConfig sampled = SamplingConfig.greedy(10).withSampling(0.9f, 20, 0.9f, 42);
        for (SamplingConfig c : new SamplingConfig[] {greedy, sampled}) {
            Result ref = alone(model, needle, c, needle.length);
            for (int chunk : new int[] {1, 3, needle.length}) {
                alone(model, needle, c, chunk).assertSame(ref, "alone, chunk " + chunk);
                for (int trial = 0; trial < 3; trial++) {
                    int others = 1 + trial * 3;
                    inBatch(model, needle, c, chunk, others, 100 * chunk + trial, 40)
                            .assertSame(ref, "chunk " + chunk + ", " + others + " others, trial " + trial);
                }
            }
        }
    }

    @Test
    void prefillLogitsEqualDecodeLogits() {
        int[] p = prompt(new Random(3), 11);
        Result gen = alone(model, p, SamplingConfig.greedy(6), 4);
        // a prompt that already holds the generated tokens sees, at each of those positions, the
        // logits decode saw when it chose the next token
        int[] longer = java.util.Arrays.copyOf(p, p.length + 5);
        System.arraycopy(gen.tokens, 0, longer, p.length, 5);
        Result pre = alone(model, longer, SamplingConfig.greedy(1), longer.length);
        for (int j = 0; j < 6; j++) {
            assertArrayEquals(gen.logits.get(j), pre.promptLogits.get(p.length - 1 + j), "position " + j);
        }
    }

    /** The needle's logits at every prompt position, run in one step alone or beside a companion. */
    static float[][] prefill(LlamaModel m, int[] needle, int[] companion) {
        try (KvCacheManager cache = m.newKvCache(256)) {
            List<KvCacheManager.Sequence> seqs = new ArrayList<>();
            List<int[]> toks = new ArrayList<>();
            seqs.add(cache.open());
            toks.add(needle);
            if (companion != null) {
                seqs.add(cache.open());
                toks.add(companion);
            }
            return m.forward(cache, seqs, toks, new boolean[] {true, false})[0];
        }
    }

    @Test
    void autoSplitChangesBitsWithTheBatch() {
        // 150 positions alone: AUTO cuts the KV into 64-token chunks; beside a 1000-token companion
        // the batch's total length makes it 128, so the needle's softmax merges in another order
        int[] needle = prompt(new Random(11), 150);
        int[] companion = prompt(new Random(12), 1000);
        LlamaModel auto = model.withSplitPolicy(SplitPolicy.auto());
        float[][] a = prefill(auto, needle, null);
        float[][] b = prefill(auto, needle, companion);
        int differing = 0;
        for (int i = 0; i < a.length; i++) {
            if (!java.util.Arrays.equals(a[i], b[i])) {
                differing++;
            }
        }
        assertTrue(differing > 0, "AUTO split must show batch-dependent bits");
        // the same workload under the default FIXED policy stays bit-identical
        float[][] fa = prefill(model, needle, null);
        float[][] fb = prefill(model, needle, companion);
        for (int i = 0; i < fa.length; i++) {
            assertArrayEquals(fa[i], fb[i], "FIXED split, position " + i);
        }
        System.out.println("AUTO split: " + differing + " of " + a.length + " positions differ alone vs batched");
    }

    @Test
    void sampledTokensStayInsideTheirTopK() {
        int[] p = prompt(new Random(5), 9);
        Result r = alone(model, p, SamplingConfig.greedy(12).withSampling(1.5f, 3, 1f, 9), 9);
        for (int i = 0; i < r.tokens.length; i++) {
            float[] l = r.logits.get(i);
            int above = 0;
            for (float x : l) {
                if (x > l[r.tokens[i]]) {
                    above++;
                }
            }
            assertTrue(above < 3, "token " + i + " is not among the top 3");
        }
        // top_k 1 and a tiny top_p both reduce to greedy
        Result greedy = alone(model, p, SamplingConfig.greedy(12), 9);
        assertArrayEquals(greedy.tokens, alone(model, p, SamplingConfig.greedy(12).withSampling(2f, 1, 1f, 1), 9).tokens);
        assertArrayEquals(greedy.tokens,
                alone(model, p, SamplingConfig.greedy(12).withSampling(2f, 0, 1e-6f, 2), 9).tokens);
        // the seed decides: same seed same tokens, and some seeds differ at temperature 2
        SamplingConfig hot = SamplingConfig.greedy(12).withSampling(2f, 0, 1f, 77);
        assertArrayEquals(alone(model, p, hot, 9).tokens, alone(model, p, hot, 2).tokens);
        List<String> seen = new ArrayList<>();
        for (long s = 0; s < 4; s++) {
            seen.add(java.util.Arrays.toString(
                    alone(model, p, SamplingConfig.greedy(12).withSampling(2f, 0, 1f, s), 9).tokens));
        }
        assertTrue(seen.stream().distinct().count() > 1, "different seeds gave the same tokens: " + seen);
    }
}
