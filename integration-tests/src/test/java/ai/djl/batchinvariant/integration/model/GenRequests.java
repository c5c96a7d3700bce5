/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Mixed generation requests (prompt lengths, greedy or seeded sampling, token budgets) and their
 * answers as raw bits, compared against the same request run alone.
 */
final class GenRequests {

    private GenRequests() {}

    /** One request as submitted. */
    static final class Spec {
        final int[] prompt;
        final SamplingConfig config;
        final String label;

        Spec(int[] prompt, SamplingConfig config, String label) {
            this.prompt = prompt;
            this.config = config;
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * A random request: prompt of 1..maxPrompt ids, 1..maxNew tokens, greedy half of the time,
     * otherwise sampled with its own seed.
     */
    static Spec random(Random rnd, int maxPrompt, int maxNew, String name) {
        int[] p = new int[1 + rnd.nextInt(maxPrompt)];
        for (int i = 0; i < p.length; i++) {
            p[i] = rnd.nextInt(128);
        }
        int n = 1 + rnd.nextInt(maxNew);
        SamplingConfig c = SamplingConfig.greedy(n);
        String kind = "greedy";
        if (rnd.nextBoolean()) {
            float t = 0.5f + rnd.nextFloat();
            long seed = rnd.nextLong();
            c = c.withSampling(t, rnd.nextInt(20), 0.7f + 0.3f * rnd.nextFloat(), seed);
            kind = "T " + t + " seed " + seed;
        }
        return new Spec(p, c, name + " (" + p.length + " prompt, " + n + " new, " + kind + ")");
    }

    /** What one request produced, as raw bits. */
    static final class Answer {
        final int[] tokens;
        final int[] logprobBits;
        final int[][] logitBits;

        Answer(Generator.Request r) {
            tokens = r.getTokens();
            logprobBits = Fixtures.bits(r.getLogprobs());
            List<float[]> l = r.getLogits();
            logitBits = new int[l.size()][];
            for (int i = 0; i < logitBits.length; i++) {
                logitBits[i] = Fixtures.bits(l.get(i));
            }
        }

        boolean same(Answer o) {
            return Arrays.equals(tokens, o.tokens) && Arrays.equals(logprobBits, o.logprobBits)
                    && Arrays.deepEquals(logitBits, o.logitBits);
        }

        void assertSame(Answer expected, String what) {
            assertArrayEquals(expected.tokens, tokens, what + ": tokens");
            assertArrayEquals(expected.logprobBits, logprobBits, what + ": logprob bits");
            assertEquals(expected.logitBits.length, logitBits.length, what + ": logit rows");
            for (int i = 0; i < logitBits.length; i++) {
                assertArrayEquals(expected.logitBits[i], logitBits[i], what + ": logit bits of token " + i);
            }
        }
    }

    /** Each request alone in a generator of batch 1, one after another in one pool. */
    static List<Answer> solo(LlamaModel m, List<Spec> specs, int chunk) {
        List<Answer> out = new ArrayList<>();
        // room for any prompt and budget these tests use (both well under 256 tokens together)
        int pages = (256 + m.getPageSize() - 1) / m.getPageSize();
        try (KvCacheManager cache = m.newKvCache(pages)) {
            Generator g = new Generator(m, cache, chunk, 1);
            for (Spec s : specs) {
                Generator.Request r = g.submit(s.prompt, s.config, false, null);
                g.runToCompletion();
                out.add(new Answer(r));
            }
            assertEquals(pages, cache.freePages(), "pages leaked by solo runs");
        }
        return out;
    }

    static Answer solo(LlamaModel m, Spec s, int chunk) {
        return solo(m, List.of(s), chunk).get(0);
    }
}
