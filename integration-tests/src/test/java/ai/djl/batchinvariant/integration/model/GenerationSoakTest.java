/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.integration.model.GenRequests.Answer;
import ai.djl.batchinvariant.integration.model.GenRequests.Spec;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.SamplingConfig;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generation for a while: the same 48 mixed requests again and again, each round in another
 * order, prefill chunk, batch limit and join pattern, beside requests cancelled at random steps,
 * in a fresh KV pool. Every round's answers (tokens, logprob and logit bits) equal the first
 * round's, and memory in use shows no upward trend: the second half of the run stays within a
 * slack of the most seen in the first half. Here on the CPU for {@code soak.cpu.seconds} (default
 * 5) with the Java heap as the memory;
 * {@link GpuGenerationSoakTest} runs it on the GPU against the device allocator's figures.
 */
class GenerationSoakTest extends LoadedModelTest {

    static final int WARMUP_ROUNDS = 2;

    /** How long to run, in seconds. */
    long seconds() {
        return Long.getLong("soak.cpu.seconds", 5);
    }

    /** Memory figures {in use, peak, cached, cap}, taken between rounds. */
    long[] memory() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long used = rt.totalMemory() - rt.freeMemory();
        return new long[] {used, used, rt.totalMemory(), rt.maxMemory()};
    }

    /** How far memory in use may drift from its post-warm-up figure without counting as growth. */
    long slackBytes(long[] baseline) {
        // the heap also holds this test's results and the JIT's and GC's own churn
        return 4L << 20;
    }

    String where() {
        return "cpu heap";
    }

    /** One round: every spec once, in the round's own order and batching, beside cancelled noise. */
    static List<Answer> round(List<Spec> specs, int round, int[] cancelled) {
        Random rnd = new Random(round * 7919L + 1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            order.add(i);
        }
        if (round > 0) {
            Collections.shuffle(order, rnd);
        }
        int chunk = round == 0 ? 8 : 1 + rnd.nextInt(8);
        int maxBatch = round == 0 ? 32 : 1 + rnd.nextInt(32);
        Generator.Request[] reqs = new Generator.Request[specs.size()];
        List<Generator.Request> noise = new ArrayList<>();
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, chunk, maxBatch);
            int next = 0;
            int upFront = round == 0 ? specs.size() : rnd.nextInt(specs.size() + 1);
            for (; next < upFront; next++) {
                reqs[order.get(next)] = g.submit(specs.get(order.get(next)).prompt, specs.get(order.get(next)).config,
                        false, null);
            }
            for (int n = 0; n < 4 && round > 0; n++) {
                int[] p = new int[1 + rnd.nextInt(30)];
                for (int i = 0; i < p.length; i++) {
                    p[i] = rnd.nextInt(128);
                }
                noise.add(g.submit(p, SamplingConfig.greedy(16), false, null));
            }
            while (g.step() || next < specs.size()) {
                if (next < specs.size() && rnd.nextInt(3) == 0) {
                    reqs[order.get(next)] = g.submit(specs.get(order.get(next)).prompt,
                            specs.get(order.get(next)).config, false, null);
                    next++;
                }
                if (!noise.isEmpty() && rnd.nextInt(6) == 0) {
                    g.cancel(noise.remove(rnd.nextInt(noise.size())));
                    cancelled[0]++;
                }
            }
            assertEquals(cache.getNumPages(), cache.freePages(), "round " + round + ": pages leaked");
        }
        List<Answer> out = new ArrayList<>();
        for (Generator.Request r : reqs) {
            out.add(new Answer(r));
        }
        return out;
    }

    @Test
    void answersAndMemoryStayFixedForTheWholeRun() {
        Random rnd = new Random(48);
        List<Spec> specs = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            specs.add(GenRequests.random(rnd, 40, 16, "request " + i));
        }
        long end = System.nanoTime() + seconds() * 1_000_000_000L;
        List<Answer> first = null;
        long[] baseline = null;
        long[] last = null;
        long maxInUse = 0;
        long maxCached = 0;
        List<Long> inUse = new ArrayList<>();
        int rounds = 0;
        int mismatches = 0;
        int[] cancelled = {0};
        List<String> firstMismatches = new ArrayList<>();
        while (rounds < WARMUP_ROUNDS + 2 || System.nanoTime() < end) {
            List<Answer> answers = round(specs, rounds, cancelled);
            if (first == null) {
                first = answers;
            } else {
                for (int i = 0; i < answers.size(); i++) {
                    if (!answers.get(i).same(first.get(i))) {
                        mismatches++;
                        if (firstMismatches.size() < 5) {
                            firstMismatches.add("round " + rounds + " " + specs.get(i));
                        }
                    }
                }
            }
            rounds++;
            last = memory();
            if (rounds == WARMUP_ROUNDS) {
                baseline = last;
            } else if (rounds > WARMUP_ROUNDS) {
                maxInUse = Math.max(maxInUse, last[0]);
                maxCached = Math.max(maxCached, last[2]);
                inUse.add(last[0]);
            }
        }
        System.out.printf("[soak] %s: %d rounds of %d requests (%d cancelled beside them), %d mismatches; in use"
                + " %d KiB after warm-up, %d KiB at most after, %d KiB at the end; peak %d KiB; cached %d KiB at"
                + " most (cap %d KiB)%n", where(), rounds, specs.size(), cancelled[0], mismatches, baseline[0] >> 10,
                maxInUse >> 10, last[0] >> 10, last[1] >> 10, maxCached >> 10, last[3] >> 10);
        assertEquals(0, mismatches, "answers differing from the first round's: " + firstMismatches);
        assertTrue(cancelled[0] > 0, "noise requests must have been cancelled");
        // a leak is a trend: the later half of the run must not reach above the earlier half (the
        // figure at a round's end varies a little with what the allocator still holds for it)
        long slack = slackBytes(baseline);
        long early = baseline[0];
        long late = 0;
        for (int i = 0; i < inUse.size(); i++) {
            if (i < inUse.size() / 2) {
                early = Math.max(early, inUse.get(i));
            } else {
                late = Math.max(late, inUse.get(i));
            }
        }
        assertTrue(late <= early + slack, where() + ": memory in use grew from at most " + early
                + " bytes in the first half of the run to " + late + " in the second (slack " + slack + ")");
        assertTrue(last[3] <= 0 || maxCached <= last[3], where() + ": cache above its cap");
    }
}
